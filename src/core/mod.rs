//! The core: one thread with a tokio runtime that owns settings I/O, probes and the
//! runner. It hears [`Command`]s and answers with [`Event`]s, waking the UI after each.

use std::sync::Arc;

use crate::events::{Command, Event, Level};
use crate::model::system::SystemInfo;
use crate::paths::Paths;
use crate::settings::{self, Settings};

pub use crate::api::sink::{EventSink, Tap, Waker};
/// How the runner starts (the Slate binary for built-in tasks, …): an option of the core.
pub use crate::runner::RunnerConfig;

/// A command sent with a way to answer it.
pub type Call = (
    Command,
    tokio::sync::oneshot::Sender<crate::runner::CallResult>,
);

/// What the local API needs from a running core: calls with replies, and the bus.
#[derive(Clone)]
pub struct CoreApi {
    calls: tokio::sync::mpsc::UnboundedSender<Call>,
    /// Requests on projects by name go straight to the workspace engine.
    pub workspace: crate::workspace::service::WorkspaceService,
    pub bus: Arc<crate::api::bus::Bus>,
    pub paths: Paths,
}

impl CoreApi {
    /// Sends `command` and waits for its answer: the task it changed, or a typed error.
    pub async fn call(&self, command: Command) -> crate::runner::CallResult {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.calls
            .send((command, tx))
            .map_err(|_| crate::api::ApiError::unavailable("the core has stopped"))?;
        rx.await
            .map_err(|_| crate::api::ApiError::unavailable("the core has stopped"))?
    }
}

/// The UI's handle on the core: send commands, drain events.
pub struct CoreHandle {
    commands: tokio::sync::mpsc::UnboundedSender<Command>,
    api: CoreApi,
    pub events: crossbeam_channel::Receiver<Event>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The serving Slate's address when the core runs there (a linked window).
    remote: Option<String>,
}

/// A cheap, cloneable way to send commands to the core. Sending never blocks.
#[derive(Clone)]
pub struct CommandSender(tokio::sync::mpsc::UnboundedSender<Command>);

impl CommandSender {
    pub fn send(&self, command: Command) {
        // The core only goes away on shutdown; a late command has nowhere to go.
        self.0.send(command).ok();
    }

    /// A sender whose commands go nowhere, for views rendered without a core.
    pub fn detached() -> Self {
        Self(tokio::sync::mpsc::unbounded_channel().0)
    }
}

/// Options for starting the core.
#[derive(Clone)]
pub struct CoreOptions {
    pub paths: Paths,
    /// Run the task runner (the UI and `slate run` do; listings do not).
    pub run_tasks: bool,
    pub runner: crate::runner::RunnerConfig,
}

impl CoreHandle {
    /// A handle on a core another Slate runs: `commands` reach it through `thread`
    /// (see `client::linked`), its events come through `events`.
    pub fn linked(
        paths: Paths,
        commands: tokio::sync::mpsc::UnboundedSender<Command>,
        events: crossbeam_channel::Receiver<Event>,
        thread: std::thread::JoinHandle<()>,
        address: String,
    ) -> Self {
        // Nothing here serves or routes: these ends lead nowhere.
        let (workspace, _inbox) = crate::workspace::service::WorkspaceService::channel();
        Self {
            commands,
            api: CoreApi {
                calls: tokio::sync::mpsc::unbounded_channel().0,
                workspace,
                bus: Arc::new(crate::api::bus::Bus::default()),
                paths,
            },
            events,
            thread: Some(thread),
            remote: Some(address),
        }
    }

    /// Where the core runs when another Slate owns it.
    pub fn remote(&self) -> Option<&str> {
        self.remote.as_deref()
    }

    /// The core as the local API sees it (calls with replies, the event bus).
    pub fn api(&self) -> CoreApi {
        self.api.clone()
    }

    pub fn sender(&self) -> CommandSender {
        CommandSender(self.commands.clone())
    }

    pub fn send(&self, command: Command) {
        self.commands.send(command).ok();
    }

    /// Asks the core to stop and waits for it (bounded: the core never blocks on the UI).
    pub fn shutdown(mut self) {
        self.shutdown_inner();
    }

    fn shutdown_inner(&mut self) {
        self.commands.send(Command::Shutdown).ok();
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

impl Drop for CoreHandle {
    fn drop(&mut self) {
        self.shutdown_inner();
    }
}

/// Starts the core on its own thread.
pub fn spawn(options: CoreOptions, waker: Waker) -> CoreHandle {
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
    let (call_tx, call_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = crossbeam_channel::unbounded();
    let bus = Arc::new(crate::api::bus::Bus::default());
    let (workspace, inbox) = crate::workspace::service::WorkspaceService::channel();
    let api = CoreApi {
        calls: call_tx,
        workspace: workspace.clone(),
        bus: bus.clone(),
        paths: options.paths.clone(),
    };
    let sink = EventSink::new(ev_tx, waker).with_bus(bus);
    let thread = std::thread::Builder::new()
        .name("slate-core".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .thread_name("slate-core-rt")
                .build()
                .expect("tokio runtime");
            rt.block_on(run(options, sink, cmd_rx, call_rx, (workspace, inbox)));
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
        })
        .expect("spawn core thread");
    CoreHandle {
        commands: cmd_tx,
        api,
        events: ev_rx,
        thread: Some(thread),
        remote: None,
    }
}

async fn run(
    options: CoreOptions,
    sink: EventSink,
    mut commands: tokio::sync::mpsc::UnboundedReceiver<Command>,
    mut calls: tokio::sync::mpsc::UnboundedReceiver<Call>,
    (workspace, inbox): (
        crate::workspace::service::WorkspaceService,
        crate::workspace::service::Inbox,
    ),
) {
    let paths = options.paths.clone();
    let settings_path = paths.settings_file.clone();
    let loaded = {
        let p = settings_path.clone();
        tokio::task::spawn_blocking(move || settings::load(&p))
            .await
            .expect("settings load task")
    };
    let mut current = loaded.settings.clone();
    sink.emit(Event::SettingsLoaded {
        settings: loaded.settings,
        path: settings_path.clone(),
        warning: loaded.warning,
    });
    spawn_probe(&paths, &current, &sink);

    workspace.start(
        inbox,
        paths.clone(),
        current.clone(),
        sink.clone(),
        function_lookup(paths.functions_dir()),
    );
    let (sampler, sampler_rx) = crate::gpu::sampler::channel();
    let runner = if options.run_tasks {
        let runner_sink = takes_flow(sink.clone(), workspace.clone());
        Some(
            crate::runner::Runner::start(
                paths.clone(),
                current.clone(),
                options.runner.clone(),
                runner_sink,
                sampler.clone(),
            )
            .await,
        )
    } else {
        None
    };
    let sampler_thread = spawn_sampler(&options, &current, &sink, runner.clone(), sampler_rx);

    loop {
        let (command, mut reply) = tokio::select! {
            c = commands.recv() => match c {
                Some(c) => (c, None),
                None => break,
            },
            Some((command, reply)) = calls.recv() => {
                // One router: runner commands get the runner's typed answer; the rest
                // are handled below and answered once accepted.
                match (&runner, crate::workspace::service::handles(&command)) {
                    (_, true) => {
                        workspace.command(command);
                        reply.send(Ok(None)).ok();
                        continue;
                    }
                    (Some(r), false) if !matches!(
                        command,
                        Command::SaveSettings { .. }
                            | Command::ProbeSystem
                            | Command::GpuDetail { .. }
                            | Command::Shutdown
                    ) => {
                        r.call(command, reply);
                        continue;
                    }
                    (None, false) if runner_command(&command) => {
                        reply
                            .send(Err(crate::api::ApiError::unavailable(
                                "this Slate process does not run tasks",
                            )))
                            .ok();
                        continue;
                    }
                    _ => (command, Some(reply)),
                }
            }
        };
        match command {
            Command::Shutdown => break,
            Command::SaveSettings { settings } => {
                let p = settings_path.clone();
                let to_save = settings.clone();
                let saved = tokio::task::spawn_blocking(move || settings::save(&p, &to_save))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                match saved {
                    Ok(()) => {
                        let probe_again = settings.runner.docker_endpoint
                            != current.runner.docker_endpoint
                            || paths.workspace_root(&settings) != paths.workspace_root(&current);
                        current = settings.clone();
                        if let Some(r) = &runner {
                            r.settings_changed(current.clone());
                        }
                        sampler.send(crate::gpu::sampler::SamplerMsg::Interval(
                            std::time::Duration::from_millis(current.gpu.sample_interval_ms),
                        ));
                        sampler.send(crate::gpu::sampler::SamplerMsg::HotThreshold(
                            current.notifications.gpu_hot_c as u32,
                        ));
                        workspace.settings_changed(current.clone());
                        sink.emit(Event::SettingsSaved { settings });
                        if probe_again {
                            spawn_probe(&paths, &current, &sink);
                        }
                    }
                    Err(error) => {
                        if let Some(r) = reply.take() {
                            r.send(Err(crate::api::ApiError::unavailable(format!(
                                "the settings were not saved: {error}"
                            ))))
                            .ok();
                        }
                        sink.emit(Event::SettingsFailed { error })
                    }
                }
            }
            Command::ProbeSystem => spawn_probe(&paths, &current, &sink),
            Command::GpuDetail { on } => sampler.send(crate::gpu::sampler::SamplerMsg::Detail(on)),
            c if crate::workspace::service::handles(&c) => workspace.command(c),
            other => match &runner {
                Some(r) => r.command(other),
                None => sink.emit(Event::RunnerFailed {
                    error: "this Slate process does not run tasks".into(),
                }),
            },
        }
        if let Some(r) = reply {
            r.send(Ok(None)).ok();
        }
    }
    sampler.send(crate::gpu::sampler::SamplerMsg::Stop);
    if let Some(r) = runner {
        r.shutdown().await;
    }
    sampler_thread.join().ok();
}

/// How a function runs, read from the templates when a take records it.
fn function_lookup(dir: std::path::PathBuf) -> crate::workspace::service::FunctionLookup {
    use crate::runner::function::{Executor, Registry};
    Arc::new(move |id| {
        let registry = Registry::load(Some(&dir));
        let f = registry.functions.get(id)?;
        let (executor, image) = match &f.executor {
            Executor::Process => ("process", None),
            Executor::Docker { image, .. } => ("docker", Some(image.clone())),
            Executor::Slurm { .. } => ("slurm", None),
        };
        Some(crate::workspace::service::FunctionFacts {
            executor: executor.into(),
            image,
            command: f.command.clone(),
        })
    })
}

/// The flow from the runner to the workspace: the runner's events pass through to the UI
/// unchanged, and a shot-bound task that succeeds (live, or found succeeded at start
/// after a crash) is handed to the workspace, which makes it the shot's next take.
/// Making a take twice for one task makes nothing new, so a repeat is harmless.
fn takes_flow(
    sink: EventSink,
    workspace: crate::workspace::service::WorkspaceService,
) -> EventSink {
    use crate::model::task::TaskState;
    // A tap, not a thread: events keep their order and reach the bus before a reply to
    // the same request does (a client reads its own writes).
    sink.with_tap(Arc::new(move |event: &Event| match event {
        Event::TaskUpdated { task }
            if task.state == TaskState::Succeeded && task.shot_ref.is_some() =>
        {
            workspace.command(Command::CreateTake {
                task: Box::new(task.clone()),
            });
        }
        Event::TasksSnapshot { tasks, .. } => {
            // A crash between "succeeded" and "take made": finish it now. Only recent
            // ones; older takes were made (or deliberately removed).
            let since = crate::util::now_ms().saturating_sub(24 * 3600 * 1000);
            for t in tasks.iter().filter(|t| {
                t.state == TaskState::Succeeded
                    && t.shot_ref.is_some()
                    && t.finished_ms.is_some_and(|f| f >= since)
            }) {
                workspace.command(Command::CreateTake {
                    task: Box::new(t.clone()),
                });
            }
        }
        _ => {}
    }))
}

/// Commands the runner answers.
fn runner_command(c: &Command) -> bool {
    matches!(
        c,
        Command::SubmitTask { .. }
            | Command::CancelTask { .. }
            | Command::RetryTask { .. }
            | Command::SetPriority { .. }
            | Command::MoveTask { .. }
            | Command::ReadLog { .. }
            | Command::ReloadFunctions
            | Command::PauseQueue { .. }
    )
}

/// Starts the GPU sampler: NVML, or the replay file when one is given. Each tick goes
/// to the UI (coalesced there) and to the runner (admission, per-task VRAM).
fn spawn_sampler(
    options: &CoreOptions,
    settings: &Settings,
    sink: &EventSink,
    runner: Option<crate::runner::Runner>,
    rx: crossbeam_channel::Receiver<crate::gpu::sampler::SamplerMsg>,
) -> std::thread::JoinHandle<()> {
    use crate::gpu::sampler::GpuAlert;
    let source: Box<dyn crate::gpu::GpuSource> =
        match crate::gpu::open_source(options.runner.gpu_replay.as_deref()) {
            Ok(s) => s,
            Err(e) => Box::new(crate::gpu::source::FailingSource(e)),
        };
    let sink = sink.clone();
    // Without a driver every tick says the same thing: tell the UI once, not each tick.
    let last_error = std::sync::Mutex::new(None::<String>);
    crate::gpu::sampler::spawn(
        source,
        rx,
        std::time::Duration::from_millis(settings.gpu.sample_interval_ms),
        settings.notifications.gpu_hot_c as u32,
        move |tick, alerts| {
            for a in alerts {
                let (level, title, body) = match a {
                    GpuAlert::Hot { index, temp_c } => (
                        Level::Warning,
                        format!("GPU {index} is hot"),
                        format!("{temp_c} °C"),
                    ),
                    GpuAlert::MemoryFull {
                        index,
                        used_mb,
                        total_mb,
                    } => (
                        Level::Warning,
                        format!("GPU {index} memory nearly full"),
                        format!("{used_mb} of {total_mb} MiB in use"),
                    ),
                    GpuAlert::Lost { was, now } => (
                        Level::Error,
                        "A GPU disappeared".into(),
                        format!("{} before, {now} now", crate::util::count(was, "GPU")),
                    ),
                    GpuAlert::Failed { error } => {
                        (Level::Error, "GPU monitoring failed".into(), error)
                    }
                };
                sink.emit(Event::Notification {
                    level,
                    title,
                    body,
                    task: None,
                });
            }
            if let Some(r) = &runner {
                r.gpu_tick(tick.clone());
            }
            let mut last = last_error.lock().expect("gpu error slot");
            if tick.error.is_some() && *last == tick.error {
                return;
            }
            *last = tick.error.clone();
            drop(last);
            sink.emit(Event::GpuSample {
                ts_ms: tick.ts_ms,
                gpus: tick.gpus,
                error: tick.error,
            });
        },
    )
}

/// Probes the system off the UI thread and sends `system.probed`.
fn spawn_probe(paths: &Paths, settings: &Settings, sink: &EventSink) {
    let paths = paths.clone();
    let settings = settings.clone();
    let sink = sink.clone();
    tokio::spawn(async move {
        let info = probe_system(&paths, &settings).await;
        sink.emit(Event::SystemProbed { info });
    });
}

pub async fn probe_system(paths: &Paths, settings: &Settings) -> SystemInfo {
    let blocking = tokio::task::spawn_blocking(|| {
        let (driver, gpus) = crate::probe::nvidia();
        (
            crate::probe::git_version(),
            crate::probe::git_lfs_version(),
            driver,
            gpus,
        )
    });
    let docker = crate::runner::docker::engine_version(&settings.runner.docker_endpoint).await;
    let (git, git_lfs, nvidia_driver, gpus) = blocking.await.expect("probe task");
    SystemInfo {
        slate_version: env!("CARGO_PKG_VERSION").to_string(),
        libgit2_version: crate::probe::libgit2_version(),
        git,
        git_lfs,
        docker,
        nvidia_driver,
        gpus,
        data_dir: paths.data_dir.display().to_string(),
        settings_file: paths.settings_file.display().to_string(),
        workspace: paths.workspace_root(settings).display().to_string(),
        functions_dir: paths.functions_dir().display().to_string(),
    }
}
