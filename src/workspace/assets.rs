//! Reading assets in the web studio's layout (services/assets.py,
//! services/asset_operations.py, services/workspace.py):
//!
//! ```text
//! <Project>/01_Assets/<Category>/<Name>_<id8>/asset.json   (+ the asset's files)
//! <Project>/01_Assets/Characters/<Name>/{base,lora,variations}/   (character folders)
//! <Workspace>/Library/<Category>/<Name>_<id8>/asset.json   (shared between projects)
//! ```
//!
//! Only reading: links are never followed and a bad `asset.json` makes that asset carry
//! an error instead of failing the scan.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::workspace::takes::{files, is_real_dir, read_json, subdirs};

pub const ASSETS_DIR: &str = "01_Assets";
pub const ASSET_FILE: &str = "asset.json";
/// The workspace-level asset library (not a project).
pub const LIBRARY_DIR: &str = "Library";

/// `asset.json`, as the web studio writes it (snake_case dates, a `files` map).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AssetMeta {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `Characters`, `Styles`, `Locations`, `Music`.
    #[serde(default)]
    pub category: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub metadata: Value,
    /// File role (`image`, `model`, …) → file name in the asset folder.
    #[serde(default)]
    pub files: Value,
    #[serde(default)]
    pub preview: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a character folder holds: base face images, LoRA files, variations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharacterParts {
    pub base: usize,
    pub lora: usize,
    pub variations: usize,
}

/// One asset folder. Paths are relative to the project (or to the workspace for the
/// library).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// The category folder (`Characters`, …).
    pub category: String,
    pub path: String,
    /// From `asset.json`, else the folder name.
    pub name: String,
    pub id: Option<String>,
    pub meta: Option<AssetMeta>,
    /// Files in the folder and below (`asset.json` and `.gitkeep` not counted).
    pub files: usize,
    pub character: Option<CharacterParts>,
    /// Why `asset.json` could not be read, when it could not.
    pub error: Option<String>,
}

/// Asset folders of a project: `01_Assets/<Category>/<folder>/`.
pub fn scan_project(project: &Path) -> Vec<Asset> {
    scan(project, ASSETS_DIR)
}

/// Asset folders of the workspace library: `Library/<Category>/<folder>/`.
pub fn scan_library(workspace: &Path) -> Vec<Asset> {
    scan(workspace, LIBRARY_DIR)
}

/// Asset folders of a project, counted without reading them (for the project list).
pub fn count_project(project: &Path) -> usize {
    let base = project.join(ASSETS_DIR);
    if !is_real_dir(&base) {
        return 0;
    }
    subdirs(&base)
        .iter()
        .map(|c| {
            subdirs(&base.join(c))
                .iter()
                .filter(|f| !f.starts_with('.'))
                .count()
        })
        .sum()
}

fn scan(root: &Path, dir: &str) -> Vec<Asset> {
    let base = root.join(dir);
    let mut out = Vec::new();
    if !is_real_dir(&base) {
        return out;
    }
    for category in subdirs(&base) {
        for folder in subdirs(&base.join(&category)) {
            if folder.starts_with('.') {
                continue;
            }
            out.push(read_asset(
                root,
                &format!("{dir}/{category}/{folder}"),
                &category,
                &folder,
            ));
        }
    }
    out
}

fn read_asset(root: &Path, rel: &str, category: &str, folder: &str) -> Asset {
    let dir = root.join(rel);
    let mut asset = Asset {
        category: category.into(),
        path: rel.into(),
        name: folder.into(),
        id: None,
        meta: None,
        files: count_files(&dir, 0),
        character: None,
        error: None,
    };
    if std::fs::symlink_metadata(dir.join(ASSET_FILE)).is_ok() {
        match read_json::<AssetMeta>(&dir.join(ASSET_FILE)) {
            Ok(m) => {
                if !m.name.is_empty() {
                    asset.name = m.name.clone();
                }
                asset.id = (!m.id.is_empty()).then(|| m.id.clone());
                asset.meta = Some(m);
            }
            Err(e) => asset.error = Some(format!("{rel}/{ASSET_FILE}: {e}")),
        }
    }
    if category == "Characters" {
        let parts = |sub: &str| count_files(&dir.join(sub), 0);
        asset.character = Some(CharacterParts {
            base: parts("base"),
            lora: parts("lora"),
            variations: parts("variations"),
        });
    }
    asset
}

/// Regular files under `dir`, not following links, at most a few levels deep.
fn count_files(dir: &Path, depth: usize) -> usize {
    if depth > 4 || !is_real_dir(dir) {
        return 0;
    }
    let here = files(dir)
        .iter()
        .filter(|n| *n != ".gitkeep" && *n != ASSET_FILE)
        .count();
    here + subdirs(dir)
        .iter()
        .map(|d| count_files(&dir.join(d), depth + 1))
        .sum::<usize>()
}
