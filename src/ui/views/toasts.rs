//! Toasts: the newest notifications, bottom right, for a few seconds. Errors stay until
//! dismissed. Clicking a task's toast opens the task. While toasts show, one repaint is
//! scheduled for the moment the next one expires; with none showing, nothing repaints.

use std::collections::HashSet;

use crate::events::Level;
use crate::ui::theme;
use crate::ui::views::ViewCtx;

/// At most this many toasts at once.
const MAX_TOASTS: usize = 4;

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
    ) {
        if !enabled {
            return;
        }
        let now = ctx.now_ms;
        let life_ms = auto_dismiss_s.max(1) * 1000;
        let visible: Vec<_> = ctx
            .vm
            .notifications
            .iter()
            .rev()
            .filter(|n| !self.dismissed.contains(&n.id))
            .filter(|n| n.level == Level::Error || now.saturating_sub(n.at_ms) < life_ms)
            .take(MAX_TOASTS)
            .cloned()
            .collect();
        if visible.is_empty() {
            return;
        }
        let next_expiry = visible
            .iter()
            .filter(|n| n.level != Level::Error)
            .map(|n| (n.at_ms + life_ms).saturating_sub(now))
            .min();
        if let Some(ms) = next_expiry {
            egui_ctx.request_repaint_after(std::time::Duration::from_millis(ms + 10));
        }
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(
                egui::Align2::RIGHT_BOTTOM,
                egui::vec2(
                    -theme::SPACE_L,
                    -(theme::STATUS_BAR_HEIGHT + theme::SPACE_L),
                ),
            )
            .order(egui::Order::Foreground)
            .show(egui_ctx, |ui| {
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
                                    egui::RichText::new(
                                        n.body.lines().take(3).collect::<Vec<_>>().join("\n"),
                                    )
                                    .small(),
                                );
                            }
                        });
                    ui.add_space(theme::SPACE_S);
                }
            });
    }
}
