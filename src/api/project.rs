//! Requests on one project by name: the vocabulary of `/v1/projects/{project}/…`.

use serde::{Deserialize, Serialize};

use crate::model::git::ResetMode;
use crate::model::project::StructureEdit;

/// One request on a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ProjectOp {
    /// Its manifest (with the story), takes and assets.
    Show,
    Edit {
        edit: StructureEdit,
    },
    Upgrade,
    GitStatus,
    GitLog {
        skip: usize,
        limit: usize,
    },
    /// Files a commit changed.
    GitShow {
        commit: String,
    },
    GitCommit {
        message: String,
        #[serde(default)]
        prefix: Option<String>,
        #[serde(default)]
        allow_large: bool,
    },
    GitTag {
        name: String,
        #[serde(default)]
        message: Option<String>,
    },
    GitTags,
    GitRollback {
        commit: String,
        mode: ResetMode,
    },
    GitRestoreMedia,
    LfsStatus,
    LfsFiles,
    LfsTrack {
        pattern: String,
    },
    LfsUntrack {
        pattern: String,
    },
}

/// What an op changed, so the owner of an open project can show it at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touches {
    Nothing,
    /// Files, the index or HEAD.
    Git,
    /// The story (and so files and git).
    Story,
}

impl ProjectOp {
    pub fn touches(&self) -> Touches {
        match self {
            Self::Show
            | Self::GitStatus
            | Self::GitLog { .. }
            | Self::GitShow { .. }
            | Self::GitTags
            | Self::LfsStatus
            | Self::LfsFiles => Touches::Nothing,
            Self::Edit { .. } | Self::Upgrade | Self::GitRollback { .. } => Touches::Story,
            Self::GitCommit { .. }
            | Self::GitTag { .. }
            | Self::GitRestoreMedia
            | Self::LfsTrack { .. }
            | Self::LfsUntrack { .. } => Touches::Git,
        }
    }
}
