//! The real binary in a real X window (Xvfb): `--screenshot`, and an idle window that
//! paints nothing and costs (near) zero CPU.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/xvfb.rs"]
mod xvfb;
use xvfb::Xvfb;

fn slate(dir: &Path, x: &Xvfb) -> Command {
    let runtime = dir.join("xdg");
    std::fs::create_dir_all(&runtime).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slate"));
    cmd.env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("SLATE_DATA_DIR", dir.join("data"))
        .env("SLATE_WORKSPACE", dir.join("ws"))
        .env("HOME", dir);
    cmd
}

#[test]
fn screenshot_flag_writes_a_png_of_the_window() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("shot.png");
    let out = slate(dir.path(), &x)
        .arg("--screenshot")
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "slate --screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&png).expect("a readable PNG").to_rgba8();
    assert_eq!((img.width(), img.height()), (1280, 800));
    // Not blank: many distinct colours (text, panels, accents).
    let distinct: std::collections::HashSet<_> = img.pixels().map(|p| p.0).collect();
    assert!(
        distinct.len() > 50,
        "only {} colours: blank window?",
        distinct.len()
    );
}

/// A window left alone paints no frames and uses (near) no CPU. Counts the frames the
/// app reports (`SLATE_TRACE_FRAMES`) and the process's CPU ticks over 5 idle seconds.
#[test]
fn an_idle_window_does_not_repaint() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().unwrap();
    let mut child = slate(dir.path(), &x)
        .env("SLATE_TRACE_FRAMES", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Instant>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("slate-frame") {
                tx.send(Instant::now()).ok();
            }
        }
    });
    // Let it start: first frames, probes, task snapshot.
    std::thread::sleep(Duration::from_secs(4));
    let before_frames = rx.try_iter().count();
    assert!(before_frames > 0, "the window painted no frame at all");
    let ticks_before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(5));
    let idle_frames = rx.try_iter().count();
    let ticks = cpu_ticks(pid) - ticks_before;
    child.kill().ok();
    child.wait().ok();
    println!("idle 5 s: {idle_frames} frames, {ticks} CPU ticks");
    assert!(
        idle_frames <= 2,
        "{idle_frames} frames painted in 5 idle seconds"
    );
    assert!(
        ticks <= 10,
        "{ticks} CPU ticks (1/100 s) used in 5 idle seconds"
    );
}

/// utime + stime of all threads, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("process alive");
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat are utime and stime; we start counting at field 3.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}
