//! Projects in the workspace: create (atomically), list, open, rename, delete, and
//! edits to the chapter → scene → shot structure in `project.json`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::workspace::manifest::{
    Chapter, MANIFEST_FILE, Manifest, NarrativeTemplate, Scene, Shot, ShotType, new_id,
};
use crate::workspace::{git, lfs, names};

/// The folder layout of every project.
pub const LAYOUT: &[&str] = &[
    "01_Assets/Characters",
    "01_Assets/Styles",
    "01_Assets/Locations",
    "01_Assets/Music",
    "01_Assets/Scripts",
    "01_Assets/Models",
    "02_Story",
    "03_Renders",
    "04_Compositions",
    "05_Audio",
    "06_Exports",
];

pub const GITIGNORE: &str = "\
# Slate: exports and caches are rebuilt, not versioned
06_Exports/
.slate/cache/
.slate/tmp/

# OS and editor files
.DS_Store
Thumbs.db
desktop.ini
*.swp
*~
.idea/
.vscode/
";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub name: String,
    pub folder: String,
    pub path: PathBuf,
    pub modified_ms: u64,
    pub size_bytes: u64,
    /// `clean`, `modified`, or why the state is unknown.
    pub git_state: String,
    pub chapters: usize,
    pub shots: usize,
    /// Set when `project.json` could not be read.
    pub error: Option<String>,
}

/// Creates a project atomically: everything is built in a hidden folder beside the final
/// one and renamed into place at the end; any failure removes what was made.
pub fn create(root: &Path, name: &str, template: NarrativeTemplate) -> Result<PathBuf, String> {
    create_with(root, name, template, &NewProject::default())
}

/// Choices for a new project that come from Settings → Workspace.
#[derive(Clone, Debug)]
pub struct NewProject {
    /// Store media with Git LFS (the default patterns in `.gitattributes`).
    pub lfs: bool,
    /// The manifest's default quality.
    pub quality: crate::settings::Quality,
}

impl Default for NewProject {
    fn default() -> Self {
        Self {
            lfs: true,
            quality: crate::settings::Quality::Standard,
        }
    }
}

/// [`create`] with the workspace settings applied.
pub fn create_with(
    root: &Path,
    name: &str,
    template: NarrativeTemplate,
    options: &NewProject,
) -> Result<PathBuf, String> {
    let folder = names::folder_name(name)?;
    let display = name.trim();
    let dest = root.join(&folder);
    if dest.exists() {
        return Err(format!(
            "a project folder named {folder:?} already exists in {}; choose another name",
            root.display()
        ));
    }
    std::fs::create_dir_all(root)
        .map_err(|e| format!("cannot create the workspace folder {}: {e}", root.display()))?;
    let tmp = root.join(format!(".slate-creating-{folder}-{}", std::process::id()));
    std::fs::create_dir(&tmp).map_err(|e| {
        format!("cannot write in the workspace folder {}: {e}. Choose a writable folder in Settings → Workspace.", root.display())
    })?;
    let built = build(&tmp, display, template, options).and_then(|()| {
        std::fs::rename(&tmp, &dest)
            .map_err(|e| format!("could not move the new project into place: {e}"))
    });
    if let Err(e) = built {
        std::fs::remove_dir_all(&tmp).ok();
        return Err(e);
    }
    Ok(dest)
}

fn build(
    dir: &Path,
    name: &str,
    template: NarrativeTemplate,
    options: &NewProject,
) -> Result<(), String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    for sub in LAYOUT {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| io(&d, e))?;
        std::fs::write(d.join(".gitkeep"), b"").map_err(|e| io(&d, e))?;
    }
    let mut manifest = Manifest::new(name, template, crate::util::now_ms());
    manifest.quality = options.quality.label().to_string();
    manifest.settings.default_quality = options.quality.label().to_string();
    if !options.lfs {
        manifest.git = serde_json::json!({ "enabled": true, "lfs": false });
    }
    std::fs::write(dir.join(MANIFEST_FILE), manifest.to_json()).map_err(|e| io(dir, e))?;
    std::fs::write(dir.join(".gitignore"), GITIGNORE).map_err(|e| io(dir, e))?;
    let mut attrs = String::new();
    if options.lfs {
        attrs += "# Slate: media, models and archives are stored with Git LFS\n";
        for p in lfs::DEFAULT_PATTERNS {
            attrs += &lfs::attributes_line(p);
            attrs.push('\n');
        }
    } else {
        attrs += "# Git LFS was off in Settings when this project was made: add patterns with `slate lfs track`\n";
    }
    std::fs::write(dir.join(".gitattributes"), attrs).map_err(|e| io(dir, e))?;
    let repo = git::init(dir)?;
    git::commit_all(
        &repo,
        &format!("chore: Create project {name} ({})", template.id()),
    )?;
    Ok(())
}

/// Every project folder under `root` (folders holding a `project.json`), newest first.
pub fn list(root: &Path) -> Result<Vec<ProjectSummary>, String> {
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read the workspace {}: {e}", root.display())),
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let folder = e.file_name().to_string_lossy().into_owned();
        if folder.starts_with('.') || !path.join(MANIFEST_FILE).exists() {
            continue;
        }
        out.push(summary(&path));
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.modified_ms));
    Ok(out)
}

pub fn summary(path: &Path) -> ProjectSummary {
    let folder = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let (manifest, error) = match read_manifest(path) {
        Ok(m) => (Some(m), None),
        Err(e) => (None, Some(e)),
    };
    let git_state = match git::open(path).and_then(|r| git::status(&r)) {
        Ok(s) if s.is_clean() => "clean".into(),
        Ok(s) => format!("modified ({})", s.changed_count()),
        Err(e) => format!("unknown: {e}"),
    };
    let (size_bytes, modified_ms) = dir_size_and_mtime(path);
    ProjectSummary {
        name: manifest
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| folder.clone()),
        folder,
        path: path.to_path_buf(),
        modified_ms,
        size_bytes,
        git_state,
        chapters: manifest
            .as_ref()
            .map(|m| m.narrative.chapters.len())
            .unwrap_or(0),
        shots: manifest.as_ref().map(|m| m.shot_count()).unwrap_or(0),
        error,
    }
}

/// Bytes under `dir` (the LFS store included) and the newest mtime outside `.git`.
fn dir_size_and_mtime(dir: &Path) -> (u64, u64) {
    let mut size = 0;
    let mut newest = 0;
    let mut stack = vec![(dir.to_path_buf(), false)];
    while let Some((d, in_git)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = e.metadata() else { continue };
            let is_git = in_git || e.file_name() == ".git";
            if m.is_dir() {
                stack.push((e.path(), is_git));
            } else {
                size += m.len();
                if !is_git {
                    let t = m
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_millis() as u64)
                        .unwrap_or(0);
                    newest = newest.max(t);
                }
            }
        }
    }
    (size, newest)
}

/// Reads `project.json`. The error names the file, the parse error, and the ways out.
pub fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let file = path.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!("{} cannot be read ({e}). Restore it from git (`git checkout -- project.json`) or open the folder read-only.", file.display())
    })?;
    Manifest::parse(&text).map_err(|e| {
        format!(
            "{} is not a valid project manifest: {e}. Nothing was changed. Fix the file, restore it from git (`git checkout -- project.json`), or open the project read-only.",
            file.display()
        )
    })
}

/// Writes `project.json` atomically with a fresh `modified` time.
pub fn write_manifest(path: &Path, manifest: &mut Manifest) -> Result<(), String> {
    manifest.modified = crate::util::iso8601(crate::util::now_ms());
    manifest.renumber();
    crate::util::write_atomic(&path.join(MANIFEST_FILE), manifest.to_json().as_bytes())
        .map_err(|e| format!("could not save project.json: {e}"))
}

/// Finds a project by name, folder name or path.
pub fn resolve(root: &Path, name_or_path: &str) -> Result<PathBuf, String> {
    let as_path = PathBuf::from(name_or_path);
    if as_path.join(MANIFEST_FILE).exists() {
        return Ok(std::path::absolute(&as_path).unwrap_or(as_path));
    }
    let by_folder = root.join(names::sanitize(name_or_path));
    if by_folder.join(MANIFEST_FILE).exists() {
        return Ok(by_folder);
    }
    list(root)?
        .into_iter()
        .find(|p| p.name == name_or_path)
        .map(|p| p.path)
        .ok_or_else(|| {
            format!(
                "no project {name_or_path:?} in {}; `slate project list` shows them",
                root.display()
            )
        })
}

/// The project containing `dir`, if any (walks up to the first folder with a manifest).
pub fn containing(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(MANIFEST_FILE).exists())
        .map(Path::to_path_buf)
}

/// Renames the project (its manifest name and its folder) and commits the change.
pub fn rename(path: &Path, new_name: &str) -> Result<PathBuf, String> {
    let folder = names::folder_name(new_name)?;
    let root = path.parent().ok_or("the project has no parent folder")?;
    let dest = root.join(&folder);
    if dest != path && dest.exists() {
        return Err(format!("a project folder named {folder:?} already exists"));
    }
    let mut m = read_manifest(path)?;
    m.name = new_name.trim().to_string();
    write_manifest(path, &mut m)?;
    let repo = git::open(path)?;
    git::commit_only(
        &repo,
        MANIFEST_FILE,
        &format!("chore: Rename project to {}", m.name),
    )?;
    if dest != path {
        std::fs::rename(path, &dest).map_err(|e| format!("could not rename the folder: {e}"))?;
    }
    Ok(dest)
}

/// Moves the project to the OS trash (freedesktop spec on Linux). When the trash is on
/// another filesystem it is refused, so the caller can ask before deleting for good.
pub fn move_to_trash(path: &Path) -> Result<PathBuf, String> {
    let home = directories::BaseDirs::new().ok_or("no home folder to find the trash in")?;
    let trash = home.data_local_dir().join("Trash");
    let files = trash.join("files");
    let info = trash.join("info");
    std::fs::create_dir_all(&files).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&info).map_err(|e| e.to_string())?;
    let base = path
        .file_name()
        .ok_or("no folder name")?
        .to_string_lossy()
        .into_owned();
    let mut name = base.clone();
    let mut n = 1;
    while files.join(&name).exists() || info.join(format!("{name}.trashinfo")).exists() {
        n += 1;
        name = format!("{base}.{n}");
    }
    let info_file = info.join(format!("{name}.trashinfo"));
    let when = crate::util::iso8601(crate::util::now_ms());
    std::fs::write(
        &info_file,
        format!(
            "[Trash Info]\nPath={}\nDeletionDate={}\n",
            percent_encode_path(path),
            &when[..19]
        ),
    )
    .map_err(|e| e.to_string())?;
    let dest = files.join(&name);
    if let Err(e) = std::fs::rename(path, &dest) {
        std::fs::remove_file(&info_file).ok();
        return Err(if e.raw_os_error() == Some(libc::EXDEV) {
            "the trash is on another disk; delete permanently instead?".to_string()
        } else {
            format!("could not move the project to the trash: {e}")
        });
    }
    Ok(dest)
}

/// A path as the trash spec stores it: bytes other than unreserved characters and `/`
/// written as `%XX`.
fn percent_encode_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    path.as_os_str()
        .as_bytes()
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Deletes the project folder for good (only after the user confirmed twice).
pub fn delete_permanently(path: &Path) -> Result<(), String> {
    if !path.join(MANIFEST_FILE).exists() {
        return Err(format!(
            "{} is not a project folder; refusing to delete it",
            path.display()
        ));
    }
    std::fs::remove_dir_all(path).map_err(|e| format!("could not delete {}: {e}", path.display()))
}

/// An edit of the story structure. Indexes are positions in the lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StructureEdit {
    AddChapter {
        name: String,
    },
    RenameChapter {
        chapter: usize,
        name: String,
    },
    MoveChapter {
        chapter: usize,
        to: usize,
    },
    DeleteChapter {
        chapter: usize,
    },
    AddScene {
        chapter: usize,
        name: String,
    },
    RenameScene {
        chapter: usize,
        scene: usize,
        name: String,
    },
    MoveScene {
        chapter: usize,
        scene: usize,
        to: usize,
    },
    DeleteScene {
        chapter: usize,
        scene: usize,
    },
    AddShot {
        chapter: usize,
        scene: usize,
        name: String,
        shot_type: ShotType,
        duration: f64,
        description: String,
    },
    UpdateShot {
        chapter: usize,
        scene: usize,
        shot: usize,
        name: String,
        shot_type: ShotType,
        duration: f64,
        description: String,
    },
    MoveShot {
        chapter: usize,
        scene: usize,
        shot: usize,
        to: usize,
    },
    DeleteShot {
        chapter: usize,
        scene: usize,
        shot: usize,
    },
}

fn at<'a, T>(v: &'a mut [T], i: usize, what: &str) -> Result<&'a mut T, String> {
    let n = v.len();
    v.get_mut(i)
        .ok_or_else(|| format!("there is no {what} {} (there are {n})", i + 1))
}

/// The scene at `chapter`, `scene`, or which of the two does not exist.
fn scene_at(chapters: &mut [Chapter], chapter: usize, scene: usize) -> Result<&mut Scene, String> {
    at(
        &mut at(chapters, chapter, "chapter")?.scenes,
        scene,
        "scene",
    )
}

fn move_item<T>(v: &mut Vec<T>, from: usize, to: usize, what: &str) -> Result<(), String> {
    if from >= v.len() || to >= v.len() {
        return Err(format!(
            "cannot move {what} {} to position {}: there are {}",
            from + 1,
            to + 1,
            v.len()
        ));
    }
    let item = v.remove(from);
    v.insert(to, item);
    Ok(())
}

fn check_name(name: &str, what: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(format!("give the {what} a name"));
    }
    if n.chars().count() > names::MAX_NAME_CHARS {
        return Err(format!(
            "keep the {what} name to {} characters",
            names::MAX_NAME_CHARS
        ));
    }
    Ok(n.to_string())
}

fn check_duration(d: f64) -> Result<f64, String> {
    if !d.is_finite() || !(0.0..=24.0 * 3600.0).contains(&d) {
        return Err(format!("a shot lasts between 0 and 86400 seconds, not {d}"));
    }
    Ok(d)
}

impl StructureEdit {
    /// Applies the edit to the manifest; a bad index or name changes nothing.
    pub fn apply(&self, m: &mut Manifest) -> Result<String, String> {
        let chapters = &mut m.narrative.chapters;
        let summary = match self {
            Self::AddChapter { name } => {
                let name = check_name(name, "chapter")?;
                chapters.push(Chapter {
                    id: new_id("ch"),
                    name: name.clone(),
                    order: 0,
                    description: String::new(),
                    scenes: Vec::new(),
                    extra: Default::default(),
                });
                format!("Add chapter {name}")
            }
            Self::RenameChapter { chapter, name } => {
                let name = check_name(name, "chapter")?;
                at(chapters, *chapter, "chapter")?.name = name.clone();
                format!("Rename chapter to {name}")
            }
            Self::MoveChapter { chapter, to } => {
                move_item(chapters, *chapter, *to, "chapter")?;
                "Reorder chapters".into()
            }
            Self::DeleteChapter { chapter } => {
                at(chapters, *chapter, "chapter")?;
                format!("Delete chapter {}", chapters.remove(*chapter).name)
            }
            Self::AddScene { chapter, name } => {
                let name = check_name(name, "scene")?;
                at(chapters, *chapter, "chapter")?.scenes.push(Scene {
                    id: new_id("sc"),
                    name: name.clone(),
                    order: 0,
                    description: String::new(),
                    shots: Vec::new(),
                    extra: Default::default(),
                });
                format!("Add scene {name}")
            }
            Self::RenameScene {
                chapter,
                scene,
                name,
            } => {
                let name = check_name(name, "scene")?;
                scene_at(chapters, *chapter, *scene)?.name = name.clone();
                format!("Rename scene to {name}")
            }
            Self::MoveScene { chapter, scene, to } => {
                move_item(
                    &mut at(chapters, *chapter, "chapter")?.scenes,
                    *scene,
                    *to,
                    "scene",
                )?;
                "Reorder scenes".into()
            }
            Self::DeleteScene { chapter, scene } => {
                let scenes = &mut at(chapters, *chapter, "chapter")?.scenes;
                at(scenes, *scene, "scene")?;
                format!("Delete scene {}", scenes.remove(*scene).name)
            }
            Self::AddShot {
                chapter,
                scene,
                name,
                shot_type,
                duration,
                description,
            } => {
                let name = check_name(name, "shot")?;
                let duration = check_duration(*duration)?;
                let sc = scene_at(chapters, *chapter, *scene)?;
                sc.shots.push(Shot {
                    id: new_id("sh"),
                    name: name.clone(),
                    order: 0,
                    shot_type: shot_type.clone(),
                    duration,
                    description: description.clone(),
                    extra: Default::default(),
                });
                format!("Add shot {name}")
            }
            Self::UpdateShot {
                chapter,
                scene,
                shot,
                name,
                shot_type,
                duration,
                description,
            } => {
                let name = check_name(name, "shot")?;
                let duration = check_duration(*duration)?;
                let sc = scene_at(chapters, *chapter, *scene)?;
                let s = at(&mut sc.shots, *shot, "shot")?;
                s.name = name.clone();
                s.shot_type = shot_type.clone();
                s.duration = duration;
                s.description = description.clone();
                format!("Update shot {name}")
            }
            Self::MoveShot {
                chapter,
                scene,
                shot,
                to,
            } => {
                let sc = scene_at(chapters, *chapter, *scene)?;
                move_item(&mut sc.shots, *shot, *to, "shot")?;
                "Reorder shots".into()
            }
            Self::DeleteShot {
                chapter,
                scene,
                shot,
            } => {
                let sc = scene_at(chapters, *chapter, *scene)?;
                at(&mut sc.shots, *shot, "shot")?;
                format!("Delete shot {}", sc.shots.remove(*shot).name)
            }
        };
        m.renumber();
        Ok(summary)
    }
}

/// Reads, edits and writes the manifest (not committed: the user or auto-commit does).
pub fn edit(path: &Path, edit: &StructureEdit) -> Result<(Manifest, String), String> {
    let mut m = read_manifest(path)?;
    let summary = edit.apply(&mut m)?;
    write_manifest(path, &mut m)?;
    Ok((m, summary))
}
