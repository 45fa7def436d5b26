//! Plain data the views render, built only from core events. Applying an event is a pure
//! function, so it is tested without egui.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;

use crate::events::{Event, Level, LfsSummary, OpenProject};
use crate::model::function::{FieldError, FunctionSummary};
use crate::model::git::{CommitInfo, FileStat, GitStatus};
use crate::model::project::ProjectSummary;
use crate::model::system::SystemInfo;
use crate::model::task::{Task, TaskId, TaskState};
use crate::settings::Settings;

/// Notifications kept at most; older ones drop off.
pub const MAX_NOTIFICATIONS: usize = 50;
/// Log lines kept per task in memory (the full log is on disk).
pub const MAX_LOG_LINES: usize = 2_000;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Notification {
    pub id: u64,
    pub level: Level,
    pub title: String,
    pub body: String,
    pub task: Option<TaskId>,
    pub at_ms: u64,
    pub read: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ViewModel {
    /// Core events applied so far (the repaint bench counts them).
    pub events_applied: u64,
    /// The serving Slate this window is a client of (`slate serve` owns the data dir).
    pub linked_to: Option<String>,
    pub settings: Option<Settings>,
    pub settings_path: Option<PathBuf>,
    /// A broken settings file, or a failed save: shown until dismissed.
    pub settings_warning: Option<String>,
    pub system: Option<SystemInfo>,
    pub functions: Vec<FunctionSummary>,
    pub function_errors: Vec<String>,
    pub tasks: BTreeMap<TaskId, Task>,
    /// Tasks holding an executor (kept so a frame never scans the whole history).
    active_ids: BTreeSet<TaskId>,
    queued: usize,
    /// Finished tasks by finish time, oldest first.
    finished: BTreeSet<(u64, TaskId)>,
    /// Past run times (seconds) and their inputs per function and preset, for ETAs.
    durations: HashMap<(String, Option<String>), Vec<PastRun>>,
    /// The history figure (`history_p75`) of each active task.
    history_of_active: HashMap<TaskId, Option<f64>>,
    /// Where each running task's current stage began (its estimate follows the stage).
    stage_marks: HashMap<TaskId, crate::model::eta::StageMark>,
    pub tasks_loaded: bool,
    pub queue_paused: bool,
    pub runner_error: Option<String>,
    pub logs: BTreeMap<TaskId, VecDeque<(bool, String)>>,
    pub notifications: VecDeque<Notification>,
    next_notification: u64,
    /// Notifications up to this id came from the last session: listed, never toasted.
    pub restored_notifications_up_to: u64,
    /// The last refused submission, for the Run dialog to show next to its fields.
    pub rejected: Option<(String, Vec<FieldError>)>,
    /// Tasks submitted from this window, newest last (the Run dialog closes on success).
    pub submitted: Vec<TaskId>,
    pub projects: Vec<ProjectSummary>,
    pub projects_loaded: bool,
    pub project: Option<OpenProject>,
    /// Story edits the core can undo now.
    pub story_undoable: usize,
    pub git_status: Option<GitStatus>,
    pub lfs: LfsSummary,
    /// History of the open project, newest first, as pages arrive.
    pub git_log: Vec<CommitInfo>,
    pub git_log_done: bool,
    pub git_files: Option<(String, Vec<FileStat>)>,
    /// One file's change in one commit: (commit, path, diff text).
    /// The file change shown: commit, path, diff text and, for a picture, its files.
    #[allow(clippy::type_complexity)]
    pub git_diff: Option<(
        String,
        String,
        String,
        Option<crate::model::git::MediaChange>,
    )>,
    /// The commit guard's question: a commit waiting on large untracked files.
    pub large_files: Option<(String, Vec<(String, u64)>)>,
    /// The last failed project action, for the dialog that asked for it.
    pub project_error: Option<String>,
    /// The kind of the last project failure, for the dialogs that act on one.
    pub project_failure: Option<crate::events::FailureKind>,
    pub git_error: Option<String>,
    /// Bumped on every successful commit (the Git tab clears its message box).
    pub commits_made: u64,
    /// Bumped on every project created (the New project dialog closes).
    pub projects_created: u64,
    /// Bumped when a running task fails (the progress area opens itself).
    pub failures_seen: u64,
    /// GPU readings: the latest, and a bounded history per GPU.
    pub gpu: crate::model::gpu_history::GpuHistory,
    /// The full log of one task, read from disk on request.
    pub log_text: Option<(TaskId, Vec<String>)>,
    /// Takes made from tasks: task → (shot id, take id), for "Open take".
    pub takes_made: BTreeMap<TaskId, (String, String)>,
    /// Bumped whenever the open project's takes are read again.
    pub takes_version: u64,
    /// The asset import in progress (shown in the progress area with Cancel).
    pub import: Option<crate::model::asset::ImportProgress>,
    pub importing: bool,
    /// The last import's report (the import dialog shows what failed and why).
    pub last_import: Option<crate::model::asset::ImportReport>,
    /// Bumped when an import ends.
    pub imports_done: u64,
    /// Assets in the workspace `Library/`.
    pub library: Vec<crate::model::asset::Asset>,
    /// Remote Docker hosts and how each answered last (the local engine is `system`).
    pub docker_hosts: Vec<crate::model::gpu::HostStatus>,
}

impl ViewModel {
    pub fn apply(&mut self, event: Event, now_ms: u64) {
        self.events_applied += 1;
        match event {
            Event::DockerHosts { hosts } => self.docker_hosts = hosts,
            Event::SettingsLoaded {
                settings,
                path,
                warning,
            } => {
                self.settings = Some(settings);
                self.settings_path = Some(path);
                if let Some(w) = warning {
                    self.settings_warning = Some(w.clone());
                    self.notify(Level::Warning, "Settings file was broken", &w, None, now_ms);
                }
            }
            Event::SettingsSaved { settings } => {
                self.settings = Some(settings);
                self.notify(Level::Info, "Settings saved", "", None, now_ms);
            }
            Event::SettingsFailed { error } => {
                self.notify(Level::Error, "Settings not saved", &error, None, now_ms);
            }
            Event::SystemProbed { info } => self.system = Some(info),
            Event::FunctionsLoaded { functions, errors } => {
                self.functions = functions;
                self.function_errors = errors;
            }
            Event::TasksSnapshot { tasks, paused } => {
                self.tasks.clear();
                self.active_ids.clear();
                self.finished.clear();
                self.durations.clear();
                self.history_of_active.clear();
                self.queued = 0;
                for t in tasks {
                    self.upsert_task(t);
                }
                // Every past run is in now: the active tasks' figures start from all of it.
                let active: Vec<TaskId> = self.active_ids.iter().copied().collect();
                for id in active {
                    self.refresh_history_of(id);
                }
                self.tasks_loaded = true;
                self.queue_paused = paused;
                // A snapshot comes from a working runner (also one that just got the
                // store back from another Slate).
                self.runner_error = None;
            }
            Event::TaskSubmitted { task } => {
                self.submitted.push(task.id);
                self.rejected = None;
                self.upsert_task(task);
            }
            Event::TaskRejected { function, errors } => {
                self.rejected = Some((function, errors));
            }
            Event::TaskUpdated { task } => {
                let was_active = self
                    .tasks
                    .get(&task.id)
                    .is_some_and(|t| !t.state.is_finished());
                let failed = task.state == TaskState::Failed;
                if !task.state.is_active() {
                    self.stage_marks.remove(&task.id);
                }
                self.upsert_task(task);
                if was_active && failed {
                    self.failures_seen += 1;
                }
            }
            Event::TaskProgress {
                id,
                progress,
                stage,
                message,
                ..
            } => {
                if let Some(t) = self.tasks.get_mut(&id) {
                    if stage.is_some() && stage != t.stage {
                        let since_s = t.duration_ms(now_ms).unwrap_or(0) as f64 / 1000.0;
                        self.stage_marks
                            .insert(id, crate::model::eta::StageMark { since_s, progress });
                    }
                    t.progress = progress;
                    t.stage = stage;
                    t.message = message;
                }
            }
            Event::TaskLogText { id, lines } => self.log_text = Some((id, lines)),
            Event::GpuSample { ts_ms, gpus, error } => match error {
                Some(e) => {
                    self.gpu.latest.clear();
                    self.gpu.error = Some(e);
                }
                None => self.gpu.push(ts_ms, gpus),
            },
            Event::TaskLog { id, stderr, line } => {
                if let Some((lid, lines)) = &mut self.log_text
                    && *lid == id
                {
                    // Timed as it arrives; the file has the runner's own time.
                    lines.push(crate::model::logfile::record(now_ms, stderr, &line));
                }
                let log = self.logs.entry(id).or_default();
                if log.len() == MAX_LOG_LINES {
                    log.pop_front();
                }
                log.push_back((stderr, line));
            }
            Event::QueuePaused { paused } => self.queue_paused = paused,
            Event::RunnerFailed { error } => {
                self.notify(Level::Error, "Task runner", &error, None, now_ms);
                self.runner_error = Some(error);
            }
            Event::Notification {
                level,
                title,
                body,
                task,
            } => self.notify(level, &title, &body, task, now_ms),
            Event::TakeCreated { task, created, .. } => {
                self.takes_made
                    .insert(task, (created.shot_id, created.take.id));
            }
            Event::TakeFailed {
                action,
                error,
                task,
            } => {
                self.notify(
                    Level::Error,
                    &format!("Could not {action}"),
                    &error,
                    task,
                    now_ms,
                );
            }
            Event::TakesChanged { project, takes, .. } => {
                if let Some(p) = self.project.as_mut()
                    && p.path == project
                {
                    p.takes = takes;
                    self.takes_version += 1;
                }
            }
            Event::ProjectsListed { projects } => {
                self.projects = projects;
                self.projects_loaded = true;
            }
            Event::ProjectCreated { path } => {
                self.project_error = None;
                self.project_failure = None;
                self.projects_created += 1;
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                self.notify(Level::Success, "Project created", &name, None, now_ms);
            }
            Event::ProjectOpened { project } => {
                if let Some(e) = &project.error {
                    self.notify(Level::Error, "Project opened read-only", e, None, now_ms);
                }
                self.project_error = None;
                self.project_failure = None;
                self.git_log.clear();
                self.git_files = None;
                self.git_status = None;
                // The core keeps its undo steps while the same project is read again; a
                // commit waiting on large files belongs to the project it was asked in.
                if self.project.as_ref().map(|p| &p.path) != Some(&project.path) {
                    self.story_undoable = 0;
                    self.large_files = None;
                }
                self.project = Some(project);
            }
            Event::ProjectClosed => {
                self.project = None;
                self.story_undoable = 0;
                self.large_files = None;
                self.git_status = None;
                self.git_log.clear();
                self.git_files = None;
            }
            Event::ProjectChanged {
                manifest, undoable, ..
            } => {
                self.story_undoable = undoable;
                self.project_error = None;
                self.project_failure = None;
                if let Some(p) = &mut self.project {
                    p.manifest = Some(manifest);
                }
            }
            Event::ProjectFailed {
                action,
                error,
                kind,
            } => {
                self.notify(
                    Level::Error,
                    &format!("Could not {action}"),
                    &error,
                    None,
                    now_ms,
                );
                self.project_error = Some(error);
                self.project_failure = kind;
            }
            Event::GitStatus { status, lfs } => {
                self.git_status = Some(status);
                self.lfs = lfs;
            }
            Event::GitLog {
                skip,
                commits,
                done,
            } => {
                self.git_log.truncate(skip);
                self.git_log.extend(commits);
                self.git_log_done = done;
            }
            Event::GitFiles { commit, files } => self.git_files = Some((commit, files)),
            Event::GitDiff {
                commit,
                path,
                text,
                media,
            } => self.git_diff = Some((commit, path, text, media)),
            Event::GitCommitted { summary, .. } => {
                self.large_files = None;
                self.git_error = None;
                self.commits_made += 1;
                self.notify(Level::Success, "Committed", &summary, None, now_ms);
            }
            Event::AssetProgress { progress } => {
                self.importing = true;
                self.import = Some(progress);
            }
            Event::AssetsImported { report } => {
                self.importing = false;
                self.import = None;
                self.imports_done += 1;
                if report.cancelled {
                    self.notify(
                        Level::Info,
                        "Import cancelled",
                        &report.summary(),
                        None,
                        now_ms,
                    );
                } else if !report.imported.is_empty() || !report.failed.is_empty() {
                    let level = if report.failed.is_empty() {
                        Level::Success
                    } else {
                        Level::Warning
                    };
                    let mut body = report.summary();
                    for f in &report.failed {
                        body += &format!("\n{}", f.error);
                    }
                    self.notify(level, "Assets imported", &body, None, now_ms);
                }
                self.last_import = Some(report);
            }
            Event::AssetsListed { assets, library } => {
                if let Some(p) = &mut self.project {
                    p.asset_folders = assets;
                }
                self.library = library;
            }
            Event::GitLargeFiles { message, files } => self.large_files = Some((message, files)),
            Event::GitFailed { action, error } => {
                self.notify(
                    Level::Error,
                    &format!("Could not {action}"),
                    &error,
                    None,
                    now_ms,
                );
                self.git_error = Some(error);
            }
        }
    }

    /// Inserts or replaces a task, keeping the indexes in step.
    fn upsert_task(&mut self, task: Task) {
        if let Some(old) = self.tasks.get(&task.id) {
            if old.state.is_finished() {
                self.finished
                    .remove(&(old.finished_ms.unwrap_or(0), old.id));
            }
            if old.state == TaskState::Queued {
                self.queued -= 1;
            }
        }
        if task.state.is_active() {
            self.active_ids.insert(task.id);
        } else {
            self.active_ids.remove(&task.id);
        }
        if task.state == TaskState::Queued {
            self.queued += 1;
        }
        if task.state.is_finished() {
            self.finished
                .insert((task.finished_ms.unwrap_or(0), task.id));
        }
        let newly_succeeded = task.state == TaskState::Succeeded
            && self
                .tasks
                .get(&task.id)
                .is_none_or(|o| o.state != TaskState::Succeeded);
        let (id, active, function) = (task.id, task.state.is_active(), task.function.clone());
        let new_run = newly_succeeded.then(|| task.duration_ms(0)).flatten();
        if let Some(d) = new_run {
            self.durations
                .entry((task.function.clone(), task.preset.clone()))
                .or_default()
                .push(PastRun {
                    secs: d as f64 / 1000.0,
                    inputs: task.params.clone(),
                });
        }
        self.tasks.insert(id, task);
        // Each active task's history figure is worked out once, and again only when a
        // run of its function succeeds: a frame only reads it.
        if new_run.is_some() {
            let same: Vec<TaskId> = self
                .active_ids
                .iter()
                .filter(|i| self.tasks.get(i).is_some_and(|t| t.function == function))
                .copied()
                .collect();
            for i in same {
                self.refresh_history_of(i);
            }
        }
        if !active {
            self.history_of_active.remove(&id);
        } else if !self.history_of_active.contains_key(&id) {
            self.refresh_history_of(id);
        }
    }

    fn refresh_history_of(&mut self, id: TaskId) {
        let figure = self.tasks.get(&id).and_then(|t| self.history_p75(t));
        self.history_of_active.insert(id, figure);
    }

    /// The 75th-percentile run time of `task`'s function and preset with similar inputs,
    /// once 3 such runs exist.
    pub fn history_p75(&self, task: &Task) -> Option<f64> {
        let key = (task.function.clone(), task.preset.clone());
        let mut runs: Vec<f64> = self
            .durations
            .get(&key)?
            .iter()
            .filter(|r| crate::model::eta::similar_inputs(&r.inputs, &task.params))
            .map(|r| r.secs)
            .collect();
        runs.sort_by(f64::total_cmp);
        crate::model::eta::p75(&runs)
    }

    /// Seconds left for a running task; `None` until there is something to base it on.
    pub fn eta_s(&self, t: &Task, now_ms: u64) -> Option<f64> {
        let elapsed = t.duration_ms(now_ms).unwrap_or(0) as f64 / 1000.0;
        crate::model::eta::remaining_in_stage(
            elapsed,
            t.progress,
            self.stage_marks.get(&t.id).copied(),
            match self.history_of_active.get(&t.id) {
                Some(figure) => *figure,
                None => self.history_p75(t),
            },
        )
    }

    /// Finished tasks, newest first.
    pub fn recently_finished(&self) -> impl Iterator<Item = &Task> {
        self.finished
            .iter()
            .rev()
            .filter_map(|(_, id)| self.tasks.get(id))
    }

    pub fn queued_count(&self) -> usize {
        self.queued
    }

    pub fn mark_read(&mut self) {
        for n in &mut self.notifications {
            n.read = true;
        }
    }

    pub fn notify(
        &mut self,
        level: Level,
        title: &str,
        body: &str,
        task: Option<TaskId>,
        now_ms: u64,
    ) {
        // One alert per condition: a warning or error about the machine (no task) that is
        // already listed, unread, or raised within the last hour and read (a restart while
        // the GPU is still hot), is refreshed in place, not raised again.
        if task.is_none()
            && matches!(level, Level::Warning | Level::Error)
            && let Some(n) = self.notifications.iter_mut().rev().find(|n| {
                n.task.is_none()
                    && n.level == level
                    && n.title == title
                    && (!n.read || now_ms.saturating_sub(n.at_ms) < CONDITION_QUIET_MS)
            })
        {
            n.body = body.to_string();
            return;
        }
        self.next_notification += 1;
        if self.notifications.len() == MAX_NOTIFICATIONS {
            self.notifications.pop_front();
        }
        self.notifications.push_back(Notification {
            id: self.next_notification,
            level,
            title: title.to_string(),
            body: body.to_string(),
            task,
            at_ms: now_ms,
            read: false,
        });
    }

    /// Puts back notifications kept from the last session.
    pub fn restore_notifications(&mut self, kept: Vec<Notification>) {
        self.next_notification = kept.iter().map(|n| n.id).max().unwrap_or(0);
        self.restored_notifications_up_to = self.next_notification;
        self.notifications = kept
            .into_iter()
            .rev()
            .take(MAX_NOTIFICATIONS)
            .rev()
            .collect();
    }

    pub fn unread(&self) -> usize {
        self.notifications.iter().filter(|n| !n.read).count()
    }

    pub fn count(&self, state: TaskState) -> usize {
        self.tasks.values().filter(|t| t.state == state).count()
    }

    /// Tasks holding an executor, oldest first.
    pub fn active(&self) -> impl Iterator<Item = &Task> {
        self.active_ids.iter().filter_map(|id| self.tasks.get(id))
    }
}

/// How long after it was raised a machine alert the user has read stays quiet while its
/// condition lasts.
pub const CONDITION_QUIET_MS: u64 = 60 * 60 * 1000;

/// One successful run, for the estimates of later runs like it.
#[derive(Clone, Debug)]
struct PastRun {
    secs: f64,
    inputs: std::collections::BTreeMap<String, serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window's estimate follows the stage a task is in: 30 s of loading to 10 %,
    /// then sampling 10 % → 20 % in 2 s, is about 16 s left, not the 2 min the whole
    /// run's pace says.
    #[test]
    fn the_estimate_follows_the_current_stage() {
        let mut vm = ViewModel::default();
        let t0 = 1_000_000;
        let task = Task {
            state: TaskState::Running,
            started_ms: Some(t0),
            ..Task::queued(7, "gen/image", "1.0.0", t0)
        };
        vm.apply(Event::TaskUpdated { task }, t0);
        let progress = |vm: &mut ViewModel, at_s: u64, p: f32, stage: &str| {
            vm.apply(
                Event::TaskProgress {
                    id: 7,
                    progress: p,
                    stage: Some(stage.into()),
                    message: None,
                    eta_s: None,
                },
                t0 + at_s * 1000,
            );
        };
        progress(&mut vm, 1, 0.0, "loading model");
        progress(&mut vm, 30, 0.1, "sampling");
        progress(&mut vm, 32, 0.2, "sampling");
        let t = vm.tasks[&7].clone();
        let left = vm.eta_s(&t, t0 + 32_000).unwrap();
        assert!((left - 16.0).abs() < 0.5, "{left}");
        // Finished: the mark goes with it.
        let done = Task {
            state: TaskState::Succeeded,
            ..t
        };
        vm.apply(Event::TaskUpdated { task: done }, t0 + 40_000);
        assert!(vm.stage_marks.is_empty());
    }

    #[test]
    fn takes_events_update_only_the_open_project() {
        let mut vm = ViewModel::default();
        let path = PathBuf::from("/p");
        vm.project = Some(OpenProject {
            path: path.clone(),
            manifest: None,
            error: None,
            read_only: false,
            assets: Vec::new(),
            asset_folders: Vec::new(),
            takes: Default::default(),
            upgrade: crate::model::project::Upgrade::Current,
        });
        let index = crate::model::take::TakeIndex {
            shots: vec![crate::model::take::ShotTakes {
                chapter: "c".into(),
                scene: "s".into(),
                shot: "h".into(),
                takes: Vec::new(),
                deleted: Vec::new(),
                active: Some("take_001".into()),
                error: None,
            }],
        };
        vm.apply(
            Event::TakesChanged {
                project: PathBuf::from("/other"),
                takes: index.clone(),
                summary: String::new(),
            },
            0,
        );
        assert_eq!(vm.takes_version, 0);
        assert!(vm.project.as_ref().unwrap().takes.shots.is_empty());
        vm.apply(
            Event::TakesChanged {
                project: path,
                takes: index.clone(),
                summary: String::new(),
            },
            0,
        );
        assert_eq!(vm.takes_version, 1);
        assert_eq!(vm.project.as_ref().unwrap().takes, index);
        vm.apply(
            Event::TakeFailed {
                task: Some(3),
                action: "make a take".into(),
                error: "disk full".into(),
            },
            0,
        );
        let n = vm.notifications.back().unwrap();
        assert_eq!(
            (n.title.as_str(), n.body.as_str(), n.task),
            ("Could not make a take", "disk full", Some(3))
        );
    }

    #[test]
    fn notifications_are_bounded_and_counted() {
        let mut vm = ViewModel::default();
        for i in 0..(MAX_NOTIFICATIONS + 10) {
            vm.apply(
                Event::Notification {
                    level: Level::Info,
                    title: format!("n{i}"),
                    body: String::new(),
                    task: None,
                },
                i as u64,
            );
        }
        assert_eq!(vm.notifications.len(), MAX_NOTIFICATIONS);
        assert_eq!(vm.notifications.front().unwrap().title, "n10");
        assert_eq!(vm.unread(), MAX_NOTIFICATIONS);
    }

    #[test]
    fn one_alert_per_condition_even_across_a_restart() {
        let hot = |vm: &mut ViewModel, t: u64| {
            vm.apply(
                Event::Notification {
                    level: Level::Warning,
                    title: "GPU 0 is hot".into(),
                    body: format!("{t} °C"),
                    task: None,
                },
                t,
            )
        };
        let mut vm = ViewModel::default();
        hot(&mut vm, 88);
        hot(&mut vm, 90);
        assert_eq!(vm.notifications.len(), 1);
        assert_eq!(vm.notifications[0].body, "90 °C");
        // The next session starts with the kept list: the same condition is not raised
        // again, and nothing kept is new.
        let mut next = ViewModel::default();
        next.restore_notifications(vm.notifications.iter().cloned().collect());
        hot(&mut next, 89);
        assert_eq!(next.notifications.len(), 1);
        assert_eq!(next.restored_notifications_up_to, next.notifications[0].id);
        // Read, then a restart while the card is still hot: still one alert, still read.
        next.mark_read();
        let mut again = ViewModel::default();
        again.restore_notifications(next.notifications.iter().cloned().collect());
        hot(&mut again, 1_000);
        assert_eq!(again.notifications.len(), 1);
        assert_eq!(again.unread(), 0);
        // Hours later it is worth saying again.
        hot(&mut again, 2 * CONDITION_QUIET_MS);
        assert_eq!(again.notifications.len(), 2);
    }

    #[test]
    fn a_failure_is_kept_by_its_kind_not_its_words() {
        let mut vm = ViewModel::default();
        vm.apply(
            Event::ProjectFailed {
                action: "move the project to the trash".into(),
                error: "Keine Berechtigung".into(),
                kind: Some(crate::events::FailureKind::TrashUnavailable),
            },
            0,
        );
        assert_eq!(
            vm.project_failure,
            Some(crate::events::FailureKind::TrashUnavailable)
        );
        vm.apply(Event::ProjectClosed, 1);
        vm.apply(
            Event::ProjectFailed {
                action: "rename the project".into(),
                error: "the trash is on another disk".into(),
                kind: None,
            },
            2,
        );
        assert_eq!(vm.project_failure, None, "words decide nothing");
    }

    #[test]
    fn a_broken_settings_file_leaves_a_warning() {
        let mut vm = ViewModel::default();
        vm.apply(
            Event::SettingsLoaded {
                settings: Settings::default(),
                path: "s.toml".into(),
                warning: Some("broken".into()),
            },
            0,
        );
        assert_eq!(vm.settings_warning.as_deref(), Some("broken"));
        assert_eq!(vm.notifications.len(), 1);
    }

    #[test]
    fn an_import_shows_progress_then_a_report_and_refreshes_the_assets() {
        use crate::model::asset::{ImportFailure, ImportProgress, ImportReport};
        let mut vm = ViewModel::default();
        vm.apply(
            Event::AssetProgress {
                progress: ImportProgress {
                    file: "hero.png".into(),
                    index: 0,
                    files: 2,
                    done_bytes: 5,
                    total_bytes: 10,
                },
            },
            1,
        );
        assert!(vm.importing);
        assert_eq!(vm.import.as_ref().unwrap().done_bytes, 5);
        vm.apply(
            Event::AssetsImported {
                report: ImportReport {
                    commit_message: Some("asset: Add 1 character".into()),
                    failed: vec![ImportFailure {
                        source: "big.mov".into(),
                        error: "big.mov is over the import limit".into(),
                        choose: vec![],
                    }],
                    ..Default::default()
                },
            },
            2,
        );
        assert!(!vm.importing && vm.import.is_none());
        assert_eq!(vm.imports_done, 1);
        let n = vm.notifications.back().unwrap();
        assert_eq!(n.level, Level::Warning);
        assert!(n.body.contains("Add 1 character") && n.body.contains("over the import limit"));
        vm.apply(
            Event::AssetsImported {
                report: ImportReport {
                    cancelled: true,
                    ..Default::default()
                },
            },
            3,
        );
        assert_eq!(vm.notifications.back().unwrap().title, "Import cancelled");
    }
}
