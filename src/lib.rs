//! Slate: a native desktop studio for generative film production.
//!
//! The crate is split into an in-process *core* (settings, probes, runner, workspace,
//! GPU) that never touches egui, and the *ui* that renders a view model built from the
//! core's [`events::Event`]s. The two only talk through [`events`].

pub mod api;
pub mod cli;
pub mod cli_asset;
pub mod cli_cluster;
pub mod cli_project;
pub mod cli_take;
pub mod client;
pub mod core;
pub mod eta;
pub mod events;
pub mod gpu;
pub mod paths;
pub mod platform;
pub mod probe;
pub mod runner;
pub mod server;
pub mod settings;
pub mod ui;
pub mod util;
pub mod workspace;
