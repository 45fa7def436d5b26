//! The Slate window: panels, tabs, palette, shortcuts. It owns the view model and the
//! UI-only state; the core runs on its own thread and reaches us through events.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::core::RunnerConfig;
use crate::core::{CommandSender, CoreHandle, CoreOptions};
use crate::events::{Command, Level};
use crate::model::task::TaskId;
use crate::paths::Paths;
use crate::settings::ThemeChoice;
use crate::ui::commands::{self, UiCommand, shortcut_text};
use crate::ui::palette::Palette;
use crate::ui::tabs::Tab;
use crate::ui::theme;
use crate::ui::view_model::ViewModel;
use crate::ui::views::project_browser::StoryItem;
use crate::ui::views::story::StoryFocus;
use crate::ui::views::{self, ViewCtx};
use crate::ui::widgets::UiExt as _;

const STORAGE_KEY: &str = "slate-ui";

#[derive(Clone)]
pub struct AppOptions {
    pub paths: Paths,
    pub runner: RunnerConfig,
    /// Render a few frames, save a PNG here and exit.
    pub screenshot: Option<PathBuf>,
    /// Open this project (name, folder or path) once the workspace is read.
    pub open_project: Option<String>,
}

/// What the window remembers between runs (panel sizes and window size are kept by
/// egui and eframe themselves).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
struct Persisted {
    tab: Tab,
    show_left: bool,
    show_right: bool,
    last_project: Option<PathBuf>,
    notifications: Vec<crate::ui::view_model::Notification>,
}

impl Default for Persisted {
    fn default() -> Self {
        Self {
            // The story board, not the Canvas placeholder, on a first start.
            tab: Tab::Scene,
            show_left: true,
            show_right: true,
            last_project: None,
            notifications: Vec::new(),
        }
    }
}

/// A destructive action waiting for the user's yes.
enum Confirm {
    StoryDelete(views::story::StoryEdit),
    HardRollback(String),
    TrashProject(PathBuf, String),
    DeleteForGood(PathBuf, String),
    /// Quit while this many local process tasks run (they restart from zero).
    Quit(usize),
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
    /// The local API, served while this window owns the core (so the CLI and scripts
    /// are its clients).
    server: Option<crate::server::Server>,
    commands: CommandSender,
    pub vm: ViewModel,
    state: Persisted,
    palette: Palette,
    show_help: bool,
    settings_form: views::settings::SettingsForm,
    tasks_view: views::tasks::TasksView,
    browser: views::project_browser::ProjectBrowser,
    story: views::story::StoryEditor,
    selection: Option<views::project_browser::StoryItem>,
    new_project: views::new_project::NewProjectDialog,
    git_view: views::git::GitView,
    assets_view: views::assets::AssetsView,
    confirm: Option<Confirm>,
    /// The user agreed to quit with local processes running: the close goes ahead.
    quit_confirmed: bool,
    run_dialog: views::run_dialog::RunDialog,
    board: views::board::SceneBoard,
    gpu_view: views::gpu::GpuView,
    /// Whether the sampler was last told the GPU tab is showing.
    gpu_detail: bool,
    toasts: views::toasts::Toasts,
    progress_expanded_for: u64,
    /// Projects created as of the last frame: a new one opens on the Scene tab.
    projects_created_seen: u64,
    /// The project last shown, to reset the selection when another opens.
    shown_project: Option<PathBuf>,
    /// A project just opened: select its first scene once its story is read.
    first_scene_pending: bool,
    /// A project sent to the trash, in case the trash refuses it.
    trashing: Option<PathBuf>,
    /// The project to open when the list first arrives (`--project`, or the last one).
    open_at_start: Option<String>,
    selected_task: Option<TaskId>,
    applied_theme: Option<(ThemeChoice, f32)>,
    screenshot: Option<ScreenshotJob>,
    /// Frames painted, for the idle benchmark and tests.
    pub frames: u64,
    /// `SLATE_TRACE_FRAMES=1`: print a line per frame to stderr (the idle test counts them).
    trace_frames: bool,
    /// The tasks this frame drew: only their progress wakes the window.
    shown_tasks: crate::ui::repaint::ShownTasks,
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
        let open_at_start = options.open_project.clone().or_else(|| {
            persisted
                .as_ref()
                .and_then(|p| p.last_project.as_ref())
                .map(|p| p.display().to_string())
        });
        let kept_notifications = persisted
            .as_ref()
            .map(|p| p.notifications.clone())
            .unwrap_or_default();
        let shown_tasks = crate::ui::repaint::ShownTasks::default();
        let waker = crate::ui::repaint::window_waker(ctx.clone(), shown_tasks.clone());
        // Another Slate (`slate serve`) owns this data dir: be its client, not a second
        // owner. A screenshot always renders its own core.
        let serving = match crate::server::discovery::read(&options.paths.data_dir) {
            crate::server::discovery::Found::Live(info)
                if info.pid != std::process::id() && options.screenshot.is_none() =>
            {
                std::fs::read_to_string(crate::server::discovery::token_file(
                    &options.paths.data_dir,
                ))
                .ok()
                .map(|token| (info, token.trim().to_string()))
            }
            _ => None,
        };
        let core = match serving {
            Some((info, token)) => {
                crate::client::linked::spawn(options.paths.clone(), info, token, waker)
            }
            None => crate::core::spawn(
                CoreOptions {
                    paths: options.paths.clone(),
                    run_tasks: true,
                    runner: options.runner.clone(),
                },
                waker,
            ),
        };
        let mut vm = ViewModel::default();
        vm.linked_to = core.remote().map(String::from);
        Self {
            commands: core.sender(),
            core: Some(core),
            server: None,
            vm,
            state: persisted.unwrap_or_default(),
            palette: Palette::default(),
            show_help: false,
            settings_form: Default::default(),
            tasks_view: Default::default(),
            browser: Default::default(),
            story: Default::default(),
            selection: None,
            new_project: Default::default(),
            git_view: Default::default(),
            assets_view: Default::default(),
            confirm: None,
            quit_confirmed: false,
            run_dialog: Default::default(),
            board: Default::default(),
            gpu_view: Default::default(),
            gpu_detail: false,
            toasts: Default::default(),
            progress_expanded_for: 0,
            projects_created_seen: 0,
            shown_project: None,
            first_scene_pending: false,
            trashing: None,
            open_at_start,
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
            shown_tasks,
            trace_frames: std::env::var_os("SLATE_TRACE_FRAMES").is_some(),
        }
        .restore(kept_notifications)
    }

    fn restore(mut self, kept: Vec<crate::ui::view_model::Notification>) -> Self {
        self.vm.restore_notifications(kept);
        self
    }

    /// The tasks the last frame drew (their progress wakes the window; tests).
    pub fn shown_tasks(&self) -> std::collections::HashSet<crate::model::task::TaskId> {
        self.shown_tasks.ids()
    }

    /// Selects a task as a click in the Tasks tab would (tests).
    pub fn select_task_for_tests(&mut self, id: Option<crate::model::task::TaskId>) {
        self.selected_task = id;
    }

    /// The commit selected in the Git tab's history (tests).
    pub fn git_selected_commit(&self) -> Option<String> {
        self.git_view.selected_commit().map(str::to_string)
    }

    /// A headless app for benchmarks: no window, the real core.
    pub fn headless(ctx: &egui::Context, options: AppOptions) -> Self {
        Self::with_context(ctx, options, None)
    }

    /// A story command from the palette: select `select` (when given), show the
    /// properties panel and hand it the field or button to act on.
    fn story_command(&mut self, focus: StoryFocus, select: Option<Option<StoryItem>>) {
        if let Some(item) = select {
            self.selection = item;
        }
        // The properties panel shows the story editor, not a selected task's details.
        self.selected_task = None;
        self.state.show_right = true;
        self.story.focus = Some(focus);
    }

    /// What is selected in the story (the project browser and the board).
    pub fn selection(&self) -> Option<views::project_browser::StoryItem> {
        self.selection
    }

    pub fn tab(&self) -> Tab {
        self.state.tab
    }

    /// A way to send core commands directly, for tests that drive the core beside the UI.
    pub fn commands_for_tests(&self) -> CommandSender {
        self.commands.clone()
    }

    /// Drains core events into the view model. Never blocks.
    pub fn pump_events(&mut self, ctx: &egui::Context) {
        let now = crate::util::now_ms();
        if let Some(core) = &self.core {
            for event in core.events.try_iter() {
                self.vm.apply(event, now);
            }
        }
        if self.vm.projects_loaded
            && let Some(want) = self.open_at_start.take()
            && let Some(p) = self.vm.projects.iter().find(|p| {
                p.name == want || p.folder == want || p.path.display().to_string() == want
            })
        {
            self.commands.send(Command::OpenProject {
                path: p.path.clone(),
                read_only: false,
            });
        }
        if self.vm.projects_created != self.projects_created_seen {
            // A new project has no canvas yet: its story is where work starts.
            self.projects_created_seen = self.vm.projects_created;
            self.state.tab = Tab::Scene;
        }
        let open_path = self.vm.project.as_ref().map(|p| p.path.clone());
        if open_path != self.shown_project {
            self.shown_project = open_path.clone();
            self.state.last_project = open_path;
            self.selection = None;
            self.first_scene_pending = true;
        }
        // The Scene board shows one scene: a project opens on its first, not on a hint
        // to pick one (once its story is read).
        if self.first_scene_pending
            && let Some(m) = self.vm.project.as_ref().and_then(|p| p.manifest.as_ref())
        {
            self.first_scene_pending = false;
            if self.selection.is_none() {
                self.selection = m
                    .narrative
                    .chapters
                    .iter()
                    .enumerate()
                    .find(|(_, c)| !c.scenes.is_empty())
                    .map(|(ci, _)| StoryItem::Scene(ci, 0));
            }
        }
        if let Some(path) = self.trashing.take() {
            match (&self.vm.project_error, self.vm.project_failure) {
                (Some(_), Some(crate::events::FailureKind::TrashUnavailable)) => {
                    let name = path
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    self.confirm = Some(Confirm::DeleteForGood(path, name));
                }
                _ if self.vm.projects.iter().any(|p| p.path == path) => self.trashing = Some(path),
                _ => {}
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
            UiCommand::NewProject => self.new_project.open(),
            UiCommand::ImportAssets => self.open_import(Vec::new()),
            UiCommand::DeleteProject => {
                if let Some(p) = &self.vm.project {
                    let name = p
                        .manifest
                        .as_ref()
                        .map(|m| m.name.clone())
                        .unwrap_or_default();
                    self.confirm = Some(Confirm::TrashProject(p.path.clone(), name));
                }
            }
            UiCommand::DismissCommitGuard => self.vm.large_files = None,
            UiCommand::CommitAnyway | UiCommand::TrackAllAndCommit => {
                let track_all = cmd == UiCommand::TrackAllAndCommit;
                views::git::finish_guarded_commit(&self.vm, &self.commands, track_all);
            }
            UiCommand::MoveSelectedUp | UiCommand::MoveSelectedDown => {
                self.move_selected(cmd == UiCommand::MoveSelectedUp);
            }
            UiCommand::LinkAssetToShot => self.story_command(StoryFocus::LinkAsset, None),
            UiCommand::CloseProject => {
                self.commands.send(Command::CloseProject);
                self.selection = None;
            }
            UiCommand::UpgradeProject => self.commands.send(Command::UpgradeProject),
            UiCommand::RenameAsset
            | UiCommand::DeleteAsset
            | UiCommand::ShowAssetInFileManager
            | UiCommand::CopyAssetToProject => {
                self.state.tab = Tab::Assets;
                self.assets_view.ask = Some(cmd);
            }
            UiCommand::UntrackLfsPattern => {
                self.state.tab = Tab::Git;
                self.git_view.focus_pattern = true;
            }
            UiCommand::RunFunction => {
                let quality = self
                    .vm
                    .settings
                    .as_ref()
                    .map(|s| s.workspace.default_quality.label());
                self.run_dialog.open(&self.vm.functions, quality);
            }
            UiCommand::GenerateTake => match self.selection {
                Some(item @ views::project_browser::StoryItem::Shot(..)) => {
                    self.open_generate(item, None);
                }
                _ => self.vm.notify(
                    crate::events::Level::Info,
                    "Generate take",
                    "Select a shot in the project browser first",
                    None,
                    crate::util::now_ms(),
                ),
            },
            UiCommand::MarkNotificationsRead => self.vm.mark_read(),
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
            UiCommand::CommitChanges => {
                self.state.tab = Tab::Git;
                self.git_view.focus_message = true;
            }
            UiCommand::GitPush | UiCommand::GitPull => {
                let function = if cmd == UiCommand::GitPush {
                    "git/push"
                } else {
                    "git/pull"
                };
                if let Some(request) = views::git::push_pull_request(&self.vm, function) {
                    self.commands.send(Command::SubmitTask { request });
                }
            }
            UiCommand::RefreshGit => self.commands.send(Command::RefreshGit),
            UiCommand::UndoStoryEdit => self.commands.send(Command::UndoStoryEdit),
            UiCommand::AddRemote => {
                self.state.tab = Tab::Git;
                self.git_view.adding_remote = true;
            }
            UiCommand::TagCommit => {
                self.state.tab = Tab::Git;
                self.git_view.focus_tag = true;
            }
            UiCommand::AddChapter => self.story_command(StoryFocus::Child, Some(None)),
            UiCommand::AddScene => {
                let chapter = match self.selection {
                    Some(
                        StoryItem::Chapter(c) | StoryItem::Scene(c, _) | StoryItem::Shot(c, _, _),
                    ) => Some(Some(StoryItem::Chapter(c))),
                    None => None,
                };
                self.story_command(StoryFocus::Child, chapter)
            }
            UiCommand::AddShot => {
                let scene = match self.selection {
                    Some(StoryItem::Scene(c, s) | StoryItem::Shot(c, s, _)) => {
                        Some(Some(StoryItem::Scene(c, s)))
                    }
                    _ => None,
                };
                self.story_command(StoryFocus::Child, scene)
            }
            UiCommand::CancelTask => {
                if let Some(id) = self.selected_task {
                    self.commands.send(Command::CancelTask { id });
                }
            }
            UiCommand::RetryTask => {
                if let Some(id) = self.selected_task {
                    self.commands.send(Command::RetryTask { id });
                }
            }
            UiCommand::RaiseTaskPriority | UiCommand::LowerTaskPriority => {
                if let Some(t) = self.selected_task.and_then(|id| self.vm.tasks.get(&id)) {
                    let step = if cmd == UiCommand::RaiseTaskPriority {
                        1
                    } else {
                        -1
                    };
                    self.commands.send(Command::SetPriority {
                        id: t.id,
                        priority: t.priority + step,
                    });
                }
            }
            UiCommand::MoveTaskUp | UiCommand::MoveTaskDown => {
                if let Some(id) = self.selected_task {
                    let up = cmd == UiCommand::MoveTaskUp;
                    self.commands.send(Command::MoveTask { id, up });
                }
            }
            UiCommand::ApproveTake
            | UiCommand::RejectTake
            | UiCommand::StarTake
            | UiCommand::ActivateTake
            | UiCommand::CompareTakes
            | UiCommand::DeleteTake
            | UiCommand::CleanUpTakes => {
                self.state.tab = Tab::Scene;
                self.board.palette_action = Some(cmd);
            }
            UiCommand::CopyCommitHash => {
                if let Some(hash) = self.git_view.selected_commit() {
                    ctx.copy_text(hash.to_string());
                    self.vm.notify(
                        Level::Info,
                        "Commit hash copied",
                        hash,
                        None,
                        crate::util::now_ms(),
                    );
                }
            }
            UiCommand::RollBack => {
                self.state.tab = Tab::Git;
                self.git_view.focus_rollback = true;
            }
            UiCommand::TrackLfsPattern => {
                self.state.tab = Tab::Git;
                self.git_view.focus_pattern = true;
            }
            UiCommand::RestoreMedia => self.commands.send(Command::GitRestoreMedia),
            UiCommand::RenameSelected => self.story_command(StoryFocus::Name, None),
            UiCommand::DeleteSelected => self.story_command(StoryFocus::Delete, None),
            UiCommand::Quit => {
                if !self.ask_before_quitting() {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }

    /// Local process tasks this window's core runs: they die with the window and start
    /// again from zero. Containers and Slurm jobs keep running and are re-attached, and
    /// a window linked to `slate serve` runs nothing itself.
    fn local_processes_running(&self) -> usize {
        if self.vm.linked_to.is_some() {
            return 0;
        }
        self.vm
            .active()
            .filter(|t| {
                t.state == crate::model::task::TaskState::Running
                    && t.container_id.is_none()
                    && t.slurm_job.is_none()
                    && t.executor.as_deref() != Some("slurm")
            })
            .count()
    }

    /// Asks first (true) when quitting would restart local processes from zero.
    fn ask_before_quitting(&mut self) -> bool {
        let local = self.local_processes_running();
        if local > 0 && !self.quit_confirmed {
            // A question already open (a hard rollback…) is answered first.
            if self.confirm.is_none() {
                self.confirm = Some(Confirm::Quit(local));
            }
            return true;
        }
        false
    }

    /// Where the selected chapter, scene or shot sits among its siblings: its index and
    /// how many there are; `None` in a read-only project (the core refuses edits).
    fn selected_story_place(&self) -> Option<(usize, usize)> {
        let p = self.vm.project.as_ref().filter(|p| !p.read_only)?;
        self.selection?.place(p.manifest.as_ref()?)
    }

    /// Swaps the selected story item with its neighbour above or below; the selection
    /// follows it.
    fn move_selected(&mut self, up: bool) {
        let (Some(item), Some((i, n))) = (self.selection, self.selected_story_place()) else {
            return;
        };
        let to = match up {
            true if i > 0 => i - 1,
            false if i + 1 < n => i + 1,
            _ => return,
        };
        let (edit, moved) = item.moved_to(to);
        self.commands.send(Command::EditProject { edit });
        self.selection = Some(moved);
    }

    /// What the palette may offer now.
    pub fn availability(&self) -> commands::Availability {
        let selected_task = self.selected_task.and_then(|id| self.vm.tasks.get(&id));
        let place = self.selected_story_place();
        let manifest = self.vm.project.as_ref().and_then(|p| p.manifest.as_ref());
        let shot_folder = match (self.selection, manifest) {
            (Some(StoryItem::Shot(c, s, h)), Some(m)) => {
                views::board::folder_of(m, c, s, h).map(|(f, _)| f)
            }
            _ => None,
        };
        commands::Availability {
            project_open: self.vm.project.is_some(),
            queue_paused: self.vm.queue_paused,
            commit_guard: self.vm.project.is_some() && self.vm.large_files.is_some(),
            unread: self.vm.unread() > 0,
            has_remote: self
                .vm
                .git_status
                .as_ref()
                .is_some_and(|s| s.remotes.iter().any(|r| r == "origin")),
            settings_dirty: self.settings_form.dirty(),
            story: match self.selection {
                None => commands::StoryLevel::Project,
                Some(StoryItem::Chapter(..)) => commands::StoryLevel::Chapter,
                Some(StoryItem::Scene(..)) => commands::StoryLevel::Scene,
                Some(StoryItem::Shot(..)) => commands::StoryLevel::Shot,
            },
            task_cancellable: selected_task.is_some_and(|t| !t.state.is_finished()),
            task_retryable: selected_task.is_some_and(|t| t.state.can_retry()),
            task_queued: selected_task
                .is_some_and(|t| t.state == crate::model::task::TaskState::Queued),
            // Only while the board shows the selected shot: its take selection is of
            // that shot, not one chosen before on another.
            take_selected: shot_folder.as_ref().is_some_and(|f| self.board.shows(f))
                && self.board.selected.is_some(),
            commit_selected: self.git_view.selected_commit().is_some(),
            media_missing: self
                .vm
                .git_status
                .as_ref()
                .is_some_and(|s| !s.media_missing.is_empty()),
            story_undoable: self.vm.story_undoable > 0,
            story_can_move_up: place.is_some_and(|(i, _)| i > 0),
            story_can_move_down: place.is_some_and(|(i, n)| i + 1 < n),
            upgrade_pending: self.vm.project.as_ref().is_some_and(|p| {
                !p.read_only && matches!(p.upgrade, crate::model::project::Upgrade::Pending { .. })
            }),
            asset_selected: self.assets_view.selection(&self.vm).is_some(),
            asset_in_library: self.assets_view.selection(&self.vm) == Some(true),
            shot_takes: shot_folder
                .as_ref()
                .and_then(|f| views::board::takes_of(&self.vm, f))
                .map_or(0, |t| t.takes.len()),
            git_dirty: self.vm.git_status.as_ref().is_some_and(|s| !s.is_clean()),
            git_lfs_ok: self.vm.system.as_ref().is_some_and(|s| s.git_lfs.is_ok()),
        }
    }

    /// The import dialog, with these files (dropped or none), onto the category the
    /// Assets tab shows, if one; otherwise the dialog asks where the type does not say.
    fn open_import(&mut self, files: Vec<PathBuf>) {
        if self.vm.project.is_none() {
            self.vm.notify(
                Level::Warning,
                "No project open",
                "Open or create a project (Ctrl+N) to import assets into it",
                None,
                crate::util::now_ms(),
            );
            return;
        }
        let category = self.assets_view.category();
        self.state.tab = Tab::Assets;
        self.assets_view.import.open(files, category);
    }

    fn view_ctx<'a>(&'a mut self, ui_commands: &'a mut Vec<UiCommand>) -> ViewCtx<'a> {
        ViewCtx {
            vm: &self.vm,
            commands: &self.commands,
            ui_commands,
            selected_task: &mut self.selected_task,
            now_ms: crate::util::now_ms(),
            progress_expanded_for: self.progress_expanded_for,
        }
    }

    /// Lays out the whole window.
    pub fn ui_frame(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.frames += 1;
        self.pump_events(&ctx);
        // The window's close button asks as Ctrl+Q does.
        if ctx.input(|i| i.viewport().close_requested())
            && self.screenshot.is_none()
            && self.ask_before_quitting()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.open_import(dropped);
        }
        if self.trace_frames {
            // What this frame shows, for tests that watch the window from outside.
            eprintln!(
                "slate-frame {} tasks={} finished={}",
                self.frames,
                self.vm.tasks.len(),
                self.vm
                    .tasks
                    .values()
                    .filter(|t| t.state.is_finished())
                    .count()
            );
        }
        let mut pending: Vec<UiCommand> = Vec::new();
        if !self.palette.open
            && let Some(cmd) = commands::pressed(&ctx)
        {
            pending.push(cmd);
        }
        // Ctrl+Z undoes a story edit, unless a text field has the keys (its own undo) or
        // the board has a deleted take to bring back (its own Ctrl+Z comes first there).
        // A focused button (a tree row just clicked) does not stop it; an open dialog or
        // list does (the story behind it must not change under it).
        let board_undo = self.state.tab == Tab::Scene && !self.board.undo.is_empty();
        if !self.palette.open
            && self.vm.project.is_some()
            && !board_undo
            && !ctx.text_edit_focused()
            && ctx.memory(|m| m.top_modal_layer().is_none())
            && !egui::Popup::is_any_open(&ctx)
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z))
        {
            pending.push(UiCommand::UndoStoryEdit);
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

        // Side panels take a share of the window, never a fixed width: at 1024×700 or a
        // UI scale of 1.25 the main view keeps about half the width.
        let window_width = ui.available_width();
        let (left_max, right_max) = (window_width * 0.22, window_width * 0.28);
        if self.state.show_left {
            egui::Panel::left("project_browser")
                .resizable(true)
                .default_size(theme::LEFT_PANEL_WIDTH.min(left_max))
                .min_size(160.0_f32.min(left_max))
                .max_size(left_max)
                .show(ui, |ui| {
                    ui.set_min_width(ui.available_width());
                    let mut browser = std::mem::take(&mut self.browser);
                    let mut selection = self.selection;
                    let mut vctx = self.view_ctx(&mut pending);
                    browser.ui(ui, &mut vctx, &mut selection);
                    self.browser = browser;
                    if selection != self.selection {
                        self.selected_task = None;
                    }
                    self.selection = selection;
                });
        }

        if self.state.show_right {
            egui::Panel::right("properties")
                .resizable(true)
                .default_size(theme::RIGHT_PANEL_WIDTH.min(right_max))
                .min_size(200.0_f32.min(right_max))
                .max_size(right_max)
                .show(ui, |ui| {
                    ui.set_min_width(ui.available_width());
                    let properties_height = ui.available_height() * 0.4;
                    let mut story = std::mem::take(&mut self.story);
                    let mut selection = self.selection;
                    let on_tasks_tab = self.state.tab == Tab::Tasks;
                    let mut vctx = self.view_ctx(&mut pending);
                    // Properties over progress, split at a fixed share of the height.
                    ui.section_heading("Properties");
                    egui::ScrollArea::vertical()
                        .id_salt("properties")
                        .auto_shrink([false, false])
                        .max_height(properties_height)
                        .show(ui, |ui| {
                            properties_ui(ui, &mut vctx, &mut story, &mut selection, on_tasks_tab);
                        });
                    ui.section_heading("Progress");
                    egui::ScrollArea::vertical()
                        .id_salt("progress")
                        .auto_shrink([false, false])
                        .show(ui, |ui| {
                            views::progress_area::progress_area_ui(ui, &mut vctx);
                        });
                    if let Some(d) = story.confirm_delete.take() {
                        self.confirm = Some(Confirm::StoryDelete(d));
                    }
                    self.story = story;
                    self.selection = selection;
                });
        }

        // The area the main view was given (not what its content grew to): the toasts'
        // corner, clear of the side panels.
        let mut central = egui::Rect::NOTHING;
        egui::CentralPanel::default().show(ui, |ui| {
            central = ui.max_rect();
            self.main_view_ui(ui, &mut pending);
        });

        // What the palette may offer is worked out only while it is open.
        if self.palette.open {
            let availability = self.availability();
            if let Some(cmd) = self.palette.show(&ctx, &availability) {
                pending.push(cmd);
            }
        }
        let mut dialog = std::mem::take(&mut self.new_project);
        dialog.ui(&ctx, &mut self.view_ctx(&mut pending));
        self.new_project = dialog;
        let mut run_dialog = std::mem::take(&mut self.run_dialog);
        run_dialog.ui(&ctx, &mut self.view_ctx(&mut pending));
        self.run_dialog = run_dialog;
        let mut import = std::mem::take(&mut self.assets_view.import);
        import.ui(&ctx, &mut self.view_ctx(&mut pending));
        self.assets_view.import = import;
        let (toasts_on, dismiss_s) = self
            .vm
            .settings
            .as_ref()
            .map(|s| (s.notifications.toasts, s.notifications.auto_dismiss_s))
            .unwrap_or((true, 5));
        let mut toasts = std::mem::take(&mut self.toasts);
        toasts.ui(
            &ctx,
            &mut self.view_ctx(&mut pending),
            toasts_on,
            dismiss_s,
            central.right_bottom(),
        );
        self.toasts = toasts;
        self.progress_expanded_for = self.vm.failures_seen;
        if let Some(h) = self.git_view.confirm_hard.take() {
            self.confirm = Some(Confirm::HardRollback(h));
        }
        self.confirm_ui(&ctx);
        if self.show_help {
            let modal = egui::Modal::new(egui::Id::unique("shortcuts_help")).show(&ctx, |ui| {
                ui.heading("All keyboard shortcuts");
                ui.separator();
                crate::ui::commands::shortcuts_grid(ui, "help_grid", false);
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
        self.shown_tasks.publish(&ctx);
        let detail = self.state.tab == Tab::Gpu;
        if detail != self.gpu_detail {
            self.gpu_detail = detail;
            self.commands.send(Command::GpuDetail { on: detail });
        }
        self.screenshot_step(&ctx);
    }

    /// Opens the Run dialog bound to a shot (inputs filled from it), optionally
    /// pre-filled with a take's function, preset and parameters.
    fn open_generate(
        &mut self,
        item: views::project_browser::StoryItem,
        prefill: Option<(
            String,
            Option<String>,
            std::collections::BTreeMap<String, String>,
        )>,
    ) {
        let views::project_browser::StoryItem::Shot(c, s, h) = item else {
            return;
        };
        let Some(open) = self.vm.project.as_ref() else {
            return;
        };
        let Some(m) = open.manifest.clone() else {
            return;
        };
        let Some((_, mut r)) = views::board::folder_of(&m, c, s, h) else {
            return;
        };
        r.project_dir = Some(open.path.clone());
        r.submitted_commit = self.vm.git_status.as_ref().and_then(|g| g.head.clone());
        let name = m
            .narrative
            .chapters
            .get(c)
            .and_then(|ch| ch.scenes.get(s))
            .and_then(|sc| sc.shots.get(h))
            .map(|sh| sh.name.clone())
            .unwrap_or_default();
        let quality = self
            .vm
            .settings
            .as_ref()
            .map(|s| s.workspace.default_quality.label());
        self.run_dialog.open_for_shot(
            &self.vm.functions,
            quality,
            views::run_dialog::ShotBinding {
                label: format!("Shot {}.{}.{} {name}", c + 1, s + 1, h + 1),
                number: format!("{}.{}.{}", c + 1, s + 1, h + 1),
                shot_ref: r,
                manifest: Box::new(m),
            },
            prefill,
        );
    }

    fn main_view_ui(&mut self, ui: &mut egui::Ui, pending: &mut Vec<UiCommand>) {
        let new_project = shortcut_text(ui.ctx(), UiCommand::NewProject);
        let no_project = format!("No project open — press {new_project} to create one");
        let selection = self.selection;
        match self.state.tab {
            Tab::Canvas if self.vm.project.is_none() => ui.empty_state("Canvas", &no_project),
            Tab::Canvas => ui.empty_state(
                "Canvas",
                "The node canvas is not part of this version of Slate. Use the project browser and the Scene tab to shape the story.",
            ),
            Tab::Scene => {
                let mut board = std::mem::take(&mut self.board);
                let mut selection = selection;
                board.ui(ui, &mut self.view_ctx(pending), &mut selection);
                self.selection = selection;
                for r in std::mem::take(&mut board.requests) {
                    match r {
                        views::board::BoardRequest::Generate(item) => {
                            self.open_generate(item, None)
                        }
                        views::board::BoardRequest::EditRerun {
                            item,
                            function,
                            preset,
                            params,
                        } => self.open_generate(item, Some((function, preset, params))),
                    }
                }
                self.board = board;
            }
            Tab::Assets => {
                let mut assets_view = std::mem::take(&mut self.assets_view);
                assets_view.ui(ui, &mut self.view_ctx(pending));
                self.assets_view = assets_view;
            }
            Tab::Git => {
                let mut git_view = std::mem::take(&mut self.git_view);
                git_view.ui(ui, &mut self.view_ctx(pending));
                self.git_view = git_view;
            }
            Tab::Gpu => {
                // GPU samples do not wake the window (they would keep an idle one
                // painting): while this tab shows, it repaints on the sampler's clock.
                let every_ms = self
                    .vm
                    .settings
                    .as_ref()
                    .map_or(1000, |s| s.gpu.sample_interval_ms);
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(every_ms.max(100)));
                let mut gpu_view = std::mem::take(&mut self.gpu_view);
                gpu_view.ui(ui, &mut self.view_ctx(pending));
                self.gpu_view = gpu_view;
            }
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

    /// The yes/no question for a destructive action. Esc or Cancel keeps everything.
    fn confirm_ui(&mut self, ctx: &egui::Context) {
        let Some(confirm) = &self.confirm else { return };
        let (title, body, yes) = match confirm {
            Confirm::StoryDelete(d) => (
                "Delete?".to_string(),
                format!("Delete {}? You can get it back from git history.", d.what),
                "Delete",
            ),
            Confirm::HardRollback(c) => (
                "Hard rollback?".to_string(),
                format!(
                    "Reset every file to commit {}. Later commits leave the branch (tags and the reflog keep them).",
                    &c[..7.min(c.len())]
                ),
                "Roll back",
            ),
            Confirm::TrashProject(_, n) => (
                "Delete project?".to_string(),
                format!("Move {n:?} to the trash? You can restore it from there."),
                "Move to trash",
            ),
            Confirm::DeleteForGood(_, n) => (
                "Delete for good?".to_string(),
                format!(
                    "The trash cannot take {n:?}. Delete it permanently? This cannot be undone."
                ),
                "Delete permanently",
            ),
            Confirm::Quit(n) => (
                "Quit Slate?".to_string(),
                format!(
                    "{} as local processes: quitting stops them, and they will start again from zero (their progress is lost). Containers keep running.",
                    if *n == 1 {
                        "1 task runs".to_string()
                    } else {
                        format!("{n} tasks run")
                    }
                ),
                "Quit anyway",
            ),
        };
        let modal = egui::Modal::new(egui::Id::unique("confirm")).show(ctx, |ui| {
            ui.set_width(420.0);
            ui.heading(title);
            ui.label(body);
            ui.horizontal(|ui| {
                let yes = ui.button(yes).clicked();
                let no = ui.button("Cancel").clicked();
                (yes, no)
            })
            .inner
        });
        let (yes, no) = modal.inner;
        if yes {
            match self.confirm.take().expect("confirm present") {
                Confirm::StoryDelete(d) => {
                    self.commands.send(Command::EditProject { edit: d.edit });
                    self.selection = None;
                }
                Confirm::HardRollback(c) => self.commands.send(Command::GitRollback {
                    commit: c,
                    mode: crate::model::git::ResetMode::Hard,
                }),
                Confirm::TrashProject(path, _) => {
                    self.vm.project_error = None;
                    self.trashing = Some(path.clone());
                    self.commands.send(Command::DeleteProject {
                        path,
                        permanently: false,
                    });
                }
                Confirm::Quit(_) => {
                    self.quit_confirmed = true;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
                Confirm::DeleteForGood(path, _) => self.commands.send(Command::DeleteProject {
                    path,
                    permanently: true,
                }),
            }
        } else if no || modal.should_close() {
            self.confirm = None;
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

    /// Serves the local API for the core this window owns; says why not on stderr.
    pub fn serve_api(&mut self) {
        let Some(core) = &self.core else { return };
        if self.screenshot.is_some() || self.server.is_some() || core.remote().is_some() {
            return;
        }
        match crate::server::start(
            core.api(),
            crate::server::ServeConfig {
                listen: None,
                port: 0,
                owner: "window",
            },
        ) {
            Ok(server) => self.server = Some(server),
            Err(e) => eprintln!("warning: the local API is not served: {e}"),
        }
    }

    pub fn shutdown(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
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

fn properties_ui(
    ui: &mut egui::Ui,
    ctx: &mut ViewCtx<'_>,
    story: &mut views::story::StoryEditor,
    selection: &mut Option<views::project_browser::StoryItem>,
    on_tasks_tab: bool,
) {
    match ctx.selected_task.and_then(|id| ctx.vm.tasks.get(&id)) {
        // The Tasks tab shows the selected task's details itself: once is enough.
        Some(t) if on_tasks_tab => {
            ui.label(egui::RichText::new(t.title()).strong());
            ui.weak("Its details and log are in the Tasks tab.");
        }
        Some(t) => {
            let t = t.clone();
            if ui.small_button("Close task details").clicked() {
                *ctx.selected_task = None;
            }
            views::tasks::task_detail_ui(ui, ctx, &t);
        }
        None if ctx.vm.project.is_some() => story.ui(ui, ctx, selection),
        None => {
            ui.weak("Nothing selected");
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            self.state.notifications = self.vm.notifications.iter().cloned().collect();
            eframe::set_value(storage, STORAGE_KEY, &self.state);
        }
    }

    fn on_exit(&mut self) {
        self.shutdown();
    }

    fn persist_egui_memory(&self) -> bool {
        self.screenshot.is_none()
    }
}
