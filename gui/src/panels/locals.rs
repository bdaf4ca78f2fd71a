//! Arguments, locals, the operand stack and globals. Locals, arguments and
//! globals are editable in place: click a value, type, press Enter.

use wdb_debugger::api::{Command, NamedValue};

use crate::app::ViewState;
use crate::state::DebugState;

pub fn values_ui(ui: &mut egui::Ui, state: &DebugState, view: &mut ViewState) -> Vec<Command> {
    let mut out = Vec::new();
    let paused = state.run_state().is_paused();
    let sections: [(&str, &[NamedValue], bool); 4] = [
        ("Arguments", &state.args, paused),
        ("Locals", &state.locals, paused),
        ("Operand stack", &state.stack, false),
        ("Globals", &state.globals, state.module.is_some()),
    ];
    for (title, values, editable) in sections {
        egui::CollapsingHeader::new(format!("{title} ({})", values.len()))
            .default_open(title != "Globals")
            .show(ui, |ui| {
                if values.is_empty() {
                    ui.weak("(none)");
                    return;
                }
                egui::Grid::new(title)
                    .striped(true)
                    .num_columns(3)
                    .show(ui, |ui| {
                        for v in values {
                            ui.monospace(&v.name);
                            ui.weak(&v.value.ty);
                            let editing_this = view
                                .editing
                                .as_ref()
                                .is_some_and(|(p, n, _)| p == title && *n == v.name);
                            if editing_this {
                                let (_, _, text) = view.editing.as_mut().expect("checked above");
                                let r =
                                    ui.add(egui::TextEdit::singleline(text).desired_width(90.0));
                                r.request_focus();
                                if r.lost_focus() {
                                    let (_, name, value) =
                                        view.editing.take().expect("checked above");
                                    if ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                                        out.push(if title == "Globals" {
                                            Command::SetGlobal {
                                                global: name,
                                                value,
                                            }
                                        } else {
                                            Command::SetLocal { local: name, value }
                                        });
                                    }
                                }
                            } else {
                                let r = ui.add(
                                    egui::Label::new(
                                        egui::RichText::new(&v.value.text).monospace(),
                                    )
                                    .sense(egui::Sense::click()),
                                );
                                let r = if editable {
                                    r.on_hover_text("Click to edit")
                                } else {
                                    r
                                };
                                if editable && r.clicked() {
                                    view.editing = Some((
                                        title.to_string(),
                                        v.name.clone(),
                                        v.value.text.clone(),
                                    ));
                                }
                            }
                            ui.end_row();
                        }
                    });
            });
    }
    out
}
