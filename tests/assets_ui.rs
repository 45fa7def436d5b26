//! The Assets tab in the real window: an asset folder in the web studio's format (built
//! here) shows in the grid with its metadata; files dropped on the window are imported
//! into the category the grid shows; Ctrl+I opens the import dialog; a shot links an
//! asset from its properties.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use slate::workspace::manifest::NarrativeTemplate;

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn png(path: &Path, w: u32, h: u32, seed: u8) {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            seed.wrapping_mul(40),
        ])
    })
    .save(path)
    .unwrap();
}

/// A character folder as the web studio writes it: asset.json, base/, lora/, variations/.
fn web_studio_character(project: &Path, name: &str, id: &str, seed: u8) {
    let dir = project
        .join("01_Assets/Characters")
        .join(format!("{name}_{}", &id[..8]));
    for part in ["base", "lora", "variations"] {
        std::fs::create_dir_all(dir.join(part)).unwrap();
    }
    png(&dir.join("base/face.png"), 96, 128, seed);
    std::fs::write(
        dir.join("asset.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "id": id,
            "name": name,
            "category": "Characters",
            "type": "characters",
            "version": "1.0",
            "created_at": "2026-11-01T10:00:00+00:00",
            "updated_at": "2026-11-01T10:00:00+00:00",
            "tags": ["lead"],
            "metadata": {"description": "Trench coat, rain-soaked"},
            "files": {"image": "base/face.png"},
            "preview": "base/face.png",
            "path": format!("Characters/{name}_{}", &id[..8]),
        }))
        .unwrap(),
    )
    .unwrap();
}

/// A music asset as the web studio writes it, with a 16-bit WAV (a waveform tile).
fn web_studio_music(project: &Path) {
    let dir = project.join("01_Assets/Music/Night_theme_9c8d7e6f");
    std::fs::create_dir_all(&dir).unwrap();
    let n = 16000u32;
    let mut b = b"RIFF".to_vec();
    b.extend((36 + n * 2).to_le_bytes());
    b.extend(b"WAVEfmt ");
    for v in [16u32.to_le_bytes().to_vec(), vec![1, 0, 1, 0]] {
        b.extend(v);
    }
    b.extend(8000u32.to_le_bytes());
    b.extend(16000u32.to_le_bytes());
    b.extend([2, 0, 16, 0]);
    b.extend(b"data");
    b.extend((n * 2).to_le_bytes());
    for i in 0..n {
        let env = ((i as f32 / 2000.0).sin().abs() * 0.9 + 0.1) * 30000.0;
        b.extend((((i as f32 / 5.0).sin() * env) as i16).to_le_bytes());
    }
    std::fs::write(dir.join("theme.wav"), b).unwrap();
    std::fs::write(
        dir.join("asset.json"),
        r#"{"id":"9c8d7e6f-3333-4333-8333-333333333333","name":"Night theme","category":"Music","type":"music","version":"1.0","tags":[],"metadata":{},"files":{"audio":"theme.wav"},"preview":null,"path":"Music/Night_theme_9c8d7e6f"}"#,
    )
    .unwrap();
}

/// Project "Noir" in `dir`'s workspace with the web studio's character "Detective".
fn noir_with_a_detective(dir: &Path) -> PathBuf {
    let ws = dir.join("workspace");
    std::fs::create_dir_all(&ws).unwrap();
    let project =
        slate::workspace::project::create(&ws, "Noir", NarrativeTemplate::ThreeAct).unwrap();
    web_studio_character(
        &project,
        "Detective",
        "1a2b3c4d-1111-4111-8111-111111111111",
        1,
    );
    project
}

#[test]
fn a_web_studio_asset_shows_in_the_grid_and_dropped_files_are_imported() {
    let _home = gitcli_home();
    let dir = tempfile::tempdir().unwrap();
    let project = noir_with_a_detective(dir.path());
    web_studio_character(
        &project,
        "Singer",
        "5e6f7a8b-2222-4222-8222-222222222222",
        4,
    );
    web_studio_music(&project);
    let mut options = options(dir.path());
    options.open_project = Some("Noir".into());
    let mut h = harness_with(options);
    settle(&mut h);
    wait_until(&mut h, "the project to open with its assets", 20, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.asset_folders.len() == 3)
    });
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    h.run_steps(3);
    assert_eq!(h.state().tab(), slate::ui::tabs::Tab::Assets);
    h.get_by_label("Characters (2)");
    h.get_by_label("Music (1)");
    // Thumbnails decode off the UI thread; wait for them, then select one.
    wait_until(&mut h, "thumbnails", 10, |h| {
        h.query_by_role_and_label(egui::accesskit::Role::Button, "Detective")
            .is_some()
    });
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Detective")
        .click();
    h.run_steps(3);
    h.get_by_label("Trench coat, rain-soaked");
    h.get_by_label("lead");
    h.get_by_label("1 base, 0 LoRA, 0 variations");
    h.get_by_label_contains("No shot uses it yet");

    // Search narrows the grid.
    h.get_by_label("Search").focus();
    h.run();
    h.get_by_label("Search").type_text("sing");
    h.run_steps(3);
    assert!(h.query_by_label("Characters (1)").is_some());
    assert!(
        h.query_by_role_and_label(egui::accesskit::Role::Button, "Detective")
            .is_none()
    );
    h.get_by_label("Search").focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.key_press(Key::Backspace);
    h.run_steps(3);

    // Ctrl+I opens the import dialog; Cancel closes it.
    h.key_press_modifiers(Modifiers::COMMAND, Key::I);
    h.run_steps(2);
    h.get_by_label("Import assets");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.query_by_label("Import assets").is_none());

    // Files dropped on the window: with no category shown, the dialog asks.
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let a = input.join("hero sheet.png");
    let b = input.join("villain.png");
    png(&a, 320, 200, 7);
    png(&b, 64, 64, 9);
    h.input_mut()
        .dropped_files
        .extend([a.clone(), b.clone()].map(|p| Arc::new(Dropped(p)) as _));
    h.run_steps(3);
    h.get_by_label("Import assets");
    h.get_by_label_contains("hero sheet.png could be a character, style, location");
    h.get_by_label("Import as").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Characters")
        .click();
    h.run_steps(2);
    h.get_by_label("Import").click();
    wait_until(&mut h, "the import to finish", 30, |h| {
        h.state().vm.imports_done > 0
            && h.state()
                .vm
                .project
                .as_ref()
                .is_some_and(|p| p.asset_folders.len() == 5)
    });
    let report = h.state().vm.last_import.clone().unwrap();
    assert_eq!(report.imported.len(), 2, "{report:?}");
    assert_eq!(
        report.commit_message.as_deref(),
        Some("asset: Add 2 characters")
    );
    h.get_by_label("Characters (4)");
    h.get_by_role_and_label(egui::accesskit::Role::Button, "hero sheet")
        .click();
    h.run_steps(3);
    h.get_by_label_contains("width 320");
    // The grid for the README (rendered on lavapipe, no display needed).
    wait_until(&mut h, "every thumbnail", 10, |_| true);
    h.run_steps(5);
    if let Ok(img) = h.render() {
        let out = std::env::var_os("SLATE_ASSETS_SCREENSHOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.path().join("assets.png"));
        img.save(&out).unwrap();
    }
}

/// The selected asset's actions from the palette (item 9), and Enter in its New name
/// field (item 2): rename with Enter, delete with its confirmation; nothing offered with
/// no asset selected.
#[test]
fn the_palette_renames_and_deletes_the_selected_asset_and_enter_applies_a_rename() {
    let _home = gitcli_home();
    let dir = tempfile::tempdir().unwrap();
    noir_with_a_detective(dir.path());
    let mut options = options(dir.path());
    options.open_project = Some("Noir".into());
    let mut h = harness_with(options);
    settle(&mut h);
    wait_until(&mut h, "the project with its asset", 20, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.asset_folders.len() == 1)
    });
    assert!(
        !h.state().availability().asset_selected,
        "asset commands offered with no asset selected"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    h.run_steps(3);
    wait_until(&mut h, "the tile", 10, |h| {
        h.query_by_role_and_label(egui::accesskit::Role::Button, "Detective")
            .is_some()
    });
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Detective")
        .click();
    h.run_steps(3);
    assert!(h.state().availability().asset_selected);
    // Rename from the palette: the New name field takes focus; Enter applies it.
    palette(&mut h, "rename the selected asset");
    assert!(h.get_by_label("New name").is_focused());
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("New name").type_text("Inspector");
    h.run_steps(2);
    h.key_press(Key::Enter);
    wait_until(&mut h, "the rename", 30, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.asset_folders.iter().any(|a| a.name == "Inspector"))
    });
    // Delete from the palette asks first.
    wait_until(&mut h, "the renamed tile", 10, |h| {
        h.query_by_role_and_label(egui::accesskit::Role::Button, "Inspector")
            .is_some()
    });
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Inspector")
        .click();
    h.run_steps(3);
    palette(&mut h, "delete the selected asset");
    h.get_by_label_contains("Move Inspector to the trash");
    h.get_by_label("Move to trash").click();
    wait_until(&mut h, "the delete", 30, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.asset_folders.is_empty())
    });
}

fn gitcli_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".gitconfig"),
        "[user]\n\tname = Test Director\n\temail = director@example.com\n",
    )
    .unwrap();
    home
}

#[test]
fn a_big_import_in_the_window_shows_progress_and_cancel_leaves_nothing() {
    let _home = gitcli_home();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    std::fs::create_dir_all(&ws).unwrap();
    let project =
        slate::workspace::project::create(&ws, "Noir", NarrativeTemplate::ThreeAct).unwrap();
    let big = dir.path().join("weights.safetensors");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let head = git2::Repository::open(&project)
        .unwrap()
        .head()
        .unwrap()
        .target();
    let mut options = options(dir.path());
    options.open_project = Some("Noir".into());
    let mut h = harness_with(options);
    settle(&mut h);
    wait_until(&mut h, "the project to open", 20, |h| {
        h.state().vm.project.is_some()
    });
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(big.clone())));
    h.run_steps(3);
    h.get_by_label_contains("weights.safetensors could be a character, model");
    h.get_by_label("Import as").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Models")
        .click();
    h.run_steps(2);
    h.get_by_label("Import").click();
    wait_until(&mut h, "progress past 64 MiB", 60, |h| {
        h.state()
            .vm
            .import
            .as_ref()
            .is_some_and(|p| p.done_bytes > 64 << 20)
    });
    h.get_by_label("Importing assets");
    h.get_by_label("Cancel").click();
    wait_until(&mut h, "the cancel", 30, |h| h.state().vm.imports_done > 0);
    assert!(h.state().vm.last_import.as_ref().unwrap().cancelled);
    assert!(h.get_all_by_label("Import cancelled").count() >= 1);
    let models: Vec<_> = std::fs::read_dir(project.join("01_Assets/Models"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != ".gitkeep")
        .collect();
    assert!(models.is_empty(), "{models:?}");
    assert_eq!(
        std::fs::read_dir(project.join(".slate/tmp"))
            .map(|r| r.count())
            .unwrap_or(0),
        0
    );
    let repo = git2::Repository::open(&project).unwrap();
    assert_eq!(repo.head().unwrap().target(), head);
}
