//! `--json` on every command: stdout carries the core's replies as JSON and nothing
//! else (words for people go to stderr), through the real binary.

#[path = "common/git.rs"]
mod gitcli;

use std::process::Command;

use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Env {
    fn json(&self, args: &[&str]) -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_slate"))
            .args(args)
            .arg("--json")
            .env("SLATE_DATA_DIR", self.dir.path().join("data"))
            .env("SLATE_WORKSPACE", self.dir.path().join("ws"))
            .env("HOME", self.home.path())
            .env_remove("SLATE_GPU_REPLAY")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{args:?} --json printed no JSON ({e}): {stdout:?}"))
    }
}

#[test]
fn every_command_prints_json_and_only_json_under_json() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
        home: gitcli::home(),
    };
    let made = env.json(&["project", "new", "Reel"]);
    assert_eq!(made["name"], "Reel");
    let p = ["--project", "Reel"];
    let with =
        |rest: &[&str]| -> Vec<String> { p.iter().chain(rest).map(|s| s.to_string()).collect() };
    let run = |rest: &[&str]| {
        let args = with(rest);
        env.json(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(
        run(&["project", "chapter", "add", "Epilogue"])["summary"],
        "Add chapter Epilogue"
    );
    run(&["project", "scene", "add", "1", "Opening"]);
    run(&["project", "shot", "add", "1", "1", "Hero"]);
    assert!(run(&["project", "show"])["manifest"].is_object());
    assert!(run(&["git", "status"])["branch"].is_string());
    assert!(run(&["git", "commit", "-m", "story", "--prefix", "story"])["id"].is_string());
    assert_eq!(run(&["git", "tag", "v1"])["tag"], "v1");
    let tags = run(&["git", "tags"]);
    assert!(tags.to_string().contains("v1"), "{tags}");
    assert!(run(&["git", "log"]).is_array());
    assert_eq!(run(&["lfs", "track", "*.exr"])["pattern"], "*.exr");
    assert!(run(&["lfs", "status"])["patterns"].is_array());
    assert!(run(&["take", "list"])["shots"].is_array());
    assert!(run(&["asset", "list"]).is_array());
    assert!(env.json(&["tasks"]).is_array());
    assert!(env.json(&["functions", "list"])["functions"].is_array());
    assert_eq!(
        env.json(&["functions", "show", "demo/countdown"])["id"],
        "demo/countdown"
    );
    assert!(env.json(&["info"])["slate_version"].is_string());
    let renamed = run(&["project", "rename", "Second Reel"]);
    assert!(renamed["path"].is_string(), "{renamed}");
}

/// Without `--json`, the same commands speak to people, counting in words.
#[test]
fn without_json_counts_read_as_words() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
        home: gitcli::home(),
    };
    env.json(&["project", "new", "Reel"]);
    let out = Command::new(env!("CARGO_BIN_EXE_slate"))
        .args(["project", "list"])
        .env("SLATE_DATA_DIR", env.dir.path().join("data"))
        .env("SLATE_WORKSPACE", env.dir.path().join("ws"))
        .env("HOME", env.home.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("3 chapters, 0 shots, 0 takes"), "{text}");
    assert!(!text.contains("(s)"), "{text}");
}
