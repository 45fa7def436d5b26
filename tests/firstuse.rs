//! What a director hits in the first hour (issue 13): the command line through the real
//! binary, and the window through egui_kittest.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "common/studio.rs"]
mod studio;

use studio::slate_cli;

/// A stdout whose reader is already gone, as `slate tasks | head -1` is once head exits:
/// the read end is closed before the child starts, so every write fails with EPIPE.
fn closed_stdout() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer
}

#[test]
fn every_command_treats_a_closed_stdout_as_success() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ws")).unwrap();
    for args in [
        &["tasks"][..],
        &["tasks", "--json"],
        &["functions", "list"],
        &["functions", "list", "--json"],
        &["functions", "show", "demo/countdown"],
        &["project", "list"],
        &["info"],
        &["info", "--json"],
    ] {
        let out = slate_cli(dir.path(), args)
            .stdout(closed_stdout())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "slate {args:?} into a closed pipe exited {:?}: {err}",
            out.status
        );
        assert!(
            !err.contains("panicked") && !err.to_lowercase().contains("broken pipe"),
            "slate {args:?} into a closed pipe complained: {err}"
        );
    }
}
