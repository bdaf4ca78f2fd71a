//! Session messages: info text, warnings and failed commands.

use crate::state::{DebugState, LogKind};

pub fn log_ui(ui: &mut egui::Ui, state: &DebugState) {
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink(false)
        .show(ui, |ui| {
            for (kind, text) in &state.log {
                let color = match kind {
                    LogKind::Error => ui.visuals().error_fg_color,
                    LogKind::Warning => ui.visuals().warn_fg_color,
                    LogKind::Info => ui.visuals().text_color(),
                };
                ui.colored_label(color, egui::RichText::new(text).monospace());
            }
        });
}
