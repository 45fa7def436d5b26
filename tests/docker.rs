//! The Docker executor against the real engine. The tests build their own tiny image
//! `FROM scratch` with the host's static busybox (no registry is reachable).

#[path = "common/studio.rs"]
mod studio;

use std::process::Command as Proc;
use std::time::{Duration, Instant};

use slate::events::{Command, Event};
use slate::runner::task::TaskState;
use studio::Studio;

#[path = "common/demo_image.rs"]
mod demo_image;
use demo_image::{IMAGE, demo_image};

fn containers_of(studio: &Studio) -> Vec<String> {
    let out = Proc::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!(
            "label=slate.studio={}",
            studio.paths().data_dir.display()
        ))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn demo(s: &mut Studio, params: &[(&str, &str)]) -> u64 {
    s.submit("demo/busybox-progress", params, 0)
}

#[test]
fn a_container_task_reports_progress_logs_and_outputs_and_leaves_nothing_behind() {
    demo_image();
    let mut s = Studio::new("", &[]);
    let id = demo(&mut s, &[("steps", "4"), ("interval", "0.05")]);
    let t = s.wait_finished(id, 60);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    assert_eq!(t.outputs, vec!["result.txt"]);
    let out = std::fs::read_to_string(t.output_dir.unwrap().join("result.txt")).unwrap();
    assert_eq!(out.trim(), "done after 4 steps");
    let seen: Vec<f32> = s
        .progress
        .iter()
        .filter(|(i, _)| *i == id)
        .map(|(_, p)| *p)
        .collect();
    assert_eq!(seen.last(), Some(&1.0), "{seen:?}");
    let log = std::fs::read_to_string(s.paths().logs_dir().join(format!("{id}.log"))).unwrap();
    assert!(
        log.contains("err log line 4"),
        "stderr kept apart and complete: {log}"
    );
    assert!(t.container_id.is_some());
    assert!(containers_of(&s).is_empty(), "container removed");
}

#[test]
fn exit_codes_and_out_of_memory_are_recorded_in_plain_words() {
    demo_image();
    let oom = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/functions/demo/busybox-progress.toml"
    ))
    .unwrap()
    .replace("id = \"demo/busybox-progress\"", "id = \"test/small\"")
    .replace("memory_mb = 64", "memory_mb = 16");
    let mut s = Studio::new("[runner]\nmax_concurrent = 4\n", &[("small.toml", &oom)]);
    let fail = demo(&mut s, &[("mode", "fail"), ("steps", "1")]);
    let hog = s.submit("test/small", &[("mode", "oom"), ("steps", "2")], 0);
    let t = s.wait_finished(fail, 60);
    assert_eq!((t.state, t.exit_code), (TaskState::Failed, Some(3)));
    let e = t.error.unwrap();
    assert!(
        e.contains("exited with code 3") && e.contains("asked to fail"),
        "{e}"
    );
    let t = s.wait_finished(hog, 60);
    assert_eq!(t.state, TaskState::Failed);
    assert_eq!(t.exit_code, Some(137));
    assert!(t.error.unwrap().contains("ran out of memory"));
    assert!(containers_of(&s).is_empty());
}

#[test]
fn cancel_and_timeout_stop_and_remove_the_container() {
    demo_image();
    let short = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/functions/demo/busybox-progress.toml"
    ))
    .unwrap()
    .replace("id = \"demo/busybox-progress\"", "id = \"test/short\"")
    .replace("timeout_s = 600", "timeout_s = 2");
    let mut s = Studio::new("[runner]\nmax_concurrent = 4\n", &[("short.toml", &short)]);
    let long = demo(&mut s, &[("mode", "long")]);
    let timed = s.submit("test/short", &[("mode", "long")], 0);
    s.wait_state(long, 60, &[TaskState::Running]);
    s.until(
        "some progress",
        30,
        |e, _| matches!(e, Event::TaskProgress { id, .. } if *id == long),
    );
    let asked = Instant::now();
    s.send(Command::CancelTask { id: long });
    // The window reads "cancelling" at once, while the container is being stopped.
    s.until("the task marked cancelling", 5, |e, _| {
        matches!(e, Event::TaskUpdated { task } if task.id == long
            && task.state == TaskState::Running
            && task.stage.as_deref() == Some("cancelling"))
    });
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "\"cancelling\" came {:?} after the cancel",
        asked.elapsed()
    );
    assert_eq!(s.wait_finished(long, 30).state, TaskState::Cancelled);
    assert!(
        asked.elapsed() < Duration::from_secs(15),
        "cancel took {:?}",
        asked.elapsed()
    );
    let t = s.wait_finished(timed, 60);
    assert_eq!(t.state, TaskState::Failed);
    assert!(t.error.unwrap().contains("timed out after 2s"));
    assert!(containers_of(&s).is_empty());
}

#[test]
fn a_missing_image_is_named_with_how_to_get_it() {
    let missing = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/functions/demo/busybox-progress.toml"
    ))
    .unwrap()
    .replace("id = \"demo/busybox-progress\"", "id = \"test/missing\"")
    .replace(IMAGE, "slate-test/never-built:0");
    let mut s = Studio::new("", &[("missing.toml", &missing)]);
    let id = s.submit("test/missing", &[], 0);
    let t = s.wait_finished(id, 30);
    assert_eq!(t.state, TaskState::Failed);
    let e = t.error.unwrap();
    assert!(
        e.contains("slate-test/never-built:0") && e.contains("slate image build"),
        "{e}"
    );
}

#[test]
fn a_gpu_container_without_the_nvidia_runtime_fails_with_that_reason_and_cpu_tasks_still_run() {
    demo_image();
    let gpu = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/functions/demo/busybox-progress.toml"
    ))
    .unwrap()
    .replace("id = \"demo/busybox-progress\"", "id = \"test/gpu\"")
    .replace("[resources]", "[resources]\ngpu = true\nvram_mb = 1000");
    let replay = r#"{"t_s":0,"gpus":[{"index":0,"name":"Replay","mem_total_mb":24000,"mem_free_mb":24000}]}"#;
    let mut s = Studio::with_replay("", &[("gpu.toml", &gpu)], Some(replay));
    let g = s.submit("test/gpu", &[("steps", "1")], 0);
    let c = demo(&mut s, &[("steps", "1")]);
    let t = s.wait_finished(g, 60);
    assert_eq!(t.state, TaskState::Failed);
    assert!(t.error.unwrap().contains("no NVIDIA container runtime"));
    assert_eq!(s.wait_finished(c, 60).state, TaskState::Succeeded);
    assert!(containers_of(&s).is_empty());
}

#[test]
fn with_the_daemon_unreachable_tasks_wait_and_run_when_it_is_back() {
    demo_image();
    let mut s = Studio::new(
        "[runner]\ndocker_endpoint = \"unix:///nonexistent/docker.sock\"\n",
        &[],
    );
    let id = demo(&mut s, &[("steps", "1")]);
    s.until("a waiting-for-Docker notice", 20, |e, _| {
        matches!(e, Event::TaskUpdated { task } if task.id == id && task.stage.as_deref().is_some_and(|st| st.starts_with("waiting for Docker")))
    });
    assert_eq!(
        s.tasks[&id].state,
        TaskState::Queued,
        "waits, does not fail"
    );
    let mut settings = slate::settings::load(&s.paths().settings_file).settings;
    settings.runner.docker_endpoint = String::new();
    s.send(Command::SaveSettings { settings });
    let t = s.wait_finished(id, 60);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    assert_eq!(t.attempts, 1, "waiting did not use up attempts");
}

/// SIGKILL Slate while containers run: the next Slate re-attaches to the one still
/// running (it finishes once, its logs continue) and collects the one that finished
/// while Slate was down. No container is left behind.
#[test]
fn a_killed_slate_re_attaches_to_its_containers() {
    demo_image();
    let dir = tempfile::tempdir().unwrap();
    let slate = |args: &[&str]| {
        let mut c = studio::slate_cli(dir.path(), args);
        c.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c
    };
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("data/settings.toml"),
        "[runner]\nmax_concurrent = 4\n",
    )
    .unwrap();
    // Slate #1 runs a slow container (8 s) and is killed while it runs.
    let mut victim = slate(&[
        "run",
        "demo/busybox-progress",
        "--param",
        "steps=80",
        "--param",
        "interval=0.1",
    ])
    .spawn()
    .unwrap();
    let log = dir.path().join("data/logs/1.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("log line 3")) {
        assert!(Instant::now() < deadline, "the container never got going");
        std::thread::sleep(Duration::from_millis(100));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    // Slate #2 starts while it still runs: it re-attaches (logs continue) and runs its
    // own short task; it exits before task 1 is done, leaving the container running.
    let out = slate(&[
        "run",
        "demo/busybox-progress",
        "--param",
        "steps=10",
        "--param",
        "interval=0.1",
    ])
    .stderr(std::process::Stdio::piped())
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // This studio's task 1 only: other tests' tasks are numbered 1 too.
    let studio = format!("label=slate.studio={}", dir.path().join("data").display());
    let task_1_containers = |more: &[&str]| {
        let mut ps = Proc::new("docker");
        ps.args(["ps", "-q", "--filter", "label=slate.task_id=1", "--filter"])
            .arg(&studio);
        for f in more {
            ps.args(["--filter", f]);
        }
        ps.output().unwrap().stdout
    };
    assert!(
        !task_1_containers(&[]).is_empty(),
        "task 1's container should still be running"
    );
    // Task 1 finishes while no Slate is watching; Slate #3 collects it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if !task_1_containers(&["status=exited"]).is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "task 1's container never finished"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = slate(&[
        "run",
        "demo/busybox-progress",
        "--param",
        "steps=2",
        "--param",
        "interval=0",
    ])
    .stderr(std::process::Stdio::piped())
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tasks = studio::tasks_json(dir.path());
    assert_eq!(tasks.len(), 3);
    for t in &tasks {
        assert_eq!(
            t.state,
            TaskState::Succeeded,
            "task {}: {:?}",
            t.id,
            t.error
        );
        assert_eq!(t.attempts, 1, "task {} ran once, never restarted", t.id);
        assert_eq!(t.outputs, vec!["result.txt"], "task {}", t.id);
    }
    let log2 = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        log2.matches("log line 80\n").count(),
        1,
        "no line twice at the seams: {log2}"
    );
    assert!(
        log2.contains("log line 80"),
        "logs continued after the re-attach"
    );
    let left = Proc::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!(
            "label=slate.studio={}",
            dir.path().join("data").display()
        ))
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "containers left behind");
}
