//! Profiling has no debugger API yet; say so rather than show made-up numbers.

pub fn profile_ui(ui: &mut egui::Ui) {
    ui.label("Profiling arrives with `wdb profile`: the debugger API has no profile command yet.");
}
