//! The status bar: Docker, GPU, git-lfs and the queue, from the core's probes.

use crate::model::system::Probe;
use crate::ui::theme;
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
                let gpu = &ctx.vm.gpu;
                if !gpu.latest.is_empty() {
                    let hot_c = ctx
                        .vm
                        .settings
                        .as_ref()
                        .map_or(85, |s| s.notifications.gpu_hot_c);
                    for g in &gpu.latest {
                        // Memory is sampled in MiB: shown in GiB, labelled so.
                        // The dot: green well below the warning threshold of
                        // Settings → Notifications, amber within 10 °C, red above.
                        let hot = g.temp_c.is_some_and(|t| u64::from(t) >= hot_c);
                        let temp = match g.temp_c {
                            Some(t) if hot => format!(" · {t} °C hot"),
                            Some(t) => format!(" · {t} °C"),
                            None => String::new(),
                        };
                        let text = format!(
                            "GPU{} {}% · {:.1}/{:.0} GiB{temp}",
                            g.index,
                            g.util_gpu.unwrap_or(0),
                            g.mem_used_mb as f64 / 1024.0,
                            g.mem_total_mb as f64 / 1024.0
                        );
                        let hover = match g.temp_c {
                            Some(t) if hot => {
                                format!("{}: {t} °C, at or above the {hot_c} °C warning", g.name)
                            }
                            Some(t) => format!("{}: {t} °C", g.name),
                            None => g.name.clone(),
                        };
                        ui.coloured_dot(theme::temperature_colour(g.temp_c, hot_c), &text, &hover);
                    }
                } else {
                    match (&info.nvidia_driver, &gpu.error) {
                        (_, Some(e)) if e.contains("driver") => {
                            ui.status_dot(Some(false), "GPU: no NVIDIA driver", e)
                        }
                        (_, Some(e)) => ui.status_dot(Some(false), "GPU: unavailable", e),
                        (Ok(driver), None) => ui.status_dot(
                            Some(!info.gpus.is_empty()),
                            &format!("GPU: {}", info.gpus.len()),
                            &format!("NVIDIA driver {driver}"),
                        ),
                        (Err(e), None) => ui.status_dot(Some(false), "GPU: no NVIDIA driver", e),
                    };
                }
                // Remote Docker hosts after this machine's GPUs, one dot each.
                for h in &ctx.vm.docker_hosts {
                    ui.separator();
                    let gpus = match h.gpus.len() {
                        0 => "no GPU".to_string(),
                        n => format!("{n} GPU"),
                    };
                    match h.reachable {
                        Some(true) => ui.status_dot(
                            Some(true),
                            &format!("{}: {gpus}", h.name),
                            &format!("{} · {}", h.url, h.gpu_note),
                        ),
                        Some(false) => ui.status_dot(
                            Some(false),
                            &format!("{}: unreachable", h.name),
                            h.error.as_deref().unwrap_or("no answer"),
                        ),
                        None => ui.status_dot(None, &h.name, "checking…"),
                    };
                }
                ui.separator();
                probe_dot(ui, "git-lfs", &info.git_lfs, "missing");
            }
        }
        ui.separator();
        let vm = ctx.vm;
        if let Some(address) = &vm.linked_to {
            ui.status_dot(
                None,
                "Linked to slate serve",
                &format!(
                    "Another Slate ({address}) owns this data dir and runs the queue; this window is its client"
                ),
            );
            ui.separator();
        }
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
