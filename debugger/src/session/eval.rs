//! Expressions at the selected frame, through the one evaluator of
//! [`crate::expr`]: `print` (and its value history), breakpoint
//! conditions, `set var`, `watch`, `x`, `ptype`/`whatis` and `display`.

use wdb_engine::Value;
use wdb_engine::interp::FrameInfo;
use wdb_engine::module::Module;

use super::{FrameCx, Res, Session};
use crate::api::{Event, Format};
use crate::error::{ErrorKind::*, WithKind, err};
use crate::expr::{self, Dollar, Env, EvalContext, Expr, LocalRef, Val};
use crate::host;

/// One `display` expression, shown at each stop.
#[derive(Debug, Clone)]
pub(super) struct Display {
    pub number: u32,
    pub expr: String,
    pub format: Format,
    pub enabled: bool,
}

/// Most values kept in the history (gdb keeps all; a bound keeps a long
/// scripted session's memory flat).
const MAX_HISTORY: usize = 10_000;

impl Session {
    /// Run `f` with an evaluation environment for the selected frame (or
    /// no frame: globals, literals, casts and memory still work).
    pub(super) fn with_env<T>(&self, f: impl FnOnce(&Env<'_>) -> T) -> Res<T> {
        self.with_env_in(None, f)
    }

    /// [`Session::with_env`] with memory reads from memory `memory` (a
    /// module index; `print 1:*(int *)0x10`).
    pub(super) fn with_env_in<T>(
        &self,
        memory: Option<u32>,
        f: impl FnOnce(&Env<'_>) -> T,
    ) -> Res<T> {
        let memory = match memory {
            Some(i) => Some(self.memory_at(Some(i))?.0),
            None => None,
        };
        let module = self.module()?;
        let vf = self.rt.as_ref().and_then(|_| self.selected_vframe().ok());
        let phys = vf.as_ref().map_or(self.selected, |v| v.phys);
        let frame = match &vf {
            Some(v) => Some(v.info.clone()),
            None => self.frames().ok().and_then(|f| f.into_iter().nth(phys)),
        };
        let cx = FrameCx {
            module: &module,
            rt: self.rt.as_ref(),
            frame,
            depth: phys,
            not_live: self.not_live_locals(phys),
            memory,
        };
        let debug = self
            .loaded
            .as_ref()
            .filter(|l| l.source.available())
            .map(|l| &l.source.info);
        let env = Env {
            cx: &cx,
            debug,
            // No frame: no function's scope, only globals.
            code_offset: vf.as_ref().map_or(u32::MAX, |v| v.info.code_offset),
            inline_frame: vf.as_ref().map(|v| v.level),
            history: &self.history,
        };
        Ok(f(&env))
    }

    /// Evaluate `text` and show it in `format`: (history number, text).
    pub(super) fn print(&mut self, text: &str, format: Format) -> Res<(u32, String)> {
        // `print 1:*(i32 *)0x10`: the expression reads memory 1.
        let (memory, text) = super::inspect::split_memory_index(text);
        let (val, shown) = self.with_env_in(memory, |env| -> Res<(Val, String)> {
            let v = env.evaluate(text)?;
            let shown = env.show(&v, format);
            Ok((v.snapshot(env), shown))
        })??;
        Ok((self.remember(val), shown))
    }

    /// Put a value into gdb's value history: its number (`$N`).
    pub(super) fn remember(&mut self, val: Val) -> u32 {
        if self.history.len() >= MAX_HISTORY {
            self.history.remove(0);
            self.history_base += 1;
        }
        self.history.push(val);
        self.history_base + self.history.len() as u32
    }

    /// A returned wasm value into the history, typed by the function's DWARF
    /// return type when it has one (`finish` from a `struct node *` function:
    /// `p *$` follows it), else as its wasm type: (`$N`, text by that type).
    pub(super) fn remember_returned(
        &mut self,
        ret: Option<&crate::dwarf::units::Ty>,
        v: Value,
    ) -> (u32, Option<String>) {
        let typed = self.typed_return(ret, v);
        let (val, text) = match typed {
            Some((val, text)) => (val, Some(text)),
            None => (crate::expr::from_wasm(v), None),
        };
        (self.remember(val), text)
    }

    /// `ptype EXPR|TYPE` (`expand`: members listed) and `whatis`.
    pub(super) fn type_of(&self, text: &str, expand: bool) -> Res<String> {
        self.with_env(|env| -> Res<String> {
            let ty = match env.type_named(text) {
                Some(t) => t?,
                None => {
                    let v = env.evaluate(text)?;
                    v.ty()
                        .cloned()
                        .ok_or_else(|| format!("`{text}` has no type"))?
                }
            };
            Ok(format!(
                "type = {}",
                if expand { ty.declaration() } else { ty.name() }
            ))
        })?
    }

    pub(super) fn eval_condition(&self, text: &str) -> Res<bool> {
        self.with_env(|env| -> Res<bool> {
            let v = env.evaluate(text)?;
            Ok(env.is_true(&v)?)
        })?
    }

    /// Check a condition's syntax as it is set (the grammar it is evaluated with).
    pub(super) fn check_condition(&self, text: &str) -> Res<()> {
        expr::parse(text).map(|_| ()).kind(BadArgument)
    }

    /// An address for `x` and `watch`: an array's or struct's own address,
    /// a pointer's target, an integer as is.
    pub(super) fn eval_addr(&self, text: &str) -> Res<u32> {
        self.with_env(|env| -> Res<u32> {
            let v = env.evaluate(text)?;
            let a = env.address_of(&v)?;
            u32::try_from(a)
                .map_err(|_| err(BadArgument, format!("`{text}` is not a valid address")))
        })?
    }

    /// What `watch EXPR` watches: an object in memory (its address and
    /// size), or an address the expression computes (`len` bytes, 4 when 0).
    pub(super) fn watch_target(&self, text: &str, len: u32) -> Res<(u32, u32)> {
        self.with_env(|env| -> Res<(u32, u32)> {
            let v = env.evaluate(text)?;
            if let Some(a) = v.address() {
                let size = v.ty().and_then(expr::Type::size).unwrap_or(4);
                let len = if len == 0 { size as u32 } else { len };
                return Ok((
                    u32::try_from(a).map_err(|_| err(BadArgument, "not a 32-bit address"))?,
                    len,
                ));
            }
            if let Val::Obj { ty, .. } = &v
                && text.chars().all(|c| c.is_alphanumeric() || c == '_')
                && matches!(env.parse(text), Ok(Expr::Ident(_)))
                && !matches!(
                    ty.kind(),
                    expr::types::Kind::Scalar(_) | expr::types::Kind::Ptr(_)
                )
            {
                return Err(err(
                    BadArgument,
                    format!("`{text}` is not in linear memory"),
                ));
            }
            let a = env.address_of(&v)?;
            Ok((
                u32::try_from(a).map_err(|_| format!("`{text}` is not a valid address"))?,
                if len == 0 { 4 } else { len },
            ))
        })?
    }

    pub(super) fn set_var(&mut self, lhs: &str, value: &str) -> Res<Vec<Event>> {
        let target = self.with_env(|env| env.parse(lhs))??;
        // A bare name that DWARF does not know: the wasm local of that name.
        let target = match target {
            Expr::Ident(n) if !self.is_source_var(&n) => {
                Expr::Dollar(Dollar::Local(LocalRef::Name(n)))
            }
            t => t,
        };
        match target {
            Expr::Dollar(Dollar::Local(r)) => {
                let v = self.wasm_value(value)?;
                let module = self.module()?;
                let frames = self.frames()?;
                let depth = self.selected_phys();
                let f = frames
                    .get(depth)
                    .ok_or_else(|| err(NotRunning, "No frame selected."))?;
                match local_index(&module, f, &r) {
                    Ok(idx) => {
                        if depth >= self.interp_depth() {
                            return Err(err(
                                Unsupported,
                                "Locals of a JIT frame cannot be changed.",
                            ));
                        }
                        let ty = module.local_types(f.func_index)[idx as usize];
                        let v = host::convert(v, ty)?;
                        let rt = self.rt.as_mut().expect("frames exist");
                        rt.exec
                            .as_mut()
                            .expect("frames exist")
                            .set_local(&rt.store, depth, idx, v)
                            .map_err(|e| e.to_string())?;
                    }
                    // `$__stack_pointer`: a global by name.
                    Err(e) => match r {
                        LocalRef::Name(n)
                            if global_index(&module, &LocalRef::Name(n.clone())).is_ok() =>
                        {
                            self.set_global(&LocalRef::Name(n), v)?;
                        }
                        _ => return Err(e),
                    },
                }
            }
            Expr::Dollar(Dollar::Global(r)) => {
                let v = self.wasm_value(value)?;
                self.set_global(&r, v)?;
            }
            Expr::Dollar(_) => {
                return Err(err(
                    BadArgument,
                    format!("`{lhs}` is not assignable: use $lN, $NAME, $gN or *(T*)ADDR"),
                ));
            }
            target => {
                let (addr, bytes) = self.with_env(|env| -> Res<(u32, Vec<u8>)> {
                    let t = env.eval_expr(&target)?;
                    let ty = t.ty().cloned().ok_or_else(|| {
                        format!("cannot assign to `{lhs}`: it is {} here", t.shown_text())
                    })?;
                    if matches!(
                        ty.kind(),
                        expr::types::Kind::Array(..) | expr::types::Kind::Record
                    ) {
                        return Err(err(Unsupported, format!(
                            "cannot assign to `{lhs}` of type {}: use *(T*)ADDR",
                            ty.name()
                        )));
                    }
                    let Some(addr) = t.address() else {
                        return Err(match target {
                            Expr::Ident(_) => err(Unsupported, format!(
                                "`{lhs}` does not live in linear memory here: assign its wasm local ($lN) instead"
                            )),
                            _ => err(BadArgument, format!("`{lhs}` is not assignable: use $lN, $NAME, $gN or *(T*)ADDR")),
                        });
                    };
                    let v = env.evaluate(value)?;
                    let bytes = env.bytes_as(&v, &ty)?;
                    Ok((u32::try_from(addr).map_err(|_| err(BadArgument, "not a 32-bit address"))?, bytes))
                })??;
                self.write_memory(addr, &bytes)?;
            }
        }
        Ok(vec![])
    }

    fn is_source_var(&self, name: &str) -> bool {
        self.with_env(|env| {
            env.debug.is_some_and(|d| {
                d.lookup_var(name, env.code_offset, env.inline_frame, env.cx.as_frame())
                    .is_some()
            })
        })
        .unwrap_or(false)
    }

    /// An expression's value as a wasm value (for locals and globals).
    fn wasm_value(&self, text: &str) -> Res<Value> {
        self.with_env(|env| -> Res<Value> {
            let v = env.evaluate(text)?;
            Ok(env.number(&v)?.to_wasm())
        })?
    }

    fn set_global(&mut self, r: &LocalRef, v: Value) -> Res<()> {
        let module = self.module()?;
        let idx = global_index(&module, r)?;
        let rt = self
            .rt
            .as_mut()
            .ok_or_else(|| err(NotRunning, "The module is not instantiated yet."))?;
        let addr = rt.store.instance_global(rt.inst, idx);
        let gt = rt.store.global_type(addr);
        if !gt.mutable {
            return Err(err(Unsupported, format!("global {idx} is immutable")));
        }
        let v = host::convert(v, gt.content_type)?;
        rt.store.global_set(addr, v).kind(BadArgument)
    }

    /// The `display` lines for this stop (`1: n = 10`).
    pub(super) fn display_events(&mut self) -> Vec<Event> {
        let list: Vec<Display> = self
            .displays
            .iter()
            .filter(|d| d.enabled)
            .cloned()
            .collect();
        let mut out = Vec::new();
        for d in list {
            let text = self
                .with_env(|env| -> Res<String> {
                    let v = env.evaluate(&d.expr)?;
                    Ok(env.show(&v, d.format))
                })
                .and_then(|r| r)
                .unwrap_or_else(|e| format!("<error: {e}>"));
            out.push(Event::Displayed {
                number: d.number,
                expr: d.expr.clone(),
                format: d.format,
                text,
            });
        }
        out
    }

    pub(super) fn add_display(&mut self, text: String, format: Format) -> Res<Vec<Event>> {
        self.check_condition(&text)?;
        self.next_display += 1;
        self.displays.push(Display {
            number: self.next_display,
            expr: text,
            format,
            enabled: true,
        });
        // Shown at once when the program is paused, as gdb does.
        if self.rt.as_ref().is_some_and(|rt| rt.exec.is_some()) {
            let n = self.next_display;
            return Ok(self
                .display_events()
                .into_iter()
                .filter(|e| matches!(e, Event::Displayed { number, .. } if *number == n))
                .collect());
        }
        Ok(vec![])
    }

    pub(super) fn undisplay(&mut self, numbers: &[u32]) -> Res<Vec<Event>> {
        if numbers.is_empty() {
            self.displays.clear();
            return Ok(vec![]);
        }
        for n in numbers {
            if !self.displays.iter().any(|d| d.number == *n) {
                return Err(err(NotFound, format!("No display number {n}.")));
            }
        }
        self.displays.retain(|d| !numbers.contains(&d.number));
        Ok(vec![])
    }

    /// The value a finished function returned, typed by its DWARF return
    /// type (`(struct node *) 0x11510`); `None` without one.
    pub(super) fn typed_return(
        &self,
        ret: Option<&crate::dwarf::units::Ty>,
        v: Value,
    ) -> Option<(Val, String)> {
        let ty = ret?.clone();
        let bits = crate::format::value_bits(v).0.to_le_bytes();
        let size = crate::dwarf::types::byte_size(&ty, 0)? as usize;
        if size > 8 {
            return None;
        }
        let val = crate::dwarf::names::returned(ty, bits[..size].to_vec());
        let text = self.with_env(|env| env.show(&val, Format::Natural)).ok()?;
        Some((val, text))
    }
}

pub(super) fn local_index(module: &Module, f: &FrameInfo, r: &LocalRef) -> Res<u32> {
    match r {
        LocalRef::Index(i) if (*i as usize) < f.locals.len() => Ok(*i),
        LocalRef::Index(i) => Err(err(
            NotFound,
            format!(
                "no local $l{i}: {} has {} locals",
                module.display_func_name(f.func_index),
                f.locals.len()
            ),
        )),
        LocalRef::Name(n) => module
            .names
            .locals
            .get(&f.func_index)
            .and_then(|m| m.iter().find(|(_, v)| *v == n).map(|(k, _)| *k))
            .ok_or_else(|| err(NotFound, format!("No symbol \"{n}\" in current context."))),
    }
}

pub(super) fn global_index(module: &Module, r: &LocalRef) -> Res<u32> {
    match r {
        LocalRef::Index(i) if (*i as usize) < module.globals.len() => Ok(*i),
        LocalRef::Index(i) => Err(err(
            NotFound,
            format!("no global $g{i}: the module has {}", module.globals.len()),
        )),
        LocalRef::Name(n) => module
            .names
            .globals
            .iter()
            .find(|(_, v)| *v == n)
            .map(|(k, _)| *k)
            .ok_or_else(|| err(NotFound, format!("No global named \"{n}\"."))),
    }
}

impl crate::dwarf::FrameAccess for FrameCx<'_> {
    fn local(&self, index: u32) -> Option<Value> {
        if !self.is_live(index) {
            return None;
        }
        self.frame.as_ref()?.locals.get(index as usize).copied()
    }

    fn global(&self, index: u32) -> Option<Value> {
        let rt = self.rt?;
        ((index as usize) < self.module.globals.len()).then(|| {
            rt.store
                .global_get(rt.store.instance_global(rt.inst, index))
        })
    }

    fn operand(&self, index: u32) -> Option<Value> {
        let rt = self.rt?;
        rt.exec
            .as_ref()?
            .operand_stack(&rt.store, self.depth)
            .get(index as usize)
            .copied()
    }

    fn read_memory(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let rt = self.rt?;
        let m = self.memory.or_else(|| rt.store.instance_memory(rt.inst))?;
        let mem = rt.store.memory(m);
        let start = usize::try_from(addr).ok()?;
        mem.get(start..start.checked_add(len)?).map(<[u8]>::to_vec)
    }

    /// Element `table_index` of table 0 (C's indirect function table).
    fn function_name(&self, table_index: u64) -> Option<String> {
        let rt = self.rt?;
        if self.module.tables.is_empty() {
            return None;
        }
        let t = rt.store.instance_table(rt.inst, 0);
        let Value::FuncRef(Some(f)) = rt.store.table_get(t, u32::try_from(table_index).ok()?)?
        else {
            return None;
        };
        let (inst, index) = rt.store.func_origin(f)?;
        Some(rt.store.instance_module(inst).display_func_name(index))
    }
}

impl EvalContext for FrameCx<'_> {
    fn as_frame(&self) -> &dyn crate::dwarf::FrameAccess {
        self
    }

    fn wasm_local(&self, r: &LocalRef) -> Result<Value, String> {
        let f = self.frame.as_ref().ok_or("No frame selected.")?;
        match local_index(self.module, f, r).map_err(String::from) {
            Ok(i) if !self.is_live(i) => Err(format!(
                "$l{i} is not live here: JIT code keeps no value for a local it never reads again before writing it"
            )),
            // A JIT frame that kept no locals (`info locals` says so too).
            Ok(i) => f.locals.get(i as usize).copied().ok_or_else(|| {
                format!("$l{i} is not available (JIT frame): native code keeps no locals here")
            }),
            // `$__stack_pointer` and friends: a global by name.
            Err(e) => match r {
                LocalRef::Name(_) => self.wasm_global(r).map_err(|_| e),
                _ => Err(e),
            },
        }
    }

    fn wasm_global(&self, r: &LocalRef) -> Result<Value, String> {
        let rt = self.rt.ok_or("The module is not instantiated yet.")?;
        let i = global_index(self.module, r)?;
        Ok(rt.store.global_get(rt.store.instance_global(rt.inst, i)))
    }

    fn wasm_stack(&self, n: u32) -> Result<Value, String> {
        let rt = self.rt.ok_or("No stack.")?;
        let exec = rt.exec.as_ref().ok_or("No stack.")?;
        let s = exec.operand_stack(&rt.store, self.depth);
        s.iter()
            .rev()
            .nth(n as usize)
            .copied()
            .ok_or_else(|| format!("the operand stack has {} values", s.len()))
    }

    fn wasm_table(
        &self,
        table: u32,
        index: u64,
    ) -> Result<(Value, Option<wdb_engine::ValType>), String> {
        let rt = self.rt.ok_or("The module is not instantiated yet.")?;
        let n = self.module.tables.len() as u32;
        if table >= n {
            return Err(format!("no table $t{table}: the module has {n}"));
        }
        let t = rt.store.instance_table(rt.inst, table);
        let size = rt.store.table_size(t);
        let v = u32::try_from(index)
            .ok()
            .and_then(|i| rt.store.table_get(t, i))
            .ok_or_else(|| {
                format!("index {index} is out of bounds of table $t{table} of size {size}")
            })?;
        Ok((
            v,
            self.module
                .declared_table_type(table)
                .map(wdb_engine::ValType::Ref),
        ))
    }

    fn wasm_local_type(&self, r: &LocalRef) -> Option<wdb_engine::ValType> {
        let f = self.frame.as_ref()?;
        let i = local_index(self.module, f, r).ok()?;
        self.module
            .declared_local_types(f.func_index)?
            .get(i as usize)
            .copied()
    }

    fn wasm_global_type(&self, r: &LocalRef) -> Option<wdb_engine::ValType> {
        let i = global_index(self.module, r).ok()?;
        self.module.declared_global_type(i)
    }

    fn wasm_stack_type(&self, n: u32) -> Option<wdb_engine::ValType> {
        let rt = self.rt?;
        let s = rt.exec.as_ref()?.operand_stack_typed(&rt.store, self.depth);
        s.iter().rev().nth(n as usize)?.1
    }

    fn wasm_module(&self) -> Option<std::sync::Arc<Module>> {
        let rt = self.rt?;
        Some(rt.store.instance_module(rt.inst).clone())
    }

    fn gc_inspect(
        &self,
        r: u64,
        elements: std::ops::Range<u32>,
    ) -> Option<wdb_engine::runtime::gc_inspect::GcRefInfo> {
        let rt = self.rt?;
        Some(rt.store.gc_inspect(r, Some(rt.inst), elements))
    }

    fn instance_module(
        &self,
        inst: wdb_engine::runtime::InstanceId,
    ) -> Option<std::sync::Arc<Module>> {
        let rt = self.rt?;
        (inst.0 < rt.store.num_instances()).then(|| rt.store.instance_module(inst).clone())
    }

    fn gc_collections(&self) -> Option<u64> {
        Some(self.rt?.store.gc_collections())
    }

    fn describe_ref(&self, v: Value) -> Option<String> {
        let rt = self.rt?;
        match v {
            Value::FuncRef(Some(f)) if f < rt.store.num_funcs() => {
                Some(match rt.store.func_origin(f) {
                    Some((inst, index)) => {
                        format!(
                            "<{}>",
                            rt.store.instance_module(inst).display_func_name(index)
                        )
                    }
                    None => "<host function>".into(),
                })
            }
            Value::ExnRef(Some(e)) => {
                let (tag, payload) = rt.store.exception(e)?;
                let name = rt
                    .store
                    .tag_name(tag)
                    .unwrap_or_else(|| format!("tag[{tag}]"));
                let payload: Vec<String> = payload.iter().map(|v| v.to_string()).collect();
                Some(format!("{name}({})", payload.join(", ")))
            }
            _ => None,
        }
    }
}
