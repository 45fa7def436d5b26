//! GPU inventory through NVML. Without an NVIDIA driver every call returns a plain
//! reason and the rest of Slate carries on.

use crate::model::system::GpuInfo;

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

/// The one NVML handle of this process (the inventory and the sampler share it), or
/// why there is none.
pub fn nvml() -> Result<&'static nvml_wrapper::Nvml, String> {
    static NVML: std::sync::OnceLock<Result<nvml_wrapper::Nvml, String>> =
        std::sync::OnceLock::new();
    NVML.get_or_init(|| nvml_wrapper::Nvml::init().map_err(|e| nvml_reason(&e)))
        .as_ref()
        .map_err(Clone::clone)
}

/// Driver version and the GPUs NVML sees.
pub fn nvml_inventory() -> Result<(String, Vec<GpuInfo>), String> {
    let nvml = nvml()?;
    let driver = nvml.sys_driver_version().map_err(|e| nvml_reason(&e))?;
    let count = nvml.device_count().map_err(|e| nvml_reason(&e))?;
    let mut gpus = Vec::new();
    for index in 0..count {
        let d = nvml.device_by_index(index).map_err(|e| nvml_reason(&e))?;
        let name = d.name().unwrap_or_else(|_| "unknown GPU".into());
        let total = d.memory_info().map(|m| m.total).unwrap_or(0);
        gpus.push(gpu_info(index, name, total));
    }
    Ok((driver, gpus))
}

/// One GPU of the inventory; memory in MiB through the same conversion as the sampler.
pub fn gpu_info(index: u32, name: String, memory_total_bytes: u64) -> GpuInfo {
    GpuInfo {
        index,
        name,
        memory_total_mb: source::mib(memory_total_bytes),
    }
}

pub mod attribution;
pub use crate::model::gpu_history as history;
pub mod sampler;
pub mod source;
pub use source::{Fields, GpuProcess, GpuSample, GpuSource, NvmlSource, ReplaySource, open_source};

#[cfg(test)]
mod tests {
    #[test]
    fn the_inventory_and_the_sampler_both_count_mib() {
        // An 80 GiB card: 81920 MiB, as nvidia-smi says, not 85899 decimal MB.
        let bytes = 80 * 1024 * 1024 * 1024;
        assert_eq!(
            super::gpu_info(0, "H100".into(), bytes).memory_total_mb,
            81_920
        );
        assert_eq!(super::source::mib(bytes), 81_920);
    }
}
