//! The Docker executor against the docker CLI in the same run: launch-to-exit overhead
//! for a container that does nothing (goal: ≤ 1.05 × `docker run --rm`), and log
//! throughput (lines/s) against `docker logs -f`.

mod common;

use std::process::Command;
use std::time::Instant;

use common::{Figure, full_run};
use slate::core::CoreOptions;
use slate::events::{Command as Cmd, Event};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::runner::task::{TaskRequest, TaskState};

const IMAGE: &str = "slate-demo/busybox-progress:1";

const BENCH_FUNCTION: &str = r#"
id = "bench/busybox"
version = "1.0.0"
name = "busybox"
command = ["/bin/busybox", "sh", "-c", "{script}"]
[executor]
type = "docker"
image = "slate-demo/busybox-progress:1"
[[inputs]]
name = "script"
type = "string"
required = true
"#;

fn docker(args: &[&str]) -> std::process::Output {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn main() {
    let full = full_run();
    let reg = slate::runner::function::Registry::load(None);
    let ctx =
        slate::runner::image::build_context(reg.get("demo/busybox-progress").unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(slate::runner::docker::build_image("", ctx, IMAGE, |_| {}))
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    // User templates live in the data dir (Paths::functions_dir).
    std::fs::create_dir_all(dir.path().join("data/functions")).unwrap();
    std::fs::write(dir.path().join("data/functions/bench.toml"), BENCH_FUNCTION).unwrap();
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
    let run = |script: &str| -> (f64, u64) {
        let t0 = Instant::now();
        core.send(Cmd::SubmitTask {
            request: TaskRequest {
                function: "bench/busybox".into(),
                params: [("script".to_string(), script.to_string())].into(),
                ..Default::default()
            },
        });
        loop {
            match core.events.recv().unwrap() {
                Event::TaskUpdated { task } if task.state.is_finished() => {
                    assert_eq!(task.state, TaskState::Succeeded, "{:?}", task.error);
                    return (t0.elapsed().as_secs_f64(), task.id);
                }
                // A refusal must fail the bench, not leave it waiting forever.
                Event::TaskRejected { errors, .. } => panic!("bench task refused: {errors:?}"),
                Event::RunnerFailed { error } => panic!("runner failed: {error}"),
                _ => {}
            }
        }
    };

    // 1. Launch to exit.
    let n = if full { 15 } else { 2 };
    let mut ours: Vec<f64> = (0..n).map(|_| run("true").0).collect();
    let mut cli: Vec<f64> = (0..n)
        .map(|_| {
            let t0 = Instant::now();
            docker(&[
                "run",
                "--rm",
                "--network",
                "none",
                IMAGE,
                "/bin/busybox",
                "true",
            ]);
            t0.elapsed().as_secs_f64()
        })
        .collect();
    ours.sort_by(f64::total_cmp);
    cli.sort_by(f64::total_cmp);
    let mut figures = vec![Figure::versus(
        "launch to exit, median (s)",
        ours[n / 2],
        "s",
        "docker run --rm",
        cli[n / 2],
    )];

    // 2. Log throughput.
    let lines = if full { 200_000 } else { 5_000 };
    let script = format!("/bin/busybox seq 1 {lines}");
    let (secs, id) = run(&script);
    let log = std::fs::read_to_string(dir.path().join(format!("data/logs/{id}.log"))).unwrap();
    assert_eq!(log.lines().count(), lines, "every line kept");
    let ours_lps = lines as f64 / secs;
    let t0 = Instant::now();
    let cid = String::from_utf8(
        docker(&[
            "run",
            "-d",
            "--network",
            "none",
            IMAGE,
            "/bin/busybox",
            "seq",
            "1",
            &lines.to_string(),
        ])
        .stdout,
    )
    .unwrap();
    let cid = cid.trim();
    let out = docker(&["logs", "-f", cid]);
    let mut got = String::from_utf8_lossy(&out.stdout).lines().count();
    if got < lines {
        // `docker logs -f` on Docker 20.10 can stop before the end of a fast container's
        // output; a user would have to read it again, so the peer does too.
        println!("  (docker logs -f delivered {got} of {lines} lines; reading again)");
        docker(&["wait", cid]);
        got = String::from_utf8_lossy(&docker(&["logs", cid]).stdout)
            .lines()
            .count();
    }
    let cli_secs = t0.elapsed().as_secs_f64();
    assert_eq!(got, lines);
    docker(&["rm", "-f", cid]);
    figures.push(Figure::versus(
        "log throughput (lines/s)",
        ours_lps,
        "lines/s",
        "docker run -d + docker logs -f",
        lines as f64 / cli_secs,
    ));
    common::write("docker", &figures);
}
