//! Project requests from the CLI: to the Slate that serves this data dir (so the window
//! shows the change at once), else run here by the same code the core runs.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::remote::Remote;
use crate::api::ApiError;
use crate::model::manifest::NarrativeTemplate;
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
        match &self.remote {
            Some(remote) if project.parent() == Some(self.root.as_path()) => {
                let name = project
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let (method, path, body) = route(&encode(&name), &op);
                remote.call(method, &path, body.as_ref())
            }
            _ => ops::run(project, op, &self.settings),
        }
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

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode("Le Voyage/..?"), "Le%20Voyage%2F..%3F");
        assert_eq!(encode("Ōkami"), "%C5%8Ckami");
    }
}

/// What the CLI does to projects in this process: the operations the API has no route
/// for yet (rename, delete) and the reads that find a project from the current folder.
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

    pub fn rename(path: &Path, new_name: &str) -> Result<PathBuf, String> {
        project::rename(path, new_name)
    }

    pub fn move_to_trash(path: &Path) -> Result<(), String> {
        project::move_to_trash(path)
    }

    pub fn delete_permanently(path: &Path) -> Result<(), String> {
        project::delete_permanently(path)
    }
}
