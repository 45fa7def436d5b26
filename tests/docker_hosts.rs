//! Remote Docker hosts against real engines: this machine's engine reached over SSH (a
//! Debian sshd on 127.0.0.1 with keys the test makes) and over TLS (stunnel with client
//! certificate checks, certificates made by openssl here). Tasks placed on each run with
//! their inputs uploaded and outputs downloaded; a host that goes away mid-run keeps its
//! task waiting and is re-attached when it is back.

mod common;
#[path = "common/studio.rs"]
mod studio;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use slate::events::{Command, Event};
use slate::runner::task::{TaskId, TaskRequest, TaskState};
use studio::Studio;

#[path = "common/demo_image.rs"]
mod demo_image;
use demo_image::demo_image;
/// The ssh config's name for this machine's sshd.
const SSH_ALIAS: &str = "slate-test";

const COPY_FUNCTION: &str = r#"
id = "test/copy"
version = "1.0.0"
name = "Copy"
command = ["/bin/busybox", "cp", "{src}", "{output_dir}/copy.txt"]
outputs = ["*.txt"]
[executor]
type = "docker"
image = "slate-demo/busybox-progress:1"
[[inputs]]
name = "src"
type = "file"
required = true
[resources]
timeout_s = 120
"#;

/// Keys, certificates and configs, made once per test binary; the sshd and stunnel
/// that every test shares.
struct Fixture {
    dir: PathBuf,
    ssh_port: u16,
    tls_port: u16,
    _servers: Mutex<Vec<Server>>,
}

/// A server under a watchdog shell: when the watchdog's stdin closes (the server is
/// stopped, or this test binary ends in any way) it kills the server and the sessions
/// it forked, so nothing outlives the tests.
struct Server {
    watchdog: Child,
}

const WATCHDOG: &str = r#""$@" >/dev/null & pid=$!
read _
kill -KILL $(cat /proc/$pid/task/*/children 2>/dev/null) $pid 2>/dev/null
wait"#;

impl Server {
    fn start(argv: &[&str], log: &Path) -> Self {
        let watchdog = Proc::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .args(argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {argv:?}: {e}"));
        Self { watchdog }
    }

    /// Kills the server and every session it forked, and waits until they are gone.
    fn stop(mut self) {
        drop(self.watchdog.stdin.take());
        self.watchdog.wait().ok();
    }
}

fn run(cmd: &mut Proc, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn need(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install {package} (apt-get install --no-install-recommends {package}); scripts/test does"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        need("/usr/sbin/sshd", "openssh-server");
        need("/usr/bin/ssh", "openssh-client");
        need("/usr/bin/stunnel4", "stunnel4");
        need("/usr/bin/openssl", "openssl");
        demo_image();
        // A short path: ssh control sockets live under it and must stay < 108 bytes.
        let dir = std::env::temp_dir().join(format!("slate-hosts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Removed when this binary ends, however it ends (the servers are gone by then).
        let cleanup = Server {
            watchdog: Proc::new("sh")
                .args(["-c", "read _; sleep 1; rm -rf \"$0\""])
                .arg(&dir)
                .stdin(Stdio::piped())
                .spawn()
                .expect("sh"),
        };
        let d = |n: &str| dir.join(n).display().to_string();
        // --- SSH: keys, server and client configs, and an `ssh` first in PATH that
        // reads the test's config (ssh ignores $HOME; bollard runs `ssh` from PATH).
        for key in ["host_key", "user_key"] {
            run(
                Proc::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f", &d(key)]),
                "ssh-keygen",
            );
        }
        std::fs::copy(dir.join("user_key.pub"), dir.join("authorized_keys")).unwrap();
        let ssh_port = free_port();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "ListenAddress 127.0.0.1\nPort {ssh_port}\nHostKey {}\nAuthorizedKeysFile {}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile {}\n",
                d("host_key"),
                d("authorized_keys"),
                d("sshd.pid")
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("ssh_config"),
            format!(
                "Host {SSH_ALIAS}\n  HostName 127.0.0.1\n  Port {ssh_port}\n  User root\n  IdentityFile {}\n  IdentitiesOnly yes\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile {}\n",
                d("user_key"),
                d("known_hosts")
            ),
        )
        .unwrap();
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let wrapper = bin.join("ssh");
        std::fs::write(
            &wrapper,
            format!("#!/bin/sh\nexec /usr/bin/ssh -F {} \"$@\"\n", d("ssh_config")),
        )
        .unwrap();
        run(Proc::new("chmod").arg("755").arg(&wrapper), "chmod");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // SAFETY: set once, inside the OnceLock every test goes through before it starts
        // any process or core of its own.
        unsafe { std::env::set_var("PATH", path) };
        std::fs::create_dir_all("/run/sshd").ok();
        run(
            Proc::new("/usr/sbin/sshd").args(["-t", "-f", &d("sshd_config")]),
            "sshd -t",
        );
        // --- TLS: a CA, a server certificate for 127.0.0.1 and a client certificate.
        let openssl = |args: &[&str]| run(Proc::new("openssl").args(args).current_dir(&dir), "openssl");
        openssl(&[
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=test CA", "-keyout", "ca-key.pem", "-out", "ca.pem",
        ]);
        for (who, cn, usage) in [
            ("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
            ("client", "/CN=client", "extendedKeyUsage=clientAuth\n"),
        ] {
            openssl(&[
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                cn, "-keyout", &format!("{who}-key.pem"), "-out", &format!("{who}.csr"),
            ]);
            std::fs::write(dir.join(format!("{who}.ext")), usage).unwrap();
            openssl(&[
                "x509", "-req", "-in", &format!("{who}.csr"), "-CA", "ca.pem", "-CAkey",
                "ca-key.pem", "-CAcreateserial", "-days", "2", "-out",
                &format!("{who}-cert.pem"), "-extfile", &format!("{who}.ext"),
            ]);
        }
        let tls_port = free_port();
        let f = Fixture {
            dir,
            ssh_port,
            tls_port,
            _servers: Mutex::new(Vec::new()),
        };
        let sshd = f.start_sshd(ssh_port);
        let stunnel = f.start_stunnel(tls_port);
        f._servers.lock().unwrap().extend([sshd, stunnel, cleanup]);
        f
    })
}

impl Fixture {
    fn path(&self, n: &str) -> String {
        self.dir.join(n).display().to_string()
    }

    /// An sshd on `port` (the fixture's config with another port for tests that stop it).
    fn start_sshd(&self, port: u16) -> Server {
        let config = self.dir.join(format!("sshd_config_{port}"));
        let text = std::fs::read_to_string(self.dir.join("sshd_config"))
            .unwrap()
            .replace(&format!("Port {}", self.ssh_port), &format!("Port {port}"))
            .replace("sshd.pid", &format!("sshd_{port}.pid"));
        std::fs::write(&config, text).unwrap();
        let server = Server::start(
            &[
                "/usr/sbin/sshd",
                "-D",
                "-e",
                "-f",
                &config.display().to_string(),
            ],
            &self.dir.join(format!("sshd_{port}.log")),
        );
        wait_for_port(port, "sshd");
        server
    }

    /// stunnel on `port` in front of the local engine, demanding a client certificate
    /// signed by the test CA.
    fn start_stunnel(&self, port: u16) -> Server {
        let config = self.dir.join(format!("stunnel_{port}.conf"));
        std::fs::write(
            &config,
            format!(
                "foreground = yes\npid =\n[docker-tls]\naccept = 127.0.0.1:{port}\nconnect = /var/run/docker.sock\ncert = {}\nkey = {}\nCAfile = {}\nverifyChain = yes\n",
                self.path("server-cert.pem"),
                self.path("server-key.pem"),
                self.path("ca.pem")
            ),
        )
        .unwrap();
        let server = Server::start(
            &["/usr/bin/stunnel4", &config.display().to_string()],
            &self.dir.join(format!("stunnel_{port}.log")),
        );
        wait_for_port(port, "stunnel");
        server
    }

    /// The settings of a studio with the SSH host as `ssh_name` on the ssh config's alias
    /// (its port is the fixture's unless `ssh_alias` names another Host entry) and the
    /// TLS host as `tls_name` on `tls_port`.
    fn settings(&self, ssh_name: &str, ssh_alias: &str, tls_name: &str, tls_port: u16) -> String {
        format!(
            "[runner]\nmax_concurrent = 4\n\n[[runner.hosts]]\nname = \"{ssh_name}\"\nurl = \"ssh://root@{ssh_alias}\"\n\n[[runner.hosts]]\nname = \"{tls_name}\"\nurl = \"tcp://127.0.0.1:{tls_port}\"\ntls_ca = \"{}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
            self.path("ca.pem"),
            self.path("client-cert.pem"),
            self.path("client-key.pem")
        )
    }

    /// Adds a Host entry `alias` for an sshd on `port` to the ssh config.
    fn add_ssh_alias(&self, alias: &str, port: u16) {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("ssh_config"))
            .unwrap();
        write!(
            f,
            "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n",
            self.path("user_key"),
        )
        .unwrap();
    }
}

fn submit_on(s: &mut Studio, function: &str, params: &[(&str, &str)], host: &str) -> TaskId {
    s.send(Command::SubmitTask {
        request: TaskRequest {
            function: function.into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            host: Some(host.into()),
            ..Default::default()
        },
    });
    match s.until("task.submitted", 10, |e, _| {
        matches!(e, Event::TaskSubmitted { .. } | Event::TaskRejected { .. })
    }) {
        Event::TaskSubmitted { task } => task.id,
        other => panic!("rejected: {other:?}"),
    }
}

/// Waits until every named host answered as reachable, and returns their statuses.
fn hosts_up(s: &mut Studio, names: &[&str]) -> Vec<slate::runner::docker_hosts::HostStatus> {
    let mut last = Vec::new();
    s.until(&format!("{names:?} to be reachable"), 30, |e, _| {
        if let Event::DockerHosts { hosts } = e {
            last = hosts.clone();
            names.iter().all(|n| {
                hosts
                    .iter()
                    .any(|h| h.name == *n && h.reachable == Some(true))
            })
        } else {
            false
        }
    });
    last
}

fn containers_of(s: &Studio) -> Vec<String> {
    let out = Proc::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!(
            "label=slate.studio={}",
            s.paths().data_dir.display()
        ))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_task_on_each_remote_host_runs_with_its_input_uploaded_and_its_output_downloaded() {
    let f = fixture();
    let settings = f.settings("box-ssh", SSH_ALIAS, "box-tls", f.tls_port);
    let mut s = Studio::new(&settings, &[("copy.toml", COPY_FUNCTION)]);
    let hosts = hosts_up(&mut s, &["box-ssh", "box-tls"]);
    for h in &hosts {
        let engine = h.engine.clone().unwrap_or_default();
        assert!(engine.starts_with("Docker Engine"), "{h:?}");
        assert_eq!(h.gpu_note, "no GPU reported", "{h:?}");
    }
    let ws = s.dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let mut ids = Vec::new();
    for host in ["box-ssh", "box-tls"] {
        let text = format!("sent to {host}\n");
        std::fs::write(ws.join(format!("{host}.txt")), &text).unwrap();
        let id = submit_on(
            &mut s,
            "test/copy",
            &[("src", &format!("{host}.txt"))],
            host,
        );
        ids.push((id, host, text));
    }
    for (id, host, text) in ids {
        let t = s.wait_finished(id, 90);
        assert_eq!(t.state, TaskState::Succeeded, "{host}: {:?}", t.error);
        assert_eq!(t.host.as_deref(), Some(host));
        assert_eq!(t.outputs, vec!["copy.txt"], "{host}");
        let out = std::fs::read_to_string(t.output_dir.unwrap().join("copy.txt")).unwrap();
        assert_eq!(
            out, text,
            "{host}: the input went up and the output came back"
        );
    }
    // Progress and logs stream over the remote connection as they do locally.
    let id = submit_on(
        &mut s,
        "demo/busybox-progress",
        &[("steps", "3"), ("interval", "0.05")],
        "box-ssh",
    );
    let t = s.wait_finished(id, 60);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    let out = std::fs::read_to_string(t.output_dir.unwrap().join("result.txt")).unwrap();
    assert_eq!(out.trim(), "done after 3 steps");
    assert!(s.progress.iter().any(|(i, p)| *i == id && *p >= 1.0));
    assert!(containers_of(&s).is_empty(), "containers left behind");
}

#[test]
fn a_task_for_an_unknown_or_unreachable_host_says_so() {
    let f = fixture();
    // Nothing listens on the TLS host's port.
    let settings = f.settings("box-ssh", SSH_ALIAS, "box-gone", free_port());
    let mut s = Studio::new(&settings, &[]);
    let id = submit_on(
        &mut s,
        "demo/busybox-progress",
        &[("steps", "1")],
        "box-gone",
    );
    s.until("a waiting-for-box-gone notice", 30, |e, _| {
        matches!(e, Event::TaskUpdated { task } if task.id == id && task.stage.as_deref().is_some_and(|st| st.starts_with("waiting for box-gone")))
    });
    assert_eq!(
        s.tasks[&id].state,
        TaskState::Queued,
        "waits, does not fail"
    );
    // A host that is not in Settings, or a process function sent to a host: refused at
    // submit, field by field.
    for (function, host, says) in [
        (
            "demo/busybox-progress",
            "box-z",
            "no Docker host named \"box-z\"",
        ),
        (
            "test/sh",
            "box-ssh",
            "only container functions run on another host",
        ),
    ] {
        s.send(Command::SubmitTask {
            request: TaskRequest {
                function: function.into(),
                params: [("script".to_string(), "true".to_string())].into(),
                host: Some(host.into()),
                ..Default::default()
            },
        });
        match s.until("a refusal", 10, |e, _| {
            matches!(e, Event::TaskSubmitted { .. } | Event::TaskRejected { .. })
        }) {
            Event::TaskRejected { errors, .. } => {
                assert_eq!(errors[0].field, "host");
                assert!(errors[0].message.contains(says), "{errors:?}");
            }
            other => panic!("queued: {other:?}"),
        }
    }
    s.send(Command::CancelTask { id });
    assert_eq!(s.wait_finished(id, 10).state, TaskState::Cancelled);
}

fn loses_its_host_mid_run_and_reattaches(kind: &str) {
    let f = fixture();
    let port = free_port();
    let alias = format!("slate-{kind}-{port}");
    let (settings, name) = if kind == "ssh" {
        f.add_ssh_alias(&alias, port);
        (f.settings("box-b", &alias, "box-t", free_port()), "box-b")
    } else {
        (f.settings("box-s", SSH_ALIAS, "box-b", port), "box-b")
    };
    let start = |f: &Fixture| {
        if kind == "ssh" {
            f.start_sshd(port)
        } else {
            f.start_stunnel(port)
        }
    };
    let server = start(f);
    let mut s = Studio::new(&settings, &[]);
    hosts_up(&mut s, &[name]);
    let id = submit_on(
        &mut s,
        "demo/busybox-progress",
        &[("steps", "16"), ("interval", "0.5")],
        name,
    );
    s.until(
        "the task's first progress",
        60,
        |e, _| matches!(e, Event::TaskProgress { id: i, .. } if *i == id),
    );
    server.stop();
    let t = s.until("a waiting-for-box-b notice", 30, |e, _| {
        matches!(e, Event::TaskUpdated { task } if task.id == id && task.stage.as_deref().is_some_and(|st| st.starts_with("waiting for box-b")))
    });
    let Event::TaskUpdated { task } = t else {
        unreachable!()
    };
    assert_eq!(task.state, TaskState::Running, "it still runs over there");
    assert!(task.container_id.is_some());
    let server = start(f);
    let done = s.until("the task to finish after the host came back", 90, |e, _| {
        matches!(e, Event::TaskUpdated { task } if task.id == id && task.state.is_finished())
    });
    let Event::TaskUpdated { task } = done else {
        unreachable!()
    };
    assert_eq!(task.state, TaskState::Succeeded, "{:?}", task.error);
    assert_eq!(task.attempts, 1, "re-attached, not run again");
    let out = std::fs::read_to_string(task.output_dir.clone().unwrap().join("result.txt")).unwrap();
    assert_eq!(out.trim(), "done after 16 steps");
    // The log picked up where it stopped: every line once.
    let log = std::fs::read_to_string(s.paths().logs_dir().join(format!("{id}.log"))).unwrap();
    let lines = log
        .lines()
        .filter(|l| {
            slate::model::logfile::parse(l)
                .tagged
                .starts_with("err log line")
        })
        .count();
    assert_eq!(lines, 16, "{log}");
    // One run, one terminal state: nothing else about it comes later.
    let events = &s.core.as_ref().unwrap().events;
    let end = Instant::now() + Duration::from_secs(3);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        if let Ok(Event::TaskUpdated { task }) = events.recv_timeout(left) {
            assert!(task.id != id, "a second update after the end: {task:?}");
        }
    }
    assert!(containers_of(&s).is_empty(), "containers left behind");
    drop(s);
    server.stop();
}

#[test]
fn an_ssh_host_lost_mid_run_keeps_its_task_waiting_and_reattaches() {
    loses_its_host_mid_run_and_reattaches("ssh");
}

#[test]
fn a_tls_host_lost_mid_run_keeps_its_task_waiting_and_reattaches() {
    loses_its_host_mid_run_and_reattaches("tls");
}

#[test]
fn settings_and_the_gpu_tab_show_each_host_with_its_state() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir(dir.path());
    std::fs::create_dir_all(&data).unwrap();
    let settings = f.settings("box-ssh", SSH_ALIAS, "box-gone", free_port());
    std::fs::write(data.join("settings.toml"), settings).unwrap();
    let mut h = common::harness(dir.path());
    common::settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    h.run();
    h.get_by_label("Runner").click();
    common::wait_until(&mut h, "both hosts checked", 30, |h| {
        let hosts = &h.state().vm.docker_hosts;
        hosts.len() == 2 && hosts[0].reachable == Some(true) && hosts[1].reachable == Some(false)
    });
    h.get_by_label_contains(") · no GPU reported");
    h.get_by_label("box-gone: unreachable");
    // Add a host, get told what is wrong with its address, remove it again.
    h.get_by_label("Add host").click();
    h.run();
    let added = h.state().vm.docker_hosts.len();
    assert_eq!(added, 2, "nothing is checked before Save");
    h.get_all_by_label("Address").last().unwrap().focus();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_all_by_label("Address")
        .last()
        .unwrap()
        .type_text("ssh://me@box:2222");
    h.run();
    h.get_by_label_contains("put the port (and key) in your ssh config");
    h.get_all_by_label("Remove").last().unwrap().click();
    h.run();
    assert!(h.query_by_label_contains("put the port").is_none());
    assert!(h.query_by_label("Save").is_none(), "back to what is saved");
    // The GPU tab groups by host: this machine, then each remote host.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num5);
    h.run();
    h.get_by_label("local · this machine");
    h.get_by_label_contains("box-ssh · ssh://root@");
    h.get_by_label_contains("box-gone · tcp://");
}

#[test]
fn a_slate_killed_mid_run_reattaches_on_the_right_host_when_restarted() {
    let f = fixture();
    let settings = f.settings("box-ssh", SSH_ALIAS, "box-tls", f.tls_port);
    let mut s = Studio::new(&settings, &[]);
    // The CLI takes the store; this studio comes back after it is killed.
    s.core = None;
    let mut victim = studio::slate_cli(
        s.dir.path(),
        &[
            "run",
            "demo/busybox-progress",
            "--host",
            "box-ssh",
            "--param",
            "steps=30",
            "--param",
            "interval=0.2",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let log = s.paths().logs_dir().join("1.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("log line 3")) {
        assert!(
            Instant::now() < deadline,
            "the remote container never got going"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    s.start(None);
    let t = s.wait_finished(1, 90);
    assert_eq!(t.state, TaskState::Succeeded, "{:?}", t.error);
    assert_eq!(t.host.as_deref(), Some("box-ssh"));
    assert_eq!(t.attempts, 1, "re-attached, not run again");
    let out = std::fs::read_to_string(t.output_dir.unwrap().join("result.txt")).unwrap();
    assert_eq!(
        out.trim(),
        "done after 30 steps",
        "outputs came back from the host"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let lines = text
        .lines()
        .filter(|l| {
            slate::model::logfile::parse(l)
                .tagged
                .starts_with("err log line")
        })
        .count();
    assert_eq!(lines, 30, "{text}");
    assert!(containers_of(&s).is_empty(), "containers left behind");
}
