//! The command palette (Ctrl+K): fuzzy search over every [`UiCommand`].

use crate::ui::commands::{UiCommand, shortcut_text};

#[derive(Default)]
pub struct Palette {
    pub open: bool,
    query: String,
    selected: usize,
    focus_pending: bool,
}

/// Scores `candidate` against `query` as a subsequence match, case-insensitive: `None`
/// when some query letter is missing; higher is better (adjacent and word-start hits).
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<i32> {
    let q: Vec<char> = query
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let c: Vec<char> = candidate.to_lowercase().chars().collect();
    let mut score = 0;
    let mut qi = 0;
    let mut prev: Option<usize> = None;
    for (ci, ch) in c.iter().enumerate() {
        if qi < q.len() && *ch == q[qi] {
            score += 1;
            if prev == Some(ci.wrapping_sub(1)) {
                score += 3;
            }
            if ci == 0 || !c[ci - 1].is_alphanumeric() {
                score += 2;
            }
            prev = Some(ci);
            qi += 1;
        }
    }
    (qi == q.len()).then_some(score - c.len() as i32 / 10)
}

impl Palette {
    pub fn open(&mut self) {
        self.open = true;
        self.query.clear();
        self.selected = 0;
        self.focus_pending = true;
    }

    fn matches(&self) -> Vec<UiCommand> {
        let mut scored: Vec<(i32, usize, UiCommand)> = UiCommand::ALL
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != UiCommand::CommandPalette)
            .filter_map(|(i, c)| fuzzy_score(&self.query, &c.label()).map(|s| (s, i, *c)))
            .collect();
        scored.sort_by_key(|(s, i, _)| (std::cmp::Reverse(*s), *i));
        scored.into_iter().map(|(_, _, c)| c).collect()
    }

    /// Shows the palette; returns the command the user chose.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<UiCommand> {
        if !self.open {
            return None;
        }
        let matches = self.matches();
        self.selected = self.selected.min(matches.len().saturating_sub(1));
        let (up, down, enter) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                i.consume_key(egui::Modifiers::NONE, egui::Key::Enter),
            )
        });
        if up {
            self.selected = self.selected.saturating_sub(1);
        }
        if down && self.selected + 1 < matches.len() {
            self.selected += 1;
        }
        let mut chosen = enter.then(|| matches.get(self.selected).copied()).flatten();
        let modal = egui::Modal::new(egui::Id::unique("command_palette")).show(ctx, |ui| {
            ui.set_width(460.0);
            let label = ui.weak("Search commands");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text("Type a command…")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if self.focus_pending {
                edit.request_focus();
                self.focus_pending = false;
            }
            if edit.changed() {
                self.selected = 0;
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .max_height(360.0)
                .show(ui, |ui| {
                    if matches.is_empty() {
                        ui.label("No command matches");
                    }
                    for (i, cmd) in matches.iter().enumerate() {
                        let selected = i == self.selected;
                        let row = ui.horizontal(|ui| {
                            let r = ui
                                .selectable_label(selected, cmd.label())
                                .on_hover_text(cmd.tooltip());
                            ui.with_layout(
                                egui::Layout::right_to_left(egui::Align::Center),
                                |ui| {
                                    ui.weak(shortcut_text(ui.ctx(), *cmd));
                                },
                            );
                            r
                        });
                        if selected {
                            row.inner.scroll_to_me(None);
                        }
                        if row.inner.clicked() {
                            chosen = Some(*cmd);
                        }
                    }
                });
        });
        if chosen.is_some() || modal.should_close() {
            self.open = false;
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_matches_subsequences_and_prefers_word_starts() {
        assert!(fuzzy_score("sset", "Save settings").is_some());
        assert!(fuzzy_score("xyz", "Save settings").is_none());
        let a = fuzzy_score("gpu", "Show GPU").unwrap();
        let b = fuzzy_score("gpu", "Toggle project browser panel u").unwrap_or(i32::MIN);
        assert!(a > b);
        assert!(fuzzy_score("", "anything").is_some());
    }
}
