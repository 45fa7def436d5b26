//! `slate project …`, `slate git …` and `slate lfs …`.

use std::path::PathBuf;

use clap::Subcommand;

use crate::cli::{Failure, Global, paths, print_json, settings_for};
use crate::workspace::manifest::{NarrativeTemplate, ShotType};
use crate::workspace::project::{self, StructureEdit};
use crate::workspace::{assets as wassets, git as wgit, lfs as wlfs, takes as wtakes};

#[derive(Subcommand, Debug)]
pub enum ProjectCmd {
    /// Create a project: folders, project.json, .gitignore, LFS patterns, first commit.
    New {
        name: String,
        /// three-act, hero-journey, beat-sheet or story-circle.
        #[arg(long, default_value = "three-act")]
        template: String,
        #[arg(long)]
        json: bool,
    },
    /// Projects in the workspace, most recently changed first.
    List {
        /// Only projects whose name contains this.
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The project's story (chapters, scenes, shots) with its takes and assets.
    Show {
        #[arg(long)]
        json: bool,
    },
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
    Status {
        #[arg(long)]
        json: bool,
    },
    Log {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        skip: usize,
        #[arg(long)]
        json: bool,
    },
    /// Files a commit changed, with +/- line counts.
    Show {
        commit: String,
        #[arg(long)]
        json: bool,
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
    Tags {
        #[arg(long)]
        json: bool,
    },
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
    Status {
        #[arg(long)]
        json: bool,
    },
    Track {
        pattern: String,
    },
    Untrack {
        pattern: String,
    },
    LsFiles {
        #[arg(long)]
        json: bool,
    },
}

pub fn workspace_root(global: &Global) -> PathBuf {
    let paths = paths(global);
    paths.workspace_root(&settings_for(&paths))
}

/// `--project`, else the project containing the current folder.
pub fn current_project(global: &Global) -> Result<PathBuf, Failure> {
    match &global.project {
        Some(p) => Ok(project::resolve(&workspace_root(global), p)?),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| project::containing(&d))
            .ok_or_else(|| Failure {
                message: "no project here: run this inside a project folder or pass --project NAME"
                    .into(),
                code: 2,
            }),
    }
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
        ProjectCmd::New {
            name,
            template,
            json,
        } => {
            let t = NarrativeTemplate::parse(&template).ok_or_else(|| Failure {
                message: format!(
                    "unknown template {template:?}; use one of {}",
                    NarrativeTemplate::ALL.map(|t| t.id()).join(", ")
                ),
                code: 2,
            })?;
            crate::workspace::leftovers::clean_creating(&workspace_root(global));
            let path = project::create(&workspace_root(global), &name, t)?;
            if json {
                print_json(&project::summary(&path));
            } else {
                crate::say!("created {}", path.display());
            }
            Ok(())
        }
        ProjectCmd::List { search, json } => {
            crate::workspace::leftovers::clean_creating(&workspace_root(global));
            let mut list = project::list(&workspace_root(global))?;
            if let Some(s) = search {
                let s = s.to_lowercase();
                list.retain(|p| p.name.to_lowercase().contains(&s));
            }
            if json {
                print_json(&list);
            } else if list.is_empty() {
                crate::say!("no projects in {}", workspace_root(global).display());
            } else {
                for p in list {
                    crate::say!(
                        "{:<32} {:>10}  {:<14} {} chapter(s), {} shot(s), {} take(s){}{}",
                        p.name,
                        crate::util::format_bytes(p.size_bytes),
                        p.git_state,
                        p.chapters,
                        p.shots,
                        p.takes,
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
        ProjectCmd::Show { json } => {
            let path = current_project(global)?;
            let parsed = project::load(&path)?;
            let m = parsed.manifest;
            let takes = wtakes::scan(&path);
            let assets = wassets::scan_project(&path);
            if !parsed.upgrade.is_empty() {
                crate::say_err!(
                    "note: this project was made by an earlier Slate; `slate project upgrade` rewrites it in the web studio's format: {}",
                    parsed.upgrade.join("; ")
                );
            }
            if json {
                print_json(&serde_json::json!({
                    "manifest": m, "takes": takes, "assets": assets, "upgrade": parsed.upgrade,
                }));
                return Ok(());
            }
            crate::say!("{} ({})", m.name, m.narrative.structure);
            crate::say!(
                "{} chapter(s), {} scene(s), {} shot(s), {} take(s) ({} deleted, {} shot(s) with an active take), {} asset(s)",
                m.narrative.chapters.len(),
                m.scene_count(),
                m.shot_count(),
                takes.take_count(),
                takes.deleted_count(),
                takes.active_count(),
                assets.len()
            );
            let count = |n: usize| {
                if n == 0 {
                    String::new()
                } else {
                    format!("  ({n} take(s))")
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
                                .map(|t| format!("  ({} take(s){active})", t.takes.len()))
                                .unwrap_or_default()
                        );
                    }
                }
            }
            if !takes.shots.is_empty() {
                crate::say!("takes:");
                for s in &takes.shots {
                    crate::say!(
                        "   {}: {} take(s), {} deleted{}",
                        s.shot_id(),
                        s.takes.len(),
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
                        "   {:<12} {} ({} file(s)){}",
                        a.category,
                        a.name,
                        a.files,
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
            match project::upgrade(&path)? {
                Some((commit, changes)) => {
                    crate::say!("upgraded {} ({})", path.display(), &commit[..7]);
                    for c in changes {
                        crate::say!("  {c}");
                    }
                }
                None => crate::say!("{} is already in the current format", path.display()),
            }
            Ok(())
        }
        ProjectCmd::Rename { new_name } => {
            let path = current_project(global)?;
            let dest = project::rename(&path, &new_name)?;
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
            if permanently {
                project::delete_permanently(&path)?;
                crate::say!("deleted {}", path.display());
            } else {
                project::move_to_trash(&path)?;
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
                    let m = project::read_manifest(&current_project(global)?)?;
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
    let path = current_project(global)?;
    // As opening in the window does: upgrade an earlier Slate's project when that is safe.
    match project::upgrade_on_open(&path, false)? {
        project::Upgrade::Done { commit, .. } => {
            crate::say_err!("upgraded the project format first ({})", &commit[..7]);
        }
        project::Upgrade::Pending { why, .. } => return Err(why.into()),
        project::Upgrade::Current => {}
    }
    let (_, summary) = project::edit(&path, &edit)?;
    crate::say!("{summary}");
    Ok(())
}

pub fn git(global: &Global, cmd: GitCmd) -> Result<(), Failure> {
    let path = current_project(global)?;
    let repo = wgit::open(&path)?;
    match cmd {
        GitCmd::Status { json } => {
            let st = wgit::status(&repo)?;
            if json {
                print_json(&st);
            } else {
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
                        "{} file(s) are LFS pointers, not media: run `slate git restore-media`",
                        st.media_missing.len()
                    );
                }
            }
            Ok(())
        }
        GitCmd::RestoreMedia => {
            let before = crate::workspace::lfs::pointers_in_work_tree(&repo);
            if before.is_empty() {
                crate::say!("every LFS file already has its media");
                return Ok(());
            }
            let written = crate::workspace::lfs::smudge_work_tree(&repo)?;
            crate::say!("restored the media of {} file(s)", written.len());
            Ok(())
        }
        GitCmd::Log { limit, skip, json } => {
            let log = wgit::log(&repo, skip, limit)?;
            if json {
                print_json(&log);
            } else {
                for c in log {
                    let tags = if c.tags.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", c.tags.join(", "))
                    };
                    crate::say!("{} {}{tags}  — {}", c.short_id, c.summary, c.author);
                }
            }
            Ok(())
        }
        GitCmd::Show { commit, json } => {
            let id = repo
                .revparse_single(&commit)
                .map_err(|_| format!("no commit {commit:?}"))?
                .id()
                .to_string();
            let files = wgit::commit_files(&repo, &id)?;
            if json {
                print_json(&files);
            } else {
                for f in files {
                    crate::say!(
                        "{:<10} +{:<6} -{:<6} {}",
                        f.kind,
                        f.additions,
                        f.deletions,
                        f.path
                    );
                }
            }
            Ok(())
        }
        GitCmd::Commit {
            message,
            prefix,
            all: _,
            allow_large,
        } => {
            if let Some(p) = &prefix
                && !wgit::PREFIXES.contains(&p.as_str())
            {
                return Err(Failure {
                    message: format!(
                        "unknown prefix {p:?}; use one of {}",
                        wgit::PREFIXES.join(", ")
                    ),
                    code: 2,
                });
            }
            let threshold = settings_for(&paths(global)).workspace.lfs_warn_mib * 1024 * 1024;
            let st = wgit::status(&repo)?;
            let large: Vec<_> = wlfs::large_untracked(&path, threshold)
                .into_iter()
                .filter(|(p, _)| {
                    st.untracked.contains(p) || st.modified.iter().any(|c| &c.path == p)
                })
                .collect();
            if !large.is_empty() && !allow_large {
                let list: Vec<String> = large
                    .iter()
                    .map(|(p, s)| format!("  {p} ({})", crate::util::format_bytes(*s)))
                    .collect();
                return Err(Failure {
                    message: format!(
                        "these files are large and not tracked by LFS:\n{}\ntrack them (`slate lfs track '*.ext'`) or commit anyway with --allow-large",
                        list.join("\n")
                    ),
                    code: 2,
                });
            }
            let id = wgit::commit_all(&repo, &wgit::prefixed(prefix.as_deref(), &message))?;
            crate::say!("committed {}", &id[..7]);
            Ok(())
        }
        GitCmd::Tag { name, message } => {
            wgit::tag(&repo, &name, message.as_deref())?;
            crate::say!("tagged {name}");
            Ok(())
        }
        GitCmd::Tags { json } => {
            let tags = wgit::tags(&repo);
            if json {
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
            wgit::rollback(&repo, &commit, mode)?;
            crate::say!("rolled back to {commit} ({mode:?})");
            Ok(())
        }
    }
}

pub fn lfs(global: &Global, cmd: LfsCmd) -> Result<(), Failure> {
    let path = current_project(global)?;
    match cmd {
        LfsCmd::Track { pattern } => {
            if wlfs::track(&path, &pattern)? {
                crate::say!("tracking {pattern}");
            } else {
                crate::say!("{pattern} was already tracked");
            }
            Ok(())
        }
        LfsCmd::Untrack { pattern } => {
            if wlfs::untrack(&path, &pattern)? {
                crate::say!("no longer tracking {pattern}");
                Ok(())
            } else {
                Err(format!("{pattern} was not tracked").into())
            }
        }
        LfsCmd::LsFiles { json } => {
            let repo = wgit::open(&path)?;
            let files = wlfs::ls_files(&repo)?;
            if json {
                print_json(&files);
            } else {
                for f in files {
                    crate::say!(
                        "{} {} {} ({})",
                        &f.oid[..10],
                        if f.present { "*" } else { "-" },
                        f.path,
                        crate::util::format_bytes(f.size)
                    );
                }
            }
            Ok(())
        }
        LfsCmd::Status { json } => {
            let repo = wgit::open(&path)?;
            let patterns = wlfs::Patterns::load(&path).list();
            let files = wlfs::ls_files(&repo)?;
            let total: u64 = files.iter().map(|f| f.size).sum();
            let threshold = settings_for(&paths(global)).workspace.lfs_warn_mib * 1024 * 1024;
            let large = wlfs::large_untracked(&path, threshold);
            let git_lfs = crate::probe::git_lfs_version();
            let problems = wlfs::check(&repo)?;
            if json {
                print_json(&serde_json::json!({
                    "patterns": patterns, "files": files, "total_bytes": total,
                    "large_untracked": large.iter().map(|(p, s)| serde_json::json!({"path": p, "size": s})).collect::<Vec<_>>(),
                    "git_lfs": git_lfs.as_ref().ok(), "git_lfs_error": git_lfs.as_ref().err(),
                    "problems": problems,
                }));
            } else {
                crate::say!("patterns: {}", patterns.join(" "));
                crate::say!(
                    "{} LFS file(s), {}",
                    files.len(),
                    crate::util::format_bytes(total)
                );
                for problem in &problems {
                    crate::say!("  ✖ {problem}");
                }
                for (p, s) in &large {
                    crate::say!(
                        "  ⚠ large and not tracked: {p} ({})",
                        crate::util::format_bytes(*s)
                    );
                }
                match git_lfs {
                    Ok(v) => crate::say!("git-lfs: {v}"),
                    Err(e) => {
                        crate::say!("git-lfs: {e} (needed only to push and pull LFS objects)")
                    }
                }
            }
            Ok(())
        }
    }
}
