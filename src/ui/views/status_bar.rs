//! The status bar: Docker, GPU, git-lfs and the queue, from the core's probes.

use crate::probe::Probe;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::UiExt as _;

pub fn status_bar_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
    ui.horizontal_centered(|ui| {
        match &ctx.vm.system {
            None => {
                ui.status_dot(
                    None,
                    "Checking Docker, GPU and git-lfs…",
                    "Probing the system",
                );
            }
            Some(info) => {
                probe_dot(ui, "Docker", &info.docker, "not reachable");
                ui.separator();
                match (&info.nvidia_driver, info.gpus.len()) {
                    (Ok(driver), n) => ui.status_dot(
                        Some(n > 0),
                        &format!("GPU: {n}"),
                        &format!("NVIDIA driver {driver}"),
                    ),
                    (Err(e), _) => ui.status_dot(Some(false), "GPU: no NVIDIA driver", e),
                };
                ui.separator();
                probe_dot(ui, "git-lfs", &info.git_lfs, "missing");
            }
        }
        ui.separator();
        let vm = ctx.vm;
        let queued = vm.queued_count();
        let running = vm.active().count();
        let mut text = format!("Queue: {queued} queued, {running} running");
        if vm.queue_paused {
            text += " (paused)";
        }
        let ok = if vm.runner_error.is_some() {
            Some(false)
        } else {
            None
        };
        ui.status_dot(
            ok,
            &text,
            vm.runner_error
                .as_deref()
                .unwrap_or("Tasks waiting and running"),
        );
    });
}

fn probe_dot(ui: &mut egui::Ui, name: &str, probe: &Probe, missing: &str) {
    match probe {
        Ok(v) => ui.status_dot(Some(true), name, v),
        Err(e) => ui.status_dot(Some(false), &format!("{name}: {missing}"), e),
    };
}
