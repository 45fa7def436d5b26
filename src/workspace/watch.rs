//! Watching the open project folder (the `notify` crate, debounced), so that files added,
//! changed or removed on disk by another program show in the Git and Assets views
//! without a Refresh.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, Watcher as _};

/// How long the folder must stay quiet before a burst of changes is announced: a copy
/// of many files is one refresh, not one per file.
pub const SETTLE: Duration = Duration::from_millis(300);

/// What a burst of file changes touched, so only the views that show it are read again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Anything git's status can see: the work tree, `.git/index`, `.git/HEAD`.
    pub status: bool,
    /// `01_Assets/` (the Assets view).
    pub assets: bool,
    /// `03_Renders/` (takes).
    pub takes: bool,
    /// `.git/HEAD` or a ref moved: history changed (a commit, checkout or pull outside).
    pub history: bool,
}

impl Changes {
    pub fn any(&self) -> bool {
        self.status || self.assets || self.takes || self.history
    }

    fn merge(&mut self, o: Changes) {
        self.status |= o.status;
        self.assets |= o.assets;
        self.takes |= o.takes;
        self.history |= o.history;
    }
}

/// What a change at `rel` (a path relative to the project, `/`-separated) means. Inside
/// `.git/` only HEAD, the index and refs matter: objects, logs and lock files change on
/// every commit and would only cause refreshes of what the commit already announced.
pub fn classify(rel: &str) -> Changes {
    let mut c = Changes::default();
    if rel == ".git" {
        return c;
    }
    if let Some(inner) = rel.strip_prefix(".git/") {
        match inner {
            "HEAD" => {
                c.status = true;
                c.history = true;
            }
            "index" => c.status = true,
            r if r.starts_with("refs/heads/") && !r.ends_with(".lock") => c.history = true,
            _ => {}
        }
        return c;
    }
    // Slate's own cache (thumbnails, trash) is git-ignored and shown nowhere.
    if rel == ".slate" || rel.starts_with(".slate/") {
        return c;
    }
    c.status = true;
    c.assets = rel == "01_Assets" || rel.starts_with("01_Assets/");
    c.takes = rel == "03_Renders" || rel.starts_with("03_Renders/");
    c
}

/// A recursive watch of a folder that reports settled bursts of changes as paths
/// relative to it (`None`: the watch lost events, read everything again). Opening or
/// reading a file is not a change: reading git status would otherwise feed the watch.
/// Dropping it stops the watch and its thread.
pub struct Watch {
    _watcher: notify::RecommendedWatcher,
}

impl Watch {
    pub fn start(
        dir: &Path,
        settle: Duration,
        on_burst: impl Fn(Option<Vec<String>>) + Send + 'static,
    ) -> Result<Self, String> {
        let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let fail = |e: notify::Error| format!("could not watch {}: {e}", root.display());
        let (tx, rx) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx).map_err(fail)?;
        watcher
            .watch(&root, notify::RecursiveMode::Recursive)
            .map_err(fail)?;
        std::thread::Builder::new()
            .name("slate-watch".into())
            .spawn(move || debounce(&rx, &root, settle, on_burst))
            .map_err(|e| format!("could not start the folder watch: {e}"))?;
        Ok(Self { _watcher: watcher })
    }
}

/// Paths of one notify event that count as changes (`None`: rescan everything).
fn changed_paths(root: &Path, event: notify::Result<notify::Event>) -> Option<Vec<String>> {
    use notify::event::{AccessKind, AccessMode};
    let Ok(event) = event else { return None };
    if event.need_rescan() {
        return None;
    }
    let written = matches!(
        event.kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
    );
    if matches!(event.kind, EventKind::Access(_)) && !written {
        return Some(Vec::new());
    }
    Some(
        event
            .paths
            .iter()
            .filter_map(|p| p.strip_prefix(root).ok())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect(),
    )
}

/// Collects changes until none came for `settle`, then reports them; ends when the
/// watcher is dropped (the channel closes).
fn debounce(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    root: &Path,
    settle: Duration,
    on_burst: impl Fn(Option<Vec<String>>),
) {
    loop {
        let mut burst: Option<Vec<String>> = Some(Vec::new());
        let mut deadline: Option<Instant> = None;
        loop {
            let event = match deadline {
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            match event {
                Ok(e) => match (changed_paths(root, e), burst.as_mut()) {
                    (None, _) => {
                        burst = None;
                        deadline = Some(Instant::now() + settle);
                    }
                    (Some(paths), Some(b)) if !paths.is_empty() => {
                        b.extend(paths);
                        deadline = Some(Instant::now() + settle);
                    }
                    _ => {}
                },
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        on_burst(burst);
    }
}

/// Watches the open project; dropping it stops watching.
pub struct ProjectWatcher {
    _watch: Watch,
}

impl ProjectWatcher {
    /// Watches `project` and calls `on_change` once per settled burst that touched
    /// something a view shows.
    pub fn start(
        project: &Path,
        on_change: impl Fn(Changes) + Send + 'static,
    ) -> Result<Self, String> {
        let watch = Watch::start(project, SETTLE, move |burst| {
            let all = match burst {
                None => Changes {
                    status: true,
                    assets: true,
                    takes: true,
                    history: true,
                },
                Some(paths) => paths.iter().fold(Changes::default(), |mut c, p| {
                    c.merge(classify(p));
                    c
                }),
            };
            if all.any() {
                on_change(all);
            }
        })?;
        Ok(Self { _watch: watch })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_internals_are_ignored_except_head_index_and_branches() {
        assert!(!classify(".git/objects/ab/cdef").any());
        assert!(!classify(".git/logs/HEAD").any());
        assert!(!classify(".git/index.lock").any());
        assert!(!classify(".git/refs/heads/main.lock").any());
        assert!(!classify(".git").any());
        assert_eq!(
            classify(".git/HEAD"),
            Changes {
                status: true,
                history: true,
                ..Default::default()
            }
        );
        assert!(classify(".git/index").status);
        assert!(classify(".git/refs/heads/main").history);
        assert!(!classify(".slate/cache/thumbs/a.png").any());
    }

    #[test]
    fn work_tree_paths_say_which_views_they_touch() {
        let a = classify("01_Assets/Characters/Hero_1234abcd/base/hero.png");
        assert!(a.status && a.assets && !a.takes);
        let t = classify("03_Renders/c/s/sh/takes/take_001/x.mp4");
        assert!(t.status && t.takes && !t.assets);
        let n = classify("notes.txt");
        assert!(n.status && !n.assets && !n.takes && !n.history);
    }
}
