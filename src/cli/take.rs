//! `slate take …`: generate a shot's next take and review takes from scripts.
//! Shots are named by 1-based chapter, scene and shot numbers, as `slate project` does;
//! a take by its number (`7`, `007` or `take_007`).

use std::path::PathBuf;

use clap::Subcommand;

use crate::api::project::{ProjectOp, ShotNumbers};
use crate::cli::project::{field, op, quiet_op};
use crate::cli::{Failure, Global};
use crate::model::take::{self as take_model, Review, ShotTakes, Take, TakeAction, TakeIndex};
use crate::model::task::ShotRef;

#[derive(Subcommand, Debug)]
pub enum TakeCmd {
    /// Run a function for a shot; its output becomes the shot's next take (committed).
    Generate {
        chapter: usize,
        scene: usize,
        shot: usize,
        function: String,
        #[arg(long)]
        preset: Option<String>,
        /// A parameter as name=value (repeatable); inputs left out are filled from the
        /// shot where the template says so (`from = "shot.description"`).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        #[arg(long, default_value_t = 0)]
        priority: i32,
    },
    /// Takes of every shot, or of one shot.
    List {
        chapter: Option<usize>,
        scene: Option<usize>,
        shot: Option<usize>,
    },
    /// One take: its files, review state and metadata.
    Show {
        chapter: usize,
        scene: usize,
        shot: usize,
        take: String,
    },
    /// Make a take the shot's active take (`active_take.json`, `metadata.activeTakes`).
    Activate(TakeArgs),
    Approve(TakeArgs),
    Reject(TakeArgs),
    /// Star a take (`--off` removes the star).
    Star {
        #[command(flatten)]
        take: TakeArgs,
        #[arg(long)]
        off: bool,
    },
    /// Soft-delete a take (`.deleted_take_NNN_<unix>`); `restore` brings it back.
    Delete(TakeArgs),
    Restore(TakeArgs),
    /// Delete all but the N newest takes of a shot, keeping active, approved and starred
    /// ones. Lists what will go and asks first (`--yes` to skip the question).
    Cleanup {
        chapter: usize,
        scene: usize,
        shot: usize,
        #[arg(long)]
        keep: usize,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct TakeArgs {
    pub chapter: usize,
    pub scene: usize,
    pub shot: usize,
    pub take: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 2,
    }
}

/// The project and the shot's ids.
fn locate(
    global: &Global,
    chapter: usize,
    scene: usize,
    shot: usize,
) -> Result<(PathBuf, crate::model::manifest::Manifest, ShotRef), Failure> {
    let path = crate::cli::project::current_project(global)?;
    let manifest = crate::client::workspace::local::read_manifest(&path)?;
    let mut r = take_model::shot_by_numbers(&manifest, chapter, scene, shot).map_err(usage)?;
    r.project_dir = Some(path.clone());
    Ok((path, manifest, r))
}

/// The commit HEAD names, when the project has one.
fn head_commit(global: &Global) -> Option<String> {
    let reply = quiet_op(global, ProjectOp::GitLog { skip: 0, limit: 1 }).ok()?;
    reply["commits"][0]["id"].as_str().map(str::to_string)
}

/// `slate run … --shot CH.SC.SHOT` inside a project: the run becomes that shot's next
/// take, with the template's `from` inputs filled like `slate take generate`.
pub(crate) fn bind_run_to_shot(
    global: &Global,
    shot: &str,
    function: &str,
    params: &mut std::collections::BTreeMap<String, String>,
) -> Result<(PathBuf, ShotRef), Failure> {
    let n = ShotNumbers::parse(shot).ok_or_else(|| {
        usage(format!(
            "--shot {shot:?}: write CHAPTER.SCENE.SHOT, like 1.2.3"
        ))
    })?;
    let (path, manifest, mut r) = locate(global, n.chapter, n.scene, n.shot)?;
    r.submitted_commit = head_commit(global);
    let paths = crate::cli::paths(global);
    if let Ok(reg) = crate::cli::functions_loaded(&paths)
        && let Ok(t) = reg.get(function)
    {
        take_model::bind_inputs(&t.inputs, &manifest, &r, params);
    }
    Ok((path, r))
}

fn number(s: &str) -> Result<u32, Failure> {
    take_model::parse_take(s)
        .ok_or_else(|| usage(format!("{s:?} is not a take (write 7 or take_007)")))
}

pub fn take(global: &Global, cmd: TakeCmd) -> Result<(), Failure> {
    match cmd {
        TakeCmd::Generate {
            chapter,
            scene,
            shot,
            function,
            preset,
            params,
            priority,
        } => generate(
            global,
            (chapter, scene, shot),
            function,
            preset,
            params,
            priority,
            global.json,
        ),
        TakeCmd::List {
            chapter,
            scene,
            shot,
        } => {
            let one = chapter.zip(scene).zip(shot);
            if one.is_none() && (chapter.is_some() || scene.is_some()) {
                return Err(usage(
                    "give a shot as CHAPTER SCENE SHOT (like `1 2 3`), or nothing for every shot",
                ));
            }
            list(global, one, global.json)
        }
        TakeCmd::Show {
            chapter,
            scene,
            shot,
            take,
        } => show(global, chapter, scene, shot, &take, global.json),
        TakeCmd::Activate(a) => act(global, &a, TakeAction::Activate),
        TakeCmd::Approve(a) => act(global, &a, TakeAction::Review(Review::Approved)),
        TakeCmd::Reject(a) => act(global, &a, TakeAction::Review(Review::Rejected)),
        TakeCmd::Star { take, off } => act(global, &take, TakeAction::Star(!off)),
        TakeCmd::Delete(a) => act(global, &a, TakeAction::Delete),
        TakeCmd::Restore(a) => act(global, &a, TakeAction::Restore),
        TakeCmd::Cleanup {
            chapter,
            scene,
            shot,
            keep,
            yes,
        } => cleanup(global, chapter, scene, shot, keep, yes),
    }
}

/// `slate run FUNCTION --shot C.S.SH`: the same request, the same output.
fn generate(
    global: &Global,
    (chapter, scene, shot): (usize, usize, usize),
    function: String,
    preset: Option<String>,
    params: Vec<String>,
    priority: i32,
    json: bool,
) -> Result<(), Failure> {
    crate::cli::run_function(
        global,
        crate::cli::RunArgs {
            function,
            preset,
            params,
            priority,
            shot: Some(format!("{chapter}.{scene}.{shot}")),
            detach: false,
            json,
            executor: None,
            host: None,
        },
    )
}

fn review_line(shot_active: Option<&str>, t: &Take) -> String {
    let active = if shot_active == Some(t.id.as_str()) {
        "*"
    } else {
        " "
    };
    let star = if take_model::is_starred(t) {
        "★"
    } else {
        " "
    };
    format!(
        "{active}{star} {:<9} {:<9} {}",
        t.id,
        Review::of(t).label(),
        t.media.as_deref().unwrap_or("(no media)")
    )
}

/// The takes of every shot, or of one (`shot`), as the core lists them.
fn takes(global: &Global, shot: Option<ShotNumbers>) -> Result<TakeIndex, Failure> {
    serde_json::from_value(op(global, ProjectOp::TakeList { shot })?)
        .map_err(|e| Failure::from(format!("an unexpected take list: {e}")))
}

fn numbers(chapter: usize, scene: usize, shot: usize) -> ShotNumbers {
    ShotNumbers {
        chapter,
        scene,
        shot,
    }
}

/// One shot's takes (`None` before its first).
fn shot_takes(global: &Global, n: ShotNumbers) -> Result<Option<ShotTakes>, Failure> {
    Ok(takes(global, Some(n))?.shots.into_iter().next())
}

fn list(global: &Global, shot: Option<((usize, usize), usize)>, json: bool) -> Result<(), Failure> {
    let index = takes(global, shot.map(|((c, s), sh)| numbers(c, s, sh)))?;
    if json {
        crate::cli::print_json(&index);
        return Ok(());
    }
    if index.shots.is_empty() {
        crate::say!("no takes yet");
    }
    for s in &index.shots {
        crate::say!(
            "{} ({}, {} deleted)",
            s.shot_id(),
            crate::util::count(s.takes.len(), "take"),
            s.deleted.len()
        );
        for t in &s.takes {
            crate::say!("  {}", review_line(s.active.as_deref(), t));
        }
    }
    Ok(())
}

fn show(
    global: &Global,
    c: usize,
    s: usize,
    sh: usize,
    take: &str,
    json: bool,
) -> Result<(), Failure> {
    let n = number(take)?;
    let shot = shot_takes(global, numbers(c, s, sh))?;
    let t = shot
        .as_ref()
        .and_then(|shot| shot.takes.iter().find(|t| t.number == n));
    let (Some(shot), Some(t)) = (&shot, t) else {
        return Err(usage(format!(
            "shot {c}.{s}.{sh} has no {}",
            take_model::take_id(n)
        )));
    };
    if json {
        crate::cli::print_json(t);
        return Ok(());
    }
    crate::say!("{}", review_line(shot.active.as_deref(), t));
    crate::say!("folder: {}", t.dir);
    for p in [
        &t.thumbnails.large,
        &t.thumbnails.medium,
        &t.thumbnails.small,
    ]
    .into_iter()
    .flatten()
    {
        crate::say!("thumbnail: {p}");
    }
    if let Some(m) = &t.metadata {
        crate::say!(
            "{}",
            serde_json::to_string_pretty(m).expect("metadata serialises")
        );
    }
    if let Some(e) = &t.error {
        crate::say!("problem: {e}");
    }
    Ok(())
}

fn act(global: &Global, a: &TakeArgs, action: TakeAction) -> Result<(), Failure> {
    let take = number(&a.take)?;
    let shot = numbers(a.chapter, a.scene, a.shot);
    let reply = op(global, ProjectOp::TakeAction { shot, take, action })?;
    let summary: String = field(&reply, "summary")?;
    crate::say!("{summary}");
    Ok(())
}

fn cleanup(
    global: &Global,
    c: usize,
    s: usize,
    sh: usize,
    keep: usize,
    yes: bool,
) -> Result<(), Failure> {
    let n = numbers(c, s, sh);
    let Some(shot) = shot_takes(global, n)? else {
        crate::say!("nothing to delete: shot {n} has no takes");
        crate::cli::reply_json(&serde_json::json!({ "deleted": [] }));
        return Ok(());
    };
    let plan = take_model::cleanup_plan(&shot, keep);
    if plan.is_empty() {
        crate::say!(
            "nothing to delete: {}, keeping {keep}",
            crate::util::count(shot.takes.len(), "take")
        );
        crate::cli::reply_json(&serde_json::json!({ "deleted": [] }));
        return Ok(());
    }
    crate::say!("these takes of shot {c}.{s}.{sh} will be deleted (restorable):");
    for n in &plan {
        crate::say!("  {}", take_model::take_id(*n));
    }
    if !yes && !confirm_tty("delete them?") {
        return Err(usage(
            "nothing deleted (pass --yes to delete without asking)",
        ));
    }
    let deleted: Vec<String> = plan.iter().map(|n| take_model::take_id(*n)).collect();
    for take in plan {
        op(
            global,
            ProjectOp::TakeAction {
                shot: n,
                take,
                action: TakeAction::Delete,
            },
        )?;
    }
    crate::cli::reply_json(&serde_json::json!({ "deleted": deleted }));
    crate::say!("done");
    Ok(())
}

fn confirm_tty(question: &str) -> bool {
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
