//! Docker hosts besides the local engine: `ssh://user@host` (the user's ssh keys and
//! config) and `tcp://host:2376` with TLS client certificates. One client per host is
//! kept, because each new SSH connection costs an ssh handshake (≈ 0.3 s).
//!
//! A task on a remote host never sees the project's disk: its file inputs are uploaded
//! into its container before it starts, and `/out` is downloaded back when it ends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bollard::Docker;
use futures_util::StreamExt as _;

pub use crate::model::gpu::{HostStatus, gpu_note};
use crate::settings::DockerHost;

/// How long a host check may take (a first SSH connection needs a handshake or two).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a remote engine is and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Remote {
    Ssh {
        name: String,
        url: String,
    },
    Tls {
        name: String,
        url: String,
        ca: PathBuf,
        cert: PathBuf,
        key: PathBuf,
    },
}

impl Remote {
    /// The remote of a host from Settings (already validated).
    pub fn of(host: &DockerHost) -> Result<Self, String> {
        let url = host.url.trim().to_string();
        if url.starts_with("ssh://") {
            return Ok(Self::Ssh {
                name: host.name.clone(),
                url,
            });
        }
        if url.starts_with("tcp://") {
            let need = |p: &Option<PathBuf>, what: &str| {
                p.clone().ok_or_else(|| {
                    format!(
                        "host {}: {url} needs TLS client certificates: set tls_{what}",
                        host.name
                    )
                })
            };
            return Ok(Self::Tls {
                name: host.name.clone(),
                ca: need(&host.tls_ca, "ca")?,
                cert: need(&host.tls_cert, "cert")?,
                key: need(&host.tls_key, "key")?,
                url,
            });
        }
        Err(format!(
            "host {}: {url:?} is not an ssh:// or tcp:// address",
            host.name
        ))
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Ssh { name, .. } | Self::Tls { name, .. } => name,
        }
    }

    fn connect(&self) -> Result<Docker, String> {
        match self {
            Self::Ssh { url, .. } => {
                Docker::connect_with_ssh(url, 120, bollard::API_DEFAULT_VERSION, None)
                    .map_err(|e| format!("{url}: {e}"))
            }
            Self::Tls {
                url, ca, cert, key, ..
            } => {
                for p in [ca, cert, key] {
                    if !p.is_file() {
                        return Err(format!(
                            "the TLS file {} does not exist: fix the path in Settings → Runner",
                            p.display()
                        ));
                    }
                }
                Docker::connect_with_ssl(url, key, cert, ca, 120, bollard::API_DEFAULT_VERSION)
                    .map_err(|e| format!("{url}: {e}"))
            }
        }
    }
}

fn clients() -> &'static Mutex<HashMap<Remote, Docker>> {
    static CLIENTS: OnceLock<Mutex<HashMap<Remote, Docker>>> = OnceLock::new();
    CLIENTS.get_or_init(Default::default)
}

/// The one client of a remote engine (made on first use).
pub fn client(remote: &Remote) -> Result<Docker, String> {
    let mut map = clients().lock().expect("docker clients lock");
    if let Some(d) = map.get(remote) {
        return Ok(d.clone());
    }
    let d = remote.connect()?;
    map.insert(remote.clone(), d.clone());
    Ok(d)
}

/// Drops a host's client after its connection broke, so the next use connects afresh.
pub fn forget(remote: &Remote) {
    clients()
        .lock()
        .expect("docker clients lock")
        .remove(remote);
}

/// Asks a remote engine for its version and runtimes (within [`CHECK_TIMEOUT`]).
pub async fn check(remote: &Remote, host: &DockerHost) -> HostStatus {
    let mut status = HostStatus {
        name: host.name.clone(),
        url: host.url.clone(),
        checked_ms: crate::util::now_ms(),
        ..Default::default()
    };
    let answer = async {
        let docker = client(remote)?;
        let version = docker
            .version()
            .await
            .map_err(|e| crate::runner::docker::plain_error(&e))?;
        let info = docker
            .info()
            .await
            .map_err(|e| crate::runner::docker::plain_error(&e))?;
        Ok::<_, String>((version, info))
    };
    match tokio::time::timeout(CHECK_TIMEOUT, answer).await {
        Ok(Ok((version, info))) => {
            status.reachable = Some(true);
            status.engine = Some(format!(
                "Docker Engine {} (API {})",
                version.version.unwrap_or_default(),
                version.api_version.unwrap_or_default()
            ));
            status.nvidia_runtime = info
                .runtimes
                .as_ref()
                .is_some_and(|r| r.keys().any(|k| k.contains("nvidia")));
            status.gpus = host.gpu_vram_mb.clone();
            status.gpu_note = gpu_note(status.nvidia_runtime, &host.gpu_vram_mb);
        }
        Ok(Err(e)) => {
            forget(remote);
            status.reachable = Some(false);
            status.error = Some(e);
            status.gpus = host.gpu_vram_mb.clone();
        }
        Err(_) => {
            forget(remote);
            status.reachable = Some(false);
            status.error = Some(format!("no answer within {} s", CHECK_TIMEOUT.as_secs()));
            status.gpus = host.gpu_vram_mb.clone();
        }
    }
    status
}

// ---- Files in and out of a remote container ------------------------------------------

/// A tar that makes `/out` (writable by the task's user) and puts each input file at
/// `/inputs/<n>/<name>`: what bind mounts give a local container.
pub fn inputs_tar(
    inputs: &[crate::runner::exec::InputFile],
    user: Option<&str>,
) -> Result<Vec<u8>, String> {
    let (uid, gid) = user
        .and_then(|u| u.split_once(':'))
        .map(|(u, g)| (u.parse().unwrap_or(0), g.parse().unwrap_or(0)))
        .unwrap_or((0, 0));
    let mut b = tar::Builder::new(Vec::new());
    let dir = |b: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        // The task runs without capabilities: even its root cannot write into a
        // folder it does not own, so /out is open to it.
        h.set_mode(mode);
        h.set_uid(uid);
        h.set_gid(gid);
        h.set_mtime(crate::util::now_ms() / 1000);
        b.append_data(&mut h, path, std::io::empty())
    };
    dir(&mut b, "out/", 0o777).map_err(|e| e.to_string())?;
    if !inputs.is_empty() {
        dir(&mut b, "inputs/", 0o755).map_err(|e| e.to_string())?;
    }
    for (i, f) in inputs.iter().enumerate() {
        dir(&mut b, &format!("inputs/{i}/"), 0o755).map_err(|e| e.to_string())?;
        let file =
            std::fs::File::open(&f.path).map_err(|e| format!("{}: {e}", f.path.display()))?;
        let len = file
            .metadata()
            .map_err(|e| format!("{}: {e}", f.path.display()))?
            .len();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(len);
        h.set_mode(0o444);
        h.set_uid(uid);
        h.set_gid(gid);
        h.set_mtime(crate::util::now_ms() / 1000);
        b.append_data(&mut h, format!("inputs/{i}/{}", f.name), file)
            .map_err(|e| format!("{}: {e}", f.path.display()))?;
    }
    b.into_inner().map_err(|e| e.to_string())
}

/// Uploads [`inputs_tar`] into a created (not yet started) container.
pub async fn upload_inputs(
    docker: &Docker,
    id: &str,
    inputs: &[crate::runner::exec::InputFile],
) -> Result<(), bollard::errors::Error> {
    let inputs = inputs.to_vec();
    let user = crate::platform::user_and_group();
    let tar = tokio::task::spawn_blocking(move || inputs_tar(&inputs, user.as_deref()))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r.map_err(std::io::Error::other))?;
    let opts = bollard::query_parameters::UploadToContainerOptionsBuilder::default()
        .path("/")
        .build();
    docker
        .upload_to_container(id, Some(opts), bollard::body_full(bytes::Bytes::from(tar)))
        .await
}

/// Why outputs could not be brought back.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("the host went away while its outputs were copied: {0}")]
    Unreachable(String),
    #[error("the outputs could not be copied back: {0}")]
    Failed(String),
}

/// Copies the container's `/out` into `dest` (the task's output folder). The archive
/// comes from another machine: only plain files and folders are written, each inside
/// `dest` (no links, no `..`, no absolute names).
pub async fn download_outputs(docker: &Docker, id: &str, dest: &Path) -> Result<(), DownloadError> {
    let opts = bollard::query_parameters::DownloadFromContainerOptionsBuilder::default()
        .path("/out")
        .build();
    let mut stream = docker.download_from_container(id, Some(opts));
    // Spooled to disk, not memory: outputs can be video files of many GB. Beside the
    // output folder, not in it: an entry of the archive could carry the spool's name.
    let spool = dest.with_file_name(format!(
        ".slate-download-{}.tar",
        dest.file_name().unwrap_or_default().to_string_lossy()
    ));
    let mut file = tokio::fs::File::create(&spool)
        .await
        .map_err(|e| DownloadError::Failed(format!("{}: {e}", spool.display())))?;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                tokio::fs::remove_file(&spool).await.ok();
                let why = crate::runner::docker::plain_error(&e);
                return Err(if crate::runner::docker::is_unreachable(&e) {
                    DownloadError::Unreachable(why)
                } else {
                    DownloadError::Failed(why)
                });
            }
        };
        if let Err(e) = tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await {
            tokio::fs::remove_file(&spool).await.ok();
            return Err(DownloadError::Failed(format!("{}: {e}", spool.display())));
        }
    }
    drop(file);
    let dest = dest.to_path_buf();
    let unpacked = tokio::task::spawn_blocking(move || {
        let r = unpack_outputs(&spool, &dest);
        std::fs::remove_file(&spool).ok();
        r
    })
    .await
    .map_err(|e| DownloadError::Failed(e.to_string()))?;
    unpacked.map_err(DownloadError::Failed)
}

/// Writes the plain files and folders of an `out/…` archive under `dest`.
pub fn unpack_outputs(archive: &Path, dest: &Path) -> Result<(), String> {
    let file = std::fs::File::open(archive).map_err(|e| e.to_string())?;
    let mut ar = tar::Archive::new(file);
    for entry in ar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let mut parts = path.components();
        // Everything is under the archived folder's own name ("out/").
        if parts.next().is_none() {
            continue;
        }
        let mut rel = PathBuf::new();
        for c in parts {
            match c {
                std::path::Component::Normal(p) => rel.push(p),
                std::path::Component::CurDir => {}
                _ => return Err(format!("refused an archive entry {}", path.display())),
            }
        }
        if rel.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(&rel);
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                std::fs::create_dir_all(&target)
                    .map_err(|e| format!("{}: {e}", target.display()))?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("{}: {e}", parent.display()))?;
                }
                // A folder made here cannot be a link (links are never written), so the
                // file lands inside `dest`.
                let mut out = std::fs::File::create(&target)
                    .map_err(|e| format!("{}: {e}", target.display()))?;
                std::io::copy(&mut entry, &mut out)
                    .map_err(|e| format!("{}: {e}", target.display()))?;
            }
            // Links and devices from another machine are left out.
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_archive_writes_only_plain_files_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&archive).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_mode(0o755);
        b.append_data(&mut h, "out/", std::io::empty()).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        b.append_data(&mut h, "out/sub/a.txt", &b"hello"[..])
            .unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, "out/evil", "/etc/passwd").unwrap();
        b.finish().unwrap();
        drop(b);
        let dest = dir.path().join("dest");
        std::fs::create_dir(&dest).unwrap();
        unpack_outputs(&archive, &dest).unwrap();
        assert_eq!(std::fs::read(dest.join("sub/a.txt")).unwrap(), b"hello");
        assert!(std::fs::symlink_metadata(dest.join("evil")).is_err());
    }

    #[test]
    fn inputs_tar_makes_an_open_out_folder_and_numbered_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("in.png");
        std::fs::write(&f, b"png").unwrap();
        let tar = inputs_tar(
            &[crate::runner::exec::InputFile {
                name: "in.png".into(),
                path: f,
            }],
            Some("1000:1000"),
        )
        .unwrap();
        let mut ar = tar::Archive::new(&tar[..]);
        let names: Vec<(String, u32)> = ar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(names[0], ("out/".into(), 0o777));
        assert!(
            names.iter().any(|(n, _)| n == "inputs/0/in.png"),
            "{names:?}"
        );
    }
}
