//! The web studio's project format, both ways: what Slate writes validates against a JSON
//! Schema written by hand from the web studio's `ProjectManifest`
//! (tests/fixtures/project_manifest.schema.json); projects laid out as the web studio
//! writes them open in Slate with their takes, assets and history, and survive a Slate
//! edit; projects from an earlier Slate are upgraded once, in one commit, losing nothing.

mod common;
#[path = "common/git.rs"]
mod gitcli;

use std::path::{Path, PathBuf};

use gitcli::{git, home};
use serde_json::{Value, json};
use slate::workspace::manifest::{Manifest, NarrativeTemplate, ShotType};
use slate::workspace::project::{self, StructureEdit, Upgrade};
use slate::workspace::{assets, git as wgit, takes};

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project_manifest.schema.json"),
    )
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).expect("the schema compiles")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Fails with every schema error when the project's `project.json` does not validate.
fn assert_valid(schema: &jsonschema::Validator, project: &Path, after: &str) {
    let doc = read_json(&project.join("project.json"));
    let errors: Vec<String> = schema
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "project.json after {after} does not follow the web studio's ProjectManifest:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

#[test]
fn the_schema_rejects_what_the_web_studio_refuses() {
    // The schema must be able to fail: each of these is a measured incompatibility.
    let schema = schema();
    let good = json!({"id": "p", "name": "n", "narrative": {"structure": "three-act",
        "chapters": [{"id": "act-1", "name": "A", "order": 1, "scenes": ["s1"]}]},
        "settings": {"fps": 24, "resolution": [1920, 1080]}, "canvas": null,
        "quality": "standard", "git": {"initialized": true, "lfs_enabled": true, "remote": null}});
    assert!(schema.is_valid(&good));
    for (pointer, bad) in [
        ("/settings/resolution", json!("1920x1080")),
        ("/settings/resolution", json!([1920])),
        ("/settings/fps", json!(23.976)),
        ("/quality", json!("ultra")),
        ("/canvas", json!({"nodes": [], "edges": []})),
        (
            "/narrative/chapters/0/scenes/0",
            json!({"id": "s1", "name": "Alley"}),
        ),
        ("/narrative/structure", json!("five-act")),
        ("/git/initialized", json!("yes")),
    ] {
        let mut doc = good.clone();
        *doc.pointer_mut(pointer).unwrap() = bad.clone();
        assert!(!schema.is_valid(&doc), "{pointer} = {bad} was accepted");
    }
}

#[test]
fn every_template_and_every_structure_edit_writes_a_valid_web_studio_manifest() {
    let home = home();
    let schema = schema();
    let root = tempfile::tempdir().unwrap();
    let web_ids: [&[&str]; 4] = [
        &["act-1", "act-2", "act-3"],
        &["ordinary-world", "call-to-adventure", "ordeal", "return"],
        &[
            "opening-image",
            "setup",
            "catalyst",
            "debate",
            "break-into-two",
            "b-story",
            "fun-and-games",
            "midpoint",
            "bad-guys-close-in",
            "all-is-lost",
            "dark-night",
            "break-into-three",
            "finale",
            "final-image",
        ],
        &[
            "you", "need", "go", "search", "find", "take", "return", "change",
        ],
    ];
    for (t, ids) in NarrativeTemplate::ALL.into_iter().zip(web_ids) {
        let p = project::create(root.path(), &format!("Film {}", t.id()), t).unwrap();
        assert_valid(&schema, &p, &format!("creating from {}", t.id()));
        let m = read_json(&p.join("project.json"));
        let got: Vec<_> = m["narrative"]["chapters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["order"].as_u64().unwrap(),
                )
            })
            .collect();
        let want: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.to_string(), i as u64 + 1))
            .collect();
        assert_eq!(got, want, "{}", t.id());
        assert_eq!(m["settings"]["resolution"], json!([1920, 1080]));
        assert_eq!(
            m["git"],
            json!({"initialized": true, "lfs_enabled": true, "remote": null})
        );
        assert_eq!(m["canvas"], Value::Null);
        // A clone has every folder the web studio's structure check requires.
        let clone = root.path().join(format!("clone-{}", t.id()));
        git(
            home.path(),
            root.path(),
            &["clone", "-q", p.to_str().unwrap(), clone.to_str().unwrap()],
        );
        for d in [
            "01_Assets/Characters",
            "01_Assets/Styles",
            "01_Assets/Locations",
            "02_Story",
            "03_Renders",
            "04_Compositions",
            "05_Audio",
            "06_Exports",
        ] {
            assert!(clone.join(d).is_dir(), "{}: a clone lacks {d}", t.id());
        }
    }

    // Slate's four quality presets map onto the web studio's three; LFS off is said so.
    for (q, want) in [
        (slate::settings::Quality::Draft, "low"),
        (slate::settings::Quality::Ultra, "high"),
    ] {
        let options = project::NewProject {
            lfs: false,
            quality: q,
        };
        let p = project::create_with(
            root.path(),
            &format!("Q {want}"),
            NarrativeTemplate::StoryCircle,
            &options,
        )
        .unwrap();
        assert_valid(&schema, &p, &format!("creating with {q:?} and LFS off"));
        let m = read_json(&p.join("project.json"));
        assert_eq!(
            (
                m["quality"].as_str(),
                m["settings"]["defaultQuality"].as_str()
            ),
            (Some(want), Some(want))
        );
        assert_eq!(m["git"]["lfs_enabled"], false);
    }

    let p = root.path().join("Film_three-act");
    let shot = |name: &str, t: ShotType| StructureEdit::AddShot {
        chapter: 0,
        scene: 0,
        name: name.into(),
        shot_type: t,
        duration: 2.5,
        description: "rain".into(),
    };
    let edits = [
        StructureEdit::AddChapter {
            name: "Epilogue".into(),
        },
        StructureEdit::RenameChapter {
            chapter: 3,
            name: "Coda".into(),
        },
        StructureEdit::MoveChapter { chapter: 3, to: 0 },
        StructureEdit::DeleteChapter { chapter: 0 },
        StructureEdit::AddScene {
            chapter: 0,
            name: "Alley".into(),
        },
        StructureEdit::AddScene {
            chapter: 0,
            name: "Roof".into(),
        },
        StructureEdit::RenameScene {
            chapter: 0,
            scene: 1,
            name: "Rooftop".into(),
        },
        StructureEdit::MoveScene {
            chapter: 0,
            scene: 1,
            to: 0,
        },
        shot("Wide", ShotType::Wide),
        shot("Close", ShotType::CloseUp),
        StructureEdit::UpdateShot {
            chapter: 0,
            scene: 0,
            shot: 1,
            name: "Closer".into(),
            shot_type: ShotType::ExtremeCloseUp,
            duration: 1.0,
            description: String::new(),
        },
        StructureEdit::MoveShot {
            chapter: 0,
            scene: 0,
            shot: 1,
            to: 0,
        },
        StructureEdit::DeleteShot {
            chapter: 0,
            scene: 0,
            shot: 1,
        },
        StructureEdit::DeleteScene {
            chapter: 0,
            scene: 1,
        },
    ];
    for e in &edits {
        project::edit(&p, e).unwrap();
        assert_valid(&schema, &p, &format!("{e:?}"));
    }
    let m = project::read_manifest(&p).unwrap();
    let names: Vec<_> = m
        .narrative
        .chapters
        .iter()
        .map(|c| (c.name.as_str(), c.order))
        .collect();
    assert_eq!(
        names,
        [
            ("Act I: Setup", 1),
            ("Act II: Confrontation", 2),
            ("Act III: Resolution", 3)
        ]
    );
    let scene = &m.narrative.chapters[0].scenes[0];
    assert_eq!(scene.name, "Rooftop");
    assert_eq!(scene.shots.len(), 1);
    assert_eq!(
        (
            scene.shots[0].name.as_str(),
            &scene.shots[0].shot_type,
            scene.shots[0].duration
        ),
        ("Closer", &ShotType::ExtremeCloseUp, 1.0)
    );
    let on_disk = read_json(&p.join("project.json"));
    assert_eq!(
        on_disk["narrative"]["chapters"][0]["scenes"],
        json!([scene.id])
    );
    let story = read_json(&p.join("02_Story/story.json"));
    assert_eq!(
        story["scenes"].as_object().unwrap().len(),
        1,
        "the deleted scene left the sidecar: {story:#}"
    );
}

// ---- A project as the web studio writes it ----------------------------------------

/// The web studio's `json.dump(manifest.model_dump(), indent=2, default=str)`: every
/// field, dates with a space, and what its takes and asset services add later.
fn web_manifest() -> Value {
    json!({
      "id": "6f1c2a9e-3b7d-4c55-9a1e-0d2f8b7c6a51",
      "name": "Nachtzug",
      "created": "2025-06-28 10:11:12.123456+00:00",
      "modified": "2025-06-28 10:15:00.654321+00:00",
      "version": "1.0.0",
      "quality": "high",
      "takes_system_enabled": true,
      "narrative": {
        "structure": "three-act",
        "chapters": [
          {"id": "act-1", "name": "Act I: Setup", "order": 1, "scenes": ["scene-1", "scene-2"]},
          {"id": "act-2", "name": "Act II: Confrontation", "order": 2, "scenes": ["scene-3"]},
          {"id": "act-3", "name": "Act III: Resolution", "order": 3, "scenes": []}
        ],
        "emotionalBeats": null
      },
      "assets": {"characters": [], "styles": [], "locations": [], "music": [],
                 "Characters": [{"id": "1a2b3c4d-0000-4000-8000-000000000001", "name": "Hero",
                                 "path": "Hero_1a2b3c4d", "source_id": "lib-1",
                                 "copied_at": "2025-06-28T10:14:00+00:00"}]},
      "settings": {"fps": 24, "resolution": [1920, 1080], "aspectRatio": "16:9",
                   "defaultQuality": "standard", "outputFormat": "mp4"},
      "canvas": null,
      "metadata": {"director": "mira", "genre": null, "style": null, "description": "",
                   "tags": [], "gitCommit": null, "lastExport": null, "totalFrames": null,
                   "activeTakes": {"act-1/scene-1/shot-1": "take_002"}},
      "git": {"initialized": true, "lfs_enabled": true, "remote": null},
      "takes": {"act-1/scene-1/shot-1": {"total_takes": 3, "active_take": "take_001",
                                          "last_generated": "2025-06-28T10:13:00+00:00"}},
      "updated_at": "2025-06-28T10:14:00+00:00"
    })
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn write_json(path: &Path, v: &Value) {
    write(path, serde_json::to_string_pretty(v).unwrap().as_bytes());
}

/// Builds `<ws>/Nachtzug` in the web studio's layout and commits it with the git CLI on
/// `master`, as GitPython's `Repo.init` does with git's default branch.
fn web_studio_project(home: &Path, ws: &Path) -> PathBuf {
    let p = ws.join("Nachtzug");
    for d in [
        "01_Assets/Characters",
        "01_Assets/Styles",
        "01_Assets/Locations",
        "02_Story",
        "03_Renders",
        "04_Compositions",
        "05_Audio",
        "06_Exports",
    ] {
        write(&p.join(d).join(".gitkeep"), b"");
    }
    write(
        &p.join(".gitignore"),
        b"# Auto-generated .gitignore for Auteur Movie Director\n\n__pycache__/\n*.log\n*.tmp\n",
    );
    let mut attrs = String::from(
        "# Auto-generated .gitattributes for Auteur Movie Director\n# Configure Git LFS for media files\n\n",
    );
    for ext in ["*.mp4", "*.mov", "*.png", "*.safetensors", "*.wav"] {
        attrs += &format!("{ext} filter=lfs diff=lfs merge=lfs -text\n");
    }
    attrs += "\n# Additional patterns\n# Ensure consistent line endings\n*.py text eol=lf\n*.json text eol=lf\n*.md text eol=lf\n";
    write(&p.join(".gitattributes"), attrs.as_bytes());
    write_json(&p.join("project.json"), &web_manifest());

    // Takes: two live, one soft-deleted, the second active.
    let shot = p.join("03_Renders/act-1/scene-1/shot-1");
    for n in 1..=2 {
        let dir = shot.join(format!("takes/take_00{n}"));
        write(
            &dir.join(format!("shot-1_take_00{n}.mp4")),
            format!("video {n}").as_bytes(),
        );
        for size in ["large", "medium", "small"] {
            write(
                &dir.join(format!("shot-1_take_00{n}_thumb_{size}.png")),
                b"\x89PNG thumb",
            );
        }
        write_json(
            &dir.join(format!("shot-1_take_00{n}_metadata.json")),
            &json!({
                "id": format!("take_00{n}"), "shotId": "act-1/scene-1/shot-1",
                "created": "2025-06-28T10:12:00+00:00",
                "generationParams": {"model": "default", "seed": 42, "prompt": "a night train", "steps": 20, "cfg": 7.5},
                "resources": {"quality": "standard", "vramUsed": 0, "generationTime": 0},
                "status": "complete",
                "filePath": format!("03_Renders/act-1/scene-1/shot-1/takes/take_00{n}/shot-1_take_00{n}.mp4"),
                "fileSize": 7
            }),
        );
    }
    let gone = shot.join("takes/.deleted_take_003_1735000000");
    write(&gone.join("shot-1_take_003.mp4"), b"video 3");
    write_json(
        &gone.join("shot-1_take_003_metadata.json"),
        &json!({"id": "take_003", "shotId": "act-1/scene-1/shot-1"}),
    );
    write_json(
        &shot.join("active_take.json"),
        &json!({
        "shotId": "act-1/scene-1/shot-1", "activeTakeId": "take_002", "updated": "2025-06-28T10:13:30+00:00"}),
    );

    // A character copied from the library, and a style.
    let hero = p.join("01_Assets/Characters/Hero_1a2b3c4d");
    write(&hero.join("base/face.png"), b"\x89PNG face");
    write(&hero.join("lora/hero.safetensors"), b"weights");
    write(&hero.join("variations/smile.png"), b"\x89PNG smile");
    write(&hero.join("variations/angry.png"), b"\x89PNG angry");
    write_json(
        &hero.join("asset.json"),
        &json!({
        "id": "1a2b3c4d-0000-4000-8000-000000000001", "name": "Hero", "category": "Characters",
        "type": "Characters", "version": "1.0", "created_at": "2025-06-28T10:14:00+00:00",
        "updated_at": "2025-06-28T10:14:00+00:00", "copied_at": "2025-06-28T10:14:00+00:00",
        "source": {"library_asset_id": "lib-1", "library_asset_name": "Hero",
                   "library_path": "Characters/Hero_lib00001", "copied_from": "workspace_library"},
        "tags": ["lead"], "metadata": {}, "files": {"image": "face.png"}, "path": "Hero_1a2b3c4d"}),
    );
    let noir = p.join("01_Assets/Styles/Noir_9f8e7d6c");
    write(&noir.join("ref.png"), b"\x89PNG ref");
    write_json(
        &noir.join("asset.json"),
        &json!({
        "id": "9f8e7d6c-0000-4000-8000-000000000002", "name": "Noir", "category": "Styles",
        "type": "styles", "version": "1.0", "tags": [], "metadata": {}, "files": {"image": "ref.png"},
        "preview": null, "path": "Styles/Noir_9f8e7d6c"}),
    );

    // The workspace-level library (not a project).
    let lib = ws.join("Library/Characters/Hero_lib00001");
    write(&lib.join("face.png"), b"\x89PNG face");
    write_json(
        &lib.join("asset.json"),
        &json!({"id": "lib-1", "name": "Hero", "category": "Characters",
        "type": "characters", "files": {"image": "face.png"}, "path": "Characters/Hero_lib00001"}),
    );
    write(&ws.join("Library/Styles/.gitkeep"), b"");

    git(home, &p, &["-c", "init.defaultBranch=master", "init", "-q"]);
    git(home, &p, &["add", "-A"]);
    git(
        home,
        &p,
        &["commit", "-q", "-m", "Initial project structure"],
    );
    p
}

/// Every value the web studio wrote is still there, unchanged, except at `skip` paths.
fn assert_kept(orig: &Value, now: &Value, at: &str, skip: &[&str]) {
    if skip.contains(&at) {
        return;
    }
    match (orig, now) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let here = format!("{at}/{k}");
                let other = b.get(k).unwrap_or_else(|| panic!("{here} was dropped"));
                assert_kept(v, other, &here, skip);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert!(b.len() >= a.len(), "{at} lost items");
            for (i, v) in a.iter().enumerate() {
                assert_kept(v, &b[i], &format!("{at}/{i}"), skip);
            }
        }
        _ => assert_eq!(orig, now, "{at} changed"),
    }
}

#[test]
fn a_web_studio_project_opens_with_its_takes_assets_and_history_and_survives_an_edit() {
    let home = home();
    let schema = schema();
    let ws = tempfile::tempdir().unwrap();
    let p = web_studio_project(home.path(), ws.path());
    let before = std::fs::read(p.join("project.json")).unwrap();

    // Listed with the right counts; the Library is not a project.
    let listed = project::list(ws.path()).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let s = &listed[0];
    assert_eq!((s.name.as_str(), s.error.as_deref()), ("Nachtzug", None));
    assert_eq!(
        (s.chapters, s.scenes, s.shots, s.takes, s.assets),
        (3, 3, 0, 2, 2)
    );
    assert!(s.upgrade.is_empty(), "{:?}", s.upgrade);
    assert_eq!(s.git_state, "clean");

    // Opening changes nothing: no upgrade, no rewrite.
    assert_eq!(
        project::upgrade_on_open(&p, false).unwrap(),
        Upgrade::Current
    );
    let m = project::read_manifest(&p).unwrap();
    let scenes: Vec<_> = m
        .narrative
        .chapters
        .iter()
        .flat_map(|c| &c.scenes)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        scenes,
        ["scene-1", "scene-2", "scene-3"],
        "ids stand in for names"
    );
    assert_eq!(m.settings.resolution, [1920, 1080]);
    assert_eq!(m.metadata.active_takes["act-1/scene-1/shot-1"], "take_002");
    assert_eq!(std::fs::read(p.join("project.json")).unwrap(), before);
    assert_eq!(git(home.path(), &p, &["status", "--porcelain"]), "");

    // Takes: metadata, thumbnails, media, the soft delete, the active take.
    let t = takes::scan(&p);
    assert_eq!(
        (t.take_count(), t.deleted_count(), t.active_count()),
        (2, 1, 1)
    );
    let shot = t.shot("act-1", "scene-1", "shot-1").unwrap();
    assert_eq!(shot.shot_id(), "act-1/scene-1/shot-1");
    assert_eq!(shot.active.as_deref(), Some("take_002"));
    assert_eq!(
        shot.next_number(),
        4,
        "take numbers never repeat, even after a delete"
    );
    assert_eq!(
        (shot.deleted[0].number, shot.deleted[0].deleted_at_s),
        (3, 1735000000)
    );
    let t2 = &shot.takes[1];
    assert_eq!((t2.id.as_str(), t2.number), ("take_002", 2));
    assert_eq!(
        t2.media.as_deref(),
        Some("03_Renders/act-1/scene-1/shot-1/takes/take_002/shot-1_take_002.mp4")
    );
    assert!(
        t2.thumbnails
            .large
            .as_deref()
            .unwrap()
            .ends_with("shot-1_take_002_thumb_large.png")
    );
    assert!(t2.thumbnails.medium.is_some() && t2.thumbnails.small.is_some());
    let meta = t2.metadata.as_ref().unwrap();
    assert_eq!(
        (meta.shot_id.as_str(), meta.status.as_deref()),
        ("act-1/scene-1/shot-1", Some("complete"))
    );
    assert_eq!(meta.generation_params["seed"], 42);
    assert_eq!(t.scene_take_count("act-1", "scene-1"), 2);

    // Assets: the character folder with its parts, the style, and the library.
    let a = assets::scan_project(&p);
    assert_eq!(a.len(), 2);
    let hero = a.iter().find(|a| a.category == "Characters").unwrap();
    assert_eq!(
        (hero.name.as_str(), hero.id.as_deref()),
        ("Hero", Some("1a2b3c4d-0000-4000-8000-000000000001"))
    );
    let parts = hero.character.unwrap();
    assert_eq!(
        (parts.base, parts.lora, parts.variations, hero.files),
        (1, 1, 2, 4)
    );
    assert_eq!(
        hero.meta.as_ref().unwrap().extra["source"]["library_asset_id"],
        "lib-1"
    );
    let lib = assets::scan_library(ws.path());
    assert_eq!(lib.len(), 1);
    assert_eq!(
        (lib[0].name.as_str(), lib[0].path.as_str()),
        ("Hero", "Library/Characters/Hero_lib00001")
    );

    // History on `master`.
    let repo = wgit::open(&p).unwrap();
    assert_eq!(wgit::branch_name(&repo), "master");
    let log = wgit::log(&repo, 0, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].summary, "Initial project structure");

    // The CLI shows the counts.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
        .args(["--project", p.to_str().unwrap(), "project", "show"])
        .env("SLATE_WORKSPACE", ws.path())
        .env("SLATE_DATA_DIR", ws.path().join(".data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("3 chapters, 3 scenes, 0 shots, 2 takes (1 deleted, 1 shot with an active take), 2 assets")
            && text.contains("scene-1  (2 takes)")
            && text.contains("act-1/scene-1/shot-1: 2 takes, 1 deleted, active take_002"),
        "{text}"
    );

    // A Slate edit keeps every field the web studio wrote and still validates.
    project::edit(
        &p,
        &StructureEdit::RenameScene {
            chapter: 0,
            scene: 0,
            name: "Platform".into(),
        },
    )
    .unwrap();
    project::edit(
        &p,
        &StructureEdit::AddScene {
            chapter: 1,
            name: "Tunnel".into(),
        },
    )
    .unwrap();
    project::edit(
        &p,
        &StructureEdit::AddShot {
            chapter: 0,
            scene: 0,
            name: "Steam".into(),
            shot_type: ShotType::Wide,
            duration: 3.0,
            description: "the train arrives".into(),
        },
    )
    .unwrap();
    project::edit(
        &p,
        &StructureEdit::RenameChapter {
            chapter: 2,
            name: "Act III: Arrival".into(),
        },
    )
    .unwrap();
    assert_valid(&schema, &p, "Slate's edits to a web-studio project");
    let now = read_json(&p.join("project.json"));
    let orig = web_manifest();
    assert_kept(
        &orig,
        &now,
        "",
        &[
            "/modified",
            "/narrative/chapters/1/scenes",
            "/narrative/chapters/2/name",
        ],
    );
    assert_eq!(now["narrative"]["chapters"][1]["scenes"][0], "scene-3");
    assert_eq!(
        now["narrative"]["chapters"][1]["scenes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(now["narrative"]["chapters"][2]["name"], "Act III: Arrival");
    let m = project::read_manifest(&p).unwrap();
    let platform = &m.narrative.chapters[0].scenes[0];
    assert_eq!(
        (platform.id.as_str(), platform.name.as_str()),
        ("scene-1", "Platform")
    );
    assert_eq!(platform.shots[0].name, "Steam");
    assert_eq!(
        m.narrative.chapters[0].scenes[1].name, "scene-2",
        "untouched scenes stay bare ids"
    );
    // Takes and assets are files Slate only read: still exactly as committed.
    assert_eq!(
        git(home.path(), &p, &["status", "--porcelain"]),
        " M project.json\n?? 02_Story/story.json\n"
    );
}

// ---- A project from round 1 of Slate ----------------------------------------------

fn round_one_manifest() -> Value {
    json!({
      "id": "proj_18f2a9c0d4e1_0", "name": "Old Reel",
      "created": "2026-11-20T09:00:00.000Z", "modified": "2026-11-21T09:00:00.000Z",
      "version": "1.0.0", "quality": "draft",
      "narrative": {"structure": "hero-journey", "chapters": [
        {"id": "ch_1", "name": "The Ordinary World", "order": 0, "description": "home", "scenes": [
          {"id": "sc_1", "name": "Kitchen", "order": 0, "description": "dawn", "mood": "warm", "shots": [
            {"id": "sh_1", "name": "Kettle", "order": 0, "shotType": "close-up", "duration": 2.5,
             "description": "steam", "lens": "85mm"},
            {"id": "sh_2", "name": "Window", "order": 1, "shotType": "dutch-angle", "duration": 4,
             "description": ""}]},
          {"id": "sc_2", "name": "Street", "order": 1, "shots": []}]},
        {"id": "ch_2", "name": "The Call and the Threshold", "order": 1, "scenes": []}],
        "arc": "rise"},
      "assets": {"characters": [], "styles": [], "locations": [], "music": [], "scripts": [], "models": []},
      "settings": {"fps": 25, "resolution": "3840x2160", "aspectRatio": "16:9",
                   "defaultQuality": "ultra", "outputFormat": "mov"},
      "canvas": {"nodes": [{"id": "n1"}], "edges": []},
      "metadata": {"activeTakes": {}},
      "git": {"enabled": true, "lfs": true},
      "slateOnly": {"keep": true}
    })
}

fn round_one_project(home: &Path, ws: &Path) -> PathBuf {
    let p = ws.join("Old_Reel");
    for d in project::LAYOUT {
        write(&p.join(d).join(".gitkeep"), b"");
    }
    write(
        &p.join(".gitignore"),
        b"# Slate: exports and caches are rebuilt, not versioned\n06_Exports/\n.slate/cache/\n",
    );
    write(
        &p.join(".gitattributes"),
        b"*.mp4 filter=lfs diff=lfs merge=lfs -text\n",
    );
    write_json(&p.join("project.json"), &round_one_manifest());
    git(home, &p, &["init", "-q"]);
    git(home, &p, &["add", "-A"]);
    git(
        home,
        &p,
        &[
            "commit",
            "-q",
            "-m",
            "chore: Create project Old Reel (hero-journey)",
        ],
    );
    p
}

fn commit_count(home: &Path, p: &Path) -> usize {
    git(home, p, &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_round_one_project_is_upgraded_once_in_one_commit_losing_nothing() {
    let home = home();
    let schema = schema();
    let ws = tempfile::tempdir().unwrap();
    let p = round_one_project(home.path(), ws.path());
    let old = read_json(&p.join("project.json"));

    // Read as it is, with what an upgrade would change.
    let parsed = project::load(&p).unwrap();
    assert!(parsed.upgrade.len() >= 8, "{:#?}", parsed.upgrade);
    let story_before: Manifest = parsed.manifest.clone();

    // Not silently over uncommitted work, nor when open read-only; edits wait for it.
    write(&p.join("02_Story/notes.md"), b"draft");
    match project::upgrade_on_open(&p, false).unwrap() {
        Upgrade::Pending { why, .. } => assert!(why.contains("uncommitted"), "{why}"),
        other => panic!("upgraded a dirty project: {other:?}"),
    }
    let e = project::edit(&p, &StructureEdit::AddChapter { name: "X".into() }).unwrap_err();
    assert!(e.contains("slate project upgrade"), "{e}");
    std::fs::remove_file(p.join("02_Story/notes.md")).unwrap();
    assert!(matches!(
        project::upgrade_on_open(&p, true).unwrap(),
        Upgrade::Pending { .. }
    ));
    assert_eq!(read_json(&p.join("project.json")), old, "nothing written");
    assert_eq!(commit_count(home.path(), &p), 1);

    // Clean and writable: upgraded on open, in one commit.
    let Upgrade::Done { commit, changes } = project::upgrade_on_open(&p, false).unwrap() else {
        panic!("not upgraded");
    };
    assert!(!changes.is_empty());
    assert_eq!(commit_count(home.path(), &p), 2);
    assert_eq!(
        git(home.path(), &p, &["log", "-1", "--format=%H %s"]).trim(),
        format!("{commit} chore: upgrade project format")
    );
    assert_eq!(
        git(home.path(), &p, &["status", "--porcelain"]),
        "",
        "everything it wrote is committed"
    );
    let files = git(
        home.path(),
        &p,
        &["show", "--name-only", "--format=", "HEAD"],
    );
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            ".gitignore",
            "02_Story/story.json",
            "06_Exports/.gitkeep",
            "project.json"
        ]
    );
    assert_valid(&schema, &p, "the upgrade");

    // Nothing lost: the same story, the same unknown fields, values that do not fit the
    // web studio's types kept beside the new ones.
    let after = project::read_manifest(&p).unwrap();
    let chapters = |m: &Manifest| {
        m.narrative
            .chapters
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.name.clone(),
                    c.extra.clone(),
                    c.scenes.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(chapters(&after), chapters(&story_before));
    let kitchen = &after.narrative.chapters[0].scenes[0];
    assert_eq!(
        (kitchen.description.as_str(), kitchen.extra["mood"].as_str()),
        ("dawn", Some("warm"))
    );
    assert_eq!(kitchen.shots[0].extra["lens"], "85mm");
    assert_eq!(
        kitchen.shots[1].shot_type,
        ShotType::Other("dutch-angle".into())
    );
    let now = read_json(&p.join("project.json"));
    assert_eq!(now["slateOnly"], json!({"keep": true}));
    assert_eq!(now["narrative"]["arc"], "rise");
    assert_eq!(now["narrative"]["chapters"][0]["description"], "home");
    assert_eq!(
        now["narrative"]["chapters"][0]["scenes"],
        json!(["sc_1", "sc_2"])
    );
    assert_eq!(now["settings"]["resolution"], json!([3840, 2160]));
    assert_eq!(
        (now["quality"].as_str(), now["slateQuality"].as_str()),
        (Some("low"), Some("draft"))
    );
    assert_eq!(now["settings"]["slateDefaultQuality"], "ultra");
    assert_eq!(now["canvas"]["nodes"], json!([{"id": "n1"}]));
    assert_eq!(
        now["git"],
        json!({"initialized": true, "lfs_enabled": true, "remote": null})
    );
    assert_eq!(now["created"], old["created"]);
    // A clone now has 06_Exports/, whose contents stay out of git.
    let clone = ws.path().join("clone");
    git(
        home.path(),
        ws.path(),
        &["clone", "-q", p.to_str().unwrap(), clone.to_str().unwrap()],
    );
    assert!(clone.join("06_Exports").is_dir());
    write(&p.join("06_Exports/final.mov"), b"x");
    assert_eq!(git(home.path(), &p, &["status", "--porcelain"]), "");

    // Idempotent: nothing more to do, no new commit, from the library or the CLI.
    assert_eq!(project::upgrade(&p).unwrap(), None);
    assert_eq!(
        project::upgrade_on_open(&p, false).unwrap(),
        Upgrade::Current
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
        .args(["--project", p.to_str().unwrap(), "project", "upgrade"])
        .env("SLATE_WORKSPACE", ws.path())
        .env("SLATE_DATA_DIR", ws.path().join(".data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("already in the current format"));
    assert_eq!(commit_count(home.path(), &p), 2);
}

#[test]
fn the_cli_upgrades_on_request_even_with_other_work_uncommitted() {
    let home = home();
    let ws = tempfile::tempdir().unwrap();
    let p = round_one_project(home.path(), ws.path());
    write(&p.join("02_Story/notes.md"), b"draft");
    let slate = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
            .args(["--project", p.to_str().unwrap()])
            .args(args)
            .env("SLATE_WORKSPACE", ws.path())
            .env("SLATE_DATA_DIR", ws.path().join(".data"))
            .output()
            .unwrap()
    };
    // An edit on a dirty round-1 project says what to do instead of upgrading silently.
    let out = slate(&["project", "scene", "add", "1", "Garden"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("uncommitted") && err.contains("slate project upgrade"),
        "{err}"
    );
    // The user's own unsaved edit to a file the upgrade rewrites is never swept into the
    // upgrade commit: refused, nothing changed.
    let manifest = std::fs::read_to_string(p.join("project.json")).unwrap();
    write(
        &p.join("project.json"),
        manifest.replace("Old", "Older").as_bytes(),
    );
    let out = slate(&["project", "upgrade"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "upgraded over an unsaved project.json"
    );
    assert!(
        err.contains("project.json") && err.contains("uncommitted"),
        "{err}"
    );
    assert_eq!(commit_count(home.path(), &p), 1);
    write(&p.join("project.json"), manifest.as_bytes());
    let out = slate(&["project", "upgrade"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("settings.resolution"));
    // Only the upgrade is committed; the user's notes are left as they were.
    assert_eq!(commit_count(home.path(), &p), 2);
    assert_eq!(
        git(home.path(), &p, &["status", "--porcelain"]),
        "?? 02_Story/notes.md\n"
    );
    let out = slate(&["project", "scene", "add", "1", "Garden"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_damaged_story_file_opens_read_only_with_the_exact_error_and_links_are_not_followed() {
    let ws = tempfile::tempdir().unwrap();
    let p = project::create(ws.path(), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    project::edit(
        &p,
        &StructureEdit::AddScene {
            chapter: 0,
            name: "Alley".into(),
        },
    )
    .unwrap();
    std::fs::write(p.join("02_Story/story.json"), "{\"scenes\": {\"x\": [}").unwrap();
    let e = project::read_manifest(&p).unwrap_err();
    assert!(
        e.contains("02_Story/story.json is not a valid story file")
            && e.contains("line 1 column")
            && e.contains("git checkout -- 02_Story/story.json"),
        "{e}"
    );
    let e = project::edit(&p, &StructureEdit::AddChapter { name: "X".into() }).unwrap_err();
    assert!(e.contains("not a valid story file"), "{e}");
    assert_eq!(
        std::fs::read_to_string(p.join("02_Story/story.json")).unwrap(),
        "{\"scenes\": {\"x\": [}"
    );
    let listed = project::list(ws.path()).unwrap();
    assert!(
        listed[0]
            .error
            .as_deref()
            .unwrap()
            .contains("not a valid story file")
    );

    // A story file that is a link out of the project is refused, never read or written.
    let outside = ws.path().join("outside.json");
    std::fs::write(&outside, "{\"version\": 1, \"scenes\": {}}").unwrap();
    std::fs::remove_file(p.join("02_Story/story.json")).unwrap();
    std::os::unix::fs::symlink(&outside, p.join("02_Story/story.json")).unwrap();
    let e = project::read_manifest(&p).unwrap_err();
    assert!(e.contains("is a link"), "{e}");
    assert!(project::edit(&p, &StructureEdit::AddChapter { name: "X".into() }).is_err());
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "{\"version\": 1, \"scenes\": {}}"
    );

    // Take and asset folders that are links out are not read.
    let elsewhere = ws.path().join("elsewhere/take_001");
    write(&elsewhere.join("x_take_001_metadata.json"), b"{}");
    std::fs::create_dir_all(p.join("03_Renders/c/s/x/takes")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, p.join("03_Renders/c/s/x/takes/take_001")).unwrap();
    std::os::unix::fs::symlink(
        ws.path().join("elsewhere"),
        p.join("01_Assets/Characters/Ghost"),
    )
    .unwrap();
    assert_eq!(takes::scan(&p).take_count(), 0);
    assert!(assets::scan_project(&p).is_empty());
}

#[test]
fn the_window_offers_the_upgrade_and_shows_takes_and_assets() {
    use egui_kittest::kittest::Queryable as _;
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    let web = web_studio_project(home.path(), &ws);
    let web_json = std::fs::read(web.join("project.json")).unwrap();
    let old = round_one_project(home.path(), &ws);
    // Uncommitted work: the window must not upgrade it silently.
    write(&old.join("02_Story/notes.md"), b"draft");
    let mut options = common::options(dir.path());
    options.open_project = Some("Old_Reel".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    common::wait_until(&mut h, "the round-1 project to open", 30, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.manifest.is_some())
            && h.state().vm.git_status.is_some()
    });
    assert!(matches!(
        h.state().vm.project.as_ref().unwrap().upgrade,
        Upgrade::Pending { .. }
    ));
    h.get_by_label_contains("not upgraded yet");
    assert_eq!(commit_count(home.path(), &old), 1);

    h.get_by_label("Upgrade project format").click();
    h.run_steps(3);
    common::wait_until(&mut h, "the upgrade commit", 30, |h| {
        h.state()
            .vm
            .git_log
            .first()
            .is_some_and(|c| c.summary == "chore: upgrade project format")
            && h.state()
                .vm
                .project
                .as_ref()
                .is_some_and(|p| p.upgrade == Upgrade::Current)
    });
    assert!(h.query_by_label("Upgrade project format").is_none());
    assert_eq!(commit_count(home.path(), &old), 2);
    assert_eq!(
        git(home.path(), &old, &["status", "--porcelain"]),
        "?? 02_Story/notes.md\n",
        "only the upgrade was committed"
    );
    h.get_by_label("🎬 Kitchen");

    // The web studio's project: its scenes by id, with their takes; its assets counted.
    h.get_by_label("⏴ Projects").click();
    h.run_steps(3);
    common::wait_until(&mut h, "the project list", 30, |h| {
        h.state().vm.project.is_none() && h.query_by_label("Nachtzug").is_some()
    });
    h.get_by_label("Nachtzug").click();
    h.run_steps(3);
    common::wait_until(&mut h, "the web studio's project to open", 30, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.manifest.as_ref().is_some_and(|m| m.name == "Nachtzug"))
    });
    h.get_by_label_contains("3 scenes · 0 shots · 2 takes · 2 assets");
    h.get_by_label("🎬 scene-1");
    h.get_by_label("2 takes");
    let open = h.state().vm.project.clone().unwrap();
    assert_eq!(open.upgrade, Upgrade::Current);
    assert_eq!(open.takes.deleted_count(), 1);
    assert_eq!(open.asset_folders.len(), 2);
    // Opening it in the window rewrote nothing.
    assert_eq!(std::fs::read(web.join("project.json")).unwrap(), web_json);
    assert_eq!(git(home.path(), &web, &["status", "--porcelain"]), "");
}

#[test]
fn a_minimal_web_studio_manifest_is_current_and_stays_valid_after_an_edit() {
    // The web studio fills `created` and `modified` itself and reads `24.0` as an int:
    // such a project is not "old", and a Slate edit must not write `"created": ""`.
    let home = home();
    let ws = tempfile::tempdir().unwrap();
    let p = ws.path().join("Min");
    for d in [
        "01_Assets/Characters",
        "01_Assets/Styles",
        "01_Assets/Locations",
        "02_Story",
        "03_Renders",
        "04_Compositions",
        "05_Audio",
        "06_Exports",
    ] {
        write(&p.join(d).join(".gitkeep"), b"");
    }
    write_json(
        &p.join("project.json"),
        &json!({"id": "x", "name": "Min", "settings": {"fps": 24.0},
                "narrative": {"structure": "story-circle", "chapters": [
                    {"id": "you", "name": "You", "order": 1, "scenes": ["s1"]}]}}),
    );
    git(
        home.path(),
        &p,
        &["-c", "init.defaultBranch=master", "init", "-q"],
    );
    git(home.path(), &p, &["add", "-A"]);
    git(home.path(), &p, &["commit", "-q", "-m", "init"]);
    assert_eq!(
        project::upgrade_on_open(&p, false).unwrap(),
        Upgrade::Current
    );
    project::edit(
        &p,
        &StructureEdit::AddScene {
            chapter: 0,
            name: "Garden".into(),
        },
    )
    .unwrap();
    let doc = read_json(&p.join("project.json"));
    assert!(doc.get("created").is_none(), "{doc:#}");
    assert_eq!(doc["settings"]["fps"], 24);
    assert_valid(
        &schema(),
        &p,
        "a scene added to a minimal web-studio project",
    );
    assert_eq!(
        commit_count(home.path(), &p),
        1,
        "no upgrade commit was made"
    );
}
