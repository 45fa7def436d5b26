//! `slate asset …`: import files as assets, list, show, rename, delete them, link them to
//! shots and copy them from the workspace library.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use clap::Subcommand;

use crate::cli::project::current_project;
use crate::cli::{Failure, Global, paths, print_json, settings_for};
use crate::workspace::asset_import::{self as import, Category, ImportOptions, ImportRequest};
use crate::workspace::assets::{self, Asset};

#[derive(Subcommand, Debug)]
pub enum AssetCmd {
    /// Copy files (or every file in a folder) into 01_Assets/<Category>/<Name>_<id8>/ with
    /// an asset.json, and commit them (media under LFS) in one commit.
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// character, style, location, music, script or model (default: from the file
        /// type, where that is unambiguous).
        #[arg(long, value_parser = parse_category)]
        category: Option<Category>,
        /// The asset's name (default: the file name without its extension).
        #[arg(long)]
        name: Option<String>,
        /// Leave the new assets uncommitted.
        #[arg(long)]
        no_commit: bool,
        #[arg(long)]
        json: bool,
    },
    /// The project's assets (or the workspace library's, with --library).
    List {
        #[arg(long)]
        library: bool,
        #[arg(long)]
        json: bool,
    },
    /// One asset's metadata and the shots that use it.
    Show {
        /// Folder (01_Assets/Characters/Hero_1a2b3c4d), folder name, id or name.
        asset: String,
        #[arg(long)]
        json: bool,
    },
    /// Rename an asset (its name and folder), in one commit.
    Rename { asset: String, new_name: String },
    /// Move an asset to the trash and commit its removal.
    Delete { asset: String },
    /// Set the assets a shot uses (numbers as `slate project show` lists them).
    Link {
        chapter: usize,
        scene: usize,
        shot: usize,
        /// Assets (folder, id or name); none clears the links.
        assets: Vec<String>,
    },
    /// Copy an asset from the workspace Library/ into the project.
    CopyFromLibrary {
        /// Library/<Category>/<folder>, the folder name, id or name.
        asset: String,
    },
}

fn parse_category(s: &str) -> Result<Category, String> {
    Category::parse(s).ok_or_else(|| {
        format!(
            "unknown category {s:?}; use one of {}",
            Category::ALL.map(|c| c.flag()).join(", ")
        )
    })
}

/// Ctrl+C cancels the import cleanly (nothing is left behind) instead of killing it.
fn cancel_on_interrupt() -> &'static AtomicBool {
    crate::platform::flag_interrupts()
}

/// Finds an asset by folder path, folder name, id or name (case-insensitive).
pub fn find<'a>(list: &'a [Asset], key: &str) -> Result<&'a Asset, Failure> {
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
        [] => Err(Failure {
            message: format!("no asset {key:?} (see `slate asset list`)"),
            code: 2,
        }),
        many => Err(Failure {
            message: format!(
                "{key:?} names {} assets: {}; give the folder instead",
                many.len(),
                many.iter()
                    .map(|a| a.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            code: 2,
        }),
    }
}

/// Shots (by name, with their place) that link an asset id.
pub fn shots_using(project: &std::path::Path, id: &str) -> Vec<String> {
    let Ok(parsed) = crate::workspace::project::load(project) else {
        return vec![];
    };
    let mut out = Vec::new();
    for (ci, ch) in parsed.manifest.narrative.chapters.iter().enumerate() {
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

pub fn asset(global: &Global, cmd: AssetCmd) -> Result<(), Failure> {
    let project = current_project(global)?;
    match cmd {
        AssetCmd::Import {
            files,
            category,
            name,
            no_commit,
            json,
        } => {
            let settings = settings_for(&paths(global));
            let options = ImportOptions {
                max_bytes: settings.workspace.asset_max_mib.saturating_mul(1024 * 1024),
                commit: !no_commit,
            };
            let interrupted = cancel_on_interrupt();
            let tty = std::io::stderr().is_terminal() && !json;
            let request = ImportRequest {
                files,
                category,
                name,
            };
            let report = import::import(&project, &request, &options, interrupted, &mut |p| {
                if tty && p.total_bytes > 64 * 1024 * 1024 {
                    eprint!(
                        "\r{} ({}/{}) {} of {}   ",
                        p.file,
                        p.index + 1,
                        p.files,
                        crate::util::format_bytes(p.done_bytes),
                        crate::util::format_bytes(p.total_bytes)
                    );
                    std::io::stderr().flush().ok();
                }
            })?;
            if tty {
                eprint!("\r\x1b[K");
            }
            if json {
                print_json(&report);
            } else {
                for a in &report.imported {
                    crate::say!(
                        "{} {} → {} ({}, sha256 {})",
                        a.category.flag(),
                        a.name,
                        a.file,
                        crate::util::format_bytes(a.size),
                        &a.sha256[..12]
                    );
                }
                if let (Some(id), Some(m)) = (&report.commit, &report.commit_message) {
                    crate::say!("committed {} {m}", &id[..7]);
                }
            }
            if report.cancelled {
                return Err(Failure {
                    message: "import cancelled: nothing was added".into(),
                    code: 130,
                });
            }
            if !report.failed.is_empty() {
                let lines: Vec<String> = report.failed.iter().map(|f| f.error.clone()).collect();
                let ask = report.failed.iter().any(|f| !f.choose.is_empty());
                return Err(Failure {
                    message: format!(
                        "{} file(s) not imported{}:\n  {}",
                        report.failed.len(),
                        if report.imported.is_empty() {
                            ""
                        } else {
                            " (the others were)"
                        },
                        lines.join("\n  ")
                    ),
                    code: if ask { 2 } else { 1 },
                });
            }
            Ok(())
        }
        AssetCmd::List { library, json } => {
            let list = if library {
                assets::scan_library(&crate::cli::project::workspace_root(global))
            } else {
                assets::scan_project(&project)
            };
            if json {
                print_json(&list);
            } else {
                for a in &list {
                    crate::say!("{:<11} {:<28} {}", a.category, a.name, a.path);
                }
            }
            Ok(())
        }
        AssetCmd::Show { asset, json } => {
            let list = assets::scan_project(&project);
            let a = find(&list, &asset)?;
            let shots =
                a.id.as_deref()
                    .map(|id| shots_using(&project, id))
                    .unwrap_or_default();
            if json {
                print_json(&serde_json::json!({ "asset": a, "shots": shots }));
            } else {
                crate::say!("{} ({})\n{}", a.name, a.category, a.path);
                if let Some(id) = &a.id {
                    crate::say!("id: {id}");
                }
                if let Some(m) = &a.meta {
                    for (k, v) in m.metadata.as_object().into_iter().flatten() {
                        crate::say!("{k}: {v}");
                    }
                }
                if let Some(e) = &a.error {
                    crate::say!("error: {e}");
                }
                crate::say!(
                    "used by: {}",
                    if shots.is_empty() {
                        "no shot".to_string()
                    } else {
                        shots.join(", ")
                    }
                );
            }
            Ok(())
        }
        AssetCmd::Rename { asset, new_name } => {
            let list = assets::scan_project(&project);
            let a = find(&list, &asset)?;
            let new = import::rename(&project, &a.path, &new_name)?;
            crate::say!("renamed {} → {new}", a.path);
            Ok(())
        }
        AssetCmd::Delete { asset } => {
            let list = assets::scan_project(&project);
            let a = find(&list, &asset)?;
            let trash = import::delete_to_trash(&project, &a.path)?;
            crate::say!("moved {} to {trash}", a.path);
            Ok(())
        }
        AssetCmd::Link {
            chapter,
            scene,
            shot,
            assets: keys,
        } => {
            let list = assets::scan_project(&project);
            let mut ids = Vec::new();
            for k in &keys {
                let a = find(&list, k)?;
                ids.push(a.id.clone().ok_or_else(|| {
                    format!("{} has no asset.json id, so a shot cannot link it", a.path)
                })?);
            }
            let idx = |n: usize, what: &str| {
                n.checked_sub(1).ok_or_else(|| Failure {
                    message: format!("{what} numbers start at 1"),
                    code: 2,
                })
            };
            let edit = crate::model::project::StructureEdit::SetShotAssets {
                chapter: idx(chapter, "chapter")?,
                scene: idx(scene, "scene")?,
                shot: idx(shot, "shot")?,
                assets: ids.clone(),
            };
            let (_, summary) = crate::workspace::project::edit(&project, &edit)?;
            crate::say!("{summary}");
            for a in import::linked_assets(&project, &ids) {
                crate::say!(
                    "  {} · {} · {}",
                    a.name,
                    a.category,
                    a.file.unwrap_or(a.path)
                );
            }
            Ok(())
        }
        AssetCmd::CopyFromLibrary { asset } => {
            let ws = crate::cli::project::workspace_root(global);
            let list = assets::scan_library(&ws);
            let a = find(&list, &asset)?;
            let interrupted = cancel_on_interrupt();
            let report = import::copy_from_library(&ws, &project, &a.path, interrupted)?;
            for i in &report.imported {
                crate::say!("copied {} → {}", a.path, i.path);
            }
            Ok(())
        }
    }
}
