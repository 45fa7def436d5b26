//! Linux (and, where it compiles, other Unix) implementations.

use std::fs::File;
use std::io;
use std::path::Path;

use super::{MissingLibrary, Signal, window_libraries};

/// Where the kernel lists processes.
pub const PROC_ROOT: &str = "/proc";

/// The first window library the dynamic loader cannot load, if any. Loads each with
/// `dlopen` exactly as winit and wgpu will, so a broken or missing file is found here.
pub fn missing_window_library() -> Option<MissingLibrary> {
    window_libraries().into_iter().find_map(|library| {
        let name = std::ffi::CString::new(library.soname).ok()?;
        // SAFETY: dlopen with a valid C string; the handle is closed right away. The
        // libraries are system libraries whose initialisers are safe to run twice.
        unsafe {
            let handle = libc::dlopen(name.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
            if !handle.is_null() {
                libc::dlclose(handle);
                return None;
            }
            let err = libc::dlerror();
            let reason = if err.is_null() {
                "cannot be loaded".to_owned()
            } else {
                let text = std::ffi::CStr::from_ptr(err).to_string_lossy().into_owned();
                // dlerror starts with the path it tried; keep only the loader's reason.
                text.rsplit(": ").next().unwrap_or(&text).to_owned()
            };
            Some(MissingLibrary { library, reason })
        }
    })
}

// ---- Processes ------------------------------------------------------------------------

/// Puts the child in its own process group (so a signal reaches its whole tree) and has
/// the kernel SIGKILL it when Slate dies, so a crashed Slate leaves no orphan running.
pub fn own_group_dies_with_parent(cmd: &mut tokio::process::Command) {
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe; it runs in the forked child before exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

fn raw(signal: Signal) -> i32 {
    match signal {
        Signal::Terminate => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    }
}

/// Sends `signal` to every process in group `pgid`.
pub fn signal_group(pgid: u32, signal: Signal) {
    if let Ok(pgid) = i32::try_from(pgid)
        && pgid > 1
    {
        // SAFETY: plain kill(2) on a process group; no memory is touched.
        unsafe { libc::kill(-pgid, raw(signal)) };
    }
}

/// Sends `signal` to one process.
pub fn signal_process(pid: u32, signal: Signal) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 1
    {
        // SAFETY: plain kill(2); no memory is touched.
        unsafe { libc::kill(pid, raw(signal)) };
    }
}

/// Whether a process with this pid exists (it may belong to another user).
pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    let exists = r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    // A zombie has ended: only its parent has not collected it yet.
    exists
        && !std::fs::read_to_string(format!("{PROC_ROOT}/{pid}/stat")).is_ok_and(|s| {
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z'))
        })
}

/// A copy-on-write clone (`FICLONE`), where the file system supports it.
pub fn reflink(src: &Path, dest: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    const FICLONE: libc::c_ulong = 0x4004_9409;
    let from = File::open(src)?;
    let to = File::create(dest)?;
    // SAFETY: both descriptors are open for the duration of the call.
    let rc = unsafe { libc::ioctl(to.as_raw_fd(), FICLONE as _, from.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        let e = io::Error::last_os_error();
        drop(to);
        std::fs::remove_file(dest).ok();
        Err(e)
    }
}

/// The exit code, or 128 + the signal that ended the process (as shells report it).
pub fn exit_code(status: std::process::ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(c), _) => c as i64,
        (None, Some(sig)) => 128 + sig as i64,
        _ => -1,
    }
}

/// One running process as `/proc/PID/stat` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub group: u32,
    /// Clock ticks since boot (field 22).
    pub start: u64,
}

fn process_info(pid: u32) -> Option<ProcessInfo> {
    let stat = std::fs::read_to_string(format!("{PROC_ROOT}/{pid}/stat")).ok()?;
    // The name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    Some(ProcessInfo {
        pid,
        group: fields.get(2)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

/// When `pid` started, in clock ticks since boot.
pub fn process_start_time(pid: u32) -> Option<u64> {
    process_info(pid).map(|p| p.start)
}

/// Every process visible to Slate.
pub fn processes() -> Vec<ProcessInfo> {
    let Ok(entries) = std::fs::read_dir(PROC_ROOT) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(process_info)
        .collect()
}

/// Whether the environment of `pid` holds every one of `marks` as a whole `KEY=value`.
pub fn environ_has(pid: u32, marks: &[String]) -> bool {
    let Ok(env) = std::fs::read(format!("{PROC_ROOT}/{pid}/environ")) else {
        return false;
    };
    marks
        .iter()
        .all(|m| env.split(|&b| b == 0).any(|e| e == m.as_bytes()))
}

/// `uid:gid` of this process, for running containers as the user.
pub fn user_and_group() -> Option<String> {
    // SAFETY: getuid/getgid cannot fail and touch no memory.
    Some(unsafe { format!("{}:{}", libc::getuid(), libc::getgid()) })
}

/// This machine's host name (`gethostname`), to tell a Slurm controller on this machine
/// from one elsewhere.
pub fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; the name is NUL-terminated within it
    // (or truncated, and then cut at the buffer's end below).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned()).filter(|h| !h.is_empty())
}

/// Runs `f` when the process exits normally (`exit`, a return from `main`, which test
/// harnesses use too): a test binary stops the services it started this way.
pub fn at_exit(f: extern "C" fn()) -> bool {
    // SAFETY: registering a plain function pointer; libc keeps it for the process.
    unsafe { libc::atexit(f) == 0 }
}

// ---- Files ----------------------------------------------------------------------------

/// Creates (truncating) a file with `mode` set at creation, so it is never readable by
/// others, not even for a moment.
pub fn create_with_mode(path: &Path, mode: u32) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
}

/// Opens for reading without blocking on a FIFO swapped in after a walk looked.
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Whether any execute bit is set.
pub fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

/// The file's permission bits (`0o600`).
pub fn mode_bits(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o7777
}

/// Sets the file's mode (`0o644`, `0o755`).
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// The stat data git keeps in its index for a file, so `git status` stays clean.
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

pub fn stat_data(meta: &std::fs::Metadata) -> StatData {
    use std::os::unix::fs::MetadataExt as _;
    StatData {
        ctime: (meta.ctime(), meta.ctime_nsec()),
        mtime: (meta.mtime(), meta.mtime_nsec()),
        dev: meta.dev(),
        ino: meta.ino(),
        uid: meta.uid(),
        gid: meta.gid(),
        executable: meta.mode() & 0o111 != 0,
    }
}

/// A path's raw bytes (Unix paths are bytes, not necessarily UTF-8).
pub fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt as _;
    path.as_os_str().as_bytes().to_vec()
}

/// Makes a symbolic link `link` pointing at `target`.
pub fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// Makes a named pipe (tests build hostile folders with it).
pub fn make_fifo(path: &Path) -> io::Result<()> {
    let c = std::ffi::CString::new(path_bytes(path)).map_err(io::Error::other)?;
    // SAFETY: a valid C string; mkfifo only creates a node.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o644) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A rename across file systems (`EXDEV`): copy instead, or ask.
pub fn is_cross_device(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EXDEV)
}

/// No space left on the device (`ENOSPC`).
pub fn is_disk_full(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOSPC) || e.kind() == io::ErrorKind::StorageFull
}

// ---- Signals --------------------------------------------------------------------------

/// SIGTERM and SIGINT as a future, for a server's graceful stop.
pub struct TerminationSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl TerminationSignals {
    /// Starts catching them now (they no longer end the process).
    pub fn listen() -> Result<Self, String> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate()).map_err(|e| e.to_string())?,
            int: signal(SignalKind::interrupt()).map_err(|e| e.to_string())?,
        })
    }

    /// The name of the next one to arrive.
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// From now on Ctrl+C and SIGTERM set the returned flag instead of ending the process,
/// so a long operation can stop cleanly and leave nothing behind.
pub fn flag_interrupts() -> &'static std::sync::atomic::AtomicBool {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_interrupt as *const () as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGTERM,
            on_interrupt as *const () as libc::sighandler_t,
        );
    }
    &INTERRUPTED
}
