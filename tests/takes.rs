//! Takes: a shot-bound run becomes the shot's next take in the web studio's layout,
//! committed under LFS; review actions; crash safety between output and commit. Driven
//! through the real `slate` binary with a real process function that writes a PNG, and
//! checked with the real git and git-lfs CLIs.

#[path = "common/git.rs"]
mod gitcli;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const TEMPLATE: &str = r#"
id = "test/gradient"
version = "1.2.0"
name = "Gradient"
description = "Writes a gradient PNG."
category = "gen"
command = ["{slate_exe}", "demo-gradient", "--out", "{output_dir}", "--width", "{width}", "--height", "48", "--seed", "{seed}"]
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

[[inputs]]
name = "width"
type = "int"
default = 64
"#;

struct Env {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    home: tempfile::TempDir,
    project: PathBuf,
}

impl Env {
    fn new() -> Self {
        let home = gitcli::home();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::create_dir_all(dir.join("data/functions")).unwrap();
        std::fs::write(dir.join("data/functions/gradient.toml"), TEMPLATE).unwrap();
        let mut env = Self {
            _tmp: tmp,
            project: dir.join("ws/film"),
            dir,
            home,
        };
        env.ok(&["project", "new", "film"]);
        env.ok(&["project", "scene", "add", "1", "Opening"]);
        env.ok(&[
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Hero",
            "--description",
            "a lone rider at dawn",
        ]);
        env.project = env.project.clone();
        env
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_slate"));
        c.args(args)
            .current_dir(if self.project.exists() {
                &self.project
            } else {
                &self.dir
            })
            .env("SLATE_DATA_DIR", self.dir.join("data"))
            .env("SLATE_WORKSPACE", self.dir.join("ws"))
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1");
        c
    }

    fn ok(&mut self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "slate {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn git(&self, args: &[&str]) -> String {
        gitcli::git(self.home.path(), &self.project, args)
    }

    fn shot_dir(&self) -> PathBuf {
        let renders = self.project.join("03_Renders");
        let c = only_dir(&renders);
        let s = only_dir(&c);
        only_dir(&s)
    }

    /// `git fsck` and `git lfs fsck` pass, and the work tree under 03_Renders is clean.
    fn consistent(&self) {
        self.git(&["fsck", "--no-progress"]);
        self.git(&["lfs", "fsck"]);
        let st = self.git(&["status", "--porcelain", "--", "03_Renders"]);
        assert!(st.trim().is_empty(), "take files left uncommitted: {st}");
    }
}

fn only_dir(p: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(p)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(
        dirs.len(),
        1,
        "one folder expected in {}: {dirs:?}",
        p.display()
    );
    dirs[0].clone()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_run_for_a_shot_becomes_its_next_take_and_the_director_reviews_it() {
    let mut env = Env::new();
    let out = env.ok(&["take", "generate", "1", "1", "1", "test/gradient"]);
    assert!(out.contains("take_001"), "{out}");
    let shot = env.shot_dir();
    let shot_name = shot.file_name().unwrap().to_string_lossy().into_owned();
    let take = shot.join("takes/take_001");
    let base = format!("{shot_name}_take_001");
    // The web studio's layout, file by file.
    assert_eq!(
        names(&take),
        vec![
            format!("{base}.png"),
            format!("{base}_metadata.json"),
            format!("{base}_thumb_large.png"),
            format!("{base}_thumb_medium.png"),
            format!("{base}_thumb_small.png"),
        ]
    );
    assert_eq!(
        image::image_dimensions(take.join(format!("{base}.png"))).unwrap(),
        (64, 48)
    );
    for (size, dims) in [
        ("large", (512, 512)),
        ("medium", (320, 180)),
        ("small", (128, 128)),
    ] {
        assert_eq!(
            image::image_dimensions(take.join(format!("{base}_thumb_{size}.png"))).unwrap(),
            dims
        );
    }
    // The metadata, field by field (camelCase, the web studio's names plus provenance).
    let m = json(&take.join(format!("{base}_metadata.json")));
    let rel = shot
        .strip_prefix(&env.project)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let shot_id = rel.strip_prefix("03_Renders/").unwrap();
    assert_eq!(m["id"], "take_001");
    assert_eq!(m["shotId"], shot_id);
    assert_eq!(m["status"], "complete");
    assert_eq!(m["reviewStatus"], "pending");
    assert_eq!(m["starred"], false);
    assert_eq!(m["filePath"], format!("{rel}/takes/take_001/{base}.png"));
    assert_eq!(
        m["fileSize"].as_u64().unwrap(),
        std::fs::metadata(take.join(format!("{base}.png")))
            .unwrap()
            .len()
    );
    assert!(m["created"].as_str().unwrap().starts_with("20"));
    assert_eq!(m["resources"]["quality"], "standard");
    assert!(m["resources"]["generationTime"].is_number());
    assert_eq!(m["generationParams"]["prompt"], "a lone rider at dawn");
    let p = &m["provenance"];
    assert_eq!(p["function"], "test/gradient@1.2.0");
    assert_eq!(p["executor"], "process");
    assert_eq!(p["parameters"]["prompt"], "a lone rider at dawn");
    assert!(p["seed"].is_number(), "seed from random.seed: {p}");
    assert_eq!(p["slateVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(p["projectCommit"].as_str().unwrap().len(), 40);
    assert!(p["queuedAt"].is_string() && p["runTimeS"].is_number());
    let manifest = json(&env.project.join("project.json"));
    assert_eq!(p["projectId"], manifest["id"]);
    // Committed, with the picture as an LFS pointer.
    let log = env.git(&["log", "-1", "--format=%s"]);
    assert_eq!(log.trim(), format!("render: shot {shot_id} take_001"));
    let head = env.git(&[
        "cat-file",
        "-p",
        &format!("HEAD:{rel}/takes/take_001/{base}.png"),
    ]);
    assert!(
        head.starts_with("version https://git-lfs.github.com/spec/v1"),
        "{head}"
    );
    env.consistent();

    // A second take, then review.
    env.ok(&[
        "take",
        "generate",
        "1",
        "1",
        "1",
        "test/gradient",
        "--param",
        "width=80",
    ]);
    assert!(shot.join("takes/take_002").is_dir());
    env.ok(&["take", "activate", "1", "1", "1", "2"]);
    let active = json(&shot.join("active_take.json"));
    assert_eq!(active["shotId"], shot_id);
    assert_eq!(active["activeTakeId"], "take_002");
    assert!(active["updated"].is_string());
    let manifest = json(&env.project.join("project.json"));
    assert_eq!(manifest["metadata"]["activeTakes"][shot_id], "take_002");
    env.ok(&["take", "approve", "1", "1", "1", "take_001"]);
    env.ok(&["take", "reject", "1", "1", "1", "2"]);
    env.ok(&["take", "star", "1", "1", "1", "2"]);
    let m2 = json(&shot.join(format!("takes/take_002/{shot_name}_take_002_metadata.json")));
    assert_eq!(m2["reviewStatus"], "rejected");
    assert_eq!(m2["starred"], true);
    let listed: Value = serde_json::from_str(&env.ok(&["take", "list", "--json"])).unwrap();
    assert_eq!(listed["shots"][0]["active"], "take_002");
    assert_eq!(listed["shots"][0]["takes"].as_array().unwrap().len(), 2);
    env.consistent();

    // Delete the active take: soft delete, another becomes active; numbers never repeat.
    env.ok(&["take", "delete", "1", "1", "1", "2"]);
    let gone: Vec<String> = names(&shot.join("takes"))
        .into_iter()
        .filter(|n| n.starts_with(".deleted_take_002_"))
        .collect();
    assert_eq!(gone.len(), 1);
    assert_eq!(
        json(&shot.join("active_take.json"))["activeTakeId"],
        "take_001"
    );
    env.ok(&["take", "generate", "1", "1", "1", "test/gradient"]);
    assert!(
        shot.join("takes/take_003").is_dir(),
        "{:?}",
        names(&shot.join("takes"))
    );
    env.ok(&["take", "restore", "1", "1", "1", "2"]);
    assert!(shot.join("takes/take_002").is_dir());
    env.consistent();

    // Keep 1 newest: take_003 stays (newest), take_001 (active, approved) and take_002
    // (starred) stay too; nothing goes.
    let plan = env.ok(&["take", "cleanup", "1", "1", "1", "--keep", "1", "--yes"]);
    assert!(plan.contains("nothing to delete"), "{plan}");
    env.ok(&["take", "star", "1", "1", "1", "2", "--off"]);
    env.ok(&["take", "cleanup", "1", "1", "1", "--keep", "1", "--yes"]);
    assert!(!shot.join("takes/take_002").exists());
    assert!(shot.join("takes/take_001").is_dir() && shot.join("takes/take_003").is_dir());
    env.consistent();
}

#[test]
fn sigkill_between_output_and_commit_leaves_a_whole_take_or_none() {
    let mut env = Env::new();
    env.ok(&["take", "generate", "1", "1", "1", "test/gradient"]);
    for point in ["staged", "renamed", "stored"] {
        let out = env
            .cmd(&["take", "generate", "1", "1", "1", "test/gradient"])
            .env("SLATE_TEST_CRASH_AT", point)
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{point}: the process should have been killed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The next start (any take command) finishes or rolls back.
        env.ok(&["take", "list"]);
        let shot = env.shot_dir();
        let takes = names(&shot.join("takes"));
        assert!(
            takes.iter().all(|n| !n.starts_with(".staging")),
            "{point}: a half take is left: {takes:?}"
        );
        env.consistent();
        // Every take in place is complete.
        for t in takes.iter().filter(|n| n.starts_with("take_")) {
            let files = names(&shot.join("takes").join(t));
            assert_eq!(files.len(), 5, "{point}: {t} is incomplete: {files:?}");
        }
    }
    // The next run: the crashed runs' takes were finished on the next start, and the new
    // one gets a number never used before.
    env.ok(&["take", "generate", "1", "1", "1", "test/gradient"]);
    let shot = env.shot_dir();
    let takes: Vec<String> = names(&shot.join("takes"))
        .into_iter()
        .filter(|n| n.starts_with("take_"))
        .collect();
    let numbers: Vec<u32> = takes.iter().map(|t| t[5..].parse().unwrap()).collect();
    let mut unique = numbers.clone();
    unique.dedup();
    assert_eq!(numbers, unique, "{takes:?}");
    // At least the first take, the ones finished after a crash and the last one.
    assert!(numbers.len() >= 4, "{takes:?}");
    // The newest take has the highest number ever used.
    let newest = takes
        .iter()
        .max_by_key(|t| {
            json(&shot.join("takes").join(t).join(format!(
                "{}_{t}_metadata.json",
                shot.file_name().unwrap().to_string_lossy()
            )))["provenance"]["taskId"]
                .as_u64()
                .unwrap()
        })
        .unwrap();
    assert_eq!(newest, takes.last().unwrap());
    env.consistent();
}

#[test]
fn a_web_studio_take_folder_is_read_with_its_status_metadata_and_thumbnails() {
    use slate::workspace::take_store::{Review, is_starred};
    let tmp = tempfile::tempdir().unwrap();
    let shot = tmp.path().join("03_Renders/ch-1/sc-1/shot-9");
    for (n, review, star) in [
        (1, "approved", true),
        (2, "rejected", false),
        (3, "", false),
    ] {
        let dir = shot.join(format!("takes/take_00{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        image::RgbImage::from_pixel(32, 18, image::Rgb([n as u8 * 40, 0, 0]))
            .save(dir.join(format!("shot-9_take_00{n}.png")))
            .unwrap();
        for size in ["large", "medium", "small"] {
            image::RgbImage::from_pixel(8, 8, image::Rgb([0, 0, 0]))
                .save(dir.join(format!("shot-9_take_00{n}_thumb_{size}.png")))
                .unwrap();
        }
        let mut m = serde_json::json!({
            "id": format!("take_00{n}"), "shotId": "ch-1/sc-1/shot-9",
            "created": "2025-06-28T10:13:30.123456",
            "generationParams": {"prompt": "x", "seed": 42},
            "resources": {"quality": "standard", "vramUsed": 0, "generationTime": 0},
            "status": "complete",
        });
        if !review.is_empty() {
            m["reviewStatus"] = review.into();
            m["starred"] = star.into();
        }
        std::fs::write(
            dir.join(format!("shot-9_take_00{n}_metadata.json")),
            serde_json::to_vec_pretty(&m).unwrap(),
        )
        .unwrap();
    }
    std::fs::create_dir_all(shot.join("takes/.deleted_take_004_1735000000")).unwrap();
    std::fs::write(
        shot.join("active_take.json"),
        r#"{"shotId": "ch-1/sc-1/shot-9", "activeTakeId": "take_002", "updated": "2025-06-28T10:13:30"}"#,
    )
    .unwrap();
    let index = slate::workspace::takes::scan(tmp.path());
    let s = index.shot("ch-1", "sc-1", "shot-9").unwrap();
    assert_eq!(s.active.as_deref(), Some("take_002"));
    assert_eq!(s.takes.len(), 3);
    assert_eq!(s.next_number(), 5);
    let reviews: Vec<Review> = s.takes.iter().map(Review::of).collect();
    assert_eq!(
        reviews,
        [Review::Approved, Review::Rejected, Review::Pending]
    );
    assert_eq!(
        s.takes.iter().map(is_starred).collect::<Vec<_>>(),
        [true, false, false]
    );
    let t = &s.takes[0];
    assert_eq!(
        t.thumbnails.small.as_deref(),
        Some("03_Renders/ch-1/sc-1/shot-9/takes/take_001/shot-9_take_001_thumb_small.png")
    );
    assert_eq!(
        t.media.as_deref(),
        Some("03_Renders/ch-1/sc-1/shot-9/takes/take_001/shot-9_take_001.png")
    );
    let m = t.metadata.as_ref().unwrap();
    assert_eq!(m.shot_id, "ch-1/sc-1/shot-9");
    assert_eq!(m.generation_params["seed"], 42);
    // The writer numbers after the deleted take: 5.
    let folder = slate::workspace::take_store::ShotFolder {
        chapter: "ch-1".into(),
        scene: "sc-1".into(),
        shot: "shot-9".into(),
    };
    assert_eq!(
        slate::workspace::take_store::next_number(tmp.path(), &folder),
        5
    );
}

#[test]
fn slate_run_with_a_shot_inside_the_project_makes_that_shots_take() {
    // `slate run F --shot 1.1.1` typed inside the project: the task knows its project
    // and shot, its `from` inputs are filled, and its output becomes take_001.
    let mut env = Env::new();
    env.ok(&["run", "test/gradient", "--shot", "1.1.1"]);
    let tasks: Value = serde_json::from_str(&env.ok(&["tasks", "--json"])).unwrap();
    let task = tasks.as_array().unwrap().last().unwrap().clone();
    assert!(task["project"].is_string(), "{task}");
    assert_eq!(task["params"]["prompt"], "a lone rider at dawn", "{task}");
    let take = env.shot_dir().join("takes/take_001");
    for _ in 0..100 {
        if take.is_dir() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(take.is_dir(), "no take_001 in {}", env.shot_dir().display());
    // A shot that does not exist is a clear refusal.
    let out = env
        .cmd(&["run", "test/gradient", "--shot", "9.9.9"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
