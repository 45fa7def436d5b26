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

pub use crate::model::asset::{
    ASSET_FILE, ASSETS_DIR, Asset, AssetMeta, CharacterParts, LIBRARY_DIR,
};
use crate::workspace::takes::{files, is_real_dir, read_json, subdirs};

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
