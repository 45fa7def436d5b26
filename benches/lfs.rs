//! Committing media through Slate's native LFS against `git add` + `git commit` with
//! git-lfs in the same run, and against the hashing limit (`openssl dgst -sha256` + `cp`).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::{Figure, full_run};
use slate::workspace::git as wgit;
use slate::workspace::manifest::NarrativeTemplate;
use slate::workspace::project;

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

fn main() {
    let sizes: &[(usize, &str)] = if full_run() {
        &[(1 << 20, "1 MiB"), (64 << 20, "64 MiB"), (1 << 30, "1 GiB")]
    } else {
        &[(1 << 20, "1 MiB"), (8 << 20, "8 MiB")]
    };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = b\n\temail = b@l\n",
    )
    .unwrap();
    run(dir.path(), &home, "git", &["lfs", "install", "--skip-repo"]);
    let mut figures = Vec::new();
    for (i, (size, label)) in sizes.iter().enumerate() {
        // Slate: a project, one new clip, commit.
        let p = project::create(
            &dir.path().join("slate"),
            &format!("P{i}"),
            NarrativeTemplate::ThreeAct,
        )
        .unwrap();
        common::write_random_file(&p.join("03_Renders/clip.mp4"), *size, i as u64 + 1);
        let repo = wgit::open(&p).unwrap();
        let t = Instant::now();
        wgit::commit_all(&repo, "render: clip").unwrap();
        let slate_s = t.elapsed().as_secs_f64();

        // git + git-lfs: the same project layout and file, `git add` + `git commit`.
        let g = dir.path().join(format!("git{i}"));
        std::fs::create_dir(&g).unwrap();
        run(&g, &home, "git", &["init", "-q", "-b", "main"]);
        run(&g, &home, "git", &["lfs", "track", "*.mp4"]);
        run(
            &g,
            &home,
            "git",
            &["commit", "-qm", "init", "--allow-empty"],
        );
        common::write_random_file(&g.join("clip.mp4"), *size, i as u64 + 1);
        let t = Instant::now();
        run(&g, &home, "git", &["add", "clip.mp4"]);
        run(&g, &home, "git", &["commit", "-qm", "render: clip"]);
        let lfs_s = t.elapsed().as_secs_f64();

        // The limit: hash it once and copy it once.
        let t = Instant::now();
        run(&g, &home, "openssl", &["dgst", "-sha256", "clip.mp4"]);
        run(&g, &home, "cp", &["clip.mp4", "clip.copy"]);
        let limit_s = t.elapsed().as_secs_f64();

        figures.push(Figure::versus(
            &format!("commit {label} clip (s)"),
            slate_s,
            "s",
            "git add + git commit (git-lfs)",
            lfs_s,
        ));
        figures.push(Figure::versus(
            &format!("commit {label} clip vs hashing limit (s)"),
            slate_s,
            "s",
            "openssl dgst -sha256 + cp",
            limit_s,
        ));
    }
    common::write("lfs", &figures);
}
