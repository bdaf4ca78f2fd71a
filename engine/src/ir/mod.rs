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

use crate::interp::SimdOp;
use crate::value::ValType;

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
    I32Load(u32),
    I64Load(u32),
    I32Load8S(u32),
    I32Load8U(u32),
    I32Load16S(u32),
    I32Load16U(u32),
    I64Load8S(u32),
    I64Load8U(u32),
    I64Load16S(u32),
    I64Load16U(u32),
    I64Load32S(u32),
    I64Load32U(u32),
    I32Store(u32),
    I64Store(u32),
    I32Store8(u32),
    I32Store16(u32),
    I64Store8(u32),
    I64Store16(u32),
    I64Store32(u32),
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
    I32Eqz,
    I32Eq,
    I32Ne,
    I32LtS,
    I32LtU,
    I32GtS,
    I32GtU,
    I32LeS,
    I32LeU,
    I32GeS,
    I32GeU,
    I64Eqz,
    I64Eq,
    I64Ne,
    I64LtS,
    I64LtU,
    I64GtS,
    I64GtU,
    I64LeS,
    I64LeU,
    I64GeS,
    I64GeU,
    F32Eq,
    F32Ne,
    F32Lt,
    F32Gt,
    F32Le,
    F32Ge,
    F64Eq,
    F64Ne,
    F64Lt,
    F64Gt,
    F64Le,
    F64Ge,
    I32Clz,
    I32Ctz,
    I32Popcnt,
    I32Add,
    I32Sub,
    I32Mul,
    I32DivS,
    I32DivU,
    I32RemS,
    I32RemU,
    I32And,
    I32Or,
    I32Xor,
    I32Shl,
    I32ShrS,
    I32ShrU,
    I32Rotl,
    I32Rotr,
    I64Clz,
    I64Ctz,
    I64Popcnt,
    I64Add,
    I64Sub,
    I64Mul,
    I64DivS,
    I64DivU,
    I64RemS,
    I64RemU,
    I64And,
    I64Or,
    I64Xor,
    I64Shl,
    I64ShrS,
    I64ShrU,
    I64Rotl,
    I64Rotr,
    F32Abs,
    F32Neg,
    F32Ceil,
    F32Floor,
    F32Trunc,
    F32Nearest,
    F32Sqrt,
    F32Add,
    F32Sub,
    F32Mul,
    F32Div,
    F32Min,
    F32Max,
    F32Copysign,
    F64Abs,
    F64Neg,
    F64Ceil,
    F64Floor,
    F64Trunc,
    F64Nearest,
    F64Sqrt,
    F64Add,
    F64Sub,
    F64Mul,
    F64Div,
    F64Min,
    F64Max,
    F64Copysign,
    I32WrapI64,
    I32TruncF32S,
    I32TruncF32U,
    I32TruncF64S,
    I32TruncF64U,
    I64ExtendI32S,
    I64ExtendI32U,
    I64TruncF32S,
    I64TruncF32U,
    I64TruncF64S,
    I64TruncF64U,
    F32ConvertI32S,
    F32ConvertI32U,
    F32ConvertI64S,
    F32ConvertI64U,
    F32DemoteF64,
    F64ConvertI32S,
    F64ConvertI32U,
    F64ConvertI64S,
    F64ConvertI64U,
    F64PromoteF32,
    I32Extend8S,
    I32Extend16S,
    I64Extend8S,
    I64Extend16S,
    I64Extend32S,
    I32TruncSatF32S,
    I32TruncSatF32U,
    I32TruncSatF64S,
    I32TruncSatF64U,
    I64TruncSatF32S,
    I64TruncSatF32U,
    I64TruncSatF64S,
    I64TruncSatF64U,

    /// `v128.const`: the value is `Code::v128_pool[i]`.
    V128Const(u32),
    /// `i8x16.shuffle`: the lane bytes are `Code::v128_pool[i]`.
    I8x16Shuffle(u32),
    /// A fixed-width SIMD instruction, executed by [`crate::interp::simd`].
    Simd(SimdOp),

    // Superinstructions (see `crate::translate::fuse`). A fused op at `pc`
    // does the work of the original ops at `pc..pc + span` and continues at
    // `pc + span`; those originals stay in place (in `ops`, and all of them in
    // `Code::unfused`), so every pc is still an entry point and a wasm
    // instruction. `L` = a local (slot offset), `I` = an immediate
    // (sign-extended to 64 bits), `S` = result to a local, `Br*` = then `br_if`.
    /// `local.get a; local.get b; bin` (span 3).
    BinLL {
        k: BinKind,
        a: u32,
        b: u32,
    },
    /// `local.get a; const imm; bin` (span 3).
    BinLI {
        k: BinKind,
        a: u32,
        imm: u32,
    },
    /// `local.get a; local.get b; bin; local.set d` (span 4).
    BinLLS {
        k: BinKind,
        a: u32,
        b: u32,
        d: u32,
    },
    /// `local.get a; const imm; bin; local.set d` (span 4).
    BinLIS {
        k: BinKind,
        a: u32,
        imm: u32,
        d: u32,
    },
    /// `local.get a; local.get b; bin; br_if` (span 4): branch if the result is non-zero.
    BinLLBrNez {
        k: BinKind,
        a: u32,
        b: u32,
        t: u32,
    },
    /// `local.get a; local.get b; bin; if` (span 4): branch if the result is zero.
    BinLLBrEqz {
        k: BinKind,
        a: u32,
        b: u32,
        t: u32,
    },
    BinLIBrNez {
        k: BinKind,
        a: u32,
        imm: u32,
        t: u32,
    },
    BinLIBrEqz {
        k: BinKind,
        a: u32,
        imm: u32,
        t: u32,
    },
    /// `bin; local.set d` (span 2).
    BinS {
        k: BinKind,
        d: u32,
    },
    /// `bin; local.tee d` (span 2).
    BinT {
        k: BinKind,
        d: u32,
    },
    /// `bin; br_if t` (span 2).
    BinBrNez {
        k: BinKind,
        t: u32,
    },
    /// `bin; if` (span 2).
    BinBrEqz {
        k: BinKind,
        t: u32,
    },
    /// `local.get a; load off` (span 2).
    LoadL {
        k: LoadKind,
        a: u32,
        off: u32,
    },
    /// `local.get a; load off; local.set d` (span 3).
    LoadLS {
        k: LoadKind,
        a: u32,
        off: u32,
        d: u32,
    },
    /// `local.get a; local.get b; store off` (span 3).
    StoreLL {
        k: StoreKind,
        a: u32,
        b: u32,
        off: u32,
    },
    /// `i32.const v; local.set d` (span 2).
    Const32S {
        v: u32,
        d: u32,
    },
    /// `local.get a; local.set d` (span 2).
    CopyL {
        a: u32,
        d: u32,
    },
    /// `local.get a; local.get b` (span 2).
    GetLL {
        a: u32,
        b: u32,
    },
    /// `local.set a; local.get b` (span 2).
    SetGetL {
        a: u32,
        b: u32,
    },
    /// `local.get a; local.get b; bin; local.tee d` (span 4).
    BinLLT {
        k: BinKind,
        a: u32,
        b: u32,
        d: u32,
    },
    /// `local.get a; const imm; bin; local.tee d` (span 4).
    BinLIT {
        k: BinKind,
        a: u32,
        imm: u32,
        d: u32,
    },
    /// `local.get b; bin`: the left operand on the stack (span 2).
    BinL {
        k: BinKind,
        b: u32,
    },
    /// `local.get b; bin; local.set d` (span 3).
    BinLS {
        k: BinKind,
        b: u32,
        d: u32,
    },
    /// `local.get b; bin; br_if t` (span 3).
    BinLBrNez {
        k: BinKind,
        b: u32,
        t: u32,
    },
    /// `local.get b; bin; if` (span 3).
    BinLBrEqz {
        k: BinKind,
        b: u32,
        t: u32,
    },
    /// `const imm; bin` (span 2).
    BinI {
        k: BinKind,
        imm: u32,
    },
    /// `const imm; bin; local.set d` (span 3).
    BinIS {
        k: BinKind,
        imm: u32,
        d: u32,
    },
    /// `const imm; bin; br_if t` (span 3).
    BinIBrNez {
        k: BinKind,
        imm: u32,
        t: u32,
    },
    /// `const imm; bin; if` (span 3).
    BinIBrEqz {
        k: BinKind,
        imm: u32,
        t: u32,
    },
    /// `local.tee d; br_if t` (span 2).
    TeeBrNez {
        d: u32,
        t: u32,
    },
    /// `local.tee d; if` (span 2).
    TeeBrEqz {
        d: u32,
        t: u32,
    },
    /// `local.get a; const imm; store off` (span 3).
    StoreLI {
        k: StoreKind,
        a: u32,
        imm: u32,
        off: u32,
    },
    /// `local.get a; un` (span 2).
    UnL {
        k: UnKind,
        a: u32,
    },
    /// `local.get a; un; local.set d` (span 3).
    UnLS {
        k: UnKind,
        a: u32,
        d: u32,
    },
    /// `i32.eqz; br_if t` (span 2): branch if the top is zero.
    EqzBrNez {
        t: u32,
    },
    /// `i32.eqz; if` (span 2): branch if the top is non-zero.
    EqzBrEqz {
        t: u32,
    },
    /// `local.get a; i32.eqz; br_if t` (span 3): branch if local `a` is zero.
    EqzLBrNez {
        a: u32,
        t: u32,
    },
    /// `local.get a; i32.eqz; if` (span 3): branch if local `a` is non-zero.
    EqzLBrEqz {
        a: u32,
        t: u32,
    },
    /// `local.get a; const imm; bin; local.tee a; br_if t` (span 5): a loop
    /// counter step and test.
    BinLIUpdBrNez {
        k: BinKind,
        a: u32,
        imm: u32,
        t: u32,
    },
    /// `local.get b; div/rem` (span 2).
    DivL {
        k: DivKind,
        b: u32,
    },
    /// `local.get a; local.get b; div/rem` (span 3).
    DivLL {
        k: DivKind,
        a: u32,
        b: u32,
    },
    /// `local.get a; local.get b; div/rem; local.set d` (span 4).
    DivLLS {
        k: DivKind,
        a: u32,
        b: u32,
        d: u32,
    },
    /// `local.get a; br_if t` (span 2).
    BrNezL {
        a: u32,
        t: u32,
    },
    /// `local.get a; if` (span 2).
    BrEqzL {
        a: u32,
        t: u32,
    },
    /// `local.get a; const imm; i32.add; load off` (span 4): a load from
    /// `local + imm` (the add wraps at 32 bits, as in wasm).
    LoadLI {
        k: LoadKind,
        a: u32,
        imm: u32,
        off: u32,
    },
    /// `local.get a; local.get b; load off` (span 3): pushes local `a` and
    /// the value loaded from local `b`.
    GetLLoad {
        k: LoadKind,
        a: u32,
        b: u32,
        off: u32,
    },
    /// `local.tee d; store off` (span 2).
    TeeStore {
        k: StoreKind,
        d: u32,
        off: u32,
    },
    /// `local.get b; i32.add; local.tee d; i32.store off` (span 4).
    I32AddLTeeStore {
        b: u32,
        d: u32,
        off: u32,
    },
    /// `local.get a; local.get b; i64.add; local.tee d; local.get c;
    /// i64.lt_u; br_if t` (span 7): a loop step and bound test. Locals are
    /// slot offsets below 2^16 (else the sequence is not fused).
    I64AddLLTLtULBr {
        a: u16,
        b: u16,
        d: u16,
        c: u16,
        t: u32,
    },
    /// `local.get a; i32.const imm; i32.add; local.tee d; local.get c;
    /// i32.ne; br_if t`, or the same with `local.get c` first (span 7).
    I32AddLITNeLBr {
        a: u16,
        d: u16,
        c: u16,
        imm: u32,
        t: u32,
    },
    /// `local.get a; i32.const imm; i32.add; local.tee d; i32.load 0`
    /// (span 5): a pointer step and a load through it.
    I32AddLITLoad {
        a: u32,
        imm: u32,
        d: u32,
    },
    /// `i32.const imm; i32.mul; i32.add; local.tee d` (span 4): `y + x * imm`.
    I32MulIAddT {
        imm: u32,
        d: u32,
    },
    /// `local.get a; i32.const imm; i32.mul; i32.add; local.tee d` (span 5).
    I32MulLIAddT {
        a: u32,
        imm: u32,
        d: u32,
    },
    /// `local.get b; i32.div_s; i32.store off` (span 3).
    I32DivSLStore {
        b: u32,
        off: u32,
    },
    /// `I32AddLITNeLBr` for i64 (`imm` sign-extended).
    I64AddLITNeLBr {
        a: u16,
        d: u16,
        c: u16,
        imm: u32,
        t: u32,
    },

    // Specialized superinstructions: the hottest (shape, operator) pairs of
    // the bench workloads (clang -O2 and -O0) get an op of their own, so they
    // dispatch once instead of twice. Same fields and semantics as the
    // generic shape named in each doc line (see [`Op::generic`]).
    /// `BinLIS` with `BinKind::I32Add`.
    I32AddLIS {
        a: u32,
        imm: u32,
        d: u32,
    },
    /// `BinLIT` with `BinKind::I32Add`.
    I32AddLIT {
        a: u32,
        imm: u32,
        d: u32,
    },
    /// `BinLI` with `BinKind::I32Add`.
    I32AddLI {
        a: u32,
        imm: u32,
    },
    /// `BinLLS` with `BinKind::I32Add`.
    I32AddLLS {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLLS` with `BinKind::I32Sub`.
    I32SubLLS {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLLS` with `BinKind::I32And`.
    I32AndLLS {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLLS` with `BinKind::I32Shl`.
    I32ShlLLS {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLLS` with `BinKind::I32LtS`.
    I32LtSLLS {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLLS` with `BinKind::I64Add`.
    I64AddLLS {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLLS` with `BinKind::F64Add`.
    F64AddLLS {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLLS` with `BinKind::F64Mul`.
    F64MulLLS {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLL` with `BinKind::F64Mul`.
    F64MulLL {
        a: u32,
        b: u32,
    },
    /// `BinL` with `BinKind::F64Mul`.
    F64MulL {
        b: u32,
    },
    /// `BinL` with `BinKind::I32Add`.
    I32AddL {
        b: u32,
    },
    /// `BinT` with `BinKind::I32Add`.
    I32AddT {
        d: u32,
    },
    /// `BinI` with `BinKind::I32Add`.
    I32AddI {
        imm: u32,
    },
    /// `BinLBrNez` with `BinKind::I32LtS`.
    I32LtSLBrNez {
        b: u32,
        t: u32,
    },
    /// `BinLBrNez` with `BinKind::I32GtS`.
    I32GtSLBrNez {
        b: u32,
        t: u32,
    },
    /// `BinLBrNez` with `BinKind::I64LtU`.
    I64LtULBrNez {
        b: u32,
        t: u32,
    },
    /// `BinLBrNez` with `BinKind::I64Ne`.
    I64NeLBrNez {
        b: u32,
        t: u32,
    },
    /// `BinLLT` with `BinKind::I64Add`.
    I64AddLLT {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `LoadLS` with `LoadKind::I32`.
    I32LoadLS {
        a: u32,
        off: u32,
        d: u32,
    },
    /// `LoadLS` with `LoadKind::I64`.
    I64LoadLS {
        a: u32,
        off: u32,
        d: u32,
    },
    /// `LoadL` with `LoadKind::I32`.
    I32LoadL {
        a: u32,
        off: u32,
    },
    /// `LoadL` with `LoadKind::I64`.
    I64LoadL {
        a: u32,
        off: u32,
    },
    /// `StoreLL` with `StoreKind::I32`.
    I32StoreLL {
        a: u32,
        b: u32,
        off: u32,
    },
    /// `StoreLL` with `StoreKind::I64`.
    I64StoreLL {
        a: u32,
        b: u32,
        off: u32,
    },
    /// `StoreLI` with `StoreKind::I32_8`.
    I32Store8LI {
        a: u32,
        imm: u32,
        off: u32,
    },
    /// `StoreLI` with `StoreKind::I32`.
    I32StoreLI {
        a: u32,
        imm: u32,
        off: u32,
    },
    /// `DivL` with `DivKind::I32DivS`.
    I32DivSL {
        b: u32,
    },
    /// `DivLL` with `DivKind::I32RemS`.
    I32RemSLL {
        a: u32,
        b: u32,
    },
    /// `BinI` with `BinKind::I32Mul`.
    I32MulI {
        imm: u32,
    },
    /// `BinI` with `BinKind::I32Shl`.
    I32ShlI {
        imm: u32,
    },
    /// `BinL` with `BinKind::I32Mul`.
    I32MulL {
        b: u32,
    },
    /// `BinBrNez` with `BinKind::I32Ne`.
    I32NeBrNez {
        t: u32,
    },
    /// `BinBrNez` with `BinKind::I32Eq`.
    I32EqBrNez {
        t: u32,
    },
    /// `BinBrNez` with `BinKind::I32GtS`.
    I32GtSBrNez {
        t: u32,
    },
    /// `BinT` with `BinKind::F64Sub`.
    F64SubT {
        d: u32,
    },
    /// `BinT` with `BinKind::F64Div`.
    F64DivT {
        d: u32,
    },
    /// `BinS` with `BinKind::I32Add`.
    I32AddS {
        d: u32,
    },
    /// `BinS` with `BinKind::I32Sub`.
    I32SubS {
        d: u32,
    },
    /// `BinLLBrNez` with `BinKind::I32LeS`.
    I32LeSLLBrNez {
        a: u32,
        b: u32,
        t: u32,
    },
    /// `BinLIT` with `BinKind::I64Add`.
    I64AddLIT {
        a: u32,
        imm: u32,
        d: u32,
    },
    /// `BinLLT` with `BinKind::I32Add`.
    I32AddLLT {
        a: u32,
        b: u32,
        d: u32,
    },
    /// `BinLIUpdBrNez` with `BinKind::I32Add`.
    I32AddLIUpdBrNez {
        a: u32,
        imm: u32,
        t: u32,
    },
    /// `BinIBrNez` with `BinKind::I32GtU`.
    I32GtUIBrNez {
        imm: u32,
        t: u32,
    },
    /// `LoadLI` with `LoadKind::I32`.
    I32LoadLI {
        a: u32,
        imm: u32,
        off: u32,
    },
    /// `LoadLI` with `LoadKind::I64`.
    I64LoadLI {
        a: u32,
        imm: u32,
        off: u32,
    },
    /// `GetLLoad` with `LoadKind::I32`.
    I32GetLLoad {
        a: u32,
        b: u32,
        off: u32,
    },
    /// `GetLLoad` with `LoadKind::I64`.
    I64GetLLoad {
        a: u32,
        b: u32,
        off: u32,
    },
    /// `TeeStore` with `StoreKind::I32`.
    I32TeeStore {
        d: u32,
        off: u32,
    },
    /// `TeeStore` with `StoreKind::I64`.
    I64TeeStore {
        d: u32,
        off: u32,
    },
}

/// The specialized superinstructions and the generic shape each stands for.
macro_rules! specialized {
    ($($name:ident = $shape:ident { $($f:ident),* } $ke:ident :: $k:ident;)*) => {
        impl Op {
            /// The specialized op for a generic superinstruction, if it has one.
            pub fn specialize(self) -> Op {
                match self {
                    $(Op::$shape { k: $ke::$k, $($f),* } => Op::$name { $($f),* },)*
                    op => op,
                }
            }

            /// The generic superinstruction a specialized op stands for.
            pub fn generic(self) -> Op {
                match self {
                    $(Op::$name { $($f),* } => Op::$shape { k: $ke::$k, $($f),* },)*
                    op => op,
                }
            }
        }
    };
}

specialized! {
    I32AddLIS = BinLIS { a, imm, d } BinKind::I32Add;
    I32AddLIT = BinLIT { a, imm, d } BinKind::I32Add;
    I32AddLI = BinLI { a, imm } BinKind::I32Add;
    I32AddLLS = BinLLS { a, b, d } BinKind::I32Add;
    I32SubLLS = BinLLS { a, b, d } BinKind::I32Sub;
    I32AndLLS = BinLLS { a, b, d } BinKind::I32And;
    I32ShlLLS = BinLLS { a, b, d } BinKind::I32Shl;
    I32LtSLLS = BinLLS { a, b, d } BinKind::I32LtS;
    I64AddLLS = BinLLS { a, b, d } BinKind::I64Add;
    F64AddLLS = BinLLS { a, b, d } BinKind::F64Add;
    F64MulLLS = BinLLS { a, b, d } BinKind::F64Mul;
    F64MulLL = BinLL { a, b } BinKind::F64Mul;
    F64MulL = BinL { b } BinKind::F64Mul;
    I32AddL = BinL { b } BinKind::I32Add;
    I32AddT = BinT { d } BinKind::I32Add;
    I32AddI = BinI { imm } BinKind::I32Add;
    I32LtSLBrNez = BinLBrNez { b, t } BinKind::I32LtS;
    I32GtSLBrNez = BinLBrNez { b, t } BinKind::I32GtS;
    I64LtULBrNez = BinLBrNez { b, t } BinKind::I64LtU;
    I64NeLBrNez = BinLBrNez { b, t } BinKind::I64Ne;
    I64AddLLT = BinLLT { a, b, d } BinKind::I64Add;
    I32LoadLS = LoadLS { a, off, d } LoadKind::I32;
    I64LoadLS = LoadLS { a, off, d } LoadKind::I64;
    I32LoadL = LoadL { a, off } LoadKind::I32;
    I64LoadL = LoadL { a, off } LoadKind::I64;
    I32StoreLL = StoreLL { a, b, off } StoreKind::I32;
    I64StoreLL = StoreLL { a, b, off } StoreKind::I64;
    I32Store8LI = StoreLI { a, imm, off } StoreKind::I32_8;
    I32StoreLI = StoreLI { a, imm, off } StoreKind::I32;
    I32DivSL = DivL { b } DivKind::I32DivS;
    I32RemSLL = DivLL { a, b } DivKind::I32RemS;
    I32MulI = BinI { imm } BinKind::I32Mul;
    I32ShlI = BinI { imm } BinKind::I32Shl;
    I32MulL = BinL { b } BinKind::I32Mul;
    I32NeBrNez = BinBrNez { t } BinKind::I32Ne;
    I32EqBrNez = BinBrNez { t } BinKind::I32Eq;
    I32GtSBrNez = BinBrNez { t } BinKind::I32GtS;
    F64SubT = BinT { d } BinKind::F64Sub;
    F64DivT = BinT { d } BinKind::F64Div;
    I32AddS = BinS { d } BinKind::I32Add;
    I32SubS = BinS { d } BinKind::I32Sub;
    I32LeSLLBrNez = BinLLBrNez { a, b, t } BinKind::I32LeS;
    I64AddLIT = BinLIT { a, imm, d } BinKind::I64Add;
    I32AddLLT = BinLLT { a, b, d } BinKind::I32Add;
    I32AddLIUpdBrNez = BinLIUpdBrNez { a, imm, t } BinKind::I32Add;
    I32GtUIBrNez = BinIBrNez { imm, t } BinKind::I32GtU;
    I32LoadLI = LoadLI { a, imm, off } LoadKind::I32;
    I64LoadLI = LoadLI { a, imm, off } LoadKind::I64;
    I32GetLLoad = GetLLoad { a, b, off } LoadKind::I32;
    I64GetLLoad = GetLLoad { a, b, off } LoadKind::I64;
    I32TeeStore = TeeStore { d, off } StoreKind::I32;
    I64TeeStore = TeeStore { d, off } StoreKind::I64;
}

/// The binary operators superinstructions fuse (none of them traps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BinKind {
    I32Add,
    I32Sub,
    I32Mul,
    I32And,
    I32Or,
    I32Xor,
    I32Shl,
    I32ShrS,
    I32ShrU,
    I32Rotl,
    I32Rotr,
    I32Eq,
    I32Ne,
    I32LtS,
    I32LtU,
    I32GtS,
    I32GtU,
    I32LeS,
    I32LeU,
    I32GeS,
    I32GeU,
    I64Add,
    I64Sub,
    I64Mul,
    I64And,
    I64Or,
    I64Xor,
    I64Shl,
    I64ShrS,
    I64ShrU,
    I64Eq,
    I64Ne,
    I64LtS,
    I64LtU,
    I64GtS,
    I64GtU,
    I64LeS,
    I64LeU,
    I64GeS,
    I64GeU,
    F32Add,
    F32Sub,
    F32Mul,
    F32Div,
    F64Add,
    F64Sub,
    F64Mul,
    F64Div,
    F64Eq,
    F64Ne,
    F64Lt,
    F64Gt,
    F64Le,
    F64Ge,
}

impl BinKind {
    /// The fusable binary operator `op` is, if any.
    pub fn of(op: Op) -> Option<BinKind> {
        use BinKind as K;
        Some(match op {
            Op::I32Add => K::I32Add,
            Op::I32Sub => K::I32Sub,
            Op::I32Mul => K::I32Mul,
            Op::I32And => K::I32And,
            Op::I32Or => K::I32Or,
            Op::I32Xor => K::I32Xor,
            Op::I32Shl => K::I32Shl,
            Op::I32ShrS => K::I32ShrS,
            Op::I32ShrU => K::I32ShrU,
            Op::I32Rotl => K::I32Rotl,
            Op::I32Rotr => K::I32Rotr,
            Op::I32Eq => K::I32Eq,
            Op::I32Ne => K::I32Ne,
            Op::I32LtS => K::I32LtS,
            Op::I32LtU => K::I32LtU,
            Op::I32GtS => K::I32GtS,
            Op::I32GtU => K::I32GtU,
            Op::I32LeS => K::I32LeS,
            Op::I32LeU => K::I32LeU,
            Op::I32GeS => K::I32GeS,
            Op::I32GeU => K::I32GeU,
            Op::I64Add => K::I64Add,
            Op::I64Sub => K::I64Sub,
            Op::I64Mul => K::I64Mul,
            Op::I64And => K::I64And,
            Op::I64Or => K::I64Or,
            Op::I64Xor => K::I64Xor,
            Op::I64Shl => K::I64Shl,
            Op::I64ShrS => K::I64ShrS,
            Op::I64ShrU => K::I64ShrU,
            Op::I64Eq => K::I64Eq,
            Op::I64Ne => K::I64Ne,
            Op::I64LtS => K::I64LtS,
            Op::I64LtU => K::I64LtU,
            Op::I64GtS => K::I64GtS,
            Op::I64GtU => K::I64GtU,
            Op::I64LeS => K::I64LeS,
            Op::I64LeU => K::I64LeU,
            Op::I64GeS => K::I64GeS,
            Op::I64GeU => K::I64GeU,
            Op::F32Add => K::F32Add,
            Op::F32Sub => K::F32Sub,
            Op::F32Mul => K::F32Mul,
            Op::F32Div => K::F32Div,
            Op::F64Add => K::F64Add,
            Op::F64Sub => K::F64Sub,
            Op::F64Mul => K::F64Mul,
            Op::F64Div => K::F64Div,
            Op::F64Eq => K::F64Eq,
            Op::F64Ne => K::F64Ne,
            Op::F64Lt => K::F64Lt,
            Op::F64Gt => K::F64Gt,
            Op::F64Le => K::F64Le,
            Op::F64Ge => K::F64Ge,
            _ => return None,
        })
    }

    /// Apply to two slots; the result slot follows the interpreter's
    /// convention (i32 results zero-extended, booleans 0/1).
    #[inline(always)]
    pub fn eval(self, a: u64, b: u64) -> u64 {
        use BinKind as K;
        let (x, y) = (a as u32, b as u32);
        let f = |v: u32| f32::from_bits(v);
        let d = |v: u64| f64::from_bits(v);
        match self {
            K::I32Add => x.wrapping_add(y) as u64,
            K::I32Sub => x.wrapping_sub(y) as u64,
            K::I32Mul => x.wrapping_mul(y) as u64,
            K::I32And => (x & y) as u64,
            K::I32Or => (x | y) as u64,
            K::I32Xor => (x ^ y) as u64,
            K::I32Shl => x.wrapping_shl(y) as u64,
            K::I32ShrS => (x as i32).wrapping_shr(y) as u32 as u64,
            K::I32ShrU => x.wrapping_shr(y) as u64,
            K::I32Rotl => x.rotate_left(y % 32) as u64,
            K::I32Rotr => x.rotate_right(y % 32) as u64,
            K::I32Eq => (x == y) as u64,
            K::I32Ne => (x != y) as u64,
            K::I32LtS => ((x as i32) < (y as i32)) as u64,
            K::I32LtU => (x < y) as u64,
            K::I32GtS => ((x as i32) > (y as i32)) as u64,
            K::I32GtU => (x > y) as u64,
            K::I32LeS => ((x as i32) <= (y as i32)) as u64,
            K::I32LeU => (x <= y) as u64,
            K::I32GeS => ((x as i32) >= (y as i32)) as u64,
            K::I32GeU => (x >= y) as u64,
            K::I64Add => a.wrapping_add(b),
            K::I64Sub => a.wrapping_sub(b),
            K::I64Mul => a.wrapping_mul(b),
            K::I64And => a & b,
            K::I64Or => a | b,
            K::I64Xor => a ^ b,
            K::I64Shl => a.wrapping_shl(b as u32),
            K::I64ShrS => (a as i64).wrapping_shr(b as u32) as u64,
            K::I64ShrU => a.wrapping_shr(b as u32),
            K::I64Eq => (a == b) as u64,
            K::I64Ne => (a != b) as u64,
            K::I64LtS => ((a as i64) < (b as i64)) as u64,
            K::I64LtU => (a < b) as u64,
            K::I64GtS => ((a as i64) > (b as i64)) as u64,
            K::I64GtU => (a > b) as u64,
            K::I64LeS => ((a as i64) <= (b as i64)) as u64,
            K::I64LeU => (a <= b) as u64,
            K::I64GeS => ((a as i64) >= (b as i64)) as u64,
            K::I64GeU => (a >= b) as u64,
            K::F32Add => (f(x) + f(y)).to_bits() as u64,
            K::F32Sub => (f(x) - f(y)).to_bits() as u64,
            K::F32Mul => (f(x) * f(y)).to_bits() as u64,
            K::F32Div => (f(x) / f(y)).to_bits() as u64,
            K::F64Add => (d(a) + d(b)).to_bits(),
            K::F64Sub => (d(a) - d(b)).to_bits(),
            K::F64Mul => (d(a) * d(b)).to_bits(),
            K::F64Div => (d(a) / d(b)).to_bits(),
            K::F64Eq => (d(a) == d(b)) as u64,
            K::F64Ne => (d(a) != d(b)) as u64,
            K::F64Lt => (d(a) < d(b)) as u64,
            K::F64Gt => (d(a) > d(b)) as u64,
            K::F64Le => (d(a) <= d(b)) as u64,
            K::F64Ge => (d(a) >= d(b)) as u64,
        }
    }
}

/// The division and remainder operators superinstructions fuse (they trap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum DivKind {
    I32DivS,
    I32DivU,
    I32RemS,
    I32RemU,
    I64DivS,
    I64DivU,
    I64RemS,
    I64RemU,
}

impl DivKind {
    /// The fusable division or remainder `op` is, if any.
    pub fn of(op: Op) -> Option<DivKind> {
        Some(match op {
            Op::I32DivS => DivKind::I32DivS,
            Op::I32DivU => DivKind::I32DivU,
            Op::I32RemS => DivKind::I32RemS,
            Op::I32RemU => DivKind::I32RemU,
            Op::I64DivS => DivKind::I64DivS,
            Op::I64DivU => DivKind::I64DivU,
            Op::I64RemS => DivKind::I64RemS,
            Op::I64RemU => DivKind::I64RemU,
            _ => return None,
        })
    }

    /// Apply to two slots, trapping like the unfused op.
    #[inline(always)]
    pub fn eval(self, a: u64, b: u64) -> Result<u64, crate::trap::TrapCode> {
        use crate::trap::TrapCode;
        let (x, y) = (a as u32, b as u32);
        let zero = match self {
            DivKind::I32DivS | DivKind::I32DivU | DivKind::I32RemS | DivKind::I32RemU => y == 0,
            _ => b == 0,
        };
        if zero {
            return Err(TrapCode::IntegerDivideByZero);
        }
        Ok(match self {
            DivKind::I32DivS => {
                if x as i32 == i32::MIN && y as i32 == -1 {
                    return Err(TrapCode::IntegerOverflow);
                }
                (x as i32).wrapping_div(y as i32) as u32 as u64
            }
            DivKind::I32DivU => (x / y) as u64,
            DivKind::I32RemS => (x as i32).wrapping_rem(y as i32) as u32 as u64,
            DivKind::I32RemU => (x % y) as u64,
            DivKind::I64DivS => {
                if a as i64 == i64::MIN && b as i64 == -1 {
                    return Err(TrapCode::IntegerOverflow);
                }
                (a as i64).wrapping_div(b as i64) as u64
            }
            DivKind::I64DivU => a / b,
            DivKind::I64RemS => (a as i64).wrapping_rem(b as i64) as u64,
            DivKind::I64RemU => a % b,
        })
    }
}

/// The unary operators superinstructions fuse (none of them traps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum UnKind {
    I32Eqz,
    I64Eqz,
    I32WrapI64,
    I64ExtendI32S,
    I64ExtendI32U,
    I32Extend8S,
    I32Extend16S,
    F64ConvertI32S,
    F64PromoteF32,
    F32DemoteF64,
}

impl UnKind {
    /// The fusable unary operator `op` is, if any.
    pub fn of(op: Op) -> Option<UnKind> {
        Some(match op {
            Op::I32Eqz => UnKind::I32Eqz,
            Op::I64Eqz => UnKind::I64Eqz,
            Op::I32WrapI64 => UnKind::I32WrapI64,
            Op::I64ExtendI32S => UnKind::I64ExtendI32S,
            Op::I64ExtendI32U => UnKind::I64ExtendI32U,
            Op::I32Extend8S => UnKind::I32Extend8S,
            Op::I32Extend16S => UnKind::I32Extend16S,
            Op::F64ConvertI32S => UnKind::F64ConvertI32S,
            Op::F64PromoteF32 => UnKind::F64PromoteF32,
            Op::F32DemoteF64 => UnKind::F32DemoteF64,
            _ => return None,
        })
    }

    /// Apply to a slot (same slot convention as [`BinKind::eval`]).
    #[inline(always)]
    pub fn eval(self, a: u64) -> u64 {
        let x = a as u32;
        match self {
            UnKind::I32Eqz => (x == 0) as u64,
            UnKind::I64Eqz => (a == 0) as u64,
            UnKind::I32WrapI64 => x as u64,
            UnKind::I64ExtendI32S => x as i32 as i64 as u64,
            UnKind::I64ExtendI32U => x as u64,
            UnKind::I32Extend8S => x as i8 as i32 as u32 as u64,
            UnKind::I32Extend16S => x as i16 as i32 as u32 as u64,
            UnKind::F64ConvertI32S => (x as i32 as f64).to_bits(),
            UnKind::F64PromoteF32 => (f32::from_bits(x) as f64).to_bits(),
            UnKind::F32DemoteF64 => (f64::from_bits(a) as f32).to_bits() as u64,
        }
    }
}

/// The loads superinstructions fuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LoadKind {
    I32,
    I64,
    I32_8S,
    I32_8U,
    I32_16S,
    I32_16U,
}

impl LoadKind {
    /// The fusable load `op` is, with its static offset.
    pub fn of(op: Op) -> Option<(LoadKind, u32)> {
        Some(match op {
            Op::I32Load(o) => (LoadKind::I32, o),
            Op::I64Load(o) => (LoadKind::I64, o),
            Op::I32Load8S(o) => (LoadKind::I32_8S, o),
            Op::I32Load8U(o) => (LoadKind::I32_8U, o),
            Op::I32Load16S(o) => (LoadKind::I32_16S, o),
            Op::I32Load16U(o) => (LoadKind::I32_16U, o),
            _ => return None,
        })
    }
}

/// The stores superinstructions fuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StoreKind {
    I32,
    I64,
    I32_8,
    I32_16,
}

impl Op {
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
        let from = pc.saturating_sub(crate::translate::fuse::MAX_SPAN - 1);
        for p in from..=pc.min(self.ops.len().saturating_sub(1)) {
            let op = self.ops[p];
            // A fuel patch stays; the op under it is unfused instead.
            if let Op::Fuel { orig, .. } = op
                && let Some(f) = &mut self.fuel
            {
                let under = f.orig[orig as usize];
                if p == pc || p + crate::translate::fuse::span(under) > pc {
                    f.orig[orig as usize] = self.unfused[p];
                }
                continue;
            }
            if op != Op::Breakpoint && (p == pc || p + crate::translate::fuse::span(op) > pc) {
                self.ops[p] = self.unfused[p];
            }
        }
    }
}
