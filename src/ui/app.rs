//! The Slate window: panels, tabs, palette, shortcuts. It owns the view model and the
//! UI-only state; the core runs on its own thread and reaches us through events.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::core::{CommandSender, CoreHandle, CoreOptions};
use crate::events::{Command, Level};
use crate::paths::Paths;
use crate::runner::RunnerConfig;
use crate::runner::task::TaskId;
use crate::settings::ThemeChoice;
use crate::ui::commands::{self, UiCommand, shortcut_text};
use crate::ui::palette::Palette;
use crate::ui::tabs::Tab;
use crate::ui::theme;
use crate::ui::view_model::ViewModel;
use crate::ui::views::{self, ViewCtx};
use crate::ui::widgets::UiExt as _;

const STORAGE_KEY: &str = "slate-ui";

#[derive(Clone)]
pub struct AppOptions {
    pub paths: Paths,
    pub runner: RunnerConfig,
    /// Render a few frames, save a PNG here and exit.
    pub screenshot: Option<PathBuf>,
}

/// What the window remembers between runs (panel sizes and window size are kept by
/// egui and eframe themselves).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
struct Persisted {
    tab: Tab,
    show_left: bool,
    show_right: bool,
}

impl Default for Persisted {
    fn default() -> Self {
        Self {
            tab: Tab::Canvas,
            show_left: true,
            show_right: true,
        }
    }
}

/// `--screenshot`: wait for the first probe (or a few seconds), capture, save, close.
struct ScreenshotJob {
    path: PathBuf,
    frames: u32,
    started: std::time::Instant,
    requested: bool,
    result: Arc<Mutex<Option<Result<(), String>>>>,
}

pub struct App {
    core: Option<CoreHandle>,
    commands: CommandSender,
    pub vm: ViewModel,
    state: Persisted,
    palette: Palette,
    show_help: bool,
    settings_form: views::settings::SettingsForm,
    tasks_view: views::tasks::TasksView,
    selected_task: Option<TaskId>,
    applied_theme: Option<(ThemeChoice, f32)>,
    screenshot: Option<ScreenshotJob>,
    /// Frames painted, for the idle benchmark and tests.
    pub frames: u64,
    /// `SLATE_TRACE_FRAMES=1`: print a line per frame to stderr (the idle test counts them).
    trace_frames: bool,
}

impl App {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let persisted = cc
            .storage
            .and_then(|s| eframe::get_value::<Persisted>(s, STORAGE_KEY));
        Self::with_context(&cc.egui_ctx, options, persisted)
    }

    /// Builds the app on any egui context (the window, a test harness, a benchmark).
    fn with_context(
        ctx: &egui::Context,
        options: AppOptions,
        persisted: Option<Persisted>,
    ) -> Self {
        let waker_ctx = ctx.clone();
        let core = crate::core::spawn(
            CoreOptions {
                paths: options.paths.clone(),
                run_tasks: true,
                runner: options.runner.clone(),
            },
            Arc::new(move || waker_ctx.request_repaint()),
        );
        Self {
            commands: core.sender(),
            core: Some(core),
            vm: ViewModel::default(),
            state: persisted.unwrap_or_default(),
            palette: Palette::default(),
            show_help: false,
            settings_form: Default::default(),
            tasks_view: Default::default(),
            selected_task: None,
            applied_theme: None,
            screenshot: options.screenshot.map(|path| ScreenshotJob {
                path,
                frames: 0,
                started: std::time::Instant::now(),
                requested: false,
                result: Arc::new(Mutex::new(None)),
            }),
            frames: 0,
            trace_frames: std::env::var_os("SLATE_TRACE_FRAMES").is_some(),
        }
    }

    /// A headless app for benchmarks: no window, the real core.
    pub fn headless(ctx: &egui::Context, options: AppOptions) -> Self {
        Self::with_context(ctx, options, None)
    }

    pub fn tab(&self) -> Tab {
        self.state.tab
    }

    /// Drains core events into the view model. Never blocks.
    pub fn pump_events(&mut self, ctx: &egui::Context) {
        let now = crate::util::now_ms();
        if let Some(core) = &self.core {
            for event in core.events.try_iter() {
                self.vm.apply(event, now);
            }
        }
        if let Some(s) = &self.vm.settings {
            self.settings_form.sync(s);
            let wanted = (s.general.theme, s.general.ui_scale);
            if self.applied_theme != Some(wanted) {
                theme::apply(ctx, wanted.0, wanted.1);
                self.applied_theme = Some(wanted);
            }
        }
    }

    pub fn execute(&mut self, ctx: &egui::Context, cmd: UiCommand) {
        match cmd {
            UiCommand::ShowTab(t) => self.state.tab = t,
            UiCommand::NextTab => self.state.tab = self.state.tab.cycle(1),
            UiCommand::PreviousTab => self.state.tab = self.state.tab.cycle(-1),
            UiCommand::OpenSettings => {
                self.state.tab = Tab::Settings;
            }
            UiCommand::CommandPalette => self.palette.open(),
            UiCommand::ShowShortcuts => self.show_help = true,
            UiCommand::NewProject => {
                self.vm.notify(
                    Level::Warning,
                    "Projects are not available yet",
                    "This build of Slate cannot create projects yet.",
                    None,
                    crate::util::now_ms(),
                );
            }
            UiCommand::RunFunction => self.state.tab = Tab::Tasks,
            UiCommand::SaveSettings => {
                self.settings_form.save(&self.commands);
            }
            UiCommand::RevertSettings => self.settings_form.revert(),
            UiCommand::ToggleTheme => {
                if let Some(mut s) = self.vm.settings.clone() {
                    s.general.theme = if ctx.theme() == egui::Theme::Dark {
                        ThemeChoice::Light
                    } else {
                        ThemeChoice::Dark
                    };
                    self.commands.send(Command::SaveSettings { settings: s });
                }
            }
            UiCommand::ToggleLeftPanel => self.state.show_left = !self.state.show_left,
            UiCommand::ToggleRightPanel => self.state.show_right = !self.state.show_right,
            UiCommand::PauseQueue => self.commands.send(Command::PauseQueue { paused: true }),
            UiCommand::ResumeQueue => self.commands.send(Command::PauseQueue { paused: false }),
            UiCommand::CopySystemInfo => {
                if let Some(info) = &self.vm.system {
                    ctx.copy_text(info.report());
                    self.vm.notify(
                        Level::Info,
                        "System info copied",
                        "",
                        None,
                        crate::util::now_ms(),
                    );
                }
            }
            UiCommand::RefreshSystemStatus => {
                self.vm.system = None;
                self.commands.send(Command::ProbeSystem);
            }
            UiCommand::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }

    fn view_ctx<'a>(&'a mut self, ui_commands: &'a mut Vec<UiCommand>) -> ViewCtx<'a> {
        ViewCtx {
            vm: &self.vm,
            commands: &self.commands,
            ui_commands,
            selected_task: &mut self.selected_task,
            now_ms: crate::util::now_ms(),
        }
    }

    /// Lays out the whole window.
    pub fn ui_frame(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.frames += 1;
        if self.trace_frames {
            eprintln!("slate-frame {}", self.frames);
        }
        self.pump_events(&ctx);
        let mut pending: Vec<UiCommand> = Vec::new();
        if !self.palette.open
            && let Some(cmd) = commands::pressed(&ctx)
        {
            pending.push(cmd);
        }

        egui::Panel::top("tab_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new("Slate").strong().color(theme::ACCENT));
                ui.separator();
                for tab in Tab::ALL {
                    let hover = format!(
                        "{} ({})",
                        tab.title(),
                        shortcut_text(ui.ctx(), UiCommand::ShowTab(tab))
                    );
                    if ui
                        .selectable_label(self.state.tab == tab, tab.title())
                        .on_hover_text(hover)
                        .clicked()
                    {
                        pending.push(UiCommand::ShowTab(tab));
                    }
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .button("⌘ Commands")
                        .on_hover_text(format!(
                            "Command palette ({})",
                            shortcut_text(ui.ctx(), UiCommand::CommandPalette)
                        ))
                        .clicked()
                    {
                        pending.push(UiCommand::CommandPalette);
                    }
                });
            });
        });

        egui::Panel::bottom("status_bar")
            .exact_size(theme::STATUS_BAR_HEIGHT)
            .show(ui, |ui| {
                let mut vctx = self.view_ctx(&mut pending);
                views::status_bar::status_bar_ui(ui, &mut vctx);
            });

        if self.state.show_left {
            egui::Panel::left("project_browser")
                .resizable(true)
                .default_size(theme::LEFT_PANEL_WIDTH)
                .min_size(160.0)
                .show(ui, |ui| {
                    ui.section_heading("Projects");
                    ui.empty_state(
                        "No project open",
                        &format!(
                            "Press {} to create one",
                            shortcut_text(ui.ctx(), UiCommand::NewProject)
                        ),
                    );
                });
        }

        if self.state.show_right {
            egui::Panel::right("properties")
                .resizable(true)
                .default_size(theme::RIGHT_PANEL_WIDTH)
                .min_size(200.0)
                .show(ui, |ui| {
                    let mut vctx = self.view_ctx(&mut pending);
                    egui::Panel::top("properties_top")
                        .resizable(true)
                        .default_size(200.0)
                        .show(ui, |ui| {
                            ui.section_heading("Properties");
                            properties_ui(ui, &mut vctx);
                        });
                    egui::CentralPanel::default().show(ui, |ui| {
                        ui.section_heading("Progress");
                        egui::ScrollArea::vertical().show(ui, |ui| {
                            views::progress_area::progress_area_ui(ui, &mut vctx);
                        });
                    });
                });
        }

        egui::CentralPanel::default().show(ui, |ui| {
            self.main_view_ui(ui, &mut pending);
        });

        if let Some(cmd) = self.palette.show(&ctx) {
            pending.push(cmd);
        }
        if self.show_help {
            let modal = egui::Modal::new(egui::Id::unique("shortcuts_help")).show(&ctx, |ui| {
                ui.heading("All keyboard shortcuts");
                ui.separator();
                egui::Grid::new("help_grid").striped(true).show(ui, |ui| {
                    for cmd in UiCommand::ALL {
                        if cmd.shortcut().is_some() {
                            ui.label(cmd.label());
                            ui.monospace(shortcut_text(ui.ctx(), cmd));
                            ui.end_row();
                        }
                    }
                });
                ui.add_space(theme::SPACE_M);
                ui.weak("Every other command is in the palette (Ctrl+K). Esc closes.");
                ui.button("Close").clicked()
            });
            if modal.inner || modal.should_close() {
                self.show_help = false;
            }
        }
        for cmd in pending {
            self.execute(&ctx, cmd);
        }
        self.screenshot_step(&ctx);
    }

    fn main_view_ui(&mut self, ui: &mut egui::Ui, pending: &mut Vec<UiCommand>) {
        let new_project = shortcut_text(ui.ctx(), UiCommand::NewProject);
        let no_project = format!("No project open — press {new_project} to create one");
        match self.state.tab {
            Tab::Canvas => ui.empty_state("Canvas", &no_project),
            Tab::Scene => ui.empty_state("Scene", &no_project),
            Tab::Assets => ui.empty_state("Assets", &no_project),
            Tab::Git => ui.empty_state("Git", &no_project),
            Tab::Gpu => gpu_summary_ui(ui, &self.vm),
            Tab::Tasks => {
                let mut tasks_view = std::mem::take(&mut self.tasks_view);
                let mut vctx = self.view_ctx(pending);
                tasks_view.ui(ui, &mut vctx);
                self.tasks_view = tasks_view;
            }
            Tab::Settings => {
                let mut form = std::mem::take(&mut self.settings_form);
                let mut vctx = self.view_ctx(pending);
                form.ui(ui, &mut vctx);
                self.settings_form = form;
            }
        }
    }

    fn screenshot_step(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.screenshot else {
            return;
        };
        job.frames += 1;
        if !job.requested {
            let ready = self.vm.system.is_some() && self.vm.tasks_loaded;
            if (ready && job.frames >= 10) || job.started.elapsed().as_secs() >= 8 {
                job.requested = true;
                let path = job.path.clone();
                let slot = job.result.clone();
                let waker = ctx.clone();
                ctx.request_screenshot(move |image| {
                    *slot.lock().expect("screenshot slot") = Some(save_png(&path, &image));
                    waker.request_repaint();
                });
            }
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        } else if let Some(result) = job.result.lock().expect("screenshot slot").take() {
            match result {
                Ok(()) => println!("saved screenshot {}", job.path.display()),
                Err(e) => eprintln!("error: {e}"),
            }
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        } else {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
    }

    pub fn shutdown(&mut self) {
        if let Some(core) = self.core.take() {
            core.shutdown();
        }
    }
}

fn save_png(path: &std::path::Path, image: &egui::ColorImage) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    image::save_buffer(path, &bytes, w as u32, h as u32, image::ColorType::Rgba8)
        .map_err(|e| format!("could not write {}: {e}", path.display()))
}

fn properties_ui(ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
    match ctx.selected_task.and_then(|id| ctx.vm.tasks.get(&id)) {
        Some(t) => {
            let t = t.clone();
            egui::ScrollArea::vertical().show(ui, |ui| {
                views::tasks::task_detail_ui(ui, ctx, &t);
            });
        }
        None => {
            ui.weak("Nothing selected");
        }
    }
}

fn gpu_summary_ui(ui: &mut egui::Ui, vm: &ViewModel) {
    match &vm.system {
        None => ui.empty_state("GPU", "Looking for NVIDIA GPUs…"),
        Some(info) => match &info.nvidia_driver {
            Err(e) => ui.empty_state(
                "No NVIDIA driver",
                &format!(
                    "{e}.\nLinux: install the NVIDIA driver from your distribution (e.g. `apt install nvidia-driver`). Windows: install it from nvidia.com. Everything else in Slate works without a GPU."
                ),
            ),
            Ok(driver) => {
                ui.heading(format!("NVIDIA driver {driver}"));
                for g in &info.gpus {
                    ui.label(format!("GPU {}: {} ({} MB)", g.index, g.name, g.memory_total_mb));
                }
            }
        },
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            eframe::set_value(storage, STORAGE_KEY, &self.state);
        }
    }

    fn on_exit(&mut self) {
        self.shutdown();
    }
}
