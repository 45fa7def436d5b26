//! Folder names from user text, as the web studio makes them
//! (`WorkspaceService._sanitize_project_name`): Unicode letters and digits, `-` and `_`
//! survive, everything else becomes `_`, underscores are trimmed from both ends, and a
//! name left with nothing is `untitled_project`. An empty, reserved or too long name is
//! refused with a reason.

/// Longest folder name Slate makes (well under every filesystem's 255-byte limit, with
/// room for `take_NNN` suffixes and temp names).
pub const MAX_NAME_CHARS: usize = 80;

const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The folder a name gives when nothing else is left of it.
pub const UNTITLED: &str = "untitled_project";

pub fn sanitize(name: &str) -> String {
    let folder: String = name
        .trim()
        .chars()
        .map(|c| {
            // Python's str.isalnum is Unicode-aware; so is char::is_alphanumeric.
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let folder = folder.trim_matches('_');
    if folder.is_empty() {
        UNTITLED.into()
    } else {
        folder.into()
    }
}

/// The folder name for `name`, or why it cannot be one.
pub fn folder_name(name: &str) -> Result<String, String> {
    if name.trim().is_empty() {
        return Err("give the project a name".into());
    }
    let folder = sanitize(name);
    if name.trim().chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "the name is {} characters long; keep it to {MAX_NAME_CHARS}",
            name.trim().chars().count()
        ));
    }
    if WINDOWS_RESERVED.contains(&folder.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "{folder:?} is a reserved device name on Windows and cannot be a folder; choose another name"
        ));
    }
    Ok(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names() {
        assert_eq!(folder_name("My Film #1").unwrap(), "My_Film__1");
        assert_eq!(folder_name("../x").unwrap(), "x");
        assert_eq!(folder_name("🎬 Noir").unwrap(), "Noir");
        assert_eq!(folder_name("Café Noir").unwrap(), "Café_Noir");
        assert_eq!(folder_name("東京 物語").unwrap(), "東京_物語");
        assert_eq!(folder_name("🎬🎬").unwrap(), UNTITLED);
        assert_eq!(folder_name("..").unwrap(), UNTITLED);
        assert!(
            folder_name("   ")
                .unwrap_err()
                .contains("give the project a name")
        );
        assert!(folder_name("con").unwrap_err().contains("reserved"));
        assert!(folder_name("CON").is_err());
        assert!(folder_name(&"a".repeat(300)).unwrap_err().contains("300"));
        assert_eq!(folder_name("a/b\\c:d").unwrap(), "a_b_c_d");
    }
}
