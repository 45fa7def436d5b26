//! Reading takes in the web studio's layout (services/takes.py, services/thumbnails.py):
//!
//! ```text
//! 03_Renders/<chapter>/<scene>/<shot>/active_take.json        {shotId, activeTakeId, updated}
//! 03_Renders/<chapter>/<scene>/<shot>/takes/take_NNN/<shot>_take_NNN.<ext>
//!     <shot>_take_NNN_metadata.json (camelCase)  <shot>_take_NNN_thumb_{large,medium,small}.png
//! 03_Renders/<chapter>/<scene>/<shot>/takes/.deleted_take_NNN_<unix seconds>   (soft delete)
//! ```
//!
//! Only reading: the project's content is untrusted, so links are never followed, only
//! folders and regular files inside the project are read, and a bad file makes that
//! take carry an error instead of failing the scan.

use std::path::Path;

pub use crate::model::take::{
    ACTIVE_TAKE_FILE, ActiveTakeFile, DeletedTake, RENDERS_DIR, ShotTakes, THUMB_SIZES, Take,
    TakeIndex, TakeMetadata, Thumbnails,
};

/// JSON files above this size are not read (a take's metadata is a few KiB).
const MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;
/// Media extensions the web studio looks for, in its order.
const MEDIA_EXTS: &[&str] = &[
    "mp4", "mov", "avi", "mkv", "webm", "png", "jpg", "jpeg", "webp",
];

/// True for a folder that is not a link.
pub(crate) fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Sub-folders of `dir` (never links), sorted by name.
pub(crate) fn subdirs(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    out.sort();
    out
}

/// Regular files directly in `dir` (never links), sorted by name.
pub(crate) fn files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    out.sort();
    out
}

/// Reads a small JSON file that must be a regular file (not a link).
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_JSON_BYTES {
        return Err(format!("{} bytes is too large to be metadata", meta.len()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// `take_007` → 7.
fn take_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("take_")?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// `.deleted_take_007_1735000000` → (7, 1735000000).
fn deleted_take(name: &str) -> Option<(u32, u64)> {
    let rest = name.strip_prefix(".deleted_")?;
    let (take, when) = rest.rsplit_once('_')?;
    Some((take_number(take)?, when.parse().ok()?))
}

/// Reads every take under `03_Renders/` of the project.
pub fn scan(project: &Path) -> TakeIndex {
    let renders = project.join(RENDERS_DIR);
    let mut shots = Vec::new();
    if !is_real_dir(&renders) {
        return TakeIndex { shots };
    }
    for chapter in subdirs(&renders) {
        for scene in subdirs(&renders.join(&chapter)) {
            for shot in subdirs(&renders.join(&chapter).join(&scene)) {
                let s = read_shot(project, &chapter, &scene, &shot);
                if !s.takes.is_empty() || !s.deleted.is_empty() || s.active.is_some() {
                    shots.push(s);
                }
            }
        }
    }
    TakeIndex { shots }
}

/// Live takes under `03_Renders/`, counted from folder names alone (no file is read),
/// for the project list.
pub fn count(project: &Path) -> usize {
    let renders = project.join(RENDERS_DIR);
    if !is_real_dir(&renders) {
        return 0;
    }
    let mut n = 0;
    for chapter in subdirs(&renders) {
        let chapter = renders.join(chapter);
        for scene in subdirs(&chapter) {
            let scene = chapter.join(scene);
            for shot in subdirs(&scene) {
                n += subdirs(&scene.join(shot).join("takes"))
                    .iter()
                    .filter(|t| take_number(t).is_some())
                    .count();
            }
        }
    }
    n
}

/// One shot folder's takes (it need not exist: then it has none).
pub(crate) fn read_shot(project: &Path, chapter: &str, scene: &str, shot: &str) -> ShotTakes {
    let rel = format!("{RENDERS_DIR}/{chapter}/{scene}/{shot}");
    let dir = project.join(&rel);
    let mut out = ShotTakes {
        chapter: chapter.into(),
        scene: scene.into(),
        shot: shot.into(),
        takes: Vec::new(),
        deleted: Vec::new(),
        active: None,
        error: None,
    };
    let active = dir.join(ACTIVE_TAKE_FILE);
    if std::fs::symlink_metadata(&active).is_ok() {
        match read_json::<ActiveTakeFile>(&active) {
            Ok(a) => out.active = a.active_take_id,
            Err(e) => out.error = Some(format!("{rel}/{ACTIVE_TAKE_FILE}: {e}")),
        }
    }
    let takes_rel = format!("{rel}/takes");
    for name in subdirs(&dir.join("takes")) {
        if let Some(number) = take_number(&name) {
            out.takes.push(read_take(
                project,
                &format!("{takes_rel}/{name}"),
                shot,
                &name,
                number,
            ));
        } else if let Some((number, deleted_at_s)) = deleted_take(&name) {
            out.deleted.push(DeletedTake {
                number,
                deleted_at_s,
                dir: format!("{takes_rel}/{name}"),
            });
        }
    }
    out.takes.sort_by_key(|t| t.number);
    out.deleted.sort_by_key(|d| (d.number, d.deleted_at_s));
    out
}

fn read_take(project: &Path, rel: &str, shot: &str, id: &str, number: u32) -> Take {
    let dir = project.join(rel);
    let names = files(&dir);
    let base = format!("{shot}_{id}");
    let mut take = Take {
        id: id.into(),
        number,
        dir: rel.into(),
        media: None,
        thumbnails: Thumbnails::default(),
        metadata: None,
        error: None,
    };
    // The web studio names files after the shot; fall back to any `*_metadata.json` as
    // its own reader does.
    let meta_name = names
        .iter()
        .find(|n| **n == format!("{base}_metadata.json"))
        .or_else(|| names.iter().find(|n| n.ends_with("_metadata.json")));
    match meta_name {
        Some(n) => match read_json::<TakeMetadata>(&dir.join(n)) {
            Ok(m) => take.metadata = Some(m),
            Err(e) => take.error = Some(format!("{rel}/{n}: {e}")),
        },
        None => take.error = Some(format!("{rel}: no *_metadata.json")),
    }
    for size in THUMB_SIZES {
        let found = names
            .iter()
            .find(|n| n.ends_with(&format!("_thumb_{size}.png")))
            .map(|n| format!("{rel}/{n}"));
        match size {
            "large" => take.thumbnails.large = found,
            "medium" => take.thumbnails.medium = found,
            _ => take.thumbnails.small = found,
        }
    }
    let is_media = |n: &str| {
        !n.contains("_thumb_")
            && !n.ends_with("_thumbnail.png")
            && n.rsplit_once('.')
                .is_some_and(|(_, ext)| MEDIA_EXTS.contains(&ext.to_ascii_lowercase().as_str()))
    };
    take.media = names
        .iter()
        .find(|n| n.starts_with(&format!("{base}.")) && is_media(n))
        .or_else(|| names.iter().find(|n| is_media(n)))
        .map(|n| format!("{rel}/{n}"));
    take
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_folder_names() {
        assert_eq!(take_number("take_007"), Some(7));
        assert_eq!(take_number("take_1234"), Some(1234));
        assert_eq!(take_number("take_"), None);
        assert_eq!(take_number("take_00x"), None);
        assert_eq!(take_number("takes"), None);
        assert_eq!(
            deleted_take(".deleted_take_002_1735000000"),
            Some((2, 1735000000))
        );
        assert_eq!(deleted_take(".deleted_take_002"), None);
        assert_eq!(deleted_take("deleted_take_002_1"), None);
    }
}
