//! The egui window. Views render a [`view_model::ViewModel`] built from core events and
//! send [`crate::events::Command`]s; nothing here does file, git, Docker or database I/O.

pub mod app;
pub mod commands;
pub mod palette;
pub mod repaint;
pub mod tabs;
pub mod theme;
pub mod view_model;
pub mod views;
pub mod widgets;

pub use app::{App, AppOptions};

/// Opens the Slate window and runs until it is closed.
pub fn run_native(options: AppOptions) -> Result<(), String> {
    check_can_open_window()?;
    // Always under the data dir: a screenshot must not read or write the user's layout
    // elsewhere (and it saves nothing: see `App::save`).
    let persistence = Some(options.paths.ui_state_file());
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Slate")
        .with_app_id("slate")
        .with_min_inner_size([800.0, 500.0]);
    if options.screenshot.is_some() {
        viewport = viewport.with_inner_size([1280.0, 800.0]);
    } else {
        viewport = viewport.with_inner_size([1440.0, 900.0]);
    }
    let native = eframe::NativeOptions {
        viewport,
        persist_window: options.screenshot.is_none(),
        persistence_path: persistence,
        ..Default::default()
    };
    eframe::run_native(
        "Slate",
        native,
        Box::new(move |cc| {
            let mut app = App::new(cc, options);
            app.serve_api();
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| format!("could not open the window: {e}"))
}

/// Says what is missing before winit is asked: its own errors ("Failed to load one of
/// xlib's shared libraries") name no library and no package.
fn check_can_open_window() -> Result<(), String> {
    // Slate is built for X11 only (Wayland sessions run it through XWayland).
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        return Err(
            "could not open the window: no X11 display (DISPLAY is not set). \
                    Every command except the window works without a display: see \
                    `slate --help`."
                .to_owned(),
        );
    }
    match crate::platform::missing_window_library() {
        Some(missing) => Err(format!("could not open the window: {missing}")),
        None => Ok(()),
    }
}
