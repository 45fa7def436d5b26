//! What a client may do to one project, by name: read its story, edit it, and its git
//! and LFS. One implementation for every client: the window's core runs these for the
//! API (`/v1/projects/{project}/…`), and the CLI runs the same when nothing serves.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

pub use crate::api::project::{ProjectOp, Touches};
use crate::api::{ApiError, ErrorKind};
use crate::model::manifest::NarrativeTemplate;
use crate::settings::Settings;
use crate::workspace::project::{self};
use crate::workspace::{assets, git, lfs, takes};

fn kinded(kind: ErrorKind) -> impl Fn(String) -> ApiError {
    move |m| ApiError::new(kind, m)
}

/// An engine's refusal: the request was understood, the project's state says no.
fn refused(m: String) -> ApiError {
    ApiError::new(ErrorKind::Invalid, m)
}

/// The project folder `name` names inside `root`: a folder name or a project's name,
/// never a path (a client must not reach outside the workspace).
pub fn resolve(root: &Path, name: &str) -> Result<PathBuf, ApiError> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || Path::new(name).is_absolute()
    {
        // Never a path: such a name names no project (404, as any unknown name).
        return Err(ApiError::not_found(format!(
            "{name:?} is not a project name: give its folder name in the workspace, not a path"
        )));
    }
    let by_folder = root.join(name);
    if by_folder
        .join(crate::model::manifest::MANIFEST_FILE)
        .is_file()
        && !std::fs::symlink_metadata(&by_folder)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(true)
    {
        return Ok(by_folder);
    }
    project::list(root)
        .map_err(ApiError::unavailable)?
        .into_iter()
        .filter(|p| {
            !std::fs::symlink_metadata(&p.path)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(true)
        })
        .find(|p| p.name == name)
        .map(|p| p.path)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no project {name:?} in {}; `slate project list` shows them",
                root.display()
            ))
        })
}

/// The name a project at `path` has in the workspace `root`: its folder name, when it
/// sits directly in `root` (symlinks on the way resolved); `None` when it is elsewhere.
pub fn name_in(root: &Path, path: &Path) -> Option<String> {
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (path, root) = (real(path), real(root));
    (path.parent() == Some(root.as_path()))
        .then(|| path.file_name())
        .flatten()
        .map(|n| n.to_string_lossy().into_owned())
}

/// Creates a project as the window does: the Settings' LFS choice and default quality.
pub fn create(
    root: &Path,
    name: &str,
    template: NarrativeTemplate,
    settings: &Settings,
) -> Result<project::ProjectSummary, ApiError> {
    crate::workspace::leftovers::clean_creating(root);
    let options = project::NewProject {
        lfs: settings.workspace.lfs_enabled,
        quality: settings.workspace.default_quality,
    };
    let path = project::create_with(root, name, template, &options).map_err(refused)?;
    Ok(project::summary(&path))
}

/// Runs `op` on the project at `path`. Slow (git, folder walks): call it off the async
/// workers.
pub fn run(path: &Path, op: ProjectOp, settings: &Settings) -> Result<Value, ApiError> {
    static NEVER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    run_cancellable(path, op, settings, &NEVER)
}

/// [`run`], where an asset import or library copy stops cleanly when `cancel` rises.
pub fn run_cancellable(
    path: &Path,
    op: ProjectOp,
    settings: &Settings,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Value, ApiError> {
    let threshold = settings.workspace.lfs_warn_mib * 1024 * 1024;
    let repo = || git::open(path).map_err(refused);
    match op {
        ProjectOp::Show => {
            let parsed = project::load(path).map_err(refused)?;
            Ok(json!({
                "path": path,
                "manifest": parsed.manifest,
                "takes": takes::scan(path),
                "assets": assets::scan_project(path),
                "upgrade": parsed.upgrade,
            }))
        }
        ProjectOp::Edit { edit } => {
            // As opening in the window does: upgrade an earlier Slate's project first
            // when that is safe.
            let upgraded = match project::upgrade_on_open(path, false).map_err(refused)? {
                project::Upgrade::Done { commit, .. } => Some(commit),
                project::Upgrade::Pending { why, .. } => {
                    return Err(ApiError::conflict(why));
                }
                project::Upgrade::Current => None,
            };
            let (manifest, summary) = project::edit(path, &edit).map_err(refused)?;
            Ok(json!({"summary": summary, "manifest": manifest, "upgraded": upgraded}))
        }
        ProjectOp::Upgrade => match project::upgrade(path).map_err(refused)? {
            Some((commit, changes)) => Ok(json!({"commit": commit, "changes": changes})),
            None => Ok(json!({"commit": null, "changes": []})),
        },
        ProjectOp::GitStatus => Ok(json!(git::status(&repo()?).map_err(refused)?)),
        ProjectOp::GitLog { skip, limit } => {
            let commits = git::log(&repo()?, skip, limit.min(1000)).map_err(refused)?;
            Ok(json!({ "commits": commits }))
        }
        ProjectOp::GitShow { commit } => {
            let repo = repo()?;
            let id = repo
                .revparse_single(&commit)
                .map_err(|_| ApiError::not_found(format!("no commit {commit:?}")))?
                .id()
                .to_string();
            let files = git::commit_files(&repo, &id).map_err(refused)?;
            Ok(json!({"commit": id, "files": files}))
        }
        ProjectOp::GitCommit {
            message,
            prefix,
            allow_large,
        } => {
            if let Some(p) = &prefix
                && !git::PREFIXES.contains(&p.as_str())
            {
                return Err(refused(format!(
                    "unknown prefix {p:?}; use one of {}",
                    git::PREFIXES.join(", ")
                )));
            }
            if message.trim().is_empty() {
                return Err(refused("the commit message is empty".into()));
            }
            let repo = repo()?;
            if !allow_large {
                let st = git::status(&repo).map_err(refused)?;
                let large: Vec<_> = lfs::large_untracked(path, threshold)
                    .into_iter()
                    .filter(|(p, _)| {
                        st.untracked.contains(p) || st.modified.iter().any(|c| &c.path == p)
                    })
                    .collect();
                if !large.is_empty() {
                    let list: Vec<String> = large
                        .iter()
                        .map(|(p, s)| format!("{p} ({})", crate::util::format_bytes(*s)))
                        .collect();
                    return Err(ApiError {
                        kind: ErrorKind::Conflict,
                        message: format!(
                            "these files are large and not tracked by LFS: {}; track them (`slate lfs track '*.ext'`) or commit anyway with allow_large",
                            list.join(", ")
                        ),
                        fields: large
                            .iter()
                            .map(|(p, s)| crate::api::FieldProblem {
                                field: p.clone(),
                                message: format!("{s} bytes, not tracked by LFS"),
                            })
                            .collect(),
                    });
                }
            }
            let summary = git::prefixed(prefix.as_deref(), &message);
            let id = git::commit_all(&repo, &summary).map_err(refused)?;
            Ok(json!({"id": id, "summary": summary.lines().next().unwrap_or("")}))
        }
        ProjectOp::GitTag { name, message } => {
            git::tag(&repo()?, &name, message.as_deref()).map_err(refused)?;
            Ok(json!({ "tag": name }))
        }
        ProjectOp::GitTags => Ok(json!({ "tags": git::tags(&repo()?) })),
        ProjectOp::GitRollback { commit, mode } => {
            let repo = repo()?;
            if repo.revparse_single(&commit).is_err() {
                return Err(ApiError::not_found(format!("no commit {commit:?}")));
            }
            git::rollback(&repo, &commit, mode).map_err(kinded(ErrorKind::Conflict))?;
            Ok(json!({"commit": commit, "mode": mode}))
        }
        ProjectOp::GitRestoreMedia => {
            let repo = repo()?;
            if lfs::pointers_in_work_tree(&repo).is_empty() {
                return Ok(json!({ "restored": [] }));
            }
            let written = lfs::smudge_work_tree(&repo).map_err(refused)?;
            Ok(json!({ "restored": written }))
        }
        ProjectOp::LfsStatus => {
            let repo = repo()?;
            let files = lfs::ls_files(&repo).map_err(refused)?;
            let git_lfs = crate::probe::git_lfs_version();
            Ok(json!({
                "patterns": lfs::load_patterns(path).list(),
                "total_bytes": files.iter().map(|f| f.size).sum::<u64>(),
                "files": files,
                "large_untracked": lfs::large_untracked(path, threshold)
                    .iter()
                    .map(|(p, s)| json!({"path": p, "size": s}))
                    .collect::<Vec<_>>(),
                "git_lfs": git_lfs.as_ref().ok(),
                "git_lfs_error": git_lfs.as_ref().err(),
                "problems": lfs::check(&repo).map_err(refused)?,
            }))
        }
        ProjectOp::LfsFiles => Ok(json!({ "files": lfs::ls_files(&repo()?).map_err(refused)? })),
        ProjectOp::LfsTrack { pattern } => {
            let added = lfs::track(path, &pattern).map_err(refused)?;
            Ok(json!({"pattern": pattern, "changed": added}))
        }
        ProjectOp::LfsUntrack { pattern } => {
            if lfs::untrack(path, &pattern).map_err(refused)? {
                Ok(json!({"pattern": pattern, "changed": true}))
            } else {
                Err(ApiError::not_found(format!("{pattern} was not tracked")))
            }
        }
        ProjectOp::Rename { new_name } => {
            let dest = project::rename(path, &new_name).map_err(refused)?;
            Ok(json!({"from": path, "path": dest, "summary": project::summary(&dest)}))
        }
        ProjectOp::Delete { permanently } => {
            if permanently {
                project::delete_permanently(path).map_err(refused)?;
            } else {
                // No trash here (a server, a container): say so; the caller may ask
                // for a permanent delete instead.
                project::move_to_trash(path).map_err(ApiError::unavailable)?;
            }
            Ok(json!({"path": path, "permanently": permanently}))
        }
        op @ (ProjectOp::AssetList { .. }
        | ProjectOp::AssetShow { .. }
        | ProjectOp::AssetImport { .. }
        | ProjectOp::AssetRename { .. }
        | ProjectOp::AssetDelete { .. }
        | ProjectOp::AssetCopyFromLibrary { .. }
        | ProjectOp::TakeList { .. }
        | ProjectOp::TakeAction { .. }) => {
            crate::workspace::ops_media::run(path, op, settings, cancel)
        }
    }
}
