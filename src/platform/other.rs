//! Platforms Slate does not support yet: every function says so.

use super::MissingLibrary;

/// The window's libraries are bundled differently off Linux: nothing to check here.
pub fn missing_window_library() -> Option<MissingLibrary> {
    None
}
