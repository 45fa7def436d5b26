//! Coalesced repaints for core events. The core wakes the UI after every event; with
//! many tasks reporting progress that was a repaint per event and a whole CPU core on a
//! software renderer. The waker here repaints at once when the window has not been woken
//! for [`MIN_INTERVAL`], and otherwise asks for one repaint at the end of that interval,
//! which egui merges with any other pending request: at most ~10 repaints a second
//! however many events arrive, and a lone event (a reply to a click) is shown at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The shortest time between two event-driven repaints (10 per second).
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// The waker the window gives the core (and benches measure).
pub fn coalescing_waker(ctx: egui::Context) -> crate::core::Waker {
    let start = Instant::now();
    let interval = MIN_INTERVAL.as_millis() as u64;
    // When (ms since `start`) the latest repaint we asked for happens; it may lie in the
    // future when one is scheduled. Starts a whole interval back so the first is at once.
    let last = Arc::new(AtomicU64::new(0));
    Arc::new(move || {
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
            wake();
        }
        let asked = asked.lock().unwrap();
        // One immediate wake; the later ones are merged into the pending repaint.
        assert!(asked.len() <= 2, "{} wakes for one burst", asked.len());
        assert_eq!(asked[0], Duration::ZERO);
    }
}
