//! What every executor gets (a [`Launch`]) and gives back (reports while it runs, an
//! [`Outcome`] at the end). Executors own no task state; the runner does.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::model::task::TaskId;
use crate::runner::progress::{self, ProgressUpdate};

/// Logs on disk stop growing past this; the tail of the run is what matters most for
/// errors and it is kept in memory anyway.
pub const MAX_LOG_BYTES: u64 = 32 * 1024 * 1024;
/// Log lines quoted in a failed task's error.
pub const LAST_LINES: usize = 12;

#[derive(Debug)]
pub enum ExecReport {
    Started {
        pid: Option<u32>,
        container_id: Option<String>,
    },
    Progress(ProgressUpdate),
    Log {
        stderr: bool,
        line: String,
    },
    /// The task's log could not be written (a full disk): the run's record is
    /// incomplete, so it must not pass for a success.
    LogFailed {
        error: String,
    },
    /// A batch job on a cluster (Slurm): its id, recorded so a restarted Slate finds it
    /// again, and where it stands (waiting with its reason, running on a node).
    Job {
        job_id: String,
        stage: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Exited {
        code: i64,
        oom: bool,
        last_lines: Vec<String>,
    },
    Cancelled,
    TimedOut {
        after: Duration,
    },
    /// Could not run at all. Transient failures are retried with backoff.
    Failed {
        error: String,
        transient: bool,
    },
    /// The executor itself is away (Docker daemon down): the task waits in the queue,
    /// without using up its attempts, until it is back.
    Unavailable {
        reason: String,
    },
}

impl Outcome {
    pub fn failed(error: impl Into<String>, transient: bool) -> Self {
        Self::Failed {
            error: error.into(),
            transient,
        }
    }
}

pub type ReportSender = tokio::sync::mpsc::UnboundedSender<(TaskId, ExecReport)>;

pub struct Launch {
    pub task_id: TaskId,
    /// The container (or Slurm job) to follow instead of starting one (after a restart).
    pub reattach: Option<String>,
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub output_dir: PathBuf,
    pub log_file: PathBuf,
    pub timeout: Duration,
    pub cancel: tokio::sync::watch::Receiver<bool>,
    pub reports: ReportSender,
    /// Host files given as `file` inputs; a container gets each read-only at
    /// `/inputs/<n>/<name>`.
    pub input_files: Vec<InputFile>,
}

/// A `file` input, checked: an existing regular file inside the allowed folders.
#[derive(Clone, Debug, PartialEq)]
pub struct InputFile {
    pub name: String,
    pub path: PathBuf,
}

impl Launch {
    pub fn report(&self, r: ExecReport) {
        self.reports.send((self.task_id, r)).ok();
    }

    /// A sink for the child's output lines: log file, progress parsing, last lines.
    pub fn stream_sink(&self) -> StreamSink {
        let file = match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_file)
        {
            Ok(f) => Some(f),
            Err(e) => {
                self.report(ExecReport::LogFailed {
                    error: format!("{}: {e}", self.log_file.display()),
                });
                None
            }
        };
        let written = file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map(|m| m.len())
            .unwrap_or(0);
        StreamSink(Arc::new(Mutex::new(SinkInner {
            task_id: self.task_id,
            reports: self.reports.clone(),
            file: file.map(|f| std::io::BufWriter::with_capacity(64 * 1024, f)),
            written,
            last: VecDeque::new(),
            failed: false,
            log_file: self.log_file.clone(),
        })))
    }
}

#[derive(Clone)]
pub struct StreamSink(Arc<Mutex<SinkInner>>);

struct SinkInner {
    task_id: TaskId,
    reports: ReportSender,
    /// Buffered: a chatty process must not cost a syscall a line. Flushed on every
    /// progress line, every 64 KiB, and when the run ends.
    file: Option<std::io::BufWriter<std::fs::File>>,
    written: u64,
    last: VecDeque<String>,
    /// A write failed and was reported (once).
    failed: bool,
    log_file: PathBuf,
}

impl SinkInner {
    fn write_failed(&mut self, e: std::io::Error) {
        if !self.failed {
            self.failed = true;
            self.reports
                .send((
                    self.task_id,
                    ExecReport::LogFailed {
                        error: format!("{}: {e}", self.log_file.display()),
                    },
                ))
                .ok();
        }
        // Nothing more goes to a file that lost lines: it would read as complete.
        self.file = None;
    }
}

impl StreamSink {
    pub fn line(&self, stderr: bool, line: String) {
        let mut guard = self.0.lock().expect("sink lock");
        let s = &mut *guard;
        let progress = progress::parse_line(&line);
        if s.written < MAX_LOG_BYTES
            && let Some(f) = s.file.as_mut()
        {
            let rec = format!(
                "{}\n",
                crate::runner::logfile::record(crate::util::now_ms(), stderr, &line)
            );
            let mut wrote = f.write_all(rec.as_bytes());
            if wrote.is_ok() {
                s.written += rec.len() as u64;
                if s.written >= MAX_LOG_BYTES {
                    wrote = f.write_all(b"--- log truncated: limit reached ---\n");
                }
            }
            if let Err(e) = wrote {
                s.write_failed(e);
            }
        }
        if let Some(update) = progress {
            // Progress lines are kept on disk but are not log text on screen.
            if let Some(Err(e)) = s.file.as_mut().map(|f| f.flush()) {
                s.write_failed(e);
            }
            s.reports
                .send((s.task_id, ExecReport::Progress(update)))
                .ok();
            return;
        }
        if s.last.len() == LAST_LINES {
            s.last.pop_front();
        }
        s.last.push_back(line.clone());
        s.reports
            .send((s.task_id, ExecReport::Log { stderr, line }))
            .ok();
    }

    /// Flushes the log at the end of a run; a failure is reported like any write's.
    pub fn finish(&self) {
        let mut guard = self.0.lock().expect("sink lock");
        let s = &mut *guard;
        if let Some(Err(e)) = s
            .file
            .as_mut()
            .map(|f| f.flush().and_then(|()| f.get_ref().sync_data()))
        {
            s.write_failed(e);
        }
    }

    pub fn last_lines(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("sink lock")
            .last
            .iter()
            .cloned()
            .collect()
    }
}

/// Files under `dir` matching any of `patterns`, as paths relative to `dir`. The folder
/// was filled by the task (a container), so it goes through the one safe walk: links out
/// of it, loops and special files are left out. Blocking: run it off the async workers.
pub fn collect_outputs(dir: &std::path::Path, patterns: &[String]) -> Result<Vec<String>, String> {
    let set = crate::util::glob::PatternSet::new(patterns)?;
    let walk = crate::util::walk::walk(dir, crate::util::walk::Limits::default());
    if walk.truncated {
        return Err(format!(
            "{} holds too many files or folders too deep to list its outputs",
            dir.display()
        ));
    }
    Ok(walk
        .files
        .into_iter()
        .filter(|f| set.is_match(&f.rel))
        .map(|f| f.rel)
        .collect())
}
