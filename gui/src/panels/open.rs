//! The screen shown with no module: a path box, recent files, and a hint
//! that a `.wasm` dropped on the window opens it.

use std::path::PathBuf;

use crate::app::ViewState;
use crate::prefs::Prefs;

pub fn open_ui(ui: &mut egui::Ui, prefs: &Prefs, view: &mut ViewState) -> Option<PathBuf> {
    let mut open = None;
    ui.vertical_centered(|ui| {
        ui.add_space(60.0);
        ui.heading("wdb - WebAssembly debugger");
        ui.add_space(20.0);
        ui.label("Open a module: type its path, pick a recent file, or drop a .wasm here.");
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let label = ui.label("Path:");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut view.open_path)
                        .desired_width(500.0)
                        .hint_text("path/to/module.wasm"),
                )
                .labelled_by(label.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Open").clicked() || enter) && !view.open_path.trim().is_empty() {
                open = Some(PathBuf::from(view.open_path.trim()));
            }
        });
        if let Some(e) = &view.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        ui.add_space(20.0);
        if !prefs.recent_files.is_empty() {
            ui.strong("Recent files");
            for p in &prefs.recent_files {
                if ui.link(p.display().to_string()).clicked() {
                    open = Some(p.clone());
                }
            }
        }
    });
    open
}
