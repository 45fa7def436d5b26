//! Linux (and, where it compiles, other Unix) implementations.

use super::{MissingLibrary, window_libraries};

/// The first window library the dynamic loader cannot load, if any. Loads each with
/// `dlopen` exactly as winit and wgpu will, so a broken or missing file is found here.
pub fn missing_window_library() -> Option<MissingLibrary> {
    window_libraries().into_iter().find_map(|library| {
        let name = std::ffi::CString::new(library.soname).ok()?;
        // SAFETY: dlopen with a valid C string; the handle is closed right away. The
        // libraries are system libraries whose initialisers are safe to run twice.
        unsafe {
            let handle = libc::dlopen(name.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
            if !handle.is_null() {
                libc::dlclose(handle);
                return None;
            }
            let err = libc::dlerror();
            let reason = if err.is_null() {
                "cannot be loaded".to_owned()
            } else {
                let text = std::ffi::CStr::from_ptr(err).to_string_lossy().into_owned();
                // dlerror starts with the path it tried; keep only the loader's reason.
                text.rsplit(": ").next().unwrap_or(&text).to_owned()
            };
            Some(MissingLibrary { library, reason })
        }
    })
}
