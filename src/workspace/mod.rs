//! Projects on disk: layout, manifest, story sidecar, takes, assets, git and LFS.

pub mod asset_import;
pub mod assets;
pub mod git;
pub mod leftovers;
pub mod lfs;
pub mod ops;
pub mod ops_media;
pub mod project;
pub mod service;
pub mod take_store;
pub mod takes;
pub mod thumbnails;
pub mod watch;

pub use crate::model::{manifest, names, story};
