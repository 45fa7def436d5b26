//! The left panel: the project list (search, sorted by modified, size and git state),
//! or, with a project open, its chapter → scene → shot tree.

use crate::events::Command;
use crate::model::manifest::Manifest;
use crate::model::project::StructureEdit;
use crate::ui::commands::{UiCommand, shortcut_text};
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::UiExt as _;
use crate::util::format_bytes;

/// A place in the story tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoryItem {
    Chapter(usize),
    Scene(usize, usize),
    Shot(usize, usize, usize),
}

impl StoryItem {
    /// The id of the chapter, scene or shot at this place in `m`.
    pub fn id(self, m: &Manifest) -> Option<&str> {
        let chapters = &m.narrative.chapters;
        match self {
            StoryItem::Chapter(c) => chapters.get(c).map(|c| c.id.as_str()),
            StoryItem::Scene(c, s) => chapters.get(c)?.scenes.get(s).map(|s| s.id.as_str()),
            StoryItem::Shot(c, s, h) => chapters
                .get(c)?
                .scenes
                .get(s)?
                .shots
                .get(h)
                .map(|h| h.id.as_str()),
        }
    }

    /// Where the chapter, scene or shot with `id` is now.
    pub fn find(m: &Manifest, id: &str) -> Option<StoryItem> {
        if id.is_empty() {
            return None;
        }
        for (c, ch) in m.narrative.chapters.iter().enumerate() {
            if ch.id == id {
                return Some(StoryItem::Chapter(c));
            }
            for (s, sc) in ch.scenes.iter().enumerate() {
                if sc.id == id {
                    return Some(StoryItem::Scene(c, s));
                }
                if let Some(h) = sc.shots.iter().position(|h| h.id == id) {
                    return Some(StoryItem::Shot(c, s, h));
                }
            }
        }
        None
    }

    /// Its index among its siblings in `m`, and how many siblings there are.
    pub fn place(self, m: &Manifest) -> Option<(usize, usize)> {
        let chapters = &m.narrative.chapters;
        match self {
            StoryItem::Chapter(c) => Some((c, chapters.len())),
            StoryItem::Scene(c, s) => Some((s, chapters.get(c)?.scenes.len())),
            StoryItem::Shot(c, s, h) => Some((h, chapters.get(c)?.scenes.get(s)?.shots.len())),
        }
    }

    /// The edit that moves it to index `to` among its siblings, and where it is then.
    pub fn moved_to(self, to: usize) -> (StructureEdit, StoryItem) {
        match self {
            StoryItem::Chapter(c) => (
                StructureEdit::MoveChapter { chapter: c, to },
                StoryItem::Chapter(to),
            ),
            StoryItem::Scene(c, s) => (
                StructureEdit::MoveScene {
                    chapter: c,
                    scene: s,
                    to,
                },
                StoryItem::Scene(c, to),
            ),
            StoryItem::Shot(c, s, h) => (
                StructureEdit::MoveShot {
                    chapter: c,
                    scene: s,
                    shot: h,
                    to,
                },
                StoryItem::Shot(c, s, to),
            ),
        }
    }
}

#[derive(Default)]
pub struct ProjectBrowser {
    search: String,
}

impl ProjectBrowser {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        selection: &mut Option<StoryItem>,
    ) {
        match &ctx.vm.project {
            None => self.projects_ui(ui, ctx),
            Some(open) => {
                ui.horizontal(|ui| {
                    if ui
                        .button("⏴ Projects")
                        .on_hover_text("Close this project and list all projects")
                        .clicked()
                    {
                        ctx.commands.send(Command::CloseProject);
                        *selection = None;
                    }
                });
                let Some(m) = &open.manifest else {
                    ui.colored_label(theme::ERROR, "project.json could not be read");
                    if let Some(e) = &open.error {
                        ui.label(egui::RichText::new(e).small());
                    }
                    return;
                };
                let title = if open.read_only {
                    format!("{} (read-only)", m.name)
                } else {
                    m.name.clone()
                };
                if ui
                    .selectable_label(selection.is_none(), egui::RichText::new(title).strong())
                    .on_hover_text(open.path.display().to_string())
                    .clicked()
                {
                    *selection = None;
                }
                ui.weak(format!(
                    "{} · {} · {} · {} · {} · {}",
                    m.narrative.structure,
                    crate::util::count(m.narrative.chapters.len(), "chapter"),
                    crate::util::count(m.scene_count(), "scene"),
                    crate::util::count(m.shot_count(), "shot"),
                    crate::util::count(open.takes.take_count(), "take"),
                    crate::util::count(open.asset_folders.len(), "asset")
                ));
                if let crate::model::project::Upgrade::Pending { changes, why } = &open.upgrade {
                    ui.colored_label(theme::WARN, why)
                        .on_hover_text(changes.join("\n"));
                    if !open.read_only
                        && ui
                            .button("Upgrade project format")
                            .on_hover_text(
                                "Rewrite project.json in the web studio's format, in one commit",
                            )
                            .clicked()
                    {
                        ctx.commands.send(Command::UpgradeProject);
                    }
                }
                // The LFS badge: what is stored with LFS, and a warning when large files
                // are not; it opens the Git tab's LFS panel.
                let lfs = &ctx.vm.lfs;
                let (colour, text) = if !lfs.problems.is_empty() {
                    (
                        theme::ERROR,
                        format!("LFS: {}", crate::util::count(lfs.problems.len(), "problem")),
                    )
                } else if !lfs.large_untracked.is_empty() {
                    (
                        theme::WARN,
                        format!(
                            "LFS: {} not tracked",
                            crate::util::count(lfs.large_untracked.len(), "large file")
                        ),
                    )
                } else {
                    (
                        theme::MUTED,
                        format!(
                            "LFS: {}, {}",
                            crate::util::count(lfs.files.len(), "file"),
                            format_bytes(lfs.total_bytes)
                        ),
                    )
                };
                if ui
                    .add(
                        // Body size: the small style is 9 px, too small to read.
                        egui::Button::new(egui::RichText::new(text).color(colour)).frame(false),
                    )
                    .on_hover_text("Open the Git tab's LFS panel")
                    .clicked()
                {
                    ctx.ui_commands
                        .push(UiCommand::ShowTab(crate::ui::tabs::Tab::Git));
                }
                ui.separator();
                // Each row as drawn, for arrow-key moves between them.
                let mut rows: Vec<(StoryItem, egui::Id)> = Vec::new();
                // Long names scroll sideways rather than end at the panel's edge.
                egui::ScrollArea::both()
                    .id_salt("story_tree")
                    .show(ui, |ui| {
                        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                        for (ci, c) in m.narrative.chapters.iter().enumerate() {
                            let item = StoryItem::Chapter(ci);
                            let row = ui.selectable_label(
                                *selection == Some(item),
                                format!("{}. {}", ci + 1, c.name),
                            );
                            rows.push((item, row.id));
                            if row.clicked() {
                                // Focused too, so the arrows go on from here.
                                row.request_focus();
                                *selection = Some(item);
                            }
                            ui.indent(("chapter", ci), |ui| {
                                for (si, s) in c.scenes.iter().enumerate() {
                                    let item = StoryItem::Scene(ci, si);
                                    ui.horizontal(|ui| {
                                        let row = ui.selectable_label(
                                            *selection == Some(item),
                                            format!("🎬 {}", s.name),
                                        );
                                        rows.push((item, row.id));
                                        if row.clicked() {
                                            // Focused too, so the arrows go on from here.
                                            row.request_focus();
                                            *selection = Some(item);
                                        }
                                        let n = open.takes.scene_take_count(&c.id, &s.id);
                                        if n > 0 {
                                            ui.weak(crate::util::count(n, "take"));
                                        }
                                    });
                                    ui.indent(("scene", ci, si), |ui| {
                                        for (hi, sh) in s.shots.iter().enumerate() {
                                            let item = StoryItem::Shot(ci, si, hi);
                                            let text = format!(
                                                "{} · {} · {}s",
                                                sh.name,
                                                sh.shot_type.label(),
                                                sh.duration
                                            );
                                            ui.horizontal(|ui| {
                                                let row = ui.selectable_label(
                                                    *selection == Some(item),
                                                    text,
                                                );
                                                rows.push((item, row.id));
                                                if row.clicked() {
                                                    // Focused too, so the arrows go on from here.
                                                    row.request_focus();
                                                    *selection = Some(item);
                                                }
                                                if let Some(t) =
                                                    open.takes.shot(&c.id, &s.id, &sh.id)
                                                {
                                                    let active = t
                                                        .active
                                                        .as_deref()
                                                        .map(|a| format!(" · ▶ {a}"))
                                                        .unwrap_or_default();
                                                    ui.weak(format!(
                                                        "{}{active}",
                                                        crate::util::count(t.takes.len(), "take")
                                                    ));
                                                }
                                            });
                                        }
                                    });
                                }
                            });
                        }
                    });
                tree_keys(ui, &rows, selection);
            }
        }
    }

    fn projects_ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        ui.section_heading("Projects");
        if ui
            .button("New project…")
            .on_hover_text(format!(
                "Create a project ({})",
                shortcut_text(ui.ctx(), UiCommand::NewProject)
            ))
            .clicked()
        {
            ctx.ui_commands.push(UiCommand::NewProject);
        }
        let vm = ctx.vm;
        if !vm.projects_loaded {
            ui.weak("Reading the workspace…");
            return;
        }
        if vm.projects.is_empty() {
            ui.empty_state(
                "No project open",
                &format!(
                    "Press {} to create one",
                    shortcut_text(ui.ctx(), UiCommand::NewProject)
                ),
            );
            return;
        }
        ui.labelled_text("Search projects", &mut self.search);
        let needle = self.search.to_lowercase();
        egui::ScrollArea::vertical()
            .id_salt("project_list")
            .show(ui, |ui| {
                for p in vm
                    .projects
                    .iter()
                    .filter(|p| needle.is_empty() || p.name.to_lowercase().contains(&needle))
                {
                    let r = ui
                        .selectable_label(false, egui::RichText::new(&p.name).strong())
                        .on_hover_text(format!("Open {}", p.path.display()));
                    let colour = if p.error.is_some() {
                        theme::ERROR
                    } else if p.git_state == "clean" {
                        theme::MUTED
                    } else {
                        theme::WARN
                    };
                    ui.colored_label(
                        colour,
                        egui::RichText::new(format!(
                            "{} · {} · {}",
                            format_bytes(p.size_bytes),
                            p.git_state,
                            crate::util::count(p.shots, "shot")
                        ))
                        .small(),
                    );
                    if r.clicked() {
                        ctx.commands.send(Command::OpenProject {
                            path: p.path.clone(),
                            read_only: false,
                        });
                    }
                }
            });
    }
}

/// ↑/↓ move to the row above or below, ← to the parent, → to the first child, when a
/// row of the story tree has keyboard focus; the new row is selected and focused.
fn tree_keys(ui: &egui::Ui, rows: &[(StoryItem, egui::Id)], selection: &mut Option<StoryItem>) {
    let Some(at) = rows
        .iter()
        .position(|(_, id)| ui.memory(|m| m.has_focus(*id)))
    else {
        return;
    };
    // The arrows are the tree's, not egui's move-focus-to-the-nearest-widget.
    ui.memory_mut(|m| {
        m.set_focus_lock_filter(
            rows[at].1,
            egui::EventFilter {
                vertical_arrows: true,
                horizontal_arrows: true,
                ..Default::default()
            },
        )
    });
    let pressed = |key| ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, key));
    let parent = |item: StoryItem| match item {
        StoryItem::Chapter(_) => None,
        StoryItem::Scene(c, _) => Some(StoryItem::Chapter(c)),
        StoryItem::Shot(c, s, _) => Some(StoryItem::Scene(c, s)),
    };
    let target = if pressed(egui::Key::ArrowDown) {
        rows.get(at + 1).map(|(item, _)| *item)
    } else if pressed(egui::Key::ArrowUp) {
        at.checked_sub(1).map(|i| rows[i].0)
    } else if pressed(egui::Key::ArrowLeft) {
        parent(rows[at].0)
    } else if pressed(egui::Key::ArrowRight) {
        rows.get(at + 1)
            .map(|(item, _)| *item)
            .filter(|next| parent(*next) == Some(rows[at].0))
    } else {
        None
    };
    if let Some(item) = target
        && let Some((_, id)) = rows.iter().find(|(i, _)| *i == item)
    {
        *selection = Some(item);
        ui.memory_mut(|m| m.request_focus(*id));
    }
}
