//! Slate's design tokens: spacing, colours and the theme switch. Views take colours and
//! margins from here, never literals.

use egui::Color32;

use crate::model::task::TaskState;
use crate::settings::ThemeChoice;

pub const SPACE_S: f32 = 4.0;
pub const SPACE_M: f32 = 8.0;
pub const SPACE_L: f32 = 16.0;
pub const LEFT_PANEL_WIDTH: f32 = 240.0;
pub const RIGHT_PANEL_WIDTH: f32 = 300.0;
pub const STATUS_BAR_HEIGHT: f32 = 24.0;
pub const ROW_HEIGHT: f32 = 22.0;
/// Secondary text that must still be read (a failure's cause).
pub const DETAIL_TEXT_SIZE: f32 = 12.0;
/// The Small text style (a tile's name, a project's status line).
pub const SMALL_TEXT_SIZE: f32 = 11.0;

pub const OK: Color32 = Color32::from_rgb(0x3f, 0xb9, 0x50);
pub const WARN: Color32 = Color32::from_rgb(0xd2, 0x99, 0x22);
pub const ERROR: Color32 = Color32::from_rgb(0xe5, 0x53, 0x4b);
pub const ACCENT: Color32 = Color32::from_rgb(0x4c, 0x8d, 0xf6);
pub const MUTED: Color32 = Color32::from_rgb(0x8b, 0x94, 0x9e);

/// A GPU's status colour by temperature: green while well below the warning
/// temperature (`hot_c`, 85 °C by default), amber within 10 °C of it, red at or above.
pub fn temperature_colour(temp_c: Option<u32>, hot_c: u64) -> Color32 {
    match temp_c.map(u64::from) {
        None => MUTED,
        Some(t) if t >= hot_c => ERROR,
        Some(t) if t + 10 >= hot_c => WARN,
        Some(_) => OK,
    }
}

pub fn state_colour(state: TaskState) -> Color32 {
    match state {
        TaskState::Succeeded => OK,
        TaskState::Failed | TaskState::Interrupted => ERROR,
        TaskState::Cancelled => MUTED,
        TaskState::Running | TaskState::Preparing => ACCENT,
        TaskState::Queued => WARN,
    }
}

pub fn state_icon(state: TaskState) -> &'static str {
    match state {
        TaskState::Succeeded => "✔",
        TaskState::Failed => "✖",
        TaskState::Interrupted => "⚠",
        TaskState::Cancelled => "⏹",
        TaskState::Running | TaskState::Preparing => "▶",
        TaskState::Queued => "⏳",
    }
}

/// Applies the theme and scale from Settings.
pub fn apply(ctx: &egui::Context, theme: ThemeChoice, ui_scale: f32) {
    ctx.set_theme(match theme {
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
        ThemeChoice::System => egui::ThemePreference::System,
    });
    if (ctx.zoom_factor() - ui_scale).abs() > f32::EPSILON {
        ctx.set_zoom_factor(ui_scale);
    }
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(SPACE_M, SPACE_S + 2.0);
        style.spacing.button_padding = egui::vec2(SPACE_M, SPACE_S);
        // egui's Small is 9 pt, too small to read a tile's name or a project's status.
        style.text_styles.insert(
            egui::TextStyle::Small,
            egui::FontId::proportional(SMALL_TEXT_SIZE),
        );
    });
}
