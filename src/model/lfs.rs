use serde::{Deserialize, Serialize};

/// The `.gitattributes` rules that say something about the `filter` attribute, in file
/// order. As in git, the last rule that matches a path decides.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Vec<(String, bool)>", into = "Vec<(String, bool)>")]
pub struct Patterns {
    rules: Vec<(String, bool)>,
    /// The rules compiled once (linear-time matchers), on first use.
    compiled: std::sync::OnceLock<Vec<(Option<crate::util::glob::Pattern>, bool)>>,
}

impl PartialEq for Patterns {
    fn eq(&self, other: &Self) -> bool {
        self.rules == other.rules
    }
}

impl Eq for Patterns {}

impl Patterns {
    /// The rules of a `.gitattributes` text.
    pub fn parse(text: &str) -> Self {
        parse_rules(text).into()
    }

    /// The patterns that turn LFS on.
    pub fn list(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter(|(_, on)| *on)
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// gitattributes matching: a pattern without `/` matches the file name at any
    /// depth; with `/` it matches the path from the root; the last matching rule wins.
    pub fn matches(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        let compiled = self.compiled.get_or_init(|| {
            self.rules
                .iter()
                .map(|(p, on)| {
                    // A malformed pattern matches nothing, as in git.
                    (
                        crate::util::glob::Pattern::new(p.trim_start_matches('/')).ok(),
                        *on,
                    )
                })
                .collect()
        });
        self.rules
            .iter()
            .zip(compiled)
            .rev()
            .find(|((p, _), (m, _))| {
                let subject = if p.contains('/') { path } else { name };
                m.as_ref().is_some_and(|m| m.is_match(subject))
            })
            .is_some_and(|(_, (_, on))| *on)
    }
}

/// `pattern filter=lfs …` turns LFS on; `-filter`, `!filter` or another filter turn it
/// off for what the pattern matches.
pub fn parse_rules(text: &str) -> Vec<(String, bool)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let mut parts = l.split_whitespace();
            let pattern = parts.next()?;
            let mut filter = parts.filter_map(|a| match a {
                "-filter" | "!filter" => Some(false),
                a if a.starts_with("filter=") => Some(a == "filter=lfs"),
                _ => None,
            });
            filter.next_back().map(|on| (pattern.to_string(), on))
        })
        .collect()
}

/// The pattern "track this file type" adds for `path`: `*.ext` by its file name's
/// extension, or the path itself for a file without one.
pub fn type_pattern(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => format!("*.{ext}"),
        _ => path.to_string(),
    }
}

/// One LFS file as `git lfs ls-files` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LfsFile {
    pub path: String,
    pub oid: String,
    pub size: u64,
    /// The content is in the local store.
    pub present: bool,
}

impl From<Vec<(String, bool)>> for Patterns {
    fn from(rules: Vec<(String, bool)>) -> Self {
        Self {
            rules,
            compiled: Default::default(),
        }
    }
}

impl From<Patterns> for Vec<(String, bool)> {
    fn from(p: Patterns) -> Self {
        p.rules
    }
}
