//! Breakpoints and watchpoints, with enable/disable and delete.

use wdb_debugger::api::Command;

use crate::state::DebugState;

pub fn breakpoints_ui(ui: &mut egui::Ui, state: &DebugState) -> Vec<Command> {
    let mut out = Vec::new();
    egui::CollapsingHeader::new(format!("Breakpoints ({})", state.breakpoints.len()))
        .default_open(true)
        .show(ui, |ui| {
            if state.breakpoints.is_empty() {
                ui.weak("(click the code gutter to add one)");
            }
            for b in &state.breakpoints {
                ui.horizontal(|ui| {
                    let mut enabled = b.enabled;
                    if ui
                        .checkbox(&mut enabled, b.number.to_string())
                        .on_hover_text("Enabled")
                        .changed()
                    {
                        out.push(Command::Enable(b.number, enabled));
                    }
                    let mut text = format!("{} {}", b.kind, b.spec);
                    if let Some(c) = &b.condition {
                        text.push_str(&format!(" if {c}"));
                    }
                    if b.hits > 0 {
                        text.push_str(&format!(" (hit {} times)", b.hits));
                    }
                    ui.monospace(text);
                    if ui.small_button("x").on_hover_text("Delete").clicked() {
                        out.push(Command::Delete(Some(b.number)));
                    }
                });
            }
        });
    out
}
