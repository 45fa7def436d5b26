//! Writing takes in the web studio's layout (see [`crate::workspace::takes`] for the
//! reader): a finished run becomes the shot's next `take_NNN`, review actions edit the
//! metadata and `active_take.json`, deletes are the web studio's soft delete.
//!
//! Crash safety: a take is written in `takes/.staging_take_NNN`, synced, renamed to
//! `take_NNN` (atomic) and then committed. [`recover`] (run when a project is opened and
//! before every take write) removes staging folders (roll back) and commits take files
//! a crash left uncommitted (finish), so the project holds either a complete, committed
//! take or none.
//!
//! Folder names come from the stable ids (`03_Renders/<chapter id>/<scene id>/<shot id>`),
//! passed through the web studio's sanitiser, so no id can lead a path out of the project.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

pub use crate::model::take::random_seed;
pub use crate::model::take::{
    CreatedTake, Review, ShotFolder, TakeAction, is_starred, parse_take, take_id,
};
pub use crate::model::take::{bind_inputs, cleanup_plan, find_shot, shot_by_numbers};
use crate::model::task::{ShotRef, Task};
use crate::workspace::takes::{self, RENDERS_DIR, ShotTakes, Take};
use crate::workspace::{git, lfs, names, thumbnails};

/// Prefix of a take being written (hidden; the web studio's reader skips it).
pub const STAGING_PREFIX: &str = ".staging_take_";

/// Crash points for tests: `SLATE_TEST_CRASH_AT=<point>` makes this process kill itself
/// with SIGKILL there. Points: `staged` (files written, not renamed), `renamed` (in place,
/// not committed), `stored` (LFS objects stored, no commit).
fn crash_point(point: &str) {
    if std::env::var("SLATE_TEST_CRASH_AT").is_ok_and(|p| p == point) {
        crate::platform::signal_process(std::process::id(), crate::platform::Signal::Kill);
    }
}

/// Everything about the run that goes in the metadata's `provenance` block besides the
/// task itself.
#[derive(Clone, Debug, Default)]
pub struct RunContext {
    pub executor: String,
    pub image: Option<String>,
    pub command: Vec<String>,
    pub gpu_name: Option<String>,
    pub quality: String,
}

/// Every number ever used in this shot's takes folder (live, deleted, being written).
fn used_numbers(takes_dir: &Path) -> Vec<u32> {
    takes::subdirs(takes_dir)
        .iter()
        .filter_map(|n| {
            n.strip_prefix("take_")
                .or_else(|| n.strip_prefix(STAGING_PREFIX))
                .or_else(|| {
                    n.strip_prefix(".deleted_take_")
                        .and_then(|r| r.rsplit_once('_').map(|(a, _)| a))
                })
                .and_then(|d| d.parse().ok())
        })
        .collect()
}

/// The number the shot's next take gets: one above every number used, so a number never
/// comes back after a delete, a crash or a restart.
pub fn next_number(project: &Path, folder: &ShotFolder) -> u32 {
    used_numbers(&project.join(folder.takes_rel()))
        .into_iter()
        .max()
        .unwrap_or(0)
        + 1
}

/// The shot folder's takes as the reader sees them (only that folder is read).
pub fn read_shot(project: &Path, folder: &ShotFolder) -> ShotTakes {
    takes::read_shot(project, &folder.chapter, &folder.scene, &folder.shot)
}

/// Refuses a project path whose renders folder (or a shot folder on the way) is a link.
fn check_inside(project: &Path, rel: &str) -> Result<(), String> {
    let mut p = project.to_path_buf();
    for part in rel.split('/') {
        p.push(part);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{rel}: {} is a link; Slate does not write through links",
                    p.display()
                ));
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// The task's primary output (the first picture or video, in the web studio's order) and
/// the rest.
fn pick_outputs(task: &Task) -> Result<(PathBuf, Vec<PathBuf>), String> {
    let dir = task
        .output_dir
        .clone()
        .ok_or("the task has no output folder")?;
    let mut files: Vec<PathBuf> = task
        .outputs
        .iter()
        .filter(|o| !o.split('/').any(|c| c == ".." || c.is_empty()))
        .map(|o| dir.join(o))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .collect();
    if files.is_empty() {
        return Err(format!(
            "task {} finished with no output files in {}: nothing to make a take of",
            task.id,
            dir.display()
        ));
    }
    let order = [
        "mp4", "mov", "avi", "mkv", "webm", "png", "jpg", "jpeg", "webp",
    ];
    let rank = |p: &PathBuf| {
        p.extension()
            .and_then(|e| e.to_str())
            .and_then(|e| order.iter().position(|o| *o == e.to_ascii_lowercase()))
            .unwrap_or(order.len())
    };
    let best = (0..files.len())
        .min_by_key(|&i| rank(&files[i]))
        .unwrap_or(0);
    let primary = files.remove(best);
    Ok((primary, files))
}

fn ext_of(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .map(|e| names::sanitize(&e.to_ascii_lowercase()))
        .unwrap_or_else(|| "bin".into())
}

/// Copies a file and syncs it.
fn copy_synced(src: &Path, dest: &Path) -> Result<u64, String> {
    let n = std::fs::copy(src, dest)
        .map_err(|e| format!("copying {} to {}: {e}", src.display(), dest.display()))?;
    std::fs::File::open(dest)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(n)
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        f.sync_all().ok();
    }
}

/// Whether this metadata says it was made from this task.
fn made_from(m: &Value, task: &Task) -> bool {
    let p = m.get("provenance");
    p.and_then(|p| p.get("taskId")).and_then(Value::as_u64) == Some(task.id)
        && p.and_then(|p| p.get("taskCreatedMs"))
            .and_then(Value::as_u64)
            == Some(task.created_ms)
}

/// The take made from this task, live or soft-deleted (`Err` carries the deleted folder):
/// a repeated request makes nothing new, and a deleted take does not come back.
fn take_of_task(project: &Path, shot: &ShotTakes, task: &Task) -> Option<Result<Take, String>> {
    if let Some(t) = shot.takes.iter().find(|t| {
        t.metadata
            .as_ref()
            .and_then(|m| serde_json::to_value(m).ok())
            .is_some_and(|v| made_from(&v, task))
    }) {
        return Some(Ok(t.clone()));
    }
    shot.deleted.iter().find_map(|d| {
        let dir = project.join(&d.dir);
        takes::files(&dir)
            .into_iter()
            .filter(|n| n.ends_with("_metadata.json"))
            .filter_map(|n| takes::read_json::<Value>(&dir.join(n)).ok())
            .any(|v| made_from(&v, task))
            .then(|| Err(d.dir.clone()))
    })
}

/// Makes the succeeded task's outputs the shot's next take, with metadata, provenance and
/// thumbnails, and commits it (LFS for media) when `commit`.
pub fn create(
    project: &Path,
    shot_ref: &ShotRef,
    task: &Task,
    ctx: &RunContext,
    commit: bool,
) -> Result<CreatedTake, String> {
    let folder = ShotFolder::of(shot_ref);
    check_inside(project, &folder.takes_rel())?;
    // A repeated request (the core repeats recent ones at start) costs one folder read.
    let shot_now = read_shot(project, &folder);
    match take_of_task(project, &shot_now, task) {
        Some(Ok(take)) => {
            return Ok(CreatedTake {
                shot_id: folder.shot_id(),
                take,
                commit: None,
                existed: true,
            });
        }
        Some(Err(dir)) => {
            return Err(format!(
                "the take made from task {} was deleted ({dir}); restore it instead",
                task.id
            ));
        }
        None => {}
    }
    recover(project, commit)?;
    let (primary, extra) = pick_outputs(task)?;
    let takes_dir = project.join(folder.takes_rel());
    std::fs::create_dir_all(&takes_dir).map_err(|e| format!("{}: {e}", takes_dir.display()))?;
    let number = next_number(project, &folder);
    let id = take_id(number);
    let staging = takes_dir.join(format!("{STAGING_PREFIX}{number:03}"));
    std::fs::create_dir(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    let written = write_take_files(&staging, &folder, &id, task, ctx, &primary, &extra);
    if let Err(e) = written {
        std::fs::remove_dir_all(&staging).ok();
        return Err(e);
    }
    sync_dir(&staging);
    crash_point("staged");
    let final_dir = takes_dir.join(&id);
    std::fs::rename(&staging, &final_dir).map_err(|e| {
        std::fs::remove_dir_all(&staging).ok();
        format!("{}: {e}", final_dir.display())
    })?;
    sync_dir(&takes_dir);
    crash_point("renamed");
    let commit_id = if commit {
        let rel_dir = format!("{}/{id}", folder.takes_rel());
        let files: Vec<String> = takes::files(&final_dir)
            .into_iter()
            .map(|n| format!("{rel_dir}/{n}"))
            .collect();
        let repo = git::open(project)?;
        Some(commit_paths(
            &repo,
            &files,
            &[],
            &format!("render: shot {} {id}", display_shot(shot_ref, &folder)),
        )?)
    } else {
        None
    };
    let take = read_shot(project, &folder)
        .takes
        .into_iter()
        .find(|t| t.number == number)
        .ok_or_else(|| format!("{id} vanished after it was written"))?;
    Ok(CreatedTake {
        shot_id: folder.shot_id(),
        take,
        commit: commit_id,
        existed: false,
    })
}

fn display_shot(r: &ShotRef, folder: &ShotFolder) -> String {
    let _ = r;
    folder.shot_id()
}

fn write_take_files(
    dir: &Path,
    folder: &ShotFolder,
    id: &str,
    task: &Task,
    ctx: &RunContext,
    primary: &Path,
    extra: &[PathBuf],
) -> Result<(), String> {
    let base = format!("{}_{id}", folder.shot);
    let media_name = format!("{base}.{}", ext_of(primary));
    let size = copy_synced(primary, &dir.join(&media_name))?;
    let mut extras = Vec::new();
    for (i, e) in extra.iter().enumerate() {
        let name = format!("{base}_extra_{:02}.{}", i + 1, ext_of(e));
        copy_synced(e, &dir.join(&name))?;
        extras.push(Value::String(name));
    }
    let media = dir.join(&media_name);
    let thumb_note = if thumbnails::is_image(&media) {
        thumbnails::make_all(&media, dir, &base)?;
        None
    } else if thumbnails::is_video(&media) {
        match thumbnails::video_all(&media, dir, &base) {
            Ok(true) => None,
            Ok(false) => {
                thumbnails::placeholder_all(dir, &base)?;
                Some("install ffmpeg for video thumbnails".to_string())
            }
            // A clip ffmpeg cannot read still becomes a take; the tile says why.
            Err(e) => {
                thumbnails::placeholder_all(dir, &base)?;
                Some(e)
            }
        }
    } else {
        thumbnails::placeholder_all(dir, &base)?;
        Some("no thumbnail for this kind of file".to_string())
    };
    let rel_dir = format!("{}/{id}", folder.takes_rel());
    let metadata = metadata_json(
        folder,
        id,
        task,
        ctx,
        &format!("{rel_dir}/{media_name}"),
        size,
        &base,
        extras,
        thumb_note.as_deref(),
    );
    let text = serde_json::to_string_pretty(&metadata).expect("metadata serialises");
    let meta_path = dir.join(format!("{base}_metadata.json"));
    std::fs::write(&meta_path, text.as_bytes())
        .and_then(|()| std::fs::File::open(&meta_path)?.sync_all())
        .map_err(|e| format!("{}: {e}", meta_path.display()))
}

#[allow(clippy::too_many_arguments)]
fn metadata_json(
    folder: &ShotFolder,
    id: &str,
    task: &Task,
    ctx: &RunContext,
    file_path: &str,
    file_size: u64,
    base: &str,
    extras: Vec<Value>,
    thumb_note: Option<&str>,
) -> Value {
    let secs = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => json!(b.saturating_sub(a) as f64 / 1000.0),
        _ => Value::Null,
    };
    let params: Map<String, Value> = task
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let seed = task.params.get("seed").cloned().unwrap_or(Value::Null);
    let shot_ref = task.shot_ref.clone().unwrap_or_default();
    let iso = |ms: Option<u64>| ms.map(crate::util::iso8601);
    let mut m = json!({
        "id": id,
        "shotId": folder.shot_id(),
        "created": crate::util::iso8601(task.finished_ms.unwrap_or_else(crate::util::now_ms)),
        "generationParams": Value::Object(params.clone()),
        "resources": {
            "quality": ctx.quality,
            "vramUsed": task.peak_vram_mb.unwrap_or(0),
            "generationTime": secs(task.started_ms, task.finished_ms),
        },
        "status": "complete",
        "filePath": file_path,
        "fileSize": file_size,
        "thumbnails": {
            "large": format!("{base}_thumb_large.png"),
            "medium": format!("{base}_thumb_medium.png"),
            "small": format!("{base}_thumb_small.png"),
        },
        "reviewStatus": "pending",
        "starred": false,
        "provenance": {
            "function": format!("{}@{}", task.function, task.function_version),
            "functionId": task.function,
            "functionVersion": task.function_version,
            "executor": ctx.executor,
            "image": ctx.image,
            "command": ctx.command,
            "parameters": Value::Object(params),
            "seed": seed,
            "preset": task.preset,
            "gpuIndex": task.gpu_index,
            "gpuName": ctx.gpu_name,
            "peakVramMb": task.peak_vram_mb,
            "queuedAt": iso(Some(task.created_ms)),
            "startedAt": iso(task.started_ms),
            "finishedAt": iso(task.finished_ms),
            "queueTimeS": secs(Some(task.created_ms), task.started_ms),
            "runTimeS": secs(task.started_ms, task.finished_ms),
            "projectId": shot_ref.project_id,
            "chapterId": shot_ref.chapter_id,
            "sceneId": shot_ref.scene_id,
            "shotId": shot_ref.shot_id,
            "projectCommit": shot_ref.submitted_commit,
            "slateVersion": env!("CARGO_PKG_VERSION"),
            "taskId": task.id,
            "taskCreatedMs": task.created_ms,
        },
    });
    if !extras.is_empty() {
        m["extraOutputs"] = Value::Array(extras);
    }
    if let Some(note) = thumb_note {
        m["thumbnailNote"] = json!(note);
    }
    m
}

/// Commits `adds` (LFS content for paths the project's patterns match) and removes
/// `removes` on top of HEAD in one commit, leaving the rest of the index as it was.
/// Returns the commit id.
pub fn commit_paths(
    repo: &git2::Repository,
    adds: &[String],
    removes: &[String],
    message: &str,
) -> Result<String, String> {
    let err = |e: git2::Error| e.message().to_string();
    let workdir = git::workdir(repo);
    let patterns = lfs::LfsRules::Git(repo);
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let base = match &parent {
        Some(p) => p.tree().map_err(err)?,
        None => {
            let empty = repo.treebuilder(None).map_err(err)?.write().map_err(err)?;
            repo.find_tree(empty).map_err(err)?
        }
    };
    let mut update = git2::build::TreeUpdateBuilder::new();
    let mut entries = Vec::new();
    for rel in adds {
        let full = workdir.join(rel);
        let meta = std::fs::symlink_metadata(&full).map_err(|e| format!("{rel}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("{rel}: not a regular file"));
        }
        let blob = if patterns.matches(rel) && meta.len() > 0 {
            let pointer = lfs::store_file(repo.path(), &full).map_err(|e| format!("{rel}: {e}"))?;
            repo.blob(pointer.text().as_bytes()).map_err(err)?
        } else {
            repo.blob_path(&full).map_err(err)?
        };
        update.upsert(rel.as_str(), blob, git2::FileMode::Blob);
        entries.push((rel.clone(), meta, blob));
    }
    for rel in removes {
        update.remove(rel.as_str());
    }
    crash_point("stored");
    let tree_id = update.create_updated(repo, &base).map_err(err)?;
    if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
        return Ok(parent.map(|p| p.id().to_string()).unwrap_or_default());
    }
    let tree = repo.find_tree(tree_id).map_err(err)?;
    let sig = git::signature(repo);
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .map_err(err)?;
    let mut index = repo.index().map_err(err)?;
    for rel in removes {
        index.remove_path(Path::new(rel)).ok();
    }
    for (rel, meta, blob) in &entries {
        index
            .add(&lfs::index_entry(meta, rel, *blob))
            .map_err(|e| format!("{rel}: {}", e.message()))?;
    }
    index.write().map_err(err)?;
    Ok(id.to_string())
}

/// Whether a path belongs to the take system (take folders and `active_take.json`).
fn is_take_path(p: &str) -> bool {
    p.starts_with(&format!("{RENDERS_DIR}/"))
        && (p.contains("/takes/") || p.ends_with(&format!("/{}", takes::ACTIVE_TAKE_FILE)))
}

/// What a crash left: staging folders are removed (roll back); take files in place but
/// not committed are committed (finish) when `commit`. Returns what it did, one line each.
pub fn recover(project: &Path, commit: bool) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let renders = project.join(RENDERS_DIR);
    if !takes::is_real_dir(&renders) {
        return Ok(done);
    }
    for chapter in takes::subdirs(&renders) {
        for scene in takes::subdirs(&renders.join(&chapter)) {
            for shot in takes::subdirs(&renders.join(&chapter).join(&scene)) {
                let takes_dir = renders
                    .join(&chapter)
                    .join(&scene)
                    .join(&shot)
                    .join("takes");
                for name in takes::subdirs(&takes_dir) {
                    if name.starts_with(STAGING_PREFIX) {
                        std::fs::remove_dir_all(takes_dir.join(&name))
                            .map_err(|e| format!("{}: {e}", takes_dir.join(&name).display()))?;
                        done.push(format!(
                            "removed a half-written take ({chapter}/{scene}/{shot}/takes/{name})"
                        ));
                    }
                }
            }
        }
    }
    if !commit || !project.join(".git").exists() {
        return Ok(done);
    }
    let repo = git::open(project)?;
    let st = renders_status(&repo)?;
    let mut adds: Vec<String> = st
        .untracked
        .iter()
        .filter(|p| is_take_path(p))
        .cloned()
        .collect();
    let mut removes = Vec::new();
    for c in st.modified.iter().chain(st.staged.iter()) {
        if !is_take_path(&c.path) {
            continue;
        }
        if project.join(&c.path).exists() {
            adds.push(c.path.clone());
        } else {
            removes.push(c.path.clone());
        }
    }
    // Untracked folders come back as one entry ending in `/`: commit their files.
    let mut files = Vec::new();
    for a in adds {
        let full = project.join(&a);
        if takes::is_real_dir(&full) {
            walk_files(project, &full, &mut files);
        } else {
            files.push(a);
        }
    }
    files.sort();
    files.dedup();
    removes.sort();
    removes.dedup();
    if files.is_empty() && removes.is_empty() {
        return Ok(done);
    }
    let id = commit_paths(
        &repo,
        &files,
        &removes,
        "render: finish takes a crash left uncommitted",
    )?;
    done.push(format!(
        "committed {} a crash left uncommitted ({})",
        crate::util::count(files.len() + removes.len(), "take file"),
        &id[..7.min(id.len())]
    ));
    Ok(done)
}

/// `git status` of `03_Renders/` only (a take write must not walk the whole project).
fn renders_status(repo: &git2::Repository) -> Result<git::GitStatus, String> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .pathspec(RENDERS_DIR);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(|e| e.message().to_string())?;
    let workdir = git::workdir(repo);
    let mut st = git::GitStatus::default();
    for entry in statuses.iter() {
        let Ok(path) = entry.path() else { continue };
        let s = entry.status();
        let change = |kind: &str| git::FileChange {
            path: path.into(),
            kind: kind.into(),
        };
        if s.contains(git2::Status::WT_NEW) {
            st.untracked.push(path.into());
        } else if s.contains(git2::Status::WT_DELETED) {
            st.modified.push(change("deleted"));
        } else if s.intersects(git2::Status::WT_MODIFIED | git2::Status::WT_TYPECHANGE) {
            if !lfs::unchanged_lfs_file(repo, &workdir, path) {
                st.modified.push(change("modified"));
            }
        } else if s.intersects(
            git2::Status::INDEX_NEW | git2::Status::INDEX_MODIFIED | git2::Status::INDEX_DELETED,
        ) {
            st.staged.push(change("staged"));
        }
    }
    Ok(st)
}

fn walk_files(project: &Path, dir: &Path, out: &mut Vec<String>) {
    for d in takes::subdirs(dir) {
        walk_files(project, &dir.join(d), out);
    }
    for f in takes::files(dir) {
        if let Ok(rel) = dir.join(f).strip_prefix(project) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn take_dir_rel(folder: &ShotFolder, id: &str) -> String {
    format!("{}/{id}", folder.takes_rel())
}

fn metadata_rel(project: &Path, folder: &ShotFolder, id: &str) -> Result<String, String> {
    let rel = take_dir_rel(folder, id);
    let dir = project.join(&rel);
    let names = takes::files(&dir);
    let want = format!("{}_{id}_metadata.json", folder.shot);
    names
        .iter()
        .find(|n| **n == want)
        .or_else(|| names.iter().find(|n| n.ends_with("_metadata.json")))
        .map(|n| format!("{rel}/{n}"))
        .ok_or_else(|| format!("{rel} has no metadata file"))
}

fn edit_metadata(
    project: &Path,
    folder: &ShotFolder,
    id: &str,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Result<String, String> {
    let rel = metadata_rel(project, folder, id)?;
    let path = project.join(&rel);
    let mut value: Value = takes::read_json(&path).map_err(|e| format!("{rel}: {e}"))?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| format!("{rel}: not a JSON object"))?;
    edit(obj);
    let text = serde_json::to_string_pretty(&value).expect("serialises");
    crate::util::write_atomic(&path, text.as_bytes()).map_err(|e| format!("{rel}: {e}"))?;
    Ok(rel)
}

/// Writes `active_take.json` (the web studio's fields) and `metadata.activeTakes` in
/// `project.json`; returns the paths written.
fn write_active(
    project: &Path,
    folder: &ShotFolder,
    take: Option<&str>,
) -> Result<Vec<String>, String> {
    let rel = format!("{}/{}", folder.rel(), takes::ACTIVE_TAKE_FILE);
    let path = project.join(&rel);
    let mut written = vec![rel.clone()];
    match take {
        Some(id) => {
            let doc = json!({
                "shotId": folder.shot_id(),
                "activeTakeId": id,
                "updated": crate::util::iso8601(crate::util::now_ms()),
            });
            let text = serde_json::to_string_pretty(&doc).expect("serialises");
            crate::util::write_atomic(&path, text.as_bytes()).map_err(|e| format!("{rel}: {e}"))?;
        }
        None => {
            if std::fs::symlink_metadata(&path).is_ok() {
                std::fs::remove_file(&path).map_err(|e| format!("{rel}: {e}"))?;
            }
        }
    }
    if let Ok(mut m) = crate::workspace::project::read_manifest(project) {
        match take {
            Some(id) => {
                m.metadata
                    .active_takes
                    .insert(folder.shot_id(), Value::String(id.into()));
            }
            None => {
                m.metadata.active_takes.remove(&folder.shot_id());
            }
        }
        crate::workspace::project::write_manifest(project, &mut m)?;
        written.push(crate::model::manifest::MANIFEST_FILE.into());
    }
    Ok(written)
}

/// Applies a review action to take `number` of the shot and commits it when `commit`.
/// Returns a one-line summary.
pub fn apply(
    project: &Path,
    folder: &ShotFolder,
    number: u32,
    action: &TakeAction,
    commit: bool,
) -> Result<String, String> {
    check_inside(project, &folder.takes_rel())?;
    recover(project, commit)?;
    let id = take_id(number);
    let shot = read_shot(project, folder);
    let live = shot.takes.iter().find(|t| t.number == number);
    if live.is_none() && *action != TakeAction::Restore {
        return Err(format!("shot {} has no {id}", folder.shot_id()));
    }
    let mut adds: Vec<String> = Vec::new();
    let mut removes: Vec<String> = Vec::new();
    let summary = match action {
        TakeAction::Activate => {
            let w = write_active(project, folder, Some(&id))?;
            adds.extend(w);
            format!("{} active take: {id}", folder.shot_id())
        }
        TakeAction::Review(r) => {
            adds.push(edit_metadata(project, folder, &id, |m| {
                m.insert("reviewStatus".into(), json!(r.label()));
            })?);
            format!("{} {id}: {}", folder.shot_id(), r.label())
        }
        TakeAction::Star(on) => {
            adds.push(edit_metadata(project, folder, &id, |m| {
                m.insert("starred".into(), json!(on));
            })?);
            format!(
                "{} {id}: {}",
                folder.shot_id(),
                if *on { "starred" } else { "unstarred" }
            )
        }
        TakeAction::Delete => {
            let from_rel = take_dir_rel(folder, &id);
            let now = crate::util::now_ms() / 1000;
            let to_rel = format!("{}/.deleted_{id}_{now}", folder.takes_rel());
            let files = takes::files(&project.join(&from_rel));
            std::fs::rename(project.join(&from_rel), project.join(&to_rel))
                .map_err(|e| format!("{from_rel}: {e}"))?;
            removes.extend(files.iter().map(|f| format!("{from_rel}/{f}")));
            adds.extend(files.iter().map(|f| format!("{to_rel}/{f}")));
            if shot.active.as_deref() == Some(id.as_str()) {
                // As the web studio does: another take becomes active, or none.
                let other = shot
                    .takes
                    .iter()
                    .find(|t| t.number != number)
                    .map(|t| t.id.clone());
                let w = write_active(project, folder, other.as_deref())?;
                for p in w {
                    if project.join(&p).exists() {
                        adds.push(p);
                    } else {
                        removes.push(p);
                    }
                }
            }
            format!(
                "{} {id}: deleted (restore with `slate take restore`)",
                folder.shot_id()
            )
        }
        TakeAction::Restore => {
            if live.is_some() {
                return Err(format!("{id} of shot {} is not deleted", folder.shot_id()));
            }
            let gone = shot
                .deleted
                .iter()
                .filter(|d| d.number == number)
                .max_by_key(|d| d.deleted_at_s)
                .ok_or_else(|| format!("shot {} has no deleted {id}", folder.shot_id()))?;
            let to_rel = take_dir_rel(folder, &id);
            let files = takes::files(&project.join(&gone.dir));
            std::fs::rename(project.join(&gone.dir), project.join(&to_rel))
                .map_err(|e| format!("{}: {e}", gone.dir))?;
            removes.extend(files.iter().map(|f| format!("{}/{f}", gone.dir)));
            adds.extend(files.iter().map(|f| format!("{to_rel}/{f}")));
            format!("{} {id}: restored", folder.shot_id())
        }
    };
    if commit && project.join(".git").exists() {
        let repo = git::open(project)?;
        commit_paths(&repo, &adds, &removes, &format!("take: {summary}"))?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_from_ids_stay_inside() {
        let f = ShotFolder::of(&ShotRef {
            chapter_id: "../..".into(),
            scene_id: "a/b".into(),
            shot_id: "".into(),
            ..Default::default()
        });
        assert!(!f.rel().contains(".."));
        assert_eq!(f.rel().split('/').count(), 4);
        assert_eq!(parse_take("take_007"), Some(7));
        assert_eq!(parse_take("12"), Some(12));
    }
}
