//! Inspecting a stopped program: stops and traps as events, frames, the
//! operand stack, globals, memory and disassembly.

use wdb_engine::interp::{FrameInfo, PauseReason, RunOutcome};
use wdb_engine::module::{Module, signature_string};
use wdb_engine::runtime::Store;
use wdb_engine::{Trap, Value};

use super::{BpKind, Launch, Res, Runtime, Session, Stop, inline, not_instantiated};
use crate::api::*;
use crate::disasm::Disasm;
use crate::error::{ErrorKind::*, err};
use crate::format::{format_c_string_at, format_memory, value_view};
use crate::source::Source;

impl Session {
    /// Turn a stop into events.
    pub(super) fn report(&mut self, stop: Stop) -> Vec<Event> {
        self.last_stop_bp = stop.breakpoint_number();
        match stop {
            Stop::Warned(w, inner) => {
                let mut v = vec![Event::Warning(w)];
                v.extend(self.report(*inner));
                v
            }
            Stop::At(reason) => match self.stop_view(reason) {
                Ok(v) => vec![Event::Stopped(v)],
                Err(e) => vec![Event::Warning(e.message)],
            },
            // A component export: its result lifted and shown in WAVE.
            Stop::Outcome(RunOutcome::Returned(values)) if self.component_running() => {
                self.component_returned(values)
            }
            // A command's `_start` returning is a normal exit (wasi-libc calls
            // proc_exit only for a non-zero status).
            Stop::Outcome(RunOutcome::Returned(_))
                if matches!(self.last_launch, Some(Launch::Start(_))) =>
            {
                vec![Event::Exited { code: 0 }]
            }
            Stop::Outcome(RunOutcome::Returned(values)) => {
                let func = self
                    .rt
                    .as_ref()
                    .and_then(|r| r.exec_func)
                    .zip(self.loaded.as_ref())
                    .map(|(f, l)| l.module.display_func_name(f))
                    .unwrap_or_default();
                // One result is the value history's next `$N` (`p $`, `x/s $`),
                // as gdb's `call` makes it.
                if let [v] = values.as_slice() {
                    self.remember(crate::expr::from_wasm(*v));
                }
                let mut values: Vec<ValueView> = values.into_iter().map(value_view).collect();
                let more = self.call_results(&mut values);
                let mut events = vec![Event::Returned { func, values }];
                events.extend(more);
                events
            }
            Stop::Outcome(RunOutcome::Trapped(t)) => {
                let mut events = self.trap_events(t);
                events.extend(self.call_trapped());
                events
            }
            Stop::Outcome(RunOutcome::Exited(code)) => {
                // The program is gone: as in gdb, no stack after an exit
                // (a trap keeps its frames for inspection; an exit does not).
                if let Some(rt) = &mut self.rt {
                    rt.exec = None;
                }
                vec![Event::Exited { code }]
            }
            Stop::Outcome(RunOutcome::OutOfFuel) => vec![Event::Warning("out of fuel".into())],
            Stop::Outcome(RunOutcome::Paused(PauseReason::Exception {
                caught,
                tag,
                tag_name,
                payload,
            })) => {
                // gdb's words: `Catchpoint 1 (exception thrown), ...`, then
                // where it stopped (the throw, or the handler).
                let name = tag_name.clone().unwrap_or_else(|| format!("tag[{tag}]"));
                let hit = self.bps.iter_mut().find(|b| {
                    b.enabled
                        && matches!(&b.kind, BpKind::CatchException { caught: c, tag: t }
                            if *c == caught && t.as_ref().is_none_or(|t| Some(t) == tag_name.as_ref()))
                });
                let number = hit.map_or(0, |b| {
                    b.hits += 1;
                    b.number
                });
                let payload: Vec<String> = payload.iter().map(|v| v.to_string()).collect();
                let mut events = vec![Event::Text(format!(
                    "Catchpoint {number} (exception {}), {name}({})",
                    if caught { "caught" } else { "thrown" },
                    payload.join(", ")
                ))];
                events.extend(self.report(Stop::At(StopReason::Location)));
                events
            }
            Stop::Outcome(RunOutcome::Paused(p)) => {
                let reason = match p {
                    PauseReason::Step => StopReason::Step,
                    PauseReason::Interrupted => StopReason::Interrupted,
                    PauseReason::HostRequested if self.pending_component_call().is_some() => {
                        // Before a WASI 0.2 call: the guest frame making it
                        // is selected (frame 0 is the canonical ABI's).
                        self.selected = 1;
                        self.component_catch_stop()
                            .expect("a pending call has a gate")
                    }
                    PauseReason::HostRequested => {
                        let name = self
                            .rt
                            .as_ref()
                            .and_then(|r| {
                                r.wasi.lock().ok()?.log.back().map(|c| c.func.to_string())
                            })
                            .unwrap_or_default();
                        let hit = self.bps.iter_mut().find(|b| {
                            b.enabled
                                && matches!(&b.kind, BpKind::CatchWasi(n) if n.as_ref().is_none_or(|n| *n == name))
                        });
                        let number = hit.map_or(0, |b| {
                            b.hits += 1;
                            b.number
                        });
                        StopReason::WasiCall { number, name }
                    }
                    // Handled above.
                    PauseReason::Breakpoint { .. } | PauseReason::Exception { .. } => {
                        StopReason::Location
                    }
                    PauseReason::Watchpoint {
                        index,
                        addr,
                        write,
                        old,
                        new,
                        ..
                    } => self.watch_stop(index, addr, write, old, new),
                };
                if reason == StopReason::Interrupted {
                    self.clear_interrupt();
                }
                self.report(Stop::At(reason))
            }
        }
    }

    /// The stop for watch `index` of the run's watch list (any engine),
    /// counting the hit.
    pub(super) fn watch_stop(
        &mut self,
        index: usize,
        addr: u32,
        write: bool,
        old: Vec<u8>,
        new: Vec<u8>,
    ) -> StopReason {
        let number = self
            .rt
            .as_ref()
            .and_then(|r| r.watch_numbers.get(index).copied())
            .unwrap_or(0);
        self.numbered_watch_stop(number, addr, write, old, new)
    }

    /// The stop for watchpoint `number`, counting the hit.
    pub(super) fn numbered_watch_stop(
        &mut self,
        number: u32,
        addr: u32,
        write: bool,
        old: Vec<u8>,
        new: Vec<u8>,
    ) -> StopReason {
        if let Ok(b) = self.bps.get_mut(number) {
            b.hits += 1;
        }
        StopReason::Watchpoint {
            number,
            addr,
            write,
            old,
            new,
        }
    }

    pub(super) fn trap_events(&mut self, t: Trap) -> Vec<Event> {
        // The innermost frames with their arguments (the REPL shows 12).
        const TRAP_VIEW_FRAMES: usize = 64;
        let mut backtrace = self.frame_views_paged(TRAP_VIEW_FRAMES).unwrap_or_default();
        // Fewer post-mortem frames than the trap has: JIT code (mode jit),
        // alone or below interpreted functions. The interpreted frames come
        // first in both lists; the trap's backtrace has the JIT frames too.
        if backtrace.len() < t.backtrace.len() {
            let module = self.loaded.as_ref().map(|l| l.module.clone());
            let jit = t
                .backtrace
                .iter()
                .enumerate()
                .skip(backtrace.len())
                .map(|(i, f)| FrameView {
                    index: i,
                    func_index: f.func_index,
                    func_name: f.func_name.clone().unwrap_or_else(|| {
                        module.as_ref().map_or_else(
                            || format!("func[{}]", f.func_index),
                            |m| m.display_func_name(f.func_index),
                        )
                    }),
                    code_offset: f.code_offset.unwrap_or(0),
                    args: vec![],
                    locals: vec![],
                    source: f
                        .code_offset
                        .and_then(|co| self.loaded.as_ref()?.source.location(co)),
                    inlined: false,
                    jit: true,
                    canon: false,
                })
                .collect::<Vec<_>>();
            backtrace.extend(jit);
        }
        vec![Event::Trapped {
            message: t.message,
            backtrace,
        }]
    }

    pub(super) fn stop_view(&mut self, reason: StopReason) -> Res<StopView> {
        let frame = self.selected_frame_view()?;
        let instruction = self.selected_instruction_line(&frame);
        let source = frame.source.as_ref().and_then(|loc| {
            let lines = self.loaded.as_ref()?.source.file_lines(&loc.file).ok()?;
            let text = lines.get((loc.line as usize).checked_sub(1)?)?;
            Some(SourceView {
                path: loc.file.clone(),
                language: source_language(&loc.file),
                lines: vec![(loc.line, text.clone())],
                current: Some(loc.line),
            })
        });
        // DWARF knows the line even when the file is not here: say both, as gdb.
        let source_line = source
            .as_ref()
            .map(|s| format!("{}\t{}", s.lines[0].0, s.lines[0].1))
            .or_else(|| {
                frame
                    .source
                    .as_ref()
                    .map(|l| format!("{}\t{}: No such file or directory.", l.line, l.file))
            });
        Ok(StopView {
            reason,
            frame,
            instruction,
            source_line,
            source,
        })
    }

    pub(super) fn disasm(&mut self) -> Res<&Disasm> {
        let l = self
            .loaded
            .as_mut()
            .ok_or_else(|| err(NoProgram, "No module loaded."))?;
        if l.disasm.is_none() {
            l.disasm = Some(Disasm::new(&l.module));
        }
        l.disasm
            .as_ref()
            .expect("set above")
            .as_ref()
            .map_err(|e| err(Load, e.clone()))
    }

    pub(super) fn instruction_line(&mut self, code_offset: u32) -> Option<DisasmLine> {
        let mo = self
            .loaded
            .as_ref()?
            .module
            .module_offset_from_code_offset(code_offset);
        let text = self.disasm().ok()?.line_at(mo)?.to_string();
        Some(DisasmLine {
            code_offset: Some(code_offset),
            text,
            current: true,
        })
    }

    /// Interpreted frames, then the JIT frames below them (mode jit).
    pub(super) fn frames(&self) -> Res<Vec<FrameInfo>> {
        Ok(self.frames_upto(usize::MAX)?.0)
    }

    /// The `max` innermost frames (interpreted, then JIT) and how many
    /// there are in all: only those are read, at any depth.
    pub(super) fn frames_upto(&self, max: usize) -> Res<(Vec<FrameInfo>, usize)> {
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| err(NotRunning, "No stack."))?;
        let (mut f, interp) = match rt.exec.as_ref() {
            Some(exec) => (exec.frames_upto(&rt.store, max), exec.depth()),
            None if self.jit_paused() || !self.jit_post_mortem.is_empty() => (Vec::new(), 0),
            None => return Err(err(NotRunning, "No stack.")),
        };
        if f.is_empty() && !self.jit_paused() && self.jit_post_mortem.is_empty() {
            return Err(err(NotRunning, "No stack."));
        }
        let jit = self.jit_frames();
        let total = interp + jit.len();
        if f.len() == interp {
            f.extend(jit.into_iter().take(max.saturating_sub(interp)));
        }
        Ok((f, total))
    }

    pub(super) fn selected_frame_view(&self) -> Res<FrameView> {
        self.frame_view_at(self.selected)
    }

    pub(super) fn select_frame(&mut self, n: i64, relative: bool) -> Res<Vec<Event>> {
        let target = if relative {
            self.selected as i64 + n
        } else {
            n
        };
        if target < 0 {
            let _ = self.vframes_upto(0)?;
            return Err(err(
                NotFound,
                "Bottom (innermost) frame selected; you cannot go down.",
            ));
        }
        // Only the frames up to the target are looked at (a stop thousands
        // of frames deep selects a frame at once).
        if target as usize >= self.vframes_upto(target as usize)?.len() {
            return Err(err(
                NotFound,
                if relative {
                    "Initial frame selected; you cannot go up.".into()
                } else {
                    format!("No frame at level {n}.")
                },
            ));
        }
        self.selected = target as usize;
        let f = self.frame_view_at(self.selected)?;
        let instruction = self.selected_instruction_line(&f);
        let mut ev = vec![Event::FrameSelected(f)];
        if let Some(i) = instruction {
            ev.push(Event::Disassembly(vec![i]));
        }
        Ok(ev)
    }

    pub(super) fn stack(&self) -> Res<Vec<Event>> {
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| err(NotRunning, "No stack."))?;
        let exec = rt
            .exec
            .as_ref()
            .ok_or_else(|| err(NotRunning, "No stack."))?;
        let _ = self.frames()?;
        let stack = exec.operand_stack_typed(&rt.store, self.selected_phys());
        let values = self.with_env(|env| {
            stack
                .iter()
                .rev()
                .enumerate()
                .map(|(i, (v, ty))| NamedValue {
                    name: format!("$s{i}"),
                    value: crate::expr::gc::ref_view(env.cx, *v, *ty)
                        .unwrap_or_else(|| value_view(*v)),
                })
                .collect()
        })?;
        Ok(vec![Event::Values {
            kind: ValuesKind::OperandStack,
            values,
        }])
    }

    pub(super) fn globals(&self) -> Res<Vec<Event>> {
        let module = self.module()?;
        let rt = self.rt.as_ref().ok_or_else(not_instantiated)?;
        let values = self.with_env(|env| {
            (0..module.globals.len() as u32)
                .map(|i| {
                    let addr = rt.store.instance_global(rt.inst, i);
                    let name = module
                        .names
                        .globals
                        .get(&i)
                        .map_or_else(|| format!("$g{i}"), |n| format!("$g{i} {n}"));
                    let v = rt.store.global_get(addr);
                    NamedValue {
                        name,
                        value: crate::expr::gc::ref_view(env.cx, v, module.declared_global_type(i))
                            .unwrap_or_else(|| value_view(v)),
                    }
                })
                .collect()
        })?;
        Ok(vec![Event::Values {
            kind: ValuesKind::Globals,
            values,
        }])
    }

    pub(super) fn memory(&self) -> Res<(&Store, u32)> {
        let rt = self.rt.as_ref().ok_or_else(not_instantiated)?;
        Ok((&rt.store, instance_memory(rt)?))
    }

    /// Memory `index` of the module (`None`: the instance's `memory`, else
    /// memory 0): (store address, module index, whether it is 64-bit).
    pub(super) fn memory_at(&self, index: Option<u32>) -> Res<(u32, u32, bool)> {
        let module = self.module()?;
        let rt = self.rt.as_ref().ok_or_else(not_instantiated)?;
        let n = module.memories.len() as u32;
        let (addr, index) = match index {
            None => {
                let a = rt
                    .store
                    .instance_memory(rt.inst)
                    .ok_or_else(|| err(NotFound, "The module has no memory."))?;
                let i = (0..n)
                    .find(|&i| rt.store.instance_memory_at(rt.inst, i) == a)
                    .unwrap_or(0);
                (a, i)
            }
            Some(i) if i < n => (rt.store.instance_memory_at(rt.inst, i), i),
            Some(i) => return Err(err(NotFound, no_memory(i, n))),
        };
        Ok((addr, index, rt.store.memory_type(addr).memory64))
    }

    /// An address for `x`: `ADDR` (memory 0) or `N:ADDR` (memory N); a
    /// 64-bit memory takes 64-bit addresses.
    pub(super) fn memory_address(&self, text: &str) -> Res<(u32, u32, bool, u64)> {
        let (index, text) = split_memory_index(text);
        let (mem, index, memory64) = self.memory_at(index)?;
        let a = if memory64 {
            self.with_env(|env| -> Res<u64> {
                let v = env.evaluate(text)?;
                match env.number(&v) {
                    Ok(crate::expr::Number::Int(i, _)) => Ok(i as u64),
                    Ok(_) => Err(err(BadArgument, "a float is not an address")),
                    Err(_) => Ok(env.address_of(&v)?),
                }
            })??
        } else {
            self.eval_addr(text)? as u64
        };
        Ok((mem, index, memory64, a))
    }

    pub(super) fn read_memory(&mut self, addr: &str, f: ExamineFormat) -> Res<Vec<Event>> {
        if f.letter == 'i' {
            let a = self.eval_addr(addr)?;
            let module = self.module()?;
            let mo = module.module_offset_from_code_offset(a);
            let lines: Vec<DisasmLine> = self
                .disasm()?
                .offsets_from(mo)
                .take(f.count as usize)
                .map(|(o, t)| DisasmLine {
                    code_offset: Some((o - module.code_section_start) as u32),
                    text: t.to_string(),
                    current: false,
                })
                .collect();
            return Ok(vec![Event::Disassembly(lines)]);
        }
        let (m, memory, memory64, a) = self.memory_address(addr)?;
        let store = &self.rt.as_ref().expect("memory_at checked it").store;
        let mem = store.memory(m);
        let size = mem.len() as u64;
        let show = |a: u64| crate::format::format_address(a, memory64);
        if f.letter == 's' {
            let mut lines = Vec::new();
            let mut at = a;
            for _ in 0..f.count {
                if at >= size {
                    return Err(err(
                        BadArgument,
                        format!("Cannot access memory at address {}", show(at)),
                    ));
                }
                let end = (at + 4096).min(size);
                let s = &mem[at as usize..end as usize];
                lines.push(format_c_string_at(at, s, memory64));
                at += s.iter().position(|&b| b == 0).map_or(s.len(), |p| p + 1) as u64;
            }
            return Ok(vec![Event::Memory(MemoryView {
                memory,
                memory64,
                addr: a,
                format: f,
                lines,
                bytes: vec![],
                memory_size: size,
            })]);
        }
        let len = f.count as u64 * f.unit as u64;
        let end = a.saturating_add(len);
        if end > size {
            return Err(err(
                BadArgument,
                format!("Cannot access memory at address {}", show(a.max(size))),
            ));
        }
        let bytes = mem[a as usize..end as usize].to_vec();
        Ok(vec![Event::Memory(MemoryView {
            memory,
            memory64,
            addr: a,
            format: f,
            lines: format_memory(a, &bytes, f, memory64),
            bytes,
            memory_size: size,
        })])
    }

    pub(super) fn write_memory(&mut self, addr: u32, bytes: &[u8]) -> Res<()> {
        let rt = self.rt.as_mut().ok_or_else(not_instantiated)?;
        let m = instance_memory(rt)?;
        let mem = rt.store.memory_mut(m);
        let end = addr as usize + bytes.len();
        if end > mem.len() {
            return Err(err(
                BadArgument,
                format!("Cannot access memory at address {addr:#x}"),
            ));
        }
        mem[addr as usize..end].copy_from_slice(bytes);
        Ok(())
    }

    pub(super) fn disassemble(&mut self, around: Option<&str>) -> Res<Vec<Event>> {
        let module = self.module()?;
        let (func, current) = match around {
            Some(name) => (self.resolve_function(&module, name)?, None),
            None => {
                let frames = self.frames().map_err(|_| {
                    err(
                        NotRunning,
                        "No frame selected: `disassemble FUNC` works without one.",
                    )
                })?;
                let f = &frames[self.selected_phys().min(frames.len() - 1)];
                (f.func_index, Some(f.code_offset))
            }
        };
        let body = module
            .body(func)
            .ok_or_else(|| err(Unsupported, "an imported function has no code"))?
            .range
            .clone();
        let cs = module.code_section_start;
        let lines: Vec<DisasmLine> = self
            .disasm()?
            .lines_in(body)
            .into_iter()
            .map(|(o, t)| {
                let co = (o - cs) as u32;
                DisasmLine {
                    code_offset: Some(co),
                    text: t.to_string(),
                    current: Some(co) == current,
                }
            })
            .collect();
        let mut ev = vec![Event::Text(format!(
            "Dump of function {} {}:",
            module.display_func_name(func),
            signature_string(module.func_type(func))
        ))];
        ev.push(Event::Disassembly(lines));
        Ok(ev)
    }
}

pub(super) struct FrameCx<'a> {
    pub(super) module: &'a Module,
    pub(super) rt: Option<&'a Runtime>,
    pub(super) frame: Option<FrameInfo>,
    pub(super) depth: usize,
    /// Locals JIT code kept no value for where it stopped (by index).
    pub(super) not_live: Vec<bool>,
    /// The memory expressions read (store address; `print 1:EXPR`), else
    /// the instance's default memory.
    pub(super) memory: Option<u32>,
}

impl FrameCx<'_> {
    pub(super) fn is_live(&self, local: u32) -> bool {
        !self.not_live.get(local as usize).copied().unwrap_or(false)
    }
}

/// A frame as the user sees it: DWARF variables of its (inlined) scope, or
/// the wasm locals when the function has no DWARF variables.
pub(super) fn frame_view(
    module: &Module,
    source: &Source,
    index: usize,
    vf: &inline::VFrame,
    cx: &FrameCx<'_>,
) -> FrameView {
    let f = &vf.info;
    if source.available() {
        let vars = source.info.variables_in_frame(f.code_offset, vf.level);
        if !vars.is_empty() || vf.inline.is_some() {
            let (mut args, mut locals) = (Vec::new(), Vec::new());
            for v in vars {
                let val = source.info.read_var(&v, cx);
                let mut value = crate::value_tree::var_view(&v.type_name, &val);
                // A pointer expands to what it points at, one level deep
                // (not in an inlined copy, whose names `eval` does not scope).
                if vf.level == 0 && crate::value_tree::is_followable_pointer(&val) {
                    let deref = format!("*{}", v.name);
                    if let Ok(target) = source.info.eval(&deref, f.code_offset, cx) {
                        value.children.push(NamedValue {
                            value: crate::value_tree::var_view("", &target),
                            name: deref,
                        });
                    }
                }
                let nv = NamedValue {
                    name: v.name.clone(),
                    value,
                };
                if v.is_param {
                    args.push(nv)
                } else {
                    locals.push(nv)
                }
            }
            return FrameView {
                index,
                func_index: f.func_index,
                func_name: inline::frame_name(module, vf),
                code_offset: f.code_offset,
                args,
                locals,
                source: vf.loc.clone(),
                inlined: vf.inline.is_some(),
                jit: false,
                canon: false,
            };
        }
    }
    let nparams = module.func_type(f.func_index).params().len();
    let names = module.names.locals.get(&f.func_index);
    // References show their declared types and what they point at.
    let declared = f
        .locals
        .iter()
        .any(|v| {
            matches!(
                v,
                Value::FuncRef(_) | Value::ExternRef(_) | Value::ExnRef(_) | Value::AnyRef(_)
            )
        })
        .then(|| module.declared_local_types(f.func_index))
        .flatten();
    let named = |i: usize, v: &Value| NamedValue {
        name: names
            .and_then(|m| m.get(&(i as u32)))
            .cloned()
            .unwrap_or_else(|| format!("$l{i}")),
        value: if cx.is_live(i as u32) {
            crate::expr::gc::ref_view(cx, *v, declared.as_ref().and_then(|d| d.get(i).copied()))
                .unwrap_or_else(|| value_view(*v))
        } else {
            ValueView {
                text: "<not live>".into(),
                bits: 0,
                ..value_view(*v)
            }
        },
    };
    let all: Vec<NamedValue> = f
        .locals
        .iter()
        .enumerate()
        .map(|(i, v)| named(i, v))
        .collect();
    let (args, locals) = all.split_at(nparams.min(all.len()));
    FrameView {
        index,
        func_index: f.func_index,
        func_name: module.display_func_name(f.func_index),
        code_offset: f.code_offset,
        args: args.to_vec(),
        locals: locals.to_vec(),
        source: vf.loc.clone(),
        inlined: false,
        jit: false,
        canon: false,
    }
}

/// `1:0x100` -> (Some(1), "0x100"); anything else is an address in the
/// default memory.
pub(super) fn split_memory_index(text: &str) -> (Option<u32>, &str) {
    let t = text.trim_start();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && t.as_bytes().get(digits) == Some(&b':')
        && let Ok(i) = t[..digits].parse()
    {
        return (Some(i), &t[digits + 1..]);
    }
    (None, text)
}

/// Why memory `i` of a module with `n` memories does not exist.
pub(super) fn no_memory(i: u32, n: u32) -> String {
    match n {
        0 => format!("No memory {i}: the module has no memory."),
        1 => format!("No memory {i}: the module has 1 memory (0)."),
        _ => format!(
            "No memory {i}: the module has {n} memories (0 to {}).",
            n - 1
        ),
    }
}

/// The instance's memory (its exported `memory`, else memory 0).
fn instance_memory(rt: &Runtime) -> Res<u32> {
    rt.store
        .instance_memory(rt.inst)
        .ok_or_else(|| err(NotFound, "The module has no memory."))
}
