//! `02_Story/story.json`: Slate's story sidecar. The web studio's `project.json` lists
//! scenes only by id; this file holds what Slate knows about each (name, description,
//! shots with type, duration, description and asset links), keyed by those ids. The
//! web studio leaves it alone. Unknown fields are kept at every level, and so are
//! entries for scenes no chapter lists any more (the web studio may have moved them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::manifest::{Scene, Shot};

pub const STORY_FILE: &str = "02_Story/story.json";
pub const STORY_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoryFile {
    #[serde(default = "version")]
    pub version: u32,
    /// Scene id → what Slate knows about the scene.
    #[serde(default)]
    pub scenes: BTreeMap<String, SceneEntry>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn version() -> u32 {
    STORY_VERSION
}

impl Default for StoryFile {
    fn default() -> Self {
        Self {
            version: STORY_VERSION,
            scenes: BTreeMap::new(),
            extra: Map::new(),
        }
    }
}

/// One scene in the sidecar (its id is the key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SceneEntry {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub shots: Vec<Shot>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SceneEntry {
    pub fn from_scene(s: Scene) -> Self {
        Self {
            name: s.name,
            description: s.description,
            shots: s.shots,
            extra: s.extra,
        }
    }

    /// The scene, named by its id when the entry has no name.
    pub fn into_scene(self, id: &str) -> Scene {
        Scene {
            id: id.into(),
            name: if self.name.trim().is_empty() {
                id.into()
            } else {
                self.name
            },
            description: self.description,
            shots: self.shots,
            extra: self.extra,
        }
    }

    /// True for a scene that is nothing but its id: it needs no sidecar entry.
    pub fn is_bare(s: &Scene) -> bool {
        *s == Scene::bare(&s.id)
    }
}

/// What the sidecar holds besides the scenes the chapters list: kept so that writing
/// the story back loses nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoryRest {
    pub version: u32,
    /// Entries for scene ids no chapter lists.
    pub orphans: BTreeMap<String, SceneEntry>,
    pub extra: Map<String, Value>,
}
