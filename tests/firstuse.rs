//! What a director hits in the first hour (issue 13): the command line through the real
//! binary, and the window through egui_kittest.

mod common;
#[path = "common/studio.rs"]
mod studio;

use common::palette;
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

fn failure(i: u64) -> slate::events::Event {
    slate::events::Event::Notification {
        level: slate::events::Level::Error,
        title: format!("demo/countdown #{i} failed"),
        body: "exited with code 3; last output:\ntick 1\ntick 2\ntick 3\ntick 4\nout of memory at step 5"
            .into(),
        task: Some(i),
    }
}

fn toasts_harness(
    vm: slate::ui::view_model::ViewModel,
    now_ms: u64,
) -> egui_kittest::Harness<'static> {
    let mut toasts = slate::ui::views::toasts::Toasts::default();
    common::view_harness(vm, [900.0, 600.0], now_ms, move |ui, ctx| {
        let corner = ui.max_rect().right_bottom();
        toasts.ui(&ui.ctx().clone(), ctx, true, 5, corner);
    })
}

#[test]
fn toasts_show_the_cause_collapse_past_three_expire_and_stay_dismissed_after_a_restart() {
    use egui_kittest::kittest::Queryable as _;
    let mut vm = slate::ui::view_model::ViewModel::default();
    for i in 1..=5 {
        vm.apply(failure(i), 1_000);
    }
    let mut h = toasts_harness(vm.clone(), 2_000);
    h.run_steps(2);
    // The last lines, where the cause is; not the first ticks.
    assert!(
        h.query_all_by_label_contains("out of memory at step 5")
            .count()
            == 3
    );
    assert!(h.query_by_label_contains("tick 1").is_none());
    h.get_by_label_contains("+2 more");
    // Errors go away too (they stay listed in the progress area).
    let mut h = toasts_harness(vm.clone(), 1_000 + 60_000);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("failed").is_none(),
        "an error toast never went away"
    );
    // The progress area's list shows the cause too, not the first ticks.
    let mut h = common::view_harness(vm.clone(), [900.0, 600.0], 2_000, |ui, ctx| {
        slate::ui::views::progress_area::progress_area_ui(ui, ctx);
    });
    h.run_steps(2);
    h.get_by_label_contains("demo/countdown #5 failed");
    assert!(
        h.query_all_by_label_contains("out of memory at step 5")
            .next()
            .is_some()
            && h.query_by_label_contains("tick 1").is_none(),
        "the progress area lists a failure by its first lines, not its cause"
    );
    // A restart restores the list, and nothing from it toasts again.
    let mut next = slate::ui::view_model::ViewModel::default();
    next.restore_notifications(vm.notifications.iter().cloned().collect());
    let mut h = toasts_harness(next, 2_000);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("failed").is_none(),
        "old toasts came back after a restart"
    );
}

/// The window with the workspace's project "Film" open (its story read).
fn film_open(d: &std::path::Path) -> egui_kittest::Harness<'static, slate::ui::App> {
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    common::wait_until(&mut h, "the project", 20, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.manifest.is_some())
    });
    h
}

/// Queues a 60 s countdown (a local process) and waits until it runs.
fn run_a_long_countdown(h: &mut egui_kittest::Harness<'static, slate::ui::App>) {
    h.state()
        .commands_for_tests()
        .send(slate::events::Command::SubmitTask {
            request: slate::runner::task::TaskRequest {
                function: "demo/countdown".into(),
                params: [
                    ("steps".to_string(), "600".to_string()),
                    ("interval".to_string(), "0.1".to_string()),
                ]
                .into(),
                ..Default::default()
            },
        });
    common::wait_until(h, "the task to run", 30, |h| {
        h.state()
            .vm
            .active()
            .any(|t| t.state == slate::runner::task::TaskState::Running)
    });
}

fn app_with_functions(dir: &std::path::Path) -> egui_kittest::Harness<'static, slate::ui::App> {
    let mut h = common::harness(dir);
    common::settle(&mut h);
    common::wait_until(&mut h, "functions", 10, |h| {
        !h.state().vm.functions.is_empty()
    });
    h
}

/// Esc, then Esc again: the first leaves a field or closes a list, the second the dialog.
fn escape_twice(h: &mut egui_kittest::Harness<'static, slate::ui::App>) {
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    h.key_press(egui::Key::Escape);
    h.run_steps(3);
}

#[test]
fn the_run_dialog_picker_opens_on_click_after_a_cancel_esc_closes_and_values_start_fresh() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with_functions(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.run_steps(3);
    // The picker used, then the dialog cancelled. (With eight built-in functions the open
    // list covers the Cancel button, so a choice closes it first, as a user would.)
    h.get_by_label("Function").click();
    h.run_steps(3);
    h.get_by_label("demo/countdown").click();
    h.run_steps(3);
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(
        h.query_by_label("Run function").is_none(),
        "Cancel closed it"
    );

    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.run_steps(3);
    h.get_by_label("Function").click();
    h.run_steps(3);
    h.get_by_label("demo/countdown").click();
    h.run_steps(3);
    assert!(
        h.query_by_label("steps").is_some(),
        "the picker opened on click and chose the countdown"
    );
    h.get_by_label("steps").focus();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("steps").type_text("77");
    h.run_steps(2);
    // Esc leaves the field, a second Esc closes the dialog.
    escape_twice(&mut h);
    assert!(
        h.query_by_label("Run function").is_none(),
        "Esc closed the dialog"
    );

    // Opened again: the function's defaults, not the last values typed.
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.run_steps(3);
    let steps = h.get_by_label("steps");
    assert_ne!(steps.value().as_deref(), Some("77"), "stale values kept");

    // The dialog closed while its list is open (Esc: the list, then the dialog): the
    // next dialog's picker still opens on a click.
    h.get_by_label("Function").click();
    h.run_steps(3);
    assert!(egui::Popup::is_any_open(&h.ctx), "the list opened");
    escape_twice(&mut h);
    assert!(
        h.query_by_label("Run function").is_none(),
        "Esc with the list open did not close the dialog"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.run_steps(3);
    h.get_by_label("Function").click();
    h.run_steps(3);
    assert!(
        egui::Popup::is_any_open(&h.ctx),
        "the picker did not open on click after the dialog closed with its list open"
    );
}

fn queued_tasks(n: u64) -> slate::ui::view_model::ViewModel {
    let mut vm = slate::ui::view_model::ViewModel::default();
    let tasks = (1..=n)
        .map(|i| slate::runner::task::Task::queued(i, &format!("demo/job-{i}"), "1.0.0", 1_000))
        .collect();
    vm.apply(
        slate::events::Event::TasksSnapshot {
            tasks,
            paused: false,
        },
        2_000,
    );
    vm
}

#[test]
fn a_tasks_row_selects_by_its_text_and_shift_arrows_extend_and_shrink() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let mut view = slate::ui::views::tasks::TasksView::default();
    let mut h = common::view_harness(queued_tasks(5), [1000.0, 600.0], 2_000, move |ui, ctx| {
        view.ui(ui, ctx)
    });
    h.run_steps(2);
    // The function name is text in a cell: clicking it selects the row.
    h.get_by_label("demo/job-3").click();
    h.run_steps(2);
    h.get_by_label_contains("1 selected");
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowDown);
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowDown);
    h.run_steps(2);
    h.get_by_label_contains("3 selected");
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowUp);
    h.run_steps(2);
    h.get_by_label_contains("2 selected");
    // A plain arrow moves: one row selected again.
    h.key_press(Key::ArrowUp);
    h.run_steps(2);
    h.get_by_label_contains("1 selected");
}

/// The real binary on the window's own data folder and workspace (`common::options`).
fn cli(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
        .args(args)
        .env("SLATE_DATA_DIR", dir.join("data"))
        .env("SLATE_WORKSPACE", dir.join("workspace"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "slate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_history_row_selects_by_click_and_arrows_shows_files_and_diff_and_tags_that_commit() {
    use egui::Key;
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    std::fs::write(d.join("workspace/Film/02_Story/notes.txt"), "rain\nneon\n").unwrap();
    cli(d, &["--project", "Film", "git", "commit", "-m", "notes"]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Num6);
    h.run_steps(2);
    assert_eq!(h.state().tab(), slate::ui::tabs::Tab::Git);
    common::wait_until(&mut h, "two commits in history", 20, |h| {
        h.state().vm.git_log.len() == 2
    });
    // A click on the row's text selects it and lists its files.
    let summary = h.state().vm.git_log[0].summary.clone();
    assert!(summary.ends_with("notes"), "{summary}");
    h.get_by_label(&summary).click();
    common::wait_until(&mut h, "the commit's files", 10, |h| {
        h.query_by_label_contains("02_Story/notes.txt").is_some()
    });
    // Copy hash puts the whole hash on the clipboard and says so.
    let hash = h.state().vm.git_log[0].id.clone();
    h.get_by_label("Copy hash").click();
    h.run_steps(1);
    assert!(
        h.output()
            .platform_output
            .commands
            .contains(&egui::OutputCommand::CopyText(hash.clone())),
        "Copy hash did not copy {hash}"
    );
    h.run_steps(1);
    h.get_by_label("Copied");
    // A file shows its diff.
    h.get_by_label_contains("02_Story/notes.txt").click();
    common::wait_until(&mut h, "the diff", 10, |h| {
        h.query_by_label("+neon").is_some()
    });
    // ↓ moves to the older commit, whose files replace these.
    h.key_press(Key::ArrowDown);
    common::wait_until(&mut h, "the first commit's files", 10, |h| {
        h.query_by_label_contains("project.json").is_some()
            && h.query_by_label_contains("02_Story/notes.txt").is_none()
    });
    // Tag that (older) commit, with Enter.
    h.get_by_label("Tag").focus();
    h.run_steps(2);
    h.get_by_label("Tag").type_text("v0");
    h.run_steps(2);
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the tag on the first commit", 10, |h| {
        let log = &h.state().vm.git_log;
        log.len() == 2 && log[1].tags == ["v0"] && log[0].tags.is_empty()
    });
    h.get_by_label("Roll back to this commit:");
}

fn story_json(d: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(d.join("workspace/Film/02_Story/story.json")).unwrap(),
    )
    .unwrap()
}

fn shot_durations(d: &std::path::Path) -> Vec<f64> {
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<f64>) {
        match v {
            serde_json::Value::Object(m) => {
                if let (Some(_), Some(d)) = (m.get("shotType"), m.get("duration")) {
                    out.push(d.as_f64().unwrap_or(-1.0));
                }
                m.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&story_json(d), &mut out);
    out
}

#[test]
fn a_shot_edit_is_kept_when_another_shot_is_selected_and_enter_applies() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    cli(
        d,
        &["--project", "Film", "project", "scene", "add", "1", "Alley"],
    );
    cli(
        d,
        &[
            "--project",
            "Film",
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Neon sign",
        ],
    );
    cli(
        d,
        &[
            "--project",
            "Film",
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Puddle",
        ],
    );
    assert_eq!(shot_durations(d), [3.0, 3.0]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    common::wait_until(&mut h, "the shots in the browser", 20, |h| {
        h.query_by_label("Neon sign · wide · 3s").is_some()
    });
    h.get_by_label("Neon sign · wide · 3s").click();
    h.run_steps(3);
    let field = "Duration (seconds)";
    h.get_by_label(field).focus();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(field).type_text("7");
    h.run_steps(2);
    h.get_by_label_contains("Unsaved changes");
    // Selecting another shot keeps the edit (it is saved, not dropped).
    h.get_by_label("Puddle · wide · 3s").click();
    common::wait_until(&mut h, "the edit saved", 20, |h| {
        h.query_by_label("Neon sign · wide · 7s").is_some()
    });
    assert_eq!(shot_durations(d), [7.0, 3.0]);
    // Enter applies in a single-line field.
    h.get_by_label(field).focus();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(field).type_text("5");
    h.run_steps(2);
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "Enter to save", 20, |h| {
        h.query_by_label("Puddle · wide · 5s").is_some()
    });
}

/// Tab moves through the New shot form without adding a half-typed shot; Enter in any
/// of its fields adds it, with what was typed in the others.
#[test]
fn tab_through_the_new_shot_form_adds_nothing_until_enter() {
    use egui::Key;
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    cli(
        d,
        &["--project", "Film", "project", "scene", "add", "1", "Alley"],
    );
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    common::wait_until(&mut h, "the scene in the browser", 20, |h| {
        h.query_by_label("🎬 Alley").is_some()
    });
    h.get_by_label("🎬 Alley").click();
    h.run_steps(3);
    h.get_by_label("Shot name").focus();
    h.run_steps(2);
    h.get_by_label("Shot name").type_text("Rain");
    for _ in 0..4 {
        h.key_press(Key::Tab);
        h.run_steps(2);
    }
    h.get_by_label("Description").focus();
    h.run_steps(2);
    h.get_by_label("Description").type_text("Water on glass");
    h.key_press(Key::Tab);
    h.run_steps(4);
    assert!(
        shot_durations(d).is_empty(),
        "leaving a New shot field added the shot before Enter"
    );
    h.get_by_label("Description").focus();
    h.run_steps(2);
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the shot added on Enter", 20, |_| {
        shot_durations(d).len() == 1
    });
    let story = std::fs::read_to_string(d.join("workspace/Film/02_Story/story.json")).unwrap();
    assert!(story.contains("Water on glass"), "{story}");
    assert_eq!(shot_durations(d).len(), 1);
}

#[test]
fn the_palette_keeps_its_full_list_after_a_filtered_search_and_shows_whole_shortcuts() {
    use egui::Key;
    use egui_kittest::kittest::Queryable as _;
    let available = slate::ui::commands::Availability::default();
    let mut h = egui_kittest::Harness::builder()
        .with_size([1024.0, 700.0])
        .wgpu()
        .build_ui_state(
            move |ui, palette: &mut slate::ui::palette::Palette| {
                palette.show(ui.ctx(), &available);
            },
            slate::ui::palette::Palette::default(),
        );
    h.state_mut().open();
    h.run_steps(3);
    h.get_by_label("Search commands").type_text("gpu");
    h.run_steps(3);
    assert!(h.query_by_label("Show Tasks").is_none());
    h.key_press(Key::Escape);
    h.run_steps(3);
    assert!(!h.state().open);
    h.state_mut().open();
    h.run_steps(3);
    h.get_by_label("Show Tasks");
    h.snapshot_options("palette_reopened_1024x700", &common::snapshot_options());
}

#[test]
fn without_a_remote_push_is_replaced_by_add_remote_which_tests_the_url() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let bare = d.join("remote.git");
    assert!(
        std::process::Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&bare)
            .status()
            .unwrap()
            .success()
    );
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num6);
    common::wait_until(&mut h, "git status", 20, |h| {
        h.state().vm.git_status.is_some()
    });
    assert!(
        h.query_by_label("Push").is_none(),
        "Push offered with no remote"
    );
    h.get_by_label("Add remote…").click();
    h.run_steps(2);
    // A URL that does not answer is refused with the reason.
    h.get_by_label("Remote URL").focus();
    h.get_by_label("Remote URL")
        .type_text(&d.join("nowhere").display().to_string());
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the refusal", 20, |h| {
        h.query_all_by_label_contains("does not answer")
            .next()
            .is_some()
    });
    h.get_by_label("Remote URL").focus();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Remote URL")
        .type_text(&bare.display().to_string());
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "Push once origin exists", 20, |h| {
        h.query_by_label("Push").is_some()
    });
    assert!(h.query_by_label("Add remote…").is_none());
}

#[test]
fn a_task_being_cancelled_reads_cancelling_at_once() {
    use egui_kittest::kittest::Queryable as _;
    let mut vm = queued_tasks(1);
    let mut t = vm.tasks[&1].clone();
    t.state = slate::runner::task::TaskState::Running;
    t.started_ms = Some(1_500);
    t.stage = Some("cancelling".into());
    vm.apply(slate::events::Event::TaskUpdated { task: t }, 2_000);
    let mut view = slate::ui::views::tasks::TasksView::default();
    let mut h = common::view_harness(vm, [1000.0, 400.0], 2_000, move |ui, ctx| view.ui(ui, ctx));
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("running").next().is_none(),
        "a cancelled task still reads running"
    );
    assert!(h.query_all_by_label_contains("cancelling").next().is_some());
}

#[test]
fn ctrl_q_with_local_process_tasks_running_says_they_restart_from_zero_and_asks() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with_functions(dir.path());
    run_a_long_countdown(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run_steps(3);
    h.get_by_label("Quit Slate?");
    h.get_by_label_contains("start again from zero");
    h.key_press(Key::Escape);
    h.run_steps(3);
    assert!(
        h.query_by_label("Quit Slate?").is_none(),
        "Esc keeps Slate open"
    );
    // The window's close button asks the same, and the close waits for the answer.
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.run_steps(1);
    let cancelled = h
        .output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| {
            v.commands
                .iter()
                .any(|c| matches!(c, egui::ViewportCommand::CancelClose))
        });
    assert!(
        cancelled,
        "the close button closed the window with a local process running"
    );
    h.run_steps(2);
    h.get_by_label("Quit Slate?");
    h.key_press(Key::Escape);
    h.run_steps(3);
    h.state()
        .commands_for_tests()
        .send(slate::events::Command::CancelTask { id: 1 });
    common::wait_until(&mut h, "the cancel", 30, |h| {
        h.state().vm.active().next().is_none()
    });
}

/// The window on Settings → `page` (Ctrl+7, then the page's tab).
fn settings_page(
    d: &std::path::Path,
    page: &str,
) -> egui_kittest::Harness<'static, slate::ui::App> {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let mut h = common::harness(d);
    common::settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num7);
    h.run_steps(2);
    h.get_all_by_label(page).next().unwrap().click();
    h.run_steps(3);
    h
}

#[test]
fn settings_workspace_shows_the_folder_in_use_and_why() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    // common::options overrides the workspace, as SLATE_WORKSPACE / --workspace do.
    let h = settings_page(dir.path(), "Workspace");
    let in_use = format!("In use: {}", dir.path().join("workspace").display());
    h.get_by_label(&in_use);
    h.get_by_label_contains("Set by SLATE_WORKSPACE or --workspace");
}

/// Enter in a Settings field saves, as Enter applies a field everywhere else.
#[test]
fn enter_in_a_settings_field_saves() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let mut h = settings_page(dir.path(), "Runner");
    let field = "Max concurrent tasks";
    h.get_by_label(field).focus();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(field).type_text("3");
    h.run_steps(2);
    h.get_by_label("Unsaved changes");
    h.key_press(Key::Enter);
    let file = common::data_dir(dir.path()).join("settings.toml");
    common::wait_until(&mut h, "the settings saved", 20, |_| {
        std::fs::read_to_string(&file).is_ok_and(|t| t.contains("max_concurrent = 3"))
    });
}

#[test]
fn a_new_project_opens_on_the_scene_tab_and_counts_read_as_words() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let mut h = common::harness(dir.path());
    common::settle(&mut h);
    common::wait_until(&mut h, "the project list", 10, |h| {
        h.state().vm.projects_loaded
    });
    h.key_press_modifiers(Modifiers::COMMAND, Key::N);
    h.run_steps(3);
    h.get_by_label("Project name").type_text("Noir");
    h.run_steps(2);
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the new project to open", 20, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.manifest.is_some())
    });
    assert_eq!(h.state().tab(), slate::ui::tabs::Tab::Scene);
    h.get_by_label_contains("3 chapters · 0 scenes · 0 shots");
}

#[test]
fn at_1024x700_and_scale_1_25_the_side_panels_leave_the_main_view_half_the_width() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let options = common::options(dir.path());
    let mut h = egui_kittest::Harness::builder()
        .with_size([1024.0 / 1.25, 700.0 / 1.25])
        .with_pixels_per_point(1.25)
        .wgpu()
        .build_eframe(move |cc| slate::ui::App::new(cc, options));
    common::settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    h.run_steps(3);
    let width = 1024.0 / 1.25;
    let right_panel = h.get_by_label("Properties").rect().min.x;
    let main_view = h.get_by_label("Filter").rect().min.x;
    assert!(
        right_panel - main_view >= width * 0.45,
        "the main view is {} of {width} points wide",
        right_panel - main_view
    );
}

#[test]
fn the_status_bar_says_a_hot_gpu_is_hot_and_labels_memory_in_gib() {
    use egui_kittest::kittest::Queryable as _;
    let mut vm = slate::ui::view_model::ViewModel::default();
    vm.system = Some(slate::probe::SystemInfo {
        slate_version: "0".into(),
        libgit2_version: "0".into(),
        git: Ok("git".into()),
        git_lfs: Ok("git-lfs".into()),
        docker: Ok("20.10".into()),
        nvidia_driver: Ok("550".into()),
        gpus: vec![],
        data_dir: String::new(),
        settings_file: String::new(),
        workspace: String::new(),
        functions_dir: String::new(),
    });
    let sample = |index, temp| slate::gpu::GpuSample {
        index,
        name: "NVIDIA H200".into(),
        uuid: format!("GPU-{index}"),
        util_gpu: Some(50),
        util_mem: None,
        mem_used_mb: 20_480,
        mem_free_mb: 61_440,
        mem_total_mb: 81_920,
        temp_c: Some(temp),
        power_w: None,
        power_limit_w: None,
        sm_clock_mhz: None,
        mem_clock_mhz: None,
        fan_pct: None,
        processes: vec![],
    };
    vm.apply(
        slate::events::Event::GpuSample {
            ts_ms: 1_000,
            gpus: vec![sample(0, 88), sample(1, 60)],
            error: None,
        },
        1_000,
    );
    let mut h = common::view_harness(vm, [1200.0, 40.0], 1_000, |ui, ctx| {
        slate::ui::views::status_bar::status_bar_ui(ui, ctx)
    });
    h.run_steps(2);
    h.get_by_label("GPU0 50% · 20.0/80 GiB · 88 °C hot");
    h.get_by_label("GPU1 50% · 20.0/80 GiB · 60 °C");
}

#[test]
fn tab_moves_on_from_the_commit_message_and_tag_fields() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num6);
    common::wait_until(&mut h, "git status", 20, |h| {
        h.state().vm.git_status.is_some()
    });
    for field in ["Commit message", "Tag"] {
        h.get_by_label(field).focus();
        h.run_steps(2);
        assert!(h.get_by_label(field).is_focused());
        h.get_by_label(field).type_text("x");
        h.run_steps(1);
        h.key_press(Key::Tab);
        h.run_steps(2);
        assert!(
            !h.get_by_label(field).is_focused(),
            "Tab is trapped in {field}"
        );
    }
}

/// Events from `rx` until `pred` holds for one, failing with `what` after `secs`.
fn wait_for_event(
    rx: &crossbeam_channel::Receiver<slate::events::Event>,
    what: &str,
    secs: u64,
    mut pred: impl FnMut(&slate::events::Event) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if pred(&e) => return,
            Ok(_) => {}
            Err(_) => panic!("timed out waiting for: {what}"),
        }
    }
}

#[test]
fn files_added_on_disk_reach_git_status_and_assets_without_a_refresh() {
    use slate::events::{Command, Event};
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let p = slate::workspace::project::create(
        &ws,
        "Film",
        slate::workspace::manifest::NarrativeTemplate::ThreeAct,
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _in_runtime = rt.enter();
    let (tx, rx) = crossbeam_channel::unbounded();
    let (service, inbox) = slate::workspace::service::WorkspaceService::channel();
    service.start(
        inbox,
        slate::paths::Paths::in_dir(&dir.path().join("data"), Some(ws.clone())),
        slate::settings::Settings::default(),
        slate::core::EventSink::new(tx, std::sync::Arc::new(|_| {})),
        std::sync::Arc::new(|_| None),
    );
    service.command(Command::OpenProject {
        path: p.clone(),
        read_only: false,
    });
    wait_for_event(&rx, "the first git status", 20, |e| {
        matches!(e, Event::GitStatus { .. })
    });
    std::thread::sleep(std::time::Duration::from_millis(800));
    rx.try_iter().count();

    // Another program writes into the project: no Refresh command is sent.
    std::fs::write(p.join("notes.txt"), "call sheet").unwrap();
    let lamp = p.join("01_Assets/Props/Lamp_1234abcd");
    std::fs::create_dir_all(&lamp).unwrap();
    std::fs::write(
        lamp.join("asset.json"),
        r#"{"name":"Lamp","category":"Props"}"#,
    )
    .unwrap();
    let (mut listed, mut untracked) = (false, false);
    wait_for_event(&rx, "the new files in Assets and git status", 20, |e| {
        match e {
            Event::AssetsListed { assets, .. } => {
                listed |= assets.iter().any(|a| a.path.ends_with("Lamp_1234abcd"));
            }
            Event::GitStatus { status, .. } => {
                untracked |= status.untracked.iter().any(|f| f == "notes.txt");
            }
            _ => {}
        }
        listed && untracked
    });

    // Reading status changes nothing on disk, so the watch does not feed itself; and
    // git's object store alone is not a change a view shows.
    std::thread::sleep(std::time::Duration::from_millis(1_000));
    rx.try_iter().count();
    std::fs::write(p.join(".git/objects/zz-not-an-object"), "x").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let refreshes = rx
        .try_iter()
        .filter(|e| matches!(e, Event::GitStatus { .. } | Event::AssetsListed { .. }))
        .count();
    assert_eq!(refreshes, 0, "refreshed with nothing a view shows changed");
    drop(service);
}

#[test]
fn the_git_view_shows_a_file_added_on_disk_without_refresh() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num6);
    common::wait_until(&mut h, "git status", 20, |h| {
        h.state().vm.git_status.is_some()
    });
    assert!(h.query_by_label_contains("shot-list.txt").is_none());
    std::fs::write(d.join("workspace/Film/shot-list.txt"), "1. rain").unwrap();
    common::wait_until(&mut h, "the new file in the Git view", 20, |h| {
        h.query_by_label_contains("shot-list.txt").is_some()
    });
}

/// A commit held back by a large file is finished from the palette ("Commit anyway"),
/// which the palette offers only while a commit waits; Enter in the LFS pattern field
/// tracks the pattern.
#[test]
fn a_commit_held_by_a_large_file_is_finished_from_the_palette_and_enter_tracks_a_pattern() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    // 51 MiB (sparse): over the 50 MiB the Settings warn at, and no LFS pattern has it.
    std::fs::File::create(d.join("workspace/Film/plate.raw16"))
        .unwrap()
        .set_len(51 << 20)
        .unwrap();
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num6);
    common::wait_until(&mut h, "git status", 20, |h| {
        h.state().vm.git_status.is_some()
    });
    assert!(!h.state().availability().commit_guard);
    h.get_by_label("Commit message").focus();
    h.run_steps(2);
    h.get_by_label("Commit message").type_text("plate");
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the large-file question", 20, |h| {
        h.state().vm.large_files.is_some()
    });
    assert!(h.state().availability().commit_guard);
    palette(&mut h, "commit anyway");
    common::wait_until(&mut h, "the commit", 30, |h| {
        h.state()
            .vm
            .git_log
            .first()
            .is_some_and(|c| c.summary.ends_with("plate"))
    });
    assert!(!h.state().availability().commit_guard);

    // Enter in "Pattern to track" tracks it.
    palette(&mut h, "track files with lfs");
    common::wait_until(&mut h, "the pattern field focused", 10, |h| {
        h.query_by_label("Pattern to track")
            .is_some_and(|f| f.is_focused())
    });
    h.get_by_label("Pattern to track").type_text("*.raw16");
    h.run_steps(2);
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the pattern tracked", 20, |_| {
        std::fs::read_to_string(d.join("workspace/Film/.gitattributes"))
            .is_ok_and(|a| a.contains("*.raw16 filter=lfs"))
    });
}

/// A new project name typed but not applied is flagged, and kept when the selection
/// moves away and back (a rename moves the project's folder, so it waits for Enter).
#[test]
fn an_unapplied_project_name_is_flagged_and_kept() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let mut h = film_open(d);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Film")
        .click();
    h.run_steps(3);
    h.get_by_label("Project name").focus();
    h.run_steps(2);
    h.get_by_label("Project name").type_text(" Noir");
    h.key_press(egui::Key::Tab);
    h.run_steps(3);
    h.get_by_label_contains("New name not applied yet");
    h.get_all_by_label_contains("Act I").next().unwrap().click();
    h.run_steps(3);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Film")
        .click();
    h.run_steps(3);
    assert_eq!(
        h.get_by_label("Project name").value().as_deref(),
        Some("Film Noir")
    );
    assert!(
        d.join("workspace/Film").exists(),
        "the project was renamed without Enter"
    );
}

#[test]
fn a_template_saved_into_the_functions_folder_loads_once_its_writes_settle() {
    use slate::events::Event;
    let mut s = studio::Studio::new("", &[]);
    let file = s.paths().functions_dir().join("watched.toml");
    let text = studio::SH_FUNCTION.replace("test/sh", "test/watched");
    // An editor's save: a truncated write, then the whole file, in quick succession.
    std::fs::write(&file, &text[..text.len() / 2]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    std::fs::write(&file, &text).unwrap();
    s.until("the new template to load", 10, |e, _| {
        matches!(e, Event::FunctionsLoaded { functions, .. }
            if functions.iter().any(|f| f.id == "test/watched"))
    });
    // One reload for the burst; a file that is not a template reloads nothing.
    std::fs::write(s.paths().functions_dir().join("notes.md"), "draft").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1_500);
    let events = &s.core.as_ref().unwrap().events;
    let mut reloads = 0;
    while let Ok(e) =
        events.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
    {
        reloads += usize::from(matches!(e, Event::FunctionsLoaded { .. }));
    }
    assert_eq!(reloads, 0, "reloaded again after the templates settled");
}

#[test]
fn a_deleted_project_goes_to_the_users_trash_with_its_original_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let home = d.join("home");
    std::fs::create_dir_all(&home).unwrap();
    cli(d, &["project", "new", "Rain Film"]);
    let project = d.join("workspace/Rain_Film");
    assert!(project.is_dir());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slate"))
        .args(["--project", "Rain Film", "project", "delete", "--yes"])
        .env("SLATE_DATA_DIR", d.join("data"))
        .env("SLATE_WORKSPACE", d.join("workspace"))
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!project.exists());
    let trash = home.join(".local/share/Trash");
    assert!(trash.join("files/Rain_Film/project.json").is_file());
    let info = std::fs::read_to_string(trash.join("info/Rain_Film.trashinfo")).unwrap();
    assert!(info.contains("[Trash Info]"), "{info}");
    assert!(info.contains("Rain_Film"), "{info}");
}

/// Five minutes of a recorded H200 (the replay format `slate gpu --record` writes): load
/// rising as a Slate task and a desktop process run on it.
fn gpu_recording() -> Vec<slate::gpu::source::ReplayFrame> {
    (0..=300)
        .map(|i| {
            let t = f64::from(i);
            let sample = slate::gpu::GpuSample {
                index: 0,
                name: "NVIDIA H200".into(),
                uuid: "GPU-5d1c0e2a".into(),
                util_gpu: Some((55.0 + 40.0 * (t / 20.0).sin()) as u32),
                util_mem: Some(30),
                mem_used_mb: 8_192 + i as u64 * 200,
                mem_free_mb: 143_771 - 8_192 - i as u64 * 200,
                mem_total_mb: 143_771,
                temp_c: Some(55 + i / 12),
                power_w: Some(150.0 + t * 1.5),
                power_limit_w: Some(700.0),
                sm_clock_mhz: Some(1_980),
                mem_clock_mhz: Some(3_201),
                fan_pct: None,
                processes: vec![
                    slate::gpu::GpuProcess {
                        pid: 4242,
                        used_mb: 61_440,
                        name: "python3".into(),
                        task: Some(7),
                    },
                    slate::gpu::GpuProcess {
                        pid: 977,
                        used_mb: 312,
                        name: "Xorg".into(),
                        task: None,
                    },
                ],
            };
            slate::gpu::source::ReplayFrame {
                t_s: t,
                gpus: vec![sample],
            }
        })
        .collect()
}

fn gpu_view_model() -> (slate::ui::view_model::ViewModel, u64) {
    let mut vm = slate::ui::view_model::ViewModel::default();
    let task = slate::runner::task::Task {
        state: slate::runner::task::TaskState::Running,
        project: Some("Night Rain".into()),
        shot: Some("Chapter 1 / Rooftop / Shot 3".into()),
        ..slate::runner::task::Task::queued(7, "video/wan-2.1-text-to-video", "1.0.0", 0)
    };
    vm.apply(slate::events::Event::TaskSubmitted { task }, 0);
    let start_ms = 1_000_000;
    let mut last = 0;
    for line in gpu_recording()
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
    {
        let f: slate::gpu::source::ReplayFrame = serde_json::from_str(&line).unwrap();
        last = start_ms + (f.t_s * 1000.0) as u64;
        vm.apply(
            slate::events::Event::GpuSample {
                ts_ms: last,
                gpus: f.gpus,
                error: None,
            },
            last,
        );
    }
    (vm, last)
}

#[test]
fn gpu_charts_label_time_and_units_and_the_task_column_is_whole() {
    use egui_kittest::kittest::Queryable as _;
    use slate::ui::views::gpu::{time_label, vram_label};
    assert_eq!(time_label(0.0), "now");
    assert_eq!(time_label(-30.0), "-30 s");
    assert_eq!(time_label(-60.0), "-60 s");
    assert_eq!(time_label(-300.0), "-5 min");
    assert_eq!(time_label(-90.0 * 60.0), "-90 min");
    assert_eq!(vram_label(0.0), "0");
    assert_eq!(vram_label(512.0), "512 MiB");
    assert_eq!(vram_label(143_771.0), "140.4 GiB");
    assert_eq!(vram_label(81_920.0), "80 GiB");

    let mut results = egui_kittest::SnapshotResults::new();
    for (w, h, name) in [
        (1600.0, 1000.0, "gpu_tab_1600x1000"),
        (1024.0, 700.0, "gpu_tab_1024x700"),
    ] {
        let (vm, now_ms) = gpu_view_model();
        let mut view = slate::ui::views::gpu::GpuView::default();
        let mut harness = common::view_harness(vm, [w, h], now_ms, move |ui, ctx| view.ui(ui, ctx));
        harness.run_steps(3);
        harness.get_by_label_contains("VRAM · 66.6 GiB of 140.4 GiB");
        let task = harness.get_by_label(
            "#7 video/wan-2.1-text-to-video · Night Rain/Chapter 1 / Rooftop / Shot 3",
        );
        if w >= 1600.0 {
            assert!(
                task.rect().max.x <= w,
                "the Slate task column is cut at {w} points: {:?}",
                task.rect()
            );
        }
        harness.snapshot_options(name, &common::snapshot_options());
        results.extend(harness.take_snapshot_results());
    }
}

#[test]
fn the_status_bar_gpu_dot_is_green_amber_or_red_by_temperature() {
    use slate::ui::theme::{ERROR, OK, WARN, temperature_colour};
    assert_eq!(temperature_colour(Some(60), 85), OK);
    assert_eq!(temperature_colour(Some(74), 85), OK);
    assert_eq!(temperature_colour(Some(75), 85), WARN);
    assert_eq!(temperature_colour(Some(84), 85), WARN);
    assert_eq!(temperature_colour(Some(88), 85), ERROR);
}

fn is_log_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && t[..4].chars().all(|c| c.is_ascii_digit())
}

#[test]
fn every_log_line_keeps_its_time_in_the_file_and_slate_task_logs_prints_it() {
    let mut s = studio::Studio::new("", &[]);
    let id = s.sh(
        r#"echo '{"progress":0.5,"stage":"sampling"}'; echo take one; echo 'out of memory' >&2"#,
    );
    let t = s.wait_finished(id, 30);
    assert_eq!(
        t.state,
        slate::runner::task::TaskState::Succeeded,
        "{:?}",
        t.error
    );
    let log = std::fs::read_to_string(s.paths().logs_dir().join(format!("{id}.log"))).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    // stdout and stderr are two pipes: their lines interleave in any order, each
    // stream's own order kept.
    let mut tails: Vec<&str> = lines
        .iter()
        .map(|line| {
            let (time, tail) = line.split_once(' ').unwrap();
            assert!(is_log_time(time), "no time on {line:?}");
            tail
        })
        .collect();
    let stdout: Vec<&str> = tails
        .iter()
        .copied()
        .filter(|t| t.starts_with("out "))
        .collect();
    assert_eq!(
        stdout,
        [r#"out {"progress":0.5,"stage":"sampling"}"#, "out take one"]
    );
    tails.retain(|t| t.starts_with("err "));
    assert_eq!(tails, ["err out of memory"]);
    let out = slate_cli(s.dir.path(), &["task", "logs", &id.to_string()])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.lines().count() == 3 && printed.lines().all(|l| is_log_time(&l[..24])),
        "{printed}"
    );
}

#[test]
fn the_task_log_shows_times_and_hides_progress_lines_until_asked() {
    use egui_kittest::kittest::Queryable as _;
    let mut vm = slate::ui::view_model::ViewModel::default();
    let task = slate::runner::task::Task {
        state: slate::runner::task::TaskState::Running,
        ..slate::runner::task::Task::queued(1, "demo/countdown", "1.0.0", 0)
    };
    vm.apply(
        slate::events::Event::TasksSnapshot {
            tasks: vec![task],
            paused: false,
        },
        0,
    );
    vm.apply(
        slate::events::Event::TaskLogText {
            id: 1,
            lines: vec![
                "2026-11-30T15:15:13.120Z out tick 1".into(),
                r#"2026-11-30T15:15:13.250Z out {"progress":0.5,"message":"step 5/10"}"#.into(),
                "2026-11-30T15:15:13.400Z err out of memory".into(),
            ],
        },
        0,
    );
    let mut view = slate::ui::views::tasks::TasksView::default();
    let mut h = common::view_harness(vm, [1000.0, 700.0], 0, move |ui, ctx| {
        *ctx.selected_task = Some(1);
        view.ui(ui, ctx)
    });
    h.run_steps(3);
    h.get_by_label("15:15:13.120");
    h.get_by_label("tick 1");
    h.get_by_label("out of memory");
    assert!(
        h.query_by_label_contains("step 5/10").is_none(),
        "a progress line is shown by default"
    );
    h.get_by_label("Show progress lines").click();
    h.run_steps(3);
    h.get_by_label_contains("step 5/10");
    h.get_by_label("15:15:13.250");
}

#[test]
fn text_counts_in_words_never_noun_s() {
    let literal = regex::Regex::new(r#""(?:[^"\\]|\\.)*""#).unwrap();
    let plural = regex::Regex::new(r"[a-z]\(s\)").unwrap();
    let mut found = Vec::new();
    // The window, the CLI and the core's messages and commit summaries alike.
    let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for (n, line) in text.lines().enumerate() {
                for m in literal.find_iter(line) {
                    if plural.is_match(m.as_str()) {
                        found.push(format!("{}:{}: {}", p.display(), n + 1, m.as_str()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "\"noun(s)\" in Slate's text:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_selected_tasks_details_show_once_on_the_tasks_tab() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let mut h = common::harness(dir.path());
    common::settle(&mut h);
    let task = slate::runner::task::Task::queued(90, "demo/once", "1.0.0", 1_000);
    h.state_mut()
        .vm
        .apply(slate::events::Event::TaskSubmitted { task }, 2_000);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    h.run_steps(3);
    h.get_by_label("demo/once").click();
    h.run_steps(3);
    assert_eq!(
        h.query_all_by_label("Move up").count(),
        1,
        "the task's details are shown twice"
    );
    h.get_by_label_contains("Its details and log are in the Tasks tab");
}

#[test]
fn a_functions_description_shows_code_spans_without_backticks() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let spans =
        slate::ui::widgets::inline_code_spans("Counts `steps` steps, exits with `exit_code`.");
    assert_eq!(
        spans,
        ["Counts ", "steps", " steps, exits with ", "exit_code", "."]
    );
    assert_eq!(slate::ui::widgets::inline_code_spans("a ` b"), ["a ` b"]);

    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with_functions(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.run_steps(3);
    h.get_by_label("Function").click();
    h.run_steps(3);
    h.get_by_label("demo/countdown").click();
    h.run_steps(3);
    h.get_by_label_contains("Counts steps steps at interval seconds each");
    assert!(
        h.query_by_label_contains("`steps`").is_none(),
        "raw Markdown backticks in the description"
    );
}

#[test]
fn the_lfs_badge_reads_at_body_size() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    common::wait_until(&mut h, "git status", 20, |h| {
        h.state().vm.git_status.is_some()
    });
    let node = h.get_by_label_contains("LFS: ");
    let text = {
        use egui_kittest::kittest::NodeT as _;
        node.accesskit_node().label().unwrap_or_default()
    };
    let width = node.rect().width();
    // The width its text has at the body size: a smaller font makes it narrower.
    let ctx = h.ctx.clone();
    let body = ctx.global_style().text_styles[&egui::TextStyle::Body].clone();
    let body_width = ctx.fonts_mut(|f| {
        f.layout_no_wrap(text.clone(), body, egui::Color32::WHITE)
            .size()
            .x
    });
    assert!(
        width + 0.5 >= body_width,
        "the LFS badge {text:?} is {width} px wide; at body size its text is {body_width} px"
    );
}

#[test]
fn a_sort_arrow_stays_visible_in_a_column_too_narrow_for_its_title() {
    use egui_kittest::kittest::Queryable as _;
    let mut view = slate::ui::views::tasks::TasksView::default();
    let mut h = common::view_harness(queued_tasks(3), [1000.0, 600.0], 2_000, move |ui, ctx| {
        view.ui(ui, ctx)
    });
    h.run_steps(2);
    h.get_by_label("Priority").click();
    h.run_steps(2);
    let sorted = h
        .query_by_label("⏶ Priority")
        .or_else(|| h.query_by_label("⏷ Priority"))
        .expect("the sorted column's header names its direction first");
    let column_end = h.get_by_label("Duration").rect().min.x;
    let ctx = h.ctx.clone();
    let font = ctx.global_style().text_styles[&egui::TextStyle::Button].clone();
    let arrow_width = ctx.fonts_mut(|f| {
        f.layout_no_wrap("⏶ ".into(), font, egui::Color32::WHITE)
            .size()
            .x
    });
    let padding = ctx.global_style().spacing.button_padding.x;
    assert!(
        sorted.rect().min.x + padding + arrow_width <= column_end,
        "the arrow is cut off: header at {:?}, next column at {column_end}",
        sorted.rect()
    );
}

#[test]
fn a_shot_card_on_the_board_selects_by_click_and_by_keyboard() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    use slate::ui::views::project_browser::StoryItem;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    cli(
        d,
        &[
            "--project",
            "Film",
            "project",
            "scene",
            "add",
            "1",
            "Rooftop",
        ],
    );
    for shot in ["Rain", "Lightning"] {
        cli(
            d,
            &[
                "--project",
                "Film",
                "project",
                "shot",
                "add",
                "1",
                "1",
                shot,
            ],
        );
    }
    let mut h = film_open(d);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    h.run_steps(2);
    h.get_by_label("🎬 Rooftop").click();
    h.run_steps(3);
    h.get_by_label("Shot Lightning").click();
    h.run_steps(3);
    assert_eq!(h.state().selection(), Some(StoryItem::Shot(0, 0, 1)));
    // Keyboard: focus the other card (as Tab does) and press Enter.
    h.get_by_label("Shot Rain").focus();
    h.run_steps(2);
    h.key_press(Key::Enter);
    h.run_steps(3);
    assert_eq!(h.state().selection(), Some(StoryItem::Shot(0, 0, 0)));
}

#[test]
fn save_and_revert_settings_are_offered_only_with_unsaved_edits() {
    use egui_kittest::kittest::Queryable as _;
    for dirty in [false, true] {
        let available = slate::ui::commands::Availability {
            settings_dirty: dirty,
            ..Default::default()
        };
        let mut h = egui_kittest::Harness::builder()
            .with_size([1024.0, 700.0])
            .wgpu()
            .build_ui_state(
                move |ui, palette: &mut slate::ui::palette::Palette| {
                    palette.show(ui.ctx(), &available);
                },
                slate::ui::palette::Palette::default(),
            );
        h.state_mut().open();
        h.run_steps(3);
        h.get_by_label("Search commands").type_text("settings");
        h.run_steps(3);
        for label in ["Save settings", "Revert settings"] {
            assert_eq!(
                h.query_by_label_contains(label).is_some(),
                dirty,
                "{label} with settings dirty = {dirty}"
            );
        }
        h.get_by_label_contains("Open settings");
    }
}

#[test]
fn story_edits_and_tagging_run_from_the_palette() {
    use egui::Key;
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    let chapters = |h: &egui_kittest::Harness<'static, slate::ui::App>| -> Vec<String> {
        h.state()
            .vm
            .project
            .as_ref()
            .and_then(|p| p.manifest.as_ref())
            .map(|m| {
                m.narrative
                    .chapters
                    .iter()
                    .map(|c| c.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    common::wait_until(&mut h, "the project", 20, |h| chapters(h).len() == 3);

    palette(&mut h, "add chapter");
    assert!(h.get_by_label("New chapter").is_focused());
    h.get_by_label("New chapter").type_text("Epilogue");
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the new chapter", 20, |h| {
        chapters(h).last().is_some_and(|c| c == "Epilogue")
    });

    h.get_by_label("4. Epilogue").click();
    h.run_steps(3);
    palette(&mut h, "add scene");
    assert!(h.get_by_label("New scene").is_focused());
    h.get_by_label("New scene").type_text("Rooftop");
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the new scene", 20, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .and_then(|p| p.manifest.as_ref())
            .is_some_and(|m| m.narrative.chapters[3].scenes.len() == 1)
    });

    // Moves: the chapter goes up one place and the selection follows it.
    assert!(h.state().availability().story_undoable);
    palette(&mut h, "story item up");
    common::wait_until(&mut h, "Epilogue third", 20, |h| {
        chapters(h).get(2).is_some_and(|c| c == "Epilogue")
    });
    assert_eq!(
        h.state().selection(),
        Some(slate::ui::views::project_browser::StoryItem::Chapter(2))
    );
    palette(&mut h, "story item down");
    common::wait_until(&mut h, "Epilogue last again", 20, |h| {
        chapters(h).get(3).is_some_and(|c| c == "Epilogue")
    });
    assert!(
        !h.state().availability().story_can_move_down,
        "the last chapter offers to move down"
    );

    palette(&mut h, "rename");
    assert!(h.get_by_label("Chapter name").is_focused());
    h.key_press(Key::Escape);
    h.run_steps(2);

    palette(&mut h, "delete selected");
    h.get_by_label_contains("chapter \"Epilogue\"");

    h.key_press(Key::Escape);
    h.run_steps(3);
    palette(&mut h, "tag a commit");
    assert_eq!(h.state().tab(), slate::ui::tabs::Tab::Git);
    common::wait_until(&mut h, "the Tag field focused", 10, |h| {
        h.query_by_label("Tag").is_some_and(|f| f.is_focused())
    });
    h.key_press(Key::Escape);
    h.run_steps(2);
    palette(&mut h, "close project");
    common::wait_until(&mut h, "the project list", 20, |h| {
        h.state().vm.project.is_none()
    });
}

#[test]
fn ctrl_z_undoes_story_edits_made_in_the_window_one_at_a_time() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    let chapters = |h: &egui_kittest::Harness<'static, slate::ui::App>| -> Vec<String> {
        h.state()
            .vm
            .project
            .as_ref()
            .and_then(|p| p.manifest.as_ref())
            .map(|m| {
                m.narrative
                    .chapters
                    .iter()
                    .map(|c| c.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    common::wait_until(&mut h, "the project", 20, |h| chapters(h).len() == 3);
    let first = chapters(&h)[0].clone();

    // Two edits: a chapter added, then the first one renamed.
    palette(&mut h, "add chapter");
    h.get_by_label("New chapter").type_text("Epilogue");
    h.key_press(Key::Enter);
    common::wait_until(&mut h, "the new chapter", 20, |h| chapters(h).len() == 4);
    h.get_by_label(&format!("1. {first}")).click();
    h.run_steps(3);
    h.get_by_label("Chapter name").focus();
    h.run_steps(1);
    h.get_by_label("Chapter name").type_text(" (draft)");
    h.key_press(Key::Enter);
    let renamed = format!("{first} (draft)");
    common::wait_until(&mut h, "the rename", 20, |h| chapters(h)[0] == renamed);

    // Not while a dialog is open: the story behind it stays as it is.
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.run_steps(3);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(5);
    assert_eq!(
        chapters(&h)[0],
        renamed,
        "Ctrl+Z undid an edit behind a dialog"
    );
    h.key_press(Key::Escape);
    h.run_steps(3);
    // Undo, newest first; the file on disk follows. A tree row just clicked (a focused
    // button) does not stop Ctrl+Z.
    h.run_steps(2);
    h.get_by_label(&format!("1. {renamed}")).click();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    common::wait_until(&mut h, "the rename undone", 20, |h| chapters(h)[0] == first);
    assert_eq!(chapters(&h).len(), 4);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    common::wait_until(&mut h, "the added chapter undone", 20, |h| {
        chapters(h).len() == 3
    });
    let on_disk = std::fs::read_to_string(d.join("workspace/Film/project.json")).unwrap();
    assert!(!on_disk.contains("Epilogue"), "{on_disk}");
    // Nothing more to undo: it says so, and changes nothing.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    common::wait_until(&mut h, "nothing to undo", 10, |h| {
        h.query_all_by_label_contains("Nothing to undo").count() > 0
    });
    assert_eq!(chapters(&h).len(), 3);
}

#[test]
fn with_a_project_listed_the_views_say_to_open_it_not_only_ctrl_n() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["project", "new", "Film"]);
    let mut h = common::harness(dir.path());
    common::settle(&mut h);
    common::wait_until(&mut h, "the project list", 10, |h| {
        !h.state().vm.projects.is_empty()
    });
    for key in [Key::Num2, Key::Num3, Key::Num6] {
        h.key_press_modifiers(Modifiers::COMMAND, key);
        h.run_steps(3);
        h.get_by_label_contains("open one from the list on the left");
        assert!(
            h.query_by_label_contains("No project open — press Ctrl+N to create one")
                .is_none()
        );
    }
}

/// The Properties panel keeps its width whatever is selected: a shot whose name and
/// description run long scrolls inside the panel instead of widening it.
#[test]
fn the_properties_panel_keeps_its_width_across_selections() {
    use egui::Key;
    use egui::Modifiers;
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let p = ["--project", "Film"];
    let run = |rest: &[&str]| {
        let args: Vec<&str> = p.iter().chain(rest).copied().collect();
        cli(d, &args);
    };
    run(&["project", "scene", "add", "1", "Rooftop"]);
    run(&["project", "shot", "add", "1", "1", "Rain"]);
    let long = "Lightning_over_the_rooftop_".repeat(2) + "Lightning";
    run(&[
        "project",
        "shot",
        "add",
        "1",
        "1",
        &long,
        "--description",
        &"a_single_unbroken_word_of_direction_".repeat(10),
    ]);
    let mut h = film_open(d);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    h.run_steps(2);
    h.get_by_label("🎬 Rooftop").click();
    h.run_steps(3);
    let panel_left = |h: &egui_kittest::Harness<'static, slate::ui::App>| {
        h.get_by_label("Properties").rect().min.x
    };
    h.get_by_label("Shot Rain").click();
    h.run_steps(4);
    let with_short = panel_left(&h);
    h.get_by_label(&format!("Shot {long}")).click();
    h.run_steps(4);
    let with_long = panel_left(&h);
    h.get_by_label("Shot Rain").click();
    h.run_steps(4);
    let back = panel_left(&h);
    assert!(
        (with_short - with_long).abs() < 1.0 && (with_short - back).abs() < 1.0,
        "the panel moved: {with_short} → {with_long} → {back}"
    );
}

/// The story tree moves by keyboard: ↓/↑ to the next and previous row, → into a
/// chapter or scene, ← back to its parent; each move selects the row.
#[test]
fn arrow_keys_move_through_the_story_tree() {
    use egui::Key;
    use egui_kittest::kittest::Queryable as _;
    use slate::ui::views::project_browser::StoryItem;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    for args in [
        &[
            "--project",
            "Film",
            "project",
            "scene",
            "add",
            "1",
            "Rooftop",
        ][..],
        &[
            "--project",
            "Film",
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Rain",
        ],
        &[
            "--project",
            "Film",
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Lightning",
        ],
    ] {
        cli(d, args);
    }
    let mut h = film_open(d);
    h.run_steps(2);
    h.get_by_label("1. Act I: Setup").click();
    h.run_steps(3);
    assert_eq!(h.state().selection(), Some(StoryItem::Chapter(0)));
    let mut press = |key, want: StoryItem| {
        h.key_press(key);
        h.run_steps(3);
        assert_eq!(h.state().selection(), Some(want), "after {key:?}");
    };
    press(Key::ArrowRight, StoryItem::Scene(0, 0));
    press(Key::ArrowDown, StoryItem::Shot(0, 0, 0));
    press(Key::ArrowDown, StoryItem::Shot(0, 0, 1));
    press(Key::ArrowUp, StoryItem::Shot(0, 0, 0));
    press(Key::ArrowLeft, StoryItem::Scene(0, 0));
    press(Key::ArrowLeft, StoryItem::Chapter(0));
    press(Key::ArrowDown, StoryItem::Scene(0, 0));
}

/// At 1024×700 and UI scale 1.25 the Git tab fits: the history, the commit message and
/// the Refresh button lie inside the main view, between the side panels, not cut off.
#[test]
fn at_1024x700_and_scale_1_25_the_git_tab_is_not_cut_off() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let (w, hgt) = (1024.0 / 1.25, 700.0 / 1.25);
    let mut h = egui_kittest::Harness::builder()
        .with_size([w, hgt])
        .with_pixels_per_point(1.25)
        .wgpu()
        .build_eframe(move |cc| slate::ui::App::new(cc, options));
    common::settle(&mut h);
    common::wait_until(&mut h, "the project", 20, |h| {
        h.state()
            .vm
            .project
            .as_ref()
            .is_some_and(|p| p.manifest.is_some())
    });
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num6);
    h.run_steps(4);
    let right_panel = h.get_by_label("Properties").rect().min.x;
    for label in ["Changes", "Commit message", "Refresh"] {
        let r = h.get_by_label(label).rect();
        assert!(
            r.min.x >= 0.0 && r.max.x <= right_panel && r.max.y <= hgt,
            "{label} at {r:?} is cut off (right panel from x = {right_panel}, window {w}×{hgt})"
        );
    }
    // A selected commit's actions fit its column's width (rows wrap, never clip).
    common::wait_until(&mut h, "the history", 20, |h| {
        !h.state().vm.git_log.is_empty()
    });
    let summary = h.state().vm.git_log[0].summary.clone();
    h.get_by_label(&summary).click();
    h.run_steps(4);
    for label in ["Copy hash", "Tag this commit", "Soft", "Mixed", "Hard…"] {
        let r = h.get_by_label(label).rect();
        assert!(
            r.min.x >= 0.0 && r.max.x <= right_panel,
            "{label} at {r:?} is cut off (right panel from x = {right_panel}, window {w}×{hgt})"
        );
    }
}

/// The palette reaches the Tasks tab's actions: cancel and retry the selected task,
/// offered only when they can run.
#[test]
fn the_palette_cancels_and_retries_the_selected_task() {
    use egui::{Key, Modifiers};
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with_functions(dir.path());
    run_a_long_countdown(&mut h);
    assert!(
        !h.state().availability().task_cancellable,
        "nothing selected"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    h.run_steps(2);
    h.key_press(Key::ArrowDown);
    h.run_steps(3);
    assert!(h.state().availability().task_cancellable);
    palette(&mut h, "cancel the selected task");
    common::wait_until(&mut h, "the cancel", 30, |h| {
        h.state().vm.active().next().is_none()
    });
    assert!(h.state().availability().task_retryable);
    palette(&mut h, "retry the selected task");
    common::wait_until(&mut h, "the retry", 30, |h| {
        h.state().vm.active().next().is_some()
    });
    h.state()
        .commands_for_tests()
        .send(slate::events::Command::CancelTask { id: 1 });
    common::wait_until(&mut h, "the last cancel", 30, |h| {
        h.state().vm.active().next().is_none()
    });
}

/// The palette reaches the Git tab's actions: the LFS pattern field, and with a commit
/// selected, copying its hash and the rollback choices.
#[test]
fn the_palette_tracks_lfs_patterns_and_acts_on_the_selected_commit() {
    use egui::Key;
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let mut options = common::options(d);
    options.open_project = Some("Film".into());
    let mut h = common::harness_with(options);
    common::settle(&mut h);
    common::wait_until(&mut h, "the history", 20, |h| {
        !h.state().vm.git_log.is_empty()
    });
    palette(&mut h, "track files with lfs");
    h.run_steps(3);
    assert_eq!(h.state().tab(), slate::ui::tabs::Tab::Git);
    assert!(h.get_by_label("Pattern to track").is_focused());
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().availability().commit_selected);
    let summary = h.state().vm.git_log[0].summary.clone();
    h.get_by_label(&summary).click();
    h.run_steps(3);
    assert!(h.state().availability().commit_selected);
    palette(&mut h, "copy the selected commit");
    let head = h.state().vm.git_log[0].id.clone();
    assert!(
        h.state()
            .vm
            .notifications
            .iter()
            .any(|n| n.title == "Commit hash copied" && n.body == head),
        "no copy notification"
    );
    palette(&mut h, "roll back to the selected");
    h.run_steps(3);
    assert!(h.get_by_label("Soft").is_focused());
}

/// A solid 64×36 picture in `rgb`, written to `path`.
fn solid_png(path: &std::path::Path, rgb: [u8; 3]) {
    image::RgbImage::from_pixel(64, 36, image::Rgb(rgb))
        .save(path)
        .unwrap();
}

fn head_of(project: &std::path::Path) -> String {
    git2::Repository::open(project)
        .unwrap()
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string()
}

/// Clicks the history row whose summary ends with `words`; returns its commit id.
fn click_commit(h: &mut egui_kittest::Harness<'static, slate::ui::App>, words: &str) -> String {
    use egui_kittest::kittest::Queryable as _;
    let words = words.to_string();
    common::wait_until(h, &format!("the commit {words:?}"), 20, |h| {
        h.state()
            .vm
            .git_log
            .iter()
            .any(|c| c.summary.ends_with(&words))
    });
    let c = h
        .state()
        .vm
        .git_log
        .iter()
        .find(|c| c.summary.ends_with(&words))
        .cloned()
        .unwrap();
    h.get_by_label(&c.summary).click();
    common::wait_until(h, "the commit selected", 10, |h| {
        h.state().git_selected_commit().as_deref() == Some(c.id.as_str())
    });
    c.id
}

/// Item 1: a changed picture shows before and after, and each rollback button (soft,
/// mixed, hard after its confirmation) moves the branch as it says.
#[test]
fn a_changed_picture_shows_before_and_after_and_each_rollback_button_moves_the_branch() {
    use egui::Key;
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    let film = d.join("workspace/Film");
    let frame = film.join("03_Renders/frame.png");
    std::fs::create_dir_all(frame.parent().unwrap()).unwrap();
    for (rgb, words) in [
        ([200, 0, 0], "red frame"),
        ([0, 0, 200], "blue frame"),
        ([0, 200, 0], "green frame"),
    ] {
        solid_png(&frame, rgb);
        cli(d, &["--project", "Film", "git", "commit", "-m", words]);
    }
    let mut h = film_open(d);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Num6);
    h.run_steps(2);
    assert_eq!(h.state().tab(), slate::ui::tabs::Tab::Git);

    // The picture's change: the blue frame before, the green one after, from LFS.
    click_commit(&mut h, "green frame");
    common::wait_until(&mut h, "the commit's files", 10, |h| {
        h.query_by_label_contains("03_Renders/frame.png").is_some()
    });
    h.get_by_label_contains("03_Renders/frame.png").click();
    common::wait_until(&mut h, "both pictures", 20, |h| {
        h.query_by_label("Before: 03_Renders/frame.png").is_some()
            && h.query_by_label("After: 03_Renders/frame.png").is_some()
    });
    let media = h.state().vm.git_diff.clone().unwrap().3.unwrap();
    for (side, rgb) in [(&media.before, [0, 0, 200]), (&media.after, [0, 200, 0])] {
        let side = side.as_ref().unwrap();
        assert!(
            side.to_string_lossy().contains("lfs/objects"),
            "{} is not the LFS object",
            side.display()
        );
        let img = image::ImageReader::open(side)
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap()
            .into_rgb8();
        assert_eq!(img.get_pixel(3, 3).0, rgb, "{}", side.display());
    }

    // Hard, after its confirmation: the branch and every file go back to blue.
    let blue = click_commit(&mut h, "blue frame");
    h.get_by_label("Hard…").click();
    h.run_steps(3);
    h.get_by_label("Hard rollback?");
    h.get_by_label("Roll back").click();
    common::wait_until(&mut h, "the hard rollback", 20, |h| {
        h.state().vm.git_log.len() == 3
    });
    assert_eq!(head_of(&film), blue);
    assert_eq!(
        image::open(&frame).unwrap().into_rgb8().get_pixel(3, 3).0,
        [0, 0, 200]
    );

    // Mixed: the branch goes back to red, the file stays blue, unstaged.
    let red = click_commit(&mut h, "red frame");
    h.get_by_label("Mixed").click();
    common::wait_until(&mut h, "the mixed rollback", 20, |h| {
        h.state().vm.git_log.len() == 2
            && h.state()
                .vm
                .git_status
                .as_ref()
                .is_some_and(|s| s.modified.iter().any(|c| c.path.ends_with("frame.png")))
    });
    assert_eq!(head_of(&film), red);
    assert_eq!(
        image::open(&frame).unwrap().into_rgb8().get_pixel(3, 3).0,
        [0, 0, 200]
    );
    // With changes, a hard rollback is refused until they are committed.
    click_commit(&mut h, "red frame");
    {
        use egui_kittest::kittest::NodeT as _;
        assert!(h.get_by_label("Hard…").accesskit_node().is_disabled());
    }

    // Soft, to the project's first commit: the frame is staged as new.
    let first = h.state().vm.git_log.last().unwrap().id.clone();
    let first_summary = h.state().vm.git_log.last().unwrap().summary.clone();
    h.get_by_label(&first_summary).click();
    h.run_steps(3);
    h.get_by_label("Soft").click();
    common::wait_until(&mut h, "the soft rollback", 20, |h| {
        h.state().vm.git_log.len() == 1
            && h.state()
                .vm
                .git_status
                .as_ref()
                .is_some_and(|s| s.staged.iter().any(|c| c.path.ends_with("frame.png")))
    });
    assert_eq!(head_of(&film), first);
}

/// Item 9: a queued task's place and priority change from the palette, and the commands
/// show only for a queued task.
#[test]
fn the_palette_moves_and_reprioritises_the_selected_queued_task() {
    use slate::events::Command;
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with_functions(dir.path());
    let commands = h.state().commands_for_tests();
    commands.send(Command::PauseQueue { paused: true });
    for _ in 0..3 {
        commands.send(Command::SubmitTask {
            request: slate::model::task::TaskRequest {
                function: "demo/countdown".into(),
                ..Default::default()
            },
        });
    }
    common::wait_until(&mut h, "three queued tasks", 20, |h| {
        h.state().vm.queued_count() == 3
    });
    assert!(!h.state().availability().task_queued, "nothing selected");
    h.state_mut().select_task_for_tests(Some(2));
    h.run_steps(2);
    assert!(h.state().availability().task_queued);
    let seq = |h: &egui_kittest::Harness<'static, slate::ui::App>, id| h.state().vm.tasks[&id].seq;
    assert!(seq(&h, 1) < seq(&h, 2));
    palette(&mut h, "move the selected task up");
    common::wait_until(&mut h, "task 2 ahead of task 1", 10, |h| {
        seq(h, 2) < seq(h, 1)
    });
    palette(&mut h, "move the selected task down");
    common::wait_until(&mut h, "task 2 behind task 1 again", 10, |h| {
        seq(h, 1) < seq(h, 2)
    });
    palette(&mut h, "raise the selected task's priority");
    common::wait_until(&mut h, "priority 1", 10, |h| {
        h.state().vm.tasks[&2].priority == 1
    });
    palette(&mut h, "lower the selected task's priority");
    common::wait_until(&mut h, "priority 0", 10, |h| {
        h.state().vm.tasks[&2].priority == 0
    });
    // A running or finished task has no place in the queue.
    commands.send(Command::CancelTask { id: 2 });
    common::wait_until(&mut h, "task 2 cancelled", 10, |h| {
        h.state().vm.tasks[&2].state.is_finished()
    });
    assert!(!h.state().availability().task_queued);
    for id in [1, 3] {
        commands.send(Command::CancelTask { id });
    }
}

/// The whole window at a laptop size, at scale 1 and 1.25 (1024×700 physical pixels).
fn small_window(
    d: &std::path::Path,
    scale: f32,
    project: Option<&str>,
) -> egui_kittest::Harness<'static, slate::ui::App> {
    let mut options = common::options(d);
    options.open_project = project.map(str::to_string);
    let mut h = egui_kittest::Harness::builder()
        .with_size([1024.0 / scale, 700.0 / scale])
        .with_pixels_per_point(scale)
        .wgpu()
        .build_eframe(move |cc| slate::ui::App::new(cc, options));
    common::settle(&mut h);
    if project.is_some() {
        common::wait_until(&mut h, "the project", 20, |h| {
            h.state()
                .vm
                .project
                .as_ref()
                .is_some_and(|p| p.manifest.is_some())
        });
    }
    h
}

/// Item 7: the Scene, Tasks and Git tabs as a whole window at 1024×700, at scale 1 and
/// 1.25. The status bar (this machine's Docker and GPU) and the Git history (commit ids
/// and times) are masked.
#[test]
fn whole_window_snapshots_at_1024x700_and_scale_1_25() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    cli(
        d,
        &[
            "--project",
            "Film",
            "project",
            "scene",
            "add",
            "1",
            "Arrival",
        ],
    );
    cli(
        d,
        &[
            "--project",
            "Film",
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Dock",
        ],
    );
    let mut results = Vec::new();
    for scale in [1.0f32, 1.25] {
        let mut h = small_window(d, scale, Some("Film"));
        // A project opens on its first scene, not on a hint to pick one.
        assert_eq!(
            h.state().selection(),
            Some(slate::ui::views::project_browser::StoryItem::Scene(0, 0))
        );
        assert!(h.query_by_label_contains("Select a scene").is_none());
        let (w, hgt) = (1024.0 / scale, 700.0 / scale);
        for (tab, key) in [
            ("scene", Key::Num2),
            ("tasks", Key::Num4),
            ("git", Key::Num6),
        ] {
            h.key_press_modifiers(Modifiers::COMMAND, key);
            h.run_steps(4);
            let status_bar = h.get_by_label_contains("Queue:").rect();
            h.mask(egui::Rect::from_min_max(
                egui::pos2(0.0, status_bar.min.y - 4.0),
                egui::pos2(w, hgt),
            ));
            if tab == "git" {
                let history = h.get_by_label_contains("History (").rect();
                let right = h.get_by_label("Properties").rect().min.x;
                h.mask(egui::Rect::from_min_max(
                    history.min,
                    egui::pos2(right, status_bar.min.y),
                ));
            }
            let name = format!(
                "window_{tab}_1024x700_scale_{}",
                scale.to_string().replace('.', "_")
            );
            results.push(h.try_snapshot_options(&name, &common::snapshot_options()));
        }
    }
    for r in results {
        r.unwrap();
    }
}

/// Item 7: in a short window the Git tab's left column scrolls to its LFS section, and a
/// narrow Tasks table scrolls sideways to its last column.
#[test]
fn the_git_left_column_and_the_tasks_table_scroll_in_a_small_window() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, &["project", "new", "Film"]);
    // A dozen LFS files: listed, the left column is taller than the window.
    let renders = d.join("workspace/Film/03_Renders");
    std::fs::create_dir_all(&renders).unwrap();
    for i in 0..12 {
        solid_png(&renders.join(format!("frame_{i:02}.png")), [i * 20, 0, 0]);
    }
    cli(d, &["--project", "Film", "git", "commit", "-m", "frames"]);
    let mut h = small_window(d, 1.25, Some("Film"));
    let hgt = 700.0 / 1.25;
    let wheel = |h: &mut egui_kittest::Harness<'static, slate::ui::App>, at: egui::Pos2, delta| {
        h.hover_at(at);
        h.run_steps(1);
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: Modifiers::NONE,
        });
        h.run_steps(4);
    };

    h.key_press_modifiers(Modifiers::COMMAND, Key::Num6);
    common::wait_until(&mut h, "the LFS files", 20, |h| {
        h.state().vm.lfs.files.len() == 12
    });
    h.get_by_label("LFS files").click();
    h.run_steps(4);
    let lfs = h.get_by_label_contains("Git LFS ·").rect();
    let changes = h.get_by_label("Changes").rect();
    wheel(&mut h, changes.center(), egui::vec2(0.0, -300.0));
    let moved = h.get_by_label_contains("Git LFS ·").rect();
    assert!(
        moved.min.y < lfs.min.y - 50.0,
        "the left column did not scroll: its LFS heading stayed at y = {} (window {hgt} high)",
        moved.min.y
    );

    // A task waiting in a paused queue gives the table a row.
    let commands = h.state().commands_for_tests();
    commands.send(slate::events::Command::PauseQueue { paused: true });
    commands.send(slate::events::Command::SubmitTask {
        request: slate::model::task::TaskRequest {
            function: "demo/countdown".into(),
            ..Default::default()
        },
    });
    common::wait_until(&mut h, "a queued task", 20, |h| {
        h.state().vm.queued_count() == 1
    });
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    h.run_steps(4);
    let right_panel = h.get_by_label("Properties").rect().min.x;
    let last = h.get_by_label_contains("Attempts").rect();
    assert!(
        last.max.x > right_panel,
        "the table fits ({last:?}); this test needs it wider than the main view"
    );
    // Over the table's header row, inside the main view.
    wheel(
        &mut h,
        egui::pos2(right_panel - 100.0, last.center().y),
        egui::vec2(-400.0, 0.0),
    );
    let last = h.get_by_label_contains("Attempts").rect();
    assert!(
        last.max.x <= right_panel + 1.0,
        "the table did not scroll sideways: Attempts ends at x = {}, the main view at {right_panel}",
        last.max.x
    );
}
