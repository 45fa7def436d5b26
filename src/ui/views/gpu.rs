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
        charts_ui(ui, ctx, g, window_s, now_s);
    });
    ui.add_space(theme::SPACE_M);
}

/// One history chart: what it shows, its points and its y range.
struct Chart {
    title: String,
    points: Vec<[f64; 2]>,
    y_max: f64,
    y_label: fn(f64) -> String,
    /// Round steps for the y grid (VRAM in whole GiB).
    y_steps: &'static [f64],
}

/// The four history charts of a GPU in a 2×2 grid (one column when narrow), each tall
/// enough to read, with time and unit labels on the axes.
fn charts_ui(ui: &mut egui::Ui, ctx: &ViewCtx<'_>, g: &GpuSample, window_s: f64, now_s: f64) {
    let ring = ctx.vm.gpu.ring(g.index);
    let from = now_s - window_s;
    let series = |f: fn(&crate::model::gpu_history::GpuPoint) -> f64| -> Vec<[f64; 2]> {
        ring.iter()
            .filter(|p| p.t_s >= from)
            .map(|p| [p.t_s - now_s, f(p)])
            .collect()
    };
    let opt = |v: Option<u32>, unit: &str| v.map_or("—".into(), |v| format!("{v}{unit}"));
    let charts = [
        Chart {
            title: format!("Utilisation · {}", opt(g.util_gpu, " %")),
            points: series(|p| p.util),
            y_max: 100.0,
            y_label: percent_label,
            y_steps: &SCALE_STEPS,
        },
        Chart {
            title: format!(
                "VRAM · {} of {}",
                vram_label(g.mem_used_mb as f64),
                vram_label(g.mem_total_mb as f64)
            ),
            points: series(|p| p.mem_used_mb),
            y_max: g.mem_total_mb as f64,
            y_label: vram_label,
            y_steps: &VRAM_STEPS_MIB,
        },
        Chart {
            title: format!("Temperature · {}", opt(g.temp_c, " °C")),
            points: series(|p| p.temp_c),
            y_max: 100.0,
            y_label: celsius_label,
            y_steps: &SCALE_STEPS,
        },
        Chart {
            title: format!(
                "Power · {}",
                g.power_w.map_or("—".into(), |w| format!("{w:.0} W"))
            ),
            points: series(|p| p.power_w),
            y_max: g.power_limit_w.unwrap_or(0.0),
            y_label: watts_label,
            y_steps: &SCALE_STEPS,
        },
    ];
    let per_row = if ui.available_width() >= 700.0 { 2 } else { 1 };
    let height = (ui.available_width() / per_row as f32 * 0.32).clamp(120.0, 220.0);
    for row in charts.chunks(per_row) {
        ui.columns(per_row, |cols| {
            for (col, chart) in cols.iter_mut().zip(row) {
                chart_ui(col, g.index, chart, window_s, height);
            }
        });
        ui.add_space(theme::SPACE_S);
    }
}

fn chart_ui(ui: &mut egui::Ui, gpu: u32, c: &Chart, window_s: f64, height: f32) {
    ui.label(egui::RichText::new(&c.title).strong());
    let y_label = c.y_label;
    let name = c.title.split(" · ").next().unwrap_or_default();
    let (y_max, y_steps) = (c.y_max.max(1.0), c.y_steps);
    Plot::new(("gpu_plot", gpu, name))
        .y_grid_spacer(move |input| round_marks(input.bounds, y_max, y_steps))
        .height(height)
        .include_x(-window_s)
        .include_x(0.0)
        .include_y(0.0)
        .include_y(c.y_max)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .show_x(false)
        .x_grid_spacer(move |input| round_marks(input.bounds, window_s, &TIME_STEPS_S))
        .x_axis_formatter(|mark, _| time_label(mark.value))
        .y_axis_formatter(move |mark, _| y_label(mark.value))
        .y_axis_min_width(48.0)
        .show(ui, |p| {
            p.line(
                Line::new(name, PlotPoints::from(c.points.clone()))
                    .stroke(egui::Stroke::new(1.5, theme::ACCENT)),
            )
        });
}

/// Steps for the time axis: round seconds and minutes.
const TIME_STEPS_S: [f64; 9] = [5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0];
/// Steps for percent, °C and watts.
const SCALE_STEPS: [f64; 9] = [1.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 500.0];
/// Steps for the VRAM axis: whole MiB and GiB amounts.
const VRAM_STEPS_MIB: [f64; 13] = [
    256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0, 10240.0, 16384.0, 20480.0, 32768.0, 40960.0,
    65536.0, 81920.0,
];

/// Grid marks at multiples of the first of `steps` that gives at most six over `span`.
fn round_marks(bounds: (f64, f64), span: f64, steps: &[f64]) -> Vec<egui_plot::GridMark> {
    let step = steps
        .iter()
        .copied()
        .find(|s| span.abs() / s <= 6.0)
        .unwrap_or(steps[steps.len() - 1]);
    let first = (bounds.0 / step).ceil() as i64;
    let last = (bounds.1 / step).floor() as i64;
    (first..=last)
        .map(|k| egui_plot::GridMark {
            value: k as f64 * step,
            step_size: step,
        })
        .collect()
}

/// An x-axis label for `secs` before now: "now", "-30 s", "-5 min", "-1:30".
pub fn time_label(secs: f64) -> String {
    let s = (-secs).round() as i64;
    match s {
        0 => "now".into(),
        s if s < 0 => String::new(),
        s if s < 120 => format!("-{s} s"),
        s if s % 60 == 0 => format!("-{} min", s / 60),
        s => format!("-{}:{:02}", s / 60, s % 60),
    }
}

/// A VRAM amount given in MiB: "0", "512 MiB", "1.5 GiB", "80 GiB".
pub fn vram_label(mib: f64) -> String {
    if mib <= 0.0 {
        "0".into()
    } else if mib < 1024.0 {
        format!("{mib:.0} MiB")
    } else {
        let gib = mib / 1024.0;
        if (gib - gib.round()).abs() < 0.05 {
            format!("{gib:.0} GiB")
        } else {
            format!("{gib:.1} GiB")
        }
    }
}

fn percent_label(v: f64) -> String {
    format!("{v:.0} %")
}

fn celsius_label(v: f64) -> String {
    format!("{v:.0} °C")
}

fn watts_label(v: f64) -> String {
    format!("{v:.0} W")
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
    // The task column sizes to its text (never cut short); a narrow window scrolls
    // the table sideways instead. Every column can be resized.
    egui::ScrollArea::horizontal()
        .id_salt("gpu_processes_scroll")
        .show(ui, |ui| process_table_ui(ui, ctx, &rows));
}

fn process_table_ui(
    ui: &mut egui::Ui,
    ctx: &mut ViewCtx<'_>,
    rows: &[(u32, &crate::model::gpu::GpuProcess)],
) {
    TableBuilder::new(ui)
        .id_salt("gpu_processes")
        .striped(true)
        .resizable(true)
        .vscroll(false)
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(120.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(40.0))
        .column(Column::auto().at_least(200.0))
        .column(Column::auto().at_least(80.0))
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
                        // Whole, never wrapped or cut: the column sizes to it.
                        ui.add(
                            egui::Label::new(format!("#{} {}{place}", t.id, t.function))
                                .wrap_mode(egui::TextWrapMode::Extend),
                        );
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
