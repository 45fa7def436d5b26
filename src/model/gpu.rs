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
