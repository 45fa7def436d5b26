//! `project.json`: the web studio's `ProjectManifest` (fuchsst/auteur-movie-director,
//! `backend/app/schemas/project.py`), field for field, so both programs open what the
//! other writes. Scenes are only ids there; their names and shots live in the
//! `02_Story/story.json` sidecar ([`crate::model::story`]). In memory, [`Manifest`]
//! holds the whole story tree (chapters → scenes → shots); [`ProjectFile`] is what
//! `project.json` holds. Fields Slate does not know are kept, at every level.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::story::{self, StoryFile, StoryRest};

pub const MANIFEST_FILE: &str = "project.json";
pub const MANIFEST_VERSION: &str = "1.0.0";
/// The web studio's `QualityLevel`.
pub const QUALITIES: [&str; 3] = ["low", "standard", "high"];

/// The manifest with chapters holding `S`: scene ids on disk ([`ProjectFile`]), whole
/// scenes in memory ([`Manifest`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestOf<S> {
    pub id: String,
    pub name: String,
    // The web studio fills a missing date itself but refuses an empty one: never write "".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub modified: String,
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default = "default_quality")]
    pub quality: String,
    #[serde(default = "yes")]
    pub takes_system_enabled: bool,
    #[serde(default = "NarrativeOf::empty")]
    pub narrative: NarrativeOf<S>,
    /// `dict[str, list]`: category → references. Slate does not edit it.
    #[serde(default = "default_assets")]
    pub assets: Value,
    #[serde(default)]
    pub settings: ProjectSettings,
    /// `null`, or `{nodes, edges, viewport: {x, y, zoom}}`. Slate does not edit it.
    #[serde(default)]
    pub canvas: Value,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub git: GitConfig,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// What the story sidecar holds beyond the scenes reached from the chapters.
    #[serde(skip)]
    pub story_rest: StoryRest,
}

/// The whole story in memory: chapters with their scenes and shots.
pub type Manifest = ManifestOf<Scene>;
/// `project.json` exactly: chapters list scene ids.
pub type ProjectFile = ManifestOf<String>;
pub type Narrative = NarrativeOf<Scene>;
pub type Chapter = ChapterOf<Scene>;

fn default_version() -> String {
    MANIFEST_VERSION.into()
}
fn default_quality() -> String {
    "standard".into()
}
fn yes() -> bool {
    true
}
fn default_assets() -> Value {
    let mut assets = Map::new();
    for kind in ["characters", "styles", "locations", "music"] {
        assets.insert(kind.into(), Value::Array(Vec::new()));
    }
    Value::Object(assets)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NarrativeOf<S> {
    /// One of the four template ids (`three-act`, …).
    pub structure: String,
    #[serde(default = "Vec::new")]
    pub chapters: Vec<ChapterOf<S>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<S> NarrativeOf<S> {
    fn empty() -> Self {
        Self {
            structure: NarrativeTemplate::ThreeAct.id().into(),
            chapters: Vec::new(),
            extra: Map::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChapterOf<S> {
    pub id: String,
    pub name: String,
    /// 1-based, as the web studio numbers chapters.
    #[serde(default)]
    pub order: u32,
    #[serde(default = "Vec::new")]
    pub scenes: Vec<S>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A scene: its id is what `project.json` lists; the rest lives in the story sidecar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scene {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub shots: Vec<Shot>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Scene {
    /// A scene known only by its id (the web studio lists ids and nothing else).
    pub fn bare(id: &str) -> Self {
        Self {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            shots: Vec::new(),
            extra: Map::new(),
        }
    }
}

/// A shot's framing. Values Slate does not know (from the web studio or a newer
/// version) are kept as they are in `Other`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ShotType {
    #[default]
    Wide,
    Medium,
    CloseUp,
    ExtremeCloseUp,
    OverTheShoulder,
    Pov,
    Establishing,
    Other(String),
}

impl ShotType {
    pub const ALL: [ShotType; 7] = [
        ShotType::Wide,
        ShotType::Medium,
        ShotType::CloseUp,
        ShotType::ExtremeCloseUp,
        ShotType::OverTheShoulder,
        ShotType::Pov,
        ShotType::Establishing,
    ];
    pub fn label(&self) -> &str {
        match self {
            ShotType::Wide => "wide",
            ShotType::Medium => "medium",
            ShotType::CloseUp => "close-up",
            ShotType::ExtremeCloseUp => "extreme-close-up",
            ShotType::OverTheShoulder => "over-the-shoulder",
            ShotType::Pov => "pov",
            ShotType::Establishing => "establishing",
            ShotType::Other(s) => s,
        }
    }
    /// One of the known types, by its label.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.label() == s)
    }
}

impl Serialize for ShotType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> Deserialize<'de> for ShotType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ShotType::parse(&s).unwrap_or(ShotType::Other(s)))
    }
}

/// Writes whole numbers without a fraction (`3`, not `3.0`).
fn compact_number<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shot {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub shot_type: ShotType,
    /// Seconds.
    #[serde(default, serialize_with = "compact_number")]
    pub duration: f64,
    #[serde(default)]
    pub description: String,
    /// Ids of the assets (characters, locations, …) the shot uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The web studio's `ProjectSettings`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSettings {
    #[serde(default = "default_fps", deserialize_with = "whole_number")]
    pub fps: u32,
    /// `[width, height]` in pixels.
    #[serde(default = "default_resolution")]
    pub resolution: [u32; 2],
    #[serde(default = "default_aspect")]
    pub aspect_ratio: String,
    #[serde(default = "default_quality")]
    pub default_quality: String,
    #[serde(default = "default_format")]
    pub output_format: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An int as pydantic reads one in lax mode: `24` or `24.0`, never `23.976`.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = f64::deserialize(d)?;
    if v.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&v) {
        return Err(serde::de::Error::custom(format!(
            "{v} is not a whole number of frames per second"
        )));
    }
    Ok(v as u32)
}

fn default_fps() -> u32 {
    24
}
fn default_resolution() -> [u32; 2] {
    [1920, 1080]
}
fn default_aspect() -> String {
    "16:9".into()
}
fn default_format() -> String {
    "mp4".into()
}

impl Default for ProjectSettings {
    fn default() -> Self {
        Self {
            fps: default_fps(),
            resolution: default_resolution(),
            aspect_ratio: default_aspect(),
            default_quality: default_quality(),
            output_format: default_format(),
            extra: Map::new(),
        }
    }
}

/// The web studio's `ProjectMetadata`: Slate reads `activeTakes` (shot → take id) and
/// keeps the rest (director, genre, tags, …) as it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default)]
    pub active_takes: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The web studio's `GitConfig`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GitConfig {
    #[serde(default)]
    pub initialized: bool,
    #[serde(default)]
    pub lfs_enabled: bool,
    #[serde(default)]
    pub remote: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The story structures a new project can start from: the web studio's
/// `NARRATIVE_STRUCTURES` (services/workspace.py), same ids and names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NarrativeTemplate {
    ThreeAct,
    HeroJourney,
    BeatSheet,
    StoryCircle,
}

impl NarrativeTemplate {
    pub const ALL: [NarrativeTemplate; 4] = [
        NarrativeTemplate::ThreeAct,
        NarrativeTemplate::HeroJourney,
        NarrativeTemplate::BeatSheet,
        NarrativeTemplate::StoryCircle,
    ];

    pub fn id(self) -> &'static str {
        match self {
            NarrativeTemplate::ThreeAct => "three-act",
            NarrativeTemplate::HeroJourney => "hero-journey",
            NarrativeTemplate::BeatSheet => "beat-sheet",
            NarrativeTemplate::StoryCircle => "story-circle",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == s)
    }

    /// `(chapter id, chapter name)` in order.
    pub fn chapters(self) -> &'static [(&'static str, &'static str)] {
        match self {
            NarrativeTemplate::ThreeAct => &[
                ("act-1", "Act I: Setup"),
                ("act-2", "Act II: Confrontation"),
                ("act-3", "Act III: Resolution"),
            ],
            NarrativeTemplate::HeroJourney => &[
                ("ordinary-world", "Ordinary World"),
                ("call-to-adventure", "Call to Adventure"),
                ("ordeal", "Ordeal"),
                ("return", "Return"),
            ],
            NarrativeTemplate::BeatSheet => &[
                ("opening-image", "Opening Image"),
                ("setup", "Setup"),
                ("catalyst", "Catalyst"),
                ("debate", "Debate"),
                ("break-into-two", "Break Into Two"),
                ("b-story", "B Story"),
                ("fun-and-games", "Fun and Games"),
                ("midpoint", "Midpoint"),
                ("bad-guys-close-in", "Bad Guys Close In"),
                ("all-is-lost", "All Is Lost"),
                ("dark-night", "Dark Night of the Soul"),
                ("break-into-three", "Break Into Three"),
                ("finale", "Finale"),
                ("final-image", "Final Image"),
            ],
            NarrativeTemplate::StoryCircle => &[
                ("you", "You"),
                ("need", "Need"),
                ("go", "Go"),
                ("search", "Search"),
                ("find", "Find"),
                ("take", "Take"),
                ("return", "Return"),
                ("change", "Change"),
            ],
        }
    }

    pub fn chapter_names(self) -> Vec<&'static str> {
        self.chapters().iter().map(|(_, n)| *n).collect()
    }
}

/// A new unique id with a readable prefix: `ch_18f2a9c0d4e1_3`.
pub fn new_id(prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!("{prefix}_{nanos:x}_{n}")
}

/// A parsed project: the story in memory, and what an upgrade from an earlier Slate
/// format would change (empty when the files are current).
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub manifest: Manifest,
    pub upgrade: Vec<String>,
}

impl Manifest {
    pub fn new(name: &str, template: NarrativeTemplate, now_ms: u64) -> Self {
        let now = crate::util::iso8601(now_ms);
        let chapters = template
            .chapters()
            .iter()
            .enumerate()
            .map(|(i, (id, n))| Chapter {
                id: (*id).into(),
                name: (*n).into(),
                order: i as u32 + 1,
                scenes: Vec::new(),
                extra: Map::new(),
            })
            .collect();
        Self {
            id: new_id("proj"),
            name: name.into(),
            created: now.clone(),
            modified: now,
            version: MANIFEST_VERSION.into(),
            quality: "standard".into(),
            takes_system_enabled: true,
            narrative: Narrative {
                structure: template.id().into(),
                chapters,
                extra: Map::new(),
            },
            assets: default_assets(),
            settings: ProjectSettings::default(),
            canvas: Value::Null,
            metadata: Metadata::default(),
            git: GitConfig {
                initialized: true,
                lfs_enabled: true,
                remote: None,
                extra: Map::new(),
            },
            extra: Map::new(),
            story_rest: StoryRest::default(),
        }
    }

    /// Parses `project.json` and the story sidecar (if there is one). A project from
    /// an earlier Slate (string resolution, scenes inside chapters, …) is read all the
    /// same; [`Parsed::upgrade`] then says what writing it back will change. Errors
    /// name the file and quote serde's line and column.
    pub fn parse(
        project_json: &str,
        story_json: Option<&str>,
    ) -> Result<Parsed, (&'static str, String)> {
        let manifest_err = |e: String| (MANIFEST_FILE, e);
        let mut value: Value =
            serde_json::from_str(project_json).map_err(|e| manifest_err(e.to_string()))?;
        if !value.is_object() {
            return Err(manifest_err("the top level is not a JSON object".into()));
        }
        let mut legacy_scenes = Vec::new();
        let upgrade = upgrade_value(&mut value, &mut legacy_scenes).map_err(manifest_err)?;
        let file: ProjectFile = if upgrade.is_empty() {
            // From the text, so a type error quotes its line and column.
            serde_json::from_str(project_json)
        } else {
            serde_json::from_value(value)
        }
        .map_err(|e| manifest_err(e.to_string()))?;
        let mut story = match story_json {
            Some(text) => serde_json::from_str::<StoryFile>(text)
                .map_err(|e| (story::STORY_FILE, e.to_string()))?,
            None => StoryFile::default(),
        };
        for scene in legacy_scenes {
            story
                .scenes
                .entry(scene.id.clone())
                .or_insert_with(|| story::SceneEntry::from_scene(scene));
        }
        Ok(Parsed {
            manifest: Self::from_files(file, story),
            upgrade,
        })
    }

    /// Joins `project.json` and the sidecar: each scene id gets its sidecar entry, or
    /// stands as a bare scene when it has none.
    pub fn from_files(file: ProjectFile, mut story: StoryFile) -> Self {
        let chapters = file
            .narrative
            .chapters
            .into_iter()
            .map(|c| ChapterOf {
                scenes: c
                    .scenes
                    .iter()
                    .map(|id| match story.scenes.remove(id) {
                        Some(entry) => entry.into_scene(id),
                        None => Scene::bare(id),
                    })
                    .collect(),
                id: c.id,
                name: c.name,
                order: c.order,
                extra: c.extra,
            })
            .collect();
        ManifestOf {
            id: file.id,
            name: file.name,
            created: file.created,
            modified: file.modified,
            version: file.version,
            quality: file.quality,
            takes_system_enabled: file.takes_system_enabled,
            narrative: NarrativeOf {
                structure: file.narrative.structure,
                chapters,
                extra: file.narrative.extra,
            },
            assets: file.assets,
            settings: file.settings,
            canvas: file.canvas,
            metadata: file.metadata,
            git: file.git,
            extra: file.extra,
            story_rest: StoryRest {
                version: story.version,
                orphans: story.scenes,
                extra: story.extra,
            },
        }
    }

    /// Splits the story back into `project.json` (scene ids) and the sidecar.
    pub fn to_files(&self) -> (ProjectFile, StoryFile) {
        let mut story = StoryFile {
            version: self.story_rest.version.max(story::STORY_VERSION),
            scenes: self.story_rest.orphans.clone(),
            extra: self.story_rest.extra.clone(),
        };
        let chapters = self
            .narrative
            .chapters
            .iter()
            .map(|c| ChapterOf {
                id: c.id.clone(),
                name: c.name.clone(),
                order: c.order,
                scenes: c
                    .scenes
                    .iter()
                    .map(|s| {
                        if !story::SceneEntry::is_bare(s) {
                            story
                                .scenes
                                .insert(s.id.clone(), story::SceneEntry::from_scene(s.clone()));
                        }
                        s.id.clone()
                    })
                    .collect(),
                extra: c.extra.clone(),
            })
            .collect();
        let file = ManifestOf {
            id: self.id.clone(),
            name: self.name.clone(),
            created: self.created.clone(),
            modified: self.modified.clone(),
            version: self.version.clone(),
            quality: self.quality.clone(),
            takes_system_enabled: self.takes_system_enabled,
            narrative: NarrativeOf {
                structure: self.narrative.structure.clone(),
                chapters,
                extra: self.narrative.extra.clone(),
            },
            assets: self.assets.clone(),
            settings: self.settings.clone(),
            canvas: self.canvas.clone(),
            metadata: self.metadata.clone(),
            git: self.git.clone(),
            extra: self.extra.clone(),
            story_rest: StoryRest::default(),
        };
        (file, story)
    }

    /// `project.json` and `02_Story/story.json` as text.
    pub fn to_json(&self) -> (String, String) {
        let (file, story) = self.to_files();
        (
            serde_json::to_string_pretty(&file).expect("manifest serialises") + "\n",
            serde_json::to_string_pretty(&story).expect("story serialises") + "\n",
        )
    }

    /// Numbers chapters 1, 2, 3… after chapters were added, moved or deleted.
    pub fn renumber_chapters(&mut self) {
        for (i, c) in self.narrative.chapters.iter_mut().enumerate() {
            c.order = i as u32 + 1;
        }
    }

    pub fn scene_count(&self) -> usize {
        self.narrative.chapters.iter().map(|c| c.scenes.len()).sum()
    }

    pub fn shot_count(&self) -> usize {
        self.narrative
            .chapters
            .iter()
            .flat_map(|c| &c.scenes)
            .map(|s| s.shots.len())
            .sum()
    }
}

/// Rewrites an earlier Slate's `project.json` (as a JSON value) into the web studio's
/// shape, moving scene objects out to `scenes`. Returns what changed, one line each;
/// empty for a current file. Values that do not fit the web studio's types are kept
/// beside the new ones (`slate…` fields), never dropped.
fn upgrade_value(v: &mut Value, scenes: &mut Vec<Scene>) -> Result<Vec<String>, String> {
    let mut changes = Vec::new();
    let top = v.as_object_mut().expect("checked by the caller");
    for (key, holder) in [("quality", None), ("defaultQuality", Some("settings"))] {
        let obj = match holder {
            Some(h) => match top.get_mut(h).and_then(Value::as_object_mut) {
                Some(o) => o,
                None => continue,
            },
            None => &mut *top,
        };
        if let Some(Value::String(q)) = obj.get(key)
            && !QUALITIES.contains(&q.as_str())
        {
            let mapped = match q.as_str() {
                "draft" => "low",
                "ultra" => "high",
                _ => "standard",
            };
            let kept = if holder.is_some() {
                "slateDefaultQuality"
            } else {
                "slateQuality"
            };
            changes.push(format!("{key} {q:?} becomes {mapped:?} (kept as {kept})"));
            let old = q.clone();
            obj.insert(key.into(), mapped.into());
            obj.insert(kept.into(), old.into());
        }
    }
    if let Some(settings) = top.get_mut("settings").and_then(Value::as_object_mut) {
        if let Some(Value::String(r)) = settings.get("resolution") {
            let (w, h) = r
                .split_once(['x', 'X', '×'])
                .and_then(|(w, h)| {
                    Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?))
                })
                .ok_or_else(|| {
                    format!("settings.resolution {r:?} is not WIDTHxHEIGHT (like \"1920x1080\")")
                })?;
            changes.push(format!("settings.resolution {r:?} becomes [{w}, {h}]"));
            settings.insert("resolution".into(), serde_json::json!([w, h]));
        }
        if let Some(fps) = settings.get("fps").and_then(Value::as_f64)
            && !settings["fps"].is_u64()
        {
            let whole = fps.round().max(1.0) as u32;
            // `24.0` is a valid int to the web studio: read it as 24 without calling the
            // project old. Only a fractional rate needs an upgrade (kept as fpsExact).
            if fps.fract() != 0.0 {
                changes.push(format!("settings.fps {fps} becomes {whole}"));
                settings.insert("fpsExact".into(), fps.into());
            }
            settings.insert("fps".into(), whole.into());
        }
    }
    match top.get_mut("canvas") {
        Some(Value::Object(c)) if c.is_empty() => {
            changes.push("an empty canvas becomes null".into());
            top.insert("canvas".into(), Value::Null);
        }
        Some(Value::Object(c)) if !c.contains_key("viewport") => {
            changes.push("the canvas gets a viewport".into());
            c.insert(
                "viewport".into(),
                serde_json::json!({"x": 0.0, "y": 0.0, "zoom": 1.0}),
            );
        }
        _ => {}
    }
    if let Some(git) = top.get_mut("git").and_then(Value::as_object_mut)
        && !git.contains_key("initialized")
        && (git.contains_key("enabled") || git.contains_key("lfs"))
    {
        let initialized = git
            .remove("enabled")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        let lfs = git.remove("lfs").and_then(|v| v.as_bool()).unwrap_or(false);
        git.insert("initialized".into(), initialized.into());
        git.insert("lfs_enabled".into(), lfs.into());
        git.entry("remote").or_insert(Value::Null);
        changes.push("git {enabled, lfs} becomes {initialized, lfs_enabled, remote}".into());
    }
    if let Some(chapters) = top
        .get_mut("narrative")
        .and_then(|n| n.get_mut("chapters"))
        .and_then(Value::as_array_mut)
    {
        if chapters
            .iter()
            .any(|c| matches!(c.get("order").and_then(Value::as_u64), None | Some(0)))
        {
            // Missing (the web studio requires it) or 0-based (an earlier Slate).
            changes.push("chapter order becomes 1-based".into());
            for (i, c) in chapters.iter_mut().enumerate() {
                if let Some(c) = c.as_object_mut() {
                    c.insert("order".into(), (i as u64 + 1).into());
                }
            }
        }
        let mut moved = 0;
        for c in chapters.iter_mut() {
            let Some(list) = c.get_mut("scenes").and_then(Value::as_array_mut) else {
                continue;
            };
            for s in list.iter_mut() {
                if !s.is_object() {
                    continue;
                }
                let mut obj = s.take();
                let o = obj.as_object_mut().expect("checked");
                // Positions are the order now: a stored one would go stale on a move.
                o.remove("order");
                if let Some(shots) = o.get_mut("shots").and_then(Value::as_array_mut) {
                    for sh in shots {
                        if let Some(sh) = sh.as_object_mut() {
                            sh.remove("order");
                        }
                    }
                }
                let scene: Scene = serde_json::from_value(obj)
                    .map_err(|e| format!("a scene in a chapter: {e}"))?;
                *s = Value::String(scene.id.clone());
                scenes.push(scene);
                moved += 1;
            }
        }
        if moved > 0 {
            changes.push(format!(
                "{} move from project.json to {} (project.json keeps their ids)",
                crate::util::count(moved, "scene"),
                story::STORY_FILE
            ));
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_the_web_studio() {
        let odd: Shot =
            serde_json::from_str(r#"{"id":"s","name":"n","shotType":"dutch-angle"}"#).unwrap();
        assert_eq!(odd.shot_type, ShotType::Other("dutch-angle".into()));
        assert!(
            serde_json::to_string(&odd)
                .unwrap()
                .contains("\"shotType\":\"dutch-angle\"")
        );
        let counts: Vec<_> = NarrativeTemplate::ALL
            .iter()
            .map(|t| t.chapters().len())
            .collect();
        assert_eq!(counts, vec![3, 4, 14, 8]);
        let m = Manifest::new("x", NarrativeTemplate::HeroJourney, 0);
        let ids: Vec<_> = m
            .narrative
            .chapters
            .iter()
            .map(|c| (c.id.as_str(), c.order))
            .collect();
        assert_eq!(
            ids,
            [
                ("ordinary-world", 1),
                ("call-to-adventure", 2),
                ("ordeal", 3),
                ("return", 4)
            ]
        );
    }

    #[test]
    fn unknown_fields_survive_a_round_trip_at_every_level_of_both_files() {
        let project = r##"{
          "id": "p1", "name": "Noir", "created": "2025-01-01 10:00:00.123456+00:00",
          "modified": "2025-01-01T00:00:00Z", "version": "1.0.0", "quality": "high",
          "takes_system_enabled": false, "webOnlyField": {"keep": [1, 2]},
          "narrative": {"structure": "three-act", "emotionalBeats": null, "chapters": [
            {"id": "act-1", "name": "One", "order": 1, "colour": "#f00", "scenes": ["s1", "s2"]}]},
          "assets": {"characters": [{"id": "a"}]},
          "settings": {"fps": 25, "resolution": [3840, 2160], "aspectRatio": "2.39:1",
                       "defaultQuality": "high", "outputFormat": "mov", "colourSpace": "ACES"},
          "canvas": {"nodes": [1], "edges": [], "viewport": {"x": 1.5, "y": 0, "zoom": 2}},
          "metadata": {"activeTakes": {"sh1": "take_002"}, "tags": ["noir"], "director": null},
          "git": {"initialized": true, "lfs_enabled": false, "remote": null, "branchHint": "x"}
        }"##;
        let story = r##"{"version": 1, "palette": "teal", "scenes": {
            "s1": {"name": "Alley", "mood": "dark", "shots": [
              {"id": "sh1", "name": "Wide", "shotType": "close-up", "duration": 4.5,
               "description": "rain", "assets": ["char1"], "lens": "35mm"}]},
            "gone": {"name": "Cut scene", "shots": []}}}"##;
        let parsed = Manifest::parse(project, Some(story)).unwrap();
        assert!(parsed.upgrade.is_empty(), "{:?}", parsed.upgrade);
        let m = parsed.manifest;
        let scenes = &m.narrative.chapters[0].scenes;
        assert_eq!(scenes[0].shots[0].shot_type, ShotType::CloseUp);
        assert_eq!(
            scenes[1],
            Scene::bare("s2"),
            "an id without a sidecar entry"
        );
        let (p, s) = m.to_json();
        let back: Value = serde_json::from_str(&p).unwrap();
        let orig: Value = serde_json::from_str(project).unwrap();
        assert_eq!(back, orig, "project.json: nothing lost, nothing renamed");
        let back: Value = serde_json::from_str(&s).unwrap();
        let orig: Value = serde_json::from_str(story).unwrap();
        assert_eq!(back, orig, "story.json: nothing lost, the orphan kept");
    }

    #[test]
    fn an_earlier_slate_manifest_is_read_and_says_what_upgrading_changes() {
        let old = r##"{"id": "p", "name": "Old", "created": "c", "modified": "m",
          "version": "1.0.0", "quality": "ultra",
          "narrative": {"structure": "three-act", "chapters": [
            {"id": "ch_1", "name": "One", "order": 0, "description": "d", "scenes": [
              {"id": "sc_1", "name": "Alley", "order": 0, "mood": "wet", "shots": [
                {"id": "sh_1", "name": "Rain", "order": 0, "shotType": "pov", "duration": 2.5,
                 "description": ""}]}]}]},
          "assets": {}, "settings": {"fps": 23.976, "resolution": "1280x720",
          "aspectRatio": "16:9", "defaultQuality": "draft", "outputFormat": "mp4"},
          "canvas": {"nodes": [], "edges": []}, "metadata": {"activeTakes": {}},
          "git": {"enabled": true, "lfs": true}}"##;
        let p = Manifest::parse(old, None).unwrap();
        assert_eq!(p.upgrade.len(), 8, "{:#?}", p.upgrade);
        let m = &p.manifest;
        assert_eq!(m.settings.resolution, [1280, 720]);
        assert_eq!(m.settings.fps, 24);
        assert_eq!(m.settings.extra["fpsExact"], 23.976);
        assert_eq!(
            (m.quality.as_str(), m.extra["slateQuality"].as_str()),
            ("high", Some("ultra"))
        );
        assert_eq!(m.settings.default_quality, "low");
        assert!(m.git.initialized && m.git.lfs_enabled);
        let c = &m.narrative.chapters[0];
        assert_eq!((c.order, c.extra["description"].as_str()), (1, Some("d")));
        assert_eq!(c.scenes[0].name, "Alley");
        assert_eq!(c.scenes[0].extra["mood"], "wet");
        assert!(!c.scenes[0].extra.contains_key("order"));
        assert_eq!(c.scenes[0].shots[0].duration, 2.5);
        let (pj, _) = m.to_json();
        let again = Manifest::parse(&pj, Some(&m.to_json().1)).unwrap();
        assert!(again.upgrade.is_empty(), "{:?}", again.upgrade);
        assert_eq!(again.manifest, p.manifest);
        let (file, e) = Manifest::parse(&old.replace("1280x720", "wide"), None).unwrap_err();
        assert_eq!(file, MANIFEST_FILE);
        assert!(e.contains("settings.resolution \"wide\""), "{e}");
    }
}
