//! `wdb profile` in the window: the same work in the interpreter, JIT and
//! AOT side by side (median wall time as bars), and the per-function table.
//! The profile runs on the session's worker thread; this panel only sends
//! the command and shows a spinner until the report arrives.

use egui::{Color32, Sense, Vec2};
use wdb_debugger::api::Command;
use wdb_debugger::profile::ProfileReport;

use crate::app::ViewState;
use crate::state::DebugState;

pub fn profile_ui(ui: &mut egui::Ui, state: &DebugState, view: &mut ViewState) -> Vec<Command> {
    let mut out = Vec::new();
    let is_command = state.module.as_ref().is_some_and(|m| m.kind == "command");
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                is_command && !view.profiling,
                egui::Button::new("Profile run"),
            )
            .on_hover_text("Run _start in every engine and compare")
            .clicked()
        {
            out.push(Command::Profile {
                invoke: None,
                args: Vec::new(),
            });
            view.profiling = true;
        }
        let l = ui.label("or call:");
        ui.add(
            egui::TextEdit::singleline(&mut view.profile_call)
                .desired_width(160.0)
                .hint_text("fib 25"),
        )
        .labelled_by(l.id);
        let mut words = view.profile_call.split_whitespace();
        let export = words.next().map(str::to_string);
        let args: Vec<String> = words.map(str::to_string).collect();
        if ui
            .add_enabled(
                export.is_some() && !view.profiling,
                egui::Button::new("Profile call"),
            )
            .clicked()
            && let Some(e) = export
        {
            out.push(Command::Profile {
                invoke: Some((e, args)),
                args: Vec::new(),
            });
            view.profiling = true;
        }
        if view.profiling {
            ui.spinner();
            ui.label("profiling on the worker thread...");
        }
    });
    ui.separator();
    let Some(report) = &state.profile else {
        ui.weak("(no profile yet)");
        return out;
    };
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| report_ui(ui, report));
    out
}

fn report_ui(ui: &mut egui::Ui, r: &ProfileReport) {
    ui.label(format!(
        "{}: {} ({} instructions)",
        r.file, r.invocation, r.instructions
    ));
    let max = r
        .modes
        .iter()
        .filter_map(|m| m.wall.as_ref().map(|w| w.median_ms))
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let colours = [
        Color32::from_rgb(90, 150, 220),
        Color32::from_rgb(230, 150, 60),
        Color32::from_rgb(110, 190, 110),
    ];
    for (i, m) in r.modes.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.add_sized([90.0, 18.0], egui::Label::new(&m.mode));
            match (&m.wall, &m.unavailable) {
                (Some(w), _) => {
                    let width = 300.0 * (w.median_ms / max) as f32;
                    let (rect, _) = ui.allocate_exact_size(Vec2::new(300.0, 14.0), Sense::hover());
                    let bar = egui::Rect::from_min_size(rect.min, Vec2::new(width.max(1.0), 14.0));
                    ui.painter()
                        .rect_filled(bar, 2.0, colours[i % colours.len()]);
                    ui.monospace(format!(
                        "{:.3} ms median (min {:.3}, max {:.3}, {} runs)",
                        w.median_ms, w.min_ms, w.max_ms, w.runs
                    ));
                    if let Some(c) = &m.compile {
                        ui.weak(format!("+ {:.3} ms compile/load", c.median_ms));
                    }
                }
                (None, Some(why)) => {
                    ui.weak(why);
                }
                (None, None) => {
                    ui.weak("(no timing)");
                }
            }
        });
    }
    ui.separator();
    // JIT/AOT columns only when the report has their profiling runs.
    let has = |mode: &str| r.native_profiles.iter().any(|n| n.mode == mode);
    let (jit, aot) = (has("jit"), has("aot"));
    let mut heads = vec!["Function", "Calls", "Self instr", "Incl instr", "Self ms"];
    if jit {
        heads.extend(["JIT calls", "JIT self ms"]);
    }
    if aot {
        heads.extend(["AOT calls", "AOT self ms"]);
    }
    egui::Grid::new("profile_funcs")
        .striped(true)
        .num_columns(heads.len())
        .show(ui, |ui| {
            for h in &heads {
                ui.strong(*h);
            }
            ui.end_row();
            for f in r.functions.iter().take(200) {
                ui.monospace(&f.name);
                ui.monospace(f.calls.to_string());
                ui.monospace(f.self_instructions.to_string());
                ui.monospace(f.incl_instructions.to_string());
                ui.monospace(format!("{:.3}", f.self_ms));
                for (on, n) in [(jit, f.jit), (aot, f.aot)] {
                    if on {
                        let n = n.unwrap_or_default();
                        ui.monospace(n.calls.to_string());
                        ui.monospace(format!("{:.3}", n.self_ms));
                    }
                }
                ui.end_row();
            }
        });
}
