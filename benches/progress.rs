//! UI CPU time per frame with 10,000 tasks in history and 100 running tasks each
//! reporting at 10 Hz (goal: p99 under 4 ms), and how fast the view model swallows a
//! flood of progress events, so a burst never makes the UI fall behind.

mod common;

use std::time::Instant;

use common::{Figure, full_run, percentile, thread_cpu};
use slate::events::Event;
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::runner::store::Store;
use slate::runner::task::{Task, TaskResources, TaskState};
use slate::ui::commands::UiCommand;
use slate::ui::tabs::Tab;
use slate::ui::{App, AppOptions};

fn task(id: u64, state: TaskState, now: u64) -> Task {
    let function = ["studio/video-gen", "studio/upscale", "demo/countdown"][id as usize % 3];
    Task {
        preset: Some("high".into()),
        params: [(
            "prompt".to_string(),
            serde_json::json!("rain on neon, 35mm"),
        )]
        .into(),
        project: Some("Midnight Noir".into()),
        shot: Some(format!("sh{:03}", id % 400)),
        state,
        progress: if state == TaskState::Succeeded {
            1.0
        } else {
            0.0
        },
        resources: TaskResources {
            timeout_s: 3600,
            ..Default::default()
        },
        started_ms: Some(now - 3_000_000 + id * 10),
        finished_ms: state.is_finished().then_some(now - 2_000_000 + id * 10),
        attempts: 1,
        gpu_index: Some(0),
        exit_code: state.is_finished().then_some(0),
        ..Task::queued(id, function, "1.0.0", now - 3_600_000 + id)
    }
}

fn main() {
    let (history, running, frames) = if full_run() {
        (10_000u64, 100u64, 600)
    } else {
        (500, 10, 30)
    };
    let now = slate::util::now_ms();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = Store::open(&data.join("tasks.redb")).unwrap().store;
        let tasks: Vec<Task> = (1..=history)
            .map(|i| task(i, TaskState::Succeeded, now))
            .collect();
        for chunk in tasks.chunks(5000) {
            store.put_all(chunk).unwrap();
        }
        for _ in 0..history {
            store.next_id().unwrap();
        }
    }
    let ctx = egui::Context::default();
    let mut app = App::headless(
        &ctx,
        AppOptions {
            paths: Paths::in_dir(&data, Some(dir.path().join("ws"))),
            runner: RunnerConfig {
                hold_queue: true,
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
            screenshot: None,
            open_project: None,
        },
    );
    for _ in 0..1000 {
        ctx.run_ui(common::window_input(), |ui| app.ui_frame(ui))
            .textures_delta
            .clear();
        if app.vm.tasks_loaded && app.vm.system.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        app.vm.tasks.len() as u64,
        history,
        "history loaded from the store"
    );
    // The running tasks, as the runner announces them.
    for i in 0..running {
        let mut t = task(history + 1 + i, TaskState::Running, now);
        t.finished_ms = None;
        app.vm.apply(Event::TaskUpdated { task: t }, now);
    }

    let mut figures = Vec::new();
    // 60 frames a second; 100 tasks × 10 Hz = 1000 progress events a second ≈ 17 a frame.
    let per_frame = (running * 10).div_ceil(60);
    let mut tick = 0u64;
    for tab in [Tab::Canvas, Tab::Tasks] {
        app.execute(&ctx, UiCommand::ShowTab(tab));
        let mut times = Vec::with_capacity(frames);
        for _ in 0..frames {
            let t0 = thread_cpu();
            for _ in 0..per_frame {
                tick += 1;
                let id = history + 1 + tick % running;
                let p = ((tick / running) % 100) as f32 / 100.0;
                app.vm.apply(
                    Event::TaskProgress {
                        id,
                        progress: p,
                        stage: Some("sampling".into()),
                        message: Some(format!("step {}/100", (p * 100.0) as u32)),
                        eta_s: None,
                    },
                    now,
                );
            }
            let mut out = ctx.run_ui(common::window_input(), |ui| app.ui_frame(ui));
            // Textures are a renderer's business; a headless frame drops them.
            out.textures_delta.clear();
            let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
            times.push((thread_cpu() - t0).as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let name = tab.title().to_lowercase();
        figures.push(Figure::alone(
            &format!("{name}: frame p50, {history} history + {running} running at 10 Hz (ms)"),
            percentile(&times, 0.5),
            "ms",
        ));
        figures.push(Figure::alone(
            &format!("{name}: frame p99, {history} history + {running} running at 10 Hz (ms)"),
            percentile(&times, 0.99),
            "ms",
        ));
    }
    // A flood: how many progress events a second the view model applies.
    let flood = if full_run() { 1_000_000 } else { 20_000 };
    let t0 = Instant::now();
    for k in 0..flood {
        let id = history + 1 + k % running;
        app.vm.apply(
            Event::TaskProgress {
                id,
                progress: 0.5,
                stage: None,
                message: None,
                eta_s: None,
            },
            now,
        );
    }
    figures.push(Figure::alone(
        "view model: progress events applied per second",
        flood as f64 / t0.elapsed().as_secs_f64(),
        "events/s",
    ));
    common::write("progress", &figures);
    app.shutdown();
}
