//! Coalesced repaints for core events. The core wakes the UI after every event; with
//! many tasks reporting progress that was a repaint per event and a whole CPU core on a
//! software renderer. The waker here repaints at once when the window has not been woken
//! for [`MIN_INTERVAL`], and otherwise asks for one repaint at the end of that interval,
//! which egui merges with any other pending request: at most ~10 repaints a second
//! however many events arrive, and a lone event (a reply to a click) is shown at once.
//! An event about one task's progress or log wakes the window only while it draws that
//! task ([`ShownTasks`]): a hundred tasks scrolled out of sight cost no frames.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::api::events::Wake;
use crate::model::task::TaskId;

/// The tasks whose progress, stage or live log the window drew in its last frame.
#[derive(Clone, Default)]
pub struct ShownTasks(Arc<Mutex<HashSet<TaskId>>>);

impl ShownTasks {
    pub fn contains(&self, id: TaskId) -> bool {
        self.0.lock().is_ok_and(|s| s.contains(&id))
    }

    /// Ends a frame: the tasks marked in it (see [`mark_shown`]) are now the shown ones.
    pub fn publish(&self, ctx: &egui::Context) {
        let drawn = ctx
            .data_mut(|d| d.remove_temp::<DrawnTasks>(drawn_id()))
            .unwrap_or_default();
        if let Ok(mut s) = self.0.lock() {
            *s = drawn.0;
        }
    }

    /// The tasks shown now (tests).
    pub fn ids(&self) -> HashSet<TaskId> {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Tasks marked during the frame being laid out.
#[derive(Clone, Default)]
struct DrawnTasks(HashSet<TaskId>);

fn drawn_id() -> egui::Id {
    egui::Id::unique("slate_drawn_tasks")
}

/// Says that `rect` draws task `id`'s progress, stage or log: its events repaint the
/// window while the rect is on screen.
pub fn mark_shown(ui: &egui::Ui, rect: egui::Rect, id: TaskId) {
    if ui.is_rect_visible(rect) {
        ui.ctx().data_mut(|d| {
            d.get_temp_mut_or_default::<DrawnTasks>(drawn_id())
                .0
                .insert(id);
        });
    }
}

/// The waker the window gives the core: [`Wake::IfShown`] only for a task on screen,
/// everything else coalesced by [`coalescing_waker`].
pub fn window_waker(ctx: egui::Context, shown: ShownTasks) -> crate::core::Waker {
    only_shown(shown, coalescing_waker(ctx))
}

/// `wake`, for the events that change what the window shows.
fn only_shown(shown: ShownTasks, wake: crate::core::Waker) -> crate::core::Waker {
    Arc::new(move |w| match w {
        Wake::IfShown(id) if !shown.contains(id) => {}
        Wake::Never => {}
        _ => wake(Wake::Always),
    })
}

/// The shortest time between two event-driven repaints (10 per second).
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// The waker the window gives the core (and benches measure).
pub fn coalescing_waker(ctx: egui::Context) -> crate::core::Waker {
    let start = Instant::now();
    let interval = MIN_INTERVAL.as_millis() as u64;
    // When (ms since `start`) the latest repaint we asked for happens; it may lie in the
    // future when one is scheduled. Starts a whole interval back so the first is at once.
    let last = Arc::new(AtomicU64::new(0));
    Arc::new(move |_| {
        let now = start.elapsed().as_millis() as u64 + interval;
        let mut prev = last.load(Ordering::Relaxed);
        loop {
            let (at, next) = if now >= prev + interval {
                (now, now)
            } else if prev > now {
                // One is already scheduled: ask again (egui merges requests), as a frame
                // painted since may have consumed the earlier request.
                return ctx.request_repaint_after(Duration::from_millis(prev - now));
            } else {
                (prev + interval, prev + interval)
            };
            match last.compare_exchange(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) if at == now => return ctx.request_repaint(),
                Ok(_) => return ctx.request_repaint_after(Duration::from_millis(at - now)),
                Err(seen) => prev = seen,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn a_burst_of_events_wakes_the_window_once() {
        let ctx = egui::Context::default();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let a = asked.clone();
        ctx.set_request_repaint_callback(move |info| a.lock().unwrap().push(info.delay));
        let wake = coalescing_waker(ctx.clone());
        for _ in 0..1000 {
            wake(Wake::Always);
        }
        let asked = asked.lock().unwrap();
        // One immediate wake; the later ones are merged into the pending repaint.
        assert!(asked.len() <= 2, "{} wakes for one burst", asked.len());
        assert_eq!(asked[0], Duration::ZERO);
    }

    #[test]
    fn progress_of_a_task_not_on_screen_does_not_wake_the_window() {
        let ctx = egui::Context::default();
        let asked = Arc::new(Mutex::new(0usize));
        let a = asked.clone();
        let shown = ShownTasks::default();
        let wake = only_shown(shown.clone(), Arc::new(move |_| *a.lock().unwrap() += 1));
        // A frame that draws task 2 in view and task 3 far below the screen.
        ctx.run_ui(egui::RawInput::default(), |ui| {
            mark_shown(
                ui,
                egui::Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(50.0, 10.0)),
                2,
            );
            mark_shown(
                ui,
                egui::Rect::from_min_size(egui::pos2(0.0, 1e5), egui::vec2(50.0, 10.0)),
                3,
            );
        })
        .textures_delta
        .clear();
        shown.publish(&ctx);
        assert_eq!(shown.ids(), HashSet::from([2]));
        let before = *asked.lock().unwrap();
        wake(Wake::IfShown(3));
        wake(Wake::IfShown(9));
        wake(Wake::Never);
        assert_eq!(
            *asked.lock().unwrap(),
            before,
            "woken for a task not on screen"
        );
        wake(Wake::IfShown(2));
        assert!(
            *asked.lock().unwrap() > before,
            "not woken for a task on screen"
        );
    }
}
