use serde::{Deserialize, Serialize};

/// One changed path and what changed about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    /// `added`, `modified`, `deleted`, `renamed`, `typechange`
    pub kind: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitStatus {
    pub branch: String,
    pub head: Option<String>,
    pub staged: Vec<FileChange>,
    pub modified: Vec<FileChange>,
    pub untracked: Vec<String>,
    pub conflicted: Vec<String>,
    /// LFS files left as pointer text in the work tree (media not restored): git calls
    /// them clean, so they are listed apart. `slate git restore-media` writes them.
    #[serde(default)]
    pub media_missing: Vec<String>,
    /// Names of the configured remotes (push and pull need `origin`).
    #[serde(default)]
    pub remotes: Vec<String>,
}

impl GitStatus {
    pub fn is_clean(&self) -> bool {
        self.staged.is_empty()
            && self.modified.is_empty()
            && self.untracked.is_empty()
            && self.conflicted.is_empty()
    }

    pub fn changed_count(&self) -> usize {
        let mut paths: std::collections::BTreeSet<&str> =
            self.untracked.iter().map(String::as_str).collect();
        paths.extend(self.staged.iter().map(|c| c.path.as_str()));
        paths.extend(self.modified.iter().map(|c| c.path.as_str()));
        paths.len()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    pub id: String,
    pub short_id: String,
    pub summary: String,
    pub message: String,
    pub author: String,
    pub time_s: i64,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    pub path: String,
    pub kind: String,
    pub additions: usize,
    pub deletions: usize,
}

/// A picture a commit changed, as files on this machine to show side by side: what the
/// path held before the commit and after it. `None` on a side: the file did not exist
/// there, or its LFS object is not downloaded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaChange {
    pub before: Option<std::path::PathBuf>,
    pub after: Option<std::path::PathBuf>,
    /// Why a side is missing, said to the user ("not downloaded", "added", "deleted").
    pub note: Option<String>,
}

/// Semantic commit prefixes offered in the Git tab and accepted by `slate git commit`.
pub const PREFIXES: &[&str] = &[
    "feat", "asset", "render", "fix", "docs", "story", "chore", "wip",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResetMode {
    Soft,
    Mixed,
    Hard,
}

impl ResetMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "soft" => Some(Self::Soft),
            "mixed" => Some(Self::Mixed),
            "hard" => Some(Self::Hard),
            _ => None,
        }
    }
}

/// `prefix: message`, unless the message already has a prefix.
pub fn prefixed(prefix: Option<&str>, message: &str) -> String {
    match prefix {
        Some(p) if !message.trim_start().starts_with(&format!("{p}:")) => {
            format!("{p}: {}", message.trim())
        }
        _ => message.trim().to_string(),
    }
}

/// A message that says what changed, for auto-commits: `feat: Generate 3 new renders`.
pub fn describe_changes(st: &GitStatus) -> String {
    let mut renders = 0;
    let mut assets = 0;
    let mut story = 0;
    let mut other = 0;
    let all = st.untracked.iter().map(|p| (p.as_str(), true)).chain(
        st.modified
            .iter()
            .chain(&st.staged)
            .map(|c| (c.path.as_str(), c.kind == "added")),
    );
    let mut new_renders = 0;
    for (p, added) in all {
        if p.starts_with("03_Renders/") {
            renders += 1;
            if added {
                new_renders += 1;
            }
        } else if p.starts_with("01_Assets/") {
            assets += 1;
        } else if p.starts_with("02_Story/") || p == "project.json" {
            story += 1;
        } else {
            other += 1;
        }
    }
    if new_renders > 0 && new_renders == renders && assets + story + other == 0 {
        format!(
            "feat: Generate {}",
            crate::util::count(new_renders, "new render")
        )
    } else if renders > 0 {
        format!(
            "render: Update {}",
            crate::util::count(renders, "render file")
        )
    } else if assets > 0 && story + other == 0 {
        format!("asset: Update {}", crate::util::count(assets, "asset"))
    } else if story > 0 && assets + other == 0 {
        format!(
            "story: Update the story ({})",
            crate::util::count(story, "file")
        )
    } else {
        format!(
            "chore: Update {}",
            crate::util::count(assets + story + other, "file")
        )
    }
}

/// Commits the Git view reads per page.
pub const LOG_PAGE: usize = 200;
