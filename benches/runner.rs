//! The runner's own costs: submit→start overhead per task, durable submit throughput
//! (fsync on every commit), restart recovery with 100,000 tasks in history, and events/s
//! through the core→UI channel. The peer for a launch is spawning the same process
//! directly; for the channel, a bare crossbeam channel.

mod common;

use std::time::Instant;

use common::{Figure, full_run};
use slate::core::{CoreOptions, EventSink};
use slate::events::{Command, Event};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::runner::store::Store;
use slate::runner::task::{Task, TaskRequest, TaskResources, TaskState};

fn core(dir: &std::path::Path) -> slate::core::CoreHandle {
    let core = slate::core::spawn(
        CoreOptions {
            paths: Paths::in_dir(&dir.join("data"), Some(dir.join("ws"))),
            run_tasks: true,
            runner: RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
        },
        std::sync::Arc::new(|_| {}),
    );
    loop {
        if let Event::TasksSnapshot { .. } = core.events.recv().unwrap() {
            return core;
        }
    }
}

fn task(id: u64) -> Task {
    Task {
        params: [("steps".to_string(), serde_json::json!(3))].into(),
        project: Some("Noir".into()),
        shot: Some("sh1".into()),
        state: TaskState::Succeeded,
        progress: 1.0,
        message: Some("step 3/3".into()),
        resources: TaskResources {
            timeout_s: 3600,
            ..Default::default()
        },
        started_ms: Some(1_700_000_000_100 + id),
        finished_ms: Some(1_700_000_001_100 + id),
        attempts: 1,
        exit_code: Some(0),
        outputs: vec!["countdown.txt".into()],
        output_dir: Some(format!("/data/outputs/{id}").into()),
        ..Task::queued(id, "demo/countdown", "1.0.0", 1_700_000_000_000 + id)
    }
}

fn main() {
    let full = full_run();
    let mut figures = Vec::new();
    let dir = tempfile::tempdir().unwrap();

    // 1. Submit → running, per task, against spawning `true` directly.
    let c = core(dir.path());
    let n = if full { 50 } else { 5 };
    let mut overhead = Vec::new();
    for _ in 0..n {
        let t0 = Instant::now();
        c.send(Command::SubmitTask {
            request: TaskRequest {
                function: "demo/countdown".into(),
                params: [
                    ("steps".into(), "1".into()),
                    ("interval".into(), "0".into()),
                ]
                .into(),
                ..Default::default()
            },
        });
        loop {
            match c.events.recv().unwrap() {
                Event::TaskUpdated { task } if task.state == TaskState::Running => {
                    overhead.push(t0.elapsed().as_secs_f64() * 1000.0);
                }
                Event::TaskUpdated { task } if task.state.is_finished() => break,
                _ => {}
            }
        }
    }
    overhead.sort_by(f64::total_cmp);
    let spawn = common::median_wall(n, || {
        std::process::Command::new("true").status().unwrap();
    });
    figures.push(Figure::versus(
        "submit→running, median (ms)",
        common::percentile(&overhead, 0.5),
        "ms",
        "spawn+wait of `true`",
        spawn.as_secs_f64() * 1000.0,
    ));
    drop(c);

    // 2. Durable submits: each one an fsynced redb commit, as the runner does.
    let path = dir.path().join("tp.redb");
    let store = Store::open(&path).unwrap().store;
    let count = if full { 2000 } else { 100 };
    let t0 = Instant::now();
    for _ in 0..count {
        let id = store.next_id().unwrap();
        store.put(&task(id)).unwrap();
    }
    let per_s = count as f64 / t0.elapsed().as_secs_f64();
    figures.push(Figure::alone(
        "durable submits (tasks/s, fsync on)",
        per_s,
        "tasks/s",
    ));
    drop(store);

    // 3. Restart recovery with 100,000 tasks in history.
    let big = dir.path().join("big.redb");
    let history = if full { 100_000 } else { 2_000 };
    {
        let store = Store::open(&big).unwrap().store;
        let tasks: Vec<Task> = (1..=history).map(task).collect();
        for chunk in tasks.chunks(5000) {
            store.put_all(chunk).unwrap();
        }
    }
    let reg = slate::runner::function::Registry::load(None);
    let t0 = Instant::now();
    let store = Store::open(&big).unwrap().store;
    let (tasks, _) = slate::runner::load_and_recover(
        &store,
        &reg,
        slate::runner::Recovery::Apply {
            studio: big.parent().unwrap(),
        },
    );
    let recovery = t0.elapsed();
    assert_eq!(tasks.len() as u64, history);
    figures.push(Figure::alone(
        &format!("restart recovery, {history} tasks (ms)"),
        recovery.as_secs_f64() * 1000.0,
        "ms",
    ));
    drop(store);

    // 4. A chatty task (a progress line per step) with that history loaded, against
    //    running the same process directly: the runner must not scan the history for
    //    every line it reads.
    let busy = dir.path().join("busy");
    std::fs::create_dir_all(busy.join("data")).unwrap();
    std::fs::rename(&big, busy.join("data/tasks.redb")).unwrap();
    let c = core(&busy);
    let steps = if full { 20_000 } else { 2_000 };
    let t0 = Instant::now();
    c.send(Command::SubmitTask {
        request: TaskRequest {
            function: "demo/countdown".into(),
            params: [
                ("steps".into(), steps.to_string()),
                ("interval".into(), "0".into()),
            ]
            .into(),
            ..Default::default()
        },
    });
    loop {
        if let Event::TaskUpdated { task } = c.events.recv().unwrap()
            && task.state.is_finished()
        {
            assert_eq!(task.state, TaskState::Succeeded, "{:?}", task.error);
            break;
        }
    }
    let ours = t0.elapsed().as_secs_f64() * 1000.0;
    drop(c);
    let t0 = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
        .args([
            "demo-countdown",
            "--steps",
            &steps.to_string(),
            "--interval",
            "0",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    figures.push(Figure::versus(
        &format!("{steps} progress lines with {history} tasks in history (ms)"),
        ours,
        "ms",
        "the same process run directly",
        t0.elapsed().as_secs_f64() * 1000.0,
    ));

    // 5. Events through the core→UI channel (with its waker), vs a bare channel.
    let events = if full { 1_000_000 } else { 10_000 };
    let (tx, rx) = crossbeam_channel::unbounded();
    let sink = EventSink::new(tx, std::sync::Arc::new(|_| {}));
    let ev = Event::TaskProgress {
        id: 1,
        progress: 0.5,
        stage: Some("sampling".into()),
        message: Some("step 1/2".into()),
        eta_s: Some(1.0),
    };
    let t0 = Instant::now();
    let reader = std::thread::spawn(move || rx.iter().take(events).count());
    for _ in 0..events {
        sink.emit(ev.clone());
    }
    assert_eq!(reader.join().unwrap(), events);
    let ours = events as f64 / t0.elapsed().as_secs_f64();
    let (btx, brx) = crossbeam_channel::unbounded();
    let t0 = Instant::now();
    let reader = std::thread::spawn(move || brx.iter().take(events).count());
    for _ in 0..events {
        btx.send(ev.clone()).unwrap();
    }
    assert_eq!(reader.join().unwrap(), events);
    let bare = events as f64 / t0.elapsed().as_secs_f64();
    figures.push(Figure::versus(
        "events through core→UI channel (events/s)",
        ours,
        "events/s",
        "bare crossbeam channel",
        bare,
    ));
    common::write("runner", &figures);
}
