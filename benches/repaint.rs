//! Frames painted per second by the real `App` (headless, real core) under an
//! eframe-like loop that paints when egui asks for a repaint, as winit does:
//! - while 100 tasks report progress at 10 Hz each (1000 wakes a second, delivered
//!   through the waker the window gives the core); goal ≤ 12 fps. Peer: the previous
//!   waker, one immediate repaint per event.
//! - idle, nothing running; goal 0.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Figure, full_run};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::ui::{App, AppOptions};

/// When egui wants the next frame (the earliest request wins, as in eframe).
type Due = Arc<Mutex<Option<Instant>>>;

fn app(ctx: &egui::Context, dir: &std::path::Path) -> App {
    let mut app = App::headless(
        ctx,
        AppOptions {
            paths: Paths::in_dir(&dir.join("data"), Some(dir.join("ws"))),
            runner: RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
            screenshot: None,
            open_project: None,
        },
    );
    for _ in 0..500 {
        frame(ctx, &mut app);
        if app.vm.system.is_some() && app.vm.tasks_loaded {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let start-up work (probes, first GPU reading) finish repainting.
    for _ in 0..50 {
        frame(ctx, &mut app);
        std::thread::sleep(Duration::from_millis(20));
    }
    app
}

fn frame(ctx: &egui::Context, app: &mut App) {
    ctx.run_ui(common::window_input(), |ui| app.ui_frame(ui))
        .textures_delta
        .clear();
}

/// Runs the paint loop for `secs`, calling `wake` from 100 threads at 10 Hz when
/// `progress`; returns frames painted per second.
fn fps(
    ctx: &egui::Context,
    app: &mut App,
    due: &Due,
    wake: slate::core::Waker,
    progress: bool,
    secs: f64,
) -> f64 {
    *due.lock().unwrap() = None;
    let stop = Arc::new(AtomicBool::new(false));
    let reporters: Vec<_> = (0..if progress { 100 } else { 0 })
        .map(|i| {
            let (stop, wake) = (stop.clone(), wake.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(i));
                while !stop.load(Ordering::Relaxed) {
                    wake();
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        })
        .collect();
    let start = Instant::now();
    let mut frames = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let now = Instant::now();
        let ready = due.lock().unwrap().is_some_and(|t| t <= now);
        if ready {
            *due.lock().unwrap() = None;
            frame(ctx, app);
            frames += 1;
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for r in reporters {
        r.join().ok();
    }
    frames as f64 / secs
}

fn main() {
    let secs = if full_run() { 5.0 } else { 1.5 };
    let dir = tempfile::tempdir().unwrap();
    let ctx = egui::Context::default();
    let due: Due = Arc::new(Mutex::new(None));
    let d = due.clone();
    ctx.set_request_repaint_callback(move |info| {
        let at = Instant::now() + info.delay;
        let mut slot = d.lock().unwrap();
        if slot.is_none_or(|t| at < t) {
            *slot = Some(at);
        }
    });
    let mut app = app(&ctx, dir.path());
    let idle = fps(&ctx, &mut app, &due, Arc::new(|| {}), false, secs);
    let coalesced = slate::ui::repaint::coalescing_waker(ctx.clone());
    let busy = fps(&ctx, &mut app, &due, coalesced, true, secs);
    let c = ctx.clone();
    let per_event: slate::core::Waker = Arc::new(move || c.request_repaint());
    let busy_peer = fps(&ctx, &mut app, &due, per_event, true, secs);
    common::write(
        "repaint",
        &[
            Figure::versus(
                "frames per second, 100 tasks reporting progress at 10 Hz (goal <= 12)",
                busy,
                "fps",
                "one repaint per event (before)",
                busy_peer,
            ),
            Figure::alone("frames per second, idle (goal 0)", idle, "fps"),
        ],
    );
    app.shutdown();
    assert!(
        busy <= 12.0,
        "{busy} fps while tasks report progress (goal <= 12)"
    );
    assert!(idle == 0.0, "{idle} fps while idle (goal 0)");
}
