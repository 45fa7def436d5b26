//! Build contexts for function images: the folder next to a template (`functions/
//! upscale.toml` → `functions/upscale/Dockerfile`), or, for the built-in demo, files
//! compiled into Slate plus the host's static busybox.

use std::path::{Path, PathBuf};

use crate::runner::function::{Executor, FunctionTemplate};

const DEMO_ID: &str = "demo/busybox-progress";
const DEMO_FILES: &[(&str, &[u8])] = &[
    (
        "Dockerfile",
        include_bytes!("../../assets/functions/demo/busybox-progress/Dockerfile"),
    ),
    (
        "demo.sh",
        include_bytes!("../../assets/functions/demo/busybox-progress/demo.sh"),
    ),
];

/// The image tag a template runs.
pub fn image_of(t: &FunctionTemplate) -> Result<&str, String> {
    match &t.executor {
        Executor::Docker { image, .. } => Ok(image),
        Executor::Process | Executor::Slurm { .. } => Err(format!(
            "{} runs as a process (here or on a Slurm cluster); it has no image to build",
            t.id
        )),
    }
}

/// A tar of the build context for `t`.
pub fn build_context(t: &FunctionTemplate) -> Result<Vec<u8>, String> {
    let mut tar = tar::Builder::new(Vec::new());
    if t.id == DEMO_ID && t.source.starts_with("assets/functions") {
        for (name, bytes) in DEMO_FILES {
            append(&mut tar, name, bytes, 0o644)?;
        }
        let busybox = static_busybox()?;
        let bytes = std::fs::read(&busybox).map_err(|e| format!("{}: {e}", busybox.display()))?;
        append(&mut tar, "busybox", &bytes, 0o755)?;
    } else {
        let dir = context_dir(&t.source);
        if !dir.join("Dockerfile").is_file() {
            return Err(format!(
                "no Dockerfile for {}: put one in {} (the folder named like the template, next to it)",
                t.id,
                dir.display()
            ));
        }
        // The one safe walk: a link out of the folder (`weights -> /home`) is not sent
        // to the engine, nor are FIFOs or loops.
        let walk = crate::util::walk::walk(&dir, crate::util::walk::Limits::default());
        if let Some(s) = walk.skipped.iter().find(|s| s.contains("outside")) {
            return Err(format!(
                "the build context {} has {s}: copy what the image needs into the folder",
                dir.display()
            ));
        }
        for f in &walk.files {
            let bytes = crate::util::walk::read_regular(&f.path, MAX_CONTEXT_FILE_BYTES)
                .map_err(|e| format!("{}: {e}", f.path.display()))?;
            let mode = file_mode(&f.path);
            append(&mut tar, &f.rel, &bytes, mode)?;
        }
    }
    tar.into_inner().map_err(|e| e.to_string())
}

/// One file in a build context larger than this is almost surely a mistake (weights
/// belong in 01_Assets/Models, mounted at run time).
const MAX_CONTEXT_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Keeps the executable bit of context files.
fn file_mode(path: &Path) -> u32 {
    match std::fs::metadata(path) {
        Ok(m) if crate::platform::is_executable(&m) => 0o755,
        _ => 0o644,
    }
}

fn context_dir(template: &Path) -> PathBuf {
    let stem = template.file_stem().unwrap_or_default();
    template.with_file_name(stem)
}

fn append(
    tar: &mut tar::Builder<Vec<u8>>,
    name: &str,
    bytes: &[u8],
    mode: u32,
) -> Result<(), String> {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(mode);
    h.set_cksum();
    tar.append_data(&mut h, name, bytes)
        .map_err(|e| e.to_string())
}

/// The host's busybox, which must be statically linked to run `FROM scratch`.
pub fn static_busybox() -> Result<PathBuf, String> {
    let found = ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    let Some(p) = found else {
        return Err("busybox is not installed: install the busybox-static package (apt install busybox-static) to build the demo image".into());
    };
    let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    if has_interpreter(&bytes) {
        return Err(format!(
            "{} is dynamically linked and cannot run in a FROM scratch image: install busybox-static instead",
            p.display()
        ));
    }
    Ok(p)
}

/// True when a 64-bit little-endian ELF asks for a dynamic loader (has PT_INTERP).
fn has_interpreter(elf: &[u8]) -> bool {
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[32..40].try_into().expect("8 bytes")) as usize;
    let (phentsize, phnum) = (u16_at(54), u16_at(56));
    (0..phnum).any(|i| {
        let o = phoff + i * phentsize;
        o + 4 <= elf.len() && u32::from_le_bytes(elf[o..o + 4].try_into().expect("4 bytes")) == 3
    })
}

/// One step of an image build, for a progress bar: the overall fraction done, the
/// stage and a line of detail.
#[derive(Clone, Debug, PartialEq)]
pub struct BuildStep {
    pub progress: f32,
    pub stage: &'static str,
    pub message: String,
}

/// How an image build ended: built, or found already built (the cache).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Built {
    Cached(String),
    Built(String),
}

/// Builds a process function's image without a registry: a Debian 12 root filesystem
/// with the packages its folder lists (debootstrap, then `docker import`, cached as
/// `slate-base/bookworm:HASH` by the package list), its `requirements.txt` installed
/// into `/opt/slate-python`, and its folder copied to `/function` on top. Nothing is
/// rebuilt when the lists and files are unchanged.
pub async fn build_from_packages(
    endpoint: &str,
    t: &FunctionTemplate,
    mut progress: impl FnMut(BuildStep),
) -> Result<Built, String> {
    use crate::runner::builtin;
    let files = builtin::files_of(t)?;
    let packages = builtin::packages(&files).ok_or_else(|| {
        format!(
            "{} has no `packages` list (one Debian package a line) in its folder",
            t.id
        )
    })?;
    let requirements = builtin::requirements(&files);
    let tag = builtin::container_image(&builtin::with_executor(t, Some("process"))?)?;
    if image_exists(&tag).await? {
        return Ok(Built::Cached(tag));
    }
    let base = builtin::base_image(&packages, requirements.as_deref());
    if !image_exists(&base).await? {
        let (packages, requirements, base) = (packages.clone(), requirements.clone(), base.clone());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let job = tokio::task::spawn_blocking(move || {
            build_base(&base, &packages, requirements.as_deref(), |s| {
                tx.send(s).ok();
            })
        });
        while let Some(step) = rx.recv().await {
            progress(step);
        }
        job.await.map_err(|e| e.to_string())??;
    } else {
        progress(BuildStep {
            progress: 0.9,
            stage: "base",
            message: format!("{base} is already built"),
        });
    }
    progress(BuildStep {
        progress: 0.92,
        stage: "layer",
        message: format!("{tag}: the function's files on {base}"),
    });
    let mut tar = tar::Builder::new(Vec::new());
    let dockerfile = format!(
        "FROM {base}\nCOPY function/ {dir}/\nENV PYTHONPATH={py}\nWORKDIR /out\n",
        dir = builtin::CONTAINER_DIR,
        py = builtin::CONTAINER_PYTHONPATH
    );
    append(&mut tar, "Dockerfile", dockerfile.as_bytes(), 0o644)?;
    for (name, bytes) in &files {
        append(&mut tar, &format!("function/{name}"), bytes, 0o755)?;
    }
    let context = tar.into_inner().map_err(|e| e.to_string())?;
    crate::runner::docker::build_image(endpoint, context, &tag, |_| {}).await?;
    progress(BuildStep {
        progress: 1.0,
        stage: "done",
        message: tag.clone(),
    });
    Ok(Built::Built(tag))
}

async fn image_exists(tag: &str) -> Result<bool, String> {
    let out = tokio::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", tag])
        .output()
        .await
        .map_err(|e| format!("could not run docker (install docker.io): {e}"))?;
    Ok(out.status.success())
}

/// The Debian mirror the host's apt uses (so the image's apt does too).
fn debian_mirror() -> String {
    std::fs::read_to_string("/etc/apt/sources.list.d/debian.sources")
        .ok()
        .and_then(|s| {
            s.lines()
                .filter_map(|l| l.strip_prefix("URIs:"))
                .map(str::trim)
                .find(|u| u.starts_with("http") && u.ends_with("/debian"))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "http://deb.debian.org/debian".into())
}

fn build_base(
    tag: &str,
    packages: &[String],
    requirements: Option<&str>,
    mut progress: impl FnMut(BuildStep),
) -> Result<(), String> {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};
    let debootstrap = ["/usr/sbin/debootstrap", "/sbin/debootstrap"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .ok_or("debootstrap is not installed: apt-get install debootstrap")?;
    let root = TempRoot::new()?;
    let mirror = debian_mirror();
    progress(BuildStep {
        progress: 0.0,
        stage: "debootstrap",
        message: format!("Debian 12 with {} from {mirror}", packages.join(", ")),
    });
    // debootstrap needs root: as another user it runs through `sudo -n`.
    let root_user = crate::platform::user_and_group().is_some_and(|u| u.starts_with("0:"));
    let mut cmd = if root_user {
        Command::new(debootstrap)
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", debootstrap]);
        c
    };
    cmd.arg("--variant=minbase");
    if !packages.is_empty() {
        cmd.arg(format!("--include={}", packages.join(",")));
    }
    let mut child = cmd
        .args(["bookworm"])
        .arg(root.path())
        .arg(&mirror)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run debootstrap: {e}"))?;
    // debootstrap says what it does in `I: Retrieving|Validating|Extracting|Unpacking|
    // Configuring PKG` lines: each phase gets a share of the bar.
    let phases = [
        ("I: Retriev", 0.05, 0.3),
        ("I: Validat", 0.3, 0.35),
        ("I: Extract", 0.35, 0.45),
        ("I: Install", 0.45, 0.5),
        ("I: Unpack", 0.5, 0.65),
        ("I: Configur", 0.65, 0.8),
    ];
    let stdout = child.stdout.take().expect("piped");
    let mut tail = std::collections::VecDeque::new();
    let mut phase_lines = 0usize;
    let mut current = "";
    let mut best = 0.0f32;
    for line in std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
    {
        if let Some((name, from, to)) = phases.iter().find(|(p, ..)| line.starts_with(p)) {
            if *name != current {
                current = name;
                phase_lines = 0;
            }
            phase_lines += 1;
            // The share fills as lines come, never reaching the next phase.
            let f = from + (to - from) * (1.0 - 1.0 / (1.0 + phase_lines as f32 / 20.0));
            // debootstrap goes through the phases twice (required, then base
            // packages): the bar only moves forward.
            best = best.max(f);
            let f = best;
            progress(BuildStep {
                progress: f,
                stage: "debootstrap",
                message: line.trim_start_matches("I: ").to_string(),
            });
        }
        tail.push_back(line);
        if tail.len() > 20 {
            tail.pop_front();
        }
    }
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut err).ok();
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        let log: Vec<_> = tail.into_iter().collect();
        return Err(format!(
            "debootstrap failed ({status}); a package name may be wrong:\n{}\n{}",
            log.join("\n"),
            err.trim()
        ));
    }
    let r = root.path();
    std::fs::write(
        r.join("etc/apt/sources.list"),
        format!("deb {mirror} bookworm main\n"),
    )
    .map_err(|e| e.to_string())?;
    // The downloaded .debs are not needed in the image.
    if let Ok(debs) = std::fs::read_dir(r.join("var/cache/apt/archives")) {
        for d in debs.flatten() {
            if d.path().extension().is_some_and(|x| x == "deb") {
                std::fs::remove_file(d.path()).ok();
            }
        }
    }
    if let Some(req) = requirements {
        progress(BuildStep {
            progress: 0.8,
            stage: "pip",
            message: "Python wheels for CPython 3.11 (requirements.txt)".into(),
        });
        let req_file = r.join("tmp/requirements.txt");
        std::fs::write(&req_file, req).map_err(|e| e.to_string())?;
        let target = r.join(CONTAINER_PYTHONPATH_REL);
        let out = Command::new(host_pip_python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
            ])
            .args([
                "--python-version",
                "3.11",
                "--implementation",
                "cp",
                "--abi",
                "cp311",
            ])
            .args([
                "--platform",
                "manylinux_2_28_x86_64",
                "--platform",
                "manylinux_2_17_x86_64",
            ])
            .args(["--platform", "manylinux2014_x86_64", "--target"])
            .arg(&target)
            .arg("-r")
            .arg(&req_file)
            .output()
            .map_err(|e| format!("could not run pip (apt-get install python3-pip): {e}"))?;
        std::fs::remove_file(&req_file).ok();
        if !out.status.success() {
            return Err(format!(
                "pip could not install the requirements: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    progress(BuildStep {
        progress: 0.85,
        stage: "import",
        message: format!("docker import {tag}"),
    });
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(r)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run tar: {e}"))?;
    let import = Command::new("docker")
        .args(["import", "-", tag])
        .stdin(tar.stdout.take().expect("piped"))
        .output()
        .map_err(|e| format!("could not run docker import: {e}"))?;
    tar.wait().ok();
    if !import.status.success() {
        return Err(format!(
            "docker import failed: {}",
            String::from_utf8_lossy(&import.stderr).trim()
        ));
    }
    progress(BuildStep {
        progress: 0.9,
        stage: "base",
        message: format!("built {tag}"),
    });
    Ok(())
}

const CONTAINER_PYTHONPATH_REL: &str = "opt/slate-python";

/// A scratch folder for a root filesystem, removed when dropped.
struct TempRoot(PathBuf);

impl TempRoot {
    fn new() -> Result<Self, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("slate-rootfs.{}.{nanos}", std::process::id()));
        std::fs::create_dir(&p).map_err(|e| format!("could not make {}: {e}", p.display()))?;
        Ok(Self(p))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// A Python with pip for installing wheels into an image's root (any version: the
/// target interpreter is given to pip).
fn host_pip_python() -> String {
    for p in ["/usr/bin/python3", "python3"] {
        let ok = std::process::Command::new(p)
            .args(["-m", "pip", "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return p.to_string();
        }
    }
    "python3".into()
}
