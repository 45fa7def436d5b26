//! Where Slate keeps its files: settings, database, logs, UI state, and the workspace root.

use std::path::{Path, PathBuf};

/// Resolved locations for one Slate instance. Several studios can share a machine by
/// pointing `--data-dir` / `--workspace` elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Paths {
    /// Settings, task database, logs and UI state live here.
    pub data_dir: PathBuf,
    /// The TOML settings file.
    pub settings_file: PathBuf,
    /// Workspace root given on the command line or in the environment; it wins over the
    /// one in the settings file.
    pub workspace_override: Option<PathBuf>,
}

impl Paths {
    /// Resolves paths from the optional overrides, falling back to the platform's
    /// config and data folders.
    pub fn resolve(data_dir: Option<PathBuf>, workspace: Option<PathBuf>) -> Self {
        match data_dir {
            Some(dir) => Self::in_dir(&dir, workspace),
            None => {
                let dirs = directories::ProjectDirs::from("studio", "Slate", "slate");
                let (config, data) = match &dirs {
                    Some(d) => (d.config_dir().to_owned(), d.data_local_dir().to_owned()),
                    None => (PathBuf::from(".slate"), PathBuf::from(".slate")),
                };
                Self {
                    data_dir: data,
                    settings_file: config.join("settings.toml"),
                    workspace_override: workspace.map(absolute),
                }
            }
        }
    }

    /// Everything inside one folder (tests, portable installs).
    pub fn in_dir(dir: &Path, workspace: Option<PathBuf>) -> Self {
        let dir = absolute(dir.to_owned());
        Self {
            settings_file: dir.join("settings.toml"),
            data_dir: dir,
            workspace_override: workspace.map(absolute),
        }
    }

    pub fn database_file(&self) -> PathBuf {
        self.data_dir.join("tasks.redb")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// The user's function templates. In the data dir, not the workspace: a workspace
    /// folder is a project's namespace (a cloned project named `functions` must not
    /// become templates that replace built-ins such as `git/push`).
    pub fn functions_dir(&self) -> PathBuf {
        self.data_dir.join("functions")
    }

    pub fn ui_state_file(&self) -> PathBuf {
        self.data_dir.join("ui-state")
    }

    /// The workspace root in effect: the override, else the settings' value.
    pub fn workspace_root(&self, settings: &crate::settings::Settings) -> PathBuf {
        self.workspace_override
            .clone()
            .unwrap_or_else(|| settings.workspace.root.clone())
    }
}

fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

pub use crate::settings::default_workspace_root;
