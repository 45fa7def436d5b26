//! The function runner: templates, tasks, the durable queue, the scheduler and its
//! executors.
//!
//! [`Runner`] is an actor on the core's tokio runtime. It alone owns the task records;
//! every state change goes to the [`store::Store`] (fsync) before the event is sent.

pub mod builtin;
pub mod docker;
pub mod docker_hosts;
pub mod exec;
pub mod function;
pub mod image;
pub use crate::model::logfile;
pub mod process;
pub use crate::model::progress;
pub mod scheduler;
pub mod slurm;
mod slurm_tasks;
pub mod store;
pub use crate::model::task;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use crate::api::sink::EventSink;
use crate::events::{Command, Event, Level};
use crate::model::gpu::GpuSample;
use crate::paths::Paths;
use crate::settings::Settings;
use exec::{ExecReport, Launch, Outcome};
use function::{Executor, Registry};
use task::{Task, TaskId, TaskRequest, TaskState};

/// `EX_TEMPFAIL` from sysexits.h: a function exits with it to say "try me again later".
pub const EX_TEMPFAIL: i64 = 75;
/// Transient failures are retried this many times in all.
pub const MAX_ATTEMPTS: u32 = 4;
const BACKOFF_BASE_MS: u64 = 1_000;
const BACKOFF_MAX_MS: u64 = 60_000;
/// How often the scheduler looks again when nothing else wakes it.
const IDLE_WAKE: Duration = Duration::from_secs(2);
/// Edits must be this quiet before templates reload (an editor writes in bursts).
const FUNCTIONS_SETTLE: Duration = Duration::from_millis(500);
/// Live log lines sent to the UI per task and window (the log file keeps all).
const LIVE_LOG_LINES: u32 = 200;
const LIVE_LOG_WINDOW: Duration = Duration::from_millis(100);
/// A progress event per task at most this often; state changes always go out.
const PROGRESS_EVERY_MS: u64 = 50;
/// How often remote Docker hosts are checked (version, runtimes, reachable).
pub const HOST_CHECK_EVERY: Duration = Duration::from_secs(3);

/// What the runner needs besides settings.
#[derive(Clone, Debug, Default)]
pub struct RunnerConfig {
    pub gpu_replay: Option<PathBuf>,
    /// Start queued tasks. Off for CLI commands that only edit the queue.
    pub hold_queue: bool,
    /// Start only the tasks this runner's owner submitted (`slate run`), leaving the rest
    /// of the queue to the studio.
    pub only_submitted: bool,
    /// The `slate` binary for `{slate_exe}` (built-in demos run Slate itself); default:
    /// this executable. Tests and benches, which are other executables, set it.
    pub slate_exe: Option<PathBuf>,
}

/// The answer to a [`Runner::call`]: the task it changed, if any, or why not.
pub type CallResult = Result<Option<Task>, crate::api::ApiError>;

enum Msg {
    Command(Command),
    /// A command with a reply (the local API and its clients).
    Call(Command, tokio::sync::oneshot::Sender<CallResult>),
    Settings(Settings),
    Gpu(crate::gpu::sampler::GpuTick),
    Shutdown(tokio::sync::oneshot::Sender<()>),
}

/// A handle on the running runner actor.
#[derive(Clone)]
pub struct Runner {
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
}

impl Runner {
    /// Opens the store, recovers what a crash left, announces the snapshot and starts
    /// scheduling. If the store cannot be opened the runner says why on every command.
    pub async fn start(
        paths: Paths,
        settings: Settings,
        config: RunnerConfig,
        sink: EventSink,
        sampler: crate::gpu::sampler::SamplerHandle,
    ) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let opened = {
            let db = paths.database_file();
            tokio::task::spawn_blocking(move || store::Store::open(&db))
                .await
                .expect("store open task")
        };
        match opened {
            Ok(opened) => spawn_actor(paths, settings, config, sink, sampler, opened, rx),
            Err(e) => {
                let error = e.to_string();
                sink.emit(Event::RunnerFailed {
                    error: error.clone(),
                });
                tokio::spawn(wait_for_store(
                    rx,
                    error,
                    Start {
                        paths,
                        settings,
                        config,
                        sink,
                        sampler,
                    },
                ));
            }
        }
        Self { tx }
    }

    pub fn command(&self, command: Command) {
        self.tx.send(Msg::Command(command)).ok();
    }

    /// Sends a command and says through `reply` what came of it: the task it changed, or
    /// a typed error (unknown id, wrong state, refused fields, store unavailable).
    pub fn call(&self, command: Command, reply: tokio::sync::oneshot::Sender<CallResult>) {
        if let Err(tokio::sync::mpsc::error::SendError(Msg::Call(_, reply))) =
            self.tx.send(Msg::Call(command, reply))
        {
            reply
                .send(Err(crate::api::ApiError::unavailable(
                    "the task runner has stopped",
                )))
                .ok();
        }
    }

    pub fn settings_changed(&self, settings: Settings) {
        self.tx.send(Msg::Settings(settings)).ok();
    }

    /// A GPU reading from the sampler: free VRAM for admission, per-task VRAM.
    pub fn gpu_tick(&self, tick: crate::gpu::sampler::GpuTick) {
        self.tx.send(Msg::Gpu(tick)).ok();
    }

    /// Stops scheduling. Running local processes end with Slate (they are our children);
    /// their records stay `running` and are reconciled on the next start.
    pub async fn shutdown(self) {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        if self.tx.send(Msg::Shutdown(done_tx)).is_ok() {
            done_rx.await.ok();
        }
    }
}

/// What starting the actor needs, kept while the store is unavailable.
struct Start {
    paths: Paths,
    settings: Settings,
    config: RunnerConfig,
    sink: EventSink,
    sampler: crate::gpu::sampler::SamplerHandle,
}

fn spawn_actor(
    paths: Paths,
    settings: Settings,
    config: RunnerConfig,
    sink: EventSink,
    sampler: crate::gpu::sampler::SamplerHandle,
    opened: store::Opened,
    rx: tokio::sync::mpsc::UnboundedReceiver<Msg>,
) {
    if let Some(w) = opened.warning {
        sink.emit(Event::Notification {
            level: Level::Warning,
            title: "Task database replaced".into(),
            body: w,
            task: None,
        });
    }
    let mut actor = Actor::new(paths, settings, opened.store, sampler, sink);
    actor.hold_queue = config.hold_queue;
    actor.only_submitted = config.only_submitted;
    actor.slate_exe = config
        .slate_exe
        .clone()
        .or_else(|| std::env::current_exe().ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "slate".into());
    tokio::spawn(actor.run(rx));
}

/// How often a runner without its store tries again (another Slate may let go of it).
pub const STORE_RETRY: Duration = Duration::from_secs(2);

/// The store could not be opened (most often: a CLI run holds it). Commands are refused
/// with the reason meanwhile, and the store is tried again every [`STORE_RETRY`]; once
/// it opens, the runner starts as usual (snapshot, recovery, scheduling).
async fn wait_for_store(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Msg>,
    mut error: String,
    mut start: Start,
) {
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                None => return,
                Some(Msg::Shutdown(done)) => {
                    done.send(()).ok();
                    return;
                }
                Some(Msg::Command(_)) => start.sink.emit(Event::RunnerFailed {
                    error: error.clone(),
                }),
                Some(Msg::Call(_, reply)) => {
                    reply
                        .send(Err(crate::api::ApiError::unavailable(error.clone())))
                        .ok();
                }
                Some(Msg::Settings(s)) => start.settings = s,
                Some(Msg::Gpu(_)) => {}
            },
            _ = tokio::time::sleep(STORE_RETRY) => {
                let db = start.paths.database_file();
                let opened = tokio::task::spawn_blocking(move || store::Store::open(&db))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                match opened {
                    Ok(opened) => {
                        start.sink.emit(Event::Notification {
                            level: Level::Success,
                            title: "Task queue available".into(),
                            body: "The other Slate let go of the task store; this one runs the queue now.".into(),
                            task: None,
                        });
                        let Start { paths, settings, config, sink, sampler } = start;
                        spawn_actor(paths, settings, config, sink, sampler, opened, rx);
                        return;
                    }
                    Err(e) => error = e,
                }
            }
        }
    }
}

struct Running {
    cancel: tokio::sync::watch::Sender<bool>,
    last_progress_ms: u64,
    peak_vram_mb: u64,
    util_sum: f64,
    util_n: u32,
    /// VRAM it was admitted with, and what its processes hold now.
    reserved_mb: u64,
    used_mb: u64,
    log_window: std::time::Instant,
    log_shown: u32,
    log_skipped: u64,
    /// Why the log could not be written, if it could not.
    log_error: Option<String>,
    /// Where the task's current stage began, for its estimate.
    stage_mark: Option<crate::model::eta::StageMark>,
    /// The 75th-percentile run time of its function and preset when it started.
    history_p75: Option<f64>,
}

impl Running {
    fn new(cancel: tokio::sync::watch::Sender<bool>) -> Self {
        Self {
            cancel,
            last_progress_ms: 0,
            peak_vram_mb: 0,
            util_sum: 0.0,
            util_n: 0,
            reserved_mb: 0,
            used_mb: 0,
            log_window: std::time::Instant::now(),
            log_shown: 0,
            log_skipped: 0,
            log_error: None,
            stage_mark: None,
            history_p75: None,
        }
    }
}

struct Actor {
    paths: Paths,
    settings: Settings,
    store: store::Store,
    registry: Registry,
    tasks: BTreeMap<TaskId, Task>,
    running: HashMap<TaskId, Running>,
    paused: bool,
    /// The sampler's latest reading; `None` until the first one arrives.
    gpu: Option<Result<Vec<GpuSample>, String>>,
    sampler: crate::gpu::sampler::SamplerHandle,
    sink: EventSink,
    reports_tx: exec::ReportSender,
    reports_rx: tokio::sync::mpsc::UnboundedReceiver<(TaskId, exec::ExecReport)>,
    finished_tx: tokio::sync::mpsc::UnboundedSender<(TaskId, Outcome, Option<Outputs>)>,
    finished_rx: tokio::sync::mpsc::UnboundedReceiver<(TaskId, Outcome, Option<Outputs>)>,
    /// Tasks told "waiting for VRAM", so the notice goes out once.
    waiting_noted: HashMap<TaskId, String>,
    rng: u64,
    hold_queue: bool,
    /// Container tasks from before a restart wait for the Docker engine to re-attach.
    reconcile_pending: bool,
    /// Slurm tasks from before a restart wait for the controller to re-attach.
    slurm_reconcile_pending: bool,
    slate_exe: String,
    /// Something the scheduler depends on changed since it last ran.
    queue_changed: bool,
    /// When the scheduler must look again on its own (backoff ends, VRAM re-check).
    wake_at: tokio::time::Instant,
    /// Watches the functions folder (notify); a settled burst of template edits arrives
    /// on `functions_rx` and reloads the registry.
    functions_watch: Option<crate::workspace::watch::Watch>,
    functions_rx: tokio::sync::mpsc::UnboundedReceiver<()>,
    functions_tx: tokio::sync::mpsc::UnboundedSender<()>,
    only_submitted: bool,
    /// Tasks submitted through this runner (see `only_submitted`).
    own: std::collections::HashSet<TaskId>,
    /// States that could not be written yet (a full disk), by task; see `commit`.
    unsaved: BTreeMap<TaskId, Task>,
    save_retry_at: Option<tokio::time::Instant>,
    /// The remote Docker hosts' last check, by name (the local engine is not listed).
    hosts: BTreeMap<String, docker_hosts::HostStatus>,
    hosts_tx: tokio::sync::mpsc::UnboundedSender<Vec<docker_hosts::HostStatus>>,
    hosts_rx: tokio::sync::mpsc::UnboundedReceiver<Vec<docker_hosts::HostStatus>>,
    /// A check is under way; when the last one started.
    hosts_checking: bool,
    hosts_checked: Option<std::time::Instant>,
}

/// How often unsaved task states are written again.
pub const SAVE_RETRY: Duration = Duration::from_secs(2);

impl Actor {
    fn new(
        paths: Paths,
        settings: Settings,
        store: store::Store,
        sampler: crate::gpu::sampler::SamplerHandle,
        sink: EventSink,
    ) -> Self {
        let (reports_tx, reports_rx) = tokio::sync::mpsc::unbounded_channel();
        let (finished_tx, finished_rx) = tokio::sync::mpsc::unbounded_channel();
        let (hosts_tx, hosts_rx) = tokio::sync::mpsc::unbounded_channel();
        let functions_dir = paths.functions_dir();
        let functions_dir2 = functions_dir.clone();
        let (functions_tx, functions_rx) = tokio::sync::mpsc::unbounded_channel();
        Self {
            registry: off_the_workers(|| {
                Registry::load_with_legacy(&functions_dir2, &paths.workspace_root(&settings))
            }),
            paused: store.paused(),
            paths,
            settings,
            store,
            tasks: BTreeMap::new(),
            running: HashMap::new(),
            gpu: None,
            sampler,
            sink,
            reports_tx,
            reports_rx,
            finished_tx,
            finished_rx,
            waiting_noted: Default::default(),
            rng: crate::util::now_ms() | 1,
            hold_queue: false,
            reconcile_pending: false,
            slurm_reconcile_pending: false,
            slate_exe: "slate".into(),
            queue_changed: true,
            wake_at: tokio::time::Instant::now(),
            functions_watch: None,
            functions_rx,
            functions_tx,
            only_submitted: false,
            own: Default::default(),
            unsaved: BTreeMap::new(),
            save_retry_at: None,
            hosts: BTreeMap::new(),
            hosts_tx,
            hosts_rx,
            hosts_checking: false,
            hosts_checked: None,
        }
    }

    async fn run(mut self, mut rx: tokio::sync::mpsc::UnboundedReceiver<Msg>) {
        self.recover();
        self.sink.emit(Event::FunctionsLoaded {
            functions: self.registry.summaries(),
            errors: self.registry.errors.clone(),
        });
        self.sink.emit(Event::TasksSnapshot {
            tasks: self.tasks.values().cloned().collect(),
            paused: self.paused,
        });
        // After the snapshot: a slow or absent Docker engine must not hold up the task
        // list; re-attached and collected containers arrive as task updates.
        self.reconcile_containers().await;
        self.reconcile_slurm().await;
        self.watch_functions();
        loop {
            self.check_hosts(false);
            // Scheduling scans the queue, so it runs only when something it depends on
            // changed, never for the stream of progress and log lines from running tasks.
            if std::mem::take(&mut self.queue_changed) {
                self.schedule();
                self.wake_at = tokio::time::Instant::now() + self.next_wake();
            }
            tokio::select! {
                msg = rx.recv() => {
                    self.queue_changed = true;
                    match msg {
                    Some(Msg::Command(c)) => self.handle(c),
                    Some(Msg::Call(Command::SubmitTask { request }, reply)) => {
                        // Group commit: the submissions waiting now share one fsync.
                        let mut batch = vec![(request, reply)];
                        let mut next = None;
                        while batch.len() < 512 {
                            match rx.try_recv() {
                                Ok(Msg::Call(Command::SubmitTask { request }, reply)) => {
                                    batch.push((request, reply))
                                }
                                Ok(other) => {
                                    next = Some(other);
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        self.submit_batch(batch);
                        match next {
                            Some(Msg::Command(c)) => self.handle(c),
                            Some(Msg::Call(c, reply)) => {
                                let answer = self.call(c);
                                reply.send(answer).ok();
                            }
                            Some(Msg::Settings(s)) => self.settings_changed(s),
                            Some(Msg::Gpu(tick)) => self.on_gpu(tick),
                            Some(Msg::Shutdown(done)) => {
                                done.send(()).ok();
                                return;
                            }
                            None => {}
                        }
                    }
                    Some(Msg::Call(c, reply)) => {
                        let answer = self.call(c);
                        reply.send(answer).ok();
                    }
                    Some(Msg::Settings(s)) => self.settings_changed(s),
                    Some(Msg::Gpu(tick)) => self.on_gpu(tick),
                    Some(Msg::Shutdown(done)) => {
                        done.send(()).ok();
                        return;
                    }
                    None => return,
                    }
                },
                Some((id, report)) = self.reports_rx.recv() => self.on_report(id, report),
                Some(statuses) = self.hosts_rx.recv() => {
                    if self.on_hosts(statuses) {
                        self.reconcile_containers().await;
                    }
                }
                Some(()) = self.functions_rx.recv() => {
                    self.handle(Command::ReloadFunctions);
                    self.queue_changed = true;
                }
                Some((id, outcome, outputs)) = self.finished_rx.recv() => {
                    // Drain reports sent before the end so no log line is lost.
                    while let Ok((rid, report)) = self.reports_rx.try_recv() {
                        self.on_report(rid, report);
                    }
                    self.on_finished(id, outcome, outputs);
                    self.queue_changed = true;
                }
                _ = tokio::time::sleep_until(self.wake_at) => {
                    self.retry_unsaved();
                    self.queue_changed = true;
                    if self.reconcile_pending {
                        self.reconcile_containers().await;
                    }
                    if self.slurm_reconcile_pending {
                        self.reconcile_slurm().await;
                    }
                }
            }
        }
    }

    /// Records a task's new state, durably, then announces it. When the write fails
    /// (a full disk) the state is kept in memory, not announced, retried every
    /// [`SAVE_RETRY`], and no new task starts until every state is saved: the store,
    /// the window and the CLI never tell different stories. `Err` says it is not saved
    /// yet (an API caller gets 503).
    fn commit(&mut self, task: Task) -> Result<(), String> {
        self.tasks.insert(task.id, task.clone());
        if !self.unsaved.is_empty() {
            // Keep the order of changes: behind the ones already waiting.
            self.unsaved.insert(task.id, task);
            return Err("earlier task states are not saved yet (is the disk full?)".into());
        }
        match self.store.put(&task) {
            Ok(()) => {
                self.sink.emit(Event::TaskUpdated { task });
                Ok(())
            }
            Err(e) => {
                let error = format!(
                    "task {}: its new state ({}) could not be saved: {e}. Slate keeps it, starts no new task and tries again every {} s; free some disk space",
                    task.id,
                    task.state.label(),
                    SAVE_RETRY.as_secs()
                );
                self.sink.emit(Event::RunnerFailed {
                    error: error.clone(),
                });
                self.unsaved.insert(task.id, task);
                self.save_retry_at = Some(tokio::time::Instant::now() + SAVE_RETRY);
                Err(error)
            }
        }
    }

    /// A command with a reply: checks what the API must refuse (unknown id, a state that
    /// does not allow it), then does what [`Self::handle`] does.
    fn call(&mut self, command: Command) -> CallResult {
        use crate::api::ApiError;
        let known = |tasks: &BTreeMap<TaskId, Task>, id: TaskId| {
            tasks
                .get(&id)
                .map(|t| t.state)
                .ok_or_else(|| ApiError::not_found(format!("no task with id {id}")))
        };
        match command {
            Command::SubmitTask { request } => self.try_submit(request).map(Some),
            Command::CancelTask { id } => {
                let state = known(&self.tasks, id)?;
                if state.is_finished() {
                    return Err(ApiError::conflict(format!(
                        "task {id} is {} and cannot be cancelled",
                        state.label()
                    )));
                }
                self.cancel(id).map_err(ApiError::unavailable)?;
                Ok(self.tasks.get(&id).cloned())
            }
            Command::RetryTask { id } => {
                let state = known(&self.tasks, id)?;
                if !state.can_retry() {
                    return Err(ApiError::conflict(format!(
                        "task {id} is {} and cannot be retried",
                        state.label()
                    )));
                }
                self.retry(id).map_err(ApiError::unavailable)?;
                Ok(self.tasks.get(&id).cloned())
            }
            Command::SetPriority { id, priority } => {
                known(&self.tasks, id)?;
                let mut t = self.tasks[&id].clone();
                t.priority = priority;
                self.commit(t).map_err(ApiError::unavailable)?;
                Ok(self.tasks.get(&id).cloned())
            }
            Command::MoveTask { id, up } => {
                let state = known(&self.tasks, id)?;
                if state != TaskState::Queued {
                    return Err(ApiError::conflict(format!(
                        "task {id} is {}; only queued tasks move",
                        state.label()
                    )));
                }
                self.move_task(id, up);
                Ok(self.tasks.get(&id).cloned())
            }
            Command::PauseQueue { paused } => {
                self.store
                    .set_paused(paused)
                    .map_err(ApiError::unavailable)?;
                self.paused = paused;
                self.sink.emit(Event::QueuePaused { paused });
                Ok(None)
            }
            other => {
                self.handle(other);
                Ok(None)
            }
        }
    }

    /// Tries again to save what [`Actor::commit`] could not; announces it once saved.
    fn retry_unsaved(&mut self) {
        if self.unsaved.is_empty()
            || self
                .save_retry_at
                .is_some_and(|at| tokio::time::Instant::now() < at)
        {
            return;
        }
        let saved = self.store.put_all(self.unsaved.values()).or_else(|_| {
            // redb refuses every write after a failed one until it is reopened.
            self.store.reopen()?;
            self.store.put_all(self.unsaved.values())
        });
        match saved {
            Ok(()) => {
                let n = self.unsaved.len();
                for (_, task) in std::mem::take(&mut self.unsaved) {
                    self.sink.emit(Event::TaskUpdated { task });
                }
                self.save_retry_at = None;
                self.queue_changed = true;
                self.sink.emit(Event::Notification {
                    level: Level::Success,
                    title: "Task states saved".into(),
                    body: format!(
                        "{} that could not be written saved now; the queue runs again.",
                        crate::util::count(n, "task state")
                    ),
                    task: None,
                });
            }
            Err(_) => self.save_retry_at = Some(tokio::time::Instant::now() + SAVE_RETRY),
        }
    }

    /// After a crash: a local process is gone with the Slate that started it, so its
    /// task becomes `interrupted` (and is queued again when the template allows).
    fn recover(&mut self) {
        let (tasks, bad) = load_and_recover(
            &self.store,
            &self.registry,
            Recovery::Apply {
                studio: &self.paths.data_dir,
            },
        );
        for b in bad {
            self.sink.emit(Event::Notification {
                level: Level::Warning,
                title: "Unreadable task record".into(),
                body: b,
                task: None,
            });
        }
        self.tasks = tasks.into_iter().map(|t| (t.id, t)).collect();
    }

    /// After a restart, or when a Docker host comes back: containers still running are
    /// re-attached (the task continues, never restarts), finished ones are collected,
    /// missing ones are reconciled like lost processes, and containers of ours that no
    /// task owns are removed. Each host is asked about its own tasks.
    async fn reconcile_containers(&mut self) {
        let studio = self.paths.data_dir.display().to_string();
        let waiting: Vec<Task> = self
            .tasks
            .values()
            .filter(|t| t.state.is_active() && !self.running.contains_key(&t.id))
            .filter(|t| {
                self.registry
                    .functions
                    .get(&t.function)
                    .is_some_and(|f| builtin::runs_in_container(f, t.executor.as_deref()))
            })
            .cloned()
            .collect();
        // Local first, then every remote host that has tasks to re-attach or is up (to
        // clear containers no task owns).
        let mut hosts: Vec<Option<String>> = vec![None];
        for t in &waiting {
            if !hosts.contains(&t.host) {
                hosts.push(t.host.clone());
            }
        }
        let mut pending = false;
        for host in hosts {
            let mine: Vec<Task> = waiting.iter().filter(|t| t.host == host).cloned().collect();
            let target = match self.target_of(host.as_deref()) {
                Ok(target) => target,
                Err(why) => {
                    // The host left Settings: its tasks cannot be followed any more.
                    let now = crate::util::now_ms();
                    for mut t in mine {
                        recover_lost(&mut t, false, now);
                        t.error = Some(why.clone());
                        self.commit(t).ok();
                    }
                    continue;
                }
            };
            if host.is_some()
                && self
                    .hosts
                    .get(host.as_deref().unwrap_or_default())
                    .is_some_and(|h| h.reachable == Some(false))
            {
                pending |= !mine.is_empty();
                continue;
            }
            let found = match docker::list_ours(&target, &studio).await {
                Ok(f) => f,
                Err(reason) => {
                    pending |= !mine.is_empty();
                    for mut t in mine {
                        let stage = match &host {
                            None => format!("waiting for Docker to re-attach: {reason}"),
                            Some(h) => format!("waiting for {h}: {reason}"),
                        };
                        if t.stage.as_deref() != Some(stage.as_str()) {
                            t.stage = Some(stage);
                            self.tasks.insert(t.id, t.clone());
                            self.sink.emit(Event::TaskUpdated { task: t });
                        }
                    }
                    continue;
                }
            };
            self.reconcile_on(&target, mine, &found).await;
            for c in found {
                // Any active task's (two "hosts" can be one engine, seen two ways).
                let owned = self
                    .tasks
                    .get(&c.task_id)
                    .is_some_and(|t| t.state.is_active());
                if !owned {
                    docker::remove_container(&target, &c.id).await;
                }
            }
        }
        self.reconcile_pending = pending;
    }

    /// Re-attaches, collects or gives up each of `waiting` (tasks of one host).
    async fn reconcile_on(
        &mut self,
        target: &docker::Target,
        waiting: Vec<Task>,
        found: &[docker::FoundContainer],
    ) {
        let now = crate::util::now_ms();
        for mut t in waiting {
            let template = self
                .registry
                .functions
                .get(&t.function)
                .cloned()
                .expect("filtered above");
            match found.iter().find(|c| c.task_id == t.id) {
                Some(c) if c.running => {
                    t.stage = None;
                    t.container_id = Some(c.id.clone());
                    self.commit(t.clone()).ok();
                    self.launch(&t, &template, Some(c.id.clone()));
                }
                Some(c) => {
                    let log_file = self.paths.logs_dir().join(format!("{}.log", t.id));
                    let outcome = match docker::collect_finished(
                        target,
                        &c.id,
                        &log_file,
                        t.output_dir.as_deref(),
                    )
                    .await
                    {
                        Ok((code, oom)) => Outcome::Exited {
                            code,
                            oom,
                            last_lines: Vec::new(),
                        },
                        Err(e) => Outcome::failed(
                            format!("could not read the finished container: {e}"),
                            false,
                        ),
                    };
                    let outputs = match (&outcome, &t.output_dir) {
                        (Outcome::Exited { code: 0, .. }, Some(dir)) => {
                            Some(outputs_off_thread(dir.clone(), template.outputs.clone()).await)
                        }
                        _ => None,
                    };
                    self.on_finished(t.id, outcome, outputs);
                }
                None => {
                    recover_lost(&mut t, template.requeue_on_interrupt, now);
                    self.commit(t).ok();
                }
            }
        }
    }

    /// The engine of a host: `None` is this machine's.
    fn target_of(&self, host: Option<&str>) -> Result<docker::Target, String> {
        match host {
            None | Some(scheduler::LOCAL) => Ok(docker::Target::Local(
                self.settings.runner.docker_endpoint.clone(),
            )),
            Some(name) => {
                let h = self
                    .settings
                    .runner
                    .hosts
                    .iter()
                    .find(|h| h.name == name)
                    .ok_or_else(|| {
                        format!("its Docker host {name} is no longer in Settings → Runner")
                    })?;
                docker_hosts::Remote::of(h).map(docker::Target::Remote)
            }
        }
    }

    fn settings_changed(&mut self, settings: Settings) {
        let hosts_changed = settings.runner.hosts != self.settings.runner.hosts;
        self.settings = settings;
        if hosts_changed {
            let names: std::collections::HashSet<&str> = self
                .settings
                .runner
                .hosts
                .iter()
                .map(|h| h.name.as_str())
                .collect();
            self.hosts.retain(|n, _| names.contains(n.as_str()));
            self.emit_hosts();
            self.check_hosts(true);
        }
    }

    /// Checks every remote host in the background, every [`HOST_CHECK_EVERY`] (or now
    /// when `now`); the answers come back through `hosts_rx`.
    fn check_hosts(&mut self, now: bool) {
        if self.settings.runner.hosts.is_empty() || self.hosts_checking {
            return;
        }
        if !now
            && self
                .hosts_checked
                .is_some_and(|t| t.elapsed() < HOST_CHECK_EVERY)
        {
            return;
        }
        self.hosts_checking = true;
        self.hosts_checked = Some(std::time::Instant::now());
        let hosts = self.settings.runner.hosts.clone();
        let tx = self.hosts_tx.clone();
        tokio::spawn(async move {
            let checks = hosts.iter().map(|h| async move {
                match docker_hosts::Remote::of(h) {
                    Ok(r) => docker_hosts::check(&r, h).await,
                    Err(e) => docker_hosts::HostStatus {
                        name: h.name.clone(),
                        url: h.url.clone(),
                        reachable: Some(false),
                        error: Some(e),
                        checked_ms: crate::util::now_ms(),
                        ..Default::default()
                    },
                }
            });
            tx.send(futures_util::future::join_all(checks).await).ok();
        });
    }

    /// Takes in a round of host checks. True when a host with tasks to re-attach is
    /// reachable now.
    fn on_hosts(&mut self, statuses: Vec<docker_hosts::HostStatus>) -> bool {
        self.hosts_checking = false;
        let mut changed = false;
        let mut back = false;
        for st in statuses {
            if !self.settings.runner.hosts.iter().any(|h| h.name == st.name) {
                continue;
            }
            let before = self.hosts.get(&st.name);
            let was_up = before.is_some_and(|b| b.reachable == Some(true));
            if st.reachable == Some(true) && !was_up {
                back = true;
            }
            let same = before.is_some_and(|b| {
                b.reachable == st.reachable
                    && b.error == st.error
                    && b.engine == st.engine
                    && b.gpus == st.gpus
                    && b.gpu_note == st.gpu_note
            });
            changed |= !same;
            self.hosts.insert(st.name.clone(), st);
        }
        if changed {
            self.emit_hosts();
        }
        let stranded = self.tasks.values().any(|t| {
            t.state.is_active()
                && t.host.is_some()
                && !self.running.contains_key(&t.id)
                && t.host
                    .as_ref()
                    .and_then(|h| self.hosts.get(h))
                    .is_some_and(|h| h.reachable == Some(true))
        });
        (back || self.reconcile_pending) && stranded
    }

    fn emit_hosts(&self) {
        let hosts = self
            .settings
            .runner
            .hosts
            .iter()
            .map(|h| {
                self.hosts
                    .get(&h.name)
                    .cloned()
                    .unwrap_or_else(|| docker_hosts::HostStatus {
                        name: h.name.clone(),
                        url: h.url.clone(),
                        gpus: h.gpu_vram_mb.clone(),
                        ..Default::default()
                    })
            })
            .collect();
        self.sink.emit(Event::DockerHosts { hosts });
    }

    /// Watches the functions folder: templates reload once edits in it have been quiet
    /// for [`FUNCTIONS_SETTLE`]. Without a watch, templates reload on `functions reload`
    /// (and a notification says so).
    fn watch_functions(&mut self) {
        let dir = self.paths.functions_dir();
        std::fs::create_dir_all(&dir).ok();
        let tx = self.functions_tx.clone();
        let watch = crate::workspace::watch::Watch::start(&dir, FUNCTIONS_SETTLE, move |burst| {
            // A template, or a folder that may hold some; other files are not templates.
            let templates = burst.is_none_or(|paths| {
                paths.iter().any(|p| {
                    let name = p.rsplit('/').next().unwrap_or(p);
                    name.ends_with(".toml") || !name.contains('.')
                })
            });
            if templates {
                tx.send(()).ok();
            }
        });
        match watch {
            Ok(w) => self.functions_watch = Some(w),
            Err(e) => self.sink.emit(Event::Notification {
                level: crate::events::Level::Warning,
                title: "Template edits are not watched".into(),
                body: format!("{e}. Reload functions after editing a template."),
                task: None,
            }),
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::SubmitTask { request } => self.submit(request),
            Command::CancelTask { id } => {
                self.cancel(id).ok();
            }
            Command::RetryTask { id } => {
                self.retry(id).ok();
            }
            Command::SetPriority { id, priority } => {
                if let Some(mut t) = self.tasks.get(&id).cloned() {
                    t.priority = priority;
                    self.commit(t).ok();
                }
            }
            Command::MoveTask { id, up } => self.move_task(id, up),
            Command::ReadLog { id } => {
                let file = self.paths.logs_dir().join(format!("{id}.log"));
                let sink = self.sink.clone();
                tokio::task::spawn_blocking(move || {
                    let lines = match std::fs::read(&file) {
                        Ok(bytes) => String::from_utf8_lossy(&bytes)
                            .lines()
                            .map(str::to_string)
                            .collect(),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            vec!["(no log yet)".to_string()]
                        }
                        Err(e) => vec![format!("(could not read {}: {e})", file.display())],
                    };
                    sink.emit(Event::TaskLogText { id, lines });
                });
            }
            Command::PauseQueue { paused } => {
                self.paused = paused;
                if let Err(e) = self.store.set_paused(paused) {
                    self.sink.emit(Event::RunnerFailed { error: e });
                }
                self.sink.emit(Event::QueuePaused { paused });
            }
            Command::CheckDockerHosts => {
                self.emit_hosts();
                self.check_hosts(true);
            }
            Command::ReloadFunctions => {
                let dir = self.paths.functions_dir();
                let workspace = self.paths.workspace_root(&self.settings);
                self.registry = off_the_workers(|| Registry::load_with_legacy(&dir, &workspace));
                self.sink.emit(Event::FunctionsLoaded {
                    functions: self.registry.summaries(),
                    errors: self.registry.errors.clone(),
                });
            }
            _ => {}
        }
    }

    fn submit(&mut self, request: TaskRequest) {
        let function = request.function.clone();
        match self.try_submit(request) {
            Ok(_) => {}
            Err(e) if e.kind == crate::api::ErrorKind::Invalid => {
                self.sink.emit(Event::TaskRejected {
                    function,
                    errors: e
                        .fields
                        .into_iter()
                        .map(|f| function::FieldError {
                            field: f.field,
                            message: f.message,
                        })
                        .collect(),
                })
            }
            Err(e) => self.sink.emit(Event::RunnerFailed { error: e.message }),
        }
    }

    /// Validates each request, queues the valid ones in one durable transaction, then
    /// announces them and answers every caller.
    fn submit_batch(
        &mut self,
        batch: Vec<(TaskRequest, tokio::sync::oneshot::Sender<CallResult>)>,
    ) {
        let mut valid = Vec::new();
        for (request, reply) in batch {
            match self.validate(&request) {
                Ok((template, params, resources)) => {
                    valid.push((request, template, params, resources, reply))
                }
                Err(e) => {
                    reply.send(Err(e)).ok();
                }
            }
        }
        if valid.is_empty() {
            return;
        }
        let now = crate::util::now_ms();
        let made = self.store.insert_new(valid.len(), |i, id, seq| {
            let (request, template, params, resources, _) = &valid[i];
            Task {
                preset: request.preset.clone(),
                params: params.clone(),
                project: request.project.clone(),
                shot: request.shot.clone(),
                shot_ref: request.shot_ref.clone(),
                executor: request.executor.clone().or_else(|| {
                    // Settings may send GPU work to the cluster; recorded on the task so a
                    // restart follows it there whatever the settings say by then.
                    (self.settings.slurm.gpu_tasks
                        && resources.gpu
                        && matches!(template.executor, Executor::Process))
                    .then(|| "slurm".to_string())
                }),
                requested_host: request
                    .host
                    .clone()
                    .filter(|h| h.as_str() != scheduler::LOCAL),
                priority: request.priority,
                seq,
                resources: resources.clone(),
                ..Task::queued(id, &template.id, &template.version, now)
            }
        });
        match made {
            Ok(tasks) => {
                for (task, (.., reply)) in tasks.into_iter().zip(valid) {
                    self.tasks.insert(task.id, task.clone());
                    self.own.insert(task.id);
                    self.sink.emit(Event::TaskSubmitted { task: task.clone() });
                    reply.send(Ok(Some(task))).ok();
                }
            }
            Err(e) => {
                for (.., reply) in valid {
                    reply
                        .send(Err(crate::api::ApiError::unavailable(format!(
                            "could not queue the task: {e}"
                        ))))
                        .ok();
                }
            }
        }
    }

    /// The template and resolved inputs of a request, or its refused fields (422).
    #[allow(clippy::type_complexity)]
    fn validate(
        &self,
        request: &TaskRequest,
    ) -> Result<
        (
            function::FunctionTemplate,
            BTreeMap<String, serde_json::Value>,
            task::TaskResources,
        ),
        crate::api::ApiError,
    > {
        use crate::api::{ApiError, FieldProblem};
        let refused = |errors: Vec<function::FieldError>| {
            let fields: Vec<FieldProblem> = errors
                .into_iter()
                .map(|e| FieldProblem {
                    field: e.field,
                    message: e.message,
                })
                .collect();
            let message = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ");
            ApiError::invalid(message, fields)
        };
        let template = self.registry.get(&request.function).map_err(|e| {
            refused(vec![function::FieldError {
                field: "function".into(),
                message: e,
            }])
        })?;
        if let Some(e) = &request.executor
            && let Err(message) = builtin::parse_executor(e)
                .and_then(|e| builtin::with_executor(template, Some(e)).map(|_| ()))
        {
            return Err(refused(vec![function::FieldError {
                field: "executor".into(),
                message,
            }]));
        }
        if let Some(host) = request.host.as_deref().filter(|h| *h != scheduler::LOCAL) {
            let message = if !self.settings.runner.hosts.iter().any(|h| h.name == host) {
                Some(format!(
                    "no Docker host named {host:?}: add it in Settings → Runner, or use one of: local{}",
                    self.settings
                        .runner
                        .hosts
                        .iter()
                        .map(|h| format!(", {}", h.name))
                        .collect::<String>()
                ))
            } else if !builtin::runs_in_container(template, request.executor.as_deref()) {
                Some(format!(
                    "{} runs as a local process; only container functions run on another host",
                    template.id
                ))
            } else {
                None
            };
            if let Some(message) = message {
                return Err(refused(vec![function::FieldError {
                    field: "host".into(),
                    message,
                }]));
            }
        }
        let (mut params, resources) = template
            .resolve(
                request.preset.as_deref(),
                &request.params,
                self.settings.runner.default_timeout_s,
            )
            .map_err(refused)?;
        // `file` inputs become checked absolute paths inside the project (or the
        // workspace when the task has none).
        let workspace = self.paths.workspace_root(&self.settings);
        let project_dir = request
            .project
            .as_deref()
            .and_then(|p| crate::workspace::project::resolve(&workspace, p).ok());
        let root = project_dir.as_deref().unwrap_or(&workspace);
        let errors: Vec<_> = template
            .inputs
            .iter()
            .filter(|i| i.kind == function::InputKind::File)
            .filter_map(|i| {
                let given = params.get(&i.name)?.as_str()?.to_string();
                match function::check_file_input(&given, root) {
                    Ok(p) => {
                        params.insert(i.name.clone(), p.display().to_string().into());
                        None
                    }
                    Err(message) => Some(function::FieldError {
                        field: i.name.clone(),
                        message,
                    }),
                }
            })
            .collect();
        if !errors.is_empty() {
            return Err(refused(errors));
        }
        Ok((template.clone(), params, resources))
    }

    /// Validates and queues a task: durable before `task.submitted` goes out.
    fn try_submit(&mut self, request: TaskRequest) -> Result<Task, crate::api::ApiError> {
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        self.submit_batch(vec![(request, tx)]);
        rx.try_recv()
            .unwrap_or_else(|_| Err(crate::api::ApiError::unavailable("the task was not queued")))?
            .ok_or_else(|| crate::api::ApiError::unavailable("the task was not queued"))
    }

    fn cancel(&mut self, id: TaskId) -> Result<(), String> {
        let Some(mut t) = self.tasks.get(&id).cloned() else {
            return Ok(());
        };
        match t.state {
            TaskState::Queued => {
                t.state = TaskState::Cancelled;
                t.finished_ms = Some(crate::util::now_ms());
                t.stage = None;
                self.commit(t)?;
            }
            s if s.is_active() && !self.running.contains_key(&id) && t.host.is_some() => {
                // Waiting for its host: nothing runs here to stop. Its container goes
                // when the host answers (reconcile removes containers no task owns).
                t.state = TaskState::Cancelled;
                t.finished_ms = Some(crate::util::now_ms());
                t.stage = None;
                self.commit(t)?;
            }
            s if s.is_active() => {
                if let Some(r) = self.running.get(&id) {
                    r.cancel.send(true).ok();
                }
                t.stage = Some("cancelling".into());
                self.tasks.insert(id, t.clone());
                self.sink.emit(Event::TaskUpdated { task: t });
            }
            _ => {}
        }
        Ok(())
    }

    fn retry(&mut self, id: TaskId) -> Result<(), String> {
        let Some(mut t) = self.tasks.get(&id).cloned() else {
            return Ok(());
        };
        if !t.state.can_retry() {
            return Ok(());
        }
        let seq = match self.store.next_seq() {
            Ok(s) => s,
            Err(e) => {
                self.sink.emit(Event::RunnerFailed { error: e.clone() });
                return Err(e);
            }
        };
        t.state = TaskState::Queued;
        t.seq = seq;
        t.retry_base = t.attempts;
        t.started_ms = None;
        t.progress = 0.0;
        t.stage = None;
        t.message = None;
        t.error = None;
        t.exit_code = None;
        t.not_before_ms = None;
        t.finished_ms = None;
        t.outputs.clear();
        self.commit(t)
    }

    /// Swaps a queued task with its neighbour in run order (priority, then FIFO).
    fn move_task(&mut self, id: TaskId, up: bool) {
        let order = self.queue_order();
        let Some(pos) = order.iter().position(|&t| t == id) else {
            return;
        };
        let other = if up {
            pos.checked_sub(1)
        } else {
            Some(pos + 1).filter(|&p| p < order.len())
        };
        let Some(other) = other.map(|p| order[p]) else {
            return;
        };
        let mut a = self.tasks[&id].clone();
        let mut b = self.tasks[&other].clone();
        std::mem::swap(&mut a.seq, &mut b.seq);
        std::mem::swap(&mut a.priority, &mut b.priority);
        if let Err(e) = self.store.put_all([&a, &b]) {
            self.sink.emit(Event::RunnerFailed { error: e });
            return;
        }
        for t in [a, b] {
            self.tasks.insert(t.id, t.clone());
            self.sink.emit(Event::TaskUpdated { task: t });
        }
    }

    /// Queued tasks in the order they would start.
    fn queue_order(&self) -> Vec<TaskId> {
        let mut q: Vec<&Task> = self
            .tasks
            .values()
            .filter(|t| t.state == TaskState::Queued)
            .collect();
        q.sort_by_key(|t| (std::cmp::Reverse(t.priority), t.seq));
        q.into_iter().map(|t| t.id).collect()
    }

    fn next_wake(&self) -> Duration {
        let now = crate::util::now_ms();
        let mut wake = if self.reconcile_pending || self.slurm_reconcile_pending {
            Duration::from_secs(3)
        } else {
            IDLE_WAKE
        };
        if !self.unsaved.is_empty() {
            wake = wake.min(SAVE_RETRY);
        }
        for t in self.tasks.values().filter(|t| t.state == TaskState::Queued) {
            if let Some(nb) = t.not_before_ms {
                wake = wake.min(Duration::from_millis(nb.saturating_sub(now).max(10)));
            }
            if t.resources.gpu {
                // Free VRAM changes without telling us: look again each second.
                wake = wake.min(Duration::from_secs(1));
            }
        }
        wake
    }

    fn schedule(&mut self) {
        if self.paused || self.hold_queue || !self.unsaved.is_empty() {
            return;
        }
        let now = crate::util::now_ms();
        let max = self.settings.runner.max_concurrent as usize;
        for id in self.queue_order() {
            if self.running.len() >= max {
                break;
            }
            if self.only_submitted && !self.own.contains(&id) {
                continue;
            }
            let t = self.tasks[&id].clone();
            if t.not_before_ms.is_some_and(|nb| nb > now) {
                continue;
            }
            let Some(template) = self.registry.functions.get(&t.function).cloned() else {
                self.fail(
                    t,
                    "its function is no longer installed; restore the template and retry".into(),
                );
                continue;
            };
            if let Some(limit) = template.resources.max_concurrent {
                let same = self
                    .running
                    .keys()
                    .filter(|r| self.tasks[r].function == t.function)
                    .count();
                if same >= limit as usize {
                    continue;
                }
            }
            // A cluster job's GPUs are Slurm's to place.
            let on_cluster = builtin::runs_on_slurm(&template, t.executor.as_deref());
            let in_container = builtin::runs_in_container(&template, t.executor.as_deref());
            let placement = if !on_cluster
                && (t.resources.gpu || (in_container && t.requested_host.is_some()))
            {
                self.place(&t, in_container)
            } else {
                Placement::On(None, None, 0)
            };
            let (host, gpu_index, need) = match placement {
                Placement::On(host, gpu, need) => (host, gpu, need),
                Placement::Wait(why) => {
                    if self.waiting_noted.get(&t.id) != Some(&why) {
                        self.waiting_noted.insert(t.id, why.clone());
                        let mut w = t.clone();
                        w.stage = Some(why);
                        self.tasks.insert(w.id, w.clone());
                        self.sink.emit(Event::TaskUpdated { task: w });
                    }
                    continue;
                }
                Placement::Never(why) => {
                    self.fail(t, why);
                    continue;
                }
            };
            self.waiting_noted.remove(&t.id);
            let id = t.id;
            self.start(t, template, gpu_index, host);
            if let Some(r) = self.running.get_mut(&id) {
                r.reserved_mb = need;
            }
        }
    }

    /// Where `t` runs: asks the pure [`scheduler`] over this machine (its GPUs from the
    /// sampler) and, for container tasks, every remote Docker host.
    fn place(&mut self, t: &Task, in_container: bool) -> Placement {
        use scheduler::{Decision, GpuSlot, HostView, Need, Reach};
        let local = match &self.gpu {
            None => HostView {
                name: scheduler::LOCAL.into(),
                reach: Reach::Unknown,
                gpus: vec![],
                no_gpu_reason: None,
            },
            Some(Ok(g)) => HostView {
                name: scheduler::LOCAL.into(),
                // A GPU can vanish for a moment (reset, driver hiccup): wait for it.
                reach: if g.is_empty() {
                    Reach::Unknown
                } else {
                    Reach::Up
                },
                gpus: g
                    .iter()
                    .map(|g| GpuSlot {
                        index: g.index,
                        total_mb: g.mem_total_mb,
                        free_mb: Some(g.mem_free_mb),
                    })
                    .collect(),
                no_gpu_reason: None,
            },
            Some(Err(e)) if e.contains("driver") || e.contains("libnvidia") => HostView {
                name: scheduler::LOCAL.into(),
                reach: Reach::Up,
                gpus: vec![],
                no_gpu_reason: Some(e.clone()),
            },
            Some(Err(_)) => HostView {
                name: scheduler::LOCAL.into(),
                reach: Reach::Unknown,
                gpus: vec![],
                no_gpu_reason: None,
            },
        };
        let mut hosts = vec![local];
        if in_container {
            for h in &self.settings.runner.hosts {
                let st = self.hosts.get(&h.name);
                let reach = match st.and_then(|s| s.reachable) {
                    Some(true) => Reach::Up,
                    Some(false) => Reach::Down(
                        st.and_then(|s| s.error.clone())
                            .unwrap_or_else(|| "unreachable".into()),
                    ),
                    None => Reach::Unknown,
                };
                hosts.push(HostView {
                    name: h.name.clone(),
                    reach,
                    gpus: h
                        .gpu_vram_mb
                        .iter()
                        .enumerate()
                        .map(|(i, mb)| GpuSlot {
                            index: i as u32,
                            total_mb: *mb,
                            free_mb: None,
                        })
                        .collect(),
                    no_gpu_reason: st
                        .filter(|s| s.gpus.is_empty())
                        .map(|s| s.gpu_note.clone())
                        .filter(|n| !n.is_empty()),
                });
            }
        }
        let placed: Vec<scheduler::Placed> = self
            .running
            .iter()
            .filter_map(|(id, r)| {
                let task = self.tasks.get(id)?;
                Some(scheduler::Placed {
                    host: task.host.clone().unwrap_or_else(|| scheduler::LOCAL.into()),
                    gpu: task.gpu_index?,
                    reserved_mb: r.reserved_mb,
                    used_mb: r.used_mb,
                })
            })
            .collect();
        // A template without `vram_mb` is sized from history: the 95th percentile of
        // the peaks its past runs reached.
        let vram_mb = if t.resources.vram_mb > 0 {
            t.resources.vram_mb
        } else {
            self.p95_peak_vram(&t.function).unwrap_or(0)
        };
        let need = Need {
            vram_mb,
            gpus: u32::from(t.resources.gpu),
            host: t.requested_host.clone(),
        };
        match scheduler::place(
            &need,
            &hosts,
            &placed,
            self.settings.runner.vram_headroom_mb,
        ) {
            Decision::On {
                host,
                gpus,
                reserved_mb,
            } => Placement::On(
                Some(host).filter(|h| h != scheduler::LOCAL),
                gpus.first().copied(),
                reserved_mb,
            ),
            Decision::Wait(why) => Placement::Wait(why),
            Decision::Never(why) => Placement::Never(why),
        }
    }

    /// The 75th-percentile run time (seconds) of the successful runs of `task`'s function
    /// and preset with similar inputs, once there are enough of them (the window's
    /// figure, from the same tasks).
    fn history_p75(&self, task: &Task) -> Option<f64> {
        let mut runs: Vec<f64> = self
            .tasks
            .values()
            .filter(|t| {
                t.function == task.function
                    && t.preset == task.preset
                    && t.state == TaskState::Succeeded
                    && crate::model::eta::similar_inputs(&t.params, &task.params)
            })
            .filter_map(|t| t.duration_ms(0))
            .map(|d| d as f64 / 1000.0)
            .collect();
        runs.sort_by(f64::total_cmp);
        crate::model::eta::p75(&runs)
    }

    fn p95_peak_vram(&self, function: &str) -> Option<u64> {
        let mut peaks: Vec<u64> = self
            .tasks
            .values()
            .filter(|t| t.function == function && t.state == TaskState::Succeeded)
            .filter_map(|t| t.peak_vram_mb)
            .collect();
        if peaks.is_empty() {
            return None;
        }
        peaks.sort_unstable();
        Some(peaks[((peaks.len() - 1) as f64 * 0.95).round() as usize])
    }

    /// A GPU reading: keep it for admission, and charge each running task's VRAM.
    fn on_gpu(&mut self, tick: crate::gpu::sampler::GpuTick) {
        if let Some(e) = tick.error {
            self.gpu = Some(Err(e));
            return;
        }
        for (id, r) in self.running.iter_mut() {
            // The GPUs its processes are on (or the one it was placed on).
            let placed = self.tasks.get(id).and_then(|t| t.gpu_index);
            let mut used = 0;
            for g in &tick.gpus {
                let mine: u64 = g
                    .processes
                    .iter()
                    .filter(|p| p.task == Some(*id))
                    .map(|p| p.used_mb)
                    .sum();
                used += mine;
                if (mine > 0 || placed == Some(g.index))
                    && let Some(util) = g.util_gpu
                {
                    r.util_sum += util as f64;
                    r.util_n += 1;
                }
            }
            r.peak_vram_mb = r.peak_vram_mb.max(used);
            r.used_mb = used;
        }
        self.gpu = Some(Ok(tick.gpus));
    }

    /// Tells the sampler which processes and containers belong to running tasks.
    fn send_owners(&self) {
        let owners = self
            .running
            .keys()
            .filter_map(|id| self.tasks.get(id))
            .map(|t| crate::gpu::attribution::TaskOwner {
                task: t.id,
                pid: t.pid,
                container_id: t.container_id.clone(),
            })
            .collect();
        self.sampler
            .send(crate::gpu::sampler::SamplerMsg::Owners(owners));
    }

    fn fail(&mut self, mut t: Task, error: String) {
        t.state = TaskState::Failed;
        t.error = Some(error.clone());
        t.finished_ms = Some(crate::util::now_ms());
        t.stage = None;
        self.sink.emit(Event::Notification {
            level: Level::Error,
            title: format!("{} failed", t.title()),
            body: error,
            task: Some(t.id),
        });
        self.commit(t).ok();
    }

    fn start(
        &mut self,
        mut t: Task,
        template: function::FunctionTemplate,
        gpu_index: Option<u32>,
        host: Option<String>,
    ) {
        let output_dir = self.paths.data_dir.join("outputs").join(t.id.to_string());
        for dir in [&output_dir, &self.paths.logs_dir()] {
            if let Err(e) = std::fs::create_dir_all(dir) {
                self.fail(t, format!("could not create {}: {e}", dir.display()));
                return;
            }
        }
        t.state = TaskState::Preparing;
        t.attempts += 1;
        t.started_ms = Some(crate::util::now_ms());
        t.finished_ms = None;
        t.gpu_index = gpu_index;
        t.host = host;
        t.output_dir = Some(output_dir);
        t.stage = None;
        t.progress = 0.0;
        t.container_id = None;
        t.slurm_job = None;
        // Not launched unless `preparing` is on disk: after a crash the store must know
        // the task may have run.
        if self.commit(t.clone()).is_ok() {
            self.launch(&t, &template, None);
        }
    }

    /// Hands a task to its executor (or re-attaches to its container).
    fn launch(
        &mut self,
        t: &Task,
        template: &function::FunctionTemplate,
        reattach: Option<String>,
    ) {
        let id = t.id;
        let output_dir = t.output_dir.clone().unwrap_or_default();
        let workspace = self.paths.workspace_root(&self.settings);
        let project_dir = t
            .project
            .as_deref()
            .and_then(|p| crate::workspace::project::resolve(&workspace, p).ok());
        // The executor the task asked for, and the function's folder (its scripts).
        let prepared = builtin::with_executor(template, t.executor.as_deref()).and_then(|tpl| {
            let dir = if matches!(tpl.executor, Executor::Docker { .. }) {
                builtin::CONTAINER_DIR.into()
            } else {
                builtin::function_dir(&tpl, &self.paths.data_dir)?
                    .display()
                    .to_string()
            };
            Ok((tpl, dir))
        });
        let (template, function_dir) = match prepared {
            Ok(v) => v,
            Err(e) => {
                let (cancel_tx, _) = tokio::sync::watch::channel(false);
                self.running.insert(id, Running::new(cancel_tx));
                self.finished_tx
                    .send((id, Outcome::failed(e, false), None))
                    .ok();
                return;
            }
        };
        let template = &template;
        let in_container = matches!(template.executor, Executor::Docker { .. });
        let exe = self.slate_exe.clone();
        let builtins = BTreeMap::from([
            ("slate_exe", exe),
            ("function_dir", function_dir),
            (
                "output_dir",
                if in_container {
                    "/out".into()
                } else {
                    output_dir.display().to_string()
                },
            ),
            ("task_id", id.to_string()),
            (
                "workspace",
                if in_container {
                    "/workspace".into()
                } else {
                    workspace.display().to_string()
                },
            ),
        ]);
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        let mut env = template.env.clone();
        // With SLATE_TASK_ID (set by the executor) this marks the task's processes, so
        // recovery after a crash can tell them from a reused PID.
        env.insert(
            process::STUDIO_ENV.into(),
            self.paths.data_dir.display().to_string(),
        );
        if let Some(g) = t.gpu_index
            && !in_container
        {
            env.insert("CUDA_VISIBLE_DEVICES".into(), g.to_string());
        }
        // A container sees each file input read-only under /inputs, never the host path.
        let mut params = t.params.clone();
        let mut input_files = Vec::new();
        for input in template
            .inputs
            .iter()
            .filter(|i| i.kind == function::InputKind::File)
        {
            let Some(host) = params.get(&input.name).and_then(|v| v.as_str()) else {
                continue;
            };
            let path = PathBuf::from(host);
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "input".into());
            if in_container {
                let inside = format!("/inputs/{}/{name}", input_files.len());
                params.insert(input.name.clone(), inside.into());
            }
            input_files.push(exec::InputFile { name, path });
        }
        let launch = Launch {
            task_id: id,
            reattach,
            input_files,
            argv: template.render_command(&params, &builtins),
            env,
            output_dir,
            log_file: self.paths.logs_dir().join(format!("{id}.log")),
            timeout: Duration::from_secs(t.resources.timeout_s.max(1)),
            cancel: cancel_rx,
            reports: self.reports_tx.clone(),
        };
        let mut running = Running::new(cancel_tx);
        running.history_p75 = self.history_p75(t);
        self.running.insert(id, running);
        let finished = self.finished_tx.clone();
        let project_dir_for_slurm = project_dir.clone();
        let target = match self.target_of(t.host.as_deref()) {
            Ok(target) => target,
            Err(e) => {
                self.finished_tx
                    .send((id, Outcome::failed(e, false), None))
                    .ok();
                return;
            }
        };
        let spec = match &template.executor {
            Executor::Process | Executor::Slurm { .. } => None,
            Executor::Docker { image, network } => Some(docker::DockerSpec {
                target,
                image: image.clone(),
                network: network.clone().unwrap_or_else(|| "none".into()),
                container_name: format!("slate-{}-task-{id}", studio_tag(&self.paths)),
                studio: self.paths.data_dir.display().to_string(),
                project_dir,
                memory_mb: t.resources.memory_mb,
                cpu: t.resources.cpu,
                gpu_index: t.gpu_index,
            }),
        };
        let slurm_spec = self.slurm_spec(t, template, &launch, project_dir_for_slurm);
        let patterns = template.outputs.clone();
        tokio::spawn(async move {
            let dir = launch.output_dir.clone();
            let outcome = match (spec, slurm_spec) {
                (_, Some(s)) => slurm::run(launch, s).await,
                (None, None) => process::run(launch).await,
                (Some(spec), None) => docker::run(launch, spec).await,
            };
            // The output folder was filled by the task: walk it here, off the actor.
            let outputs = match outcome {
                Outcome::Exited { code: 0, .. } => Some(outputs_off_thread(dir, patterns).await),
                _ => None,
            };
            finished.send((id, outcome, outputs)).ok();
        });
    }

    fn on_report(&mut self, id: TaskId, report: ExecReport) {
        if let ExecReport::LogFailed { error } = report {
            if let Some(r) = self.running.get_mut(&id) {
                r.log_error.get_or_insert(error);
            }
            return;
        }
        let Some(t) = self.tasks.get_mut(&id) else {
            return;
        };
        match report {
            ExecReport::Started { pid, container_id } => {
                let mut t = t.clone();
                t.pid = pid;
                t.pid_start = pid.and_then(process::start_time);
                t.container_id = container_id;
                if t.state == TaskState::Preparing {
                    t.state = TaskState::Running;
                }
                self.commit(t).ok();
                self.send_owners();
            }
            ExecReport::Progress(u) => {
                if let Some(p) = u.progress {
                    t.progress = p;
                }
                // A task being cancelled stays "cancelling" whatever it still reports.
                let cancelling = t.stage.as_deref() == Some("cancelling");
                let stage_changed = !cancelling && u.stage.is_some() && u.stage != t.stage;
                if u.stage.is_some() && !cancelling {
                    t.stage = u.stage;
                }
                if u.message.is_some() {
                    t.message = u.message;
                }
                let now = crate::util::now_ms();
                let Some(r) = self.running.get_mut(&id) else {
                    return;
                };
                let elapsed = t.started_ms.map(|s| now.saturating_sub(s) as f64 / 1000.0);
                if stage_changed && let Some(e) = elapsed {
                    r.stage_mark = Some(crate::model::eta::StageMark {
                        since_s: e,
                        progress: t.progress,
                    });
                }
                if stage_changed
                    || t.progress >= 1.0
                    || now.saturating_sub(r.last_progress_ms) >= PROGRESS_EVERY_MS
                {
                    r.last_progress_ms = now;
                    // The same estimate as the window's: the task's pace blended with
                    // its function's history.
                    let eta_s = elapsed.and_then(|e| {
                        crate::model::eta::remaining_in_stage(
                            e,
                            t.progress,
                            r.stage_mark,
                            r.history_p75,
                        )
                    });
                    self.sink.emit(Event::TaskProgress {
                        id,
                        progress: t.progress,
                        stage: t.stage.clone(),
                        message: t.message.clone(),
                        eta_s,
                    });
                }
            }
            ExecReport::Log { stderr, line } => {
                // The live view gets at most LIVE_LOG_LINES per window; a chatty task
                // cannot flood the UI. The file on disk keeps every line.
                let Some(r) = self.running.get_mut(&id) else {
                    return;
                };
                let now = std::time::Instant::now();
                if now.duration_since(r.log_window) >= LIVE_LOG_WINDOW {
                    r.log_window = now;
                    r.log_shown = 0;
                    if r.log_skipped > 0 {
                        let skipped = std::mem::take(&mut r.log_skipped);
                        self.sink.emit(Event::TaskLog {
                            id,
                            stderr: false,
                            line: format!(
                                "[{} not shown live; the full log is on disk]",
                                crate::util::count(skipped as usize, "line")
                            ),
                        });
                    }
                }
                if r.log_shown < LIVE_LOG_LINES {
                    r.log_shown += 1;
                    self.sink.emit(Event::TaskLog { id, stderr, line });
                } else {
                    r.log_skipped += 1;
                }
            }
            ExecReport::LogFailed { .. } => {}
            ExecReport::Job { job_id, stage } => {
                let mut t = t.clone();
                t.slurm_job = Some(job_id);
                if stage.is_some() {
                    t.stage = stage;
                }
                self.commit(t).ok();
            }
        }
    }

    fn on_finished(&mut self, id: TaskId, outcome: Outcome, outputs: Option<Outputs>) {
        let stats = self.running.remove(&id);
        self.send_owners();
        let Some(mut t) = self.tasks.get(&id).cloned() else {
            return;
        };
        let log_error = stats.as_ref().and_then(|r| r.log_error.clone());
        // A run whose log lost lines is not a success that can be trusted.
        let outcome = match (outcome, log_error) {
            (Outcome::Exited { code: 0, .. }, Some(e)) => Outcome::failed(
                format!(
                    "the task's log could not be written ({e}); free some disk space and retry"
                ),
                false,
            ),
            (o, _) => o,
        };
        if let Some(r) = stats {
            if r.peak_vram_mb > 0 {
                t.peak_vram_mb = Some(r.peak_vram_mb);
            }
            if r.util_n > 0 {
                t.mean_gpu_util = Some((r.util_sum / r.util_n as f64) as f32);
            }
        }
        let now = crate::util::now_ms();
        t.finished_ms = Some(now);
        t.stage = None;
        t.pid = None;
        match outcome {
            Outcome::Exited { code: 0, .. } => {
                t.state = TaskState::Succeeded;
                t.exit_code = Some(0);
                t.progress = 1.0;
                match outputs {
                    Some(Ok(found)) => t.outputs = found,
                    Some(Err(e)) => t.error = Some(format!("outputs not listed: {e}")),
                    None => {}
                }
                self.sink.emit(Event::Notification {
                    level: Level::Success,
                    title: format!("{} finished", t.title()),
                    body: crate::util::count(t.outputs.len(), "output file"),
                    task: Some(id),
                });
                self.commit(t).ok();
            }
            Outcome::Exited {
                code: EX_TEMPFAIL,
                last_lines,
                ..
            } if t.attempts - t.retry_base.min(t.attempts) < MAX_ATTEMPTS => {
                let delay = backoff_ms(t.attempts, &mut self.rng);
                t.state = TaskState::Queued;
                t.exit_code = Some(EX_TEMPFAIL);
                t.not_before_ms = Some(now + delay);
                t.error = Some(format!(
                    "temporary failure (exit 75){}; retrying in {} (attempt {} of {MAX_ATTEMPTS})",
                    last_lines
                        .last()
                        .map(|l| format!(": {l}"))
                        .unwrap_or_default(),
                    crate::util::format_duration_secs(delay as f64 / 1000.0),
                    t.attempts + 1
                ));
                self.commit(t).ok();
            }
            Outcome::Exited {
                code,
                oom,
                last_lines,
            } => {
                t.exit_code = Some(code);
                let why = if oom {
                    "ran out of memory (killed by the memory limit)".to_string()
                } else {
                    if code > 128 && code <= 128 + 64 {
                        format!("was killed by signal {} (exit code {code})", code - 128)
                    } else {
                        format!("exited with code {code}")
                    }
                };
                let tail = if last_lines.is_empty() {
                    String::new()
                } else {
                    format!("; last output:\n{}", last_lines.join("\n"))
                };
                self.fail(t, format!("{why}{tail}"));
            }
            Outcome::Cancelled => {
                t.state = TaskState::Cancelled;
                self.commit(t).ok();
            }
            Outcome::TimedOut { after } => {
                self.fail(
                    t,
                    format!(
                        "timed out after {}",
                        crate::util::format_duration_secs(after.as_secs_f64())
                    ),
                );
            }
            Outcome::Unavailable { reason } if t.host.is_some() && t.container_id.is_some() => {
                // A remote host went away with the container on it: the task keeps its
                // state and container, and is re-attached (or collected) when the host
                // answers again. One run, one terminal state.
                let host = t.host.clone().unwrap_or_default();
                t.finished_ms = None;
                t.stage = Some(format!("waiting for {host}: {reason}"));
                self.reconcile_pending = true;
                self.commit(t).ok();
            }
            Outcome::Unavailable { reason } if t.host.is_some() => {
                let host = t.host.clone().unwrap_or_default();
                let delay = backoff_ms(t.attempts.min(4), &mut self.rng).min(10_000);
                t.attempts = t.attempts.saturating_sub(1);
                t.state = TaskState::Queued;
                t.not_before_ms = Some(now + delay);
                t.stage = Some(format!("waiting for {host}: {reason}"));
                t.error = None;
                self.commit(t).ok();
            }
            Outcome::Unavailable { reason } => {
                // Not the task's fault: wait for the executor without using an attempt.
                let delay = backoff_ms(t.attempts.min(4), &mut self.rng).min(10_000);
                t.attempts = t.attempts.saturating_sub(1);
                t.state = TaskState::Queued;
                t.not_before_ms = Some(now + delay);
                let waiting_for = match self.registry.functions.get(&t.function) {
                    Some(f) if builtin::runs_on_slurm(f, t.executor.as_deref()) => "Slurm",
                    _ => "Docker",
                };
                t.stage = Some(format!("waiting for {waiting_for}: {reason}"));
                t.error = None;
                self.commit(t).ok();
            }
            Outcome::Failed { error, transient } => {
                if transient && t.attempts - t.retry_base.min(t.attempts) < MAX_ATTEMPTS {
                    let delay = backoff_ms(t.attempts, &mut self.rng);
                    t.state = TaskState::Queued;
                    t.not_before_ms = Some(now + delay);
                    t.error = Some(format!(
                        "{error}; retrying in {} (attempt {} of {MAX_ATTEMPTS})",
                        crate::util::format_duration_secs(delay as f64 / 1000.0),
                        t.attempts + 1
                    ));
                    self.commit(t).ok();
                } else {
                    self.fail(t, error);
                }
            }
        }
    }
}

enum Placement {
    /// On this host (`None`: this machine) and GPU, reserving this many MB.
    On(Option<String>, Option<u32>, u64),
    Wait(String),
    Never(String),
}

/// A short, stable tag for this studio's container names (its data folder, hashed).
fn studio_tag(paths: &Paths) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    paths.data_dir.hash(&mut h);
    format!("{:08x}", h.finish() as u32)
}

/// Exponential backoff with full jitter: a random delay up to base·2^attempt, capped.
pub fn backoff_ms(attempt: u32, rng: &mut u64) -> u64 {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    let cap = (BACKOFF_BASE_MS << attempt.min(16)).min(BACKOFF_MAX_MS);
    cap / 2 + *rng % (cap / 2 + 1)
}

/// What [`load_and_recover`] may do about tasks a crash left active.
#[derive(Clone, Copy, Debug)]
pub enum Recovery<'a> {
    /// The runner starting: record the new states and stop what is left of each task
    /// (only processes proven to be that task's, see [`process::kill_leftovers`]).
    Apply { studio: &'a std::path::Path },
    /// A read-only command (`slate tasks`): show the states recovery would give, change
    /// nothing and never signal a process.
    Preview,
}

/// Reads every task and reconciles those a crash left active. Only the store's owner
/// calls this, so an active local process is gone with the Slate that ran it; container
/// tasks are left for [`Runner`] to re-attach. Returns the tasks and
/// one message per problem.
pub fn load_and_recover(
    store: &store::Store,
    registry: &Registry,
    mode: Recovery<'_>,
) -> (Vec<Task>, Vec<String>) {
    let (mut tasks, mut problems) = match store.all() {
        Ok(v) => v,
        Err(e) => (Vec::new(), vec![format!("could not read tasks: {e}")]),
    };
    let now = crate::util::now_ms();
    let mut changed = Vec::new();
    for t in tasks.iter_mut().filter(|t| t.state.is_active()) {
        let template = registry.functions.get(&t.function);
        if template.is_some_and(|f| builtin::runs_in_container(f, t.executor.as_deref())) {
            // Its container may still be running: the runner re-attaches or collects it.
            continue;
        }
        if t.slurm_job.is_some()
            || template.is_some_and(|f| builtin::runs_on_slurm(f, t.executor.as_deref()))
        {
            // Its job runs on the cluster without Slate: the runner follows it again.
            continue;
        }
        let requeue = template.is_some_and(|f| f.requeue_on_interrupt);
        if let (Some(pid), Some(start), Recovery::Apply { studio }) = (t.pid, t.pid_start, mode) {
            process::kill_leftovers(pid, start, t.id, studio);
        }
        recover_lost(t, requeue, now);
        changed.push(t.clone());
    }
    if matches!(mode, Recovery::Apply { .. })
        && !changed.is_empty()
        && let Err(e) = store.put_all(&changed)
    {
        problems.push(format!("could not record recovered tasks: {e}"));
    }
    (tasks, problems)
}

/// Reconciles a task whose executor vanished with the Slate that ran it.
pub fn recover_lost(t: &mut Task, requeue: bool, now: u64) {
    t.pid = None;
    if requeue {
        t.state = TaskState::Queued;
        t.error = Some("interrupted when Slate stopped; queued again".into());
        t.progress = 0.0;
        t.stage = None;
        t.not_before_ms = None;
    } else {
        t.state = TaskState::Interrupted;
        t.error = Some("interrupted when Slate stopped; retry to run it again".into());
        t.finished_ms = Some(now);
        t.stage = None;
    }
}

/// Runs folder I/O from the actor without holding an async worker: the runtime moves
/// its other tasks elsewhere meanwhile. (The walk itself is bounded: see util::walk.)
fn off_the_workers<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// What the output walk found: relative paths, or why it could not list them.
type Outputs = Result<Vec<String>, String>;

/// Lists a finished task's outputs on a blocking thread: the folder was written by the
/// task and the walk must never hold the runner.
async fn outputs_off_thread(dir: PathBuf, patterns: Vec<String>) -> Outputs {
    tokio::task::spawn_blocking(move || exec::collect_outputs(&dir, &patterns))
        .await
        .unwrap_or_else(|e| Err(format!("the output walk failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut rng = 42;
        for attempt in 0..30 {
            let d = backoff_ms(attempt, &mut rng);
            let cap = (BACKOFF_BASE_MS << attempt.min(16)).min(BACKOFF_MAX_MS);
            assert!(d >= cap / 2 && d <= cap, "{attempt}: {d}");
        }
    }
}
