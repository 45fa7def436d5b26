//! Asset import through the CLI and the library: a folder of 200 images in one commit,
//! hostile names, a clash, a file over the cap, an unreadable file, a full disk, a 2 GiB
//! file with bounded memory, cancel and SIGKILL mid-way (then `git fsck` and
//! `git lfs fsck`), rename, delete to the trash, shot links and library copies.

#[path = "common/git.rs"]
mod gitcli;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use gitcli::{SmallDisk, git, home};
use slate::workspace::asset_import::{self, Category, ImportOptions, ImportRequest};
use slate::workspace::manifest::NarrativeTemplate;
use slate::workspace::project;

struct Env {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
    project: PathBuf,
}

impl Env {
    fn new() -> Self {
        let home = home();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ws")).unwrap();
        let project =
            project::create(&dir.path().join("ws"), "Film", NarrativeTemplate::ThreeAct).unwrap();
        Self { dir, home, project }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_slate"));
        c.args(args)
            .current_dir(&self.project)
            .env("SLATE_WORKSPACE", self.dir.path().join("ws"))
            .env("SLATE_DATA_DIR", self.dir.path().join("data"))
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1");
        c
    }

    /// Runs `slate ARGS` in the project: (exit code, stdout, stderr).
    fn slate(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn git(&self, args: &[&str]) -> String {
        git(self.home.path(), &self.project, args)
    }

    fn input(&self, name: &str) -> PathBuf {
        let d = self.dir.path().join("in");
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    /// Asset folders under 01_Assets/<Category>/.
    fn folders(&self, category: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.project.join("01_Assets").join(category))
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_type().unwrap().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    fn staging_is_empty(&self) -> bool {
        std::fs::read_dir(self.project.join(".slate/tmp"))
            .map(|rd| rd.count() == 0)
            .unwrap_or(true)
    }

    fn assert_clean_and_checked(&self) {
        assert_eq!(self.git(&["status", "--porcelain"]), "", "tree is clean");
        self.git(&["fsck", "--full"]);
        let out = self.git(&["lfs", "fsck"]);
        assert!(out.to_lowercase().contains("ok"), "git lfs fsck: {out}");
    }
}

fn png(path: &Path, w: u32, h: u32, seed: u8) {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x as u8).wrapping_add(seed), y as u8, seed])
    });
    img.save(path).unwrap();
}

fn asset_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("asset.json")).unwrap()).unwrap()
}

#[test]
fn a_folder_of_200_images_is_one_commit_with_lfs_and_metadata() {
    let env = Env::new();
    let folder = env.input("sheets");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..200u32 {
        png(&folder.join(format!("hero {i:03}.png")), 64, 48, i as u8);
    }
    // Hidden files in a folder are not imported.
    std::fs::write(folder.join(".DS_Store"), b"x").unwrap();
    let head_before = env.git(&["rev-parse", "HEAD"]);
    let started = Instant::now();
    let (code, out, err) = env.slate(&[
        "asset",
        "import",
        folder.to_str().unwrap(),
        "--category",
        "character",
    ]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    eprintln!("200 images imported in {took:?}");
    let folders = env.folders("Characters");
    assert_eq!(folders.len(), 200, "{folders:?}");
    // One commit, named for what it added.
    let log = env.git(&[
        "log",
        "--format=%s",
        &format!("{}..HEAD", head_before.trim()),
    ]);
    assert_eq!(log.trim(), "asset: Add 200 characters");
    // The web studio's character layout and asset.json.
    let first = env.project.join("01_Assets/Characters").join(&folders[0]);
    for part in ["base", "lora", "variations"] {
        assert!(first.join(part).is_dir(), "{part}/");
    }
    let m = asset_json(&first);
    assert_eq!(m["category"], "Characters");
    assert_eq!(m["type"], "characters");
    assert_eq!(m["version"], "1.0");
    assert!(
        m["id"]
            .as_str()
            .unwrap()
            .starts_with(&folders[0][folders[0].len() - 8..])
    );
    assert_eq!(m["metadata"]["media"]["width"], 64);
    assert_eq!(m["metadata"]["media"]["height"], 48);
    let file = m["files"]["image"].as_str().unwrap();
    assert!(file.starts_with("base/hero_"), "{file}");
    let sha = m["metadata"]["sha256"].as_str().unwrap();
    let bytes = std::fs::read(first.join(file)).unwrap();
    assert_eq!(sha, slate::workspace::lfs::hash_bytes(&bytes));
    // The images are LFS pointers in the commit.
    let rel = format!("01_Assets/Characters/{}/{file}", folders[0]);
    let blob = env.git(&["cat-file", "-p", &format!("HEAD:{rel}")]);
    assert!(
        blob.starts_with("version https://git-lfs.github.com/spec/v1"),
        "{blob}"
    );
    assert!(!env.git(&["lfs", "ls-files"]).is_empty());
    env.assert_clean_and_checked();
    assert!(env.staging_is_empty());
    // List and show see them.
    let (code, out, _) = env.slate(&["asset", "list", "--json"]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 200);
}

#[test]
fn hostile_names_are_sanitised_and_a_clash_gets_a_number() {
    let env = Env::new();
    let names = [
        "my hero.png",
        "Café Noir.png",
        "東京 物語.png",
        "..png",
        "...hidden.png",
        "CON.png",
        "nul.png",
        "a..b.png",
    ];
    let mut paths = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let p = env.input(n);
        png(&p, 8, 8, i as u8);
        paths.push(p);
    }
    let mut args = vec!["asset", "import", "--category", "location"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let (code, out, err) = env.slate(&args);
    assert_eq!(code, 0, "{out}{err}");
    let strip = |f: &String| f[..f.len() - 9].to_string();
    let got: Vec<String> = env.folders("Locations").iter().map(strip).collect();
    for want in [
        "my_hero",
        "Café_Noir",
        "東京_物語",
        "untitled_asset",
        "hidden",
        "CON_asset",
        "nul_asset",
        "a__b",
    ] {
        assert!(got.contains(&want.to_string()), "{want} in {got:?}");
    }
    // Nothing hidden, nothing outside 01_Assets/Locations.
    for f in env.folders("Locations") {
        assert!(!f.starts_with('.'));
        for e in std::fs::read_dir(env.project.join("01_Assets/Locations").join(&f)).unwrap() {
            assert!(
                !e.unwrap().file_name().to_string_lossy().starts_with('.'),
                "{f}"
            );
        }
    }
    // --name with ../ stays inside; a clash gets _2, then _3.
    let p = env.input("x.png");
    png(&p, 8, 8, 99);
    for _ in 0..3 {
        let (code, _, err) = env.slate(&[
            "asset",
            "import",
            p.to_str().unwrap(),
            "--category",
            "style",
            "--name",
            "../../Escape",
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let got: Vec<String> = env.folders("Styles").iter().map(strip).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    for want in ["Escape", "Escape_2", "Escape_3"] {
        assert!(got.contains(&want.to_string()), "{want} in {got:?}");
    }
    assert!(!env.dir.path().join("Escape").exists());
    assert!(!env.dir.path().join("ws/Escape").exists());
    env.assert_clean_and_checked();
}

#[test]
fn over_the_cap_unreadable_and_undecided_files_are_refused_with_reasons() {
    let env = Env::new();
    std::fs::create_dir_all(env.dir.path().join("data")).unwrap();
    std::fs::write(
        env.dir.path().join("data/settings.toml"),
        "[workspace]\nasset_max_mib = 1\n",
    )
    .unwrap();
    let big = env.input("big.wav");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(3 << 20)
        .unwrap();
    let ok = env.input("theme.wav");
    std::fs::write(&ok, b"RIFF....WAVE").unwrap();
    // Unreadable: a file whose read fails (root reads any mode, so use one that errors).
    let unreadable = if unsafe { libc::geteuid() } == 0 {
        PathBuf::from("/proc/self/mem")
    } else {
        let p = env.input("locked.wav");
        std::fs::write(&p, b"x").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        p
    };
    let head = env.git(&["rev-parse", "HEAD"]);
    let (code, out, err) = env.slate(&[
        "asset",
        "import",
        big.to_str().unwrap(),
        unreadable.to_str().unwrap(),
        ok.to_str().unwrap(),
        "--category",
        "music",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("2 files not imported (the others were)"),
        "{err}"
    );
    assert!(
        err.contains("over the import limit of 1.0 MiB") && err.contains("workspace.asset_max_mib"),
        "{err}"
    );
    assert!(err.contains("cannot read"), "{err}");
    // The good one is in, in one commit.
    assert_eq!(env.folders("Music").len(), 1);
    assert_ne!(env.git(&["rev-parse", "HEAD"]), head);
    env.assert_clean_and_checked();
    assert!(env.staging_is_empty());

    // No category and an ambiguous type: the CLI says which flag to add.
    let img = env.input("who.png");
    png(&img, 4, 4, 1);
    let (code, _, err) = env.slate(&["asset", "import", img.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--category character|style|location"), "{err}");
    // An unambiguous type needs no flag.
    let song = env.input("song.flac");
    std::fs::write(&song, b"fLaC").unwrap();
    let (code, _, err) = env.slate(&["asset", "import", song.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(env.folders("Music").len(), 2);
    // A missing file.
    let (code, _, err) = env.slate(&["asset", "import", "/nonexistent/x.wav"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read /nonexistent/x.wav"), "{err}");
}

#[test]
fn a_full_disk_leaves_nothing_behind() {
    let _home = home();
    let disk = SmallDisk::mount("6m", false);
    let project = project::create(&disk.path, "Film", NarrativeTemplate::ThreeAct).unwrap();
    let src_dir = tempfile::tempdir().unwrap();
    let src = src_dir.path().join("plate.exr");
    let data: Vec<u8> = (0..12u32 << 20).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&src, data).unwrap();
    let repo = git2::Repository::open(&project).unwrap();
    let head = repo.head().unwrap().target().unwrap();
    let e = asset_import::import(
        &project,
        &ImportRequest {
            files: vec![src],
            category: Some(Category::Location),
            name: None,
        },
        &ImportOptions::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.contains("the disk is full"), "{e}");
    assert!(
        std::fs::read_dir(project.join("01_Assets/Locations"))
            .unwrap()
            .flatten()
            .all(|e| e.file_name() == ".gitkeep"),
        "no asset folder"
    );
    assert_eq!(
        std::fs::read_dir(project.join(".slate/tmp"))
            .map(|r| r.count())
            .unwrap_or(0),
        0
    );
    assert_eq!(repo.head().unwrap().target().unwrap(), head);
    drop(repo);
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Bytes in the staging file of a running import.
fn staged_bytes(project: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![project.join(".slate/tmp")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.len();
            }
        }
    }
    total
}

/// Starts `slate asset import BIG`, waits until `bytes` are staged, sends `signal`,
/// and returns the exit status.
fn interrupt_at(env: &Env, big: &Path, bytes: u64, signal: i32) -> std::process::ExitStatus {
    let mut child = env
        .cmd(&[
            "asset",
            "import",
            big.to_str().unwrap(),
            "--category",
            "model",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while staged_bytes(&env.project) < bytes {
        assert!(Instant::now() < deadline, "the import never got going");
        assert!(child.try_wait().unwrap().is_none(), "finished too soon");
        std::thread::sleep(Duration::from_millis(5));
    }
    unsafe { libc::kill(child.id() as i32, signal) };
    child.wait().unwrap()
}

#[test]
fn a_2_gib_import_has_bounded_memory_and_cancel_or_sigkill_leave_nothing() {
    let env = Env::new();
    let big = env.input("weights.safetensors");
    // Sparse: fast to make, a real 2 GiB to read, copy and hash.
    {
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(2 << 30).unwrap();
        use std::os::unix::fs::FileExt as _;
        f.write_at(b"header", 0).unwrap();
        f.write_at(b"trailer", (2 << 30) - 7).unwrap();
    }
    let head = env.git(&["rev-parse", "HEAD"]);

    // Ctrl+C (SIGINT) mid-way: a clean cancel.
    let st = interrupt_at(&env, &big, 256 << 20, libc::SIGINT);
    assert_eq!(st.code(), Some(130), "{st:?}");
    assert!(env.folders("Models").is_empty());
    assert!(env.staging_is_empty(), "cancel removed the partial copy");
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
    env.assert_clean_and_checked();

    // SIGKILL mid-way: no partial file in the project, no commit; the next import
    // clears the dead run's staging folder.
    let st = interrupt_at(&env, &big, 256 << 20, libc::SIGKILL);
    assert_eq!(st.code(), None, "killed");
    assert!(env.folders("Models").is_empty());
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(
        env.git(&["status", "--porcelain"]),
        "",
        ".slate/tmp is ignored"
    );
    env.assert_clean_and_checked();

    // The whole file, to the end, with bounded memory.
    let mut child = env
        .cmd(&[
            "asset",
            "import",
            big.to_str().unwrap(),
            "--category",
            "model",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut hwm = 0;
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        hwm = hwm.max(vm_hwm_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = started.elapsed();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("2 GiB import: {took:?}, peak RSS {} MiB", hwm / 1024);
    assert!(hwm < 100 * 1024, "peak RSS {hwm} KiB");
    assert!(env.staging_is_empty(), "the dead run's staging was cleared");
    let models = env.folders("Models");
    assert_eq!(models.len(), 1);
    let dir = env.project.join("01_Assets/Models").join(&models[0]);
    let m = asset_json(&dir);
    assert_eq!(m["metadata"]["size"], 2u64 << 30);
    env.assert_clean_and_checked();
    std::fs::remove_file(&big).ok();
}

#[test]
fn rename_delete_link_and_copy_from_the_library() {
    let env = Env::new();
    let p = env.input("Hero.png");
    png(&p, 16, 8, 3);
    let (code, _, err) = env.slate(&[
        "asset",
        "import",
        p.to_str().unwrap(),
        "--category",
        "character",
    ]);
    assert_eq!(code, 0, "{err}");
    // Link to shot 1.1.1 (add a scene and a shot first).
    for args in [
        &["project", "scene", "add", "1", "Alley"][..],
        &["project", "shot", "add", "1", "1", "Rain"][..],
    ] {
        let (code, _, err) = env.slate(args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (code, out, err) = env.slate(&["asset", "link", "1", "1", "1", "Hero"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Link 1 asset to shot Rain"), "{out}");
    let story = std::fs::read_to_string(env.project.join("02_Story/story.json")).unwrap();
    let id = asset_json(
        &env.project
            .join("01_Assets/Characters")
            .join(&env.folders("Characters")[0]),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(story.contains(&id), "{story}");
    let (_, out, _) = env.slate(&["asset", "show", "Hero"]);
    assert!(out.contains("used by: 1.1.1 Rain"), "{out}");

    // Rename: the name and the folder, one commit.
    let (code, _, err) = env.slate(&["asset", "rename", "Hero", "Night Hero"]);
    assert_eq!(code, 0, "{err}");
    let f = env.folders("Characters");
    assert!(f[0].starts_with("Night_Hero_"), "{f:?}");
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]).trim(),
        "asset: Rename Hero to Night Hero"
    );
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "story"]);
    env.assert_clean_and_checked();

    // Delete: into the trash (HOME's), removal committed.
    let (code, out, err) = env.slate(&["asset", "delete", "Night Hero"]);
    assert_eq!(code, 0, "{err}");
    assert!(env.folders("Characters").is_empty());
    assert!(out.contains("to the trash"), "{out}");
    let trashed: Vec<String> = std::fs::read_dir(env.home.path().join(".local/share/Trash/files"))
        .expect("HOME's trash")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        trashed.iter().any(|n| n.starts_with("Night_Hero_")),
        "{trashed:?}"
    );
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]).trim(),
        format!("asset: Delete {}", f[0])
    );
    env.assert_clean_and_checked();

    // A library asset in the web studio's format, copied in.
    let lib = env.dir.path().join("ws/Library/Locations/Alley_0a1b2c3d");
    std::fs::create_dir_all(&lib).unwrap();
    png(&lib.join("alley.png"), 20, 10, 5);
    std::fs::write(
        lib.join("asset.json"),
        r#"{"id":"0a1b2c3d-0000-4000-8000-000000000000","name":"Alley","category":"Locations","type":"locations","version":"1.0","tags":["night"],"metadata":{},"files":{"image":"alley.png"},"preview":null,"path":"Locations/Alley_0a1b2c3d"}"#,
    )
    .unwrap();
    let (code, out, _) = env.slate(&["asset", "list", "--library"]);
    assert_eq!(code, 0);
    assert!(out.contains("Alley"), "{out}");
    let (code, _, err) = env.slate(&["asset", "copy-from-library", "Alley"]);
    assert_eq!(code, 0, "{err}");
    let f = env.folders("Locations");
    assert_eq!(f.len(), 1);
    let m = asset_json(&env.project.join("01_Assets/Locations").join(&f[0]));
    assert_eq!(m["source"]["copied_from"], "workspace_library");
    assert_eq!(m["name"], "Alley");
    env.assert_clean_and_checked();
}

/// With `slate serve` owning the data dir, `slate asset import` is its client: Ctrl+C
/// asks the server to stop the import, which ends cancelled, leaving nothing.
#[test]
fn ctrl_c_cancels_an_import_the_server_is_doing() {
    let env = Env::new();
    let big = env.input("weights.safetensors");
    {
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(2 << 30).unwrap();
    }
    let head = env.git(&["rev-parse", "HEAD"]);
    let mut serve = env
        .cmd(&["serve", "--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let serve_json = env.dir.path().join("data/serve.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&serve_json).is_ok_and(|t| t.contains("address")) {
        assert!(Instant::now() < deadline, "slate serve wrote no serve.json");
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = interrupt_at(&env, &big, 256 << 20, libc::SIGINT);
    serve.kill().ok();
    serve.wait().ok();
    assert_eq!(st.code(), Some(130), "{st:?}");
    assert!(env.folders("Models").is_empty());
    assert!(env.staging_is_empty(), "cancel removed the partial copy");
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
}
