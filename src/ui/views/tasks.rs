//! The Tasks tab: the whole queue and history in a sortable, filterable, virtualised
//! table with multi-select, keyboard reordering, and a detail pane with parameters,
//! resources, outputs and the full log (virtualised, searchable, follow mode).
//!
//! Keys (when no text field has focus): ↑/↓ select, Shift+↑/↓ extend, Alt+↑/↓ move a
//! queued task, Delete cancels the selection, Ctrl+Enter retries it, +/− reprioritise.

use std::collections::BTreeSet;

use egui_extras::{Column, TableBuilder};

use crate::events::Command;
use crate::model::logfile::{self, LogLine};
use crate::model::progress;
use crate::model::task::{Task, TaskId, TaskState};
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::UiExt as _;
use crate::util::format_duration_secs;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum SortKey {
    #[default]
    Id,
    State,
    Function,
    Project,
    Priority,
    Duration,
    Attempts,
}

const COLUMNS: [(&str, SortKey); 7] = [
    ("State", SortKey::State),
    ("Id", SortKey::Id),
    ("Function", SortKey::Function),
    ("Project/shot", SortKey::Project),
    ("Priority", SortKey::Priority),
    ("Duration", SortKey::Duration),
    ("Attempts", SortKey::Attempts),
];

pub struct TasksView {
    filter: String,
    state: Option<TaskState>,
    sort: SortKey,
    descending: bool,
    selected: BTreeSet<TaskId>,
    /// The row keyboard selection moves from.
    cursor: Option<TaskId>,
    /// Where a Shift+↑/↓ or Shift+click range starts (the last plain selection).
    anchor: Option<TaskId>,
    log_search: String,
    follow: bool,
    /// Progress reports (JSON lines, tqdm bars) in the log; hidden by default: the
    /// progress bar shows them.
    show_progress: bool,
}

impl Default for TasksView {
    fn default() -> Self {
        Self {
            filter: String::new(),
            state: None,
            sort: SortKey::Id,
            descending: true,
            selected: BTreeSet::new(),
            cursor: None,
            anchor: None,
            log_search: String::new(),
            follow: true,
            show_progress: false,
        }
    }
}

fn project_text(t: &Task) -> String {
    // The project's folder name, whether the run named it or its whole path (the CLI).
    let name = |p: &str| {
        std::path::Path::new(p)
            .file_name()
            .map_or_else(|| p.to_string(), |n| n.to_string_lossy().into_owned())
    };
    match (&t.project, &t.shot) {
        (Some(p), Some(s)) => format!("{}/{s}", name(p)),
        (Some(p), None) => name(p),
        _ => "—".into(),
    }
}

impl TasksView {
    fn rows<'a>(&self, ctx: &ViewCtx<'a>) -> Vec<&'a Task> {
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<&Task> = ctx
            .vm
            .tasks
            .values()
            .filter(|t| self.state.is_none_or(|s| t.state == s))
            .filter(|t| {
                needle.is_empty()
                    || t.function.to_lowercase().contains(&needle)
                    || t.id.to_string() == needle
                    || project_text(t).to_lowercase().contains(&needle)
            })
            .collect();
        let now = ctx.now_ms;
        match self.sort {
            SortKey::Id => {}
            SortKey::State => rows.sort_by_key(|t| t.state.label()),
            SortKey::Function => rows.sort_by(|a, b| a.function.cmp(&b.function)),
            SortKey::Project => rows.sort_by_key(|t| project_text(t)),
            SortKey::Priority => rows.sort_by_key(|t| (t.priority, std::cmp::Reverse(t.seq))),
            SortKey::Duration => rows.sort_by_key(|t| t.duration_ms(now).unwrap_or(0)),
            SortKey::Attempts => rows.sort_by_key(|t| t.attempts),
        }
        if self.descending {
            rows.reverse();
        }
        rows
    }

    /// Keyboard handling for the table; returns nothing, acts through commands.
    fn keys(&mut self, ui: &egui::Ui, ctx: &mut ViewCtx<'_>, rows: &[&Task]) {
        if ui.ctx().memory(|m| m.focused().is_some()) && ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let (up, down, alt, shift, delete, retry, plus, minus) = ui.input_mut(|i| {
            let alt = i.modifiers.alt;
            let shift = i.modifiers.shift;
            (
                i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::ArrowDown),
                alt,
                shift,
                i.consume_key(egui::Modifiers::NONE, egui::Key::Delete),
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter),
                i.consume_key(egui::Modifiers::NONE, egui::Key::Plus)
                    || i.consume_key(egui::Modifiers::NONE, egui::Key::Equals),
                i.consume_key(egui::Modifiers::NONE, egui::Key::Minus),
            )
        });
        if (up || down) && alt {
            if let Some(id) = self.cursor {
                ctx.commands.send(Command::MoveTask { id, up });
            }
        } else if up || down {
            let pos = self
                .cursor
                .and_then(|c| rows.iter().position(|t| t.id == c));
            let next = match pos {
                None => 0,
                Some(p) if up => p.saturating_sub(1),
                Some(p) => (p + 1).min(rows.len().saturating_sub(1)),
            };
            if let Some(t) = rows.get(next) {
                if shift {
                    self.select_range(rows, t.id);
                } else {
                    self.selected.clear();
                    self.selected.insert(t.id);
                    self.anchor = Some(t.id);
                }
                self.cursor = Some(t.id);
                *ctx.selected_task = Some(t.id);
            }
        }
        if delete {
            self.bulk(ctx, |id, _| Command::CancelTask { id });
        }
        if retry {
            self.bulk(ctx, |id, _| Command::RetryTask { id });
        }
        if plus {
            self.bulk(ctx, |id, t| Command::SetPriority {
                id,
                priority: t.priority + 1,
            });
        }
        if minus {
            self.bulk(ctx, |id, t| Command::SetPriority {
                id,
                priority: t.priority - 1,
            });
        }
    }

    /// Selects the rows from the anchor to `to`, as they are shown: moving back toward
    /// the anchor shrinks the range again.
    fn select_range(&mut self, rows: &[&Task], to: TaskId) {
        let anchor = self.anchor.or(self.cursor).unwrap_or(to);
        let at = |id| rows.iter().position(|t| t.id == id);
        let (Some(a), Some(b)) = (at(anchor), at(to)) else {
            return;
        };
        self.anchor = Some(anchor);
        self.selected = rows[a.min(b)..=a.max(b)].iter().map(|t| t.id).collect();
    }

    fn bulk(&self, ctx: &ViewCtx<'_>, make: impl Fn(TaskId, &Task) -> Command) {
        for id in &self.selected {
            if let Some(t) = ctx.vm.tasks.get(id) {
                ctx.commands.send(make(*id, t));
            }
        }
    }

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
        // Wraps in a narrow main view rather than running under the side panel.
        ui.horizontal_wrapped(|ui| {
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
            if ui.button("Run function…").clicked() {
                ctx.ui_commands
                    .push(crate::ui::commands::UiCommand::RunFunction);
            }
        });
        if vm.tasks.is_empty() {
            ui.empty_state(
                "No tasks yet",
                "Run a function with Ctrl+R, or `slate run demo/countdown` from a terminal",
            );
            return;
        }
        let rows = self.rows(ctx);
        self.keys(ui, ctx, &rows);
        ui.horizontal_wrapped(|ui| {
            let n = self.selected.len();
            ui.weak(format!(
                "{} · {n} selected",
                crate::util::count(rows.len(), "task")
            ));
            if n > 0 {
                if ui.button("Cancel selected").clicked() {
                    self.bulk(ctx, |id, _| Command::CancelTask { id });
                }
                if ui.button("Retry selected").clicked() {
                    self.bulk(ctx, |id, _| Command::RetryTask { id });
                }
                if ui.button("Priority +1").clicked() {
                    self.bulk(ctx, |id, t| Command::SetPriority {
                        id,
                        priority: t.priority + 1,
                    });
                }
                if ui.button("Priority −1").clicked() {
                    self.bulk(ctx, |id, t| Command::SetPriority {
                        id,
                        priority: t.priority - 1,
                    });
                }
            }
        });
        let detail_height = if ctx.selected_task.is_some() {
            280.0
        } else {
            0.0
        };
        let table_height = (ui.available_height() - detail_height).max(120.0);
        let mut clicked: Option<(TaskId, egui::Modifiers)> = None;
        let mut sort_by: Option<SortKey> = None;
        let cursor_row = self
            .cursor
            .and_then(|c| rows.iter().position(|t| t.id == c));
        // A narrow window scrolls the table sideways instead of cutting columns off.
        egui::ScrollArea::horizontal()
            .id_salt("tasks_table_x")
            .show(ui, |ui| {
                let mut table = TableBuilder::new(ui)
                    .id_salt("tasks_table")
                    .striped(true)
                    .max_scroll_height(table_height)
                    .sense(egui::Sense::click())
                    .column(Column::exact(100.0))
                    .column(Column::exact(50.0))
                    .column(Column::remainder().at_least(140.0))
                    .column(Column::exact(130.0))
                    .column(Column::exact(64.0))
                    .column(Column::exact(80.0))
                    .column(Column::exact(70.0));
                if let Some(r) = cursor_row {
                    table = table.scroll_to_row(r, None);
                }
                table
                    .header(theme::ROW_HEIGHT, |mut h| {
                        for (title, key) in COLUMNS {
                            h.col(|ui| {
                                // The arrow goes first: a column too narrow for
                                // its title cuts the title's end, never the arrow.
                                let arrow = if self.sort == key {
                                    if self.descending { "⏷ " } else { "⏶ " }
                                } else {
                                    ""
                                };
                                if ui
                                    .button(format!("{arrow}{title}"))
                                    .on_hover_text(format!("Sort by {title}"))
                                    .clicked()
                                {
                                    sort_by = Some(key);
                                }
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(theme::ROW_HEIGHT, rows.len(), |mut row| {
                            let t = rows[row.index()];
                            // Cell text must not take the click for text selection, or only the
                            // gaps between cells would select the row.
                            let cell = |ui: &mut egui::Ui| {
                                ui.style_mut().interaction.selectable_labels = false
                            };
                            row.set_selected(self.selected.contains(&t.id));
                            row.col(|ui| {
                                cell(ui);
                                ui.colored_label(
                                    theme::state_colour(t.state),
                                    format!("{} {}", theme::state_icon(t.state), t.state_text()),
                                );
                            });
                            row.col(|ui| {
                                cell(ui);
                                ui.label(t.id.to_string());
                            });
                            row.col(|ui| {
                                cell(ui);
                                let stage = t
                                    .stage
                                    .as_deref()
                                    .map(|s| format!(" · {s}"))
                                    .unwrap_or_default();
                                let text = ui.label(format!("{}{stage}", t.function));
                                // The stage changes with progress.
                                crate::ui::repaint::mark_shown(ui, text.rect, t.id);
                            });
                            row.col(|ui| {
                                cell(ui);
                                ui.label(project_text(t));
                            });
                            row.col(|ui| {
                                cell(ui);
                                ui.label(t.priority.to_string());
                            });
                            row.col(|ui| {
                                cell(ui);
                                ui.label(
                                    t.duration_ms(ctx.now_ms)
                                        .map(|d| format_duration_secs(d as f64 / 1000.0))
                                        .unwrap_or_else(|| "—".into()),
                                );
                            });
                            row.col(|ui| {
                                cell(ui);
                                ui.label(t.attempts.to_string());
                            });
                            let r = row.response();
                            if r.clicked() {
                                clicked = Some((t.id, r.ctx.input(|i| i.modifiers)));
                            }
                        });
                    });
            });
        if let Some(key) = sort_by {
            if self.sort == key {
                self.descending = !self.descending;
            } else {
                self.sort = key;
                self.descending = false;
            }
        }
        if let Some((id, modifiers)) = clicked {
            if modifiers.shift {
                self.select_range(&rows, id);
            } else {
                if !modifiers.command {
                    self.selected.clear();
                }
                if !self.selected.insert(id) {
                    self.selected.remove(&id);
                }
                self.anchor = Some(id);
            }
            self.cursor = Some(id);
            *ctx.selected_task = Some(id);
        }
        if let Some(id) = *ctx.selected_task
            && let Some(t) = vm.tasks.get(&id)
        {
            ui.separator();
            task_detail_ui(ui, ctx, t);
            self.log_ui(ui, ctx, t);
        }
    }

    fn log_ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, t: &Task) {
        ui.horizontal(|ui| {
            if ui.button("Show full log").clicked() {
                ctx.commands.send(Command::ReadLog { id: t.id });
            }
            ui.labelled_text("Search log", &mut self.log_search);
            ui.checkbox(&mut self.follow, "Follow");
            ui.checkbox(&mut self.show_progress, "Show progress lines");
        });
        let Some((id, lines)) = &ctx.vm.log_text else {
            return;
        };
        if *id != t.id {
            return;
        }
        let needle = self.log_search.to_lowercase();
        let shown: Vec<LogLine<'_>> = lines
            .iter()
            .map(|l| logfile::parse(l))
            .filter(|l| self.show_progress || progress::parse_line(l.text).is_none())
            .filter(|l| needle.is_empty() || l.text.to_lowercase().contains(&needle))
            .collect();
        ui.weak(format!(
            "{} of {}",
            shown.len(),
            crate::util::count(lines.len(), "line")
        ));
        let row_h = ui.text_style_height(&egui::TextStyle::Monospace);
        egui::ScrollArea::vertical()
            .id_salt("task_log")
            .max_height(ui.available_height().max(80.0))
            .stick_to_bottom(self.follow)
            .show_rows(ui, row_h, shown.len(), |ui, range| {
                for line in &shown[range] {
                    log_line_ui(ui, line);
                }
            });
    }
}

/// One log line: its time (`HH:MM:SS.mmm`, dimmed) and the text, stderr in amber.
fn log_line_ui(ui: &mut egui::Ui, line: &LogLine<'_>) {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = theme::SPACE_M;
        let time = line.time.map_or("", logfile::clock);
        ui.label(
            egui::RichText::new(format!("{time:12}"))
                .monospace()
                .color(theme::MUTED),
        );
        let text = egui::RichText::new(line.text).monospace();
        ui.label(if line.stderr {
            text.color(theme::WARN)
        } else {
            text
        });
    });
}

/// Parameters, resources, state and outputs for one task.
pub fn task_detail_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, t: &Task) {
    let title = ui.horizontal(|ui| {
        ui.heading(t.title());
        ui.colored_label(theme::state_colour(t.state), t.state_text());
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
    // Its stage, progress and live log change with the task's events.
    crate::ui::repaint::mark_shown(ui, title.response.rect, t.id);
    if let Some(s) = &t.stage {
        ui.weak(s);
    }
    if let Some(e) = &t.error {
        ui.colored_label(theme::ERROR, e);
    }
    egui::Grid::new(("task_params", t.id))
        .num_columns(2)
        .show(ui, |ui| {
            for (k, v) in &t.params {
                ui.label(k);
                ui.monospace(v.to_string());
                ui.end_row();
            }
            if let Some(p) = &t.preset {
                ui.label("preset");
                ui.label(p);
                ui.end_row();
            }
            ui.label("timeout");
            ui.label(format_duration_secs(t.resources.timeout_s as f64));
            ui.end_row();
            if t.resources.gpu {
                ui.label("VRAM");
                ui.label(format!(
                    "{} MiB on GPU {}",
                    t.resources.vram_mb,
                    t.gpu_index.map_or("—".into(), |g| g.to_string())
                ));
                ui.end_row();
            }
            if let Some(m) = t.resources.memory_mb {
                ui.label("memory limit");
                ui.label(format!("{m} MiB"));
                ui.end_row();
            }
            if let Some(h) = t.host.as_ref().or(t.requested_host.as_ref()) {
                ui.label("host");
                ui.label(h);
                ui.end_row();
            }
            if let Some(c) = &t.container_id {
                ui.label("container");
                ui.monospace(&c[..12.min(c.len())]);
                ui.end_row();
            }
            if let Some(c) = t.exit_code {
                ui.label("exit code");
                ui.label(c.to_string());
                ui.end_row();
            }
            ui.label("attempts");
            ui.label(t.attempts.to_string());
            ui.end_row();
            for o in &t.outputs {
                ui.label("output");
                ui.monospace(
                    t.output_dir
                        .as_ref()
                        .map(|d| d.join(o).display().to_string())
                        .unwrap_or_else(|| o.clone()),
                );
                ui.end_row();
            }
        });
}
