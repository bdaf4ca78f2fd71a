//! The internal bytecode the interpreter runs: a compact [`Op`] per
//! instruction in a `Vec<Op>` per function, branch targets resolved to
//! absolute `pc`s, stack adjustments (`drop`/`keep`, in 64-bit slots)
//! precomputed, and every store address (functions, globals, tables, segments)
//! resolved for the instance the code belongs to.
//!
//! Slot model: the value stack holds untyped `u64` slots; a `v128` takes two
//! (low half first). A frame is `[params + locals][operands]`, addressed from
//! the frame base `fp`.

#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub mod fusable;
pub mod simd;

use crate::value::ValType;
pub use fusable::BrShape;
use fusable::{define_fusable, for_each_fusable};
pub use simd::SimdOp;

for_each_fusable!(define_fusable! {
    /// One internal instruction. Kept at 16 bytes (asserted by a test).
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Op {
    Unreachable,
    /// A patched breakpoint; the original op is kept in [`Code::patched`].
    Breakpoint,
    /// A memory op patched while watchpoints exist (`interp/watch.rs`): the
    /// original is `Code::unfused[pc]`.
    Watched,
    /// A scalar store to memory 0 patched while watchpoints exist, checked
    /// inline (the original is `Code::unfused[pc]`).
    WatchedStore {
        k: StoreKind,
        off: u32,
    },
    /// The first op of a basic block while a run counts fuel or
    /// instructions per block (`interp/fuel.rs`): charge `len` ops, then
    /// run the original, `Code::fuel`'s `orig[orig]`.
    Fuel {
        len: u32,
        orig: u32,
    },

    // Control. `target` is an absolute pc.
    Br(u32),
    /// Branch, moving the top `keep` slots down over `drop` slots.
    BrDrop {
        target: u32,
        drop: u32,
        keep: u32,
    },
    BrIfNez(u32),
    BrIfEqz(u32),
    BrIfNezDrop {
        target: u32,
        drop: u32,
        keep: u32,
    },
    /// Followed by `len + 1` `Br`/`BrDrop` entries (the last is the default).
    BrTable {
        len: u32,
    },
    /// Return the top `keep` slots to the caller.
    Return {
        keep: u32,
    },
    /// Call a function by store address.
    Call(u32),
    /// Call through table `table` (store address), expecting canonical type `type_id`.
    CallIndirect {
        table: u32,
        type_id: u32,
    },
    /// `call_indirect` through a 64-bit table (an i64 index).
    CallIndirect64 {
        table: u32,
        type_id: u32,
    },
    /// `call_ref`: call the function reference on top of the stack.
    CallRef,
    /// Tail calls: replace the current frame by the callee's (constant stack).
    ReturnCall(u32),
    ReturnCallIndirect {
        table: u32,
        type_id: u32,
    },
    ReturnCallRef,
    /// `throw`: tag store address; the payload is on the stack.
    Throw(u32),
    /// `throw_ref`: the `exnref` on top of the stack.
    ThrowRef,
    /// Legacy `rethrow`: the caught exception is in the hidden slot at this
    /// offset from fp (see [`Code::locals_slots`]).
    Rethrow(u32),
    /// `ref.as_non_null`.
    RefAsNonNull,
    /// `br_on_null`: if the top reference is null, pop it and branch
    /// (moving `keep` slots down over `drop`); else leave it.
    BrOnNull {
        target: u32,
        drop: u32,
        keep: u32,
    },
    /// `br_on_non_null`: if the top reference is not null, branch with it
    /// (it is part of `keep`); else pop it.
    BrOnNonNull {
        target: u32,
        drop: u32,
        keep: u32,
    },
    /// A memory instruction on a memory other than the fast path's (a
    /// 32-bit memory 0): another memory index or a 64-bit memory. Its
    /// description is `Code::mem_ops[i]`; run out of line.
    MemX(u32),
    /// A GC instruction (structs, arrays, i31, casts): `Code::gc_ops[i]`,
    /// run out of line (`interp/gc.rs`).
    Gc(u32),

    // Parametric.
    Drop(u32),
    Select,
    Select2,

    // Variables: locals by slot offset from fp, globals by store address.
    LocalGet(u32),
    LocalSet(u32),
    LocalTee(u32),
    LocalGet2(u32),
    LocalSet2(u32),
    LocalTee2(u32),
    GlobalGet(u32),
    GlobalSet(u32),
    GlobalGet2(u32),
    GlobalSet2(u32),

    // Memory 0 of the instance; the operand is the static offset.
    MemorySize,
    MemoryGrow,
    /// Data segment store address.
    MemoryInit(u32),
    DataDrop(u32),
    MemoryCopy,
    MemoryFill,

    /// Any 32-bit constant (i32 or f32 bits), zero-extended.
    Const32(u32),
    /// Any 64-bit constant (i64 or f64 bits).
    Const64(u64),

    // References.
    RefNull,
    RefIsNull,
    /// Function store address.
    RefFunc(u32),

    // Tables (store addresses).
    TableGet(u32),
    TableSet(u32),
    TableSize(u32),
    TableGrow(u32),
    TableFill(u32),
    TableCopy {
        dst: u32,
        src: u32,
    },
    TableInit {
        table: u32,
        elem: u32,
    },
    ElemDrop(u32),

    // Numeric.
    F32Ceil,
    F32Floor,
    F32Trunc,
    F32Nearest,
    F32Min,
    F32Max,
    F32Copysign,
    F64Ceil,
    F64Floor,
    F64Trunc,
    F64Nearest,
    F64Min,
    F64Max,
    F64Copysign,
    I32TruncF32S,
    I32TruncF32U,
    I32TruncF64S,
    I32TruncF64U,
    I64TruncF32S,
    I64TruncF32U,
    I64TruncF64S,
    I64TruncF64U,

    /// `v128.const`: the value is `Code::v128_pool[i]`.
    V128Const(u32),
    /// `i8x16.shuffle`: the lane bytes are `Code::v128_pool[i]`.
    I8x16Shuffle(u32),
    /// A fixed-width SIMD instruction (`interp/simd.rs` runs it).
    Simd(SimdOp),

    // Superinstructions (see `crate::translate::fuse`). A fused op at `pc`
    // does the work of the original ops at `pc..pc + span` and continues at
    // `pc + span`; those originals stay in place (in `ops`, and all of them in
    // `Code::unfused`), so every pc is still an entry point and a wasm
    // instruction. The operator-by-shape ones are generated from the table
    // in `fusable.rs`; these are the others. `L` = a local (slot offset),
    // `I` = an immediate (sign-extended to 64 bits), `S` = result to a local.
    /// `i32.const v; local.set d` (span 2).
    Const32S { v: u32, d: u32 },
    /// `local.get a; local.set d` (span 2).
    CopyL { a: u32, d: u32 },
    /// `local.get a; local.get b` (span 2).
    GetLL { a: u32, b: u32 },
    /// `local.set a; local.get b` (span 2).
    SetGetL { a: u32, b: u32 },
    /// `local.tee d; br_if t` (span 2).
    TeeBrNez { d: u32, t: u32 },
    /// `local.tee d; if` (span 2).
    TeeBrEqz { d: u32, t: u32 },
    /// `i32.eqz; br_if t` (span 2): branch if the top is zero.
    EqzBrNez { t: u32 },
    /// `i32.eqz; if` (span 2): branch if the top is non-zero.
    EqzBrEqz { t: u32 },
    /// `local.get a; i32.eqz; br_if t` (span 3): branch if local `a` is zero.
    EqzLBrNez { a: u32, t: u32 },
    /// `local.get a; i32.eqz; if` (span 3): branch if local `a` is non-zero.
    EqzLBrEqz { a: u32, t: u32 },
    /// `local.get a; br_if t` (span 2).
    BrNezL { a: u32, t: u32 },
    /// `local.get a; if` (span 2).
    BrEqzL { a: u32, t: u32 },
    /// `local.get a; i32.const imm; i32.add; local.tee a; br_if t` (span 5):
    /// a loop counter step and test.
    I32AddLIUpdBrNez { a: u32, imm: u32, t: u32 },
    /// `local.get b; i32.add; local.tee d; i32.store off` (span 4).
    I32AddLTeeStore { b: u32, d: u32, off: u32 },
    /// `local.get a; local.get b; i64.add; local.tee d; local.get c;
    /// i64.lt_u; br_if t` (span 7): a loop step and bound test. Locals are
    /// slot offsets below 2^16 (else the sequence is not fused).
    I64AddLLTLtULBr { a: u16, b: u16, d: u16, c: u16, t: u32 },
    /// `local.get a; i32.const imm; i32.add; local.tee d; local.get c;
    /// i32.ne; br_if t`, or the same with `local.get c` first (span 7).
    I32AddLITNeLBr { a: u16, d: u16, c: u16, imm: u32, t: u32 },
    /// `I32AddLITNeLBr` for i64 (`imm` sign-extended).
    I64AddLITNeLBr { a: u16, d: u16, c: u16, imm: u32, t: u32 },
    /// `local.get a; i32.const imm; i32.add; local.tee d; i32.load 0`
    /// (span 5): a pointer step and a load through it.
    I32AddLITLoad { a: u32, imm: u32, d: u32 },
    /// `i32.const imm; i32.mul; i32.add; local.tee d` (span 4): `y + x * imm`.
    I32MulIAddT { imm: u32, d: u32 },
    /// `local.get a; i32.const imm; i32.mul; i32.add; local.tee d` (span 5).
    I32MulLIAddT { a: u32, imm: u32, d: u32 },
    /// `local.get b; i32.div_s; i32.store off` (span 3).
    I32DivSLStore { b: u32, off: u32 },
    }
});

/// The scalar stores to memory 0 a watch patch checks inline
/// ([`Op::WatchedStore`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StoreKind {
    I32,
    I64,
    I32_8,
    I32_16,
}

/// The most original ops one superinstruction stands for (see [`Op::span`]).
pub const MAX_SPAN: usize = 7;

impl Op {
    /// How many original ops the op at a pc stands for (1 for a plain op).
    pub fn span(self) -> usize {
        match self {
            Op::I64AddLLTLtULBr { .. } | Op::I32AddLITNeLBr { .. } | Op::I64AddLITNeLBr { .. } => 7,
            Op::I32AddLITLoad { .. } | Op::I32MulLIAddT { .. } | Op::I32AddLIUpdBrNez { .. } => 5,
            Op::I32AddLTeeStore { .. } | Op::I32MulIAddT { .. } => 4,
            Op::I32DivSLStore { .. } | Op::EqzLBrNez { .. } | Op::EqzLBrEqz { .. } => 3,
            Op::Const32S { .. }
            | Op::CopyL { .. }
            | Op::GetLL { .. }
            | Op::SetGetL { .. }
            | Op::TeeBrNez { .. }
            | Op::TeeBrEqz { .. }
            | Op::EqzBrNez { .. }
            | Op::EqzBrEqz { .. }
            | Op::BrNezL { .. }
            | Op::BrEqzL { .. } => 2,
            op => op.fused_span().max(1),
        }
    }

    /// A memory op patched for watchpoints (`interp/watch.rs`).
    pub fn is_watch_patch(self) -> bool {
        matches!(self, Op::Watched | Op::WatchedStore { .. })
    }
}

impl StoreKind {
    /// Bytes written.
    pub fn len(self) -> u64 {
        match self {
            StoreKind::I32 => 4,
            StoreKind::I64 => 8,
            StoreKind::I32_8 => 1,
            StoreKind::I32_16 => 2,
        }
    }

    /// Any scalar store to memory 0 (the narrow i64 stores write the low
    /// bytes, as the i32 ones do), with its static offset.
    pub fn of_any(op: Op) -> Option<(StoreKind, u32)> {
        Some(match op {
            Op::I64Store32(o) => (StoreKind::I32, o),
            Op::I64Store8(o) => (StoreKind::I32_8, o),
            Op::I64Store16(o) => (StoreKind::I32_16, o),
            op => return StoreKind::of(op),
        })
    }

    /// The fusable store `op` is, with its static offset.
    pub fn of(op: Op) -> Option<(StoreKind, u32)> {
        Some(match op {
            Op::I32Store(o) => (StoreKind::I32, o),
            Op::I64Store(o) => (StoreKind::I64, o),
            Op::I32Store8(o) => (StoreKind::I32_8, o),
            Op::I32Store16(o) => (StoreKind::I32_16, o),
            _ => return None,
        })
    }
}

/// A GC instruction, run out of line by `Op::Gc`. Type ids are canonical
/// (store) ids; `data`/`elem` are segment store addresses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GcOp {
    StructNew {
        ty: u32,
        default: bool,
    },
    /// `signed`: `struct.get_s` of a packed field (else zero-extended).
    StructGet {
        ty: u32,
        field: u32,
        signed: bool,
    },
    StructSet {
        ty: u32,
        field: u32,
    },
    ArrayNew {
        ty: u32,
        default: bool,
    },
    ArrayNewFixed {
        ty: u32,
        len: u32,
    },
    ArrayNewData {
        ty: u32,
        data: u32,
    },
    ArrayNewElem {
        ty: u32,
        elem: u32,
    },
    ArrayGet {
        ty: u32,
        signed: bool,
    },
    ArraySet {
        ty: u32,
    },
    ArrayLen,
    ArrayFill {
        ty: u32,
    },
    ArrayCopy {
        dst: u32,
        src: u32,
    },
    ArrayInitData {
        ty: u32,
        data: u32,
    },
    ArrayInitElem {
        ty: u32,
        elem: u32,
    },
    RefI31,
    I31Get {
        signed: bool,
    },
    RefEq,
    /// `ref.test`: pops the reference, pushes 1 if it matches.
    RefTest(CastTarget),
    /// `ref.cast`: traps unless the reference on top matches.
    RefCast(CastTarget),
    /// For `br_on_cast` (`fail`: `br_on_cast_fail`): pushes 1 if the
    /// reference on top matches (does not, with `fail`), leaving it there.
    CastFlag {
        target: CastTarget,
        fail: bool,
    },
    AnyConvertExtern,
    ExternConvertAny,
}

/// The type a cast or test checks a reference against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CastTarget {
    pub heap: CastHeap,
    pub nullable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastHeap {
    Any,
    Eq,
    I31,
    Struct,
    Array,
    /// `none`, `nofunc`, `noextern`, `noexn`: only null matches.
    Bottom,
    /// `func`, `extern`, `exn`: every non-null reference matches.
    Top,
    /// A concrete type (canonical id): a struct or array type, or a
    /// function type.
    Concrete(u32),
}

/// A memory instruction run by the general (slower) path: `Op::MemX`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemOpX {
    /// The instruction as the fast path spells it (its `u32` offset unused):
    /// a load, store, `MemorySize`, `MemoryGrow`, `MemoryFill`,
    /// `MemoryCopy`, `MemoryInit(data)` or `Simd(..)` memory op.
    pub op: Op,
    /// Store address of the memory (the destination for `memory.copy`).
    pub mem: u32,
    /// `memory.copy`'s source memory.
    pub src: u32,
    /// The static offset (memory64 offsets may exceed 32 bits).
    pub offset: u64,
}

/// An exception handler: a protected pc range and what it does with an
/// exception thrown there (`try_table`, or a legacy `try` block).
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    /// The protected ops: `start..end`.
    pub start: u32,
    pub end: u32,
    /// Nesting depth of the `try` (index in the control stack; the function
    /// body is 0). A legacy `delegate` skips handlers deeper than its target.
    pub depth: u32,
    pub kind: HandlerKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HandlerKind {
    /// Tried in order; the first that matches takes the exception.
    Catches(Vec<Catch>),
    /// Legacy `delegate`: the search goes on with the handlers at depth
    /// `<= d` (0: none in this function, so the caller's).
    Delegate(u32),
}

/// One catch clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Catch {
    /// Tag store address; `None` catches every exception (`catch_all`).
    pub tag: Option<u32>,
    /// Push the payload (`catch`, `catch_ref`, legacy `catch`).
    pub push_payload: bool,
    /// Push the `exnref` after the payload (`catch_ref`, `catch_all_ref`).
    pub push_ref: bool,
    /// Legacy catch blocks that `rethrow` keep the exception in this slot
    /// (offset from fp).
    pub exn_slot: Option<u32>,
    /// The operand stack height (slots from fp) to unwind to before pushing.
    pub height: u32,
    /// Where to continue (`pc`).
    pub target: u32,
}

/// A translated function: its ops, the pc -> `code_offset` side table and
/// the frame layout.
#[derive(Debug, Clone)]
pub struct Code {
    pub ops: Vec<Op>,
    /// `code_offset` of the wasm instruction each op came from (parallel to `ops`).
    pub offsets: Vec<u32>,
    /// Slots taken by params.
    pub param_slots: u32,
    /// Slots taken by params and declared locals (the operand stack starts
    /// here), plus one hidden slot per level of legacy `try` nesting (where
    /// a catch block keeps its exception for `rethrow`).
    pub locals_slots: u32,
    pub result_slots: u32,
    /// Highest slot height above `fp` the body can reach (locals included).
    pub max_height: u32,
    /// Slot offset from fp of each local (params first).
    pub local_offsets: Vec<u32>,
    pub local_types: Vec<ValType>,
    /// Store address of the instance's memory 0.
    pub memory: Option<u32>,
    /// 16-byte immediates (`v128.const`, `i8x16.shuffle` lanes).
    pub v128_pool: Vec<u128>,
    /// `Op::MemX` descriptions.
    pub mem_ops: Vec<MemOpX>,
    /// `Op::Gc` descriptions.
    pub gc_ops: Vec<GcOp>,
    /// Stack maps for the GC (only for a module that can hold GC objects):
    /// for each call and allocating `Op::Gc`, by pc, the slot offsets
    /// (from fp) of the operands that are `any` references before it runs.
    pub gc_maps: Vec<(u32, Box<[u32]>)>,
    /// Slot offsets of the params and locals that are `any` references.
    pub gc_locals: Box<[u32]>,
    /// Exception handlers, in the order their `try` starts (so, among those
    /// containing a pc, a later one is nested in an earlier one).
    pub handlers: Vec<Handler>,
    /// Breakpoints: pc -> the original op patched over.
    pub patched: HashMap<u32, Op>,
    /// The ops before fusion (parallel to `ops`): what the debug executor
    /// runs, one wasm instruction per op, so stepping, fuel, counters and
    /// watchpoints stay exact.
    pub unfused: Vec<Op>,
    /// Superinstructions put back to their first op while memory ops are
    /// patched for watchpoints: (pc, fused op), restored after.
    pub watch_fused: Vec<(u32, Op)>,
    /// Basic blocks patched with `Op::Fuel` while a run counts fuel or
    /// instructions per block (`interp/fuel.rs`).
    pub fuel: Option<Box<FuelBlocks>>,
}

/// The fuel patch of one function (`interp/fuel.rs`).
#[derive(Debug, Clone, Default)]
pub struct FuelBlocks {
    /// The first pc of each basic block, ascending (pc 0 first); a block
    /// ends where the next begins.
    pub starts: Vec<u32>,
    /// The ops `Op::Fuel` was patched over (`Op::Fuel::orig` indexes it).
    pub orig: Vec<Op>,
    /// Superinstructions that spanned a block start, put back to their
    /// first op: (pc, fused op), restored after.
    pub fused: Vec<(u32, Op)>,
}

impl Code {
    /// The op at `pc` as translated (looking through a breakpoint patch).
    pub fn original_op(&self, pc: u32) -> Option<Op> {
        self.unfused.get(pc as usize).copied()
    }

    /// Undo the superinstructions that would run the instruction at `pc`
    /// (the one starting there and those starting before it that span it),
    /// so that none runs past a breakpoint patched there: the rest of the
    /// function stays fused, and a conditional breakpoint in a hot loop
    /// costs its check, not an unfused loop.
    pub fn unfuse_at(&mut self, pc: u32) {
        let pc = pc as usize;
        let from = pc.saturating_sub(MAX_SPAN - 1);
        for p in from..=pc.min(self.ops.len().saturating_sub(1)) {
            let op = self.ops[p];
            // A fuel patch stays; the op under it is unfused instead.
            if let Op::Fuel { orig, .. } = op
                && let Some(f) = &mut self.fuel
            {
                let under = f.orig[orig as usize];
                if p == pc || p + under.span() > pc {
                    f.orig[orig as usize] = self.unfused[p];
                }
                continue;
            }
            if op != Op::Breakpoint && (p == pc || p + op.span() > pc) {
                self.ops[p] = self.unfused[p];
            }
        }
    }
}
