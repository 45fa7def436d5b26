//! REST under `/v1`: each handler is documented for the OpenAPI document
//! (`/v1/openapi.json`, `slate api spec`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{Body, Path, Query};
use crate::api::{ApiError, Command, ErrorBody, FieldProblem};
use crate::core::CoreApi;
use crate::model::task::{Task, TaskId, TaskRequest, TaskState};

/// What every handler shares.
pub struct AppState {
    pub api: CoreApi,
    pub token: Arc<str>,
    /// Client idempotency keys seen by this server, and the task each made.
    pub idempotency: Mutex<HashMap<String, TaskId>>,
    /// Ends WebSocket sessions when the server stops.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

pub type Shared = Arc<AppState>;
type State = axum::extract::State<Shared>;

/// JSON text that is already serialised (the bus keeps events as text).
pub struct RawJson(pub String);

impl IntoResponse for RawJson {
    fn into_response(self) -> Response {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            self.0,
        )
            .into_response()
    }
}

// ---- Schemas (documentation of what the handlers send and take) ----

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // a schema only: the wire value is `TaskState`
enum TaskStateDoc {
    Queued,
    Preparing,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

/// A task: one run of a function.
#[derive(ToSchema)]
#[schema(as = Task)]
#[allow(dead_code)] // a schema only: the wire value is `runner::task::Task`
struct TaskDoc {
    id: u64,
    function: String,
    function_version: String,
    state: TaskStateDoc,
    progress: f32,
    priority: i32,
    attempts: u32,
    created_ms: u64,
    #[schema(value_type = Object)]
    params: BTreeMap<String, serde_json::Value>,
    outputs: Vec<String>,
    preset: Option<String>,
    project: Option<String>,
    shot: Option<String>,
    stage: Option<String>,
    message: Option<String>,
    started_ms: Option<u64>,
    finished_ms: Option<u64>,
    exit_code: Option<i64>,
    error: Option<String>,
}

/// A page of tasks.
#[derive(Serialize, ToSchema)]
pub struct TaskPage {
    #[schema(value_type = Vec<TaskDoc>)]
    tasks: Vec<Arc<Task>>,
    /// How many tasks match the filters (all pages).
    total: usize,
    offset: usize,
    limit: usize,
    /// The event sequence number this page is current at (subscribe with `since`).
    seq: u64,
}

/// A task to queue.
#[derive(Deserialize, ToSchema)]
pub struct SubmitBody {
    /// Function id, e.g. `demo/countdown`.
    function: String,
    /// Input values by name: strings, numbers or booleans.
    #[serde(default)]
    #[schema(value_type = Object)]
    params: BTreeMap<String, serde_json::Value>,
    /// Quality preset: draft, standard, high or ultra.
    #[serde(default)]
    preset: Option<String>,
    #[serde(default, deserialize_with = "maybe_integer")]
    priority: Option<i32>,
    /// A workspace project, by folder name.
    #[serde(default)]
    project: Option<String>,
    /// `CHAPTER.SCENE.SHOT` (like `1.2.3`) of `project`: the run becomes that shot's next
    /// take. Without `project`, a label.
    #[serde(default)]
    shot: Option<String>,
    /// Run with `process` or `docker` instead of the template's executor.
    #[serde(default)]
    executor: Option<String>,
    /// Run the container on this Docker host (a name from Settings → Runner, or `local`).
    #[serde(default)]
    host: Option<String>,
    /// The same key twice queues one task: the second answer names the first task.
    #[serde(default)]
    idempotency_key: Option<String>,
}

/// The task a request queued or changed.
#[derive(Serialize, ToSchema)]
pub struct TaskReply {
    #[schema(value_type = TaskDoc)]
    task: Arc<Task>,
}

/// How a task list is sorted.
#[derive(Clone, Copy, Default, Deserialize, ToSchema)]
pub enum TaskSort {
    #[default]
    #[serde(rename = "id")]
    Id,
    #[serde(rename = "-id")]
    IdDesc,
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "-created")]
    CreatedDesc,
    /// Run order: priority, then FIFO.
    #[serde(rename = "priority")]
    Priority,
}

/// An integer that JSON may spell as `3` or `3.0` (both are integers to JSON Schema).
fn integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let v = serde_json::Number::deserialize(d)?;
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("{v} is not a 32-bit integer")))
}

fn maybe_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "integer")] i32);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Only tasks in this state.
    #[param(value_type = Option<TaskStateDoc>, inline)]
    state: Option<TaskState>,
    /// Only tasks of this function.
    function: Option<String>,
    /// Only tasks for this project.
    project: Option<String>,
    /// `id` (default), `-id`, `created`, `-created`, `priority`.
    #[param(inline)]
    sort: Option<TaskSort>,
    #[param(minimum = 0, maximum = 1_000_000_000)]
    offset: Option<u32>,
    /// At most this many (default 1000).
    #[param(minimum = 1, maximum = 100_000)]
    limit: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
pub struct PriorityBody {
    #[serde(deserialize_with = "integer")]
    priority: i32,
}

#[derive(Deserialize, ToSchema)]
pub struct MoveBody {
    /// Earlier in run order (true) or later.
    up: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct QueueState {
    paused: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// First line (0-based).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    offset: Option<u32>,
    /// At most this many lines (default 1000).
    #[param(minimum = 1, maximum = 100_000)]
    limit: Option<u32>,
}

/// Lines of a task's log.
#[derive(Serialize, ToSchema)]
pub struct LogPage {
    id: u64,
    offset: usize,
    /// `out <line>` or `err <line>`: the stream, then the line exactly as printed.
    lines: Vec<String>,
    /// When Slate read each line (RFC 3339, UTC); `null` for lines logged before
    /// times were kept.
    times: Vec<Option<String>>,
    /// Lines in the log so far.
    total: usize,
}

#[derive(Deserialize, ToSchema)]
pub struct CheckBody {
    /// The text of a function template (TOML).
    text: String,
}

/// What checking a template found: `ok`, or the error a user must fix.
#[derive(Serialize, ToSchema)]
pub struct CheckReply {
    ok: bool,
    id: Option<String>,
    version: Option<String>,
    inputs: Option<usize>,
    error: Option<String>,
}

// ---- Handlers ----

/// `offset` (≤ 1,000,000,000) and `limit` (1…100,000, default 1000), as documented.
fn paging(offset: Option<u32>, limit: Option<u32>) -> Result<(usize, usize), ApiError> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(1000);
    if offset > 1_000_000_000 {
        return Err(ApiError::bad_request("offset: at most 1000000000"));
    }
    if !(1..=100_000).contains(&limit) {
        return Err(ApiError::bad_request("limit: from 1 to 100000"));
    }
    Ok((offset as usize, limit as usize))
}

fn reply_task(
    t: Option<Task>,
    id: TaskId,
    state: &AppState,
) -> Result<axum::Json<TaskReply>, ApiError> {
    let task = match t {
        Some(t) => Arc::new(t),
        None => state
            .api
            .bus
            .task(id)
            .ok_or_else(|| ApiError::not_found(format!("no task with id {id}")))?,
    };
    Ok(axum::Json(TaskReply { task }))
}

/// List tasks: the queue and history, filtered, sorted and paged.
#[utoipa::path(get, path = "/v1/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, body = TaskPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_tasks(
    axum::extract::State(st): State,
    Query(q): Query<TaskQuery>,
) -> Result<axum::Json<TaskPage>, ApiError> {
    let state = q.state;
    let seq = st.api.bus.seq();
    let mut tasks = st.api.bus.tasks_where(|t| {
        state.is_none_or(|s| t.state == s)
            && q.function.as_deref().is_none_or(|f| t.function == f)
            && q.project
                .as_deref()
                .is_none_or(|p| t.project.as_deref() == Some(p))
    });
    match q.sort.unwrap_or_default() {
        TaskSort::Id => {}
        TaskSort::IdDesc => tasks.reverse(),
        TaskSort::Created => tasks.sort_by_key(|t| (t.created_ms, t.id)),
        TaskSort::CreatedDesc => tasks.sort_by_key(|t| std::cmp::Reverse((t.created_ms, t.id))),
        TaskSort::Priority => tasks.sort_by_key(|t| (std::cmp::Reverse(t.priority), t.seq)),
    }
    let total = tasks.len();
    let (offset, limit) = paging(q.offset, q.limit)?;
    let offset = offset.min(total);
    let tasks = tasks.into_iter().skip(offset).take(limit).collect();
    Ok(axum::Json(TaskPage {
        tasks,
        total,
        offset,
        limit,
        seq,
    }))
}

/// One task, in whatever state it is (finished ones too).
#[utoipa::path(get, path = "/v1/tasks/{id}", tag = "tasks",
    params(("id" = u64, Path, description = "Task id")),
    responses((status = 200, body = TaskDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_task(
    axum::extract::State(st): State,
    Path(id): Path<u64>,
) -> Result<RawJson, ApiError> {
    let t = st
        .api
        .bus
        .task(id)
        .ok_or_else(|| ApiError::not_found(format!("no task with id {id}")))?;
    Ok(RawJson(
        serde_json::to_string(&*t).expect("tasks serialise"),
    ))
}

/// How a shot-bound task's take came out: `{"state": "pending"}` until it is made, then
/// `{"state": "created", "event": take.created}` or `{"state": "failed", "event":
/// take.failed}` (remembered while this Slate runs).
#[utoipa::path(get, path = "/v1/tasks/{id}/take", tag = "tasks",
    params(("id" = u64, Path, description = "Task id")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn task_take(
    axum::extract::State(st): State,
    Path(id): Path<u64>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    st.api
        .bus
        .task(id)
        .ok_or_else(|| ApiError::not_found(format!("no task with id {id}")))?;
    let event: Option<serde_json::Value> = st
        .api
        .bus
        .take_of(id)
        .and_then(|j| serde_json::from_str(&j).ok());
    let state = match event.as_ref().map(|e| e["type"].as_str()) {
        None => "pending",
        Some(Some("take.created")) => "created",
        Some(_) => "failed",
    };
    Ok(axum::Json(
        serde_json::json!({"state": state, "event": event}),
    ))
}

/// Queue a task. Refused fields are 422, each named in `fields`.
#[utoipa::path(post, path = "/v1/tasks", tag = "tasks", request_body = SubmitBody,
    responses((status = 201, body = TaskReply), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn submit_task(
    axum::extract::State(st): State,
    Body(body): Body<SubmitBody>,
) -> Result<(StatusCode, axum::Json<TaskReply>), ApiError> {
    if let Some(key) = &body.idempotency_key {
        let seen = st
            .idempotency
            .lock()
            .expect("idempotency map")
            .get(key)
            .copied();
        if let Some(id) = seen {
            return reply_task(None, id, &st).map(|r| (StatusCode::OK, r));
        }
    }
    let mut params = BTreeMap::new();
    let mut bad = Vec::new();
    for (k, v) in body.params {
        match v {
            serde_json::Value::String(s) => {
                params.insert(k, s);
            }
            serde_json::Value::Number(n) => {
                params.insert(k, n.to_string());
            }
            serde_json::Value::Bool(b) => {
                params.insert(k, b.to_string());
            }
            _ => bad.push(FieldProblem {
                field: k,
                message: "give a string, a number or true/false".into(),
            }),
        }
    }
    if !bad.is_empty() {
        return Err(ApiError::invalid("some inputs have the wrong type", bad));
    }
    let mut request = TaskRequest {
        function: body.function,
        preset: body.preset,
        params,
        priority: body.priority.unwrap_or(0),
        project: body.project,
        shot: body.shot,
        shot_ref: None,
        executor: body.executor,
        host: body.host,
    };
    if let (Some(project), Some(shot)) = (request.project.clone(), request.shot.clone()) {
        bind_shot(&st, &project, &shot, &mut request).await?;
    }
    let task = st
        .api
        .call(Command::SubmitTask { request })
        .await?
        .ok_or_else(|| ApiError::new(crate::api::ErrorKind::Internal, "no task came back"))?;
    if let Some(key) = body.idempotency_key {
        st.idempotency
            .lock()
            .expect("idempotency map")
            .insert(key, task.id);
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(TaskReply {
            task: Arc::new(task),
        }),
    ))
}

/// A run for `shot` (`1.2.3`) of a workspace project (by folder name, or its path)
/// becomes that shot's next take: its ids, HEAD and the `from` inputs are bound here.
async fn bind_shot(
    st: &AppState,
    project: &str,
    shot: &str,
    request: &mut TaskRequest,
) -> Result<(), ApiError> {
    use crate::api::project::ShotNumbers;
    let numbers = ShotNumbers::parse(shot).ok_or_else(|| {
        ApiError::invalid(
            format!("shot {shot:?}: write CHAPTER.SCENE.SHOT, like 1.2.3"),
            vec![FieldProblem {
                field: "shot".into(),
                message: "CHAPTER.SCENE.SHOT".into(),
            }],
        )
    })?;
    let settings = st.api.bus.settings().unwrap_or_default();
    let root = st.api.paths.workspace_root(&settings);
    // The CLI sends the project's path; the server knows its workspace by name, and
    // binds no project outside it.
    let given = std::path::Path::new(project);
    let name = if given.is_absolute() {
        match crate::workspace::ops::name_in(&root, given) {
            Some(name) => name,
            None => {
                return Err(ApiError::invalid(
                    format!(
                        "{project} is outside the workspace this Slate serves ({}): move the project into it, or close the window and run it from the CLI",
                        root.display()
                    ),
                    vec![FieldProblem {
                        field: "project".into(),
                        message: "outside the served workspace".into(),
                    }],
                ));
            }
        }
    } else {
        project.to_string()
    };
    let inputs: Vec<crate::model::function::Input> = st
        .api
        .bus
        .function(&request.function)
        .and_then(|f| serde_json::from_value(f["inputs"].clone()).ok())
        .unwrap_or_default();
    let mut params = std::mem::take(&mut request.params);
    let bound = tokio::task::spawn_blocking(move || {
        let path = crate::workspace::ops::resolve(&root, &name)?;
        let r = crate::workspace::ops_media::bind_shot(&path, numbers, &inputs, &mut params)?;
        Ok::<_, ApiError>((path, r, params))
    })
    .await
    .map_err(|e| ApiError::unavailable(e.to_string()))?;
    let (path, r, params) = bound?;
    request.project = Some(path.display().to_string());
    request.shot_ref = Some(r);
    request.params = params;
    Ok(())
}

async fn task_call(
    st: &AppState,
    id: TaskId,
    command: Command,
) -> Result<axum::Json<TaskReply>, ApiError> {
    let t = st.api.call(command).await?;
    reply_task(t, id, st)
}

/// Cancel a queued or running task (409 when it has finished).
#[utoipa::path(post, path = "/v1/tasks/{id}/cancel", tag = "tasks",
    params(("id" = u64, Path, description = "Task id")),
    responses((status = 200, body = TaskReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn cancel_task(
    axum::extract::State(st): State,
    Path(id): Path<u64>,
) -> Result<axum::Json<TaskReply>, ApiError> {
    task_call(&st, id, Command::CancelTask { id }).await
}

/// Queue a failed, cancelled or interrupted task again (409 otherwise).
#[utoipa::path(post, path = "/v1/tasks/{id}/retry", tag = "tasks",
    params(("id" = u64, Path, description = "Task id")),
    responses((status = 200, body = TaskReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn retry_task(
    axum::extract::State(st): State,
    Path(id): Path<u64>,
) -> Result<axum::Json<TaskReply>, ApiError> {
    task_call(&st, id, Command::RetryTask { id }).await
}

/// Set a task's priority (higher runs first).
#[utoipa::path(put, path = "/v1/tasks/{id}/priority", tag = "tasks", request_body = PriorityBody,
    params(("id" = u64, Path, description = "Task id")),
    responses((status = 200, body = TaskReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn set_priority(
    axum::extract::State(st): State,
    Path(id): Path<u64>,
    Body(b): Body<PriorityBody>,
) -> Result<axum::Json<TaskReply>, ApiError> {
    task_call(
        &st,
        id,
        Command::SetPriority {
            id,
            priority: b.priority,
        },
    )
    .await
}

/// Swap a queued task with its neighbour in run order.
#[utoipa::path(post, path = "/v1/tasks/{id}/move", tag = "tasks", request_body = MoveBody,
    params(("id" = u64, Path, description = "Task id")),
    responses((status = 200, body = TaskReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn move_task(
    axum::extract::State(st): State,
    Path(id): Path<u64>,
    Body(b): Body<MoveBody>,
) -> Result<axum::Json<TaskReply>, ApiError> {
    task_call(&st, id, Command::MoveTask { id, up: b.up }).await
}

/// A task's log, a page of lines at a time.
#[utoipa::path(get, path = "/v1/tasks/{id}/logs", tag = "tasks",
    params(("id" = u64, Path, description = "Task id"), LogQuery),
    responses((status = 200, body = LogPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn task_logs(
    axum::extract::State(st): State,
    Path(id): Path<u64>,
    Query(q): Query<LogQuery>,
) -> Result<axum::Json<LogPage>, ApiError> {
    if st.api.bus.task(id).is_none() {
        return Err(ApiError::not_found(format!("no task with id {id}")));
    }
    let file = st.api.paths.logs_dir().join(format!("{id}.log"));
    let (offset, limit) = paging(q.offset, q.limit)?;
    let (lines, times, total) = tokio::task::spawn_blocking(move || match std::fs::read(&file) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            let total = all.len();
            let (lines, times) = all
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|l| {
                    let l = crate::runner::logfile::parse(l);
                    (l.tagged.to_string(), l.time.map(str::to_string))
                })
                .unzip();
            Ok((lines, times, total))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Vec::new(), Vec::new(), 0)),
        Err(e) => Err(ApiError::new(
            crate::api::ErrorKind::Internal,
            format!("could not read {}: {e}", file.display()),
        )),
    })
    .await
    .map_err(|e| ApiError::new(crate::api::ErrorKind::Internal, e.to_string()))??;
    Ok(axum::Json(LogPage {
        id,
        offset,
        lines,
        times,
        total,
    }))
}

/// Whether the queue is paused.
#[utoipa::path(get, path = "/v1/queue", tag = "queue",
    responses((status = 200, body = QueueState), (status = 401, body = ErrorBody)))]
pub async fn get_queue(axum::extract::State(st): State) -> axum::Json<QueueState> {
    axum::Json(QueueState {
        paused: st.api.bus.paused(),
    })
}

/// Pause or resume the queue (running tasks continue).
#[utoipa::path(put, path = "/v1/queue", tag = "queue", request_body = QueueState,
    responses((status = 200, body = QueueState), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn put_queue(
    axum::extract::State(st): State,
    Body(b): Body<QueueState>,
) -> Result<axum::Json<QueueState>, ApiError> {
    st.api
        .call(Command::PauseQueue { paused: b.paused })
        .await?;
    Ok(axum::Json(QueueState { paused: b.paused }))
}

/// Every function and every template that failed to load (`functions.loaded`).
#[utoipa::path(get, path = "/v1/functions", tag = "functions",
    responses((status = 200, description = "`{functions: [...], errors: [...]}`", body = Object),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_functions(axum::extract::State(st): State) -> Result<RawJson, ApiError> {
    st.api
        .bus
        .functions()
        .map(|j| RawJson(j.to_string()))
        .ok_or_else(|| ApiError::unavailable("the task runner has not loaded functions"))
}

/// One function: inputs, presets, executor.
#[utoipa::path(get, path = "/v1/functions/{id}", tag = "functions",
    params(("id" = String, Path, description = "Function id, e.g. demo/countdown")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_function(
    axum::extract::State(st): State,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<RawJson, ApiError> {
    st.api
        .bus
        .function(&id)
        .map(|f| RawJson(f.to_string()))
        .ok_or_else(|| ApiError::not_found(format!("no function {id:?}")))
}

/// Check the text of a function template: `ok`, or what is wrong with it.
#[utoipa::path(post, path = "/v1/functions/check", tag = "functions", request_body = CheckBody,
    responses((status = 200, body = CheckReply), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn check_function(Body(b): Body<CheckBody>) -> axum::Json<CheckReply> {
    axum::Json(
        match crate::runner::function::FunctionTemplate::parse(
            &b.text,
            std::path::Path::new("template.toml"),
        ) {
            Ok(t) => CheckReply {
                ok: true,
                id: Some(t.id),
                version: Some(t.version),
                inputs: Some(t.inputs.len()),
                error: None,
            },
            Err(e) => CheckReply {
                ok: false,
                id: None,
                version: None,
                inputs: None,
                error: Some(e.to_string()),
            },
        },
    )
}

/// Versions of Slate, git, git-lfs, Docker and the NVIDIA driver, and Slate's paths.
#[utoipa::path(get, path = "/v1/system", tag = "system",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn system(axum::extract::State(st): State) -> axum::Json<serde_json::Value> {
    let info = match st.api.bus.system() {
        Some(i) => (*i).clone(),
        None => {
            let settings = st.api.bus.settings().unwrap_or_default();
            crate::core::probe_system(&st.api.paths, &settings).await
        }
    };
    axum::Json(serde_json::to_value(info).expect("system info serialises"))
}

/// The settings in effect.
#[utoipa::path(get, path = "/v1/settings", tag = "settings",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn get_settings(axum::extract::State(st): State) -> axum::Json<serde_json::Value> {
    axum::Json(
        serde_json::to_value(st.api.bus.settings().unwrap_or_default())
            .expect("settings serialise"),
    )
}

/// Replace the settings: every field is validated (422 names each bad one), then saved.
#[utoipa::path(put, path = "/v1/settings", tag = "settings", request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn put_settings(
    axum::extract::State(st): State,
    Body(settings): Body<crate::settings::Settings>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let problems: Vec<FieldProblem> = settings
        .validate()
        .into_iter()
        .map(|(field, message)| FieldProblem {
            field: field.into(),
            message,
        })
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::invalid("some settings were refused", problems));
    }
    st.api
        .call(Command::SaveSettings {
            settings: settings.clone(),
        })
        .await?;
    Ok(axum::Json(
        serde_json::to_value(settings).expect("settings serialise"),
    ))
}

/// The latest GPU sample (`gpu.sample`), or why there is none.
#[utoipa::path(get, path = "/v1/gpu", tag = "gpu",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn gpu(axum::extract::State(st): State) -> RawJson {
    RawJson(st.api.bus.gpu().map(|j| j.to_string()).unwrap_or_else(|| {
        serde_json::json!({"type": "gpu.sample", "ts_ms": 0, "gpus": [], "error": "no sample yet"})
            .to_string()
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GpuHistoryQuery {
    /// Only samples from this time on (milliseconds since the Unix epoch); default: the
    /// last hour, which is all that is kept.
    #[param(minimum = 0, maximum = 4_102_444_800_000_i64)]
    since_ms: Option<u64>,
}

/// 2100-01-01 in milliseconds: the largest `since_ms` the spec allows.
const LAST_MS: u64 = 4_102_444_800_000;

/// Each GPU's samples over the last hour (1 Hz): utilisation %, memory used (MiB),
/// temperature (°C) and power (W), oldest first.
#[utoipa::path(get, path = "/v1/gpu/history", tag = "gpu", params(GpuHistoryQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn gpu_history(
    axum::extract::State(st): State,
    Query(q): Query<GpuHistoryQuery>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    if q.since_ms.is_some_and(|ms| ms > LAST_MS) {
        return Err(ApiError::bad_request(format!(
            "since_ms is a time in milliseconds since 1970, at most {LAST_MS}"
        )));
    }
    let gpus: Vec<serde_json::Value> = st
        .api
        .bus
        .gpu_history(q.since_ms.unwrap_or(0))
        .into_iter()
        .map(|(index, points)| serde_json::json!({"index": index, "points": points}))
        .collect();
    Ok(axum::Json(serde_json::json!({ "gpus": gpus })))
}

/// Projects in the workspace.
#[utoipa::path(get, path = "/v1/projects", tag = "projects",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_projects(
    axum::extract::State(st): State,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let settings = st.api.bus.settings().unwrap_or_default();
    let root = st.api.paths.workspace_root(&settings);
    let projects = tokio::task::spawn_blocking(move || crate::workspace::project::list(&root))
        .await
        .map_err(|e| ApiError::new(crate::api::ErrorKind::Internal, e.to_string()))?
        .map_err(ApiError::unavailable)?;
    Ok(axum::Json(serde_json::json!({ "projects": projects })))
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "system",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn openapi() -> RawJson {
    RawJson(super::spec_json())
}
