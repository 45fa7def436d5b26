//! How engines announce: every event to the owner's window (a channel and a waker),
//! to the API's bus, and to the flows between engines (a tap).

use std::sync::Arc;

use crate::api::events::{Event, Wake};

/// Called after each event that may change what the window draws, so an idle window
/// wakes up (`egui::Context::request_repaint`); it decides what [`Wake::IfShown`] means.
pub type Waker = Arc<dyn Fn(Wake) + Send + Sync>;

/// The core's way to talk to the UI: a channel plus a waker, and the API's event bus
/// (numbered, journaled, broadcast to every client).
#[derive(Clone)]
pub struct EventSink {
    tx: crossbeam_channel::Sender<Event>,
    waker: Waker,
    bus: Option<Arc<crate::api::bus::Bus>>,
    tap: Option<Tap>,
}

/// Sees every event before it goes out (flows between engines hook in here).
pub type Tap = Arc<dyn Fn(&Event) + Send + Sync>;

impl EventSink {
    pub fn new(tx: crossbeam_channel::Sender<Event>, waker: Waker) -> Self {
        Self {
            tx,
            waker,
            bus: None,
            tap: None,
        }
    }

    /// Also shows every event to `tap` first.
    pub fn with_tap(mut self, tap: Tap) -> Self {
        self.tap = Some(tap);
        self
    }

    /// Also publishes every event on `bus`.
    pub fn with_bus(mut self, bus: Arc<crate::api::bus::Bus>) -> Self {
        self.bus = Some(bus);
        self
    }

    pub fn emit(&self, event: Event) {
        if let Some(tap) = &self.tap {
            tap(&event);
        }
        if let Some(bus) = &self.bus {
            bus.publish(&event);
        }
        deliver(&self.tx, &self.waker, event);
    }
}

/// Sends `event` to the window, and wakes it when the event may change what it draws.
pub fn deliver(tx: &crossbeam_channel::Sender<Event>, waker: &Waker, event: Event) {
    let wake = event.wake();
    if tx.send(event).is_ok() && wake != Wake::Never {
        waker(wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_gpu_sample_does_not_wake_the_window_and_a_task_event_does() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let woken = Arc::new(AtomicUsize::new(0));
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (w, a) = (woken.clone(), asked.clone());
        let sink = EventSink::new(
            tx,
            Arc::new(move |wake| {
                w.fetch_add(1, Ordering::Relaxed);
                a.lock().unwrap().push(wake);
            }),
        );
        sink.emit(Event::GpuSample {
            ts_ms: 1,
            gpus: vec![],
            error: None,
        });
        assert_eq!(woken.load(Ordering::Relaxed), 0);
        sink.emit(Event::QueuePaused { paused: true });
        assert_eq!(woken.load(Ordering::Relaxed), 1);
        // Progress asks the window whether it shows that task.
        sink.emit(Event::TaskProgress {
            id: 4,
            progress: 0.5,
            stage: None,
            message: None,
            eta_s: None,
        });
        assert_eq!(*asked.lock().unwrap(), [Wake::Always, Wake::IfShown(4)]);
        // All still reach the window's channel.
        assert_eq!(rx.try_iter().count(), 3);
    }
}
