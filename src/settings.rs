//! The settings file: a validated TOML document, written atomically.
//!
//! A file that fails to parse or validate is never overwritten: it is renamed aside
//! (`settings.toml.broken-<ms>`) and Slate starts with defaults and a visible warning.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeChoice {
    Light,
    #[default]
    Dark,
    System,
}

impl ThemeChoice {
    pub const ALL: [Self; 3] = [Self::Light, Self::Dark, Self::System];
    pub fn label(self) -> &'static str {
        match self {
            Self::Light => "Light",
            Self::Dark => "Dark",
            Self::System => "System",
        }
    }
}

/// Generation quality presets shared by templates and the workspace default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    Draft,
    #[default]
    Standard,
    High,
    Ultra,
}

impl Quality {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Standard, Self::High, Self::Ultra];
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Standard => "standard",
            Self::High => "high",
            Self::Ultra => "ultra",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.label() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneralSettings {
    pub theme: ThemeChoice,
    pub ui_scale: f32,
}

impl Default for GeneralSettings {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::Dark,
            ui_scale: 1.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkspaceSettings {
    pub root: PathBuf,
    pub default_quality: Quality,
    pub lfs_enabled: bool,
    pub auto_commit: bool,
    pub auto_commit_interval_s: u64,
    pub auto_commit_files: u64,
    pub lfs_warn_mib: u64,
    /// Commit each new take (and review change) under LFS as it is made.
    pub commit_takes: bool,
    /// Files bigger than this are refused by asset import (MiB; 0: no limit).
    pub asset_max_mib: u64,
}

impl Default for WorkspaceSettings {
    fn default() -> Self {
        Self {
            root: default_workspace_root(),
            default_quality: Quality::Standard,
            lfs_enabled: true,
            auto_commit: false,
            auto_commit_interval_s: 300,
            auto_commit_files: 10,
            lfs_warn_mib: 50,
            commit_takes: true,
            asset_max_mib: 51_200,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunnerSettings {
    /// `unix:///var/run/docker.sock`, `tcp://host:2375`, or empty for the local default.
    pub docker_endpoint: String,
    pub max_concurrent: u64,
    pub default_timeout_s: u64,
    pub vram_headroom_mb: u64,
    /// Docker engines on other machines (`[[runner.hosts]]`); the local engine is always
    /// there too, as `local`.
    pub hosts: Vec<DockerHost>,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            docker_endpoint: String::new(),
            max_concurrent: 2,
            default_timeout_s: 3600,
            vram_headroom_mb: 512,
            hosts: Vec::new(),
        }
    }
}

/// A named Docker engine on another machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerHost {
    pub name: String,
    /// `ssh://user@host` (port and key in the ssh config) or `tcp://host:2376` (TLS).
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// Its GPUs' VRAM in MiB, one entry a GPU: a remote engine does not report them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpu_vram_mb: Vec<u64>,
}

impl DockerHost {
    /// What is wrong with this entry, if anything.
    pub fn problem(&self) -> Option<String> {
        let name = self.name.trim();
        if name.is_empty() {
            return Some("give the host a name, like box-b".into());
        }
        if name == crate::model::gpu::LOCAL {
            return Some("\"local\" is this machine's engine; choose another name".into());
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Some(format!(
                "{name:?}: use letters, digits, '-', '_' and '.' in a host name"
            ));
        }
        let url = self.url.trim();
        if let Some(rest) = url.strip_prefix("ssh://") {
            let host = rest.rsplit('@').next().unwrap_or("");
            if rest.is_empty() || host.is_empty() {
                return Some("write ssh://user@host".into());
            }
            // ssh reads a destination that starts with '-' as an option.
            if rest.starts_with('-') || host.starts_with('-') || rest.contains(char::is_whitespace)
            {
                return Some(format!(
                    "{url}: a user or host name cannot start with '-' or hold spaces"
                ));
            }
            if host.contains(':') || rest.contains('/') {
                return Some(format!(
                    "{url}: put the port (and key) in your ssh config (~/.ssh/config, Host {host}), not in the address"
                ));
            }
            return None;
        }
        if let Some(rest) = url.strip_prefix("tcp://") {
            if rest.is_empty() {
                return Some("write tcp://host:2376".into());
            }
            for (p, what) in [
                (&self.tls_ca, "CA certificate (tls_ca)"),
                (&self.tls_cert, "client certificate (tls_cert)"),
                (&self.tls_key, "client key (tls_key)"),
            ] {
                match p {
                    None => {
                        return Some(format!(
                            "{url}: a TCP engine needs TLS with client certificates: set its {what}"
                        ));
                    }
                    Some(p) if !p.is_absolute() => {
                        return Some(format!("{}: use a full path for the {what}", p.display()));
                    }
                    Some(_) => {}
                }
            }
            return None;
        }
        Some(format!("{url:?}: use ssh://user@host or tcp://host:2376"))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    pub toasts: bool,
    pub auto_dismiss_s: u64,
    pub gpu_hot_c: u64,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            toasts: true,
            auto_dismiss_s: 5,
            gpu_hot_c: 85,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GpuSettings {
    pub sample_interval_ms: u64,
}

impl Default for GpuSettings {
    fn default() -> Self {
        Self {
            sample_interval_ms: 1000,
        }
    }
}

/// A Slurm cluster that takes Slate's batch jobs (`[executor] type = "slurm"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlurmSettings {
    /// Partition and account for jobs whose template names none (empty: the cluster's
    /// default).
    pub partition: String,
    pub account: String,
    /// Send tasks that need a GPU to the cluster when their template runs a process.
    pub gpu_tasks: bool,
    /// Folders the cluster's nodes see at the same path (a shared filesystem). Empty:
    /// every path, allowed only while the controller runs on this machine.
    pub shared_paths: Vec<PathBuf>,
    /// The cluster's `slurm.conf` (empty: `SLURM_CONF` from the environment, else the
    /// client's default).
    pub conf: PathBuf,
}

/// Everything a user can set. Unknown keys are an error so a typo is caught, not ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub general: GeneralSettings,
    pub workspace: WorkspaceSettings,
    pub runner: RunnerSettings,
    pub notifications: NotificationSettings,
    pub gpu: GpuSettings,
    pub slurm: SlurmSettings,
}

/// The settings page a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    General,
    Workspace,
    Runner,
    Notifications,
}

/// A numeric setting: its bounds and how to read and write it. The settings view and
/// validation are both generated from [`NUMERIC_FIELDS`], so they cannot disagree.
pub struct NumericField {
    pub key: &'static str,
    pub label: &'static str,
    pub section: Section,
    pub min: f64,
    pub max: f64,
    pub integer: bool,
    pub get: fn(&Settings) -> f64,
    pub set: fn(&mut Settings, f64),
}

pub const NUMERIC_FIELDS: &[NumericField] = &[
    NumericField {
        key: "general.ui_scale",
        label: "UI scale",
        section: Section::General,
        min: 0.5,
        max: 3.0,
        integer: false,
        get: |s| s.general.ui_scale as f64,
        set: |s, v| s.general.ui_scale = v as f32,
    },
    NumericField {
        key: "workspace.auto_commit_interval_s",
        label: "Auto-commit interval (seconds)",
        section: Section::Workspace,
        min: 10.0,
        max: 86_400.0,
        integer: true,
        get: |s| s.workspace.auto_commit_interval_s as f64,
        set: |s, v| s.workspace.auto_commit_interval_s = v as u64,
    },
    NumericField {
        key: "workspace.auto_commit_files",
        label: "Auto-commit after this many changed files",
        section: Section::Workspace,
        min: 1.0,
        max: 100_000.0,
        integer: true,
        get: |s| s.workspace.auto_commit_files as f64,
        set: |s, v| s.workspace.auto_commit_files = v as u64,
    },
    NumericField {
        key: "workspace.lfs_warn_mib",
        label: "Warn about untracked files larger than (MiB)",
        section: Section::Workspace,
        min: 1.0,
        max: 1_000_000.0,
        integer: true,
        get: |s| s.workspace.lfs_warn_mib as f64,
        set: |s, v| s.workspace.lfs_warn_mib = v as u64,
    },
    NumericField {
        key: "workspace.asset_max_mib",
        label: "Largest asset to import (MiB)",
        section: Section::Workspace,
        min: 0.0,
        max: 10_000_000.0,
        integer: true,
        get: |s| s.workspace.asset_max_mib as f64,
        set: |s, v| s.workspace.asset_max_mib = v as u64,
    },
    NumericField {
        key: "runner.max_concurrent",
        label: "Max concurrent tasks",
        section: Section::Runner,
        min: 1.0,
        max: 256.0,
        integer: true,
        get: |s| s.runner.max_concurrent as f64,
        set: |s, v| s.runner.max_concurrent = v as u64,
    },
    NumericField {
        key: "runner.default_timeout_s",
        label: "Default task timeout (seconds)",
        section: Section::Runner,
        min: 1.0,
        max: 604_800.0,
        integer: true,
        get: |s| s.runner.default_timeout_s as f64,
        set: |s, v| s.runner.default_timeout_s = v as u64,
    },
    NumericField {
        key: "runner.vram_headroom_mb",
        label: "VRAM headroom (MiB)",
        section: Section::Runner,
        min: 0.0,
        max: 1_000_000.0,
        integer: true,
        get: |s| s.runner.vram_headroom_mb as f64,
        set: |s, v| s.runner.vram_headroom_mb = v as u64,
    },
    NumericField {
        key: "notifications.auto_dismiss_s",
        label: "Dismiss low-priority notifications after (seconds)",
        section: Section::Notifications,
        min: 1.0,
        max: 3600.0,
        integer: true,
        get: |s| s.notifications.auto_dismiss_s as f64,
        set: |s, v| s.notifications.auto_dismiss_s = v as u64,
    },
    NumericField {
        key: "notifications.gpu_hot_c",
        label: "Warn when a GPU is hotter than (°C)",
        section: Section::Notifications,
        min: 40.0,
        max: 110.0,
        integer: true,
        get: |s| s.notifications.gpu_hot_c as f64,
        set: |s, v| s.notifications.gpu_hot_c = v as u64,
    },
    NumericField {
        key: "gpu.sample_interval_ms",
        label: "GPU sample interval (ms)",
        section: Section::Runner,
        min: 250.0,
        max: 10_000.0,
        integer: true,
        get: |s| s.gpu.sample_interval_ms as f64,
        set: |s, v| s.gpu.sample_interval_ms = v as u64,
    },
];

impl NumericField {
    /// Parses what the user typed; the error says what is allowed.
    pub fn parse(&self, text: &str) -> Result<f64, String> {
        let text = text.trim();
        let value: f64 = if self.integer {
            text.parse::<u64>()
                .map(|v| v as f64)
                .map_err(|_| format!("enter a whole number from {} to {}", self.min, self.max))?
        } else {
            text.parse::<f64>()
                .map_err(|_| format!("enter a number from {} to {}", self.min, self.max))?
        };
        self.check(value)?;
        Ok(value)
    }

    pub fn check(&self, value: f64) -> Result<(), String> {
        if !value.is_finite() || value < self.min || value > self.max {
            return Err(format!(
                "must be between {} and {}, got {value}",
                self.min, self.max
            ));
        }
        Ok(())
    }

    pub fn text_of(&self, settings: &Settings) -> String {
        let v = (self.get)(settings);
        if self.integer {
            format!("{}", v as u64)
        } else {
            format!("{v}")
        }
    }
}

impl Settings {
    /// Every problem with these values, as `(field key, message)`.
    pub fn validate(&self) -> Vec<(&'static str, String)> {
        let mut errors: Vec<_> = NUMERIC_FIELDS
            .iter()
            .filter_map(|f| f.check((f.get)(self)).err().map(|e| (f.key, e)))
            .collect();
        if self.workspace.root.as_os_str().is_empty() {
            errors.push(("workspace.root", "choose a folder for your projects".into()));
        } else if !self.workspace.root.is_absolute() {
            errors.push((
                "workspace.root",
                "use a full path, like /home/you/SlateProjects".into(),
            ));
        }
        let ep = self.runner.docker_endpoint.trim();
        if !(ep.is_empty() || ep.starts_with("unix://") || ep.starts_with("tcp://")) {
            errors.push((
                "runner.docker_endpoint",
                "use unix:///path/to/docker.sock or tcp://host:port (empty = local default)".into(),
            ));
        }
        for (key, value) in [
            ("slurm.partition", &self.slurm.partition),
            ("slurm.account", &self.slurm.account),
        ] {
            if !value.is_empty() && !crate::model::function::is_slurm_name(value) {
                errors.push((key, "use a Slurm name: letters, digits, _ . -".into()));
            }
        }
        if self.slurm.shared_paths.iter().any(|p| !p.is_absolute()) {
            errors.push((
                "slurm.shared_paths",
                "use full paths, like /shared/films".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for h in &self.runner.hosts {
            if let Some(p) = h.problem() {
                errors.push(("runner.hosts", format!("host {:?}: {p}", h.name)));
            } else if !seen.insert(h.name.trim()) {
                errors.push(("runner.hosts", format!("two hosts are named {:?}", h.name)));
            }
        }
        errors
    }
}

/// What loading the settings file found.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    /// Shown to the user when the file could not be used.
    pub warning: Option<String>,
}

/// Loads settings from `path`. A missing file gives defaults; a broken one is renamed
/// aside and gives defaults with a warning that names where it went.
pub fn load(path: &Path) -> Loaded {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Loaded {
                settings: Settings::default(),
                warning: None,
            };
        }
        Err(e) => {
            return Loaded {
                settings: Settings::default(),
                warning: Some(format!(
                    "Could not read {}: {e}. Using defaults; the file was left untouched.",
                    path.display()
                )),
            };
        }
    };
    let problem = match toml::from_str::<Settings>(&text) {
        Ok(settings) => {
            let errors = settings.validate();
            if errors.is_empty() {
                return Loaded {
                    settings,
                    warning: None,
                };
            }
            errors
                .iter()
                .map(|(k, e)| format!("{k}: {e}"))
                .collect::<Vec<_>>()
                .join("; ")
        }
        Err(e) => e.to_string().trim().replace('\n', " "),
    };
    let aside = keep_aside(path);
    let where_to = match &aside {
        Ok(p) => format!("Your file was kept as {}.", p.display()),
        Err(e) => format!("It could not be moved aside ({e}) and was left as it is."),
    };
    Loaded {
        settings: Settings::default(),
        warning: Some(format!(
            "The settings file {} is broken ({problem}). Slate started with defaults. {where_to}",
            path.display()
        )),
    }
}

fn keep_aside(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("settings.toml");
    let aside = path.with_file_name(format!("{name}.broken-{}", crate::util::now_ms()));
    std::fs::rename(path, &aside)?;
    Ok(aside)
}

/// Validates and writes atomically. Invalid settings are refused, never written.
pub fn save(path: &Path, settings: &Settings) -> Result<(), String> {
    let errors = settings.validate();
    if let Some((key, e)) = errors.first() {
        return Err(format!("{key}: {e}"));
    }
    let text = toml::to_string_pretty(settings).map_err(|e| e.to_string())?;
    crate::util::write_atomic(path, text.as_bytes())
        .map_err(|e| format!("could not write {}: {e}", path.display()))
}

/// The default workspace root: `~/SlateProjects`.
pub fn default_workspace_root() -> PathBuf {
    directories::UserDirs::new()
        .map(|d| d.home_dir().join("SlateProjects"))
        .unwrap_or_else(|| PathBuf::from("SlateProjects"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_toml() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.toml");
        let mut s = Settings::default();
        s.runner.max_concurrent = 7;
        s.general.theme = ThemeChoice::Light;
        save(&p, &s).unwrap();
        let loaded = load(&p);
        assert_eq!(loaded.warning, None);
        assert_eq!(loaded.settings, s);
    }

    #[test]
    fn broken_file_is_kept_aside_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.toml");
        std::fs::write(&p, "[runner\nmax_concurrent = ").unwrap();
        let loaded = load(&p);
        assert_eq!(loaded.settings, Settings::default());
        let w = loaded.warning.expect("warning");
        assert!(w.contains("broken"), "{w}");
        let kept: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(kept.len(), 1);
        assert!(kept[0].starts_with("settings.toml.broken-"), "{kept:?}");
    }

    #[test]
    fn docker_hosts_are_checked_and_round_trip() {
        let host = |name: &str, url: &str| DockerHost {
            name: name.into(),
            url: url.into(),
            ..Default::default()
        };
        let problem = |h: DockerHost| h.problem().unwrap_or_default();
        assert_eq!(host("box-b", "ssh://render@box-b").problem(), None);
        assert!(problem(host("box-b", "ssh://render@box-b:2222")).contains("ssh config"));
        assert!(problem(host("local", "ssh://a@b")).contains("local"));
        assert!(problem(host("", "ssh://a@b")).contains("name"));
        assert!(problem(host("box c", "ssh://a@b")).contains("letters"));
        assert!(problem(host("box-c", "http://b:2375")).contains("ssh://"));
        assert!(problem(host("box-c", "ssh://-oProxyCommand=x")).contains("'-'"));
        assert!(problem(host("box-c", "ssh://a@-b")).contains("'-'"));
        assert!(problem(host("box-c", "tcp://b:2376")).contains("tls_ca"));
        let tls = DockerHost {
            tls_ca: Some("/certs/ca.pem".into()),
            tls_cert: Some("/certs/cert.pem".into()),
            tls_key: Some("certs/key.pem".into()),
            gpu_vram_mb: vec![24576, 24576],
            ..host("box-c", "tcp://b:2376")
        };
        assert!(problem(tls.clone()).contains("full path"));
        let tls = DockerHost {
            tls_key: Some("/certs/key.pem".into()),
            ..tls
        };
        assert_eq!(tls.problem(), None);
        let mut s = Settings::default();
        s.runner.hosts = vec![tls.clone(), host("box-c", "ssh://a@b")];
        assert!(
            s.validate()
                .iter()
                .any(|(k, e)| *k == "runner.hosts" && e.contains("two hosts"))
        );
        s.runner.hosts.pop();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.toml");
        save(&p, &s).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("[[runner.hosts]]"), "{text}");
        assert_eq!(load(&p).settings, s);
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let mut s = Settings::default();
        s.runner.max_concurrent = 0;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.toml");
        let err = save(&p, &s).unwrap_err();
        assert!(err.contains("runner.max_concurrent"), "{err}");
        assert!(!p.exists());
        let f = NUMERIC_FIELDS
            .iter()
            .find(|f| f.key == "runner.max_concurrent")
            .unwrap();
        assert!(f.parse("abc").is_err());
        assert!(f.parse("0").is_err());
        assert_eq!(f.parse(" 4 ").unwrap(), 4.0);
    }
}
