//! What a killed Slate leaves behind, removed on the next run: partial LFS objects in
//! `.git/lfs/tmp` and half-made projects (`.slate-creating-*`) in the workspace.
//!
//! Each temp name carries the pid of the Slate that made it; only those whose process
//! is gone are removed, so a Slate working right now beside us is never disturbed.

use std::path::Path;

/// Removes `.git/lfs/tmp/{slate,smudge}-<pid>-*` files of dead processes. Returns how
/// many were removed.
pub fn clean_lfs_tmp(git_dir: &Path) -> usize {
    clean(&git_dir.join("lfs/tmp"), &["slate-", "smudge-"], false)
}

/// Removes `<workspace>/.slate-creating-<folder>-<pid>` folders of dead processes.
pub fn clean_creating(workspace: &Path) -> usize {
    clean(workspace, &[".slate-creating-"], true)
}

fn clean(dir: &Path, prefixes: &[&str], folders: bool) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = prefixes.iter().find_map(|p| name.strip_prefix(p)) else {
            continue;
        };
        // `<pid>-…` (LFS) or `<folder>-<pid>` (projects): the pid is a whole number
        // field at the start or the end.
        let pid = if folders {
            rest.rsplit('-').next()
        } else {
            rest.split('-').next()
        }
        .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if pid == std::process::id() || crate::platform::pid_alive(pid) {
            continue;
        }
        // Never follow a link planted under one of these names.
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        let gone = if meta.is_dir() && folders {
            std::fs::remove_dir_all(e.path())
        } else if !meta.is_dir() {
            std::fs::remove_file(e.path())
        } else {
            continue;
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed
}
