//! Wasm function body -> [`Code`]: one pass over the operators, re-running a
//! `wasmparser` function validator alongside so every instruction's operand
//! types (and so slot heights: a `v128` is two slots) are known.
//!
//! Each instance gets its own translation: store addresses of functions,
//! globals, tables, memories and segments are resolved here, so the
//! interpreter never goes through the instance's index maps.

pub mod fuse;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fusable;

use std::collections::HashMap;

use wasmparser::{
    BinaryReader, BlockType, FuncValidator, Operator, OperatorsReader, ValidatorResources,
};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::SimdOp;
use crate::ir::{CastHeap, CastTarget, Catch, Code, GcOp, Handler, HandlerKind, MemOpX, Op};
use crate::module::Module;
use crate::runtime::store::InstanceData;
use crate::value::{ValType, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
    TryTable,
    /// A legacy `try` body, then (after its first `catch`) its catch blocks.
    LegacyTry,
    LegacyCatch,
}

struct Ctrl {
    kind: Kind,
    /// Slot height (from fp) below the block's params.
    height: u32,
    param_slots: u32,
    result_slots: u32,
    /// Operand count below the block's params.
    mirror_len: usize,
    loop_pc: u32,
    /// Ops whose branch target is this block's end.
    fixups: Vec<usize>,
    /// The `if`'s conditional branch to its `else` (or end).
    else_fixup: Option<usize>,
    /// Code after an unconditional branch, until this block ends.
    unreachable: bool,
    /// Catch clauses (handler, clause) that continue at this block's end.
    catch_fixups: Vec<(usize, usize)>,
    /// A `try_table` or legacy `try`: its handler.
    handler: Option<usize>,
    /// A legacy `try`: its nesting level among legacy `try`s (its hidden
    /// exception slot), and whether a `rethrow` needs that slot.
    legacy_level: u32,
    rethrown: bool,
}

fn slots(ty: ValType) -> u32 {
    Value::slots(ty) as u32
}

struct Translator<'a> {
    module: &'a Module,
    inst: &'a InstanceData,
    validator: FuncValidator<ValidatorResources>,
    ops: Vec<Op>,
    offsets: Vec<u32>,
    /// Slot height (from fp) after each operand on the validator's stack.
    mirror: Vec<u32>,
    ctrl: Vec<Ctrl>,
    locals_slots: u32,
    max_height: u32,
    local_offsets: Vec<u32>,
    local_types: Vec<ValType>,
    code_offset: u32,
    v128_pool: Vec<u128>,
    mem_ops: Vec<MemOpX>,
    gc_ops: Vec<GcOp>,
    gc_maps: Vec<(u32, Box<[u32]>)>,
    handlers: Vec<Handler>,
    /// Slot offset of the first hidden exception slot (after the declared locals).
    exn_base: u32,
    /// Legacy `try` nesting now, and the most seen.
    legacy_level: u32,
    legacy_max: u32,
}

fn invalid(e: wasmparser::BinaryReaderError) -> Error {
    Error::from_wasmparser(ErrorKind::Invalid, &e)
}

/// Translate defined function `func_index` of `inst`'s module.
pub(crate) fn translate(inst: &InstanceData, func_index: u32) -> Result<Code> {
    // Legacy `try` blocks need hidden slots after the locals, which only a
    // pass over the body counts: the few functions that have them are
    // translated twice.
    let (code, legacy_max) = translate_with(inst, func_index, 0)?;
    if legacy_max == 0 {
        return Ok(code);
    }
    Ok(translate_with(inst, func_index, legacy_max)?.0)
}

fn translate_with(inst: &InstanceData, func_index: u32, hidden: u32) -> Result<(Code, u32)> {
    let module = &*inst.module;
    let body = module
        .body(func_index)
        .ok_or_else(|| Error::usage(format!("function {func_index} is an import")))?;
    let mut validator = module.func_validator(func_index)?;
    let mut reader = BinaryReader::new(&module.bytes[body.range.clone()], body.range.start as u64);
    validator.read_locals(&mut reader).map_err(invalid)?;
    let ty = module.func_type(func_index);
    let local_types = module.local_types(func_index);
    let mut local_offsets = Vec::with_capacity(local_types.len());
    let mut at = 0;
    for &t in &local_types {
        local_offsets.push(at);
        at += slots(t);
    }
    let param_slots: u32 = ty.params().iter().map(|&t| slots(t)).sum();
    let result_slots: u32 = ty.results().iter().map(|&t| slots(t)).sum();
    let exn_base = at;
    let at = at + hidden;
    let mut t = Translator {
        module,
        inst,
        validator,
        ops: Vec::new(),
        offsets: Vec::new(),
        mirror: Vec::new(),
        ctrl: vec![Ctrl {
            kind: Kind::Func,
            height: at,
            param_slots: 0,
            result_slots,
            mirror_len: 0,
            loop_pc: 0,
            fixups: Vec::new(),
            else_fixup: None,
            unreachable: false,
            catch_fixups: Vec::new(),
            handler: None,
            legacy_level: 0,
            rethrown: false,
        }],
        locals_slots: at,
        max_height: at,
        local_offsets,
        local_types,
        code_offset: 0,
        v128_pool: Vec::new(),
        mem_ops: Vec::new(),
        gc_ops: Vec::new(),
        gc_maps: Vec::new(),
        handlers: Vec::new(),
        exn_base,
        legacy_level: 0,
        legacy_max: 0,
    };
    let mut ops = OperatorsReader::new(reader);
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset().map_err(invalid)?;
        t.code_offset = module.code_offset_from_module_offset(offset as usize);
        t.op(offset, &op)?;
        if t.ctrl.is_empty() {
            break;
        }
    }
    ops.finish().map_err(invalid)?;
    if t.legacy_max > hidden {
        // Translated without room for the hidden slots: the caller asks again.
        return Ok((empty_code(), t.legacy_max));
    }
    let gc_locals: Box<[u32]> = if module.uses_gc_refs {
        t.local_types
            .iter()
            .zip(&t.local_offsets)
            .filter(|&(&ty, _)| is_any_ref(module, ty))
            .map(|(_, &o)| o)
            .collect()
    } else {
        Box::new([])
    };
    let mut fused = t.ops;
    let unfused = fuse::fuse(&mut fused);
    let code = Code {
        ops: fused,
        unfused,
        offsets: t.offsets,
        param_slots,
        locals_slots: t.locals_slots,
        result_slots,
        // Slack for SIMD temporaries and the call sequence.
        max_height: t.max_height + 4,
        local_offsets: t.local_offsets,
        local_types: t.local_types,
        memory: inst.memories.first().copied(),
        v128_pool: t.v128_pool,
        mem_ops: t.mem_ops,
        gc_ops: t.gc_ops,
        gc_maps: t.gc_maps,
        gc_locals,
        handlers: t.handlers,
        patched: HashMap::new(),
        watch_fused: Vec::new(),
        fuel: None,
    };
    Ok((code, 0))
}

fn empty_code() -> Code {
    Code {
        ops: Vec::new(),
        unfused: Vec::new(),
        offsets: Vec::new(),
        param_slots: 0,
        locals_slots: 0,
        result_slots: 0,
        max_height: 0,
        local_offsets: Vec::new(),
        local_types: Vec::new(),
        memory: None,
        v128_pool: Vec::new(),
        mem_ops: Vec::new(),
        gc_ops: Vec::new(),
        gc_maps: Vec::new(),
        gc_locals: Box::new([]),
        handlers: Vec::new(),
        patched: HashMap::new(),
        watch_fused: Vec::new(),
        fuel: None,
    }
}

/// Whether a value of type `t` (as validation sees it) is an `any`
/// reference: one the GC must see.
pub(crate) fn is_any_ref(module: &Module, t: ValType) -> bool {
    use wasmparser::{CompositeInnerType, HeapType, UnpackedIndex};
    let ValType::Ref(r) = t else {
        return false;
    };
    match r.heap_type() {
        HeapType::Concrete(UnpackedIndex::Module(i))
        | HeapType::Exact(UnpackedIndex::Module(i)) => !matches!(
            module
                .sub_types
                .get(i as usize)
                .map(|s| &s.composite_type.inner),
            Some(CompositeInnerType::Func(_))
        ),
        _ => crate::value::ref_class(r) == crate::value::RefClass::Any,
    }
}

/// [`is_any_ref`] for a type from the validator's operand stack, whose
/// concrete types are the validator's own ids.
pub(crate) fn operand_is_any_ref(module: &Module, res: &ValidatorResources, t: ValType) -> bool {
    use wasmparser::{CompositeInnerType, HeapType, UnpackedIndex, WasmModuleResources};
    match t {
        ValType::Ref(r) => match r.heap_type() {
            HeapType::Concrete(UnpackedIndex::Id(id)) | HeapType::Exact(UnpackedIndex::Id(id)) => {
                !matches!(
                    res.sub_type_at_id(id).composite_type.inner,
                    CompositeInnerType::Func(_)
                )
            }
            _ => is_any_ref(module, t),
        },
        _ => false,
    }
}

/// An op where the collector may run with this frame on the stack: a call
/// (the frame waits in it) or an allocation.
fn is_safepoint(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::Call { .. }
            | O::CallIndirect { .. }
            | O::CallRef { .. }
            | O::StructNew { .. }
            | O::StructNewDefault { .. }
            | O::ArrayNew { .. }
            | O::ArrayNewDefault { .. }
            | O::ArrayNewFixed { .. }
            | O::ArrayNewData { .. }
            | O::ArrayNewElem { .. }
    )
}

/// What an instruction the interpreter cannot run yet is part of.
fn proposal_of(op: &Operator<'_>) -> &'static str {
    let name = format!("{op:?}");
    if name.starts_with("Struct")
        || name.starts_with("Array")
        || name.starts_with("RefI31")
        || name.starts_with("I31")
        || name.starts_with("RefTest")
        || name.starts_with("RefCast")
        || name.starts_with("BrOnCast")
        || name.starts_with("AnyConvert")
        || name.starts_with("ExternConvert")
        || name.starts_with("RefEq")
    {
        "GC"
    } else if name.contains("Relaxed") {
        "relaxed SIMD"
    } else {
        "a post-2.0 proposal"
    }
}

impl Translator<'_> {
    fn h(&self) -> u32 {
        self.mirror.last().copied().unwrap_or(self.locals_slots)
    }

    fn height_at(&self, len: usize) -> u32 {
        if len == 0 {
            self.locals_slots
        } else {
            self.mirror[len - 1]
        }
    }

    fn emit(&mut self, op: Op) -> usize {
        self.ops.push(op);
        self.offsets.push(self.code_offset);
        self.ops.len() - 1
    }

    fn pc(&self) -> u32 {
        self.ops.len() as u32
    }

    /// Bring the mirror in line with the validator after an instruction that
    /// popped at most `max_pops` operands.
    fn sync(&mut self, max_pops: usize) {
        let keep = self.mirror.len().saturating_sub(max_pops);
        self.sync_from(keep);
    }

    fn sync_from(&mut self, keep: usize) {
        let h1 = self.validator.operand_stack_height() as usize;
        self.mirror.truncate(keep.min(h1));
        while self.mirror.len() < h1 {
            let depth = h1 - 1 - self.mirror.len();
            let s = match self.validator.get_operand_type(depth) {
                Some(Some(t)) => slots(t),
                _ => 1,
            };
            let h = self.h() + s;
            self.mirror.push(h);
        }
        self.max_height = self.max_height.max(self.h());
    }

    fn top_type(&self, depth: usize) -> Option<ValType> {
        self.validator.get_operand_type(depth).flatten()
    }

    fn block_type_slots(&self, bt: BlockType) -> (u32, u32, usize) {
        match bt {
            BlockType::Empty => (0, 0, 0),
            BlockType::Type(t) => (0, slots(t), 0),
            BlockType::FuncType(i) => {
                let ft = &self.module.types[i as usize];
                (
                    ft.params().iter().map(|&t| slots(t)).sum(),
                    ft.results().iter().map(|&t| slots(t)).sum(),
                    ft.params().len(),
                )
            }
        }
    }

    fn push_ctrl(&mut self, kind: Kind, bt: BlockType) {
        let (param_slots, result_slots, nparams) = self.block_type_slots(bt);
        let unreachable = self.ctrl.last().is_some_and(|c| c.unreachable);
        let mirror_len = self.mirror.len().saturating_sub(nparams);
        let height = self.height_at(mirror_len);
        self.ctrl.push(Ctrl {
            kind,
            height,
            param_slots,
            result_slots,
            mirror_len,
            loop_pc: self.pc(),
            fixups: Vec::new(),
            else_fixup: None,
            unreachable,
            catch_fixups: Vec::new(),
            handler: None,
            legacy_level: 0,
            rethrown: false,
        });
    }

    /// A catch clause to label `depth` (counted from outside the `try`):
    /// where it continues and at what stack height.
    fn catch_to(&mut self, handler: usize, clause: usize, depth: u32) -> (u32, u32) {
        let idx = self.ctrl.len() - 1 - depth as usize;
        let c = &mut self.ctrl[idx];
        if c.kind == Kind::Loop {
            (c.height, c.loop_pc)
        } else {
            c.catch_fixups.push((handler, clause));
            (c.height, u32::MAX)
        }
    }

    /// Point the catch clauses waiting for a block's end at `pc`.
    fn patch_catches(&mut self, fixups: &[(usize, usize)], pc: u32) {
        for &(h, c) in fixups {
            if let HandlerKind::Catches(cs) = &mut self.handlers[h].kind {
                cs[c].target = pc;
            }
        }
    }

    /// Start a handler at the current pc for the `try` just pushed.
    fn open_handler(&mut self, kind: HandlerKind) -> usize {
        let depth = (self.ctrl.len() - 1) as u32;
        self.handlers.push(Handler {
            start: self.pc(),
            end: u32::MAX,
            depth,
            kind,
        });
        let h = self.handlers.len() - 1;
        self.ctrl.last_mut().expect("just pushed").handler = Some(h);
        h
    }

    /// Emit `br_on_null` (`on_null`) or `br_on_non_null` to label `depth`;
    /// `h_null` is the stack height without the reference.
    fn branch_on(&mut self, depth: u32, on_null: bool, h_null: u32) {
        let idx = self.ctrl.len() - 1 - depth as usize;
        let c = &self.ctrl[idx];
        if c.kind == Kind::Func {
            let keep = c.result_slots;
            let pc = self.pc();
            // Skip the return unless the branch is taken.
            self.emit(if on_null {
                Op::BrOnNonNull {
                    target: pc + 2,
                    drop: 0,
                    keep: 0,
                }
            } else {
                Op::BrOnNull {
                    target: pc + 2,
                    drop: 0,
                    keep: 0,
                }
            });
            self.emit(Op::Return { keep });
            return;
        }
        let (keep, target) = if c.kind == Kind::Loop {
            (c.param_slots, c.loop_pc)
        } else {
            (c.result_slots, u32::MAX)
        };
        let at = if on_null {
            let drop = h_null - c.height - keep;
            self.emit(Op::BrOnNull { target, drop, keep })
        } else {
            let drop = h_null + 1 - c.height - keep;
            self.emit(Op::BrOnNonNull { target, drop, keep })
        };
        if self.ctrl[idx].kind != Kind::Loop {
            self.ctrl[idx].fixups.push(at);
        }
    }

    /// The stack map of the op about to be emitted: the `any` operands.
    fn record_gc_map(&mut self) {
        let n = self.mirror.len();
        let mut refs = Vec::new();
        for k in 0..n {
            if let Some(Some(t)) = self.validator.get_operand_type(n - 1 - k)
                && operand_is_any_ref(self.module, self.validator.resources(), t)
            {
                refs.push(self.mirror[k] - 1);
            }
        }
        self.gc_maps.push((self.pc(), refs.into()));
    }

    /// Emit GC instruction `x`, which popped at most `pops` operands.
    fn gc(&mut self, x: GcOp, pops: usize) -> Result<()> {
        self.gc_ops.push(x);
        self.emit(Op::Gc(self.gc_ops.len() as u32 - 1));
        self.sync(pops);
        Ok(())
    }

    /// What a cast to `hty` (module types) checks.
    fn cast_target(&self, hty: wasmparser::HeapType, nullable: bool) -> CastTarget {
        use wasmparser::{AbstractHeapType as A, HeapType, UnpackedIndex};
        let heap = match hty {
            HeapType::Abstract { ty, .. } => match ty {
                A::Any => CastHeap::Any,
                A::Eq => CastHeap::Eq,
                A::I31 => CastHeap::I31,
                A::Struct => CastHeap::Struct,
                A::Array => CastHeap::Array,
                A::None | A::NoFunc | A::NoExtern | A::NoExn | A::NoCont => CastHeap::Bottom,
                A::Func | A::Extern | A::Exn | A::Cont => CastHeap::Top,
            },
            HeapType::Concrete(UnpackedIndex::Module(i))
            | HeapType::Exact(UnpackedIndex::Module(i)) => {
                CastHeap::Concrete(self.inst.type_ids[i as usize])
            }
            HeapType::Concrete(_) | HeapType::Exact(_) => CastHeap::Top,
        };
        CastTarget { heap, nullable }
    }

    /// A memory instruction on `memory` (module index): the fast op for a
    /// 32-bit memory 0, else `Op::MemX`.
    fn mem_op(&mut self, memory: u32, offset: u64, fast: Op) -> Op {
        let is64 = self.module.memories[memory as usize].memory64;
        if memory == 0 && !is64 && offset <= u32::MAX as u64 {
            return fast;
        }
        self.mem_x(fast, memory, memory, offset)
    }

    fn mem_x(&mut self, op: Op, memory: u32, src: u32, offset: u64) -> Op {
        self.mem_ops.push(MemOpX {
            op,
            mem: self.inst.memories[memory as usize],
            src: self.inst.memories[src as usize],
            offset,
        });
        Op::MemX(self.mem_ops.len() as u32 - 1)
    }

    /// Whether memory ops on `memory` take the fast path.
    fn fast_memory(&self, memory: u32) -> bool {
        memory == 0 && !self.module.memories[memory as usize].memory64
    }

    fn patch(&mut self, at: usize, target: u32) {
        match &mut self.ops[at] {
            Op::Br(t) | Op::BrIfNez(t) | Op::BrIfEqz(t) => *t = target,
            Op::BrDrop { target: t, .. }
            | Op::BrIfNezDrop { target: t, .. }
            | Op::BrOnNull { target: t, .. }
            | Op::BrOnNonNull { target: t, .. } => *t = target,
            other => unreachable!("patching a non-branch {other:?}"),
        }
    }

    /// Emit a branch to the label `depth` levels out. `cond`: a `br_if`.
    fn branch(&mut self, depth: u32, cond: bool) {
        let idx = self.ctrl.len() - 1 - depth as usize;
        let h = self.h();
        let c = &self.ctrl[idx];
        if c.kind == Kind::Func {
            let keep = c.result_slots;
            if cond {
                let pc = self.pc();
                self.emit(Op::BrIfEqz(pc + 2));
            }
            self.emit(Op::Return { keep });
            return;
        }
        let (keep, target) = if c.kind == Kind::Loop {
            (c.param_slots, c.loop_pc)
        } else {
            (c.result_slots, u32::MAX)
        };
        let drop = h - c.height - keep;
        let op = match (cond, drop) {
            (false, 0) => Op::Br(target),
            (false, _) => Op::BrDrop { target, drop, keep },
            (true, 0) => Op::BrIfNez(target),
            (true, _) => Op::BrIfNezDrop { target, drop, keep },
        };
        let at = self.emit(op);
        if self.ctrl[idx].kind != Kind::Loop {
            self.ctrl[idx].fixups.push(at);
        }
    }

    fn set_unreachable(&mut self) {
        if let Some(c) = self.ctrl.last_mut() {
            c.unreachable = true;
        }
    }

    fn op(&mut self, offset: u64, op: &Operator<'_>) -> Result<()> {
        let unreachable = self.ctrl.last().is_some_and(|c| c.unreachable);
        // Types needed from before the instruction.
        let pre_top = self.top_type(0);
        let pre_second = self.top_type(1);
        let h0 = self.h();
        if self.module.uses_gc_refs && !unreachable && is_safepoint(op) {
            self.record_gc_map();
        }
        self.validator.op(offset, op).map_err(invalid)?;
        use Operator as O;
        match *op {
            O::Block { blockty } => {
                self.push_ctrl(Kind::Block, blockty);
                return Ok(());
            }
            O::Loop { blockty } => {
                self.push_ctrl(Kind::Loop, blockty);
                return Ok(());
            }
            O::If { blockty } => {
                if !unreachable {
                    self.mirror.pop();
                }
                let at = (!unreachable).then(|| self.emit(Op::BrIfEqz(u32::MAX)));
                self.push_ctrl(Kind::If, blockty);
                self.ctrl.last_mut().expect("just pushed").else_fixup = at;
                return Ok(());
            }
            O::Else => {
                let c = self.ctrl.last().expect("validated: else inside if");
                if !c.unreachable {
                    let at = self.emit(Op::Br(u32::MAX));
                    self.ctrl.last_mut().expect("checked").fixups.push(at);
                }
                let pc = self.pc();
                let c = self.ctrl.last_mut().expect("checked");
                c.kind = Kind::Else;
                let parent_unreachable =
                    self.ctrl.len() >= 2 && self.ctrl[self.ctrl.len() - 2].unreachable;
                let c = self.ctrl.last_mut().expect("checked");
                c.unreachable = parent_unreachable;
                if let Some(at) = c.else_fixup.take() {
                    self.patch(at, pc);
                }
                let keep = self.ctrl.last().expect("checked").mirror_len;
                self.sync_from(keep);
                return Ok(());
            }
            O::End | O::Delegate { .. } => {
                let c = self.ctrl.pop().expect("validated: balanced end");
                if c.kind == Kind::Func {
                    let at = self.emit(Op::Return {
                        keep: c.result_slots,
                    });
                    let pc = at as u32;
                    for f in c.fixups {
                        self.patch(f, pc);
                    }
                    self.patch_catches(&c.catch_fixups, pc);
                    return Ok(());
                }
                let pc = self.pc();
                for &f in &c.fixups {
                    self.patch(f, pc);
                }
                self.patch_catches(&c.catch_fixups, pc);
                if let Some(at) = c.else_fixup {
                    self.patch(at, pc);
                }
                if let Some(h) = c.handler {
                    if matches!(c.kind, Kind::TryTable | Kind::LegacyTry) {
                        self.handlers[h].end = pc;
                    }
                    if let O::Delegate { relative_depth } = *op {
                        let target = (self.ctrl.len() - 1 - relative_depth as usize) as u32;
                        self.handlers[h].kind = HandlerKind::Delegate(target);
                    }
                    if !c.rethrown
                        && let HandlerKind::Catches(cs) = &mut self.handlers[h].kind
                    {
                        for clause in cs {
                            clause.exn_slot = None;
                        }
                    }
                }
                if matches!(c.kind, Kind::LegacyTry | Kind::LegacyCatch) {
                    self.legacy_level -= 1;
                }
                self.sync_from(c.mirror_len);
                return Ok(());
            }
            O::TryTable { ref try_table } => {
                let h = self.handlers.len();
                let mut catches = Vec::new();
                for (i, catch) in try_table.catches.iter().enumerate() {
                    use wasmparser::Catch as C;
                    let (tag, label, push_payload, push_ref) = match *catch {
                        C::One { tag, label } => (Some(tag), label, true, false),
                        C::OneRef { tag, label } => (Some(tag), label, true, true),
                        C::All { label } => (None, label, false, false),
                        C::AllRef { label } => (None, label, false, true),
                    };
                    let (height, target) = self.catch_to(h, i, label);
                    catches.push(Catch {
                        tag: tag.map(|t| self.inst.tags[t as usize]),
                        push_payload,
                        push_ref,
                        exn_slot: None,
                        height,
                        target,
                    });
                }
                self.push_ctrl(Kind::TryTable, try_table.ty);
                self.open_handler(HandlerKind::Catches(catches));
                return Ok(());
            }
            O::Try { blockty } => {
                self.push_ctrl(Kind::LegacyTry, blockty);
                self.open_handler(HandlerKind::Catches(Vec::new()));
                let c = self.ctrl.last_mut().expect("just pushed");
                c.legacy_level = self.legacy_level;
                self.legacy_level += 1;
                self.legacy_max = self.legacy_max.max(self.legacy_level);
                return Ok(());
            }
            O::Catch { .. } | O::CatchAll => {
                let c = self.ctrl.last().expect("validated: catch inside try");
                if !c.unreachable {
                    let at = self.emit(Op::Br(u32::MAX));
                    self.ctrl.last_mut().expect("checked").fixups.push(at);
                }
                let pc = self.pc();
                let parent_unreachable =
                    self.ctrl.len() >= 2 && self.ctrl[self.ctrl.len() - 2].unreachable;
                let c = self.ctrl.last_mut().expect("checked");
                let h = c.handler.expect("a try has a handler");
                let first = c.kind == Kind::LegacyTry;
                c.kind = Kind::LegacyCatch;
                c.unreachable = parent_unreachable;
                let (height, level, keep) = (c.height, c.legacy_level, c.mirror_len);
                if first {
                    self.handlers[h].end = pc;
                }
                let tag = match *op {
                    O::Catch { tag_index } => Some(self.inst.tags[tag_index as usize]),
                    _ => None,
                };
                let clause = Catch {
                    tag,
                    push_payload: tag.is_some(),
                    push_ref: false,
                    exn_slot: Some(self.exn_base + level),
                    height,
                    target: pc,
                };
                if let HandlerKind::Catches(cs) = &mut self.handlers[h].kind {
                    cs.push(clause);
                }
                self.sync_from(keep);
                return Ok(());
            }
            _ => {}
        }
        if unreachable {
            return Ok(());
        }
        let m = self.inst;
        let e = match *op {
            O::Unreachable => {
                self.emit(Op::Unreachable);
                self.set_unreachable();
                return Ok(());
            }
            O::Nop => return Ok(()),
            O::Br { relative_depth } => {
                self.branch(relative_depth, false);
                self.set_unreachable();
                return Ok(());
            }
            O::BrIf { relative_depth } => {
                self.mirror.pop();
                self.branch(relative_depth, true);
                return Ok(());
            }
            O::BrTable { ref targets } => {
                self.mirror.pop();
                let len = targets.len();
                self.emit(Op::BrTable { len });
                for t in targets.targets() {
                    self.branch(t.map_err(invalid)?, false);
                }
                self.branch(targets.default(), false);
                self.set_unreachable();
                return Ok(());
            }
            O::Return => {
                let keep = self.ctrl[0].result_slots;
                self.emit(Op::Return { keep });
                self.set_unreachable();
                return Ok(());
            }
            O::Throw { tag_index } => {
                self.emit(Op::Throw(m.tags[tag_index as usize]));
                self.set_unreachable();
                return Ok(());
            }
            O::ThrowRef => {
                self.emit(Op::ThrowRef);
                self.set_unreachable();
                return Ok(());
            }
            O::Rethrow { relative_depth } => {
                let idx = self.ctrl.len() - 1 - relative_depth as usize;
                self.ctrl[idx].rethrown = true;
                let slot = self.exn_base + self.ctrl[idx].legacy_level;
                self.emit(Op::Rethrow(slot));
                self.set_unreachable();
                return Ok(());
            }
            O::ReturnCall { function_index } => {
                self.emit(Op::ReturnCall(m.funcs[function_index as usize]));
                self.set_unreachable();
                return Ok(());
            }
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                self.emit(Op::ReturnCallIndirect {
                    table: m.tables[table_index as usize],
                    type_id: m.type_ids[type_index as usize],
                });
                self.set_unreachable();
                return Ok(());
            }
            O::ReturnCallRef { .. } => {
                self.emit(Op::ReturnCallRef);
                self.set_unreachable();
                return Ok(());
            }
            O::CallRef { type_index } => {
                let n = self.module.types[type_index as usize].params().len();
                self.emit(Op::CallRef);
                self.sync(n + 1);
                return Ok(());
            }
            O::BrOnNull { relative_depth } => {
                self.branch_on(relative_depth, true, h0 - 1);
                self.sync(1);
                return Ok(());
            }
            O::BrOnNonNull { relative_depth } => {
                self.branch_on(relative_depth, false, h0 - 1);
                self.sync(1);
                return Ok(());
            }
            O::Call { function_index } => {
                let n = self.module.func_type(function_index).params().len();
                self.emit(Op::Call(m.funcs[function_index as usize]));
                self.sync(n);
                return Ok(());
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let n = self.module.types[type_index as usize].params().len();
                let table = m.tables[table_index as usize];
                let type_id = m.type_ids[type_index as usize];
                self.emit(if self.module.tables[table_index as usize].table64 {
                    Op::CallIndirect64 { table, type_id }
                } else {
                    Op::CallIndirect { table, type_id }
                });
                self.sync(n + 1);
                return Ok(());
            }
            O::Drop => Op::Drop(pre_top.map_or(1, slots)),
            O::Select | O::TypedSelect { .. } => {
                if pre_second == Some(ValType::V128) {
                    Op::Select2
                } else {
                    Op::Select
                }
            }
            O::LocalGet { local_index } => self.local_op(local_index, Op::LocalGet, Op::LocalGet2),
            O::LocalSet { local_index } => self.local_op(local_index, Op::LocalSet, Op::LocalSet2),
            O::LocalTee { local_index } => self.local_op(local_index, Op::LocalTee, Op::LocalTee2),
            O::GlobalGet { global_index } => {
                let a = m.globals[global_index as usize];
                if self.module.globals[global_index as usize].content_type == ValType::V128 {
                    Op::GlobalGet2(a)
                } else {
                    Op::GlobalGet(a)
                }
            }
            O::GlobalSet { global_index } => {
                let a = m.globals[global_index as usize];
                if self.module.globals[global_index as usize].content_type == ValType::V128 {
                    Op::GlobalSet2(a)
                } else {
                    Op::GlobalSet(a)
                }
            }
            O::I32Load { memarg } | O::F32Load { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I32Load(memarg.offset as u32),
            ),
            O::I64Load { memarg } | O::F64Load { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Load(memarg.offset as u32),
            ),
            O::I32Load8S { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I32Load8S(memarg.offset as u32),
            ),
            O::I32Load8U { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I32Load8U(memarg.offset as u32),
            ),
            O::I32Load16S { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I32Load16S(memarg.offset as u32),
            ),
            O::I32Load16U { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I32Load16U(memarg.offset as u32),
            ),
            O::I64Load8S { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Load8S(memarg.offset as u32),
            ),
            O::I64Load8U { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Load8U(memarg.offset as u32),
            ),
            O::I64Load16S { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Load16S(memarg.offset as u32),
            ),
            O::I64Load16U { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Load16U(memarg.offset as u32),
            ),
            O::I64Load32S { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Load32S(memarg.offset as u32),
            ),
            O::I64Load32U { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Load32U(memarg.offset as u32),
            ),
            O::I32Store { memarg } | O::F32Store { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I32Store(memarg.offset as u32),
            ),
            O::I64Store { memarg } | O::F64Store { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Store(memarg.offset as u32),
            ),
            O::I32Store8 { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I32Store8(memarg.offset as u32),
            ),
            O::I32Store16 { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I32Store16(memarg.offset as u32),
            ),
            O::I64Store8 { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Store8(memarg.offset as u32),
            ),
            O::I64Store16 { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Store16(memarg.offset as u32),
            ),
            O::I64Store32 { memarg } => self.mem_op(
                mem_index(memarg.target),
                memarg.offset,
                Op::I64Store32(memarg.offset as u32),
            ),
            O::MemorySize { mem } => self.mem_op(mem, 0, Op::MemorySize),
            O::MemoryGrow { mem } => self.mem_op(mem, 0, Op::MemoryGrow),
            O::MemoryInit { data_index, mem } => {
                self.mem_op(mem, 0, Op::MemoryInit(m.datas[data_index as usize]))
            }
            O::DataDrop { data_index } => Op::DataDrop(m.datas[data_index as usize]),
            O::MemoryCopy { dst_mem, src_mem } => {
                if dst_mem == src_mem && self.fast_memory(dst_mem) {
                    Op::MemoryCopy
                } else {
                    self.mem_x(Op::MemoryCopy, dst_mem, src_mem, 0)
                }
            }
            O::MemoryFill { mem } => self.mem_op(mem, 0, Op::MemoryFill),
            O::I32Const { value } => Op::Const32(value as u32),
            O::I64Const { value } => Op::Const64(value as u64),
            O::F32Const { value } => Op::Const32(value.bits()),
            O::F64Const { value } => Op::Const64(value.bits()),
            O::RefNull { .. } => Op::RefNull,
            O::RefIsNull => Op::RefIsNull,
            O::RefFunc { function_index } => Op::RefFunc(m.funcs[function_index as usize]),
            O::TableGet { table } => Op::TableGet(m.tables[table as usize]),
            O::TableSet { table } => Op::TableSet(m.tables[table as usize]),
            O::TableSize { table } => Op::TableSize(m.tables[table as usize]),
            O::TableGrow { table } => Op::TableGrow(m.tables[table as usize]),
            O::TableFill { table } => Op::TableFill(m.tables[table as usize]),
            O::TableCopy {
                dst_table,
                src_table,
            } => Op::TableCopy {
                dst: m.tables[dst_table as usize],
                src: m.tables[src_table as usize],
            },
            O::TableInit { elem_index, table } => Op::TableInit {
                table: m.tables[table as usize],
                elem: m.elems[elem_index as usize],
            },
            O::ElemDrop { elem_index } => Op::ElemDrop(m.elems[elem_index as usize]),
            O::V128Const { value } => {
                self.v128_pool.push(u128::from_le_bytes(*value.bytes()));
                Op::V128Const(self.v128_pool.len() as u32 - 1)
            }
            O::I8x16Shuffle { lanes } => {
                self.v128_pool.push(u128::from_le_bytes(lanes));
                Op::I8x16Shuffle(self.v128_pool.len() as u32 - 1)
            }
            O::RefAsNonNull => Op::RefAsNonNull,
            O::StructNew {
                struct_type_index: t,
            } => {
                let n = match &self.module.sub_types[t as usize].composite_type.inner {
                    wasmparser::CompositeInnerType::Struct(st) => st.fields.len(),
                    _ => 0,
                };
                return self.gc(
                    GcOp::StructNew {
                        ty: m.type_ids[t as usize],
                        default: false,
                    },
                    n,
                );
            }
            O::StructNewDefault {
                struct_type_index: t,
            } => {
                return self.gc(
                    GcOp::StructNew {
                        ty: m.type_ids[t as usize],
                        default: true,
                    },
                    0,
                );
            }
            O::StructGet {
                struct_type_index: t,
                field_index: field,
            }
            | O::StructGetU {
                struct_type_index: t,
                field_index: field,
            } => {
                let ty = m.type_ids[t as usize];
                return self.gc(
                    GcOp::StructGet {
                        ty,
                        field,
                        signed: false,
                    },
                    1,
                );
            }
            O::StructGetS {
                struct_type_index: t,
                field_index: field,
            } => {
                let ty = m.type_ids[t as usize];
                return self.gc(
                    GcOp::StructGet {
                        ty,
                        field,
                        signed: true,
                    },
                    1,
                );
            }
            O::StructSet {
                struct_type_index: t,
                field_index: field,
            } => {
                return self.gc(
                    GcOp::StructSet {
                        ty: m.type_ids[t as usize],
                        field,
                    },
                    2,
                );
            }
            O::ArrayNew {
                array_type_index: t,
            } => {
                return self.gc(
                    GcOp::ArrayNew {
                        ty: m.type_ids[t as usize],
                        default: false,
                    },
                    2,
                );
            }
            O::ArrayNewDefault {
                array_type_index: t,
            } => {
                return self.gc(
                    GcOp::ArrayNew {
                        ty: m.type_ids[t as usize],
                        default: true,
                    },
                    1,
                );
            }
            O::ArrayNewFixed {
                array_type_index: t,
                array_size: len,
            } => {
                let ty = m.type_ids[t as usize];
                return self.gc(GcOp::ArrayNewFixed { ty, len }, len as usize);
            }
            O::ArrayNewData {
                array_type_index: t,
                array_data_index: d,
            } => {
                let (ty, data) = (m.type_ids[t as usize], m.datas[d as usize]);
                return self.gc(GcOp::ArrayNewData { ty, data }, 2);
            }
            O::ArrayNewElem {
                array_type_index: t,
                array_elem_index: e,
            } => {
                let (ty, elem) = (m.type_ids[t as usize], m.elems[e as usize]);
                return self.gc(GcOp::ArrayNewElem { ty, elem }, 2);
            }
            O::ArrayGet {
                array_type_index: t,
            }
            | O::ArrayGetU {
                array_type_index: t,
            } => {
                return self.gc(
                    GcOp::ArrayGet {
                        ty: m.type_ids[t as usize],
                        signed: false,
                    },
                    2,
                );
            }
            O::ArrayGetS {
                array_type_index: t,
            } => {
                return self.gc(
                    GcOp::ArrayGet {
                        ty: m.type_ids[t as usize],
                        signed: true,
                    },
                    2,
                );
            }
            O::ArraySet {
                array_type_index: t,
            } => {
                return self.gc(
                    GcOp::ArraySet {
                        ty: m.type_ids[t as usize],
                    },
                    3,
                );
            }
            O::ArrayLen => return self.gc(GcOp::ArrayLen, 1),
            O::ArrayFill {
                array_type_index: t,
            } => {
                return self.gc(
                    GcOp::ArrayFill {
                        ty: m.type_ids[t as usize],
                    },
                    4,
                );
            }
            O::ArrayCopy {
                array_type_index_dst: d,
                array_type_index_src: s,
            } => {
                let (dst, src) = (m.type_ids[d as usize], m.type_ids[s as usize]);
                return self.gc(GcOp::ArrayCopy { dst, src }, 5);
            }
            O::ArrayInitData {
                array_type_index: t,
                array_data_index: d,
            } => {
                let (ty, data) = (m.type_ids[t as usize], m.datas[d as usize]);
                return self.gc(GcOp::ArrayInitData { ty, data }, 4);
            }
            O::ArrayInitElem {
                array_type_index: t,
                array_elem_index: e,
            } => {
                let (ty, elem) = (m.type_ids[t as usize], m.elems[e as usize]);
                return self.gc(GcOp::ArrayInitElem { ty, elem }, 4);
            }
            O::RefI31 => return self.gc(GcOp::RefI31, 1),
            O::I31GetS => return self.gc(GcOp::I31Get { signed: true }, 1),
            O::I31GetU => return self.gc(GcOp::I31Get { signed: false }, 1),
            O::RefEq => return self.gc(GcOp::RefEq, 2),
            O::AnyConvertExtern => return self.gc(GcOp::AnyConvertExtern, 1),
            O::ExternConvertAny => return self.gc(GcOp::ExternConvertAny, 1),
            O::RefTestNonNull { hty } | O::RefTestNullable { hty } => {
                let nullable = matches!(*op, O::RefTestNullable { .. });
                let t = self.cast_target(hty, nullable);
                return self.gc(GcOp::RefTest(t), 1);
            }
            O::RefCastNonNull { hty } | O::RefCastNullable { hty } => {
                let nullable = matches!(*op, O::RefCastNullable { .. });
                let t = self.cast_target(hty, nullable);
                return self.gc(GcOp::RefCast(t), 1);
            }
            O::BrOnCast {
                relative_depth,
                to_ref_type,
                ..
            }
            | O::BrOnCastFail {
                relative_depth,
                to_ref_type,
                ..
            } => {
                let fail = matches!(*op, O::BrOnCastFail { .. });
                let target = self.cast_target(to_ref_type.heap_type(), to_ref_type.is_nullable());
                self.gc_ops.push(GcOp::CastFlag { target, fail });
                self.emit(Op::Gc(self.gc_ops.len() as u32 - 1));
                self.max_height = self.max_height.max(h0 + 1);
                self.branch(relative_depth, true);
                self.sync(1);
                return Ok(());
            }
            ref other => match numeric(other) {
                Some(op) => op,
                None => match simd_memarg(other) {
                    // Another memory, or a 64-bit one: the general path,
                    // which adds the offset itself.
                    Some(ma)
                        if !self.fast_memory(mem_index(ma.target))
                            || ma.offset > u32::MAX as u64 =>
                    {
                        match SimdOp::from_operator(&with_offset(other, 0)) {
                            Some(s) => self.mem_x(
                                Op::Simd(s),
                                mem_index(ma.target),
                                mem_index(ma.target),
                                ma.offset,
                            ),
                            None => return Err(unsupported(other, offset)),
                        }
                    }
                    _ => match SimdOp::from_operator(other) {
                        Some(s) => Op::Simd(s),
                        None => return Err(unsupported(other, offset)),
                    },
                },
            },
        };
        let _ = h0;
        if e != Op::Drop(0) {
            self.emit(e);
        }
        self.sync(3);
        Ok(())
    }

    fn local_op(&self, index: u32, one: fn(u32) -> Op, two: fn(u32) -> Op) -> Op {
        let off = self.local_offsets[index as usize];
        if self.local_types[index as usize] == ValType::V128 {
            two(off)
        } else {
            one(off)
        }
    }
}

/// The error for an instruction the interpreter cannot run (yet): at
/// translation, so calling the function traps with it.
fn unsupported(op: &Operator<'_>, offset: u64) -> Error {
    let name = format!("{op:?}");
    let name = name.split([' ', '{', '(']).next().unwrap_or("");
    Error::at(
        ErrorKind::Other,
        format!(
            "the interpreter cannot run `{name}` ({}) yet",
            proposal_of(op)
        ),
        offset as usize,
    )
}

/// The memarg of a SIMD memory instruction.
fn simd_memarg(op: &Operator<'_>) -> Option<wasmparser::MemArg> {
    use Operator as O;
    match *op {
        O::V128Load { memarg }
        | O::V128Load8x8S { memarg }
        | O::V128Load8x8U { memarg }
        | O::V128Load16x4S { memarg }
        | O::V128Load16x4U { memarg }
        | O::V128Load32x2S { memarg }
        | O::V128Load32x2U { memarg }
        | O::V128Load8Splat { memarg }
        | O::V128Load16Splat { memarg }
        | O::V128Load32Splat { memarg }
        | O::V128Load64Splat { memarg }
        | O::V128Load32Zero { memarg }
        | O::V128Load64Zero { memarg }
        | O::V128Store { memarg }
        | O::V128Load8Lane { memarg, .. }
        | O::V128Load16Lane { memarg, .. }
        | O::V128Load32Lane { memarg, .. }
        | O::V128Load64Lane { memarg, .. }
        | O::V128Store8Lane { memarg, .. }
        | O::V128Store16Lane { memarg, .. }
        | O::V128Store32Lane { memarg, .. }
        | O::V128Store64Lane { memarg, .. } => Some(memarg),
        _ => None,
    }
}

/// A SIMD memory instruction with another static offset.
fn with_offset<'a>(op: &Operator<'a>, offset: u64) -> Operator<'a> {
    use Operator as O;
    let mut op = op.clone();
    match &mut op {
        O::V128Load { memarg }
        | O::V128Load8x8S { memarg }
        | O::V128Load8x8U { memarg }
        | O::V128Load16x4S { memarg }
        | O::V128Load16x4U { memarg }
        | O::V128Load32x2S { memarg }
        | O::V128Load32x2U { memarg }
        | O::V128Load8Splat { memarg }
        | O::V128Load16Splat { memarg }
        | O::V128Load32Splat { memarg }
        | O::V128Load64Splat { memarg }
        | O::V128Load32Zero { memarg }
        | O::V128Load64Zero { memarg }
        | O::V128Store { memarg }
        | O::V128Load8Lane { memarg, .. }
        | O::V128Load16Lane { memarg, .. }
        | O::V128Load32Lane { memarg, .. }
        | O::V128Load64Lane { memarg, .. }
        | O::V128Store8Lane { memarg, .. }
        | O::V128Store16Lane { memarg, .. }
        | O::V128Store32Lane { memarg, .. }
        | O::V128Store64Lane { memarg, .. } => memarg.offset = offset,
        _ => {}
    }
    op
}

fn numeric(op: &Operator<'_>) -> Option<Op> {
    use Operator as O;
    Some(match op {
        O::I32Eqz => Op::I32Eqz,
        O::I32Eq => Op::I32Eq,
        O::I32Ne => Op::I32Ne,
        O::I32LtS => Op::I32LtS,
        O::I32LtU => Op::I32LtU,
        O::I32GtS => Op::I32GtS,
        O::I32GtU => Op::I32GtU,
        O::I32LeS => Op::I32LeS,
        O::I32LeU => Op::I32LeU,
        O::I32GeS => Op::I32GeS,
        O::I32GeU => Op::I32GeU,
        O::I64Eqz => Op::I64Eqz,
        O::I64Eq => Op::I64Eq,
        O::I64Ne => Op::I64Ne,
        O::I64LtS => Op::I64LtS,
        O::I64LtU => Op::I64LtU,
        O::I64GtS => Op::I64GtS,
        O::I64GtU => Op::I64GtU,
        O::I64LeS => Op::I64LeS,
        O::I64LeU => Op::I64LeU,
        O::I64GeS => Op::I64GeS,
        O::I64GeU => Op::I64GeU,
        O::F32Eq => Op::F32Eq,
        O::F32Ne => Op::F32Ne,
        O::F32Lt => Op::F32Lt,
        O::F32Gt => Op::F32Gt,
        O::F32Le => Op::F32Le,
        O::F32Ge => Op::F32Ge,
        O::F64Eq => Op::F64Eq,
        O::F64Ne => Op::F64Ne,
        O::F64Lt => Op::F64Lt,
        O::F64Gt => Op::F64Gt,
        O::F64Le => Op::F64Le,
        O::F64Ge => Op::F64Ge,
        O::I32Clz => Op::I32Clz,
        O::I32Ctz => Op::I32Ctz,
        O::I32Popcnt => Op::I32Popcnt,
        O::I32Add => Op::I32Add,
        O::I32Sub => Op::I32Sub,
        O::I32Mul => Op::I32Mul,
        O::I32DivS => Op::I32DivS,
        O::I32DivU => Op::I32DivU,
        O::I32RemS => Op::I32RemS,
        O::I32RemU => Op::I32RemU,
        O::I32And => Op::I32And,
        O::I32Or => Op::I32Or,
        O::I32Xor => Op::I32Xor,
        O::I32Shl => Op::I32Shl,
        O::I32ShrS => Op::I32ShrS,
        O::I32ShrU => Op::I32ShrU,
        O::I32Rotl => Op::I32Rotl,
        O::I32Rotr => Op::I32Rotr,
        O::I64Clz => Op::I64Clz,
        O::I64Ctz => Op::I64Ctz,
        O::I64Popcnt => Op::I64Popcnt,
        O::I64Add => Op::I64Add,
        O::I64Sub => Op::I64Sub,
        O::I64Mul => Op::I64Mul,
        O::I64DivS => Op::I64DivS,
        O::I64DivU => Op::I64DivU,
        O::I64RemS => Op::I64RemS,
        O::I64RemU => Op::I64RemU,
        O::I64And => Op::I64And,
        O::I64Or => Op::I64Or,
        O::I64Xor => Op::I64Xor,
        O::I64Shl => Op::I64Shl,
        O::I64ShrS => Op::I64ShrS,
        O::I64ShrU => Op::I64ShrU,
        O::I64Rotl => Op::I64Rotl,
        O::I64Rotr => Op::I64Rotr,
        O::F32Abs => Op::F32Abs,
        O::F32Neg => Op::F32Neg,
        O::F32Ceil => Op::F32Ceil,
        O::F32Floor => Op::F32Floor,
        O::F32Trunc => Op::F32Trunc,
        O::F32Nearest => Op::F32Nearest,
        O::F32Sqrt => Op::F32Sqrt,
        O::F32Add => Op::F32Add,
        O::F32Sub => Op::F32Sub,
        O::F32Mul => Op::F32Mul,
        O::F32Div => Op::F32Div,
        O::F32Min => Op::F32Min,
        O::F32Max => Op::F32Max,
        O::F32Copysign => Op::F32Copysign,
        O::F64Abs => Op::F64Abs,
        O::F64Neg => Op::F64Neg,
        O::F64Ceil => Op::F64Ceil,
        O::F64Floor => Op::F64Floor,
        O::F64Trunc => Op::F64Trunc,
        O::F64Nearest => Op::F64Nearest,
        O::F64Sqrt => Op::F64Sqrt,
        O::F64Add => Op::F64Add,
        O::F64Sub => Op::F64Sub,
        O::F64Mul => Op::F64Mul,
        O::F64Div => Op::F64Div,
        O::F64Min => Op::F64Min,
        O::F64Max => Op::F64Max,
        O::F64Copysign => Op::F64Copysign,
        O::I32WrapI64 => Op::I32WrapI64,
        O::I32TruncF32S => Op::I32TruncF32S,
        O::I32TruncF32U => Op::I32TruncF32U,
        O::I32TruncF64S => Op::I32TruncF64S,
        O::I32TruncF64U => Op::I32TruncF64U,
        O::I64ExtendI32S => Op::I64ExtendI32S,
        O::I64ExtendI32U => Op::I64ExtendI32U,
        O::I64TruncF32S => Op::I64TruncF32S,
        O::I64TruncF32U => Op::I64TruncF32U,
        O::I64TruncF64S => Op::I64TruncF64S,
        O::I64TruncF64U => Op::I64TruncF64U,
        O::F32ConvertI32S => Op::F32ConvertI32S,
        O::F32ConvertI32U => Op::F32ConvertI32U,
        O::F32ConvertI64S => Op::F32ConvertI64S,
        O::F32ConvertI64U => Op::F32ConvertI64U,
        O::F32DemoteF64 => Op::F32DemoteF64,
        O::F64ConvertI32S => Op::F64ConvertI32S,
        O::F64ConvertI32U => Op::F64ConvertI32U,
        O::F64ConvertI64S => Op::F64ConvertI64S,
        O::F64ConvertI64U => Op::F64ConvertI64U,
        O::F64PromoteF32 => Op::F64PromoteF32,
        // Reinterpretations are free: slots are untyped bits.
        O::I32ReinterpretF32
        | O::F32ReinterpretI32
        | O::I64ReinterpretF64
        | O::F64ReinterpretI64 => return Some(Op::Drop(0)),
        O::I32Extend8S => Op::I32Extend8S,
        O::I32Extend16S => Op::I32Extend16S,
        O::I64Extend8S => Op::I64Extend8S,
        O::I64Extend16S => Op::I64Extend16S,
        O::I64Extend32S => Op::I64Extend32S,
        O::I32TruncSatF32S => Op::I32TruncSatF32S,
        O::I32TruncSatF32U => Op::I32TruncSatF32U,
        O::I32TruncSatF64S => Op::I32TruncSatF64S,
        O::I32TruncSatF64U => Op::I32TruncSatF64U,
        O::I64TruncSatF32S => Op::I64TruncSatF32S,
        O::I64TruncSatF32U => Op::I64TruncSatF32U,
        O::I64TruncSatF64S => Op::I64TruncSatF64S,
        O::I64TruncSatF64U => Op::I64TruncSatF64U,
        _ => return None,
    })
}

/// Operand types just before the instruction at `code_offset` of defined
/// function `func_index`, bottom first (debug-time only: re-runs the validator).
pub(crate) fn operand_types_at(
    module: &Module,
    func_index: u32,
    code_offset: u32,
) -> Option<Vec<ValType>> {
    let body = module.body(func_index)?;
    let mut v = module.func_validator(func_index).ok()?;
    let mut reader = BinaryReader::new(&module.bytes[body.range.clone()], body.range.start as u64);
    v.read_locals(&mut reader).ok()?;
    let target = module.module_offset_from_code_offset(code_offset) as u64;
    let mut ops = OperatorsReader::new(reader);
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset().ok()?;
        if offset >= target {
            break;
        }
        v.op(offset, &op).ok()?;
    }
    let h = v.operand_stack_height() as usize;
    // The validator's concrete types are canonical ids: back to the
    // module's type indices (what `Module::sub_types` and the name section use).
    let mut ids = std::collections::HashMap::new();
    let module_index = |t: ValType, ids: &mut std::collections::HashMap<_, u32>| {
        use wasmparser::{HeapType, UnpackedIndex, WasmModuleResources};
        let ValType::Ref(r) = t else { return t };
        let (HeapType::Concrete(UnpackedIndex::Id(id)) | HeapType::Exact(UnpackedIndex::Id(id))) =
            r.heap_type()
        else {
            return t;
        };
        if ids.is_empty() {
            for i in 0..module.sub_types.len() as u32 {
                let mut h = HeapType::Concrete(UnpackedIndex::Module(i));
                if v.resources().check_heap_type(&mut h, 0).is_ok()
                    && let HeapType::Concrete(UnpackedIndex::Id(id)) = h
                {
                    ids.entry(id).or_insert(i);
                }
            }
        }
        let Some(&i) = ids.get(&id) else { return t };
        let heap = match r.heap_type() {
            HeapType::Exact(_) => HeapType::Exact(UnpackedIndex::Module(i)),
            _ => HeapType::Concrete(UnpackedIndex::Module(i)),
        };
        wasmparser::RefType::new(r.is_nullable(), heap).map_or(t, ValType::Ref)
    };
    (0..h)
        .rev()
        .map(|d| {
            v.get_operand_type(d)
                .map(|t| module_index(t.unwrap_or(ValType::I32), &mut ids))
        })
        .collect()
}

/// The memory a memarg names (an array target is beyond Wasm 3.0: never validated).
fn mem_index(t: wasmparser::MemArgTarget) -> u32 {
    match t {
        wasmparser::MemArgTarget::Memory(i) => i,
        wasmparser::MemArgTarget::Array(_) => 0,
    }
}
