//! Globs as git writes them (wildmatch): `*` and `?` stop at `/`, `**` spans folders
//! (`a/**`, `**/b`, `a/**/b`), `[a-z]`/`[!x]` are classes, `\x` is a literal `x`.
//!
//! Matching goes through `globset` (compiled to a regex automaton), so it takes time
//! linear in the path whatever the pattern: a hostile `*a*a*a…*b` from a cloned project's
//! `.gitattributes` cannot make Slate spin.

/// One compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern(globset::GlobMatcher);

impl Pattern {
    /// Compiles `pattern`. A malformed one (an unclosed `[`) is an error naming it.
    pub fn new(pattern: &str) -> Result<Self, String> {
        build(pattern).map(|g| Self(g.compile_matcher()))
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.0.is_match(path)
    }
}

/// Several patterns; a path matches when any does.
#[derive(Clone, Debug)]
pub struct PatternSet(globset::GlobSet);

impl PatternSet {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, String> {
        let mut b = globset::GlobSetBuilder::new();
        for p in patterns {
            b.add(build(p.as_ref())?);
        }
        b.build().map(Self).map_err(|e| e.to_string())
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.0.is_match(path)
    }
}

fn build(pattern: &str) -> Result<globset::Glob, String> {
    globset::GlobBuilder::new(&literal_braces(pattern))
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("bad pattern {pattern:?}: {e}"))
}

/// git has no `{a,b}` alternates: braces outside a class are plain characters.
fn literal_braces(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `[]…]` and `[!]…]`: a `]` first is a member, not the end.
                if let Some(&n) = chars.peek()
                    && matches!(n, '!' | '^')
                {
                    out.push(n);
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' | '}' if !in_class => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// One-off match (tests, rare calls); a malformed pattern matches nothing.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    Pattern::new(pattern).is_ok_and(|p| p.is_match(path))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs_follow_git() {
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
        assert!(glob_match("\\*.txt", "*.txt"));
        assert!(!glob_match("\\*.txt", "a.txt"));
        assert!(glob_match("*.{png}", "a.{png}"));
        assert!(!glob_match("*.{png,jpg}", "a.png"));
    }

    #[test]
    fn backtracking_patterns_are_linear() {
        let t = std::time::Instant::now();
        let name = "a".repeat(60);
        assert!(!glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", &name));
        assert!(
            t.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            t.elapsed()
        );
    }
}
