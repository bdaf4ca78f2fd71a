//! Wasm function body -> [`Code`]: one pass over the operators, re-running a
//! `wasmparser` function validator alongside so every instruction's operand
//! types (and so slot heights: a `v128` is two slots) are known.
//!
//! Each instance gets its own translation: store addresses of functions,
//! globals, tables, memories and segments are resolved here, so the
//! interpreter never goes through the instance's index maps.
//!
//! `Translator::op` hands each instruction to one concern: `control.rs`
//! (structured control, branches, calls, returns, throws), `gc.rs` (GC
//! instructions and the collector's stack maps), `operators.rs` (everything
//! that is one `Op`: locals, constants, memory, tables, numeric, SIMD).
//! `fuse.rs` then writes superinstructions over the finished code.

mod control;
pub mod fuse;
mod gc;
mod operators;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fusable;

use std::collections::HashMap;

use wasmparser::{
    BinaryReader, BlockType, FuncValidator, Operator, OperatorsReader, ValidatorResources,
};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Code, GcOp, Handler, MemOpX, Op};
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

pub(crate) use gc::is_any_ref;
#[cfg(feature = "jit")]
pub(crate) use gc::operand_is_any_ref;

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

    /// Translate one instruction: structured control first (it runs in
    /// unreachable code too), then control transfers, GC instructions, and
    /// the one-`Op` rest.
    fn op(&mut self, offset: u64, op: &Operator<'_>) -> Result<()> {
        let unreachable = self.ctrl.last().is_some_and(|c| c.unreachable);
        // Types needed from before the instruction.
        let pre_top = self.top_type(0);
        let pre_second = self.top_type(1);
        let h0 = self.h();
        if self.module.uses_gc_refs && !unreachable && gc::is_safepoint(op) {
            self.record_gc_map();
        }
        self.validator.op(offset, op).map_err(invalid)?;
        if self.structured(op, unreachable) || unreachable {
            return Ok(());
        }
        if self.flow(op, h0)? || self.gc_op(op, h0) {
            return Ok(());
        }
        let e = self.plain(op, offset, pre_top, pre_second)?;
        if e != Op::Drop(0) {
            self.emit(e);
        }
        self.sync(3);
        Ok(())
    }
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
