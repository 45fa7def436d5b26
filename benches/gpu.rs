//! The GPU sampler's cost per tick and the GPU tab's frame time with an hour of history
//! for 8 GPUs. Here the sampler reads the replay source (no GPU on this machine); on a
//! machine with NVML it reads the driver and is compared with one `nvidia-smi` call.

mod common;

use std::path::Path;
use std::time::Instant;

use common::{Figure, full_run, percentile, thread_cpu};
use slate::core::CommandSender;
use slate::events::Event;
use slate::gpu::{Fields, GpuProcess, GpuSample, GpuSource};
use slate::ui::view_model::ViewModel;
use slate::ui::views::ViewCtx;

fn sample(index: u32, t: u64, processes: usize) -> GpuSample {
    let wave = ((t as f64 / 30.0 + index as f64).sin() * 40.0 + 50.0) as u32;
    GpuSample {
        index,
        name: "NVIDIA H100 80GB HBM3".into(),
        uuid: format!("GPU-{index}"),
        util_gpu: Some(wave),
        util_mem: Some(wave / 2),
        mem_used_mb: 20_000 + wave as u64 * 300,
        mem_free_mb: 60_000,
        mem_total_mb: 81_559,
        temp_c: Some(40 + wave / 3),
        power_w: Some(200.0),
        power_limit_w: Some(700.0),
        sm_clock_mhz: Some(1980),
        mem_clock_mhz: Some(2619),
        fan_pct: None,
        processes: (0..processes)
            .map(|p| GpuProcess {
                pid: std::process::id() + p as u32,
                used_mb: 1000,
                ..Default::default()
            })
            .collect(),
    }
}

fn main() {
    let full = full_run();
    let mut figures = Vec::new();
    let dir = tempfile::tempdir().unwrap();

    // Sampler tick on the replay source: read, name and attribute 8 GPUs × 4 processes.
    let replay = dir.path().join("gpu.jsonl");
    let frame: Vec<GpuSample> = (0..8).map(|i| sample(i, 0, 4)).collect();
    std::fs::write(
        &replay,
        format!("{}\n", serde_json::json!({"t_s": 0.0, "gpus": frame})),
    )
    .unwrap();
    let mut source = slate::gpu::ReplaySource::open(&replay).unwrap();
    let owners = vec![slate::gpu::attribution::TaskOwner {
        task: 1,
        pid: Some(std::process::id()),
        container_id: None,
    }];
    let ticks = if full { 2000 } else { 50 };
    let t0 = Instant::now();
    for _ in 0..ticks {
        let t = slate::gpu::sampler::tick(&mut source, Fields::ALL, &owners, Path::new("/proc"));
        assert_eq!(t.gpus.len(), 8);
    }
    let per_tick_ms = t0.elapsed().as_secs_f64() * 1000.0 / ticks as f64;
    let nvml = slate::gpu::NvmlSource::new().sample(Fields::ALL);
    match nvml {
        Ok(_) => {
            let mut source = slate::gpu::NvmlSource::new();
            let t0 = Instant::now();
            for _ in 0..ticks {
                slate::gpu::sampler::tick(&mut source, Fields::ALL, &owners, Path::new("/proc"));
            }
            let ours = t0.elapsed().as_secs_f64() * 1000.0 / ticks as f64;
            let smi = common::median_wall(20, || {
                std::process::Command::new("nvidia-smi")
                    .args(["--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw", "--format=csv"])
                    .output()
                    .unwrap();
            });
            figures.push(Figure::versus(
                "sampler tick, NVML (ms)",
                ours,
                "ms",
                "nvidia-smi --query-gpu --format=csv",
                smi.as_secs_f64() * 1000.0,
            ));
        }
        Err(e) => println!("  (no NVML here: {e}; measuring the replay path only)"),
    }
    figures.push(Figure::alone(
        "sampler tick, replay, 8 GPUs × 4 processes (ms)",
        per_tick_ms,
        "ms",
    ));

    // GPU tab with one hour of 1 Hz history for 8 GPUs.
    let mut vm = ViewModel::default();
    let now = 1_800_000_000_000u64;
    for s in 0..3600u64 {
        let t = now - (3600 - s) * 1000;
        let gpus = (0..8)
            .map(|i| sample(i, s, if s == 3599 { 4 } else { 0 }))
            .collect();
        vm.apply(
            Event::GpuSample {
                ts_ms: t,
                gpus,
                error: None,
            },
            t,
        );
    }
    assert_eq!(vm.gpu.points(), 8 * 3600);
    let ctx = egui::Context::default();
    let commands = CommandSender::detached();
    let mut view = slate::ui::views::gpu::GpuView::default();
    let mut frame_ui = |ctx: &egui::Context| {
        let mut out = ctx.run_ui(common::window_input(), |ui| {
            let (mut pending, mut selected) = (Vec::new(), None);
            let mut vctx = ViewCtx {
                vm: &vm,
                commands: &commands,
                ui_commands: &mut pending,
                selected_task: &mut selected,
                now_ms: now,
                progress_expanded_for: 0,
            };
            egui::CentralPanel::default().show(ui, |ui| view.ui(ui, &mut vctx));
        });
        // Textures are a renderer's business; a headless frame drops them.
        out.textures_delta.clear();
        let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
    };
    for _ in 0..5 {
        frame_ui(&ctx);
    }
    let frames = if full { 300 } else { 10 };
    let mut times: Vec<f64> = (0..frames)
        .map(|_| {
            let t = thread_cpu();
            frame_ui(&ctx);
            (thread_cpu() - t).as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    figures.push(Figure::alone(
        "GPU tab frame p50, 8 GPUs × 1 h history, 5 min window (ms)",
        percentile(&times, 0.5),
        "ms",
    ));
    figures.push(Figure::alone(
        "GPU tab frame p99, 8 GPUs × 1 h history, 5 min window (ms)",
        percentile(&times, 0.99),
        "ms",
    ));
    common::write("gpu", &figures);
}
