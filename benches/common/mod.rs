//! Shared by the benches: figures written to `target/bench-results/<bench>.json` and
//! printed as a table with the peer's figure and the ratio.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(serde::Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub peer: Option<String>,
    pub peer_value: Option<f64>,
    /// value / peer_value (lower is better for times, higher for throughputs; the name says).
    pub ratio: Option<f64>,
}

impl Figure {
    pub fn alone(name: &str, value: f64, unit: &str) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            peer: None,
            peer_value: None,
            ratio: None,
        }
    }

    pub fn versus(name: &str, value: f64, unit: &str, peer: &str, peer_value: f64) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            peer: Some(peer.into()),
            peer_value: Some(peer_value),
            ratio: (peer_value != 0.0).then(|| value / peer_value),
        }
    }
}

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs benches without it,
/// and then they run small so the suite stays fast.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

pub fn results_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-results")
}

pub fn write(bench: &str, figures: &[Figure]) {
    println!("\n{bench}:");
    for f in figures {
        match (&f.peer, f.peer_value, f.ratio) {
            (Some(p), Some(pv), Some(r)) => println!(
                "  {:<48} {:>12.3} {:<6} vs {p}: {pv:.3} → ratio {r:.3}",
                f.name, f.value, f.unit
            ),
            _ => println!("  {:<48} {:>12.3} {}", f.name, f.value, f.unit),
        }
    }
    // Quick runs (`cargo test --all-targets`) must not overwrite real figures.
    let dir = if full_run() {
        results_dir()
    } else {
        results_dir().join("quick")
    };
    std::fs::create_dir_all(&dir).expect("bench-results dir");
    let path = dir.join(format!("{bench}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(figures).unwrap()).expect("write results");
    println!("  → {}", path.display());
}

/// CPU time of the calling thread.
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Median wall time of `runs` calls.
pub fn median_wall(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// A frame's input for a 1600×1000 headless window.
pub fn window_input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 1000.0),
        )),
        ..Default::default()
    }
}

/// `bytes` of incompressible data (xorshift), written and synced: what a render or a
/// model file looks like to git-lfs and to the page cache.
pub fn write_random_file(path: &std::path::Path, bytes: usize, seed: u64) {
    use std::io::Write as _;
    let mut x = seed | 1;
    let chunk: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        f.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    f.flush().unwrap();
    f.get_ref().sync_all().unwrap();
}
