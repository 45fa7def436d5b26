//! One module per view. Each gets a [`ViewCtx`]: the read-only view model and ways to
//! act (core commands, UI commands). Views own only their own widget state.

pub mod assets;
pub mod board;
pub mod git;
pub mod gpu;
pub mod new_project;
pub mod progress_area;
pub mod project_browser;
pub mod run_dialog;
pub mod settings;
pub mod status_bar;
pub mod story;
pub mod tasks;
pub mod toasts;

use crate::core::CommandSender;
use crate::model::task::TaskId;
use crate::ui::commands::UiCommand;
use crate::ui::view_model::ViewModel;

pub struct ViewCtx<'a> {
    pub vm: &'a ViewModel,
    pub commands: &'a CommandSender,
    /// UI commands a view asks for (buttons go through the same path as shortcuts).
    pub ui_commands: &'a mut Vec<UiCommand>,
    pub selected_task: &'a mut Option<TaskId>,
    pub now_ms: u64,
    /// The failure count the progress area last opened itself for.
    pub progress_expanded_for: u64,
}

/// What a view says with no project open: with projects listed on the left, open one
/// from there (Ctrl+N alone would read as if there were none).
pub fn no_project_hint(vm: &crate::ui::view_model::ViewModel) -> String {
    if vm.projects.is_empty() {
        "No project open — press Ctrl+N to create one".into()
    } else {
        "No project open — open one from the list on the left, or press Ctrl+N for a new one".into()
    }
}
