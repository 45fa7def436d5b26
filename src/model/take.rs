use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::names;
use crate::model::task::ShotRef;

pub const RENDERS_DIR: &str = "03_Renders";

pub const ACTIVE_TAKE_FILE: &str = "active_take.json";

pub const THUMB_SIZES: [&str; 3] = ["large", "medium", "small"];

/// `<shot>_take_NNN_metadata.json`, as the web studio writes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakeMetadata {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub shot_id: String,
    #[serde(default)]
    pub created: Option<String>,
    /// `generating`, `complete`, …
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub generation_params: Value,
    /// `{quality, vramUsed, generationTime}`.
    #[serde(default)]
    pub resources: Value,
    /// As the web studio wrote it: untrusted, never opened as is (use [`Take::media`]).
    #[serde(default)]
    pub file_path: Option<String>,
    #[serde(default)]
    pub file_size: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `active_take.json` in a shot's folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveTakeFile {
    #[serde(default)]
    pub shot_id: String,
    pub active_take_id: Option<String>,
    #[serde(default)]
    pub updated: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The three thumbnail sizes; paths relative to the project.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumbnails {
    pub large: Option<String>,
    pub medium: Option<String>,
    pub small: Option<String>,
}

/// One take folder (`take_NNN`). Paths are relative to the project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Take {
    /// `take_NNN`, the folder name and the id the web studio uses.
    pub id: String,
    pub number: u32,
    pub dir: String,
    pub media: Option<String>,
    pub thumbnails: Thumbnails,
    pub metadata: Option<TakeMetadata>,
    /// Why the metadata could not be read, when it could not.
    pub error: Option<String>,
}

/// A soft-deleted take: `.deleted_take_NNN_<unix seconds>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedTake {
    pub number: u32,
    pub deleted_at_s: u64,
    pub dir: String,
}

/// The takes of one shot folder, `03_Renders/<chapter>/<scene>/<shot>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShotTakes {
    pub chapter: String,
    pub scene: String,
    pub shot: String,
    /// Live takes, by number.
    pub takes: Vec<Take>,
    pub deleted: Vec<DeletedTake>,
    /// The take `active_take.json` names (a take id such as `take_002`).
    pub active: Option<String>,
    pub error: Option<String>,
}

impl ShotTakes {
    /// The web studio's shot id: `<chapter>/<scene>/<shot>`.
    pub fn shot_id(&self) -> String {
        format!("{}/{}/{}", self.chapter, self.scene, self.shot)
    }

    /// The number the next take gets: numbers never repeat, even after deletes.
    pub fn next_number(&self) -> u32 {
        let live = self.takes.iter().map(|t| t.number);
        let gone = self.deleted.iter().map(|d| d.number);
        live.chain(gone).max().unwrap_or(0) + 1
    }
}

/// Every shot folder with takes, in path order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TakeIndex {
    pub shots: Vec<ShotTakes>,
}

impl TakeIndex {
    pub fn take_count(&self) -> usize {
        self.shots.iter().map(|s| s.takes.len()).sum()
    }

    pub fn deleted_count(&self) -> usize {
        self.shots.iter().map(|s| s.deleted.len()).sum()
    }

    pub fn active_count(&self) -> usize {
        self.shots.iter().filter(|s| s.active.is_some()).count()
    }

    /// The shot folder named by these ids, if it has any takes.
    pub fn shot(&self, chapter: &str, scene: &str, shot: &str) -> Option<&ShotTakes> {
        self.shots
            .iter()
            .find(|s| s.chapter == chapter && s.scene == scene && s.shot == shot)
    }

    /// Live takes in all shot folders of a scene.
    pub fn scene_take_count(&self, chapter: &str, scene: &str) -> usize {
        self.shots
            .iter()
            .filter(|s| s.chapter == chapter && s.scene == scene)
            .map(|s| s.takes.len())
            .sum()
    }
}

/// A shot's folders under `03_Renders/`: the three path components.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ShotFolder {
    pub chapter: String,
    pub scene: String,
    pub shot: String,
}

impl ShotFolder {
    /// From a shot's stable ids (sanitised: never `..`, `/` or an empty name).
    pub fn of(r: &ShotRef) -> Self {
        Self {
            chapter: names::sanitize(&r.chapter_id),
            scene: names::sanitize(&r.scene_id),
            shot: names::sanitize(&r.shot_id),
        }
    }

    /// The web studio's shot id, `<chapter>/<scene>/<shot>`.
    pub fn shot_id(&self) -> String {
        format!("{}/{}/{}", self.chapter, self.scene, self.shot)
    }

    /// `03_Renders/<chapter>/<scene>/<shot>`, relative to the project.
    pub fn rel(&self) -> String {
        format!(
            "{RENDERS_DIR}/{}/{}/{}",
            self.chapter, self.scene, self.shot
        )
    }

    pub fn takes_rel(&self) -> String {
        format!("{}/takes", self.rel())
    }
}

/// What a finished take-making reports.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CreatedTake {
    pub shot_id: String,
    pub take: Take,
    /// The commit that holds it (`None` with committing off).
    pub commit: Option<String>,
    /// The take already existed for this task (a repeated request): nothing was written.
    pub existed: bool,
}

/// The take folder number `n`: `take_007`.
pub fn take_id(n: u32) -> String {
    format!("take_{n:03}")
}

/// Review state a director gives a take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Review {
    Pending,
    Approved,
    Rejected,
}

impl Review {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// A take's review state from its metadata (`reviewStatus`; pending when absent).
    pub fn of(take: &Take) -> Self {
        match take
            .metadata
            .as_ref()
            .and_then(|m| m.extra.get("reviewStatus"))
            .and_then(Value::as_str)
        {
            Some("approved") => Self::Approved,
            Some("rejected") => Self::Rejected,
            _ => Self::Pending,
        }
    }
}

/// Whether the take is starred (`starred` in its metadata).
pub fn is_starred(take: &Take) -> bool {
    take.metadata
        .as_ref()
        .and_then(|m| m.extra.get("starred"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A review action on one take.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeAction {
    Activate,
    Review(Review),
    Star(bool),
    Delete,
    /// Brings back the soft-deleted take with this number.
    Restore,
}

/// `7`, `007` or `take_007` → 7.
pub fn parse_take(s: &str) -> Option<u32> {
    s.strip_prefix("take_").unwrap_or(s).parse().ok()
}

/// The takes "keep N newest" would delete: everything but the `keep` newest, the active,
/// the approved and the starred takes.
pub fn cleanup_plan(shot: &ShotTakes, keep: usize) -> Vec<u32> {
    let mut newest: Vec<u32> = shot.takes.iter().map(|t| t.number).collect();
    newest.sort_unstable_by(|a, b| b.cmp(a));
    let kept: std::collections::BTreeSet<u32> = newest.into_iter().take(keep).collect();
    shot.takes
        .iter()
        .filter(|t| !kept.contains(&t.number))
        .filter(|t| shot.active.as_deref() != Some(t.id.as_str()))
        .filter(|t| Review::of(t) != Review::Approved && !is_starred(t))
        .map(|t| t.number)
        .collect()
}

/// The shot folder of a shot given by 1-based chapter, scene and shot numbers, with its
/// stable ids.
pub fn shot_by_numbers(
    manifest: &crate::model::manifest::Manifest,
    chapter: usize,
    scene: usize,
    shot: usize,
) -> Result<ShotRef, String> {
    let c = chapter
        .checked_sub(1)
        .and_then(|i| manifest.narrative.chapters.get(i))
        .ok_or_else(|| format!("there is no chapter {chapter}"))?;
    let s = scene
        .checked_sub(1)
        .and_then(|i| c.scenes.get(i))
        .ok_or_else(|| format!("chapter {chapter} has no scene {scene}"))?;
    let sh = shot
        .checked_sub(1)
        .and_then(|i| s.shots.get(i))
        .ok_or_else(|| format!("scene {chapter}.{scene} has no shot {shot}"))?;
    Ok(ShotRef {
        project_id: manifest.id.clone(),
        project_dir: None,
        chapter_id: c.id.clone(),
        scene_id: s.id.clone(),
        shot_id: sh.id.clone(),
        submitted_commit: None,
    })
}

/// The shot a ref names, found by ids in the manifest (after renames and moves).
pub fn find_shot<'a>(
    manifest: &'a crate::model::manifest::Manifest,
    r: &ShotRef,
) -> Option<&'a crate::model::manifest::Shot> {
    manifest
        .narrative
        .chapters
        .iter()
        .flat_map(|c| c.scenes.iter())
        .flat_map(|s| s.shots.iter())
        .find(|s| s.id == r.shot_id)
}

/// Parameters for a template's inputs declared `from = "…"`, filled from the shot and
/// the project (only inputs the user left empty).
pub fn bind_inputs(
    inputs: &[crate::model::function::Input],
    manifest: &crate::model::manifest::Manifest,
    r: &ShotRef,
    given: &mut std::collections::BTreeMap<String, String>,
) {
    let shot = find_shot(manifest, r);
    for input in inputs {
        let Some(from) = input.from.as_deref() else {
            continue;
        };
        if given.get(&input.name).is_some_and(|v| !v.trim().is_empty()) {
            continue;
        }
        let [w, h] = manifest.settings.resolution;
        let value = match from {
            "shot.description" => shot.map(|s| s.description.clone()),
            // What to render or say: the description, else the shot's name.
            "shot.prompt" => shot.map(|s| {
                if s.description.trim().is_empty() {
                    s.name.clone()
                } else {
                    s.description.clone()
                }
            }),
            "shot.name" => shot.map(|s| s.name.clone()),
            "shot.type" | "shot.shot_type" => shot.map(|s| s.shot_type.label().to_string()),
            // A shot without a length yet leaves the template's default.
            "shot.duration" => shot
                .filter(|s| s.duration > 0.0)
                .map(|s| s.duration.to_string()),
            "shot.assets" => shot.map(|s| s.assets.join(",")),
            "project.fps" => Some(manifest.settings.fps.to_string()),
            "project.width" => Some(w.to_string()),
            "project.height" => Some(h.to_string()),
            "project.resolution" => Some(format!("{w}x{h}")),
            "random.seed" | "seed" => Some(random_seed().to_string()),
            _ => None,
        };
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            given.insert(input.name.clone(), v);
        }
    }
}

/// A seed that differs run to run (time and process mixed; not for cryptography).
pub fn random_seed() -> u32 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(crate::util::now_ms());
    (h.finish() & 0x7fff_ffff) as u32
}
