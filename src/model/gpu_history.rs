//! GPU history for the UI: a bounded ring per GPU (1 h at 1 Hz), so memory stays flat
//! however long Slate runs.

use std::collections::VecDeque;

use crate::model::gpu::GpuSample;

/// Points kept per GPU.
pub const RING: usize = 3600;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct GpuPoint {
    /// Seconds since the Unix epoch.
    pub t_s: f64,
    pub util: f64,
    pub mem_used_mb: f64,
    pub temp_c: f64,
    pub power_w: f64,
}

#[derive(Clone, Debug, Default)]
pub struct GpuHistory {
    pub latest: Vec<GpuSample>,
    pub latest_ms: u64,
    pub error: Option<String>,
    rings: Vec<VecDeque<GpuPoint>>,
}

impl GpuHistory {
    pub fn push(&mut self, ts_ms: u64, gpus: Vec<GpuSample>) {
        let t_s = ts_ms as f64 / 1000.0;
        for g in &gpus {
            let i = g.index as usize;
            if self.rings.len() <= i {
                self.rings.resize_with(i + 1, VecDeque::new);
            }
            let ring = &mut self.rings[i];
            if ring.len() == RING {
                ring.pop_front();
            }
            ring.push_back(GpuPoint {
                t_s,
                util: g.util_gpu.unwrap_or(0) as f64,
                mem_used_mb: g.mem_used_mb as f64,
                temp_c: g.temp_c.unwrap_or(0) as f64,
                power_w: g.power_w.unwrap_or(0.0),
            });
        }
        self.rings
            .truncate(gpus.iter().map(|g| g.index as usize + 1).max().unwrap_or(0));
        self.latest = gpus;
        self.latest_ms = ts_ms;
        self.error = None;
    }

    pub fn ring(&self, index: u32) -> &VecDeque<GpuPoint> {
        static EMPTY: VecDeque<GpuPoint> = VecDeque::new();
        self.rings.get(index as usize).unwrap_or(&EMPTY)
    }

    pub fn points(&self) -> usize {
        self.rings.iter().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_stays_bounded() {
        let mut h = GpuHistory::default();
        let gpus: Vec<GpuSample> = (0..2)
            .map(|i| GpuSample {
                index: i,
                ..Default::default()
            })
            .collect();
        for t in 0..(RING as u64 * 3) {
            h.push(t * 1000, gpus.clone());
        }
        assert_eq!(h.ring(0).len(), RING);
        assert_eq!(h.ring(1).len(), RING);
        assert_eq!(h.points(), 2 * RING);
        assert_eq!(h.ring(0).front().unwrap().t_s, (RING * 2) as f64);
        // A GPU that disappears takes its history with it.
        h.push(0, gpus[..1].to_vec());
        assert_eq!(h.ring(1).len(), 0);
    }
}
