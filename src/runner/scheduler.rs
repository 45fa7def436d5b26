//! Placement policy: which host and GPU a queued task runs on, or why it waits. Pure
//! (no I/O, no clock): the runner hands it what it knows about hosts and running tasks,
//! so every decision and every waiting reason is unit-tested here without an engine.

pub use crate::model::gpu::LOCAL;
pub use crate::model::gpu::gb;

/// One GPU of a host as the scheduler sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuSlot {
    pub index: u32,
    pub total_mb: u64,
    /// Free VRAM as last measured; `None` when the host reports no live readings (a
    /// remote engine with declared GPUs): then only Slate's own reservations count.
    pub free_mb: Option<u64>,
}

/// Whether a host can take work now.
#[derive(Clone, Debug, PartialEq)]
pub enum Reach {
    Up,
    /// Not reachable; the reason in plain words ("connection refused").
    Down(String),
    /// No reading yet (just configured, or Slate just started).
    Unknown,
}

/// A host with its GPUs. The local host comes first in every list.
#[derive(Clone, Debug, PartialEq)]
pub struct HostView {
    pub name: String,
    pub reach: Reach,
    /// Last known GPUs (kept while the host is down, so "never fits" stays decidable).
    pub gpus: Vec<GpuSlot>,
    /// Why the host shows no GPUs, when it shows none ("no NVIDIA driver").
    pub no_gpu_reason: Option<String>,
}

/// A task already placed and still running: what it holds on which GPU.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub host: String,
    pub gpu: u32,
    /// VRAM it was admitted with, and what its processes hold now (measured; 0 when
    /// unknown). Only the part not yet allocated is subtracted from a measured free.
    pub reserved_mb: u64,
    pub used_mb: u64,
}

/// What a queued task asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Need {
    pub vram_mb: u64,
    /// GPUs it needs on one host (0: a CPU task).
    pub gpus: u32,
    /// Run only on this host.
    pub host: Option<String>,
}

/// The scheduler's answer for one task.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Run on this host, on these GPUs, reserving `reserved_mb` on each.
    On {
        host: String,
        gpus: Vec<u32>,
        reserved_mb: u64,
    },
    /// Not now; the reason is shown on the task.
    Wait(String),
    /// Never on the hosts there are: the task fails with the reason.
    Never(String),
}

/// Chooses where a task runs: the host (preferred one, or any) whose GPUs have the most
/// headroom that fits `need.vram_mb` plus `headroom_mb`, counting what `placed` tasks
/// reserved and have not allocated yet. Ties go to the earlier host (local first).
pub fn place(need: &Need, hosts: &[HostView], placed: &[Placed], headroom_mb: u64) -> Decision {
    let candidates: Vec<&HostView> = match &need.host {
        Some(want) => match hosts.iter().find(|h| &h.name == want) {
            Some(h) => vec![h],
            None => {
                return Decision::Never(format!(
                    "no Docker host named {want:?}: add it in Settings → Runner, or run the task on another host"
                ));
            }
        },
        None => hosts.iter().collect(),
    };
    if need.gpus == 0 {
        // A CPU task runs where it is sent, or here.
        let host = candidates.first().copied();
        return match host {
            None => Decision::Never("no host to run on".into()),
            Some(h) => match &h.reach {
                Reach::Up => Decision::On {
                    host: h.name.clone(),
                    gpus: Vec::new(),
                    reserved_mb: 0,
                },
                Reach::Down(why) => Decision::Wait(format!("waiting for {}: {why}", h.name)),
                Reach::Unknown => {
                    Decision::Wait(format!("waiting for {}: not checked yet", h.name))
                }
            },
        };
    }
    let n = need.gpus as usize;
    let fits_ever = |h: &HostView| {
        let mut totals: Vec<u64> = h.gpus.iter().map(|g| g.total_mb).collect();
        totals.sort_unstable_by(|a, b| b.cmp(a));
        totals.len() >= n && totals[n - 1] >= need.vram_mb + headroom_mb
    };
    // "Never" only when every host's GPUs are known and none could ever hold it.
    let undecided = candidates
        .iter()
        .any(|h| h.gpus.is_empty() && h.reach != Reach::Up);
    if !undecided && !candidates.iter().any(|h| fits_ever(h)) {
        let gpu_hosts: Vec<&&HostView> = candidates.iter().filter(|h| !h.gpus.is_empty()).collect();
        if gpu_hosts.is_empty() {
            let why: Vec<String> = candidates
                .iter()
                .map(|h| match &h.no_gpu_reason {
                    Some(r) => format!("{}: {r}", h.name),
                    None => format!("{} has no GPU", h.name),
                })
                .collect();
            return Decision::Never(format!("this task needs a GPU: {}", why.join("; ")));
        }
        let largest = gpu_hosts
            .iter()
            .flat_map(|h| h.gpus.iter().map(|g| g.total_mb))
            .max()
            .unwrap_or(0);
        if n == 1 || largest < need.vram_mb + headroom_mb {
            return Decision::Never(format!(
                "needs {} MiB of VRAM (+{headroom_mb} MiB headroom) but the largest GPU has {largest} MiB",
                need.vram_mb
            ));
        }
        let most = gpu_hosts.iter().map(|h| h.gpus.len()).max().unwrap_or(0);
        return Decision::Never(format!(
            "needs {n} GPUs with {} MiB each (+{headroom_mb} MiB headroom) on one host, but no host has that many (most: {most})",
            need.vram_mb
        ));
    }
    // Free VRAM per GPU of each reachable host, after reservations and headroom.
    let mut best: Option<(u64, &HostView, Vec<u32>)> = None;
    let mut said = Vec::new();
    for h in &candidates {
        match &h.reach {
            Reach::Down(_) => {
                said.push(format!("{} is unreachable", h.name));
                continue;
            }
            Reach::Unknown => {
                said.push(format!("{} has no reading yet", h.name));
                continue;
            }
            Reach::Up => {}
        }
        if h.gpus.is_empty() {
            said.push(match &h.no_gpu_reason {
                Some(r) => format!("{} has no GPU ({r})", h.name),
                None => format!("{} has no GPU", h.name),
            });
            continue;
        }
        let mut free: Vec<(u64, u32)> = h
            .gpus
            .iter()
            .map(|g| (free_on(h, g, placed).saturating_sub(headroom_mb), g.index))
            .collect();
        // Most headroom first; the lower index first among equals.
        free.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let score = free.get(n - 1).map(|f| f.0).unwrap_or(0);
        let shown = if n == 1 {
            gb(free[0].0)
        } else {
            format!("{} on its {n} freest GPUs", gb(score))
        };
        said.push(format!("{} has {shown}", h.name));
        if free.len() >= n && score >= need.vram_mb && best.as_ref().is_none_or(|b| score > b.0) {
            let mut gpus: Vec<u32> = free[..n].iter().map(|f| f.1).collect();
            gpus.sort_unstable();
            best = Some((score, h, gpus));
        }
    }
    match best {
        Some((_, h, gpus)) => Decision::On {
            host: h.name.clone(),
            gpus,
            reserved_mb: need.vram_mb,
        },
        None => {
            let what = if n == 1 {
                format!("{} free", gb(need.vram_mb))
            } else {
                format!("{n} GPUs with {} free", gb(need.vram_mb))
            };
            Decision::Wait(format!(
                "waiting for VRAM: no host has {what}: {}",
                said.join(", ")
            ))
        }
    }
}

/// Free VRAM on one GPU before headroom: measured free less what running tasks reserved
/// and have not allocated yet, or (unmeasured) the total less every reservation.
fn free_on(h: &HostView, g: &GpuSlot, placed: &[Placed]) -> u64 {
    let here = placed
        .iter()
        .filter(|p| p.host == h.name && p.gpu == g.index);
    match g.free_mb {
        Some(free) => free.saturating_sub(
            here.map(|p| p.reserved_mb.saturating_sub(p.used_mb))
                .sum::<u64>(),
        ),
        None => g
            .total_mb
            .saturating_sub(here.map(|p| p.reserved_mb.max(p.used_mb)).sum::<u64>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(index: u32, total_gb: u64, free_gb: f64) -> GpuSlot {
        GpuSlot {
            index,
            total_mb: total_gb * 1024,
            free_mb: Some((free_gb * 1024.0) as u64),
        }
    }

    fn host(name: &str, gpus: Vec<GpuSlot>) -> HostView {
        HostView {
            name: name.into(),
            reach: Reach::Up,
            gpus,
            no_gpu_reason: None,
        }
    }

    fn down(name: &str, why: &str) -> HostView {
        HostView {
            reach: Reach::Down(why.into()),
            ..host(name, vec![])
        }
    }

    fn need(gb: u64) -> Need {
        Need {
            vram_mb: gb * 1024,
            gpus: 1,
            host: None,
        }
    }

    #[test]
    fn picks_the_gpu_with_the_most_headroom_across_hosts() {
        let hosts = [
            host("local", vec![gpu(0, 24, 4.0), gpu(1, 24, 10.0)]),
            host("box-a", vec![gpu(0, 48, 30.0), gpu(1, 48, 20.0)]),
        ];
        let d = place(&need(8), &hosts, &[], 0);
        assert_eq!(
            d,
            Decision::On {
                host: "box-a".into(),
                gpus: vec![0],
                reserved_mb: 8 * 1024
            }
        );
    }

    #[test]
    fn ties_go_to_the_local_host_and_the_lower_index() {
        let hosts = [
            host("local", vec![gpu(0, 24, 20.0), gpu(1, 24, 20.0)]),
            host("box-a", vec![gpu(0, 24, 20.0)]),
        ];
        match place(&need(8), &hosts, &[], 0) {
            Decision::On { host, gpus, .. } => {
                assert_eq!(host, "local");
                assert_eq!(gpus, vec![0]);
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn reservations_not_yet_allocated_count_against_measured_free() {
        let hosts = [host("local", vec![gpu(0, 24, 20.0), gpu(1, 24, 12.0)])];
        // GPU 0 has a task admitted with 16 GB that has allocated only 2 so far.
        let placed = [Placed {
            host: "local".into(),
            gpu: 0,
            reserved_mb: 16 * 1024,
            used_mb: 2 * 1024,
        }];
        match place(&need(8), &hosts, &placed, 0) {
            Decision::On { gpus, .. } => assert_eq!(gpus, vec![1], "GPU 0 has only 6 GB left"),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn unmeasured_gpus_count_every_reservation_against_their_total() {
        let mut remote = host("box-b", vec![]);
        remote.gpus = vec![GpuSlot {
            index: 0,
            total_mb: 24 * 1024,
            free_mb: None,
        }];
        let placed = [Placed {
            host: "box-b".into(),
            gpu: 0,
            reserved_mb: 20 * 1024,
            used_mb: 0,
        }];
        let d = place(&need(8), &[remote.clone()], &placed, 0);
        assert_eq!(
            d,
            Decision::Wait("waiting for VRAM: no host has 8.0 GiB free: box-b has 4.0 GiB".into())
        );
        assert!(matches!(
            place(&need(8), &[remote], &[], 0),
            Decision::On { .. }
        ));
    }

    #[test]
    fn the_waiting_reason_names_every_host_in_plain_words() {
        let hosts = [
            host("local", vec![]),
            host("box-a", vec![gpu(0, 24, 11.2)]),
            down("box-b", "connection refused"),
        ];
        let d = place(&need(24), &hosts, &[], 0);
        assert_eq!(
            d,
            Decision::Wait(
                "waiting for VRAM: no host has 24.0 GiB free: local has no GPU, box-a has 11.2 GiB, box-b is unreachable"
                    .into()
            )
        );
    }

    #[test]
    fn headroom_is_kept_free_on_every_gpu() {
        let hosts = [host("local", vec![gpu(0, 24, 8.5)])];
        assert!(matches!(
            place(&need(8), &hosts, &[], 0),
            Decision::On { .. }
        ));
        assert!(matches!(
            place(&need(8), &hosts, &[], 1024),
            Decision::Wait(_)
        ));
    }

    #[test]
    fn a_task_larger_than_every_gpu_never_fits() {
        let hosts = [
            host("local", vec![gpu(0, 24, 24.0)]),
            host("box-a", vec![gpu(0, 16, 16.0)]),
        ];
        match place(&need(30), &hosts, &[], 512) {
            Decision::Never(why) => {
                assert!(why.contains("largest GPU has 24576 MiB"), "{why}")
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn an_unreachable_host_of_unknown_size_keeps_the_task_waiting() {
        let hosts = [
            host("local", vec![gpu(0, 8, 8.0)]),
            down("box-b", "timed out"),
        ];
        match place(&need(30), &hosts, &[], 0) {
            Decision::Wait(why) => assert!(why.contains("box-b is unreachable"), "{why}"),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn no_gpu_anywhere_fails_with_each_hosts_reason() {
        let mut local = host("local", vec![]);
        local.no_gpu_reason = Some("no NVIDIA driver (libnvidia-ml.so.1 not found)".into());
        match place(&need(1), &[local], &[], 0) {
            Decision::Never(why) => {
                assert!(why.starts_with("this task needs a GPU"), "{why}");
                assert!(why.contains("libnvidia-ml"), "{why}");
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn multi_gpu_tasks_need_that_many_fitting_gpus_on_one_host() {
        let hosts = [
            host("local", vec![gpu(0, 24, 20.0), gpu(1, 24, 4.0)]),
            host(
                "box-a",
                vec![gpu(0, 24, 12.0), gpu(1, 24, 16.0), gpu(2, 24, 1.0)],
            ),
        ];
        let two = Need {
            gpus: 2,
            ..need(10)
        };
        match place(&two, &hosts, &[], 0) {
            Decision::On { host, gpus, .. } => {
                assert_eq!(host, "box-a");
                assert_eq!(gpus, vec![0, 1]);
            }
            d => panic!("{d:?}"),
        }
        let four = Need {
            gpus: 4,
            ..need(10)
        };
        match place(&four, &hosts, &[], 0) {
            Decision::Never(why) => assert!(why.contains("most: 3"), "{why}"),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn a_preferred_host_is_used_or_waited_for() {
        let hosts = [
            host("local", vec![gpu(0, 48, 48.0)]),
            down("box-b", "ssh: connection refused"),
        ];
        let on_b = Need {
            host: Some("box-b".into()),
            ..need(8)
        };
        assert_eq!(
            place(&on_b, &hosts, &[], 0),
            Decision::Wait(
                "waiting for VRAM: no host has 8.0 GiB free: box-b is unreachable".into()
            )
        );
        let cpu_on_b = Need {
            gpus: 0,
            ..on_b.clone()
        };
        assert_eq!(
            place(&cpu_on_b, &hosts, &[], 0),
            Decision::Wait("waiting for box-b: ssh: connection refused".into())
        );
        let nowhere = Need {
            host: Some("box-z".into()),
            ..need(1)
        };
        assert!(
            matches!(place(&nowhere, &hosts, &[], 0), Decision::Never(w) if w.contains("box-z"))
        );
    }

    #[test]
    fn cpu_tasks_run_locally_unless_sent_elsewhere() {
        let hosts = [host("local", vec![]), host("box-a", vec![])];
        let d = place(&Need::default(), &hosts, &[], 0);
        assert_eq!(
            d,
            Decision::On {
                host: "local".into(),
                gpus: vec![],
                reserved_mb: 0
            }
        );
        let on_a = Need {
            host: Some("box-a".into()),
            ..Need::default()
        };
        assert!(
            matches!(place(&on_a, &hosts, &[], 0), Decision::On { host, .. } if host == "box-a")
        );
    }

    #[test]
    fn placing_many_tasks_spreads_them_by_headroom() {
        // 3 hosts × 8 GPUs; each decision is recorded as placed, as the runner does.
        let hosts: Vec<HostView> = ["local", "box-a", "box-b"]
            .iter()
            .map(|n| host(n, (0..8).map(|i| gpu(i, 24, 24.0)).collect()))
            .collect();
        let mut placed = Vec::new();
        for _ in 0..24 * 2 {
            match place(&need(10), &hosts, &placed, 0) {
                Decision::On {
                    host,
                    gpus,
                    reserved_mb,
                } => placed.push(Placed {
                    host,
                    gpu: gpus[0],
                    reserved_mb,
                    used_mb: 0,
                }),
                d => panic!("{d:?}"),
            }
        }
        // Two 10 GB tasks fit on each 24 GB card; the 49th waits.
        assert!(matches!(
            place(&need(10), &hosts, &placed, 0),
            Decision::Wait(_)
        ));
        for h in ["local", "box-a", "box-b"] {
            for g in 0..8 {
                let n = placed.iter().filter(|p| p.host == h && p.gpu == g).count();
                assert_eq!(n, 2, "{h} GPU {g}");
            }
        }
    }
}
