//! `info` about the module and the run, and the WASI call log.

use wdb_engine::module::{ExternKind, signature_string};

use super::{BpKind, Res, Runtime, Session, module_view};
use crate::api::*;
use crate::error::{ErrorKind::*, err};

impl Session {
    pub(super) fn wasi_log(&self) -> Res<Vec<Event>> {
        let rt = self.rt.as_ref().ok_or_else(|| {
            err(
                NotRunning,
                "The module is not instantiated yet: `run` or `call` first.",
            )
        })?;
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
        let mut out = String::new();
        use std::fmt::Write as _;
        match what {
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
                let f = self.selected_frame_view()?;
                let _ = writeln!(
                    out,
                    "Stack level {}, func[{}] {} at code_offset {:#x}",
                    f.index, f.func_index, f.func_name, f.code_offset
                );
                let _ = writeln!(
                    out,
                    " signature: {}",
                    signature_string(module.func_type(f.func_index))
                );
                if let Some(s) = &f.source {
                    let _ = writeln!(out, " source: {}:{}", s.file, s.line);
                }
                let _ = write!(out, " args: {}, locals: {}", f.args.len(), f.locals.len());
            }
            InfoWhat::Exports => {
                let v = module_view(&self.loaded()?.path, &module, false);
                for e in v.exports {
                    let _ = writeln!(out, "{:<8} {:<24} {}", e.kind, e.name, e.signature);
                }
            }
            InfoWhat::Imports => {
                let v = module_view(&self.loaded()?.path, &module, false);
                for i in v.imports {
                    let _ = writeln!(
                        out,
                        "{:<8} {}::{} {}",
                        i.kind, i.module, i.name, i.signature
                    );
                }
            }
            InfoWhat::Functions => {
                let v = module_view(&self.loaded()?.path, &module, false);
                for f in &v.functions {
                    let _ = writeln!(out, "{}", function_row(f));
                }
            }
            InfoWhat::Sections => {
                for s in &module.sections {
                    let _ = writeln!(
                        out,
                        "{:<24} module_offset {:#08x} size {}",
                        s.name,
                        s.range.start,
                        s.range.len()
                    );
                }
            }
            InfoWhat::Memory => {
                for (i, m) in module.memories.iter().enumerate() {
                    let _ = write!(
                        out,
                        "memory {i}:{} min {} pages, max {}",
                        if m.memory64 { " i64," } else { "" },
                        m.initial,
                        m.maximum.map_or("none".to_string(), |x| x.to_string())
                    );
                    if let Some(rt) = &self.rt {
                        let a = rt.store.instance_memory_at(rt.inst, i as u32);
                        let len = rt.store.memory(a).len();
                        let _ = write!(out, ", current {} pages ({len} bytes)", len / 65536);
                    }
                    out.push('\n');
                }
                if module.memories.is_empty() {
                    out.push_str("no memory\n");
                }
            }
            InfoWhat::Tables => {
                for (i, t) in module.tables.iter().enumerate() {
                    let _ = write!(
                        out,
                        "table {i}: {}{} min {} max {}",
                        table_elem_text(&module, i as u32),
                        if t.table64 { " i64" } else { "" },
                        t.initial,
                        t.maximum.map_or("none".to_string(), |x| x.to_string())
                    );
                    if let Some(rt) = &self.rt
                        && let Some(Some(wdb_engine::runtime::Extern::Table(a))) =
                            (i == 0).then(|| first_table(rt))
                    {
                        let _ = write!(out, ", current size {}", rt.store.table_size(a));
                    }
                    out.push('\n');
                }
                if module.tables.is_empty() {
                    out.push_str("no table\n");
                }
            }
            InfoWhat::Wasi => return self.dispatch(Command::WasiLog),
            InfoWhat::Source => {
                let l = self.loaded()?;
                out = l.source.describe();
            }
            InfoWhat::Mode => out = self.mode_text(),
            InfoWhat::Components => out = self.info_components()?,
            InfoWhat::Instances => out = self.info_instances()?,
        }
        Ok(vec![Event::Text(out.trim_end().to_string())])
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

/// One row of `info functions`: index, name, signature, and where its body is.
pub(crate) fn function_row(f: &FunctionView) -> String {
    format!(
        "{:>5} {:<32} {}{}",
        f.index,
        f.name,
        f.signature,
        if f.imported {
            "  (imported)".to_string()
        } else {
            format!(
                "  @ code_offset {:#x}, {} bytes",
                f.code_offset.unwrap_or(0),
                f.size
            )
        }
    )
}
