//! The Slurm executor against a real cluster: Debian's slurmctld and two slurmd on
//! 127.0.0.1 with fake GPUs (n1: gpu:1, n2: gpu:tesla:2), started once for this binary
//! by `scripts/slurm-up` (or taken from `SLURM_TEST_DIR` when the test command started
//! it) and stopped when the binary exits. Submit, progress, outputs, cancel, a failing
//! job, timeouts (Slate's and Slurm's own), a refused GPU request, a controller that
//! does not answer, a SIGKILLed Slate that re-attaches, and `slate cluster status`.

#[path = "common/slurm_cluster.rs"]
mod slurm_cluster;
#[path = "common/studio.rs"]
mod studio;

use std::time::{Duration, Instant};

use slate::events::Event;
use slate::runner::task::TaskState;
use slurm_cluster::cluster;
use studio::Studio;

fn settings(extra: &str) -> String {
    format!(
        "[runner]\nmax_concurrent = 8\n[slurm]\nconf = {:?}\n{extra}",
        cluster().conf.display().to_string()
    )
}

/// A Slurm function running `sh -c SCRIPT`, with `executor` and `resources` lines added.
fn function(id: &str, executor: &str, resources: &str) -> String {
    format!(
        r#"
id = "{id}"
version = "1.0.0"
name = "Slurm shell"
command = ["sh", "-c", "{{script}}"]
outputs = ["*.txt"]
[executor]
type = "slurm"
{executor}
[[inputs]]
name = "script"
type = "string"
required = true
[resources]
timeout_s = 300
{resources}
"#
    )
}

fn studio(extra_settings: &str, functions: &[(&str, String)]) -> Studio {
    let functions: Vec<(&str, &str)> = functions.iter().map(|(n, t)| (*n, t.as_str())).collect();
    Studio::new(&settings(extra_settings), &functions)
}

fn basic() -> Studio {
    studio("", &[("slurm.toml", function("test/slurm", "", ""))])
}

/// `scontrol -o show job ID` on the test cluster.
fn show_job(job: &str) -> String {
    let out = std::process::Command::new("scontrol")
        .args(["-o", "show", "job", job])
        .env("SLURM_CONF", &cluster().conf)
        .output()
        .expect("scontrol");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn log_of(s: &Studio, id: u64) -> String {
    std::fs::read_to_string(s.paths().logs_dir().join(format!("{id}.log"))).unwrap_or_default()
}

#[test]
fn a_gpu_job_runs_on_a_node_with_progress_logs_and_outputs() {
    let mut s = studio(
        "",
        &[(
            "gpu.toml",
            function("test/slurm-gpu", "", "gpu = true\nvram_mb = 1000"),
        )],
    );
    let script = r#"echo '{"progress":0.5,"stage":"half"}'; echo hello from $SLURMD_NODENAME; echo $CUDA_VISIBLE_DEVICES > gpu.txt; echo warn >&2; sleep 0.3; echo '{"progress":1.0,"stage":"done"}'"#;
    let id = s.submit("test/slurm-gpu", &[("script", script)], 0);
    let mut stages = Vec::new();
    s.until("the job to run on a node", 60, |e, _| {
        if let Event::TaskUpdated { task } = e
            && task.id == id
            && let Some(st) = &task.stage
        {
            stages.push(st.clone());
        }
        matches!(e, Event::TaskUpdated { task } if task.id == id && task.stage.as_deref().is_some_and(|st| st.starts_with("running on n")))
    });
    let t = s.wait_finished(id, 60);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    assert!(
        stages
            .iter()
            .any(|st| st.starts_with("submitted to Slurm as job")),
        "{stages:?}"
    );
    let job = t.slurm_job.clone().expect("the job id is recorded");
    let progress: Vec<f32> = s
        .progress
        .iter()
        .filter(|(i, _)| *i == id)
        .map(|(_, p)| *p)
        .collect();
    assert_eq!(
        progress,
        vec![0.5, 1.0],
        "progress from the job's output file"
    );
    assert_eq!(t.outputs, vec!["gpu.txt"]);
    let gpu = std::fs::read_to_string(t.output_dir.unwrap().join("gpu.txt")).unwrap();
    assert_eq!(gpu.trim(), "0", "Slurm gave the job one GPU");
    let log = log_of(&s, id);
    assert!(log.contains("out hello from n"), "{log}");
    assert!(log.contains("err warn"), "{log}");
    let shown = show_job(&job);
    assert!(shown.contains("JobState=COMPLETED"), "{shown}");
    assert!(shown.contains(&format!("JobName=slate-{id}")), "{shown}");
    assert!(shown.contains("TresPerNode=gres:gpu:1"), "{shown}");
    assert!(
        shown.contains(&format!(":{id} ")),
        "comment slate:<studio>:<task>: {shown}"
    );
}

#[test]
fn cancelling_a_running_job_scancels_it() {
    let mut s = basic();
    let id = s.submit(
        "test/slurm",
        &[("script", "echo started; sleep 120; echo never")],
        0,
    );
    s.until(
        "the job's first line",
        60,
        |e, _| matches!(e, Event::TaskLog { id: i, line, .. } if *i == id && line == "started"),
    );
    s.send(slate::events::Command::CancelTask { id });
    let t = s.wait_finished(id, 30);
    assert_eq!(t.state, TaskState::Cancelled, "{:?}", t.error);
    let shown = show_job(t.slurm_job.as_deref().unwrap());
    assert!(shown.contains("JobState=CANCELLED"), "{shown}");
    assert!(!log_of(&s, id).contains("never"));
}

#[test]
fn a_job_that_exits_3_fails_with_code_3() {
    let mut s = basic();
    let id = s.submit(
        "test/slurm",
        &[("script", "echo about to fail >&2; exit 3")],
        0,
    );
    let t = s.wait_finished(id, 60);
    assert_eq!(t.state, TaskState::Failed);
    assert_eq!(t.exit_code, Some(3));
    let error = t.error.unwrap();
    assert!(error.contains("exited with code 3"), "{error}");
    assert!(
        error.contains("about to fail"),
        "the last lines are quoted: {error}"
    );
    assert_eq!(t.attempts, 1, "a failing command is not retried");
}

#[test]
fn past_the_task_timeout_slate_stops_the_job() {
    let mut s = studio(
        "",
        &[(
            "slow.toml",
            function("test/slurm-slow", "", "").replace("timeout_s = 300", "timeout_s = 2"),
        )],
    );
    let started = Instant::now();
    let id = s.submit("test/slurm-slow", &[("script", "echo going; sleep 120")], 0);
    let t = s.wait_finished(id, 60);
    assert_eq!(t.state, TaskState::Failed);
    assert!(
        t.error.as_deref().unwrap().contains("timed out after 2s"),
        "{:?}",
        t.error
    );
    assert!(started.elapsed() < Duration::from_secs(50));
    let shown = show_job(t.slurm_job.as_deref().unwrap());
    assert!(shown.contains("JobState=CANCELLED"), "{shown}");
}

/// Slurm's own limit: a minute at least, enforced within about 30 s after it.
#[test]
fn past_its_slurm_time_limit_a_job_times_out() {
    let mut s = studio(
        "",
        &[(
            "limited.toml",
            function("test/slurm-limited", "time_limit_min = 1", ""),
        )],
    );
    let id = s.submit("test/slurm-limited", &[("script", "sleep 600")], 0);
    let t = s.wait_finished(id, 180);
    assert_eq!(t.state, TaskState::Failed);
    assert!(
        t.error.as_deref().unwrap().contains("timed out after 1m"),
        "{:?}",
        t.error
    );
    let shown = show_job(t.slurm_job.as_deref().unwrap());
    assert!(shown.contains("JobState=TIMEOUT"), "{shown}");
}

#[test]
fn more_gpus_than_any_node_has_is_refused_at_submit() {
    let mut s = studio(
        "",
        &[(
            "greedy.toml",
            function("test/slurm-greedy", "gpus = 3", "gpu = true"),
        )],
    );
    let id = s.submit("test/slurm-greedy", &[("script", "true")], 0);
    let t = s.wait_finished(id, 30);
    assert_eq!(t.state, TaskState::Failed);
    let error = t.error.unwrap();
    assert!(
        error.contains("Requested node configuration is not available") && error.contains("3 GPUs"),
        "{error}"
    );
    s.drain_for(Duration::from_secs(2));
    let t = &s.tasks[&id];
    assert_eq!((t.state, t.attempts), (TaskState::Failed, 1), "not retried");
}

#[test]
fn a_folder_the_nodes_do_not_share_is_refused_with_the_reason() {
    let mut s = studio(
        "shared_paths = [\"/nonexistent-shared\"]\n",
        &[("slurm.toml", function("test/slurm", "", ""))],
    );
    let id = s.submit("test/slurm", &[("script", "true")], 0);
    let t = s.wait_finished(id, 30);
    assert_eq!(t.state, TaskState::Failed);
    let error = t.error.unwrap();
    assert!(
        error.contains("is not on a filesystem the Slurm nodes share")
            && error.contains("/nonexistent-shared"),
        "{error}"
    );
    assert_eq!(t.slurm_job, None, "nothing was submitted");
}

#[test]
fn an_unreachable_controller_keeps_the_task_waiting() {
    // The same cluster's config with the controller's port moved to where nothing listens.
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("slurm.conf");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = std::fs::read_to_string(&cluster().conf).unwrap();
    let conf: String = conf
        .lines()
        .map(|l| {
            if l.starts_with("SlurmctldPort=") {
                format!("SlurmctldPort={port}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&dead, conf).unwrap();
    let mut s = Studio::new(
        &format!("[slurm]\nconf = {:?}\n", dead.display().to_string()),
        &[("slurm.toml", &function("test/slurm", "", ""))],
    );
    let id = s.submit("test/slurm", &[("script", "true")], 0);
    s.until("a waiting-for-Slurm notice", 30, |e, _| {
        matches!(e, Event::TaskUpdated { task } if task.id == id && task.state == TaskState::Queued && task.stage.as_deref().is_some_and(|st| st.starts_with("waiting for Slurm: the Slurm controller is unreachable")))
    });
    let t = &s.tasks[&id];
    assert_eq!(t.attempts, 0, "waiting uses up no attempt");
}

#[test]
fn a_killed_slate_re_attaches_to_its_job_and_finishes_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("functions")).unwrap();
    std::fs::write(data.join("settings.toml"), settings("")).unwrap();
    std::fs::write(
        data.join("functions/slurm.toml"),
        function("test/slurm", "", ""),
    )
    .unwrap();
    // A progress line after each tick flushes the task's log, so the new Slate finds
    // some of the job's lines there already and must not write them twice.
    let script = r#"for i in 1 2 3 4 5 6 7 8; do echo tick $i; echo "{\"progress\":0.$i}"; sleep 0.5; done; echo done > out.txt"#;
    let mut victim = studio::slate_cli(
        dir.path(),
        &["run", "test/slurm", "--param", &format!("script={script}")],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let log = data.join("logs/1.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("out tick 2")) {
        assert!(Instant::now() < deadline, "the job never got going");
        std::thread::sleep(Duration::from_millis(50));
    }
    victim.kill().unwrap(); // SIGKILL: no cleanup of any kind
    victim.wait().unwrap();
    let tasks = studio::tasks_json(dir.path());
    assert!(tasks[0].state.is_active(), "{:?}", tasks[0].state);
    let job = tasks[0].slurm_job.clone().expect("the job id was recorded");

    let core = slate::core::spawn(
        slate::core::CoreOptions {
            paths: slate::paths::Paths::in_dir(&data, Some(dir.path().join("ws"))),
            run_tasks: true,
            runner: slate::runner::RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
        },
        std::sync::Arc::new(|_| {}),
    );
    let mut terminal = Vec::new();
    let mut reattached = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    // Until it ends, and 2 s more: a second end would show there.
    let mut quiet_until: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if quiet_until.is_some_and(|q| now >= q) {
            break;
        }
        assert!(now < deadline, "the re-attached task did not finish");
        let wait = quiet_until
            .unwrap_or(deadline)
            .saturating_duration_since(now);
        match core.events.recv_timeout(wait) {
            Ok(Event::TaskUpdated { task }) if task.id == 1 => {
                if task
                    .stage
                    .as_deref()
                    .is_some_and(|s| s == format!("re-attached to Slurm job {job}"))
                {
                    reattached = true;
                }
                if task.state.is_finished() {
                    terminal.push(task.state);
                    quiet_until.get_or_insert(Instant::now() + Duration::from_secs(2));
                }
            }
            Ok(_) | Err(_) => {}
        }
    }
    drop(core);
    assert!(reattached, "the new Slate said it re-attached to job {job}");
    assert_eq!(terminal, vec![TaskState::Succeeded], "exactly one end");
    let tasks = studio::tasks_json(dir.path());
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].attempts, 1, "followed, not submitted again");
    assert_eq!(tasks[0].outputs, vec!["out.txt"]);
    let text = std::fs::read_to_string(&log).unwrap();
    for i in 1..=8 {
        assert_eq!(
            text.matches(&format!("out tick {i}\n")).count(),
            1,
            "tick {i} exactly once in the log:\n{text}"
        );
    }
    assert_eq!(text.matches("--- Slurm job").count(), 1, "one job: {text}");
}

#[test]
fn cluster_status_lists_partitions_nodes_gpus_and_jobs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/settings.toml"), settings("")).unwrap();
    let out = studio::slate_cli(dir.path(), &["cluster", "status", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["partitions"][0]["name"], "debug");
    let nodes = v["nodes"].as_array().unwrap();
    let gpus: Vec<(String, u64, u64)> = nodes
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_string(),
                n["gpus"].as_u64().unwrap(),
                n["cpus"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(gpus.contains(&("n1".into(), 1, 2)), "{gpus:?}");
    assert!(gpus.contains(&("n2".into(), 2, 2)), "{gpus:?}");
    assert!(v["jobs"].is_array());

    let text = studio::slate_cli(dir.path(), &["cluster", "status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("n2") && text.contains("GPUs"), "{text}");

    // Without the client programs: the message names the package.
    let out = studio::slate_cli(dir.path(), &["cluster", "status"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Slurm client not installed (apt install slurm-client)"),
        "{err}"
    );
}
