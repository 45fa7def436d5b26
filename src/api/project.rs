//! Requests on one project by name: the vocabulary of `/v1/projects/{project}/…`.

use serde::{Deserialize, Serialize};

use std::path::PathBuf;

use crate::model::asset::Category;
use crate::model::git::ResetMode;
use crate::model::project::StructureEdit;
use crate::model::take::TakeAction;

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
    /// Renames the project (its name and folder).
    Rename {
        new_name: String,
    },
    /// Moves the project to the trash, or deletes it for good.
    Delete {
        #[serde(default)]
        permanently: bool,
    },
    /// The project's assets, or (with `library`) the workspace Library's.
    AssetList {
        #[serde(default)]
        library: bool,
    },
    /// One asset (its folder, folder name, id or name) and the shots that use it.
    AssetShow {
        asset: String,
    },
    /// Copies files (or every file in a folder) into `01_Assets/<Category>/…` and
    /// commits them. The files are read where the core runs.
    AssetImport {
        files: Vec<PathBuf>,
        #[serde(default)]
        category: Option<Category>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default = "yes")]
        commit: bool,
    },
    AssetRename {
        asset: String,
        new_name: String,
    },
    /// Moves an asset to the trash and commits its removal.
    AssetDelete {
        asset: String,
    },
    /// Copies an asset of the workspace Library into the project.
    AssetCopyFromLibrary {
        asset: String,
    },
    /// Takes of every shot, or of one shot (numbers from 1, as `slate project show`
    /// lists them).
    TakeList {
        #[serde(default)]
        shot: Option<ShotNumbers>,
    },
    /// A review action on take `take` of a shot.
    TakeAction {
        shot: ShotNumbers,
        take: u32,
        action: TakeAction,
    },
}

/// A shot by its place: chapter, scene and shot numbers, each from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShotNumbers {
    pub chapter: usize,
    pub scene: usize,
    pub shot: usize,
}

impl ShotNumbers {
    /// `CHAPTER.SCENE.SHOT`, like `1.2.3`.
    pub fn parse(s: &str) -> Option<Self> {
        let n: Vec<usize> = s
            .split('.')
            .map(|n| n.trim().parse())
            .collect::<Result<_, _>>()
            .ok()?;
        match n[..] {
            [chapter, scene, shot] => Some(Self {
                chapter,
                scene,
                shot,
            }),
            _ => None,
        }
    }
}

impl std::fmt::Display for ShotNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.chapter, self.scene, self.shot)
    }
}

fn yes() -> bool {
    true
}

/// What an op changed, so the owner of an open project can show it at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touches {
    Nothing,
    /// Files, the index or HEAD.
    Git,
    /// The story (and so files and git).
    Story,
    /// Its folder: renamed or gone.
    Folder,
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
            | Self::LfsFiles
            | Self::AssetList { .. }
            | Self::AssetShow { .. }
            | Self::TakeList { .. } => Touches::Nothing,
            // Assets and takes are files, commits and the manifest's links: reopen.
            Self::Edit { .. }
            | Self::Upgrade
            | Self::GitRollback { .. }
            | Self::AssetImport { .. }
            | Self::AssetRename { .. }
            | Self::AssetDelete { .. }
            | Self::AssetCopyFromLibrary { .. }
            | Self::TakeAction { .. } => Touches::Story,
            Self::Rename { .. } | Self::Delete { .. } => Touches::Folder,
            Self::GitCommit { .. }
            | Self::GitTag { .. }
            | Self::GitRestoreMedia
            | Self::LfsTrack { .. }
            | Self::LfsUntrack { .. } => Touches::Git,
        }
    }
}
