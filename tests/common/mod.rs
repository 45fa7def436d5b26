//! Shared helpers for integration tests: a real `App` in an egui_kittest harness, with
//! its own data dir and workspace, and a way to wait for the core's events.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::ui::{App, AppOptions};

pub fn options(dir: &Path) -> AppOptions {
    AppOptions {
        paths: Paths::in_dir(&dir.join("data"), Some(dir.join("workspace"))),
        runner: RunnerConfig {
            slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
            ..Default::default()
        },
        screenshot: None,
        open_project: None,
    }
}

pub fn harness(dir: &Path) -> Harness<'static, App> {
    harness_with(options(dir))
}

pub fn harness_with(options: AppOptions) -> Harness<'static, App> {
    Harness::builder()
        .with_size([1280.0, 800.0])
        .wgpu()
        .build_eframe(move |cc| App::new(cc, options))
}

/// Steps the UI until `pred` holds, failing with `what` after `secs` seconds.
pub fn wait_until(
    h: &mut Harness<'static, App>,
    what: &str,
    secs: u64,
    pred: impl Fn(&Harness<'static, App>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        h.step();
        if pred(h) {
            h.run_steps(2);
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for settings, the system probe and the task snapshot, as a user waits for
/// the window to settle.
pub fn settle(h: &mut Harness<'static, App>) {
    wait_until(h, "core to load settings, probe and tasks", 30, |h| {
        let vm = &h.state().vm;
        vm.settings.is_some() && vm.system.is_some() && vm.tasks_loaded
    });
}

pub fn data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}

pub fn snapshot_options() -> egui_kittest::SnapshotOptions {
    egui_kittest::SnapshotOptions::new()
        .threshold(1.0)
        .max_failed_pixels(10)
}

/// One view rendered alone from a fixed view model and clock (snapshots, view tests).
pub fn view_harness(
    vm: slate::ui::view_model::ViewModel,
    size: [f32; 2],
    now_ms: u64,
    mut view: impl FnMut(&mut egui::Ui, &mut slate::ui::views::ViewCtx<'_>) + 'static,
) -> Harness<'static> {
    let commands = slate::core::CommandSender::detached();
    Harness::builder()
        .with_size(size)
        .wgpu()
        .build_ui(move |ui| {
            let (mut pending, mut selected) = (Vec::new(), None);
            let mut ctx = slate::ui::views::ViewCtx {
                vm: &vm,
                commands: &commands,
                ui_commands: &mut pending,
                selected_task: &mut selected,
                now_ms,
                progress_expanded_for: 0,
            };
            view(ui, &mut ctx);
        })
}

/// Runs the palette's best match for `words` (Ctrl+K, type, Enter).
#[allow(dead_code)]
pub fn palette(h: &mut Harness<'static, App>, words: &str) {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(3);
    h.get_by_label("Search commands").type_text(words);
    h.run_steps(3);
    h.key_press(Key::Enter);
    h.run_steps(4);
}
