//! GPU monitoring without a GPU: the replay source drives the sampler, the GPU tab, the
//! attribution of GPU processes to tasks (a local process, and a real container found
//! through its PID's cgroup), and the no-driver path.

mod common;
#[path = "common/studio.rs"]
mod studio;

use std::io::Write as _;
use std::path::Path;

use common::*;
use egui_kittest::kittest::Queryable as _;
use slate::core::CommandSender;
use slate::events::{Command, Event};
use slate::gpu::{GpuProcess, GpuSample};
use slate::runner::task::TaskState;
use slate::ui::view_model::ViewModel;
use slate::ui::views::ViewCtx;

fn gpu(index: u32, name: &str, util: u32, used: u64, total: u64, temp: u32) -> GpuSample {
    GpuSample {
        index,
        name: name.into(),
        uuid: format!("GPU-{index:08}-replay"),
        util_gpu: Some(util),
        util_mem: Some(util / 2),
        mem_used_mb: used,
        mem_free_mb: total - used,
        mem_total_mb: total,
        temp_c: Some(temp),
        power_w: Some(120.0 + util as f64),
        power_limit_w: Some(350.0),
        sm_clock_mhz: Some(1980),
        mem_clock_mhz: Some(2619),
        fan_pct: Some(40),
        processes: vec![],
    }
}

fn append_frame(path: &Path, t_s: f64, gpus: &[GpuSample]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(f, "{}", serde_json::json!({ "t_s": t_s, "gpus": gpus })).unwrap();
}

/// The GPU tab alone with a fixed clock and 10 minutes of 1 Hz history.
fn snapshot_tab(name: &str, gpus: usize) {
    const NOW: u64 = 1_800_000_000_000;
    let mut vm = ViewModel::default();
    for s in 0..600u64 {
        let t = NOW - (600 - s) * 1000;
        let frame: Vec<GpuSample> = (0..gpus as u32)
            .map(|i| {
                let wave = ((s as f64 / 30.0 + i as f64).sin() * 40.0 + 50.0) as u32;
                gpu(
                    i,
                    if i == 0 {
                        "NVIDIA H100 80GB HBM3"
                    } else {
                        "NVIDIA RTX 6000 Ada"
                    },
                    wave,
                    20_000 + wave as u64 * 300,
                    81_559,
                    40 + wave / 3,
                )
            })
            .collect();
        vm.apply(
            Event::GpuSample {
                ts_ms: t,
                gpus: frame,
                error: None,
            },
            t,
        );
    }
    if gpus == 0 {
        vm.apply(
            Event::GpuSample {
                ts_ms: NOW,
                gpus: vec![],
                error: None,
            },
            NOW,
        );
    }
    let mut view = slate::ui::views::gpu::GpuView::default();
    let mut harness = view_harness(vm, [1000.0, 700.0], NOW, move |ui, ctx| view.ui(ui, ctx));
    harness.run();
    harness.snapshot_options(name, &snapshot_options());
}

#[test]
fn gpu_tab_snapshot_0_gpus() {
    snapshot_tab("gpu_tab_0", 0);
}

#[test]
fn gpu_tab_snapshot_1_gpu() {
    snapshot_tab("gpu_tab_1", 1);
}

#[test]
fn gpu_tab_snapshot_2_gpus() {
    snapshot_tab("gpu_tab_2", 2);
}

#[test]
fn without_a_driver_the_tab_says_so_and_what_to_install() {
    let mut vm = ViewModel::default();
    vm.apply(
        Event::GpuSample { ts_ms: 1, gpus: vec![], error: Some("no NVIDIA driver (libnvidia-ml.so.1 not found): install the NVIDIA driver to use GPU functions".into()) },
        1,
    );
    let commands = CommandSender::detached();
    let mut view = slate::ui::views::gpu::GpuView::default();
    let mut harness = egui_kittest::Harness::builder()
        .with_size([900.0, 500.0])
        .build_ui(move |ui| {
            let (mut pending, mut selected) = (Vec::new(), None);
            let mut ctx = ViewCtx {
                vm: &vm,
                commands: &commands,
                ui_commands: &mut pending,
                selected_task: &mut selected,
                now_ms: 1,
                progress_expanded_for: 0,
            };
            view.ui(ui, &mut ctx);
        });
    harness.run();
    harness.get_by_label("No NVIDIA GPU available");
    harness.get_by_label_contains("libnvidia-ml.so.1 not found");
    harness.get_by_label_contains("sudo apt install nvidia-driver");
}

/// A process of a running task appears in the replayed sample; the sampler attributes it
/// to the task, the GPU tab names the task, and the task's peak VRAM is recorded.
#[test]
fn a_replayed_gpu_process_is_attributed_to_its_running_task() {
    let dir = tempfile::tempdir().unwrap();
    let replay = dir.path().join("gpu.jsonl");
    append_frame(&replay, 0.0, &[gpu(0, "Replay GPU", 10, 1000, 24_000, 50)]);
    let mut opts = options(dir.path());
    opts.runner.gpu_replay = Some(replay.clone());
    std::fs::create_dir_all(dir.path().join("data/functions")).unwrap();
    std::fs::write(
        dir.path().join("data/functions/sh.toml"),
        studio::SH_FUNCTION,
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("data/settings.toml"),
        "[gpu]\nsample_interval_ms = 250\n",
    )
    .unwrap();
    let mut h = harness_with(opts);
    settle(&mut h);
    wait_until(&mut h, "the replayed GPU", 10, |h| {
        !h.state().vm.gpu.latest.is_empty()
    });
    h.state_mut().execute(
        &egui::Context::default(),
        slate::ui::commands::UiCommand::ShowTab(slate::ui::tabs::Tab::Gpu),
    );
    h.run();
    h.get_by_label("GPU 0 · Replay GPU");

    let commands = h.state().commands_for_tests();
    commands.send(Command::SubmitTask {
        request: slate::runner::task::TaskRequest {
            function: "test/sh".into(),
            params: [("script".to_string(), "sleep 3".to_string())].into(),
            ..Default::default()
        },
    });
    wait_until(&mut h, "the task to run", 20, |h| {
        h.state()
            .vm
            .tasks
            .get(&1)
            .is_some_and(|t| t.state == TaskState::Running && t.pid.is_some())
    });
    let pid = h.state().vm.tasks[&1].pid.unwrap();
    // A child of the task holds the GPU memory, as a Python worker would.
    let child =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    let worker: u32 = child
        .split_whitespace()
        .next()
        .map(|c| c.parse().unwrap())
        .unwrap_or(pid);
    let mut busy = gpu(0, "Replay GPU", 90, 9000, 24_000, 70);
    busy.processes = vec![GpuProcess {
        pid: worker,
        used_mb: 7500,
        ..Default::default()
    }];
    append_frame(&replay, 0.5, &[busy]);
    wait_until(&mut h, "the process to be attributed", 20, |h| {
        h.state()
            .vm
            .gpu
            .latest
            .iter()
            .flat_map(|g| &g.processes)
            .any(|p| p.task == Some(1))
    });
    h.get_by_label("#1 test/sh");
    h.get_by_label("7500 MB");
    wait_until(&mut h, "the task to finish", 20, |h| {
        h.state().vm.tasks[&1].state == TaskState::Succeeded
    });
    let t = &h.state().vm.tasks[&1];
    assert_eq!(t.peak_vram_mb, Some(7500));
    assert!(t.mean_gpu_util.is_some());
}

/// The PID of a real running container maps to its task through /proc/PID/cgroup.
#[test]
fn a_container_pid_maps_to_its_task() {
    let out = std::process::Command::new("docker")
        .arg("info")
        .output()
        .expect("the docker CLI is needed");
    assert!(
        out.status.success(),
        "no Docker engine: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reg = slate::runner::function::Registry::load(None);
    let ctx =
        slate::runner::image::build_context(reg.get("demo/busybox-progress").unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(slate::runner::docker::build_image(
        "",
        ctx,
        "slate-demo/busybox-progress:1",
        |_| {},
    ))
    .unwrap();

    let mut s = studio::Studio::new("", &[]);
    let id = s.submit("demo/busybox-progress", &[("mode", "long")], 0);
    let t = s.wait_state(id, 60, &[TaskState::Running]);
    let container = t.container_id.clone().expect("a container id");
    let inspect = std::process::Command::new("docker")
        .args(["inspect", "-f", "{{.State.Pid}}", &container])
        .output()
        .unwrap();
    let pid: u32 = String::from_utf8_lossy(&inspect.stdout)
        .trim()
        .parse()
        .unwrap();
    let owners = vec![
        slate::gpu::attribution::TaskOwner {
            task: 99,
            pid: Some(std::process::id()),
            container_id: None,
        },
        slate::gpu::attribution::TaskOwner {
            task: id,
            pid: None,
            container_id: Some(container.clone()),
        },
    ];
    assert_eq!(
        slate::gpu::attribution::owner_of(Path::new("/proc"), pid, &owners),
        Some(id)
    );
    s.send(Command::CancelTask { id });
    assert_eq!(s.wait_finished(id, 30).state, TaskState::Cancelled);
}
