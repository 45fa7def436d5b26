//! Git through git2: status, staging, commits, history, tags, rollback. Every staging
//! of working files goes through [`stage_paths`], the one place that decides between a
//! plain blob and an LFS pointer.

use std::path::{Path, PathBuf};

pub use crate::model::git::{
    CommitInfo, FileChange, FileStat, GitStatus, MediaChange, PREFIXES, ResetMode,
    describe_changes, prefixed,
};
use git2::{Repository, Signature, StatusOptions};

pub fn open(path: &Path) -> Result<Repository, String> {
    Repository::open(path).map_err(|e| {
        format!(
            "{} is not a git repository: {}",
            path.display(),
            e.message()
        )
    })
}

fn kind_name(s: git2::Status, index: bool) -> &'static str {
    use git2::Status as S;
    let (new, modified, deleted, renamed, typechange) = if index {
        (
            S::INDEX_NEW,
            S::INDEX_MODIFIED,
            S::INDEX_DELETED,
            S::INDEX_RENAMED,
            S::INDEX_TYPECHANGE,
        )
    } else {
        (
            S::WT_NEW,
            S::WT_MODIFIED,
            S::WT_DELETED,
            S::WT_RENAMED,
            S::WT_TYPECHANGE,
        )
    };
    if s.intersects(new) {
        "added"
    } else if s.intersects(deleted) {
        "deleted"
    } else if s.intersects(renamed) {
        "renamed"
    } else if s.intersects(typechange) {
        "typechange"
    } else if s.intersects(modified) {
        "modified"
    } else {
        "changed"
    }
}

/// Status of the working tree. Tuned like `git status`: no rename detection, untracked
/// folders listed file by file, ignored files skipped. LFS files whose stat changed but
/// whose content still matches their pointer are reported clean.
pub fn status(repo: &Repository) -> Result<GitStatus, String> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .renames_head_to_index(false)
        .renames_index_to_workdir(false);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(|e| e.message().to_string())?;
    let mut st = GitStatus {
        branch: branch_name(repo),
        head: repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(|o| o.to_string()),
        media_missing: crate::workspace::lfs::pointers_in_work_tree(repo),
        remotes: repo
            .remotes()
            .map(|r| r.iter().flatten().flatten().map(str::to_string).collect())
            .unwrap_or_default(),
        ..Default::default()
    };
    let workdir = repo.workdir().map(Path::to_path_buf);
    for entry in statuses.iter() {
        let Ok(path) = entry.path() else { continue };
        let s = entry.status();
        if s.is_conflicted() {
            st.conflicted.push(path.to_string());
            continue;
        }
        if s.intersects(
            git2::Status::INDEX_NEW
                | git2::Status::INDEX_MODIFIED
                | git2::Status::INDEX_DELETED
                | git2::Status::INDEX_RENAMED
                | git2::Status::INDEX_TYPECHANGE,
        ) {
            st.staged.push(FileChange {
                path: path.into(),
                kind: kind_name(s, true).into(),
            });
        }
        if s.contains(git2::Status::WT_NEW) {
            st.untracked.push(path.into());
        } else if s.intersects(
            git2::Status::WT_MODIFIED
                | git2::Status::WT_DELETED
                | git2::Status::WT_TYPECHANGE
                | git2::Status::WT_RENAMED,
        ) {
            if s.contains(git2::Status::WT_MODIFIED)
                && let Some(dir) = &workdir
                && crate::workspace::lfs::unchanged_lfs_file(repo, dir, path)
            {
                continue;
            }
            st.modified.push(FileChange {
                path: path.into(),
                kind: kind_name(s, false).into(),
            });
        }
    }
    Ok(st)
}

pub fn branch_name(repo: &Repository) -> String {
    match repo.head() {
        Ok(h) => h.shorthand().unwrap_or("HEAD").to_string(),
        Err(_) => repo
            .find_reference("HEAD")
            .ok()
            .and_then(|r| {
                r.symbolic_target()
                    .ok()
                    .flatten()
                    .map(|t| t.trim_start_matches("refs/heads/").to_string())
            })
            .unwrap_or_else(|| "main".into()),
    }
}

/// The author for Slate's commits: the user's git identity, else a plain fallback so a
/// fresh machine can still commit.
pub fn signature(repo: &Repository) -> Signature<'static> {
    repo.signature()
        .map(|s| s.to_owned())
        .unwrap_or_else(|_| Signature::now("Slate", "slate@localhost").expect("valid signature"))
}

/// Stages every change in the working tree (new, modified, deleted), through the LFS
/// path for files that match the project's LFS patterns.
pub fn stage_all(repo: &Repository) -> Result<Vec<String>, String> {
    let st = status(repo)?;
    let mut paths: Vec<String> = st.untracked.clone();
    paths.extend(st.modified.iter().map(|c| c.path.clone()));
    stage_paths(repo, &paths)?;
    Ok(paths)
}

/// Stages exactly these paths (relative to the work tree). Deleted files are removed
/// from the index; LFS-tracked files are stored as pointers with their content in
/// `.git/lfs/objects`; everything else as plain blobs.
pub fn stage_paths(repo: &Repository, paths: &[String]) -> Result<(), String> {
    let workdir = repo
        .workdir()
        .ok_or("the repository has no work tree")?
        .to_path_buf();
    let mut index = repo.index().map_err(|e| e.message().to_string())?;
    // Partial objects of a commit that was killed would stay forever otherwise.
    crate::workspace::leftovers::clean_lfs_tmp(repo.path());
    let lfs = crate::workspace::lfs::LfsRules::Git(repo);
    for p in paths {
        let full = workdir.join(p);
        let rel = Path::new(p);
        if std::fs::symlink_metadata(&full).is_err() {
            index
                .remove_path(rel)
                .map_err(|e| format!("{p}: {}", e.message()))?;
        } else if lfs.matches(p) {
            crate::workspace::lfs::stage_file(repo, &mut index, &workdir, p)?;
        } else {
            index
                .add_path(rel)
                .map_err(|e| format!("{p}: {}", e.message()))?;
        }
    }
    index.write().map_err(|e| e.message().to_string())
}

/// Commits the index. Returns the new commit id.
pub fn commit_index(repo: &Repository, message: &str) -> Result<String, String> {
    let message = message.trim();
    if message.is_empty() {
        return Err("write a commit message".into());
    }
    let mut index = repo.index().map_err(|e| e.message().to_string())?;
    let tree_id = index.write_tree().map_err(|e| e.message().to_string())?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(|e| e.message().to_string())?;
    let sig = signature(repo);
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    if let Some(p) = &parent
        && p.tree_id() == tree_id
    {
        return Err("nothing to commit: the tree is clean".into());
    }
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .map_err(|e| e.message().to_string())?;
    Ok(id.to_string())
}

/// Commits one file's working copy on top of HEAD, leaving whatever else is staged
/// staged (so a rename commits the rename, not the user's half-done work).
pub fn commit_only(repo: &Repository, rel: &str, message: &str) -> Result<String, String> {
    let err = |e: git2::Error| e.message().to_string();
    let workdir = repo.workdir().ok_or("the repository has no work tree")?;
    let bytes = std::fs::read(workdir.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
    let blob = repo.blob(&bytes).map_err(err)?;
    let parent = repo.head().and_then(|h| h.peel_to_commit()).map_err(err)?;
    let base = parent.tree().map_err(err)?;
    let tree_id = git2::build::TreeUpdateBuilder::new()
        .upsert(rel, blob, git2::FileMode::Blob)
        .create_updated(repo, &base)
        .map_err(err)?;
    let tree = repo.find_tree(tree_id).map_err(err)?;
    let sig = signature(repo);
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&parent])
        .map_err(err)?;
    let mut index = repo.index().map_err(err)?;
    index.add_path(Path::new(rel)).map_err(err)?;
    index.write().map_err(err)?;
    Ok(id.to_string())
}

/// Commits these files' working copies (plain blobs, not LFS) on top of HEAD in one
/// commit, leaving whatever else is staged or changed as it was.
pub fn commit_only_paths(
    repo: &Repository,
    paths: &[String],
    message: &str,
) -> Result<String, String> {
    let err = |e: git2::Error| e.message().to_string();
    let workdir = repo.workdir().ok_or("the repository has no work tree")?;
    let parent = repo.head().and_then(|h| h.peel_to_commit()).map_err(err)?;
    let base = parent.tree().map_err(err)?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    for rel in paths {
        let bytes = std::fs::read(workdir.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
        let blob = repo.blob(&bytes).map_err(err)?;
        update.upsert(rel.as_str(), blob, git2::FileMode::Blob);
    }
    let tree_id = update.create_updated(repo, &base).map_err(err)?;
    let tree = repo.find_tree(tree_id).map_err(err)?;
    let sig = signature(repo);
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&parent])
        .map_err(err)?;
    let mut index = repo.index().map_err(err)?;
    for rel in paths {
        index.add_path(Path::new(rel)).map_err(err)?;
    }
    index.write().map_err(err)?;
    Ok(id.to_string())
}

/// Stages everything and commits it.
pub fn commit_all(repo: &Repository, message: &str) -> Result<String, String> {
    stage_all(repo)?;
    commit_index(repo, message)
}

/// A page of history from HEAD, newest first.
pub fn log(repo: &Repository, skip: usize, limit: usize) -> Result<Vec<CommitInfo>, String> {
    let mut walk = repo.revwalk().map_err(|e| e.message().to_string())?;
    if walk.push_head().is_err() {
        return Ok(Vec::new());
    }
    // libgit2's default order (newest first by commit time) is yielded lazily; TIME or
    // TOPOLOGICAL sorting walks the whole history before the first commit comes out.
    walk.set_sorting(git2::Sort::NONE).ok();
    let tags = tags_by_commit(repo);
    let mut out = Vec::new();
    for oid in walk.skip(skip).take(limit) {
        let oid = oid.map_err(|e| e.message().to_string())?;
        let c = repo.find_commit(oid).map_err(|e| e.message().to_string())?;
        out.push(CommitInfo {
            id: oid.to_string(),
            short_id: oid.to_string()[..7].to_string(),
            summary: c.summary().ok().flatten().unwrap_or("").to_string(),
            message: c.message().unwrap_or("").to_string(),
            author: c.author().name().unwrap_or("").to_string(),
            time_s: c.time().seconds(),
            tags: tags.get(&oid).cloned().unwrap_or_default(),
        });
    }
    Ok(out)
}

fn tags_by_commit(repo: &Repository) -> std::collections::HashMap<git2::Oid, Vec<String>> {
    let mut map: std::collections::HashMap<git2::Oid, Vec<String>> = Default::default();
    if let Ok(names) = repo.tag_names(None) {
        for name in names.iter().filter_map(|n| n.ok().flatten()) {
            if let Ok(obj) = repo.revparse_single(&format!("refs/tags/{name}"))
                && let Ok(c) = obj.peel_to_commit()
            {
                map.entry(c.id()).or_default().push(name.to_string());
            }
        }
    }
    map
}

/// Adds remote `name` at `url` after checking that it answers, so a typo is caught now
/// rather than at the first push. The check is `git ls-remote`, the git that push and
/// pull run, so it logs in as they do (the SSH agent, the credential helper); it never
/// prompts, and gives up after [`REMOTE_CHECK_TIMEOUT`].
pub fn add_remote(repo: &Repository, name: &str, url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("enter the remote's URL".into());
    }
    if url.starts_with('-') {
        return Err(format!("{url:?} is not a URL: a URL cannot start with '-'"));
    }
    check_remote_answers(repo, url, REMOTE_CHECK_TIMEOUT)?;
    repo.remote(name, url)
        .map(|_| ())
        .map_err(|e| e.message().to_string())
}

/// How long a remote may take to answer before it is reported as not answering.
pub const REMOTE_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

fn check_remote_answers(
    repo: &Repository,
    url: &str,
    timeout: std::time::Duration,
) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let dir = repo.workdir().unwrap_or_else(|| repo.path());
    let mut cmd = Command::new("git");
    // No prompt the window could not answer: not on a terminal, nor from an askpass
    // program (an empty answer fails the login, which is then reported as such).
    cmd.args(["ls-remote", "--heads", url])
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "false")
        .env("SSH_ASKPASS", "false")
        .env("SSH_ASKPASS_REQUIRE", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let own_ssh = std::env::var_os("GIT_SSH_COMMAND").is_some()
        || std::env::var_os("GIT_SSH").is_some()
        || repo
            .config()
            .and_then(|c| c.get_string("core.sshCommand"))
            .is_ok();
    if !own_ssh {
        // The user's ssh, keys and agent, without a password prompt.
        cmd.env(
            "GIT_SSH_COMMAND",
            "ssh -o BatchMode=yes -o ConnectTimeout=15",
        );
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not run git to check the remote: {e}"))?;
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(None) => {
                child.kill().ok();
                child.wait().ok();
                return Err(format!(
                    "{url} did not answer within {} s: check the address and your network",
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(format!("could not check the remote: {e}")),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        use std::io::Read as _;
        err.read_to_string(&mut stderr).ok();
    }
    let why = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("fatal: "))
        .collect::<Vec<_>>()
        .join("; ");
    let login = [
        "Permission denied",
        "Authentication failed",
        "could not read Username",
        "could not read Password",
    ];
    if stderr.contains("Host key verification failed") {
        Err(format!(
            "{url}: this machine does not know the server's SSH host key yet. Connect once with ssh (or git) in a terminal to check and accept it, then try again"
        ))
    } else if login.iter().any(|w| stderr.contains(w)) {
        Err(format!(
            "{url} refused the login ({why}): add your SSH key to the agent or set up git's credential helper, then try again"
        ))
    } else {
        Err(format!("{url} does not answer as a git repository: {why}"))
    }
}

/// Lines of a diff shown at most; a longer one ends with a note.
pub const DIFF_MAX_LINES: usize = 5_000;

/// One file's change in `id` against its first parent, as a unified diff. Binary files
/// and LFS pointers (media) say what changed instead of printing bytes.
pub fn file_diff(repo: &Repository, id: &str, path: &str) -> Result<String, String> {
    let oid = git2::Oid::from_str(id).map_err(|e| e.message().to_string())?;
    let c = repo.find_commit(oid).map_err(|e| e.message().to_string())?;
    let tree = c.tree().map_err(|e| e.message().to_string())?;
    let parent_tree = c.parent(0).ok().and_then(|p| p.tree().ok());
    let mut opts = git2::DiffOptions::new();
    opts.pathspec(path).disable_pathspec_match(true);
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut opts))
        .map_err(|e| e.message().to_string())?;
    let mut out = String::new();
    let mut lines = 0usize;
    let mut binary = None;
    diff.print(git2::DiffFormat::Patch, |delta, _, line| {
        if delta.flags().is_binary() {
            binary = Some((delta.old_file().size(), delta.new_file().size()));
            return true;
        }
        lines += 1;
        if lines > DIFF_MAX_LINES {
            return false;
        }
        let origin = line.origin();
        if matches!(origin, '+' | '-' | ' ') {
            out.push(origin);
        }
        out.push_str(&String::from_utf8_lossy(line.content()));
        true
    })
    .or_else(|e| {
        if lines > DIFF_MAX_LINES {
            Ok(())
        } else {
            Err(e.message().to_string())
        }
    })?;
    if lines > DIFF_MAX_LINES {
        out.push_str(&format!("… (longer than {DIFF_MAX_LINES} lines)\n"));
    }
    if let Some((before, after)) = binary {
        return Ok(format!(
            "binary file: {} before, {} after",
            crate::util::format_bytes(before),
            crate::util::format_bytes(after)
        ));
    }
    if out.is_empty() {
        return Ok(format!("{path} did not change in this commit"));
    }
    Ok(out)
}

/// Where the pictures of a commit's changed picture file are, before and after it, for
/// the Git tab to show; `None` when `path` is not a picture. An LFS file is its object in
/// `.git/lfs/objects`; a picture stored as a plain blob is written once to
/// `.git/slate/previews/<blob id>.<ext>` (inside `.git`: never part of the project).
pub fn file_media(repo: &Repository, id: &str, path: &str) -> Result<Option<MediaChange>, String> {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let Some(ext) = ext.filter(|e| matches!(e.as_str(), "png" | "jpg" | "jpeg")) else {
        return Ok(None);
    };
    let oid = git2::Oid::from_str(id).map_err(|e| e.message().to_string())?;
    let c = repo.find_commit(oid).map_err(|e| e.message().to_string())?;
    let after_tree = c.tree().map_err(|e| e.message().to_string())?;
    let before_tree = c.parent(0).ok().and_then(|p| p.tree().ok());
    let mut missing = Vec::new();
    let mut side =
        |tree: Option<&git2::Tree<'_>>, which: &str| -> Result<Option<PathBuf>, String> {
            let Some(entry) = tree.and_then(|t| t.get_path(Path::new(path)).ok()) else {
                return Ok(None);
            };
            let blob = repo
                .find_blob(entry.id())
                .map_err(|_| format!("{path} is not a file in this commit"))?;
            if let Ok(Some(pointer)) = crate::workspace::lfs::Pointer::parse(blob.content()) {
                let object = crate::workspace::lfs::object_path(repo.path(), &pointer.oid);
                if object.is_file() {
                    return Ok(Some(object));
                }
                missing.push(format!("{which}: LFS object not downloaded (git lfs pull)"));
                return Ok(None);
            }
            let dir = repo.path().join("slate/previews");
            let file = dir.join(format!("{}.{ext}", blob.id()));
            if !file.is_file() {
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                crate::util::write_atomic(&file, blob.content())
                    .map_err(|e| format!("{}: {e}", file.display()))?;
            }
            Ok(Some(file))
        };
    let before = side(before_tree.as_ref(), "before")?;
    let after = side(Some(&after_tree), "after")?;
    let note = if !missing.is_empty() {
        Some(missing.join("; "))
    } else if before.is_none() {
        Some("added in this commit".to_string())
    } else if after.is_none() {
        Some("deleted in this commit".to_string())
    } else {
        None
    };
    Ok(Some(MediaChange {
        before,
        after,
        note,
    }))
}

/// Files a commit changed, with line counts (binary files count 0/0).
pub fn commit_files(repo: &Repository, id: &str) -> Result<Vec<FileStat>, String> {
    let oid = git2::Oid::from_str(id).map_err(|e| e.message().to_string())?;
    let c = repo.find_commit(oid).map_err(|e| e.message().to_string())?;
    let tree = c.tree().map_err(|e| e.message().to_string())?;
    let parent_tree = c.parent(0).ok().and_then(|p| p.tree().ok());
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
        .map_err(|e| e.message().to_string())?;
    let mut out = Vec::new();
    for i in 0..diff.deltas().len() {
        let delta = diff.get_delta(i).expect("delta in range");
        let path = delta
            .new_file()
            .path()
            .or_else(|| delta.old_file().path())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (additions, deletions) = git2::Patch::from_diff(&diff, i)
            .ok()
            .flatten()
            .and_then(|p| p.line_stats().ok())
            .map(|(_, a, d)| (a, d))
            .unwrap_or((0, 0));
        out.push(FileStat {
            path,
            kind: format!("{:?}", delta.status()).to_lowercase(),
            additions,
            deletions,
        });
    }
    Ok(out)
}

pub fn tag(repo: &Repository, name: &str, message: Option<&str>) -> Result<(), String> {
    tag_at(repo, name, None, message)
}

/// Tags `commit` (HEAD when `None`), annotated when there is a message.
pub fn tag_at(
    repo: &Repository,
    name: &str,
    commit: Option<&str>,
    message: Option<&str>,
) -> Result<(), String> {
    let head = match commit {
        Some(id) => repo
            .revparse_single(id)
            .and_then(|o| o.peel(git2::ObjectType::Commit))
            .map_err(|e| e.message().to_string())?,
        None => repo
            .head()
            .and_then(|h| h.peel(git2::ObjectType::Commit))
            .map_err(|_| "there is no commit to tag yet".to_string())?,
    };
    match message {
        Some(m) => repo
            .tag(name, &head, &signature(repo), m, false)
            .map(|_| ())
            .map_err(|e| e.message().to_string()),
        None => repo
            .tag_lightweight(name, &head, false)
            .map(|_| ())
            .map_err(|e| e.message().to_string()),
    }
}

pub fn tags(repo: &Repository) -> Vec<String> {
    repo.tag_names(None)
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.ok().flatten())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Moves HEAD (and for `mixed`/`hard`, the index and work tree) to `target`. A hard reset
/// over uncommitted work is refused: it would destroy it. After a hard reset LFS files are
/// written from the local object store.
pub fn rollback(repo: &Repository, target: &str, mode: ResetMode) -> Result<(), String> {
    let obj = repo
        .revparse_single(target)
        .map_err(|_| format!("no commit {target:?} in this repository"))?;
    let commit = obj.peel_to_commit().map_err(|e| e.message().to_string())?;
    if mode == ResetMode::Hard {
        let st = status(repo)?;
        if !st.is_clean() {
            return Err(format!(
                "refusing a hard rollback: {} uncommitted changes that it would destroy; commit them or roll back soft/mixed",
                crate::util::count(st.changed_count(), "file"),
            ));
        }
    }
    let kind = match mode {
        ResetMode::Soft => git2::ResetType::Soft,
        ResetMode::Mixed => git2::ResetType::Mixed,
        ResetMode::Hard => git2::ResetType::Hard,
    };
    repo.reset(commit.as_object(), kind, None)
        .map_err(|e| e.message().to_string())?;
    if mode == ResetMode::Hard {
        crate::workspace::lfs::smudge_work_tree(repo)
            .map_err(|e| format!("rolled back to {}, but {e}", &commit.id().to_string()[..7]))?;
    }
    Ok(())
}

/// Initialises a repository with `main` as its first branch and the LFS filter config
/// so the git CLI and git-lfs treat it as an LFS repository.
pub fn init(path: &Path) -> Result<Repository, String> {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(path, &opts).map_err(|e| e.message().to_string())?;
    crate::workspace::lfs::install_local(&repo)?;
    Ok(repo)
}

pub fn workdir(repo: &Repository) -> PathBuf {
    repo.workdir().map(Path::to_path_buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository whose ssh is `script` (as a user's `core.sshCommand` would be).
    fn repo_with_ssh(dir: &Path, script: &str) -> Repository {
        let repo = Repository::init(dir.join("film")).unwrap();
        let ssh = dir.join("fake-ssh");
        std::fs::write(&ssh, format!("#!/bin/sh\n{script}\n")).unwrap();
        crate::platform::set_mode(&ssh, 0o755).unwrap();
        repo.config()
            .unwrap()
            .set_str("core.sshCommand", &ssh.display().to_string())
            .unwrap();
        repo
    }

    #[test]
    fn a_remote_that_refuses_the_login_is_named_as_such_and_not_added() {
        let dir = tempfile::tempdir().unwrap();
        let repo = repo_with_ssh(
            dir.path(),
            "echo 'git@example.invalid: Permission denied (publickey).' >&2; exit 255",
        );
        let err = add_remote(&repo, "origin", "ssh://git@example.invalid/film.git").unwrap_err();
        assert!(err.contains("refused the login"), "{err}");
        assert!(err.contains("Permission denied (publickey)"), "{err}");
        assert!(
            repo.find_remote("origin").is_err(),
            "a refused remote was added"
        );
        let repo = repo_with_ssh(
            &dir.path().join("b"),
            "echo 'Host key verification failed.' >&2; exit 255",
        );
        let err = add_remote(&repo, "origin", "ssh://git@example.invalid/film.git").unwrap_err();
        assert!(err.contains("host key"), "{err}");
    }

    #[test]
    fn a_remote_that_never_answers_is_given_up_on() {
        let dir = tempfile::tempdir().unwrap();
        let repo = repo_with_ssh(dir.path(), "exec sleep 30");
        let started = std::time::Instant::now();
        let err = check_remote_answers(
            &repo,
            "ssh://git@example.invalid/film.git",
            std::time::Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(err.contains("did not answer within 1 s"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn a_url_that_looks_like_an_option_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let err = add_remote(&repo, "origin", "--upload-pack=touch /tmp/x").unwrap_err();
        assert!(err.contains("cannot start with '-'"), "{err}");
    }
}
