//! Plain data the views render, built only from core events. Applying an event is a pure
//! function, so it is tested without egui.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use crate::events::{Event, Level};
use crate::probe::SystemInfo;
use crate::runner::function::{FieldError, FunctionSummary};
use crate::runner::task::{Task, TaskId, TaskState};
use crate::settings::Settings;

/// Notifications kept at most; older ones drop off.
pub const MAX_NOTIFICATIONS: usize = 50;
/// Log lines kept per task in memory (the full log is on disk).
pub const MAX_LOG_LINES: usize = 2_000;

#[derive(Clone, Debug, PartialEq)]
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
    pub settings: Option<Settings>,
    pub settings_path: Option<PathBuf>,
    /// A broken settings file, or a failed save: shown until dismissed.
    pub settings_warning: Option<String>,
    pub system: Option<SystemInfo>,
    pub functions: Vec<FunctionSummary>,
    pub function_errors: Vec<String>,
    pub tasks: BTreeMap<TaskId, Task>,
    pub tasks_loaded: bool,
    pub queue_paused: bool,
    pub runner_error: Option<String>,
    pub logs: BTreeMap<TaskId, VecDeque<(bool, String)>>,
    pub notifications: VecDeque<Notification>,
    next_notification: u64,
    /// The last refused submission, for the Run dialog to show next to its fields.
    pub rejected: Option<(String, Vec<FieldError>)>,
    /// Tasks submitted from this window, newest last (the Run dialog closes on success).
    pub submitted: Vec<TaskId>,
}

impl ViewModel {
    pub fn apply(&mut self, event: Event, now_ms: u64) {
        match event {
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
                self.tasks = tasks.into_iter().map(|t| (t.id, t)).collect();
                self.tasks_loaded = true;
                self.queue_paused = paused;
            }
            Event::TaskSubmitted { task } => {
                self.submitted.push(task.id);
                self.rejected = None;
                self.tasks.insert(task.id, task);
            }
            Event::TaskRejected { function, errors } => {
                self.rejected = Some((function, errors));
            }
            Event::TaskUpdated { task } => {
                self.tasks.insert(task.id, task);
            }
            Event::TaskProgress {
                id,
                progress,
                stage,
                message,
                ..
            } => {
                if let Some(t) = self.tasks.get_mut(&id) {
                    t.progress = progress;
                    t.stage = stage;
                    t.message = message;
                }
            }
            Event::TaskLog { id, stderr, line } => {
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

    pub fn unread(&self) -> usize {
        self.notifications.iter().filter(|n| !n.read).count()
    }

    pub fn count(&self, state: TaskState) -> usize {
        self.tasks.values().filter(|t| t.state == state).count()
    }

    /// Tasks holding an executor, oldest first.
    pub fn active(&self) -> impl Iterator<Item = &Task> {
        self.tasks.values().filter(|t| t.state.is_active())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
