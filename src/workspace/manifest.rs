//! `project.json`: the project manifest, compatible with the original web studio's field
//! names (camelCase). Fields Slate does not know are kept as they are, at every level.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const MANIFEST_FILE: &str = "project.json";
pub const MANIFEST_VERSION: &str = "1.0.0";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub id: String,
    pub name: String,
    pub created: String,
    pub modified: String,
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default = "default_quality")]
    pub quality: String,
    #[serde(default)]
    pub narrative: Narrative,
    #[serde(default = "empty_object")]
    pub assets: Value,
    #[serde(default)]
    pub settings: ProjectSettings,
    #[serde(default = "empty_object")]
    pub canvas: Value,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default = "empty_object")]
    pub git: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Writes whole numbers without a fraction (`24`, not `24.0`), as the web studio did.
fn compact_number<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

fn default_version() -> String {
    MANIFEST_VERSION.into()
}
fn default_quality() -> String {
    "standard".into()
}
fn empty_object() -> Value {
    Value::Object(Map::new())
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Narrative {
    #[serde(default)]
    pub structure: String,
    #[serde(default)]
    pub chapters: Vec<Chapter>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chapter {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub order: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub scenes: Vec<Scene>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scene {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub order: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub shots: Vec<Shot>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shot {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub order: u32,
    #[serde(default)]
    pub shot_type: ShotType,
    /// Seconds.
    #[serde(default, serialize_with = "compact_number")]
    pub duration: f64,
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSettings {
    #[serde(serialize_with = "compact_number")]
    pub fps: f64,
    pub resolution: String,
    pub aspect_ratio: String,
    pub default_quality: String,
    pub output_format: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        Self {
            fps: 24.0,
            resolution: "1920x1080".into(),
            aspect_ratio: "16:9".into(),
            default_quality: "standard".into(),
            output_format: "mp4".into(),
            extra: Map::new(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default)]
    pub active_takes: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The story structures a new project can start from.
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

    pub fn chapter_names(self) -> &'static [&'static str] {
        match self {
            NarrativeTemplate::ThreeAct => &[
                "Act I: Setup",
                "Act II: Confrontation",
                "Act III: Resolution",
            ],
            NarrativeTemplate::HeroJourney => &[
                "The Ordinary World",
                "The Call and the Threshold",
                "The Ordeal",
                "The Return",
            ],
            NarrativeTemplate::BeatSheet => &[
                "Opening Image",
                "Set-Up",
                "Catalyst",
                "Debate",
                "Break into Two",
                "B Story",
                "Fun and Games",
                "Midpoint",
                "Bad Guys Close In",
                "All Is Lost",
                "Dark Night of the Soul",
                "Break into Three",
                "Finale",
                "Final Image",
            ],
            NarrativeTemplate::StoryCircle => &[
                "You", "Need", "Go", "Search", "Find", "Take", "Return", "Change",
            ],
        }
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

impl Manifest {
    pub fn new(name: &str, template: NarrativeTemplate, now_ms: u64) -> Self {
        let now = crate::util::iso8601(now_ms);
        let chapters = template
            .chapter_names()
            .iter()
            .enumerate()
            .map(|(i, n)| Chapter {
                id: new_id("ch"),
                name: (*n).into(),
                order: i as u32,
                description: String::new(),
                scenes: Vec::new(),
                extra: Map::new(),
            })
            .collect();
        let mut assets = Map::new();
        for kind in [
            "characters",
            "styles",
            "locations",
            "music",
            "scripts",
            "models",
        ] {
            assets.insert(kind.into(), Value::Array(Vec::new()));
        }
        Self {
            id: new_id("proj"),
            name: name.into(),
            created: now.clone(),
            modified: now,
            version: MANIFEST_VERSION.into(),
            quality: "standard".into(),
            narrative: Narrative {
                structure: template.id().into(),
                chapters,
                extra: Map::new(),
            },
            assets: Value::Object(assets),
            settings: ProjectSettings::default(),
            canvas: serde_json::json!({ "nodes": [], "edges": [] }),
            metadata: Metadata::default(),
            git: serde_json::json!({ "enabled": true, "lfs": true }),
            extra: Map::new(),
        }
    }

    /// Parses `project.json`; the error quotes serde's line and column.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serialises") + "\n"
    }

    /// Renumbers `order` fields to match list positions after an edit.
    pub fn renumber(&mut self) {
        for (i, c) in self.narrative.chapters.iter_mut().enumerate() {
            c.order = i as u32;
            for (j, s) in c.scenes.iter_mut().enumerate() {
                s.order = j as u32;
                for (k, sh) in s.shots.iter_mut().enumerate() {
                    sh.order = k as u32;
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_have_their_chapter_counts() {
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
            .map(|t| t.chapter_names().len())
            .collect();
        assert_eq!(counts, vec![3, 4, 14, 8]);
    }

    #[test]
    fn unknown_fields_survive_a_round_trip_at_every_level() {
        let text = r##"{
          "id": "p1", "name": "Noir", "created": "2025-01-01T00:00:00.000Z",
          "modified": "2025-01-01T00:00:00.000Z", "version": "1.0.0", "quality": "high",
          "webOnlyField": {"keep": [1, 2]},
          "narrative": {"structure": "three-act", "arcNotes": "x", "chapters": [
            {"id": "c1", "name": "One", "order": 0, "colour": "#f00", "scenes": [
              {"id": "s1", "name": "Alley", "order": 0, "mood": "dark", "shots": [
                {"id": "sh1", "name": "Wide", "order": 0, "shotType": "close-up", "duration": 4.5,
                 "description": "rain", "lens": "35mm"}]}]}]},
          "assets": {"characters": [{"id": "a"}]},
          "settings": {"fps": 25, "resolution": "3840x2160", "aspectRatio": "2.39:1",
                       "defaultQuality": "high", "outputFormat": "mov", "colourSpace": "ACES"},
          "canvas": {"nodes": [1]},
          "metadata": {"activeTakes": {"sh1": "take_002"}, "tags": ["noir"]},
          "git": {"enabled": true}
        }"##;
        let m = Manifest::parse(text).unwrap();
        assert_eq!(
            m.narrative.chapters[0].scenes[0].shots[0].shot_type,
            ShotType::CloseUp
        );
        let back: Value = serde_json::from_str(&m.to_json()).unwrap();
        let orig: Value = serde_json::from_str(text).unwrap();
        assert_eq!(back, orig, "nothing lost, nothing renamed");
    }
}
