//! The Slurm executor: a function's command as a batch job on a cluster.
//!
//! Slate submits with `sbatch --parsable` (a generated script that runs the argv with its
//! environment), follows the job with `squeue -t all --json`, reads progress and log lines
//! from the job's output files as they grow, and cancels with `scancel`. The job id is
//! recorded on the task (and the job carries `slate:<studio>:<task>` as its comment), so a
//! restarted Slate finds the job again and keeps following it. The client programs run
//! with `SLURM_CONF` from Settings or the environment; nothing is linked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

pub use crate::model::function::is_slurm_name;
use crate::runner::exec::{ExecReport, Launch, Outcome, StreamSink};
use crate::runner::progress::LineSplitter;

/// A Slurm client call that takes longer than this is given up (a controller that does
/// not answer makes `squeue` wait about 9 s before it fails).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a job is looked up while it waits or starts; then [`POLL_RUNNING`].
pub const POLL_STARTING: Duration = Duration::from_millis(100);
pub const POLL_RUNNING: Duration = Duration::from_millis(250);
/// How often the job's output files are read for new lines.
pub const TAIL_EVERY: Duration = Duration::from_millis(100);
/// The longest wait between lookups while the controller does not answer.
const POLL_MAX: Duration = Duration::from_secs(5);
/// What sbatch says when no node could ever run the job (too many GPUs, unknown type).
pub const NO_SUCH_NODE: &str = "Requested node configuration is not available";

/// What went wrong talking to Slurm.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SlurmError {
    #[error("Slurm client not installed (apt install slurm-client): `{program}` was not found")]
    NotInstalled { program: String },
    #[error("the Slurm controller is unreachable: {detail}")]
    Unreachable { detail: String },
    #[error("`{command}` did not answer within {} s", CALL_TIMEOUT.as_secs())]
    NoAnswer { command: String },
    #[error("`{command}` failed: {detail}")]
    Failed { command: String, detail: String },
    #[error("`{command}` gave output Slate cannot read: {detail}")]
    Unreadable { command: String, detail: String },
}

impl SlurmError {
    /// The controller is away (or too slow): the task waits instead of failing.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::NoAnswer { .. })
    }
}

/// True when Slurm's words say it could not reach its controller.
fn says_unreachable(stderr: &str) -> bool {
    [
        "Unable to contact slurm controller",
        "Socket timed out",
        "Connection refused",
        "Unable to establish connection",
        "Zero Bytes were transmitted",
        "Communication connection failure",
    ]
    .iter()
    .any(|s| stderr.contains(s))
}

/// Runs the Slurm client programs against one cluster.
#[derive(Clone, Debug, Default)]
pub struct Client {
    /// `SLURM_CONF` for the programs; `None`: whatever the environment says.
    conf: Option<PathBuf>,
}

impl Client {
    /// A client for the cluster in `conf` (empty: the environment's `SLURM_CONF`).
    pub fn new(conf: &Path) -> Self {
        Self {
            conf: (!conf.as_os_str().is_empty()).then(|| conf.to_path_buf()),
        }
    }

    /// Runs `program args…`; its stdout, or a typed error naming what went wrong.
    async fn call(&self, program: &str, args: &[String]) -> Result<String, SlurmError> {
        let command = format!("{program} {}", args.join(" "));
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(conf) = &self.conf {
            cmd.env("SLURM_CONF", conf);
        }
        let out = match tokio::time::timeout(CALL_TIMEOUT, cmd.output()).await {
            Err(_) => return Err(SlurmError::NoAnswer { command }),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SlurmError::NotInstalled {
                    program: program.into(),
                });
            }
            Ok(Err(e)) => {
                return Err(SlurmError::Failed {
                    command,
                    detail: e.to_string(),
                });
            }
            Ok(Ok(out)) => out,
        };
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            return Ok(stdout);
        }
        let mut stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if stderr.is_empty() {
            // `scontrol ping` says DOWN on stdout.
            stderr = stdout.trim().lines().next().unwrap_or("").to_string();
        }
        let detail = slurm_words(&stderr);
        if says_unreachable(&stderr) {
            return Err(SlurmError::Unreachable { detail });
        }
        Err(SlurmError::Failed { command, detail })
    }

    /// The controller's host when it answers; `Unreachable` when it is down.
    pub async fn ping(&self) -> Result<String, SlurmError> {
        match self.call("scontrol", &["ping".into()]).await {
            Ok(out) => parse_ping(&out).ok_or_else(|| SlurmError::Unreachable {
                detail: out.trim().lines().next().unwrap_or("no answer").into(),
            }),
            // `scontrol ping` exits 1 and says DOWN when the controller is away.
            Err(SlurmError::Failed { detail, .. }) => Err(SlurmError::Unreachable { detail }),
            Err(e) => Err(e),
        }
    }

    /// Submits a batch script; the job id, or why Slurm refused it.
    pub async fn submit(&self, args: &[String]) -> Result<String, SlurmError> {
        let out = self.call("sbatch", args).await?;
        // `--parsable` prints `id` or `id;cluster`.
        let id = out
            .trim()
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit() || c == '_') {
            return Err(SlurmError::Unreadable {
                command: "sbatch --parsable".into(),
                detail: format!("expected a job id, got {:?}", out.trim()),
            });
        }
        Ok(id)
    }

    /// One job, in any state; `None` once the controller no longer knows it.
    pub async fn job(&self, id: &str) -> Result<Option<Job>, SlurmError> {
        let args = ["-j", id, "-t", "all", "--json"].map(String::from);
        match self.call("squeue", &args).await {
            Ok(out) => Ok(parse_squeue(&out)?.into_iter().find(|j| j.job_id == id)),
            Err(SlurmError::Failed { detail, .. }) if detail.contains("Invalid job id") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// This user's jobs in every state the controller still remembers.
    pub async fn my_jobs(&self) -> Result<Vec<Job>, SlurmError> {
        let args = ["--me", "-t", "all", "--json"].map(String::from);
        parse_squeue(&self.call("squeue", &args).await?)
    }

    pub async fn cancel(&self, id: &str) -> Result<(), SlurmError> {
        self.call("scancel", &[id.to_string()]).await.map(|_| ())
    }

    pub async fn nodes(&self) -> Result<Vec<Node>, SlurmError> {
        parse_sinfo(&self.call("sinfo", &["--json".into()]).await?)
    }

    pub async fn partitions(&self) -> Result<Vec<Partition>, SlurmError> {
        let args = ["-o", "show", "partition"].map(String::from);
        Ok(parse_partitions(&self.call("scontrol", &args).await?))
    }
}

/// The line of Slurm's error text that says what went wrong, without its prefix.
fn slurm_words(stderr: &str) -> String {
    let line = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no error text");
    let line = line
        .trim()
        .trim_start_matches("sbatch: error: ")
        .trim_start_matches("squeue: error: ")
        .trim_start_matches("scancel: error: ")
        .trim_start_matches("Batch job submission failed: ");
    line.to_string()
}

/// The host of a controller that `scontrol ping` says is UP.
fn parse_ping(out: &str) -> Option<String> {
    out.lines().find_map(|l| {
        let rest = l.split(" at ").nth(1)?;
        let host = rest.strip_suffix(" is UP")?;
        Some(host.trim().to_string())
    })
}

/// A job's state as `squeue` names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    Pending,
    Configuring,
    Running,
    Suspended,
    Completing,
    Completed,
    Failed,
    Timeout,
    OutOfMemory,
    NodeFail,
    Cancelled,
    Preempted,
    BootFail,
    Deadline,
    /// Any other state Slurm may add; shown as it is named.
    #[serde(untagged)]
    Other(String),
}

impl JobState {
    pub fn parse(s: &str) -> Self {
        match s {
            "PENDING" => Self::Pending,
            "CONFIGURING" => Self::Configuring,
            "RUNNING" => Self::Running,
            "SUSPENDED" => Self::Suspended,
            "COMPLETING" => Self::Completing,
            "COMPLETED" => Self::Completed,
            "FAILED" => Self::Failed,
            "TIMEOUT" => Self::Timeout,
            "OUT_OF_MEMORY" => Self::OutOfMemory,
            "NODE_FAIL" => Self::NodeFail,
            "CANCELLED" => Self::Cancelled,
            "PREEMPTED" => Self::Preempted,
            "BOOT_FAIL" => Self::BootFail,
            "DEADLINE" => Self::Deadline,
            other => Self::Other(other.to_string()),
        }
    }

    /// The state as Slurm names it (`PENDING`, `OUT_OF_MEMORY`, …).
    pub fn name(&self) -> &str {
        match self {
            Self::Pending => "PENDING",
            Self::Configuring => "CONFIGURING",
            Self::Running => "RUNNING",
            Self::Suspended => "SUSPENDED",
            Self::Completing => "COMPLETING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Timeout => "TIMEOUT",
            Self::OutOfMemory => "OUT_OF_MEMORY",
            Self::NodeFail => "NODE_FAIL",
            Self::Cancelled => "CANCELLED",
            Self::Preempted => "PREEMPTED",
            Self::BootFail => "BOOT_FAIL",
            Self::Deadline => "DEADLINE",
            Self::Other(s) => s,
        }
    }

    /// The job is over: its exit status is final.
    pub fn is_final(&self) -> bool {
        match self {
            Self::Pending
            | Self::Configuring
            | Self::Running
            | Self::Suspended
            | Self::Completing => false,
            // REQUEUED, RESIZING, STOPPED, SIGNALING, … come back to a state above.
            Self::Other(s) => {
                !matches!(
                    s.as_str(),
                    "REQUEUED"
                        | "REQUEUE_HOLD"
                        | "REQUEUE_FED"
                        | "RESIZING"
                        | "STOPPED"
                        | "SIGNALING"
                        | "STAGE_OUT"
                        | "RESV_DEL_HOLD"
                        | "SPECIAL_EXIT"
                        | "REVOKED"
                ) && !s.is_empty()
            }
            _ => true,
        }
    }

    /// A job holding a node (its command may be running).
    pub fn has_started(&self) -> bool {
        matches!(self, Self::Running | Self::Completing | Self::Suspended)
    }
}

/// One job, as `squeue --json` describes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    pub job_id: String,
    pub name: String,
    pub comment: String,
    pub user: String,
    pub partition: String,
    pub state: JobState,
    /// Why it waits (`Resources`, `Priority`, `BadConstraints`, …); `None` for "None".
    pub reason: Option<String>,
    /// The command's raw wait status (`exit 3` → 768, killed by signal 15 → 15).
    pub exit_status: Option<i64>,
    pub nodes: String,
    /// Unix seconds; `None` before it started.
    pub start_time: Option<u64>,
    pub submit_time: Option<u64>,
    /// Slurm's time limit in minutes; `None` for unlimited.
    pub time_limit_min: Option<u64>,
}

impl Job {
    /// The command's exit code from the raw wait status: `exit 3` → 3, a signal → 128+n.
    pub fn exit_code(&self) -> Option<i64> {
        self.exit_status.map(|s| {
            if s & 0x7f != 0 {
                128 + (s & 0x7f)
            } else {
                (s >> 8) & 0xff
            }
        })
    }

    /// Where the job stands, for a person: the task's stage while it waits or runs.
    pub fn stage(&self) -> String {
        match &self.state {
            JobState::Pending => match &self.reason {
                Some(r) => format!("waiting in the Slurm queue (job {}): {r}", self.job_id),
                None => format!("waiting in the Slurm queue (job {})", self.job_id),
            },
            JobState::Configuring => {
                format!("Slurm job {} is starting on {}", self.job_id, self.nodes)
            }
            JobState::Running => format!("running on {} (Slurm job {})", self.nodes, self.job_id),
            JobState::Completing => {
                format!("Slurm job {} is completing on {}", self.job_id, self.nodes)
            }
            JobState::Suspended => format!("Slurm job {} is suspended", self.job_id),
            other => format!("Slurm job {}: {}", self.job_id, other.name()),
        }
    }
}

/// A JSON field that Slurm 22.05 gives as a plain value and later versions as
/// `{"set": true, "number": n}` (numbers) or a one-item list (states).
fn number(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::Object(o) => {
            if o.get("set").and_then(|s| s.as_bool()) == Some(false)
                || o.get("infinite").and_then(|s| s.as_bool()) == Some(true)
            {
                return None;
            }
            o.get("number").and_then(number)
        }
        _ => None,
    }
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.first().map(text).unwrap_or_default(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The raw wait status: an integer in 22.05; `{status, return_code, signal}` later.
fn exit_status(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::Object(o) => {
            let signal = o
                .get("signal")
                .and_then(|s| s.get("id").or(s.get("signal_id")))
                .and_then(number)
                .unwrap_or(0) as i64;
            if signal > 0 {
                return Some(signal & 0x7f);
            }
            let code = o.get("return_code").and_then(number)? as i64;
            Some((code & 0xff) << 8)
        }
        _ => None,
    }
}

/// Parses `squeue --json` (Slurm 22.05's layout, and the newer one's wrapped numbers).
pub fn parse_squeue(out: &str) -> Result<Vec<Job>, SlurmError> {
    let unreadable = |detail: String| SlurmError::Unreadable {
        command: "squeue --json".into(),
        detail,
    };
    let doc: serde_json::Value =
        serde_json::from_str(out).map_err(|e| unreadable(e.to_string()))?;
    let jobs = doc
        .get("jobs")
        .and_then(|j| j.as_array())
        .ok_or_else(|| unreadable("no `jobs` list".into()))?;
    Ok(jobs
        .iter()
        .map(|j| {
            let get = |k: &str| j.get(k).unwrap_or(&serde_json::Value::Null);
            let reason = text(get("state_reason"));
            Job {
                job_id: text(get("job_id")),
                name: text(get("name")),
                comment: text(get("comment")),
                user: text(get("user_name")),
                partition: text(get("partition")),
                state: JobState::parse(&text(get("job_state"))),
                reason: (!reason.is_empty() && reason != "None").then_some(reason),
                exit_status: exit_status(get("exit_code")),
                nodes: text(get("nodes")),
                start_time: number(get("start_time")).filter(|&t| t > 0),
                submit_time: number(get("submit_time")).filter(|&t| t > 0),
                time_limit_min: number(get("time_limit")),
            }
        })
        .collect())
}

/// One node of `sinfo --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    pub name: String,
    pub state: String,
    pub cpus: u64,
    pub alloc_cpus: u64,
    pub memory_mb: u64,
    pub alloc_memory_mb: u64,
    /// `gpu:tesla:2` as configured, and what jobs hold of it.
    pub gres: String,
    pub gres_used: String,
    /// GPUs in all and in use, summed over the node's `gpu` gres.
    pub gpus: u64,
    pub gpus_used: u64,
    pub partitions: Vec<String>,
    pub reason: String,
}

/// GPUs in a gres string: `gpu:1`, `gpu:tesla:2(S:0)`, `gpu:a100:4,gpu:t4:1`.
pub fn gpu_count(gres: &str) -> u64 {
    gres.split(',')
        .filter(|g| g.starts_with("gpu"))
        .filter_map(|g| {
            let g = g.split('(').next().unwrap_or(g);
            g.rsplit(':').next()?.parse::<u64>().ok()
        })
        .sum()
}

pub fn parse_sinfo(out: &str) -> Result<Vec<Node>, SlurmError> {
    let unreadable = |detail: String| SlurmError::Unreadable {
        command: "sinfo --json".into(),
        detail,
    };
    let doc: serde_json::Value =
        serde_json::from_str(out).map_err(|e| unreadable(e.to_string()))?;
    let nodes = doc
        .get("nodes")
        .and_then(|n| n.as_array())
        .ok_or_else(|| unreadable("no `nodes` list".into()))?;
    Ok(nodes
        .iter()
        .map(|n| {
            let get = |k: &str| n.get(k).unwrap_or(&serde_json::Value::Null);
            let num = |k: &str| number(get(k)).unwrap_or(0);
            let gres = text(get("gres"));
            let gres_used = text(get("gres_used"));
            Node {
                name: text(get("name")),
                state: text(get("state")).to_lowercase(),
                cpus: num("cpus"),
                alloc_cpus: num("alloc_cpus"),
                memory_mb: num("real_memory"),
                alloc_memory_mb: num("alloc_memory"),
                gpus: gpu_count(&gres),
                gpus_used: gpu_count(&gres_used),
                gres,
                gres_used,
                partitions: get("partitions")
                    .as_array()
                    .map(|a| a.iter().map(text).collect())
                    .unwrap_or_default(),
                reason: text(get("reason")),
            }
        })
        .collect())
}

/// One partition of `scontrol -o show partition`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Partition {
    pub name: String,
    pub state: String,
    pub default: bool,
    pub nodes: String,
    pub total_cpus: u64,
    pub total_nodes: u64,
    pub max_time: String,
}

pub fn parse_partitions(out: &str) -> Vec<Partition> {
    out.lines()
        .filter(|l| l.starts_with("PartitionName="))
        .map(|l| {
            let fields: BTreeMap<&str, &str> = l
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .collect();
            let f = |k: &str| fields.get(k).copied().unwrap_or("").to_string();
            Partition {
                name: f("PartitionName"),
                state: f("State").to_lowercase(),
                default: f("Default") == "YES",
                nodes: f("Nodes"),
                total_cpus: f("TotalCPUs").parse().unwrap_or(0),
                total_nodes: f("TotalNodes").parse().unwrap_or(0),
                max_time: f("MaxTime").to_lowercase(),
            }
        })
        .collect()
}

/// What a job needs besides the [`Launch`]: where it goes and what it asks for.
#[derive(Clone, Debug, Default)]
pub struct SlurmSpec {
    pub conf: PathBuf,
    pub partition: Option<String>,
    pub account: Option<String>,
    pub gpus: u32,
    pub memory_mb: Option<u64>,
    pub cpus: Option<f64>,
    /// `--time`, in minutes.
    pub time_limit_min: u64,
    /// `slate:<studio tag>:<task id>`: how a restarted Slate finds its jobs.
    pub comment: String,
    /// Folders the nodes share; empty: any path while the controller is on this host.
    pub shared_paths: Vec<PathBuf>,
    /// Paths the job reads or writes (project, function folder, inputs).
    pub paths: Vec<PathBuf>,
}

/// The comment marking task `task` of the studio tagged `studio`.
pub fn comment_for(studio: &str, task: u64) -> String {
    format!("slate:{studio}:{task}")
}

/// The task a job's comment names, when it is one of this studio's.
pub fn task_of(comment: &str, studio: &str) -> Option<u64> {
    comment
        .strip_prefix("slate:")?
        .strip_prefix(studio)?
        .strip_prefix(':')?
        .parse()
        .ok()
}

/// Where a task's job files go, next to its log: the batch script and the job's stdout
/// and stderr (Slurm writes them on the node; Slate reads them as they grow).
pub fn job_files(log_file: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let base = log_file.with_extension("");
    let with = |ext: &str| PathBuf::from(format!("{}.{ext}", base.display()));
    (with("slurm.sh"), with("slurm.out"), with("slurm.err"))
}

/// Quotes a word for `sh`: `'…'`, with each `'` written as `'\''`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The batch script: the task's environment, its folder, then the command (exec'd, so
/// `scancel` and the time limit reach it directly).
pub fn batch_script(launch: &Launch) -> String {
    let mut s = String::from("#!/bin/sh\n# Written by Slate for one task; Slurm runs it.\n");
    let mut env = launch.env.clone();
    env.insert("SLATE_TASK_ID".into(), launch.task_id.to_string());
    env.insert(
        "SLATE_OUTPUT_DIR".into(),
        launch.output_dir.display().to_string(),
    );
    for (k, v) in &env {
        // A name that is not a shell identifier could not be exported: skip it.
        if !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            s.push_str(&format!("export {k}={}\n", sh_quote(v)));
        }
    }
    s.push_str(&format!(
        "cd {} || exit 1\nexec",
        sh_quote(&launch.output_dir.display().to_string())
    ));
    for a in &launch.argv {
        s.push(' ');
        s.push_str(&sh_quote(a));
    }
    s.push('\n');
    s
}

/// The `sbatch` arguments for a task.
pub fn sbatch_args(launch: &Launch, spec: &SlurmSpec) -> Vec<String> {
    let (script, out, err) = job_files(&launch.log_file);
    let mut args = vec![
        "--parsable".to_string(),
        format!("--job-name=slate-{}", launch.task_id),
        format!("--comment={}", spec.comment),
        // Slurm expands `%j`, `%u` … in these paths: a literal `%` is written `%%`.
        format!("--output={}", out.display().to_string().replace('%', "%%")),
        format!("--error={}", err.display().to_string().replace('%', "%%")),
        format!("--chdir={}", launch.output_dir.display()),
        format!("--time={}", spec.time_limit_min.max(1)),
        // A node failure ends the job, and Slate decides (it submits again): a job that
        // Slurm requeued by itself would look like two runs to the task.
        "--no-requeue".to_string(),
        "--open-mode=append".to_string(),
    ];
    if spec.gpus > 0 {
        args.push(format!("--gres=gpu:{}", spec.gpus));
    }
    if let Some(m) = spec.memory_mb {
        args.push(format!("--mem={m}M"));
    }
    if let Some(c) = spec.cpus {
        args.push(format!("--cpus-per-task={}", c.ceil().max(1.0) as u64));
    }
    if let Some(p) = &spec.partition {
        args.push(format!("--partition={p}"));
    }
    if let Some(a) = &spec.account {
        args.push(format!("--account={a}"));
    }
    args.push(script.display().to_string());
    args
}

/// True when `host` (as `scontrol ping` names the controller) is this machine.
fn is_this_host(host: &str) -> bool {
    let host = host.split('(').next().unwrap_or(host).trim();
    host == "localhost"
        || host.starts_with("127.")
        || host == "::1"
        || crate::platform::host_name().is_some_and(|h| {
            h.eq_ignore_ascii_case(host)
                || h.split('.').next() == Some(host)
                || host.split('.').next() == Some(h.as_str())
        })
}

/// The nodes must see the task's files at the same paths: every path is under a shared
/// folder from Settings, or (none set) the controller runs on this machine.
async fn check_shared(client: &Client, spec: &SlurmSpec, paths: &[&Path]) -> Result<(), Outcome> {
    if spec.shared_paths.is_empty() {
        let host = client.ping().await.map_err(unavailable_or_failed)?;
        if is_this_host(&host) {
            return Ok(());
        }
        return Err(Outcome::failed(
            format!(
                "the Slurm controller runs on {host}, not on this machine, and no shared folders are set: put the project and Slate's data folder on a filesystem the nodes mount at the same path, and list it under Settings → Slurm → shared folders (slurm.shared_paths)"
            ),
            false,
        ));
    }
    for p in paths {
        if !spec.shared_paths.iter().any(|s| p.starts_with(s)) {
            return Err(Outcome::failed(
                format!(
                    "{} is not on a filesystem the Slurm nodes share (shared folders: {}): move it there, or add its mount under Settings → Slurm → shared folders",
                    p.display(),
                    spec.shared_paths
                        .iter()
                        .map(|s| s.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                false,
            ));
        }
    }
    Ok(())
}

fn unavailable_or_failed(e: SlurmError) -> Outcome {
    if e.is_unavailable() {
        Outcome::Unavailable {
            reason: e.to_string(),
        }
    } else {
        Outcome::failed(e.to_string(), false)
    }
}

/// Submits the task as a job (or takes up the job it already is) and follows it to the end.
pub async fn run(launch: Launch, spec: SlurmSpec) -> Outcome {
    let client = Client::new(&spec.conf);
    let (job_id, fresh) = match &launch.reattach {
        Some(id) => (id.clone(), false),
        None => match submit(&client, &launch, &spec).await {
            Ok(id) => (id, true),
            Err(outcome) => return outcome,
        },
    };
    follow(&client, &launch, &job_id, fresh).await
}

async fn submit(client: &Client, launch: &Launch, spec: &SlurmSpec) -> Result<String, Outcome> {
    let (script, out, err) = job_files(&launch.log_file);
    let mut paths: Vec<&Path> = vec![&launch.output_dir, &script];
    paths.extend(spec.paths.iter().map(PathBuf::as_path));
    paths.extend(launch.input_files.iter().map(|f| f.path.as_path()));
    check_shared(client, spec, &paths).await?;
    // Files of an earlier attempt would be read as this job's output.
    for f in [&out, &err] {
        match tokio::fs::remove_file(f).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Outcome::failed(
                    format!("could not clear {}: {e}", f.display()),
                    false,
                ));
            }
        }
    }
    if let Err(e) = tokio::fs::write(&script, batch_script(launch)).await {
        return Err(Outcome::failed(
            format!("could not write the batch script {}: {e}", script.display()),
            false,
        ));
    }
    let args = sbatch_args(launch, spec);
    match client.submit(&args).await {
        Ok(id) => Ok(id),
        Err(SlurmError::Failed { detail, .. }) if detail.contains(NO_SUCH_NODE) => {
            Err(Outcome::failed(
                format!(
                    "Slurm refused the job: {detail} (it asks for {}); no node of the partition has that: ask for less, or pick another partition",
                    asked_for(spec)
                ),
                false,
            ))
        }
        Err(SlurmError::Failed { detail, .. }) => Err(Outcome::failed(
            format!("Slurm refused the job: {detail}"),
            false,
        )),
        Err(e) => Err(unavailable_or_failed(e)),
    }
}

/// What a job asks for, in sbatch's words.
fn asked_for(spec: &SlurmSpec) -> String {
    let mut parts = Vec::new();
    if spec.gpus > 0 {
        parts.push(crate::util::count(spec.gpus as usize, "GPU"));
    }
    if let Some(m) = spec.memory_mb {
        parts.push(format!("{m} MB of memory"));
    }
    if let Some(c) = spec.cpus {
        parts.push(crate::util::count(c.ceil() as usize, "CPU"));
    }
    if let Some(p) = &spec.partition {
        parts.push(format!("partition {p}"));
    }
    if parts.is_empty() {
        "one CPU".into()
    } else {
        parts.join(", ")
    }
}

/// The line opening one job's part of a task's log: after a restart, what follows it is
/// what Slate already read of that job.
fn marker(job_id: &str) -> String {
    format!("--- Slurm job {job_id} ---")
}

/// Lines of job `job_id` already in the task's log, per stream (stdout, stderr).
fn lines_read(log: &Path, job_id: &str) -> (u64, u64) {
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let mark = marker(job_id);
    let Some(at) = text.rfind(&mark) else {
        return (0, 0);
    };
    let after = &text[at..];
    // Lines carry a time first (`logfile`); the tag follows it.
    let tags: Vec<&str> = after
        .lines()
        .map(|l| crate::model::logfile::parse(l).tagged)
        .collect();
    let out = tags.iter().filter(|t| t.starts_with("out ")).count() as u64;
    let err = tags.iter().filter(|t| t.starts_with("err ")).count() as u64;
    (out, err)
}

/// Reads one of the job's output files as it grows.
struct Tail {
    path: PathBuf,
    stderr: bool,
    offset: u64,
    skip: u64,
    splitter: LineSplitter,
}

impl Tail {
    fn new(path: PathBuf, stderr: bool, skip: u64) -> Self {
        Self {
            path,
            stderr,
            offset: 0,
            skip,
            splitter: LineSplitter::default(),
        }
    }

    /// Feeds what was appended since the last read to the sink.
    async fn read(&mut self, sink: &StreamSink) {
        let Ok(mut f) = tokio::fs::File::open(&self.path).await else {
            return; // not there until the job starts
        };
        if f.seek(std::io::SeekFrom::Start(self.offset)).await.is_err() {
            return;
        }
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match f.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    self.offset += n as u64;
                    let (stderr, skip) = (self.stderr, &mut self.skip);
                    self.splitter.push(&buf[..n], |line| {
                        if *skip > 0 {
                            *skip -= 1;
                        } else {
                            sink.line(stderr, line);
                        }
                    });
                }
            }
        }
    }

    fn finish(&mut self, sink: &StreamSink) {
        let (stderr, skip) = (self.stderr, &mut self.skip);
        self.splitter.finish(|line| {
            if *skip == 0 {
                sink.line(stderr, line);
            }
        });
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Follows a submitted job: its state and waiting reason as the task's stage, its output
/// files as log and progress, cancel and the task's timeout as `scancel`, until it ends.
async fn follow(client: &Client, launch: &Launch, job_id: &str, fresh: bool) -> Outcome {
    let (_, out, err) = job_files(&launch.log_file);
    let skip = if fresh {
        // Marks where this job's lines begin in the task's log (kept across attempts).
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&launch.log_file)
        {
            use std::io::Write as _;
            writeln!(f, "{}", marker(job_id)).ok();
        }
        (0, 0)
    } else {
        lines_read(&launch.log_file, job_id)
    };
    launch.report(ExecReport::Job {
        job_id: job_id.to_string(),
        stage: Some(format!("submitted to Slurm as job {job_id}")),
    });
    let sink = launch.stream_sink();
    let mut tails = [Tail::new(out, false, skip.0), Tail::new(err, true, skip.1)];
    let mut cancel = launch.cancel.clone();
    let mut last_stage = String::new();
    let mut started = false;
    // Why Slate asked Slurm to stop the job, once it did.
    let mut stop_asked: Option<Outcome> = None;
    let mut stop_sent = false;
    let mut poll_every = POLL_STARTING;
    let mut next_poll = tokio::time::Instant::now();
    loop {
        for t in &mut tails {
            t.read(&sink).await;
        }
        if stop_asked.is_some() && !stop_sent {
            stop_sent = client.cancel(job_id).await.is_ok();
        }
        if tokio::time::Instant::now() >= next_poll {
            match client.job(job_id).await {
                Ok(Some(job)) => {
                    poll_every = if job.state.has_started() {
                        POLL_RUNNING
                    } else {
                        POLL_STARTING
                    };
                    if job.state.has_started() && !started {
                        started = true;
                        launch.report(ExecReport::Started {
                            pid: None,
                            container_id: None,
                        });
                    }
                    let stage = job.stage();
                    if !job.state.is_final() && stage != last_stage {
                        last_stage = stage.clone();
                        launch.report(ExecReport::Job {
                            job_id: job_id.to_string(),
                            stage: Some(stage),
                        });
                    }
                    if job.state.is_final() {
                        for t in &mut tails {
                            t.read(&sink).await;
                            t.finish(&sink);
                        }
                        sink.finish();
                        return outcome_of(&job, stop_asked, sink.last_lines());
                    }
                    // The task's timeout counts from when the job started on its node.
                    if stop_asked.is_none()
                        && let Some(start) = job.start_time.filter(|_| job.state.has_started())
                        && unix_now().saturating_sub(start) >= launch.timeout.as_secs()
                    {
                        stop_asked = Some(Outcome::TimedOut {
                            after: launch.timeout,
                        });
                        stop_sent = client.cancel(job_id).await.is_ok();
                    }
                }
                Ok(None) => {
                    for t in &mut tails {
                        t.read(&sink).await;
                        t.finish(&sink);
                    }
                    sink.finish();
                    return Outcome::failed(
                        format!(
                            "Slurm no longer knows job {job_id} (it ended longer ago than the cluster keeps finished jobs), so its exit status is unknown; its output is in the task's log"
                        ),
                        false,
                    );
                }
                Err(e) => {
                    // The job runs on without the controller: keep following it.
                    let stage = format!("following Slurm job {job_id}: {e}");
                    if stage != last_stage {
                        last_stage = stage.clone();
                        launch.report(ExecReport::Job {
                            job_id: job_id.to_string(),
                            stage: Some(stage),
                        });
                    }
                    poll_every = (poll_every * 2).min(POLL_MAX);
                }
            }
            next_poll = tokio::time::Instant::now() + poll_every;
        }
        let wait = TAIL_EVERY.min(next_poll.saturating_duration_since(tokio::time::Instant::now()));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = crate::runner::process::cancelled(&mut cancel), if stop_asked.is_none() => {
                stop_asked = Some(Outcome::Cancelled);
                stop_sent = client.cancel(job_id).await.is_ok();
                next_poll = tokio::time::Instant::now();
            }
        }
    }
}

/// What a finished job means for its task.
pub fn outcome_of(job: &Job, stop_asked: Option<Outcome>, last_lines: Vec<String>) -> Outcome {
    let id = &job.job_id;
    match &job.state {
        JobState::Completed => Outcome::Exited {
            code: job.exit_code().unwrap_or(0),
            oom: false,
            last_lines,
        },
        JobState::Failed => match job.exit_code() {
            Some(code) if code != 0 => Outcome::Exited {
                code,
                oom: false,
                last_lines,
            },
            _ => Outcome::failed(
                format!(
                    "Slurm job {id} failed before its command ran ({}); the job's error file is next to the task's log",
                    job.reason.as_deref().unwrap_or("no reason given")
                ),
                false,
            ),
        },
        JobState::Timeout => match stop_asked {
            Some(o @ Outcome::TimedOut { .. }) => o,
            _ => Outcome::TimedOut {
                after: Duration::from_secs(job.time_limit_min.unwrap_or(0) * 60),
            },
        },
        JobState::OutOfMemory => Outcome::Exited {
            code: job.exit_code().filter(|&c| c != 0).unwrap_or(137),
            oom: true,
            last_lines,
        },
        JobState::Cancelled => match stop_asked {
            Some(o) => o,
            None => Outcome::failed(
                format!(
                    "Slurm job {id} was cancelled on the cluster (scancel by someone else, or an administrator)"
                ),
                false,
            ),
        },
        JobState::NodeFail => Outcome::failed(
            format!("node {} failed while running Slurm job {id}", job.nodes),
            true,
        ),
        JobState::BootFail | JobState::Preempted => Outcome::failed(
            format!("Slurm job {id} ended {} on {}", job.state.name(), job.nodes),
            true,
        ),
        other => Outcome::failed(
            format!(
                "Slurm job {id} ended {}{}",
                other.name(),
                job.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            false,
        ),
    }
}

/// Partitions, nodes and this user's jobs: `slate cluster status`.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterStatus {
    pub controller: String,
    pub partitions: Vec<Partition>,
    pub nodes: Vec<Node>,
    pub jobs: Vec<Job>,
}

pub async fn cluster_status(client: &Client) -> Result<ClusterStatus, SlurmError> {
    let controller = client.ping().await?;
    let (partitions, nodes, jobs) =
        tokio::try_join!(client.partitions(), client.nodes(), client.my_jobs())?;
    Ok(ClusterStatus {
        controller,
        partitions,
        nodes,
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from Slurm 22.05.8's `squeue -t all --json` on the test cluster.
    const SQUEUE: &str = r#"{"meta": {}, "errors": [], "jobs": [
      {"job_id": 1, "name": "slate-7", "comment": "slate:abc:7", "user_name": "root",
       "partition": "debug", "job_state": "FAILED", "state_reason": "NonZeroExitCode",
       "exit_code": 768, "nodes": "n1", "start_time": 1796049629, "time_limit": null},
      {"job_id": 2, "name": "x", "comment": "", "job_state": "TIMEOUT",
       "state_reason": "TimeLimit", "exit_code": 15, "nodes": "n2", "time_limit": 1},
      {"job_id": 3, "job_state": "PENDING", "state_reason": "Resources", "exit_code": 0,
       "start_time": 0},
      {"job_id": 4, "job_state": ["RUNNING"], "state_reason": "None",
       "exit_code": {"status": ["SUCCESS"], "return_code": {"set": true, "number": 0}},
       "start_time": {"set": true, "number": 100}, "time_limit": {"set": true, "number": 5}}
    ]}"#;

    #[test]
    fn squeue_json_states_reasons_and_raw_exit_status() {
        let jobs = parse_squeue(SQUEUE).unwrap();
        assert_eq!(jobs.len(), 4);
        assert_eq!(jobs[0].state, JobState::Failed);
        assert_eq!(jobs[0].exit_code(), Some(3), "768 is `exit 3`");
        assert_eq!(task_of(&jobs[0].comment, "abc"), Some(7));
        assert_eq!(task_of(&jobs[0].comment, "abd"), None);
        assert_eq!(jobs[1].state, JobState::Timeout);
        assert_eq!(jobs[1].exit_code(), Some(128 + 15), "killed by SIGTERM");
        assert_eq!(jobs[1].time_limit_min, Some(1));
        assert_eq!(jobs[2].reason.as_deref(), Some("Resources"));
        assert_eq!(jobs[2].start_time, None);
        assert!(
            jobs[2]
                .stage()
                .contains("waiting in the Slurm queue (job 3): Resources")
        );
        assert_eq!(jobs[3].state, JobState::Running);
        assert_eq!(jobs[3].reason, None);
        assert_eq!(jobs[3].start_time, Some(100));
        assert_eq!(jobs[3].time_limit_min, Some(5));
        assert_eq!(jobs[3].exit_code(), Some(0));
        assert!(parse_squeue("not json").is_err());
    }

    #[test]
    fn final_states_map_to_outcomes() {
        let job = |state: &str, status: i64| Job {
            job_id: "9".into(),
            name: String::new(),
            comment: String::new(),
            user: String::new(),
            partition: String::new(),
            state: JobState::parse(state),
            reason: None,
            exit_status: Some(status),
            nodes: "n1".into(),
            start_time: None,
            submit_time: None,
            time_limit_min: Some(2),
        };
        assert!(matches!(
            outcome_of(&job("COMPLETED", 0), None, vec![]),
            Outcome::Exited {
                code: 0,
                oom: false,
                ..
            }
        ));
        assert!(matches!(
            outcome_of(&job("FAILED", 768), None, vec![]),
            Outcome::Exited { code: 3, .. }
        ));
        assert_eq!(
            outcome_of(&job("TIMEOUT", 15), None, vec![]),
            Outcome::TimedOut {
                after: Duration::from_secs(120)
            }
        );
        assert!(matches!(
            outcome_of(&job("OUT_OF_MEMORY", 0), None, vec![]),
            Outcome::Exited {
                code: 137,
                oom: true,
                ..
            }
        ));
        assert!(matches!(
            outcome_of(&job("NODE_FAIL", 0), None, vec![]),
            Outcome::Failed {
                transient: true,
                ..
            }
        ));
        assert_eq!(
            outcome_of(&job("CANCELLED", 15), Some(Outcome::Cancelled), vec![]),
            Outcome::Cancelled
        );
        assert!(matches!(
            outcome_of(&job("CANCELLED", 15), None, vec![]),
            Outcome::Failed {
                transient: false,
                ..
            }
        ));
        for s in [
            "PENDING",
            "RUNNING",
            "COMPLETING",
            "CONFIGURING",
            "REQUEUED",
        ] {
            assert!(!JobState::parse(s).is_final(), "{s}");
        }
        for s in [
            "COMPLETED",
            "FAILED",
            "TIMEOUT",
            "CANCELLED",
            "NODE_FAIL",
            "OUT_OF_MEMORY",
        ] {
            assert!(JobState::parse(s).is_final(), "{s}");
        }
    }

    #[test]
    fn sinfo_partitions_and_gres() {
        let nodes = parse_sinfo(
            r#"{"nodes": [{"name": "n2", "state": "mixed", "cpus": 2, "alloc_cpus": 1,
                "real_memory": 1000, "alloc_memory": 0, "gres": "gpu:tesla:2(S:0)",
                "gres_used": "gpu:tesla:1(IDX:0)", "partitions": ["debug"], "reason": ""}]}"#,
        )
        .unwrap();
        assert_eq!(nodes[0].gpus, 2);
        assert_eq!(nodes[0].gpus_used, 1);
        assert_eq!(nodes[0].partitions, vec!["debug"]);
        assert_eq!(gpu_count("gpu:a100:4,gpu:t4:1,shard:8"), 5);
        let p = parse_partitions(
            "PartitionName=debug AllowGroups=ALL Default=YES MaxTime=UNLIMITED Nodes=n[1-2] State=UP TotalCPUs=4 TotalNodes=2\n",
        );
        assert_eq!(p[0].name, "debug");
        assert!(p[0].default);
        assert_eq!(p[0].total_nodes, 2);
        assert_eq!(p[0].state, "up");
    }

    #[test]
    fn ping_and_error_words() {
        assert_eq!(
            parse_ping("Slurmctld(primary) at vm is UP\n").as_deref(),
            Some("vm")
        );
        assert_eq!(parse_ping("Slurmctld(primary) at vm is DOWN\n"), None);
        assert_eq!(
            slurm_words(
                "sbatch: error: Batch job submission failed: Requested node configuration is not available\n"
            ),
            NO_SUCH_NODE
        );
        assert!(says_unreachable(
            "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)"
        ));
        assert!(is_slurm_name("gpu-a100.long_1"));
        assert!(!is_slurm_name("-x"));
        assert!(!is_slurm_name("a b"));
        assert!(!is_slurm_name(""));
    }

    #[test]
    fn shell_quoting_survives_quotes_and_dollars() {
        assert_eq!(sh_quote("it's $HOME"), r"'it'\''s $HOME'");
    }
}
