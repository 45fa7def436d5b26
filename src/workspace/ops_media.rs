//! The asset and take requests of [`ProjectOp`]: the same code for the API and for a CLI
//! that runs in-process.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};

use crate::api::ApiError;
use crate::api::project::{ProjectOp, ShotNumbers};
use crate::model::asset::{self, ImportOptions, ImportRequest};
use crate::model::take::{ShotFolder, TakeAction};
use crate::settings::Settings;
use crate::workspace::{asset_import, assets, project, take_store, takes};

fn refused(m: String) -> ApiError {
    ApiError::invalid(m, Vec::new())
}

/// The workspace a project sits in (its Library is there).
fn workspace_of(path: &Path) -> Result<&Path, ApiError> {
    path.parent()
        .ok_or_else(|| refused(format!("{} has no workspace folder", path.display())))
}

fn shot_folder(path: &Path, n: ShotNumbers) -> Result<ShotFolder, ApiError> {
    let manifest = project::read_manifest(path).map_err(refused)?;
    let r = take_store::shot_by_numbers(&manifest, n.chapter, n.scene, n.shot)
        .map_err(ApiError::not_found)?;
    Ok(ShotFolder::of(&r))
}

/// Runs an asset or take op on the project at `path` (slow: off the async workers). An
/// import or library copy stops cleanly, leaving nothing, when `cancel` rises.
pub fn run(
    path: &Path,
    op: ProjectOp,
    settings: &Settings,
    cancel: &AtomicBool,
) -> Result<Value, ApiError> {
    let project_assets = || assets::scan_project(path);
    let found = |list: &[asset::Asset], key: &str| {
        asset::find(list, key).cloned().map_err(ApiError::not_found)
    };
    match op {
        ProjectOp::AssetList { library } => {
            let list = if library {
                assets::scan_library(workspace_of(path)?)
            } else {
                project_assets()
            };
            Ok(json!({ "assets": list }))
        }
        ProjectOp::AssetShow { asset: key } => {
            let a = found(&project_assets(), &key)?;
            let manifest = project::read_manifest(path).map_err(refused)?;
            let shots =
                a.id.as_deref()
                    .map(|id| asset::shots_using(&manifest, id))
                    .unwrap_or_default();
            Ok(json!({ "asset": a, "shots": shots }))
        }
        ProjectOp::AssetImport {
            files,
            category,
            name,
            commit,
        } => {
            if let Some(f) = files.iter().find(|f| !f.is_absolute()) {
                return Err(ApiError::invalid(
                    format!("{} is not an absolute path", f.display()),
                    vec![crate::api::FieldProblem {
                        field: "files".into(),
                        message: "give absolute paths".into(),
                    }],
                ));
            }
            let options = ImportOptions {
                max_bytes: settings.workspace.asset_max_mib.saturating_mul(1024 * 1024),
                commit,
            };
            let request = ImportRequest {
                files,
                category,
                name,
            };
            let report = asset_import::import(path, &request, &options, cancel, &mut |_| {})
                .map_err(refused)?;
            Ok(json!(report))
        }
        ProjectOp::AssetRename {
            asset: key,
            new_name,
        } => {
            let a = found(&project_assets(), &key)?;
            let new = asset_import::rename(path, &a.path, &new_name).map_err(refused)?;
            Ok(json!({ "from": a.path, "path": new }))
        }
        ProjectOp::AssetDelete { asset: key } => {
            let a = found(&project_assets(), &key)?;
            let trash =
                asset_import::delete_to_trash(path, &a.path).map_err(ApiError::unavailable)?;
            Ok(json!({ "path": a.path, "trash": trash }))
        }
        ProjectOp::AssetCopyFromLibrary { asset: key } => {
            let ws = workspace_of(path)?;
            let a = found(&assets::scan_library(ws), &key)?;
            let report =
                asset_import::copy_from_library(ws, path, &a.path, cancel).map_err(refused)?;
            Ok(json!({ "from": a.path, "report": report }))
        }
        ProjectOp::TakeList { shot } => {
            take_store::recover(path, settings.workspace.commit_takes).map_err(refused)?;
            let mut index = takes::scan(path);
            if let Some(n) = shot {
                let f = shot_folder(path, n)?;
                index
                    .shots
                    .retain(|x| x.chapter == f.chapter && x.scene == f.scene && x.shot == f.shot);
            }
            Ok(json!(index))
        }
        ProjectOp::TakeAction { shot, take, action } => {
            let folder = shot_folder(path, shot)?;
            let known = take_store::read_shot(path, &folder)
                .takes
                .iter()
                .any(|t| t.number == take);
            if !known && action != TakeAction::Restore {
                return Err(ApiError::not_found(format!(
                    "shot {shot} has no {}",
                    crate::model::take::take_id(take)
                )));
            }
            let summary = take_store::apply(
                path,
                &folder,
                take,
                &action,
                settings.workspace.commit_takes,
            )
            .map_err(refused)?;
            Ok(json!({ "summary": summary }))
        }
        other => Err(ApiError::unavailable(format!(
            "{other:?} is not an asset or take request"
        ))),
    }
}

/// Binds a run to a shot of the project at `path`: the shot's stable ids, the commit
/// the run starts from, and the template's `from` inputs the caller left empty. The run
/// then becomes that shot's next take.
pub fn bind_shot(
    path: &Path,
    shot: ShotNumbers,
    inputs: &[crate::model::function::Input],
    params: &mut std::collections::BTreeMap<String, String>,
) -> Result<crate::model::task::ShotRef, ApiError> {
    let manifest = project::read_manifest(path).map_err(refused)?;
    let mut r = take_store::shot_by_numbers(&manifest, shot.chapter, shot.scene, shot.shot)
        .map_err(ApiError::not_found)?;
    r.project_dir = Some(path.to_path_buf());
    r.submitted_commit = crate::workspace::git::open(path).ok().and_then(|repo| {
        let id = repo.head().ok()?.peel_to_commit().ok()?.id();
        Some(id.to_string())
    });
    take_store::bind_inputs(inputs, &manifest, &r, params);
    Ok(r)
}
