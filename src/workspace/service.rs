//! The workspace actor: owns which project is open and does every project, git and LFS
//! operation off the UI thread, one at a time, answering with `project.*` / `git.*`
//! events. It also runs the optional auto-commit timer.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::api::ApiError;
use crate::api::sink::EventSink;
use crate::events::{AssetFile, Command, Event, Level, LfsSummary, OpenProject};
use crate::model::manifest::NarrativeTemplate;
use crate::model::project::Upgrade;
use crate::paths::Paths;
use crate::settings::Settings;
use crate::workspace::ops::{self, ProjectOp};
use crate::workspace::{asset_import, assets, git, lfs, project, take_store, takes, watch};

/// History is sent in pages of this many commits.
pub use crate::model::git::LOG_PAGE;

#[derive(Clone)]
pub struct WorkspaceService {
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
    /// Set by `asset.cancel_import`, read by the import while it copies (the actor is
    /// busy with the import, so the flag is set here, not through the queue).
    cancel_import: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// The answer to a client's request on a project.
pub type OpReply = tokio::sync::oneshot::Sender<Result<serde_json::Value, ApiError>>;

enum Msg {
    Command(Command),
    Settings(Settings),
    /// A client's request on a project by name (the API, or a CLI with the window open).
    Op {
        project: String,
        op: ProjectOp,
        reply: OpReply,
    },
    Create {
        name: String,
        template: NarrativeTemplate,
        reply: OpReply,
    },
    /// The open project's folder changed on disk (from its watcher).
    FilesChanged {
        project: PathBuf,
        changes: watch::Changes,
    },
}

/// Where the service's messages wait until it starts.
pub struct Inbox(tokio::sync::mpsc::UnboundedReceiver<Msg>);

impl WorkspaceService {
    /// A handle that can be given out before the service runs (see [`Self::start`]).
    pub fn channel() -> (Self, Inbox) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel_import = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        (Self { tx, cancel_import }, Inbox(rx))
    }

    /// Starts the service on the current tokio runtime, reading `inbox`. `functions`
    /// says how a function runs (for a take's record); the runner knows, not us.
    pub fn start(
        &self,
        inbox: Inbox,
        paths: Paths,
        settings: Settings,
        sink: EventSink,
        functions: FunctionLookup,
    ) {
        let actor = Actor {
            functions,
            to_self: self.tx.downgrade(),
            watcher: None,
            undo: Vec::new(),
            cancel_import: self.cancel_import.clone(),
            paths,
            settings,
            sink,
            open: None,
            read_only: false,
            last_commit: Instant::now(),
        };
        tokio::spawn(actor.run(inbox.0));
    }

    /// Runs `op` on the project named `project` (a folder name in the workspace) and
    /// shows its effect in the open project, if that is the one.
    pub async fn op(&self, project: String, op: ProjectOp) -> Result<serde_json::Value, ApiError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Msg::Op { project, op, reply })
            .map_err(|_| ApiError::unavailable("the workspace has stopped"))?;
        rx.await
            .map_err(|_| ApiError::unavailable("the workspace has stopped"))?
    }

    /// Creates a project with the Settings' choices; the project list shows it.
    pub async fn create(
        &self,
        name: String,
        template: NarrativeTemplate,
    ) -> Result<serde_json::Value, ApiError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Msg::Create {
                name,
                template,
                reply,
            })
            .map_err(|_| ApiError::unavailable("the workspace has stopped"))?;
        rx.await
            .map_err(|_| ApiError::unavailable("the workspace has stopped"))?
    }

    pub fn command(&self, c: Command) {
        if c == Command::CancelImport {
            self.cancel_import
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        }
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
            | C::UndoStoryEdit
            | C::RenameProject { .. }
            | C::UpgradeProject
            | C::DeleteProject { .. }
            | C::RefreshGit
            | C::GitLog { .. }
            | C::GitShow { .. }
            | C::GitDiff { .. }
            | C::GitAddRemote { .. }
            | C::GitCommit { .. }
            | C::GitTag { .. }
            | C::GitRollback { .. }
            | C::GitRestoreMedia
            | C::LfsTrack { .. }
            | C::LfsUntrack { .. }
            | C::CreateTake { .. }
            | C::TakeAction { .. }
            | C::ImportAssets { .. }
            | C::CancelImport
            | C::RefreshAssets
            | C::RenameAsset { .. }
            | C::DeleteAsset { .. }
            | C::CopyFromLibrary { .. }
    )
}

/// How a function runs, as a take records it.
#[derive(Clone, Debug, Default)]
pub struct FunctionFacts {
    /// `process` or `docker`.
    pub executor: String,
    pub image: Option<String>,
    pub command: Vec<String>,
}

/// Looks a function up by id.
pub type FunctionLookup = std::sync::Arc<dyn Fn(&str) -> Option<FunctionFacts> + Send + Sync>;

struct Actor {
    functions: FunctionLookup,
    /// Weak, so the actor still ends when every handle is dropped.
    to_self: tokio::sync::mpsc::WeakUnboundedSender<Msg>,
    /// Watches the open project's folder; replaced when another project opens.
    watcher: Option<watch::ProjectWatcher>,
    /// Story files as they were before each edit of this session, newest last.
    undo: Vec<StorySnapshot>,
    cancel_import: std::sync::Arc<std::sync::atomic::AtomicBool>,
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
                    Some(Msg::Op { project, op, reply }) => {
                        reply.send(self.op(project, op).await).ok();
                    }
                    Some(Msg::Create { name, template, reply }) => {
                        let root = self.root();
                        let settings = self.settings.clone();
                        let made = blocking(move || {
                            ops::create(&root, &name, template, &settings)
                        })
                        .await;
                        if made.is_ok() {
                            self.list().await;
                        }
                        reply.send(made.map(|s| serde_json::json!(s))).ok();
                    }
                    Some(Msg::FilesChanged { project, changes }) => {
                        self.files_changed(project, changes).await
                    }
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

    async fn op(&mut self, project: String, op: ProjectOp) -> Result<serde_json::Value, ApiError> {
        let root = self.root();
        let settings = self.settings.clone();
        let touches = op.touches();
        let cancel = self.cancel_import.clone();
        cancel.store(false, std::sync::atomic::Ordering::Relaxed);
        let (path, result) = blocking(move || match ops::resolve(&root, &project) {
            Ok(path) => {
                let result = ops::run_cancellable(&path, op, &settings, &cancel);
                (Some(path), result)
            }
            Err(e) => (None, Err(e)),
        })
        .await;
        let path_for_folder = path.clone();
        // Another client changed the open project: show it here at once.
        if let Some(path) = path.filter(|p| result.is_ok() && Some(p) == self.open.as_ref()) {
            match touches {
                ops::Touches::Nothing => {}
                ops::Touches::Git => {
                    self.refresh_git().await;
                    self.send_log(0, LOG_PAGE).await;
                }
                ops::Touches::Story => self.open_project(path, self.read_only).await,
                ops::Touches::Folder => {}
            }
        }
        // A project renamed or deleted by a client: the list changes, and the window
        // follows the open one to its new folder or closes it.
        if touches == ops::Touches::Folder
            && let (Some(path), Ok(reply)) = (path_for_folder, &result)
        {
            if self.open.as_ref() == Some(&path) {
                let deleted = reply.get("permanently").is_some();
                match reply["path"].as_str().map(PathBuf::from) {
                    Some(dest) if !deleted => self.open_project(dest, self.read_only).await,
                    _ => {
                        self.open = None;
                        self.watcher = None;
                        self.sink.emit(Event::ProjectClosed);
                    }
                }
            }
            self.list().await;
        }
        result
    }

    fn fail(&self, action: &str, error: String) {
        self.sink.emit(Event::ProjectFailed {
            action: action.into(),
            error,
            kind: None,
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
                self.watcher = None;
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
                match blocking(move || {
                    let before = StorySnapshot::read(&path);
                    project::edit(&path, &edit).map(|done| {
                        // An edit that changed nothing (a field left as it was) is
                        // not a step to undo.
                        let changed = !before.same_files(&StorySnapshot::read(&path));
                        (changed.then_some(before), done)
                    })
                })
                .await
                {
                    Ok((before, (manifest, summary))) => {
                        if let Some(before) = before {
                            if self.undo.len() == MAX_UNDO {
                                self.undo.remove(0);
                            }
                            self.undo.push(StorySnapshot {
                                summary: summary.clone(),
                                ..before
                            });
                        }
                        self.sink.emit(Event::ProjectChanged {
                            manifest,
                            summary,
                            undoable: self.undo.len(),
                        });
                        self.refresh_git().await;
                    }
                    Err(e) => self.fail("edit the story", e),
                }
            }
            Command::UndoStoryEdit => self.undo_story_edit().await,
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
                        project::move_to_trash(&p).map(|()| p.clone())
                    }
                })
                .await;
                match result {
                    Ok(_) => {
                        if self.open.as_deref() == Some(path.as_path()) {
                            self.open = None;
                            self.watcher = None;
                            self.sink.emit(Event::ProjectClosed);
                        }
                        self.list().await;
                    }
                    Err(e) if permanently => self.fail("delete the project", e),
                    Err(error) => self.sink.emit(Event::ProjectFailed {
                        action: "move the project to the trash".into(),
                        error,
                        kind: Some(crate::events::FailureKind::TrashUnavailable),
                    }),
                }
            }
            Command::CreateTake { task } => self.create_take(*task).await,
            Command::TakeAction {
                folder,
                number,
                action,
            } => self.take_action(folder, number, action).await,
            Command::RefreshGit => self.refresh_git().await,
            Command::ImportAssets { request } => self.import_assets(request).await,
            Command::RefreshAssets => self.send_assets().await,
            Command::RenameAsset { path, new_name } => {
                let Some(project) = self.writable("rename the asset") else {
                    return;
                };
                match blocking(move || asset_import::rename(&project, &path, &new_name)).await {
                    Ok(_) => self.assets_changed().await,
                    Err(e) => self.fail("rename the asset", e),
                }
            }
            Command::DeleteAsset { path } => {
                let Some(project) = self.writable("delete the asset") else {
                    return;
                };
                match blocking(move || asset_import::delete_to_trash(&project, &path)).await {
                    Ok(_) => self.assets_changed().await,
                    Err(e) => self.fail("move the asset to the trash", e),
                }
            }
            Command::CopyFromLibrary { path } => {
                let Some(project) = self.writable("copy the asset") else {
                    return;
                };
                let ws = self.root();
                self.cancel_import
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                let cancel = self.cancel_import.clone();
                match blocking(move || {
                    asset_import::copy_from_library(&ws, &project, &path, &cancel)
                })
                .await
                {
                    Ok(report) => {
                        self.sink.emit(Event::AssetsImported { report });
                        self.assets_changed().await;
                    }
                    Err(e) => self.fail("copy the asset from the library", e),
                }
            }
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
            Command::GitAddRemote { name, url } => {
                let Some(path) = self.open.clone() else {
                    return;
                };
                match blocking(move || {
                    git::open(&path).and_then(|r| git::add_remote(&r, &name, &url))
                })
                .await
                {
                    Ok(()) => self.refresh_git().await,
                    Err(e) => self.git_fail("add the remote", e),
                }
            }
            Command::GitDiff { commit, path: file } => {
                let Some(path) = self.open.clone() else {
                    return;
                };
                let (c, f) = (commit.clone(), file.clone());
                match blocking(move || -> Result<_, String> {
                    let repo = git::open(&path)?;
                    Ok((
                        git::file_diff(&repo, &c, &f)?,
                        git::file_media(&repo, &c, &f)?,
                    ))
                })
                .await
                {
                    Ok((text, media)) => self.sink.emit(Event::GitDiff {
                        commit,
                        path: file,
                        text,
                        media,
                    }),
                    Err(e) => self.git_fail("show the change", e),
                }
            }
            Command::GitTag {
                name,
                message,
                commit,
            } => {
                let Some(path) = self.open.clone() else {
                    return;
                };
                match blocking(move || {
                    git::open(&path)
                        .and_then(|r| git::tag_at(&r, &name, commit.as_deref(), message.as_deref()))
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
        let commit_takes = self.settings.workspace.commit_takes;
        let opened = blocking(move || {
            // A crash while a take was written: finish it or roll it back first.
            let recovered = if read_only {
                Vec::new()
            } else {
                take_store::recover(&p, commit_takes)
                    .unwrap_or_else(|e| vec![format!("could not recover takes: {e}")])
            };
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
            (
                recovered,
                OpenProject {
                    read_only: read_only || error.is_some(),
                    path: p.clone(),
                    manifest,
                    error,
                    assets: scan_assets(&p),
                    asset_folders: assets::scan_project(&p),
                    takes: takes::scan(&p),
                    upgrade,
                },
            )
        })
        .await;
        let (recovered, opened) = opened;
        if !recovered.is_empty() {
            self.sink.emit(Event::Notification {
                level: Level::Info,
                title: "Takes recovered after a crash".into(),
                body: recovered.join("; "),
                task: None,
            });
        }
        if opened.error.is_some() && !read_only && !path.join(".git").exists() {
            return self.fail("open the project", opened.error.unwrap_or_default());
        }
        self.read_only = opened.read_only;
        if self.open.as_deref() != Some(path.as_path()) {
            self.undo.clear();
        }
        self.watch(&path);
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
        self.send_assets().await;
        self.refresh_git().await;
        self.send_log(0, LOG_PAGE).await;
    }

    async fn undo_story_edit(&mut self) {
        let Some(path) = self.writable("undo") else {
            return;
        };
        let Some(snapshot) = self.undo.pop() else {
            return self.sink.emit(Event::Notification {
                level: Level::Info,
                title: "Nothing to undo".into(),
                body: "No story edit was made since the project opened.".into(),
                task: None,
            });
        };
        let summary = format!("Undo: {}", snapshot.summary);
        match blocking(move || {
            snapshot
                .restore(&path)
                .and_then(|()| project::read_manifest(&path))
        })
        .await
        {
            Ok(manifest) => {
                self.sink.emit(Event::ProjectChanged {
                    manifest,
                    summary,
                    undoable: self.undo.len(),
                });
                self.refresh_git().await;
            }
            Err(e) => self.fail("undo the story edit", e),
        }
    }

    /// Starts watching `path` for changes made on disk by other programs. Without a
    /// watch (inotify limits, a network disk) the views still refresh after Slate's own
    /// changes and on Refresh; a notification says so.
    fn watch(&mut self, path: &Path) {
        if self.open.as_deref() == Some(path) && self.watcher.is_some() {
            return;
        }
        self.watcher = None;
        let to_self = self.to_self.clone();
        let project = path.to_path_buf();
        match watch::ProjectWatcher::start(path, move |changes| {
            if let Some(tx) = to_self.upgrade() {
                tx.send(Msg::FilesChanged {
                    project: project.clone(),
                    changes,
                })
                .ok();
            }
        }) {
            Ok(w) => self.watcher = Some(w),
            Err(e) => self.sink.emit(Event::Notification {
                level: Level::Warning,
                title: "Changes on disk are not watched".into(),
                body: format!(
                    "{e}. Use Refresh in Git and Assets to see files added outside Slate."
                ),
                task: None,
            }),
        }
    }

    /// Reads again what changed on disk, for the views that show it.
    async fn files_changed(&self, project: PathBuf, changes: watch::Changes) {
        if self.open.as_deref() != Some(project.as_path()) {
            return;
        }
        if changes.assets {
            self.send_assets().await;
        }
        if changes.takes {
            self.takes_changed(String::new()).await;
        }
        if changes.status {
            self.refresh_git().await;
        }
        if changes.history {
            self.send_log(0, LOG_PAGE).await;
        }
    }

    /// The folder of the project a shot-bound task writes to: the folder it was submitted
    /// from when that still holds the project's id, else the workspace's project with it.
    fn take_project(&self, task: &crate::model::task::Task) -> Result<PathBuf, String> {
        let r = task
            .shot_ref
            .as_ref()
            .ok_or("the task is not bound to a shot")?;
        let has_id = |p: &Path| project::read_manifest(p).is_ok_and(|m| m.id == r.project_id);
        if let Some(dir) = &r.project_dir
            && has_id(dir)
        {
            return Ok(dir.clone());
        }
        if let Some(open) = &self.open
            && has_id(open)
        {
            return Ok(open.clone());
        }
        project::list(&self.root())?
            .into_iter()
            .map(|s| s.path)
            .find(|p| has_id(p))
            .ok_or_else(|| {
                format!(
                    "the project {} this take belongs to is not in {}",
                    r.project_id,
                    self.root().display()
                )
            })
    }

    async fn create_take(&mut self, task: crate::model::task::Task) {
        let path = match self.take_project(&task) {
            Ok(p) => p,
            Err(error) => {
                return self.sink.emit(Event::TakeFailed {
                    task: Some(task.id),
                    action: "make a take".into(),
                    error,
                });
            }
        };
        let commit = self.settings.workspace.commit_takes;
        let lookup = self.functions.clone();
        let quality = self.settings.workspace.default_quality;
        let p = path.clone();
        let t = task.clone();
        let result = blocking(move || {
            let mut ctx = take_store::RunContext {
                quality: project::web_quality(quality).into(),
                ..Default::default()
            };
            if let Some(f) = lookup(&t.function) {
                ctx.executor = f.executor;
                ctx.image = f.image;
                ctx.command = f.command;
            }
            if let Some(i) = t.gpu_index {
                ctx.gpu_name = crate::gpu::nvml_inventory()
                    .map(|(_, gpus)| gpus)
                    .unwrap_or_default()
                    .into_iter()
                    .find(|g| g.index == i)
                    .map(|g| g.name);
            }
            let r = t.shot_ref.clone().unwrap_or_default();
            take_store::create(&p, &r, &t, &ctx, commit)
        })
        .await;
        match result {
            Ok(created) => {
                if !created.existed {
                    // Named as the director knows the shot, not by its folder ids.
                    let shot_name = project::read_manifest(&path)
                        .ok()
                        .and_then(|m| {
                            let r = task.shot_ref.clone().unwrap_or_default();
                            take_store::find_shot(&m, &r).map(|s| s.name.clone())
                        })
                        .unwrap_or_else(|| created.shot_id.clone());
                    self.sink.emit(Event::Notification {
                        level: Level::Success,
                        title: format!("New take: {shot_name} {}", created.take.id),
                        body: format!("from {}", task.title()),
                        task: Some(task.id),
                    });
                }
                let summary = format!("{} {}", created.shot_id, created.take.id);
                self.sink.emit(Event::TakeCreated {
                    task: task.id,
                    project: path.clone(),
                    created,
                });
                if self.open.as_deref() == Some(path.as_path()) {
                    self.takes_changed(summary).await;
                    self.refresh_git().await;
                }
            }
            Err(error) => self.sink.emit(Event::TakeFailed {
                task: Some(task.id),
                action: "make a take".into(),
                error,
            }),
        }
    }

    async fn take_action(
        &mut self,
        folder: take_store::ShotFolder,
        number: u32,
        action: take_store::TakeAction,
    ) {
        let Some(path) = self.open.clone() else {
            return self.sink.emit(Event::TakeFailed {
                task: None,
                action: "change a take".into(),
                error: "no project is open".into(),
            });
        };
        if self.read_only {
            return self.sink.emit(Event::TakeFailed {
                task: None,
                action: "change a take".into(),
                error: "the project is open read-only".into(),
            });
        }
        let commit = self.settings.workspace.commit_takes;
        let result =
            blocking(move || take_store::apply(&path, &folder, number, &action, commit)).await;
        match result {
            Ok(summary) => {
                self.takes_changed(summary).await;
                self.refresh_git().await;
            }
            Err(error) => self.sink.emit(Event::TakeFailed {
                task: None,
                action: "change a take".into(),
                error,
            }),
        }
    }

    async fn takes_changed(&self, summary: String) {
        let Some(path) = self.open.clone() else {
            return;
        };
        let p = path.clone();
        let takes = blocking(move || takes::scan(&p)).await;
        self.sink.emit(Event::TakesChanged {
            project: path,
            takes,
            summary,
        });
    }

    /// The open project, unless it is read-only (then a failure is sent).
    fn writable(&self, action: &str) -> Option<PathBuf> {
        let Some(path) = self.open.clone() else {
            self.fail(action, "no project is open".into());
            return None;
        };
        if self.read_only {
            self.fail(
                action,
                "the project is open read-only; open it for writing first".into(),
            );
            return None;
        }
        Some(path)
    }

    async fn import_assets(&mut self, request: asset_import::ImportRequest) {
        let Some(project) = self.writable("import assets") else {
            return;
        };
        let options = asset_import::ImportOptions {
            max_bytes: self
                .settings
                .workspace
                .asset_max_mib
                .saturating_mul(1024 * 1024),
            commit: true,
        };
        self.cancel_import
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let cancel = self.cancel_import.clone();
        let sink = self.sink.clone();
        let result = blocking(move || {
            asset_import::import(&project, &request, &options, &cancel, &mut |p| {
                sink.emit(Event::AssetProgress {
                    progress: p.clone(),
                })
            })
        })
        .await;
        match result {
            Ok(report) => {
                let committed = report.commit.is_some();
                self.sink.emit(Event::AssetsImported { report });
                if committed {
                    self.last_commit = Instant::now();
                }
                self.assets_changed().await;
            }
            Err(e) => {
                self.sink.emit(Event::AssetsImported {
                    report: asset_import::ImportReport::default(),
                });
                self.fail("import assets", e)
            }
        }
    }

    /// After an asset change: the asset list, git status and history.
    async fn assets_changed(&self) {
        self.send_assets().await;
        self.refresh_git().await;
        self.send_log(0, LOG_PAGE).await;
    }

    async fn send_assets(&self) {
        let Some(path) = self.open.clone() else {
            return;
        };
        let ws = self.root();
        let (assets, library) =
            blocking(move || (assets::scan_project(&path), assets::scan_library(&ws))).await;
        self.sink.emit(Event::AssetsListed { assets, library });
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
            let rules = lfs::load_patterns(&path);
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

/// Story edits that can be undone, per open project.
const MAX_UNDO: usize = 100;

/// The files a story edit writes, as they were before it.
struct StorySnapshot {
    project_json: Option<Vec<u8>>,
    story_json: Option<Vec<u8>>,
    /// What the edit did ("Add scene Rooftop").
    summary: String,
}

impl StorySnapshot {
    fn read(project: &Path) -> Self {
        Self {
            project_json: std::fs::read(project.join(crate::workspace::manifest::MANIFEST_FILE))
                .ok(),
            story_json: std::fs::read(project.join(crate::workspace::story::STORY_FILE)).ok(),
            summary: String::new(),
        }
    }

    /// The same story: the files equal but for project.json's `modified` time, which
    /// every write moves (an edit that changed nothing still writes it).
    fn same_files(&self, other: &StorySnapshot) -> bool {
        let story = |b: &Option<Vec<u8>>| {
            b.as_deref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .map(|mut v| {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("modified");
                    }
                    v
                })
        };
        self.story_json == other.story_json
            && story(&self.project_json) == story(&other.project_json)
    }

    /// Writes the files back (atomically); a file that did not exist is removed.
    fn restore(&self, project: &Path) -> Result<(), String> {
        for (rel, bytes) in [
            (
                crate::workspace::manifest::MANIFEST_FILE,
                &self.project_json,
            ),
            (crate::workspace::story::STORY_FILE, &self.story_json),
        ] {
            let file = project.join(rel);
            let done = match bytes {
                Some(b) => crate::util::write_atomic(&file, b),
                None => std::fs::remove_file(&file).or_else(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }),
            };
            done.map_err(|e| format!("could not write {}: {e}", file.display()))?;
        }
        Ok(())
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
            crate::model::manifest::NarrativeTemplate::ThreeAct,
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
            let (self_tx, _self_rx) = tokio::sync::mpsc::unbounded_channel();
            let mut actor = Actor {
                functions: std::sync::Arc::new(|_| None),
                to_self: self_tx.downgrade(),
                watcher: None,
                undo: Vec::new(),
                cancel_import: Default::default(),
                paths: Paths::in_dir(&dir.path().join("data"), Some(root.clone())),
                settings,
                sink: EventSink::new(tx, std::sync::Arc::new(|_| {})),
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
        assert_eq!(committed.as_deref(), Some("feat: Generate 1 new render"));
    }
}
