//! A project's assets and takes under `/v1/projects/{project}/…`: the same
//! [`ProjectOp`]s the CLI runs in-process, so the window shows each change at once.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{Body, Path, Query};
use super::routes::Shared;
use crate::api::ApiError;
use crate::api::ErrorBody;
use crate::api::project::{ProjectOp, ShotNumbers};
use crate::model::asset::Category;
use crate::model::take::{Review, TakeAction};

type State = axum::extract::State<Shared>;
type Reply = Result<axum::Json<Value>, ApiError>;

async fn op(st: &Shared, project: String, op: ProjectOp) -> Reply {
    st.api.workspace.op(project, op).await.map(axum::Json)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetsQuery {
    /// The workspace Library's assets instead of the project's.
    #[serde(default)]
    library: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CategoryDoc {
    Character,
    Style,
    Location,
    Music,
    Script,
    Model,
}

/// Files to import, read on the machine Slate runs on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// Absolute paths of files or folders (folders are searched for files).
    #[schema(value_type = Vec<String>)]
    pub files: Vec<PathBuf>,
    /// Default: from the file type, where that is unambiguous.
    #[serde(default)]
    #[schema(value_type = Option<CategoryDoc>)]
    pub category: Option<Category>,
    /// The asset's name (default: the file name without its extension).
    #[serde(default)]
    pub name: Option<String>,
    /// Commit the new assets (default true).
    #[serde(default)]
    pub commit: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    pub new_name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LibraryCopyBody {
    /// `Library/<Category>/<folder>`, the folder name, id or name.
    pub asset: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TakesQuery {
    /// Only this shot's takes: chapter, scene and shot numbers from 1 (all three).
    #[param(minimum = 1, maximum = 100_000)]
    chapter: Option<u32>,
    #[param(minimum = 1, maximum = 100_000)]
    scene: Option<u32>,
    #[param(minimum = 1, maximum = 100_000)]
    shot: Option<u32>,
}

/// One take of one shot, by numbers from 1 as `slate project show` lists them.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TakePath {
    /// The project's folder name in the workspace.
    project: String,
    #[param(minimum = 1, maximum = 100_000)]
    chapter: u32,
    #[param(minimum = 1, maximum = 100_000)]
    scene: u32,
    #[param(minimum = 1, maximum = 100_000)]
    shot: u32,
    /// The take's number (7 for `take_007`).
    #[param(minimum = 1, maximum = 100_000)]
    take: u32,
    #[param(inline)]
    action: TakeVerb,
}

/// What to do to a take.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TakeVerb {
    Activate,
    Approve,
    Reject,
    Star,
    Unstar,
    Delete,
    Restore,
}

impl TakeVerb {
    fn action(self) -> TakeAction {
        match self {
            Self::Activate => TakeAction::Activate,
            Self::Approve => TakeAction::Review(Review::Approved),
            Self::Reject => TakeAction::Review(Review::Rejected),
            Self::Star => TakeAction::Star(true),
            Self::Unstar => TakeAction::Star(false),
            Self::Delete => TakeAction::Delete,
            Self::Restore => TakeAction::Restore,
        }
    }
}

/// The project's assets (or, with `library=true`, the workspace Library's).
#[utoipa::path(get, path = "/v1/projects/{project}/assets", tag = "assets",
    params(("project" = String, Path, description = "The project's folder name in the workspace"), AssetsQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_assets(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Query(q): Query<AssetsQuery>,
) -> Reply {
    let library = q.library.unwrap_or(false);
    op(&st, p, ProjectOp::AssetList { library }).await
}

/// One asset (folder, folder name, id or name) and the shots that use it.
#[utoipa::path(get, path = "/v1/projects/{project}/assets/{asset}", tag = "assets",
    params(("project" = String, Path, description = "The project's folder name in the workspace"),
        ("asset" = String, Path, description = "The asset's folder, folder name, id or name")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_asset(
    axum::extract::State(st): State,
    Path((p, asset)): Path<(String, String)>,
) -> Reply {
    op(&st, p, ProjectOp::AssetShow { asset }).await
}

/// Import files as assets (`01_Assets/<Category>/<Name>_<id8>/` with `asset.json`), media
/// under LFS, in one commit. The reply lists what was imported and what was not, and why.
#[utoipa::path(post, path = "/v1/projects/{project}/assets", tag = "assets", request_body = ImportBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn import_assets(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(b): Body<ImportBody>,
) -> Reply {
    let import = ProjectOp::AssetImport {
        files: b.files,
        category: b.category,
        name: b.name,
        commit: b.commit.unwrap_or(true),
    };
    op(&st, p, import).await
}

/// Stop the asset import in progress (any client's, the window's too): it ends with
/// `cancelled: true` and leaves nothing behind.
#[utoipa::path(post, path = "/v1/projects/{project}/assets/cancel-import", tag = "assets",
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn cancel_import(
    axum::extract::State(st): State,
    Path(_p): Path<String>,
) -> axum::Json<Value> {
    st.api.workspace.command(crate::api::Command::CancelImport);
    axum::Json(serde_json::json!({ "cancelling": true }))
}

/// Rename an asset (its name and folder), in one commit.
#[utoipa::path(post, path = "/v1/projects/{project}/assets/{asset}/rename", tag = "assets", request_body = RenameBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace"),
        ("asset" = String, Path, description = "The asset's folder, folder name, id or name")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn rename_asset(
    axum::extract::State(st): State,
    Path((p, asset)): Path<(String, String)>,
    Body(b): Body<RenameBody>,
) -> Reply {
    let rename = ProjectOp::AssetRename {
        asset,
        new_name: b.new_name,
    };
    op(&st, p, rename).await
}

/// Move an asset to the trash and commit its removal.
#[utoipa::path(delete, path = "/v1/projects/{project}/assets/{asset}", tag = "assets",
    params(("project" = String, Path, description = "The project's folder name in the workspace"),
        ("asset" = String, Path, description = "The asset's folder, folder name, id or name")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn delete_asset(
    axum::extract::State(st): State,
    Path((p, asset)): Path<(String, String)>,
) -> Reply {
    op(&st, p, ProjectOp::AssetDelete { asset }).await
}

/// Copy an asset of the workspace Library into the project (a new id), in one commit.
#[utoipa::path(post, path = "/v1/projects/{project}/library-copies", tag = "assets", request_body = LibraryCopyBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn copy_from_library(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(b): Body<LibraryCopyBody>,
) -> Reply {
    op(&st, p, ProjectOp::AssetCopyFromLibrary { asset: b.asset }).await
}

/// Takes of every shot (or of one: give chapter, scene and shot), with review state.
#[utoipa::path(get, path = "/v1/projects/{project}/takes", tag = "takes",
    params(("project" = String, Path, description = "The project's folder name in the workspace"), TakesQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_takes(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Query(q): Query<TakesQuery>,
) -> Reply {
    let shot = match (q.chapter, q.scene, q.shot) {
        (None, None, None) => None,
        (Some(chapter), Some(scene), Some(shot)) => Some(ShotNumbers {
            chapter: chapter as usize,
            scene: scene as usize,
            shot: shot as usize,
        }),
        _ => {
            return Err(ApiError::invalid(
                "give chapter, scene and shot together, or none of them",
                Vec::new(),
            ));
        }
    };
    op(&st, p, ProjectOp::TakeList { shot }).await
}

/// Activate, approve, reject, star, unstar, delete (restorable) or restore a take,
/// committed when Settings say so.
#[utoipa::path(post, path = "/v1/projects/{project}/shots/{chapter}/{scene}/{shot}/takes/{take}/{action}",
    tag = "takes", params(TakePath),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn take_action(axum::extract::State(st): State, Path(t): Path<TakePath>) -> Reply {
    let shot = ShotNumbers {
        chapter: t.chapter as usize,
        scene: t.scene as usize,
        shot: t.shot as usize,
    };
    let action = t.action.action();
    op(
        &st,
        t.project,
        ProjectOp::TakeAction {
            shot,
            take: t.take,
            action,
        },
    )
    .await
}
