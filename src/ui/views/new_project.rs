//! The New project dialog (Ctrl+N): a name and a story template; Enter creates, Esc
//! cancels. The dialog stays open with the error shown if creation fails.

use crate::events::Command;
use crate::model::manifest::NarrativeTemplate;
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::entered;

#[derive(Default)]
pub struct NewProjectDialog {
    pub open: bool,
    name: String,
    template: usize,
    focus_pending: bool,
    /// Projects created before this dialog submitted; one more means it worked.
    waiting_for: Option<u64>,
}

impl NewProjectDialog {
    pub fn open(&mut self) {
        self.open = true;
        self.name.clear();
        self.template = 0;
        self.focus_pending = true;
        self.waiting_for = None;
    }

    pub fn ui(&mut self, egui_ctx: &egui::Context, ctx: &mut ViewCtx<'_>) {
        if !self.open {
            return;
        }
        if let Some(before) = self.waiting_for
            && ctx.vm.projects_created > before
        {
            self.open = false;
            return;
        }
        let modal = egui::Modal::new(egui::Id::unique("new_project")).show(egui_ctx, |ui| {
            ui.set_width(420.0);
            ui.heading("New project");
            let label = ui.label("Project name");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.name)
                        .hint_text("e.g. Midnight Noir")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if self.focus_pending {
                edit.request_focus();
                self.focus_pending = false;
            }
            let folder = crate::model::names::folder_name(&self.name);
            match &folder {
                Ok(f) if !self.name.trim().is_empty() => {
                    ui.weak(format!("Folder: {f}"));
                }
                Err(e) if !self.name.trim().is_empty() => {
                    ui.colored_label(theme::ERROR, e);
                }
                _ => {}
            }
            ui.label("Story template");
            for (i, t) in NarrativeTemplate::ALL.iter().enumerate() {
                ui.radio_value(
                    &mut self.template,
                    i,
                    format!("{} ({} chapters)", t.id(), t.chapter_names().len()),
                );
            }
            if self.waiting_for.is_some()
                && let Some(e) = &ctx.vm.project_error
            {
                ui.colored_label(theme::ERROR, e);
            }
            let enter = entered(ui, &edit);
            ui.horizontal(|ui| {
                let create = ui
                    .add_enabled(folder.is_ok(), egui::Button::new("Create"))
                    .clicked();
                let cancel = ui.button("Cancel").clicked();
                ((create || enter) && folder.is_ok(), cancel)
            })
            .inner
        });
        let (create, cancel) = modal.inner;
        if create {
            self.waiting_for = Some(ctx.vm.projects_created);
            ctx.commands.send(Command::CreateProject {
                name: self.name.trim().to_string(),
                template: NarrativeTemplate::ALL[self.template],
            });
        }
        if cancel || modal.should_close() {
            self.open = false;
        }
    }
}
