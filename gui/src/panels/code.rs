//! The Code tab: with DWARF, the source file beside the disassembly; without,
//! the disassembly alone.
//!
//! Disassembly of one function (WAT from wasmprinter, highlighted), the
//! current instruction highlighted and followed, and a gutter where a click
//! toggles a breakpoint.

use egui::{Color32, Sense, Vec2};
use wdb_debugger::api::{BreakSpec, Command};

use super::{GUTTER, breakpoint_gutter, current_row_marker};
use crate::app::ViewState;
use crate::prefs::Prefs;
use crate::state::DebugState;

const ROW_HEIGHT: f32 = 16.0;

pub fn code_ui(
    ui: &mut egui::Ui,
    state: &mut DebugState,
    prefs: &Prefs,
    view: &mut ViewState,
) -> Vec<Command> {
    open_on_entry(state, view);
    let has_dwarf = state.module.as_ref().is_some_and(|m| m.has_dwarf);
    let current = state.current_frame().and_then(|f| f.source.clone());
    if state.stop_generation != view.source_seen_stop {
        view.source_seen_stop = state.stop_generation;
        if prefs.follow_current
            && let Some(loc) = &current
        {
            view.source_file = Some(loc.file.clone());
            view.source_scroll_pending = true;
        }
    }
    let mut out = Vec::new();
    if !has_dwarf {
        return disasm_ui(ui, state, prefs, view);
    }
    if view.source_file.is_none() {
        // The entry point has no source line (libc's `_start`, a module
        // built without -g for its own code): its disassembly, with the
        // files DWARF does name a click away.
        ui.horizontal_wrapped(|ui| {
            let name = state
                .module
                .as_ref()
                .and_then(|m| m.entry.as_ref())
                .map_or(String::new(), |e| e.func_name.clone());
            ui.weak(format!("No source line for {name}; its disassembly:"));
            egui::ComboBox::new("open_source_file", "")
                .selected_text("Open a source file")
                .height(400.0)
                .show_ui(ui, |ui| {
                    let first = super::source::likely_file(state);
                    let files = first.iter().chain(
                        state
                            .source_files
                            .iter()
                            .filter(|f| Some(*f) != first.as_ref()),
                    );
                    for f in files {
                        if ui.selectable_label(false, f).clicked() {
                            view.source_file = Some(f.clone());
                        }
                    }
                });
        });
        ui.separator();
        return disasm_ui(ui, state, prefs, view);
    }
    // Source beside disassembly, split where the user drags it.
    let width = ui.available_width();
    view.source_pane = Some(
        egui::Panel::left("source_pane")
            .resizable(true)
            .default_size(width * 0.55)
            .size_range(160.0..=(width - 160.0).max(160.0))
            .show(ui, |ui| {
                ui.push_id("source_column", |ui| {
                    out.extend(super::source::source_ui(ui, state, prefs, view));
                });
            })
            .response
            .rect,
    );
    ui.push_id("disasm_column", |ui| {
        out.extend(disasm_ui(ui, state, prefs, view));
    });
    out
}

/// Once per module: the disassembly starts on the entry point, and the
/// source view on its file and line.
fn open_on_entry(state: &DebugState, view: &mut ViewState) {
    if view.entry_applied {
        return;
    }
    let Some(m) = &state.module else { return };
    view.entry_applied = true;
    let Some(entry) = &m.entry else { return };
    if view.code_func.is_none() {
        view.code_func = Some(entry.func_index);
    }
    if view.source_file.is_none()
        && let Some(file) = super::source::default_file(state)
    {
        view.source_file = Some(file);
        view.source_scroll_to = entry.source.as_ref().map(|l| l.line);
    }
}

pub fn disasm_ui(
    ui: &mut egui::Ui,
    state: &mut DebugState,
    prefs: &Prefs,
    view: &mut ViewState,
) -> Vec<Command> {
    let mut out = Vec::new();
    let current = state.current_frame().map(|f| (f.func_index, f.code_offset));
    if state.stop_generation != view.seen_stop {
        view.seen_stop = state.stop_generation;
        if prefs.follow_current
            && let Some((func, _)) = current
        {
            view.code_func = Some(func);
            view.code_scroll_pending = true;
        }
    }
    let DebugState {
        disassembly,
        breakpoints,
        ..
    } = state;
    let Some(disasm) = disassembly.as_mut() else {
        ui.weak("(reading the disassembly...)");
        return out;
    };
    if view.code_func.is_none() {
        view.code_func = disasm.funcs.first().map(|f| f.func_index);
    }
    let Some(func) = view.code_func else {
        ui.weak("(the module defines no functions)");
        return out;
    };
    let selected_name = disasm
        .func(func)
        .map(|f| f.name.clone())
        .unwrap_or_default();
    ui.horizontal(|ui| {
        egui::ComboBox::new("code_func", "Function")
            .selected_text(&selected_name)
            .height(400.0)
            .show_ui(ui, |ui| {
                for f in &disasm.funcs {
                    if ui.selectable_label(f.func_index == func, &f.name).clicked() {
                        view.code_func = Some(f.func_index);
                    }
                }
            });
        if let Some((cf, off)) = current
            && ui
                .button("Current")
                .on_hover_text("Show the current instruction")
                .clicked()
        {
            view.code_func = Some(cf);
            view.code_scroll_pending = true;
            let _ = off;
        }
    });
    ui.separator();

    let (lines, jobs) = disasm.highlighted(func, prefs.dark);
    let current_row = current
        .filter(|(f, _)| *f == func)
        .and_then(|(_, off)| lines.iter().position(|l| l.code_offset == Some(off)));
    let spacing = ui.spacing().item_spacing.y;
    let mut area = egui::ScrollArea::both()
        .auto_shrink(false)
        .id_salt(("code", func));
    if view.code_scroll_pending {
        view.code_scroll_pending = false;
        if let Some(row) = current_row {
            let y = (row as f32 * (ROW_HEIGHT + spacing) - 120.0).max(0.0);
            area = area.vertical_scroll_offset(y);
        }
    }
    let current_bg = if prefs.dark {
        Color32::from_rgb(70, 60, 20)
    } else {
        Color32::from_rgb(255, 240, 170)
    };
    area.show_rows(ui, ROW_HEIGHT, lines.len(), |ui, rows| {
        for row in rows {
            let line = &lines[row];
            let job = &jobs[row];
            let width = ui.available_width().max(420.0);
            let (rect, _) = ui.allocate_exact_size(Vec2::new(width, ROW_HEIGHT), Sense::hover());
            // Clip to the visible part of the scroll area, not just the row:
            // a wide row must not paint over the neighbouring column.
            let painter = ui
                .painter()
                .with_clip_rect(rect.expand2(Vec2::new(0.0, 1.0)).intersect(ui.clip_rect()));
            if Some(row) == current_row {
                current_row_marker(ui, &painter, rect, current_bg);
            }
            if let Some(off) = line.code_offset {
                let bp = breakpoints.iter().find(|b| {
                    b.code_offset == Some(off)
                        && b.kind == wdb_debugger::api::BreakpointKind::Breakpoint
                });
                let label = format!("Toggle breakpoint at {off:#x}");
                out.extend(breakpoint_gutter(
                    ui,
                    &painter,
                    rect,
                    ("bp", off),
                    &label,
                    bp,
                    || BreakSpec::CodeOffset(off),
                ));
                painter.text(
                    rect.left_center() + Vec2::new(GUTTER + 16.0, 0.0),
                    egui::Align2::LEFT_CENTER,
                    // As the REPL prints it (`=> 0x1c6:`).
                    format!("{off:#x}"),
                    egui::FontId::monospace(11.0),
                    ui.visuals().weak_text_color(),
                );
            }
            let galley = painter.layout_job(job.clone());
            painter.galley(
                rect.left_center() + Vec2::new(GUTTER + 76.0, -galley.size().y / 2.0),
                galley,
                ui.visuals().text_color(),
            );
        }
    });
    out
}
