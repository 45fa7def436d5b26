//! Git on a big project, against the git CLI in the same run: status and history on
//! 10,000 files and 5,000 commits, and creating a project.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Figure, full_run, median_wall};
use slate::workspace::git as wgit;
use slate::workspace::manifest::NarrativeTemplate;
use slate::workspace::project;

fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@localhost")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@localhost")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A repository with `files` files and `commits` commits, built with fast-import.
fn fixture(dir: &Path, files: usize, commits: usize) {
    git(dir, &["init", "-q", "-b", "main"]);
    let mut fi = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut w = std::io::BufWriter::new(fi.stdin.take().unwrap());
    let mut t = 1_700_000_000u64;
    writeln!(
        w,
        "commit refs/heads/main\ncommitter bench <b@l> {t} +0000\ndata 7\ninitial"
    )
    .unwrap();
    for i in 0..files {
        let body = format!("file {i}\n");
        writeln!(
            w,
            "M 100644 inline 03_Renders/c{}/s{}/f{i}.txt\ndata {}\n{body}",
            i % 10,
            i % 100,
            body.len()
        )
        .unwrap();
    }
    for c in 1..commits {
        t += 60;
        let i = c % files;
        let body = format!("file {i} rev {c}\n");
        let msg = format!("render: update {c}");
        writeln!(
            w,
            "commit refs/heads/main\ncommitter bench <b@l> {t} +0000\ndata {}\n{msg}",
            msg.len()
        )
        .unwrap();
        writeln!(
            w,
            "M 100644 inline 03_Renders/c{}/s{}/f{i}.txt\ndata {}\n{body}",
            i % 10,
            i % 100,
            body.len()
        )
        .unwrap();
    }
    drop(w);
    assert!(fi.wait().unwrap().success());
    git(dir, &["reset", "-q", "--hard", "main"]);
}

fn main() {
    let (files, commits, runs) = if full_run() {
        (10_000, 5_000, 15)
    } else {
        (500, 100, 3)
    };
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("repo");
    std::fs::create_dir(&repo_dir).unwrap();
    fixture(&repo_dir, files, commits);
    let repo = wgit::open(&repo_dir).unwrap();
    // Warm both (page cache, index stat cache).
    git(&repo_dir, &["status", "--porcelain"]);
    assert!(wgit::status(&repo).unwrap().is_clean());

    let mut figures = Vec::new();
    let slate_status = median_wall(runs, || {
        let st = wgit::status(&repo).unwrap();
        assert!(st.is_clean());
    });
    let git_status = median_wall(runs, || {
        git(&repo_dir, &["status", "--porcelain"]);
    });
    figures.push(Figure::versus(
        &format!("status, {files} files (ms)"),
        slate_status.as_secs_f64() * 1000.0,
        "ms",
        "git status --porcelain",
        git_status.as_secs_f64() * 1000.0,
    ));
    let slate_log = median_wall(runs, || {
        assert_eq!(wgit::log(&repo, 0, commits).unwrap().len(), commits);
    });
    let git_log = median_wall(runs, || {
        git(&repo_dir, &["log", "--oneline"]);
    });
    figures.push(Figure::versus(
        &format!("history, all {commits} commits (ms)"),
        slate_log.as_secs_f64() * 1000.0,
        "ms",
        "git log --oneline",
        git_log.as_secs_f64() * 1000.0,
    ));
    let slate_page = median_wall(runs, || {
        wgit::log(&repo, 0, slate::workspace::service::LOG_PAGE).unwrap();
    });
    let git_page = median_wall(runs, || {
        git(&repo_dir, &["log", "--oneline", "-n", "200"]);
    });
    figures.push(Figure::versus(
        "history, first page of 200 (ms)",
        slate_page.as_secs_f64() * 1000.0,
        "ms",
        "git log --oneline -n 200",
        git_page.as_secs_f64() * 1000.0,
    ));

    // Create a project vs. the same tree made and committed with the git CLI.
    let mut n = 0;
    let root = dir.path().join("ws");
    let slate_create = median_wall(runs, || {
        n += 1;
        project::create(&root, &format!("P{n}"), NarrativeTemplate::BeatSheet).unwrap();
    });
    let template = root.join("P1");
    let cli_root = dir.path().join("cli");
    std::fs::create_dir(&cli_root).unwrap();
    let mut m = 0;
    let cli_create = median_wall(runs, || {
        m += 1;
        let d = cli_root.join(format!("P{m}"));
        copy_tree(&template, &d);
        git(&d, &["init", "-q", "-b", "main"]);
        git(&d, &["add", "-A"]);
        git(&d, &["commit", "-qm", "chore: Create project"]);
    });
    figures.push(Figure::versus(
        "create project (ms)",
        slate_create.as_secs_f64() * 1000.0,
        "ms",
        "mkdir+cp, git init, git add, git commit",
        cli_create.as_secs_f64() * 1000.0,
    ));
    common::write("git", &figures);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.file_name() == ".git" {
            continue;
        }
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
