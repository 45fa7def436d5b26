//! Frames painted per second by the real `App` (headless, real core) under an
//! eframe-like loop that paints when egui asks for a repaint, as winit does:
//! - while 100 real tasks (`demo/countdown` processes) report progress at 10 Hz each,
//!   with the progress area on screen; goal ≤ 12 fps. Peer: the core events the window
//!   received per second, which the window before coalescing painted one frame each for.
//! - the same tasks with the right panel hidden, so no task's progress is on screen:
//!   only what is visible repaints.
//! - idle, nothing running; goal 0.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Figure, full_run};
use slate::events::Command;
use slate::model::task::TaskRequest;
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::ui::commands::UiCommand;
use slate::ui::{App, AppOptions};

const TASKS: usize = 100;

/// When egui wants the next frame (the earliest request wins, as in eframe).
type Due = Arc<Mutex<Option<Instant>>>;

fn app(ctx: &egui::Context, dir: &std::path::Path) -> App {
    // All hundred run at once (the default runs two).
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("settings.toml"),
        format!("[runner]\nmax_concurrent = {TASKS}\n"),
    )
    .unwrap();
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
    settle(ctx, &mut app, "start-up", |a| {
        a.vm.system.is_some() && a.vm.tasks_loaded && !a.vm.functions.is_empty()
    });
    // Let start-up work (probes, first GPU reading) finish repainting.
    for _ in 0..50 {
        frame(ctx, &mut app);
        std::thread::sleep(Duration::from_millis(20));
    }
    app
}

/// One frame; returns when egui asks for the next one (`Duration::MAX`: not at all).
fn frame(ctx: &egui::Context, app: &mut App) -> Duration {
    let mut out = ctx.run_ui(common::window_input(), |ui| app.ui_frame(ui));
    out.textures_delta.clear();
    out.viewport_output
        .get(&egui::ViewportId::ROOT)
        .map_or(Duration::MAX, |v| v.repaint_delay)
}

/// Paints frames until `done` holds (a minute at most).
fn settle(ctx: &egui::Context, app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !done(app) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited a minute for {what}"
        );
        frame(ctx, app);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A frame `after` from now, unless one is due sooner (the earliest request wins).
fn schedule(due: &Due, after: Duration) {
    if let Some(at) = Instant::now().checked_add(after) {
        let mut slot = due.lock().unwrap();
        if slot.is_none_or(|t| at < t) {
            *slot = Some(at);
        }
    }
}

/// Runs the paint loop for `secs`; returns (frames painted, core events received) per
/// second.
fn fps(ctx: &egui::Context, app: &mut App, due: &Due, secs: f64) -> (f64, f64) {
    // Everything asked before this frame is history: the loop starts with what this
    // frame asked for, as egui itself does (clearing that too would leave egui waiting
    // for a repaint that never comes, and it would not ask again for a later one).
    *due.lock().unwrap() = None;
    let next = frame(ctx, app);
    schedule(due, next);
    let events_before = app.vm.events_applied;
    let start = Instant::now();
    let mut frames = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let now = Instant::now();
        let ready = due.lock().unwrap().is_some_and(|t| t <= now);
        if ready {
            *due.lock().unwrap() = None;
            let next = frame(ctx, app);
            // What the frame asked for, as eframe schedules it (requests from other
            // threads arrive through the callback).
            schedule(due, next);
            frames += 1;
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    // The events that arrived and were not painted yet count too.
    app.pump_events(ctx);
    let events = app.vm.events_applied - events_before;
    (frames as f64 / secs, events as f64 / secs)
}

fn countdown() -> TaskRequest {
    TaskRequest {
        function: "demo/countdown".into(),
        // Ten progress lines a second, for far longer than the bench runs.
        params: [
            ("steps".to_string(), "100000".to_string()),
            ("interval".to_string(), "0.1".to_string()),
        ]
        .into(),
        ..Default::default()
    }
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
    let (idle, _) = fps(&ctx, &mut app, &due, secs);

    let commands = app.commands_for_tests();
    for _ in 0..TASKS {
        commands.send(Command::SubmitTask {
            request: countdown(),
        });
    }
    settle(&ctx, &mut app, "every task reporting progress", |a| {
        let reporting =
            a.vm.active()
                .filter(|t| t.progress > 0.0 && t.progress < 1.0)
                .count();
        reporting == TASKS
    });
    let (busy, events) = fps(&ctx, &mut app, &due, secs);
    let on_screen = app.shown_tasks().len();

    app.execute(&ctx, UiCommand::ToggleRightPanel);
    frame(&ctx, &mut app);
    let (hidden, _) = fps(&ctx, &mut app, &due, secs);
    let hidden_shown = app.shown_tasks().len();

    for id in app.vm.active().map(|t| t.id).collect::<Vec<_>>() {
        commands.send(Command::CancelTask { id });
    }
    settle(&ctx, &mut app, "every task cancelled", |a| {
        a.vm.active().next().is_none()
    });
    common::write(
        "repaint",
        &[
            Figure::versus(
                "frames per second, 100 tasks reporting progress at 10 Hz (goal <= 12)",
                busy,
                "fps",
                "core events received per second (one frame each before)",
                events,
            ),
            Figure::alone(
                "frames per second, the same with no task's progress on screen",
                hidden,
                "fps",
            ),
            Figure::alone(
                "tasks whose progress was on screen (of 100)",
                on_screen as f64,
                "tasks",
            ),
            Figure::alone("frames per second, idle (goal 0)", idle, "fps"),
        ],
    );
    app.shutdown();
    assert!(
        events > 100.0,
        "only {events} events a second: the tasks are not reporting"
    );
    assert!(
        busy <= 12.0,
        "{busy} fps while tasks report progress (goal <= 12)"
    );
    assert!(
        on_screen > 0 && on_screen < TASKS,
        "{on_screen} tasks counted on screen: the progress area shows some, not all"
    );
    assert_eq!(
        hidden_shown, 0,
        "no task is on screen with the panel hidden"
    );
    assert!(
        hidden < busy,
        "{hidden} fps with nothing on screen, {busy} with progress shown"
    );
    assert!(idle == 0.0, "{idle} fps while idle (goal 0)");
}
