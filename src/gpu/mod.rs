//! GPU inventory through NVML. Without an NVIDIA driver every call returns a plain
//! reason and the rest of Slate carries on.

use crate::probe::GpuInfo;

/// Why NVML cannot be used, in words a user can act on.
fn nvml_reason(e: &nvml_wrapper::error::NvmlError) -> String {
    use nvml_wrapper::error::NvmlError as E;
    match e {
        E::LibloadingError(_) => {
            "no NVIDIA driver (libnvidia-ml.so.1 not found): install the NVIDIA driver to use GPU functions".into()
        }
        E::DriverNotLoaded => "the NVIDIA driver is installed but not loaded".into(),
        E::NoPermission => "no permission to read the GPU (NVML refused)".into(),
        other => format!("NVML error: {other}"),
    }
}

/// Driver version and the GPUs NVML sees.
pub fn nvml_inventory() -> Result<(String, Vec<GpuInfo>), String> {
    let nvml = nvml_wrapper::Nvml::init().map_err(|e| nvml_reason(&e))?;
    let driver = nvml.sys_driver_version().map_err(|e| nvml_reason(&e))?;
    let count = nvml.device_count().map_err(|e| nvml_reason(&e))?;
    let mut gpus = Vec::new();
    for index in 0..count {
        let d = nvml.device_by_index(index).map_err(|e| nvml_reason(&e))?;
        gpus.push(GpuInfo {
            index,
            name: d.name().unwrap_or_else(|_| "unknown GPU".into()),
            memory_total_mb: d.memory_info().map(|m| m.total / 1_000_000).unwrap_or(0),
        });
    }
    Ok((driver, gpus))
}

pub mod attribution;
pub mod history;
pub mod sampler;
pub mod source;
pub use source::{Fields, GpuProcess, GpuSample, GpuSource, NvmlSource, ReplaySource, open_source};
