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
            if let Some(g) = &m.component {
                component_ui(ui, g);
            }
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

/// A component's graph: its components with their imports and exports, the
/// core modules (the main one, whose code and DWARF the other views show,
/// marked) and the root's core instances with what each instantiates.
fn component_ui(ui: &mut egui::Ui, g: &wdb_debugger::api::ComponentGraphView) {
    egui::CollapsingHeader::new(format!(
        "Component ({} core modules, {} core instances)",
        g.core_modules.len(),
        g.core_instances.len()
    ))
    .default_open(true)
    .show(ui, |ui| {
        for c in &g.components {
            let indent = c.depth as f32 * 12.0;
            ui.horizontal(|ui| {
                ui.add_space(indent);
                ui.strong(format!("component {}", c.name));
            });
            for (n, k) in &c.imports {
                ui.horizontal(|ui| {
                    ui.add_space(indent + 12.0);
                    ui.monospace(format!("import {k} {n}"));
                });
            }
            for (n, k) in &c.exports {
                ui.horizontal(|ui| {
                    ui.add_space(indent + 12.0);
                    ui.monospace(format!("export {k} {n}"));
                });
            }
        }
        egui::Grid::new("core_modules")
            .striped(true)
            .num_columns(4)
            .show(ui, |ui| {
                for m in &g.core_modules {
                    ui.monospace(format!("module {} {}", m.index, m.name));
                    ui.label(format!("{} B", m.size));
                    ui.label(format!("{} functions", m.functions));
                    ui.label(if m.index == g.main_module {
                        if m.has_dwarf {
                            "main (code, DWARF)"
                        } else {
                            "main (code)"
                        }
                    } else {
                        ""
                    });
                    ui.end_row();
                }
            });
        egui::CollapsingHeader::new(format!("Core instances ({})", g.core_instances.len())).show(
            ui,
            |ui| {
                for ci in &g.core_instances {
                    let what = match ci.module {
                        Some(m) => format!(
                            "instantiate module {m} {}",
                            g.core_modules.get(m).map_or("", |x| x.name.as_str())
                        ),
                        None => format!("{} exports", ci.exports.len()),
                    };
                    ui.monospace(format!("instance {} {}: {what}", ci.index, ci.name))
                        .on_hover_text(ci.exports.join("\n"));
                    for (name, from) in &ci.args {
                        ui.horizontal(|ui| {
                            ui.add_space(12.0);
                            ui.monospace(format!("with {name} = instance {from}"));
                        });
                    }
                }
            },
        );
    });
}
