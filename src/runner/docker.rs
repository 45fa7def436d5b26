//! Docker engine access through bollard.

use bollard::Docker;

/// Connects to `endpoint` (`unix://…`, `tcp://…`, or empty for the local default).
/// No request is made yet; errors here are about the address itself.
pub fn connect(endpoint: &str) -> Result<Docker, String> {
    let ep = endpoint.trim();
    let result = if ep.is_empty() {
        Docker::connect_with_local_defaults()
    } else if let Some(path) = ep.strip_prefix("unix://") {
        Docker::connect_with_unix(path, 120, bollard::API_DEFAULT_VERSION)
    } else if ep.starts_with("tcp://") || ep.starts_with("http://") {
        Docker::connect_with_http(ep, 120, bollard::API_DEFAULT_VERSION)
    } else {
        return Err(format!(
            "unsupported Docker endpoint {ep:?}: use unix:///var/run/docker.sock or tcp://host:2375"
        ));
    };
    result.map_err(|e| plain_error(&e))
}

/// A bollard error in words: "not reachable" rather than a hyper error chain.
pub fn plain_error(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match e {
        E::DockerResponseServerError {
            status_code,
            message,
        } => format!("Docker said {status_code}: {message}"),
        E::HyperResponseError { .. } | E::IOError { .. } => {
            format!(
                "the Docker engine is not reachable ({}); is the daemon running?",
                root_cause(e)
            )
        }
        // A remote engine: the transport's own words ("Connection refused", the TLS
        // alert, ssh's exit) say more than hyper's wrapper around them.
        other if is_unreachable(other) => {
            format!("not reachable: {}", root_cause(other))
        }
        other => other.to_string(),
    }
}

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, DeviceRequest, HostConfig, Mount, MountType};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
    WaitContainerOptionsBuilder,
};
use futures_util::StreamExt as _;

use crate::runner::docker_hosts::{self, Remote};
use crate::runner::exec::{ExecReport, Launch, Outcome};

/// Which engine: this machine's (its endpoint from Settings) or a remote host's.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Local(String),
    Remote(Remote),
}

impl Target {
    pub fn client(&self) -> Result<Docker, String> {
        match self {
            Self::Local(endpoint) => connect(endpoint),
            Self::Remote(r) => docker_hosts::client(r),
        }
    }

    pub fn remote(&self) -> Option<&Remote> {
        match self {
            Self::Local(_) => None,
            Self::Remote(r) => Some(r),
        }
    }

    /// After a connection broke: a remote client is made afresh on next use.
    fn broken(&self) {
        if let Self::Remote(r) = self {
            docker_hosts::forget(r);
        }
    }
}

/// Every container Slate makes carries these labels.
pub const LABEL_TASK: &str = "slate.task_id";
/// The data folder of the Slate that made it, so studios sharing an engine never touch
/// each other's containers.
pub const LABEL_STUDIO: &str = "slate.studio";

/// What a Docker launch needs beyond the common [`Launch`].
#[derive(Clone, Debug)]
pub struct DockerSpec {
    /// The engine; on a remote one nothing is bind-mounted: inputs are uploaded into the
    /// container and `/out` is downloaded back.
    pub target: Target,
    pub image: String,
    pub network: String,
    pub container_name: String,
    pub studio: String,
    pub project_dir: Option<std::path::PathBuf>,
    pub memory_mb: Option<u64>,
    pub cpu: Option<f64>,
    pub gpu_index: Option<u32>,
}

/// The innermost error of a chain, where the real reason is.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// True when the error means the engine itself is unreachable (worth waiting for).
pub fn is_unreachable(e: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as E;
    matches!(
        e,
        E::HyperResponseError { .. }
            | E::HyperLegacyError { .. }
            | E::IOError { .. }
            | E::RequestTimeoutError
    ) || e.to_string().contains("onnect")
}

/// Asks the engine whether it is up.
pub async fn ping(endpoint: &str) -> Result<(), String> {
    let docker = connect(endpoint)?;
    tokio::time::timeout(Duration::from_secs(3), docker.ping())
        .await
        .map_err(|_| "the Docker engine did not answer within 3 s".to_string())?
        .map(|_| ())
        .map_err(|e| plain_error(&e))
}

fn unreachable(e: &bollard::errors::Error) -> Outcome {
    Outcome::Unavailable {
        reason: plain_error(e),
    }
}

/// Runs (or re-attaches to) the task's container until it exits, is cancelled or times
/// out. The container is always removed at the end; outputs are already on the host.
pub async fn run(launch: Launch, spec: DockerSpec) -> Outcome {
    let docker = match spec.target.client() {
        Ok(d) => d,
        Err(e) => return Outcome::Unavailable { reason: e },
    };
    let id = match &launch.reattach {
        Some(id) => id.clone(),
        None => match create_and_start(&docker, &launch, &spec).await {
            Ok(id) => id,
            Err(outcome) => return outcome,
        },
    };
    launch.report(ExecReport::Started {
        pid: None,
        container_id: Some(id.clone()),
    });
    let sink = launch.stream_sink();
    // After a restart, read the container's log from the start and skip the lines our
    // copy already has, stream by stream: nothing lost, nothing written twice.
    let already = if launch.reattach.is_some() {
        lines_on_disk(&launch.log_file)
    } else {
        (0, 0)
    };
    let logs_docker = docker.clone();
    let logs_id = id.clone();
    let logs_sink = sink.clone();
    let logs =
        tokio::spawn(
            async move { pump_logs(&logs_docker, &logs_id, &logs_sink, true, already).await },
        );
    let mut cancel = launch.cancel.clone();
    let timeout = tokio::time::sleep(launch.timeout);
    tokio::pin!(timeout);
    let wait = async {
        let opts = WaitContainerOptionsBuilder::default()
            .condition("not-running")
            .build();
        match docker.wait_container(&id, Some(opts)).next().await {
            Some(Ok(r)) => Ok(r.status_code),
            // bollard reports a non-zero exit as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(e),
            None => Err(bollard::errors::Error::IOError {
                err: std::io::Error::other("the wait stream ended"),
            }),
        }
    };
    let outcome = tokio::select! {
        r = wait => match r {
            Ok(code) => {
                // A follow stream can end before the last lines of a fast container are
                // delivered (seen with Docker 20.10): read the finished log once more and
                // take only what the stream missed.
                let seen = tokio::time::timeout(Duration::from_secs(120), logs)
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or((u64::MAX, u64::MAX));
                pump_logs(&docker, &id, &sink, false, seen).await;
                sink.finish();
                let oom = docker
                    .inspect_container(&id, None::<InspectContainerOptions>)
                    .await
                    .ok()
                    .and_then(|c| c.state)
                    .and_then(|s| s.oom_killed)
                    .unwrap_or(false);
                if spec.target.remote().is_some() {
                    match docker_hosts::download_outputs(&docker, &id, &launch.output_dir).await {
                        Ok(()) => {}
                        Err(docker_hosts::DownloadError::Unreachable(reason)) => {
                            // The container keeps its outputs until the host is back.
                            spec.target.broken();
                            return Outcome::Unavailable { reason };
                        }
                        Err(e) => {
                            remove(&docker, &id).await;
                            return Outcome::failed(e.to_string(), false);
                        }
                    }
                }
                Outcome::Exited { code, oom, last_lines: sink.last_lines() }
            }
            Err(e) if is_unreachable(&e) => {
                // The daemon went away with our container inside; it is re-attached or
                // collected when the engine is back (the record keeps its id).
                spec.target.broken();
                return unreachable(&e);
            }
            Err(e) => Outcome::failed(plain_error(&e), false),
        },
        _ = crate::runner::process::cancelled(&mut cancel) => {
            stop(&docker, &id).await;
            Outcome::Cancelled
        }
        _ = &mut timeout => {
            stop(&docker, &id).await;
            Outcome::TimedOut { after: launch.timeout }
        }
    };
    remove(&docker, &id).await;
    outcome
}

/// Reads a container's logs line by line, stdout and stderr split apart, calling
/// `each(stderr, line)` for every line after the first `skip` (stdout, stderr) ones.
/// Returns how many complete lines each stream had in all. A trailing partial line is
/// kept only when not following (the log is complete then).
async fn for_each_log_line(
    docker: &bollard::Docker,
    id: &str,
    follow: bool,
    skip: (u64, u64),
    mut each: impl FnMut(bool, String),
) -> (u64, u64) {
    let opts = LogsOptionsBuilder::default()
        .follow(follow)
        .stdout(true)
        .stderr(true)
        .build();
    let mut stream = docker.logs(id, Some(opts));
    let mut out = crate::runner::progress::LineSplitter::default();
    let mut err = crate::runner::progress::LineSplitter::default();
    let (mut n_out, mut n_err) = (0u64, 0u64);
    let mut emit = |stderr: bool, line: String| {
        let n = if stderr { &mut n_err } else { &mut n_out };
        *n += 1;
        if *n > if stderr { skip.1 } else { skip.0 } {
            each(stderr, line);
        }
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(bollard::container::LogOutput::StdErr { message }) => {
                err.push(&message, |l| emit(true, l))
            }
            Ok(
                bollard::container::LogOutput::StdOut { message }
                | bollard::container::LogOutput::Console { message },
            ) => out.push(&message, |l| emit(false, l)),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if !follow {
        out.finish(|l| emit(false, l));
        err.finish(|l| emit(true, l));
    }
    (n_out, n_err)
}

/// Streams a container's logs into the task's sink (see [`for_each_log_line`]).
async fn pump_logs(
    docker: &bollard::Docker,
    id: &str,
    sink: &crate::runner::exec::StreamSink,
    follow: bool,
    skip: (u64, u64),
) -> (u64, u64) {
    for_each_log_line(docker, id, follow, skip, |stderr, line| {
        sink.line(stderr, line)
    })
    .await
}

/// Appends to `log_file` the lines of a finished container that it does not have yet.
async fn append_missing_logs(docker: &bollard::Docker, id: &str, log_file: &std::path::Path) {
    use std::io::Write as _;
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
    else {
        return;
    };
    let skip = lines_on_disk(log_file);
    let mut file = std::io::BufWriter::new(file);
    for_each_log_line(docker, id, false, skip, |stderr, line| {
        let rec = crate::runner::logfile::record(crate::util::now_ms(), stderr, &line);
        writeln!(file, "{rec}").ok();
    })
    .await;
    file.flush().ok();
}

/// Lines of stdout and stderr already in a task's log file.
fn lines_on_disk(log: &std::path::Path) -> (u64, u64) {
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let tags = text
        .lines()
        .map(|l| crate::runner::logfile::parse(l).tagged)
        .collect::<Vec<_>>();
    let out = tags.iter().filter(|t| t.starts_with("out ")).count() as u64;
    let err = tags.iter().filter(|t| t.starts_with("err ")).count() as u64;
    (out, err)
}

async fn create_and_start(
    docker: &bollard::Docker,
    launch: &Launch,
    spec: &DockerSpec,
) -> Result<String, Outcome> {
    if let Err(e) = docker.inspect_image(&spec.image).await {
        if is_unreachable(&e) {
            return Err(unreachable(&e));
        }
        return Err(Outcome::failed(
            format!(
                "the image {} is not on this Docker engine: build it with `slate image build FUNCTION` (or `docker build`), or load it with `docker load`",
                spec.image
            ),
            false,
        ));
    }
    // A remote engine gets no bind mounts: the paths would be on its own disk.
    let mounts = if spec.target.remote().is_some() {
        Vec::new()
    } else {
        mounts_for(launch, spec).map_err(|e| Outcome::failed(e, false))?
    };
    let device_requests = spec.gpu_index.map(|g| {
        vec![DeviceRequest {
            driver: Some("nvidia".into()),
            device_ids: Some(vec![g.to_string()]),
            capabilities: Some(vec![vec!["gpu".into()]]),
            ..Default::default()
        }]
    });
    let mut env: Vec<String> = launch.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    env.push(format!("SLATE_TASK_ID={}", launch.task_id));
    env.push("SLATE_OUTPUT_DIR=/out".into());
    let user = crate::platform::user_and_group();
    let body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: Some(launch.argv.clone()),
        env: Some(env),
        user,
        working_dir: Some("/out".into()),
        labels: Some(HashMap::from([
            (LABEL_TASK.to_string(), launch.task_id.to_string()),
            (LABEL_STUDIO.to_string(), spec.studio.clone()),
        ])),
        host_config: Some(HostConfig {
            mounts: Some(mounts),
            // Templates bound these; saturating keeps an old stored task from wrapping.
            memory: spec.memory_mb.map(mb_to_bytes),
            memory_swap: spec.memory_mb.map(mb_to_bytes),
            nano_cpus: spec
                .cpu
                .filter(|c| c.is_finite() && *c > 0.0)
                .map(|c| (c * 1e9) as i64),
            network_mode: Some(spec.network.clone()),
            // A render job needs no privileges: no setuid escalation inside the
            // container, and none of the kernel capabilities Docker grants by default
            // (chown, raw sockets, mknod, …). Files in /out are written as the user.
            security_opt: Some(vec!["no-new-privileges".into()]),
            cap_drop: Some(vec!["ALL".into()]),
            device_requests,
            ..Default::default()
        }),
        ..Default::default()
    };
    // A leftover container with this name (a crash between create and record) goes first.
    remove(docker, &spec.container_name).await;
    let opts = CreateContainerOptionsBuilder::default()
        .name(&spec.container_name)
        .build();
    let created = match docker.create_container(Some(opts), body).await {
        Ok(c) => c,
        Err(e) if is_unreachable(&e) => {
            spec.target.broken();
            return Err(unreachable(&e));
        }
        Err(e) => {
            let msg = plain_error(&e);
            let msg = if msg.contains("could not select device driver") {
                "no NVIDIA container runtime on this Docker engine: install the NVIDIA Container Toolkit to run GPU containers (CPU functions still run)".to_string()
            } else {
                format!("could not create the container: {msg}")
            };
            return Err(Outcome::failed(msg, false));
        }
    };
    if spec.target.remote().is_some()
        && let Err(e) = docker_hosts::upload_inputs(docker, &created.id, &launch.input_files).await
    {
        remove(docker, &created.id).await;
        if is_unreachable(&e) {
            spec.target.broken();
            return Err(unreachable(&e));
        }
        return Err(Outcome::failed(
            format!(
                "could not copy the inputs into the container: {}",
                plain_error(&e)
            ),
            false,
        ));
    }
    if let Err(e) = docker
        .start_container(
            &created.id,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
    {
        remove(docker, &created.id).await;
        let msg = plain_error(&e);
        let msg = if msg.contains("could not select device driver") {
            "no NVIDIA container runtime on this Docker engine: install the NVIDIA Container Toolkit to run GPU containers (CPU functions still run)".to_string()
        } else {
            format!("could not start the container: {msg}")
        };
        return Err(Outcome::failed(msg, is_unreachable(&e)));
    }
    Ok(created.id)
}

/// The bind mounts of a task, each source resolved on this side first: the engine
/// follows links on the host, so a project's `01_Assets/Models -> /` would hand the
/// host's root to the container. A link that leaves its folder is refused, not mounted.
pub fn mounts_for(launch: &Launch, spec: &DockerSpec) -> Result<Vec<Mount>, String> {
    let bind = |target: &str, source: &std::path::Path, read_only: bool| Mount {
        target: Some(target.into()),
        source: Some(source.display().to_string()),
        typ: Some(MountType::BIND),
        read_only: Some(read_only),
        ..Default::default()
    };
    // Slate made the output folder; resolving it still pins the path the engine sees.
    let out = std::fs::canonicalize(&launch.output_dir)
        .map_err(|e| format!("{}: {e}", launch.output_dir.display()))?;
    let mut mounts = vec![bind("/out", &out, false)];
    if let Some(p) = &spec.project_dir {
        let project = std::fs::canonicalize(p).map_err(|e| format!("{}: {e}", p.display()))?;
        mounts.push(bind("/workspace", &project, true));
        let models = project.join("01_Assets/Models");
        if std::fs::symlink_metadata(&models).is_ok() {
            let real = crate::util::walk::resolve_inside(&project, &models)
                .map_err(|e| format!("not mounting 01_Assets/Models: {e}"))?;
            if real.is_dir() {
                mounts.push(bind("/models", &real, true));
            }
        }
    }
    for (i, file) in launch.input_files.iter().enumerate() {
        mounts.push(bind(
            &format!("/inputs/{i}/{}", file.name),
            &file.path,
            true,
        ));
    }
    Ok(mounts)
}

fn mb_to_bytes(mb: u64) -> i64 {
    i64::try_from(mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX)
}

/// TERM, then KILL after the grace period (Docker does both).
async fn stop(docker: &bollard::Docker, id: &str) {
    let grace = crate::runner::process::GRACE.as_secs() as i32;
    let opts = StopContainerOptionsBuilder::default().t(grace).build();
    docker.stop_container(id, Some(opts)).await.ok();
}

async fn remove(docker: &bollard::Docker, id: &str) {
    let opts = RemoveContainerOptionsBuilder::default().force(true).build();
    docker.remove_container(id, Some(opts)).await.ok();
}

/// A container of ours, found by label.
#[derive(Clone, Debug)]
pub struct FoundContainer {
    pub id: String,
    pub task_id: u64,
    pub running: bool,
}

/// This studio's containers (running or not).
pub async fn list_ours(target: &Target, studio: &str) -> Result<Vec<FoundContainer>, String> {
    let docker = target.client()?;
    let label = format!("{LABEL_STUDIO}={studio}");
    let filters = HashMap::from([("label", vec![label.as_str()])]);
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = tokio::time::timeout(Duration::from_secs(5), docker.list_containers(Some(opts)))
        .await
        .map_err(|_| {
            target.broken();
            "the Docker engine did not answer within 5 s".to_string()
        })?
        .map_err(|e| {
            target.broken();
            plain_error(&e)
        })?;
    Ok(list
        .into_iter()
        .filter_map(|c| {
            let task_id = c.labels.as_ref()?.get(LABEL_TASK)?.parse().ok()?;
            Some(FoundContainer {
                id: c.id?,
                task_id,
                running: c.state.map(|s| s.to_string() == "running").unwrap_or(false),
            })
        })
        .collect())
}

/// Exit code and OOM flag of a finished container, then removes it. The part of its
/// log that no Slate was there to read is appended to `log_file` first.
pub async fn collect_finished(
    target: &Target,
    id: &str,
    log_file: &std::path::Path,
    output_dir: Option<&std::path::Path>,
) -> Result<(i64, bool), String> {
    let docker = target.client()?;
    append_missing_logs(&docker, id, log_file).await;
    if let (Some(_), Some(dir)) = (target.remote(), output_dir) {
        docker_hosts::download_outputs(&docker, id, dir)
            .await
            .map_err(|e| e.to_string())?;
    }
    let c = docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .map_err(|e| plain_error(&e))?;
    let state = c.state.unwrap_or_default();
    let result = (
        state.exit_code.unwrap_or(-1),
        state.oom_killed.unwrap_or(false),
    );
    remove(&docker, id).await;
    Ok(result)
}

pub async fn remove_container(target: &Target, id: &str) {
    if let Ok(d) = target.client() {
        remove(&d, id).await;
    }
}

/// Builds `tag` from a folder holding a Dockerfile, reporting each build line.
pub async fn build_image(
    endpoint: &str,
    context_tar: Vec<u8>,
    tag: &str,
    mut progress: impl FnMut(&str),
) -> Result<(), String> {
    let docker = connect(endpoint)?;
    let opts = bollard::query_parameters::BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .build();
    let mut stream = docker.build_image(
        opts,
        None,
        Some(bollard::body_full(bytes::Bytes::from(context_tar))),
    );
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| plain_error(&e))?;
        if let Some(detail) = info.error_detail {
            return Err(detail.message.unwrap_or_else(|| "the build failed".into()));
        }
        if let Some(s) = info.stream {
            for line in s.lines().filter(|l| !l.trim().is_empty()) {
                progress(line);
            }
        }
    }
    Ok(())
}

/// Local images as `repo:tag`.
pub async fn list_images(endpoint: &str) -> Result<Vec<(String, i64)>, String> {
    let docker = connect(endpoint)?;
    let images = docker
        .list_images(None::<bollard::query_parameters::ListImagesOptions>)
        .await
        .map_err(|e| plain_error(&e))?;
    let mut out: Vec<(String, i64)> = images
        .into_iter()
        .flat_map(|i| {
            let size = i.size;
            i.repo_tags.into_iter().map(move |t| (t, size))
        })
        .filter(|(t, _)| t != "<none>:<none>")
        .collect();
    out.sort();
    Ok(out)
}

/// Connects to Docker at `endpoint` (empty = local default) and reports its version.
pub async fn engine_version(endpoint: &str) -> crate::model::system::Probe {
    let docker = connect(endpoint)?;
    let v = tokio::time::timeout(std::time::Duration::from_secs(5), docker.version())
        .await
        .map_err(|_| "the Docker engine did not answer within 5 s".to_string())?
        .map_err(|e| plain_error(&e))?;
    Ok(format!(
        "Docker Engine {} (API {})",
        v.version.unwrap_or_default(),
        v.api_version.unwrap_or_default()
    ))
}
