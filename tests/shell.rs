//! The studio shell, driven as a user would: shortcuts, the palette, settings.
//! Each test runs the real `App` (real core thread, real settings file on disk).

mod common;

use common::*;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use slate::ui::tabs::Tab;

const NUM_KEYS: [Key; 7] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
];

#[test]
fn every_tab_is_reachable_by_shortcut() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    settle(&mut h);
    for (tab, key) in Tab::ALL.into_iter().zip(NUM_KEYS).rev() {
        h.key_press_modifiers(Modifiers::COMMAND, key);
        h.run();
        assert_eq!(h.state().tab(), tab, "Ctrl+{key:?}");
    }
    // Ctrl+Tab wraps forward, Ctrl+Shift+Tab backward.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Tab);
    h.run();
    assert_eq!(h.state().tab(), Tab::Scene);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Tab);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Tab);
    h.run();
    assert_eq!(h.state().tab(), Tab::Settings);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    h.run();
    assert_eq!(h.state().tab(), Tab::Settings, "Ctrl+, opens Settings");
}

#[test]
fn the_palette_finds_and_runs_a_command_and_escape_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run();
    h.get_by_label("Search commands").type_text("show gpu");
    h.run();
    h.get_by_label("Show GPU");
    h.key_press(Key::Enter);
    h.run();
    assert_eq!(h.state().tab(), Tab::Gpu);
    assert!(
        h.query_by_label("Search commands").is_none(),
        "palette closed after running"
    );

    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    h.run();
    h.get_by_label("Search commands");
    h.key_press(Key::Escape);
    h.run();
    assert!(
        h.query_by_label("Search commands").is_none(),
        "Esc closes the palette"
    );
    assert_eq!(h.state().tab(), Tab::Gpu);
}

#[test]
fn f1_lists_the_shortcuts() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    settle(&mut h);
    h.key_press(Key::F1);
    h.run();
    h.get_by_label("All keyboard shortcuts");
    h.get_by_label("Command palette");
    h.key_press(Key::Escape);
    h.run();
    assert!(h.query_by_label("All keyboard shortcuts").is_none());
}

#[test]
fn a_setting_is_validated_saved_and_kept_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let settings_file = data_dir(dir.path()).join("settings.toml");
    {
        let mut h = harness(dir.path());
        settle(&mut h);
        h.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
        h.run();
        h.get_by_label("Runner").click();
        h.run();
        let field = h.get_by_label("Max concurrent tasks");
        field.focus();
        h.key_press_modifiers(Modifiers::COMMAND, Key::A);
        h.get_by_label("Max concurrent tasks").type_text("many");
        h.run();
        h.get_by_label_contains("enter a whole number from 1 to 256");
        h.key_press_modifiers(Modifiers::COMMAND, Key::S);
        h.run();
        assert!(
            !settings_file.exists(),
            "an invalid value must never be saved"
        );

        h.get_by_label("Max concurrent tasks").focus();
        h.key_press_modifiers(Modifiers::COMMAND, Key::A);
        h.get_by_label("Max concurrent tasks").type_text("5");
        h.run();
        h.get_by_label("Save").click();
        wait_until(&mut h, "settings.saved", 10, |h| {
            h.state()
                .vm
                .settings
                .as_ref()
                .is_some_and(|s| s.runner.max_concurrent == 5)
        });
        assert!(h.query_by_label("Save").is_none(), "Save hides once saved");
    }
    let text = std::fs::read_to_string(&settings_file).unwrap();
    assert!(text.contains("max_concurrent = 5"), "{text}");

    // A new app on the same data dir: the value is back.
    let mut h = harness(dir.path());
    settle(&mut h);
    assert_eq!(
        h.state()
            .vm
            .settings
            .as_ref()
            .unwrap()
            .runner
            .max_concurrent,
        5
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    h.run();
    h.get_by_label("Runner").click();
    h.run();
    assert_eq!(
        h.get_by_label("Max concurrent tasks").value().as_deref(),
        Some("5")
    );
}

#[test]
fn revert_drops_unsaved_edits() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    h.run();
    h.get_by_label("Runner").click();
    h.run();
    h.get_by_label("Max concurrent tasks").focus();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Max concurrent tasks").type_text("9");
    h.run();
    h.get_by_label("Revert").click();
    h.run();
    assert_eq!(
        h.get_by_label("Max concurrent tasks").value().as_deref(),
        Some("2")
    );
    assert!(h.query_by_label("Save").is_none());
}

#[test]
fn a_broken_settings_file_warns_and_is_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    std::fs::create_dir_all(&data).unwrap();
    let broken = "[runner]\nmax_concurrent = \"lots\"\n";
    std::fs::write(data.join("settings.toml"), broken).unwrap();
    let mut h = harness(dir.path());
    settle(&mut h);
    let warning = h.state().vm.settings_warning.clone().expect("a warning");
    assert!(warning.contains("broken"), "{warning}");
    // As a notification (and its toast), and once more as a banner on the Settings page.
    let shown = |h: &egui_kittest::Harness<'static, slate::ui::App>| {
        h.get_all_by_label_contains("Slate started with defaults")
            .count()
    };
    let elsewhere = shown(&h);
    assert!(elsewhere >= 1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    h.run();
    assert_eq!(shown(&h), elsewhere + 1);
    let kept: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("settings.toml.broken-"))
        .collect();
    assert_eq!(kept.len(), 1, "the broken copy is kept");
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), broken);
    assert!(
        !data.join("settings.toml").exists(),
        "nothing written over it"
    );
}

/// Main views in both themes. The status bar shows this machine's Docker and GPU, so it
/// is masked.
#[test]
fn main_views_snapshot_dark() {
    snapshot_main_views("dark");
}

#[test]
fn main_views_snapshot_light() {
    snapshot_main_views("light");
}

fn snapshot_main_views(theme: &str) {
    {
        let dir = tempfile::tempdir().unwrap();
        let data = data_dir(dir.path());
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(
            data.join("settings.toml"),
            format!("[general]\ntheme = \"{theme}\"\n"),
        )
        .unwrap();
        let mut h = harness(dir.path());
        settle(&mut h);
        for (tab, key) in [
            (Tab::Canvas, Key::Num1),
            (Tab::Tasks, Key::Num4),
            (Tab::Settings, Key::Num7),
        ] {
            h.key_press_modifiers(Modifiers::COMMAND, key);
            h.run();
            let status_bar =
                egui::Rect::from_min_max(egui::pos2(0.0, 770.0), egui::pos2(1280.0, 800.0));
            h.mask(status_bar);
            h.snapshot_options(
                format!("shell_{}_{theme}", tab.title().to_lowercase()),
                &snapshot_options(),
            );
        }
    }
}

/// What eframe keeps between runs (in the data dir): a map of strings.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// The open tab and the notifications come back after a restart (eframe's storage).
#[test]
fn the_open_tab_and_notifications_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut storage = MemoryStorage::default();
    {
        let mut h = harness(dir.path());
        settle(&mut h);
        h.key_press_modifiers(Modifiers::COMMAND, Key::Num5);
        h.run();
        h.state_mut().vm.notify(
            slate::events::Level::Error,
            "Render failed",
            "out of memory",
            None,
            1,
        );
        eframe::App::save(h.state_mut(), &mut storage);
    }
    let opts = options(dir.path());
    let mut h = egui_kittest::Harness::builder()
        .with_size([1280.0, 800.0])
        .wgpu()
        .build_eframe(move |cc| {
            cc.storage = Some(Box::leak(Box::new(storage)));
            slate::ui::App::new(cc, opts)
        });
    settle(&mut h);
    assert_eq!(h.state().tab(), Tab::Gpu);
    let n = &h.state().vm.notifications;
    assert!(n.iter().any(|n| n.title == "Render failed"), "{n:?}");
}
