//! System probes: what this machine has (git, git-lfs, Docker, NVIDIA driver).
//! Run on core threads only; each probe answers with a value or a plain reason.

use serde::{Deserialize, Serialize};

/// A probe's answer: `Ok(version or summary)` or `Err(why it is unavailable)`.
pub type Probe = Result<String, String>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuInfo {
    pub index: u32,
    pub name: String,
    pub memory_total_mb: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemInfo {
    pub slate_version: String,
    pub libgit2_version: String,
    pub git: Probe,
    pub git_lfs: Probe,
    pub docker: Probe,
    /// Driver version, or why NVML is unavailable.
    pub nvidia_driver: Probe,
    pub gpus: Vec<GpuInfo>,
    pub data_dir: String,
    pub settings_file: String,
    pub workspace: String,
    /// Where user function templates are loaded from.
    #[serde(default)]
    pub functions_dir: String,
}

impl SystemInfo {
    /// A plain-text report for the clipboard (bug reports).
    pub fn report(&self) -> String {
        let show = |p: &Probe| match p {
            Ok(v) => v.clone(),
            Err(e) => format!("unavailable ({e})"),
        };
        let mut s = format!(
            "Slate {}\nlibgit2 {}\ngit: {}\ngit-lfs: {}\nDocker: {}\nNVIDIA driver: {}\n",
            self.slate_version,
            self.libgit2_version,
            show(&self.git),
            show(&self.git_lfs),
            show(&self.docker),
            show(&self.nvidia_driver),
        );
        for g in &self.gpus {
            s += &format!("GPU {}: {} ({} MB)\n", g.index, g.name, g.memory_total_mb);
        }
        s += &format!(
            "Data dir: {}\nSettings: {}\nWorkspace: {}\nFunctions: {}\n",
            self.data_dir, self.settings_file, self.workspace, self.functions_dir
        );
        s
    }
}

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

/// Connects to Docker at `endpoint` (empty = local default) and reports its version.
pub async fn docker_version(endpoint: &str) -> Probe {
    let docker = crate::runner::docker::connect(endpoint)?;
    let v = tokio::time::timeout(std::time::Duration::from_secs(5), docker.version())
        .await
        .map_err(|_| "the Docker engine did not answer within 5 s".to_string())?
        .map_err(|e| crate::runner::docker::plain_error(&e))?;
    Ok(format!(
        "Docker Engine {} (API {})",
        v.version.unwrap_or_default(),
        v.api_version.unwrap_or_default()
    ))
}

/// NVIDIA driver version and GPUs through NVML, or why there are none.
pub fn nvidia() -> (Probe, Vec<GpuInfo>) {
    match crate::gpu::nvml_inventory() {
        Ok((driver, gpus)) => (Ok(driver), gpus),
        Err(e) => (Err(e), Vec::new()),
    }
}
