//! The window owns the core and serves the API: CLI commands in a terminal are its
//! clients, and what they do shows in the window at once. The real binary, in a real X
//! window (Xvfb), watched through its frame trace (`SLATE_TRACE_FRAMES`).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/xvfb.rs"]
mod xvfb;
use xvfb::Xvfb;

fn slate(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slate"));
    cmd.env("SLATE_DATA_DIR", dir.join("data"))
        .env("SLATE_WORKSPACE", dir.join("ws"))
        .env("HOME", dir);
    cmd
}

/// A child that is stopped however the test ends (a failed assertion included).
struct Guard(std::process::Child);

impl std::ops::Deref for Guard {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Guard {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// One frame the window painted: when, how many tasks it showed, how many finished.
struct Frame {
    at: Instant,
    tasks: usize,
    finished: usize,
}

fn parse(line: &str) -> Option<(usize, usize)> {
    let mut tasks = None;
    let mut finished = None;
    for w in line.split_whitespace() {
        if let Some(v) = w.strip_prefix("tasks=") {
            tasks = v.parse().ok();
        }
        if let Some(v) = w.strip_prefix("finished=") {
            finished = v.parse().ok();
        }
    }
    Some((tasks?, finished?))
}

/// Waits for a frame that shows `pred`, and says how long after `since` it came.
fn frame_showing(
    rx: &std::sync::mpsc::Receiver<Frame>,
    since: Instant,
    what: &str,
    pred: impl Fn(&Frame) -> bool,
) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let f = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("the window never showed {what}"));
        if pred(&f) {
            return f.at.saturating_duration_since(since);
        }
    }
}

fn cli(dir: &Path, args: &[&str]) -> (String, Instant) {
    let out = slate(dir).args(args).output().unwrap();
    let done = Instant::now();
    assert!(
        out.status.success(),
        "slate {args:?} failed while the window is open: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).into(), done)
}

/// Opens the window on `display` (extra args first), with its frame trace on: the
/// frames it paints, and every other line it writes to stderr.
fn open_window(
    dir: &Path,
    display: &str,
    args: &[&str],
) -> (
    Guard,
    std::sync::mpsc::Receiver<Frame>,
    std::sync::mpsc::Receiver<String>,
) {
    let runtime = dir.join("xdg");
    std::fs::create_dir_all(&runtime).unwrap();
    let mut window = Guard(
        slate(dir)
            .args(args)
            .env("DISPLAY", display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("SLATE_TRACE_FRAMES", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stderr = window.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Frame>();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("slate-frame") {
                if let Some((tasks, finished)) = parse(&line) {
                    tx.send(Frame {
                        at: Instant::now(),
                        tasks,
                        finished,
                    })
                    .ok();
                }
            } else {
                lines_tx.send(line).ok();
            }
        }
    });
    (window, rx, lines_rx)
}

#[test]
fn cli_commands_are_clients_of_the_open_window_and_show_in_it_at_once() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().unwrap();
    let (mut window, rx, _said) = open_window(dir.path(), &x.display, &[]);
    let serve_json = dir.path().join("data/serve.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&serve_json).is_ok_and(|t| t.contains("\"window\"")) {
        assert!(
            Instant::now() < deadline,
            "the window does not serve the API (no serve.json)"
        );
        assert!(window.try_wait().unwrap().is_none(), "the window exited");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let the window settle (probe, snapshot), then forget the frames so far.
    std::thread::sleep(Duration::from_secs(2));
    while rx.try_recv().is_ok() {}

    let (out, _) = cli(dir.path(), &["tasks", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&out).expect("tasks --json is JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(0));

    let (out, done) = cli(
        dir.path(),
        &[
            "run",
            "demo/countdown",
            "--param",
            "steps=1000",
            "--param",
            "interval=0.1",
            "--detach",
        ],
    );
    let id: u64 = out
        .split_whitespace()
        .nth(2)
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no task id in {out:?}"));
    let shown = frame_showing(&rx, done, "the new task", |f| f.tasks == 1);
    println!(
        "new task shown {} ms after `slate run --detach` returned",
        shown.as_millis()
    );
    assert!(shown <= Duration::from_millis(200), "shown after {shown:?}");

    let (out, _) = cli(dir.path(), &["tasks", "--json"]);
    assert!(out.contains("\"demo/countdown\""), "{out}");

    let (out, done) = cli(dir.path(), &["task", "cancel", &id.to_string()]);
    assert!(out.contains("cancelled"), "{out}");
    let shown = frame_showing(&rx, done, "the cancelled task", |f| f.finished == 1);
    println!(
        "cancel shown {} ms after `slate task cancel` returned",
        shown.as_millis()
    );
    assert!(shown <= Duration::from_millis(200), "shown after {shown:?}");

    // Closing the window stops serving: the discovery file goes with it.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(window.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(15);
    while window.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    window.kill().ok();
    window.wait().ok();
}

/// `slate serve` owns the data dir: a window opened after it is its client, not a
/// second owner. It shows the server's tasks, and what it asks (open a project) is done
/// by the server, which every client hears.
#[test]
fn a_window_opened_while_serve_runs_is_its_client() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["project", "new", "Linked Film"]);
    let mut serve = Guard(
        slate(dir.path())
            .args(["serve", "--port", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let serve_json = dir.path().join("data/serve.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    let info: serde_json::Value = loop {
        if let Ok(t) = std::fs::read_to_string(&serve_json)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&t)
            && v["owner"] == "serve"
        {
            break v;
        }
        assert!(Instant::now() < deadline, "slate serve wrote no serve.json");
        std::thread::sleep(Duration::from_millis(50));
    };
    let token = std::fs::read_to_string(dir.path().join("data/api-token")).unwrap();
    // A client of the server listening for what the window will ask.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut ws = rt.block_on(async {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        let url = format!(
            "{}/v1/events?topics=project",
            info["address"]
                .as_str()
                .unwrap()
                .replace("http://", "ws://")
        );
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", token.trim()).parse().unwrap(),
        );
        tokio_tungstenite::connect_async(req).await.unwrap().0
    });

    let (mut window, rx, lines_rx) =
        open_window(dir.path(), &x.display, &["--project", "Linked Film"]);

    // The window's request, done by the server: its clients hear `project.opened`.
    rt.block_on(async {
        use futures_util::StreamExt as _;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let msg = tokio::time::timeout_at(deadline, ws.next())
                .await
                .expect("the server never opened the project the window asked for")
                .expect("the stream ended")
                .expect("a websocket error");
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg
                && t.as_str().contains("\"project.opened\"")
                && t.as_str().contains("Linked Film")
            {
                break;
            }
        }
    });
    // Still the server's data dir: the window did not take it over.
    let now: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&serve_json).unwrap()).unwrap();
    assert_eq!(now["pid"], info["pid"]);

    // A task queued on the server shows in the window.
    std::thread::sleep(Duration::from_secs(1));
    while rx.try_recv().is_ok() {}
    let (out, done) = cli(
        dir.path(),
        &["run", "demo/countdown", "--param", "steps=2", "--detach"],
    );
    assert!(
        out.contains(info["address"].as_str().unwrap()),
        "not queued on the server: {out}"
    );
    let shown = frame_showing(&rx, done, "the server's task", |f| f.tasks == 1);
    println!("the server's task shown in the window after {shown:?}");
    frame_showing(&rx, done, "the task finished", |f| f.finished == 1);
    let said: Vec<String> = lines_rx.try_iter().collect();
    assert!(
        !said
            .iter()
            .any(|l| l.contains("in use") || l.contains("not served")),
        "the window tried to own the data dir: {said:?}"
    );

    for child in [&mut *window, &mut *serve] {
        // SAFETY: signalling our own children.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    }
    for child in [&mut *window, &mut *serve] {
        let deadline = Instant::now() + Duration::from_secs(15);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        child.kill().ok();
        child.wait().ok();
    }
}
