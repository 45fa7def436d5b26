//! One line of a task's log file: `2026-11-30T15:15:13.123Z out <the line as printed>`.
//! The time is when Slate read the line (UTC, milliseconds); `out`/`err` says which
//! stream. Logs written before times were kept (`out <line>`) still read.

/// The record written to the log file for one line (without the newline).
pub fn record(ts_ms: u64, stderr: bool, line: &str) -> String {
    format!(
        "{} {} {line}",
        crate::util::iso8601(ts_ms),
        if stderr { "err" } else { "out" }
    )
}

/// A log file line taken apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// RFC 3339 UTC time, when the line has one.
    pub time: Option<&'a str>,
    pub stderr: bool,
    /// The line exactly as the task printed it.
    pub text: &'a str,
    /// `out <text>` / `err <text>`: the line without its time, as logs read before.
    pub tagged: &'a str,
}

/// Parses a log file line; a line in no known shape (a truncation note) is all text.
pub fn parse(line: &str) -> LogLine<'_> {
    let (time, tagged) = match line.split_once(' ') {
        Some((t, rest)) if is_time(t) => (Some(t), rest),
        _ => (None, line),
    };
    let (stderr, text) = if let Some(t) = tagged.strip_prefix("err ") {
        (true, t)
    } else if let Some(t) = tagged.strip_prefix("out ") {
        (false, t)
    } else {
        (false, tagged)
    };
    LogLine {
        time,
        stderr,
        text,
        tagged,
    }
}

/// `HH:MM:SS.mmm` of a record's time, for display.
pub fn clock(time: &str) -> &str {
    time.get(11..23).unwrap_or(time)
}

fn is_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[23] == b'Z'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_old_lines_still_read() {
        let r = record(1_764_515_713_123, true, "out of memory at step 5");
        assert_eq!(r, "2025-11-30T15:15:13.123Z err out of memory at step 5");
        let l = parse(&r);
        assert_eq!(l.time, Some("2025-11-30T15:15:13.123Z"));
        assert!(l.stderr);
        assert_eq!(l.text, "out of memory at step 5");
        assert_eq!(l.tagged, "err out of memory at step 5");
        assert_eq!(clock(l.time.unwrap()), "15:15:13.123");
        let old = parse("out tick 1");
        assert_eq!((old.time, old.stderr, old.text), (None, false, "tick 1"));
        let note = parse("--- log truncated: limit reached ---");
        assert_eq!(note.text, "--- log truncated: limit reached ---");
    }
}
