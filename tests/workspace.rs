//! Projects and git, checked with the real git CLI.

#[path = "common/git.rs"]
mod gitcli;

use std::path::Path;

use gitcli::{SmallDisk, git, home};
use slate::workspace::git as wgit;
use slate::workspace::manifest::{NarrativeTemplate, ShotType};
use slate::workspace::project::{self, StructureEdit};

#[test]
fn every_template_makes_a_complete_committed_project() {
    let home = home();
    let root = tempfile::tempdir().unwrap();
    for (t, chapters) in NarrativeTemplate::ALL.into_iter().zip([3, 4, 14, 8]) {
        let name = format!("Film {}", t.id());
        let p = project::create(root.path(), &name, t).unwrap();
        assert_eq!(p, root.path().join(format!("Film_{}", t.id())));
        for d in project::LAYOUT {
            assert!(p.join(d).join(".gitkeep").exists(), "{d}");
        }
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("project.json")).unwrap())
                .unwrap();
        assert_eq!(m["name"], name.as_str());
        assert_eq!(m["narrative"]["structure"], t.id());
        assert_eq!(
            m["narrative"]["chapters"].as_array().unwrap().len(),
            chapters
        );
        for key in [
            "id", "created", "modified", "version", "quality", "assets", "settings", "canvas",
            "metadata", "git",
        ] {
            assert!(m.get(key).is_some(), "manifest lacks {key}");
        }
        assert_eq!(m["settings"]["aspectRatio"], "16:9");
        let gi = std::fs::read_to_string(p.join(".gitignore")).unwrap();
        assert!(gi.contains("06_Exports/") && gi.contains(".slate/cache/"));
        let ga = std::fs::read_to_string(p.join(".gitattributes")).unwrap();
        assert!(ga.contains("*.mp4 filter=lfs diff=lfs merge=lfs -text"));
        let log = git(home.path(), &p, &["log", "--oneline"]);
        assert_eq!(log.lines().count(), 1, "{log}");
        assert!(log.contains("Create project"), "{log}");
        assert_eq!(git(home.path(), &p, &["status", "--porcelain"]), "");
        assert_eq!(
            git(home.path(), &p, &["branch", "--show-current"]).trim(),
            "main"
        );
        let files = git(home.path(), &p, &["ls-files"]);
        assert!(files.contains("01_Assets/Characters/.gitkeep") && files.contains("project.json"));
        assert!(files.contains("02_Story/story.json"), "{files}");
        // The folder is in git (the web studio's structure check needs it), its contents not.
        assert!(files.contains("06_Exports/.gitkeep"), "{files}");
        std::fs::write(p.join("06_Exports/cut.mp4"), b"x").unwrap();
        assert_eq!(git(home.path(), &p, &["status", "--porcelain"]), "");
        std::fs::remove_file(p.join("06_Exports/cut.mp4")).unwrap();
    }
    let listed = project::list(root.path()).unwrap();
    assert_eq!(listed.len(), 4);
    assert!(
        listed
            .iter()
            .all(|p| p.git_state == "clean" && p.error.is_none())
    );
    assert!(
        listed
            .windows(2)
            .all(|w| w[0].modified_ms >= w[1].modified_ms),
        "newest first"
    );
}

#[test]
fn hostile_names_are_sanitised_or_refused_and_leave_nothing_behind() {
    let root = tempfile::tempdir().unwrap();
    let inside = root.path().join("ws");
    let p = project::create(&inside, "../x", NarrativeTemplate::ThreeAct).unwrap();
    assert_eq!(p, inside.join("x"), "stays inside the workspace");
    assert!(!root.path().join("x").exists());
    // The web studio's sanitiser: Unicode letters kept, `_` trimmed, nothing → untitled.
    assert_eq!(
        project::create(&inside, "🎬 Noir", NarrativeTemplate::ThreeAct).unwrap(),
        inside.join("Noir")
    );
    assert_eq!(
        project::create(&inside, "🎬🎬", NarrativeTemplate::ThreeAct).unwrap(),
        inside.join("untitled_project")
    );
    assert_eq!(
        project::read_manifest(&inside.join("untitled_project"))
            .unwrap()
            .name,
        "🎬🎬"
    );
    for (bad, says) in [
        ("con", "reserved"),
        ("", "give the project a name"),
        ("  ", "give the project a name"),
        (&"a".repeat(300) as &str, "300 characters"),
    ] {
        let e = project::create(&inside, bad, NarrativeTemplate::ThreeAct).unwrap_err();
        assert!(e.contains(says), "{bad:?}: {e}");
    }
    let e = project::create(&inside, "../x", NarrativeTemplate::ThreeAct).unwrap_err();
    assert!(e.contains("already exists"), "{e}");
    let names: Vec<_> = std::fs::read_dir(&inside)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        3,
        "only the three good projects, no temp folders: {names:?}"
    );
}

#[test]
fn a_read_only_workspace_root_gets_a_clear_error_and_no_debris() {
    let disk = SmallDisk::mount("1m", true);
    let e = project::create(&disk.path, "Noir", NarrativeTemplate::ThreeAct).unwrap_err();
    assert!(
        e.contains("cannot write in the workspace folder") && e.contains("Read-only"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(&disk.path).unwrap().count(), 0);
}

#[test]
fn a_full_disk_during_creation_removes_the_half_made_project() {
    let disk = SmallDisk::mount("64k", false);
    let e = project::create(&disk.path, "Noir", NarrativeTemplate::BeatSheet).unwrap_err();
    assert!(!e.is_empty());
    assert_eq!(
        std::fs::read_dir(&disk.path).unwrap().count(),
        0,
        "nothing left behind: {e}"
    );
}

#[test]
fn manifests_round_trip_with_unknown_fields_kept_through_edits() {
    let home = home();
    let root = tempfile::tempdir().unwrap();
    let p = project::create(root.path(), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    // The web studio adds fields Slate does not know.
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("project.json")).unwrap()).unwrap();
    m["webStudioLayout"] = serde_json::json!({"zoom": 1.5});
    m["narrative"]["chapters"][0]["colour"] = "#123456".into();
    std::fs::write(
        p.join("project.json"),
        serde_json::to_string_pretty(&m).unwrap(),
    )
    .unwrap();

    project::edit(
        &p,
        &StructureEdit::AddScene {
            chapter: 0,
            name: "Alley".into(),
        },
    )
    .unwrap();
    project::edit(
        &p,
        &StructureEdit::AddShot {
            chapter: 0,
            scene: 0,
            name: "Rain".into(),
            shot_type: ShotType::CloseUp,
            duration: 4.5,
            description: "neon".into(),
        },
    )
    .unwrap();
    project::edit(
        &p,
        &StructureEdit::AddShot {
            chapter: 0,
            scene: 0,
            name: "Door".into(),
            shot_type: ShotType::Pov,
            duration: 2.0,
            description: String::new(),
        },
    )
    .unwrap();
    project::edit(
        &p,
        &StructureEdit::MoveShot {
            chapter: 0,
            scene: 0,
            shot: 1,
            to: 0,
        },
    )
    .unwrap();
    project::edit(&p, &StructureEdit::MoveChapter { chapter: 0, to: 2 }).unwrap();
    let e = project::edit(&p, &StructureEdit::DeleteChapter { chapter: 9 }).unwrap_err();
    assert!(e.contains("no chapter 10"), "{e}");

    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("project.json")).unwrap()).unwrap();
    assert_eq!(after["webStudioLayout"]["zoom"], 1.5);
    let ch = &after["narrative"]["chapters"][2];
    assert_eq!(ch["colour"], "#123456");
    assert_eq!(
        ch["order"], 3,
        "1-based, as the web studio numbers chapters"
    );
    let scene_id = ch["scenes"][0]
        .as_str()
        .expect("project.json lists scene ids");
    let story: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("02_Story/story.json")).unwrap())
            .unwrap();
    let scene = &story["scenes"][scene_id];
    assert_eq!(scene["name"], "Alley");
    let shots = scene["shots"].as_array().unwrap();
    assert_eq!(shots[0]["name"], "Door");
    assert_eq!(shots[0]["shotType"], "pov");
    assert_eq!(shots[1]["shotType"], "close-up");
    assert_eq!(shots[1]["duration"], 4.5);
    // The git CLI sees the two story files modified, and Slate commits them.
    assert_eq!(
        git(home.path(), &p, &["status", "--porcelain"]).trim(),
        "M 02_Story/story.json\n M project.json"
    );
    let repo = wgit::open(&p).unwrap();
    wgit::commit_all(&repo, "story: Add the alley scene").unwrap();
    assert_eq!(git(home.path(), &p, &["status", "--porcelain"]), "");
}

#[test]
fn a_corrupt_manifest_is_reported_with_a_way_out_and_never_replaced() {
    let root = tempfile::tempdir().unwrap();
    let p = project::create(root.path(), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    std::fs::write(p.join("project.json"), "{ \"id\": \"x\", \"name\": ").unwrap();
    let e = project::read_manifest(&p).unwrap_err();
    assert!(
        e.contains("not a valid project manifest")
            && e.contains("line")
            && e.contains("restore it from git"),
        "{e}"
    );
    let e = project::edit(&p, &StructureEdit::AddChapter { name: "X".into() }).unwrap_err();
    assert!(e.contains("not a valid project manifest"));
    assert_eq!(
        std::fs::read_to_string(p.join("project.json")).unwrap(),
        "{ \"id\": \"x\", \"name\": "
    );
    let listed = project::list(root.path()).unwrap();
    assert!(listed[0].error.as_deref().unwrap().contains("not a valid"));
    // The way out works: restore from git.
    let repo = wgit::open(&p).unwrap();
    repo.checkout_head(Some(
        git2::build::CheckoutBuilder::new()
            .force()
            .path("project.json"),
    ))
    .unwrap();
    assert!(project::read_manifest(&p).is_ok());
}

#[test]
fn commits_history_stats_tags_and_rollback() {
    let home = home();
    let root = tempfile::tempdir().unwrap();
    let p = project::create(root.path(), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    let repo = wgit::open(&p).unwrap();
    std::fs::write(p.join("02_Story/script.md"), "INT. ALLEY - NIGHT\nRain.\n").unwrap();
    let st = wgit::status(&repo).unwrap();
    assert_eq!(st.untracked, vec!["02_Story/script.md"]);
    let first = wgit::commit_all(&repo, &wgit::prefixed(Some("story"), "Draft the alley")).unwrap();
    wgit::tag(&repo, "draft-1", Some("first draft")).unwrap();
    std::fs::write(
        p.join("02_Story/script.md"),
        "INT. ALLEY - NIGHT\nRain falls.\nA door.\n",
    )
    .unwrap();
    wgit::commit_all(&repo, "story: Add the door").unwrap();
    assert_eq!(
        wgit::commit_all(&repo, "nothing").unwrap_err(),
        "nothing to commit: the tree is clean"
    );

    let log = wgit::log(&repo, 0, 10).unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].summary, "story: Add the door");
    assert_eq!(log[1].tags, vec!["draft-1"]);
    let cli_log = git(home.path(), &p, &["log", "--format=%H %s"]);
    assert_eq!(
        cli_log.lines().next().unwrap(),
        format!("{} {}", log[0].id, log[0].summary)
    );
    let files = wgit::commit_files(&repo, &log[0].id).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!((files[0].additions, files[0].deletions), (2, 1));
    assert_eq!(git(home.path(), &p, &["tag"]).trim(), "draft-1");

    // Hard rollback over uncommitted work is refused; soft keeps the change staged.
    std::fs::write(p.join("02_Story/notes.md"), "todo").unwrap();
    let e = wgit::rollback(&repo, &first, wgit::ResetMode::Hard).unwrap_err();
    assert!(e.contains("refusing a hard rollback"), "{e}");
    wgit::rollback(&repo, &first, wgit::ResetMode::Soft).unwrap();
    let porcelain = git(home.path(), &p, &["status", "--porcelain"]);
    assert!(porcelain.contains("M  02_Story/script.md"), "{porcelain}");
    std::fs::remove_file(p.join("02_Story/notes.md")).unwrap();
    wgit::rollback(&repo, "HEAD", wgit::ResetMode::Mixed).unwrap();
    assert!(git(home.path(), &p, &["status", "--porcelain"]).contains(" M 02_Story/script.md"));
    wgit::commit_all(&repo, "story: Again").unwrap();
    wgit::rollback(&repo, &first, wgit::ResetMode::Hard).unwrap();
    assert_eq!(
        std::fs::read_to_string(p.join("02_Story/script.md")).unwrap(),
        "INT. ALLEY - NIGHT\nRain.\n"
    );
    assert_eq!(git(home.path(), &p, &["status", "--porcelain"]), "");
}

#[test]
fn auto_commit_messages_say_what_changed() {
    let root = tempfile::tempdir().unwrap();
    let p = project::create(root.path(), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    let repo = wgit::open(&p).unwrap();
    for i in 1..=3 {
        let d = p.join(format!("03_Renders/ch1/sc1/sh{i}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("take.json"), "{}").unwrap();
    }
    let st = wgit::status(&repo).unwrap();
    assert_eq!(wgit::describe_changes(&st), "feat: Generate 3 new renders");
}

#[test]
fn the_cli_creates_lists_and_edits_projects() {
    let dir = tempfile::tempdir().unwrap();
    let slate = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
            .args(args)
            .env("SLATE_WORKSPACE", dir.path().join("ws"))
            .env("SLATE_DATA_DIR", dir.path().join("data"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = slate(&["project", "new", "Noir", "--template", "story-circle"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = slate(&["project", "new", "Noir"]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    let (_, _, err) = slate(&["project", "new", "X", "--template", "five-act"]);
    assert!(
        err.contains("unknown template") && err.contains("story-circle"),
        "{err}"
    );
    for args in [
        &["--project", "Noir", "project", "scene", "add", "1", "Alley"][..],
        &[
            "--project",
            "Noir",
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Rain",
            "--type",
            "close-up",
            "--duration",
            "4",
        ],
    ] {
        let (code, _, err) = slate(args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (code, _, err) = slate(&[
        "--project",
        "Noir",
        "project",
        "shot",
        "add",
        "1",
        "1",
        "X",
        "--type",
        "dutch",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown shot type"), "{err}");
    let (_, out, _) = slate(&["project", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["name"], "Noir");
    assert_eq!(list[0]["chapters"], 8);
    assert_eq!(list[0]["shots"], 1);
    assert!(
        list[0]["git_state"]
            .as_str()
            .unwrap()
            .starts_with("modified")
    );
    let (code, out, err) = slate(&[
        "--project",
        "Noir",
        "git",
        "commit",
        "-m",
        "Add rain",
        "--prefix",
        "story",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("committed"));
    let (_, out, _) = slate(&["--project", "Noir", "git", "log", "--json"]);
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log[0]["summary"], "story: Add rain");
    assert!(Path::new(&dir.path().join("ws/Noir/project.json")).exists());
}

#[test]
fn a_cli_shot_update_changes_only_the_fields_given() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
            .args(["--project", "Noir"])
            .args(args)
            .env("SLATE_WORKSPACE", dir.path().join("ws"))
            .env("SLATE_DATA_DIR", dir.path().join("data"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    project::create(&dir.path().join("ws"), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    run(&["project", "scene", "add", "1", "Alley"]);
    run(&[
        "project",
        "shot",
        "add",
        "1",
        "1",
        "Rain",
        "--type",
        "pov",
        "--duration",
        "7",
        "--description",
        "neon",
    ]);
    run(&[
        "project", "shot", "update", "1", "1", "1", "--name", "Rain II",
    ]);
    let m = project::read_manifest(&dir.path().join("ws/Noir")).unwrap();
    let s = &m.narrative.chapters[0].scenes[0].shots[0];
    assert_eq!(
        (
            s.name.as_str(),
            s.shot_type.label(),
            s.duration,
            s.description.as_str()
        ),
        ("Rain II", "pov", 7.0, "neon")
    );
}

/// A client's request on the project the window has open (the API, or the CLI while
/// the window runs) shows in the window at once: the owner reads the project again.
#[test]
fn another_clients_edit_shows_in_the_open_project_at_once() {
    use slate::api::project::ProjectOp;
    use slate::events::{Command, Event};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let paths = slate::paths::Paths::in_dir(&d.join("data"), Some(d.join("ws")));
    let core = slate::core::spawn(
        slate::core::CoreOptions {
            paths,
            run_tasks: false,
            runner: Default::default(),
        },
        std::sync::Arc::new(|_| {}),
    );
    let wait = |what: &str, pred: &dyn Fn(&Event) -> bool| -> Event {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            match core
                .events
                .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            {
                Ok(e) if pred(&e) => return e,
                Ok(_) => {}
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    };
    core.send(Command::CreateProject {
        name: "Open One".into(),
        template: slate::workspace::manifest::NarrativeTemplate::ThreeAct,
    });
    wait("the project to open", &|e| {
        matches!(e, Event::ProjectOpened { .. })
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let api = core.api();
    // By the project's name, as a client that knows only the list would.
    let edit = ProjectOp::Edit {
        edit: StructureEdit::AddChapter {
            name: "From a terminal".into(),
        },
    };
    rt.block_on(api.workspace.op("Open One".into(), edit))
        .expect("the edit");
    wait("the open project read again", &|e| {
        matches!(e, Event::ProjectOpened { project } if project.manifest.as_ref().is_some_and(
            |m| m.narrative.chapters.iter().any(|c| c.name == "From a terminal")))
    });
    // A git change by another client refreshes the window's Git view.
    rt.block_on(api.workspace.op(
        "Open One".into(),
        ProjectOp::GitTag {
            name: "seen".into(),
            message: None,
        },
    ))
    .expect("the tag");
    wait(
        "the history read again",
        &|e| matches!(e, Event::GitLog { commits, .. } if commits.first().is_some_and(|c| c.tags.contains(&"seen".to_string()))),
    );
}
