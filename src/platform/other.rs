//! Platforms Slate does not support yet: each function says so, or does the plain
//! portable thing where one exists (see docs/platforms.md for what a port needs).

use std::fs::File;
use std::io;
use std::path::Path;

use super::{MissingLibrary, Signal, Unsupported};

pub const PROC_ROOT: &str = "";

fn unsupported(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, Unsupported(what))
}

pub fn missing_window_library() -> Option<MissingLibrary> {
    None
}

pub fn own_group_dies_with_parent(_cmd: &mut tokio::process::Command) {}

pub fn signal_group(_pgid: u32, _signal: Signal) {}

pub fn signal_process(_pid: u32, _signal: Signal) {}

pub fn pid_alive(_pid: u32) -> bool {
    // Unknown: assume alive, so nothing of another process is ever cleaned up.
    true
}

pub fn reflink(_src: &Path, _dest: &Path) -> io::Result<()> {
    Err(unsupported("copy-on-write clones"))
}

pub fn exit_code(status: std::process::ExitStatus) -> i64 {
    status.code().map_or(-1, i64::from)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub group: u32,
    pub start: u64,
}

pub fn process_start_time(_pid: u32) -> Option<u64> {
    None
}

pub fn processes() -> Vec<ProcessInfo> {
    Vec::new()
}

pub fn environ_has(_pid: u32, _marks: &[String]) -> bool {
    false
}

pub fn user_and_group() -> Option<String> {
    None
}

pub fn create_with_mode(path: &Path, _mode: u32) -> io::Result<File> {
    File::create(path)
}

pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

pub fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

pub fn mode_bits(_meta: &std::fs::Metadata) -> u32 {
    0o644
}

pub fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatData {
    pub ctime: (i64, i64),
    pub mtime: (i64, i64),
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    pub gid: u32,
    pub executable: bool,
}

pub fn stat_data(_meta: &std::fs::Metadata) -> StatData {
    StatData::default()
}

pub fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().as_bytes().to_vec()
}

pub fn symlink(_target: &Path, _link: &Path) -> io::Result<()> {
    Err(unsupported("making symbolic links"))
}

pub fn make_fifo(_path: &Path) -> io::Result<()> {
    Err(unsupported("named pipes"))
}

pub fn is_cross_device(_e: &io::Error) -> bool {
    false
}

pub fn is_disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull
}

/// Ctrl+C as a future (the only termination request tokio offers everywhere).
pub struct TerminationSignals;

impl TerminationSignals {
    pub fn listen() -> Result<Self, String> {
        Ok(Self)
    }

    pub async fn recv(&mut self) -> &'static str {
        tokio::signal::ctrl_c().await.ok();
        "Ctrl+C"
    }
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// No signal handling here yet: the flag never rises and Ctrl+C ends the process.
pub fn flag_interrupts() -> &'static std::sync::atomic::AtomicBool {
    &INTERRUPTED
}

pub fn host_name() -> Option<String> {
    None
}

pub fn at_exit(_f: extern "C" fn()) -> bool {
    false
}
