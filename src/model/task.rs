//! A task: one run of a function, as the store keeps it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub type TaskId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    Queued,
    Preparing,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// Cut by a crash and not re-attachable.
    Interrupted,
}

impl TaskState {
    pub const ALL: [Self; 7] = [
        Self::Queued,
        Self::Preparing,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
        Self::Interrupted,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Preparing => "preparing",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.label() == s)
    }

    /// Holding an executor (process or container).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Preparing | Self::Running)
    }

    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Cancelled | Self::Interrupted
        )
    }

    pub fn can_retry(self) -> bool {
        matches!(self, Self::Failed | Self::Cancelled | Self::Interrupted)
    }
}

/// What a user asks for: a function, a preset and raw parameter text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskRequest {
    pub function: String,
    pub preset: Option<String>,
    /// Raw `key=value` text as typed; validated against the template on submit.
    pub params: BTreeMap<String, String>,
    pub priority: i32,
    pub project: Option<String>,
    pub shot: Option<String>,
    /// The shot this run generates a take for, by stable ids (a rename between submit
    /// and finish still lands the take).
    #[serde(default)]
    pub shot_ref: Option<ShotRef>,
    /// Run with this executor instead of the template's: `process`, `docker` or `slurm`.
    #[serde(default)]
    pub executor: Option<String>,
    /// Run only on this Docker host (a name from Settings → Runner, or `local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// A shot by its stable ids: the project's `id` from `project.json` and the chapter,
/// scene and shot ids, plus the project folder it was submitted from (a hint: the id
/// wins when the folder moved).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShotRef {
    pub project_id: String,
    #[serde(default)]
    pub project_dir: Option<std::path::PathBuf>,
    pub chapter_id: String,
    pub scene_id: String,
    pub shot_id: String,
    /// The project's HEAD commit when the run was submitted (for provenance).
    #[serde(default)]
    pub submitted_commit: Option<String>,
}

/// Resources a task holds while it runs, after its preset is applied.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskResources {
    pub gpu: bool,
    pub vram_mb: u64,
    pub cpu: Option<f64>,
    pub memory_mb: Option<u64>,
    pub timeout_s: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub function: String,
    pub function_version: String,
    pub preset: Option<String>,
    pub params: BTreeMap<String, serde_json::Value>,
    pub project: Option<String>,
    pub shot: Option<String>,
    pub priority: i32,
    /// FIFO order within a priority; reordering swaps these.
    pub seq: u64,
    pub state: TaskState,
    pub progress: f32,
    pub stage: Option<String>,
    pub message: Option<String>,
    pub resources: TaskResources,
    pub created_ms: u64,
    pub started_ms: Option<u64>,
    pub finished_ms: Option<u64>,
    pub attempts: u32,
    /// When a transient failure is retried (backoff); `None` = as soon as possible.
    pub not_before_ms: Option<u64>,
    pub gpu_index: Option<u32>,
    pub pid: Option<u32>,
    pub container_id: Option<String>,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
    pub outputs: Vec<String>,
    pub output_dir: Option<std::path::PathBuf>,
    /// Most VRAM its processes held at once (MB), when a GPU sampler watched it.
    #[serde(default)]
    pub peak_vram_mb: Option<u64>,
    /// Mean utilisation of its GPU while it ran (%).
    #[serde(default)]
    pub mean_gpu_util: Option<f32>,
    /// When its process started (clock ticks since boot), to find leftovers after a crash
    /// without mistaking a reused PID for ours.
    #[serde(default)]
    pub pid_start: Option<u64>,
    /// `attempts` when the user last retried it: automatic retries count from here.
    #[serde(default)]
    pub retry_base: u32,
    /// The shot whose next take this run becomes.
    #[serde(default)]
    pub shot_ref: Option<ShotRef>,
    /// The executor asked for instead of the template's (`process`, `docker`, `slurm`).
    #[serde(default)]
    pub executor: Option<String>,
    /// The Slurm job running it (the last attempt's), to follow it after a restart.
    #[serde(default)]
    pub slurm_job: Option<String>,
    /// The Docker host it was asked to run on, if any.
    #[serde(default)]
    pub requested_host: Option<String>,
    /// The Docker host it runs (or last ran) on; `None`: this machine. Kept with the
    /// container id, so a re-attach after a restart goes to the right engine.
    #[serde(default)]
    pub host: Option<String>,
}

impl Task {
    /// A new queued task with nothing run yet; callers set what they know with
    /// struct-update syntax (`Task { priority, ..Task::queued(…) }`).
    pub fn queued(id: TaskId, function: &str, function_version: &str, created_ms: u64) -> Task {
        Task {
            id,
            function: function.into(),
            function_version: function_version.into(),
            preset: None,
            params: BTreeMap::new(),
            project: None,
            shot: None,
            priority: 0,
            seq: id,
            state: TaskState::Queued,
            progress: 0.0,
            stage: None,
            message: None,
            resources: TaskResources::default(),
            created_ms,
            started_ms: None,
            finished_ms: None,
            attempts: 0,
            not_before_ms: None,
            gpu_index: None,
            pid: None,
            container_id: None,
            exit_code: None,
            error: None,
            outputs: Vec::new(),
            output_dir: None,
            peak_vram_mb: None,
            mean_gpu_util: None,
            pid_start: None,
            retry_base: 0,
            shot_ref: None,
            executor: None,
            slurm_job: None,
            requested_host: None,
            host: None,
        }
    }

    /// Wall time of the last run, when it has started.
    pub fn duration_ms(&self, now_ms: u64) -> Option<u64> {
        let start = self.started_ms?;
        Some(self.finished_ms.unwrap_or(now_ms).saturating_sub(start))
    }

    /// A short human label: `demo/countdown #12`.
    pub fn title(&self) -> String {
        format!("{} #{}", self.function, self.id)
    }

    /// The state as a person should read it: "cancelling" from the moment a cancel is
    /// asked until the executor has stopped (a container can take seconds to stop).
    pub fn state_text(&self) -> &'static str {
        if self.state.is_active() && self.stage.as_deref() == Some("cancelling") {
            "cancelling"
        } else {
            self.state.label()
        }
    }
}
