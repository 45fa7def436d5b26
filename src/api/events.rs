//! The one vocabulary between the UI and the core.
//!
//! The core sends [`Event`]s (over crossbeam-channel, waking the UI); the UI and the CLI
//! send [`Command`]s. `--json` output speaks the same events: each serialises as a JSON
//! object with a dotted `type` (`task.progress`, `settings.saved`, …).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::function::FunctionSummary;
use crate::model::git::{CommitInfo, FileStat, GitStatus, ResetMode};
use crate::model::lfs::LfsFile;
use crate::model::manifest::{Manifest, NarrativeTemplate};
use crate::model::project::{ProjectSummary, StructureEdit};
use crate::model::system::SystemInfo;
use crate::model::task::{Task, TaskId, TaskRequest};
use crate::settings::Settings;

/// The open project as the UI sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenProject {
    pub path: PathBuf,
    /// `None` when `project.json` could not be read; `error` says why.
    pub manifest: Option<Manifest>,
    pub error: Option<String>,
    /// Opened read-only after a manifest error: structure edits are refused.
    pub read_only: bool,
    pub assets: Vec<AssetFile>,
    /// Asset folders (`01_Assets/<Category>/<Name>_<id8>/`, with `asset.json`).
    #[serde(default)]
    pub asset_folders: Vec<crate::model::asset::Asset>,
    /// Every take under `03_Renders/`.
    #[serde(default)]
    pub takes: crate::model::take::TakeIndex,
    /// What opening did about an earlier Slate format (upgraded, or why not yet).
    #[serde(default = "upgrade_current")]
    pub upgrade: crate::model::project::Upgrade,
}

fn upgrade_current() -> crate::model::project::Upgrade {
    crate::model::project::Upgrade::Current
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssetFile {
    pub category: String,
    pub path: String,
    pub size: u64,
}

/// LFS facts for the Git tab's LFS panel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LfsSummary {
    pub patterns: Vec<String>,
    /// The project's `.gitattributes` LFS rules, to match paths exactly as the core does.
    pub rules: crate::model::lfs::Patterns,
    pub files: Vec<LfsFile>,
    pub total_bytes: u64,
    pub large_untracked: Vec<(String, u64)>,
    pub problems: Vec<String>,
}

/// A failure a client acts on by its kind, never by its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The trash could not take it (no trash on that disk, or it refused): the client
    /// may offer to delete for good, after asking.
    TrashUnavailable,
}

/// How loud a notification is. Low-priority ones dismiss themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

/// Something the core tells the UI (and `--json` consumers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    #[serde(rename = "settings.loaded")]
    SettingsLoaded {
        settings: Settings,
        path: PathBuf,
        warning: Option<String>,
    },
    #[serde(rename = "settings.saved")]
    SettingsSaved { settings: Settings },
    #[serde(rename = "settings.failed")]
    SettingsFailed { error: String },
    #[serde(rename = "system.probed")]
    SystemProbed { info: SystemInfo },
    /// The remote Docker hosts of Settings → Runner and how each answered last.
    #[serde(rename = "runner.hosts")]
    DockerHosts {
        hosts: Vec<crate::model::gpu::HostStatus>,
    },
    #[serde(rename = "functions.loaded")]
    FunctionsLoaded {
        functions: Vec<FunctionSummary>,
        errors: Vec<String>,
    },
    /// Every task the store knows, sent once when the runner starts.
    #[serde(rename = "tasks.snapshot")]
    TasksSnapshot { tasks: Vec<Task>, paused: bool },
    /// A new task was queued (durable when this is sent).
    #[serde(rename = "task.submitted")]
    TaskSubmitted { task: Task },
    /// A submission was refused; each bad field is named.
    #[serde(rename = "task.rejected")]
    TaskRejected {
        function: String,
        errors: Vec<crate::model::function::FieldError>,
    },
    /// A task changed state (already durable when this is sent).
    #[serde(rename = "task.updated")]
    TaskUpdated { task: Task },
    #[serde(rename = "task.progress")]
    TaskProgress {
        id: TaskId,
        progress: f32,
        stage: Option<String>,
        message: Option<String>,
        eta_s: Option<f64>,
    },
    #[serde(rename = "task.log")]
    TaskLog {
        id: TaskId,
        stderr: bool,
        line: String,
    },
    /// A task's whole log, read from disk on request.
    #[serde(rename = "task.log_text")]
    TaskLogText { id: TaskId, lines: Vec<String> },
    #[serde(rename = "queue.paused")]
    QueuePaused { paused: bool },
    #[serde(rename = "project.listed")]
    ProjectsListed { projects: Vec<ProjectSummary> },
    #[serde(rename = "project.created")]
    ProjectCreated { path: PathBuf },
    #[serde(rename = "project.opened")]
    ProjectOpened { project: OpenProject },
    #[serde(rename = "project.closed")]
    ProjectClosed,
    #[serde(rename = "project.changed")]
    ProjectChanged {
        manifest: Manifest,
        summary: String,
        /// Story edits that Undo can take back now (this session's, newest last).
        #[serde(default)]
        undoable: usize,
    },
    /// A project operation failed; nothing was changed.
    #[serde(rename = "project.failed")]
    ProjectFailed {
        action: String,
        error: String,
        /// What kind of failure, when a client should offer something for it.
        #[serde(default)]
        kind: Option<FailureKind>,
    },
    #[serde(rename = "git.status")]
    GitStatus { status: GitStatus, lfs: LfsSummary },
    #[serde(rename = "git.log")]
    GitLog {
        skip: usize,
        commits: Vec<CommitInfo>,
        done: bool,
    },
    #[serde(rename = "git.files")]
    GitFiles {
        commit: String,
        files: Vec<FileStat>,
    },
    /// A file's change in a commit: a unified diff, or for binary/LFS media a line
    /// saying what changed.
    #[serde(rename = "git.diff")]
    GitDiff {
        commit: String,
        path: String,
        text: String,
        /// For a picture: the files to show before and after the commit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media: Option<crate::model::git::MediaChange>,
    },
    #[serde(rename = "git.committed")]
    GitCommitted { id: String, summary: String },
    /// The commit guard: these untracked files are large; the user decides.
    #[serde(rename = "git.large_files")]
    GitLargeFiles {
        message: String,
        files: Vec<(String, u64)>,
    },
    #[serde(rename = "git.failed")]
    GitFailed { action: String, error: String },
    /// An asset import is copying: where it stands.
    #[serde(rename = "asset.progress")]
    AssetProgress {
        progress: crate::model::asset::ImportProgress,
    },
    /// An asset import ended (imported, partly failed or cancelled; see the report).
    #[serde(rename = "asset.imported")]
    AssetsImported {
        report: crate::model::asset::ImportReport,
    },
    /// The open project's asset folders (and the workspace library's), read again.
    #[serde(rename = "asset.listed")]
    AssetsListed {
        assets: Vec<crate::model::asset::Asset>,
        library: Vec<crate::model::asset::Asset>,
    },
    /// One GPU reading (or why there is none), with processes attributed to tasks.
    #[serde(rename = "gpu.sample")]
    GpuSample {
        ts_ms: u64,
        gpus: Vec<crate::model::gpu::GpuSample>,
        error: Option<String>,
    },
    #[serde(rename = "runner.failed")]
    RunnerFailed { error: String },
    /// A shot-bound task's outputs became the shot's next take (committed when
    /// `created.commit` is set).
    #[serde(rename = "take.created")]
    TakeCreated {
        task: TaskId,
        project: PathBuf,
        created: crate::model::take::CreatedTake,
    },
    /// A take could not be made or changed; nothing half-done was left.
    #[serde(rename = "take.failed")]
    TakeFailed {
        task: Option<TaskId>,
        action: String,
        error: String,
    },
    /// The open project's takes, read again after a take changed.
    #[serde(rename = "takes.changed")]
    TakesChanged {
        project: PathBuf,
        takes: crate::model::take::TakeIndex,
        summary: String,
    },
    #[serde(rename = "notification")]
    Notification {
        level: Level,
        title: String,
        body: String,
        task: Option<TaskId>,
    },
}

/// Something the UI (or the CLI) asks the core to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Command {
    #[serde(rename = "settings.save")]
    SaveSettings { settings: Settings },
    #[serde(rename = "system.probe")]
    ProbeSystem,
    #[serde(rename = "task.submit")]
    SubmitTask { request: TaskRequest },
    #[serde(rename = "task.cancel")]
    CancelTask { id: TaskId },
    #[serde(rename = "task.retry")]
    RetryTask { id: TaskId },
    #[serde(rename = "task.reprioritise")]
    SetPriority { id: TaskId, priority: i32 },
    /// Swaps a queued task with its neighbour in run order.
    #[serde(rename = "task.move")]
    MoveTask { id: TaskId, up: bool },
    #[serde(rename = "task.read_log")]
    ReadLog { id: TaskId },
    #[serde(rename = "functions.reload")]
    ReloadFunctions,
    #[serde(rename = "queue.pause")]
    PauseQueue { paused: bool },
    /// Checks every remote Docker host now (Settings → Runner's Test button).
    #[serde(rename = "runner.check_hosts")]
    CheckDockerHosts,
    #[serde(rename = "project.list")]
    ListProjects,
    #[serde(rename = "project.create")]
    CreateProject {
        name: String,
        template: NarrativeTemplate,
    },
    #[serde(rename = "project.open")]
    OpenProject { path: PathBuf, read_only: bool },
    #[serde(rename = "project.close")]
    CloseProject,
    #[serde(rename = "project.edit")]
    EditProject { edit: StructureEdit },
    /// Undoes the last story edit made through `project.edit` since the project opened
    /// (project.json and the story sidecar as they were before it).
    #[serde(rename = "project.undo")]
    UndoStoryEdit,
    #[serde(rename = "project.rename")]
    RenameProject { new_name: String },
    /// Upgrades the open project from an earlier Slate format (one commit).
    #[serde(rename = "project.upgrade")]
    UpgradeProject,
    /// Moves a project to the trash, or deletes it for good when `permanently`.
    #[serde(rename = "project.delete")]
    DeleteProject { path: PathBuf, permanently: bool },
    #[serde(rename = "git.refresh")]
    RefreshGit,
    #[serde(rename = "git.log")]
    GitLog { skip: usize, limit: usize },
    #[serde(rename = "git.show")]
    GitShow { commit: String },
    /// One file's change in a commit, against the commit's first parent.
    #[serde(rename = "git.diff")]
    GitDiff { commit: String, path: String },
    /// Commits every change. Large untracked files stop it with `git.large_files`
    /// unless `allow_large`.
    #[serde(rename = "git.commit")]
    GitCommit { message: String, allow_large: bool },
    #[serde(rename = "git.tag")]
    GitTag {
        name: String,
        message: Option<String>,
        /// The commit to tag; HEAD when absent.
        #[serde(default)]
        commit: Option<String>,
    },
    /// Adds a remote after checking that the URL answers.
    #[serde(rename = "git.add_remote")]
    GitAddRemote { name: String, url: String },
    #[serde(rename = "git.rollback")]
    GitRollback { commit: String, mode: ResetMode },
    /// Writes the media of LFS files left as pointer text (`GitStatus::media_missing`).
    #[serde(rename = "git.restore_media")]
    GitRestoreMedia,
    /// Imports files into the open project as assets (one commit); answered with
    /// `asset.progress` events and `asset.imported`.
    #[serde(rename = "asset.import")]
    ImportAssets {
        request: crate::model::asset::ImportRequest,
    },
    /// Cancels the import in progress; it leaves nothing behind.
    #[serde(rename = "asset.cancel_import")]
    CancelImport,
    /// Reads the asset folders again (sent by the file watcher, or after outside changes).
    #[serde(rename = "asset.refresh")]
    RefreshAssets,
    /// Renames an asset (`path`: its folder, relative to the project).
    #[serde(rename = "asset.rename")]
    RenameAsset { path: String, new_name: String },
    /// Moves an asset folder to the trash and commits its removal.
    #[serde(rename = "asset.delete")]
    DeleteAsset { path: String },
    /// Copies `Library/<Category>/<folder>` into the open project.
    #[serde(rename = "library.copy")]
    CopyFromLibrary { path: String },
    #[serde(rename = "lfs.track")]
    LfsTrack { pattern: String },
    #[serde(rename = "lfs.untrack")]
    LfsUntrack { pattern: String },
    /// The GPU tab is showing (read clocks, fan and processes) or not.
    #[serde(rename = "gpu.detail")]
    GpuDetail { on: bool },
    /// Makes a succeeded shot-bound task's outputs the shot's next take (the core sends
    /// it when such a task succeeds; repeating it for the same task makes nothing new).
    #[serde(rename = "take.create")]
    CreateTake { task: Box<Task> },
    /// A review action on a take of the open project.
    #[serde(rename = "take.action")]
    TakeAction {
        folder: crate::model::take::ShotFolder,
        number: u32,
        action: crate::model::take::TakeAction,
    },
    #[serde(rename = "core.shutdown")]
    Shutdown,
}

/// What an event asks of an idle window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Nothing it draws changed: a GPU sample changes only the GPU tab, which repaints on
    /// the sampler's clock while it is shown.
    Never,
    /// Only a view of this task changed (its progress, stage or live log): worth a frame
    /// only while the window draws that task.
    IfShown(TaskId),
    Always,
}

impl Event {
    /// Whether, and for what, an idle window should wake for this event.
    pub fn wake(&self) -> Wake {
        match self {
            Event::GpuSample { .. } => Wake::Never,
            Event::TaskProgress { id, .. } | Event::TaskLog { id, .. } => Wake::IfShown(*id),
            _ => Wake::Always,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_a_dotted_type() {
        let e = Event::TaskProgress {
            id: 7,
            progress: 0.5,
            stage: Some("sampling".into()),
            message: None,
            eta_s: Some(3.0),
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "task.progress");
        assert_eq!(json["id"], 7);
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }
}
