//! The runner's durable memory: every task record in redb, written before it is announced.
//!
//! One process owns the store at a time (redb's file lock); the owner's pid and command
//! line sit beside the database so a second Slate can say who holds it. A corrupt or
//! unreadable database is renamed aside, never deleted, and a fresh one is started.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};

use crate::runner::task::{Task, TaskId};

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
    db: Database,
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
        match Self::open_exact(path) {
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
                std::fs::rename(path, &aside)
                    .map_err(|re| io(format!("{e}; it could not be moved aside either: {re}")))?;
                let store = Self::open_exact(path).map_err(|e2| io(e2.to_string()))?;
                store.write_owner();
                Ok(Opened {
                    store,
                    warning: Some(format!(
                        "The task database could not be opened ({e}). It was kept as {} and Slate started a fresh one.",
                        aside.display()
                    )),
                })
            }
        }
    }

    fn open_exact(path: &Path) -> Result<Store, redb::DatabaseError> {
        let db = Database::builder().create(path)?;
        let store = Store {
            db,
            path: path.to_owned(),
        };
        // Create the tables so readers never see them missing.
        store
            .write(|txn| {
                txn.open_table(TASKS)?;
                txn.open_table(META)?;
                Ok(())
            })
            .map_err(|e| redb::DatabaseError::Storage(redb::StorageError::Corrupted(e)))?;
        Ok(store)
    }

    fn owner_file(path: &Path) -> PathBuf {
        path.with_extension("owner")
    }

    fn write_owner(&self) {
        let cmd: Vec<String> = std::env::args().collect();
        let text = format!("pid {} `{}`", std::process::id(), cmd.join(" "));
        crate::util::write_atomic(&Self::owner_file(&self.path), text.as_bytes()).ok();
    }

    /// One durable write transaction (fsync before returning), quick-repair enabled so a
    /// restart after a crash does not walk the whole file.
    fn write(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), String> {
        let mut txn = self.db.begin_write().map_err(|e| e.to_string())?;
        txn.set_quick_repair(true);
        f(&txn).map_err(|e| e.to_string())?;
        txn.commit().map_err(|e| e.to_string())
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
        let txn = self.db.begin_read().ok()?;
        let table = txn.open_table(META).ok()?;
        table.get(key).ok()?.map(|v| v.value())
    }

    /// Every task, in id order. A record that no longer decodes is reported, not dropped
    /// silently: it comes back as an error line.
    pub fn all(&self) -> Result<(Vec<Task>, Vec<String>), String> {
        let txn = self.db.begin_read().map_err(|e| e.to_string())?;
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
