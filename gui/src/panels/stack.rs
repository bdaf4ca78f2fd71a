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
                let loc = match &f.source {
                    Some(s) => format!(" at {}:{}", s.file, s.line),
                    None => String::new(),
                };
                // Inlined calls (DWARF) and frames of native code (mode jit:
                // no locals to show) are marked, as in the REPL's `bt`.
                let inlined = if f.inlined { " [inlined]" } else { "" };
                let jit = if f.jit { " [JIT]" } else { "" };
                let text = format!(
                    "#{} {}+{:#x}{loc}{inlined}{jit}",
                    f.index, f.func_name, f.code_offset
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
