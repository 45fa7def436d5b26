//! `slate asset …`: import files as assets, list, show, rename, delete them, link them to
//! shots and copy them from the workspace library.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use clap::Subcommand;

use crate::api::project::ProjectOp;
use crate::cli::project::{current_project, field, op, projects};
use crate::cli::{Failure, Global, api_failure, print_json};
use crate::model::asset::{Asset, Category, ImportRequest};

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
    },
    /// The project's assets (or the workspace library's, with --library).
    List {
        #[arg(long)]
        library: bool,
    },
    /// One asset's metadata and the shots that use it.
    Show {
        /// Folder (01_Assets/Characters/Hero_1a2b3c4d), folder name, id or name.
        asset: String,
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

/// The project's assets, as the core lists them.
fn project_assets(global: &Global, library: bool) -> Result<Vec<Asset>, Failure> {
    field(&op(global, ProjectOp::AssetList { library })?, "assets")
}

/// The asset `key` names (folder, folder name, id or name).
fn find(list: &[Asset], key: &str) -> Result<Asset, Failure> {
    crate::model::asset::find(list, key)
        .cloned()
        .map_err(|message| Failure { message, code: 2 })
}

pub fn asset(global: &Global, cmd: AssetCmd) -> Result<(), Failure> {
    let project = current_project(global)?;
    match cmd {
        AssetCmd::Import {
            files,
            category,
            name,
            no_commit,
        } => {
            let interrupted = cancel_on_interrupt();
            let tty = std::io::stderr().is_terminal() && !global.json;
            // The core may run elsewhere in the file system's eyes: absolute paths.
            let cwd = std::env::current_dir().unwrap_or_default();
            let request = ImportRequest {
                files: files.into_iter().map(|f| cwd.join(f)).collect(),
                category,
                name,
            };
            let on = projects(global)?;
            let report = on
                .import_assets(&project, request, !no_commit, interrupted, &mut |p| {
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
                })
                .map_err(api_failure)?;
            if tty {
                eprint!("\r\x1b[K");
            }
            if global.json {
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
                        "{} not imported{}:\n  {}",
                        crate::util::count(report.failed.len(), "file"),
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
        AssetCmd::List { library } => {
            let list = project_assets(global, library)?;
            if global.json {
                print_json(&list);
            } else {
                for a in &list {
                    crate::say!("{:<11} {:<28} {}", a.category, a.name, a.path);
                }
            }
            Ok(())
        }
        AssetCmd::Show { asset } => {
            let reply = op(global, ProjectOp::AssetShow { asset })?;
            let a: Asset = field(&reply, "asset")?;
            let shots: Vec<String> = field(&reply, "shots")?;
            if global.json {
                print_json(&reply);
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
            let reply = op(global, ProjectOp::AssetRename { asset, new_name })?;
            let (from, to): (String, String) = (field(&reply, "from")?, field(&reply, "path")?);
            crate::say!("renamed {from} → {to}");
            Ok(())
        }
        AssetCmd::Delete { asset } => {
            let reply = op(global, ProjectOp::AssetDelete { asset })?;
            let (path, trash): (String, String) = (field(&reply, "path")?, field(&reply, "trash")?);
            crate::say!("moved {path} to {trash}");
            Ok(())
        }
        AssetCmd::Link {
            chapter,
            scene,
            shot,
            assets: keys,
        } => {
            let list = project_assets(global, false)?;
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
            let reply = op(global, ProjectOp::Edit { edit })?;
            let summary: String = field(&reply, "summary")?;
            crate::say!("{summary}");
            for id in &ids {
                if let Some(a) = list.iter().find(|a| a.id.as_ref() == Some(id)) {
                    crate::say!("  {} · {} · {}", a.name, a.category, a.path);
                }
            }
            Ok(())
        }
        AssetCmd::CopyFromLibrary { asset } => {
            let reply = op(global, ProjectOp::AssetCopyFromLibrary { asset })?;
            let from: String = field(&reply, "from")?;
            let report: crate::model::asset::ImportReport = field(&reply, "report")?;
            for i in &report.imported {
                crate::say!("copied {from} → {}", i.path);
            }
            Ok(())
        }
    }
}
