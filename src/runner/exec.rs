//! What every executor gets (a [`Launch`]) and gives back (reports while it runs, an
//! [`Outcome`] at the end). Executors own no task state; the runner does.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::runner::progress::{self, ProgressUpdate};
use crate::runner::task::TaskId;

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
    /// The container to follow instead of starting one (after a restart).
    pub reattach: Option<String>,
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub output_dir: PathBuf,
    pub log_file: PathBuf,
    pub timeout: Duration,
    pub cancel: tokio::sync::watch::Receiver<bool>,
    pub reports: ReportSender,
}

impl Launch {
    pub fn report(&self, r: ExecReport) {
        self.reports.send((self.task_id, r)).ok();
    }

    /// A sink for the child's output lines: log file, progress parsing, last lines.
    pub fn stream_sink(&self) -> StreamSink {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_file)
            .ok();
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
}

impl StreamSink {
    pub fn line(&self, stderr: bool, line: String) {
        let mut guard = self.0.lock().expect("sink lock");
        let s = &mut *guard;
        let progress = progress::parse_line(&line);
        if s.written < MAX_LOG_BYTES
            && let Some(f) = s.file.as_mut()
        {
            let tag = if stderr { "err" } else { "out" };
            let rec = format!("{tag} {line}\n");
            if f.write_all(rec.as_bytes()).is_ok() {
                s.written += rec.len() as u64;
                if s.written >= MAX_LOG_BYTES {
                    f.write_all(b"--- log truncated: limit reached ---\n").ok();
                }
            }
        }
        if let Some(update) = progress {
            // Progress lines are kept on disk but are not log text on screen.
            if let Some(f) = s.file.as_mut() {
                f.flush().ok();
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

/// Matches a relative path against a glob as git does (wildmatch): `*` and `?` stop at
/// `/`, `**` spans folders (`a/**`, `**/b`, `a/**/b`), `[a-z]`/`[!x]` are classes and
/// `\x` is a literal `x`.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    /// `[...]` at the start of `p` (after the `[`): whether `c` is in it, and its length.
    fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
        let negate = matches!(p.first(), Some(b'!' | b'^'));
        let mut i = usize::from(negate);
        let start = i;
        let mut hit = false;
        while i < p.len() {
            if p[i] == b']' && i > start {
                return Some((hit != negate, i + 1));
            }
            if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
                hit |= p[i] <= c && c <= p[i + 2];
                i += 3;
            } else {
                hit |= p[i] == c;
                i += 1;
            }
        }
        None
    }
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) if p.get(1) == Some(&b'*') => {
                let rest = &p[2..];
                if rest.is_empty() {
                    return true;
                }
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && go(rest, &s[i..]))
            }
            (Some(b'*'), _) => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != b'/')
                .any(|i| go(&p[1..], &s[i..])),
            (Some(b'?'), Some(c)) if *c != b'/' => go(&p[1..], &s[1..]),
            (Some(b'['), Some(c)) if *c != b'/' => match class(&p[1..], *c) {
                Some((true, n)) => go(&p[1 + n..], &s[1..]),
                Some((false, _)) => false,
                None => *c == b'[' && go(&p[1..], &s[1..]),
            },
            (Some(b'\\'), Some(c)) if p.get(1) == Some(c) => go(&p[2..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

/// Files under `dir` matching any of `patterns`, as paths relative to `dir`.
pub fn collect_outputs(dir: &std::path::Path, patterns: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if patterns.iter().any(|pat| glob_match(pat, &rel)) {
                    found.push(rel);
                }
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(!glob_match("*.txt", "d/a.txt"));
        assert!(glob_match("**/*.png", "a/b/c.png"));
        assert!(glob_match("**/*.png", "c.png"));
        assert!(glob_match("take_???.mp4", "take_001.mp4"));
        assert!(!glob_match("*.txt", "a.txt.bak"));
        assert!(glob_match("03_Renders/**", "03_Renders/x/data.raw"));
        assert!(glob_match("*.[Mm][Oo][Vv]", "clip.MOV"));
        assert!(!glob_match("*.[!m]ov", "a.mov"));
        assert!(glob_match("a/**/b.png", "a/b.png"));
        assert!(glob_match("a/**/b.png", "a/x/y/b.png"));
    }
}
