//! The one way the command line writes to stdout. A reader that goes away early
//! (`slate tasks | head -1`) is not an error: the command ends quietly with exit 0,
//! as ripgrep and git do, instead of panicking in `println!`.

use std::io::Write as _;

/// Writes `bytes` to stdout; a closed stdout ends the process with success.
pub fn write_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        closed_or_report(e);
    }
}

/// Formats straight into the locked stdout (no intermediate String for big listings).
pub fn write_fmt(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        closed_or_report(e);
    }
}

fn closed_or_report(e: std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        // Nobody reads any more: everything asked for was delivered to whoever wanted it.
        std::process::exit(0);
    }
    eprintln!("error: writing to stdout: {e}");
    std::process::exit(1);
}

/// `println!` for the command line: see the module comment.
macro_rules! outln {
    () => { $crate::cli_output::write_fmt(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli_output::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for the command line: see the module comment.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli_output::write_fmt(format_args!($($arg)*)) };
}
