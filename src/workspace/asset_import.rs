//! Writing assets in the web studio's layout: import, rename, delete to the trash and
//! copy from the workspace `Library/`.
//!
//! An import copies each file once, hashing it on the way (the SHA-256 that names its
//! LFS object), into a staging folder under the project's git-ignored `.slate/tmp/`.
//! Only when every file of the batch is complete are the asset folders renamed into
//! `01_Assets/<Category>/<Name>_<id8>/` and committed in one commit that stores the LFS
//! pointers from the hashes already known: the file is never read a second time. A
//! cancel, a failure or a crash before that leaves nothing in the project (a crashed
//! run's staging folder is removed by the next import).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::model::asset::{ASSET_FILE, ASSETS_DIR, AssetMeta};
use crate::workspace::lfs;

const CHUNK: usize = 1 << 20;
/// Bytes kept from the start of a file to read image sizes from.
const HEAD_BYTES: usize = 256 * 1024;
const STAGING: &str = ".slate/tmp";

use crate::model::asset::extension;

const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The web studio's `_sanitize_asset_name`: Unicode letters and digits, `-` and `_`
/// survive, the rest becomes `_`, `_` is trimmed from both ends, nothing left is
/// `untitled_asset`. Slate also keeps names short and off Windows device names.
pub fn sanitize_asset_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut safe: String = safe
        .trim_matches('_')
        .chars()
        .take(crate::model::names::MAX_NAME_CHARS)
        .collect();
    safe = safe.trim_matches('_').to_string();
    if safe.is_empty() {
        return "untitled_asset".into();
    }
    if WINDOWS_RESERVED.contains(&safe.to_ascii_lowercase().as_str()) {
        safe.push_str("_asset");
    }
    safe
}

/// A file name inside an asset folder: the sanitised stem and a lower-case extension of
/// letters and digits (`...hidden.PNG` → `hidden.png`).
pub fn sanitize_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext: String = extension(path)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    let stem = sanitize_asset_name(&stem);
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// A random UUID (version 4), as the web studio's `uuid4()`.
pub fn new_uuid() -> String {
    let mut b = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok();
    if !filled {
        let h = Sha256::digest(crate::model::manifest::new_id("uuid").as_bytes());
        b.copy_from_slice(&h[..16]);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `2026-11-30T12:00:00.123000+00:00`, as Python's `datetime.now(UTC).isoformat()`.
pub fn now_iso() -> String {
    let s = crate::util::iso8601(crate::util::now_ms());
    // iso8601 gives `…Z` (with or without millis); the web studio writes `+00:00`.
    match s.strip_suffix('Z') {
        Some(t) => format!("{t}+00:00"),
        None => s,
    }
}

/// A file accepted for import: where it comes from and what it becomes.
struct Planned {
    source: PathBuf,
    size: u64,
    category: Category,
    name: String,
}

/// A staged asset: its folder in staging, ready to be renamed into place.
struct Staged {
    planned_index: usize,
    id: String,
    folder: String,
    /// Relative to the asset folder.
    file_rel: String,
    pointer: lfs::Pointer,
    extra_files: Vec<String>,
}

/// Expands folders (regular files only, sorted, hidden files and links skipped).
fn expand(files: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
        if depth > 16 {
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                walk(&e.path(), out, depth + 1);
            } else if ft.is_file() {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    for f in files {
        if std::fs::symlink_metadata(f).is_ok_and(|m| m.is_dir()) {
            walk(f, &mut out, 0);
        } else {
            out.push(f.clone());
        }
    }
    out
}

/// Names already used in a category: `asset.json` names and folder names without
/// their `_<id8>`.
fn names_in(project: &Path, category: Category) -> std::collections::HashSet<String> {
    let dir = project.join(ASSETS_DIR).join(category.folder());
    let mut out = std::collections::HashSet::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return out;
    };
    for e in rd.flatten() {
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let folder = e.file_name().to_string_lossy().into_owned();
        if let Ok(text) = std::fs::read_to_string(e.path().join(ASSET_FILE))
            && let Ok(m) = serde_json::from_str::<AssetMeta>(&text)
            && !m.name.is_empty()
        {
            out.insert(m.name.to_lowercase());
        }
        let base = match folder.rsplit_once('_') {
            Some((b, id)) if id.len() == 8 && id.bytes().all(|c| c.is_ascii_hexdigit()) => b,
            _ => folder.as_str(),
        };
        out.insert(base.to_lowercase());
    }
    out
}

/// `name`, or `name_2`, `name_3`… when the category already has it.
fn unique_name(name: &str, taken: &std::collections::HashSet<String>) -> String {
    let free = |n: &str| {
        !taken.contains(&n.to_lowercase())
            && !taken.contains(&sanitize_asset_name(n).to_lowercase())
    };
    if free(name) {
        return name.to_string();
    }
    (2..)
        .map(|i| format!("{name}_{i}"))
        .find(|n| free(n))
        .expect("a free name")
}

fn bytes_limit_text(max: u64) -> String {
    crate::util::format_bytes(max)
}

fn disk_error(path: &Path, e: &std::io::Error) -> String {
    if crate::platform::is_disk_full(e) {
        format!(
            "the disk is full (while writing {}): free some space and try again",
            path.display()
        )
    } else {
        format!("cannot write {}: {e}", path.display())
    }
}

/// Removes staging folders left by imports whose process is gone (a crash or kill).
pub fn clean_stale_staging(project: &Path) {
    let dir = project.join(STAGING);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("import-") else {
            continue;
        };
        let pid: i32 = rest
            .split('-')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let alive = u32::try_from(pid).is_ok_and(crate::platform::pid_alive);
        if !alive {
            std::fs::remove_dir_all(e.path()).ok();
        }
    }
}

/// Imports files into the project's `01_Assets/`. Files that cannot be imported are
/// listed in the report with the reason; the rest are added and (when
/// `options.commit`) committed in one commit. `Err` means nothing was added.
pub fn import(
    project: &Path,
    request: &ImportRequest,
    options: &ImportOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<ImportReport, String> {
    if !project.join("project.json").is_file() {
        return Err(format!("{} is not a project", project.display()));
    }
    clean_stale_staging(project);
    let mut report = ImportReport::default();
    let sources = expand(&request.files);
    if sources.is_empty() {
        return Err("nothing to import: no files given (folders are searched for files)".into());
    }
    // Check every file first: cheap refusals come before any copying.
    let mut planned: Vec<Planned> = Vec::new();
    let mut taken: BTreeMap<Category, std::collections::HashSet<String>> = BTreeMap::new();
    for source in &sources {
        let fail = |error: String, choose: Vec<Category>| ImportFailure {
            source: source.clone(),
            error,
            choose,
        };
        let shown = source.display();
        let meta = match std::fs::metadata(source) {
            Ok(m) => m,
            Err(e) => {
                report
                    .failed
                    .push(fail(format!("cannot read {shown}: {e}"), vec![]));
                continue;
            }
        };
        if !meta.is_file() {
            report
                .failed
                .push(fail(format!("{shown} is not a regular file"), vec![]));
            continue;
        }
        if options.max_bytes > 0 && meta.len() > options.max_bytes {
            report.failed.push(fail(
                format!(
                    "{shown} is {}, over the import limit of {} (Settings → Workspace → \"Largest asset to import (MiB)\", workspace.asset_max_mib)",
                    crate::util::format_bytes(meta.len()),
                    bytes_limit_text(options.max_bytes)
                ),
                vec![],
            ));
            continue;
        }
        let category = match request.category {
            Some(c) => c,
            None => match Category::for_file(source) {
                Ok(c) => c,
                Err(choices) => {
                    let words: Vec<&str> = choices.iter().map(|c| c.flag()).collect();
                    report.failed.push(fail(
                        format!(
                            "{shown}: its type does not say which kind of asset it is; choose one with --category {}",
                            words.join("|")
                        ),
                        choices,
                    ));
                    continue;
                }
            },
        };
        let base = match &request.name {
            Some(n) if !n.trim().is_empty() => n.trim().to_string(),
            _ => source
                .file_stem()
                .map(|s| s.to_string_lossy().trim().to_string())
                .unwrap_or_default(),
        };
        let base = if sanitize_asset_name(&base) == "untitled_asset" {
            "untitled_asset".to_string()
        } else {
            base
        };
        let used = taken
            .entry(category)
            .or_insert_with(|| names_in(project, category));
        let name = unique_name(&base, used);
        used.insert(name.to_lowercase());
        used.insert(sanitize_asset_name(&name).to_lowercase());
        planned.push(Planned {
            source: source.clone(),
            size: meta.len(),
            category,
            name,
        });
    }
    if planned.is_empty() {
        return Ok(report);
    }

    let staging = project.join(STAGING).join(format!(
        "import-{}-{}",
        std::process::id(),
        &new_uuid()[..8]
    ));
    std::fs::create_dir_all(&staging).map_err(|e| disk_error(&staging, &e))?;
    let result = stage_and_place(
        project,
        &staging,
        &planned,
        options,
        cancel,
        progress,
        &mut report,
    );
    std::fs::remove_dir_all(&staging).ok();
    result?;
    Ok(report)
}

fn stage_and_place(
    project: &Path,
    staging: &Path,
    planned: &[Planned],
    options: &ImportOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&ImportProgress),
    report: &mut ImportReport,
) -> Result<(), String> {
    let total: u64 = planned.iter().map(|p| p.size).sum();
    let mut done = 0u64;
    let mut staged: Vec<Staged> = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        let id = new_uuid();
        let folder = format!("{}_{}", sanitize_asset_name(&p.name), &id[..8]);
        let dir = staging.join(&folder);
        let role = file_role(&p.source);
        let sub = match (p.category, role) {
            (Category::Character, "image") => "base/",
            (Category::Character, "model") => "lora/",
            _ => "",
        };
        let file_rel = format!("{sub}{}", sanitize_file_name(&p.source));
        let mut extra_files = Vec::new();
        if p.category == Category::Character {
            for part in ["base", "lora", "variations"] {
                let d = dir.join(part);
                std::fs::create_dir_all(&d).map_err(|e| disk_error(&d, &e))?;
                if !file_rel.starts_with(&format!("{part}/")) {
                    std::fs::write(d.join(".gitkeep"), b"").map_err(|e| disk_error(&d, &e))?;
                    extra_files.push(format!("{part}/.gitkeep"));
                }
            }
        } else {
            std::fs::create_dir_all(&dir).map_err(|e| disk_error(&dir, &e))?;
        }
        let dest = dir.join(&file_rel);
        let name_only = p
            .source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let copied = copy_hashing(&p.source, &dest, cancel, &mut |n| {
            progress(&ImportProgress {
                file: name_only.clone(),
                index: i,
                files: planned.len(),
                done_bytes: done + n,
                total_bytes: total,
            })
        });
        let (pointer, head) = match copied {
            Ok(x) => x,
            Err(CopyError::Cancelled) => {
                report.cancelled = true;
                report.imported.clear();
                return Ok(());
            }
            Err(CopyError::Source(e)) => {
                // An unreadable file is skipped; the others go on.
                std::fs::remove_dir_all(&dir).ok();
                report.failed.push(ImportFailure {
                    source: p.source.clone(),
                    error: e,
                    choose: vec![],
                });
                continue;
            }
            Err(CopyError::Dest(e)) => return Err(e),
        };
        done += p.size;
        let media = media_facts(&dest, &head);
        let now = now_iso();
        let mut files = serde_json::Map::new();
        files.insert(role.into(), Value::String(file_rel.clone()));
        let meta = json!({
            "id": id,
            "name": p.name,
            "category": p.category.folder(),
            "type": p.category.folder().to_lowercase(),
            "version": "1.0",
            "created_at": now,
            "updated_at": now,
            "tags": [],
            "metadata": {
                "sha256": pointer.oid,
                "size": pointer.size,
                "original_path": p.source.to_string_lossy(),
                "original_name": name_only,
                "imported_at": now,
                "media": media,
            },
            "files": files,
            "preview": if role == "image" { Value::String(file_rel.clone()) } else { Value::Null },
            "path": format!("{}/{folder}", p.category.folder()),
        });
        let json_path = dir.join(ASSET_FILE);
        let mut text = serde_json::to_string_pretty(&meta).expect("json");
        text.push('\n');
        std::fs::write(&json_path, text).map_err(|e| disk_error(&json_path, &e))?;
        staged.push(Staged {
            planned_index: i,
            id,
            folder,
            file_rel,
            pointer,
            extra_files,
        });
    }
    if cancel.load(Ordering::Relaxed) {
        report.cancelled = true;
        return Ok(());
    }
    if staged.is_empty() {
        return Ok(());
    }
    // Everything is copied: store the LFS objects and move the folders into place.
    let repo = git2::Repository::open(project).ok();
    let patterns = lfs::LfsRules::new(repo.as_ref(), project);
    let mut placed: Vec<PathBuf> = Vec::new();
    let placing = (|| -> Result<(), String> {
        for s in &staged {
            let p = &planned[s.planned_index];
            let rel_dir = format!("{ASSETS_DIR}/{}/{}", p.category.folder(), s.folder);
            let rel_file = format!("{rel_dir}/{}", s.file_rel);
            if let Some(repo) = &repo
                && patterns.matches(&rel_file)
                && s.pointer.size > 0
            {
                link_object(
                    repo.path(),
                    &staging.join(&s.folder).join(&s.file_rel),
                    &s.pointer,
                )?;
            }
            let target = project.join(&rel_dir);
            let parent = target.parent().expect("category folder");
            std::fs::create_dir_all(parent).map_err(|e| disk_error(parent, &e))?;
            std::fs::rename(staging.join(&s.folder), &target)
                .map_err(|e| disk_error(&target, &e))?;
            placed.push(target);
        }
        Ok(())
    })();
    if let Err(e) = placing {
        for t in placed {
            std::fs::remove_dir_all(t).ok();
        }
        return Err(e);
    }
    for s in &staged {
        let p = &planned[s.planned_index];
        let rel_dir = format!("{ASSETS_DIR}/{}/{}", p.category.folder(), s.folder);
        report.imported.push(ImportedAsset {
            id: s.id.clone(),
            name: p.name.clone(),
            category: p.category,
            file: format!("{rel_dir}/{}", s.file_rel),
            path: rel_dir,
            sha256: s.pointer.oid.clone(),
            size: s.pointer.size,
            source: p.source.clone(),
        });
    }
    if options.commit
        && let Some(repo) = &repo
    {
        let message = commit_message(&report.imported);
        let mut entries: Vec<(String, Option<lfs::Pointer>)> = Vec::new();
        for (s, a) in staged.iter().zip(&report.imported) {
            entries.push((a.file.clone(), Some(s.pointer.clone())));
            entries.push((format!("{}/{ASSET_FILE}", a.path), None));
            for x in &s.extra_files {
                entries.push((format!("{}/{x}", a.path), None));
            }
        }
        match commit_entries(repo, project, &entries, &patterns, &message) {
            Ok(id) => {
                report.commit = Some(id);
                report.commit_message = Some(message);
            }
            Err(e) => {
                // Nothing half-committed: the folders go too, so a retry starts clean.
                for a in &report.imported {
                    std::fs::remove_dir_all(project.join(&a.path)).ok();
                }
                report.imported.clear();
                return Err(format!("the import could not be committed: {e}"));
            }
        }
    }
    Ok(())
}

/// "asset: Add 3 characters", "asset: Add 2 characters, 1 model".
pub fn commit_message(imported: &[ImportedAsset]) -> String {
    let mut counts: BTreeMap<Category, usize> = BTreeMap::new();
    for a in imported {
        *counts.entry(a.category).or_default() += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(c, n)| c.plural(*n)).collect();
    format!("asset: Add {}", parts.join(", "))
}

/// Puts a freshly hashed file in the LFS store without reading it again: a copy-on-write
/// clone where the filesystem has them, else a hard link (the staging folder is on the
/// project's filesystem), else a copy.
fn link_object(git_dir: &Path, file: &Path, pointer: &lfs::Pointer) -> Result<(), String> {
    let dest = lfs::object_path(git_dir, &pointer.oid);
    if dest.metadata().is_ok_and(|m| m.len() == pointer.size) {
        return Ok(());
    }
    let parent = dest.parent().expect("object dir");
    std::fs::create_dir_all(parent).map_err(|e| disk_error(parent, &e))?;
    let tmp_dir = git_dir.join("lfs/tmp");
    std::fs::create_dir_all(&tmp_dir).map_err(|e| disk_error(&tmp_dir, &e))?;
    let tmp = tmp_dir.join(format!(
        "slate-import-{}-{}",
        std::process::id(),
        &pointer.oid[..16]
    ));
    std::fs::remove_file(&tmp).ok();
    let made = reflink(file, &tmp)
        .or_else(|_| std::fs::hard_link(file, &tmp))
        .or_else(|_| std::fs::copy(file, &tmp).map(|_| ()));
    if let Err(e) = made {
        std::fs::remove_file(&tmp).ok();
        return Err(disk_error(&tmp, &e));
    }
    std::fs::rename(&tmp, &dest).map_err(|e| {
        std::fs::remove_file(&tmp).ok();
        disk_error(&dest, &e)
    })
}

pub use crate::model::asset::{
    Category, ImportFailure, ImportOptions, ImportProgress, ImportReport, ImportRequest,
    ImportedAsset, file_role,
};
use crate::platform::reflink;

/// Commits these files on top of HEAD in one commit (LFS files as pointers from the
/// hashes already known), and records them in the index with their stat data, leaving
/// whatever else the user staged as it was.
fn commit_entries(
    repo: &git2::Repository,
    workdir: &Path,
    entries: &[(String, Option<lfs::Pointer>)],
    patterns: &lfs::LfsRules<'_>,
    message: &str,
) -> Result<String, String> {
    let err = |e: git2::Error| e.message().to_string();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let mut update = git2::build::TreeUpdateBuilder::new();
    let mut blobs = Vec::new();
    for (rel, pointer) in entries {
        let blob = match pointer {
            Some(p) if patterns.matches(rel) && p.size > 0 => {
                repo.blob(p.text().as_bytes()).map_err(err)?
            }
            _ => {
                // Small files (asset.json, .gitkeep); a non-LFS import is read here.
                let bytes = std::fs::read(workdir.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
                repo.blob(&bytes).map_err(err)?
            }
        };
        update.upsert(rel.as_str(), blob, git2::FileMode::Blob);
        blobs.push((rel.clone(), blob));
    }
    let sig = crate::workspace::git::signature(repo);
    let id = match &parent {
        Some(parent) => {
            let base = parent.tree().map_err(err)?;
            let tree_id = update.create_updated(repo, &base).map_err(err)?;
            let tree = repo.find_tree(tree_id).map_err(err)?;
            repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[parent])
                .map_err(err)?
        }
        None => {
            let mut index = repo.index().map_err(err)?;
            for (rel, _) in &blobs {
                index.add_path(Path::new(rel)).map_err(err)?;
            }
            let tree_id = index.write_tree().map_err(err)?;
            let tree = repo.find_tree(tree_id).map_err(err)?;
            repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[])
                .map_err(err)?
        }
    };
    let mut index = repo.index().map_err(err)?;
    for (rel, blob) in &blobs {
        lfs::index_add_known(&mut index, workdir, rel, *blob)?;
    }
    index.write().map_err(err)?;
    Ok(id.to_string())
}

enum CopyError {
    Cancelled,
    /// Reading the source failed: that file is skipped.
    Source(String),
    /// Writing failed (full disk…): the import stops.
    Dest(String),
}

/// Copies `src` to `dest` in one pass, hashing each chunk on a helper thread while this
/// one writes it (so the copy costs about max(hash, write)). Returns the LFS pointer and
/// the first bytes (for image sizes). A cancel removes the partial file.
fn copy_hashing(
    src: &Path,
    dest: &Path,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(u64),
) -> Result<(lfs::Pointer, Vec<u8>), CopyError> {
    let mut input = std::fs::File::open(src)
        .map_err(|e| CopyError::Source(format!("cannot read {}: {e}", src.display())))?;
    let result = (|| {
        let mut out =
            std::fs::File::create(dest).map_err(|e| CopyError::Dest(disk_error(dest, &e)))?;
        let mut head = Vec::new();
        let (to_hasher, chunks) = crossbeam_channel::bounded::<std::sync::Arc<Vec<u8>>>(4);
        let (size, oid) = std::thread::scope(|scope| -> Result<(u64, String), CopyError> {
            let hasher = scope.spawn(move || {
                let mut h = Sha256::new();
                for c in chunks {
                    h.update(&c[..]);
                }
                h.finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            });
            let mut size = 0u64;
            let mut last_report = std::time::Instant::now();
            let copied = (|| -> Result<(), CopyError> {
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(CopyError::Cancelled);
                    }
                    let mut buf = vec![0u8; CHUNK];
                    let n = read_full(&mut input, &mut buf).map_err(|e| {
                        CopyError::Source(format!("cannot read {}: {e}", src.display()))
                    })?;
                    if n == 0 {
                        return Ok(());
                    }
                    buf.truncate(n);
                    if head.len() < HEAD_BYTES {
                        let take = (HEAD_BYTES - head.len()).min(n);
                        head.extend_from_slice(&buf[..take]);
                    }
                    let chunk = std::sync::Arc::new(buf);
                    to_hasher.send(chunk.clone()).ok();
                    out.write_all(&chunk)
                        .map_err(|e| CopyError::Dest(disk_error(dest, &e)))?;
                    size += n as u64;
                    if last_report.elapsed() >= std::time::Duration::from_millis(100) {
                        last_report = std::time::Instant::now();
                        progress(size);
                    }
                }
            })();
            drop(to_hasher);
            let oid = hasher.join().expect("hasher thread");
            copied.map(|()| (size, oid))
        })?;
        out.flush()
            .map_err(|e| CopyError::Dest(disk_error(dest, &e)))?;
        progress(size);
        Ok((lfs::Pointer { oid, size }, head))
    })();
    if result.is_err() {
        std::fs::remove_file(dest).ok();
    }
    result
}

/// Reads until `buf` is full or the file ends (fewer, larger writes).
fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Media facts for `asset.json`: image width/height from the file's header; duration,
/// codec and frame rate of audio and video from ffprobe where it is installed.
pub fn media_facts(file: &Path, head: &[u8]) -> Value {
    let mut m = serde_json::Map::new();
    if let Some((w, h)) = image_size(head) {
        m.insert("width".into(), json!(w));
        m.insert("height".into(), json!(h));
    }
    if matches!(file_role(file), "audio" | "video")
        && let Some(probe) = ffprobe(file)
    {
        for (k, v) in probe {
            m.insert(k, v);
        }
    }
    Value::Object(m)
}

/// Width and height from a PNG, JPEG, GIF, BMP or WebP header.
pub fn image_size(b: &[u8]) -> Option<(u32, u32)> {
    let be32 =
        |i: usize| -> Option<u32> { Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    let le16 = |i: usize| -> Option<u32> {
        Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?) as u32)
    };
    if b.starts_with(b"\x89PNG\r\n\x1a\n") && b.get(12..16) == Some(b"IHDR") {
        return Some((be32(16)?, be32(20)?));
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some((le16(6)?, le16(8)?));
    }
    if b.starts_with(b"BM") {
        let w = i32::from_le_bytes(b.get(18..22)?.try_into().ok()?);
        let h = i32::from_le_bytes(b.get(22..26)?.try_into().ok()?);
        return Some((w.unsigned_abs(), h.unsigned_abs()));
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return match b.get(12..16)? {
            b"VP8X" => {
                let w = u32::from_le_bytes([b[24], b[25], b[26], 0]) + 1;
                let h = u32::from_le_bytes([b[27], b[28], b[29], 0]) + 1;
                Some((w, h))
            }
            b"VP8 " => Some((le16(26)? & 0x3fff, le16(28)? & 0x3fff)),
            b"VP8L" => {
                let v = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
                Some(((v & 0x3fff) + 1, ((v >> 14) & 0x3fff) + 1))
            }
            _ => None,
        };
    }
    if b.starts_with(&[0xff, 0xd8]) {
        let mut i = 2;
        while i + 9 < b.len() {
            if b[i] != 0xff {
                i += 1;
                continue;
            }
            let marker = b[i + 1];
            if marker == 0xff {
                i += 1;
                continue;
            }
            let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
            if matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc) {
                let h = u16::from_be_bytes([b[i + 5], b[i + 6]]) as u32;
                let w = u16::from_be_bytes([b[i + 7], b[i + 8]]) as u32;
                return Some((w, h));
            }
            i += 2 + len;
        }
    }
    None
}

/// Duration, codec, frame rate and sample rate from ffprobe, or `None` when ffprobe is
/// not installed or cannot read the file (within a few seconds).
fn ffprobe(file: &Path) -> Option<serde_json::Map<String, Value>> {
    let out = run_capture(
        std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
            ])
            .arg(file),
        10,
        1 << 20,
    )?;
    let v: Value = serde_json::from_slice(&out).ok()?;
    let mut m = serde_json::Map::new();
    if let Some(d) = v["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse::<f64>().ok())
    {
        m.insert("duration_s".into(), json!(d));
    }
    let streams = v["streams"].as_array().cloned().unwrap_or_default();
    let video = streams.iter().find(|s| s["codec_type"] == "video");
    let audio = streams.iter().find(|s| s["codec_type"] == "audio");
    if let Some(c) = video.or(audio).and_then(|s| s["codec_name"].as_str()) {
        m.insert("codec".into(), json!(c));
    }
    if let Some(s) = video {
        if let (Some(w), Some(h)) = (s["width"].as_u64(), s["height"].as_u64()) {
            m.insert("width".into(), json!(w));
            m.insert("height".into(), json!(h));
        }
        if let Some((a, b)) = s["avg_frame_rate"].as_str().and_then(|r| r.split_once('/'))
            && let (Ok(a), Ok(b)) = (a.parse::<f64>(), b.parse::<f64>())
            && b > 0.0
        {
            m.insert("fps".into(), json!((a / b * 1000.0).round() / 1000.0));
        }
    }
    if let Some(s) = audio {
        if let Some(r) = s["sample_rate"]
            .as_str()
            .and_then(|r| r.parse::<u64>().ok())
        {
            m.insert("sample_rate".into(), json!(r));
        }
        if let Some(c) = s["channels"].as_u64() {
            m.insert("channels".into(), json!(c));
        }
    }
    Some(m)
}

/// Runs a tool and returns its stdout (at most `max` bytes), or `None` when it is not
/// installed, fails, or takes longer than `secs` (then it is killed).
fn run_capture(cmd: &mut std::process::Command, secs: u64, max: u64) -> Option<Vec<u8>> {
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        stdout.take(max).read_to_end(&mut v).ok();
        v
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let ok = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st.success(),
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                child.kill().ok();
                child.wait().ok();
                break false;
            }
        }
    };
    let out = reader.join().ok()?;
    ok.then_some(out)
}

/// The asset folder `rel` (relative to the project), checked to be an asset folder
/// inside `01_Assets/<Category>/` (no path leaves the project).
fn asset_dir(project: &Path, rel: &str) -> Result<PathBuf, String> {
    let parts: Vec<&str> = rel.trim_matches('/').split('/').collect();
    let ok = parts.len() == 3
        && parts[0] == ASSETS_DIR
        && parts
            .iter()
            .all(|p| !p.is_empty() && *p != "." && *p != ".." && !p.contains('\\'));
    if !ok {
        return Err(format!(
            "{rel:?} is not an asset folder (01_Assets/<Category>/<Name>)"
        ));
    }
    let dir = project.join(rel.trim_matches('/'));
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => Ok(dir),
        _ => Err(format!("no asset folder {rel}")),
    }
}

/// Renames an asset: its `asset.json` name and its folder (`<Name>_<id8>`), in one commit.
/// Returns the new folder, relative to the project.
pub fn rename(project: &Path, rel: &str, new_name: &str) -> Result<String, String> {
    let dir = asset_dir(project, rel)?;
    let new_name = new_name.trim();
    if new_name.is_empty() {
        return Err("give the asset a name".into());
    }
    let parts: Vec<&str> = rel.trim_matches('/').split('/').collect();
    let folder = parts[2];
    let suffix = match folder.rsplit_once('_') {
        Some((_, id)) if id.len() == 8 && id.bytes().all(|c| c.is_ascii_hexdigit()) => {
            id.to_string()
        }
        _ => new_uuid()[..8].to_string(),
    };
    let new_folder = format!("{}_{suffix}", sanitize_asset_name(new_name));
    let new_rel = format!("{ASSETS_DIR}/{}/{new_folder}", parts[1]);
    let target = project.join(&new_rel);
    if new_folder != folder && std::fs::symlink_metadata(&target).is_ok() {
        return Err(format!("{new_rel} already exists"));
    }
    let json_path = dir.join(ASSET_FILE);
    let mut meta: Value = std::fs::read_to_string(&json_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| json!({}));
    let old_name = meta["name"].as_str().unwrap_or(folder).to_string();
    meta["name"] = json!(new_name);
    meta["updated_at"] = json!(now_iso());
    if meta.get("path").is_some() {
        meta["path"] = json!(format!("{}/{new_folder}", parts[1]));
    }
    let mut text = serde_json::to_string_pretty(&meta).expect("json");
    text.push('\n');
    crate::util::write_atomic(&json_path, text.as_bytes())
        .map_err(|e| disk_error(&json_path, &e))?;
    if new_folder != folder {
        std::fs::rename(&dir, &target).map_err(|e| disk_error(&target, &e))?;
    }
    commit_paths(
        project,
        &[rel.trim_matches('/').to_string(), new_rel.clone()],
        &format!("asset: Rename {old_name} to {new_name}"),
    )?;
    Ok(new_rel)
}

/// Moves an asset folder to the OS trash, or, when there is no usable trash, to the
/// project's git-ignored `.slate/cache/trash/`, and commits its removal. Returns where it
/// went, in words.
pub fn delete_to_trash(project: &Path, rel: &str) -> Result<String, String> {
    let dir = asset_dir(project, rel)?;
    let dest = match crate::workspace::project::move_to_trash(&dir) {
        Ok(()) => "the trash".to_string(),
        Err(_) => {
            let folder = dir.file_name().expect("asset folder").to_string_lossy();
            let trash = project
                .join(".slate/cache/trash")
                .join(format!("{}-{folder}", crate::util::now_ms()));
            let parent = trash.parent().expect("trash folder");
            std::fs::create_dir_all(parent).map_err(|e| disk_error(parent, &e))?;
            std::fs::rename(&dir, &trash).map_err(|e| disk_error(&trash, &e))?;
            trash.display().to_string()
        }
    };
    let name = rel.rsplit('/').next().unwrap_or(rel);
    commit_paths(
        project,
        &[rel.trim_matches('/').to_string()],
        &format!("asset: Delete {name}"),
    )?;
    Ok(dest)
}

/// Stages everything under these paths (new, changed, removed) and commits only them.
fn commit_paths(project: &Path, roots: &[String], message: &str) -> Result<(), String> {
    let Ok(repo) = git2::Repository::open(project) else {
        return Ok(());
    };
    let st = crate::workspace::git::status(&repo)?;
    let under = |p: &str| {
        roots
            .iter()
            .any(|r| p == r || p.starts_with(&format!("{r}/")))
    };
    let mut paths: Vec<String> = st
        .untracked
        .iter()
        .cloned()
        .chain(st.modified.iter().map(|c| c.path.clone()))
        .filter(|p| under(p))
        .collect();
    // Untracked folders are listed as the folder: expand to files.
    let mut files = Vec::new();
    for p in paths.drain(..) {
        let full = project.join(&p);
        if full.is_dir() {
            for f in expand_all(&full) {
                if let Ok(r) = f.strip_prefix(project) {
                    files.push(r.to_string_lossy().into_owned());
                }
            }
        } else {
            files.push(p);
        }
    }
    crate::workspace::git::stage_paths(&repo, &files)?;
    match crate::workspace::git::commit_index(&repo, message) {
        Ok(_) => Ok(()),
        Err(e) if e.starts_with("nothing to commit") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Every regular file under `dir` (dot files included, links not followed).
fn expand_all(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                out.push(e.path());
            }
        }
    }
    out
}

/// Copies a `Library/<Category>/<folder>` asset into the project as a new asset (new id,
/// a `source` block naming the library asset, as the web studio's copy does), in one commit.
pub fn copy_from_library(
    workspace: &Path,
    project: &Path,
    library_rel: &str,
    cancel: &AtomicBool,
) -> Result<ImportReport, String> {
    let parts: Vec<&str> = library_rel.trim_matches('/').split('/').collect();
    let ok = parts.len() == 3
        && parts[0] == crate::model::asset::LIBRARY_DIR
        && parts
            .iter()
            .all(|p| !p.is_empty() && *p != "." && *p != "..");
    if !ok {
        return Err(format!(
            "{library_rel:?} is not a library asset (Library/<Category>/<Name>)"
        ));
    }
    let src = workspace.join(library_rel);
    if !std::fs::symlink_metadata(&src).is_ok_and(|m| m.is_dir()) {
        return Err(format!("no library asset {library_rel}"));
    }
    let category = Category::from_folder(parts[1])
        .ok_or_else(|| format!("unknown asset category {:?}", parts[1]))?;
    let meta: Option<AssetMeta> = std::fs::read_to_string(src.join(ASSET_FILE))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let name = meta
        .as_ref()
        .map(|m| m.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| parts[2].to_string());
    // The main file: the asset's first listed file, else the first regular file.
    let listed = meta
        .as_ref()
        .and_then(|m| m.files.as_object().cloned())
        .and_then(|o| {
            o.values()
                .filter_map(|v| v.as_str().map(String::from))
                .next()
        });
    let file = listed
        .map(|f| src.join(f))
        .filter(|f| f.starts_with(&src) && !f.components().any(|c| c.as_os_str() == ".."))
        .filter(|f| std::fs::symlink_metadata(f).is_ok_and(|m| m.is_file()))
        .or_else(|| {
            expand(std::slice::from_ref(&src))
                .into_iter()
                .find(|f| f.file_name().is_some_and(|n| n != ASSET_FILE))
        })
        .ok_or_else(|| format!("{library_rel} holds no file to copy"))?;
    let request = ImportRequest {
        files: vec![file],
        category: Some(category),
        name: Some(name),
    };
    let mut report = import(
        project,
        &request,
        &ImportOptions::default(),
        cancel,
        &mut |_| {},
    )?;
    // Record where it came from (the web studio's `source` block) in a follow-up amend
    // of asset.json before anything else sees it.
    if let Some(a) = report.imported.first().cloned() {
        let json_path = project.join(&a.path).join(ASSET_FILE);
        if let Ok(text) = std::fs::read_to_string(&json_path)
            && let Ok(mut v) = serde_json::from_str::<Value>(&text)
        {
            v["copied_at"] = json!(now_iso());
            v["source"] = json!({
                "library_asset_id": meta.as_ref().map(|m| m.id.clone()).unwrap_or_default(),
                "library_asset_name": a.name,
                "library_path": library_rel.trim_start_matches("Library/"),
                "copied_from": "workspace_library",
            });
            let mut text = serde_json::to_string_pretty(&v).expect("json");
            text.push('\n');
            crate::util::write_atomic(&json_path, text.as_bytes())
                .map_err(|e| disk_error(&json_path, &e))?;
            commit_paths(
                project,
                std::slice::from_ref(&a.path),
                &format!("asset: Copy {} from the library", a.name),
            )?;
            report.commit_message = Some(format!("asset: Copy {} from the library", a.name));
        }
    }
    Ok(report)
}

/// A shot's linked assets for generation: each id in the shot's `assets` list resolved
/// to its folder and main file (relative to the project), in the shot's order. Ids with
/// no folder are left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkedAsset {
    pub id: String,
    pub name: String,
    pub category: String,
    pub path: String,
    /// The asset's main file (its first `files` entry), when it lists one.
    pub file: Option<String>,
}

pub fn linked_assets(project: &Path, ids: &[String]) -> Vec<LinkedAsset> {
    let all = crate::workspace::assets::scan_project(project);
    ids.iter()
        .filter_map(|id| {
            let a = all.iter().find(|a| a.id.as_deref() == Some(id.as_str()))?;
            let file = a
                .meta
                .as_ref()
                .and_then(|m| m.files.as_object())
                .and_then(|o| o.values().find_map(|v| v.as_str()))
                .filter(|f| !f.split('/').any(|c| c == ".." || c.is_empty()))
                .map(|f| format!("{}/{f}", a.path));
            Some(LinkedAsset {
                id: id.clone(),
                name: a.name.clone(),
                category: a.category.clone(),
                path: a.path.clone(),
                file,
            })
        })
        .collect()
}

/// A thumbnail of an image file, at most `max_px` on its longer side, as RGBA pixels
/// (width, height, bytes). PNG and JPEG; the caller shows an icon for anything else.
pub fn thumbnail(path: &Path, max_px: u32) -> Result<(u32, u32, Vec<u8>), String> {
    // A link could point out of the project: only regular files are read.
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return Err(format!("{} is not a regular file", path.display()));
    }
    let img = match file_role(path) {
        "audio" => waveform(path, max_px)?,
        "video" => poster_frame(path, max_px)?,
        _ => image::ImageReader::open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .with_guessed_format()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .decode()
            .map_err(|e| format!("{}: {e}", path.display()))?,
    };
    let thumb = if img.width() > max_px || img.height() > max_px {
        img.thumbnail(max_px, max_px)
    } else {
        img
    };
    let rgba = thumb.to_rgba8();
    Ok((rgba.width(), rgba.height(), rgba.into_raw()))
}

/// A video's first frame, through ffmpeg (when it is installed).
fn poster_frame(path: &Path, max_px: u32) -> Result<image::DynamicImage, String> {
    let png = run_capture(
        std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(path)
            .args([
                "-frames:v",
                "1",
                "-vf",
                &format!("scale={max_px}:-2"),
                "-f",
                "image2pipe",
                "-vcodec",
                "png",
                "-",
            ]),
        15,
        64 << 20,
    )
    .filter(|b| !b.is_empty())
    .ok_or("no poster frame (ffmpeg is not installed or cannot read the video)")?;
    image::load_from_memory(&png).map_err(|e| e.to_string())
}

/// A picture of an audio file's waveform: 16-bit PCM WAV read directly, anything else
/// decoded by ffmpeg (when it is installed) to 8 kHz mono, at most ten minutes of it.
fn waveform(path: &Path, max_px: u32) -> Result<image::DynamicImage, String> {
    let samples: Vec<i16> = match wav_pcm16_mono(path) {
        Some(s) => s,
        None => {
            let raw = run_capture(
                std::process::Command::new("ffmpeg")
                    .args(["-v", "error", "-t", "600", "-i"])
                    .arg(path)
                    .args(["-ac", "1", "-ar", "8000", "-f", "s16le", "-"]),
                20,
                600 * 8000 * 2,
            )
            .ok_or("no waveform (ffmpeg is not installed or cannot read the audio)")?;
            raw.chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect()
        }
    };
    let (w, h) = (max_px.max(16), (max_px / 2).max(8));
    let mut img = image::RgbaImage::from_pixel(w, h, image::Rgba([24, 28, 34, 255]));
    let per = (samples.len() / w as usize).max(1);
    let mid = h as f32 / 2.0;
    for x in 0..w {
        let part = samples
            .iter()
            .skip(x as usize * per)
            .take(per)
            .map(|s| (*s as f32 / 32768.0).abs());
        let peak = part.fold(0.0f32, f32::max).min(1.0);
        let half = (peak * mid).max(0.5);
        let (top, bottom) = ((mid - half) as u32, ((mid + half) as u32).min(h - 1));
        for y in top..=bottom {
            img.put_pixel(x, y, image::Rgba([76, 141, 246, 255]));
        }
    }
    Ok(image::DynamicImage::ImageRgba8(img))
}

/// The samples of a 16-bit PCM WAV (first channel), at most 64 MiB of data read.
fn wav_pcm16_mono(path: &Path) -> Option<Vec<i16>> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = [0u8; 12];
    f.read_exact(&mut head).ok()?;
    if &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    let mut channels = 0u16;
    loop {
        let mut ch = [0u8; 8];
        f.read_exact(&mut ch).ok()?;
        let len = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]) as u64;
        match &ch[0..4] {
            b"fmt " => {
                let mut fmt = vec![0u8; len.min(64) as usize];
                f.read_exact(&mut fmt).ok()?;
                let format = u16::from_le_bytes([fmt[0], fmt[1]]);
                channels = u16::from_le_bytes([fmt[2], fmt[3]]);
                let bits = u16::from_le_bytes([fmt[14], fmt[15]]);
                if format != 1 || bits != 16 || channels == 0 {
                    return None;
                }
                if len > 64 {
                    std::io::copy(&mut (&mut f).take(len - 64), &mut std::io::sink()).ok()?;
                }
            }
            b"data" if channels > 0 => {
                let mut data = Vec::new();
                (&mut f)
                    .take(len.min(64 << 20))
                    .read_to_end(&mut data)
                    .ok()?;
                let step = 2 * channels as usize;
                return Some(
                    data.chunks_exact(step)
                        .map(|b| i16::from_le_bytes([b[0], b[1]]))
                        .collect(),
                );
            }
            _ => {
                std::io::copy(&mut (&mut f).take(len + (len & 1)), &mut std::io::sink()).ok()?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised_like_the_web_studio() {
        assert_eq!(sanitize_asset_name("My Hero #1"), "My_Hero__1");
        assert_eq!(sanitize_asset_name("../../escape"), "escape");
        assert_eq!(sanitize_asset_name("...hidden"), "hidden");
        assert_eq!(sanitize_asset_name("Café Noir"), "Café_Noir");
        assert_eq!(sanitize_asset_name("東京 物語"), "東京_物語");
        assert_eq!(sanitize_asset_name(".."), "untitled_asset");
        assert_eq!(sanitize_asset_name("🎬"), "untitled_asset");
        assert_eq!(sanitize_asset_name("CON"), "CON_asset");
        assert_eq!(sanitize_asset_name("lpt1"), "lpt1_asset");
        assert_eq!(sanitize_asset_name(&"a".repeat(300)).chars().count(), 80);
        assert_eq!(sanitize_file_name(Path::new("...hidden.PNG")), "hidden.png");
        assert_eq!(sanitize_file_name(Path::new("nul.txt")), "nul_asset.txt");
        assert_eq!(sanitize_file_name(Path::new("a b.tar.gz")), "a_b_tar.gz");
    }

    #[test]
    fn categories_follow_the_web_studio_file_types() {
        assert_eq!(Category::for_file(Path::new("a.wav")), Ok(Category::Music));
        assert_eq!(
            Category::for_file(Path::new("a.EXR")),
            Ok(Category::Location)
        );
        assert_eq!(Category::for_file(Path::new("a.onnx")), Ok(Category::Model));
        assert_eq!(
            Category::for_file(Path::new("a.fountain")),
            Ok(Category::Script)
        );
        assert_eq!(
            Category::for_file(Path::new("a.png")),
            Err(vec![
                Category::Character,
                Category::Style,
                Category::Location
            ])
        );
        assert_eq!(
            Category::for_file(Path::new("a.safetensors")),
            Err(vec![Category::Character, Category::Model])
        );
        assert_eq!(Category::for_file(Path::new("a.xyz")).unwrap_err().len(), 6);
        assert_eq!(Category::parse("Characters"), Some(Category::Character));
        assert_eq!(Category::parse("model"), Some(Category::Model));
    }

    #[test]
    fn image_sizes_from_headers() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(320u32.to_be_bytes());
        png.extend(200u32.to_be_bytes());
        assert_eq!(image_size(&png), Some((320, 200)));
        let gif = b"GIF89a\x40\x01\xc8\x00";
        assert_eq!(image_size(gif), Some((320, 200)));
        let jpeg = [
            0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0, 200, 1, 64, 3, 0, 0, 0,
        ];
        assert_eq!(image_size(&jpeg), Some((320, 200)));
        assert_eq!(image_size(b"nothing"), None);
    }

    #[test]
    fn clashes_get_numbered() {
        let mut taken = std::collections::HashSet::new();
        assert_eq!(unique_name("hero", &taken), "hero");
        taken.insert("hero".to_string());
        assert_eq!(unique_name("hero", &taken), "hero_2");
        taken.insert("hero_2".to_string());
        assert_eq!(unique_name("Hero", &taken), "Hero_3");
    }

    #[test]
    fn wav_files_get_a_waveform_picture() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tone.wav");
        let n = 8000u32;
        let mut b = b"RIFF".to_vec();
        b.extend((36 + n * 2).to_le_bytes());
        b.extend(b"WAVEfmt ");
        b.extend(16u32.to_le_bytes());
        b.extend(1u16.to_le_bytes());
        b.extend(1u16.to_le_bytes());
        b.extend(8000u32.to_le_bytes());
        b.extend(16000u32.to_le_bytes());
        b.extend(2u16.to_le_bytes());
        b.extend(16u16.to_le_bytes());
        b.extend(b"data");
        b.extend((n * 2).to_le_bytes());
        for i in 0..n {
            let v = ((i as f32 / 8.0).sin() * 20000.0 * (i as f32 / n as f32)) as i16;
            b.extend(v.to_le_bytes());
        }
        std::fs::write(&f, b).unwrap();
        let (w, h, px) = thumbnail(&f, 128).unwrap();
        assert_eq!((w, h), (128, 64));
        // Louder at the end: more lit pixels in the last column than the first.
        let lit = |x: u32| {
            (0..h)
                .filter(|y| px[((y * w + x) * 4) as usize + 2] == 246)
                .count()
        };
        assert!(lit(w - 1) > lit(1), "{} vs {}", lit(w - 1), lit(1));
    }
}
