//! Exported functions with their signatures and an invoke form: typed inputs
//! validated as you type, an engine choice, Call, results, time taken and a
//! re-runnable history. A call stops at breakpoints like any other run.

use wdb_debugger::api::Command;

use crate::app::ViewState;
use crate::state::{DebugState, RunState};
use crate::values::check_arg;

pub fn exports_ui(ui: &mut egui::Ui, state: &DebugState, view: &mut ViewState) -> Vec<Command> {
    let mut out = Vec::new();
    let Some(module) = &state.module else {
        return out;
    };
    let busy = matches!(
        state.run_state(),
        RunState::Running | RunState::Paused { .. }
    );
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                use wdb_debugger::runner::Mode;
                let label = |m: Mode| match m {
                    Mode::Interp => "Interpreter",
                    Mode::Jit => "JIT",
                    Mode::Aot => "AOT",
                };
                let before = view.engine.unwrap_or(Mode::Interp);
                let mut engine = before;
                egui::ComboBox::new("engine", "Engine")
                    .selected_text(label(engine))
                    .show_ui(ui, |ui| {
                        for m in [Mode::Interp, Mode::Jit, Mode::Aot] {
                            ui.selectable_value(&mut engine, m, label(m))
                                .on_hover_text(match m {
                                    Mode::Interp => "Every instruction interpreted",
                                    _ => "Native code until a function with a breakpoint is entered, then the interpreter",
                                });
                        }
                    });
                if engine != before {
                    view.engine = Some(engine);
                    out.push(Command::SetMode(engine));
                }
            });
            ui.separator();
            if let Some(g) = &module.component {
                out.extend(component_exports_ui(ui, g, view, busy));
                return;
            }
            for export in module.exports.iter().filter(|e| e.kind == "func") {
                let params = &export.params;
                let inputs = view
                    .call_inputs
                    .entry(export.name.clone())
                    .or_insert_with(|| vec![String::new(); params.len()]);
                ui.group(|ui| {
                    ui.set_min_width(ui.available_width());
                    ui.horizontal_wrapped(|ui| {
                        ui.strong(&export.name);
                        ui.monospace(&export.signature);
                    });
                    let mut all_ok = true;
                    ui.horizontal_wrapped(|ui| {
                        for (i, (p, text)) in params.iter().zip(inputs.iter_mut()).enumerate() {
                            let label = format!(
                                "{}:",
                                wdb_debugger::engine::value::valtype_name(*p)
                            );
                            let check = check_arg(*p, text);
                            all_ok &= arg_field(ui, &label, text, check, 70.0, (&export.name, i));
                        }
                        if call_button(ui, all_ok, busy) {
                            out.push(Command::Call {
                                export: export.name.clone(),
                                args: inputs.iter().map(|s| s.trim().to_string()).collect(),
                            });
                        }
                    });
                    if let Some(last) = view.history.iter().rev().find(|c| c.export == export.name)
                    {
                        ui.label(format!(
                            "= {}   ({:.3} ms)",
                            last.outcome,
                            last.elapsed.as_secs_f64() * 1e3
                        ));
                    }
                });
            }
            if !view.history.is_empty() {
                ui.separator();
                ui.strong("History");
                for rec in view.history.iter().rev() {
                    ui.horizontal(|ui| {
                        if ui
                            .add_enabled(!busy, egui::Button::new("Re-run").small())
                            .on_hover_text("Run again")
                            .clicked()
                        {
                            out.push(Command::Call {
                                export: rec.export.clone(),
                                args: rec.args.clone(),
                            });
                        }
                        // Ends in an ellipsis at the pane's edge (the full
                        // line on hover) rather than widening the pane.
                        let line = format!(
                            "{}({}) = {} [{:.3} ms]",
                            rec.export,
                            rec.args.join(", "),
                            rec.outcome,
                            rec.elapsed.as_secs_f64() * 1e3
                        );
                        ui.add(
                            egui::Label::new(egui::RichText::new(&line).monospace()).truncate(),
                        )
                        .on_hover_text(line);
                    });
                }
            }
        });
    out
}

/// A component's exports: one WAVE field per parameter, labelled with its
/// name and type and checked as you type (`{x: 1, y: 2}`, `"text"`,
/// `[1, 2]`, `some(3)`), Call, and the lifted result.
fn component_exports_ui(
    ui: &mut egui::Ui,
    g: &wdb_debugger::api::ComponentGraphView,
    view: &mut ViewState,
    busy: bool,
) -> Vec<Command> {
    let mut out = Vec::new();
    if g.funcs.is_empty() {
        ui.weak("The component exports no functions to call (a command: use Run).");
    }
    for f in &g.funcs {
        let inputs = view
            .call_inputs
            .entry(f.name.clone())
            .or_insert_with(|| vec![String::new(); f.params.len()]);
        ui.group(|ui| {
            ui.set_min_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.strong(&f.name);
                if let Some(r) = &f.result {
                    ui.monospace(format!("-> {r}"));
                }
            });
            let mut all_ok = true;
            for (i, ((pname, ty), text)) in f.params.iter().zip(inputs.iter_mut()).enumerate() {
                ui.horizontal_wrapped(|ui| {
                    let check = wdb_debugger::api::check_component_arg(ty, text);
                    let label = format!("{pname}: {ty}");
                    all_ok &= arg_field(ui, &label, text, check, 160.0, (&f.name, i));
                });
            }
            if call_button(ui, all_ok, busy) {
                out.push(Command::Call {
                    export: f.name.clone(),
                    args: inputs.iter().map(|s| s.trim().to_string()).collect(),
                });
            }
            if let Some(last) = view.history.iter().rev().find(|c| c.export == f.name) {
                ui.label(format!(
                    "= {}   ({:.3} ms)",
                    last.outcome,
                    last.elapsed.as_secs_f64() * 1e3
                ));
            }
        });
    }
    out
}

/// One argument's label and text field, red with the reason on hover while
/// what is typed does not parse (`check`). Returns whether it parses.
fn arg_field(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    check: Result<(), String>,
    width: f32,
    id: impl std::hash::Hash + std::fmt::Debug,
) -> bool {
    let label = ui.label(label);
    let show_error = check.is_err() && !text.is_empty();
    let mut edit = egui::TextEdit::singleline(text)
        .desired_width(width)
        .id_salt(id);
    if show_error {
        edit = edit.text_color(ui.visuals().error_fg_color);
    }
    let r = ui.add(edit).labelled_by(label.id);
    match check {
        Ok(()) => true,
        Err(e) => {
            r.on_hover_text(e);
            false
        }
    }
}

/// The Call button: enabled when every argument parses and nothing runs.
fn call_button(ui: &mut egui::Ui, args_ok: bool, busy: bool) -> bool {
    let call = ui.add_enabled(args_ok && !busy, egui::Button::new("Call"));
    let call = if busy {
        call.on_disabled_hover_text("a call is already running or paused")
    } else {
        call
    };
    call.clicked()
}
