//! One panel per file. Each `*_ui` function draws from the state mirror and
//! returns the commands the user asked for; the app sends them after drawing.

pub mod breakpoints;
pub mod code;
pub mod console;
pub mod controls;
pub mod exports;
pub mod locals;
pub mod log;
pub mod memory;
pub mod module;
pub mod open;
pub mod profile;
pub mod run_config;
pub mod source;
pub mod stack;
pub mod wasi;

use egui::{Color32, Rect, Sense, Ui, Vec2};
use wdb_debugger::api::{BreakSpec, BreakpointView, Command};

/// Width of the breakpoint gutter at the left of the code and source views.
pub(crate) const GUTTER: f32 = 18.0;

/// The breakpoint gutter of one row of the code or source view, at the left
/// of `row`: a red dot for an enabled breakpoint, a ring for a disabled one,
/// a faint dot on hover. A click deletes `bp`, or sets a breakpoint at
/// `spec` when there is none. `id` tells the rows apart; `label` is what
/// accessibility (and the kittest harness) calls the button.
pub(crate) fn breakpoint_gutter(
    ui: &Ui,
    painter: &egui::Painter,
    row: Rect,
    id: impl std::hash::Hash + std::fmt::Debug,
    label: &str,
    bp: Option<&BreakpointView>,
    spec: impl FnOnce() -> BreakSpec,
) -> Option<Command> {
    let gutter = Rect::from_min_size(row.min, Vec2::new(GUTTER, row.height()));
    let resp = ui.interact(gutter, ui.scope_id().with(id), Sense::click());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, label));
    let centre = gutter.center();
    let red = Color32::from_rgb(220, 50, 50);
    match bp {
        Some(b) if b.enabled => {
            painter.circle_filled(centre, 5.0, red);
        }
        Some(_) => {
            painter.circle_stroke(centre, 5.0, (1.5, red));
        }
        None if resp.hovered() => {
            painter.circle_filled(centre, 5.0, red.gamma_multiply(0.4));
        }
        None => {}
    }
    resp.clicked().then(|| match bp {
        Some(b) => Command::Delete(Some(b.number)),
        None => Command::SetBreakpoint {
            spec: spec(),
            temporary: false,
            condition: None,
        },
    })
}

/// The current row: its background, and an arrow in the gutter (drawn, not a
/// glyph: the default fonts lack one).
pub(crate) fn current_row_marker(ui: &Ui, painter: &egui::Painter, row: Rect, bg: Color32) {
    painter.rect_filled(row, 0.0, bg);
    let tip = row.left_center() + Vec2::new(GUTTER + 12.0, 0.0);
    painter.add(egui::Shape::convex_polygon(
        vec![tip, tip + Vec2::new(-8.0, -5.0), tip + Vec2::new(-8.0, 5.0)],
        ui.visuals().warn_fg_color,
        egui::Stroke::NONE,
    ));
}
