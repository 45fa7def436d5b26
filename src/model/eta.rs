//! Remaining-time estimates for running tasks: the one ETA function shared by the
//! runner (which sends it to the CLI in `task.progress`) and the window.
//!
//! Once a task reports progress its own pace drives the estimate, blended with the
//! history of the same function and preset, with [`similar_inputs`], when at least
//! [`MIN_SAMPLES`] such runs exist.
//! Before the first report only history can say anything; with no history the answer is
//! "unknown" rather than a made-up figure. A task that names its stages is estimated by
//! the pace of the stage it is in ([`remaining_in_stage`]).

/// A function needs this many finished runs before its history is trusted.
pub const MIN_SAMPLES: usize = 3;

/// Whether a past run's inputs are near enough to `now`'s for its run time to say
/// something about this one: the same choices and switches, and every number within a
/// factor of two (1,000 steps is not 10). Free text (a prompt), file paths and seeds do
/// not decide how long a run takes, so they are not compared; nor is an input only one
/// side names.
pub fn similar_inputs(
    past: &std::collections::BTreeMap<String, serde_json::Value>,
    now: &std::collections::BTreeMap<String, serde_json::Value>,
) -> bool {
    use serde_json::Value;
    fn number(v: &Value) -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    fn free_text(v: &Value) -> bool {
        v.as_str().is_some_and(|s| {
            s.len() > 32 || s.contains(|c: char| c.is_whitespace() || c == '/' || c == '\\')
        })
    }
    now.iter().all(|(name, b)| {
        let Some(a) = past.get(name) else {
            return true;
        };
        if name == "seed" || free_text(a) || free_text(b) {
            return true;
        }
        match (number(a), number(b)) {
            (Some(x), Some(y)) if x == y => true,
            (Some(x), Some(y)) => {
                let (lo, hi) = (x.abs().min(y.abs()), x.abs().max(y.abs()));
                x.signum() == y.signum() && lo > 0.0 && hi <= 2.0 * lo
            }
            _ => a == b,
        }
    })
}

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
    blend(elapsed * (1.0 - p) / p, p, history)
}

/// Where a task's current stage began: seconds into its run, and its progress then.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageMark {
    pub since_s: f64,
    pub progress: f32,
}

/// [`remaining_s`] for a task in a named stage that began at `stage`: once the stage has
/// made some progress, its own pace drives the figure, so a slow first stage (loading a
/// model) does not make the next one (sampling) look slow, nor a fast one fast.
pub fn remaining_in_stage(
    elapsed_s: f64,
    progress: f32,
    stage: Option<StageMark>,
    history_p75: Option<f64>,
) -> Option<f64> {
    let p = f64::from(progress).clamp(0.0, 1.0);
    if let Some(m) = stage
        && m.progress > 0.0
        && p < 1.0
    {
        let done_in_stage = p - f64::from(m.progress);
        let time_in_stage = elapsed_s - m.since_s;
        if done_in_stage >= 0.01 && time_in_stage >= 0.5 {
            let own = time_in_stage * (1.0 - p) / done_in_stage;
            return blend(own, p, history_p75.filter(|h| *h > 0.0));
        }
    }
    remaining_s(elapsed_s, progress, history_p75)
}

/// The task's own figure, blended with history scaled to the work left. The task's own
/// pace weighs more as it advances (half at the start, all of it at the end), because it
/// is measured on these inputs.
fn blend(own: f64, p: f64, history: Option<f64>) -> Option<f64> {
    let Some(h) = history else {
        return Some(own.max(0.0));
    };
    let w = 0.5 + 0.5 * p;
    Some((w * own + (1.0 - w) * h * (1.0 - p)).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_counts_only_runs_with_similar_inputs() {
        let inputs = |pairs: &[(&str, serde_json::Value)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let now = inputs(&[
            ("steps", 1000.into()),
            ("size", "1080p".into()),
            ("prompt", "a cat on a wall at dusk".into()),
            ("seed", 7.into()),
            ("image", "in/a.png".into()),
        ]);
        let near = inputs(&[
            ("steps", "800".into()),
            ("size", "1080p".into()),
            ("image", "in/b.png".into()),
            ("prompt", "a dog".into()),
            ("seed", 99.into()),
        ]);
        assert!(similar_inputs(&near, &now));
        let fewer_steps = inputs(&[("steps", 10.into()), ("size", "1080p".into())]);
        assert!(!similar_inputs(&fewer_steps, &now));
        let other_size = inputs(&[("steps", 1000.into()), ("size", "4k".into())]);
        assert!(!similar_inputs(&other_size, &now));
        assert!(!similar_inputs(
            &inputs(&[("interval", 0.into())]),
            &inputs(&[("interval", 1.into())])
        ));
        assert!(similar_inputs(&inputs(&[]), &now));
    }

    #[test]
    fn a_stage_is_estimated_by_its_own_pace() {
        // 30 s loading a model took it to 10 %; then sampling went 10 % → 20 % in 2 s.
        // The whole run's pace says 3 min; the sampling stage's says 16 s.
        let mark = StageMark {
            since_s: 30.0,
            progress: 0.1,
        };
        let overall = remaining_s(32.0, 0.2, None).unwrap();
        let staged = remaining_in_stage(32.0, 0.2, Some(mark), None).unwrap();
        assert!((overall - 128.0).abs() < 0.5, "{overall}");
        assert!((staged - 16.0).abs() < 0.5, "{staged}");
        // Too little of the stage yet (no progress, or under half a second): the
        // whole run's figure stands.
        assert_eq!(
            remaining_in_stage(30.2, 0.2, Some(mark), None),
            remaining_s(30.2, 0.2, None)
        );
        assert_eq!(
            remaining_in_stage(40.0, 0.1, Some(mark), None),
            remaining_s(40.0, 0.1, None)
        );
        // A stage that began at 0 % is the whole run.
        let from_start = StageMark {
            since_s: 0.0,
            progress: 0.0,
        };
        assert_eq!(
            remaining_in_stage(10.0, 0.5, Some(from_start), None),
            remaining_s(10.0, 0.5, None)
        );
        assert_eq!(remaining_in_stage(10.0, 1.0, Some(mark), None), Some(0.0));
    }

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
