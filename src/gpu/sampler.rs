//! The GPU sampler: its own thread, never the UI's. Each tick reads the GPUs (only the
//! fields in use), names and attributes their processes to tasks, and hands one
//! [`GpuTick`] to whoever listens (the UI, the runner). It also raises notifications
//! when a GPU runs hot, its memory is nearly full, a GPU disappears, or NVML fails.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::gpu::attribution::{TaskOwner, owner_of, process_name};
use crate::gpu::{Fields, GpuSample, GpuSource};

/// One reading, as sent to the UI and the runner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuTick {
    pub ts_ms: u64,
    pub gpus: Vec<GpuSample>,
    /// Why no GPU could be read (no driver, NVML error).
    pub error: Option<String>,
}

/// Something about the GPUs worth telling the user once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GpuAlert {
    Hot {
        index: u32,
        temp_c: u32,
    },
    MemoryFull {
        index: u32,
        used_mb: u64,
        total_mb: u64,
    },
    Lost {
        was: usize,
        now: usize,
    },
    Failed {
        error: String,
    },
}

pub enum SamplerMsg {
    Interval(Duration),
    HotThreshold(u32),
    /// The GPU tab is showing: read clocks, fan and processes.
    Detail(bool),
    /// Running tasks, for attribution (processes are read while any run).
    Owners(Vec<TaskOwner>),
    Stop,
}

#[derive(Clone)]
pub struct SamplerHandle(crossbeam_channel::Sender<SamplerMsg>);

impl SamplerHandle {
    pub fn send(&self, m: SamplerMsg) {
        self.0.send(m).ok();
    }

    /// A handle whose messages go nowhere (no sampler running).
    pub fn detached() -> Self {
        Self(crossbeam_channel::unbounded().0)
    }
}

pub fn channel() -> (SamplerHandle, crossbeam_channel::Receiver<SamplerMsg>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    (SamplerHandle(tx), rx)
}

/// Tracks alert conditions so each is raised once per change.
#[derive(Default)]
struct Alerts {
    hot: std::collections::BTreeSet<u32>,
    full: std::collections::BTreeSet<u32>,
    seen_gpus: usize,
    failing: bool,
}

impl Alerts {
    fn check(&mut self, tick: &GpuTick, hot_c: u32) -> Vec<GpuAlert> {
        let mut out = Vec::new();
        if let Some(e) = &tick.error {
            if !self.failing && self.seen_gpus > 0 {
                out.push(GpuAlert::Failed { error: e.clone() });
            }
            self.failing = true;
            return out;
        }
        self.failing = false;
        if tick.gpus.len() < self.seen_gpus {
            out.push(GpuAlert::Lost {
                was: self.seen_gpus,
                now: tick.gpus.len(),
            });
        }
        self.seen_gpus = tick.gpus.len();
        for g in &tick.gpus {
            let hot = g.temp_c.is_some_and(|t| t >= hot_c);
            if hot && self.hot.insert(g.index) {
                out.push(GpuAlert::Hot {
                    index: g.index,
                    temp_c: g.temp_c.unwrap_or(0),
                });
            } else if !hot && g.temp_c.is_some_and(|t| t + 5 < hot_c) {
                self.hot.remove(&g.index);
            }
            let full = g.mem_total_mb > 0 && g.mem_used_mb * 100 >= g.mem_total_mb * 95;
            if full && self.full.insert(g.index) {
                out.push(GpuAlert::MemoryFull {
                    index: g.index,
                    used_mb: g.mem_used_mb,
                    total_mb: g.mem_total_mb,
                });
            } else if !full && g.mem_used_mb * 100 < g.mem_total_mb * 90 {
                self.full.remove(&g.index);
            }
        }
        out
    }
}

/// One tick: read, then name and attribute processes.
pub fn tick(
    source: &mut dyn GpuSource,
    fields: Fields,
    owners: &[TaskOwner],
    proc_root: &Path,
) -> GpuTick {
    let ts_ms = crate::util::now_ms();
    match source.sample(fields) {
        Ok(mut gpus) => {
            for g in &mut gpus {
                for p in &mut g.processes {
                    if p.name.is_empty() {
                        p.name = process_name(proc_root, p.pid);
                    }
                    p.task = owner_of(proc_root, p.pid, owners);
                }
            }
            GpuTick {
                ts_ms,
                gpus,
                error: None,
            }
        }
        Err(error) => GpuTick {
            ts_ms,
            gpus: Vec::new(),
            error: Some(error),
        },
    }
}

/// Runs the sampler on its own thread until `Stop` (or every handle is dropped).
pub fn spawn(
    mut source: Box<dyn GpuSource>,
    rx: crossbeam_channel::Receiver<SamplerMsg>,
    mut interval: Duration,
    mut hot_c: u32,
    on_tick: impl Fn(GpuTick, Vec<GpuAlert>) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("slate-gpu".into())
        .spawn(move || {
            let mut detail = false;
            let mut owners: Vec<TaskOwner> = Vec::new();
            let mut alerts = Alerts::default();
            let mut next = Instant::now();
            loop {
                if Instant::now() >= next {
                    let fields = Fields {
                        detail,
                        processes: detail || !owners.is_empty(),
                    };
                    let t = tick(
                        source.as_mut(),
                        fields,
                        &owners,
                        Path::new(crate::platform::PROC_ROOT),
                    );
                    let raised = alerts.check(&t, hot_c);
                    let failed = t.error.is_some();
                    on_tick(t, raised);
                    // Without a driver there is nothing to watch closely.
                    next = Instant::now()
                        + if failed {
                            interval.max(Duration::from_secs(10))
                        } else {
                            interval
                        };
                }
                match rx.recv_timeout(next.saturating_duration_since(Instant::now())) {
                    Ok(SamplerMsg::Interval(d)) => {
                        interval = d.clamp(Duration::from_millis(250), Duration::from_secs(10));
                        next = Instant::now();
                    }
                    Ok(SamplerMsg::HotThreshold(c)) => hot_c = c,
                    Ok(SamplerMsg::Detail(on)) => {
                        if on && !detail {
                            next = Instant::now();
                        }
                        detail = on;
                    }
                    Ok(SamplerMsg::Owners(o)) => owners = o,
                    Ok(SamplerMsg::Stop)
                    | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                }
            }
        })
        .expect("spawn the GPU sampler")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_fire_once_per_change() {
        let mut a = Alerts::default();
        let hot = |t| GpuTick {
            ts_ms: 0,
            gpus: vec![GpuSample {
                index: 0,
                temp_c: Some(t),
                mem_total_mb: 100,
                mem_used_mb: 96,
                ..Default::default()
            }],
            error: None,
        };
        let first = a.check(&hot(90), 85);
        assert_eq!(first.len(), 2, "{first:?}");
        assert!(a.check(&hot(91), 85).is_empty(), "no repeat");
        assert!(
            a.check(
                &GpuTick {
                    ts_ms: 0,
                    gpus: vec![],
                    error: None
                },
                85
            )
            .contains(&GpuAlert::Lost { was: 1, now: 0 })
        );
    }
}
