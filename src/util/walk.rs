//! The one folder walk for every folder Slate reads that someone else filled: task
//! outputs (written by a container), function templates and image build contexts (from a
//! cloned workspace), project trees.
//!
//! What it promises, whatever the folder holds:
//! - it never leaves `root`: a symlink is followed only when its target (fully resolved)
//!   is inside the resolved root; any other link is skipped and listed in `skipped`;
//! - it ends: each folder is entered once (by its resolved path), so `a -> .` loops are
//!   seen once, and depth and entry counts are bounded;
//! - it lists regular files only: FIFOs, sockets and devices are skipped, never opened;
//! - files above `max_file_bytes` are skipped and listed.
//!
//! It is blocking: async callers run it in `tokio::task::spawn_blocking`.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Bounds for one walk.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Folders deeper than this are not entered.
    pub max_depth: usize,
    /// The walk stops (and says so) after this many entries.
    pub max_entries: usize,
    /// Larger files are skipped.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_entries: 100_000,
            max_file_bytes: u64::MAX,
        }
    }
}

/// A regular file found under the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The path as walked (under the root given, links not resolved).
    pub path: PathBuf,
    /// Relative to the root, with `/` separators.
    pub rel: String,
    pub len: u64,
}

/// The files found, and what was left out and why.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    pub files: Vec<Found>,
    /// `rel: reason` for each link, special file or oversized file left out.
    pub skipped: Vec<String>,
    /// Set when a limit cut the walk short.
    pub truncated: bool,
}

/// Walks `root` (see the module docs). A missing root is an empty walk.
pub fn walk(root: &Path, limits: Limits) -> Walk {
    let mut out = Walk::default();
    let Ok(real_root) = std::fs::canonicalize(root) else {
        return out;
    };
    let mut seen: HashSet<PathBuf> = HashSet::from([real_root.clone()]);
    // (folder as walked, its relative path, depth)
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    let mut entries_seen = 0usize;
    while let Some((dir, rel_dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<_> = entries.flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            entries_seen += 1;
            if entries_seen > limits.max_entries {
                out.truncated = true;
                return finish(out);
            }
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if rel_dir.is_empty() {
                name
            } else {
                format!("{rel_dir}/{name}")
            };
            let Ok(lmeta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let meta = if lmeta.file_type().is_symlink() {
                // Resolve fully; only a target inside the root counts.
                match std::fs::canonicalize(&path) {
                    Ok(target) if target.starts_with(&real_root) => {
                        match std::fs::metadata(&target) {
                            Ok(m) => m,
                            Err(_) => continue,
                        }
                    }
                    Ok(target) => {
                        out.skipped.push(format!(
                            "{rel}: a link to {} outside the folder",
                            target.display()
                        ));
                        continue;
                    }
                    Err(_) => {
                        out.skipped
                            .push(format!("{rel}: a link that does not resolve"));
                        continue;
                    }
                }
            } else {
                lmeta
            };
            if meta.is_dir() {
                let Ok(real) = std::fs::canonicalize(&path) else {
                    continue;
                };
                if !seen.insert(real) {
                    out.skipped
                        .push(format!("{rel}: a folder already walked (a link loop)"));
                } else if depth + 1 > limits.max_depth {
                    out.skipped.push(format!(
                        "{rel}: deeper than {} folders, not entered",
                        limits.max_depth
                    ));
                    out.truncated = true;
                } else {
                    stack.push((path, rel, depth + 1));
                }
            } else if meta.is_file() {
                if meta.len() > limits.max_file_bytes {
                    out.skipped.push(format!(
                        "{rel}: {} is above the {} limit",
                        crate::util::format_bytes(meta.len()),
                        crate::util::format_bytes(limits.max_file_bytes)
                    ));
                } else {
                    out.files.push(Found {
                        path,
                        rel,
                        len: meta.len(),
                    });
                }
            } else {
                out.skipped.push(format!(
                    "{rel}: not a regular file (a FIFO, socket or device)"
                ));
            }
        }
    }
    finish(out)
}

fn finish(mut w: Walk) -> Walk {
    w.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    w
}

/// Reads a file the walk found, refusing anything that is no longer a regular file (it
/// may have been swapped since) and anything above `max_bytes`. Never blocks on a FIFO.
pub fn read_regular(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > max_bytes {
        return Err(std::io::Error::other(format!(
            "{} is above the {} limit",
            crate::util::format_bytes(meta.len()),
            crate::util::format_bytes(max_bytes)
        )));
    }
    let mut bytes = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(std::io::Error::other("the file grew past the limit"));
    }
    Ok(bytes)
}

use crate::platform::open_nonblocking;

/// Resolves `path` (every link) and checks that it stays inside `root` (also resolved).
/// Returns the resolved path, or an error naming the link and where it leads. For paths
/// Slate hands to someone else (a bind mount, a copy): the daemon or the copy would
/// follow the link on the host.
pub fn resolve_inside(root: &Path, path: &Path) -> Result<PathBuf, String> {
    let real_root = std::fs::canonicalize(root)
        .map_err(|e| format!("{}: cannot be resolved ({e})", root.display()))?;
    let real = std::fs::canonicalize(path)
        .map_err(|e| format!("{}: cannot be resolved ({e})", path.display()))?;
    if real.starts_with(&real_root) {
        Ok(real)
    } else if !path.starts_with(root) && !path.starts_with(&real_root) {
        Err(format!(
            "{} is outside {}: copy it into the project first (for instance into 01_Assets/)",
            path.display(),
            real_root.display()
        ))
    } else {
        Err(format!(
            "{} leads to {}, outside {}: a link that leaves the project is refused (replace it with a real folder)",
            path.display(),
            real.display(),
            real_root.display()
        ))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::platform::make_fifo;

    fn symlink(target: &str, link: std::path::PathBuf) -> std::io::Result<()> {
        crate::platform::symlink(Path::new(target), &link)
    }

    #[test]
    fn links_out_loops_and_fifos_are_left_out() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::write(r.join("ok.txt"), "ok").unwrap();
        std::fs::create_dir(r.join("sub")).unwrap();
        std::fs::write(r.join("sub/in.txt"), "in").unwrap();
        symlink(".", r.join("a")).unwrap();
        symlink(".", r.join("b")).unwrap();
        symlink("/etc", r.join("hostdir")).unwrap();
        symlink("sub/in.txt", r.join("inner-link.txt")).unwrap();
        make_fifo(&r.join("pipe")).unwrap();
        let w = walk(r, Limits::default());
        let rels: Vec<_> = w.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["inner-link.txt", "ok.txt", "sub/in.txt"]);
        let skipped = w.skipped.join("\n");
        assert!(
            skipped.contains("hostdir") && skipped.contains("outside"),
            "{skipped}"
        );
        assert!(skipped.contains("pipe: not a regular file"), "{skipped}");
        assert!(read_regular(&r.join("pipe"), 10).is_err());
    }

    #[test]
    fn resolve_inside_refuses_links_out() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("in")).unwrap();
        symlink("/", d.path().join("out")).unwrap();
        assert!(resolve_inside(d.path(), &d.path().join("in")).is_ok());
        let e = resolve_inside(d.path(), &d.path().join("out")).unwrap_err();
        assert!(e.contains("outside"), "{e}");
    }
}
