//! Remaining-time estimates for running tasks: the one ETA function shared by the
//! runner (which sends it to the CLI in `task.progress`) and the window.
//!
//! Once a task reports progress its own pace drives the estimate, blended with the
//! history of the same function and preset when at least [`MIN_SAMPLES`] runs exist.
//! Before the first report only history can say anything; with no history the answer is
//! "unknown" rather than a made-up figure.

/// A function needs this many finished runs before its history is trusted.
pub const MIN_SAMPLES: usize = 3;

/// 75th percentile of `sorted` run times (seconds); `None` with fewer than
/// [`MIN_SAMPLES`].
pub fn p75(sorted: &[f64]) -> Option<f64> {
    if sorted.len() < MIN_SAMPLES {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * 0.75).round() as usize;
    Some(sorted[i])
}

/// Seconds left for a task `elapsed_s` into its run, at `progress` (0 = nothing reported
/// yet), given the 75th-percentile run time of comparable past runs. `None` when there is
/// nothing to base a figure on. Never negative; a stalled task's figure keeps growing.
pub fn remaining_s(elapsed_s: f64, progress: f32, history_p75: Option<f64>) -> Option<f64> {
    let elapsed = elapsed_s.max(0.0);
    let p = f64::from(progress).clamp(0.0, 1.0);
    if p >= 1.0 {
        return Some(0.0);
    }
    let history = history_p75.filter(|h| *h > 0.0);
    if p <= 0.0 {
        // No report yet: history alone; once past it, a tenth of the time spent so the
        // figure still moves.
        return history.map(|h| (h - elapsed).max(elapsed * 0.1).max(1.0));
    }
    let own = elapsed * (1.0 - p) / p;
    let Some(h) = history else {
        return Some(own.max(0.0));
    };
    // History scaled to the work left; the task's own pace weighs more as it advances
    // (half at the start, all of it at the end), because it is measured on these inputs.
    let from_history = h * (1.0 - p);
    let w = 0.5 + 0.5 * p;
    Some((w * own + (1.0 - w) * from_history).max(0.0))
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
    fn the_tasks_own_pace_drives_the_estimate_as_soon_as_it_reports() {
        // The cases from issue 13: 58% after 17 s is about 12 s left, not "60 − 17".
        let left = remaining_s(17.0, 0.58, None).unwrap();
        assert!((left - 12.31).abs() < 0.1, "{left}");
        // A 1000-step job at 1% after 10 s has about 990 s to go, not 50.
        let left = remaining_s(10.0, 0.01, None).unwrap();
        assert!((left - 990.0).abs() < 1.0, "{left}");
        // A fast job with slow history: its own pace pulls the figure well below history.
        let left = remaining_s(5.0, 0.5, Some(100.0)).unwrap();
        assert!(left < 40.0 && left > 5.0, "{left}");
    }

    #[test]
    fn history_alone_only_before_the_first_report() {
        assert_eq!(remaining_s(10.0, 0.0, None), None);
        assert_eq!(remaining_s(10.0, 0.0, Some(40.0)), Some(30.0));
        // Past its history, the figure still grows with time.
        let a = remaining_s(100.0, 0.0, Some(40.0)).unwrap();
        let b = remaining_s(200.0, 0.0, Some(40.0)).unwrap();
        assert!(a >= 1.0 && b > a);
        assert_eq!(remaining_s(5.0, 1.0, Some(40.0)), Some(0.0));
    }

    #[test]
    fn estimates_are_never_negative_and_a_stalled_task_keeps_moving() {
        for e in [0.0, 1.0, 1e6] {
            for p in [0.0, 0.01, 0.5, 0.99] {
                for h in [None, Some(0.0), Some(5.0)] {
                    assert!(remaining_s(e, p, h).is_none_or(|s| s >= 0.0));
                }
            }
        }
        let a = remaining_s(10.0, 0.2, Some(30.0)).unwrap();
        let b = remaining_s(20.0, 0.2, Some(30.0)).unwrap();
        assert!(b > a);
    }
}
