//! Project requests from the CLI: to the Slate that serves this data dir (so the window
//! shows the change at once), else run here by the same code the core runs.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};

use super::remote::Remote;
use crate::api::ApiError;
use crate::model::asset::{ImportOptions, ImportProgress, ImportReport, ImportRequest};
use crate::model::manifest::NarrativeTemplate;
use crate::model::take::{Review, TakeAction};
use crate::paths::Paths;
use crate::settings::Settings;
use crate::workspace::ops::{self, ProjectOp};

pub struct Projects {
    /// The Slate serving this data dir, if one runs.
    remote: Option<Remote>,
    root: PathBuf,
    settings: Settings,
}

impl Projects {
    pub fn connect(paths: &Paths, settings: Settings) -> Result<Self, ApiError> {
        Ok(Self {
            remote: super::discover(paths)?,
            root: paths.workspace_root(&settings),
            settings,
        })
    }

    /// Where the requests go, for messages.
    pub fn describe(&self) -> String {
        match &self.remote {
            Some(remote) => remote.address().to_string(),
            None => "in-process".into(),
        }
    }

    pub fn create(&self, name: &str, template: NarrativeTemplate) -> Result<Value, ApiError> {
        match &self.remote {
            Some(remote) => remote.call(
                "POST",
                "/v1/projects",
                Some(&json!({"name": name, "template": template.id()})),
            ),
            None => ops::create(&self.root, name, template, &self.settings).map(|s| json!(s)),
        }
    }

    /// Runs `op` on the project at `project`. A project outside the served workspace
    /// (`--project /elsewhere`) is not the server's: it runs here.
    pub fn op(&self, project: &Path, op: ProjectOp) -> Result<Value, ApiError> {
        match (&self.remote, self.served_name(project)) {
            (Some(remote), Some(name)) => {
                let (method, path, body) = route(&encode(&name), &op);
                remote.call(method, &path, body.as_ref())
            }
            _ => ops::run(project, op, &self.settings),
        }
    }
}

impl Projects {
    /// Imports files as assets into the project at `project`. In this process the import
    /// reports its progress and stops cleanly when `cancel` rises; a serving Slate does
    /// the same work and answers when it is done.
    pub fn import_assets(
        &self,
        project: &Path,
        request: ImportRequest,
        commit: bool,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<ImportReport, ApiError> {
        if let (Some(remote), Some(name)) = (&self.remote, self.served_name(project)) {
            let p = encode(&name);
            let (method, path, body) = route(
                &p,
                &ProjectOp::AssetImport {
                    files: request.files,
                    category: request.category,
                    name: request.name,
                    commit,
                },
            );
            // The request waits for the whole import; Ctrl+C here asks the server to
            // stop it, and its answer then says it was cancelled.
            let reply = std::thread::scope(|s| {
                let call = s.spawn(|| remote.call(method, &path, body.as_ref()));
                let mut asked = false;
                while !call.is_finished() {
                    if !asked && cancel.load(std::sync::atomic::Ordering::Relaxed) {
                        asked = true;
                        remote
                            .call(
                                "POST",
                                &format!("/v1/projects/{p}/assets/cancel-import"),
                                None,
                            )
                            .ok();
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                call.join().expect("the import request")
            })?;
            return serde_json::from_value(reply).map_err(|e| {
                ApiError::new(
                    crate::api::ErrorKind::Internal,
                    format!("an unexpected import reply: {e}"),
                )
            });
        }
        let options = ImportOptions {
            max_bytes: self
                .settings
                .workspace
                .asset_max_mib
                .saturating_mul(1024 * 1024),
            commit,
        };
        crate::workspace::asset_import::import(project, &request, &options, cancel, progress)
            .map_err(|m| ApiError::invalid(m, Vec::new()))
    }

    /// The name the serving Slate knows `project` by: its folder name, when it sits in
    /// the served workspace (symlinks on the way resolved). `None` when nothing serves
    /// or the project is elsewhere (then it is not the server's: it runs here).
    fn served_name(&self, project: &Path) -> Option<String> {
        self.remote.as_ref()?;
        ops::name_in(&self.root, project)
    }
}

/// The REST route of each op (`/v1/projects/{project}/…`).
fn route(p: &str, op: &ProjectOp) -> (&'static str, String, Option<Value>) {
    let base = format!("/v1/projects/{p}");
    match op {
        ProjectOp::Show => ("GET", base, None),
        ProjectOp::Edit { edit } => ("POST", format!("{base}/edit"), Some(json!(edit))),
        ProjectOp::Upgrade => ("POST", format!("{base}/upgrade"), None),
        ProjectOp::GitStatus => ("GET", format!("{base}/git/status"), None),
        ProjectOp::GitLog { skip, limit } => (
            "GET",
            format!("{base}/git/log?skip={skip}&limit={limit}"),
            None,
        ),
        ProjectOp::GitShow { commit } => (
            "GET",
            format!("{base}/git/commits/{}", encode(commit)),
            None,
        ),
        ProjectOp::GitCommit {
            message,
            prefix,
            allow_large,
        } => (
            "POST",
            format!("{base}/git/commit"),
            Some(json!({"message": message, "prefix": prefix, "allow_large": allow_large})),
        ),
        ProjectOp::GitTag { name, message } => (
            "POST",
            format!("{base}/git/tags"),
            Some(json!({"name": name, "message": message})),
        ),
        ProjectOp::GitTags => ("GET", format!("{base}/git/tags"), None),
        ProjectOp::GitRollback { commit, mode } => (
            "POST",
            format!("{base}/git/rollback"),
            Some(json!({"commit": commit, "mode": mode})),
        ),
        ProjectOp::GitRestoreMedia => ("POST", format!("{base}/git/restore-media"), None),
        ProjectOp::LfsStatus => ("GET", format!("{base}/lfs/status"), None),
        ProjectOp::LfsFiles => ("GET", format!("{base}/lfs/files"), None),
        ProjectOp::LfsTrack { pattern } => (
            "POST",
            format!("{base}/lfs/track"),
            Some(json!({ "pattern": pattern })),
        ),
        ProjectOp::LfsUntrack { pattern } => (
            "POST",
            format!("{base}/lfs/untrack"),
            Some(json!({ "pattern": pattern })),
        ),
        ProjectOp::Rename { new_name } => (
            "POST",
            format!("{base}/rename"),
            Some(json!({ "new_name": new_name })),
        ),
        ProjectOp::Delete { permanently } => {
            ("DELETE", format!("{base}?permanently={permanently}"), None)
        }
        ProjectOp::AssetList { library } => {
            ("GET", format!("{base}/assets?library={library}"), None)
        }
        ProjectOp::AssetShow { asset } => ("GET", format!("{base}/assets/{}", encode(asset)), None),
        ProjectOp::AssetImport {
            files,
            category,
            name,
            commit,
        } => (
            "POST",
            format!("{base}/assets"),
            Some(json!({"files": files, "category": category, "name": name, "commit": commit})),
        ),
        ProjectOp::AssetRename { asset, new_name } => (
            "POST",
            format!("{base}/assets/{}/rename", encode(asset)),
            Some(json!({ "new_name": new_name })),
        ),
        ProjectOp::AssetDelete { asset } => {
            ("DELETE", format!("{base}/assets/{}", encode(asset)), None)
        }
        ProjectOp::AssetCopyFromLibrary { asset } => (
            "POST",
            format!("{base}/library-copies"),
            Some(json!({ "asset": asset })),
        ),
        ProjectOp::TakeList { shot: None } => ("GET", format!("{base}/takes"), None),
        ProjectOp::TakeList { shot: Some(n) } => (
            "GET",
            format!(
                "{base}/takes?chapter={}&scene={}&shot={}",
                n.chapter, n.scene, n.shot
            ),
            None,
        ),
        ProjectOp::TakeAction { shot, take, action } => (
            "POST",
            format!(
                "{base}/shots/{}/{}/{}/takes/{take}/{}",
                shot.chapter,
                shot.scene,
                shot.shot,
                take_verb(action)
            ),
            None,
        ),
    }
}

/// The route word of a take action (`…/takes/7/approve`).
fn take_verb(action: &TakeAction) -> &'static str {
    match action {
        TakeAction::Activate => "activate",
        TakeAction::Review(Review::Approved) => "approve",
        TakeAction::Review(Review::Rejected) => "reject",
        // Back to pending has no verb of its own; the API offers none.
        TakeAction::Review(Review::Pending) => "pending",
        TakeAction::Star(true) => "star",
        TakeAction::Star(false) => "unstar",
        TakeAction::Delete => "delete",
        TakeAction::Restore => "restore",
    }
}

/// Percent-encodes a path segment (folder names may hold spaces and any script).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every op the CLI may send has a route the server serves, with that method.
    #[test]
    fn every_op_has_a_served_route() {
        use crate::api::project::ShotNumbers;
        use crate::model::git::ResetMode;
        let shot = ShotNumbers {
            chapter: 1,
            scene: 2,
            shot: 3,
        };
        let ops = [
            ProjectOp::Show,
            ProjectOp::Edit {
                edit: crate::model::project::StructureEdit::AddChapter { name: "x".into() },
            },
            ProjectOp::Upgrade,
            ProjectOp::GitStatus,
            ProjectOp::GitLog { skip: 0, limit: 1 },
            ProjectOp::GitShow {
                commit: "abc".into(),
            },
            ProjectOp::GitCommit {
                message: "m".into(),
                prefix: None,
                allow_large: false,
            },
            ProjectOp::GitTag {
                name: "v1".into(),
                message: None,
            },
            ProjectOp::GitTags,
            ProjectOp::GitRollback {
                commit: "abc".into(),
                mode: ResetMode::Mixed,
            },
            ProjectOp::GitRestoreMedia,
            ProjectOp::LfsStatus,
            ProjectOp::LfsFiles,
            ProjectOp::LfsTrack {
                pattern: "*.exr".into(),
            },
            ProjectOp::LfsUntrack {
                pattern: "*.exr".into(),
            },
            ProjectOp::Rename {
                new_name: "Reel 2".into(),
            },
            ProjectOp::Delete { permanently: true },
            ProjectOp::AssetList { library: true },
            ProjectOp::AssetShow {
                asset: "Hero".into(),
            },
            ProjectOp::AssetImport {
                files: vec![],
                category: None,
                name: None,
                commit: true,
            },
            ProjectOp::AssetRename {
                asset: "Hero".into(),
                new_name: "Rider".into(),
            },
            ProjectOp::AssetDelete {
                asset: "Hero".into(),
            },
            ProjectOp::AssetCopyFromLibrary {
                asset: "Hero".into(),
            },
            ProjectOp::TakeList { shot: None },
            ProjectOp::TakeList { shot: Some(shot) },
            ProjectOp::TakeAction {
                shot,
                take: 7,
                action: TakeAction::Review(Review::Approved),
            },
            ProjectOp::TakeAction {
                shot,
                take: 7,
                action: TakeAction::Star(false),
            },
        ];
        let spec: serde_json::Value =
            serde_json::from_str(&crate::server::spec_json()).expect("the spec is JSON");
        let templates: Vec<(String, Vec<String>)> = spec["paths"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(path, item)| {
                (
                    path.clone(),
                    item.as_object().unwrap().keys().cloned().collect(),
                )
            })
            .collect();
        // `/a/{x}/b` matches `/a/anything/b`, segment by segment.
        let matches = |template: &str, path: &str| {
            let (t, p): (Vec<_>, Vec<_>) =
                (template.split('/').collect(), path.split('/').collect());
            t.len() == p.len()
                && t.iter()
                    .zip(&p)
                    .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
        };
        for op in &ops {
            let (method, path, _) = route("Reel", op);
            let path = path.split('?').next().unwrap();
            let served = templates
                .iter()
                .any(|(t, methods)| matches(t, path) && methods.contains(&method.to_lowercase()));
            assert!(
                served,
                "{op:?} goes to {method} {path}, which the server does not serve"
            );
        }
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode("Le Voyage/..?"), "Le%20Voyage%2F..%3F");
        assert_eq!(encode("Ōkami"), "%C5%8Ckami");
    }
}

/// What the CLI reads of projects in this process: the reads that find a project from
/// the current folder or a name, before any request names it.
pub mod local {
    use std::path::{Path, PathBuf};

    use crate::model::manifest::Manifest;
    use crate::model::project::ProjectSummary;
    use crate::workspace::project;

    /// `name_or_path` as a project folder in `root` (or a path to one).
    pub fn resolve(root: &Path, name_or_path: &str) -> Result<PathBuf, String> {
        project::resolve(root, name_or_path)
    }

    /// The project containing `dir`, if any.
    pub fn containing(dir: &Path) -> Option<PathBuf> {
        project::containing(dir)
    }

    /// The projects in `root` (half-made ones left by a crash are cleared first).
    pub fn list(root: &Path) -> Result<Vec<ProjectSummary>, String> {
        crate::workspace::leftovers::clean_creating(root);
        project::list(root)
    }

    pub fn read_manifest(path: &Path) -> Result<Manifest, String> {
        project::read_manifest(path)
    }
}
