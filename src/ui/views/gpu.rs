//! The GPU tab: a card per GPU with live figures and history plots (5 / 15 / 60 min),
//! and a processes table whose rows name the Slate task that owns them.

use egui_extras::{Column, TableBuilder};
use egui_plot::{Line, Plot, PlotPoints};

use crate::events::Command;
use crate::model::gpu::GpuSample;
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::UiExt as _;
use crate::util::format_bytes;

pub const WINDOWS_MIN: [u32; 3] = [5, 15, 60];

#[derive(Default)]
pub struct GpuView {
    window: usize,
}

/// What to install when there is no driver, per OS.
pub const INSTALL_STEPS: &str = "Linux: install the NVIDIA driver from your distribution (Ubuntu: `sudo ubuntu-drivers install`; Debian: `sudo apt install nvidia-driver`), then reboot.\nWindows: install the Game Ready or Studio driver from nvidia.com.\nContainers also need the NVIDIA Container Toolkit.\nEverything else in Slate works without a GPU.";

impl GpuView {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let vm = ctx.vm;
        let h = &vm.gpu;
        // GPUs are grouped by host: this machine first, then each remote Docker host.
        let remote = !vm.docker_hosts.is_empty();
        if remote {
            ui.section_heading("local · this machine");
        }
        if let Some(e) = &h.error {
            ui.empty_state(
                "No NVIDIA GPU available",
                &format!("{e}\n\n{INSTALL_STEPS}"),
            );
            remote_hosts_ui(ui, ctx);
            return;
        }
        if h.latest.is_empty() {
            if h.latest_ms == 0 {
                ui.empty_state("GPU", "Reading the GPUs…");
            } else {
                ui.empty_state("No GPUs found", "NVML is working but reports no GPU");
            }
            remote_hosts_ui(ui, ctx);
            return;
        }
        ui.horizontal(|ui| {
            ui.label("History:");
            for (i, m) in WINDOWS_MIN.iter().enumerate() {
                if ui
                    .selectable_label(self.window == i, format!("{m} min"))
                    .clicked()
                {
                    self.window = i;
                }
            }
        });
        let window_s = WINDOWS_MIN[self.window] as f64 * 60.0;
        let now_s = h.latest_ms as f64 / 1000.0;
        egui::ScrollArea::vertical()
            .id_salt("gpu_cards")
            .show(ui, |ui| {
                for g in &h.latest {
                    card_ui(ui, ctx, g, window_s, now_s);
                }
                ui.section_heading("Processes");
                processes_ui(ui, ctx);
                remote_hosts_ui(ui, ctx);
            });
    }
}

/// A section per remote Docker host: its state, the GPUs it has (declared in Settings;
/// a remote engine reports no VRAM) and the Slate tasks running there.
fn remote_hosts_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
    for host in &ctx.vm.docker_hosts {
        ui.add_space(theme::SPACE_M);
        ui.section_heading(&format!("{} · {}", host.name, host.url));
        match host.reachable {
            Some(true) => ui.status_dot(
                Some(true),
                host.engine.as_deref().unwrap_or("reachable"),
                "Checked every few seconds",
            ),
            Some(false) => ui.status_dot(
                Some(false),
                "unreachable",
                host.error.as_deref().unwrap_or("no answer"),
            ),
            None => ui.status_dot(None, "checking…", "Not checked yet"),
        };
        if host.gpus.is_empty() {
            ui.weak(if host.gpu_note.is_empty() {
                "no GPU reported"
            } else {
                &host.gpu_note
            });
        }
        for (i, mb) in host.gpus.iter().enumerate() {
            let on_it: Vec<String> = ctx
                .vm
                .tasks
                .values()
                .filter(|t| {
                    t.state.is_active()
                        && t.host.as_deref() == Some(host.name.as_str())
                        && t.gpu_index == Some(i as u32)
                })
                .map(|t| format!("#{} {}", t.id, t.function))
                .collect();
            let tasks = if on_it.is_empty() {
                "idle".to_string()
            } else {
                on_it.join(", ")
            };
            ui.label(format!(
                "GPU {i} · {} · {tasks}",
                crate::model::gpu::gb(*mb)
            ));
        }
    }
}

fn card_ui(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, g: &GpuSample, window_s: f64, now_s: f64) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(format!("GPU {} · {}", g.index, g.name)).strong());
            if !g.uuid.is_empty() {
                ui.weak(&g.uuid);
            }
        });
        let opt = |v: Option<u32>, unit: &str| {
            v.map(|v| format!("{v}{unit}"))
                .unwrap_or_else(|| "—".into())
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Util {}", opt(g.util_gpu, "%")));
            ui.separator();
            ui.label(format!("Mem util {}", opt(g.util_mem, "%")));
            ui.separator();
            ui.label(format!(
                "VRAM {} used · {} free · {} total",
                format_bytes(g.mem_used_mb * 1_048_576),
                format_bytes(g.mem_free_mb * 1_048_576),
                format_bytes(g.mem_total_mb * 1_048_576)
            ));
            ui.separator();
            let temp = g
                .temp_c
                .map(|t| format!("{t} °C"))
                .unwrap_or_else(|| "—".into());
            let hot = g.temp_c.unwrap_or(0) as u64
                >= ctx
                    .vm
                    .settings
                    .as_ref()
                    .map_or(85, |s| s.notifications.gpu_hot_c);
            ui.colored_label(
                if hot {
                    theme::ERROR
                } else {
                    ui.visuals().text_color()
                },
                temp,
            );
            ui.separator();
            let power = match (g.power_w, g.power_limit_w) {
                (Some(p), Some(l)) => format!("{p:.0} / {l:.0} W"),
                (Some(p), None) => format!("{p:.0} W"),
                _ => "— W".into(),
            };
            ui.label(power);
            ui.separator();
            ui.label(format!(
                "SM {} · Mem {}",
                opt(g.sm_clock_mhz, " MHz"),
                opt(g.mem_clock_mhz, " MHz")
            ));
            ui.separator();
            ui.label(format!("Fan {}", opt(g.fan_pct, "%")));
        });
        let ring = ctx.vm.gpu.ring(g.index);
        let from = now_s - window_s;
        let series = |f: fn(&crate::model::gpu_history::GpuPoint) -> f64| -> Vec<[f64; 2]> {
            ring.iter()
                .filter(|p| p.t_s >= from)
                .map(|p| [p.t_s - now_s, f(p)])
                .collect()
        };
        ui.columns(4, |cols| {
            let plots: [(&str, Vec<[f64; 2]>, f64); 4] = [
                ("Utilisation %", series(|p| p.util), 100.0),
                ("VRAM MiB", series(|p| p.mem_used_mb), g.mem_total_mb as f64),
                ("Temperature °C", series(|p| p.temp_c), 100.0),
                (
                    "Power W",
                    series(|p| p.power_w),
                    g.power_limit_w.unwrap_or(0.0),
                ),
            ];
            for (col, (title, points, max)) in cols.iter_mut().zip(plots) {
                col.weak(title);
                Plot::new(("gpu_plot", g.index, title))
                    .height(90.0)
                    .include_x(-window_s)
                    .include_x(0.0)
                    .include_y(0.0)
                    .include_y(max)
                    .allow_drag(false)
                    .allow_zoom(false)
                    .allow_scroll(false)
                    .allow_boxed_zoom(false)
                    .show_x(false)
                    .show(col, |p| {
                        p.line(
                            Line::new(title, PlotPoints::from(points))
                                .stroke(egui::Stroke::new(1.5, theme::ACCENT)),
                        )
                    });
            }
        });
    });
    ui.add_space(theme::SPACE_M);
}

fn processes_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
    let rows: Vec<(u32, &crate::model::gpu::GpuProcess)> = ctx
        .vm
        .gpu
        .latest
        .iter()
        .flat_map(|g| g.processes.iter().map(move |p| (g.index, p)))
        .collect();
    if rows.is_empty() {
        ui.weak("No compute processes on any GPU");
        return;
    }
    TableBuilder::new(ui)
        .id_salt("gpu_processes")
        .striped(true)
        .column(Column::exact(70.0))
        .column(Column::exact(140.0))
        .column(Column::exact(90.0))
        .column(Column::exact(50.0))
        .column(Column::remainder().at_least(200.0))
        .column(Column::exact(80.0))
        .header(theme::ROW_HEIGHT, |mut h| {
            for t in ["PID", "Name", "VRAM", "GPU", "Slate task", ""] {
                h.col(|ui| {
                    ui.strong(t);
                });
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, rows.len(), |mut row| {
                let (gpu, p) = rows[row.index()];
                let task = p.task.and_then(|id| ctx.vm.tasks.get(&id));
                row.col(|ui| {
                    ui.label(p.pid.to_string());
                });
                row.col(|ui| {
                    ui.label(&p.name);
                });
                row.col(|ui| {
                    ui.label(format!("{} MiB", p.used_mb));
                });
                row.col(|ui| {
                    ui.label(gpu.to_string());
                });
                row.col(|ui| match task {
                    Some(t) => {
                        let place = match (&t.project, &t.shot) {
                            (Some(p), Some(s)) => format!(" · {p}/{s}"),
                            (Some(p), None) => format!(" · {p}"),
                            _ => String::new(),
                        };
                        ui.label(format!("#{} {}{place}", t.id, t.function));
                    }
                    None => {
                        ui.weak("not a Slate task");
                    }
                });
                row.col(|ui| {
                    if let Some(t) = task
                        && t.state.is_active()
                        && ui
                            .button("Cancel")
                            .on_hover_text(format!("Cancel {}", t.title()))
                            .clicked()
                    {
                        ctx.commands.send(Command::CancelTask { id: t.id });
                    }
                });
            });
        });
}
