//! Remote Docker hosts, each figure against a peer in the same run:
//! 1. launch-to-exit of a container that does nothing on this machine's engine reached
//!    over SSH (a Debian sshd on 127.0.0.1, keys made here): Slate vs
//!    `docker -H ssh://… run --rm` with ssh connection sharing on (goal ≤ 1.05×);
//! 2. the scheduler's time per decision placing 1,000 queued tasks over 3 hosts × 8 GPUs,
//!    against a first-fit scan of the same GPUs (what placement costs beyond "any GPU").

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{Figure, full_run};
use slate::core::CoreOptions;
use slate::events::{Command as Cmd, Event};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::runner::scheduler::{Decision, GpuSlot, HostView, Need, Placed, Reach, place};
use slate::runner::task::{TaskRequest, TaskState};

const IMAGE: &str = "slate-demo/busybox-progress:1";
const ALIAS: &str = "slate-bench";

const BENCH_FUNCTION: &str = r#"
id = "bench/busybox"
version = "1.0.0"
name = "busybox"
command = ["/bin/busybox", "true"]
[executor]
type = "docker"
image = "slate-demo/busybox-progress:1"
"#;

fn ok(cmd: &mut Command, what: &str) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An sshd on 127.0.0.1 in front of this machine's engine, and an `ssh` first in PATH
/// that uses the bench's config. The returned child is the watchdog: closing its stdin
/// (dropping it, or this process ending) stops sshd and its sessions.
fn sshd(dir: &Path) -> std::process::Child {
    for p in ["/usr/sbin/sshd", "/usr/bin/ssh"] {
        assert!(
            Path::new(p).exists(),
            "{p} is missing: install openssh-server and openssh-client (scripts/test does)"
        );
    }
    let d = |n: &str| dir.join(n).display().to_string();
    for key in ["host_key", "user_key"] {
        ok(
            Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f", &d(key)]),
            "ssh-keygen",
        );
    }
    std::fs::copy(dir.join("user_key.pub"), dir.join("authorized_keys")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        dir.join("sshd_config"),
        format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nAuthorizedKeysFile {}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile {}\n",
            d("host_key"),
            d("authorized_keys"),
            d("sshd.pid")
        ),
    )
    .unwrap();
    // Connection sharing makes the CLI peer as fast as it gets (one handshake, not three
    // per `run`); Slate keeps its own connections open instead.
    std::fs::write(
        dir.join("ssh_config"),
        format!(
            "Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {}\n  IdentitiesOnly yes\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile {}\n  ControlMaster auto\n  ControlPath {}\n  ControlPersist 60\n",
            d("user_key"),
            d("known_hosts"),
            d("cm-%C")
        ),
    )
    .unwrap();
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("ssh"),
        format!(
            "#!/bin/sh\nexec /usr/bin/ssh -F {} \"$@\"\n",
            d("ssh_config")
        ),
    )
    .unwrap();
    ok(
        Command::new("chmod").arg("755").arg(bin.join("ssh")),
        "chmod",
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // SAFETY: main has started no other thread yet.
    unsafe { std::env::set_var("PATH", path) };
    std::fs::create_dir_all("/run/sshd").ok();
    let watchdog = Command::new("sh")
        .arg("-c")
        .arg("\"$@\" >/dev/null 2>&1 & pid=$!\nread _\nkill -KILL $(cat /proc/$pid/task/*/children 2>/dev/null) $pid 2>/dev/null\nwait")
        .args(["sh", "/usr/sbin/sshd", "-D", "-e", "-f", &d("sshd_config")])
        .stdin(Stdio::piped())
        .spawn()
        .expect("start sshd");
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not listen on {port}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    watchdog
}

fn main() {
    let full = full_run();
    let dir = tempfile::Builder::new()
        .prefix("slate-hb")
        .tempdir_in("/tmp")
        .unwrap();
    let mut watchdog = sshd(dir.path());

    let reg = slate::runner::function::Registry::load(None);
    let ctx =
        slate::runner::image::build_context(reg.get("demo/busybox-progress").unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(slate::runner::docker::build_image("", ctx, IMAGE, |_| {}))
        .unwrap();

    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("functions")).unwrap();
    std::fs::write(data.join("functions/bench.toml"), BENCH_FUNCTION).unwrap();
    std::fs::write(
        data.join("settings.toml"),
        format!("[[runner.hosts]]\nname = \"box-ssh\"\nurl = \"ssh://root@{ALIAS}\"\n"),
    )
    .unwrap();
    let core = slate::core::spawn(
        CoreOptions {
            paths: Paths::in_dir(&data, Some(dir.path().join("ws"))),
            run_tasks: true,
            runner: RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
        },
        std::sync::Arc::new(|_| {}),
    );
    loop {
        match core.events.recv().unwrap() {
            Event::DockerHosts { hosts } if hosts.iter().all(|h| h.reachable == Some(true)) => {
                break;
            }
            Event::DockerHosts { hosts } if hosts.iter().any(|h| h.reachable == Some(false)) => {
                panic!("the SSH host is unreachable: {hosts:?}")
            }
            _ => {}
        }
    }
    let run = || -> f64 {
        let t0 = Instant::now();
        core.send(Cmd::SubmitTask {
            request: TaskRequest {
                function: "bench/busybox".into(),
                host: Some("box-ssh".into()),
                ..Default::default()
            },
        });
        loop {
            match core.events.recv().unwrap() {
                Event::TaskUpdated { task } if task.state.is_finished() => {
                    assert_eq!(task.state, TaskState::Succeeded, "{:?}", task.error);
                    assert_eq!(task.host.as_deref(), Some("box-ssh"));
                    return t0.elapsed().as_secs_f64();
                }
                Event::TaskRejected { errors, .. } => panic!("bench task refused: {errors:?}"),
                Event::RunnerFailed { error } => panic!("runner failed: {error}"),
                _ => {}
            }
        }
    };
    let cli = || -> f64 {
        let t0 = Instant::now();
        ok(
            Command::new("docker").args([
                "-H",
                &format!("ssh://root@{ALIAS}"),
                "run",
                "--rm",
                "--network",
                "none",
                IMAGE,
                "/bin/busybox",
                "true",
            ]),
            "docker -H ssh://… run --rm",
        );
        t0.elapsed().as_secs_f64()
    };
    // One untimed run each: the first connection (and ssh master) is set up once.
    run();
    cli();
    let n = if full { 15 } else { 3 };
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for _ in 0..n {
        // Interleaved, so a busy moment on the shared machine hits both.
        ours.push(run());
        peer.push(cli());
    }
    ours.sort_by(f64::total_cmp);
    peer.sort_by(f64::total_cmp);
    let mut figures = vec![Figure::versus(
        "launch to exit over SSH, median (s)",
        ours[n / 2],
        "s",
        "docker -H ssh://… run --rm (ControlMaster on)",
        peer[n / 2],
    )];
    drop(core);

    // 2. Placement: 1,000 queued tasks over 3 hosts × 8 GPUs of 24 GB, each asking for
    // 4–16 GB; what is placed counts against what follows (as in the runner).
    let hosts: Vec<HostView> = ["local", "box-a", "box-b"]
        .iter()
        .enumerate()
        .map(|(h, name)| HostView {
            name: name.to_string(),
            reach: Reach::Up,
            gpus: (0..8)
                .map(|i| GpuSlot {
                    index: i,
                    total_mb: 24 * 1024,
                    free_mb: (h == 0).then_some(24 * 1024 - i as u64 * 512),
                })
                .collect(),
            no_gpu_reason: None,
        })
        .collect();
    let needs: Vec<u64> = (0..1000u64).map(|i| (4 + i * 7 % 13) * 1024).collect();
    let rounds = if full { 20 } else { 2 };
    let time_it = |decide: &dyn Fn(u64, &[Placed]) -> Option<Placed>| -> (f64, usize) {
        let t0 = Instant::now();
        let mut placed_n = 0;
        for _ in 0..rounds {
            let mut placed = Vec::new();
            for &mb in &needs {
                if let Some(p) = decide(mb, &placed) {
                    placed.push(p);
                }
            }
            placed_n = placed.len();
        }
        (
            t0.elapsed().as_secs_f64() / (rounds * needs.len()) as f64,
            placed_n,
        )
    };
    let (ours_s, ours_placed) = time_it(&|mb, placed| {
        let need = Need {
            vram_mb: mb,
            gpus: 1,
            host: None,
        };
        match place(&need, &hosts, placed, 512) {
            Decision::On {
                host,
                gpus,
                reserved_mb,
            } => Some(Placed {
                host,
                gpu: gpus[0],
                reserved_mb,
                used_mb: 0,
            }),
            Decision::Wait(why) => {
                std::hint::black_box(why);
                None
            }
            Decision::Never(why) => panic!("{why}"),
        }
    });
    // The peer: the first GPU with room, no ranking and no reasons.
    let (peer_s, peer_placed) = time_it(&|mb, placed| {
        for h in &hosts {
            for g in &h.gpus {
                let used: u64 = placed
                    .iter()
                    .filter(|p| p.host == h.name && p.gpu == g.index)
                    .map(|p| p.reserved_mb)
                    .sum();
                if g.free_mb.unwrap_or(g.total_mb).saturating_sub(used + 512) >= mb {
                    return Some(Placed {
                        host: h.name.clone(),
                        gpu: g.index,
                        reserved_mb: mb,
                        used_mb: 0,
                    });
                }
            }
        }
        None
    });
    println!(
        "  placed {ours_placed} of 1000 (first fit: {peer_placed}); the rest wait with a reason"
    );
    figures.push(Figure::versus(
        "placement, time per decision (µs), 1000 tasks, 3×8 GPUs",
        ours_s * 1e6,
        "µs",
        "first-fit scan",
        peer_s * 1e6,
    ));
    common::write("docker_hosts", &figures);
    drop(watchdog.stdin.take());
    watchdog.wait().ok();
}
