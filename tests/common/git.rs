//! Running the real git CLI (and git-lfs) as an oracle, with a private HOME.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// A HOME with a git identity and git-lfs's global filters, like a user's machine.
pub fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".gitconfig"),
        "[user]\n\tname = Test Director\n\temail = director@example.com\n[init]\n\tdefaultBranch = main\n",
    )
    .unwrap();
    let out = Command::new("git")
        .args(["lfs", "install", "--skip-repo"])
        .env("HOME", home.path())
        .output()
        .expect("git is required for this test (apt install git)");
    assert!(
        out.status.success(),
        "git-lfs is required for this test (apt install git-lfs): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    home
}

pub fn git(home: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn git_bytes(home: &Path, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A 1 MiB-ish tmpfs (or a read-only one), unmounted on drop. Needs root.
pub struct SmallDisk {
    pub path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    pub fn mount(size: &str, read_only: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mut opts = format!("size={size}");
        if read_only {
            opts += ",ro";
        }
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &opts, "tmpfs"])
            .arg(&path)
            .output()
            .expect("`mount` is required for this test");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to stand for a full or read-only disk and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { path, _dir: dir }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        Command::new("umount").arg(&self.path).output().ok();
    }
}
