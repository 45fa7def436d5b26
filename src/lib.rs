//! Slate: a native desktop studio for generative film production.
//!
//! Layers, lowest first; a layer imports only those below it (a test in `tests/` checks):
//! - `util`, `platform`: helpers and every OS-specific call;
//! - `paths`, `settings`, `model`: plain data shared by all;
//! - `api`: the one vocabulary (commands, events, replies, errors) and the event bus;
//! - engines: `runner` (the queue), `workspace` (the open project), `gpu`, `probe`;
//! - `core`: wiring, one command router, flows between engines;
//! - `client` (in-process or remote) and `server` (`slate serve`);
//! - `cli` and `ui`: clients, which never import an engine.

pub mod api;
pub mod cli;
pub mod client;
pub mod core;
pub mod gpu;
pub mod model;
pub mod paths;
pub mod platform;
pub mod probe;
pub mod runner;
pub mod server;
pub mod settings;
pub mod ui;
pub mod util;
pub mod workspace;

/// The one vocabulary between clients and the core (`api::events`).
pub use api::events;
