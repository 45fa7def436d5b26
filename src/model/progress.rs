//! The progress line protocol: JSON objects on stdout, tqdm bars on stderr, the rest is
//! log text. The parser takes any bytes and never panics.

use serde::{Deserialize, Serialize};

/// What one line said about progress.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgressUpdate {
    /// 0.0 ..= 1.0
    pub progress: Option<f32>,
    pub stage: Option<String>,
    pub message: Option<String>,
    /// A preview image path, relative to the task's output folder.
    pub preview: Option<String>,
}

#[derive(Deserialize)]
struct JsonLine {
    progress: Option<f64>,
    stage: Option<String>,
    message: Option<String>,
    preview: Option<String>,
}

/// Parses one line. `None` means "plain log text".
pub fn parse_line(line: &str) -> Option<ProgressUpdate> {
    let t = line.trim();
    if t.starts_with('{') {
        return parse_json(t);
    }
    parse_tqdm(t)
}

fn parse_json(t: &str) -> Option<ProgressUpdate> {
    let j: JsonLine = serde_json::from_str(t).ok()?;
    if j.progress.is_none() && j.stage.is_none() && j.message.is_none() && j.preview.is_none() {
        return None;
    }
    Some(ProgressUpdate {
        progress: j.progress.and_then(clamp_fraction),
        stage: j.stage,
        message: j.message,
        preview: j.preview,
    })
}

fn clamp_fraction(f: f64) -> Option<f32> {
    f.is_finite().then(|| f.clamp(0.0, 1.0) as f32)
}

/// `desc:  42%|████      | 21/50 [00:03<00:04, 6.1it/s]`
fn parse_tqdm(t: &str) -> Option<ProgressUpdate> {
    let bar = t.find('|')?;
    let head = &t[..bar];
    let pct_end = head.rfind('%')?;
    let digits_start = head[..pct_end]
        .char_indices()
        .rfind(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let pct: f64 = head[digits_start..pct_end].parse().ok()?;
    let desc = head[..digits_start].trim().trim_end_matches(':').trim();
    let rest = &t[bar + 1..];
    let counts = rest.split_once('|').map(|(_, after)| after.trim());
    let message = counts
        .and_then(|c| c.split_whitespace().next())
        .filter(|c| c.contains('/'))
        .map(str::to_string);
    Some(ProgressUpdate {
        progress: clamp_fraction(pct / 100.0),
        stage: (!desc.is_empty()).then(|| desc.to_string()),
        message,
        preview: None,
    })
}

/// Splits a byte stream into lines on `\n` or `\r` (tqdm redraws with `\r`), bounded so
/// a process that never ends a line cannot grow memory without limit.
#[derive(Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

/// Longest line kept; the rest of an over-long line is cut.
pub const MAX_LINE: usize = 64 * 1024;

impl LineSplitter {
    pub fn push(&mut self, bytes: &[u8], mut out: impl FnMut(String)) {
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                if !self.buf.is_empty() {
                    out(String::from_utf8_lossy(&self.buf).into_owned());
                    self.buf.clear();
                }
            } else if self.buf.len() < MAX_LINE {
                self.buf.push(b);
            }
        }
    }

    pub fn finish(&mut self, mut out: impl FnMut(String)) {
        if !self.buf.is_empty() {
            out(String::from_utf8_lossy(&self.buf).into_owned());
            self.buf.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines() {
        let u = parse_line(
            r#"{"progress":0.42,"stage":"sampling","message":"step 21/50","preview":"out/p.png"}"#,
        )
        .unwrap();
        assert_eq!(u.progress, Some(0.42));
        assert_eq!(u.stage.as_deref(), Some("sampling"));
        assert_eq!(u.preview.as_deref(), Some("out/p.png"));
        assert_eq!(
            parse_line(r#"{"progress": 7}"#).unwrap().progress,
            Some(1.0)
        );
        assert_eq!(parse_line(r#"{"other": 1}"#), None);
        assert_eq!(parse_line("{not json"), None);
    }

    #[test]
    fn tqdm_bars() {
        let u = parse_line(" 42%|████      | 21/50 [00:03<00:04, 6.1it/s]").unwrap();
        assert!((u.progress.unwrap() - 0.42).abs() < 1e-6);
        assert_eq!(u.message.as_deref(), Some("21/50"));
        let u = parse_line("Denoising:  100%|██████████| 50/50 [00:10<00:00]").unwrap();
        assert_eq!(u.progress, Some(1.0));
        assert_eq!(u.stage.as_deref(), Some("Denoising"));
        assert_eq!(parse_line("just a | log line"), None);
        assert_eq!(parse_line("100% done"), None);
    }

    #[test]
    fn splitter_handles_carriage_returns_and_long_lines() {
        let mut s = LineSplitter::default();
        let mut lines = Vec::new();
        s.push(b"a\r 10%|x| 1/10\r 20%|", |l| lines.push(l));
        s.push(b"x| 2/10\nlast", |l| lines.push(l));
        s.finish(|l| lines.push(l));
        assert_eq!(lines, vec!["a", " 10%|x| 1/10", " 20%|x| 2/10", "last"]);
        let mut s = LineSplitter::default();
        let mut n = 0;
        s.push(&vec![b'x'; MAX_LINE * 3], |_| n += 1);
        s.finish(|l| {
            n += 1;
            assert_eq!(l.len(), MAX_LINE)
        });
        assert_eq!(n, 1);
    }

    /// Fuzz: pseudo-random bytes and mutations of real lines never panic and always
    /// give fractions in range.
    #[test]
    fn fuzzed_input_never_panics() {
        let seeds: [&[u8]; 4] = [
            br#"{"progress":0.5,"stage":"s"}"#,
            " 42%|████      | 21/50 [00:03<00:04]".as_bytes(),
            b"%|%|%|",
            b"{\"progress\":1e309}",
        ];
        let mut x: u64 = 0x9E3779B97F4A7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..20_000 {
            let mut line = seeds[round % seeds.len()].to_vec();
            for _ in 0..(next() % 6) {
                let pos = (next() as usize) % (line.len() + 1);
                match next() % 3 {
                    0 => line.insert(pos, next() as u8),
                    1 if pos < line.len() => {
                        line.remove(pos);
                    }
                    _ if pos < line.len() => line[pos] = next() as u8,
                    _ => {}
                }
            }
            let text = String::from_utf8_lossy(&line);
            if let Some(u) = parse_line(&text)
                && let Some(p) = u.progress
            {
                assert!((0.0..=1.0).contains(&p), "{p} from {text:?}");
            }
        }
    }
}
