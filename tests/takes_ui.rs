//! Takes through the real window (egui_kittest): generate from a shot with a real
//! process function that writes a PNG, review in the Scene tab by keyboard, compare,
//! soft-delete and undo, re-run with a take's settings. Plus snapshots of the compare
//! modes from a fixed project on disk.

mod common;

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use common::*;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use slate::ui::tabs::Tab;
use slate::ui::views::board::{CompareMode, SceneBoard};
use slate::ui::views::project_browser::StoryItem;
use slate::workspace::take_store::Review;

const TEMPLATE: &str = r#"
id = "test/gradient"
version = "1.0.0"
name = "Gradient"
description = "Writes a gradient PNG."
category = "gen"
command = ["{slate_exe}", "demo-gradient", "--out", "{output_dir}", "--width", "96", "--height", "54", "--seed", "{seed}"]
outputs = ["*.png"]

[executor]
type = "process"

[[inputs]]
name = "prompt"
type = "string"
from = "shot.description"

[[inputs]]
name = "seed"
type = "int"
default = 1
from = "random.seed"
"#;

fn slate(dir: &Path, cwd: &Path, args: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
        .args(args)
        .current_dir(cwd)
        .env("SLATE_DATA_DIR", dir.join("data"))
        .env("SLATE_WORKSPACE", dir.join("workspace"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "slate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A workspace with the gradient function and a project `film` with one shot.
fn film(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("data/functions")).unwrap();
    std::fs::write(dir.join("data/functions/gradient.toml"), TEMPLATE).unwrap();
    slate(dir, dir, &["project", "new", "film"]);
    let p = dir.join("workspace/film");
    slate(dir, &p, &["project", "scene", "add", "1", "Opening"]);
    slate(
        dir,
        &p,
        &[
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Hero",
            "--description",
            "a rider at dawn",
        ],
    );
    p
}

type H = egui_kittest::Harness<'static, slate::ui::App>;

fn press(h: &mut H, label: &str) {
    h.get_by_label(label).focus();
    h.run_steps(2);
    h.key_press(Key::Enter);
    h.run_steps(2);
}

fn shot_takes(h: &H) -> Vec<(String, Review, bool)> {
    h.state()
        .vm
        .project
        .as_ref()
        .and_then(|p| p.takes.shots.first())
        .map(|s| {
            s.takes
                .iter()
                .map(|t| {
                    (
                        t.id.clone(),
                        Review::of(t),
                        slate::workspace::take_store::is_starred(t),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn active(h: &H) -> Option<String> {
    h.state()
        .vm
        .project
        .as_ref()
        .and_then(|p| p.takes.shots.first())
        .and_then(|s| s.active.clone())
}

fn generate(h: &mut H, n: usize) {
    h.key_press_modifiers(Modifiers::COMMAND, Key::G);
    h.run_steps(3);
    h.get_by_label("Generate take");
    h.get_by_label("For Shot 1.1.1 Hero");
    h.get_by_label("Run").click();
    for _ in 0..200 {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    if shot_takes(h).len() != n {
        let vm = &h.state().vm;
        eprintln!("notifications: {:#?}", vm.notifications);
        eprintln!(
            "tasks: {:#?}",
            vm.tasks
                .values()
                .map(|t| (t.id, t.state, t.error.clone(), t.shot_ref.clone()))
                .collect::<Vec<_>>()
        );
        eprintln!("rejected: {:?}", vm.rejected);
    }
    wait_until(h, &format!("take {n} in the grid"), 60, |h| {
        shot_takes(h).len() == n
            && h.query_all_by_label_contains(&format!("take_00{n}"))
                .next()
                .is_some()
    });
}

#[test]
fn generate_review_compare_delete_undo_and_rerun_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let project = film(dir.path());
    let mut opts = options(dir.path());
    opts.open_project = Some("film".into());
    let mut h = harness_with(opts);
    settle(&mut h);
    wait_until(&mut h, "the project to open", 20, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.manifest.is_some())
            && !h.state().vm.functions.is_empty()
    });
    press(&mut h, "🎬 Opening");
    press(&mut h, "Hero · wide · 3s");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Scene);

    generate(&mut h, 1);
    generate(&mut h, 2);
    let shot = project.join("03_Renders");
    let shot_dir = walk_one(&walk_one(&walk_one(&shot)));
    let name = shot_dir.file_name().unwrap().to_string_lossy().into_owned();
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(shot_dir.join(format!("takes/take_001/{name}_take_001_metadata.json")))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(meta["generationParams"]["prompt"], "a rider at dawn");
    assert_eq!(meta["provenance"]["function"], "test/gradient@1.0.0");
    assert_eq!(
        meta["provenance"]["projectCommit"].as_str().unwrap().len(),
        40
    );

    // The newest take is selected: ← selects take_001; Space makes it active; A approves.
    h.key_press(Key::ArrowLeft);
    h.run_steps(2);
    h.key_press(Key::Space);
    wait_until(&mut h, "take_001 active", 20, |h| {
        active(h).as_deref() == Some("take_001")
    });
    h.get_by_label("⏺ take_001");
    h.key_press(Key::A);
    wait_until(&mut h, "take_001 approved", 20, |h| {
        shot_takes(h)
            .first()
            .is_some_and(|t| t.1 == Review::Approved)
    });
    // → take_002: reject and star.
    h.key_press(Key::ArrowRight);
    h.run_steps(2);
    h.key_press(Key::R);
    wait_until(&mut h, "take_002 rejected", 20, |h| {
        shot_takes(h)
            .get(1)
            .is_some_and(|t| t.1 == Review::Rejected)
    });
    h.key_press(Key::S);
    wait_until(&mut h, "take_002 starred", 20, |h| {
        shot_takes(h).get(1).is_some_and(|t| t.2)
    });
    // The same actions from the palette, on the selected take (take_002).
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run_steps(3);
    h.get_by_label("Search commands")
        .type_text("approve the selected take");
    h.run_steps(3);
    h.key_press(Key::Enter);
    wait_until(&mut h, "take_002 approved from the palette", 20, |h| {
        shot_takes(h)
            .get(1)
            .is_some_and(|t| t.1 == Review::Approved)
    });
    let active_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shot_dir.join("active_take.json")).unwrap()).unwrap();
    assert_eq!(active_json["activeTakeId"], "take_001");

    docs_screenshot(&mut h, "takes_scene_tab.png");
    // Compare (C): the active take and the selected one, in every mode.
    h.key_press(Key::C);
    h.run_steps(2);
    h.get_by_label("A: take_001  B: take_002");
    for mode in CompareMode::ALL {
        h.get_by_label(mode.label()).click();
        h.run_steps(3);
        if mode == CompareMode::Wipe {
            docs_screenshot(&mut h, "takes_compare_wipe.png");
        }
    }
    h.key_press(Key::Num2);
    h.run_steps(2);
    h.get_by_label("A: take_002  B: take_001");
    h.key_press(Key::Escape);
    h.run_steps(2);

    // Enter opens full-size, Esc closes.
    h.key_press(Key::Enter);
    h.run_steps(2);
    h.get_by_label("take_002 — full size");
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("take_002 — full size").is_none());

    // Delete soft-deletes; Ctrl+Z brings it back.
    h.key_press(Key::Delete);
    wait_until(&mut h, "take_002 deleted", 20, |h| shot_takes(h).len() == 1);
    assert!(
        std::fs::read_dir(shot_dir.join("takes"))
            .unwrap()
            .flatten()
            .any(|e| e
                .file_name()
                .to_string_lossy()
                .starts_with(".deleted_take_002_"))
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    wait_until(&mut h, "take_002 restored", 20, |h| {
        shot_takes(h).len() == 2
    });

    // Re-run take_001 with its settings: a third take with the same parameters.
    h.key_press(Key::ArrowLeft);
    h.run_steps(2);
    h.get_by_label("Re-run with these settings").click();
    wait_until(&mut h, "take_003", 60, |h| shot_takes(h).len() == 3);
    let m3: serde_json::Value = serde_json::from_slice(
        &std::fs::read(shot_dir.join(format!("takes/take_003/{name}_take_003_metadata.json")))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(m3["generationParams"], meta["generationParams"]);
    // Everything is committed.
    let repo = git2::Repository::open(&project).unwrap();
    let st = repo.statuses(None).unwrap();
    let dirty: Vec<String> = st
        .iter()
        .filter_map(|e| e.path().ok().map(str::to_string))
        .filter(|p| p.starts_with("03_Renders"))
        .filter(|p| !slate::workspace::lfs::unchanged_lfs_file(&repo, &project, p))
        .collect();
    assert!(dirty.is_empty(), "{dirty:?}");
}

/// `SLATE_DOCS_SCREENSHOTS=1`: save the window as the README shows it (docs/NAME).
fn docs_screenshot(h: &mut H, name: &str) {
    if std::env::var_os("SLATE_DOCS_SCREENSHOTS").is_none() {
        return;
    }
    for _ in 0..100 {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let img = h.render().expect("render the window");
    img.save(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(name),
    )
    .unwrap();
}

fn walk_one(p: &Path) -> std::path::PathBuf {
    std::fs::read_dir(p)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .unwrap()
}

/// A project on disk with two takes of one shot, as the board reads it.
fn two_takes(dir: &Path) -> slate::ui::view_model::ViewModel {
    use slate::workspace::manifest::{Manifest, NarrativeTemplate, Scene, Shot};
    let mut m = Manifest::new("Film", NarrativeTemplate::ThreeAct, 0);
    let shot: Shot = serde_json::from_value(serde_json::json!({
        "id": "shot-1", "name": "Hero", "shotType": "wide", "duration": 3, "description": "x"
    }))
    .unwrap();
    let mut scene = Scene::bare("scene-1");
    scene.name = "Opening".into();
    scene.shots.push(shot);
    m.narrative.chapters[0].scenes.push(scene);
    let ch = slate::workspace::names::sanitize(&m.narrative.chapters[0].id);
    let takes = dir.join(format!("03_Renders/{ch}/scene-1/shot-1/takes"));
    for (n, f) in [(1u32, 0u8), (2, 1)] {
        let t = takes.join(format!("take_00{n}"));
        std::fs::create_dir_all(&t).unwrap();
        let img = image::RgbImage::from_fn(160, 90, |x, y| {
            if f == 0 {
                image::Rgb([(x * 255 / 159) as u8, (y * 255 / 89) as u8, 60])
            } else {
                image::Rgb([200, (x * 255 / 159) as u8, (255 - y * 255 / 89) as u8])
            }
        });
        let media = t.join(format!("shot-1_take_00{n}.png"));
        img.save(&media).unwrap();
        slate::workspace::thumbnails::make_all(&media, &t, &format!("shot-1_take_00{n}")).unwrap();
        std::fs::write(
            t.join(format!("shot-1_take_00{n}_metadata.json")),
            serde_json::json!({"id": format!("take_00{n}"), "shotId": "x", "status": "complete"})
                .to_string(),
        )
        .unwrap();
    }
    let mut vm = slate::ui::view_model::ViewModel::default();
    vm.project = Some(slate::events::OpenProject {
        path: dir.to_path_buf(),
        manifest: Some(m),
        error: None,
        read_only: false,
        assets: Vec::new(),
        asset_folders: Vec::new(),
        takes: slate::workspace::takes::scan(dir),
        upgrade: slate::workspace::project::Upgrade::Current,
    });
    vm
}

#[test]
fn compare_modes_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let vm = two_takes(dir.path());
    assert_eq!(vm.project.as_ref().unwrap().takes.take_count(), 2);
    let board = Rc::new(RefCell::new(SceneBoard::default()));
    let b = board.clone();
    let mut h = view_harness(vm, [720.0, 420.0], 0, move |ui, ctx| {
        let mut sel = Some(StoryItem::Shot(0, 0, 0));
        b.borrow_mut().ui(ui, ctx, &mut sel);
    });
    h.run_steps(2);
    let mut results = Vec::new();
    for mode in CompareMode::ALL {
        {
            let mut bd = board.borrow_mut();
            bd.compare = vec![1, 2];
            bd.mode = mode;
            bd.wipe = 0.5;
            bd.onion = 0.5;
        }
        for _ in 0..500 {
            h.step();
            if board.borrow().pictures.idle() && board.borrow().pictures.textures() > 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        h.run_steps(3);
        let name = format!(
            "takes_compare_{}",
            mode.label().to_lowercase().replace(' ', "_")
        );
        results.push(h.try_snapshot_options(&name, &snapshot_options()));
    }
    // The grid with thumbnails, too.
    board.borrow_mut().compare.clear();
    for _ in 0..500 {
        h.step();
        if board.borrow().pictures.idle() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
    results.push(h.try_snapshot_options("takes_grid", &snapshot_options()));
    for r in results {
        r.unwrap();
    }
}
