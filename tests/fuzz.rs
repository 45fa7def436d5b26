//! Bounded fuzzing of the parsers that read what someone else wrote: `project.json`
//! (manifest), function templates and `.gitattributes`. A seeded generator mutates the
//! checked-in corpus (`tests/fuzz_corpus/`); every input must parse or fail with an
//! error, never panic, and gitattributes matching must stay fast whatever the rules.
//!
//! `SLATE_FUZZ_SECS` (default 2 per parser) and `SLATE_FUZZ_SEED` change the budget and
//! the seed; a failure prints both and writes the input under `target/`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that matter to these formats, spliced in as well as random bytes.
const TOKENS: &[&str] = &[
    "*",
    "**",
    "**/",
    "?",
    "[",
    "]",
    "[!",
    "{",
    "}",
    "\\",
    "/",
    "\"",
    "'",
    "=",
    "\n",
    " ",
    "-filter",
    "!filter",
    "filter=lfs",
    "{prompt}",
    "{output_dir}",
    "{a}{b}",
    "\u{1b}]0;x\u{7}",
    "[[inputs]]",
    "type = \"file\"",
    "min = 1e308",
    "max = -1",
    "nan",
    "inf",
    "1.7976931348623157e309",
    "18446744073709551615",
    "-9223372036854775808",
    "null",
    "[]",
    "{}",
    "\"id\":",
    ",",
    ":",
    "\u{0}",
    "\u{202e}",
    "é",
    "../",
    "/etc/passwd",
];

fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut b = corpus[rng.below(corpus.len())].clone();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(b.len() + 1);
        match rng.below(6) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            2 if !b.is_empty() => {
                let end = (at + rng.below(32)).min(b.len());
                b.drain(at.min(end)..end);
            }
            3 if !b.is_empty() => {
                let start = rng.below(b.len());
                let end = (start + rng.below(64)).min(b.len());
                let piece = b[start..end].to_vec();
                b.splice(at..at, piece);
            }
            4 => {
                let other = &corpus[rng.below(corpus.len())];
                let start = rng.below(other.len());
                let end = (start + rng.below(128)).min(other.len());
                b.splice(at..at, other[start..end].iter().copied());
            }
            _ => b.insert(at, rng.next() as u8),
        }
    }
    b
}

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(kind);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the fuzz corpus {} is missing: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let c: Vec<_> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(!c.is_empty(), "the fuzz corpus {} is empty", dir.display());
    c
}

/// Runs `check` on mutated inputs for the time budget; a panic fails the test with the
/// seed, the iteration and a copy of the input.
fn fuzz(kind: &str, check: impl Fn(&str)) {
    let corpus = corpus(kind);
    let secs: f64 = std::env::var("SLATE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let seed: u64 = std::env::var("SLATE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0f5a_7e00);
    let mut rng = Rng(seed | 1);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    // The corpus itself first, unmutated.
    for c in &corpus {
        check(&String::from_utf8_lossy(c));
    }
    let mut n = 0u64;
    while Instant::now() < deadline {
        let input = String::from_utf8_lossy(&mutate(&mut rng, &corpus)).into_owned();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&input)));
        if r.is_err() {
            let out = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("target/fuzz-failure-{kind}-{seed}-{n}.txt"));
            std::fs::write(&out, &input).ok();
            panic!(
                "{kind}: input {n} (SLATE_FUZZ_SEED={seed}) failed; it is in {}",
                out.display()
            );
        }
        n += 1;
    }
    println!("{kind}: {n} mutated inputs");
}

#[test]
fn fuzz_manifest_parser() {
    fuzz("manifest", |text| {
        use slate::workspace::manifest::Manifest;
        // The corpus is project.json files; each is also tried as the story sidecar.
        for story in [None, Some(text)] {
            if let Ok(parsed) = Manifest::parse(text, story) {
                // What parses must write back and parse again, to the same story.
                let (project, story) = parsed.manifest.to_json();
                let again =
                    Manifest::parse(&project, Some(&story)).expect("a parsed manifest re-parses");
                assert!(again.upgrade.is_empty(), "what Slate writes is current");
            }
        }
    });
}

#[test]
fn fuzz_template_parser() {
    let builtins = BTreeMap::from([
        ("slate_exe", "/bin/slate".to_string()),
        ("output_dir", "/out".to_string()),
        ("task_id", "1".to_string()),
        ("workspace", "/workspace".to_string()),
    ]);
    fuzz("template", |text| {
        let Ok(t) = slate::runner::function::FunctionTemplate::parse(text, Path::new("f.toml"))
        else {
            return;
        };
        for preset in [None, Some("draft"), Some("high")] {
            if let Ok((params, _)) = t.resolve(preset, &BTreeMap::new(), 60) {
                t.render_command(&params, &builtins);
            }
        }
    });
}

#[test]
fn fuzz_gitattributes_parser_and_matcher() {
    let paths = [
        "a".repeat(60),
        format!("{}/{}", "a/".repeat(30), "b".repeat(60)),
        "03_Renders/ch/sc/sh/takes/take_001/sh_take_001.mp4".to_string(),
        "plates/x.exr".to_string(),
        "[weird]{name}*.png".to_string(),
    ];
    fuzz("gitattributes", |text| {
        let rules = slate::workspace::lfs::Patterns::parse(text);
        for p in &paths {
            let t = Instant::now();
            rules.matches(p);
            assert!(
                t.elapsed() < Duration::from_millis(500),
                "matching {p:?} took {:?}",
                t.elapsed()
            );
        }
    });
}
