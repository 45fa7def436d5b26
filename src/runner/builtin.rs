//! A function's folder (its scripts, its Debian `packages` list, its Python
//! `requirements.txt`), and running a process function as a container.
//!
//! A template `gen/image.toml` has its folder `gen/image/` next to it. For the built-in
//! functions the folder is compiled into Slate and written out under the data folder
//! the first time it is needed, so `{function_dir}` always names real files. In a
//! container the folder is copied into the image at [`CONTAINER_DIR`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::runner::function::{Executor, FunctionTemplate};

/// Where a function's folder sits inside its image.
pub const CONTAINER_DIR: &str = "/function";
/// Where `requirements.txt` is installed inside an image built from Debian packages.
pub const CONTAINER_PYTHONPATH: &str = "/opt/slate-python";

macro_rules! files {
    ($($id:literal => [$($name:literal),* $(,)?]),* $(,)?) => {
        &[$($(($id, $name, include_bytes!(concat!("../../assets/functions/", $id, "/", $name)) as &[u8]),)*)*]
    };
}

/// The built-in functions' folders: (function id, file name, contents).
pub const FILES: &[(&str, &str, &[u8])] = files! {
    "gen/image" => ["render.py", "packages"],
    "gen/video" => ["clip.py", "packages"],
    "gen/voice" => ["speak.py", "packages"],
    "post/upscale" => ["upscale.py", "packages", "requirements.txt"],
};

/// True for a template compiled into Slate (not one from the workspace's `functions/`).
pub fn is_builtin(t: &FunctionTemplate) -> bool {
    t.source.starts_with("assets/functions")
}

/// The folder next to a template file: `x/upscale.toml` → `x/upscale`.
pub fn folder_next_to(template: &Path) -> PathBuf {
    let stem = template.file_stem().unwrap_or_default();
    template.with_file_name(stem)
}

/// The files of a function's folder, by relative path (sorted, so hashes are stable).
pub fn files_of(t: &FunctionTemplate) -> Result<BTreeMap<String, Vec<u8>>, String> {
    if is_builtin(t) {
        return Ok(FILES
            .iter()
            .filter(|(id, _, _)| *id == t.id)
            .map(|(_, name, bytes)| (name.to_string(), bytes.to_vec()))
            .collect());
    }
    let dir = folder_next_to(&t.source);
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        collect(&dir, &dir, &mut out)?;
    }
    Ok(out)
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out)?;
        } else if p.is_file() {
            let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            out.insert(rel, bytes);
        }
    }
    Ok(())
}

/// The folder `{function_dir}` names when the function runs as a local process. A
/// built-in's files are written under `data_dir/functions/ID/` when they differ.
pub fn function_dir(t: &FunctionTemplate, data_dir: &Path) -> Result<PathBuf, String> {
    if !is_builtin(t) {
        return Ok(folder_next_to(&t.source));
    }
    let dir = data_dir.join("functions").join(&t.id);
    for (name, bytes) in files_of(t)? {
        let path = dir.join(&name);
        if std::fs::read(&path).is_ok_and(|old| old == bytes) {
            continue;
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // Write next to it and rename, so a running task never sees half a script.
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(dir)
}

/// Debian packages a function's image needs: its folder's `packages` file, one a line,
/// `#` comments allowed. Sorted and without repeats.
pub fn packages(files: &BTreeMap<String, Vec<u8>>) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(files.get("packages")?).into_owned();
    let mut list: Vec<String> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    list.sort();
    list.dedup();
    Some(list)
}

/// Python requirements installed into the image (`requirements.txt`), if any.
pub fn requirements(files: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    files
        .get("requirements.txt")
        .map(|b| String::from_utf8_lossy(b).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn short_hash(parts: &[&[u8]]) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The cached Debian root image for a package list and requirements:
/// `slate-base/bookworm:HASH`, rebuilt only when either changes.
pub fn base_image(packages: &[String], requirements: Option<&str>) -> String {
    let list = packages.join(",");
    let hash = short_hash(&[
        b"bookworm minbase",
        list.as_bytes(),
        requirements.unwrap_or("").as_bytes(),
    ]);
    format!("slate-base/bookworm:{hash}")
}

/// The image a function runs as a container: the template's own for a Docker function,
/// else `slate-fn/ID:HASH` built from its folder's `packages` list and files.
pub fn container_image(t: &FunctionTemplate) -> Result<String, String> {
    if let Executor::Docker { image, .. } = &t.executor {
        return Ok(image.clone());
    }
    let files = files_of(t)?;
    let Some(pkgs) = packages(&files) else {
        return Err(format!(
            "{} has no `packages` list in its folder, so Slate cannot build an image for it; run it as a process",
            t.id
        ));
    };
    let base = base_image(&pkgs, requirements(&files).as_deref());
    let mut parts: Vec<&[u8]> = vec![base.as_bytes()];
    for (name, bytes) in &files {
        parts.push(name.as_bytes());
        parts.push(bytes);
    }
    Ok(format!(
        "slate-fn/{}:{}",
        t.id.replace(['/', '@'], "-").to_lowercase(),
        short_hash(&parts)
    ))
}

/// The executor a task asked for instead of its template's: `process`, `docker` or
/// `slurm`.
pub fn parse_executor(name: &str) -> Result<&'static str, String> {
    match name {
        "process" => Ok("process"),
        "docker" | "container" => Ok("docker"),
        "slurm" => Ok("slurm"),
        other => Err(format!(
            "unknown executor {other:?}: use process, docker or slurm"
        )),
    }
}

/// The template as it runs with `executor` (`None`: as written). A process function
/// runs in a container built from its packages; a Docker one runs its command locally.
pub fn with_executor(
    t: &FunctionTemplate,
    executor: Option<&str>,
) -> Result<FunctionTemplate, String> {
    let mut out = t.clone();
    match (executor, &t.executor) {
        (Some("docker"), Executor::Process | Executor::Slurm { .. }) => {
            out.executor = Executor::Docker {
                image: container_image(t)?,
                network: None,
            };
            out.env
                .insert("PYTHONPATH".into(), CONTAINER_PYTHONPATH.into());
        }
        (Some("process"), Executor::Docker { .. } | Executor::Slurm { .. }) => {
            out.executor = Executor::Process
        }
        // The job runs the command as a process on a node; Settings fill the rest.
        (Some("slurm"), Executor::Process | Executor::Docker { .. }) => {
            out.executor = Executor::Slurm {
                partition: None,
                account: None,
                time_limit_min: None,
                gpus: None,
            }
        }
        _ => {}
    }
    Ok(out)
}

/// True when the task runs in a container (its template's executor, or its override).
pub fn runs_in_container(t: &FunctionTemplate, executor: Option<&str>) -> bool {
    match executor {
        Some("docker") => true,
        Some("process" | "slurm") => false,
        _ => matches!(t.executor, Executor::Docker { .. }),
    }
}

/// True when the task runs as a Slurm batch job (its template's executor, or its
/// override).
pub fn runs_on_slurm(t: &FunctionTemplate, executor: Option<&str>) -> bool {
    match executor {
        Some("slurm") => true,
        Some("process" | "docker") => false,
        _ => matches!(t.executor, Executor::Slurm { .. }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::function::Registry;

    #[test]
    fn builtins_have_their_folders_and_images() {
        let reg = Registry::load(None);
        for id in ["gen/image", "gen/video", "gen/voice", "post/upscale"] {
            let t = reg.get(id).unwrap();
            let files = files_of(t).unwrap();
            let pkgs = packages(&files).expect("a packages list");
            assert!(pkgs.contains(&"python3".to_string()), "{id}: {pkgs:?}");
            let image = container_image(t).unwrap();
            assert!(image.starts_with("slate-fn/"), "{image}");
            let docker = with_executor(t, Some("docker")).unwrap();
            assert!(runs_in_container(&docker, None));
            assert!(!runs_in_container(t, None));
            assert!(runs_in_container(t, Some("docker")));
        }
    }

    #[test]
    fn function_dir_writes_builtin_files_once() {
        let reg = Registry::load(None);
        let t = reg.get("gen/image").unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = function_dir(t, tmp.path()).unwrap();
        let script = dir.join("render.py");
        let before = std::fs::metadata(&script).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(function_dir(t, tmp.path()).unwrap(), dir);
        assert_eq!(
            std::fs::metadata(&script).unwrap().modified().unwrap(),
            before
        );
    }

    #[test]
    fn base_image_tag_follows_the_package_list() {
        let a = base_image(&["povray".into()], None);
        assert_eq!(a, base_image(&["povray".into()], None));
        assert_ne!(a, base_image(&["povray".into(), "sox".into()], None));
        assert_ne!(a, base_image(&["povray".into()], Some("numpy")));
    }
}
