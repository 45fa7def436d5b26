//! Issue #12: hostile projects, crashed tasks, damaged databases. Each test builds the
//! hostile thing for real (links, loops, FIFOs, a damaged redb file, a Docker container)
//! and fails with a message naming any missing part; none is skipped.

#[path = "common/demo_image.rs"]
mod demo_image;
#[path = "common/git.rs"]
mod git;
#[path = "common/studio.rs"]
mod studio;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command as Proc, Output, Stdio};
use std::time::{Duration, Instant};

use slate::runner::task::TaskState;
use studio::{Studio, slate_cli, tasks_json};

/// A countdown that ends at once: a task that runs and succeeds.
const QUICK_RUN: [&str; 6] = [
    "run",
    "demo/countdown",
    "--param",
    "steps=1",
    "--param",
    "interval=0",
];

/// Runs a command, killing it (and failing) after `secs`: a hang must fail, not block.
fn run_bounded(mut c: Proc, secs: u64, what: &str) -> Output {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{what} did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; mkfifo only creates a node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

fn new_project(dir: &Path, name: &str) -> std::path::PathBuf {
    let o = run_bounded(
        slate_cli(dir, &["project", "new", name]),
        30,
        "slate project new",
    );
    assert!(o.status.success(), "slate project new: {}", text(&o));
    dir.join("ws").join(name)
}

use demo_image::{IMAGE as DOCKER_IMAGE, demo_image as docker_image};

fn models_probe(file: &str) -> String {
    format!(
        r#"
id = "test/probe"
version = "1.0.0"
name = "Models probe"
command = ["/bin/busybox", "sh", "-c", "/bin/busybox ls /models/{file} && exit 0; exit 3"]
outputs = []
[executor]
type = "docker"
image = "{DOCKER_IMAGE}"
"#
    )
}

/// Item 1: a committed `01_Assets/Models -> /` must not hand the host's root to a
/// container; a real Models folder still is mounted.

#[test]
fn a_models_link_out_of_the_project_is_refused_and_a_real_folder_mounted() {
    docker_image();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("data/functions")).unwrap();
    // Control: a real folder with a probe file is visible at /models.
    let ok = new_project(d, "okfilm");
    std::fs::create_dir_all(ok.join("01_Assets/Models")).unwrap();
    std::fs::write(ok.join("01_Assets/Models/probe.txt"), "probe").unwrap();
    std::fs::write(
        d.join("data/functions/probe.toml"),
        models_probe("probe.txt"),
    )
    .unwrap();
    let o = run_bounded(
        slate_cli(d, &["run", "test/probe", "--project", ok.to_str().unwrap()]),
        60,
        "slate run (real Models)",
    );
    assert!(o.status.success(), "control: {}", text(&o));
    // Hostile: Models is a link to the host's root.
    let evil = new_project(d, "evilfilm");
    std::fs::remove_dir_all(evil.join("01_Assets/Models")).ok();
    symlink("/", evil.join("01_Assets/Models")).unwrap();
    std::fs::write(
        d.join("data/functions/probe.toml"),
        models_probe("etc/passwd"),
    )
    .unwrap();
    let o = run_bounded(
        slate_cli(
            d,
            &["run", "test/probe", "--project", evil.to_str().unwrap()],
        ),
        60,
        "slate run (Models -> /)",
    );
    assert!(
        !o.status.success(),
        "the container saw /etc/passwd via /models"
    );
    let t = tasks_json(d).into_iter().last().unwrap();
    assert_eq!(t.state, TaskState::Failed);
    let e = t.error.unwrap_or_default();
    assert!(
        e.contains("01_Assets/Models") && e.contains("outside"),
        "{e}"
    );
}

/// Item 2: output links out, two loops and a FIFO neither hang the runner nor list host
/// files.
#[test]
fn output_links_loops_and_fifos_do_not_hang_or_leak_host_files() {
    let mut s = Studio::new("", &[]);
    let id =
        s.sh("echo ok > ok.txt && ln -s /etc hostdir && ln -s . a && ln -s . b && mkfifo p.txt");
    let t = s.wait_finished(id, 30);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    assert_eq!(t.outputs, vec!["ok.txt".to_string()]);
}

/// Item 2: a FIFO, two loops and a link to a secret in the templates folder: listing
/// returns, each template loads once, the secret is never read.
#[test]
fn template_fifos_loops_and_links_out_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = d.join("data/functions");
    std::fs::create_dir_all(&f).unwrap();
    std::fs::write(f.join("sh.toml"), studio::SH_FUNCTION).unwrap();
    symlink(".", f.join("a")).unwrap();
    symlink(".", f.join("b")).unwrap();
    mkfifo(&f.join("pipe.toml"));
    std::fs::write(d.join("secret"), "TOPSECRET-LINE = [\n").unwrap();
    symlink(d.join("secret"), f.join("secret.toml")).unwrap();
    let o = run_bounded(
        slate_cli(d, &["functions", "list"]),
        20,
        "slate functions list",
    );
    let out = text(&o);
    assert!(out.contains("test/sh"), "{out}");
    assert!(
        !out.contains("TOPSECRET"),
        "a linked file's content was printed: {out}"
    );
    assert!(!out.contains("already defined"), "loaded twice: {out}");
}

/// Item 2: an image build context never carries a link out of its folder.
#[test]
fn a_build_context_link_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("functions");
    std::fs::create_dir_all(f.join("img")).unwrap();
    std::fs::write(f.join("img/Dockerfile"), "FROM scratch\n").unwrap();
    symlink("/etc", f.join("img/etc")).unwrap();
    let text = "id='t/img'\nversion='1.0.0'\nname='I'\ncommand=['x']\n[executor]\ntype='docker'\nimage='x:1'\n";
    let t = slate::runner::function::FunctionTemplate::parse(text, &f.join("img.toml")).unwrap();
    let e = slate::runner::image::build_context(&t).unwrap_err();
    assert!(e.contains("outside"), "{e}");
}

/// Item 3: a project folder named `functions` is not a templates folder, and two
/// templates with one id are an error naming both files.
#[test]
fn a_project_named_functions_does_not_replace_builtins_and_duplicates_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let evil = d.join("ws/functions/git");
    std::fs::create_dir_all(&evil).unwrap();
    std::fs::write(
        evil.join("push.toml"),
        "id='git/push'\nversion='9.0.0'\nname='Evil'\ncommand=['sh','-c','echo pwned']\n[executor]\ntype='process'\n",
    )
    .unwrap();
    let o = run_bounded(
        slate_cli(d, &["functions", "show", "git/push", "--json"]),
        20,
        "slate functions show",
    );
    let out = text(&o);
    assert!(
        !out.contains("9.0.0"),
        "a workspace folder replaced a built-in: {out}"
    );
    // Duplicates in the real templates folder.
    let f = d.join("data/functions");
    std::fs::create_dir_all(&f).unwrap();
    std::fs::write(f.join("one.toml"), studio::SH_FUNCTION).unwrap();
    std::fs::write(f.join("two.toml"), studio::SH_FUNCTION).unwrap();
    let o = run_bounded(
        slate_cli(d, &["functions", "list"]),
        20,
        "slate functions list",
    );
    let out = text(&o);
    assert!(
        out.contains("one.toml") && out.contains("two.toml") && out.contains("already defined"),
        "{out}"
    );
    let o = run_bounded(slate_cli(d, &["info", "--json"]), 30, "slate info");
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["functions_dir"], f.display().to_string());
}

/// Item 4: a backtracking `.gitattributes` line and a 60-letter name: the commit ends
/// in seconds.
#[test]
fn a_hostile_gitattributes_line_commits_quickly() {
    let home = git::home();
    let dir = tempfile::tempdir().unwrap();
    let p = new_project(dir.path(), "attrfilm");
    let mut attrs = std::fs::read_to_string(p.join(".gitattributes")).unwrap_or_default();
    attrs += "*a*a*a*a*a*a*a*a*a*a*a*a*b filter=lfs diff=lfs merge=lfs -text\n";
    std::fs::write(p.join(".gitattributes"), attrs).unwrap();
    let name = "a".repeat(60);
    std::fs::write(p.join(&name), "x").unwrap();
    let mut c = slate_cli(dir.path(), &["git", "commit", "-m", "x"]);
    c.current_dir(&p).env("HOME", home.path());
    let started = Instant::now();
    let o = run_bounded(c, 20, "slate git commit with a *a*a*…*b rule");
    assert!(o.status.success(), "{}", text(&o));
    assert!(started.elapsed() < Duration::from_secs(10));
    git::git(home.path(), &p, &["ls-files", "--error-unmatch", &name]);
}

/// Item 5: a project name with terminal escapes prints escaped, and intact in --json.
#[test]
fn terminal_escapes_in_names_are_shown_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let p = new_project(dir.path(), "escfilm");
    let manifest = p.join("project.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let hostile = "Film\u{1b}]0;pwned\u{7}\u{1b}[2J";
    m["name"] = hostile.into();
    std::fs::write(&manifest, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let path = p.to_str().unwrap();
    for args in [
        &["project", "list"][..],
        &["--project", path, "project", "show"],
    ] {
        let o = run_bounded(slate_cli(dir.path(), args), 20, "slate project");
        let out = text(&o);
        assert!(o.status.success(), "{args:?}: {out}");
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{args:?}: {out:?}"
        );
        assert!(out.contains("\\x1b]0;pwned\\x07"), "{args:?}: {out:?}");
    }
    let o = run_bounded(
        slate_cli(dir.path(), &["project", "list", "--json"]),
        20,
        "slate project list --json",
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("\\u001b]0;pwned\\u0007"));
}

/// Item 6: a `file` input outside the project (or an option-like value) is refused
/// before it reaches a command line.
#[test]
fn file_inputs_outside_the_project_are_refused() {
    let func = r#"
id = "test/cat"
version = "1.0.0"
name = "Cat"
command = ["cat", "{image}"]
outputs = []
[executor]
type = "process"
[[inputs]]
name = "image"
type = "file"
required = true
"#;
    let mut s = Studio::new("", &[("cat.toml", func)]);
    let ws = s.dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("in.txt"), "inside").unwrap();
    for bad in ["/etc/passwd", "-rf", "../../etc/passwd"] {
        s.send(slate::events::Command::SubmitTask {
            request: slate::runner::task::TaskRequest {
                function: "test/cat".into(),
                params: [("image".to_string(), bad.to_string())].into(),
                ..Default::default()
            },
        });
        s.until("the rejection", 10, |e, _| {
            matches!(e, slate::events::Event::TaskRejected { errors, .. }
                if errors.iter().any(|f| f.field == "image"))
        });
    }
    let id = s.submit("test/cat", &[("image", "in.txt")], 0);
    let t = s.wait_finished(id, 30);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
}

/// Item 9: random bytes over pages of a real tasks.redb: `slate tasks` neither panics
/// nor hangs, keeps the file aside, salvages what it can, and works again after.
#[test]
fn a_damaged_task_database_is_set_aside_and_salvaged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for _ in 0..3 {
        let o = run_bounded(slate_cli(d, &QUICK_RUN), 30, "slate run");
        assert!(o.status.success(), "{}", text(&o));
    }
    let db = d.join("data/tasks.redb");
    let mut bytes = std::fs::read(&db).unwrap();
    let mut pages: std::collections::BTreeSet<usize> = [2].into();
    for (i, w) in bytes.windows(14).enumerate() {
        if w == b"demo/countdown" {
            pages.insert(i / 4096);
        }
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let len = bytes.len();
    for p in pages
        .into_iter()
        .filter(|&p| p > 0 && (p + 1) * 4096 <= len)
    {
        for b in &mut bytes[p * 4096..(p + 1) * 4096] {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *b = seed as u8;
        }
    }
    std::fs::write(&db, bytes).unwrap();
    let o = run_bounded(slate_cli(d, &["tasks"]), 30, "slate tasks on a damaged db");
    let out = text(&o);
    assert!(!out.contains("panicked"), "{out}");
    assert!(o.status.success(), "{out}");
    assert!(out.contains("damaged") && out.contains("broken-"), "{out}");
    let aside = std::fs::read_dir(d.join("data"))
        .unwrap()
        .flatten()
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("tasks.redb.broken-")
        });
    assert!(aside, "no tasks.redb.broken-* kept");
    let o = run_bounded(slate_cli(d, &["tasks"]), 30, "a second slate tasks");
    assert!(o.status.success(), "{}", text(&o));
    // A new task never reuses the id of one that left a log or outputs.
    let o = run_bounded(slate_cli(d, &QUICK_RUN), 30, "slate run after the damage");
    assert!(o.status.success(), "{}", text(&o));
    let ids: Vec<u64> = tasks_json(d).iter().map(|t| t.id).collect();
    assert!(
        ids.iter().all(|&i| i != 0) && ids.last() > Some(&3),
        "{ids:?}"
    );
}

/// Item 8: a crashed task's recorded PID now belongs to an unrelated process (PID
/// reuse: same number, later start). Neither `slate tasks` nor the runner's recovery
/// may kill it.
#[test]
fn recovery_never_kills_a_process_that_reused_a_tasks_pid() {
    use std::os::unix::process::CommandExt as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    /// Killed however the test ends, so a failure leaves no process behind.
    struct Bystander(std::process::Child);
    impl Drop for Bystander {
        fn drop(&mut self) {
            self.0.kill().ok();
            self.0.wait().ok();
        }
    }
    let mut bystander = Bystander(
        Proc::new("sleep")
            .arg("120")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("sleep"),
    );
    let pid = bystander.0.id();
    let start = slate::runner::process::start_time(pid).expect("/proc/PID/stat");
    {
        let store = slate::runner::store::Store::open(&d.join("data/tasks.redb"))
            .unwrap()
            .store;
        let id = store.next_id().unwrap();
        let mut t = slate::runner::task::Task::queued(id, "demo/countdown", "1.0.0", 1);
        t.state = TaskState::Running;
        t.pid = Some(pid);
        // Recorded earlier than the process now holding the PID, as after a reuse.
        t.pid_start = Some(start.saturating_sub(100));
        store.put(&t).unwrap();
    }
    let alive = |b: &mut Bystander| b.0.try_wait().unwrap().is_none();
    let o = run_bounded(slate_cli(d, &["tasks"]), 30, "slate tasks");
    assert!(o.status.success(), "{}", text(&o));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        alive(&mut bystander),
        "slate tasks killed an unrelated process"
    );
    let o = run_bounded(slate_cli(d, &QUICK_RUN), 30, "slate run (recovery)");
    assert!(o.status.success(), "{}", text(&o));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        alive(&mut bystander),
        "recovery killed an unrelated process"
    );
}

/// Item 7: containers run with no-new-privileges and no capabilities.
#[test]
fn containers_run_without_privileges_or_capabilities() {
    docker_image();
    let func = format!(
        r#"
id = "test/privs"
version = "1.0.0"
name = "Privileges"
command = ["/bin/busybox", "sh", "-c", "/bin/busybox grep -q '^NoNewPrivs:.1' /proc/self/status && /bin/busybox grep -q '^CapEff:.0000000000000000' /proc/self/status || {{ /bin/busybox grep -E 'NoNewPrivs|CapEff' /proc/self/status; exit 3; }}"]
outputs = []
[executor]
type = "docker"
image = "{DOCKER_IMAGE}"
"#
    );
    let mut s = Studio::new("", &[("privs.toml", &func)]);
    let id = s.submit("test/privs", &[], 0);
    let t = s.wait_finished(id, 60);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
}

/// Item 7: the owner file names the pid and subcommand only, readable by the user only.
#[test]
fn the_owner_file_is_private_and_holds_no_parameter_values() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let o = run_bounded(slate_cli(dir.path(), &QUICK_RUN), 30, "slate run");
    assert!(o.status.success(), "{}", text(&o));
    let owner = dir.path().join("data/tasks.owner");
    let body = std::fs::read_to_string(&owner).unwrap();
    assert!(
        !body.contains("steps=1") && !body.contains("interval"),
        "{body}"
    );
    assert!(body.contains("pid ") && body.contains("run"), "{body}");
    let mode = std::fs::metadata(&owner).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// A pid that belonged to a process that has exited.
fn dead_pid() -> u32 {
    let mut c = Proc::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

/// Item 13: a killed LFS commit's partial objects and a killed project creation's temp
/// folder are removed on the next run; a live process's files are left alone.
#[test]
fn leftovers_of_killed_commits_and_creations_are_cleaned() {
    let home = git::home();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = new_project(d, "leftfilm");
    let tmp = p.join(".git/lfs/tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let dead = dead_pid();
    std::fs::write(tmp.join(format!("slate-{dead}-obj_1")), vec![0u8; 4096]).unwrap();
    std::fs::write(tmp.join(format!("smudge-{dead}-0123456789abcdef")), b"x").unwrap();
    let live = tmp.join(format!("slate-{}-obj_2", std::process::id()));
    std::fs::write(&live, b"in use").unwrap();
    let creating = d.join(format!("ws/.slate-creating-Half-{dead}"));
    std::fs::create_dir_all(creating.join("02_Story")).unwrap();
    std::fs::write(p.join("03_Renders/a.png"), b"png").unwrap();
    let mut c = slate_cli(d, &["git", "commit", "-m", "render"]);
    c.current_dir(&p).env("HOME", home.path());
    let o = run_bounded(c, 30, "slate git commit");
    assert!(o.status.success(), "{}", text(&o));
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec![format!("slate-{}-obj_2", std::process::id())]);
    let o = run_bounded(slate_cli(d, &["project", "list"]), 20, "slate project list");
    assert!(o.status.success(), "{}", text(&o));
    assert!(!creating.exists(), "the half-made project is still there");
}

/// Item 12: a studio started while another Slate holds the task store takes it as soon
/// as that one lets go, without a restart.
#[test]
fn the_studio_takes_the_store_once_another_slate_lets_go() {
    use slate::events::Event;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let paths = slate::paths::Paths::in_dir(&d.join("data"), Some(d.join("ws")));
    let held = slate::runner::store::Store::open(&paths.database_file()).unwrap();
    let core = slate::core::spawn(
        slate::core::CoreOptions {
            paths,
            run_tasks: true,
            runner: slate::runner::RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
        },
        std::sync::Arc::new(|_| {}),
    );
    let wait = |what: &str, secs: u64, pred: &dyn Fn(&Event) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            match core
                .events
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(e) if pred(&e) => return,
                Ok(_) => {}
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    };
    wait(
        "the store to be reported in use",
        20,
        &|e| matches!(e, Event::RunnerFailed { error } if error.contains("in use")),
    );
    drop(held);
    wait("the task snapshot after the store was released", 15, &|e| {
        matches!(e, Event::TasksSnapshot { .. })
    });
    core.send(slate::events::Command::SubmitTask {
        request: slate::runner::task::TaskRequest {
            function: "demo/countdown".into(),
            params: [
                ("steps".to_string(), "1".to_string()),
                ("interval".to_string(), "0".to_string()),
            ]
            .into(),
            ..Default::default()
        },
    });
    wait(
        "the task to succeed",
        30,
        &|e| matches!(e, Event::TaskUpdated { task } if task.state == TaskState::Succeeded),
    );
}

/// Whether `pid` is a live (not zombie) process.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rfind(')').map(|i| s[i + 2..].to_string())?;
            after
                .split_whitespace()
                .next()
                .map(|st| st != "Z" && st != "X")
        })
        .unwrap_or(false)
}

/// Item 10: a background job holding stdout and a `setsid` daemon neither keep the task
/// running nor outlive it.
#[test]
fn a_tasks_background_jobs_and_daemons_end_with_it() {
    let mut s = Studio::new("", &[]);
    let started = Instant::now();
    let id = s.sh(
        "sleep 300 & echo $! > bg.pid; setsid sleep 300 >/dev/null 2>&1 & echo $! > daemon.pid; echo done",
    );
    let t = s.wait_finished(id, 20);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a background job holding stdout kept the task running"
    );
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    let dir = t.output_dir.unwrap();
    std::thread::sleep(Duration::from_millis(300));
    for f in ["bg.pid", "daemon.pid"] {
        let pid: u32 = std::fs::read_to_string(dir.join(f))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(!running(pid), "{f}: process {pid} outlived its task");
    }
}

/// A core on a 3 MiB tmpfs data dir running one `test/sh` task: it waits until the
/// test has filled the disk to the last page, then ends. Returns what it announced
/// before space came back (an unsaved end, or the end itself), then what it announced
/// after, and the state the database holds once the core is gone.
fn end_on_a_full_disk(
    script: &str,
) -> (
    slate::events::Event,
    Option<slate::runner::task::Task>,
    TaskState,
) {
    use slate::events::Event;
    let disk = git::SmallDisk::mount("3m", false);
    let data = disk.path.join("data");
    std::fs::create_dir_all(data.join("functions")).unwrap();
    std::fs::write(data.join("functions/sh.toml"), studio::SH_FUNCTION).unwrap();
    let ws = tempfile::tempdir().unwrap();
    let paths = slate::paths::Paths::in_dir(&data, Some(ws.path().to_path_buf()));
    let core = slate::core::spawn(
        slate::core::CoreOptions {
            paths: paths.clone(),
            run_tasks: true,
            runner: slate::runner::RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
        },
        std::sync::Arc::new(|_| {}),
    );
    let events = &core.events;
    let mut seen: Vec<String> = Vec::new();
    let mut wait = |what: &str, secs: u64, pred: &dyn Fn(&Event) -> bool| -> Event {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(e) if pred(&e) => return e,
                Ok(e) => seen.push(format!("{e:?}").chars().take(300).collect()),
                Err(_) => panic!("timed out waiting for {what}; seen: {seen:#?}"),
            }
        }
    };
    wait("the task snapshot", 20, &|e| {
        matches!(e, Event::TasksSnapshot { .. })
    });
    let script = format!("{script}; touch hold; while [ -e hold ]; do sleep 0.05; done; exit 0");
    core.send(slate::events::Command::SubmitTask {
        request: slate::runner::task::TaskRequest {
            function: "test/sh".into(),
            params: [("script".to_string(), script)].into(),
            ..Default::default()
        },
    });
    let hold = data.join("outputs/1/hold");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hold.exists() {
        assert!(
            Instant::now() < deadline,
            "the task never made {}",
            hold.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let filler = disk.path.join("filler");
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&filler).unwrap();
        while f.write_all(&[0u8; 4096]).is_ok() {}
        f.sync_all().ok();
    }
    std::fs::remove_file(&hold).unwrap();
    let first = wait("the task's end or why it is not saved", 60, &|e| {
        matches!(e, Event::RunnerFailed { .. })
            || matches!(e, Event::TaskUpdated { task } if task.state.is_finished())
    });
    // Space comes back.
    std::fs::remove_file(&filler).unwrap();
    let after = match &first {
        Event::RunnerFailed { .. } => {
            let Event::TaskUpdated { task } = wait(
                "the end once saved",
                20,
                &|e| matches!(e, Event::TaskUpdated { task } if task.state.is_finished()),
            ) else {
                unreachable!()
            };
            Some(task)
        }
        _ => None,
    };
    drop(core);
    std::thread::sleep(Duration::from_millis(500));
    let store = slate::runner::store::Store::open(&paths.database_file())
        .unwrap()
        .store;
    let stored = store.all().unwrap().0.last().unwrap().state;
    (first, after, stored)
}

/// Item 11: the disk fills while a task runs, so the end of its log is lost: the task
/// must not pass for a success, and the database agrees with what was announced.
#[test]
fn a_task_whose_log_was_cut_by_a_full_disk_is_not_a_success() {
    use slate::events::Event;
    let (first, after, stored) = end_on_a_full_disk("echo started");
    let task = match (first, after) {
        (Event::TaskUpdated { task }, None) | (_, Some(task)) => task,
        (e, None) => panic!("{e:?}"),
    };
    assert_eq!(
        task.state,
        TaskState::Failed,
        "a run that lost its log passed for a success"
    );
    assert!(
        task.error
            .as_deref()
            .unwrap_or("")
            .contains("log could not be written"),
        "{:?}",
        task.error
    );
    assert_eq!(stored, TaskState::Failed);
}

/// Item 11: the end of a task cannot be saved (a full disk, a record that needs new
/// pages): Slate says so instead of announcing it, keeps it, saves it once space is
/// back, and only then announces it; the database agrees.
#[test]
fn a_task_end_that_cannot_be_saved_is_kept_retried_and_announced_once_saved() {
    use slate::events::Event;
    // 3000 outputs with long names: a record far larger than any before it.
    let (first, after, stored) = end_on_a_full_disk(
        "i=0; while [ $i -lt 3000 ]; do : > output_with_a_rather_long_descriptive_name_$i.txt; i=$((i+1)); done",
    );
    let Event::RunnerFailed { error } = first else {
        panic!("the end was announced although it could not be saved: {first:?}")
    };
    assert!(
        error.contains("could not be saved") && error.contains("free some disk space"),
        "{error}"
    );
    let task = after.expect("announced once saved");
    assert_eq!(task.state, TaskState::Succeeded, "{:?}", task.error);
    assert_eq!(task.outputs.len(), 3000);
    assert_eq!(stored, TaskState::Succeeded);
}

/// Items 9 and 11: a full disk is not damage. `slate run` on a full disk says why and
/// leaves tasks.redb where it is, with its tasks.
#[test]
fn a_full_disk_never_sets_the_task_database_aside() {
    let disk = git::SmallDisk::mount("3m", false);
    let cli = |args: &[&str]| {
        let mut c = Proc::new(env!("CARGO_BIN_EXE_slate"));
        c.args(args)
            .env("SLATE_DATA_DIR", disk.path.join("data"))
            .env("SLATE_WORKSPACE", disk.path.join("ws"));
        run_bounded(c, 30, "slate")
    };
    let run = [
        "run",
        "demo/countdown",
        "--param",
        "steps=1",
        "--param",
        "interval=0",
    ];
    assert!(cli(&run).status.success());
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(disk.path.join("filler")).unwrap();
        while f.write_all(&[0u8; 4096]).is_ok() {}
    }
    let o = cli(&run);
    assert!(!o.status.success());
    assert!(text(&o).contains("No space left"), "{}", text(&o));
    let names: Vec<String> = std::fs::read_dir(disk.path.join("data"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("broken")), "{names:?}");
    std::fs::remove_file(disk.path.join("filler")).unwrap();
    let o = cli(&["tasks", "--json"]);
    let tasks: Vec<slate::runner::task::Task> = serde_json::from_slice(&o.stdout).unwrap();
    // The first run is kept; the second is either not recorded at all or recorded as
    // failed with the reason, never as queued or succeeded.
    assert_eq!(tasks[0].state, slate::runner::task::TaskState::Succeeded);
    assert!(tasks.len() <= 2, "{}", text(&o));
    if let Some(second) = tasks.get(1) {
        assert_eq!(second.state, slate::runner::task::TaskState::Failed);
        assert!(
            second
                .error
                .as_deref()
                .is_some_and(|e| e.contains("No space left")),
            "{second:?}"
        );
    }
}

/// Item 14: a hard rollback that could not write a file's media (here its object is
/// briefly away, as when the disk is full) leaves the pointer text in the work tree,
/// which git calls clean: Slate's status names it, and restore-media writes it.
#[test]
fn media_left_as_pointers_after_a_rollback_is_shown_and_restored() {
    let home = git::home();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = new_project(d, "mediafilm");
    let commit = |msg: &str| {
        let mut c = slate_cli(d, &["git", "commit", "-m", msg]);
        c.current_dir(&p).env("HOME", home.path());
        let o = run_bounded(c, 30, "slate git commit");
        assert!(o.status.success(), "{}", text(&o));
    };
    let media = p.join("03_Renders/plate.mp4");
    let v1: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&media, &v1).unwrap();
    commit("render: v1");
    let first = git::git(home.path(), &p, &["rev-parse", "HEAD"])
        .trim()
        .to_string();
    std::fs::write(&media, vec![7u8; 150_000]).unwrap();
    commit("render: v2");
    // The v1 object is away while the rollback writes the work tree.
    let oid = slate::workspace::lfs::hash_bytes(&v1);
    let object = slate::workspace::lfs::object_path(&p.join(".git"), &oid);
    let aside = d.join("object-aside");
    std::fs::rename(&object, &aside).unwrap();
    let mut c = slate_cli(d, &["git", "rollback", &first, "--mode", "hard", "--yes"]);
    c.current_dir(&p).env("HOME", home.path());
    let o = run_bounded(c, 30, "slate git rollback --mode hard");
    assert!(
        !o.status.success(),
        "the rollback hid that media was not written"
    );
    std::fs::rename(&aside, &object).unwrap();
    assert!(
        std::fs::read(&media)
            .unwrap()
            .starts_with(b"version https://git-lfs")
    );
    assert_eq!(
        git::git(home.path(), &p, &["status", "--porcelain"]),
        "",
        "git calls it clean"
    );
    let status = |json: bool| {
        let args: &[&str] = if json {
            &["git", "status", "--json"]
        } else {
            &["git", "status"]
        };
        let mut c = slate_cli(d, args);
        c.current_dir(&p).env("HOME", home.path());
        text(&run_bounded(c, 30, "slate git status"))
    };
    let out = status(false);
    assert!(
        out.contains("media not restored") && out.contains("03_Renders/plate.mp4"),
        "{out}"
    );
    assert!(out.contains("restore-media"), "{out}");
    let st: serde_json::Value = serde_json::from_str(&status(true)).unwrap();
    assert_eq!(st["media_missing"][0], "03_Renders/plate.mp4");
    let mut c = slate_cli(d, &["git", "restore-media"]);
    c.current_dir(&p).env("HOME", home.path());
    let o = run_bounded(c, 30, "slate git restore-media");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&media).unwrap(), v1);
    assert!(!status(false).contains("media not restored"));
}

/// Item 6: a container gets a `file` input read-only under /inputs, never the host path.
#[test]
fn a_file_input_reaches_a_container_read_only() {
    docker_image();
    let func = format!(
        r#"
id = "test/readfile"
version = "1.0.0"
name = "Read a file"
command = ["/bin/busybox", "sh", "-c", "case \"$0\" in /inputs/*) ;; *) exit 4;; esac; /bin/busybox grep -q secret-content \"$0\" || exit 5; echo x > \"$0\" && exit 6; exit 0", "{{image}}"]
outputs = []
[executor]
type = "docker"
image = "{DOCKER_IMAGE}"
[[inputs]]
name = "image"
type = "file"
required = true
"#
    );
    let mut s = Studio::new("", &[("readfile.toml", &func)]);
    let ws = s.dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("still.txt"), "secret-content").unwrap();
    let id = s.submit("test/readfile", &[("image", "still.txt")], 0);
    let t = s.wait_finished(id, 60);
    assert_eq!(
        t.state,
        TaskState::Succeeded,
        "{:?} (4: host path, 5: unreadable, 6: writable)",
        t.error
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("still.txt")).unwrap(),
        "secret-content"
    );
}
