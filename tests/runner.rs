//! The function runner with real processes, a real redb store and real time: priorities,
//! reordering, pause, cancel in every state, timeouts, retries with backoff, concurrency
//! and VRAM limits (with a replayed GPU), progress parsing, and a SIGKILL crash.

#[path = "common/studio.rs"]
mod studio;

use std::path::Path;
use std::time::{Duration, Instant};

use slate::events::{Command, Event};
use slate::runner::task::{TaskRequest, TaskState};
use studio::{SH_FUNCTION, Studio};

fn one_at_a_time() -> &'static str {
    "[runner]\nmax_concurrent = 1\n"
}

#[test]
fn priorities_then_fifo() {
    let mut s = Studio::new(one_at_a_time(), &[]);
    s.pause(true);
    let a = s.submit("test/sh", &[("script", "true")], 0);
    let b = s.submit("test/sh", &[("script", "true")], 0);
    let c = s.submit("test/sh", &[("script", "true")], 5);
    s.pause(false);
    for id in [a, b, c] {
        assert_eq!(s.wait_finished(id, 20).state, TaskState::Succeeded);
    }
    assert_eq!(s.started, vec![c, a, b]);
}

#[test]
fn reorder_and_reprioritise_queued_tasks() {
    let mut s = Studio::new(one_at_a_time(), &[]);
    s.pause(true);
    let a = s.sh("true");
    let b = s.sh("true");
    let c = s.sh("true");
    let d = s.sh("true");
    s.send(Command::MoveTask { id: c, up: true });
    s.send(Command::MoveTask { id: c, up: true });
    s.send(Command::SetPriority { id: d, priority: 9 });
    s.until(
        "d reprioritised",
        5,
        |e, _| matches!(e, Event::TaskUpdated { task } if task.id == d && task.priority == 9),
    );
    s.pause(false);
    for id in [a, b, c, d] {
        s.wait_finished(id, 20);
    }
    assert_eq!(s.started, vec![d, c, a, b]);
}

#[test]
fn a_paused_queue_starts_nothing_until_resumed() {
    let mut s = Studio::new("", &[]);
    s.pause(true);
    let a = s.sh("true");
    s.drain_for(Duration::from_millis(800));
    assert_eq!(s.tasks[&a].state, TaskState::Queued, "started while paused");
    s.pause(false);
    assert_eq!(s.wait_finished(a, 20).state, TaskState::Succeeded);
}

#[test]
fn cancel_in_every_state() {
    let mut s = Studio::new(one_at_a_time(), &[]);
    // Running: a process that ignores SIGTERM is killed after the grace period.
    let stubborn = s.sh("trap '' TERM; echo started; while true; do sleep 0.1; done");
    let queued = s.sh("true");
    let running = s.wait_state(stubborn, 20, &[TaskState::Running]);
    let pid = running.pid.expect("a pid");
    s.send(Command::CancelTask { id: queued });
    assert_eq!(
        s.wait_finished(queued, 5).state,
        TaskState::Cancelled,
        "queued: at once"
    );
    let asked = Instant::now();
    s.send(Command::CancelTask { id: stubborn });
    let t = s.wait_finished(stubborn, 20);
    assert_eq!(t.state, TaskState::Cancelled);
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_secs(4),
        "killed before the grace period: {took:?}"
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid),
        "process {pid} survived cancel"
    );
    // Finished: cancelling again changes nothing.
    s.send(Command::CancelTask { id: stubborn });
    let polite = s.sh("sleep 30");
    s.wait_state(polite, 20, &[TaskState::Running]);
    let asked = Instant::now();
    s.send(Command::CancelTask { id: polite });
    assert_eq!(s.wait_finished(polite, 10).state, TaskState::Cancelled);
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "SIGTERM should end `sleep` at once"
    );
    assert_eq!(s.tasks[&stubborn].state, TaskState::Cancelled);
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[test]
fn a_task_past_its_timeout_fails_and_says_so() {
    let f = SH_FUNCTION
        .replace("id = \"test/sh\"", "id = \"test/slow\"")
        .replace("timeout_s = 60", "timeout_s = 1");
    let mut s = Studio::new("", &[("slow.toml", &f)]);
    let id = s.submit("test/slow", &[("script", "sleep 30")], 0);
    let t = s.wait_finished(id, 20);
    assert_eq!(t.state, TaskState::Failed);
    assert!(
        t.error.as_deref().unwrap().contains("timed out after 1s"),
        "{:?}",
        t.error
    );
}

#[test]
fn a_failure_quotes_the_last_log_lines_and_retry_runs_it_again() {
    let mut s = Studio::new("", &[]);
    let marker = s.dir.path().join("second-time");
    let script = format!(
        "if [ -e {m} ]; then echo ok > out.txt; exit 0; fi; echo 'loading model' >&2; echo 'CUDA error: out of memory' >&2; touch {m}; exit 3",
        m = marker.display()
    );
    let id = s.sh(&script);
    let t = s.wait_finished(id, 20);
    assert_eq!(t.state, TaskState::Failed);
    assert_eq!(t.exit_code, Some(3));
    let e = t.error.unwrap();
    assert!(
        e.contains("exited with code 3") && e.contains("CUDA error: out of memory"),
        "{e}"
    );
    s.send(Command::RetryTask { id });
    s.wait_state(id, 5, &[TaskState::Queued]);
    let t = s.wait_finished(id, 20);
    assert_eq!(t.state, TaskState::Succeeded);
    assert_eq!(t.attempts, 2);
    assert_eq!(t.outputs, vec!["out.txt".to_string()]);
}

#[test]
fn temporary_failures_retry_with_backoff() {
    let mut s = Studio::new("", &[]);
    let counter = s.dir.path().join("count");
    // Exit 75 (EX_TEMPFAIL) twice, then succeed.
    let script = format!(
        "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; [ $n -ge 3 ] && exit 0; echo busy >&2; exit 75",
        c = counter.display()
    );
    let started = Instant::now();
    let id = s.sh(&script);
    let t = s.wait_finished(id, 30);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    assert_eq!(t.attempts, 3);
    // Backoff: at least half of 1 s and half of 2 s between the attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn global_and_per_function_concurrency_limits_hold() {
    let limited = SH_FUNCTION
        .replace("id = \"test/sh\"", "id = \"test/one\"")
        .replace("timeout_s = 60", "timeout_s = 60\nmax_concurrent = 1");
    let mut s = Studio::new("[runner]\nmax_concurrent = 2\n", &[("one.toml", &limited)]);
    s.pause(true);
    let ids: Vec<_> = (0..4).map(|_| s.sh("sleep 0.5")).collect();
    s.pause(false);
    for id in ids {
        s.wait_finished(id, 30);
    }
    assert_eq!(s.peak_running, 2, "global limit");

    s.peak_running = 0;
    s.pause(true);
    let ids: Vec<_> = (0..3)
        .map(|_| s.submit("test/one", &[("script", "sleep 0.3")], 0))
        .collect();
    s.pause(false);
    for id in ids {
        s.wait_finished(id, 30);
    }
    assert_eq!(s.peak_running, 1, "per-function limit");
}

#[test]
fn progress_lines_become_progress_events() {
    let mut s = Studio::new("", &[]);
    let script = r#"echo '{"progress":0.25,"stage":"load"}'; sleep 0.1; printf ' 50%%|#####     | 5/10\r' >&2; sleep 0.1; echo '{"progress":0.75,"stage":"sample","message":"step 3/4"}'; sleep 0.1; echo plain log"#;
    let id = s.sh(script);
    let t = s.wait_finished(id, 20);
    assert_eq!(t.state, TaskState::Succeeded);
    let seen: Vec<f32> = s
        .progress
        .iter()
        .filter(|(i, _)| *i == id)
        .map(|(_, p)| *p)
        .collect();
    assert_eq!(seen, vec![0.25, 0.5, 0.75], "progress events");
    let log = std::fs::read_to_string(s.paths().logs_dir().join(format!("{id}.log"))).unwrap();
    assert!(log.contains("plain log"), "{log}");
    assert!(
        log.contains(r#"{"progress":0.25,"stage":"load"}"#),
        "the log on disk is complete, progress lines included: {log}"
    );
}

const GPU_FUNCTION: &str = r#"
id = "test/gpu"
version = "1.0.0"
name = "GPU job"
command = ["sh", "-c", "echo $CUDA_VISIBLE_DEVICES > gpu.txt"]
outputs = ["*.txt"]
[executor]
type = "process"
[[inputs]]
name = "vram"
type = "int"
default = 0
[resources]
gpu = true
vram_mb = 10000
[presets.ultra]
resources = { vram_mb = 30000 }
"#;

fn gpu(index: u32, total: u64, free: u64) -> serde_json::Value {
    serde_json::json!({"index": index, "name": format!("Replay GPU {index}"), "mem_total_mb": total, "mem_free_mb": free, "mem_used_mb": total - free})
}

#[test]
fn vram_admission_waits_for_free_memory_and_picks_the_gpu_with_headroom() {
    let replay = [
        serde_json::json!({"t_s": 0.0, "gpus": [gpu(0, 24000, 2000), gpu(1, 12000, 9000)]}),
        serde_json::json!({"t_s": 2.5, "gpus": [gpu(0, 24000, 22000), gpu(1, 12000, 9000)]}),
    ]
    .map(|v| v.to_string())
    .join("\n");
    let mut s = Studio::with_replay(
        "[runner]\nvram_headroom_mb = 500\n",
        &[("gpu.toml", GPU_FUNCTION)],
        Some(&replay),
    );
    let submitted = Instant::now();
    let id = s.submit("test/gpu", &[], 0);
    s.until("a waiting-for-VRAM notice", 5, |e, _| {
        matches!(e, Event::TaskUpdated { task } if task.id == id && task.stage.as_deref().is_some_and(|st| st.starts_with("waiting for VRAM")))
    });
    let t = s.wait_finished(id, 20);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    assert!(
        submitted.elapsed() >= Duration::from_secs(2),
        "started before VRAM was free"
    );
    assert_eq!(t.gpu_index, Some(0));
    let out = std::fs::read_to_string(t.output_dir.unwrap().join("gpu.txt")).unwrap();
    assert_eq!(out.trim(), "0", "CUDA_VISIBLE_DEVICES names the chosen GPU");

    // 30 GB can never fit on a 24 GB card: failed at once, with the reason.
    s.send(Command::SubmitTask {
        request: TaskRequest {
            function: "test/gpu".into(),
            preset: Some("ultra".into()),
            ..Default::default()
        },
    });
    let big = match s.until("submitted", 5, |e, _| {
        matches!(e, Event::TaskSubmitted { .. })
    }) {
        Event::TaskSubmitted { task } => task.id,
        _ => unreachable!(),
    };
    let t = s.wait_finished(big, 10);
    assert_eq!(t.state, TaskState::Failed);
    assert!(t.error.unwrap().contains("largest GPU has 24000 MiB"));
}

#[test]
fn without_a_gpu_gpu_tasks_fail_with_the_reason_and_cpu_tasks_run() {
    let mut s = Studio::new("", &[("gpu.toml", GPU_FUNCTION)]);
    let g = s.submit("test/gpu", &[], 0);
    let c = s.sh("true");
    let t = s.wait_finished(g, 10);
    assert_eq!(t.state, TaskState::Failed);
    assert!(t.error.unwrap().contains("needs a GPU"));
    assert_eq!(s.wait_finished(c, 10).state, TaskState::Succeeded);
}

#[test]
fn bad_input_is_refused_field_by_field_and_nothing_is_queued() {
    let mut s = Studio::new("", &[]);
    s.send(Command::SubmitTask {
        request: TaskRequest {
            function: "demo/countdown".into(),
            params: [("steps", "0"), ("interval", "x"), ("nope", "1")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            ..Default::default()
        },
    });
    let Event::TaskRejected { errors, .. } = s.until("rejection", 5, |e, _| {
        matches!(e, Event::TaskRejected { .. })
    }) else {
        unreachable!()
    };
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["nope", "steps", "interval"]);
    assert!(s.tasks.is_empty());
}

/// SIGKILL a `slate run` mid-task; the next Slate finds the task re-queued (demo/countdown
/// allows it), runs it, and every task is accounted for: none lost, none duplicated.
#[test]
fn a_killed_slate_loses_no_task() {
    let dir = tempfile::tempdir().unwrap();
    let slate = |args: &[&str]| studio::slate_cli(dir.path(), args);
    let mut victim = slate(&[
        "run",
        "demo/countdown",
        "--param",
        "steps=60",
        "--param",
        "interval=0.05",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let log = dir.path().join("data/logs/1.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("tick 3")) {
        assert!(Instant::now() < deadline, "the task never got going");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A second Slate on the same data dir is told who owns the store.
    let second = slate(&["tasks"]).output().unwrap();
    assert!(!second.status.success());
    let msg = String::from_utf8_lossy(&second.stderr);
    assert!(
        msg.contains("in use by another Slate") && msg.contains(&format!("pid {}", victim.id())),
        "{msg}"
    );

    victim.kill().unwrap();
    victim.wait().unwrap();
    let tasks = studio::tasks_json(dir.path());
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0].state,
        TaskState::Queued,
        "re-queued after the crash"
    );
    assert!(tasks[0].error.as_deref().unwrap().contains("interrupted"));
    // Its child died with it (no orphan counting on).
    std::thread::sleep(Duration::from_millis(300));
    let before = std::fs::read_to_string(&log).unwrap().len();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().len(),
        before,
        "an orphan is still writing the log"
    );

    // `slate run` starts only its own task; the studio (here a core in this process,
    // as the window runs it) picks the interrupted one up and runs it to the end.
    studio::slate_ok(
        dir.path(),
        &[
            "run",
            "demo/countdown",
            "--param",
            "steps=2",
            "--param",
            "interval=0",
        ],
    );
    let tasks = studio::tasks_json(dir.path());
    assert_eq!(tasks[0].state, TaskState::Queued, "left for the studio");
    assert_eq!(tasks[1].state, TaskState::Succeeded);
    {
        let core = slate::core::spawn(
            slate::core::CoreOptions {
                paths: slate::paths::Paths::in_dir(
                    &dir.path().join("data"),
                    Some(dir.path().join("ws")),
                ),
                run_tasks: true,
                runner: slate::runner::RunnerConfig {
                    slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                    ..Default::default()
                },
            },
            std::sync::Arc::new(|_| {}),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match core
                .events
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(Event::TaskUpdated { task }) if task.id == 1 && task.state.is_finished() => {
                    break;
                }
                Ok(_) => {}
                Err(_) => panic!("the studio did not finish the interrupted task"),
            }
        }
    }
    let tasks = studio::tasks_json(dir.path());
    let ids: Vec<_> = tasks.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![1, 2], "none lost, none duplicated");
    assert!(
        tasks.iter().all(|t| t.state == TaskState::Succeeded),
        "{tasks:#?}"
    );
    assert_eq!(tasks[0].attempts, 2);
}

#[test]
fn a_corrupt_database_is_kept_aside_and_a_fresh_one_used() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("tasks.redb"),
        b"this is not a redb file at all, sorry",
    )
    .unwrap();
    let out = studio::slate_cli(dir.path(), &["tasks", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not be opened") && err.contains("kept as"),
        "{err}"
    );
    let kept = std::fs::read_dir(&data)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("tasks.redb.broken-")
        })
        .count();
    assert_eq!(kept, 1);
}

/// The ETA `slate run` prints when a countdown is half done (its first report comes at
/// once, with nothing measured yet).
fn first_eta(dir: &std::path::Path, steps: &str, interval: &str) -> Option<f64> {
    let out = studio::slate_ok(
        dir,
        &[
            "--json",
            "run",
            "demo/countdown",
            "--param",
            &format!("steps={steps}"),
            "--param",
            &format!("interval={interval}"),
        ],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["type"] == "task.progress" && e["progress"].as_f64() == Some(0.5))
        .and_then(|e| e["eta_s"].as_f64())
}

/// Item 5, on the command line: once a function has history for similar inputs, the
/// estimate `slate run` prints blends it in, as the window's does (one ETA function for
/// both); history of runs with other inputs is left out. Half-way, the task's own pace
/// weighs three quarters.
#[test]
fn the_cli_estimate_blends_in_the_history_of_similar_runs_only() {
    let dir = tempfile::tempdir().unwrap();
    // 2 steps of 0.5 s: half-way after 0.5 s, so its own pace says 0.5 s left.
    let alone = first_eta(dir.path(), "2", "0.5").expect("an estimate from the task's pace");
    // Three 4 s runs with similar inputs (twice the steps, twice the interval).
    for _ in 0..3 {
        first_eta(dir.path(), "4", "1");
    }
    let blended = first_eta(dir.path(), "2", "0.5").expect("an estimate with history");
    assert!(
        blended > alone * 1.3,
        "with 4 s runs of similar inputs in history the estimate is {blended:.2} s, alone {alone:.2} s"
    );
    // An interval ten times shorter is not similar: its own pace (0.05 s) alone. Blended
    // with those runs it would read over 0.5 s (a quarter of their 2 s left).
    let other = first_eta(dir.path(), "2", "0.05").expect("an estimate");
    assert!(
        other < 0.5,
        "runs with other inputs changed the estimate to {other:.2} s"
    );
}
