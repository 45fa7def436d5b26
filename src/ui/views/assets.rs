//! The Assets tab: files under `01_Assets/`, by category.

use crate::ui::views::ViewCtx;
use crate::ui::widgets::UiExt as _;
use crate::util::format_bytes;

pub fn assets_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
    let Some(p) = &ctx.vm.project else {
        ui.empty_state("Assets", "No project open — press Ctrl+N to create one");
        return;
    };
    if p.assets.is_empty() {
        ui.empty_state(
            "No assets yet",
            &format!(
                "Add characters, styles, locations, music, scripts and models under {}",
                p.path.join("01_Assets").display()
            ),
        );
        return;
    }
    let mut category = "";
    let patterns = &ctx.vm.lfs.rules;
    egui::ScrollArea::vertical().show(ui, |ui| {
        for a in &p.assets {
            if a.category != category {
                category = &a.category;
                ui.section_heading(category);
            }
            let lfs = patterns.matches(&a.path);
            ui.horizontal(|ui| {
                ui.label(format!(
                    "{} · {}{}",
                    a.path.rsplit('/').next().unwrap_or(&a.path),
                    format_bytes(a.size),
                    if lfs { " · LFS" } else { "" }
                ));
                if !lfs {
                    let pattern = crate::workspace::lfs::type_pattern(&a.path);
                    if ui
                        .small_button(format!("Track {pattern}"))
                        .on_hover_text("Store files of this type with Git LFS")
                        .clicked()
                    {
                        ctx.commands
                            .send(crate::events::Command::LfsTrack { pattern });
                    }
                }
            });
        }
    });
}

/// The Scene tab: the shots of the selected scene, or of the whole story.
pub fn scene_ui(
    ui: &mut egui::Ui,
    ctx: &mut ViewCtx<'_>,
    selection: Option<crate::ui::views::project_browser::StoryItem>,
) {
    use crate::ui::views::project_browser::StoryItem;
    let Some(m) = ctx.vm.project.as_ref().and_then(|p| p.manifest.as_ref()) else {
        ui.empty_state("Scene", "No project open — press Ctrl+N to create one");
        return;
    };
    let (c, s) = match selection {
        Some(StoryItem::Scene(c, s)) | Some(StoryItem::Shot(c, s, _)) => (c, s),
        _ => {
            ui.empty_state(
                "Scene",
                "Select a scene in the project browser to see its shots",
            );
            return;
        }
    };
    let Some(scene) = m.narrative.chapters.get(c).and_then(|ch| ch.scenes.get(s)) else {
        return;
    };
    ui.heading(&scene.name);
    if scene.shots.is_empty() {
        ui.weak("No shots yet: add one in the properties panel");
    }
    egui::Grid::new("shots")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for (i, sh) in scene.shots.iter().enumerate() {
                ui.label(format!("{}", i + 1));
                ui.label(egui::RichText::new(&sh.name).strong());
                ui.label(format!("{} · {}s", sh.shot_type.label(), sh.duration));
                ui.label(&sh.description);
                ui.end_row();
            }
        });
}
