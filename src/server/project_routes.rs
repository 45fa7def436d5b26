//! Projects, their story, git and LFS under `/v1/projects`. Each handler turns its
//! request into a [`ProjectOp`] for the workspace engine, which owns the open project:
//! what a client changes shows in the window at once.

use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{Body, Path, Query};
use super::routes::Shared;
use crate::api::project::ProjectOp;
use crate::api::{ApiError, ErrorBody};
use crate::model::git::ResetMode;
use crate::model::manifest::NarrativeTemplate;
use crate::model::project::StructureEdit;

type State = axum::extract::State<Shared>;
type Reply = Result<axum::Json<Value>, ApiError>;

async fn op(st: &Shared, project: String, op: ProjectOp) -> Reply {
    st.api.workspace.op(project, op).await.map(axum::Json)
}

/// A new project.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProjectBody {
    pub name: String,
    /// three-act (default), hero-journey, beat-sheet or story-circle.
    #[serde(default)]
    pub template: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitBody {
    pub message: String,
    /// feat, asset, render, fix, docs, story, chore or wip.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Commit large files that LFS does not track as plain git blobs.
    #[serde(default)]
    pub allow_large: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    pub name: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResetModeDoc {
    Soft,
    Mixed,
    Hard,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    pub commit: String,
    /// soft keeps changes staged, mixed unstaged, hard discards them (refused while
    /// there are uncommitted changes).
    pub mode: ResetModeDoc,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternBody {
    /// A gitattributes pattern, e.g. `*.exr`.
    pub pattern: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Commits to skip (newest first).
    #[serde(default)]
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<usize>,
    /// At most this many (default 50, at most 1000).
    #[serde(default)]
    #[param(minimum = 0, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Create a project with the Settings' LFS choice and default quality.
#[utoipa::path(post, path = "/v1/projects", tag = "projects", request_body = NewProjectBody,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create_project(
    axum::extract::State(st): State,
    Body(b): Body<NewProjectBody>,
) -> Result<(axum::http::StatusCode, axum::Json<Value>), ApiError> {
    let template = match b.template.as_deref() {
        None => NarrativeTemplate::ThreeAct,
        Some(t) => NarrativeTemplate::parse(t).ok_or_else(|| {
            ApiError::invalid(
                format!(
                    "unknown template {t:?}; use one of {}",
                    NarrativeTemplate::ALL.map(|t| t.id()).join(", ")
                ),
                Vec::new(),
            )
        })?,
    };
    let made = st.api.workspace.create(b.name, template).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(made)))
}

/// A project's manifest and story, takes and assets.
#[utoipa::path(get, path = "/v1/projects/{project}", tag = "projects",
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_project(axum::extract::State(st): State, Path(p): Path<String>) -> Reply {
    op(&st, p, ProjectOp::Show).await
}

/// One story edit (add, rename, move or delete a chapter, scene or shot; update a shot).
/// Indices start at 0. The body is a `StructureEdit`: `{"AddChapter": {"name": "Act 4"}}`.
#[utoipa::path(post, path = "/v1/projects/{project}/edit", tag = "projects", request_body = Object,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn edit_project(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(edit): Body<Value>,
) -> Reply {
    // Well-formed JSON that is no story edit is refused (422), naming what is wrong.
    let edit: StructureEdit = serde_json::from_value(edit)
        .map_err(|e| ApiError::invalid(format!("not a story edit: {e}"), Vec::new()))?;
    op(&st, p, ProjectOp::Edit { edit }).await
}

/// Upgrade a project made by an earlier Slate to the web studio's format (one commit).
#[utoipa::path(post, path = "/v1/projects/{project}/upgrade", tag = "projects",
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn upgrade_project(axum::extract::State(st): State, Path(p): Path<String>) -> Reply {
    op(&st, p, ProjectOp::Upgrade).await
}

/// Branch, staged, modified and untracked files, media not restored.
#[utoipa::path(get, path = "/v1/projects/{project}/git/status", tag = "git",
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn git_status(axum::extract::State(st): State, Path(p): Path<String>) -> Reply {
    op(&st, p, ProjectOp::GitStatus).await
}

/// History, newest first.
#[utoipa::path(get, path = "/v1/projects/{project}/git/log", tag = "git",
    params(("project" = String, Path, description = "The project's folder name in the workspace"), LogQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn git_log(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Query(q): Query<LogQuery>,
) -> Reply {
    let (skip, limit) = (q.skip.unwrap_or(0), q.limit.unwrap_or(50));
    op(&st, p, ProjectOp::GitLog { skip, limit }).await
}

/// The files a commit changed, with line counts.
#[utoipa::path(get, path = "/v1/projects/{project}/git/commits/{commit}", tag = "git",
    params(("project" = String, Path, description = "The project's folder name in the workspace"),
        ("commit" = String, Path, description = "A commit id, short id, tag or branch")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn git_show(
    axum::extract::State(st): State,
    Path((p, commit)): Path<(String, String)>,
) -> Reply {
    op(&st, p, ProjectOp::GitShow { commit }).await
}

/// Commit every change (media through LFS). Large files LFS does not track stop it
/// (409, each named in `fields`) unless `allow_large`.
#[utoipa::path(post, path = "/v1/projects/{project}/git/commit", tag = "git", request_body = CommitBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn git_commit(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(b): Body<CommitBody>,
) -> Reply {
    let op_ = ProjectOp::GitCommit {
        message: b.message,
        prefix: b.prefix,
        allow_large: b.allow_large,
    };
    op(&st, p, op_).await
}

/// Tags, newest first.
#[utoipa::path(get, path = "/v1/projects/{project}/git/tags", tag = "git",
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn git_tags(axum::extract::State(st): State, Path(p): Path<String>) -> Reply {
    op(&st, p, ProjectOp::GitTags).await
}

/// Tag HEAD.
#[utoipa::path(post, path = "/v1/projects/{project}/git/tags", tag = "git", request_body = TagBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn git_tag(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(b): Body<TagBody>,
) -> Reply {
    let op_ = ProjectOp::GitTag {
        name: b.name,
        message: b.message,
    };
    op(&st, p, op_).await
}

/// Move the branch back to a commit.
#[utoipa::path(post, path = "/v1/projects/{project}/git/rollback", tag = "git", request_body = RollbackBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn git_rollback(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(b): Body<RollbackBody>,
) -> Reply {
    let mode = match b.mode {
        ResetModeDoc::Soft => ResetMode::Soft,
        ResetModeDoc::Mixed => ResetMode::Mixed,
        ResetModeDoc::Hard => ResetMode::Hard,
    };
    let op_ = ProjectOp::GitRollback {
        commit: b.commit,
        mode,
    };
    op(&st, p, op_).await
}

/// Write the media of LFS files left as pointer text, from the local LFS store.
#[utoipa::path(post, path = "/v1/projects/{project}/git/restore-media", tag = "git",
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn git_restore_media(axum::extract::State(st): State, Path(p): Path<String>) -> Reply {
    op(&st, p, ProjectOp::GitRestoreMedia).await
}

/// Tracked patterns, LFS files, large untracked files, problems.
#[utoipa::path(get, path = "/v1/projects/{project}/lfs/status", tag = "lfs",
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn lfs_status(axum::extract::State(st): State, Path(p): Path<String>) -> Reply {
    op(&st, p, ProjectOp::LfsStatus).await
}

/// Files stored through LFS.
#[utoipa::path(get, path = "/v1/projects/{project}/lfs/files", tag = "lfs",
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn lfs_files(axum::extract::State(st): State, Path(p): Path<String>) -> Reply {
    op(&st, p, ProjectOp::LfsFiles).await
}

/// Store files matching a pattern through LFS (`.gitattributes`).
#[utoipa::path(post, path = "/v1/projects/{project}/lfs/track", tag = "lfs", request_body = PatternBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn lfs_track(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(b): Body<PatternBody>,
) -> Reply {
    op(&st, p, ProjectOp::LfsTrack { pattern: b.pattern }).await
}

/// Stop storing files matching a pattern through LFS; 404 when it was not tracked.
#[utoipa::path(post, path = "/v1/projects/{project}/lfs/untrack", tag = "lfs", request_body = PatternBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn lfs_untrack(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(b): Body<PatternBody>,
) -> Reply {
    op(&st, p, ProjectOp::LfsUntrack { pattern: b.pattern }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameProjectBody {
    pub new_name: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Delete for good instead of moving to the trash.
    #[serde(default)]
    pub permanently: Option<bool>,
}

/// Rename a project (its name in `project.json` and its folder); a window that has it
/// open follows it.
#[utoipa::path(post, path = "/v1/projects/{project}/rename", tag = "projects", request_body = RenameProjectBody,
    params(("project" = String, Path, description = "The project's folder name in the workspace")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn rename_project(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Body(b): Body<RenameProjectBody>,
) -> Reply {
    op(
        &st,
        p,
        ProjectOp::Rename {
            new_name: b.new_name,
        },
    )
    .await
}

/// Move a project to the trash (503 where there is none), or delete it for good with
/// `permanently=true`; a window that has it open closes it.
#[utoipa::path(delete, path = "/v1/projects/{project}", tag = "projects",
    params(("project" = String, Path, description = "The project's folder name in the workspace"), DeleteQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn delete_project(
    axum::extract::State(st): State,
    Path(p): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Reply {
    let permanently = q.permanently.unwrap_or(false);
    op(&st, p, ProjectOp::Delete { permanently }).await
}
