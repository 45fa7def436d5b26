//! Text from someone else's project (names, descriptions, file names) printed for a person.

use std::borrow::Cow;

/// Makes control characters visible: `\e]0;pwned\a` prints as `\x1b]0;pwned\x07`, so a
/// name from a cloned project cannot retitle, clear or recolour the user's terminal.
/// Line breaks and tabs are kept (printed tables and messages are built with them);
/// `--json` output is not passed through here (JSON escapes them itself).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hostile(c) {
            let n = c as u32;
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        // Bidirectional overrides reorder what the user reads.
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Writes one line to stdout as is. A closed pipe (`slate tasks | head -1`) ends the
/// program successfully, as a Unix tool does, instead of panicking.
static STDOUT_USED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether anything was written to stdout through [`out_line`] or [`out_bytes`].
pub fn stdout_used() -> bool {
    STDOUT_USED.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn out_line(line: &str) {
    use std::io::Write as _;
    STDOUT_USED.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Writes raw bytes to stdout (a log as it is on disk), with the same closed-pipe rule.
pub fn out_bytes(bytes: &[u8]) {
    use std::io::Write as _;
    STDOUT_USED.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// `println!` for people: the formatted text goes through [`escape_controls`].
#[macro_export]
macro_rules! say {
    () => { $crate::util::text::say_line("") };
    ($($arg:tt)*) => { $crate::util::text::say_line(&$crate::util::text::escape_controls(&format!($($arg)*))) };
}

static JSON_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--json`: stdout carries JSON only, so words for people ([`say!`]) go to stderr.
pub fn set_json_mode(on: bool) {
    JSON_MODE.store(on, std::sync::atomic::Ordering::Relaxed);
}

pub fn json_mode() -> bool {
    JSON_MODE.load(std::sync::atomic::Ordering::Relaxed)
}

/// A line for people: stdout, or stderr under `--json`.
pub fn say_line(line: &str) {
    if json_mode() {
        eprintln!("{line}");
    } else {
        out_line(line);
    }
}

/// `eprintln!` for people (see [`say!`]).
#[macro_export]
macro_rules! say_err {
    ($($arg:tt)*) => { eprintln!("{}", $crate::util::text::escape_controls(&format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn terminal_escapes_are_shown_not_sent() {
        assert_eq!(escape_controls("Film"), "Film");
        assert_eq!(
            escape_controls("\u{1b}]0;owned\u{7}x"),
            "\\x1b]0;owned\\x07x"
        );
        assert_eq!(escape_controls("a\r\nb\tc"), "a\\x0d\nb\tc");
        assert_eq!(escape_controls("\u{9b}2J"), "\\x9b2J");
    }
}
