//! A studio for runner tests: a real core with its own data dir and workspace, and a
//! mirror of its tasks kept from the events it sends.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use slate::core::{CoreHandle, CoreOptions};
use slate::events::{Command, Event};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::runner::task::{Task, TaskId, TaskRequest, TaskState};

pub struct Studio {
    pub dir: tempfile::TempDir,
    pub core: Option<CoreHandle>,
    pub tasks: BTreeMap<TaskId, Task>,
    /// Task ids in the order they were seen running.
    pub started: Vec<TaskId>,
    /// Most tasks seen running at once.
    pub peak_running: usize,
    pub progress: Vec<(TaskId, f32)>,
}

pub const SH_FUNCTION: &str = r#"
id = "test/sh"
version = "1.0.0"
name = "Shell"
command = ["sh", "-c", "{script}"]
outputs = ["*.txt"]
[executor]
type = "process"
[[inputs]]
name = "script"
type = "string"
required = true
[resources]
timeout_s = 60
"#;

impl Studio {
    pub fn new(settings: &str, extra_functions: &[(&str, &str)]) -> Self {
        Self::with_replay(settings, extra_functions, None)
    }

    pub fn with_replay(settings: &str, extra: &[(&str, &str)], replay: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let functions = dir.path().join("data/functions");
        std::fs::create_dir_all(&functions).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("settings.toml"), settings).unwrap();
        std::fs::write(functions.join("sh.toml"), SH_FUNCTION).unwrap();
        for (name, text) in extra {
            std::fs::write(functions.join(name), text).unwrap();
        }
        let gpu_replay = replay.map(|r| {
            let p = dir.path().join("gpu.jsonl");
            std::fs::write(&p, r).unwrap();
            p
        });
        let mut s = Self {
            dir,
            core: None,
            tasks: BTreeMap::new(),
            started: Vec::new(),
            peak_running: 0,
            progress: Vec::new(),
        };
        s.start(gpu_replay);
        s
    }

    pub fn paths(&self) -> Paths {
        Paths::in_dir(
            &self.dir.path().join("data"),
            Some(self.dir.path().join("ws")),
        )
    }

    pub fn start(&mut self, gpu_replay: Option<PathBuf>) {
        let core = slate::core::spawn(
            CoreOptions {
                paths: self.paths(),
                run_tasks: true,
                runner: RunnerConfig {
                    gpu_replay,
                    hold_queue: false,
                    only_submitted: false,
                    slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                },
            },
            std::sync::Arc::new(|_| {}),
        );
        self.core = Some(core);
        self.until("the task snapshot", 20, |e, _| {
            matches!(e, Event::TasksSnapshot { .. })
        });
    }

    pub fn send(&self, c: Command) {
        self.core.as_ref().unwrap().send(c);
    }

    /// Reads events until `pred` holds for one, keeping the task mirror up to date.
    pub fn until(
        &mut self,
        what: &str,
        secs: u64,
        mut pred: impl FnMut(&Event, &Self) -> bool,
    ) -> Event {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let e = self
                .core
                .as_ref()
                .unwrap()
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| {
                    panic!(
                        "timed out after {secs}s waiting for {what}; tasks: {:#?}",
                        self.tasks
                            .values()
                            .map(|t| (t.id, t.state, &t.error))
                            .collect::<Vec<_>>()
                    )
                });
            match &e {
                Event::TasksSnapshot { tasks, .. } => {
                    for t in tasks {
                        self.tasks.insert(t.id, t.clone());
                    }
                }
                Event::TaskSubmitted { task } => {
                    self.tasks.insert(task.id, task.clone());
                }
                Event::TaskUpdated { task } => {
                    if task.state == TaskState::Running
                        && self.tasks.get(&task.id).map(|t| t.state) != Some(TaskState::Running)
                    {
                        self.started.push(task.id);
                    }
                    self.tasks.insert(task.id, task.clone());
                    let running = self.tasks.values().filter(|t| t.state.is_active()).count();
                    self.peak_running = self.peak_running.max(running);
                }
                Event::TaskProgress { id, progress, .. } => self.progress.push((*id, *progress)),
                _ => {}
            }
            if pred(&e, self) {
                return e;
            }
        }
    }

    pub fn submit(&mut self, function: &str, params: &[(&str, &str)], priority: i32) -> TaskId {
        self.send(Command::SubmitTask {
            request: TaskRequest {
                function: function.into(),
                params: params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                priority,
                ..Default::default()
            },
        });
        match self.until("task.submitted", 10, |e, _| {
            matches!(e, Event::TaskSubmitted { .. } | Event::TaskRejected { .. })
        }) {
            Event::TaskSubmitted { task } => task.id,
            other => panic!("rejected: {other:?}"),
        }
    }

    pub fn sh(&mut self, script: &str) -> TaskId {
        self.submit("test/sh", &[("script", script)], 0)
    }

    pub fn wait_state(&mut self, id: TaskId, secs: u64, states: &[TaskState]) -> Task {
        if let Some(t) = self.tasks.get(&id)
            && states.contains(&t.state)
        {
            return t.clone();
        }
        self.until(&format!("task {id} to reach {states:?}"), secs, |e, _| {
            matches!(e, Event::TaskUpdated { task } if task.id == id && states.contains(&task.state))
        });
        self.tasks[&id].clone()
    }

    pub fn wait_finished(&mut self, id: TaskId, secs: u64) -> Task {
        self.wait_state(
            id,
            secs,
            &[
                TaskState::Succeeded,
                TaskState::Failed,
                TaskState::Cancelled,
                TaskState::Interrupted,
            ],
        )
    }

    /// Applies every event that arrives within `d`.
    pub fn drain_for(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.core.as_ref().unwrap().events.recv_timeout(left) {
                Ok(Event::TaskUpdated { task }) => {
                    self.tasks.insert(task.id, task);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }

    pub fn pause(&mut self, paused: bool) {
        self.send(Command::PauseQueue { paused });
        self.until("queue.paused", 5, |e, _| {
            matches!(e, Event::QueuePaused { .. })
        });
    }
}

/// The real `slate` binary on `dir`'s data folder (`dir/data`) and workspace (`dir/ws`).
pub fn slate_cli(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_slate"));
    c.args(args)
        .env("SLATE_DATA_DIR", dir.join("data"))
        .env("SLATE_WORKSPACE", dir.join("ws"));
    c
}

/// [`slate_cli`] run to its end; fails the test with its stderr unless it succeeded.
pub fn slate_ok(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = slate_cli(dir, args).output().unwrap();
    assert!(
        out.status.success(),
        "slate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `slate tasks --json` on `dir`.
pub fn tasks_json(dir: &std::path::Path) -> Vec<Task> {
    let out = slate_cli(dir, &["tasks", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
