//! Takes, each figure against a peer in the same run:
//! - the three thumbnails of a 4K PNG vs ImageMagick (`convert -thumbnail`, one decode,
//!   three outputs);
//! - a finished run's output → a committed take (copy, thumbnails, metadata, LFS commit)
//!   vs `cp` + `git add` (git-lfs) + `git commit`;
//! - the Scene tab's take grid with 1,000 takes: UI-thread CPU per frame while scrolling
//!   (p99, goal < 4 ms) and the textures it holds (goal ≤ 256 MB), thumbnails decoded on
//!   the picture thread.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Figure, full_run, percentile, thread_cpu};
use slate::runner::task::{ShotRef, Task};
use slate::workspace::manifest::NarrativeTemplate;
use slate::workspace::{project, take_store, thumbnails};

fn run(dir: &Path, home: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this benchmark: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The real ImageMagick (a stand-in script may sit first in PATH).
fn convert() -> &'static str {
    if Path::new("/usr/bin/convert").exists() {
        "/usr/bin/convert"
    } else {
        "convert"
    }
}

fn thumbnails_4k(dir: &Path, figures: &mut Vec<Figure>) {
    let (w, h) = if full_run() { (3840, 2160) } else { (960, 540) };
    let src = dir.join("frame.png");
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
    })
    .save(&src)
    .unwrap();
    let runs = if full_run() { 5 } else { 1 };
    let out = dir.join("slate_thumbs");
    std::fs::create_dir_all(&out).unwrap();
    let slate = common::median_wall(runs, || {
        thumbnails::make_all(&src, &out, "frame").unwrap();
    });
    let im_out = dir.join("im_thumbs");
    std::fs::create_dir_all(&im_out).unwrap();
    let o = |n: &str| im_out.join(n).display().to_string();
    let src_s = src.display().to_string();
    let (l, m, s) = (o("l.png"), o("m.png"), o("s.png"));
    let args: Vec<&str> = vec![
        &src_s,
        "-background",
        "black",
        "-gravity",
        "center",
        "(",
        "+clone",
        "-thumbnail",
        "512x512",
        "-extent",
        "512x512",
        "-write",
        &l,
        "+delete",
        ")",
        "(",
        "+clone",
        "-thumbnail",
        "320x180",
        "-extent",
        "320x180",
        "-write",
        &m,
        "+delete",
        ")",
        "-thumbnail",
        "128x128",
        "-extent",
        "128x128",
        &s,
    ];
    let im = common::median_wall(runs, || run(dir, dir, convert(), &args));
    figures.push(Figure::versus(
        &format!("three thumbnails of a {w}x{h} PNG (s)"),
        slate.as_secs_f64(),
        "s",
        "ImageMagick convert -thumbnail (one decode, 3 outputs)",
        im.as_secs_f64(),
    ));
}

fn committed_take(dir: &Path, figures: &mut Vec<Figure>) {
    let (bytes, label) = if full_run() {
        (200 << 20, "200 MB")
    } else {
        (8 << 20, "8 MB")
    };
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = b\n\temail = b@l\n",
    )
    .unwrap();
    run(dir, &home, "git", &["lfs", "install", "--skip-repo"]);
    // Slate: a finished task's clip becomes take_001 of a shot, committed under LFS.
    let p = project::create(&dir.join("ws"), "Bench", NarrativeTemplate::ThreeAct).unwrap();
    let out = dir.join("task_out");
    std::fs::create_dir_all(&out).unwrap();
    common::write_random_file(&out.join("clip.mp4"), bytes, 7);
    let mut task = Task::queued(1, "gen/video", "1.0.0", 1);
    task.output_dir = Some(out.clone());
    task.outputs = vec!["clip.mp4".into()];
    task.started_ms = Some(2);
    task.finished_ms = Some(3);
    let r = ShotRef {
        project_id: "p".into(),
        chapter_id: "ch".into(),
        scene_id: "sc".into(),
        shot_id: "sh".into(),
        ..Default::default()
    };
    task.shot_ref = Some(r.clone());
    let ctx = take_store::RunContext::default();
    let t = Instant::now();
    let made = take_store::create(&p, &r, &task, &ctx, true).unwrap();
    let slate_s = t.elapsed().as_secs_f64();
    assert!(made.commit.is_some());

    // Peer: cp into the take folder, git add (git-lfs), git commit.
    let g = dir.join("git");
    std::fs::create_dir_all(&g).unwrap();
    run(&g, &home, "git", &["init", "-q", "-b", "main"]);
    run(&g, &home, "git", &["lfs", "track", "*.mp4"]);
    run(&g, &home, "git", &["add", ".gitattributes"]);
    run(&g, &home, "git", &["commit", "-qm", "init"]);
    std::fs::create_dir_all(g.join("take_001")).unwrap();
    let t = Instant::now();
    run(
        &g,
        &home,
        "cp",
        &[
            &out.join("clip.mp4").display().to_string(),
            "take_001/sh_take_001.mp4",
        ],
    );
    run(&g, &home, "git", &["add", "take_001"]);
    run(&g, &home, "git", &["commit", "-qm", "render: take_001"]);
    let peer_s = t.elapsed().as_secs_f64();
    figures.push(Figure::versus(
        &format!("{label} clip → committed take (s)"),
        slate_s,
        "s",
        "cp + git add (git-lfs) + git commit",
        peer_s,
    ));
}

fn gallery(dir: &Path, figures: &mut Vec<Figure>) {
    use slate::ui::views::board::SceneBoard;
    use slate::ui::views::project_browser::StoryItem;
    use slate::workspace::manifest::{Manifest, Scene, Shot};
    let n = 1000;
    let mut m = Manifest::new("Gallery", NarrativeTemplate::ThreeAct, 0);
    let shot: Shot = serde_json::from_value(serde_json::json!({
        "id": "shot-1", "name": "Hero", "shotType": "wide", "duration": 3, "description": "x"
    }))
    .unwrap();
    let mut scene = Scene::bare("scene-1");
    scene.shots.push(shot);
    m.narrative.chapters[0].scenes.push(scene);
    let ch = slate::workspace::names::sanitize(&m.narrative.chapters[0].id);
    let takes = dir.join(format!("gallery/03_Renders/{ch}/scene-1/shot-1/takes"));
    let thumb = dir.join("thumb.png");
    image::RgbImage::from_fn(128, 128, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(&thumb)
        .unwrap();
    for i in 1..=n {
        let t = takes.join(format!("take_{i:03}"));
        std::fs::create_dir_all(&t).unwrap();
        std::fs::copy(
            &thumb,
            t.join(format!("shot-1_take_{i:03}_thumb_small.png")),
        )
        .unwrap();
        std::fs::write(
            t.join(format!("shot-1_take_{i:03}_metadata.json")),
            format!(r#"{{"id": "take_{i:03}", "shotId": "x", "status": "complete"}}"#),
        )
        .unwrap();
    }
    let root = dir.join("gallery");
    let mut vm = slate::ui::view_model::ViewModel::default();
    vm.project = Some(slate::events::OpenProject {
        path: root.clone(),
        manifest: Some(m),
        error: None,
        read_only: false,
        assets: Vec::new(),
        asset_folders: Vec::new(),
        takes: slate::workspace::takes::scan(&root),
        upgrade: slate::workspace::project::Upgrade::Current,
    });
    assert_eq!(vm.project.as_ref().unwrap().takes.take_count(), n);
    let ctx = egui::Context::default();
    let commands = slate::core::CommandSender::detached();
    let mut board = SceneBoard::default();
    let frames = if full_run() { 1500 } else { 60 };
    let mut times = Vec::new();
    let mut max_textures = 0;
    for f in 0..frames {
        let mut input = common::window_input();
        // Scroll down steadily through the grid (and back up once past the end).
        let dy = if (f / 300) % 2 == 0 { -60.0 } else { 60.0 };
        input.events.push(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, dy),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        input
            .events
            .push(egui::Event::PointerMoved(egui::pos2(400.0, 700.0)));
        let t = thread_cpu();
        let mut out = ctx.run_ui(input, |ui| {
            let (mut pending, mut selected) = (Vec::new(), None);
            let mut vctx = slate::ui::views::ViewCtx {
                vm: &vm,
                commands: &commands,
                ui_commands: &mut pending,
                selected_task: &mut selected,
                now_ms: 0,
                progress_expanded_for: 0,
            };
            let mut sel = Some(StoryItem::Shot(0, 0, 0));
            board.ui(ui, &mut vctx, &mut sel);
        });
        // Texture uploads are a renderer's business; a headless frame drops them.
        out.textures_delta.clear();
        let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
        times.push((thread_cpu() - t).as_secs_f64() * 1000.0);
        max_textures = max_textures.max(board.pictures.textures());
        std::thread::sleep(Duration::from_millis(2));
    }
    // The first frames start the picture thread; steady state is what a user scrolls.
    let mut steady: Vec<f64> = times.split_off(times.len().min(5));
    steady.sort_by(f64::total_cmp);
    figures.push(Figure::alone(
        &format!("take grid, {n} takes: frame CPU p99 (ms)"),
        percentile(&steady, 0.99),
        "ms",
    ));
    figures.push(Figure::alone(
        &format!("take grid, {n} takes: frame CPU p50 (ms)"),
        percentile(&steady, 0.5),
        "ms",
    ));
    // Small thumbnails are at most 320 px on a side after decode: 320×320×4 bytes each.
    let bound_mb = max_textures as f64 * 320.0 * 320.0 * 4.0 / (1024.0 * 1024.0);
    figures.push(Figure::alone(
        "take grid: textures held at most (count)",
        max_textures as f64,
        "count",
    ));
    figures.push(Figure::alone(
        "take grid: texture memory upper bound (MB)",
        bound_mb,
        "MB",
    ));
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut figures = Vec::new();
    thumbnails_4k(dir.path(), &mut figures);
    committed_take(dir.path(), &mut figures);
    gallery(dir.path(), &mut figures);
    common::write("takes", &figures);
}
