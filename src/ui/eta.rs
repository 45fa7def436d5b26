//! Remaining-time estimates for running tasks, from history: the 75th percentile of past
//! runs of the same function and preset once 3 exist, blended with the task's own
//! progress rate. Never negative, never frozen.

/// Used until a function has this many finished runs.
pub const MIN_SAMPLES: usize = 3;
/// The fixed guess for a function with too little history (seconds).
pub const FIXED_ESTIMATE_S: f64 = 60.0;

/// 75th percentile of `sorted` run times (seconds); `None` with fewer than
/// [`MIN_SAMPLES`].
pub fn p75(sorted: &[f64]) -> Option<f64> {
    if sorted.len() < MIN_SAMPLES {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * 0.75).round() as usize;
    Some(sorted[i])
}

/// Seconds left for a task `elapsed_s` into its run: the history estimate (75th
/// percentile of past runs) or, with fewer than 3 runs, the fixed estimate, minus the
/// time already spent. A run that outlasts its estimate is extrapolated from its own
/// progress (or, with none reported, a tenth of its elapsed time), so the figure never
/// goes to zero, negative, or stops moving.
pub fn remaining_s(elapsed_s: f64, progress: f32, history_p75: Option<f64>) -> f64 {
    let elapsed = elapsed_s.max(0.0);
    let p = (progress as f64).clamp(0.0, 1.0);
    if p >= 1.0 {
        return 0.0;
    }
    let total = history_p75.filter(|h| *h > 0.0).unwrap_or(FIXED_ESTIMATE_S);
    let left = total - elapsed;
    if left >= 1.0 {
        return left;
    }
    let overdue = if p > 0.02 {
        elapsed * (1.0 - p) / p
    } else {
        elapsed * 0.1
    };
    overdue.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_needs_three_samples() {
        assert_eq!(p75(&[10.0, 20.0]), None);
        assert_eq!(p75(&[10.0, 20.0, 30.0, 40.0]), Some(30.0));
    }

    #[test]
    fn estimates_are_never_negative_or_frozen() {
        // No history, no progress: the fixed estimate counts down.
        assert_eq!(remaining_s(10.0, 0.0, None), 50.0);
        // Past the fixed estimate: still positive, and it grows with time.
        let a = remaining_s(100.0, 0.0, None);
        let b = remaining_s(200.0, 0.0, None);
        assert!(a >= 1.0 && b > a);
        // Until 3 runs exist the fixed estimate is used, whatever the progress.
        assert_eq!(remaining_s(10.0, 0.5, None), 50.0);
        // With history: its 75th percentile.
        assert_eq!(remaining_s(10.0, 0.5, Some(40.0)), 30.0);
        // Overdue against history: the run's own pace takes over.
        assert!((remaining_s(100.0, 0.8, Some(40.0)) - 25.0).abs() < 1e-3);
        assert_eq!(remaining_s(5.0, 1.0, Some(40.0)), 0.0);
        for e in [0.0, 1.0, 1e6] {
            for p in [0.0, 0.01, 0.5, 0.99] {
                for h in [None, Some(0.0), Some(5.0)] {
                    assert!(remaining_s(e, p, h) >= 1.0);
                }
            }
        }
    }
}
