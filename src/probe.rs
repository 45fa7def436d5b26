//! System probes: what this machine has (git, git-lfs, Docker, NVIDIA driver).
//! Run on core threads only; each probe answers with a value or a plain reason.

pub use crate::model::system::{GpuInfo, Probe, SystemInfo};

/// Runs `program args` and returns its first output line.
fn command_version(program: &str, args: &[&str]) -> Probe {
    match std::process::Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()),
        Ok(out) => Err(format!(
            "`{program}` exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("`{program}` is not installed or not on PATH"))
        }
        Err(e) => Err(format!("could not run `{program}`: {e}")),
    }
}

pub fn git_version() -> Probe {
    command_version("git", &["--version"])
}

pub fn git_lfs_version() -> Probe {
    command_version("git-lfs", &["version"])
}

pub fn libgit2_version() -> String {
    let v = git2::Version::get();
    let (a, b, c) = v.libgit2_version();
    format!("{a}.{b}.{c}")
}

/// NVIDIA driver version and GPUs through NVML, or why there are none.
pub fn nvidia() -> (Probe, Vec<GpuInfo>) {
    match crate::gpu::nvml_inventory() {
        Ok((driver, gpus)) => (Ok(driver), gpus),
        Err(e) => (Err(e), Vec::new()),
    }
}
