//! Submit → running on a real Slurm cluster (the local 2-node test cluster): a task with
//! `[executor] type = "slurm"` through Slate, against `sbatch` and polling `squeue`
//! directly at the interval Slate polls at, in the same run (goal: ≤ 1.1×).

mod common;
#[path = "../tests/common/slurm_cluster.rs"]
mod slurm_cluster;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Figure, full_run};
use slate::core::CoreOptions;
use slate::events::{Command as Cmd, Event};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::runner::task::{TaskRequest, TaskState};

const BENCH_FUNCTION: &str = r#"
id = "bench/slurm-sleep"
version = "1.0.0"
name = "sleep on Slurm"
command = ["sleep", "60"]
[executor]
type = "slurm"
"#;

fn slurm(conf: &std::path::Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .env("SLURM_CONF", conf)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn main() {
    let full = full_run();
    let conf = slurm_cluster::cluster().conf.clone();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data/functions")).unwrap();
    std::fs::write(dir.path().join("data/functions/bench.toml"), BENCH_FUNCTION).unwrap();
    std::fs::write(
        dir.path().join("data/settings.toml"),
        format!("[slurm]\nconf = {:?}\n", conf.display().to_string()),
    )
    .unwrap();
    let core = slate::core::spawn(
        CoreOptions {
            paths: Paths::in_dir(&dir.path().join("data"), Some(dir.path().join("ws"))),
            run_tasks: true,
            runner: RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
        },
        std::sync::Arc::new(|_| {}),
    );
    while !matches!(core.events.recv().unwrap(), Event::TasksSnapshot { .. }) {}

    // Slate: submit, time until the task is running; then cancel and wait for the end.
    let ours = || -> f64 {
        let t0 = Instant::now();
        core.send(Cmd::SubmitTask {
            request: TaskRequest {
                function: "bench/slurm-sleep".into(),
                ..Default::default()
            },
        });
        let (secs, id) = loop {
            match core.events.recv_timeout(Duration::from_secs(60)).unwrap() {
                Event::TaskUpdated { task } if task.state == TaskState::Running => {
                    break (t0.elapsed().as_secs_f64(), task.id);
                }
                Event::TaskUpdated { task } if task.state.is_finished() => {
                    panic!("bench task ended before running: {:?}", task.error)
                }
                Event::TaskRejected { errors, .. } => panic!("bench task refused: {errors:?}"),
                Event::RunnerFailed { error } => panic!("runner failed: {error}"),
                _ => {}
            }
        };
        core.send(Cmd::CancelTask { id });
        loop {
            match core.events.recv_timeout(Duration::from_secs(60)).unwrap() {
                Event::TaskUpdated { task } if task.id == id && task.state.is_finished() => break,
                _ => {}
            }
        }
        secs
    };
    // The peer: sbatch, then squeue every POLL_STARTING until RUNNING; then scancel.
    let work = tempfile::tempdir().unwrap();
    let peer = || -> f64 {
        let t0 = Instant::now();
        // The same request Slate makes: a batch script, the time limit from the task's
        // default timeout (an hour), no requeue, output appended.
        let out = work.path().join("peer.out");
        let script = work.path().join("peer.sh");
        std::fs::write(&script, "#!/bin/sh\nexec 'sleep' '60'\n").unwrap();
        let id = slurm(
            &conf,
            "sbatch",
            &[
                "--parsable",
                "--job-name=peer",
                "--comment=peer",
                &format!("--output={}", out.display()),
                &format!("--chdir={}", work.path().display()),
                "--time=60",
                "--no-requeue",
                "--open-mode=append",
                &script.display().to_string(),
            ],
        );
        loop {
            let state = slurm(&conf, "squeue", &["-h", "-j", &id, "-t", "all", "-o", "%T"]);
            if state == "RUNNING" {
                break;
            }
            assert!(
                matches!(state.as_str(), "PENDING" | "CONFIGURING" | ""),
                "peer job {id}: {state}"
            );
            std::thread::sleep(slate::runner::slurm::POLL_STARTING);
        }
        let secs = t0.elapsed().as_secs_f64();
        slurm(&conf, "scancel", &[&id]);
        while !slurm(&conf, "squeue", &["-h", "-j", &id, "-t", "all", "-o", "%T"])
            .starts_with("CANCELLED")
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        secs
    };

    // Slurm places a new job at once only while no job is completing; otherwise the
    // next scheduler pass picks it up (up to a second later). Each submission starts
    // from the same quiet cluster: nothing completing, both nodes idle.
    let settle = || {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let busy = slurm(&conf, "squeue", &["-h", "-t", "PD,R,CG,CF", "-o", "%A"]);
            let nodes = slurm(&conf, "sinfo", &["-h", "-N", "-o", "%T"]);
            if busy.is_empty() && nodes.lines().all(|l| l == "idle") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster never went idle: {busy} / {nodes}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    // Slurm alone spreads submit→running from 0.1 to 1 s: many samples for a steady median.
    let n = if full { 31 } else { 2 };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..n {
        // Interleaved, each first in turn, so both see the same cluster.
        if i % 2 == 0 {
            settle();
            a.push(ours());
            settle();
            b.push(peer());
        } else {
            settle();
            b.push(peer());
            settle();
            a.push(ours());
        }
    }
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    common::write(
        "slurm",
        &[Figure::versus(
            "submit to running, median (s)",
            a[n / 2],
            "s",
            "sbatch + squeue polling",
            b[n / 2],
        )],
    );
}
