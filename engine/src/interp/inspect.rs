//! Reading and changing a paused computation: its frames (with their
//! locals), the operand stack of any frame typed as the validator knows it,
//! a local's new value, and the backtrace a trap carries.

use super::{Execution, FrameInfo};
use crate::error::{Error, Result};
use crate::module::Module;
use crate::runtime::Store;
use crate::trap::BacktraceFrame;
use crate::value::{FuncAddr, ValType, Value};

impl Execution {
    /// The function of every frame, innermost first (cheap: no locals).
    pub fn frame_funcs(&self) -> Vec<FuncAddr> {
        self.frames.iter().rev().map(|f| f.func).collect()
    }

    /// How many frames there are (cheap: [`Execution::frames`] builds them all).
    pub fn depth(&self) -> usize {
        self.frames.len()
    }

    /// Frames, innermost first (post-mortem after a trap too).
    pub fn frames(&self, store: &Store) -> Vec<FrameInfo> {
        self.frames_upto(store, usize::MAX)
    }

    /// The `max` innermost frames (all when there are fewer), innermost
    /// first: what a stop shows costs the same at any stack depth.
    pub fn frames_upto(&self, store: &Store, max: usize) -> Vec<FrameInfo> {
        let n = self.frames.len();
        let mut out = Vec::with_capacity(n.min(max));
        for (i, f) in self.frames.iter().enumerate().rev().take(max) {
            let Some(code) = store.compiled(f.func) else {
                continue;
            };
            let (instance, func_index) = store
                .func_origin(f.func)
                .expect("frames are wasm functions");
            let pc = if i + 1 == n {
                f.pc
            } else {
                f.pc.saturating_sub(1)
            };
            let locals = code
                .local_types
                .iter()
                .zip(&code.local_offsets)
                .map(|(&t, &off)| {
                    let at = f.fp as usize + off as usize;
                    Value::from_slots(t, &self.stack[at..at + Value::slots(t)])
                })
                .collect();
            out.push(FrameInfo {
                func: f.func,
                instance,
                func_index,
                pc,
                code_offset: code.offsets.get(pc as usize).copied().unwrap_or(0),
                locals,
            });
        }
        out
    }

    /// The operand stack of frame `depth` (0 = innermost), bottom first, typed.
    pub fn operand_stack(&self, store: &Store, depth: usize) -> Vec<Value> {
        self.operand_stack_typed(store, depth)
            .into_iter()
            .map(|(v, _)| v)
            .collect()
    }

    /// The operand stack of frame `depth` with each value's static type as
    /// the validator knows it there (concrete type indices of the frame's
    /// module; `None` when the types could not be recomputed).
    pub fn operand_stack_typed(
        &self,
        store: &Store,
        depth: usize,
    ) -> Vec<(Value, Option<ValType>)> {
        let n = self.frames.len();
        if depth >= n {
            return Vec::new();
        }
        let i = n - 1 - depth;
        let f = self.frames[i];
        let Some(code) = store.compiled(f.func) else {
            return Vec::new();
        };
        let base = f.fp as usize + code.locals_slots as usize;
        let (top, pc, drop_params) = if depth == 0 {
            (self.sp, f.pc, 0)
        } else {
            let callee = self.frames[i + 1];
            let params = store.func_type(callee.func).params().len();
            (callee.fp as usize, f.pc.saturating_sub(1), params)
        };
        let slots = &self.stack[base.min(top)..top];
        let (inst, index) = store
            .func_origin(f.func)
            .expect("frames are wasm functions");
        let module = store.instance_module(inst);
        let code_offset = code.offsets.get(pc as usize).copied().unwrap_or(0);
        let types = crate::translate::operand_types_at(module, index, code_offset);
        decode_slots(
            module,
            slots,
            types.map(|mut t| {
                t.truncate(t.len().saturating_sub(drop_params));
                t
            }),
        )
    }

    pub fn set_local(&mut self, store: &Store, depth: usize, local: u32, v: Value) -> Result<()> {
        let n = self.frames.len();
        if depth >= n {
            return Err(Error::usage(format!("no frame {depth}")));
        }
        let f = self.frames[n - 1 - depth];
        let code = store
            .compiled(f.func)
            .ok_or_else(|| Error::usage("frame has no code"))?;
        let Some(&ty) = code.local_types.get(local as usize) else {
            return Err(Error::usage(format!(
                "no local {local} (the function has {})",
                code.local_types.len()
            )));
        };
        if !v.fits(ty) {
            return Err(Error::usage(format!(
                "local {local} is {}, not {}",
                crate::value::valtype_name(ty),
                crate::value::valtype_name(v.ty())
            )));
        }
        let at = f.fp as usize + code.local_offsets[local as usize] as usize;
        v.to_slots(&mut self.stack[at..at + Value::slots(ty)]);
        Ok(())
    }

    /// A trap with a backtrace from the current frames.
    pub(super) fn backtrace(&self, store: &Store) -> Vec<BacktraceFrame> {
        self.frames(store)
            .into_iter()
            .map(|f| {
                let module = store.instance_module(f.instance);
                BacktraceFrame {
                    func_index: f.func_index,
                    func_name: module.func_name(f.func_index).map(str::to_string),
                    code_offset: Some(f.code_offset),
                }
            })
            .collect()
    }
}

/// Typed values from raw slots; without types, every slot as an `i64`.
pub(super) fn decode_slots(
    module: &Module,
    slots: &[u64],
    types: Option<Vec<ValType>>,
) -> Vec<(Value, Option<ValType>)> {
    if let Some(types) = types {
        let need: usize = types.iter().map(|&t| Value::slots(t)).sum();
        if need == slots.len() {
            let mut at = 0;
            return types
                .into_iter()
                .map(|t| {
                    let n = Value::slots(t);
                    let s = &slots[at..at + n];
                    at += n;
                    // The validator's types are exact: a reference to a
                    // struct or array type is an `any` reference.
                    let v = match t {
                        ValType::Ref(r)
                            if crate::runtime::gc_inspect::ref_class_in(module, r)
                                == crate::value::RefClass::Any =>
                        {
                            Value::AnyRef((s[0] != 0).then_some(s[0]))
                        }
                        _ => Value::from_slots(t, s),
                    };
                    (v, Some(t))
                })
                .collect();
        }
    }
    slots
        .iter()
        .map(|&s| (Value::I64(s as i64), None))
        .collect()
}
