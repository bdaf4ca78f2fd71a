//! The WASI call log as a table: start time, duration, call, decoded
//! arguments, result (errno name) and bytes moved; filterable, newest first
//! or last, a catchpoint on any call name, and "break on this call" per row.

use egui_extras::{Column, TableBuilder};
use wdb_debugger::api::{Command, WasiCallView};

use crate::app::ViewState;
use crate::prefs::Prefs;
use crate::state::DebugState;

/// `fd=1 iovs=[14]`.
pub fn args_text(c: &WasiCallView) -> String {
    c.args
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a call matches the filter (its name, arguments or result).
pub fn matches(c: &WasiCallView, filter: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    filter.is_empty()
        || c.line.to_lowercase().contains(&filter)
        || c.errno_name.to_lowercase().contains(&filter)
}

/// The table's column titles, in column order.
pub const HEADERS: [&str; 8] = [
    "#",
    "",
    "Time",
    "Took",
    "Call",
    "Arguments",
    "Result",
    "Bytes",
];

fn duration_text(d: std::time::Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

pub fn wasi_ui(
    ui: &mut egui::Ui,
    state: &DebugState,
    prefs: &mut Prefs,
    view: &mut ViewState,
) -> Vec<Command> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        let l = ui.label("Filter:");
        ui.add(
            egui::TextEdit::singleline(&mut view.wasi_filter)
                .desired_width(140.0)
                .hint_text("fd_write, EBADF..."),
        )
        .labelled_by(l.id);
        ui.checkbox(&mut prefs.wasi_newest_first, "Newest first");
        ui.separator();
        let l = ui.label("Break on call:");
        ui.add(
            egui::TextEdit::singleline(&mut view.wasi_catch)
                .desired_width(120.0)
                .hint_text("fd_write (empty: any)"),
        )
        .labelled_by(l.id);
        if ui.button("Catch").clicked() {
            let name = view.wasi_catch.trim();
            out.push(Command::CatchWasi(
                (!name.is_empty()).then(|| name.to_string()),
            ));
        }
        if ui.button("Refresh").clicked() {
            out.push(Command::WasiLog);
        }
    });
    let mut rows: Vec<&WasiCallView> = state
        .wasi
        .iter()
        .filter(|c| matches(c, &view.wasi_filter))
        .collect();
    if prefs.wasi_newest_first {
        rows.reverse();
    }
    if rows.is_empty() {
        ui.weak(if state.wasi.is_empty() {
            "(no WASI calls yet)"
        } else {
            "(no call matches the filter)"
        });
        return out;
    }
    let mono = |ui: &mut egui::Ui, t: &str| {
        ui.add(egui::Label::new(egui::RichText::new(t).monospace()).truncate());
    };
    TableBuilder::new(ui)
        .striped(true)
        .auto_shrink(false)
        .column(Column::exact(44.0))
        .column(Column::exact(46.0))
        .column(Column::exact(80.0))
        .column(Column::exact(70.0))
        .column(Column::exact(120.0))
        .column(Column::remainder().at_least(120.0).clip(true))
        .column(Column::exact(80.0))
        .column(Column::exact(60.0))
        .header(18.0, |mut h| {
            // One title per column, in the order the rows fill them (the
            // second column holds each row's "break" button).
            for title in HEADERS {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(18.0, rows.len(), |mut row| {
                let c = rows[row.index()];
                if c.func.is_empty() {
                    // The "earlier calls dropped" note, under Arguments.
                    for _ in 0..5 {
                        row.col(|_| {});
                    }
                    row.col(|ui| mono(ui, &c.line));
                    for _ in 0..2 {
                        row.col(|_| {});
                    }
                    return;
                }
                row.col(|ui| mono(ui, &c.seq.to_string()));
                row.col(|ui| {
                    if ui
                        .small_button("break")
                        .on_hover_text(format!("Stop after every {} call", c.func))
                        .clicked()
                    {
                        out.push(Command::CatchWasi(Some(c.func.clone())));
                    }
                });
                row.col(|ui| mono(ui, &format!("+{:.6}s", c.start.as_secs_f64())));
                row.col(|ui| mono(ui, &duration_text(c.duration)));
                row.col(|ui| mono(ui, &c.func));
                row.col(|ui| {
                    let args = args_text(c);
                    ui.add(egui::Label::new(egui::RichText::new(&args).monospace()).truncate())
                        .on_hover_text(&args);
                });
                row.col(|ui| {
                    let t = egui::RichText::new(&c.errno_name).monospace();
                    if c.errno == 0 {
                        ui.label(t);
                    } else {
                        ui.colored_label(ui.visuals().error_fg_color, t);
                    }
                });
                row.col(|ui| mono(ui, &c.bytes.map_or(String::new(), |b| b.to_string())));
            });
        });
    out
}
