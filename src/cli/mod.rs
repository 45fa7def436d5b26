//! The `slate` command line. No subcommand opens the window; every listing has `--json`.

pub mod asset;
pub mod cluster;
pub mod project;
pub mod take;

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::core::RunnerConfig;
use crate::core::{CoreHandle, CoreOptions};
use crate::events::{Command, Event};
use crate::model::task::{Task, TaskId, TaskRequest, TaskState};
use crate::paths::Paths;

#[derive(Parser, Debug)]
#[command(
    name = "slate",
    version,
    about = "Slate: a native studio for generative film production"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Render the window for a few frames, save a PNG here and exit.
    #[arg(long, value_name = "PATH")]
    pub screenshot: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Workspace root holding one folder per project.
    #[arg(long, global = true, env = "SLATE_WORKSPACE", value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Folder for settings, the task database and logs.
    #[arg(long, global = true, env = "SLATE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Feed recorded GPU samples (JSON lines) to the whole app instead of NVML.
    #[arg(long, global = true, env = "SLATE_GPU_REPLAY", value_name = "FILE")]
    pub gpu_replay: Option<PathBuf>,
    /// The project to act on (name or path); default: the project containing the
    /// current folder.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub project: Option<String>,
    /// Print what the core answers (replies and events) as JSON, nothing else.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List, show and check function templates.
    Functions {
        #[command(subcommand)]
        command: FunctionsCmd,
    },
    /// Create, list, rename and delete projects; edit chapters, scenes and shots.
    Project {
        #[command(subcommand)]
        command: crate::cli::project::ProjectCmd,
    },
    /// Status, history, commits, tags and rollback of the current project.
    Git {
        #[command(subcommand)]
        command: crate::cli::project::GitCmd,
    },
    /// Git LFS: tracked patterns and files, large untracked files.
    Lfs {
        #[command(subcommand)]
        command: crate::cli::project::LfsCmd,
    },
    /// Import, list, show, rename, delete and link assets (01_Assets/).
    Asset {
        #[command(subcommand)]
        command: crate::cli::asset::AssetCmd,
    },
    /// Run a function and wait for it, with a progress bar (`--detach` only queues it).
    Run(RunArgs),
    /// Takes: generate a shot's next take; list, review, delete and restore takes.
    Take {
        #[command(subcommand)]
        command: crate::cli::take::TakeCmd,
    },
    /// List tasks: the queue and history.
    Tasks {
        /// Only tasks in this state (queued, running, succeeded, failed, cancelled, interrupted).
        #[arg(long)]
        state: Option<String>,
        /// Only tasks whose function, project, shot, parameters or error contain this.
        #[arg(long)]
        search: Option<String>,
    },
    /// Show, cancel, retry one task, or print its log.
    Task {
        #[command(subcommand)]
        command: TaskCmd,
    },
    /// Container images for functions: list them, or build a function's image.
    Image {
        #[command(subcommand)]
        command: ImageCmd,
    },
    /// The Slurm cluster tasks with `[executor] type = "slurm"` go to: partitions, nodes,
    /// GPUs and your jobs.
    Cluster {
        #[command(subcommand)]
        command: crate::cli::cluster::ClusterCmd,
    },
    /// One GPU sample (like `nvidia-smi --query-gpu`), or a stream of them.
    Gpu(GpuArgs),
    /// Versions of Slate, git, git-lfs, Docker and the NVIDIA driver, and Slate's paths.
    Info {},
    /// Built-in demo: writes a gradient PNG into a folder (a real picture for takes).
    #[command(hide = true)]
    DemoGradient {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 64)]
        width: u32,
        #[arg(long, default_value_t = 48)]
        height: u32,
        #[arg(long, default_value_t = 0)]
        seed: u32,
    },
    /// Run the studio's core without a window and serve the local API (REST under /v1,
    /// events over a WebSocket). Other Slate commands for this data dir become its clients.
    Serve(ServeArgs),
    /// The local API: print its OpenAPI document.
    Api {
        #[command(subcommand)]
        command: ApiCmd,
    },
    /// Built-in demo: counts down with progress lines (used by `demo/countdown`).
    #[command(hide = true)]
    DemoCountdown {
        #[arg(long, default_value_t = 10)]
        steps: u64,
        #[arg(long, default_value_t = 0.2)]
        interval: f64,
        #[arg(long, default_value_t = 0)]
        exit_code: i32,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free port; clients find it in <data-dir>/serve.json).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Listen on this address instead (e.g. 0.0.0.0:7780); reachable from other machines,
    /// so Slate warns.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
    /// Run queued tasks and exit 0 once nothing is queued or running.
    #[arg(long)]
    pub until_idle: bool,
}

#[derive(Subcommand, Debug)]
pub enum ApiCmd {
    /// Print the OpenAPI 3.1 document of `slate serve`.
    Spec,
}

#[derive(Subcommand, Debug)]
pub enum FunctionsCmd {
    /// Every function Slate can run, and every template that failed to load.
    List {},
    /// One function's inputs, presets and resources.
    Show { id: String },
    /// Check a template file and say what is wrong with it.
    Check { file: PathBuf },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Function id, e.g. demo/countdown.
    pub function: String,
    /// Quality preset: draft, standard, high or ultra.
    #[arg(long)]
    pub preset: Option<String>,
    /// An input value, `name=value`; repeat for more.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub priority: i32,
    /// Shot the task renders for (with --project).
    #[arg(long)]
    pub shot: Option<String>,
    /// Queue the task and return at once.
    #[arg(long)]
    pub detach: bool,
    /// Set from the global `--json`.
    #[arg(skip)]
    pub json: bool,
    /// Run as a local process, in a container or as a Slurm job, instead of as the
    /// template says (a container's image comes from `slate image build FUNCTION`).
    #[arg(long, value_name = "process|docker|slurm")]
    pub executor: Option<String>,
    /// Run the container on this Docker host (a name from Settings → Runner, or
    /// `local`) instead of where the scheduler would place it.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ImageCmd {
    /// Build the image a function runs: from the Dockerfile folder next to its template,
    /// or, for a process function, from the Debian packages its folder lists (no
    /// registry needed; cached until the list or its files change).
    Build { function: String },
    /// Images on the Docker engine.
    List {},
}

#[derive(Subcommand, Debug)]
pub enum TaskCmd {
    Show {
        id: TaskId,
    },
    Cancel {
        id: TaskId,
    },
    Retry {
        id: TaskId,
    },
    Logs {
        id: TaskId,
        /// Keep printing new lines until the task finishes.
        #[arg(long)]
        follow: bool,
    },
}

#[derive(Args, Debug)]
pub struct GpuArgs {
    /// Set from the global `--json`.
    #[arg(skip)]
    pub json: bool,
    /// Print a JSON line per sample until interrupted.
    #[arg(long)]
    pub watch: bool,
    /// Append samples to this file (replayable with --gpu-replay).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Seconds between samples with --watch/--record.
    #[arg(long, default_value_t = 1.0)]
    pub interval: f64,
    /// Stop after this many samples (0 = until interrupted).
    #[arg(long, default_value_t = 0)]
    pub count: u64,
}

/// A failed command: what went wrong, and the exit code to leave with.
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl<T: Into<String>> From<T> for Failure {
    fn from(message: T) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }
}

pub fn paths(global: &Global) -> Paths {
    Paths::resolve(global.data_dir.clone(), global.workspace.clone())
}

/// Runs a subcommand; the window is the binary's business.
pub fn run(global: &Global, cmd: Cmd) -> Result<(), Failure> {
    crate::util::text::set_json_mode(global.json);
    let done = run_command(global, cmd);
    // `--json` on a command that only speaks to people: the core's last reply.
    if global.json
        && done.is_ok()
        && !crate::util::text::stdout_used()
        && let Some(reply) = LAST_REPLY.lock().expect("last reply").take()
    {
        print_json(&reply);
    }
    done
}

/// The last reply a command got from the core (printed under `--json`).
static LAST_REPLY: std::sync::Mutex<Option<serde_json::Value>> = std::sync::Mutex::new(None);

pub(crate) fn remember_reply(reply: &serde_json::Value) {
    *LAST_REPLY.lock().expect("last reply") = Some(reply.clone());
}

fn run_command(global: &Global, cmd: Cmd) -> Result<(), Failure> {
    match cmd {
        Cmd::Functions { command } => functions(global, command),
        Cmd::Project { command } => crate::cli::project::project(global, command),
        Cmd::Git { command } => crate::cli::project::git(global, command),
        Cmd::Lfs { command } => crate::cli::project::lfs(global, command),
        Cmd::Asset { command } => crate::cli::asset::asset(global, command),
        Cmd::Run(mut args) => {
            args.json = global.json;
            run_function(global, args)
        }
        Cmd::Take { command } => crate::cli::take::take(global, command),
        Cmd::Tasks { state, search } => list_tasks(global, global.json, state, search),
        Cmd::Task { command } => task(global, command),
        Cmd::Gpu(mut args) => {
            args.json = global.json;
            gpu(global, args)
        }
        Cmd::Cluster { command } => crate::cli::cluster::cluster(global, command),
        Cmd::Image { command } => image(global, command),
        Cmd::Info {} => info(global, global.json),
        Cmd::DemoGradient {
            out,
            width,
            height,
            seed,
        } => demo_gradient(&out, width, height, seed),
        Cmd::Serve(args) => crate::server::serve(
            paths(global),
            crate::server::ServeOptions {
                listen: args.listen,
                port: args.port,
                until_idle: args.until_idle,
                gpu_replay: global.gpu_replay.clone(),
            },
        )
        .map_err(Failure::from),
        Cmd::Api {
            command: ApiCmd::Spec,
        } => {
            crate::util::text::out_line(&crate::server::spec_json());
            Ok(())
        }
        Cmd::DemoCountdown {
            steps,
            interval,
            exit_code,
            out,
        } => demo_countdown(steps, interval, exit_code, out),
    }
}

pub(crate) fn settings_for(paths: &Paths) -> crate::settings::Settings {
    let loaded = crate::settings::load(&paths.settings_file);
    if let Some(w) = loaded.warning {
        crate::say_err!("warning: {w}");
    }
    loaded.settings
}

/// The functions of the serving Slate, else of the templates on disk.
pub(crate) fn functions_loaded(paths: &Paths) -> Result<crate::client::functions::Loaded, Failure> {
    crate::client::functions::load(paths, &settings_for(paths)).map_err(api_failure)
}

/// Under `--json`, the core's reply to a command that otherwise only speaks to people.
pub(crate) fn reply_json(value: &impl serde::Serialize) {
    if crate::util::text::json_mode() {
        print_json(value);
    }
}

pub(crate) fn print_json(value: &impl serde::Serialize) {
    crate::util::text::out_line(&serde_json::to_string_pretty(value).expect("serialisable"));
}

fn functions(global: &Global, cmd: FunctionsCmd) -> Result<(), Failure> {
    let paths = paths(global);
    match cmd {
        FunctionsCmd::List {} => {
            let reg = functions_loaded(&paths)?;
            if global.json {
                print_json(&reg);
            } else {
                for f in &reg.functions {
                    crate::say!(
                        "{:<28} {:<8} {:<24} {}",
                        f.id,
                        f.version,
                        f.executor,
                        f.description
                    );
                }
                for e in &reg.errors {
                    crate::say_err!("bad template: {e}");
                }
            }
            Ok(())
        }
        FunctionsCmd::Show { id } => {
            let reg = functions_loaded(&paths)?;
            let f = reg.get(&id)?;
            if global.json {
                print_json(f);
            } else {
                crate::say!("{} {} — {}\n{}\n", f.id, f.version, f.name, f.description);
                for i in &f.inputs {
                    let default = i
                        .default
                        .as_ref()
                        .map(|d| format!(" = {d}"))
                        .unwrap_or_default();
                    crate::say!(
                        "  --param {}=<{:?}>{default}  {}",
                        i.name,
                        i.kind,
                        i.description
                    );
                }
                crate::say!("\npresets: {}", f.presets.join(", "));
            }
            Ok(())
        }
        FunctionsCmd::Check { file } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let t = crate::client::functions::check(&text, &file)?;
            reply_json(&t);
            crate::say!(
                "{}: ok ({} {}, {})",
                file.display(),
                t.id,
                t.version,
                crate::util::count(t.inputs.len(), "input")
            );
            Ok(())
        }
    }
}

pub(crate) fn parse_params(raw: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    raw.iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| Failure {
                    message: format!("--param {kv:?}: write it as name=value"),
                    code: 2,
                })
        })
        .collect()
}

/// Starts an in-process core and waits for its runner to be ready.
/// Starts an in-process core. `slate run` starts only what it submits
/// (`only_submitted`); queue edits hold the queue.
pub(crate) fn start_core(
    global: &Global,
    hold_queue: bool,
    only_submitted: bool,
) -> Result<(CoreHandle, Vec<Task>), Failure> {
    let core = crate::core::spawn(
        CoreOptions {
            paths: paths(global),
            run_tasks: true,
            runner: RunnerConfig {
                gpu_replay: global.gpu_replay.clone(),
                hold_queue,
                only_submitted,
                slate_exe: None,
            },
        },
        std::sync::Arc::new(|_| {}),
    );
    loop {
        match core.events.recv_timeout(Duration::from_secs(30)) {
            Ok(Event::TasksSnapshot { tasks, .. }) => return Ok((core, tasks)),
            Ok(Event::RunnerFailed { error }) => return Err(error.into()),
            Ok(Event::SettingsLoaded {
                warning: Some(w), ..
            }) => crate::say_err!("warning: {w}"),
            Ok(Event::Notification {
                level, title, body, ..
            }) if level >= crate::events::Level::Warning => {
                crate::say_err!("warning: {title}: {body}")
            }
            Ok(_) => {}
            Err(_) => return Err("the task runner did not start within 30 s".into()),
        }
    }
}

/// File inputs given as relative paths are relative to where `slate run` was typed
/// (the task itself runs in its output folder).
fn absolute_file_params(global: &Global, function: &str, params: &mut BTreeMap<String, String>) {
    let Ok(reg) = functions_loaded(&paths(global)) else {
        return;
    };
    let (Ok(t), Ok(cwd)) = (reg.get(function), std::env::current_dir()) else {
        return;
    };
    for input in &t.inputs {
        if input.kind != crate::model::function::InputKind::File {
            continue;
        }
        if let Some(v) = params.get_mut(&input.name)
            && !v.is_empty()
            && std::path::Path::new(v.as_str()).is_relative()
        {
            *v = cwd.join(v.as_str()).display().to_string();
        }
    }
}

pub(crate) fn run_function(global: &Global, args: RunArgs) -> Result<(), Failure> {
    let mut params = parse_params(&args.params)?;
    absolute_file_params(global, &args.function, &mut params);
    // The project: `--project`, else the one the command was typed in.
    let mut project = global.project.clone().or_else(|| {
        crate::cli::project::current_project(global)
            .ok()
            .map(|p| p.display().to_string())
    });
    let mut shot_ref = None;
    if let Some(shot) = &args.shot {
        let (path, r) =
            crate::cli::take::bind_run_to_shot(global, shot, &args.function, &mut params)?;
        project = Some(path.display().to_string());
        shot_ref = Some(r);
    }
    let request = TaskRequest {
        function: args.function.clone(),
        preset: args.preset.clone(),
        params,
        priority: args.priority,
        project,
        shot: args.shot.clone(),
        shot_ref,
        executor: args.executor.clone(),
        host: args.host.clone(),
    };
    if let Some(remote) = remote(global)? {
        let bound = request.shot_ref.is_some();
        let done = run_remote(&remote, request, &args)?;
        return match done {
            Some(task) if bound => wait_for_take(&remote, &task, args.json),
            _ => Ok(()),
        };
    }
    let (core, _) = start_core(global, args.detach, true)?;
    core.send(Command::SubmitTask { request });
    let mut id = None;
    let tty = std::io::stderr().is_terminal() && !args.json;
    let mut last_bar = String::new();
    loop {
        let event = core
            .events
            .recv()
            .map_err(|_| "the task runner stopped unexpectedly")?;
        if args.json {
            crate::util::text::out_line(&serde_json::to_string(&event).expect("serialisable"));
        }
        match event {
            Event::TaskRejected { function, errors } => {
                let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
                return Err(Failure {
                    message: format!("{function}: the task was not queued:\n{}", lines.join("\n")),
                    code: 2,
                });
            }
            Event::RunnerFailed { error } => return Err(error.into()),
            Event::TaskSubmitted { task } => {
                id = Some(task.id);
                if args.detach {
                    if !args.json {
                        crate::say!("queued task {} ({})", task.id, task.function);
                    }
                    return Ok(());
                }
                if !args.json {
                    crate::say_err!("task {} queued: {}", task.id, task.function);
                }
            }
            Event::TaskProgress {
                id: pid,
                progress,
                stage,
                message,
                eta_s,
            } if Some(pid) == id && tty => {
                let filled = (progress * 30.0).round() as usize;
                let eta = eta_s
                    .map(|e| format!(" ~{} left", crate::util::format_duration_secs(e)))
                    .unwrap_or_default();
                let bar = format!(
                    "\r[{}{}] {:>3.0}% {} {}{eta}",
                    "#".repeat(filled.min(30)),
                    " ".repeat(30 - filled.min(30)),
                    progress * 100.0,
                    stage.unwrap_or_default(),
                    message.unwrap_or_default(),
                );
                if bar != last_bar {
                    eprint!("{bar:<100}");
                    std::io::stderr().flush().ok();
                    last_bar = bar;
                }
            }
            Event::TaskUpdated { task } if Some(task.id) == id && task.state.is_finished() => {
                if tty {
                    eprintln!();
                }
                return match task.state {
                    TaskState::Succeeded => {
                        if !args.json {
                            crate::say!("task {} succeeded", task.id);
                            if let Some(dir) = &task.output_dir {
                                for o in &task.outputs {
                                    crate::say!("  {}", dir.join(o).display());
                                }
                            }
                        }
                        // Bound to a shot: the run is done when its take is.
                        if task.shot_ref.is_some() {
                            continue;
                        }
                        Ok(())
                    }
                    other => Err(format!(
                        "task {} {}: {}",
                        task.id,
                        other.label(),
                        task.error.unwrap_or_default()
                    )
                    .into()),
                };
            }
            Event::TakeCreated { task, created, .. } if Some(task) == id => {
                if !args.json {
                    crate::say!(
                        "{} {}: {}{}",
                        created.shot_id,
                        created.take.id,
                        created.take.media.as_deref().unwrap_or("(no media)"),
                        created
                            .commit
                            .as_deref()
                            .map(|c| format!(" (commit {})", &c[..7.min(c.len())]))
                            .unwrap_or_default()
                    );
                }
                return Ok(());
            }
            Event::TakeFailed {
                task: Some(task),
                error,
                ..
            } if Some(task) == id => {
                return Err(format!("the take was not made: {error}").into());
            }
            _ => {}
        }
    }
}

/// The serving Slate for this data dir, when one runs (the window or `slate serve`).
fn remote(global: &Global) -> Result<Option<crate::client::remote::Remote>, Failure> {
    crate::client::discover(&paths(global)).map_err(api_failure)
}

/// An API error as the CLI reports it: refused input exits 2, the rest 1.
pub(crate) fn api_failure(e: crate::api::ApiError) -> Failure {
    use crate::api::ErrorKind;
    let mut message = e.message.clone();
    for f in &e.fields {
        if !message.contains(&f.message) {
            message.push_str(&format!("\n  {}: {}", f.field, f.message));
        }
    }
    Failure {
        message,
        code: match e.kind {
            ErrorKind::BadRequest | ErrorKind::Invalid => 2,
            _ => 1,
        },
    }
}

/// A shot-bound run on a serving Slate: its take is made once the task has succeeded.
/// Waits for the server's word on it (made, or why not) and reports it.
fn wait_for_take(
    remote: &crate::client::remote::Remote,
    task: &Task,
    json: bool,
) -> Result<(), Failure> {
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        let reply = remote
            .call("GET", &format!("/v1/tasks/{}/take", task.id), None)
            .map_err(api_failure)?;
        let event = &reply["event"];
        match reply["state"].as_str() {
            Some("created") => {
                if json {
                    crate::util::text::out_line(&event.to_string());
                } else {
                    let take = &event["created"]["take"];
                    crate::say!(
                        "{} {}: {}{}",
                        event["created"]["shot_id"].as_str().unwrap_or_default(),
                        take["id"].as_str().unwrap_or_default(),
                        take["media"].as_str().unwrap_or("(no media)"),
                        event["created"]["commit"]
                            .as_str()
                            .map(|c| format!(" (commit {})", &c[..7.min(c.len())]))
                            .unwrap_or_default()
                    );
                }
                return Ok(());
            }
            Some("failed") => {
                if json {
                    crate::util::text::out_line(&event.to_string());
                }
                return Err(format!(
                    "the take was not made: {}",
                    event["error"].as_str().unwrap_or("no reason given")
                )
                .into());
            }
            _ if std::time::Instant::now() > deadline => {
                return Err(format!(
                    "task {} succeeded but its take was not made within 10 minutes",
                    task.id
                )
                .into());
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// `slate run` against a serving Slate: submit, then follow the task until it ends
/// (`Some(task)` once it has succeeded; `None` when detached).
fn run_remote(
    client: &dyn crate::client::Client,
    request: TaskRequest,
    args: &RunArgs,
) -> Result<Option<Task>, Failure> {
    let function = request.function.clone();
    let task = client.submit(request).map_err(|e| {
        let f = api_failure(e);
        Failure {
            message: format!("{function}: the task was not queued: {}", f.message),
            code: f.code,
        }
    })?;
    if args.json {
        crate::util::text::out_line(
            &serde_json::to_string(&Event::TaskSubmitted { task: task.clone() })
                .expect("serialisable"),
        );
    }
    if args.detach {
        if !args.json {
            crate::say!(
                "queued task {} ({}) on {}",
                task.id,
                task.function,
                client.describe()
            );
        }
        return Ok(None);
    }
    if !args.json {
        eprintln!(
            "task {} queued on {}: {}",
            task.id,
            client.describe(),
            task.function
        );
    }
    let mut last = task;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let t = client.task(last.id).map_err(api_failure)?;
        if t != last && args.json {
            crate::util::text::out_line(
                &serde_json::to_string(&Event::TaskUpdated { task: t.clone() })
                    .expect("serialisable"),
            );
        }
        last = t;
        if last.state.is_finished() {
            return match last.state {
                TaskState::Succeeded => {
                    if !args.json {
                        crate::say!("task {} succeeded", last.id);
                    }
                    Ok(Some(last))
                }
                other => Err(format!(
                    "task {} {}: {}",
                    last.id,
                    other.label(),
                    last.error.unwrap_or_default()
                )
                .into()),
            };
        }
    }
}

/// Opens the store directly (no runner), reconciling what a crash left behind; asks the
/// serving Slate instead when one runs.
fn read_tasks(global: &Global) -> Result<Vec<Task>, Failure> {
    if let Some(remote) = remote(global)? {
        use crate::client::Client as _;
        return remote.tasks().map_err(api_failure);
    }
    let paths = paths(global);
    let (tasks, warnings) = crate::client::machine::stored_tasks(&paths, &settings_for(&paths))?;
    for w in warnings {
        crate::say_err!("warning: {w}");
    }
    Ok(tasks)
}

fn list_tasks(
    global: &Global,
    json: bool,
    state: Option<String>,
    search: Option<String>,
) -> Result<(), Failure> {
    let filter = match state.as_deref() {
        None => None,
        Some(s) => Some(TaskState::parse(s).ok_or_else(|| Failure {
            message: format!(
                "--state {s:?}: use one of {}",
                TaskState::ALL.map(|s| s.label()).join(", ")
            ),
            code: 2,
        })?),
    };
    let tasks: Vec<Task> = read_tasks(global)?
        .into_iter()
        .filter(|t| filter.is_none_or(|s| t.state == s))
        .filter(|t| search.as_deref().is_none_or(|q| task_matches(t, q)))
        .collect();
    if json {
        print_json(&tasks);
    } else if tasks.is_empty() {
        crate::say!("no tasks");
    } else {
        let now = crate::util::now_ms();
        crate::say!(
            "{:>6}  {:<12} {:<28} {:>4}  {:>8}  {:>3}",
            "ID",
            "STATE",
            "FUNCTION",
            "PRIO",
            "DURATION",
            "TRY"
        );
        for t in tasks {
            let dur = t
                .duration_ms(now)
                .map(|d| crate::util::format_duration_secs(d as f64 / 1000.0))
                .unwrap_or_else(|| "-".into());
            crate::say!(
                "{:>6}  {:<12} {:<28} {:>4}  {:>8}  {:>3}",
                t.id,
                t.state.label(),
                t.function,
                t.priority,
                dur,
                t.attempts
            );
        }
    }
    Ok(())
}

/// Case-insensitive search over what a user remembers of a task.
fn task_matches(t: &Task, query: &str) -> bool {
    let q = query.to_lowercase();
    let hay = [
        t.function.clone(),
        t.project.clone().unwrap_or_default(),
        t.shot.clone().unwrap_or_default(),
        t.error.clone().unwrap_or_default(),
        serde_json::to_string(&t.params).unwrap_or_default(),
        t.outputs.join(" "),
    ];
    hay.iter().any(|h| h.to_lowercase().contains(&q))
}

fn find_task(global: &Global, id: TaskId) -> Result<Task, Failure> {
    read_tasks(global)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| format!("no task with id {id}; `slate tasks` lists them").into())
}

fn task(global: &Global, cmd: TaskCmd) -> Result<(), Failure> {
    match cmd {
        TaskCmd::Show { id } => {
            let t = find_task(global, id)?;
            if global.json {
                print_json(&t);
            } else {
                crate::say!("task {} — {} {}", t.id, t.function, t.function_version);
                crate::say!("state: {}", t.state.label());
                for (k, v) in &t.params {
                    crate::say!("  {k} = {v}");
                }
                if let Some(e) = &t.error {
                    crate::say!("error: {e}");
                }
                for o in &t.outputs {
                    crate::say!("output: {o}");
                }
            }
            Ok(())
        }
        TaskCmd::Cancel { id } => edit_task(global, id, Command::CancelTask { id }),
        TaskCmd::Retry { id } => edit_task(global, id, Command::RetryTask { id }),
        TaskCmd::Logs { id, follow } => logs(global, id, follow),
    }
}

/// Sends one queue edit through a runner that holds the queue, and reports the result.
fn edit_task(global: &Global, id: TaskId, command: Command) -> Result<(), Failure> {
    if let Some(remote) = remote(global)? {
        use crate::client::Client as _;
        let before = remote.task(id).map_err(api_failure)?.state;
        let cancel = matches!(command, Command::CancelTask { .. });
        let t = if cancel {
            remote.cancel(id)
        } else {
            remote.retry(id)
        }
        .map_err(api_failure)?;
        // As in-process: a cancel ends when the task does (grace period, then kill).
        let mut t = t;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while cancel && !t.state.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            t = remote.task(id).map_err(api_failure)?;
        }
        crate::say!("task {id}: {} → {}", before.label(), t.state.label());
        reply_json(&t);
        return Ok(());
    }
    let (core, tasks) = start_core(global, true, false)?;
    let before = tasks
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| format!("no task with id {id}; `slate tasks` lists them"))?
        .state;
    let cancel = matches!(command, Command::CancelTask { .. });
    if (cancel && before.is_finished()) || (!cancel && !before.can_retry()) {
        return Err(format!("task {id} is {} and was left as it is", before.label()).into());
    }
    core.send(command);
    // A cancel ends when the task does (grace period, then kill); a retry when it is
    // queued again. Intermediate updates (a re-attach, "cancelling") are not the answer.
    let done = |t: &Task| {
        if cancel {
            t.state.is_finished()
        } else {
            t.state == TaskState::Queued
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while let Ok(event) = core
        .events
        .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
    {
        if let Event::TaskUpdated { task } = event
            && task.id == id
            && done(&task)
        {
            crate::say!("task {id}: {} → {}", before.label(), task.state.label());
            reply_json(&task);
            return Ok(());
        }
    }
    Err(format!("task {id} is {} and was left as it is", before.label()).into())
}

fn logs(global: &Global, id: TaskId, follow: bool) -> Result<(), Failure> {
    let paths = paths(global);
    let file = paths.logs_dir().join(format!("{id}.log"));
    let mut offset = 0u64;
    loop {
        if let Ok(bytes) = std::fs::read(&file)
            && (bytes.len() as u64) > offset
        {
            let new = &bytes[offset as usize..];
            if global.json {
                // Whole lines only: a partial last line waits for its end.
                let whole = new.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                for line in String::from_utf8_lossy(&new[..whole]).lines() {
                    let parsed = crate::model::logfile::parse(line);
                    crate::util::text::out_line(
                        &serde_json::json!({"task": id, "time": parsed.time,
                            "stream": if parsed.stderr { "err" } else { "out" },
                            "text": parsed.text})
                        .to_string(),
                    );
                }
                offset += whole as u64;
            } else {
                crate::util::text::out_bytes(new);
                offset = bytes.len() as u64;
            }
        }
        if !follow {
            if offset == 0 && !file.exists() {
                return Err(format!("task {id} has no log yet ({})", file.display()).into());
            }
            return Ok(());
        }
        // The owner of the store runs the task; once we can read it ourselves and the
        // task is finished, there is nothing more to follow.
        if crate::client::machine::stored_task_ended(&paths, id) == Some(true) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn gpu(global: &Global, args: GpuArgs) -> Result<(), Failure> {
    let mut source = crate::client::machine::Gpus::open(global.gpu_replay.as_deref())?;
    let mut record = match &args.record {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| format!("{}: {e}", p.display()))?,
        ),
        None => None,
    };
    let mut n = 0u64;
    let streaming = args.watch || record.is_some();
    loop {
        let sample = source.sample();
        n += 1;
        match &sample {
            Ok(gpus) => {
                if let Some(f) = record.as_mut() {
                    writeln!(f, "{}", source.record_line(gpus)).map_err(|e| e.to_string())?;
                }
                if args.watch {
                    crate::util::text::out_line(&serde_json::to_string(gpus).expect("json"));
                } else if !streaming && args.json {
                    let (driver, cuda) = source.versions();
                    print_json(&serde_json::json!({
                        "driver_version": driver, "cuda_version": cuda, "gpus": gpus,
                    }));
                } else if !streaming {
                    if gpus.is_empty() {
                        crate::say!("no GPUs found");
                    }
                    for g in gpus {
                        crate::say!(
                            "{}, {}, {} %, {} MiB used, {} MiB free, {} MiB total, {} C, {} W",
                            g.index,
                            g.name,
                            opt(g.util_gpu),
                            g.mem_used_mb,
                            g.mem_free_mb,
                            g.mem_total_mb,
                            opt(g.temp_c),
                            opt(g.power_w.map(|w| w.round()))
                        );
                    }
                }
            }
            Err(e) => {
                if args.json || args.watch {
                    crate::util::text::out_line(
                        &serde_json::json!({ "error": e, "gpus": [] }).to_string(),
                    );
                } else {
                    crate::say_err!("{e}\n\n{}", crate::ui::views::gpu::INSTALL_STEPS);
                }
                if !streaming {
                    return Err(Failure {
                        message: String::new(),
                        code: 1,
                    });
                }
            }
        }
        if !streaming || (args.count > 0 && n >= args.count) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs_f64(args.interval.clamp(0.05, 3600.0)));
    }
}

fn image(global: &Global, cmd: ImageCmd) -> Result<(), Failure> {
    let paths = paths(global);
    let settings = settings_for(&paths);
    match cmd {
        ImageCmd::Build { function } => {
            let done = crate::client::machine::build_image(&paths, &settings, &function, |line| {
                crate::say_err!("{line}")
            })?;
            crate::say!("{done}");
            reply_json(&serde_json::json!({ "done": done }));
            Ok(())
        }
        ImageCmd::List {} => {
            let images = crate::client::machine::images(&settings)?;
            if global.json {
                print_json(
                    &images
                        .iter()
                        .map(|(t, s)| serde_json::json!({"tag": t, "size": s}))
                        .collect::<Vec<_>>(),
                );
            } else {
                for (t, s) in images {
                    crate::say!("{t:<48} {}", crate::util::format_bytes(s.max(0) as u64));
                }
            }
            Ok(())
        }
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "N/A".into())
}

fn info(global: &Global, json: bool) -> Result<(), Failure> {
    let paths = paths(global);
    let settings = settings_for(&paths);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let info = rt.block_on(crate::core::probe_system(&paths, &settings));
    if json {
        print_json(&info);
    } else {
        crate::util::text::out_bytes(crate::util::text::escape_controls(&info.report()).as_bytes());
    }
    Ok(())
}

/// The built-in countdown: a progress JSON line per step, a file at the end.
fn demo_gradient(out: &std::path::Path, width: u32, height: u32, seed: u32) -> Result<(), Failure> {
    let (w, h) = (width.clamp(1, 8192), height.clamp(1, 8192));
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w.max(2)).wrapping_add(seed) as u8,
            (y * 255 / h.max(2)) as u8,
            (x + 2 * y).wrapping_add(seed.wrapping_mul(7)) as u8,
        ])
    });
    let path = out.join("gradient.png");
    img.save(&path)
        .map_err(|e| format!("could not write {}: {e}", path.display()))?;
    crate::util::text::out_line(
        &serde_json::json!({"progress": 1.0, "message": "wrote gradient.png"}).to_string(),
    );
    Ok(())
}

fn demo_countdown(
    steps: u64,
    interval: f64,
    exit_code: i32,
    out: Option<PathBuf>,
) -> Result<(), Failure> {
    let steps = steps.max(1);
    for i in 1..=steps {
        crate::util::text::out_line(
            &serde_json::json!({
                "progress": i as f64 / steps as f64,
                "stage": "counting",
                "message": format!("step {i}/{steps}"),
            })
            .to_string(),
        );
        crate::say_err!("tick {i}");
        std::io::stdout().flush().ok();
        std::thread::sleep(Duration::from_secs_f64(interval.clamp(0.0, 3600.0)));
    }
    if let Some(dir) = out {
        std::fs::write(
            dir.join("countdown.txt"),
            format!("counted {steps} steps\n"),
        )
        .map_err(|e| format!("could not write the output: {e}"))?;
    }
    if exit_code != 0 {
        crate::say_err!("finishing with exit code {exit_code} as asked");
        std::process::exit(exit_code);
    }
    Ok(())
}
