//! The command palette (Ctrl+K): fuzzy search over every [`UiCommand`].

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::ui::commands::{Availability, UiCommand, shortcut_text};

/// Height of the command list, whatever the filter.
const PALETTE_LIST_HEIGHT: f32 = 360.0;

#[derive(Default)]
pub struct Palette {
    pub open: bool,
    query: String,
    selected: usize,
    focus_pending: bool,
}

/// Scores `candidate` against `query` with nucleo (Helix's matcher); `None` when it is
/// not a match. Every word of the query must appear in the label as written, or as the
/// initials of its words ("sg" for Show GPU): a scattered subsequence such as "shot" in
/// "SHOw Tasks" is not a match.
pub fn score(matcher: &mut Matcher, query: &str, candidate: &str) -> Option<u32> {
    let initials: String = candidate
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|w| w.chars().next())
        .collect();
    let mut buf = Vec::new();
    let mut initials_buf = Vec::new();
    let mut total = 0;
    for word in query.split_whitespace() {
        let atom = Atom::new(
            word,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Substring,
            false,
        );
        let s = atom
            .score(Utf32Str::new(candidate, &mut buf), matcher)
            .or_else(|| {
                atom.score(Utf32Str::new(&initials, &mut initials_buf), matcher)
                    .map(|s| s / 2)
            })?;
        total += u32::from(s);
    }
    Some(total)
}

impl Palette {
    pub fn open(&mut self) {
        self.open = true;
        self.query.clear();
        self.selected = 0;
        self.focus_pending = true;
    }

    /// Commands that can run now and match the query, best first.
    pub fn matches(query: &str, available: &Availability) -> Vec<UiCommand> {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut scored: Vec<(u32, usize, UiCommand)> = UiCommand::ALL
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != UiCommand::CommandPalette && c.available(available))
            .filter_map(|(i, c)| score(&mut matcher, query, &c.label()).map(|s| (s, i, *c)))
            .collect();
        scored.sort_by_key(|(s, i, _)| (std::cmp::Reverse(*s), *i));
        scored.into_iter().map(|(_, _, c)| c).collect()
    }

    /// Shows the palette; returns the command the user chose.
    pub fn show(&mut self, ctx: &egui::Context, available: &Availability) -> Option<UiCommand> {
        if !self.open {
            return None;
        }
        let matches = Self::matches(&self.query, available);
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
            // A fixed height: a list sized to its content would remember the short list
            // of one filtered search and keep showing two rows for the whole session.
            egui::ScrollArea::vertical()
                .max_height(PALETTE_LIST_HEIGHT)
                .min_scrolled_height(PALETTE_LIST_HEIGHT)
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if matches.is_empty() {
                        ui.label("No command matches");
                    }
                    for (i, cmd) in matches.iter().enumerate() {
                        let selected = i == self.selected;
                        // The shortcut is laid out first, from the right, so the label gets
                        // what is left and the hint is never cut off.
                        let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
                        let row = ui.allocate_ui_with_layout(
                            size,
                            egui::Layout::right_to_left(egui::Align::Center),
                            |ui| {
                                ui.weak(shortcut_text(ui.ctx(), *cmd));
                                ui.with_layout(
                                    egui::Layout::left_to_right(egui::Align::Center),
                                    |ui| {
                                        ui.selectable_label(selected, cmd.label())
                                            .on_hover_text(cmd.tooltip())
                                    },
                                )
                                .inner
                            },
                        );
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

    fn labels(q: &str, a: &Availability) -> Vec<String> {
        Palette::matches(q, a).iter().map(|c| c.label()).collect()
    }

    #[test]
    fn matching_is_by_words_or_initials_not_scattered_letters() {
        let open = Availability {
            project_open: true,
            ..Default::default()
        };
        assert!(!labels("shot", &open).contains(&"Show Tasks".to_string()));
        assert_eq!(labels("gpu", &open)[0], "Show GPU");
        assert!(labels("sg", &open).contains(&"Show GPU".to_string()));
        assert!(labels("run", &open).contains(&"Run function…".to_string()));
        assert!(labels("xyz", &open).is_empty());
    }

    #[test]
    fn commands_that_cannot_run_now_are_hidden() {
        let none = Availability::default();
        let all = labels("", &none);
        assert!(!all.contains(&"Delete project…".to_string()));
        assert!(!all.contains(&"Push to remote".to_string()));
        assert!(!all.contains(&"Resume task queue".to_string()));
        assert!(all.contains(&"Pause task queue".to_string()));
        let open = Availability {
            project_open: true,
            ..Default::default()
        };
        let all = labels("", &open);
        assert!(all.contains(&"Delete project…".to_string()));
        assert!(all.contains(&"Add remote…".to_string()));
        assert!(!all.contains(&"Push to remote".to_string()));
        // Nothing selected, nothing changed, nothing to undo.
        for hidden in [
            "Generate take…",
            "Undo story edit",
            "Commit changes…",
            "Move the selected story item up",
            "Rename the selected asset…",
            "Compare takes",
            "Commit anyway (large files in git)",
            "Upgrade project format",
        ] {
            assert!(!all.contains(&hidden.to_string()), "{hidden} offered");
        }
        // A remote but no git-lfs: push and pull would fail.
        let remote = Availability {
            has_remote: true,
            ..open
        };
        assert!(!labels("", &remote).contains(&"Push to remote".to_string()));
        let ready = Availability {
            git_lfs_ok: true,
            git_dirty: true,
            story: crate::ui::commands::StoryLevel::Shot,
            story_undoable: true,
            shot_takes: 2,
            asset_selected: true,
            ..remote
        };
        let all = labels("", &ready);
        for shown in [
            "Push to remote",
            "Commit changes…",
            "Generate take…",
            "Undo story edit",
            "Compare takes",
            "Link an asset to the selected shot…",
            "Rename the selected asset…",
        ] {
            assert!(all.contains(&shown.to_string()), "{shown} hidden");
        }
        // A library asset is copied, not renamed.
        let library = Availability {
            asset_in_library: true,
            ..ready
        };
        let all = labels("", &library);
        assert!(all.contains(&"Copy the selected library asset to the project".to_string()));
        assert!(!all.contains(&"Rename the selected asset…".to_string()));
    }
}
