//! The WASI call log as a table: filterable, newest first or last, and a
//! break-on-call catchpoint.

use egui_extras::{Column, TableBuilder};
use wdb_debugger::api::Command;

use crate::app::ViewState;
use crate::prefs::Prefs;
use crate::state::DebugState;

pub fn wasi_ui(
    ui: &mut egui::Ui,
    state: &DebugState,
    prefs: &mut Prefs,
    view: &mut ViewState,
) -> Vec<Command> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        let l = ui.label("Filter:");
        ui.add(egui::TextEdit::singleline(&mut view.wasi_filter).desired_width(140.0))
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
    let filter = view.wasi_filter.to_lowercase();
    let mut rows: Vec<_> = state
        .wasi
        .iter()
        .filter(|c| filter.is_empty() || c.line.to_lowercase().contains(&filter))
        .collect();
    if prefs.wasi_newest_first {
        rows.reverse();
    }
    TableBuilder::new(ui)
        .striped(true)
        .column(Column::exact(60.0))
        .column(Column::remainder().clip(true))
        .column(Column::auto().at_least(80.0))
        .header(18.0, |mut h| {
            h.col(|ui| {
                ui.strong("#");
            });
            h.col(|ui| {
                ui.strong("Call");
            });
            h.col(|ui| {
                ui.strong("Result");
            });
        })
        .body(|body| {
            body.rows(18.0, rows.len(), |mut row| {
                let c = rows[row.index()];
                let (call, result) = c.line.rsplit_once(" -> ").unwrap_or((&c.line, ""));
                row.col(|ui| {
                    ui.monospace(c.seq.to_string());
                });
                row.col(|ui| {
                    ui.monospace(call);
                });
                row.col(|ui| {
                    ui.monospace(result);
                });
            });
        });
    out
}
