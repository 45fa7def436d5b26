use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const ASSETS_DIR: &str = "01_Assets";

pub const ASSET_FILE: &str = "asset.json";

/// The workspace-level asset library (not a project).
pub const LIBRARY_DIR: &str = "Library";

/// `asset.json`, as the web studio writes it (snake_case dates, a `files` map).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AssetMeta {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `Characters`, `Styles`, `Locations`, `Music`.
    #[serde(default)]
    pub category: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub metadata: Value,
    /// File role (`image`, `model`, …) → file name in the asset folder.
    #[serde(default)]
    pub files: Value,
    #[serde(default)]
    pub preview: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a character folder holds: base face images, LoRA files, variations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharacterParts {
    pub base: usize,
    pub lora: usize,
    pub variations: usize,
}

/// One asset folder. Paths are relative to the project (or to the workspace for the
/// library).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// The category folder (`Characters`, …).
    pub category: String,
    pub path: String,
    /// From `asset.json`, else the folder name.
    pub name: String,
    pub id: Option<String>,
    pub meta: Option<AssetMeta>,
    /// Files in the folder and below (`asset.json` and `.gitkeep` not counted).
    pub files: usize,
    pub character: Option<CharacterParts>,
    /// Why `asset.json` could not be read, when it could not.
    pub error: Option<String>,
}

/// The web studio's asset categories (`AssetType`), plus Slate's `Models`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Character,
    Style,
    Location,
    Music,
    Script,
    Model,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Character,
        Category::Style,
        Category::Location,
        Category::Music,
        Category::Script,
        Category::Model,
    ];

    /// The folder under `01_Assets/` (the web studio's `AssetType` value).
    pub fn folder(self) -> &'static str {
        match self {
            Category::Character => "Characters",
            Category::Style => "Styles",
            Category::Location => "Locations",
            Category::Music => "Music",
            Category::Script => "Scripts",
            Category::Model => "Models",
        }
    }

    /// The word the CLI flag takes (`--category character`).
    pub fn flag(self) -> &'static str {
        match self {
            Category::Character => "character",
            Category::Style => "style",
            Category::Location => "location",
            Category::Music => "music",
            Category::Script => "script",
            Category::Model => "model",
        }
    }

    /// Plural for commit messages ("3 characters").
    pub fn plural(self, n: usize) -> String {
        let word = match (self, n) {
            (Category::Music, 1) => "music file",
            (Category::Music, _) => "music files",
            (c, 1) => c.flag(),
            (Category::Character, _) => "characters",
            (Category::Style, _) => "styles",
            (Category::Location, _) => "locations",
            (Category::Script, _) => "scripts",
            (Category::Model, _) => "models",
        };
        format!("{n} {word}")
    }

    /// `character`, `characters` or `Characters`.
    pub fn parse(s: &str) -> Option<Category> {
        let s = s.trim().to_ascii_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| s == c.flag() || s == c.folder().to_ascii_lowercase())
    }

    pub fn from_folder(folder: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.folder() == folder)
    }

    /// File extensions each category takes: the web studio's `SUPPORTED_FILE_TYPES`,
    /// plus Slate's Scripts and Models.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Category::Character => &[
                "safetensors",
                "ckpt",
                "pt",
                "png",
                "jpg",
                "jpeg",
                "webp",
                "json",
                "yaml",
                "yml",
            ],
            Category::Style => &["png", "jpg", "jpeg", "webp", "pdf", "txt", "md"],
            Category::Location => &[
                "png", "jpg", "jpeg", "webp", "hdr", "exr", "obj", "fbx", "glb", "gltf",
            ],
            Category::Music => &["wav", "mp3", "ogg", "flac", "aac", "mid", "midi"],
            Category::Script => &["fountain", "fdx", "txt", "md", "pdf", "docx"],
            Category::Model => &["safetensors", "ckpt", "pt", "pth", "bin", "onnx", "gguf"],
        }
    }

    /// The category a file's type implies, or the ones it could be when that is not
    /// unambiguous (every category for an unknown type).
    pub fn for_file(path: &Path) -> Result<Category, Vec<Category>> {
        let ext = extension(path);
        let fits: Vec<Category> = Category::ALL
            .into_iter()
            .filter(|c| c.extensions().contains(&ext.as_str()))
            .collect();
        match fits.as_slice() {
            [one] => Ok(*one),
            [] => Err(Category::ALL.to_vec()),
            _ => Err(fits),
        }
    }
}

/// What a file is, for `asset.json`'s `files` map and the grid's icon.
pub fn file_role(path: &Path) -> &'static str {
    match extension(path).as_str() {
        "png" | "jpg" | "jpeg" | "webp" | "gif" | "bmp" | "tif" | "tiff" | "exr" | "hdr"
        | "psd" => "image",
        "wav" | "mp3" | "ogg" | "flac" | "aac" | "m4a" => "audio",
        "mid" | "midi" => "midi",
        "mp4" | "mov" | "mkv" | "webm" | "avi" => "video",
        "safetensors" | "ckpt" | "pt" | "pth" | "bin" | "onnx" | "gguf" => "model",
        "obj" | "fbx" | "glb" | "gltf" => "mesh",
        "json" | "yaml" | "yml" => "config",
        "fountain" | "fdx" | "docx" => "script",
        "pdf" | "txt" | "md" => "reference",
        _ => "file",
    }
}

/// What to import.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportRequest {
    /// Files, or folders whose regular files are imported (links are not followed).
    pub files: Vec<PathBuf>,
    /// `None`: from each file's type, where that is unambiguous.
    pub category: Option<Category>,
    /// The asset's name (default: the file name without its extension).
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportOptions {
    /// Files bigger than this are refused; 0 means no limit.
    pub max_bytes: u64,
    /// Commit the import (one commit for the batch).
    pub commit: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            max_bytes: 0,
            commit: true,
        }
    }
}

/// Where an import stands, sent while it copies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportProgress {
    /// The file being copied (its name only).
    pub file: String,
    /// 0-based index of that file, and how many there are.
    pub index: usize,
    pub files: usize,
    pub done_bytes: u64,
    pub total_bytes: u64,
}

/// One asset made by an import.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportedAsset {
    pub id: String,
    pub name: String,
    pub category: Category,
    /// The asset folder, relative to the project.
    pub path: String,
    /// The imported file, relative to the project.
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub source: PathBuf,
}

/// A file that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportFailure {
    pub source: PathBuf,
    pub error: String,
    /// The categories to choose from when the file's type did not decide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choose: Vec<Category>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub imported: Vec<ImportedAsset>,
    pub failed: Vec<ImportFailure>,
    /// The commit id, when one was made.
    pub commit: Option<String>,
    pub commit_message: Option<String>,
    /// Cancelled by the user: nothing was added.
    pub cancelled: bool,
}

impl ImportReport {
    /// One line for a notification or the CLI.
    pub fn summary(&self) -> String {
        if self.cancelled {
            return "import cancelled: nothing was added".into();
        }
        let mut s = match &self.commit_message {
            Some(m) => m.trim_start_matches("asset: ").to_string(),
            None => format!("Added {}", crate::util::count(self.imported.len(), "asset")),
        };
        if !self.failed.is_empty() {
            s += &format!(
                "; {} not imported",
                crate::util::count(self.failed.len(), "file")
            );
        }
        s
    }
}

/// A file's extension, lower-cased ("" when it has none).
pub fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The asset a key names: its folder path, folder name, id or name (case-insensitive).
/// An unknown key, or one that names several assets, is an error that says what to give.
pub fn find<'a>(list: &'a [Asset], key: &str) -> Result<&'a Asset, String> {
    let key = key.trim().trim_end_matches('/');
    let lower = key.to_lowercase();
    let hits: Vec<&Asset> = list
        .iter()
        .filter(|a| {
            a.path == key
                || a.path.rsplit('/').next() == Some(key)
                || a.id.as_deref() == Some(key)
                || a.name.to_lowercase() == lower
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no asset {key:?} (see `slate asset list`)")),
        many => Err(format!(
            "{key:?} names {} assets: {}; give the folder instead",
            many.len(),
            many.iter()
                .map(|a| a.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The shots (`1.2.3 Name`) whose asset links hold `id`.
pub fn shots_using(manifest: &crate::model::manifest::Manifest, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (ci, ch) in manifest.narrative.chapters.iter().enumerate() {
        for (si, sc) in ch.scenes.iter().enumerate() {
            for (hi, sh) in sc.shots.iter().enumerate() {
                if sh.assets.iter().any(|a| a == id) {
                    out.push(format!("{}.{}.{} {}", ci + 1, si + 1, hi + 1, sh.name));
                }
            }
        }
    }
    out
}
