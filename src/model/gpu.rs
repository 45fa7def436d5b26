use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GpuProcess {
    pub pid: u32,
    pub used_mb: u64,
    /// The process's name (`/proc/PID/comm`), filled in by the sampler.
    pub name: String,
    /// The Slate task that owns it, when the sampler could tell.
    pub task: Option<u64>,
}

/// One GPU at one instant. Fields NVML cannot read on this GPU are `None`.
/// NVML reports bytes; every `*_mb` figure in Slate is MiB (as nvidia-smi shows), so
/// the sampler, the inventory and the scheduler agree.
pub fn mib(bytes: u64) -> u64 {
    bytes / 1_048_576
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GpuSample {
    pub index: u32,
    pub name: String,
    pub uuid: String,
    pub util_gpu: Option<u32>,
    pub util_mem: Option<u32>,
    pub mem_used_mb: u64,
    pub mem_free_mb: u64,
    pub mem_total_mb: u64,
    pub temp_c: Option<u32>,
    pub power_w: Option<f64>,
    pub power_limit_w: Option<f64>,
    pub sm_clock_mhz: Option<u32>,
    pub mem_clock_mhz: Option<u32>,
    pub fan_pct: Option<u32>,
    pub processes: Vec<GpuProcess>,
}

/// A Docker host as Settings → Runner and the GPU tab show it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostStatus {
    pub name: String,
    /// `local`, `ssh://…` or `tcp://…`.
    pub url: String,
    /// `None` until the first check.
    pub reachable: Option<bool>,
    /// Why it is not reachable.
    pub error: Option<String>,
    /// "Docker Engine 20.10.24 (API 1.41)".
    pub engine: Option<String>,
    /// Whether the engine has the NVIDIA runtime (so GPU containers can run there).
    pub nvidia_runtime: bool,
    /// GPUs it has: declared in Settings (remote engines report no VRAM), VRAM in MiB.
    pub gpus: Vec<u64>,
    /// What to say about its GPUs: "no GPU reported", "2 GPUs declared", ….
    pub gpu_note: String,
    pub checked_ms: u64,
}

/// The GPU line of a reachable host.
pub fn gpu_note(nvidia_runtime: bool, declared: &[u64]) -> String {
    match (nvidia_runtime, declared.len()) {
        (false, 0) => "no GPU reported".into(),
        (true, 0) => "NVIDIA runtime; GPU sizes not declared (set gpu_vram_mb)".into(),
        (false, n) => format!(
            "{} declared, but the engine has no NVIDIA runtime",
            crate::util::count(n, "GPU")
        ),
        (true, n) => format!(
            "{}: {}",
            crate::util::count(n, "GPU"),
            declared
                .iter()
                .map(|mb| crate::model::gpu::gb(*mb))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// MiB as GiB with one decimal ("11.2 GiB"): what nvidia-smi counts, labelled as such.
pub fn gb(mb: u64) -> String {
    format!("{:.1} GiB", mb as f64 / 1024.0)
}

/// The name of this machine's own Docker engine (and its process executor).
pub const LOCAL: &str = "local";
