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

    /// A fixed-width SIMD instruction, executed by [`crate::interp::simd`].
    Simd(SimdOp),
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
    /// Slots taken by params and declared locals (the operand stack starts here).
    pub locals_slots: u32,
    pub result_slots: u32,
    /// Highest slot height above `fp` the body can reach (locals included).
    pub max_height: u32,
    /// Slot offset from fp of each local (params first).
    pub local_offsets: Vec<u32>,
    pub local_types: Vec<ValType>,
    /// Store address of the instance's memory 0.
    pub memory: Option<u32>,
    /// Breakpoints: pc -> the original op patched over.
    pub patched: HashMap<u32, Op>,
}

impl Code {
    /// The op at `pc` as translated (looking through a breakpoint patch).
    pub fn original_op(&self, pc: u32) -> Option<Op> {
        match self.ops.get(pc as usize)? {
            Op::Breakpoint => self.patched.get(&pc).copied(),
            op => Some(*op),
        }
    }
}
