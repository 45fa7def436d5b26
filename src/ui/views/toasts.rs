//! Toasts: the newest notifications in their own corner (the bottom right of the main
//! view, so they never cover the progress area's buttons), for a few seconds; errors for
//! three times as long. All of them stay listed in the progress area. More than
//! [`MAX_TOASTS`] collapse into a "+N more" line. Notifications restored from the last
//! session never toast again, so what was dismissed stays dismissed after a restart.
//! While toasts show, one repaint is scheduled for the moment the next one expires; with
//! none showing, nothing repaints.

use std::collections::HashSet;

use crate::events::Level;
use crate::ui::theme;
use crate::ui::views::ViewCtx;

/// At most this many toasts at once.
const MAX_TOASTS: usize = 3;
/// Body lines a toast shows: the cause of a failure is at the end of its output.
const BODY_LINES: usize = 3;

#[derive(Default)]
pub struct Toasts {
    dismissed: HashSet<u64>,
}

impl Toasts {
    pub fn ui(
        &mut self,
        egui_ctx: &egui::Context,
        ctx: &mut ViewCtx<'_>,
        enabled: bool,
        auto_dismiss_s: u64,
        corner: egui::Pos2,
    ) {
        if !enabled {
            return;
        }
        let now = ctx.now_ms;
        let life_ms = auto_dismiss_s.max(1) * 1000;
        let life = |n: &crate::ui::view_model::Notification| {
            if n.level == Level::Error {
                life_ms * 3
            } else {
                life_ms
            }
        };
        let live: Vec<_> = ctx
            .vm
            .notifications
            .iter()
            .rev()
            .filter(|n| n.id > ctx.vm.restored_notifications_up_to)
            .filter(|n| !self.dismissed.contains(&n.id))
            .filter(|n| now.saturating_sub(n.at_ms) < life(n))
            .collect();
        if live.is_empty() {
            return;
        }
        let next_expiry = live
            .iter()
            .map(|n| (n.at_ms + life(n)).saturating_sub(now))
            .min();
        if let Some(ms) = next_expiry {
            egui_ctx.request_repaint_after(std::time::Duration::from_millis(ms + 10));
        }
        let more = live.len().saturating_sub(MAX_TOASTS);
        let visible: Vec<_> = live.into_iter().take(MAX_TOASTS).cloned().collect();
        egui::Area::new(egui::Id::unique("toasts"))
            .pivot(egui::Align2::RIGHT_BOTTOM)
            .fixed_pos(corner - egui::vec2(theme::SPACE_L, theme::SPACE_L))
            .order(egui::Order::Foreground)
            .show(egui_ctx, |ui| {
                if more > 0 {
                    ui.horizontal(|ui| {
                        ui.weak(format!("+{more} more in Progress"));
                        if ui.small_button("Dismiss all").clicked() {
                            for n in &ctx.vm.notifications {
                                self.dismissed.insert(n.id);
                            }
                        }
                    });
                }
                for n in visible.iter().rev() {
                    let colour = match n.level {
                        Level::Info => theme::ACCENT,
                        Level::Success => theme::OK,
                        Level::Warning => theme::WARN,
                        Level::Error => theme::ERROR,
                    };
                    egui::Frame::popup(ui.style())
                        .stroke(egui::Stroke::new(1.0, colour))
                        .show(ui, |ui| {
                            ui.set_max_width(340.0);
                            ui.horizontal(|ui| {
                                ui.colored_label(colour, egui::RichText::new(&n.title).strong());
                                if ui.small_button("Dismiss").clicked() {
                                    self.dismissed.insert(n.id);
                                }
                                if let Some(id) = n.task
                                    && ui
                                        .small_button("Open")
                                        .on_hover_text("Show the task")
                                        .clicked()
                                {
                                    *ctx.selected_task = Some(id);
                                    self.dismissed.insert(n.id);
                                }
                            });
                            if !n.body.is_empty() {
                                ui.label(
                                    egui::RichText::new(excerpt(&n.body))
                                        .size(theme::DETAIL_TEXT_SIZE),
                                );
                            }
                        });
                    ui.add_space(theme::SPACE_S);
                }
            });
    }
}

/// What a toast shows of a body: its first line (the summary, e.g. "exited with code 3;
/// last output:") and its last [`BODY_LINES`] lines, where a failure's cause is.
pub fn excerpt(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    if lines.len() <= BODY_LINES + 1 {
        return lines.join("\n");
    }
    let mut out = vec![lines[0], "…"];
    out.extend(&lines[lines.len() - BODY_LINES..]);
    out.join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_failure_toast_shows_the_last_lines_where_the_cause_is() {
        let body =
            "exited with code 1; last output:\ntick 1\ntick 2\ntick 3\ntick 4\nCUDA out of memory";
        let shown = super::excerpt(body);
        assert!(shown.contains("CUDA out of memory"), "{shown}");
        assert!(shown.starts_with("exited with code 1"), "{shown}");
        assert!(!shown.contains("tick 1"), "{shown}");
        assert_eq!(super::excerpt("one\ntwo"), "one\ntwo");
    }
}
