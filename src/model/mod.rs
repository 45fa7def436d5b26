//! Plain data shared by every layer: serde types and pure functions, no I/O.

pub mod eta;
pub mod manifest;
pub mod names;
pub mod story;
pub mod task;
