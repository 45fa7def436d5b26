//! The Git tab: status, commit (with the large-file guard), virtualised history with
//! per-commit files, tags, rollback, and the LFS panel.

use egui_extras::{Column, TableBuilder};

use crate::events::Command;
use crate::model::git::{PREFIXES, ResetMode};
use crate::ui::commands::UiCommand;
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::{UiExt as _, entered};
use crate::util::format_bytes;

#[derive(Default)]
pub struct GitView {
    prefix: usize,
    message: String,
    tag_name: String,
    pattern: String,
    selected: Option<String>,
    /// The file of the selected commit whose change is shown.
    file: Option<String>,
    /// Focus the commit message box on the next frame (palette "Commit changes…").
    pub focus_message: bool,
    /// The "Add remote…" form is open.
    pub adding_remote: bool,
    /// The palette's "Tag a commit…" asked for the Tag field.
    pub focus_tag: bool,
    /// The palette's "Track files with LFS…" asked for the pattern field.
    pub focus_pattern: bool,
    /// The palette's "Roll back…" asked for the rollback buttons.
    pub focus_rollback: bool,
    remote_url: String,
    /// The commit whose hash was last copied, so its row says so.
    copied: Option<String>,
    /// A hard rollback waiting for confirmation.
    pub confirm_hard: Option<String>,
    commits_seen: u64,
    /// Before/after pictures of a changed media file.
    pictures: crate::ui::views::board::Pictures,
}

impl GitView {
    /// The commit selected in the history, if any.
    pub fn selected_commit(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let vm = ctx.vm;
        self.pictures.begin_frame(ui.ctx());
        if vm.project.is_none() {
            ui.empty_state("Git", &crate::ui::views::no_project_hint(vm));
            return;
        }
        if self.commits_seen != vm.commits_made {
            self.commits_seen = vm.commits_made;
            self.message.clear();
        }
        let Some(st) = &vm.git_status else {
            ui.weak("Reading git status…");
            return;
        };
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(format!("Branch {}", st.branch)).strong());
            if st.is_clean() {
                ui.colored_label(theme::OK, "clean");
            } else {
                ui.colored_label(
                    theme::WARN,
                    format!("{} changed", crate::util::count(st.changed_count(), "file")),
                );
            }
            if ui.button("Refresh").clicked() {
                ctx.commands.send(Command::RefreshGit);
            }
            // Push and pull run git and git-lfs as tasks, with progress in the
            // progress area; without git-lfs the LFS panel says how to install it.
            // Without a remote there is nothing to push to: offer to add one instead.
            if st.remotes.iter().any(|r| r == "origin") {
                let lfs_ok = vm.system.as_ref().is_some_and(|s| s.git_lfs.is_ok());
                for (label, cmd) in [("Push", UiCommand::GitPush), ("Pull", UiCommand::GitPull)] {
                    let b = ui
                        .add_enabled(lfs_ok, egui::Button::new(label))
                        .on_hover_text(format!("{label} the project and its LFS files (origin)"))
                        .on_disabled_hover_text("Install git-lfs to push and pull LFS files");
                    if b.clicked() {
                        ctx.ui_commands.push(cmd);
                    }
                }
            } else if ui
                .button("Add remote…")
                .on_hover_text("Push and pull need a remote: add one (its URL is checked)")
                .clicked()
            {
                self.adding_remote = true;
            }
        });
        if let Some(e) = &vm.git_error {
            ui.colored_label(theme::ERROR, e);
        }
        if self.adding_remote && !st.remotes.iter().any(|r| r == "origin") {
            ui.horizontal_wrapped(|ui| {
                let field = ui.labelled_text("Remote URL", &mut self.remote_url);
                let enter = entered(ui, &field);
                if (ui.button("Add and test").clicked() || enter)
                    && !self.remote_url.trim().is_empty()
                {
                    ctx.commands.send(Command::GitAddRemote {
                        name: "origin".into(),
                        url: self.remote_url.trim().to_string(),
                    });
                }
                if ui.button("Cancel").clicked() {
                    self.adding_remote = false;
                }
            });
        }
        // Each column scrolls on its own, so nothing is cut off in a short window.
        ui.columns(2, |cols| {
            egui::ScrollArea::vertical()
                .id_salt("git_left")
                .auto_shrink([false, false])
                .show(&mut cols[0], |ui| self.changes_ui(ui, ctx));
            egui::ScrollArea::vertical()
                .id_salt("git_right")
                .auto_shrink([false, false])
                .show(&mut cols[1], |ui| self.history_ui(ui, ctx));
        });
    }

    fn changes_ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let vm = ctx.vm;
        let st = vm.git_status.as_ref().expect("status present");
        ui.section_heading("Changes");
        egui::ScrollArea::vertical()
            .id_salt("git_changes")
            .max_height(160.0)
            .show(ui, |ui| {
                for c in &st.staged {
                    ui.label(format!("staged {} {}", c.kind, c.path));
                }
                for c in &st.modified {
                    ui.colored_label(theme::WARN, format!("{} {}", c.kind, c.path));
                }
                for p in &st.untracked {
                    ui.colored_label(theme::ACCENT, format!("new {p}"));
                }
                for p in &st.media_missing {
                    ui.colored_label(theme::WARN, format!("media not restored {p}"));
                }
                if st.is_clean() {
                    ui.weak("Nothing to commit");
                }
            });
        if !st.media_missing.is_empty() {
            ui.horizontal(|ui| {
                ui.colored_label(
                    theme::WARN,
                    match st.media_missing.len() {
                        1 => "1 file is an LFS pointer, not media (a rollback could not write it)"
                            .to_string(),
                        n => format!(
                            "{n} files are LFS pointers, not media (a rollback could not write them)"
                        ),
                    },
                );
                if ui.button("Restore media").clicked() {
                    ctx.commands.send(Command::GitRestoreMedia);
                }
            });
        }
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("Prefix")
                .selected_text(PREFIXES[self.prefix])
                .show_ui(ui, |ui| {
                    for (i, p) in PREFIXES.iter().enumerate() {
                        ui.selectable_value(&mut self.prefix, i, *p);
                    }
                });
        });
        let msg = ui.labelled_text("Commit message", &mut self.message);
        if std::mem::take(&mut self.focus_message) {
            msg.request_focus();
        }
        let submit = msg.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let can = !st.is_clean() && !self.message.trim().is_empty();
        let click = ui
            .add_enabled(can, egui::Button::new("Commit"))
            .on_disabled_hover_text("Write a message; there must be changes to commit")
            .clicked();
        if can && (click || submit) {
            let message = crate::model::git::prefixed(Some(PREFIXES[self.prefix]), &self.message);
            ctx.commands.send(Command::GitCommit {
                message,
                allow_large: false,
            });
        }
        if let Some((_, files)) = &vm.large_files {
            egui::Frame::new()
                .fill(theme::WARN.gamma_multiply(0.2))
                .inner_margin(theme::SPACE_M)
                .show(ui, |ui| {
                    ui.colored_label(
                        theme::WARN,
                        "These files are large and not stored with Git LFS:",
                    );
                    for (p, size) in files {
                        ui.horizontal(|ui| {
                            ui.label(format!("{p} ({})", format_bytes(*size)));
                            let pattern = crate::model::lfs::type_pattern(p);
                            if ui.button(format!("Track {pattern}")).clicked() {
                                ctx.commands.send(Command::LfsTrack { pattern });
                            }
                        });
                    }
                    ui.horizontal(|ui| {
                        // The palette's commands of the same names do the same.
                        if ui.button("Track all and commit").clicked() {
                            ctx.ui_commands.push(UiCommand::TrackAllAndCommit);
                        }
                        if ui.button("Commit anyway").clicked() {
                            ctx.ui_commands.push(UiCommand::CommitAnyway);
                        }
                        if ui.button("Cancel").clicked() {
                            ctx.ui_commands.push(UiCommand::DismissCommitGuard);
                        }
                    });
                });
        }
        self.lfs_ui(ui, ctx);
    }

    fn lfs_ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let vm = ctx.vm;
        let lfs = &vm.lfs;
        ui.section_heading(&format!(
            "Git LFS · {}, {}",
            crate::util::count(lfs.files.len(), "file"),
            format_bytes(lfs.total_bytes)
        ));
        match vm.system.as_ref().map(|s| &s.git_lfs) {
            Some(Ok(v)) => {
                ui.weak(format!("{v} (used for push and pull)"));
            }
            Some(Err(e)) => {
                ui.colored_label(theme::WARN, format!("git-lfs is not installed: {e}"));
                ui.label("Slate stores LFS files itself; git-lfs is needed only to push and pull them.\nDebian/Ubuntu: sudo apt install git-lfs · Fedora: sudo dnf install git-lfs · macOS: brew install git-lfs · Windows: included with Git for Windows. Then run: git lfs install");
            }
            None => {}
        }
        for p in &lfs.problems {
            ui.colored_label(theme::ERROR, p);
        }
        for (p, size) in &lfs.large_untracked {
            ui.horizontal(|ui| {
                ui.colored_label(
                    theme::WARN,
                    format!("⚠ {p} ({}) is not tracked", format_bytes(*size)),
                );
                let pattern = crate::model::lfs::type_pattern(p);
                if ui.small_button(format!("Track {pattern}")).clicked() {
                    ctx.commands.send(Command::LfsTrack { pattern });
                }
            });
        }
        let focus_pattern = std::mem::take(&mut self.focus_pattern);
        egui::CollapsingHeader::new(format!("Tracked patterns ({})", lfs.patterns.len()))
            .id_salt("lfs_patterns")
            .open(focus_pattern.then_some(true))
            .show(ui, |ui| {
                for p in &lfs.patterns {
                    ui.horizontal(|ui| {
                        ui.monospace(p);
                        if ui
                            .small_button("Remove")
                            .on_hover_text(format!("Stop tracking {p}"))
                            .clicked()
                        {
                            ctx.commands
                                .send(Command::LfsUntrack { pattern: p.clone() });
                        }
                    });
                }
                let field = ui.labelled_text("Pattern to track", &mut self.pattern);
                if focus_pattern {
                    field.request_focus();
                    field.scroll_to_me(Some(egui::Align::Center));
                }
                if (ui.button("Track pattern").clicked() || entered(ui, &field))
                    && !self.pattern.trim().is_empty()
                {
                    ctx.commands.send(Command::LfsTrack {
                        pattern: self.pattern.trim().to_string(),
                    });
                    self.pattern.clear();
                }
            });
        egui::CollapsingHeader::new("LFS files")
            .id_salt("lfs_files")
            .show(ui, |ui| {
                for f in &lfs.files {
                    ui.label(format!(
                        "{} · {}{}",
                        f.path,
                        format_bytes(f.size),
                        if f.present { "" } else { " (not downloaded)" }
                    ));
                }
            });
    }

    /// Selects a history row: its files are fetched, and a file shown before is cleared.
    fn select_commit(&mut self, ctx: &mut ViewCtx<'_>, id: &str) {
        if self.selected.as_deref() == Some(id) {
            return;
        }
        self.selected = Some(id.to_string());
        self.file = None;
        ctx.commands.send(Command::GitShow {
            commit: id.to_string(),
        });
    }

    fn history_ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let vm = ctx.vm;
        // The column's width: anything drawn wider (a long row) must not widen what
        // follows, or the wrapped rows below would wrap past the visible edge.
        let width = ui.available_width();
        let dirty = vm.git_status.as_ref().is_some_and(|s| !s.is_clean());
        ui.section_heading(&format!(
            "History ({}{})",
            vm.git_log.len(),
            if vm.git_log_done { "" } else { "+" }
        ));
        let rows = &vm.git_log;
        // ↑/↓ move through history whenever no text field takes the keys.
        let mut scroll_to = None;
        if !rows.is_empty() && !ui.ctx().egui_wants_keyboard_input() {
            let (up, down) = ui.input(|i| {
                (
                    i.key_pressed(egui::Key::ArrowUp),
                    i.key_pressed(egui::Key::ArrowDown),
                )
            });
            if up || down {
                let pos = self
                    .selected
                    .as_deref()
                    .and_then(|s| rows.iter().position(|c| c.id == s));
                let next = match pos {
                    None => 0,
                    Some(p) if up => p.saturating_sub(1),
                    Some(p) => (p + 1).min(rows.len() - 1),
                };
                self.select_commit(ctx, &rows[next].id);
                scroll_to = Some(next);
            }
        }
        let mut clicked = None;
        let mut table = TableBuilder::new(ui)
            .id_salt("git_history")
            .striped(true)
            .max_scroll_height(260.0)
            .sense(egui::Sense::click())
            .column(Column::exact(64.0))
            .column(Column::remainder().clip(true));
        if let Some(r) = scroll_to {
            table = table.scroll_to_row(r, None);
        }
        table.body(|body| {
            body.rows(theme::ROW_HEIGHT, rows.len(), |mut row| {
                let i = row.index();
                let c = &rows[i];
                row.set_selected(self.selected.as_deref() == Some(c.id.as_str()));
                // Cell text must not take the click for text selection: the whole row
                // selects.
                row.col(|ui| {
                    ui.style_mut().interaction.selectable_labels = false;
                    ui.monospace(&c.short_id);
                });
                row.col(|ui| {
                    ui.style_mut().interaction.selectable_labels = false;
                    let tags = if c.tags.is_empty() {
                        String::new()
                    } else {
                        format!(" 🏷 {}", c.tags.join(", "))
                    };
                    // One line per row: a long summary is cut with "…", whole on hover.
                    ui.add(egui::Label::new(format!("{}{tags}", c.summary)).truncate());
                });
                if row.response().clicked() {
                    clicked = Some(c.id.clone());
                }
                if i + 1 == rows.len() && !vm.git_log_done {
                    ctx.commands.send(Command::GitLog {
                        skip: rows.len(),
                        limit: crate::model::git::LOG_PAGE,
                    });
                }
            });
        });
        ui.set_max_width(width);
        if let Some(id) = clicked {
            self.select_commit(ctx, &id);
        }
        let Some(sel) = self.selected.clone() else {
            ui.weak(
                "Select a commit (click, or the arrow keys) to see its files and roll back to it",
            );
            ui.horizontal_wrapped(|ui| {
                let field = ui.labelled_text("Tag", &mut self.tag_name);
                if std::mem::take(&mut self.focus_tag) {
                    field.request_focus();
                }
                let enter = entered(ui, &field);
                if (ui.button("Tag HEAD").clicked() || enter) && !self.tag_name.trim().is_empty() {
                    ctx.commands.send(Command::GitTag {
                        name: self.tag_name.trim().to_string(),
                        message: None,
                        commit: None,
                    });
                    self.tag_name.clear();
                }
            });
            return;
        };
        let short = &sel[..sel.len().min(8)];
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(format!("Commit {short}")).strong());
            if ui
                .button("Copy hash")
                .on_hover_text(format!("Copy {sel}"))
                .clicked()
            {
                ui.ctx().copy_text(sel.clone());
                self.copied = Some(sel.clone());
            }
            if self.copied.as_deref() == Some(sel.as_str()) {
                ui.weak("Copied");
            }
        });
        if let Some((commit, files)) = &vm.git_files
            && *commit == sel
        {
            // Long paths scroll sideways inside the list, not past the column.
            egui::ScrollArea::both()
                .id_salt("commit_files")
                .max_width(width)
                .max_height(140.0)
                .show(ui, |ui| {
                    for f in files {
                        ui.horizontal(|ui| {
                            ui.colored_label(theme::OK, format!("+{}", f.additions));
                            ui.colored_label(theme::ERROR, format!("-{}", f.deletions));
                            let open = self.file.as_deref() == Some(f.path.as_str());
                            if ui
                                .selectable_label(open, format!("{} {}", f.kind, f.path))
                                .on_hover_text("Show this file's change")
                                .clicked()
                            {
                                self.file = Some(f.path.clone());
                                ctx.commands.send(Command::GitDiff {
                                    commit: sel.clone(),
                                    path: f.path.clone(),
                                });
                            }
                        });
                    }
                });
        }
        if let Some(file) = &self.file
            && let Some((commit, path, text, media)) = &vm.git_diff
            && *commit == sel
            && path == file
        {
            match media {
                Some(media) => media_change_ui(ui, &mut self.pictures, path, media),
                None => diff_ui(ui, text),
            }
        }
        // Wrapped rows: in a narrow column the buttons go to the next line, never out of
        // sight.
        ui.horizontal_wrapped(|ui| {
            let field = ui.labelled_text("Tag", &mut self.tag_name);
            if std::mem::take(&mut self.focus_tag) {
                field.request_focus();
            }
            let enter = entered(ui, &field);
            if (ui.button("Tag this commit").clicked() || enter) && !self.tag_name.trim().is_empty()
            {
                ctx.commands.send(Command::GitTag {
                    name: self.tag_name.trim().to_string(),
                    message: None,
                    commit: Some(sel.clone()),
                });
                self.tag_name.clear();
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Roll back to this commit:");
            let soft = ui.button("Soft").on_hover_text("Keep every change, staged");
            if std::mem::take(&mut self.focus_rollback) {
                soft.request_focus();
                soft.scroll_to_me(Some(egui::Align::Center));
            }
            if soft.clicked() {
                ctx.commands.send(Command::GitRollback { commit: sel.clone(), mode: ResetMode::Soft });
            }
            if ui.button("Mixed").on_hover_text("Keep every change, unstaged").clicked() {
                ctx.commands.send(Command::GitRollback { commit: sel.clone(), mode: ResetMode::Mixed });
            }
            if ui
                .add_enabled(!dirty, egui::Button::new("Hard…"))
                .on_hover_text("Discard later commits from the branch and reset every file")
                .on_disabled_hover_text("Commit or roll back your uncommitted changes first: a hard rollback would destroy them")
                .clicked()
            {
                self.confirm_hard = Some(sel.clone());
            }
        });
    }
}

/// A unified diff, added lines green and removed ones red.
fn diff_ui(ui: &mut egui::Ui, text: &str) {
    egui::ScrollArea::both()
        .id_salt("commit_diff")
        .max_height(220.0)
        .show(ui, |ui| {
            // One unwrapped line per diff line: indentation kept, long lines scroll.
            for line in text.lines() {
                let t = egui::RichText::new(line).monospace();
                let t = match line.as_bytes().first() {
                    Some(b'+') => t.color(theme::OK),
                    Some(b'-') => t.color(theme::ERROR),
                    _ => t,
                };
                ui.add(egui::Label::new(t).extend());
            }
        });
}

/// A picture a commit changed: before and after, side by side.
fn media_change_ui(
    ui: &mut egui::Ui,
    pictures: &mut crate::ui::views::board::Pictures,
    path: &str,
    media: &crate::model::git::MediaChange,
) {
    let width = ((ui.available_width() - theme::SPACE_M) / 2.0).max(64.0);
    ui.horizontal_top(|ui| {
        for (label, file) in [("Before", &media.before), ("After", &media.after)] {
            ui.vertical(|ui| {
                ui.set_width(width);
                ui.strong(label);
                let Some(file) = file else {
                    ui.weak("—");
                    return;
                };
                match pictures.file(ui.ctx(), file, 512) {
                    Ok(Some(texture)) => {
                        ui.add(
                            egui::Image::new(&texture)
                                .max_size(egui::vec2(width, 180.0))
                                .alt_text(format!("{label}: {path}")),
                        );
                    }
                    Ok(None) => {
                        ui.spinner();
                    }
                    Err(e) => {
                        ui.colored_label(theme::ERROR, e);
                    }
                }
            });
        }
    });
    if let Some(note) = &media.note {
        ui.weak(note);
    }
}

/// The commit waiting on large files, made now: with the large files' types tracked by
/// LFS first (`track_all`), or with them in plain git.
pub fn finish_guarded_commit(
    vm: &crate::ui::view_model::ViewModel,
    commands: &crate::core::CommandSender,
    track_all: bool,
) {
    let Some((message, files)) = &vm.large_files else {
        return;
    };
    if track_all {
        for (p, _) in files {
            commands.send(Command::LfsTrack {
                pattern: crate::model::lfs::type_pattern(p),
            });
        }
    }
    commands.send(Command::GitCommit {
        message: message.clone(),
        allow_large: !track_all,
    });
}

/// The task that pushes or pulls the open project (git and git-lfs, with progress).
pub fn push_pull_request(
    vm: &crate::ui::view_model::ViewModel,
    function: &str,
) -> Option<crate::model::task::TaskRequest> {
    let folder = vm.project.as_ref()?.path.file_name()?;
    Some(crate::model::task::TaskRequest {
        function: function.into(),
        params: [("project".to_string(), folder.to_string_lossy().into_owned())].into(),
        priority: 10,
        ..Default::default()
    })
}
