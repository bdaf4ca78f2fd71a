//! `info` about the module and the run, and the WASI call log.

use wdb_engine::module::{ExternKind, signature_string};

use super::{BpKind, Res, Runtime, Session, module_view, not_instantiated};
use crate::api::*;
use crate::error::{ErrorKind::*, err};

impl Session {
    pub(super) fn wasi_log(&self) -> Res<Vec<Event>> {
        let rt = self.rt.as_ref().ok_or_else(not_instantiated)?;
        if let Some(calls) = self.component_wasi_log() {
            return Ok(vec![Event::WasiCalls(calls)]);
        }
        let ctx = rt
            .wasi
            .lock()
            .map_err(|_| err(Internal, "WASI context lock poisoned"))?;
        let mut calls: Vec<WasiCallView> = Vec::new();
        for c in &ctx.log {
            // Without the timing, so transcripts are stable.
            let mut line = c.strace_line();
            if line.ends_with("s>")
                && let Some(i) = line.rfind(" <")
            {
                line.truncate(i);
            }
            calls.push(WasiCallView {
                seq: c.seq,
                line,
                func: c.func.to_string(),
                args: c
                    .args
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.clone()))
                    .collect(),
                errno: c.errno,
                errno_name: c.errno_name.to_string(),
                bytes: c.bytes,
                start: c.start,
                duration: c.duration,
            });
        }
        if ctx.log_dropped > 0 {
            calls.insert(
                0,
                WasiCallView {
                    seq: 0,
                    line: format!("({} earlier calls dropped)", ctx.log_dropped),
                    ..WasiCallView::default()
                },
            );
        }
        Ok(vec![Event::WasiCalls(calls)])
    }

    pub(super) fn info(&mut self, what: InfoWhat) -> Res<Vec<Event>> {
        let module = self.module()?;
        let out = match what {
            InfoWhat::Breakpoints => {
                return Ok(vec![Event::Breakpoints(
                    self.bps.iter().map(|b| self.bp_view(b)).collect(),
                )]);
            }
            InfoWhat::Watchpoints => {
                let watches: Vec<BreakpointView> = self
                    .bps
                    .iter()
                    .filter(|b| matches!(b.kind, BpKind::Watch { .. }))
                    .map(|b| self.bp_view(b))
                    .collect();
                if watches.is_empty() {
                    return Ok(vec![Event::Text("No watchpoints.".into())]);
                }
                return Ok(vec![Event::Breakpoints(watches)]);
            }
            InfoWhat::Variables | InfoWhat::Types => {
                return self.info_matching(what, None);
            }
            InfoWhat::Locals => return self.dispatch(Command::Locals),
            InfoWhat::Args => return self.dispatch(Command::Args),
            InfoWhat::Globals => return self.globals(),
            InfoWhat::Frame => {
                let frame = self.selected_frame_view()?;
                let signature = signature_string(module.func_type(frame.func_index));
                return Ok(vec![Event::Info(InfoView::Frame { frame, signature })]);
            }
            InfoWhat::Exports => {
                let v = module_view(&self.loaded()?.path, &module, false);
                return Ok(vec![Event::Info(InfoView::Exports(v.exports))]);
            }
            InfoWhat::Imports => {
                let v = module_view(&self.loaded()?.path, &module, false);
                return Ok(vec![Event::Info(InfoView::Imports(v.imports))]);
            }
            InfoWhat::Functions => {
                let v = module_view(&self.loaded()?.path, &module, false);
                return Ok(vec![Event::Info(InfoView::Functions {
                    matching: None,
                    functions: v.functions,
                })]);
            }
            InfoWhat::Sections => {
                let v = module_view(&self.loaded()?.path, &module, false);
                return Ok(vec![Event::Info(InfoView::Sections(v.sections))]);
            }
            InfoWhat::Symbol(code_offset) => {
                let at = module.func_at_code_offset(code_offset).and_then(|f| {
                    let body = module.body(f)?;
                    let start = module.code_offset_from_module_offset(body.range.start);
                    Some((module.display_func_name(f), code_offset - start))
                });
                return Ok(vec![Event::Info(InfoView::Symbol {
                    code_offset,
                    offset: at.as_ref().map_or(0, |a| a.1),
                    func: at.map(|a| a.0),
                })]);
            }
            InfoWhat::Memory => {
                let memories = module
                    .memories
                    .iter()
                    .enumerate()
                    .map(|(i, m)| MemoryInfoView {
                        index: i as u32,
                        memory64: m.memory64,
                        initial: m.initial,
                        maximum: m.maximum,
                        current_bytes: self.rt.as_ref().map(|rt| {
                            let a = rt.store.instance_memory_at(rt.inst, i as u32);
                            rt.store.memory(a).len() as u64
                        }),
                    })
                    .collect();
                return Ok(vec![Event::Info(InfoView::Memories(memories))]);
            }
            InfoWhat::Tables => {
                let tables = module
                    .tables
                    .iter()
                    .enumerate()
                    .map(|(i, t)| TableInfoView {
                        index: i as u32,
                        element: table_elem_text(&module, i as u32),
                        table64: t.table64,
                        initial: t.initial,
                        maximum: t.maximum,
                        current_size: self.rt.as_ref().and_then(|rt| match first_table(rt) {
                            Some(wdb_engine::runtime::Extern::Table(a)) if i == 0 => {
                                Some(rt.store.table_size(a) as u64)
                            }
                            _ => None,
                        }),
                    })
                    .collect();
                return Ok(vec![Event::Info(InfoView::Tables(tables))]);
            }
            InfoWhat::Wasi => return self.dispatch(Command::WasiLog),
            InfoWhat::Source => InfoView::Source {
                dwarf_files: self.loaded()?.source.file_count(),
            },
            InfoWhat::Mode => InfoView::Mode(self.mode),
            InfoWhat::Components => InfoView::Components(self.component_graph()?),
            InfoWhat::Instances => self.info_instances()?,
        };
        Ok(vec![Event::Info(out)])
    }
}

/// `funcref`, `externref`, or the declared reference type (`(ref null $point)`).
fn table_elem_text(module: &wdb_engine::Module, i: u32) -> String {
    let r = module
        .declared_table_type(i)
        .or_else(|| module.tables.get(i as usize).map(|t| t.element_type));
    match r {
        Some(r) if r == wdb_engine::RefType::FUNCREF => "funcref".into(),
        Some(r) if r == wdb_engine::RefType::EXTERNREF => "externref".into(),
        Some(r) => crate::expr::gc::ref_type_text(Some(module), r),
        None => "?".into(),
    }
}

pub(super) fn first_table(rt: &Runtime) -> Option<wdb_engine::runtime::Extern> {
    let m = rt.store.instance_module(rt.inst);
    m.exports
        .iter()
        .find(|e| e.kind == ExternKind::Table)
        .and_then(|e| rt.store.instance_export(rt.inst, &e.name))
}
