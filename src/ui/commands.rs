//! Every user command, as data. The shortcut handler, the command palette, the F1 help
//! and the Shortcuts settings page all read [`UiCommand::ALL`], so a command cannot exist
//! in one place and be missing from another.

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::ui::tabs::Tab;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UiCommand {
    ShowTab(Tab),
    NextTab,
    PreviousTab,
    OpenSettings,
    CommandPalette,
    ShowShortcuts,
    NewProject,
    ImportAssets,
    RunFunction,
    GenerateTake,
    SaveSettings,
    RevertSettings,
    ToggleTheme,
    ToggleLeftPanel,
    ToggleRightPanel,
    PauseQueue,
    ResumeQueue,
    CopySystemInfo,
    RefreshSystemStatus,
    DeleteProject,
    DismissCommitGuard,
    MarkNotificationsRead,
    CommitChanges,
    GitPush,
    GitPull,
    RefreshGit,
    AddRemote,
    TagCommit,
    AddChapter,
    AddScene,
    AddShot,
    RenameSelected,
    DeleteSelected,
    UndoStoryEdit,
    CancelTask,
    RetryTask,
    RaiseTaskPriority,
    LowerTaskPriority,
    MoveTaskUp,
    MoveTaskDown,
    ApproveTake,
    RejectTake,
    StarTake,
    ActivateTake,
    CopyCommitHash,
    RollBack,
    TrackLfsPattern,
    RestoreMedia,
    MoveSelectedUp,
    MoveSelectedDown,
    LinkAssetToShot,
    CloseProject,
    UpgradeProject,
    RenameAsset,
    DeleteAsset,
    ShowAssetInFileManager,
    CopyAssetToProject,
    CompareTakes,
    DeleteTake,
    CleanUpTakes,
    CommitAnyway,
    TrackAllAndCommit,
    UntrackLfsPattern,
    Quit,
}

/// What is selected in the story, for the story-edit commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoryLevel {
    /// The project itself (nothing in its story selected).
    #[default]
    Project,
    Chapter,
    Scene,
    Shot,
}

/// What the window is in now, for hiding commands that cannot run (the palette lists
/// only what makes sense: no "Delete project…" with none open).
#[derive(Clone, Copy, Debug, Default)]
pub struct Availability {
    pub project_open: bool,
    pub queue_paused: bool,
    pub commit_guard: bool,
    pub unread: bool,
    pub has_remote: bool,
    /// What is selected in the open project's story.
    pub story: StoryLevel,
    /// Settings have edits not written yet.
    pub settings_dirty: bool,
    /// The selected task can be cancelled / retried.
    pub task_cancellable: bool,
    pub task_retryable: bool,
    /// The selected task waits in the queue (its priority and place can change).
    pub task_queued: bool,
    /// A take is selected on the Scene board.
    pub take_selected: bool,
    /// A commit is selected in the Git history.
    pub commit_selected: bool,
    /// Some LFS files are pointers whose media was not written.
    pub media_missing: bool,
    /// The core holds story edits to undo.
    pub story_undoable: bool,
    /// The selected chapter, scene or shot can move up / down among its siblings.
    pub story_can_move_up: bool,
    pub story_can_move_down: bool,
    /// The open project's format can be upgraded (and it is writable).
    pub upgrade_pending: bool,
    /// An asset is selected in the Assets tab; it is in the shared library.
    pub asset_selected: bool,
    pub asset_in_library: bool,
    /// Takes of the shot on the Scene board.
    pub shot_takes: usize,
    /// The project has uncommitted changes.
    pub git_dirty: bool,
    /// git-lfs is installed (push and pull need it).
    pub git_lfs_ok: bool,
}

const CTRL: Modifiers = Modifiers::COMMAND;
const CTRL_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};

impl UiCommand {
    /// In shortcut-matching order: shifted shortcuts before their plain forms, because
    /// egui matches modifiers logically (Ctrl+Shift+Tab also "contains" Ctrl+Tab).
    pub const ALL: [UiCommand; 70] = [
        UiCommand::PreviousTab,
        UiCommand::NextTab,
        UiCommand::ShowTab(Tab::Canvas),
        UiCommand::ShowTab(Tab::Scene),
        UiCommand::ShowTab(Tab::Assets),
        UiCommand::ShowTab(Tab::Tasks),
        UiCommand::ShowTab(Tab::Gpu),
        UiCommand::ShowTab(Tab::Git),
        UiCommand::ShowTab(Tab::Settings),
        UiCommand::OpenSettings,
        UiCommand::CommandPalette,
        UiCommand::ShowShortcuts,
        UiCommand::NewProject,
        UiCommand::ImportAssets,
        UiCommand::RunFunction,
        UiCommand::GenerateTake,
        UiCommand::SaveSettings,
        UiCommand::RevertSettings,
        UiCommand::ToggleTheme,
        UiCommand::ToggleLeftPanel,
        UiCommand::ToggleRightPanel,
        UiCommand::PauseQueue,
        UiCommand::ResumeQueue,
        UiCommand::CopySystemInfo,
        UiCommand::RefreshSystemStatus,
        UiCommand::DeleteProject,
        UiCommand::DismissCommitGuard,
        UiCommand::MarkNotificationsRead,
        UiCommand::CommitChanges,
        UiCommand::GitPush,
        UiCommand::GitPull,
        UiCommand::RefreshGit,
        UiCommand::AddRemote,
        UiCommand::TagCommit,
        UiCommand::AddChapter,
        UiCommand::AddScene,
        UiCommand::AddShot,
        UiCommand::RenameSelected,
        UiCommand::DeleteSelected,
        UiCommand::UndoStoryEdit,
        UiCommand::CancelTask,
        UiCommand::RetryTask,
        UiCommand::RaiseTaskPriority,
        UiCommand::LowerTaskPriority,
        UiCommand::MoveTaskUp,
        UiCommand::MoveTaskDown,
        UiCommand::ApproveTake,
        UiCommand::RejectTake,
        UiCommand::StarTake,
        UiCommand::ActivateTake,
        UiCommand::CopyCommitHash,
        UiCommand::RollBack,
        UiCommand::TrackLfsPattern,
        UiCommand::RestoreMedia,
        UiCommand::MoveSelectedUp,
        UiCommand::MoveSelectedDown,
        UiCommand::LinkAssetToShot,
        UiCommand::CloseProject,
        UiCommand::UpgradeProject,
        UiCommand::RenameAsset,
        UiCommand::DeleteAsset,
        UiCommand::ShowAssetInFileManager,
        UiCommand::CopyAssetToProject,
        UiCommand::CompareTakes,
        UiCommand::DeleteTake,
        UiCommand::CleanUpTakes,
        UiCommand::CommitAnyway,
        UiCommand::TrackAllAndCommit,
        UiCommand::UntrackLfsPattern,
        UiCommand::Quit,
    ];

    /// Whether the command can do anything now.
    pub fn available(self, a: &Availability) -> bool {
        match self {
            UiCommand::DeleteProject
            | UiCommand::RefreshGit
            | UiCommand::ImportAssets
            | UiCommand::CloseProject
            | UiCommand::UntrackLfsPattern => a.project_open,
            UiCommand::GenerateTake | UiCommand::LinkAssetToShot => {
                a.project_open && a.story == StoryLevel::Shot
            }
            UiCommand::CommitChanges => a.project_open && a.git_dirty,
            UiCommand::GitPush | UiCommand::GitPull => {
                a.project_open && a.has_remote && a.git_lfs_ok
            }
            UiCommand::AddRemote => a.project_open && !a.has_remote,
            UiCommand::PauseQueue => !a.queue_paused,
            UiCommand::ResumeQueue => a.queue_paused,
            UiCommand::DismissCommitGuard
            | UiCommand::CommitAnyway
            | UiCommand::TrackAllAndCommit => a.commit_guard,
            UiCommand::MoveSelectedUp => a.project_open && a.story_can_move_up,
            UiCommand::MoveSelectedDown => a.project_open && a.story_can_move_down,
            UiCommand::UpgradeProject => a.project_open && a.upgrade_pending,
            UiCommand::RenameAsset | UiCommand::DeleteAsset => {
                a.project_open && a.asset_selected && !a.asset_in_library
            }
            UiCommand::ShowAssetInFileManager => a.project_open && a.asset_selected,
            UiCommand::CopyAssetToProject => {
                a.project_open && a.asset_selected && a.asset_in_library
            }
            UiCommand::CompareTakes => a.project_open && a.shot_takes >= 2,
            UiCommand::CleanUpTakes => a.project_open && a.shot_takes > 0,
            UiCommand::DeleteTake => a.project_open && a.take_selected,
            UiCommand::MarkNotificationsRead => a.unread,
            UiCommand::SaveSettings | UiCommand::RevertSettings => a.settings_dirty,
            UiCommand::TagCommit | UiCommand::AddChapter => a.project_open,
            UiCommand::AddScene => a.project_open && a.story != StoryLevel::Project,
            UiCommand::AddShot => {
                a.project_open && matches!(a.story, StoryLevel::Scene | StoryLevel::Shot)
            }
            UiCommand::RenameSelected => a.project_open,
            UiCommand::UndoStoryEdit => a.project_open && a.story_undoable,
            UiCommand::DeleteSelected => a.project_open && a.story != StoryLevel::Project,
            UiCommand::CancelTask => a.task_cancellable,
            UiCommand::RetryTask => a.task_retryable,
            UiCommand::RaiseTaskPriority
            | UiCommand::LowerTaskPriority
            | UiCommand::MoveTaskUp
            | UiCommand::MoveTaskDown => a.task_queued,
            UiCommand::ApproveTake
            | UiCommand::RejectTake
            | UiCommand::StarTake
            | UiCommand::ActivateTake => a.project_open && a.take_selected,
            UiCommand::CopyCommitHash | UiCommand::RollBack => a.project_open && a.commit_selected,
            UiCommand::TrackLfsPattern => a.project_open,
            UiCommand::RestoreMedia => a.project_open && a.media_missing,
            _ => true,
        }
    }

    pub fn label(self) -> String {
        match self {
            UiCommand::ShowTab(t) => format!("Show {}", t.title()),
            UiCommand::NextTab => "Next tab".into(),
            UiCommand::PreviousTab => "Previous tab".into(),
            UiCommand::OpenSettings => "Open settings".into(),
            UiCommand::CommandPalette => "Command palette".into(),
            UiCommand::ShowShortcuts => "Keyboard shortcuts".into(),
            UiCommand::NewProject => "New project…".into(),
            UiCommand::ImportAssets => "Import assets…".into(),
            UiCommand::RunFunction => "Run function…".into(),
            UiCommand::GenerateTake => "Generate take…".into(),
            UiCommand::SaveSettings => "Save settings".into(),
            UiCommand::RevertSettings => "Revert settings".into(),
            UiCommand::ToggleTheme => "Toggle light/dark theme".into(),
            UiCommand::ToggleLeftPanel => "Toggle project browser".into(),
            UiCommand::ToggleRightPanel => "Toggle properties and progress".into(),
            UiCommand::PauseQueue => "Pause task queue".into(),
            UiCommand::ResumeQueue => "Resume task queue".into(),
            UiCommand::CopySystemInfo => "Copy system info".into(),
            UiCommand::RefreshSystemStatus => "Refresh Docker/GPU/git status".into(),
            UiCommand::DeleteProject => "Delete project…".into(),
            UiCommand::DismissCommitGuard => "Cancel the pending commit".into(),
            UiCommand::MarkNotificationsRead => "Mark notifications read".into(),
            UiCommand::CommitChanges => "Commit changes…".into(),
            UiCommand::GitPush => "Push to remote".into(),
            UiCommand::GitPull => "Pull from remote".into(),
            UiCommand::RefreshGit => "Refresh git status".into(),
            UiCommand::AddRemote => "Add remote…".into(),
            UiCommand::TagCommit => "Tag a commit…".into(),
            UiCommand::AddChapter => "Add chapter…".into(),
            UiCommand::AddScene => "Add scene…".into(),
            UiCommand::AddShot => "Add shot…".into(),
            UiCommand::RenameSelected => "Rename…".into(),
            UiCommand::DeleteSelected => "Delete selected…".into(),
            UiCommand::UndoStoryEdit => "Undo story edit".into(),
            UiCommand::CancelTask => "Cancel the selected task".into(),
            UiCommand::RetryTask => "Retry the selected task".into(),
            UiCommand::RaiseTaskPriority => "Raise the selected task's priority".into(),
            UiCommand::LowerTaskPriority => "Lower the selected task's priority".into(),
            UiCommand::MoveTaskUp => "Move the selected task up the queue".into(),
            UiCommand::MoveTaskDown => "Move the selected task down the queue".into(),
            UiCommand::ApproveTake => "Approve the selected take".into(),
            UiCommand::RejectTake => "Reject the selected take".into(),
            UiCommand::StarTake => "Star or unstar the selected take".into(),
            UiCommand::ActivateTake => "Make the selected take active".into(),
            UiCommand::CopyCommitHash => "Copy the selected commit's hash".into(),
            UiCommand::RollBack => "Roll back to the selected commit…".into(),
            UiCommand::TrackLfsPattern => "Track files with LFS…".into(),
            UiCommand::RestoreMedia => "Restore media left as LFS pointers".into(),
            UiCommand::MoveSelectedUp => "Move the selected story item up".into(),
            UiCommand::MoveSelectedDown => "Move the selected story item down".into(),
            UiCommand::LinkAssetToShot => "Link an asset to the selected shot…".into(),
            UiCommand::CloseProject => "Close project (back to the project list)".into(),
            UiCommand::UpgradeProject => "Upgrade project format".into(),
            UiCommand::RenameAsset => "Rename the selected asset…".into(),
            UiCommand::DeleteAsset => "Delete the selected asset…".into(),
            UiCommand::ShowAssetInFileManager => {
                "Show the selected asset in the file manager".into()
            }
            UiCommand::CopyAssetToProject => {
                "Copy the selected library asset to the project".into()
            }
            UiCommand::CompareTakes => "Compare takes".into(),
            UiCommand::DeleteTake => "Delete the selected take".into(),
            UiCommand::CleanUpTakes => "Clean up the shot's takes…".into(),
            UiCommand::CommitAnyway => "Commit anyway (large files in git)".into(),
            UiCommand::TrackAllAndCommit => "Track the large files with LFS and commit".into(),
            UiCommand::UntrackLfsPattern => "Stop tracking an LFS pattern…".into(),
            UiCommand::Quit => "Quit Slate".into(),
        }
    }

    pub fn tooltip(self) -> &'static str {
        match self {
            UiCommand::ShowTab(_) => "Switch the main view",
            UiCommand::NextTab | UiCommand::PreviousTab => "Cycle through the main view's tabs",
            UiCommand::OpenSettings => "Theme, workspace, runner and notification settings",
            UiCommand::CommandPalette => "Search every command by name",
            UiCommand::ShowShortcuts => "List every keyboard shortcut",
            UiCommand::NewProject => "Create a film project in the workspace",
            UiCommand::ImportAssets => {
                "Copy character sheets, locations, music, scripts or models into the project"
            }
            UiCommand::RunFunction => "Pick a function, fill its inputs and queue a task",
            UiCommand::GenerateTake => {
                "Run a function for the selected shot; its output becomes the shot's next take"
            }
            UiCommand::SaveSettings => "Write the edited settings to disk",
            UiCommand::RevertSettings => "Drop unsaved settings edits",
            UiCommand::ToggleTheme => "Switch between the light and dark theme",
            UiCommand::ToggleLeftPanel => "Show or hide the left panel",
            UiCommand::ToggleRightPanel => "Show or hide the right panel",
            UiCommand::PauseQueue => "Running tasks finish; queued ones wait",
            UiCommand::ResumeQueue => "Start queued tasks again",
            UiCommand::CopySystemInfo => "Copy versions and paths for a bug report",
            UiCommand::RefreshSystemStatus => "Probe Docker, the GPU driver, git and git-lfs again",
            UiCommand::DeleteProject => "Move the open project to the trash (asks first)",
            UiCommand::DismissCommitGuard => "Drop a commit that is waiting on large files",
            UiCommand::MarkNotificationsRead => "Clear the unread badge",
            UiCommand::CommitChanges => "Open the Git tab with the commit message box focused",
            UiCommand::GitPush => "Send commits and LFS files to origin",
            UiCommand::GitPull => "Fetch and merge commits and LFS files from origin",
            UiCommand::RefreshGit => "Read the project's git status again",
            UiCommand::AddRemote => "Give the project a remote to push to (its URL is checked)",
            UiCommand::TagCommit => "Name a commit of the history (the Git tab's Tag field)",
            UiCommand::AddChapter => "Add a chapter to the story",
            UiCommand::AddScene => "Add a scene to the selected chapter",
            UiCommand::AddShot => "Add a shot to the selected scene",
            UiCommand::RenameSelected => {
                "Rename the selected chapter, scene or shot (or the project)"
            }
            UiCommand::DeleteSelected => "Delete the selected chapter, scene or shot (asks first)",
            UiCommand::UndoStoryEdit => {
                "Undo the last story edit made since the project opened (Ctrl+Z)"
            }
            UiCommand::CancelTask => "Stop the task selected in the Tasks tab",
            UiCommand::RetryTask => "Queue the selected failed or cancelled task again",
            UiCommand::RaiseTaskPriority => "Start the selected queued task sooner (+ in Tasks)",
            UiCommand::LowerTaskPriority => "Start the selected queued task later (− in Tasks)",
            UiCommand::MoveTaskUp => {
                "Swap the selected queued task with the one before it (Alt+↑ in Tasks)"
            }
            UiCommand::MoveTaskDown => {
                "Swap the selected queued task with the one after it (Alt+↓ in Tasks)"
            }
            UiCommand::ApproveTake => "Mark the take selected on the Scene board approved (A)",
            UiCommand::RejectTake => "Mark the take selected on the Scene board rejected (R)",
            UiCommand::StarTake => "Star the take selected on the Scene board (S)",
            UiCommand::ActivateTake => "Use the selected take for its shot (Space)",
            UiCommand::CopyCommitHash => "Copy the full hash of the commit selected in the Git tab",
            UiCommand::RollBack => {
                "Show the rollback choices (soft, mixed, hard) for the selected commit"
            }
            UiCommand::TrackLfsPattern => "Open the Git tab's LFS pattern field",
            UiCommand::RestoreMedia => "Write the media of LFS files left as pointer text",
            UiCommand::MoveSelectedUp => {
                "Swap the selected chapter, scene or shot with the one before it"
            }
            UiCommand::MoveSelectedDown => {
                "Swap the selected chapter, scene or shot with the one after it"
            }
            UiCommand::LinkAssetToShot => "Focus the shot's Link asset list (Space opens it)",
            UiCommand::CloseProject => "Close the open project and list all projects",
            UiCommand::UpgradeProject => {
                "Rewrite project.json in the web studio's format, in one commit"
            }
            UiCommand::RenameAsset => "Open the Assets tab's New name field for the selected asset",
            UiCommand::DeleteAsset => "Move the selected asset to the trash (asks first)",
            UiCommand::ShowAssetInFileManager => "Open the asset's folder in the file manager",
            UiCommand::CopyAssetToProject => {
                "Copy the library asset selected in the Assets tab into the open project"
            }
            UiCommand::CompareTakes => {
                "Compare the active and the newest take of the shot on the board (C)"
            }
            UiCommand::DeleteTake => {
                "Delete the take selected on the Scene board (Delete; Ctrl+Z undoes)"
            }
            UiCommand::CleanUpTakes => "Delete all but the newest takes of the shot (asks first)",
            UiCommand::CommitAnyway => {
                "Commit the waiting change with its large files in plain git"
            }
            UiCommand::TrackAllAndCommit => "Track every large file's type with LFS, then commit",
            UiCommand::UntrackLfsPattern => "Open the Git tab's LFS patterns, each with Remove",
            UiCommand::Quit => "Close the window; running tasks are kept and recovered",
        }
    }

    pub fn shortcut(self) -> Option<KeyboardShortcut> {
        let k = |m, key| Some(KeyboardShortcut::new(m, key));
        match self {
            UiCommand::ShowTab(t) => {
                const KEYS: [Key; 7] = [
                    Key::Num1,
                    Key::Num2,
                    Key::Num3,
                    Key::Num4,
                    Key::Num5,
                    Key::Num6,
                    Key::Num7,
                ];
                k(CTRL, KEYS[t.index()])
            }
            UiCommand::NextTab => k(CTRL, Key::Tab),
            UiCommand::PreviousTab => k(CTRL_SHIFT, Key::Tab),
            UiCommand::OpenSettings => k(CTRL, Key::Comma),
            UiCommand::CommandPalette => k(CTRL, Key::K),
            UiCommand::ShowShortcuts => k(Modifiers::NONE, Key::F1),
            UiCommand::NewProject => k(CTRL, Key::N),
            UiCommand::ImportAssets => k(CTRL, Key::I),
            UiCommand::RunFunction => k(CTRL, Key::R),
            UiCommand::GenerateTake => k(CTRL, Key::G),
            UiCommand::SaveSettings => k(CTRL, Key::S),
            UiCommand::ToggleLeftPanel => k(CTRL, Key::B),
            UiCommand::ToggleRightPanel => k(CTRL_SHIFT, Key::B),
            UiCommand::Quit => k(CTRL, Key::Q),
            _ => None,
        }
    }
}

/// Keys that act inside one view (not commands of their own), listed with the global
/// shortcuts in F1 and Settings → Shortcuts.
pub const VIEW_KEYS: &[(&str, &str)] = &[
    ("Undo the last story edit (no text field focused)", "Ctrl+Z"),
    ("Tasks: select a task", "↑ / ↓"),
    ("Tasks: extend the selection", "Shift+↑ / Shift+↓"),
    ("Tasks: move a queued task", "Alt+↑ / Alt+↓"),
    ("Tasks: cancel the selection", "Delete"),
    ("Tasks: retry the selection", "Ctrl+Enter"),
    ("Tasks: raise / lower priority", "+ / −"),
    ("Scene: select a take", "Left / Right"),
    ("Scene: open a take full-size / close", "Enter / Esc"),
    ("Scene: set the active take", "Space"),
    ("Scene: approve / reject / star", "A / R / S"),
    ("Scene: delete a take / undo", "Delete / Ctrl+Z"),
    ("Scene: compare (active and newest)", "C"),
    ("Compare: flip A and B / wipe direction", "1, 2 / H, V"),
    ("Story tree: row above / below", "↑ / ↓"),
    ("Story tree: into a chapter or scene / back out", "→ / ←"),
    ("Git: commit from the message box", "Enter"),
    ("Git: select a commit of the history", "↑ / ↓"),
    ("Dialogs: run / create", "Enter"),
    ("Dialogs and the palette: close", "Esc"),
    ("Move focus between controls", "Tab / Shift+Tab"),
];

/// Every shortcut in a two-column grid (F1 and Settings → Shortcuts); `all_commands`
/// also lists commands that have no shortcut (reachable from the palette).
pub fn shortcuts_grid(ui: &mut egui::Ui, id: &str, all_commands: bool) {
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        for cmd in UiCommand::ALL {
            if all_commands || cmd.shortcut().is_some() {
                ui.label(cmd.label());
                ui.monospace(shortcut_text(ui.ctx(), cmd));
                ui.end_row();
            }
        }
        for (what, keys) in VIEW_KEYS {
            ui.label(*what);
            ui.monospace(*keys);
            ui.end_row();
        }
    });
}

/// Shortcut text in the form users read in menus: `Ctrl+K`.
pub fn shortcut_text(ctx: &egui::Context, cmd: UiCommand) -> String {
    cmd.shortcut()
        .map(|s| ctx.format_shortcut(&s))
        .unwrap_or_default()
}

/// The command whose shortcut was pressed this frame, consuming the key press.
pub fn pressed(ctx: &egui::Context) -> Option<UiCommand> {
    // Ctrl+Shift+B must be tested before Ctrl+B, as Ctrl+Shift+Tab before Ctrl+Tab.
    let mut order: Vec<UiCommand> = UiCommand::ALL.to_vec();
    order.sort_by_key(|c| c.shortcut().map(|s| !s.modifiers.shift));
    ctx.input_mut(|i| {
        order
            .into_iter()
            .find(|c| c.shortcut().is_some_and(|s| i.consume_shortcut(&s)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_commands_share_a_shortcut() {
        let mut seen = std::collections::HashSet::new();
        for c in UiCommand::ALL {
            if let Some(s) = c.shortcut() {
                assert!(
                    seen.insert((s.modifiers.shift, s.modifiers.command, s.logical_key)),
                    "{c:?}"
                );
            }
        }
    }
}
