//! `<data-dir>/serve.json` (who serves this data dir, where) and `<data-dir>/api-token`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a serving Slate writes for its clients to find it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServeInfo {
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    pub port: u16,
    pub protocol: u32,
    pub version: String,
    /// `serve` or `window`.
    pub owner: String,
    pub started_ms: u64,
}

pub fn serve_file(data_dir: &Path) -> PathBuf {
    data_dir.join("serve.json")
}

pub fn token_file(data_dir: &Path) -> PathBuf {
    data_dir.join("api-token")
}

/// Is process `pid` alive (and not a zombie)?
pub fn pid_alive(pid: u32) -> bool {
    crate::platform::pid_alive(pid)
}

/// What the discovery file says.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    None,
    /// A Slate that is running serves this data dir.
    Live(ServeInfo),
    /// Left by a Slate that is gone (crashed or killed), or unreadable.
    Stale(String),
}

pub fn read(data_dir: &Path) -> Found {
    let file = serve_file(data_dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::None,
        Err(e) => return Found::Stale(format!("{}: {e}", file.display())),
    };
    match serde_json::from_str::<ServeInfo>(&text) {
        Ok(info) if info.pid == std::process::id() || pid_alive(info.pid) => Found::Live(info),
        Ok(info) => Found::Stale(format!(
            "{} names pid {}, which is no longer running",
            file.display(),
            info.pid
        )),
        Err(e) => Found::Stale(format!("{} is not readable: {e}", file.display())),
    }
}

/// Writes the file atomically (temp file, fsync, rename).
pub fn write(data_dir: &Path, info: &ServeInfo) -> Result<(), String> {
    let file = serve_file(data_dir);
    let text = serde_json::to_string_pretty(info).expect("serve info serialises");
    crate::util::write_atomic(&file, text.as_bytes())
        .map_err(|e| format!("could not write {}: {e}", file.display()))
}

/// Removes the file if it still names this process.
pub fn remove_if_ours(data_dir: &Path) {
    if let Ok(text) = std::fs::read_to_string(serve_file(data_dir))
        && let Ok(info) = serde_json::from_str::<ServeInfo>(&text)
        && info.pid == std::process::id()
    {
        std::fs::remove_file(serve_file(data_dir)).ok();
    }
}

/// The API token: read it, or create a random 256-bit one (hex, mode 0600) on first start.
pub fn ensure_token(data_dir: &Path) -> Result<String, String> {
    let file = token_file(data_dir);
    if let Ok(text) = std::fs::read_to_string(&file) {
        let t = text.trim().to_string();
        if t.len() >= 32 {
            crate::platform::set_mode(&file, 0o600)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            return Ok(t);
        }
    }
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let token = random_token()?;
    let tmp = data_dir.join(format!(".api-token.{}", std::process::id()));
    {
        let mut f = crate::platform::create_with_mode(&tmp, 0o600)
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        writeln!(f, "{token}").map_err(|e| format!("{}: {e}", tmp.display()))?;
        f.sync_all()
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    std::fs::rename(&tmp, &file).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(token)
}

/// 32 bytes from the kernel's random source, as 64 hex digits.
fn random_token() -> Result<String, String> {
    use std::io::Read as _;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("could not read /dev/urandom for the API token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares without an early exit, so timing says nothing about the token.
pub fn token_matches(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_private_random_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = ensure_token(dir.path()).unwrap();
        assert_eq!(a.len(), 64);
        let mode = crate::platform::mode_bits(&std::fs::metadata(token_file(dir.path())).unwrap());
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(ensure_token(dir.path()).unwrap(), a);
        let other = tempfile::tempdir().unwrap();
        assert_ne!(ensure_token(other.path()).unwrap(), a);
        assert!(token_matches(&a, &a));
        assert!(!token_matches(&a, &a[1..]));
    }

    #[test]
    fn a_file_naming_a_dead_pid_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), Found::None);
        let mut info = ServeInfo {
            pid: std::process::id(),
            address: "http://127.0.0.1:1".into(),
            port: 1,
            protocol: 1,
            version: "x".into(),
            owner: "serve".into(),
            started_ms: 0,
        };
        write(dir.path(), &info).unwrap();
        assert!(matches!(read(dir.path()), Found::Live(_)));
        // A child that has exited and been reaped: its pid is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        info.pid = child.id();
        child.wait().unwrap();
        write(dir.path(), &info).unwrap();
        assert!(matches!(read(dir.path()), Found::Stale(_)));
    }
}
