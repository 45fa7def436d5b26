//! Pictures for the window: thumbnails of assets and takes, decoded for display. The
//! files are read where the window runs (a linked window shares the serving Slate's
//! machine and disk).

pub use crate::workspace::asset_import::thumbnail;
pub use crate::workspace::thumbnails::{Rgba, decode, is_image, load_rgba};
