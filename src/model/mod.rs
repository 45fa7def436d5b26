//! Plain data shared by every layer: serde types and pure functions, no I/O.

pub mod asset;
pub mod eta;
pub mod function;
pub mod git;
pub mod gpu;
pub mod gpu_history;
pub mod lfs;
pub mod logfile;
pub mod manifest;
pub mod names;
pub mod progress;
pub mod project;
pub mod story;
pub mod system;
pub mod take;
pub mod task;
