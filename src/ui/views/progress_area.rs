//! The progress area (right panel, lower half): active tasks, recently finished,
//! notifications. Static bars only: nothing here animates, so an idle window stays idle.

use crate::events::{Command, Level};
use crate::model::task::{Task, TaskState};
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::util::format_duration_secs;

/// Finished tasks shown in "Recently finished".
const RECENT: usize = 8;

pub fn progress_area_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
    let vm = ctx.vm;
    let active: Vec<&Task> = vm.active().collect();
    if !active.is_empty() {
        // Elapsed and remaining times move even when a task prints nothing; with no
        // task running nothing is scheduled and the window stays idle.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
    if let Some(p) = &vm.import {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("Importing assets").strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button("Cancel")
                    .on_hover_text("Cancel the import: nothing is added")
                    .clicked()
                {
                    ctx.commands.send(Command::CancelImport);
                }
            });
        });
        let fraction = if p.total_bytes > 0 {
            p.done_bytes as f32 / p.total_bytes as f32
        } else {
            0.0
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .show_percentage()
                .desired_height(theme::ROW_HEIGHT * 0.8),
        );
        ui.weak(format!(
            "{} ({} of {}) · {} of {}",
            p.file,
            p.index + 1,
            p.files,
            crate::util::format_bytes(p.done_bytes),
            crate::util::format_bytes(p.total_bytes)
        ));
    }
    let queued = vm.queued_count();
    egui::CollapsingHeader::new(format!("Active ({})", active.len()))
        .id_salt("progress_active")
        .default_open(true)
        .show(ui, |ui| {
            if active.is_empty() {
                let idle = if queued > 0 && vm.queue_paused {
                    format!("Queue paused with {queued} waiting")
                } else if queued > 0 {
                    format!("{} waiting to start", crate::util::count(queued, "task"))
                } else {
                    "Nothing running. Run a function with Ctrl+R.".to_string()
                };
                ui.weak(idle);
            }
            for t in active {
                active_row_ui(ui, ctx, t);
            }
        });

    let expand = (vm.failures_seen != ctx.progress_expanded_for).then_some(true);
    egui::CollapsingHeader::new("Recently finished")
        .id_salt("progress_recent")
        .default_open(true)
        .open(expand)
        .show(ui, |ui| {
            if vm.recently_finished().next().is_none() {
                ui.weak("No finished tasks yet");
            }
            for t in vm.recently_finished().take(RECENT) {
                let text =
                    egui::RichText::new(format!("{} {}", theme::state_icon(t.state), t.title()))
                        .color(theme::state_colour(t.state));
                let r = ui
                    .selectable_label(*ctx.selected_task == Some(t.id), text)
                    .on_hover_text(t.error.as_deref().unwrap_or(t.state.label()));
                if r.clicked() {
                    *ctx.selected_task = Some(t.id);
                }
            }
        });

    let unread = vm.unread();
    let title = if unread > 0 {
        format!("Notifications ({unread} new)")
    } else {
        "Notifications".to_string()
    };
    egui::CollapsingHeader::new(title)
        .id_salt("progress_notifications")
        .default_open(true)
        .open(expand)
        .show(ui, |ui| {
            if vm.notifications.is_empty() {
                ui.weak("No notifications");
            } else if unread > 0 && ui.small_button("Mark all read").clicked() {
                ctx.ui_commands
                    .push(crate::ui::commands::UiCommand::MarkNotificationsRead);
            }
            for n in vm.notifications.iter().rev().take(20) {
                let colour = match n.level {
                    Level::Info => theme::MUTED,
                    Level::Success => theme::OK,
                    Level::Warning => theme::WARN,
                    Level::Error => theme::ERROR,
                };
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(colour, "⏺");
                    ui.label(egui::RichText::new(&n.title).strong());
                    if let Some(id) = n.task
                        && let Some(t) = vm.tasks.get(&id)
                    {
                        if t.state.can_retry() && ui.small_button("Retry").clicked() {
                            ctx.commands.send(Command::RetryTask { id });
                        }
                        if ui.small_button("Show log").clicked() {
                            *ctx.selected_task = Some(id);
                            ctx.commands.send(Command::ReadLog { id });
                        }
                    }
                });
                if !n.body.is_empty() {
                    // The summary line and the last lines, where a failure's cause is.
                    ui.label(
                        egui::RichText::new(super::toasts::excerpt(&n.body))
                            .size(theme::DETAIL_TEXT_SIZE),
                    );
                }
            }
        });
}

fn active_row_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>, t: &Task) {
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(t.title()).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let cancelling = t.stage.as_deref() == Some("cancelling");
            let b = ui
                .add_enabled(!cancelling, egui::Button::new("Cancel"))
                .on_hover_text(format!("Cancel {}", t.title()));
            if b.clicked() {
                ctx.commands.send(Command::CancelTask { id: t.id });
            }
        });
    });
    let elapsed_s = t.duration_ms(ctx.now_ms).unwrap_or(0) as f64 / 1000.0;
    let remaining = match ctx.vm.eta_s(t, ctx.now_ms) {
        Some(left) if t.state == TaskState::Running => {
            format!(", ~{} left", format_duration_secs(left))
        }
        _ => String::new(),
    };
    let bar = ui.add(
        egui::ProgressBar::new(t.progress)
            .show_percentage()
            .desired_height(theme::ROW_HEIGHT * 0.8),
    );
    crate::ui::repaint::mark_shown(ui, bar.rect, t.id);
    if let Some(p) = &t.project {
        let place = t
            .shot
            .as_deref()
            .map(|s| format!("{p} / {s}"))
            .unwrap_or_else(|| p.clone());
        ui.weak(place);
    }
    let stage = t.stage.as_deref().unwrap_or(t.state.label());
    let message = t.message.as_deref().unwrap_or("");
    ui.weak(format!(
        "{stage} {message} · {}{remaining}",
        format_duration_secs(elapsed_s)
    ));
}
