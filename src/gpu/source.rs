//! GPU samples and where they come from: NVML on a real machine, or a replay file
//! (`--gpu-replay`) so demos and tests run without a GPU.

use std::path::Path;
use std::time::Instant;

pub use crate::model::gpu::{GpuProcess, GpuSample, mib};
use serde::{Deserialize, Serialize};

/// Which NVML fields a tick reads: NVML calls serialise on the driver, so a tick reads
/// only what is on screen or needed for admission and attribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    /// Clocks, fan and power limit (the GPU tab).
    pub detail: bool,
    /// Compute processes (the GPU tab, or GPU tasks running).
    pub processes: bool,
}

impl Fields {
    pub const ALL: Fields = Fields {
        detail: true,
        processes: true,
    };
}

pub trait GpuSource: Send {
    /// One reading of every GPU, or why none can be read.
    fn sample(&mut self, fields: Fields) -> Result<Vec<GpuSample>, String>;
    /// Driver and CUDA versions, where known.
    fn versions(&self) -> (Option<String>, Option<String>) {
        (None, None)
    }
}

/// Opens the replay file when one is given, else NVML. NVML failing is not an error
/// here: the source answers every sample with the reason.
pub fn open_source(replay: Option<&Path>) -> Result<Box<dyn GpuSource>, String> {
    match replay {
        Some(p) => Ok(Box::new(ReplaySource::open(p)?)),
        None => Ok(Box::new(NvmlSource::new())),
    }
}

pub struct NvmlSource {
    nvml: Result<&'static nvml_wrapper::Nvml, String>,
}

impl NvmlSource {
    pub fn new() -> Self {
        Self {
            nvml: super::nvml(),
        }
    }
}

impl Default for NvmlSource {
    fn default() -> Self {
        Self::new()
    }
}

impl GpuSource for NvmlSource {
    fn sample(&mut self, fields: Fields) -> Result<Vec<GpuSample>, String> {
        use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
        let nvml = *self.nvml.as_ref().map_err(Clone::clone)?;
        let count = nvml.device_count().map_err(|e| super::nvml_reason(&e))?;
        let mut out = Vec::with_capacity(count as usize);
        for index in 0..count {
            let d = nvml
                .device_by_index(index)
                .map_err(|e| super::nvml_reason(&e))?;
            let mem = d.memory_info().map_err(|e| super::nvml_reason(&e))?;
            let util = d.utilization_rates().ok();
            let processes = if fields.processes {
                d.running_compute_processes()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| GpuProcess {
                        pid: p.pid,
                        used_mb: match p.used_gpu_memory {
                            nvml_wrapper::enums::device::UsedGpuMemory::Used(b) => mib(b),
                            nvml_wrapper::enums::device::UsedGpuMemory::Unavailable => 0,
                        },
                        ..Default::default()
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let detail = fields.detail;
            out.push(GpuSample {
                index,
                name: d.name().unwrap_or_default(),
                uuid: if detail {
                    d.uuid().unwrap_or_default()
                } else {
                    String::new()
                },
                util_gpu: util.as_ref().map(|u| u.gpu),
                util_mem: util.as_ref().map(|u| u.memory),
                mem_used_mb: mib(mem.used),
                mem_free_mb: mib(mem.free),
                mem_total_mb: mib(mem.total),
                temp_c: d.temperature(TemperatureSensor::Gpu).ok(),
                power_w: d.power_usage().ok().map(|mw| mw as f64 / 1000.0),
                power_limit_w: detail
                    .then(|| d.enforced_power_limit().ok().map(|mw| mw as f64 / 1000.0))
                    .flatten(),
                sm_clock_mhz: detail.then(|| d.clock_info(Clock::SM).ok()).flatten(),
                mem_clock_mhz: detail.then(|| d.clock_info(Clock::Memory).ok()).flatten(),
                fan_pct: detail.then(|| d.fan_speed(0).ok()).flatten(),
                processes,
            });
        }
        Ok(out)
    }

    fn versions(&self) -> (Option<String>, Option<String>) {
        let Ok(nvml) = &self.nvml else {
            return (None, None);
        };
        let cuda = nvml
            .sys_cuda_driver_version()
            .ok()
            .map(|v| format!("{}.{}", v / 1000, (v % 1000) / 10));
        (nvml.sys_driver_version().ok(), cuda)
    }
}

/// A source that cannot read anything, and says why on every tick (a bad replay file).
pub struct FailingSource(pub String);

impl GpuSource for FailingSource {
    fn sample(&mut self, _fields: Fields) -> Result<Vec<GpuSample>, String> {
        Err(self.0.clone())
    }
}

/// A recorded frame: seconds from the start of the recording and every GPU then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayFrame {
    pub t_s: f64,
    pub gpus: Vec<GpuSample>,
}

/// Plays a JSON-lines recording in real time; the last frame holds once it is reached.
/// The file is read again when it changes, so a recording that is still being written
/// (`slate gpu --record`) can be followed.
pub struct ReplaySource {
    frames: Vec<ReplayFrame>,
    started: Instant,
    path: std::path::PathBuf,
    modified: Option<std::time::SystemTime>,
}

impl ReplaySource {
    pub fn open(path: &Path) -> Result<Self, String> {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        Ok(Self {
            frames: Self::read(path)?,
            started: Instant::now(),
            path: path.to_owned(),
            modified,
        })
    }

    fn read(path: &Path) -> Result<Vec<ReplayFrame>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("GPU replay file {}: {e}", path.display()))?;
        let mut frames = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let f: ReplayFrame = serde_json::from_str(line)
                .map_err(|e| format!("GPU replay file {}: line {}: {e}", path.display(), n + 1))?;
            frames.push(f);
        }
        if frames.is_empty() {
            return Err(format!(
                "GPU replay file {} has no frames (one JSON object a line: {{\"t_s\":0,\"gpus\":[…]}})",
                path.display()
            ));
        }
        frames.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
        Ok(frames)
    }
}

impl GpuSource for ReplaySource {
    fn sample(&mut self, _fields: Fields) -> Result<Vec<GpuSample>, String> {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if modified != self.modified {
            self.modified = modified;
            self.frames = Self::read(&self.path)?;
        }
        let t = self.started.elapsed().as_secs_f64();
        let frame = self
            .frames
            .iter()
            .rev()
            .find(|f| f.t_s <= t)
            .unwrap_or(&self.frames[0]);
        Ok(frame.gpus.clone())
    }

    fn versions(&self) -> (Option<String>, Option<String>) {
        (Some("replay".into()), None)
    }
}
