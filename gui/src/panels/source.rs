//! The source file around the current line (DWARF), highlighted, the current
//! line marked and followed, a gutter where a click toggles a `FILE:LINE`
//! breakpoint, and a picker over the files DWARF names.

use egui::{Color32, Sense, Vec2};
use wdb_debugger::api::{BreakSpec, BreakpointKind, BreakpointView, Command};

use super::{GUTTER, breakpoint_gutter, current_row_marker};
use crate::app::ViewState;
use crate::prefs::Prefs;
use crate::state::DebugState;

const ROW_HEIGHT: f32 = 16.0;

/// Whether two spellings name the same file (`dwarf/structs.c` and
/// `./dwarf/structs.c`, or a bare `structs.c`).
pub fn same_file(a: &str, b: &str) -> bool {
    let a = a.trim_start_matches("./");
    let b = b.trim_start_matches("./");
    a == b || a.ends_with(&format!("/{b}")) || b.ends_with(&format!("/{a}"))
}

/// The file to show first: the entry point's (`main`, or the first export
/// with a source line), else the one the module is named after
/// (`structs.wasm` -> `structs.c`). None when the entry point has no source
/// line: the Code tab then shows its disassembly.
pub fn default_file(state: &DebugState) -> Option<String> {
    let entry = state.module.as_ref()?.entry.as_ref()?;
    if let Some(loc) = &entry.source {
        return Some(loc.file.clone());
    }
    None
}

/// The file the module is named after, else the first one outside the C
/// library: what the file picker offers first.
pub fn likely_file(state: &DebugState) -> Option<String> {
    let stem = state
        .module
        .as_ref()
        .and_then(|m| std::path::Path::new(&m.path).file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let files = &state.source_files;
    files
        .iter()
        .find(|f| {
            std::path::Path::new(f)
                .file_stem()
                .is_some_and(|s| s.to_string_lossy() == stem)
        })
        .or_else(|| {
            files
                .iter()
                .find(|f| !f.contains("libc") && !f.starts_with('/'))
        })
        .or_else(|| files.first())
        .cloned()
}

fn breakpoint_at<'a>(
    bps: &'a [BreakpointView],
    file: &str,
    line: u32,
) -> Option<&'a BreakpointView> {
    bps.iter().find(|b| {
        b.kind == BreakpointKind::Breakpoint
            && b.source
                .as_ref()
                .is_some_and(|s| s.line == line && same_file(&s.file, file))
    })
}

pub fn source_ui(
    ui: &mut egui::Ui,
    state: &mut DebugState,
    prefs: &Prefs,
    view: &mut ViewState,
) -> Vec<Command> {
    let mut out = Vec::new();
    let current = state.current_frame().and_then(|f| f.source.clone());
    let Some(file) = view.source_file.clone() else {
        ui.weak("(DWARF names no source files)");
        return out;
    };

    ui.horizontal(|ui| {
        egui::ComboBox::new("source_file", "File")
            .selected_text(&file)
            .height(400.0)
            .width((ui.available_width() - 200.0).max(80.0))
            .show_ui(ui, |ui| {
                for f in &state.source_files {
                    if ui.selectable_label(*f == file, f).clicked() {
                        view.source_file = Some(f.clone());
                    }
                }
            });
        if let Some(loc) = &current
            && ui
                .button("Current")
                .on_hover_text("Show the current line")
                .clicked()
        {
            view.source_file = Some(loc.file.clone());
            view.source_scroll_pending = true;
        }
        let l = ui.label("Line:");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut view.source_goto)
                    .desired_width(50.0)
                    .hint_text("42"),
            )
            .labelled_by(l.id);
        if r.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && let Ok(n) = view.source_goto.trim().parse::<u32>()
        {
            view.source_scroll_to = Some(n.max(1));
        }
    });
    ui.separator();

    let Some(text) = state.sources.get(&file) else {
        if view.source_requested.insert(file.clone()) {
            out.push(Command::SourceFile { file });
        }
        ui.weak("(reading the source file...)");
        return out;
    };
    if let Some(e) = &text.error {
        // A sentence, wrapped at words across the pane.
        ui.add(egui::Label::new(egui::RichText::new(e).color(ui.visuals().warn_fg_color)).wrap());
        return out;
    }
    let current_line = current
        .as_ref()
        .filter(|l| same_file(&l.file, &file))
        .map(|l| l.line);
    let jobs = view
        .source_cache
        .highlighted(&file, &text.lines, prefs.dark);
    let spacing = ui.spacing().item_spacing.y;
    let mut area = egui::ScrollArea::both()
        .auto_shrink(false)
        .id_salt(("source", &file));
    if view.source_scroll_pending {
        view.source_scroll_pending = false;
        view.source_scroll_to = view.source_scroll_to.or(current_line);
    }
    if let Some(line) = view.source_scroll_to.take() {
        let y = ((line as f32 - 1.0) * (ROW_HEIGHT + spacing) - 120.0).max(0.0);
        area = area.vertical_scroll_offset(y);
    }
    let current_bg = if prefs.dark {
        Color32::from_rgb(70, 60, 20)
    } else {
        Color32::from_rgb(255, 240, 170)
    };
    area.show_rows(ui, ROW_HEIGHT, jobs.len(), |ui, rows| {
        for row in rows {
            let line = row as u32 + 1;
            let width = ui.available_width().max(500.0);
            let (rect, row_resp) =
                ui.allocate_exact_size(Vec2::new(width, ROW_HEIGHT), Sense::hover());
            // Clip to the visible part of the scroll area, not just the row:
            // a wide row must not paint over the neighbouring column.
            let painter = ui
                .painter()
                .with_clip_rect(rect.expand2(Vec2::new(0.0, 1.0)).intersect(ui.clip_rect()));
            if Some(line) == current_line {
                // For screen readers (and the tests): which line is current.
                let label = format!("Current line {line}");
                row_resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
                current_row_marker(ui, &painter, rect, current_bg);
            }
            let bp = breakpoint_at(&state.breakpoints, &file, line);
            let label = format!("Toggle breakpoint at line {line}");
            out.extend(breakpoint_gutter(
                ui,
                &painter,
                rect,
                ("srcbp", line),
                &label,
                bp,
                || BreakSpec::Line(file.clone(), line),
            ));
            painter.text(
                rect.left_center() + Vec2::new(GUTTER + 44.0, 0.0),
                egui::Align2::RIGHT_CENTER,
                line.to_string(),
                egui::FontId::monospace(11.0),
                ui.visuals().weak_text_color(),
            );
            let galley = painter.layout_job(jobs[row].clone());
            painter.galley(
                rect.left_center() + Vec2::new(GUTTER + 54.0, -galley.size().y / 2.0),
                galley,
                ui.visuals().text_color(),
            );
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_spellings_match() {
        assert!(same_file("dwarf/structs.c", "./dwarf/structs.c"));
        assert!(same_file("structs.c", "dwarf/structs.c"));
        assert!(!same_file("astructs.c", "dwarf/structs.c"));
        assert!(!same_file("a.c", "b.c"));
    }
}
