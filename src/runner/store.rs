//! The runner's durable memory: every task record in redb, written before it is announced.
//!
//! One process owns the store at a time (redb's file lock); the owner's pid and command
//! line sit beside the database so a second Slate can say who holds it. A corrupt or
//! unreadable database is renamed aside, never deleted, and a fresh one is started.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};

use crate::model::task::{Task, TaskId};

const TASKS: TableDefinition<u64, &[u8]> = TableDefinition::new("tasks");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the task store {path} is in use by another Slate ({owner}); close it or use --data-dir for a second studio"
    )]
    Locked { path: PathBuf, owner: String },
    #[error("task store {path}: {message}")]
    Io { path: PathBuf, message: String },
}

pub struct Store {
    /// `None` only for the moment of a reopen.
    db: Option<Database>,
    path: PathBuf,
}

/// What opening the store found, for the UI to say.
pub struct Opened {
    pub store: Store,
    /// Set when the old file was unusable and was kept aside.
    pub warning: Option<String>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Opened, StoreError> {
        let io = |message: String| StoreError::Io {
            path: path.to_owned(),
            message,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(e.to_string()))?;
        }
        // redb can panic (`unreachable`) on damaged pages rather than return an error, so
        // every first touch of the file runs under catch_unwind and counts as damage.
        let checked = guarded(|| Self::open_checked(path));
        let checked = match checked {
            Ok(r) => r,
            Err(panic) => Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(
                format!("redb failed on a damaged page: {panic}"),
            ))),
        };
        match checked {
            Ok(store) => {
                store.write_owner();
                Ok(Opened {
                    store,
                    warning: None,
                })
            }
            Err(redb::DatabaseError::DatabaseAlreadyOpen)
            | Err(redb::DatabaseError::LockProtocolMismatch) => Err(StoreError::Locked {
                path: path.to_owned(),
                owner: read_owner(path),
            }),
            // Permissions, a full disk, a read-only folder: not the file's fault, so it
            // is left where it is. (A file that is not redb at all reads as InvalidData.)
            Err(redb::DatabaseError::Storage(redb::StorageError::Io(e)))
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
                ) =>
            {
                Err(io(format!(
                    "{e}. Nothing was changed; check the folder's permissions and free space"
                )))
            }
            Err(e) => {
                let aside = path.with_file_name(format!(
                    "{}.broken-{}",
                    path.file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("tasks.redb"),
                    crate::util::now_ms()
                ));
                // Salvage before moving: what redb can still read, then task records
                // found in the raw bytes for the rest.
                let salvaged = salvage(path);
                std::fs::rename(path, &aside)
                    .map_err(|re| io(format!("{e}; it could not be moved aside either: {re}")))?;
                let store = match Self::open_exact(path) {
                    Ok(s) => s,
                    Err(e2) => {
                        // No fresh store (a full disk?): put the old file back as it was,
                        // rather than leave a half-made one in its place.
                        std::fs::remove_file(path).ok();
                        std::fs::rename(&aside, path).ok();
                        return Err(io(format!(
                            "{e}; a fresh one could not be made either ({e2}). Nothing was changed; check free space"
                        )));
                    }
                };
                store.write_owner();
                let kept = salvaged.tasks.len();
                let restore = store
                    .put_all(&salvaged.tasks)
                    .and_then(|()| store.set_next_id(salvaged.next_id));
                let saved = match restore {
                    Ok(()) => format!(
                        "{} salvaged into it",
                        crate::util::count(kept, "task record")
                    ),
                    Err(e) => format!(
                        "salvaging {} failed: {e}",
                        crate::util::count(kept, "task record")
                    ),
                };
                Ok(Opened {
                    store,
                    warning: Some(format!(
                        "The task database could not be opened: it is damaged ({e}). It was kept as {} and Slate started a fresh one; {saved}.",
                        aside.display()
                    )),
                })
            }
        }
    }

    /// Opens and proves the file readable: redb's integrity check (checksums of every
    /// page), then a read of every record.
    fn open_checked(path: &Path) -> Result<Store, redb::DatabaseError> {
        let mut store = Self::open_exact(path)?;
        let corrupted = |m: String| redb::DatabaseError::Storage(redb::StorageError::Corrupted(m));
        // Ok(false) means redb found damage and repaired it: the file is usable then.
        if let Some(db) = store.db.as_mut() {
            db.check_integrity()?;
        }
        store.all().map_err(corrupted)?;
        store.read_meta("next_id");
        Ok(store)
    }

    fn open_exact(path: &Path) -> Result<Store, redb::DatabaseError> {
        let db = Database::builder().create(path)?;
        let store = Store {
            db: Some(db),
            path: path.to_owned(),
        };
        // Create the tables so readers never see them missing. An I/O error here (a
        // full disk) stays an I/O error: it is not the file's fault.
        let created = (|| -> Result<(), redb::Error> {
            let db = store.db.as_ref().expect("just opened");
            let mut txn = db.begin_write()?;
            txn.set_quick_repair(true);
            txn.open_table(TASKS)?;
            txn.open_table(META)?;
            txn.commit()?;
            Ok(())
        })();
        match created {
            Ok(()) => Ok(store),
            Err(redb::Error::Io(e)) => Err(redb::DatabaseError::Storage(redb::StorageError::Io(e))),
            Err(e) => Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(
                e.to_string(),
            ))),
        }
    }

    fn owner_file(path: &Path) -> PathBuf {
        path.with_extension("owner")
    }

    /// Names the owner for a second Slate's "in use" message: the pid and the program
    /// with its subcommand only. Parameter values (prompts, paths) stay out, and the
    /// file is readable by the user only.
    fn write_owner(&self) {
        let mut args = std::env::args();
        let program = args
            .next()
            .map(|p| {
                Path::new(&p)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or(p)
            })
            .unwrap_or_else(|| "slate".into());
        let sub = args.find(|a| !a.starts_with('-')).unwrap_or_default();
        let text = format!("pid {} `{program} {sub}`", std::process::id());
        crate::util::write_atomic_private(&Self::owner_file(&self.path), text.trim().as_bytes())
            .ok();
    }

    /// One durable write transaction (fsync before returning), quick-repair enabled so a
    /// restart after a crash does not walk the whole file.
    fn write(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), String> {
        // Damage found after opening must be an error the caller reports, not a panic
        // that takes the runner down.
        guarded(|| {
            let mut txn = self.db()?.begin_write().map_err(|e| e.to_string())?;
            txn.set_quick_repair(true);
            f(&txn).map_err(|e| e.to_string())?;
            txn.commit().map_err(|e| e.to_string())
        })
        .unwrap_or_else(|panic| Err(format!("the task database is damaged ({panic}); restart Slate to set it aside and start a fresh one")))
    }

    fn db(&self) -> Result<&Database, String> {
        self.db
            .as_ref()
            .ok_or_else(|| format!("the task store {} is not open", self.path.display()))
    }

    /// Closes and opens the file again: after a failed commit (a full disk) redb refuses
    /// every write until then.
    pub fn reopen(&mut self) -> Result<(), String> {
        drop(self.db.take());
        let db = guarded(|| Database::builder().create(&self.path))
            .map_err(|p| format!("the task database is damaged ({p})"))?
            .map_err(|e| e.to_string())?;
        self.db = Some(db);
        Ok(())
    }

    /// Raises the next task id to at least `next` (after a salvage, so ids never repeat).
    fn set_next_id(&self, next: u64) -> Result<(), String> {
        self.write(|txn| {
            let mut meta = txn.open_table(META)?;
            let now = meta.get("next_id")?.map(|v| v.value()).unwrap_or(1);
            meta.insert("next_id", now.max(next))?;
            Ok(())
        })
    }

    pub fn put(&self, task: &Task) -> Result<(), String> {
        let bytes = serde_json::to_vec(task).map_err(|e| e.to_string())?;
        self.write(|txn| {
            txn.open_table(TASKS)?.insert(task.id, bytes.as_slice())?;
            Ok(())
        })
    }

    /// Queues new tasks in one durable transaction: `build(id, seq)` makes each task
    /// with the id and queue order key it is given (group commit: one fsync for a burst
    /// of submissions).
    pub fn insert_new(
        &self,
        n: usize,
        mut build: impl FnMut(usize, TaskId, u64) -> Task,
    ) -> Result<Vec<Task>, String> {
        let mut made = Vec::with_capacity(n);
        self.write(|txn| {
            let mut meta = txn.open_table(META)?;
            let id0 = meta.get("next_id")?.map(|v| v.value()).unwrap_or(1);
            let seq0 = meta
                .get("next_seq")?
                .map(|v| v.value())
                .unwrap_or(id0)
                .max(id0);
            let mut tasks = txn.open_table(TASKS)?;
            for i in 0..n {
                let t = build(i, id0 + i as u64, seq0 + i as u64);
                let bytes = serde_json::to_vec(&t)
                    .map_err(|e| redb::Error::Io(std::io::Error::other(e)))?;
                tasks.insert(t.id, bytes.as_slice())?;
                made.push(t);
            }
            meta.insert("next_id", id0 + n as u64)?;
            meta.insert("next_seq", seq0 + n as u64)?;
            Ok(())
        })?;
        Ok(made)
    }

    /// Stores several tasks in one transaction (recovery touches many at once).
    pub fn put_all<'a>(&self, tasks: impl IntoIterator<Item = &'a Task>) -> Result<(), String> {
        let encoded: Vec<(u64, Vec<u8>)> = tasks
            .into_iter()
            .map(|t| serde_json::to_vec(t).map(|b| (t.id, b)))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        self.write(|txn| {
            let mut table = txn.open_table(TASKS)?;
            for (id, bytes) in &encoded {
                table.insert(*id, bytes.as_slice())?;
            }
            Ok(())
        })
    }

    /// Allocates the next task id and order key, durably, so ids never repeat.
    pub fn next_id(&self) -> Result<TaskId, String> {
        let mut id = 0;
        self.write(|txn| {
            let mut meta = txn.open_table(META)?;
            id = meta.get("next_id")?.map(|v| v.value()).unwrap_or(1);
            meta.insert("next_id", id + 1)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// The next queue order key (FIFO within a priority; retries go to the back).
    pub fn next_seq(&self) -> Result<u64, String> {
        let mut seq = 0;
        self.write(|txn| {
            let mut meta = txn.open_table(META)?;
            // Stores made before this key existed used task ids as order keys.
            let floor = meta.get("next_id")?.map(|v| v.value()).unwrap_or(1);
            seq = meta
                .get("next_seq")?
                .map(|v| v.value())
                .unwrap_or(floor)
                .max(floor);
            meta.insert("next_seq", seq + 1)?;
            Ok(())
        })?;
        Ok(seq)
    }

    pub fn set_paused(&self, paused: bool) -> Result<(), String> {
        self.write(|txn| {
            txn.open_table(META)?.insert("paused", paused as u64)?;
            Ok(())
        })
    }

    pub fn paused(&self) -> bool {
        self.read_meta("paused").unwrap_or(0) != 0
    }

    fn read_meta(&self, key: &str) -> Option<u64> {
        let txn = self.db().ok()?.begin_read().ok()?;
        let table = txn.open_table(META).ok()?;
        table.get(key).ok()?.map(|v| v.value())
    }

    /// Every task, in id order. A record that no longer decodes is reported, not dropped
    /// silently: it comes back as an error line.
    pub fn all(&self) -> Result<(Vec<Task>, Vec<String>), String> {
        guarded(|| self.all_unguarded()).unwrap_or_else(|panic| {
            Err(format!("the task database is damaged ({panic}); restart Slate to set it aside and start a fresh one"))
        })
    }

    fn all_unguarded(&self) -> Result<(Vec<Task>, Vec<String>), String> {
        let txn = self.db()?.begin_read().map_err(|e| e.to_string())?;
        let table = txn.open_table(TASKS).map_err(|e| e.to_string())?;
        let mut tasks = Vec::new();
        let mut bad = Vec::new();
        for row in table.iter().map_err(|e| e.to_string())? {
            let (k, v) = row.map_err(|e| e.to_string())?;
            match serde_json::from_slice::<Task>(v.value()) {
                Ok(t) => tasks.push(t),
                Err(e) => bad.push(format!("task {}: unreadable record ({e})", k.value())),
            }
        }
        Ok((tasks, bad))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Runs `f`, turning a panic into its message. redb asserts on pages it cannot parse;
/// for a file on disk that is damage to report, not a bug to crash on.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    // The default hook would print the panic (and a backtrace note) to stderr.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    r.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into())
    })
}

/// What could be read back from a damaged file.
struct Salvaged {
    tasks: Vec<Task>,
    /// At least one above every id seen, so a fresh store never reuses one.
    next_id: u64,
}

fn salvage(path: &Path) -> Salvaged {
    let mut by_id: std::collections::BTreeMap<TaskId, Task> = Default::default();
    let mut next_id = 1;
    // 1. Through redb, as far as it goes: the id counter, then the records one by one
    // (each read guarded: a damaged page ends that read only).
    let db = guarded(|| Database::builder().open(path).ok())
        .ok()
        .flatten();
    if let Some(db) = &db {
        let next = guarded(|| {
            let txn = db.begin_read().ok()?;
            let meta = txn.open_table(META).ok()?;
            meta.get("next_id").ok().flatten().map(|v| v.value())
        });
        next_id = next_id.max(next.ok().flatten().unwrap_or(1));
        let tasks = std::cell::RefCell::new(Vec::new());
        guarded(|| {
            let Ok(txn) = db.begin_read() else { return };
            let Ok(table) = txn.open_table(TASKS) else {
                return;
            };
            let Ok(iter) = table.iter() else { return };
            for row in iter {
                let Ok((_, v)) = row else { break };
                if let Ok(t) = serde_json::from_slice::<Task>(v.value()) {
                    tasks.borrow_mut().push(t);
                }
            }
        })
        .ok();
        for t in tasks.into_inner() {
            by_id.insert(t.id, t);
        }
    }
    drop(db);
    // 2. Task records are JSON objects: find the rest in the raw bytes. An id can
    // appear in several page versions; the one furthest along wins.
    if let Ok(bytes) = std::fs::read(path) {
        for at in memchr_all(&bytes, b"{\"id\":") {
            let mut de = serde_json::Deserializer::from_slice(&bytes[at..]).into_iter::<Task>();
            if let Some(Ok(t)) = de.next() {
                let newer = by_id.get(&t.id).is_none_or(|old| {
                    (t.finished_ms, t.started_ms, t.attempts)
                        > (old.finished_ms, old.started_ms, old.attempts)
                });
                if newer {
                    by_id.insert(t.id, t);
                }
            }
        }
    }
    // 3. Logs (`logs/<id>.log`) and outputs (`outputs/<id>/`) are named by task id:
    // never hand out one that has files.
    for (folder, suffix) in [("logs", ".log"), ("outputs", "")] {
        let Some(Ok(entries)) = path.parent().map(|d| std::fs::read_dir(d.join(folder))) else {
            continue;
        };
        for e in entries.flatten() {
            if let Some(id) = e
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(suffix))
                .and_then(|n| n.parse::<u64>().ok())
            {
                next_id = next_id.max(id + 1);
            }
        }
    }
    if let Some(max) = by_id.keys().next_back() {
        next_id = next_id.max(max + 1);
    }
    Salvaged {
        tasks: by_id.into_values().collect(),
        next_id,
    }
}

fn memchr_all<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    hay.windows(needle.len())
        .enumerate()
        .filter(move |(_, w)| *w == needle)
        .map(|(i, _)| i)
}

fn read_owner(path: &Path) -> String {
    std::fs::read_to_string(Store::owner_file(path))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "owner unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn task(id: u64) -> Task {
        Task::queued(id, "demo/countdown", "1.0.0", 1)
    }

    #[test]
    fn tasks_survive_reopen_and_ids_never_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tasks.redb");
        {
            let s = Store::open(&p).unwrap().store;
            assert_eq!(s.next_id().unwrap(), 1);
            assert_eq!(s.next_id().unwrap(), 2);
            s.put(&task(1)).unwrap();
            s.set_paused(true).unwrap();
        }
        let s = Store::open(&p).unwrap().store;
        assert_eq!(s.next_id().unwrap(), 3);
        assert!(s.paused());
        let (all, bad) = s.all().unwrap();
        assert_eq!(all, vec![task(1)]);
        assert!(bad.is_empty());
    }

    #[test]
    fn a_second_owner_is_refused_with_the_owners_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tasks.redb");
        let _first = Store::open(&p).unwrap();
        let Err(e) = Store::open(&p) else {
            panic!("second open succeeded")
        };
        let msg = e.to_string();
        assert!(msg.contains("in use") && msg.contains("pid"), "{msg}");
    }

    #[test]
    fn corrupt_file_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tasks.redb");
        std::fs::write(&p, vec![0x5a; 64 * 1024]).unwrap();
        let opened = Store::open(&p).unwrap();
        let w = opened.warning.expect("warning");
        assert!(w.contains("kept as"), "{w}");
        assert!(opened.store.all().unwrap().0.is_empty());
        let aside = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".broken-"))
            .count();
        assert_eq!(aside, 1);
    }
}
