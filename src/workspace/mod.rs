//! Projects on disk: layout, manifest, git and LFS.

pub mod git;
pub mod leftovers;
pub mod lfs;
pub mod manifest;
pub mod names;
pub mod project;
pub mod service;
