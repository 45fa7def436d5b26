use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::manifest::{Chapter, Manifest, Scene, Shot, ShotType, new_id};
use crate::model::names;

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
    pub scenes: usize,
    pub shots: usize,
    /// Live takes under `03_Renders/`.
    pub takes: usize,
    /// Asset folders under `01_Assets/`.
    pub assets: usize,
    /// Set when `project.json` or the story sidecar could not be read.
    pub error: Option<String>,
    /// What upgrading from an earlier Slate format would change; empty when current.
    #[serde(default)]
    pub upgrade: Vec<String>,
}

/// What opening a project did about its format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Upgrade {
    /// The files are in the current format.
    Current,
    /// Upgraded and committed.
    Done {
        commit: String,
        changes: Vec<String>,
    },
    /// An upgrade is needed but was not made; `why` says why and how to make it.
    Pending { changes: Vec<String>, why: String },
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
    /// Sets the assets a shot uses (asset ids from `asset.json`), in order.
    SetShotAssets {
        chapter: usize,
        scene: usize,
        shot: usize,
        assets: Vec<String>,
    },
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
                    shot_type: shot_type.clone(),
                    duration,
                    description: description.clone(),
                    assets: Vec::new(),
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
            Self::SetShotAssets {
                chapter,
                scene,
                shot,
                assets,
            } => {
                let sc = scene_at(chapters, *chapter, *scene)?;
                let s = at(&mut sc.shots, *shot, "shot")?;
                let mut list: Vec<String> = Vec::new();
                for a in assets {
                    let a = a.trim();
                    if !a.is_empty() && !list.iter().any(|x| x == a) {
                        list.push(a.to_string());
                    }
                }
                s.assets = list;
                format!(
                    "Link {} to shot {}",
                    crate::util::count(s.assets.len(), "asset"),
                    s.name
                )
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
        // Chapter order is the web studio's 1-based `order`; scenes and shots are ordered
        // by their place in the lists. Other edits leave every stored order as it was.
        if matches!(
            self,
            Self::AddChapter { .. } | Self::MoveChapter { .. } | Self::DeleteChapter { .. }
        ) {
            m.renumber_chapters();
        }
        Ok(summary)
    }
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
