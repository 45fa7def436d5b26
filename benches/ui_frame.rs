//! UI CPU time per frame for each main view, on a headless egui context with the real
//! App and core: the baseline later work must keep. No peer renders Slate's views, so
//! the figures stand alone.

mod common;

use std::time::Duration;

use common::{Figure, full_run, percentile, thread_cpu};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::ui::tabs::Tab;
use slate::ui::{App, AppOptions};

fn main() {
    let frames = if full_run() { 2000 } else { 50 };
    let dir = tempfile::tempdir().unwrap();
    let ctx = egui::Context::default();
    let mut app = App::headless(
        &ctx,
        AppOptions {
            paths: Paths::in_dir(&dir.path().join("data"), Some(dir.path().join("ws"))),
            runner: RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
            screenshot: None,
            open_project: None,
        },
    );
    // Settle: settings, probes and the task snapshot arrive from the core.
    for _ in 0..500 {
        ctx.run_ui(common::window_input(), |ui| app.ui_frame(ui))
            .textures_delta
            .clear();
        if app.vm.system.is_some() && app.vm.tasks_loaded {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut figures = Vec::new();
    for tab in Tab::ALL {
        app.execute(&ctx, slate::ui::commands::UiCommand::ShowTab(tab));
        for _ in 0..5 {
            ctx.run_ui(common::window_input(), |ui| app.ui_frame(ui))
                .textures_delta
                .clear();
        }
        let mut times: Vec<f64> = (0..frames)
            .map(|_| {
                let t = thread_cpu();
                let mut out = ctx.run_ui(common::window_input(), |ui| app.ui_frame(ui));
                // Tessellation is part of a frame's CPU cost on the UI thread.
                // Textures are a renderer's business; a headless frame drops them.
                out.textures_delta.clear();
                let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
                (thread_cpu() - t).as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let name = tab.title().to_lowercase();
        figures.push(Figure::alone(
            &format!("{name} frame p50"),
            percentile(&times, 0.5),
            "ms",
        ));
        figures.push(Figure::alone(
            &format!("{name} frame p99"),
            percentile(&times, 0.99),
            "ms",
        ));
    }
    common::write("ui_frame", &figures);
    app.shutdown();
}
