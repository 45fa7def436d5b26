//! The Settings view: sections, inline validation, Save/Revert when dirty.
//!
//! The form edits a draft; numeric fields are edited as text so a bad value can be shown
//! next to its field. Nothing invalid is ever sent to the core to save.

use std::collections::BTreeMap;

use crate::events::Command;
use crate::model::gpu::HostStatus;
use crate::settings::DockerHost;
use crate::settings::{NUMERIC_FIELDS, Quality, Section, Settings, ThemeChoice};
use crate::ui::commands::{UiCommand, shortcut_text};
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::UiExt as _;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Page {
    #[default]
    General,
    Workspace,
    Runner,
    Notifications,
    Shortcuts,
    SystemInfo,
}

impl Page {
    const ALL: [Page; 6] = [
        Page::General,
        Page::Workspace,
        Page::Runner,
        Page::Notifications,
        Page::Shortcuts,
        Page::SystemInfo,
    ];
    fn title(self) -> &'static str {
        match self {
            Page::General => "General",
            Page::Workspace => "Workspace",
            Page::Runner => "Runner",
            Page::Notifications => "Notifications",
            Page::Shortcuts => "Shortcuts",
            Page::SystemInfo => "System Info",
        }
    }
    fn section(self) -> Option<Section> {
        match self {
            Page::General => Some(Section::General),
            Page::Workspace => Some(Section::Workspace),
            Page::Runner => Some(Section::Runner),
            Page::Notifications => Some(Section::Notifications),
            _ => None,
        }
    }
}

#[derive(Default)]
pub struct SettingsForm {
    /// What is saved on disk (as last reported by the core).
    base: Option<Settings>,
    /// Non-numeric edits.
    draft: Settings,
    /// Numeric fields as typed.
    texts: BTreeMap<&'static str, String>,
    root_text: String,
    pub page: Page,
}

impl SettingsForm {
    /// Follows the saved settings unless the user has unsaved edits.
    pub fn sync(&mut self, saved: &Settings) {
        if self.base.as_ref() == Some(saved) {
            return;
        }
        if self.base.is_none() || !self.dirty() {
            self.reset_to(saved.clone());
        } else {
            self.base = Some(saved.clone());
        }
    }

    fn reset_to(&mut self, s: Settings) {
        self.texts = NUMERIC_FIELDS
            .iter()
            .map(|f| (f.key, f.text_of(&s)))
            .collect();
        self.root_text = s.workspace.root.display().to_string();
        self.draft = s.clone();
        self.base = Some(s);
    }

    pub fn revert(&mut self) {
        if let Some(b) = self.base.clone() {
            self.reset_to(b);
        }
    }

    /// The edited settings, or every field error.
    pub fn build(&self) -> Result<Settings, BTreeMap<&'static str, String>> {
        let mut s = self.draft.clone();
        s.workspace.root = self.root_text.trim().into();
        let mut errors = BTreeMap::new();
        for f in NUMERIC_FIELDS {
            match f.parse(self.texts.get(f.key).map(String::as_str).unwrap_or("")) {
                Ok(v) => (f.set)(&mut s, v),
                Err(e) => {
                    errors.insert(f.key, e);
                }
            }
        }
        for (k, e) in s.validate() {
            errors.entry(k).or_insert(e);
        }
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors)
        }
    }

    pub fn dirty(&self) -> bool {
        match (&self.base, self.build()) {
            (Some(b), Ok(s)) => *b != s,
            (Some(_), Err(_)) => true,
            (None, _) => false,
        }
    }

    /// Sends a save when the form is valid; returns whether it did.
    pub fn save(&self, commands: &crate::core::CommandSender) -> bool {
        match self.build() {
            Ok(settings) if self.dirty() => {
                commands.send(Command::SaveSettings { settings });
                true
            }
            _ => false,
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        if let Some(w) = &ctx.vm.settings_warning {
            egui::Frame::new()
                .fill(theme::WARN.gamma_multiply(0.2))
                .inner_margin(theme::SPACE_M)
                .show(ui, |ui| {
                    ui.label(egui::RichText::new(format!("⚠ {w}")).color(theme::WARN));
                });
        }
        if self.base.is_none() {
            ui.spinner();
            ui.label("Loading settings…");
            return;
        }
        ui.horizontal_wrapped(|ui| {
            for p in Page::ALL {
                if ui.selectable_label(self.page == p, p.title()).clicked() {
                    self.page = p;
                }
            }
        });
        let errors = self.build().err().unwrap_or_default();
        let dirty = self.dirty();
        ui.horizontal(|ui| {
            if dirty {
                let can_save = errors.is_empty();
                let save = ui
                    .add_enabled(can_save, egui::Button::new("Save"))
                    .on_hover_text(format!(
                        "Save ({})",
                        shortcut_text(ui.ctx(), UiCommand::SaveSettings)
                    ))
                    .on_disabled_hover_text("Fix the fields marked in red first");
                if save.clicked() {
                    ctx.ui_commands.push(UiCommand::SaveSettings);
                }
                if ui.button("Revert").clicked() {
                    ctx.ui_commands.push(UiCommand::RevertSettings);
                }
                let n = errors.len();
                if n > 0 {
                    ui.colored_label(
                        theme::ERROR,
                        format!("{} to fix", crate::util::count(n, "field")),
                    );
                } else {
                    ui.colored_label(theme::WARN, "Unsaved changes");
                }
            } else if let Some(p) = &ctx.vm.settings_path {
                ui.weak("All changes saved")
                    .on_hover_text(format!("Settings file: {}", p.display()));
            }
        });
        ui.separator();
        // Enter in a field saves, as it applies a field everywhere else: the field had
        // the keyboard when the frame began and gave it up on Enter.
        let typing = ui.ctx().egui_wants_keyboard_input();
        egui::ScrollArea::vertical().show(ui, |ui| match self.page {
            Page::Shortcuts => shortcuts_ui(ui),
            Page::SystemInfo => system_info_ui(ui, ctx),
            page => {
                if page == Page::Workspace {
                    workspace_in_use_ui(ui, ctx);
                }
                self.fields_ui(ui, page, &errors, &ctx.vm.docker_hosts, ctx.commands)
            }
        });
        if typing
            && !ui.ctx().egui_wants_keyboard_input()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && self.dirty()
            && self.build().is_ok()
        {
            ctx.ui_commands.push(UiCommand::SaveSettings);
        }
    }

    fn fields_ui(
        &mut self,
        ui: &mut egui::Ui,
        page: Page,
        errors: &BTreeMap<&'static str, String>,
        statuses: &[HostStatus],
        commands: &crate::core::CommandSender,
    ) {
        match page {
            Page::General => {
                ui.horizontal(|ui| {
                    ui.label("Theme");
                    for t in ThemeChoice::ALL {
                        ui.radio_value(&mut self.draft.general.theme, t, t.label());
                    }
                });
            }
            Page::Workspace => {
                ui.labelled_text("Workspace folder", &mut self.root_text);
                ui.field_error(errors.get("workspace.root"));
                ui.horizontal(|ui| {
                    ui.label("Default quality");
                    for q in Quality::ALL {
                        ui.radio_value(&mut self.draft.workspace.default_quality, q, q.label());
                    }
                });
                ui.checkbox(
                    &mut self.draft.workspace.lfs_enabled,
                    "Store media with Git LFS",
                );
                ui.checkbox(&mut self.draft.workspace.auto_commit, "Auto-commit changes");
            }
            Page::Runner => {
                ui.labelled_text("Docker endpoint", &mut self.draft.runner.docker_endpoint);
                ui.weak("Empty: the local engine (DOCKER_HOST or /var/run/docker.sock)");
                ui.field_error(errors.get("runner.docker_endpoint"));
                hosts_ui(ui, &mut self.draft.runner.hosts, statuses, commands);
                // Each entry shows its own problem; only a clash between two is left.
                ui.field_error(
                    errors
                        .get("runner.hosts")
                        .filter(|e| e.starts_with("two hosts")),
                );
            }
            Page::Notifications => {
                ui.checkbox(
                    &mut self.draft.notifications.toasts,
                    "Show toasts when tasks finish",
                );
            }
            _ => {}
        }
        let section = page.section();
        for f in NUMERIC_FIELDS.iter().filter(|f| Some(f.section) == section) {
            let text = self.texts.entry(f.key).or_default();
            ui.labelled_text(f.label, text);
            ui.field_error(errors.get(f.key));
        }
    }
}

/// Settings → Runner's Docker hosts: this machine, then each remote host with its last
/// check, its address and TLS files, Remove, and Add/Test below.
fn hosts_ui(
    ui: &mut egui::Ui,
    hosts: &mut Vec<DockerHost>,
    statuses: &[HostStatus],
    commands: &crate::core::CommandSender,
) {
    ui.section_heading("Docker hosts");
    ui.weak("Tasks run on this machine unless a GPU task fits better elsewhere, or a run asks for a host. Remote tasks get their input files copied in and their outputs copied back; the project is never mounted there.");
    ui.label("local · this machine's engine (always there)");
    let mut remove = None;
    for (i, h) in hosts.iter_mut().enumerate() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.push_id(("docker_host", i), |ui| {
                let status = statuses.iter().find(|s| s.name == h.name);
                ui.horizontal(|ui| {
                    match status.and_then(|s| s.reachable) {
                        Some(true) => {
                            let s = status.expect("checked");
                            ui.status_dot(
                                Some(true),
                                &format!(
                                    "{} · {}",
                                    s.engine.as_deref().unwrap_or("reachable"),
                                    s.gpu_note
                                ),
                                "Reachable",
                            )
                        }
                        Some(false) => ui.status_dot(
                            Some(false),
                            "unreachable",
                            status
                                .and_then(|s| s.error.as_deref())
                                .unwrap_or("no answer"),
                        ),
                        None => ui.status_dot(None, "not checked yet", "Save, then Test"),
                    };
                    if let Some(e) = status.and_then(|s| s.error.as_deref()) {
                        ui.colored_label(theme::ERROR, e);
                    }
                });
                ui.labelled_text("Name", &mut h.name);
                ui.labelled_text("Address", &mut h.url);
                if h.url.trim().starts_with("tcp://") {
                    for (label, path) in [
                        ("CA certificate", &mut h.tls_ca),
                        ("Client certificate", &mut h.tls_cert),
                        ("Client key", &mut h.tls_key),
                    ] {
                        let mut text = path
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default();
                        if ui.labelled_text(label, &mut text).changed() {
                            *path = (!text.trim().is_empty()).then(|| text.trim().into());
                        }
                    }
                }
                if let Some(p) = h.problem() {
                    ui.colored_label(theme::ERROR, p);
                }
                if !h.gpu_vram_mb.is_empty() {
                    ui.weak(format!(
                        "GPUs (gpu_vram_mb in settings.toml): {}",
                        crate::model::gpu::gpu_note(true, &h.gpu_vram_mb)
                    ));
                }
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        hosts.remove(i);
    }
    ui.horizontal(|ui| {
        if ui
            .button("Add host")
            .on_hover_text("ssh://user@host (key and port in your ssh config) or tcp://host:2376 with TLS certificates")
            .clicked()
        {
            hosts.push(DockerHost {
                name: format!("box-{}", hosts.len() + 1),
                url: "ssh://user@host".into(),
                ..Default::default()
            });
        }
        if ui
            .add_enabled(!hosts.is_empty(), egui::Button::new("Test"))
            .on_hover_text("Ask every saved host for its engine version and GPUs now")
            .clicked()
        {
            commands.send(Command::CheckDockerHosts);
        }
    });
}

fn shortcuts_ui(ui: &mut egui::Ui) {
    crate::ui::commands::shortcuts_grid(ui, "shortcuts", true);
}

fn system_info_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
    let Some(info) = &ctx.vm.system else {
        ui.spinner();
        ui.label("Probing the system…");
        return;
    };
    ui.horizontal(|ui| {
        if ui
            .button("Copy")
            .on_hover_text(UiCommand::CopySystemInfo.tooltip())
            .clicked()
        {
            ctx.ui_commands.push(UiCommand::CopySystemInfo);
        }
        if ui.button("Refresh").clicked() {
            ctx.ui_commands.push(UiCommand::RefreshSystemStatus);
        }
    });
    let probe = |p: &crate::model::system::Probe| match p {
        Ok(v) => v.clone(),
        Err(e) => format!("unavailable: {e}"),
    };
    egui::Grid::new("system_info")
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            let rows = [
                ("Slate", info.slate_version.clone()),
                ("libgit2", info.libgit2_version.clone()),
                ("git", probe(&info.git)),
                ("git-lfs", probe(&info.git_lfs)),
                ("Docker", probe(&info.docker)),
                ("NVIDIA driver", probe(&info.nvidia_driver)),
                ("Data folder", info.data_dir.clone()),
                ("Settings file", info.settings_file.clone()),
                ("Workspace", info.workspace.clone()),
            ];
            for (k, v) in rows {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            }
            for g in &info.gpus {
                ui.label(format!("GPU {}", g.index));
                ui.label(format!("{} ({} MiB)", g.name, g.memory_total_mb));
                ui.end_row();
            }
        });
}

/// The workspace folder actually in use, and why: `SLATE_WORKSPACE` or `--workspace`
/// override the setting, which a person would otherwise take for the one in use.
fn workspace_in_use_ui(ui: &mut egui::Ui, ctx: &ViewCtx<'_>) {
    let (Some(info), Some(settings)) = (&ctx.vm.system, &ctx.vm.settings) else {
        return;
    };
    let setting = settings.workspace.root.display().to_string();
    ui.label(format!("In use: {}", info.workspace));
    if info.workspace != setting {
        ui.colored_label(
            theme::WARN,
            "Set by SLATE_WORKSPACE or --workspace, which override the folder below; the folder below applies when Slate starts without them.",
        );
    } else {
        ui.weak("From the setting below.");
    }
    ui.add_space(theme::SPACE_S);
}
