//! `slate serve`: the core without a window, serving the local API. The window serves
//! the same API when it owns the core.
//!
//! REST under `/v1` (documented at `/v1/openapi.json`), events over a WebSocket at
//! `/v1/events`. Loopback only unless `--listen` says otherwise; every request needs the
//! token in `<data-dir>/api-token`; cross-site requests are refused; bodies are limited.

pub mod discovery;
pub mod error;
pub mod media_routes;
pub mod project_routes;
pub mod routes;
pub mod ws;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use utoipa::OpenApi;

use crate::api::{ApiError, ErrorKind};
use crate::core::CoreApi;

/// Largest request body (and WebSocket message) accepted.
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "Slate local API", version = "1", description = "The studio's core: tasks, functions, queue, settings, GPU. Every request needs `Authorization: Bearer <data-dir>/api-token`. Events: WebSocket `/v1/events?topics=task,queue&since=SEQ`."),
    paths(
        routes::list_tasks, routes::submit_task, routes::get_task, routes::cancel_task,
        routes::retry_task, routes::set_priority, routes::move_task, routes::task_logs,
        routes::task_take,
        routes::get_queue, routes::put_queue, routes::list_functions, routes::get_function,
        routes::check_function, routes::system, routes::get_settings, routes::put_settings,
        routes::gpu, routes::gpu_history, routes::list_projects, routes::openapi,
        project_routes::create_project, project_routes::get_project, project_routes::edit_project,
        project_routes::upgrade_project, project_routes::git_status, project_routes::git_log,
        project_routes::git_show, project_routes::git_commit, project_routes::git_tags,
        project_routes::git_tag, project_routes::git_rollback, project_routes::git_restore_media,
        project_routes::lfs_status, project_routes::lfs_files, project_routes::lfs_track,
        project_routes::lfs_untrack, project_routes::rename_project, project_routes::delete_project,
        media_routes::list_assets, media_routes::get_asset, media_routes::import_assets,
        media_routes::rename_asset, media_routes::delete_asset, media_routes::copy_from_library,
        media_routes::list_takes, media_routes::take_action, media_routes::cancel_import,
    ),
    components(schemas(crate::api::ErrorBody, crate::api::ApiError, crate::api::ErrorKind, crate::api::FieldProblem)),
    modifiers(&Security),
    security(("bearer" = [])),
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

/// The OpenAPI 3.1 document, as JSON.
pub fn spec_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

/// The router with every route, the guard and the body limit.
pub fn router(state: routes::Shared) -> Router {
    Router::new()
        .route(
            "/v1/tasks",
            get(routes::list_tasks).post(routes::submit_task),
        )
        .route("/v1/tasks/{id}", get(routes::get_task))
        .route("/v1/tasks/{id}/cancel", post(routes::cancel_task))
        .route("/v1/tasks/{id}/retry", post(routes::retry_task))
        .route("/v1/tasks/{id}/priority", put(routes::set_priority))
        .route("/v1/tasks/{id}/move", post(routes::move_task))
        .route("/v1/tasks/{id}/logs", get(routes::task_logs))
        .route("/v1/tasks/{id}/take", get(routes::task_take))
        .route("/v1/queue", get(routes::get_queue).put(routes::put_queue))
        .route("/v1/functions", get(routes::list_functions))
        .route("/v1/functions/check", post(routes::check_function))
        .route("/v1/functions/{*id}", get(routes::get_function))
        .route("/v1/system", get(routes::system))
        .route(
            "/v1/settings",
            get(routes::get_settings).put(routes::put_settings),
        )
        .route("/v1/gpu", get(routes::gpu))
        .route("/v1/gpu/history", get(routes::gpu_history))
        .route(
            "/v1/projects",
            get(routes::list_projects).post(project_routes::create_project),
        )
        .route(
            "/v1/projects/{project}",
            get(project_routes::get_project).delete(project_routes::delete_project),
        )
        .route(
            "/v1/projects/{project}/rename",
            post(project_routes::rename_project),
        )
        .route(
            "/v1/projects/{project}/edit",
            post(project_routes::edit_project),
        )
        .route(
            "/v1/projects/{project}/upgrade",
            post(project_routes::upgrade_project),
        )
        .route(
            "/v1/projects/{project}/git/status",
            get(project_routes::git_status),
        )
        .route(
            "/v1/projects/{project}/git/log",
            get(project_routes::git_log),
        )
        .route(
            "/v1/projects/{project}/git/commits/{commit}",
            get(project_routes::git_show),
        )
        .route(
            "/v1/projects/{project}/git/commit",
            post(project_routes::git_commit),
        )
        .route(
            "/v1/projects/{project}/git/tags",
            get(project_routes::git_tags).post(project_routes::git_tag),
        )
        .route(
            "/v1/projects/{project}/git/rollback",
            post(project_routes::git_rollback),
        )
        .route(
            "/v1/projects/{project}/git/restore-media",
            post(project_routes::git_restore_media),
        )
        .route(
            "/v1/projects/{project}/lfs/status",
            get(project_routes::lfs_status),
        )
        .route(
            "/v1/projects/{project}/lfs/files",
            get(project_routes::lfs_files),
        )
        .route(
            "/v1/projects/{project}/lfs/track",
            post(project_routes::lfs_track),
        )
        .route(
            "/v1/projects/{project}/lfs/untrack",
            post(project_routes::lfs_untrack),
        )
        .route(
            "/v1/projects/{project}/assets",
            get(media_routes::list_assets).post(media_routes::import_assets),
        )
        .route(
            "/v1/projects/{project}/assets/{asset}",
            get(media_routes::get_asset).delete(media_routes::delete_asset),
        )
        .route(
            "/v1/projects/{project}/assets/{asset}/rename",
            post(media_routes::rename_asset),
        )
        .route(
            "/v1/projects/{project}/assets/cancel-import",
            post(media_routes::cancel_import),
        )
        .route(
            "/v1/projects/{project}/library-copies",
            post(media_routes::copy_from_library),
        )
        .route(
            "/v1/projects/{project}/takes",
            get(media_routes::list_takes),
        )
        .route(
            "/v1/projects/{project}/shots/{chapter}/{scene}/{shot}/takes/{take}/{action}",
            post(media_routes::take_action),
        )
        .route("/v1/openapi.json", get(routes::openapi))
        .route("/v1/events", get(ws::events))
        .fallback(|| async { ApiError::not_found("no such route; see /v1/openapi.json") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                ErrorKind::MethodNotAllowed,
                "this route does not take that method",
            )
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Refuses cross-site requests (403) and requests without the token (401). The event
/// stream may instead take the token in its first message.
async fn guard(
    axum::extract::State(st): axum::extract::State<routes::Shared>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Err(e) = same_site(req.headers()) {
        return e.into_response();
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let ok = given.is_some_and(|t| discovery::token_matches(t, &st.token));
    // The event stream may instead take the token in its first message.
    let token_later = req.uri().path() == "/v1/events" && given.is_none();
    if !(ok || token_later) {
        let message = if given.is_some() {
            "wrong token: use the one in <data-dir>/api-token"
        } else {
            "send Authorization: Bearer <the token in <data-dir>/api-token>"
        };
        return ApiError::new(ErrorKind::Unauthorized, message).into_response();
    }
    req.extensions_mut().insert(ws::Authorized(ok));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared.filter(|&l| l > BODY_LIMIT as u64) {
        // Read (and drop) what the client is sending before answering, so it is not
        // cut off mid-send and does see the 413; a body far over the limit is not read.
        if len <= DRAIN_LIMIT {
            use futures_util::StreamExt as _;
            let mut body = req.into_body().into_data_stream();
            let drain = async { while let Some(Ok(_)) = body.next().await {} };
            tokio::time::timeout(std::time::Duration::from_secs(10), drain)
                .await
                .ok();
        }
        return ApiError::new(
            ErrorKind::TooLarge,
            format!("the body is {len} bytes; at most {BODY_LIMIT} are accepted"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Oversized bodies up to this size are read and dropped before the 413 goes out.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

/// A web page the user visits must not drive the studio: an `Origin` other than this
/// server's own, or `Sec-Fetch-Site: cross-site / same-site`, is refused.
fn same_site(headers: &HeaderMap) -> Result<(), ApiError> {
    let refuse = |why: String| Err(ApiError::new(ErrorKind::Forbidden, why));
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("cross-site");
        if !matches!(site, "same-origin" | "none") {
            return refuse(format!("Sec-Fetch-Site: {site} requests are refused"));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let own = !host.is_empty()
            && (origin == format!("http://{host}") || origin == format!("https://{host}"));
        if !own {
            return refuse(format!("cross-site request from Origin {origin} refused"));
        }
    }
    Ok(())
}

/// Where and as whom to serve.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// An explicit address (`--listen`); default loopback.
    pub listen: Option<SocketAddr>,
    /// Port on loopback when `listen` is not given (0: any free port).
    pub port: u16,
    /// `serve` or `window`, written to `serve.json`.
    pub owner: &'static str,
}

/// A running server; stopping it (or dropping it) removes `serve.json`.
pub struct Server {
    pub addr: SocketAddr,
    data_dir: std::path::PathBuf,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Stops accepting, closes event streams, waits (bounded) and removes `serve.json`.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(true).ok();
        }
        discovery::remove_if_ours(&self.data_dir);
        if let Some(t) = self.thread.take() {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while !t.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            if t.is_finished() {
                t.join().ok();
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Binds, writes the token and `serve.json`, and serves on a thread of its own. Refuses
/// when another live Slate serves this data dir; a stale file is replaced.
pub fn start(api: CoreApi, config: ServeConfig) -> Result<Server, String> {
    let data_dir = api.paths.data_dir.clone();
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    match discovery::read(&data_dir) {
        discovery::Found::Live(other) if other.pid != std::process::id() => {
            return Err(format!(
                "Slate (pid {}) already serves {} at {}",
                other.pid,
                data_dir.display(),
                other.address
            ));
        }
        discovery::Found::Stale(why) => {
            eprintln!("note: replacing a stale serve.json ({why})");
        }
        _ => {}
    }
    let token: Arc<str> = discovery::ensure_token(&data_dir)?.into();
    let addr = config
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], config.port)));
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: serving on {addr}, reachable from other machines; anyone with the token can drive this studio"
        );
    }
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("could not listen on {addr}: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The default loopback is both families: `localhost` may resolve to ::1 first.
    // A machine without IPv6 loopback keeps the IPv4 one only.
    let listener_v6 = if config.listen.is_none() {
        std::net::TcpListener::bind(SocketAddr::from((
            std::net::Ipv6Addr::LOCALHOST,
            addr.port(),
        )))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .ok()
    } else {
        None
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let state = Arc::new(routes::AppState {
        api,
        token,
        idempotency: Mutex::new(Default::default()),
        shutdown: stop_rx.clone(),
    });
    let app = router(state);
    let thread = std::thread::Builder::new()
        .name("slate-api".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("slate-api-rt")
                .enable_all()
                .build()
                .expect("API runtime");
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("error: the API server could not start: {e}");
                        return;
                    }
                };
                let serve = |listener: tokio::net::TcpListener, app: axum::Router| {
                    let mut stop = stop_rx.clone();
                    async move {
                        axum::serve(listener, app)
                            .with_graceful_shutdown(async move {
                                stop.wait_for(|s| *s).await.ok();
                            })
                            .await
                            .ok();
                    }
                };
                let v6 = listener_v6.and_then(|l| tokio::net::TcpListener::from_std(l).ok());
                match v6 {
                    Some(v6) => {
                        tokio::join!(serve(listener, app.clone()), serve(v6, app));
                    }
                    None => serve(listener, app).await,
                }
            });
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
        })
        .map_err(|e| e.to_string())?;
    let info = discovery::ServeInfo {
        pid: std::process::id(),
        address: format!("http://{addr}"),
        port: addr.port(),
        protocol: crate::api::PROTOCOL_VERSION,
        version: env!("CARGO_PKG_VERSION").into(),
        owner: config.owner.into(),
        started_ms: crate::util::now_ms(),
    };
    let server = Server {
        addr,
        data_dir: data_dir.clone(),
        stop: Some(stop_tx),
        thread: Some(thread),
    };
    discovery::write(&data_dir, &info)?;
    Ok(server)
}

/// Options of `slate serve`.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    pub listen: Option<SocketAddr>,
    pub port: u16,
    /// Exit 0 once nothing is queued or running.
    pub until_idle: bool,
    pub gpu_replay: Option<std::path::PathBuf>,
}

/// `slate serve`: starts the core (runner, workspace, GPU sampler), serves the API and
/// runs until SIGTERM/SIGINT (or, with `until_idle`, until the queue is drained).
pub fn serve(paths: crate::paths::Paths, options: ServeOptions) -> Result<(), String> {
    if let discovery::Found::Live(other) = discovery::read(&paths.data_dir) {
        return Err(format!(
            "Slate (pid {}, {}) already serves {} at {}",
            other.pid,
            other.owner,
            paths.data_dir.display(),
            other.address
        ));
    }
    let core = crate::core::spawn(
        crate::core::CoreOptions {
            paths: paths.clone(),
            run_tasks: true,
            runner: crate::runner::RunnerConfig {
                gpu_replay: options.gpu_replay.clone(),
                hold_queue: false,
                only_submitted: false,
                slate_exe: None,
            },
        },
        Arc::new(|_| {}),
    );
    let api = core.api();
    // The window drains the core's channel; here a thread does, reporting what matters.
    let (started_tx, started_rx) = crossbeam_channel::bounded::<Result<(), String>>(1);
    let events = core.events.clone();
    std::thread::Builder::new()
        .name("slate-serve-log".into())
        .spawn(move || {
            use crate::events::{Event, Level};
            for event in events.iter() {
                match event {
                    Event::TasksSnapshot { .. } => {
                        started_tx.try_send(Ok(())).ok();
                    }
                    Event::RunnerFailed { error } => {
                        eprintln!("error: {error}");
                        started_tx.try_send(Err(error)).ok();
                    }
                    Event::SettingsLoaded {
                        warning: Some(w), ..
                    } => eprintln!("warning: {w}"),
                    Event::Notification {
                        level, title, body, ..
                    } if level >= Level::Warning => eprintln!("{level:?}: {title}: {body}"),
                    _ => {}
                }
            }
        })
        .map_err(|e| e.to_string())?;
    match started_rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err("the task runner did not start within 60 s".into()),
    }
    let server = start(
        api.clone(),
        ServeConfig {
            listen: options.listen,
            port: options.port,
            owner: "serve",
        },
    )?;
    eprintln!(
        "slate serve: http://{} (token in {}), data in {}",
        server.addr,
        discovery::token_file(&paths.data_dir).display(),
        paths.data_dir.display()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let why = rt.block_on(async {
        let mut stop = crate::platform::TerminationSignals::listen()?;
        let idle = async {
            if !options.until_idle {
                return std::future::pending().await;
            }
            // Two idle looks in a row, so a task between states is not missed.
            let mut idle_seen = 0;
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                if api.bus.idle() {
                    idle_seen += 1;
                    if idle_seen >= 2 {
                        return "the queue is drained";
                    }
                } else {
                    idle_seen = 0;
                }
            }
        };
        Ok::<_, String>(tokio::select! {
            why = stop.recv() => why,
            why = idle => why,
        })
    })?;
    eprintln!("slate serve: stopping ({why})");
    server.stop();
    core.shutdown();
    Ok(())
}
