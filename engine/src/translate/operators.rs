//! The instructions that map to one `Op` each in the translator: locals,
//! globals, constants, loads and stores, memory and table instructions,
//! numeric and SIMD operators; and the error for an instruction the
//! interpreter cannot run.

use wasmparser::Operator;

use super::{Translator, slots};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{MemOpX, Op, SimdOp};
use crate::value::ValType;

impl Translator<'_> {
    /// The `Op` for an instruction that is neither structured control, a
    /// control transfer nor a GC instruction (`Op::Drop(0)`: nothing to
    /// emit). `pre_top`, `pre_second`: the operand types before it.
    pub(super) fn plain(
        &mut self,
        op: &Operator<'_>,
        offset: u64,
        pre_top: Option<ValType>,
        pre_second: Option<ValType>,
    ) -> Result<Op> {
        use Operator as O;
        let m = self.inst;
        Ok(match *op {
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
        })
    }

    pub(super) fn local_op(&self, index: u32, one: fn(u32) -> Op, two: fn(u32) -> Op) -> Op {
        let off = self.local_offsets[index as usize];
        if self.local_types[index as usize] == ValType::V128 {
            two(off)
        } else {
            one(off)
        }
    }

    /// A memory instruction on `memory` (module index): the fast op for a
    /// 32-bit memory 0, else `Op::MemX`.
    pub(super) fn mem_op(&mut self, memory: u32, offset: u64, fast: Op) -> Op {
        let is64 = self.module.memories[memory as usize].memory64;
        if memory == 0 && !is64 && offset <= u32::MAX as u64 {
            return fast;
        }
        self.mem_x(fast, memory, memory, offset)
    }

    pub(super) fn mem_x(&mut self, op: Op, memory: u32, src: u32, offset: u64) -> Op {
        self.mem_ops.push(MemOpX {
            op,
            mem: self.inst.memories[memory as usize],
            src: self.inst.memories[src as usize],
            offset,
        });
        Op::MemX(self.mem_ops.len() as u32 - 1)
    }

    /// Whether memory ops on `memory` take the fast path.
    pub(super) fn fast_memory(&self, memory: u32) -> bool {
        memory == 0 && !self.module.memories[memory as usize].memory64
    }
}

/// The error for an instruction the interpreter cannot run (yet): at
/// translation, so calling the function traps with it.
pub(super) fn unsupported(op: &Operator<'_>, offset: u64) -> Error {
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

/// What an instruction the interpreter cannot run yet is part of.
pub(super) fn proposal_of(op: &Operator<'_>) -> &'static str {
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

/// The memarg of a SIMD memory instruction.
pub(super) fn simd_memarg(op: &Operator<'_>) -> Option<wasmparser::MemArg> {
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
pub(super) fn with_offset<'a>(op: &Operator<'a>, offset: u64) -> Operator<'a> {
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

pub(super) fn numeric(op: &Operator<'_>) -> Option<Op> {
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

/// The memory a memarg names (an array target is beyond Wasm 3.0: never validated).
pub(super) fn mem_index(t: wasmparser::MemArgTarget) -> u32 {
    match t {
        wasmparser::MemArgTarget::Memory(i) => i,
        wasmparser::MemArgTarget::Array(_) => 0,
    }
}
