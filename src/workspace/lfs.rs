//! Git LFS, natively: pointers, the local object store, staging, status and smudge, in
//! the standard format so the real `git-lfs` and any LFS server see a normal repository.
//!
//! git2 runs no filters, so files matching the project's LFS patterns are staged here:
//! content hashed while it is copied into `.git/lfs/objects/aa/bb/<oid>` (one pass,
//! bounded memory), a pointer blob in the index, and the working file's stat data in the
//! index entry so `git status` sees a clean tree.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

pub use crate::model::lfs::{LfsFile, Patterns, parse_rules, type_pattern};
use git2::Repository;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The project's `.gitattributes` LFS rules (none when it has no such file).
pub fn load_patterns(workdir: &Path) -> Patterns {
    let text = std::fs::read_to_string(workdir.join(".gitattributes")).unwrap_or_default();
    Patterns::parse(&text)
}

/// Which paths LFS stores, as git decides it: in a repository through git's own
/// attribute lookup (libgit2: every `.gitattributes`, `info/attributes`, macros), else
/// from the root `.gitattributes` text.
pub enum LfsRules<'r> {
    Git(&'r Repository),
    Text(Patterns),
}

impl<'r> LfsRules<'r> {
    pub fn new(repo: Option<&'r Repository>, workdir: &Path) -> Self {
        match repo {
            Some(r) => Self::Git(r),
            None => Self::Text(load_patterns(workdir)),
        }
    }

    /// Whether the `filter` attribute of `path` (relative, `/`-separated) is `lfs`.
    pub fn matches(&self, path: &str) -> bool {
        match self {
            Self::Git(repo) => {
                repo.get_attr(
                    Path::new(path),
                    "filter",
                    git2::AttrCheckFlags::FILE_THEN_INDEX,
                )
                .ok()
                .flatten()
                    == Some("lfs")
            }
            Self::Text(p) => p.matches(path),
        }
    }
}

pub const SPEC_V1: &str = "https://git-lfs.github.com/spec/v1";
const SPEC_LEGACY: &str = "https://hawser.github.com/spec/v1";
/// Pointers are tiny; anything larger is content.
const MAX_POINTER_BYTES: usize = 1024;
const CHUNK: usize = 1 << 20;

/// The LFS patterns a new project starts with: media, models and archives.
pub const DEFAULT_PATTERNS: &[&str] = &[
    "*.mp4",
    "*.mov",
    "*.mkv",
    "*.webm",
    "*.avi",
    "*.exr",
    "*.png",
    "*.jpg",
    "*.jpeg",
    "*.tif",
    "*.tiff",
    "*.psd",
    "*.wav",
    "*.mp3",
    "*.flac",
    "*.aac",
    "*.safetensors",
    "*.ckpt",
    "*.pt",
    "*.pth",
    "*.bin",
    "*.onnx",
    "*.gguf",
    "*.zip",
    "*.tar",
    "*.gz",
    "*.7z",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// Lower-case hex SHA-256 of the content.
    pub oid: String,
    pub size: u64,
}

impl Pointer {
    pub fn text(&self) -> String {
        format!(
            "version {SPEC_V1}\noid sha256:{}\nsize {}\n",
            self.oid, self.size
        )
    }

    /// Parses a pointer file. `Err` explains what is malformed; `Ok(None)` means the
    /// bytes are not a pointer at all (ordinary content).
    pub fn parse(bytes: &[u8]) -> Result<Option<Pointer>, String> {
        if bytes.len() > MAX_POINTER_BYTES || !bytes.starts_with(b"version ") {
            return Ok(None);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "pointer is not UTF-8".to_string())?;
        let mut lines = text.lines();
        let version = lines
            .next()
            .unwrap_or("")
            .trim_start_matches("version ")
            .trim();
        if version != SPEC_V1 && version != SPEC_LEGACY {
            return Ok(None);
        }
        let (mut oid, mut size) = (None, None);
        for line in lines {
            match line.split_once(' ') {
                Some(("oid", v)) => {
                    let hex = v
                        .strip_prefix("sha256:")
                        .ok_or_else(|| format!("pointer oid {v:?} is not sha256"))?;
                    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(format!("pointer oid {hex:?} is not 64 hex digits"));
                    }
                    oid = Some(hex.to_ascii_lowercase());
                }
                Some(("size", v)) => {
                    size = Some(
                        v.trim()
                            .parse::<u64>()
                            .map_err(|_| format!("pointer size {v:?} is not a number"))?,
                    )
                }
                _ => {}
            }
        }
        match (oid, size) {
            (Some(oid), Some(size)) => Ok(Some(Pointer { oid, size })),
            _ => Err("pointer lacks an oid or a size line".into()),
        }
    }
}

/// `.git/lfs/objects/aa/bb/<oid>`
pub fn object_path(git_dir: &Path, oid: &str) -> PathBuf {
    git_dir
        .join("lfs/objects")
        .join(&oid[0..2])
        .join(&oid[2..4])
        .join(oid)
}

fn parse_patterns(text: &str) -> Vec<String> {
    parse_rules(text)
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(p, _)| p)
        .collect()
}

pub fn attributes_line(pattern: &str) -> String {
    format!("{pattern} filter=lfs diff=lfs merge=lfs -text")
}

/// Adds `pattern` to `.gitattributes` as `git lfs track` would. Returns false when it was
/// already tracked.
pub fn track(workdir: &Path, pattern: &str) -> Result<bool, String> {
    let pattern = pattern.trim();
    if pattern.is_empty() || pattern.contains(char::is_whitespace) {
        return Err(format!(
            "{pattern:?} is not a pattern; use something like *.exr"
        ));
    }
    if pattern.ends_with('/') {
        return Err(format!(
            "{pattern:?} names a folder, which attributes never match; use {pattern}** for everything in it"
        ));
    }
    let file = workdir.join(".gitattributes");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    if parse_patterns(&text).iter().any(|p| p == pattern) {
        return Ok(false);
    }
    let mut out = text;
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out += &attributes_line(pattern);
    out.push('\n');
    crate::util::write_atomic(&file, out.as_bytes()).map_err(|e| e.to_string())?;
    Ok(true)
}

/// Removes `pattern`'s LFS line from `.gitattributes`. Returns false when it was not there.
pub fn untrack(workdir: &Path, pattern: &str) -> Result<bool, String> {
    let pattern = pattern.trim();
    let file = workdir.join(".gitattributes");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let mut removed = false;
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            let mut parts = l.split_whitespace();
            let is_it = parts.next() == Some(pattern) && l.contains("filter=lfs");
            removed |= is_it;
            !is_it
        })
        .collect();
    if removed {
        let mut out = kept.join("\n");
        out.push('\n');
        crate::util::write_atomic(&file, out.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(removed)
}

/// Writes the `filter.lfs.*` keys `git lfs install --local` writes, so the git CLI and
/// git-lfs treat the repository as an LFS repository.
pub fn install_local(repo: &Repository) -> Result<(), String> {
    let mut cfg = repo.config().map_err(|e| e.message().to_string())?;
    for (k, v) in [
        ("filter.lfs.clean", "git-lfs clean -- %f"),
        ("filter.lfs.smudge", "git-lfs smudge -- %f"),
        ("filter.lfs.process", "git-lfs filter-process"),
    ] {
        cfg.set_str(k, v).map_err(|e| e.message().to_string())?;
    }
    cfg.set_bool("filter.lfs.required", true)
        .map_err(|e| e.message().to_string())
}

/// Streams `src` into the object store, hashing as it copies. Returns its pointer.
pub fn store_file(git_dir: &Path, src: &Path) -> Result<Pointer, String> {
    let tmp_dir = git_dir.join("lfs/tmp");
    std::fs::create_dir_all(&tmp_dir).map_err(|e| format!("{}: {e}", tmp_dir.display()))?;
    let mut input = std::fs::File::open(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let tmp = tmp_dir.join(format!(
        "slate-{}-{}",
        std::process::id(),
        crate::model::manifest::new_id("obj")
    ));
    let result = (|| {
        let mut out = std::fs::File::create(&tmp).map_err(|e| disk_error(&tmp, e))?;
        // One read of the source; each chunk is hashed on a helper thread while this
        // one writes it, so the copy costs about max(hash, write), not their sum.
        // At most a few chunks are in flight: memory stays bounded.
        let (to_hasher, chunks) = crossbeam_channel::bounded::<std::sync::Arc<Vec<u8>>>(4);
        let (size, digest) = std::thread::scope(|scope| -> Result<(u64, String), String> {
            let hasher = scope.spawn(move || {
                let mut h = Sha256::new();
                for c in chunks {
                    h.update(&c[..]);
                }
                hex(&h.finalize())
            });
            let mut size = 0u64;
            let copied = (|| -> Result<(), String> {
                loop {
                    let mut buf = vec![0u8; CHUNK];
                    let n = input
                        .read(&mut buf)
                        .map_err(|e| format!("{}: {e}", src.display()))?;
                    if n == 0 {
                        return Ok(());
                    }
                    buf.truncate(n);
                    let chunk = std::sync::Arc::new(buf);
                    to_hasher.send(chunk.clone()).ok();
                    out.write_all(&chunk).map_err(|e| disk_error(&tmp, e))?;
                    size += n as u64;
                }
            })();
            drop(to_hasher);
            let digest = hasher.join().expect("hasher thread");
            copied.map(|()| (size, digest))
        })?;
        out.flush().map_err(|e| disk_error(&tmp, e))?;
        let oid = digest;
        // Always put the fresh copy in place: it was just hashed, so it is known good,
        // and it repairs an object that was damaged on disk.
        let dest = object_path(git_dir, &oid);
        std::fs::create_dir_all(dest.parent().expect("object dir"))
            .map_err(|e| disk_error(&dest, e))?;
        std::fs::rename(&tmp, &dest).map_err(|e| disk_error(&dest, e))?;
        Ok(Pointer { oid, size })
    })();
    if result.is_err() {
        std::fs::remove_file(&tmp).ok();
    }
    result
}

fn disk_error(path: &Path, e: std::io::Error) -> String {
    if crate::platform::is_disk_full(&e) {
        format!(
            "the disk is full (while writing {}): free some space and try again",
            path.display()
        )
    } else {
        format!("{}: {e}", path.display())
    }
}

/// Hashes a file without storing it.
pub fn hash_file(path: &Path) -> Result<Pointer, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(Pointer {
        oid: hex(&hasher.finalize()),
        size,
    })
}

/// The LFS oid of some bytes.
pub fn hash_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stages one LFS-tracked file: content into the store, pointer into the index with the
/// working file's stat data. Empty files are committed as empty blobs, as git-lfs does.
pub fn stage_file(
    repo: &Repository,
    index: &mut git2::Index,
    workdir: &Path,
    rel: &str,
) -> Result<(), String> {
    let full = workdir.join(rel);
    let meta = std::fs::symlink_metadata(&full).map_err(|e| format!("{rel}: {e}"))?;
    if meta.len() == 0 || meta.file_type().is_symlink() {
        return index
            .add_path(Path::new(rel))
            .map_err(|e| format!("{rel}: {}", e.message()));
    }
    // A file that already holds pointer text (a checkout without its object) stays a
    // pointer; it must not be hashed as content.
    let head = read_head(&full, MAX_POINTER_BYTES + 1)?;
    let pointer = match Pointer::parse(&head) {
        Ok(Some(p)) if head.len() as u64 == meta.len() => p,
        _ => store_file(repo.path(), &full).map_err(|e| format!("{rel}: {e}"))?,
    };
    let blob = repo
        .blob(pointer.text().as_bytes())
        .map_err(|e| e.message().to_string())?;
    index
        .add(&index_entry(&meta, rel, blob))
        .map_err(|e| format!("{rel}: {}", e.message()))
}

/// Records `rel` in the index as `blob` (already written: a pointer for an LFS file, the
/// content otherwise) with the working file's stat data, so status sees it clean
/// without reading it again.
pub fn index_add_known(
    index: &mut git2::Index,
    workdir: &Path,
    rel: &str,
    blob: git2::Oid,
) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(workdir.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
    index
        .add(&index_entry(&meta, rel, blob))
        .map_err(|e| format!("{rel}: {}", e.message()))
}

fn read_head(path: &Path, n: usize) -> Result<Vec<u8>, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = Vec::with_capacity(n);
    std::io::Read::take(&mut f, n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    Ok(buf)
}

pub(crate) fn index_entry(meta: &std::fs::Metadata, rel: &str, id: git2::Oid) -> git2::IndexEntry {
    let st = crate::platform::stat_data(meta);
    git2::IndexEntry {
        ctime: git2::IndexTime::new(st.ctime.0 as i32, st.ctime.1 as u32),
        mtime: git2::IndexTime::new(st.mtime.0 as i32, st.mtime.1 as u32),
        dev: st.dev as u32,
        ino: st.ino as u32,
        mode: if st.executable { 0o100755 } else { 0o100644 },
        uid: st.uid,
        gid: st.gid,
        // git keeps the size modulo 2^32, as here.
        file_size: meta.len() as u32,
        id,
        flags: rel.len().min(0xfff) as u16,
        flags_extended: 0,
        path: rel.as_bytes().to_vec(),
    }
}

/// True when `path` is an LFS file whose working content still matches the pointer in
/// the index (its stat changed, its bytes did not).
pub fn unchanged_lfs_file(repo: &Repository, workdir: &Path, path: &str) -> bool {
    let Ok(index) = repo.index() else {
        return false;
    };
    let Some(entry) = index.get_path(Path::new(path), 0) else {
        return false;
    };
    let Ok(blob) = repo.find_blob(entry.id) else {
        return false;
    };
    let Ok(Some(pointer)) = Pointer::parse(blob.content()) else {
        return false;
    };
    let full = workdir.join(path);
    if full.metadata().map(|m| m.len()).ok() != Some(pointer.size) {
        return false;
    }
    hash_file(&full).is_ok_and(|p| p == pointer)
}

/// LFS files whose work-tree copy is still the pointer text, not the media (a hard
/// rollback or checkout that could not write them, e.g. on a full disk). git itself
/// calls these clean (the bytes equal the index), so Slate lists them apart and offers
/// to restore them ([`smudge_work_tree`]). Cheap: only small files are read.
pub fn pointers_in_work_tree(repo: &Repository) -> Vec<String> {
    let (Ok(index), Some(workdir)) = (repo.index(), repo.workdir()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in index.iter() {
        let rel = String::from_utf8_lossy(&entry.path).into_owned();
        let full = workdir.join(&rel);
        let Ok(meta) = std::fs::symlink_metadata(&full) else {
            continue;
        };
        if !meta.is_file() || meta.len() as usize > MAX_POINTER_BYTES {
            continue;
        }
        let Ok(Some(pointer)) = read_head(&full, MAX_POINTER_BYTES + 1)
            .ok()
            .as_deref()
            .map(Pointer::parse)
            .unwrap_or(Ok(None))
        else {
            continue;
        };
        // A pointer to an empty object is the content itself.
        if pointer.size > 0 {
            found.push(rel);
        }
    }
    found
}

/// After a checkout or hard reset, replaces pointer text in the work tree with the
/// content from the local store. A missing object is reported by file name and the
/// pointer is left as it is (never silently passed off as content).
pub fn smudge_work_tree(repo: &Repository) -> Result<Vec<String>, String> {
    let workdir = repo.workdir().ok_or("no work tree")?.to_path_buf();
    let mut index = repo.index().map_err(|e| e.message().to_string())?;
    let mut written = Vec::new();
    let mut missing = Vec::new();
    let entries: Vec<git2::IndexEntry> = index.iter().collect();
    for entry in entries {
        let rel = String::from_utf8_lossy(&entry.path).into_owned();
        let Ok(blob) = repo.find_blob(entry.id) else {
            continue;
        };
        let Ok(Some(pointer)) = Pointer::parse(blob.content()) else {
            continue;
        };
        let full = workdir.join(&rel);
        let current = read_head(&full, MAX_POINTER_BYTES + 1).unwrap_or_default();
        if Pointer::parse(&current).ok().flatten().as_ref() != Some(&pointer) {
            continue; // already content
        }
        let object = object_path(repo.path(), &pointer.oid);
        let written_one = verify_object(&object, &pointer).and_then(|()| {
            // The temp file lives in .git/lfs/tmp, never in the work tree, so a failed
            // copy leaves nothing a later commit could pick up.
            let tmp_dir = repo.path().join("lfs/tmp");
            std::fs::create_dir_all(&tmp_dir).map_err(|e| disk_error(&tmp_dir, e))?;
            let tmp = tmp_dir.join(format!(
                "smudge-{}-{}",
                std::process::id(),
                &pointer.oid[..16]
            ));
            let copied = std::fs::copy(&object, &tmp)
                .map_err(|e| disk_error(&tmp, e))
                .and_then(|_| {
                    let mode = if entry.mode & 0o111 != 0 {
                        0o755
                    } else {
                        0o644
                    };
                    crate::platform::set_mode(&tmp, mode).map_err(|e| e.to_string())?;
                    std::fs::rename(&tmp, &full).map_err(|e| disk_error(&full, e))
                });
            if copied.is_err() {
                std::fs::remove_file(&tmp).ok();
            }
            copied
        });
        match written_one {
            Ok(()) => {
                if let Ok(meta) = std::fs::metadata(&full) {
                    index.add(&index_entry(&meta, &rel, entry.id)).ok();
                }
                written.push(rel);
            }
            Err(e) => missing.push(format!("{rel}: {e}")),
        }
    }
    // Whatever was written is recorded, even when some files failed.
    index.write().map_err(|e| e.message().to_string())?;
    if missing.is_empty() {
        Ok(written)
    } else {
        Err(format!(
            "{} could not be written and were left as pointers: {}. Free disk space or fetch the objects (`git lfs pull`), then run `git lfs checkout`.",
            crate::util::count(missing.len(), "LFS file"),
            missing.join("; ")
        ))
    }
}

/// Checks an object's size and hash against its pointer.
pub fn verify_object(object: &Path, pointer: &Pointer) -> Result<(), String> {
    let meta = std::fs::metadata(object).map_err(|_| {
        format!(
            "object {} is missing from .git/lfs/objects",
            &pointer.oid[..12]
        )
    })?;
    if meta.len() != pointer.size {
        return Err(format!(
            "object {} is truncated: {} of {} bytes",
            &pointer.oid[..12],
            meta.len(),
            pointer.size
        ));
    }
    let actual = hash_file(object)?;
    if actual.oid != pointer.oid {
        return Err(format!(
            "object {} is corrupt: its content hashes to {}",
            &pointer.oid[..12],
            &actual.oid[..12]
        ));
    }
    Ok(())
}

/// LFS files in the index (what the next commit holds).
pub fn ls_files(repo: &Repository) -> Result<Vec<LfsFile>, String> {
    let index = repo.index().map_err(|e| e.message().to_string())?;
    let mut out = Vec::new();
    for entry in index.iter() {
        let Ok(blob) = repo.find_blob(entry.id) else {
            continue;
        };
        if let Ok(Some(p)) = Pointer::parse(blob.content()) {
            out.push(LfsFile {
                path: String::from_utf8_lossy(&entry.path).into_owned(),
                present: object_path(repo.path(), &p.oid)
                    .metadata()
                    .is_ok_and(|m| m.len() == p.size),
                oid: p.oid,
                size: p.size,
            });
        }
    }
    Ok(out)
}

/// Like `git lfs fsck`: every LFS pointer in the index must parse, and its object must
/// be present, complete and uncorrupted. Returns one line per problem, naming the file.
pub fn check(repo: &Repository) -> Result<Vec<String>, String> {
    let index = repo.index().map_err(|e| e.message().to_string())?;
    let mut problems = Vec::new();
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        let Ok(blob) = repo.find_blob(entry.id) else {
            continue;
        };
        match Pointer::parse(blob.content()) {
            Ok(Some(p)) => {
                if let Err(e) = verify_object(&object_path(repo.path(), &p.oid), &p) {
                    problems.push(format!("{path}: {e}"));
                }
            }
            Ok(None) => {}
            Err(e) => problems.push(format!("{path}: malformed LFS pointer: {e}")),
        }
    }
    Ok(problems)
}

/// Files over `threshold` bytes in the work tree that no LFS pattern covers.
pub fn large_untracked(workdir: &Path, threshold: u64) -> Vec<(String, u64)> {
    // Ignored files are never committed, and files already in the index were decided
    // on (committed anyway, or staged): neither needs a warning.
    let repo = Repository::open(workdir).ok();
    let patterns = LfsRules::new(repo.as_ref(), workdir);
    let index = repo.as_ref().and_then(|r| r.index().ok());
    let mut out = Vec::new();
    let mut stack = vec![workdir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            if name == ".git" || name == ".slate" || name == "06_Exports" {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.len() > threshold
                && let Ok(rel) = p.strip_prefix(workdir)
            {
                let rel = rel.to_string_lossy().replace('\\', "/");
                let ignored = repo
                    .as_ref()
                    .is_some_and(|r| r.status_should_ignore(Path::new(&rel)).unwrap_or(false));
                let tracked = index
                    .as_ref()
                    .is_some_and(|i| i.get_path(Path::new(&rel), 0).is_some());
                if !patterns.matches(&rel) && !ignored && !tracked {
                    out.push((rel, meta.len()));
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_parse_and_print_in_the_spec_format() {
        let p = Pointer {
            oid: "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447".into(),
            size: 12,
        };
        assert_eq!(
            p.text(),
            "version https://git-lfs.github.com/spec/v1\noid sha256:a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447\nsize 12\n"
        );
        assert_eq!(Pointer::parse(p.text().as_bytes()).unwrap(), Some(p));
        assert_eq!(Pointer::parse(b"hello").unwrap(), None);
        assert!(
            Pointer::parse(format!("version {SPEC_V1}\noid sha256:zz\nsize 1\n").as_bytes())
                .is_err()
        );
        assert!(
            Pointer::parse(
                format!(
                    "version {SPEC_V1}\noid sha256:{}\nsize big\n",
                    "a".repeat(64)
                )
                .as_bytes()
            )
            .is_err()
        );
        assert!(Pointer::parse(format!("version {SPEC_V1}\nsize 3\n").as_bytes()).is_err());
    }

    #[test]
    fn patterns_match_like_gitattributes() {
        let p = Patterns::from(parse_rules(
            "*.mp4 filter=lfs diff=lfs merge=lfs -text\n/plates/*.exr filter=lfs\n*.txt text\n*.png filter=lfs\n02_Story/*.png -filter\n",
        ));
        assert!(p.matches("03_Renders/a.png"));
        assert!(!p.matches("02_Story/board.png"), "the later rule wins");
        assert!(p.matches("a/b/c.mp4"));
        assert!(p.matches("plates/x.exr"));
        assert!(!p.matches("other/plates/x.exr"));
        assert!(!p.matches("notes.txt"));
    }

    #[test]
    fn hashing_matches_the_known_hello_world_oid() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("h");
        std::fs::write(&f, "hello world\n").unwrap();
        assert_eq!(
            hash_file(&f).unwrap().oid,
            "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
        );
        let stored = store_file(dir.path(), &f).unwrap();
        assert_eq!(
            std::fs::read(object_path(dir.path(), &stored.oid)).unwrap(),
            b"hello world\n"
        );
    }
}
