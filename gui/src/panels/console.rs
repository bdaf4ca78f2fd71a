//! Guest stdout (normal colour) and stderr (red), captured by the session.

use wdb_debugger::api::Command;

use crate::app::ViewState;
use crate::state::DebugState;

pub fn console_ui(ui: &mut egui::Ui, state: &DebugState, view: &mut ViewState) -> Vec<Command> {
    let out = Vec::new();
    ui.horizontal(|ui| {
        let label = ui.label("stdin:");
        // The debugger API has no command to feed guest stdin yet: the box is
        // shown disabled so the gap is visible, not hidden.
        ui.add_enabled(
            false,
            egui::TextEdit::singleline(&mut view.stdin_line)
                .hint_text("guest stdin (not supported by the session yet)"),
        )
        .labelled_by(label.id);
    });
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink(false)
        .show(ui, |ui| {
            if state.console.is_empty() {
                ui.weak("(no guest output yet)");
            }
            for (fd, text) in &state.console {
                let color = if *fd == 2 {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().text_color()
                };
                ui.colored_label(
                    color,
                    egui::RichText::new(text.trim_end_matches('\n')).monospace(),
                );
            }
        });
    out
}
