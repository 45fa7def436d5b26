//! `slate take …`: generate a shot's next take and review takes from scripts.
//! Shots are named by 1-based chapter, scene and shot numbers, as `slate project` does;
//! a take by its number (`7`, `007` or `take_007`).

use std::path::PathBuf;

use clap::Subcommand;

use crate::cli::{Failure, Global};
use crate::events::{Command, Event};
use crate::model::task::{ShotRef, TaskRequest, TaskState};
use crate::workspace::take_store::{self, Review, ShotFolder, TakeAction};
use crate::workspace::takes::{self, Take};
use crate::workspace::{git, project};

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
        /// Print events as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Takes of every shot, or of one shot.
    List {
        chapter: Option<usize>,
        scene: Option<usize>,
        shot: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// One take: its files, review state and metadata.
    Show {
        chapter: usize,
        scene: usize,
        shot: usize,
        take: String,
        #[arg(long)]
        json: bool,
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

fn commit_takes(global: &Global) -> bool {
    let paths = crate::cli::paths(global);
    crate::cli::settings_for(&paths).workspace.commit_takes
}

/// The project and the shot's ids.
fn locate(
    global: &Global,
    chapter: usize,
    scene: usize,
    shot: usize,
) -> Result<(PathBuf, crate::model::manifest::Manifest, ShotRef), Failure> {
    let path = crate::cli::project::current_project(global)?;
    let manifest = project::read_manifest(&path)?;
    let mut r = take_store::shot_by_numbers(&manifest, chapter, scene, shot).map_err(usage)?;
    r.project_dir = Some(path.clone());
    Ok((path, manifest, r))
}

/// `slate run … --shot CH.SC.SHOT` inside a project: the run becomes that shot's next
/// take, with the template's `from` inputs filled like `slate take generate`.
pub(crate) fn bind_run_to_shot(
    global: &Global,
    shot: &str,
    function: &str,
    params: &mut std::collections::BTreeMap<String, String>,
) -> Result<(PathBuf, ShotRef), Failure> {
    let numbers: Vec<usize> = shot
        .split('.')
        .map(|n| n.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            usage(format!(
                "--shot {shot:?}: write CHAPTER.SCENE.SHOT, like 1.2.3"
            ))
        })?;
    let [chapter, scene, number] = numbers[..] else {
        return Err(usage(format!(
            "--shot {shot:?}: write CHAPTER.SCENE.SHOT, like 1.2.3"
        )));
    };
    let (path, manifest, mut r) = locate(global, chapter, scene, number)?;
    r.submitted_commit = git::open(&path).ok().and_then(|repo| {
        let id = repo.head().ok()?.peel_to_commit().ok()?.id();
        Some(id.to_string())
    });
    let paths = crate::cli::paths(global);
    if let Ok(t) = crate::cli::registry(&paths).get(function) {
        take_store::bind_inputs(&t.inputs, &manifest, &r, params);
    }
    Ok((path, r))
}

fn number(s: &str) -> Result<u32, Failure> {
    take_store::parse_take(s)
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
            json,
        } => generate(
            global,
            (chapter, scene, shot),
            function,
            preset,
            params,
            priority,
            json,
        ),
        TakeCmd::List {
            chapter,
            scene,
            shot,
            json,
        } => list(global, chapter.zip(scene).zip(shot), json),
        TakeCmd::Show {
            chapter,
            scene,
            shot,
            take,
            json,
        } => show(global, chapter, scene, shot, &take, json),
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

fn generate(
    global: &Global,
    (chapter, scene, shot): (usize, usize, usize),
    function: String,
    preset: Option<String>,
    raw: Vec<String>,
    priority: i32,
    json: bool,
) -> Result<(), Failure> {
    let (path, manifest, mut r) = locate(global, chapter, scene, shot)?;
    r.submitted_commit = git::open(&path).ok().and_then(|repo| {
        let id = repo.head().ok()?.peel_to_commit().ok()?.id();
        Some(id.to_string())
    });
    let mut params = crate::cli::parse_params(&raw)?;
    let paths = crate::cli::paths(global);
    if let Ok(t) = crate::cli::registry(&paths).get(&function) {
        take_store::bind_inputs(&t.inputs, &manifest, &r, &mut params);
    }
    let request = TaskRequest {
        function: function.clone(),
        preset,
        params,
        priority,
        project: Some(path.display().to_string()),
        shot: Some(format!("{chapter}.{scene}.{shot}")),
        shot_ref: Some(r),
        executor: None,
        host: None,
    };
    let (core, _) = crate::cli::start_core(global, false, true)?;
    core.send(Command::SubmitTask { request });
    let mut id = None;
    loop {
        let event = core
            .events
            .recv()
            .map_err(|_| "the task runner stopped unexpectedly")?;
        if json {
            crate::util::text::out_line(&serde_json::to_string(&event).expect("serialisable"));
        }
        match event {
            Event::TaskRejected { function, errors } => {
                let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
                return Err(usage(format!(
                    "{function}: the task was not queued:\n{}",
                    lines.join("\n")
                )));
            }
            Event::RunnerFailed { error } => return Err(error.into()),
            Event::TaskSubmitted { task } if id.is_none() => {
                id = Some(task.id);
                if !json {
                    crate::say_err!(
                        "task {} queued: {} for shot {chapter}.{scene}.{shot}",
                        task.id,
                        task.function
                    );
                }
            }
            Event::TaskUpdated { task }
                if Some(task.id) == id
                    && task.state.is_finished()
                    && task.state != TaskState::Succeeded =>
            {
                return Err(format!(
                    "task {} {}: {}",
                    task.id,
                    task.state.label(),
                    task.error.unwrap_or_default()
                )
                .into());
            }
            Event::TakeCreated { task, created, .. } if Some(task) == id => {
                if !json {
                    let media = created.take.media.clone().unwrap_or_default();
                    crate::say!(
                        "{} {}: {}{}",
                        created.shot_id,
                        created.take.id,
                        media,
                        created
                            .commit
                            .as_deref()
                            .map(|c| format!(" (commit {})", &c[..7.min(c.len())]))
                            .unwrap_or_default()
                    );
                }
                return Ok(());
            }
            Event::TakeFailed {
                task: Some(task),
                error,
                ..
            } if Some(task) == id => return Err(format!("the take was not made: {error}").into()),
            _ => {}
        }
    }
}

fn review_line(shot_active: Option<&str>, t: &Take) -> String {
    let active = if shot_active == Some(t.id.as_str()) {
        "*"
    } else {
        " "
    };
    let star = if take_store::is_starred(t) {
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

fn list(global: &Global, shot: Option<((usize, usize), usize)>, json: bool) -> Result<(), Failure> {
    let path = crate::cli::project::current_project(global)?;
    take_store::recover(&path, commit_takes(global))?;
    let mut index = takes::scan(&path);
    if let Some(((c, s), sh)) = shot {
        let manifest = project::read_manifest(&path)?;
        let r = take_store::shot_by_numbers(&manifest, c, s, sh).map_err(usage)?;
        let f = ShotFolder::of(&r);
        index
            .shots
            .retain(|x| x.chapter == f.chapter && x.scene == f.scene && x.shot == f.shot);
    }
    if json {
        crate::cli::print_json(&index);
        return Ok(());
    }
    if index.shots.is_empty() {
        crate::say!("no takes yet");
    }
    for s in &index.shots {
        crate::say!(
            "{} ({} take(s), {} deleted)",
            s.shot_id(),
            s.takes.len(),
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
    let (path, _, r) = locate(global, c, s, sh)?;
    let n = number(take)?;
    let folder = ShotFolder::of(&r);
    let shot = take_store::read_shot(&path, &folder);
    let t = shot.takes.iter().find(|t| t.number == n).ok_or_else(|| {
        usage(format!(
            "shot {c}.{s}.{sh} has no {}",
            take_store::take_id(n)
        ))
    })?;
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
    let (path, _, r) = locate(global, a.chapter, a.scene, a.shot)?;
    let n = number(&a.take)?;
    let summary = take_store::apply(&path, &ShotFolder::of(&r), n, &action, commit_takes(global))?;
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
    let (path, _, r) = locate(global, c, s, sh)?;
    let folder = ShotFolder::of(&r);
    let shot = take_store::read_shot(&path, &folder);
    let plan = take_store::cleanup_plan(&shot, keep);
    if plan.is_empty() {
        crate::say!(
            "nothing to delete: {} take(s), keeping {keep}",
            shot.takes.len()
        );
        return Ok(());
    }
    crate::say!("these takes of shot {c}.{s}.{sh} will be deleted (restorable):");
    for n in &plan {
        crate::say!("  {}", take_store::take_id(*n));
    }
    if !yes && !confirm_tty("delete them?") {
        return Err(usage(
            "nothing deleted (pass --yes to delete without asking)",
        ));
    }
    let commit = commit_takes(global);
    for n in plan {
        take_store::apply(&path, &folder, n, &TakeAction::Delete, commit)?;
    }
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
