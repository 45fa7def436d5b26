//! The properties panel for the story tree: rename, add, reorder and delete chapters,
//! scenes and shots; edit a shot's type, duration and description.
//!
//! Edits are never thrown away: a changed name or shot applies when its field is left
//! or Enter is pressed, and when the selection moves elsewhere (Ctrl+Z undoes it). Until
//! then the panel says "Unsaved changes". Edits are written to the project's files, not
//! committed.

use crate::events::Command;
use crate::model::manifest::{Manifest, ShotType};
use crate::model::project::StructureEdit;
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::views::project_browser::StoryItem;
use crate::ui::widgets::{UiExt as _, entered};

/// Form state for whatever is selected; reset when the selection changes.
#[derive(Default)]
pub struct StoryEditor {
    for_item: Option<Option<StoryItem>>,
    /// The id of that item: a move shifts indices, and an edit must never land on
    /// whatever now sits at the old index.
    for_id: String,
    name: String,
    child_name: String,
    shot_type: ShotType,
    duration: String,
    description: String,
    /// A delete waiting for confirmation.
    pub confirm_delete: Option<StoryEdit>,
    /// A palette command asked for a field (or the delete) of the selected item.
    pub focus: Option<StoryFocus>,
    project_name: String,
    /// The project name `project_name` was started from.
    project_name_of: String,
}

/// What a story command from the palette asks of the properties panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoryFocus {
    /// The "new chapter/scene/shot" name field.
    Child,
    /// The selected item's own name field.
    Name,
    /// Its Delete… button (which asks first).
    Delete,
    /// A shot's "Link asset" list.
    LinkAsset,
}

/// What a confirmed delete will do.
#[derive(Clone, Debug)]
pub struct StoryEdit {
    pub what: String,
    pub edit: StructureEdit,
}

impl StoryEditor {
    fn reset(&mut self, m: &Manifest, item: Option<StoryItem>) {
        self.for_item = Some(item);
        self.child_name.clear();
        self.shot_type = ShotType::Wide;
        self.duration = "3".into();
        self.description.clear();
        // A new project name typed but not applied is kept until it is (a rename moves
        // the project's folder, so leaving the field does not do it unasked).
        if self.project_name_of != m.name {
            self.project_name = m.name.clone();
            self.project_name_of = m.name.clone();
        }
        self.for_id.clear();
        self.name = match item {
            Some(StoryItem::Chapter(c)) => m.narrative.chapters.get(c).map(|c| {
                self.for_id = c.id.clone();
                c.name.clone()
            }),
            Some(StoryItem::Scene(c, s)) => m
                .narrative
                .chapters
                .get(c)
                .and_then(|c| c.scenes.get(s))
                .map(|s| {
                    self.for_id = s.id.clone();
                    s.name.clone()
                }),
            Some(StoryItem::Shot(c, s, h)) => {
                let shot = m
                    .narrative
                    .chapters
                    .get(c)
                    .and_then(|c| c.scenes.get(s))
                    .and_then(|s| s.shots.get(h));
                if let Some(sh) = shot {
                    self.for_id = sh.id.clone();
                    self.shot_type = sh.shot_type.clone();
                    self.duration = format!("{}", sh.duration);
                    self.description = sh.description.clone();
                }
                shot.map(|s| s.name.clone())
            }
            None => None,
        }
        .unwrap_or_default();
    }

    /// The edit that would save the form for the item it was opened for, if the form
    /// differs from the project (and is valid). The item is found by its id, wherever a
    /// move has put it since.
    fn pending_edit(&self, m: &Manifest) -> Option<StructureEdit> {
        let chapters = &m.narrative.chapters;
        let name = self.name.trim();
        match StoryItem::find(m, &self.for_id)? {
            StoryItem::Chapter(c) => {
                let ch = chapters.get(c)?;
                (!name.is_empty() && ch.name != name).then(|| StructureEdit::RenameChapter {
                    chapter: c,
                    name: name.to_string(),
                })
            }
            StoryItem::Scene(c, s) => {
                let sc = chapters.get(c)?.scenes.get(s)?;
                (!name.is_empty() && sc.name != name).then(|| StructureEdit::RenameScene {
                    chapter: c,
                    scene: s,
                    name: name.to_string(),
                })
            }
            StoryItem::Shot(c, s, h) => {
                let sh = chapters.get(c)?.scenes.get(s)?.shots.get(h)?;
                let duration = self.duration.trim().parse::<f64>().ok()?;
                let changed = sh.name != name
                    || sh.shot_type != self.shot_type
                    || sh.duration != duration
                    || sh.description != self.description;
                (changed && !name.is_empty()).then(|| StructureEdit::UpdateShot {
                    chapter: c,
                    scene: s,
                    shot: h,
                    name: name.to_string(),
                    shot_type: self.shot_type.clone(),
                    duration,
                    description: self.description.clone(),
                })
            }
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        selection: &mut Option<StoryItem>,
    ) {
        let Some(open) = &ctx.vm.project else {
            ui.weak("Nothing selected");
            return;
        };
        let Some(m) = &open.manifest else {
            ui.colored_label(
                theme::ERROR,
                open.error
                    .as_deref()
                    .unwrap_or("project.json could not be read"),
            );
            return;
        };
        // A new selection, or another item now at the selected place (a move, an undo,
        // another client's edit): the form follows what is selected.
        let selected_id = selection.and_then(|item| item.id(m)).unwrap_or("");
        if self.for_item != Some(*selection) || selected_id != self.for_id {
            // Leaving an item saves what was typed for it.
            if let Some(edit) = self.pending_edit(m) {
                ctx.commands.send(Command::EditProject { edit });
            }
            self.reset(m, *selection);
        }
        let mut leave = false;
        if let Some(e) = &ctx.vm.project_error {
            ui.colored_label(theme::ERROR, e);
        }
        let send = |ctx: &ViewCtx<'_>, edit: StructureEdit| {
            ctx.commands.send(Command::EditProject { edit })
        };
        match *selection {
            None => {
                ui.label(egui::RichText::new(&m.name).strong());
                let field = ui.labelled_text("Project name", &mut self.project_name);
                self.focus_on(StoryFocus::Name, &field);
                let enter = entered(ui, &field);
                if (ui.button("Rename project").clicked() || enter)
                    && self.project_name.trim() != m.name
                {
                    ctx.commands.send(Command::RenameProject {
                        new_name: self.project_name.clone(),
                    });
                } else if self.project_name.trim() != m.name {
                    ui.colored_label(
                        theme::WARN,
                        "New name not applied yet: Enter or Rename project applies it",
                    );
                }
                let field = ui.labelled_text("New chapter", &mut self.child_name);
                self.focus_on(StoryFocus::Child, &field);
                let enter = entered(ui, &field);
                if (ui.button("Add chapter").clicked() || enter)
                    && !self.child_name.trim().is_empty()
                {
                    send(
                        ctx,
                        StructureEdit::AddChapter {
                            name: self.child_name.clone(),
                        },
                    );
                    self.for_item = None;
                }
                ui.separator();
                if ui.button("Delete project…").clicked() {
                    ctx.ui_commands
                        .push(crate::ui::commands::UiCommand::DeleteProject);
                }
            }
            Some(StoryItem::Chapter(c)) => {
                ui.weak(format!("Chapter {}", c + 1));
                let field = ui.labelled_text("Chapter name", &mut self.name);
                self.focus_on(StoryFocus::Name, &field);
                leave |= left(field);
                ui.horizontal_wrapped(|ui| {
                    if ui.button("Rename").clicked() {
                        send(
                            ctx,
                            StructureEdit::RenameChapter {
                                chapter: c,
                                name: self.name.clone(),
                            },
                        );
                    }
                    move_buttons(ui, ctx, m, selection);
                    if ui.button("Delete…").clicked() || self.wants(StoryFocus::Delete) {
                        self.confirm_delete = Some(StoryEdit {
                            what: format!("chapter {:?} and all its scenes and shots", self.name),
                            edit: StructureEdit::DeleteChapter { chapter: c },
                        });
                    }
                });
                let field = ui.labelled_text("New scene", &mut self.child_name);
                self.focus_on(StoryFocus::Child, &field);
                let enter = entered(ui, &field);
                if (ui.button("Add scene").clicked() || enter) && !self.child_name.trim().is_empty()
                {
                    send(
                        ctx,
                        StructureEdit::AddScene {
                            chapter: c,
                            name: self.child_name.clone(),
                        },
                    );
                    self.child_name.clear();
                }
            }
            Some(StoryItem::Scene(c, s)) => {
                ui.weak(format!("Scene {} of chapter {}", s + 1, c + 1));
                let field = ui.labelled_text("Scene name", &mut self.name);
                self.focus_on(StoryFocus::Name, &field);
                leave |= left(field);
                ui.horizontal_wrapped(|ui| {
                    if ui.button("Rename").clicked() {
                        send(
                            ctx,
                            StructureEdit::RenameScene {
                                chapter: c,
                                scene: s,
                                name: self.name.clone(),
                            },
                        );
                    }
                    move_buttons(ui, ctx, m, selection);
                    if ui.button("Delete…").clicked() || self.wants(StoryFocus::Delete) {
                        self.confirm_delete = Some(StoryEdit {
                            what: format!("scene {:?} and its shots", self.name),
                            edit: StructureEdit::DeleteScene {
                                chapter: c,
                                scene: s,
                            },
                        });
                    }
                });
                ui.section_heading("New shot");
                let field = ui.labelled_text("Shot name", &mut self.child_name);
                self.focus_on(StoryFocus::Child, &field);
                let mut enter = entered(ui, &field);
                // Adding a shot takes Enter: Tab moves through its fields without adding
                // a half-typed shot.
                enter |= self.shot_fields_ui(ui).entered;
                let duration = self.duration.trim().parse::<f64>();
                if ui
                    .add_enabled(duration.is_ok(), egui::Button::new("Add shot"))
                    .clicked()
                    || (enter && duration.is_ok() && !self.child_name.trim().is_empty())
                {
                    send(
                        ctx,
                        StructureEdit::AddShot {
                            chapter: c,
                            scene: s,
                            name: self.child_name.clone(),
                            shot_type: self.shot_type.clone(),
                            duration: duration.unwrap_or(0.0),
                            description: self.description.clone(),
                        },
                    );
                    self.child_name.clear();
                }
            }
            Some(StoryItem::Shot(c, s, h)) => {
                ui.weak(format!("Shot {} of scene {}", h + 1, s + 1));
                let field = ui.labelled_text("Shot name", &mut self.name);
                self.focus_on(StoryFocus::Name, &field);
                leave |= left(field);
                leave |= self.shot_fields_ui(ui).left;
                ui.horizontal_wrapped(|ui| {
                    let duration = self.duration.trim().parse::<f64>();
                    if ui
                        .add_enabled(duration.is_ok(), egui::Button::new("Save shot"))
                        .clicked()
                    {
                        send(
                            ctx,
                            StructureEdit::UpdateShot {
                                chapter: c,
                                scene: s,
                                shot: h,
                                name: self.name.clone(),
                                shot_type: self.shot_type.clone(),
                                duration: duration.unwrap_or(0.0),
                                description: self.description.clone(),
                            },
                        );
                    }
                    move_buttons(ui, ctx, m, selection);
                    if ui.button("Delete…").clicked() || self.wants(StoryFocus::Delete) {
                        self.confirm_delete = Some(StoryEdit {
                            what: format!("shot {:?}", self.name),
                            edit: StructureEdit::DeleteShot {
                                chapter: c,
                                scene: s,
                                shot: h,
                            },
                        });
                    }
                });
                let linked = m
                    .narrative
                    .chapters
                    .get(c)
                    .and_then(|ch| ch.scenes.get(s))
                    .and_then(|sc| sc.shots.get(h))
                    .map(|sh| sh.assets.clone())
                    .unwrap_or_default();
                let focus_link = self.wants(StoryFocus::LinkAsset);
                if let Some(assets) = shot_assets_ui(ui, ctx, &linked, focus_link) {
                    send(
                        ctx,
                        StructureEdit::SetShotAssets {
                            chapter: c,
                            scene: s,
                            shot: h,
                            assets,
                        },
                    );
                }
            }
        }
        match self.pending_edit(m) {
            Some(edit) if leave => ctx.commands.send(Command::EditProject { edit }),
            Some(_) => {
                ui.colored_label(
                    theme::WARN,
                    "Unsaved changes: Enter or leaving the field saves them",
                );
            }
            None => {}
        }
    }

    /// True once when a palette command asked for `f`.
    fn wants(&mut self, f: StoryFocus) -> bool {
        let asked = self.focus == Some(f);
        if asked {
            self.focus = None;
        }
        asked
    }

    fn focus_on(&mut self, f: StoryFocus, field: &egui::Response) {
        if self.wants(f) {
            field.request_focus();
        }
    }

    /// The shot's type, duration and description, and whether a field was left or
    /// submitted this frame. Choosing a type counts as leaving: there is no field to
    /// leave after it.
    fn shot_fields_ui(&mut self, ui: &mut egui::Ui) -> FieldsOutcome {
        let mut out = FieldsOutcome::default();
        egui::ComboBox::from_label("Shot type")
            .selected_text(self.shot_type.label())
            .show_ui(ui, |ui| {
                for t in ShotType::ALL {
                    let label = t.label().to_string();
                    out.left |= ui.selectable_value(&mut self.shot_type, t, label).clicked();
                }
            });
        let duration = ui.labelled_text("Duration (seconds)", &mut self.duration);
        if self.duration.trim().parse::<f64>().is_err() {
            ui.field_error(Some(&"enter a number of seconds, like 3.5".to_string()));
        }
        let description = ui.labelled_text("Description", &mut self.description);
        for field in [duration, description] {
            out.left |= left(field.clone());
            out.entered |= entered(ui, &field);
        }
        out
    }
}

/// The shot's linked assets (characters, location, style…) with a way to add and remove
/// them; the new list when it changed. The links live in the story sidecar and are what
/// generation reads for the shot.
fn shot_assets_ui(
    ui: &mut egui::Ui,
    ctx: &ViewCtx<'_>,
    linked: &[String],
    focus: bool,
) -> Option<Vec<String>> {
    let folders = ctx
        .vm
        .project
        .as_ref()
        .map(|p| p.asset_folders.as_slice())
        .unwrap_or_default();
    let name_of = |id: &str| {
        folders
            .iter()
            .find(|a| a.id.as_deref() == Some(id))
            .map_or_else(
                || format!("{id} (missing)"),
                |a| format!("{} · {}", a.name, a.category),
            )
    };
    let mut changed = None;
    ui.section_heading("Assets in this shot");
    if linked.is_empty() {
        ui.weak("None linked yet");
    }
    for id in linked {
        ui.horizontal(|ui| {
            ui.label(name_of(id));
            if ui
                .small_button("✕")
                .on_hover_text(format!("Unlink {}", name_of(id)))
                .clicked()
            {
                changed = Some(linked.iter().filter(|x| *x != id).cloned().collect());
            }
        });
    }
    let mut pick: Option<String> = None;
    let combo = egui::ComboBox::from_label("Link asset")
        .selected_text("Choose…")
        .show_ui(ui, |ui| {
            for a in folders {
                let Some(id) = &a.id else { continue };
                if linked.contains(id) {
                    continue;
                }
                if ui
                    .selectable_label(false, format!("{} · {}", a.name, a.category))
                    .clicked()
                {
                    pick = Some(id.clone());
                }
            }
        });
    if focus {
        // The palette's "Link an asset…": Space or Enter opens the list.
        combo.response.request_focus();
        combo.response.scroll_to_me(Some(egui::Align::Center));
    }
    if let Some(id) = pick {
        let mut v = linked.to_vec();
        v.push(id);
        changed = Some(v);
    }
    changed
}

#[derive(Default)]
struct FieldsOutcome {
    left: bool,
    entered: bool,
}

/// The field was left (Tab, a click elsewhere, or Enter, which also moves focus out).
fn left(field: egui::Response) -> bool {
    field.lost_focus()
}

/// "Move up" / "Move down" for the selected chapter, scene or shot; a click sends the
/// move and the selection follows the item.
fn move_buttons(
    ui: &mut egui::Ui,
    ctx: &ViewCtx<'_>,
    m: &Manifest,
    selection: &mut Option<StoryItem>,
) {
    let Some((item, (index, len))) = selection.and_then(|item| Some((item, item.place(m)?))) else {
        return;
    };
    let up = ui
        .add_enabled(index > 0, egui::Button::new("Move up"))
        .clicked();
    let down = ui
        .add_enabled(index + 1 < len, egui::Button::new("Move down"))
        .clicked();
    let to = match (up, down) {
        (true, _) => index - 1,
        (_, true) => index + 1,
        _ => return,
    };
    let (edit, moved) = item.moved_to(to);
    ctx.commands.send(Command::EditProject { edit });
    *selection = Some(moved);
}
