//! Small reusable widgets, reached through the [`UiExt`] trait so views read
//! `ui.empty_state(…)`.

use crate::ui::theme;

pub trait UiExt {
    fn ui(&mut self) -> &mut egui::Ui;

    /// A centred message for a view with nothing to show, saying how to get something.
    fn empty_state(&mut self, title: &str, hint: &str) {
        let ui = self.ui();
        ui.add_space(ui.available_height() * 0.3);
        ui.vertical_centered(|ui| {
            ui.heading(title);
            ui.add_space(theme::SPACE_S);
            ui.label(egui::RichText::new(hint).color(theme::MUTED));
        });
    }

    /// A single-line text field tied to a visible label, so screen readers and tests
    /// can find it by that label.
    fn labelled_text(&mut self, label: &str, text: &mut String) -> egui::Response {
        let ui = self.ui();
        // As wide as the row has room for (up to 280): a narrow panel or window never
        // pushes the field, or what follows it, out of sight.
        fn field(ui: &mut egui::Ui, label: &str, text: &mut String) -> egui::Response {
            let l = ui.label(label);
            let width = ui.available_width().clamp(60.0, 280.0);
            ui.add(egui::TextEdit::singleline(text).desired_width(width))
                .labelled_by(l.id)
        }
        let label_width = egui::WidgetText::from(label)
            .into_galley(
                ui,
                Some(egui::TextWrapMode::Extend),
                f32::INFINITY,
                egui::TextStyle::Body,
            )
            .size()
            .x;
        // Too narrow for a usable field beside its label: the label goes above it.
        if ui.available_width() - label_width - ui.spacing().item_spacing.x < 140.0 {
            ui.vertical(|ui| field(ui, label, text)).inner
        } else {
            ui.horizontal(|ui| field(ui, label, text)).inner
        }
    }

    /// A red line under a field explaining what is wrong with it.
    fn field_error(&mut self, error: Option<&String>) {
        if let Some(e) = error {
            self.ui()
                .label(egui::RichText::new(format!("⚠ {e}")).color(theme::ERROR));
        }
    }

    /// Help text in the small Markdown that templates use: `code` spans are shown in
    /// the code style, without their backticks; the rest is weak (dimmed) text.
    fn markdown_weak(&mut self, text: &str) -> egui::Response {
        let ui = self.ui();
        let mut job = egui::text::LayoutJob::default();
        let style = ui.style().clone();
        for (i, part) in inline_code_spans(text).into_iter().enumerate() {
            let rich = if i % 2 == 1 {
                egui::RichText::new(part).code()
            } else {
                egui::RichText::new(part).weak()
            };
            rich.append_to(
                &mut job,
                &style,
                egui::FontSelection::Default,
                egui::Align::Center,
            );
        }
        ui.label(job)
    }

    fn section_heading(&mut self, text: &str) {
        let ui = self.ui();
        ui.add_space(theme::SPACE_M);
        ui.label(egui::RichText::new(text).strong().size(15.0));
        ui.separator();
    }

    /// A coloured dot and label: `⏺ Docker 20.10`.
    fn status_dot(&mut self, ok: Option<bool>, text: &str, hover: &str) -> egui::Response {
        let colour = match ok {
            Some(true) => theme::OK,
            Some(false) => theme::ERROR,
            None => theme::MUTED,
        };
        self.coloured_dot(colour, text, hover)
    }

    /// A dot of any colour and a label (a GPU's temperature: green, amber, red).
    fn coloured_dot(&mut self, colour: egui::Color32, text: &str, hover: &str) -> egui::Response {
        let ui = self.ui();
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("⏺").color(colour));
            ui.label(text)
        })
        .response
        .on_hover_text(hover)
    }
}

/// Enter was pressed in this single-line field (egui moves focus out on Enter, so a
/// field that lost focus this frame with Enter down was submitted; Tab only leaves it).
pub fn entered(ui: &egui::Ui, field: &egui::Response) -> bool {
    field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}

/// `text` split at backticks: even items are plain text, odd ones code. An unpaired
/// backtick is kept as it is.
pub fn inline_code_spans(text: &str) -> Vec<String> {
    let mut parts: Vec<String> = text.split('`').map(str::to_string).collect();
    if parts.len().is_multiple_of(2) {
        // An odd number of backticks: the last one opens nothing.
        let last = parts.pop().unwrap_or_default();
        let prev = parts.pop().unwrap_or_default();
        parts.push(format!("{prev}`{last}"));
    }
    parts
}

impl UiExt for egui::Ui {
    fn ui(&mut self) -> &mut egui::Ui {
        self
    }
}
