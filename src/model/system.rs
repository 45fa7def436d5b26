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
            s += &format!("GPU {}: {} ({} MiB)\n", g.index, g.name, g.memory_total_mb);
        }
        s += &format!(
            "Data dir: {}\nSettings: {}\nWorkspace: {}\nFunctions: {}\n",
            self.data_dir, self.settings_file, self.workspace, self.functions_dir
        );
        s
    }
}
