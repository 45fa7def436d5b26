//! The event bus: every event the core emits gets a global sequence number, goes into a
//! bounded journal and out to any number of subscribers. A subscriber gets a snapshot
//! first (or, reconnecting with `since`, the events it missed); one that falls behind is
//! dropped to a fresh snapshot instead of slowing the core, and is still sent every
//! terminal task event it missed that the journal holds.
//!
//! The bus also keeps the latest state the events describe (tasks, queue paused, last GPU
//! sample), so listings and snapshots never ask the runner.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::{Event, is_terminal, topic_of};
use crate::model::task::{Task, TaskId, TaskState};

/// One published event, serialised once for every subscriber.
#[derive(Debug)]
pub struct Frame {
    pub seq: u64,
    /// `task`, `queue`, `gpu`, … (see [`topic_of`]).
    pub topic: String,
    /// The event as JSON with its `seq` and dotted `type`.
    pub json: Arc<str>,
    /// A task reached succeeded, failed, cancelled or interrupted.
    pub terminal: bool,
}

/// Why a subscriber gets a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotReason {
    /// A new subscriber.
    Subscribe,
    /// `since` was older than the journal holds: events were missed.
    SinceTooOld,
    /// The subscriber fell behind and was dropped to a fresh snapshot.
    Lagged,
}

/// The state at one sequence number.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Every event up to and including this one is reflected.
    pub seq: u64,
    pub tasks: Vec<Arc<Task>>,
    /// Each task's JSON, kept from when it last changed (a big snapshot is a join).
    task_json: Vec<Arc<str>>,
    pub paused: bool,
    /// The runner has announced its tasks (before that `tasks` is empty).
    pub ready: bool,
}

impl Snapshot {
    /// `{"type": "snapshot", "seq", "reason", "fresh", "paused", "ready", "tasks": […]}`.
    pub fn to_json(&self, reason: SnapshotReason) -> String {
        #[derive(Serialize)]
        struct Head {
            r#type: &'static str,
            seq: u64,
            reason: SnapshotReason,
            /// True when the client missed events and must replace what it holds.
            fresh: bool,
            paused: bool,
            ready: bool,
        }
        let head = serde_json::to_string(&Head {
            r#type: "snapshot",
            seq: self.seq,
            reason,
            fresh: reason != SnapshotReason::Subscribe,
            paused: self.paused,
            ready: self.ready,
        })
        .expect("a snapshot serialises");
        let size: usize = self.task_json.iter().map(|j| j.len() + 1).sum();
        let mut out = String::with_capacity(head.len() + size + 16);
        out.push_str(&head[..head.len() - 1]);
        out.push_str(",\"tasks\":[");
        for (i, j) in self.task_json.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(j);
        }
        out.push_str("]}");
        out
    }
}

/// How a subscription starts.
pub enum Start {
    /// The events after `since`, in order, from the journal.
    Replay(Vec<Arc<Frame>>),
    Snapshot(Snapshot, SnapshotReason),
}

/// A live subscription: start with `start`, then read `rx`, skipping frames whose seq
/// is not above the last one handled.
pub struct Subscription {
    pub start: Start,
    pub rx: tokio::sync::broadcast::Receiver<Arc<Frame>>,
}

struct State {
    seq: u64,
    journal: VecDeque<Arc<Frame>>,
    /// Bytes of JSON the journal holds.
    journal_bytes: usize,
    tasks: BTreeMap<TaskId, Arc<Task>>,
    task_json: BTreeMap<TaskId, Arc<str>>,
    paused: bool,
    ready: bool,
    gpu: Option<Arc<str>>,
    /// How the take of each shot-bound task came out: its `take.created` or
    /// `take.failed` event (`/v1/tasks/{id}/take`). Bounded: the oldest go first.
    takes: BTreeMap<TaskId, Arc<str>>,
    /// The last hour of samples, per GPU (`/v1/gpu/history`).
    gpu_history: crate::model::gpu_history::GpuHistory,
    functions: Option<Arc<str>>,
    settings: Option<crate::settings::Settings>,
    system: Option<Arc<crate::model::system::SystemInfo>>,
}

/// Sizes of the journal and of each subscriber's queue.
#[derive(Clone, Copy, Debug)]
pub struct BusLimits {
    /// Events the journal holds at most…
    pub journal: usize,
    /// …and bytes of JSON (a snapshot of a long history is large).
    pub journal_bytes: usize,
    pub subscriber_queue: usize,
}

impl Default for BusLimits {
    fn default() -> Self {
        Self {
            journal: 65_536,
            journal_bytes: 32 << 20,
            subscriber_queue: 8_192,
        }
    }
}

/// The broadcast bus (cheap to share behind an `Arc`).
pub struct Bus {
    state: Mutex<State>,
    tx: tokio::sync::broadcast::Sender<Arc<Frame>>,
    limits: BusLimits,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new(BusLimits::default())
    }
}

impl Bus {
    pub fn new(limits: BusLimits) -> Self {
        let (tx, _) = tokio::sync::broadcast::channel(limits.subscriber_queue.max(1));
        Self {
            state: Mutex::new(State {
                // Numbers keep rising across restarts of the owner (milliseconds × 1024),
                // so a `since` from an earlier run is recognised as too old.
                seq: crate::util::now_ms() << 10,
                journal: VecDeque::new(),
                journal_bytes: 0,
                tasks: BTreeMap::new(),
                task_json: BTreeMap::new(),
                paused: false,
                ready: false,
                gpu: None,
                gpu_history: Default::default(),
                takes: BTreeMap::new(),
                functions: None,
                settings: None,
                system: None,
            }),
            tx,
            limits,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data; keep serving it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Numbers the event, records what it says, journals it and sends it to every
    /// subscriber. Never blocks on a subscriber.
    pub fn publish(&self, event: &Event) -> u64 {
        let body = serde_json::to_string(event).expect("events serialise");
        let ty = super::event_type(event);
        let terminal = is_terminal(event);
        // Tasks are serialised once, outside the lock, for every later snapshot.
        let tasks_json: Vec<(TaskId, Arc<str>)> = match event {
            Event::TasksSnapshot { tasks, .. } => {
                tasks.iter().map(|t| (t.id, task_json(t))).collect()
            }
            Event::TaskSubmitted { task } | Event::TaskUpdated { task } => {
                vec![(task.id, task_json(task))]
            }
            _ => Vec::new(),
        };
        let mut st = self.lock();
        if matches!(event, Event::TasksSnapshot { .. }) {
            st.task_json.clear();
        }
        st.task_json.extend(tasks_json);
        st.seq += 1;
        let seq = st.seq;
        apply(&mut st, event, &body);
        // `body` is `{"type":…}`: put the sequence number first.
        let json: Arc<str> = format!("{{\"seq\":{seq},{}", &body[1..]).into();
        let frame = Arc::new(Frame {
            seq,
            topic: topic_of(&ty).to_string(),
            json,
            terminal,
        });
        st.journal_bytes += frame.json.len();
        st.journal.push_back(frame.clone());
        while st.journal.len() > self.limits.journal
            || (st.journal_bytes > self.limits.journal_bytes && st.journal.len() > 1)
        {
            if let Some(old) = st.journal.pop_front() {
                st.journal_bytes -= old.json.len();
            }
        }
        // Sent under the lock so subscribers see frames in sequence order.
        self.tx.send(frame).ok();
        seq
    }

    /// Subscribes: with `since`, the events after it when the journal still holds them,
    /// else a fresh snapshot flagged as such; without, a snapshot.
    pub fn subscribe(&self, since: Option<u64>) -> Subscription {
        let st = self.lock();
        let rx = self.tx.subscribe();
        let start = match since {
            Some(s) if s == st.seq => Start::Replay(Vec::new()),
            Some(s) if s < st.seq && st.journal.front().is_some_and(|f| f.seq <= s + 1) => {
                Start::Replay(st.journal.iter().filter(|f| f.seq > s).cloned().collect())
            }
            Some(_) => Start::Snapshot(snapshot_of(&st), SnapshotReason::SinceTooOld),
            None => Start::Snapshot(snapshot_of(&st), SnapshotReason::Subscribe),
        };
        drop(st);
        Subscription { start, rx }
    }

    /// After a subscriber lagged: the terminal task events after `last_seq` that the
    /// journal holds, and a fresh snapshot. Frames up to the snapshot's seq are then
    /// skipped from the receiver.
    pub fn resync(&self, last_seq: u64) -> (Vec<Arc<Frame>>, Snapshot) {
        let st = self.lock();
        let terminal = st
            .journal
            .iter()
            .filter(|f| f.seq > last_seq && f.terminal)
            .cloned()
            .collect();
        (terminal, snapshot_of(&st))
    }

    pub fn snapshot(&self) -> Snapshot {
        snapshot_of(&self.lock())
    }

    /// The last sequence number handed out.
    pub fn seq(&self) -> u64 {
        self.lock().seq
    }

    pub fn task(&self, id: TaskId) -> Option<Arc<Task>> {
        self.lock().tasks.get(&id).cloned()
    }

    /// Tasks matching `keep`, cloned out of the lock cheaply.
    pub fn tasks_where(&self, keep: impl Fn(&Task) -> bool) -> Vec<Arc<Task>> {
        self.lock()
            .tasks
            .values()
            .filter(|t| keep(t))
            .cloned()
            .collect()
    }

    /// The runner announced its tasks and none is queued, preparing or running.
    pub fn idle(&self) -> bool {
        let st = self.lock();
        st.ready
            && !st.tasks.values().any(|t| {
                matches!(
                    t.state,
                    TaskState::Queued | TaskState::Preparing | TaskState::Running
                )
            })
    }

    pub fn ready(&self) -> bool {
        self.lock().ready
    }

    pub fn paused(&self) -> bool {
        self.lock().paused
    }

    /// The `take.created` or `take.failed` event of task `id`'s take, once there is one.
    pub fn take_of(&self, id: TaskId) -> Option<Arc<str>> {
        self.lock().takes.get(&id).cloned()
    }

    /// Each GPU's samples since `since_ms` (the last hour at most): `(index, points)`.
    pub fn gpu_history(
        &self,
        since_ms: u64,
    ) -> Vec<(u32, Vec<crate::model::gpu_history::GpuPoint>)> {
        let st = self.lock();
        let since_s = since_ms as f64 / 1000.0;
        st.gpu_history
            .latest
            .iter()
            .map(|g| {
                let points = st
                    .gpu_history
                    .ring(g.index)
                    .iter()
                    .filter(|p| p.t_s >= since_s)
                    .copied()
                    .collect();
                (g.index, points)
            })
            .collect()
    }

    /// The last `gpu.sample` event as JSON.
    pub fn gpu(&self) -> Option<Arc<str>> {
        self.lock().gpu.clone()
    }

    /// The last `functions.loaded` event as JSON.
    pub fn functions(&self) -> Option<Arc<str>> {
        self.lock().functions.clone()
    }

    /// One function of the last `functions.loaded`, as its JSON object.
    pub fn function(&self, id: &str) -> Option<serde_json::Value> {
        let loaded: serde_json::Value = serde_json::from_str(&self.functions()?).ok()?;
        loaded["functions"]
            .as_array()?
            .iter()
            .find(|f| f["id"] == id)
            .cloned()
    }

    pub fn settings(&self) -> Option<crate::settings::Settings> {
        self.lock().settings.clone()
    }

    pub fn system(&self) -> Option<Arc<crate::model::system::SystemInfo>> {
        self.lock().system.clone()
    }
}

fn task_json(task: &Task) -> Arc<str> {
    serde_json::to_string(task).expect("tasks serialise").into()
}

fn snapshot_of(st: &State) -> Snapshot {
    Snapshot {
        seq: st.seq,
        tasks: st.tasks.values().cloned().collect(),
        task_json: st.task_json.values().cloned().collect(),
        paused: st.paused,
        ready: st.ready,
    }
}

/// Keeps the latest state the event describes.
fn apply(st: &mut State, event: &Event, json: &str) {
    match event {
        Event::TasksSnapshot { tasks, paused } => {
            st.tasks = tasks.iter().map(|t| (t.id, Arc::new(t.clone()))).collect();
            st.paused = *paused;
            st.ready = true;
        }
        Event::TaskSubmitted { task } | Event::TaskUpdated { task } => {
            st.tasks.insert(task.id, Arc::new(task.clone()));
        }
        Event::TaskProgress {
            id,
            progress,
            stage,
            message,
            ..
        } => {
            if let Some(t) = st.tasks.get_mut(id) {
                let t = Arc::make_mut(t);
                t.progress = *progress;
                if stage.is_some() {
                    t.stage.clone_from(stage);
                }
                if message.is_some() {
                    t.message.clone_from(message);
                }
                let json = task_json(t);
                st.task_json.insert(*id, json);
            }
        }
        Event::QueuePaused { paused } => st.paused = *paused,
        Event::TakeCreated { task, .. }
        | Event::TakeFailed {
            task: Some(task), ..
        } => {
            st.takes.insert(*task, json.into());
            while st.takes.len() > 10_000 {
                st.takes.pop_first();
            }
        }
        Event::GpuSample { ts_ms, gpus, error } => {
            st.gpu = Some(json.into());
            if error.is_none() {
                st.gpu_history.push(*ts_ms, gpus.clone());
            }
        }
        Event::FunctionsLoaded { .. } => st.functions = Some(json.into()),
        Event::SettingsLoaded { settings, .. } | Event::SettingsSaved { settings } => {
            st.settings = Some(settings.clone())
        }
        Event::SystemProbed { info } => st.system = Some(Arc::new(info.clone())),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: TaskId, state: TaskState) -> Task {
        Task {
            state,
            ..Task::queued(id, "demo/countdown", "1", 0)
        }
    }

    fn updated(id: TaskId, state: TaskState) -> Event {
        Event::TaskUpdated {
            task: task(id, state),
        }
    }

    fn seq_of(f: &Frame) -> u64 {
        let v: serde_json::Value = serde_json::from_str(&f.json).unwrap();
        v["seq"].as_u64().unwrap()
    }

    #[test]
    fn frames_carry_their_seq_and_dotted_type() {
        let bus = Bus::default();
        let base = bus.seq();
        bus.publish(&Event::QueuePaused { paused: true });
        let s = bus.publish(&updated(1, TaskState::Queued));
        let sub = bus.subscribe(Some(base));
        let Start::Replay(frames) = sub.start else {
            panic!("since within the journal replays")
        };
        assert_eq!(frames.len(), 2);
        assert_eq!(seq_of(&frames[1]), s);
        let v: serde_json::Value = serde_json::from_str(&frames[1].json).unwrap();
        assert_eq!(v["type"], "task.updated");
        assert_eq!(frames[1].topic, "task");
        assert!(bus.paused());
    }

    #[test]
    fn since_older_than_the_journal_gets_a_fresh_snapshot() {
        let bus = Bus::new(BusLimits {
            journal: 4,
            subscriber_queue: 16,
            ..BusLimits::default()
        });
        let base = bus.seq();
        for i in 0..10 {
            bus.publish(&updated(i, TaskState::Queued));
        }
        match bus.subscribe(Some(base + 2)).start {
            Start::Snapshot(s, SnapshotReason::SinceTooOld) => {
                assert_eq!(s.seq, base + 10);
                assert_eq!(s.tasks.len(), 10);
            }
            _ => panic!("a too-old since must give a fresh snapshot"),
        }
        match bus.subscribe(Some(base + 7)).start {
            Start::Replay(f) => assert_eq!(
                f.iter().map(|f| f.seq - base).collect::<Vec<_>>(),
                [8, 9, 10]
            ),
            _ => panic!("a recent since replays"),
        }
        // A since from another run of the owner (higher than anything here) is too old.
        assert!(matches!(
            bus.subscribe(Some(base + 1_000)).start,
            Start::Snapshot(_, SnapshotReason::SinceTooOld)
        ));
    }

    #[test]
    fn a_lagging_subscriber_is_resynced_with_every_terminal_event() {
        let bus = Bus::new(BusLimits {
            journal: 1000,
            subscriber_queue: 2,
            ..BusLimits::default()
        });
        let mut sub = bus.subscribe(None);
        for i in 0..20 {
            bus.publish(&updated(i, TaskState::Running));
            bus.publish(&updated(i, TaskState::Succeeded));
        }
        match sub.rx.try_recv() {
            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {}
            other => panic!("expected a lag, got {other:?}"),
        }
        let (terminal, snap) = bus.resync(0);
        assert_eq!(terminal.len(), 20);
        assert_eq!(snap.seq, bus.seq());
        assert!(snap.tasks.iter().all(|t| t.state == TaskState::Succeeded));
        let v: serde_json::Value =
            serde_json::from_str(&snap.to_json(SnapshotReason::Lagged)).unwrap();
        assert_eq!(v["fresh"], true);
        assert_eq!(v["tasks"].as_array().unwrap().len(), 20);
    }

    #[test]
    fn a_snapshot_shows_each_task_as_it_is_now() {
        let bus = Bus::default();
        bus.publish(&Event::TasksSnapshot {
            tasks: vec![task(1, TaskState::Succeeded), task(2, TaskState::Queued)],
            paused: true,
        });
        bus.publish(&updated(2, TaskState::Running));
        bus.publish(&Event::TaskProgress {
            id: 2,
            progress: 0.25,
            stage: Some("sampling".into()),
            message: None,
            eta_s: None,
        });
        bus.publish(&updated(3, TaskState::Queued));
        let v: serde_json::Value =
            serde_json::from_str(&bus.snapshot().to_json(SnapshotReason::Subscribe)).unwrap();
        assert_eq!(v["type"], "snapshot");
        assert_eq!(v["fresh"], false);
        assert_eq!(v["paused"], true);
        let tasks = v["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), 3);
        assert_eq!(tasks[1]["state"], "running");
        assert_eq!(tasks[1]["progress"], 0.25);
        assert_eq!(tasks[1]["stage"], "sampling");
        let t2: Task = serde_json::from_value(tasks[1].clone()).unwrap();
        assert_eq!(&t2, &*bus.task(2).unwrap());
    }

    #[test]
    fn idle_waits_for_the_runner_and_for_active_tasks() {
        let bus = Bus::default();
        assert!(!bus.idle(), "not idle before the runner's snapshot");
        bus.publish(&Event::TasksSnapshot {
            tasks: vec![task(1, TaskState::Queued)],
            paused: false,
        });
        assert!(!bus.idle());
        bus.publish(&updated(1, TaskState::Failed));
        assert!(bus.idle());
    }
}
