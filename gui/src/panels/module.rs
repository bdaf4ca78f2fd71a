//! The module at a glance: kind, sections with sizes, imports, exports,
//! custom sections, producers and whether DWARF is present.

use crate::state::DebugState;

pub fn module_ui(ui: &mut egui::Ui, state: &DebugState) {
    let Some(m) = &state.module else {
        return;
    };
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            egui::Grid::new("module_summary")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("File");
                    ui.monospace(&m.path);
                    ui.end_row();
                    ui.label("Size");
                    ui.label(format!("{} bytes", m.size));
                    ui.end_row();
                    ui.label("Kind");
                    ui.label(&m.kind);
                    ui.end_row();
                    ui.label("Functions");
                    ui.label(m.functions.len().to_string());
                    ui.end_row();
                    ui.label("DWARF");
                    ui.label(if m.has_dwarf { "present" } else { "absent" });
                    ui.end_row();
                });
            egui::CollapsingHeader::new(format!("Sections ({})", m.sections.len()))
                .default_open(true)
                .show(ui, |ui| {
                    egui::Grid::new("sections")
                        .striped(true)
                        .num_columns(3)
                        .show(ui, |ui| {
                            for s in &m.sections {
                                ui.monospace(&s.name);
                                ui.monospace(format!("{:#x}", s.module_offset));
                                ui.label(format!("{} B", s.size));
                                ui.end_row();
                            }
                        });
                });
            egui::CollapsingHeader::new(format!("Imports ({})", m.imports.len())).show(ui, |ui| {
                for i in &m.imports {
                    ui.monospace(format!(
                        "{}.{} {} {}",
                        i.module, i.name, i.kind, i.signature
                    ));
                }
            });
            egui::CollapsingHeader::new(format!("Exports ({})", m.exports.len())).show(ui, |ui| {
                for e in &m.exports {
                    ui.monospace(format!("{} {} {}", e.kind, e.name, e.signature));
                }
            });
            let custom: Vec<_> = m
                .sections
                .iter()
                .filter_map(|s| Some((s.name.strip_prefix("custom:")?, s.size)))
                .collect();
            egui::CollapsingHeader::new(format!("Custom sections ({})", custom.len())).show(
                ui,
                |ui| {
                    for (name, size) in &custom {
                        ui.monospace(format!("{name} ({size} B)"));
                    }
                },
            );
            match &m.producers {
                Ok(p) if p.is_empty() => {}
                Ok(p) => {
                    egui::CollapsingHeader::new("Producers")
                        .default_open(true)
                        .show(ui, |ui| {
                            for v in p {
                                ui.label(format!("{}: {} {}", v.field, v.name, v.version));
                            }
                        });
                }
                Err(e) => {
                    ui.weak(e);
                }
            }
        });
}
