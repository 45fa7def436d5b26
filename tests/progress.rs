//! The progress area, notifications, the Run dialog and the Tasks tab, driven through
//! the real App with a real runner and real processes.

mod common;

use common::*;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use slate::events::Event;
use slate::runner::task::{Task, TaskResources, TaskState};
use slate::ui::tabs::Tab;
use slate::ui::view_model::ViewModel;

fn open_run_dialog_for_countdown(h: &mut egui_kittest::Harness<'static, slate::ui::App>) {
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.run();
    h.get_by_label("Run function");
    // Functions are listed by id; pick the countdown.
    h.get_by_label("Function").click();
    h.run();
    h.get_by_label("demo/countdown").click();
    h.run();
}

fn set_field(h: &mut egui_kittest::Harness<'static, slate::ui::App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(label).type_text(text);
    h.run();
}

#[test]
fn run_from_the_dialog_watch_progress_cancel_retry_and_find_it_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut h = harness(dir.path());
        settle(&mut h);
        wait_until(&mut h, "functions", 10, |h| {
            !h.state().vm.functions.is_empty()
        });

        // A bad value is explained next to its field and blocks the run.
        open_run_dialog_for_countdown(&mut h);
        set_field(&mut h, "steps", "lots");
        h.get_by_label_contains("expects a whole number");
        set_field(&mut h, "steps", "200");
        set_field(&mut h, "interval", "0.05");
        h.key_press(Key::Enter);
        wait_until(&mut h, "the task to run", 20, |h| {
            h.state()
                .vm
                .tasks
                .get(&1)
                .is_some_and(|t| t.state == TaskState::Running)
        });
        assert!(
            h.query_by_label("Run function").is_none(),
            "dialog closed on submit"
        );

        // Progress rises in the progress area.
        wait_until(&mut h, "progress to pass 10%", 30, |h| {
            h.state().vm.tasks[&1].progress > 0.1
        });
        let first = h.state().vm.tasks[&1].progress;
        wait_until(&mut h, "progress to rise further", 30, |h| {
            h.state().vm.tasks[&1].progress > first + 0.05
        });
        h.get_by_label("demo/countdown #1");
        // The task's own pace drives the estimate: a 10 s run some way in has seconds
        // left, not "60 s minus elapsed".
        use egui_kittest::kittest::NodeT as _;
        let node = h.get_by_label_contains("left");
        let line = node
            .value()
            .or_else(|| node.accesskit_node().label())
            .unwrap_or_default();
        let secs: f64 = line
            .rsplit_once(", ~")
            .and_then(|(_, r)| r.strip_suffix("s left"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no \"~Ns left\" in {line:?}"));
        assert!(
            (0.0..=15.0).contains(&secs),
            "a 10 s run past 15% reads {line:?}"
        );

        // Cancel from the panel.
        h.get_all_by_label("Cancel")
            .next()
            .expect("a cancel button")
            .click();
        wait_until(&mut h, "the cancel", 20, |h| {
            h.state().vm.tasks[&1].state == TaskState::Cancelled
        });

        // A failing run: a notification with Retry; retrying runs it again.
        open_run_dialog_for_countdown(&mut h);
        set_field(&mut h, "steps", "2");
        set_field(&mut h, "interval", "0");
        set_field(&mut h, "exit_code", "3");
        h.get_by_label("Run").click();
        wait_until(&mut h, "the failure", 30, |h| {
            h.state()
                .vm
                .tasks
                .get(&2)
                .is_some_and(|t| t.state == TaskState::Failed)
        });
        // In the notifications list and as a toast.
        assert!(h.get_all_by_label("demo/countdown #2 failed").count() >= 1);
        assert!(h.state().vm.unread() > 0);
        h.get_all_by_label("Retry")
            .next()
            .expect("Retry on the notification")
            .click();
        wait_until(&mut h, "the retried run to fail again", 30, |h| {
            h.state().vm.tasks[&2].attempts == 2
                && h.state().vm.tasks[&2].state == TaskState::Failed
        });
    }
    // A new window on the same data: both tasks are there, in the Tasks tab.
    let mut h = harness(dir.path());
    settle(&mut h);
    assert_eq!(h.state().vm.tasks.len(), 2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    h.run();
    assert_eq!(h.state().tab(), Tab::Tasks);
    h.get_by_label_contains("cancelled");
    h.get_by_label_contains("failed");
    // Keyboard: select the newest row and retry it with Ctrl+Enter.
    h.key_press(Key::ArrowDown);
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_until(&mut h, "the keyboard retry", 30, |h| {
        h.state().vm.tasks[&2].attempts == 3
    });
}

fn fixture_task(id: u64, progress: f32, now: u64) -> Task {
    let function = if id.is_multiple_of(3) {
        "studio/upscale"
    } else {
        "studio/video-gen"
    };
    Task {
        preset: Some("high".into()),
        project: Some("Midnight Noir".into()),
        shot: Some(format!("sh{id:03}")),
        state: TaskState::Running,
        progress,
        stage: Some("sampling".into()),
        message: Some(format!("step {}/50", (progress * 50.0) as u32)),
        resources: TaskResources {
            timeout_s: 3600,
            ..Default::default()
        },
        started_ms: Some(now - 30_000 - id * 1000),
        attempts: 1,
        gpu_index: Some(0),
        pid: Some(1000 + id as u32),
        ..Task::queued(id, function, "1.0.0", now - 60_000)
    }
}

/// The panel alone, with a fixed clock, for 0, 3 and 200 active tasks.
fn snapshot_panel(name: &str, active: usize) {
    const NOW: u64 = 1_800_000_000_000;
    let mut vm = ViewModel::default();
    let tasks = (1..=active as u64)
        .map(|i| fixture_task(i, (i as f32 * 0.137) % 1.0, NOW))
        .collect();
    vm.apply(
        Event::TasksSnapshot {
            tasks,
            paused: false,
        },
        NOW,
    );
    let mut harness = view_harness(vm, [320.0, 640.0], NOW, |ui, ctx| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            slate::ui::views::progress_area::progress_area_ui(ui, ctx);
        });
    });
    harness.run();
    harness.snapshot_options(name, &snapshot_options());
}

#[test]
fn progress_panel_snapshot_idle() {
    snapshot_panel("progress_0_active", 0);
}

#[test]
fn progress_panel_snapshot_3_active() {
    snapshot_panel("progress_3_active", 3);
}

#[test]
fn progress_panel_snapshot_200_active() {
    snapshot_panel("progress_200_active", 200);
}
