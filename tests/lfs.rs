//! Native LFS against the real `git-lfs` binary, both ways, plus the bad cases:
//! malformed pointers, truncated and corrupt objects, a missing object, a full disk,
//! and a 2 GiB file committed with bounded memory.

#[path = "common/git.rs"]
mod gitcli;

use gitcli::{SmallDisk, git, git_bytes, home};
use slate::workspace::git as wgit;
use slate::workspace::lfs::{self, Pointer};
use slate::workspace::manifest::NarrativeTemplate;
use slate::workspace::project;

fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn slate_commits_media_that_git_lfs_agrees_with() {
    let home = home();
    let root = tempfile::tempdir().unwrap();
    let p = project::create(root.path(), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    let plate = random_bytes(3_000_000, 1);
    let clip = random_bytes(1_500_000, 2);
    std::fs::write(p.join("01_Assets/Locations/plate.exr"), &plate).unwrap();
    std::fs::write(p.join("03_Renders/clip.mp4"), &clip).unwrap();
    std::fs::write(p.join("03_Renders/empty.mp4"), b"").unwrap();
    std::fs::write(p.join("02_Story/notes.md"), "not media").unwrap();
    let repo = wgit::open(&p).unwrap();
    wgit::commit_all(&repo, "asset: plates").unwrap();

    assert_eq!(
        git(home.path(), &p, &["status", "--porcelain"]),
        "",
        "git sees a clean tree"
    );
    let ls = git(home.path(), &p, &["lfs", "ls-files", "--long"]);
    let ours = lfs::ls_files(&repo).unwrap();
    assert_eq!(ls.lines().count(), 2, "{ls}");
    for f in &ours {
        assert!(
            ls.contains(&format!("{} * {}", f.oid, f.path)),
            "{ls} lacks {f:?}"
        );
    }
    git(home.path(), &p, &["lfs", "fsck"]);
    let pointer = git_bytes(
        home.path(),
        &p,
        &["cat-file", "-p", "HEAD:03_Renders/clip.mp4"],
        None,
    );
    let cli_pointer = git_bytes(
        home.path(),
        &p,
        &["lfs", "pointer", "--file=03_Renders/clip.mp4"],
        None,
    );
    assert_eq!(pointer, cli_pointer, "the same pointer git-lfs makes");
    let smudged = git_bytes(home.path(), &p, &["lfs", "smudge"], Some(&pointer));
    assert_eq!(smudged, clip, "git lfs smudge gives back the bytes");
    assert_eq!(
        git(
            home.path(),
            &p,
            &["cat-file", "-p", "HEAD:03_Renders/empty.mp4"]
        ),
        "",
        "empty file: empty blob"
    );
    assert_eq!(
        git(
            home.path(),
            &p,
            &["cat-file", "-p", "HEAD:02_Story/notes.md"]
        ),
        "not media"
    );

    // Touching a file without changing it keeps the tree clean for both.
    let f = p.join("03_Renders/clip.mp4");
    std::fs::write(&f, &clip).unwrap();
    assert!(wgit::status(&repo).unwrap().is_clean());
    assert_eq!(git(home.path(), &p, &["status", "--porcelain"]), "");
    // Changing it is seen by both.
    std::fs::write(&f, random_bytes(10, 3)).unwrap();
    assert_eq!(
        wgit::status(&repo).unwrap().modified[0].path,
        "03_Renders/clip.mp4"
    );
    assert!(git(home.path(), &p, &["status", "--porcelain"]).contains("03_Renders/clip.mp4"));
}

#[test]
fn a_repository_made_with_git_lfs_reads_correctly_in_slate() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(home.path(), p, &["init", "-q"]);
    git(home.path(), p, &["lfs", "track", "*.mov"]);
    let bytes = random_bytes(2_000_000, 7);
    std::fs::write(p.join("shot.mov"), &bytes).unwrap();
    std::fs::write(p.join("readme.txt"), "hi").unwrap();
    git(home.path(), p, &["add", "."]);
    git(home.path(), p, &["commit", "-qm", "media"]);
    let repo = wgit::open(p).unwrap();
    assert!(
        wgit::status(&repo).unwrap().is_clean(),
        "{:?}",
        wgit::status(&repo).unwrap()
    );
    let files = lfs::ls_files(&repo).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].path.as_str(), files[0].size, files[0].present),
        ("shot.mov", 2_000_000, true)
    );
    assert_eq!(
        std::fs::read(p.join("shot.mov")).unwrap(),
        bytes,
        "content visible"
    );
    // Slate commits on top, the CLI still agrees.
    std::fs::write(p.join("shot.mov"), random_bytes(1000, 8)).unwrap();
    wgit::commit_all(&repo, "render: new take").unwrap();
    assert_eq!(git(home.path(), p, &["status", "--porcelain"]), "");
    git(home.path(), p, &["lfs", "fsck"]);
    // And a hard rollback brings the old content back from the local store.
    wgit::rollback(&repo, "HEAD~1", wgit::ResetMode::Hard).unwrap();
    assert_eq!(std::fs::read(p.join("shot.mov")).unwrap(), bytes);
    assert_eq!(git(home.path(), p, &["status", "--porcelain"]), "");
}

#[test]
fn a_missing_object_is_named_and_the_pointer_is_not_passed_off_as_content() {
    let root = tempfile::tempdir().unwrap();
    let p = project::create(root.path(), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    let repo = wgit::open(&p).unwrap();
    let v1 = random_bytes(5000, 1);
    std::fs::write(p.join("03_Renders/a.mp4"), &v1).unwrap();
    let first = wgit::commit_all(&repo, "render: a").unwrap();
    std::fs::write(p.join("03_Renders/a.mp4"), random_bytes(5000, 2)).unwrap();
    wgit::commit_all(&repo, "render: a again").unwrap();
    let oid = lfs::hash_bytes(&v1);
    std::fs::remove_file(lfs::object_path(repo.path(), &oid)).unwrap();
    let e = wgit::rollback(&repo, &first, wgit::ResetMode::Hard).unwrap_err();
    assert!(
        e.contains("03_Renders/a.mp4") && e.contains("missing"),
        "{e}"
    );
    let on_disk = std::fs::read(p.join("03_Renders/a.mp4")).unwrap();
    assert!(
        Pointer::parse(&on_disk).unwrap().is_some(),
        "left as a pointer, visibly"
    );
}

#[test]
fn truncated_and_corrupt_objects_and_malformed_pointers_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x");
    std::fs::write(&f, random_bytes(4096, 9)).unwrap();
    let ptr = lfs::store_file(dir.path(), &f).unwrap();
    let obj = lfs::object_path(dir.path(), &ptr.oid);
    lfs::verify_object(&obj, &ptr).unwrap();
    std::fs::write(&obj, random_bytes(100, 9)).unwrap();
    assert!(
        lfs::verify_object(&obj, &ptr)
            .unwrap_err()
            .contains("truncated")
    );
    std::fs::write(&obj, random_bytes(4096, 10)).unwrap();
    assert!(
        lfs::verify_object(&obj, &ptr)
            .unwrap_err()
            .contains("corrupt")
    );
    let bad = format!(
        "version {}\noid sha256:{}\nsize 12\n",
        lfs::SPEC_V1,
        "g".repeat(64)
    );
    assert!(
        Pointer::parse(bad.as_bytes())
            .unwrap_err()
            .contains("64 hex")
    );

    // A malformed pointer committed by another tool: check() names it, ls-files and
    // status keep working.
    let home = home();
    let root = tempfile::tempdir().unwrap();
    let p = project::create(root.path(), "Noir", NarrativeTemplate::ThreeAct).unwrap();
    std::fs::write(p.join("03_Renders/bad.mp4"), &bad).unwrap();
    let raw = [
        "-c",
        "filter.lfs.clean=cat",
        "-c",
        "filter.lfs.process=",
        "-c",
        "filter.lfs.required=false",
    ];
    git(
        home.path(),
        &p,
        &[&raw[..], &["add", "03_Renders/bad.mp4"]].concat(),
    );
    git(
        home.path(),
        &p,
        &[&raw[..], &["commit", "-qm", "render: bad"]].concat(),
    );
    let repo = wgit::open(&p).unwrap();
    assert!(lfs::ls_files(&repo).unwrap().is_empty());
    let problems = lfs::check(&repo).unwrap();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("03_Renders/bad.mp4: malformed LFS pointer"),
        "{problems:?}"
    );
    assert!(lfs::smudge_work_tree(&repo).is_ok());
}

#[test]
fn a_full_disk_during_an_lfs_commit_says_so_and_leaves_the_repository_consistent() {
    let home = home();
    let disk = SmallDisk::mount("6m", false);
    let p = project::create(&disk.path, "Noir", NarrativeTemplate::ThreeAct).unwrap();
    let repo = wgit::open(&p).unwrap();
    std::fs::write(p.join("03_Renders/big.mp4"), random_bytes(3_500_000, 4)).unwrap();
    let head_before = git(home.path(), &p, &["rev-parse", "HEAD"]);
    let e = wgit::commit_all(&repo, "render: big").unwrap_err();
    assert!(e.contains("disk is full"), "{e}");
    assert_eq!(
        git(home.path(), &p, &["rev-parse", "HEAD"]),
        head_before,
        "no commit made"
    );
    assert!(
        std::fs::read_dir(repo.path().join("lfs/tmp"))
            .unwrap()
            .next()
            .is_none(),
        "no temp debris"
    );
    git(home.path(), &p, &["fsck", "--no-progress"]);
    assert!(git(home.path(), &p, &["status", "--porcelain"]).contains("?? 03_Renders/big.mp4"));
}

/// Commits a 2 GiB file through the real binary and reads its peak RSS from the kernel.
#[test]
fn a_2_gib_file_commits_with_bounded_memory() {
    let home = home();
    let root = tempfile::tempdir().unwrap();
    let p = project::create(root.path(), "Big", NarrativeTemplate::ThreeAct).unwrap();
    let file = p.join("03_Renders/master.mov");
    {
        use std::io::Write as _;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let chunk = random_bytes(1 << 20, 5);
        for _ in 0..2048 {
            f.write_all(&chunk).unwrap();
        }
    }
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
        .args(["--project"])
        .arg(&p)
        .args(["git", "commit", "-m", "render: master"])
        .env("SLATE_DATA_DIR", root.path().join("data"))
        .env("HOME", home.path())
        .spawn()
        .unwrap();
    let (status, max_rss_kib) = wait_with_rusage(child);
    assert!(status == 0, "slate git commit failed");
    println!("2 GiB commit: peak RSS {} MiB", max_rss_kib / 1024);
    assert!(
        max_rss_kib < 100 * 1024,
        "peak RSS {max_rss_kib} KiB: not streaming"
    );
    assert_eq!(git(home.path(), &p, &["status", "--porcelain"]), "");
    let ls = git(home.path(), &p, &["lfs", "ls-files", "--size"]);
    assert!(ls.contains("master.mov (2.1 GB)"), "{ls}");
}

fn wait_with_rusage(child: std::process::Child) -> (i32, i64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: waiting on our own child and reading its rusage into a zeroed struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    std::mem::forget(child);
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

#[path = "common/studio.rs"]
mod studio;

/// Push from the Git tab runs `git/push`: git-lfs uploads the objects, git the commits,
/// and a clone made with the real git-lfs gets the media back.
#[test]
fn push_sends_commits_and_lfs_objects_to_the_remote() {
    let home = home();
    let mut s = studio::Studio::new("", &[]);
    let ws = s.dir.path().join("ws");
    let p = project::create(&ws, "Noir", NarrativeTemplate::ThreeAct).unwrap();
    let clip = random_bytes(300_000, 11);
    std::fs::write(p.join("03_Renders/clip.mp4"), &clip).unwrap();
    let repo = wgit::open(&p).unwrap();
    wgit::commit_all(&repo, "render: clip").unwrap();
    let remote = s.dir.path().join("remote.git");
    git(
        home.path(),
        s.dir.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git(
        home.path(),
        &p,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );

    let id = s.submit("git/push", &[("project", "Noir")], 0);
    let t = s.wait_finished(id, 60);
    assert_eq!(
        t.state,
        slate::runner::task::TaskState::Succeeded,
        "{:?}",
        t.error
    );
    let oid = lfs::hash_bytes(&clip);
    assert!(
        lfs::object_path(&remote, &oid).exists(),
        "the LFS object reached the remote"
    );

    let clone = s.dir.path().join("clone");
    git(
        home.path(),
        s.dir.path(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    assert_eq!(
        std::fs::read(clone.join("03_Renders/clip.mp4")).unwrap(),
        clip
    );
    // A bad project name is refused before anything runs.
    s.send(slate::events::Command::SubmitTask {
        request: slate::runner::task::TaskRequest {
            function: "git/push".into(),
            params: [("project".to_string(), "../etc".to_string())].into(),
            ..Default::default()
        },
    });
    s.until("the refusal", 5, |e, _| {
        matches!(e, slate::events::Event::TaskRejected { .. })
    });
}
