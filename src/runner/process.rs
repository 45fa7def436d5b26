//! The process executor: runs a function's command as a local child process.
//!
//! The child gets its own process group (so cancel reaches its whole tree) and dies
//! with Slate (`PR_SET_PDEATHSIG`), so a crashed Slate never leaves orphans running.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;

use crate::platform::{self, Signal};
use crate::runner::exec::{ExecReport, Launch, Outcome, StreamSink};

/// How long a cancelled or timed-out process gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(5);

pub async fn run(launch: Launch) -> Outcome {
    let Some((program, args)) = launch.argv.split_first() else {
        return Outcome::failed("the command is empty", false);
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(&launch.output_dir)
        .envs(&launch.env)
        .env("SLATE_TASK_ID", launch.task_id.to_string())
        .env("SLATE_OUTPUT_DIR", &launch.output_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    platform::own_group_dies_with_parent(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let transient = matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock
                    | std::io::ErrorKind::ResourceBusy
                    | std::io::ErrorKind::OutOfMemory
                    | std::io::ErrorKind::Interrupted
            );
            return Outcome::failed(format!("could not start `{program}`: {e}"), transient);
        }
    };
    let pid = child.id();
    launch.report(ExecReport::Started {
        pid,
        container_id: None,
    });

    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let sink = launch.stream_sink();
    let out_task = tokio::spawn(pump(stdout, sink.clone(), false));
    let err_task = tokio::spawn(pump(stderr, sink.clone(), true));

    let mut cancel = launch.cancel.clone();
    let timeout = tokio::time::sleep(launch.timeout);
    tokio::pin!(timeout);
    let ended_by = tokio::select! {
        status = child.wait() => Ok(status),
        _ = cancelled(&mut cancel) => Err(Outcome::Cancelled),
        _ = &mut timeout => Err(Outcome::TimedOut { after: launch.timeout }),
    };
    match &ended_by {
        // The task is over when its process is: background jobs it left in its group
        // go with it.
        Ok(_) => {
            if let Some(pid) = pid {
                platform::signal_group(pid, Signal::Kill);
            }
        }
        Err(_) => terminate(&mut child, pid).await,
    }
    // Descendants that left the group (`setsid` daemons) still carry the task's marks.
    if let Some(studio) = launch.env.get(STUDIO_ENV) {
        kill_marked(launch.task_id, std::path::Path::new(studio), None);
    }
    // Whatever still holds the output pipes must not hold the task: the pumps get a
    // short grace to deliver what is buffered, then stop.
    for pump in [out_task, err_task] {
        let abort = pump.abort_handle();
        if tokio::time::timeout(PIPE_GRACE, pump).await.is_err() {
            abort.abort();
        }
    }
    sink.finish();
    match ended_by {
        Ok(Ok(s)) => Outcome::Exited {
            code: platform::exit_code(s),
            oom: false,
            last_lines: sink.last_lines(),
        },
        Ok(Err(e)) => Outcome::failed(format!("lost track of the process: {e}"), false),
        Err(outcome) => outcome,
    }
}

/// How long output pipes may stay open after the task's processes are gone.
pub const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Resolves once cancel is asked for (never, if the sender is gone without asking).
pub async fn cancelled(cancel: &mut tokio::sync::watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// SIGTERM to the whole group, a grace period, then SIGKILL. Always ends.
async fn terminate(child: &mut tokio::process::Child, pid: Option<u32>) {
    if let Some(pid) = pid {
        platform::signal_group(pid, Signal::Terminate);
        if tokio::time::timeout(GRACE, child.wait()).await.is_ok() {
            platform::signal_group(pid, Signal::Kill);
            return;
        }
        platform::signal_group(pid, Signal::Kill);
    }
    child.kill().await.ok();
    child.wait().await.ok();
}

/// When `pid` started, in clock ticks since boot.
pub fn start_time(pid: u32) -> Option<u64> {
    platform::process_start_time(pid)
}

/// The environment variable naming the studio (data dir) that started a task process.
pub const STUDIO_ENV: &str = "SLATE_STUDIO";

/// Kills what is left of a task's process group after Slate died: `PR_SET_PDEATHSIG`
/// only reaches the direct child, so its own children may still run.
///
/// A PID, a group id and a start time can all be reused, so none alone proves a process
/// is ours: a process is killed only when it is in the recorded group, started no
/// earlier than the recorded leader, and carries this task's `SLATE_TASK_ID` and this
/// studio's `SLATE_STUDIO` in its environment (inherited from the task's process).
/// Returns how many were killed.
pub fn kill_leftovers(pgid: u32, leader_start: u64, task: u64, studio: &std::path::Path) -> usize {
    kill_marked(task, studio, Some((pgid, leader_start)))
}

/// SIGKILLs every process carrying task `task`'s marks from `studio` in its environment
/// (and, when given, in group `pgid` and started no earlier than `leader_start`).
pub fn kill_marked(task: u64, studio: &std::path::Path, group: Option<(u32, u64)>) -> usize {
    let marks = [
        format!("SLATE_TASK_ID={task}"),
        format!("{STUDIO_ENV}={}", studio.display()),
    ];
    let mut killed = 0;
    for p in platform::processes() {
        let in_group =
            group.is_none_or(|(pgid, leader_start)| p.group == pgid && p.start >= leader_start);
        if p.pid != std::process::id() && in_group && platform::environ_has(p.pid, &marks) {
            platform::signal_process(p.pid, Signal::Kill);
            killed += 1;
        }
    }
    killed
}

async fn pump(mut from: impl tokio::io::AsyncRead + Unpin, sink: StreamSink, stderr: bool) {
    let mut splitter = crate::runner::progress::LineSplitter::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => splitter.push(&buf[..n], |line| sink.line(stderr, line)),
        }
    }
    splitter.finish(|line| sink.line(stderr, line));
}
