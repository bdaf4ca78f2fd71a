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
            if let Some(sm) = &state.static_module {
                egui::CollapsingHeader::new(format!(
                    "Custom sections ({})",
                    sm.custom_sections.len()
                ))
                .show(ui, |ui| {
                    for c in &sm.custom_sections {
                        ui.monospace(format!("{} ({} B)", c.name, c.data.len()));
                    }
                });
                if let Some(data) = sm.custom_section("producers") {
                    egui::CollapsingHeader::new("Producers")
                        .default_open(true)
                        .show(ui, |ui| match parse_producers(data) {
                            Some(fields) => {
                                for (field, values) in fields {
                                    for (name, version) in values {
                                        ui.label(format!("{field}: {name} {version}"));
                                    }
                                }
                            }
                            None => {
                                ui.weak("(malformed producers section)");
                            }
                        });
                }
            }
        });
}

/// One `producers` field (`language`, `processed-by`, `sdk`) and its (name, version) pairs.
pub type ProducerField = (String, Vec<(String, String)>);

/// The `producers` custom section.
pub fn parse_producers(data: &[u8]) -> Option<Vec<ProducerField>> {
    let mut r = Reader { data, pos: 0 };
    let n = r.leb()?;
    let mut out = Vec::new();
    for _ in 0..n {
        let field = r.string()?;
        let count = r.leb()?;
        let mut values = Vec::new();
        for _ in 0..count {
            values.push((r.string()?, r.string()?));
        }
        out.push((field, values));
    }
    Some(out)
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn leb(&mut self) -> Option<u32> {
        let mut v: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = *self.data.get(self.pos)?;
            self.pos += 1;
            v |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn string(&mut self) -> Option<String> {
        let len = self.leb()? as usize;
        let bytes = self.data.get(self.pos..self.pos.checked_add(len)?)?;
        self.pos += len;
        Some(String::from_utf8_lossy(bytes).into_owned())
    }
}
