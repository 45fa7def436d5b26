//! The workspace actor: owns which project is open and does every project, git and LFS
//! operation off the UI thread, one at a time, answering with `project.*` / `git.*`
//! events. It also runs the optional auto-commit timer.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::core::EventSink;
use crate::events::{AssetFile, Command, Event, Level, LfsSummary, OpenProject};
use crate::paths::Paths;
use crate::settings::Settings;
use crate::workspace::project::Upgrade;
use crate::workspace::{assets, git, lfs, project, takes};

/// History is sent in pages of this many commits.
pub const LOG_PAGE: usize = 200;

pub struct WorkspaceService {
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
}

enum Msg {
    Command(Command),
    Settings(Settings),
}

impl WorkspaceService {
    pub fn start(paths: Paths, settings: Settings, sink: EventSink) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let actor = Actor {
            paths,
            settings,
            sink,
            open: None,
            read_only: false,
            last_commit: Instant::now(),
        };
        tokio::spawn(actor.run(rx));
        Self { tx }
    }

    pub fn command(&self, c: Command) {
        self.tx.send(Msg::Command(c)).ok();
    }

    pub fn settings_changed(&self, s: Settings) {
        self.tx.send(Msg::Settings(s)).ok();
    }
}

/// True for the commands this actor handles.
pub fn handles(c: &Command) -> bool {
    use Command as C;
    matches!(
        c,
        C::ListProjects
            | C::CreateProject { .. }
            | C::OpenProject { .. }
            | C::CloseProject
            | C::EditProject { .. }
            | C::RenameProject { .. }
            | C::UpgradeProject
            | C::DeleteProject { .. }
            | C::RefreshGit
            | C::GitLog { .. }
            | C::GitShow { .. }
            | C::GitCommit { .. }
            | C::GitTag { .. }
            | C::GitRollback { .. }
            | C::GitRestoreMedia
            | C::LfsTrack { .. }
            | C::LfsUntrack { .. }
    )
}

struct Actor {
    paths: Paths,
    settings: Settings,
    sink: EventSink,
    open: Option<PathBuf>,
    read_only: bool,
    last_commit: Instant,
}

/// Runs blocking work (git, files) on tokio's blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("workspace task")
}

impl Actor {
    fn root(&self) -> PathBuf {
        self.paths.workspace_root(&self.settings)
    }

    async fn run(mut self, mut rx: tokio::sync::mpsc::UnboundedReceiver<Msg>) {
        self.list().await;
        loop {
            let tick = if self.settings.workspace.auto_commit && self.open.is_some() {
                Duration::from_secs(self.settings.workspace.auto_commit_interval_s.clamp(10, 30))
            } else {
                Duration::from_secs(3600)
            };
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(Msg::Command(c)) => self.handle(c).await,
                    Some(Msg::Settings(s)) => {
                        let root_changed = self.paths.workspace_root(&s) != self.root();
                        self.settings = s;
                        if root_changed {
                            self.list().await;
                        }
                    }
                    None => return,
                },
                _ = tokio::time::sleep(tick) => self.auto_commit().await,
            }
        }
    }

    fn fail(&self, action: &str, error: String) {
        self.sink.emit(Event::ProjectFailed {
            action: action.into(),
            error,
        });
    }

    fn git_fail(&self, action: &str, error: String) {
        self.sink.emit(Event::GitFailed {
            action: action.into(),
            error,
        });
    }

    async fn list(&self) {
        let root = self.root();
        match blocking(move || {
            // A creation killed half-way left its temp folder: gone on the next look.
            crate::workspace::leftovers::clean_creating(&root);
            project::list(&root)
        })
        .await
        {
            Ok(projects) => self.sink.emit(Event::ProjectsListed { projects }),
            Err(e) => self.fail("list projects", e),
        }
    }

    async fn handle(&mut self, c: Command) {
        match c {
            Command::ListProjects => self.list().await,
            Command::CreateProject { name, template } => {
                let root = self.root();
                let options = project::NewProject {
                    lfs: self.settings.workspace.lfs_enabled,
                    quality: self.settings.workspace.default_quality,
                };
                match blocking(move || project::create_with(&root, &name, template, &options)).await
                {
                    Ok(path) => {
                        self.sink.emit(Event::ProjectCreated { path: path.clone() });
                        self.open_project(path, false).await;
                        self.list().await;
                    }
                    Err(e) => self.fail("create the project", e),
                }
            }
            Command::OpenProject { path, read_only } => self.open_project(path, read_only).await,
            Command::CloseProject => {
                self.open = None;
                self.sink.emit(Event::ProjectClosed);
                // The list (sizes, git state) is only on screen with no project open:
                // it is read again here rather than after every commit.
                self.list().await;
            }
            Command::EditProject { edit } => {
                let Some(path) = self.open.clone() else {
                    return self.fail("edit", "no project is open".into());
                };
                if self.read_only {
                    return self.fail(
                        "edit",
                        "the project is open read-only because its project.json is damaged; restore it from git first".into(),
                    );
                }
                match blocking(move || project::edit(&path, &edit)).await {
                    Ok((manifest, summary)) => {
                        self.sink.emit(Event::ProjectChanged { manifest, summary });
                        self.refresh_git().await;
                    }
                    Err(e) => self.fail("edit the story", e),
                }
            }
            Command::UpgradeProject => {
                let Some(path) = self.open.clone() else {
                    return self.fail("upgrade the project", "no project is open".into());
                };
                if self.read_only {
                    return self.fail(
                        "upgrade the project",
                        "the project is open read-only; open it for writing, then upgrade".into(),
                    );
                }
                let p = path.clone();
                match blocking(move || project::upgrade(&p)).await {
                    Ok(done) => {
                        if let Some((commit, changes)) = done {
                            self.sink.emit(Event::Notification {
                                level: Level::Success,
                                title: "Project format upgraded".into(),
                                body: format!(
                                    "{} (commit {})",
                                    changes.join("; "),
                                    &commit[..7.min(commit.len())]
                                ),
                                task: None,
                            });
                        }
                        self.open_project(path, false).await;
                    }
                    Err(e) => self.fail("upgrade the project", e),
                }
            }
            Command::RenameProject { new_name } => {
                let Some(path) = self.open.clone() else {
                    return;
                };
                match blocking(move || project::rename(&path, &new_name)).await {
                    Ok(dest) => {
                        self.open_project(dest, false).await;
                        self.list().await;
                    }
                    Err(e) => self.fail("rename the project", e),
                }
            }
            Command::DeleteProject { path, permanently } => {
                let p = path.clone();
                let result = blocking(move || {
                    if permanently {
                        project::delete_permanently(&p).map(|()| p.clone())
                    } else {
                        project::move_to_trash(&p)
                    }
                })
                .await;
                match result {
                    Ok(_) => {
                        if self.open.as_deref() == Some(path.as_path()) {
                            self.open = None;
                            self.sink.emit(Event::ProjectClosed);
                        }
                        self.list().await;
                    }
                    Err(e) => self.fail(
                        if permanently {
                            "delete the project"
                        } else {
                            "move the project to the trash"
                        },
                        e,
                    ),
                }
            }
            Command::RefreshGit => self.refresh_git().await,
            Command::GitLog { skip, limit } => self.send_log(skip, limit).await,
            Command::GitShow { commit } => {
                let Some(path) = self.open.clone() else {
                    return;
                };
                let c = commit.clone();
                match blocking(move || git::open(&path).and_then(|r| git::commit_files(&r, &c)))
                    .await
                {
                    Ok(files) => self.sink.emit(Event::GitFiles { commit, files }),
                    Err(e) => self.git_fail("show the commit", e),
                }
            }
            Command::GitCommit {
                message,
                allow_large,
            } => self.commit(message, allow_large).await,
            Command::GitTag { name, message } => {
                let Some(path) = self.open.clone() else {
                    return;
                };
                match blocking(move || {
                    git::open(&path).and_then(|r| git::tag(&r, &name, message.as_deref()))
                })
                .await
                {
                    Ok(()) => self.send_log(0, LOG_PAGE).await,
                    Err(e) => self.git_fail("tag", e),
                }
            }
            Command::GitRollback { commit, mode } => {
                let Some(path) = self.open.clone() else {
                    return;
                };
                match blocking(move || {
                    git::open(&path).and_then(|r| git::rollback(&r, &commit, mode))
                })
                .await
                {
                    Ok(()) => {
                        if let Some(p) = self.open.clone() {
                            self.open_project(p, false).await;
                        }
                    }
                    Err(e) => self.git_fail("roll back", e),
                }
            }
            Command::GitRestoreMedia => {
                let Some(path) = self.open.clone() else {
                    return;
                };
                let restored =
                    blocking(move || git::open(&path).and_then(|r| lfs::smudge_work_tree(&r)))
                        .await;
                if let Err(e) = restored {
                    self.git_fail("restore media", e);
                }
                self.refresh_git().await;
            }
            Command::LfsTrack { pattern } | Command::LfsUntrack { pattern }
                if self.open.is_none() =>
            {
                self.git_fail(
                    "change LFS patterns",
                    format!("no project is open to track {pattern}"),
                )
            }
            Command::LfsTrack { pattern } => {
                let path = self.open.clone().expect("checked above");
                match blocking(move || lfs::track(&path, &pattern)).await {
                    Ok(_) => self.refresh_git().await,
                    Err(e) => self.git_fail("track", e),
                }
            }
            Command::LfsUntrack { pattern } => {
                let path = self.open.clone().expect("checked above");
                match blocking(move || lfs::untrack(&path, &pattern)).await {
                    Ok(_) => self.refresh_git().await,
                    Err(e) => self.git_fail("untrack", e),
                }
            }
            _ => {}
        }
    }

    async fn open_project(&mut self, path: PathBuf, read_only: bool) {
        let p = path.clone();
        let opened = blocking(move || {
            // A project from an earlier Slate is upgraded here, once, when that is safe.
            let upgrade = match project::upgrade_on_open(&p, read_only) {
                Ok(u) => u,
                Err(e) => match project::load(&p) {
                    Ok(parsed) => Upgrade::Pending {
                        changes: parsed.upgrade,
                        why: format!("Upgrading the project format failed: {e}"),
                    },
                    // Damaged: the error below says so.
                    Err(_) => Upgrade::Current,
                },
            };
            let (manifest, error) = match project::read_manifest(&p) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e)),
            };
            OpenProject {
                read_only: read_only || error.is_some(),
                path: p.clone(),
                manifest,
                error,
                assets: scan_assets(&p),
                asset_folders: assets::scan_project(&p),
                takes: takes::scan(&p),
                upgrade,
            }
        })
        .await;
        if opened.error.is_some() && !read_only && !path.join(".git").exists() {
            return self.fail("open the project", opened.error.unwrap_or_default());
        }
        self.read_only = opened.read_only;
        self.open = Some(path);
        if let Upgrade::Done { commit, changes } = &opened.upgrade {
            self.sink.emit(Event::Notification {
                level: Level::Info,
                title: "Project format upgraded".into(),
                body: format!(
                    "{} (commit {})",
                    changes.join("; "),
                    &commit[..7.min(commit.len())]
                ),
                task: None,
            });
        }
        self.sink.emit(Event::ProjectOpened { project: opened });
        self.refresh_git().await;
        self.send_log(0, LOG_PAGE).await;
    }

    async fn refresh_git(&self) {
        let Some(path) = self.open.clone() else {
            return;
        };
        let threshold = self.settings.workspace.lfs_warn_mib * 1024 * 1024;
        let result = blocking(move || -> Result<_, String> {
            let repo = git::open(&path)?;
            let status = git::status(&repo)?;
            let files = lfs::ls_files(&repo)?;
            let rules = lfs::Patterns::load(&path);
            let lfs = LfsSummary {
                patterns: rules.list(),
                rules,
                total_bytes: files.iter().map(|f| f.size).sum(),
                files,
                large_untracked: lfs::large_untracked(&path, threshold),
                problems: lfs::check(&repo)?,
            };
            Ok((status, lfs))
        })
        .await;
        match result {
            Ok((status, lfs)) => self.sink.emit(Event::GitStatus { status, lfs }),
            Err(e) => self.git_fail("read git status", e),
        }
    }

    async fn send_log(&self, skip: usize, limit: usize) {
        let Some(path) = self.open.clone() else {
            return;
        };
        match blocking(move || git::open(&path).and_then(|r| git::log(&r, skip, limit))).await {
            Ok(commits) => {
                let done = commits.len() < limit;
                self.sink.emit(Event::GitLog {
                    skip,
                    commits,
                    done,
                })
            }
            Err(e) => self.git_fail("read history", e),
        }
    }

    async fn commit(&mut self, message: String, allow_large: bool) {
        let Some(path) = self.open.clone() else {
            return self.git_fail("commit", "no project is open".into());
        };
        let threshold = self.settings.workspace.lfs_warn_mib * 1024 * 1024;
        let msg = message.clone();
        let result = blocking(
            move || -> Result<Result<String, Vec<(String, u64)>>, String> {
                let repo = git::open(&path)?;
                if !allow_large {
                    let st = git::status(&repo)?;
                    let large: Vec<_> = lfs::large_untracked(&path, threshold)
                        .into_iter()
                        .filter(|(p, _)| {
                            st.untracked.contains(p) || st.modified.iter().any(|c| &c.path == p)
                        })
                        .collect();
                    if !large.is_empty() {
                        return Ok(Err(large));
                    }
                }
                git::commit_all(&repo, &msg).map(Ok)
            },
        )
        .await;
        match result {
            Ok(Ok(id)) => {
                self.last_commit = Instant::now();
                let summary = message.lines().next().unwrap_or("").to_string();
                self.sink.emit(Event::GitCommitted { id, summary });
                self.refresh_git().await;
                self.send_log(0, LOG_PAGE).await;
            }
            Ok(Err(files)) => self.sink.emit(Event::GitLargeFiles { message, files }),
            Err(e) => self.git_fail("commit", e),
        }
    }

    /// Commits when changes have waited a full interval, or sooner once enough files
    /// changed. Large untracked files are never auto-committed: the user decides.
    async fn auto_commit(&mut self) {
        if !self.settings.workspace.auto_commit || self.read_only {
            return;
        }
        let Some(path) = self.open.clone() else {
            return;
        };
        let status = blocking(move || git::open(&path).and_then(|r| git::status(&r))).await;
        let Ok(status) = status else { return };
        if status.is_clean() {
            return;
        }
        let due = self.last_commit.elapsed()
            >= Duration::from_secs(self.settings.workspace.auto_commit_interval_s)
            || status.changed_count() as u64 >= self.settings.workspace.auto_commit_files;
        if due {
            self.commit(git::describe_changes(&status), false).await;
        }
    }
}

fn scan_assets(project: &Path) -> Vec<AssetFile> {
    let mut out = Vec::new();
    let assets = project.join("01_Assets");
    let Ok(cats) = std::fs::read_dir(&assets) else {
        return out;
    };
    for cat in cats.flatten() {
        let category = cat.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(cat.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if let Ok(m) = f.metadata()
                && m.is_file()
            {
                out.push(AssetFile {
                    category: category.clone(),
                    path: format!("01_Assets/{category}/{name}"),
                    size: m.len(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_commit_fires_on_its_timer() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        let p = project::create(
            &root,
            "Noir",
            crate::workspace::manifest::NarrativeTemplate::ThreeAct,
        )
        .unwrap();
        let mut settings = Settings::default();
        settings.workspace.auto_commit = true;
        settings.workspace.auto_commit_interval_s = 0;
        let (tx, rx) = crossbeam_channel::unbounded();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut actor = Actor {
                paths: Paths::in_dir(&dir.path().join("data"), Some(root.clone())),
                settings,
                sink: EventSink::new(tx, std::sync::Arc::new(|| {})),
                open: Some(p.clone()),
                read_only: false,
                last_commit: Instant::now(),
            };
            std::fs::create_dir_all(p.join("03_Renders/a/b/c")).unwrap();
            std::fs::write(p.join("03_Renders/a/b/c/take.json"), "{}").unwrap();
            actor.auto_commit().await;
        });
        let committed = rx.try_iter().find_map(|e| match e {
            Event::GitCommitted { summary, .. } => Some(summary),
            _ => None,
        });
        assert_eq!(committed.as_deref(), Some("feat: Generate 1 new render(s)"));
    }
}
