//! Guest stdout (normal colour), stderr (red) and the stdin typed here
//! (dimmed), captured by the session. A line typed in the stdin box is
//! appended to the guest's stdin buffer, even while the guest runs; a guest
//! that reads an empty buffer sees end of file, so type before it reads.

use crate::app::ViewState;
use crate::state::DebugState;

/// Returns a line the user entered for the guest's stdin.
pub fn console_ui(ui: &mut egui::Ui, state: &DebugState, view: &mut ViewState) -> Option<String> {
    let mut entered = None;
    ui.horizontal(|ui| {
        let label = ui.label("stdin:");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut view.stdin_line)
                    .desired_width(ui.available_width() - 60.0)
                    .hint_text("a line for the guest's stdin (Enter sends it)"),
            )
            .labelled_by(label.id);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Send").clicked() || enter {
            entered = Some(std::mem::take(&mut view.stdin_line));
            if enter {
                r.request_focus();
            }
        }
    });
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink(false)
        .show(ui, |ui| {
            if state.console.is_empty() {
                ui.weak("(no guest output yet)");
            }
            for (fd, text) in &state.console {
                let color = match fd {
                    0 => ui.visuals().weak_text_color(),
                    2 => ui.visuals().error_fg_color,
                    _ => ui.visuals().text_color(),
                };
                ui.colored_label(
                    color,
                    egui::RichText::new(text.trim_end_matches('\n')).monospace(),
                );
            }
        });
    entered
}
