//! The Tasks tab: the queue and history in a virtualised, filterable table, with a
//! detail pane for the selected task.

use egui_extras::{Column, TableBuilder};

use crate::events::Command;
use crate::runner::task::{Task, TaskState};
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::UiExt as _;
use crate::util::format_duration_secs;

#[derive(Default)]
pub struct TasksView {
    filter: String,
    state: Option<TaskState>,
}

impl TasksView {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let vm = ctx.vm;
        if !vm.tasks_loaded {
            if let Some(e) = &vm.runner_error {
                ui.empty_state("The task runner is not available", e);
            } else {
                ui.empty_state("Loading tasks…", "Reading the task database");
            }
            return;
        }
        ui.horizontal(|ui| {
            ui.labelled_text("Filter", &mut self.filter);
            egui::ComboBox::from_label("State")
                .selected_text(self.state.map_or("any", |s| s.label()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.state, None, "any");
                    for s in TaskState::ALL {
                        ui.selectable_value(&mut self.state, Some(s), s.label());
                    }
                });
            let (label, paused) = if vm.queue_paused {
                ("Resume queue", false)
            } else {
                ("Pause queue", true)
            };
            if ui.button(label).clicked() {
                ctx.commands.send(Command::PauseQueue { paused });
            }
        });
        if vm.tasks.is_empty() {
            ui.empty_state(
                "No tasks yet",
                "Run a function with Ctrl+R, or `slate run demo/countdown` from a terminal",
            );
            return;
        }
        let needle = self.filter.to_lowercase();
        let rows: Vec<&Task> = vm
            .tasks
            .values()
            .rev()
            .filter(|t| self.state.is_none_or(|s| t.state == s))
            .filter(|t| {
                needle.is_empty()
                    || t.function.to_lowercase().contains(&needle)
                    || t.id.to_string() == needle
                    || t.project
                        .as_deref()
                        .is_some_and(|p| p.to_lowercase().contains(&needle))
            })
            .collect();
        let detail_height = if ctx.selected_task.is_some() {
            220.0
        } else {
            0.0
        };
        let table_height = (ui.available_height() - detail_height).max(120.0);
        TableBuilder::new(ui)
            .striped(true)
            .max_scroll_height(table_height)
            .sense(egui::Sense::click())
            .column(Column::exact(90.0))
            .column(Column::exact(50.0))
            .column(Column::remainder().at_least(140.0))
            .column(Column::exact(120.0))
            .column(Column::exact(60.0))
            .column(Column::exact(80.0))
            .column(Column::exact(70.0))
            .header(theme::ROW_HEIGHT, |mut h| {
                for title in [
                    "State",
                    "Id",
                    "Function",
                    "Project/shot",
                    "Priority",
                    "Duration",
                    "Attempts",
                ] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, rows.len(), |mut row| {
                    let t = rows[row.index()];
                    row.set_selected(*ctx.selected_task == Some(t.id));
                    row.col(|ui| {
                        ui.colored_label(
                            theme::state_colour(t.state),
                            format!("{} {}", theme::state_icon(t.state), t.state.label()),
                        );
                    });
                    row.col(|ui| {
                        ui.label(t.id.to_string());
                    });
                    row.col(|ui| {
                        ui.label(&t.function);
                    });
                    row.col(|ui| {
                        ui.label(match (&t.project, &t.shot) {
                            (Some(p), Some(s)) => format!("{p}/{s}"),
                            (Some(p), None) => p.clone(),
                            _ => "—".into(),
                        });
                    });
                    row.col(|ui| {
                        ui.label(t.priority.to_string());
                    });
                    row.col(|ui| {
                        ui.label(
                            t.duration_ms(ctx.now_ms)
                                .map(|d| format_duration_secs(d as f64 / 1000.0))
                                .unwrap_or_else(|| "—".into()),
                        );
                    });
                    row.col(|ui| {
                        ui.label(t.attempts.to_string());
                    });
                    if row.response().clicked() {
                        *ctx.selected_task = Some(t.id);
                    }
                });
            });
        if let Some(id) = *ctx.selected_task
            && let Some(t) = vm.tasks.get(&id)
        {
            ui.separator();
            task_detail_ui(ui, ctx, t);
        }
    }
}

/// Parameters, resources, state and the tail of the log for one task.
pub fn task_detail_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, t: &Task) {
    ui.horizontal(|ui| {
        ui.heading(t.title());
        ui.colored_label(theme::state_colour(t.state), t.state.label());
        if (t.state == TaskState::Queued || t.state.is_active()) && ui.button("Cancel").clicked() {
            ctx.commands.send(Command::CancelTask { id: t.id });
        }
        if t.state.can_retry() && ui.button("Retry").clicked() {
            ctx.commands.send(Command::RetryTask { id: t.id });
        }
        if t.state == TaskState::Queued {
            if ui.button("Move up").clicked() {
                ctx.commands.send(Command::MoveTask { id: t.id, up: true });
            }
            if ui.button("Move down").clicked() {
                ctx.commands.send(Command::MoveTask {
                    id: t.id,
                    up: false,
                });
            }
        }
    });
    if let Some(e) = &t.error {
        ui.colored_label(theme::ERROR, e);
    }
    egui::ScrollArea::vertical()
        .id_salt("task_detail")
        .max_height(160.0)
        .show(ui, |ui| {
            egui::Grid::new("task_params")
                .num_columns(2)
                .show(ui, |ui| {
                    for (k, v) in &t.params {
                        ui.label(k);
                        ui.monospace(v.to_string());
                        ui.end_row();
                    }
                    ui.label("timeout");
                    ui.label(format_duration_secs(t.resources.timeout_s as f64));
                    ui.end_row();
                    if t.resources.gpu {
                        ui.label("VRAM");
                        ui.label(format!("{} MB", t.resources.vram_mb));
                        ui.end_row();
                    }
                    if let Some(c) = t.exit_code {
                        ui.label("exit code");
                        ui.label(c.to_string());
                        ui.end_row();
                    }
                    for o in &t.outputs {
                        ui.label("output");
                        ui.monospace(o);
                        ui.end_row();
                    }
                });
            if let Some(log) = ctx.vm.logs.get(&t.id) {
                for (stderr, line) in log.iter().rev().take(50).rev() {
                    let text = egui::RichText::new(line).monospace();
                    ui.label(if *stderr {
                        text.color(theme::WARN)
                    } else {
                        text
                    });
                }
            }
        });
}
