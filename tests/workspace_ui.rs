//! The workspace through the window, keyboard first: create a project, add a scene and
//! a shot, commit from the Git tab, see the history entry.

mod common;

use common::*;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use slate::ui::tabs::Tab;

/// Focus a widget the way Tab would and press Enter/Space on it.
fn press(h: &mut egui_kittest::Harness<'static, slate::ui::App>, label: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.key_press(Key::Enter);
    h.run();
}

fn type_into(h: &mut egui_kittest::Harness<'static, slate::ui::App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

#[test]
fn create_a_project_add_a_shot_and_commit_from_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    settle(&mut h);
    wait_until(&mut h, "the project list", 10, |h| {
        h.state().vm.projects_loaded
    });

    // Ctrl+N, type a name, Enter.
    h.key_press_modifiers(Modifiers::COMMAND, Key::N);
    h.run();
    h.get_by_label("Project name").type_text("Midnight Noir");
    h.run();
    h.get_by_label("Folder: Midnight_Noir");
    h.key_press(Key::Enter);
    wait_until(&mut h, "the new project to open", 20, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.manifest.is_some())
            && h.state().vm.git_status.is_some()
    });
    assert!(
        dir.path()
            .join("workspace/Midnight_Noir/project.json")
            .exists()
    );
    assert!(h.query_by_label("New project").is_none(), "dialog closed");

    // Chapter 1 → add a scene → add a shot.
    press(&mut h, "1. Act I: Setup");
    type_into(&mut h, "New scene", "Rainy alley");
    press(&mut h, "Add scene");
    wait_until(&mut h, "the scene", 10, |h| {
        h.query_by_label("🎬 Rainy alley").is_some()
    });
    press(&mut h, "🎬 Rainy alley");
    type_into(&mut h, "Shot name", "Neon sign");
    press(&mut h, "Add shot");
    wait_until(&mut h, "the shot", 10, |h| {
        h.query_by_label("Neon sign · wide · 3s").is_some()
    });
    // project.json lists the scene by id; the story sidecar holds its name and shots.
    let story = std::fs::read_to_string(
        dir.path()
            .join("workspace/Midnight_Noir/02_Story/story.json"),
    )
    .unwrap();
    assert!(
        story.contains("\"Neon sign\"") && story.contains("\"Rainy alley\""),
        "{story}"
    );

    // Git tab: the manifest is modified; commit it with a message and Enter.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num6);
    h.run();
    assert_eq!(h.state().tab(), Tab::Git);
    wait_until(&mut h, "the change to show", 10, |h| {
        h.query_by_label("modified project.json").is_some()
    });
    type_into(&mut h, "Commit message", "Add the alley");
    h.key_press(Key::Enter);
    wait_until(&mut h, "the commit in history", 20, |h| {
        h.state()
            .vm
            .git_log
            .first()
            .is_some_and(|c| c.summary == "feat: Add the alley")
    });
    // Shown in the history table (and in the notification and toast that say so).
    assert!(h.get_all_by_label("feat: Add the alley").count() >= 2);
    h.get_by_label("Nothing to commit");
    assert_eq!(h.state().vm.git_log.len(), 2);
}

#[test]
fn a_bad_project_name_is_explained_in_the_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::N);
    h.run();
    h.get_by_label("Project name").type_text("con");
    h.run();
    h.get_by_label_contains("reserved device name");
    h.key_press(Key::Escape);
    h.run();
    assert!(h.query_by_label("Project name").is_none());
    assert!(!dir.path().join("workspace/con").exists());
}
