//! What a CLI asks of this machine rather than of a core: its GPUs, its Docker images,
//! the Slurm cluster its settings name, and the task store when no Slate holds it.

use std::path::Path;

use crate::model::gpu::GpuSample;
use crate::model::task::{Task, TaskId};
use crate::paths::Paths;
use crate::settings::Settings;

pub use crate::runner::slurm::ClusterStatus;

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// The tasks in the store, as recovery would leave them (nothing is changed and no
/// process signalled), and warnings about what it found. Only when no Slate serves.
pub fn stored_tasks(
    paths: &Paths,
    settings: &Settings,
) -> Result<(Vec<Task>, Vec<String>), String> {
    let opened =
        crate::runner::store::Store::open(&paths.database_file()).map_err(|e| e.to_string())?;
    let registry = super::functions::registry(paths, settings);
    let (tasks, mut warnings) =
        crate::runner::load_and_recover(&opened.store, &registry, crate::runner::Recovery::Preview);
    warnings.splice(0..0, opened.warning);
    Ok((tasks, warnings))
}

/// Whether task `id` has ended, read from the store when this process can open it
/// (`None` while another Slate holds it).
pub fn stored_task_ended(paths: &Paths, id: TaskId) -> Option<bool> {
    let opened = crate::runner::store::Store::open(&paths.database_file()).ok()?;
    let (tasks, _) = opened.store.all().ok()?;
    Some(tasks.iter().any(|t| {
        t.id == id && !t.state.is_active() && t.state != crate::model::task::TaskState::Queued
    }))
}

/// This machine's GPUs (NVML, or a recording replayed for tests and demos).
pub struct Gpus {
    source: Box<dyn crate::gpu::source::GpuSource>,
    started: std::time::Instant,
}

impl Gpus {
    pub fn open(replay: Option<&Path>) -> Result<Self, String> {
        Ok(Self {
            source: crate::gpu::open_source(replay)?,
            started: std::time::Instant::now(),
        })
    }

    pub fn sample(&mut self) -> Result<Vec<GpuSample>, String> {
        self.source.sample(crate::gpu::Fields::ALL)
    }

    /// Driver and CUDA versions, where known.
    pub fn versions(&self) -> (Option<String>, Option<String>) {
        self.source.versions()
    }

    /// One line of a recording `--gpu-replay` plays back.
    pub fn record_line(&self, gpus: &[GpuSample]) -> String {
        let frame = crate::gpu::source::ReplayFrame {
            t_s: self.started.elapsed().as_secs_f64(),
            gpus: gpus.to_vec(),
        };
        serde_json::to_string(&frame).expect("a frame serialises")
    }
}

/// Builds the image of function `id` with the Docker engine in the settings: a Docker
/// function's from its folder, a process function's from the Debian packages it lists.
/// Returns what was done, in a line.
pub fn build_image(
    paths: &Paths,
    settings: &Settings,
    id: &str,
    mut progress: impl FnMut(String),
) -> Result<String, String> {
    use crate::runner::function::Executor;
    use crate::runner::image;
    let endpoint = &settings.runner.docker_endpoint;
    let reg = super::functions::registry(paths, settings);
    let t = reg.get(id)?;
    let rt = runtime()?;
    if matches!(t.executor, Executor::Process) {
        let started = std::time::Instant::now();
        let built = rt
            .block_on(image::build_from_packages(endpoint, t, |s| {
                progress(format!(
                    "[{:>3.0}%] {}: {}",
                    s.progress * 100.0,
                    s.stage,
                    s.message
                ))
            }))
            .map_err(|e| format!("building the image for {} failed: {e}", t.id))?;
        return Ok(match built {
            image::Built::Cached(tag) => format!("{tag} is up to date (cached)"),
            image::Built::Built(tag) => {
                format!("built {tag} in {:.1} s", started.elapsed().as_secs_f64())
            }
        });
    }
    let tag = image::image_of(t)?.to_string();
    let context = image::build_context(t)?;
    progress(format!(
        "building {tag} for {} ({} KiB context)",
        t.id,
        context.len() / 1024
    ));
    rt.block_on(crate::runner::docker::build_image(
        endpoint,
        context,
        &tag,
        |line| progress(format!("  {line}")),
    ))
    .map_err(|e| format!("building {tag} failed: {e}"))?;
    Ok(format!("built {tag}"))
}

/// The Docker engine's images: tag and size in bytes.
pub fn images(settings: &Settings) -> Result<Vec<(String, i64)>, String> {
    runtime()?.block_on(crate::runner::docker::list_images(
        &settings.runner.docker_endpoint,
    ))
}

/// The Slurm cluster the settings name: partitions, nodes and this user's jobs.
pub fn cluster_status(settings: &Settings) -> Result<ClusterStatus, String> {
    let client = crate::runner::slurm::Client::new(&settings.slurm.conf);
    runtime()?
        .block_on(crate::runner::slurm::cluster_status(&client))
        .map_err(|e| e.to_string())
}
