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
pub fn out_line(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// `println!` for people: the formatted text goes through [`escape_controls`].
#[macro_export]
macro_rules! say {
    () => { $crate::util::text::out_line("") };
    ($($arg:tt)*) => { $crate::util::text::out_line(&$crate::util::text::escape_controls(&format!($($arg)*))) };
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
