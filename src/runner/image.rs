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
        Executor::Process => Err(format!(
            "{} runs as a local process; it has no image to build",
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
