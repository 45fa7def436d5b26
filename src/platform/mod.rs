//! Everything that differs between operating systems lives here, and only here: process
//! groups and signals, `/proc`, `libc` calls, Unix file modes, run-time library checks.
//! Elsewhere the code calls these functions; on a platform without an implementation
//! they return [`Unsupported`] ("not supported on this platform yet"), so a macOS or
//! Windows build compiles and says plainly what is missing (see `docs/platforms.md`).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(not(unix))]
mod other;
#[cfg(not(unix))]
pub use other::*;

/// A library the window loads at run time and the package that provides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeLibrary {
    pub soname: &'static str,
    pub package: &'static str,
}

/// The one list of libraries the window loads (`packaging/runtime-libraries.txt`): the
/// test command installs their packages, the .deb depends on them, README names them.
pub fn window_libraries() -> Vec<RuntimeLibrary> {
    include_str!("../../packaging/runtime-libraries.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (soname, package) = l.split_once(char::is_whitespace)?;
            Some(RuntimeLibrary {
                soname,
                package: package.trim(),
            })
        })
        .collect()
}

/// Why the window cannot open, said before winit is asked (whose own error names no
/// library and no package).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingLibrary {
    pub library: RuntimeLibrary,
    /// The loader's own words (`cannot open shared object file`, `invalid ELF header`, …).
    pub reason: String,
}

impl std::fmt::Display for MissingLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the window needs {} ({}), provided by the package `{}`: install it with \
             `sudo apt-get install {}` (Debian, Ubuntu). Every command except the window \
             works without it and without a display: see `slate --help`.",
            self.library.soname, self.reason, self.library.package, self.library.package
        )
    }
}

/// The two ways Slate ends a process: ask, then insist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Terminate,
    Kill,
}

/// Not available on this operating system yet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not supported on this platform yet")]
pub struct Unsupported(pub &'static str);
