//! Arguments, locals, the operand stack and globals. Structs, arrays and
//! pointers expand as trees (a pointer to what it points at); a value too
//! long for the pane ends in an ellipsis and shows in full in a tooltip, so
//! it is never cut to a wrong reading. Locals, arguments and globals are
//! editable in place: click a value, type, press Enter.

use egui::{Align, Layout, Vec2};
use wdb_debugger::api::{Command, NamedValue};

use crate::app::ViewState;
use crate::state::DebugState;

/// Width of the name and type columns; the value takes the rest.
const NAME_WIDTH: f32 = 96.0;
const TYPE_WIDTH: f32 = 84.0;
const ROW_HEIGHT: f32 = 18.0;
/// Indentation per tree level.
const INDENT: f32 = 14.0;

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
            .id_salt(title)
            .default_open(title != "Globals")
            .show(ui, |ui| {
                if values.is_empty() {
                    ui.weak("(none)");
                    return;
                }
                for v in values {
                    let row = Row {
                        panel: title,
                        editable,
                    };
                    value_tree_ui(ui, &row, v, &v.name, 0, view, &mut out);
                }
            });
    }
    out
}

struct Row<'a> {
    panel: &'a str,
    editable: bool,
}

/// One value and, when expanded, its parts. `path` names it uniquely
/// (`list.next.*list.next`) so each node keeps its own open state.
fn value_tree_ui(
    ui: &mut egui::Ui,
    row: &Row<'_>,
    v: &NamedValue,
    path: &str,
    depth: usize,
    view: &mut ViewState,
    out: &mut Vec<Command>,
) {
    let id = ui.make_persistent_id((row.panel, path));
    if v.value.children.is_empty() {
        ui.horizontal(|ui| {
            // Where a node's expand arrow would be, so names line up.
            ui.add_space(ui.spacing().indent);
            row_ui(ui, row, v, depth, view, out);
        });
        return;
    }
    egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false)
        .show_header(ui, |ui| row_ui(ui, row, v, depth, view, out))
        .body_unindented(|ui| {
            for c in &v.value.children {
                let child_path = format!("{path}.{}", c.name);
                value_tree_ui(ui, row, c, &child_path, depth + 1, view, out);
            }
        });
}

/// Name, type and value in fixed columns; the value truncated with an
/// ellipsis to the pane's width, in full in its tooltip.
fn row_ui(
    ui: &mut egui::Ui,
    row: &Row<'_>,
    v: &NamedValue,
    depth: usize,
    view: &mut ViewState,
    out: &mut Vec<Command>,
) {
    let indent = depth as f32 * INDENT;
    let cell = |ui: &mut egui::Ui, width: f32, add: &mut dyn FnMut(&mut egui::Ui)| {
        ui.allocate_ui_with_layout(
            Vec2::new(width, ROW_HEIGHT),
            Layout::left_to_right(Align::Center),
            |ui| {
                ui.set_width(width);
                add(ui);
            },
        );
    };
    cell(ui, NAME_WIDTH + indent, &mut |ui| {
        ui.add_space(indent);
        ui.add(egui::Label::new(egui::RichText::new(&v.name).monospace()).truncate());
    });
    cell(ui, TYPE_WIDTH, &mut |ui| {
        ui.add(egui::Label::new(egui::RichText::new(&v.value.ty).weak()).truncate());
    });
    // Only top-level values are variables the session can set.
    let editable = row.editable && depth == 0;
    let editing_this = editable
        && view
            .editing
            .as_ref()
            .is_some_and(|(p, n, _)| p == row.panel && *n == v.name);
    if editing_this {
        let (_, _, text) = view.editing.as_mut().expect("checked above");
        let r = ui.add(egui::TextEdit::singleline(text).desired_width(ui.available_width()));
        r.request_focus();
        if r.lost_focus() {
            let (_, name, value) = view.editing.take().expect("checked above");
            if ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                out.push(if row.panel == "Globals" {
                    Command::SetGlobal {
                        global: name,
                        value,
                    }
                } else {
                    Command::SetLocal { local: name, value }
                });
            }
        }
        return;
    }
    let r = ui.add(
        egui::Label::new(egui::RichText::new(&v.value.text).monospace())
            .truncate()
            .sense(egui::Sense::click()),
    );
    let tip = if v.value.ty.is_empty() {
        v.value.text.clone()
    } else {
        format!("({}) {}", v.value.ty, v.value.text)
    };
    let r = r.on_hover_text(if editable {
        format!("{tip}\nClick to edit")
    } else {
        tip
    });
    if editable && r.clicked() {
        view.editing = Some((row.panel.to_string(), v.name.clone(), v.value.text.clone()));
    }
}
