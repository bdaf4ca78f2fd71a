//! The call stack; clicking a frame selects it and the other panels follow.

use wdb_debugger::api::Command;

use crate::state::DebugState;

pub fn call_stack_ui(ui: &mut egui::Ui, state: &DebugState) -> Vec<Command> {
    let mut out = Vec::new();
    egui::CollapsingHeader::new("Call stack")
        .default_open(true)
        .show(ui, |ui| {
            if state.frames.is_empty() {
                ui.weak("(not running)");
            }
            for f in &state.frames {
                // As the REPL's `bt` prints it: the source line, else the
                // code_offset; inlined calls (DWARF) and frames of native
                // code (mode jit: no locals to show) are marked.
                let inlined = if f.inlined { " [inlined]" } else { "" };
                let jit = if f.jit { " [JIT]" } else { "" };
                let text = format!(
                    "#{} {}{inlined}{jit}",
                    f.index,
                    crate::state::frame_place(f)
                );
                if ui
                    .selectable_label(
                        f.index == state.selected_frame,
                        egui::RichText::new(text).monospace(),
                    )
                    .clicked()
                {
                    out.push(Command::SelectFrame(f.index));
                }
            }
        });
    out
}
