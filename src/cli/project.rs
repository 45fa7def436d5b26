//! `slate project …`, `slate git …` and `slate lfs …`.

use std::path::PathBuf;

use clap::Subcommand;

use serde_json::Value;

use crate::api::project::ProjectOp;
use crate::cli::{Failure, Global, api_failure, paths, print_json, settings_for};
use crate::client::workspace::Projects;
use crate::client::workspace::local;
use crate::model::manifest::{Manifest, NarrativeTemplate, ShotType};
use crate::model::project::StructureEdit;
use crate::model::{asset as wassets, git as wgit, lfs as wlfs, take as wtakes};

#[derive(Subcommand, Debug)]
pub enum ProjectCmd {
    /// Create a project: folders, project.json, .gitignore, LFS patterns, first commit.
    New {
        name: String,
        /// three-act, hero-journey, beat-sheet or story-circle.
        #[arg(long, default_value = "three-act")]
        template: String,
    },
    /// Projects in the workspace, most recently changed first.
    List {
        /// Only projects whose name contains this.
        #[arg(long)]
        search: Option<String>,
    },
    /// The project's story (chapters, scenes, shots) with its takes and assets.
    Show {},
    /// Upgrade a project made by an earlier Slate to the web studio's format, in one
    /// commit (`chore: upgrade project format`). Does nothing to a current project.
    Upgrade,
    /// Rename the project (its name and its folder).
    Rename { new_name: String },
    /// Move the project to the trash (asks first unless --yes).
    Delete {
        #[arg(long)]
        yes: bool,
        /// Delete for good instead of using the trash.
        #[arg(long)]
        permanently: bool,
    },
    /// Add, rename, move or delete chapters (numbers start at 1).
    Chapter {
        #[command(subcommand)]
        command: ChapterCmd,
    },
    /// Add, rename, move or delete scenes.
    Scene {
        #[command(subcommand)]
        command: SceneCmd,
    },
    /// Add, update, move or delete shots.
    Shot {
        #[command(subcommand)]
        command: ShotCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChapterCmd {
    Add { name: String },
    Rename { chapter: usize, name: String },
    Move { chapter: usize, to: usize },
    Delete { chapter: usize },
}

#[derive(Subcommand, Debug)]
pub enum SceneCmd {
    Add {
        chapter: usize,
        name: String,
    },
    Rename {
        chapter: usize,
        scene: usize,
        name: String,
    },
    Move {
        chapter: usize,
        scene: usize,
        to: usize,
    },
    Delete {
        chapter: usize,
        scene: usize,
    },
}

#[derive(clap::Args, Debug)]
pub struct ShotFields {
    /// wide, medium, close-up, extreme-close-up, over-the-shoulder, pov, establishing
    #[arg(long = "type", default_value = "wide")]
    pub shot_type: String,
    /// Seconds.
    #[arg(long, default_value_t = 3.0)]
    pub duration: f64,
    #[arg(long, default_value = "")]
    pub description: String,
}

#[derive(Subcommand, Debug)]
pub enum ShotCmd {
    Add {
        chapter: usize,
        scene: usize,
        name: String,
        #[command(flatten)]
        fields: ShotFields,
    },
    /// Change a shot: only the fields given change.
    Update {
        chapter: usize,
        scene: usize,
        shot: usize,
        /// A new name (default: keep it).
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "type")]
        shot_type: Option<String>,
        #[arg(long)]
        duration: Option<f64>,
        #[arg(long)]
        description: Option<String>,
    },
    Move {
        chapter: usize,
        scene: usize,
        shot: usize,
        to: usize,
    },
    Delete {
        chapter: usize,
        scene: usize,
        shot: usize,
    },
}

#[derive(Subcommand, Debug)]
pub enum GitCmd {
    Status {},
    Log {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        skip: usize,
    },
    /// Files a commit changed, with +/- line counts.
    Show {
        commit: String,
    },
    /// Commit every change (media through LFS).
    Commit {
        #[arg(short, long)]
        message: String,
        /// Semantic prefix: feat, asset, render, fix, docs, story, chore, wip.
        #[arg(long)]
        prefix: Option<String>,
        /// Accepted for familiarity: Slate always commits every change.
        #[arg(long)]
        all: bool,
        /// Commit untracked files above the LFS warning size as plain git blobs.
        #[arg(long)]
        allow_large: bool,
    },
    Tag {
        name: String,
        #[arg(short, long)]
        message: Option<String>,
    },
    Tags {},
    /// Write the media of LFS files left as pointer text (after a rollback or checkout
    /// that could not write them, e.g. on a full disk) from the local LFS store.
    RestoreMedia,
    /// Move the branch back to a commit: soft keeps changes staged, mixed keeps them
    /// unstaged, hard discards them (refused while there are uncommitted changes).
    Rollback {
        commit: String,
        #[arg(long, default_value = "mixed")]
        mode: String,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum LfsCmd {
    /// Tracked patterns, LFS files and large files that are not tracked.
    Status {},
    Track {
        pattern: String,
    },
    Untrack {
        pattern: String,
    },
    LsFiles {},
}

pub fn workspace_root(global: &Global) -> PathBuf {
    let paths = paths(global);
    paths.workspace_root(&settings_for(&paths))
}

/// `--project`, else the project containing the current folder.
pub fn current_project(global: &Global) -> Result<PathBuf, Failure> {
    match &global.project {
        Some(p) => Ok(local::resolve(&workspace_root(global), p)?),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| local::containing(&d))
            .ok_or_else(|| Failure {
                message: "no project here: run this inside a project folder or pass --project NAME"
                    .into(),
                code: 2,
            }),
    }
}

/// Where project requests go: the Slate serving this data dir, else this process.
pub(crate) fn projects(global: &Global) -> Result<Projects, Failure> {
    let paths = paths(global);
    Projects::connect(&paths, settings_for(&paths)).map_err(api_failure)
}

/// Runs `op` on the current project.
pub(crate) fn op(global: &Global, op: ProjectOp) -> Result<Value, Failure> {
    let reply = quiet_op(global, op)?;
    crate::cli::remember_reply(&reply);
    Ok(reply)
}

/// [`op`] for a look the command takes on the way (its reply is not the command's).
pub(crate) fn quiet_op(global: &Global, op: ProjectOp) -> Result<Value, Failure> {
    let path = current_project(global)?;
    projects(global)?.op(&path, op).map_err(api_failure)
}

/// Reads a field of a reply as `T` (replies are the API's JSON).
pub(crate) fn field<T: serde::de::DeserializeOwned>(
    reply: &Value,
    key: &str,
) -> Result<T, Failure> {
    serde_json::from_value(reply.get(key).cloned().unwrap_or(Value::Null))
        .map_err(|e| Failure::from(format!("an unexpected reply ({key}): {e}")))
}

fn confirm(question: &str) -> bool {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok();
    matches!(line.trim(), "y" | "Y" | "yes")
}

pub fn project(global: &Global, cmd: ProjectCmd) -> Result<(), Failure> {
    match cmd {
        ProjectCmd::New { name, template } => {
            let t = NarrativeTemplate::parse(&template).ok_or_else(|| Failure {
                message: format!(
                    "unknown template {template:?}; use one of {}",
                    NarrativeTemplate::ALL.map(|t| t.id()).join(", ")
                ),
                code: 2,
            })?;
            let made = projects(global)?.create(&name, t).map_err(api_failure)?;
            if global.json {
                print_json(&made);
            } else {
                let path: PathBuf = field(&made, "path")?;
                crate::say!("created {}", path.display());
            }
            Ok(())
        }
        ProjectCmd::List { search } => {
            let mut list = local::list(&workspace_root(global))?;
            if let Some(s) = search {
                let s = s.to_lowercase();
                list.retain(|p| p.name.to_lowercase().contains(&s));
            }
            if global.json {
                print_json(&list);
            } else if list.is_empty() {
                crate::say!("no projects in {}", workspace_root(global).display());
            } else {
                for p in list {
                    crate::say!(
                        "{:<32} {:>10}  {:<14} {}, {}, {}{}{}",
                        p.name,
                        crate::util::format_bytes(p.size_bytes),
                        p.git_state,
                        crate::util::count(p.chapters, "chapter"),
                        crate::util::count(p.shots, "shot"),
                        crate::util::count(p.takes, "take"),
                        if p.upgrade.is_empty() {
                            ""
                        } else {
                            "  (earlier Slate format: `slate project upgrade`)"
                        },
                        p.error.map(|e| format!("  ⚠ {e}")).unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        ProjectCmd::Show {} => {
            let reply = op(global, ProjectOp::Show)?;
            let upgrade: Vec<String> = field(&reply, "upgrade")?;
            if !upgrade.is_empty() {
                crate::say_err!(
                    "note: this project was made by an earlier Slate; `slate project upgrade` rewrites it in the web studio's format: {}",
                    upgrade.join("; ")
                );
            }
            if global.json {
                print_json(&reply);
                return Ok(());
            }
            let m: Manifest = field(&reply, "manifest")?;
            let takes: wtakes::TakeIndex = field(&reply, "takes")?;
            let assets: Vec<wassets::Asset> = field(&reply, "assets")?;
            crate::say!("{} ({})", m.name, m.narrative.structure);
            crate::say!(
                "{}, {}, {}, {} ({} deleted, {} with an active take), {}",
                crate::util::count(m.narrative.chapters.len(), "chapter"),
                crate::util::count(m.scene_count(), "scene"),
                crate::util::count(m.shot_count(), "shot"),
                crate::util::count(takes.take_count(), "take"),
                takes.deleted_count(),
                crate::util::count(takes.active_count(), "shot"),
                crate::util::count(assets.len(), "asset")
            );
            let count = |n: usize| {
                if n == 0 {
                    String::new()
                } else {
                    format!("  ({})", crate::util::count(n, "take"))
                }
            };
            for (i, c) in m.narrative.chapters.iter().enumerate() {
                crate::say!("{}. {}", i + 1, c.name);
                for (j, s) in c.scenes.iter().enumerate() {
                    crate::say!(
                        "   {}.{} {}{}",
                        i + 1,
                        j + 1,
                        s.name,
                        count(takes.scene_take_count(&c.id, &s.id))
                    );
                    for (k, sh) in s.shots.iter().enumerate() {
                        let shot_takes = takes.shot(&c.id, &s.id, &sh.id);
                        let active = shot_takes
                            .and_then(|t| t.active.as_deref())
                            .map(|a| format!(", active {a}"))
                            .unwrap_or_default();
                        crate::say!(
                            "      {}.{}.{} {} [{} {}s] {}{}",
                            i + 1,
                            j + 1,
                            k + 1,
                            sh.name,
                            sh.shot_type.label(),
                            sh.duration,
                            sh.description,
                            shot_takes
                                .map(|t| {
                                    format!(
                                        "  ({}{active})",
                                        crate::util::count(t.takes.len(), "take")
                                    )
                                })
                                .unwrap_or_default()
                        );
                    }
                }
            }
            if !takes.shots.is_empty() {
                crate::say!("takes:");
                for s in &takes.shots {
                    crate::say!(
                        "   {}: {}, {} deleted{}",
                        s.shot_id(),
                        crate::util::count(s.takes.len(), "take"),
                        s.deleted.len(),
                        s.active
                            .as_deref()
                            .map(|a| format!(", active {a}"))
                            .unwrap_or_default()
                    );
                }
            }
            if !assets.is_empty() {
                crate::say!("assets:");
                for a in &assets {
                    crate::say!(
                        "   {:<12} {} ({}){}",
                        a.category,
                        a.name,
                        crate::util::count(a.files, "file"),
                        a.error
                            .as_deref()
                            .map(|e| format!("  ⚠ {e}"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        ProjectCmd::Upgrade => {
            let path = current_project(global)?;
            let reply = op(global, ProjectOp::Upgrade)?;
            match field::<Option<String>>(&reply, "commit")? {
                Some(commit) => {
                    crate::say!("upgraded {} ({})", path.display(), &commit[..7]);
                    for c in field::<Vec<String>>(&reply, "changes")? {
                        crate::say!("  {c}");
                    }
                }
                None => crate::say!("{} is already in the current format", path.display()),
            }
            Ok(())
        }
        ProjectCmd::Rename { new_name } => {
            let reply = op(global, ProjectOp::Rename { new_name })?;
            let dest: PathBuf = field(&reply, "path")?;
            crate::say!("renamed to {}", dest.display());
            Ok(())
        }
        ProjectCmd::Delete { yes, permanently } => {
            let path = current_project(global)?;
            let what = if permanently {
                "Delete for good"
            } else {
                "Move to the trash"
            };
            if !yes && !confirm(&format!("{what}: {}?", path.display())) {
                return Err(Failure {
                    message: "not deleted (confirm with --yes)".into(),
                    code: 2,
                });
            }
            op(global, ProjectOp::Delete { permanently })?;
            if permanently {
                crate::say!("deleted {}", path.display());
            } else {
                crate::say!("moved {} to the trash", path.display());
            }
            Ok(())
        }
        ProjectCmd::Chapter { command } => structure(
            global,
            match command {
                ChapterCmd::Add { name } => StructureEdit::AddChapter { name },
                ChapterCmd::Rename { chapter, name } => StructureEdit::RenameChapter {
                    chapter: idx(chapter)?,
                    name,
                },
                ChapterCmd::Move { chapter, to } => StructureEdit::MoveChapter {
                    chapter: idx(chapter)?,
                    to: idx(to)?,
                },
                ChapterCmd::Delete { chapter } => StructureEdit::DeleteChapter {
                    chapter: idx(chapter)?,
                },
            },
        ),
        ProjectCmd::Scene { command } => structure(
            global,
            match command {
                SceneCmd::Add { chapter, name } => StructureEdit::AddScene {
                    chapter: idx(chapter)?,
                    name,
                },
                SceneCmd::Rename {
                    chapter,
                    scene,
                    name,
                } => StructureEdit::RenameScene {
                    chapter: idx(chapter)?,
                    scene: idx(scene)?,
                    name,
                },
                SceneCmd::Move { chapter, scene, to } => StructureEdit::MoveScene {
                    chapter: idx(chapter)?,
                    scene: idx(scene)?,
                    to: idx(to)?,
                },
                SceneCmd::Delete { chapter, scene } => StructureEdit::DeleteScene {
                    chapter: idx(chapter)?,
                    scene: idx(scene)?,
                },
            },
        ),
        ProjectCmd::Shot { command } => structure(
            global,
            match command {
                ShotCmd::Add {
                    chapter,
                    scene,
                    name,
                    fields,
                } => StructureEdit::AddShot {
                    chapter: idx(chapter)?,
                    scene: idx(scene)?,
                    name,
                    shot_type: shot_type(&fields.shot_type)?,
                    duration: fields.duration,
                    description: fields.description,
                },
                ShotCmd::Update {
                    chapter,
                    scene,
                    shot,
                    name,
                    shot_type: new_type,
                    duration,
                    description,
                } => {
                    let (c, s, h) = (idx(chapter)?, idx(scene)?, idx(shot)?);
                    let m = local::read_manifest(&current_project(global)?)?;
                    let old = m
                        .narrative
                        .chapters
                        .get(c)
                        .and_then(|ch| ch.scenes.get(s))
                        .and_then(|sc| sc.shots.get(h))
                        .ok_or_else(|| format!("there is no shot {chapter}.{scene}.{shot}"))?;
                    StructureEdit::UpdateShot {
                        chapter: c,
                        scene: s,
                        shot: h,
                        name: name.unwrap_or_else(|| old.name.clone()),
                        shot_type: match new_type {
                            Some(t) => shot_type(&t)?,
                            None => old.shot_type.clone(),
                        },
                        duration: duration.unwrap_or(old.duration),
                        description: description.unwrap_or_else(|| old.description.clone()),
                    }
                }
                ShotCmd::Move {
                    chapter,
                    scene,
                    shot,
                    to,
                } => StructureEdit::MoveShot {
                    chapter: idx(chapter)?,
                    scene: idx(scene)?,
                    shot: idx(shot)?,
                    to: idx(to)?,
                },
                ShotCmd::Delete {
                    chapter,
                    scene,
                    shot,
                } => StructureEdit::DeleteShot {
                    chapter: idx(chapter)?,
                    scene: idx(scene)?,
                    shot: idx(shot)?,
                },
            },
        ),
    }
}

fn idx(n: usize) -> Result<usize, Failure> {
    n.checked_sub(1).ok_or_else(|| Failure {
        message: "numbers start at 1".into(),
        code: 2,
    })
}

fn shot_type(s: &str) -> Result<ShotType, Failure> {
    ShotType::parse(s).ok_or_else(|| Failure {
        message: format!(
            "unknown shot type {s:?}; use one of {}",
            ShotType::ALL
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        code: 2,
    })
}

fn structure(global: &Global, edit: StructureEdit) -> Result<(), Failure> {
    let reply = op(global, ProjectOp::Edit { edit })?;
    if let Some(commit) = field::<Option<String>>(&reply, "upgraded")? {
        crate::say_err!("upgraded the project format first ({})", &commit[..7]);
    }
    crate::say!("{}", field::<String>(&reply, "summary")?);
    Ok(())
}

pub fn git(global: &Global, cmd: GitCmd) -> Result<(), Failure> {
    match cmd {
        GitCmd::Status {} => {
            let reply = op(global, ProjectOp::GitStatus)?;
            if global.json {
                print_json(&reply);
                return Ok(());
            }
            let st: wgit::GitStatus = serde_json::from_value(reply)
                .map_err(|e| Failure::from(format!("an unexpected reply: {e}")))?;
            crate::say!("on branch {}", st.branch);
            if st.is_clean() {
                crate::say!("clean");
            }
            for c in &st.staged {
                crate::say!("  staged    {:<10} {}", c.kind, c.path);
            }
            for c in &st.modified {
                crate::say!("  modified  {:<10} {}", c.kind, c.path);
            }
            for p in &st.untracked {
                crate::say!("  untracked            {p}");
            }
            for p in &st.media_missing {
                crate::say!("  media not restored   {p}");
            }
            if !st.media_missing.is_empty() {
                crate::say!(
                    "{} LFS pointers, not media: run `slate git restore-media`",
                    match st.media_missing.len() {
                        1 => "1 file is".to_string(),
                        n => format!("{n} files are"),
                    }
                );
            }
            Ok(())
        }
        GitCmd::RestoreMedia => {
            let restored: Vec<String> =
                field(&op(global, ProjectOp::GitRestoreMedia)?, "restored")?;
            if restored.is_empty() {
                crate::say!("every LFS file already has its media");
            } else {
                crate::say!(
                    "restored the media of {}",
                    crate::util::count(restored.len(), "file")
                );
            }
            Ok(())
        }
        GitCmd::Log { limit, skip } => {
            let reply = op(global, ProjectOp::GitLog { skip, limit })?;
            if global.json {
                print_json(&reply["commits"]);
                return Ok(());
            }
            for c in field::<Vec<wgit::CommitInfo>>(&reply, "commits")? {
                let tags = if c.tags.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.tags.join(", "))
                };
                crate::say!("{} {}{tags}  — {}", c.short_id, c.summary, c.author);
            }
            Ok(())
        }
        GitCmd::Show { commit } => {
            let reply = op(global, ProjectOp::GitShow { commit })?;
            if global.json {
                print_json(&reply["files"]);
                return Ok(());
            }
            for f in field::<Vec<wgit::FileStat>>(&reply, "files")? {
                crate::say!(
                    "{:<10} +{:<6} -{:<6} {}",
                    f.kind,
                    f.additions,
                    f.deletions,
                    f.path
                );
            }
            Ok(())
        }
        GitCmd::Commit {
            message,
            prefix,
            all: _,
            allow_large,
        } => {
            let reply = op(
                global,
                ProjectOp::GitCommit {
                    message,
                    prefix,
                    allow_large,
                },
            )
            .map_err(|mut f| {
                if f.message.contains("large and not tracked") {
                    f.message = f.message.replace("with allow_large", "with --allow-large");
                    f.code = 2;
                }
                f
            })?;
            let id: String = field(&reply, "id")?;
            crate::say!("committed {}", &id[..7.min(id.len())]);
            Ok(())
        }
        GitCmd::Tag { name, message } => {
            op(
                global,
                ProjectOp::GitTag {
                    name: name.clone(),
                    message,
                },
            )?;
            crate::say!("tagged {name}");
            Ok(())
        }
        GitCmd::Tags {} => {
            let tags: Vec<String> = field(&op(global, ProjectOp::GitTags)?, "tags")?;
            if global.json {
                print_json(&tags);
            } else {
                for t in tags {
                    crate::say!("{t}");
                }
            }
            Ok(())
        }
        GitCmd::Rollback { commit, mode, yes } => {
            let mode = wgit::ResetMode::parse(&mode).ok_or_else(|| Failure {
                message: format!("--mode {mode:?}: use soft, mixed or hard"),
                code: 2,
            })?;
            if mode == wgit::ResetMode::Hard
                && !yes
                && !confirm(&format!(
                    "Hard rollback to {commit}: later commits leave the branch. Continue?"
                ))
            {
                return Err(Failure {
                    message: "not rolled back (confirm with --yes)".into(),
                    code: 2,
                });
            }
            op(
                global,
                ProjectOp::GitRollback {
                    commit: commit.clone(),
                    mode,
                },
            )?;
            crate::say!("rolled back to {commit} ({mode:?})");
            Ok(())
        }
    }
}

pub fn lfs(global: &Global, cmd: LfsCmd) -> Result<(), Failure> {
    match cmd {
        LfsCmd::Track { pattern } => {
            let reply = op(
                global,
                ProjectOp::LfsTrack {
                    pattern: pattern.clone(),
                },
            )?;
            if field::<bool>(&reply, "changed")? {
                crate::say!("tracking {pattern}");
            } else {
                crate::say!("{pattern} was already tracked");
            }
            Ok(())
        }
        LfsCmd::Untrack { pattern } => {
            op(
                global,
                ProjectOp::LfsUntrack {
                    pattern: pattern.clone(),
                },
            )?;
            crate::say!("no longer tracking {pattern}");
            Ok(())
        }
        LfsCmd::LsFiles {} => {
            let reply = op(global, ProjectOp::LfsFiles)?;
            if global.json {
                print_json(&reply["files"]);
                return Ok(());
            }
            for f in field::<Vec<wlfs::LfsFile>>(&reply, "files")? {
                crate::say!(
                    "{} {} {} ({})",
                    &f.oid[..10.min(f.oid.len())],
                    if f.present { "*" } else { "-" },
                    f.path,
                    crate::util::format_bytes(f.size)
                );
            }
            Ok(())
        }
        LfsCmd::Status {} => {
            let reply = op(global, ProjectOp::LfsStatus)?;
            if global.json {
                print_json(&reply);
                return Ok(());
            }
            let patterns: Vec<String> = field(&reply, "patterns")?;
            let files: Vec<wlfs::LfsFile> = field(&reply, "files")?;
            let total: u64 = field(&reply, "total_bytes")?;
            let problems: Vec<String> = field(&reply, "problems")?;
            #[derive(serde::Deserialize)]
            struct Large {
                path: String,
                size: u64,
            }
            let large: Vec<Large> = field(&reply, "large_untracked")?;
            crate::say!("patterns: {}", patterns.join(" "));
            crate::say!(
                "{}, {}",
                crate::util::count(files.len(), "LFS file"),
                crate::util::format_bytes(total)
            );
            for problem in &problems {
                crate::say!("  ✖ {problem}");
            }
            for l in &large {
                crate::say!(
                    "  ⚠ large and not tracked: {} ({})",
                    l.path,
                    crate::util::format_bytes(l.size)
                );
            }
            match field::<Option<String>>(&reply, "git_lfs")? {
                Some(v) => crate::say!("git-lfs: {v}"),
                None => crate::say!(
                    "git-lfs: {} (needed only to push and pull LFS objects)",
                    field::<Option<String>>(&reply, "git_lfs_error")?.unwrap_or_default()
                ),
            }
            Ok(())
        }
    }
}
