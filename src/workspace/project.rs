//! Projects in the workspace: create (atomically), list, open, upgrade, rename, delete,
//! and edits to the chapter → scene → shot structure (`project.json` holds chapters and
//! scene ids, `02_Story/story.json` the rest).

use std::path::{Path, PathBuf};

use crate::model::manifest::{MANIFEST_FILE, Manifest, NarrativeTemplate, Parsed};
pub use crate::model::project::{ProjectSummary, StructureEdit, Upgrade};
use crate::model::story::STORY_FILE;
use crate::workspace::{assets, git, lfs, names, takes};

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

/// What an export folder keeps in git: the folder itself (the web studio's structure
/// check needs it in every clone), not its contents.
const EXPORTS_IGNORE: &str = "06_Exports/*\n!06_Exports/.gitkeep\n";

pub const GITIGNORE: &str = "\
# Slate: exports and caches are rebuilt, not versioned (06_Exports/ itself is kept)
06_Exports/*
!06_Exports/.gitkeep
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
    let quality = web_quality(options.quality);
    manifest.quality = quality.into();
    manifest.settings.default_quality = quality.into();
    manifest.git.lfs_enabled = options.lfs;
    let (project_json, story_json) = manifest.to_json();
    std::fs::write(dir.join(MANIFEST_FILE), project_json).map_err(|e| io(dir, e))?;
    std::fs::write(dir.join(STORY_FILE), story_json).map_err(|e| io(dir, e))?;
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

/// The web studio's three quality levels for Slate's four presets.
pub fn web_quality(q: crate::settings::Quality) -> &'static str {
    use crate::settings::Quality as Q;
    match q {
        Q::Draft => "low",
        Q::Standard => "standard",
        Q::High | Q::Ultra => "high",
    }
}

/// Every project folder under `root` (folders holding a `project.json`), newest first.
/// Other folders (the asset `Library/`, anything else) are not projects.
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
    let (manifest, upgrade, error) = match load(path) {
        Ok(p) => (Some(p.manifest), p.upgrade, None),
        Err(e) => (None, Vec::new(), Some(e)),
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
        scenes: manifest.as_ref().map(|m| m.scene_count()).unwrap_or(0),
        shots: manifest.as_ref().map(|m| m.shot_count()).unwrap_or(0),
        takes: takes::count(path),
        assets: assets::count_project(path),
        error,
        upgrade,
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

/// Reads the story: `project.json` and `02_Story/story.json`. The error names the file,
/// the parse error, and the ways out.
pub fn read_manifest(path: &Path) -> Result<Manifest, String> {
    load(path).map(|p| p.manifest)
}

/// Reads a file of the project that must be a regular file inside it (never a link
/// out). `Ok(None)` when it does not exist.
fn read_inside(path: &Path, rel: &str) -> Result<Option<String>, String> {
    let mut at = path.to_path_buf();
    for part in Path::new(rel).components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a link; Slate reads project files only from inside the project",
                    at.display()
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{} cannot be read ({e})", at.display())),
        }
    }
    std::fs::read_to_string(&at)
        .map(Some)
        .map_err(|e| format!("{} cannot be read ({e})", at.display()))
}

/// Reads and parses both files, and says what an upgrade from an earlier Slate format
/// would change (the `.gitignore` of a round-1 project ignores `06_Exports/` whole).
pub fn load(path: &Path) -> Result<Parsed, String> {
    let way_out = |rel: &str| {
        format!(
            "Nothing was changed. Fix the file, restore it from git (`git checkout -- {rel}`), or open the project read-only."
        )
    };
    let project_text = read_inside(path, MANIFEST_FILE)
        .and_then(|t| t.ok_or_else(|| format!("{} is missing", path.join(MANIFEST_FILE).display())))
        .map_err(|e| format!("{e}. {}", way_out(MANIFEST_FILE)))?;
    let story_text =
        read_inside(path, STORY_FILE).map_err(|e| format!("{e}. {}", way_out(STORY_FILE)))?;
    let mut parsed =
        Manifest::parse(&project_text, story_text.as_deref()).map_err(|(rel, e)| {
            let what = if rel == MANIFEST_FILE {
                "is not a valid project manifest"
            } else {
                "is not a valid story file"
            };
            format!("{} {what}: {e}. {}", path.join(rel).display(), way_out(rel))
        })?;
    if exports_ignored(path) {
        parsed.upgrade.push(
            ".gitignore ignores 06_Exports/ whole: keep the folder (its .gitkeep) in git".into(),
        );
    }
    Ok(parsed)
}

/// True when `.gitignore` has round 1's `06_Exports/` line, so clones lack the folder.
fn exports_ignored(path: &Path) -> bool {
    read_inside(path, ".gitignore")
        .ok()
        .flatten()
        .is_some_and(|t| {
            t.lines()
                .any(|l| matches!(l.trim(), "06_Exports/" | "06_Exports" | "/06_Exports/"))
        })
}

/// Writes a file atomically, unless it already holds the same JSON (so a story file
/// formatted by hand is not rewritten when nothing in it changed).
fn write_json_if_changed(file: &Path, text: &str) -> Result<(), String> {
    if let Ok(old) = std::fs::read_to_string(file)
        && let (Ok(a), Ok(b)) = (
            serde_json::from_str::<serde_json::Value>(&old),
            serde_json::from_str::<serde_json::Value>(text),
        )
        && a == b
    {
        return Ok(());
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::util::write_atomic(file, text.as_bytes())
        .map_err(|e| format!("could not save {}: {e}", file.display()))
}

/// Writes `project.json` (with a fresh `modified` time) and the story sidecar, each
/// atomically; the sidecar first, so every id `project.json` lists has its entry.
pub fn write_manifest(path: &Path, manifest: &mut Manifest) -> Result<(), String> {
    manifest.modified = crate::util::iso8601(crate::util::now_ms());
    write_files(path, manifest)
}

fn write_files(path: &Path, manifest: &Manifest) -> Result<(), String> {
    // Refuse to write through a link planted in place of a project file or folder.
    read_inside(path, STORY_FILE)?;
    read_inside(path, MANIFEST_FILE)?;
    let (project_json, story_json) = manifest.to_json();
    write_json_if_changed(&path.join(STORY_FILE), &story_json)?;
    crate::util::write_atomic(&path.join(MANIFEST_FILE), project_json.as_bytes())
        .map_err(|e| format!("could not save project.json: {e}"))
}

/// The commit message of an upgrade.
pub const UPGRADE_MESSAGE: &str = "chore: upgrade project format";

/// Upgrades a project written by an earlier Slate to the current format in one commit
/// (`chore: upgrade project format`) holding only the files it rewrote. Returns the
/// commit and what changed, or `None` when the project was current (so it is
/// idempotent).
pub fn upgrade(path: &Path) -> Result<Option<(String, Vec<String>)>, String> {
    let parsed = load(path)?;
    if parsed.upgrade.is_empty() {
        return Ok(None);
    }
    let repo = git::open(path)?;
    // The upgrade commit must hold only the upgrade: refuse over the user's own
    // uncommitted edits to the files it rewrites.
    let st = git::status(&repo)?;
    let rewritten = [MANIFEST_FILE, STORY_FILE, ".gitignore"];
    let dirty: Vec<&str> = st
        .staged
        .iter()
        .chain(&st.modified)
        .map(|c| c.path.as_str())
        .chain(st.untracked.iter().map(String::as_str))
        .filter(|p| rewritten.contains(p))
        .collect();
    if !dirty.is_empty() {
        return Err(format!(
            "{} {} uncommitted changes: commit or discard them first (`git diff`), then \
             upgrade; nothing was changed",
            dirty.join(", "),
            if dirty.len() == 1 { "has" } else { "have" }
        ));
    }
    write_files(path, &parsed.manifest)?;
    let mut paths = vec![MANIFEST_FILE.to_string(), STORY_FILE.to_string()];
    if exports_ignored(path) {
        let old = read_inside(path, ".gitignore")?.unwrap_or_default();
        let mut text = String::new();
        for line in old.lines() {
            if matches!(line.trim(), "06_Exports/" | "06_Exports" | "/06_Exports/") {
                text += EXPORTS_IGNORE;
            } else {
                text += line;
                text.push('\n');
            }
        }
        crate::util::write_atomic(&path.join(".gitignore"), text.as_bytes())
            .map_err(|e| format!("could not save .gitignore: {e}"))?;
        let keep = path.join("06_Exports");
        std::fs::create_dir_all(&keep).map_err(|e| format!("{}: {e}", keep.display()))?;
        if !keep.join(".gitkeep").exists() {
            std::fs::write(keep.join(".gitkeep"), b"")
                .map_err(|e| format!("{}: {e}", keep.display()))?;
        }
        paths.push(".gitignore".into());
        paths.push("06_Exports/.gitkeep".into());
    }
    let commit = git::commit_only_paths(&repo, &paths, UPGRADE_MESSAGE)?;
    Ok(Some((commit, parsed.upgrade)))
}

/// On open: upgrades a writable project with a clean work tree; otherwise leaves it as
/// it is and says why (nothing is upgraded silently over uncommitted work).
pub fn upgrade_on_open(path: &Path, read_only: bool) -> Result<Upgrade, String> {
    let parsed = load(path)?;
    if parsed.upgrade.is_empty() {
        return Ok(Upgrade::Current);
    }
    let how = "upgrade it from the banner or with `slate project upgrade`";
    let why = if read_only {
        Some(format!("it is open read-only; {how}"))
    } else {
        match git::open(path).and_then(|r| git::status(&r)) {
            Ok(st) if st.is_clean() => None,
            Ok(st) => Some(format!(
                "it has {}, and Slate does not commit over them on \
                 its own; {how} (that commit holds only the files the upgrade rewrites)",
                crate::util::count(st.changed_count(), "uncommitted change")
            )),
            Err(e) => Some(format!("its git state is unknown ({e}); {how}")),
        }
    };
    match why {
        Some(why) => Ok(Upgrade::Pending {
            changes: parsed.upgrade,
            why: format!(
                "This project was made by an earlier Slate and is not upgraded yet: {why}."
            ),
        }),
        None => Ok(match upgrade(path)? {
            Some((commit, changes)) => Upgrade::Done { commit, changes },
            None => Upgrade::Current,
        }),
    }
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

/// Moves the project to the OS trash, through the `trash` crate (the freedesktop spec on
/// Linux, with per-disk trash folders; macOS and Windows too).
pub fn move_to_trash(path: &Path) -> Result<(), String> {
    trash::delete(path).map_err(|e| {
        format!(
            "could not move {} to the trash ({e}); delete it permanently instead?",
            path.display()
        )
    })
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

/// Reads, edits and writes the story (not committed: the user or auto-commit does). A
/// project in an earlier Slate format is refused until it is upgraded, so an edit never
/// hides an upgrade inside it.
pub fn edit(path: &Path, edit: &StructureEdit) -> Result<(Manifest, String), String> {
    let Parsed {
        manifest: mut m,
        upgrade,
    } = load(path)?;
    if !upgrade.is_empty() {
        return Err(format!(
            "this project was made by an earlier Slate; upgrade it first (`slate project upgrade`, or the banner in the window): {}",
            upgrade.join("; ")
        ));
    }
    let summary = edit.apply(&mut m)?;
    write_manifest(path, &mut m)?;
    Ok((m, summary))
}
