//! The `slate` binary: parses arguments; the library does the work.

use clap::Parser as _;

fn main() {
    let cli = slate::cli::Cli::parse();
    let result = match cli.command {
        Some(cmd) => slate::cli::run(&cli.global, cmd),
        None => slate::ui::run_native(slate::ui::AppOptions {
            paths: slate::cli::paths(&cli.global),
            runner: slate::runner::RunnerConfig {
                gpu_replay: cli.global.gpu_replay.clone(),
                hold_queue: false,
                only_submitted: false,
                slate_exe: None,
            },
            screenshot: cli.screenshot,
            open_project: cli.global.project.clone(),
        })
        .map_err(Into::into),
    };
    if let Err(f) = result {
        if !f.message.is_empty() {
            slate::say_err!("error: {}", f.message);
        }
        std::process::exit(f.code);
    }
}
