//! Run, continue, pause, steps and restart, with the run state.

use wdb_debugger::api::Command;

use crate::state::{DebugState, RunState};

/// Returns the commands and whether Pause was pressed (an interrupt goes
/// around the command queue, which is busy while the guest runs).
pub fn controls_ui(ui: &mut egui::Ui, state: &DebugState) -> (Vec<Command>, bool) {
    let mut out = Vec::new();
    let run = state.run_state();
    let running = run == RunState::Running;
    let paused = run.is_paused();
    let mut pause = false;
    let is_command = state.module.as_ref().is_some_and(|m| m.kind == "command");

    if ui
        .add_enabled(!running && is_command, egui::Button::new("Run"))
        .on_hover_text("Instantiate fresh and run _start")
        .clicked()
    {
        out.push(Command::Run { args: None });
    }
    // With DWARF the session steps by source line; without, by instruction.
    let unit = if state.module.as_ref().is_some_and(|m| m.has_dwarf) {
        "source line"
    } else {
        "instruction"
    };
    let buttons = [
        ("Continue", "F5".to_string(), Command::Continue),
        (
            "Step into",
            format!("F11: to the next {unit}, into calls"),
            Command::Step,
        ),
        (
            "Step over",
            format!("F10: to the next {unit}, over calls"),
            Command::Next,
        ),
        (
            "Step out",
            "Shift+F11: run until the selected frame returns".to_string(),
            Command::Finish,
        ),
        (
            "Step instruction",
            "One WebAssembly instruction (stepi)".to_string(),
            Command::StepInstruction,
        ),
    ];
    for (label, key, command) in buttons {
        if ui
            .add_enabled(paused, egui::Button::new(label))
            .on_hover_text(key)
            .clicked()
        {
            out.push(command);
        }
    }
    if ui
        .add_enabled(running, egui::Button::new("Pause"))
        .clicked()
    {
        pause = true;
    }
    if ui
        .add_enabled(!running, egui::Button::new("Restart"))
        .clicked()
    {
        out.push(Command::Restart);
    }
    if ui.add_enabled(paused, egui::Button::new("Kill")).clicked() {
        out.push(Command::Kill);
    }
    ui.separator();
    let color = match &run {
        RunState::Trapped(_) => ui.visuals().error_fg_color,
        RunState::Paused { .. } => ui.visuals().warn_fg_color,
        _ => ui.visuals().text_color(),
    };
    if running {
        ui.spinner();
    }
    ui.colored_label(color, run.describe());
    (out, pause)
}
