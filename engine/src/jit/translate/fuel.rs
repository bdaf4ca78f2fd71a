//! Fuel in JIT code: counted in the interpreter's unit (its ops, one per
//! wasm instruction), kept in a register within a function and written back
//! to the run state around calls, libcalls and returns.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, types};
use cranelift_module::Module as ClifModule;
use wasmparser::Operator;

use super::{FuncTranslator, flags};
use crate::jit::env::trap_word;

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// Write the fuel register back to the run state (before anything that
    /// can run other code, read it, or leave this function).
    pub(super) fn spill_fuel(&mut self) {
        if !self.env.fuel {
            return;
        }
        let rt = self.load_rt();
        let fuel = self.b.use_var(self.fuel);
        self.b
            .ins()
            .store(flags(), fuel, rt, self.env.layout.rt_fuel);
    }

    /// Take the fuel back after a call (the callee spent some).
    pub(super) fn reload_fuel(&mut self) {
        if !self.env.fuel {
            return;
        }
        let rt = self.load_rt();
        let fuel = self
            .b
            .ins()
            .load(types::I64, flags(), rt, self.env.layout.rt_fuel);
        self.b.def_var(self.fuel, fuel);
    }

    /// Fuel for operator `op` (reachable), in the interpreter's unit: the
    /// ops its translator emits and runs for it (`translate/mod.rs`), so
    /// `--fuel N` stops at the same instruction in every engine. An op
    /// without visible effects adds to `fuel_pending`; any other op, a
    /// branch or a merge point charges what is pending and its own ops
    /// first (`fuel_charge`). Then an out-of-fuel stop comes before the
    /// first op the interpreter would not have run, and the ops skipped
    /// before it could not have trapped.
    pub(super) fn fuel_before(&mut self, op: &Operator<'_>) {
        use Operator as O;
        match op {
            // No op of their own.
            O::Nop | O::Block { .. } | O::Try { .. } | O::TryTable { .. } => {}
            // A loop header is a branch target.
            O::Loop { .. } => self.fuel_charge(0),
            // A merge point; the body's own `end` is the interpreter's `return`.
            O::End | O::Delegate { .. } => {
                if self.reachable {
                    let body = self.ctrl.len() == 1;
                    self.fuel_charge(body as u32);
                }
            }
            // Leaving the `then` (or `try`) part is a `br` to the end.
            O::Else | O::Catch { .. } | O::CatchAll => {
                if self.reachable {
                    self.fuel_charge(1);
                }
            }
            // `br_table` and then one of its `br` entries; a cast and a `br_if`.
            O::BrTable { .. } | O::BrOnCast { .. } | O::BrOnCastFail { .. } => self.fuel_charge(2),
            op if fuel_pure(op) => self.fuel_pending += 1,
            _ => self.fuel_charge(1),
        }
    }

    /// Charge the pending ops and `extra` more: out of fuel when less is left.
    pub(super) fn fuel_charge(&mut self, extra: u32) {
        let n = std::mem::take(&mut self.fuel_pending) + extra;
        if n == 0 {
            return;
        }
        let fuel = self.b.use_var(self.fuel);
        let fuel1 = self.b.ins().iadd_imm_s(fuel, -(n as i64));
        self.b.def_var(self.fuel, fuel1);
        let out = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, fuel1, 0);
        self.trap_if(out, trap_word::OUT_OF_FUEL);
    }

    /// The target of a conditional branch to relative depth `depth`: with
    /// fuel, a branch to the function's label goes through a block that
    /// charges the interpreter's `return` op (filled by `fuel_fill_tramp`
    /// once the branch is emitted).
    pub(crate) fn cond_branch_target(&mut self, depth: u32) -> (ir::Block, Vec<ir::Value>) {
        let (blk, args) = self.branch_target(depth);
        if !self.env.fuel || self.ctrl.len() - 1 != depth as usize {
            return (blk, args);
        }
        let tys = self.result_types.clone();
        let tramp = self.new_block_with(&tys);
        self.fuel_tramp = Some((tramp, blk));
        (tramp, args)
    }

    /// Fill the block `cond_branch_target` made, if any (the current block
    /// must be filled: call right after the branch).
    pub(crate) fn fuel_fill_tramp(&mut self) {
        let Some((tramp, exit)) = self.fuel_tramp.take() else {
            return;
        };
        self.b.seal_block(tramp);
        self.b.switch_to_block(tramp);
        self.fuel_charge(1);
        let ps = self.b.block_params(tramp).to_vec();
        self.b.ins().jump(exit, &Self::args(&ps));
    }
}

/// Operators that can neither trap nor change what a stop could see
/// outside the frame (memory, globals, tables, other calls): their fuel is
/// charged later with the next op that can (`FuncTranslator::fuel_before`).
fn fuel_pure(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::LocalGet { .. }
            | O::LocalSet { .. }
            | O::LocalTee { .. }
            | O::GlobalGet { .. }
            | O::I32Const { .. }
            | O::I64Const { .. }
            | O::F32Const { .. }
            | O::F64Const { .. }
            | O::Drop
            | O::Select
            | O::TypedSelect { .. }
            | O::RefNull { .. }
            | O::RefIsNull
            | O::RefFunc { .. }
            | O::I32Eqz
            | O::I32Eq
            | O::I32Ne
            | O::I32LtS
            | O::I32LtU
            | O::I32GtS
            | O::I32GtU
            | O::I32LeS
            | O::I32LeU
            | O::I32GeS
            | O::I32GeU
            | O::I64Eqz
            | O::I64Eq
            | O::I64Ne
            | O::I64LtS
            | O::I64LtU
            | O::I64GtS
            | O::I64GtU
            | O::I64LeS
            | O::I64LeU
            | O::I64GeS
            | O::I64GeU
            | O::F32Eq
            | O::F32Ne
            | O::F32Lt
            | O::F32Gt
            | O::F32Le
            | O::F32Ge
            | O::F64Eq
            | O::F64Ne
            | O::F64Lt
            | O::F64Gt
            | O::F64Le
            | O::F64Ge
            | O::I32Clz
            | O::I32Ctz
            | O::I32Popcnt
            | O::I32Add
            | O::I32Sub
            | O::I32Mul
            | O::I32And
            | O::I32Or
            | O::I32Xor
            | O::I32Shl
            | O::I32ShrS
            | O::I32ShrU
            | O::I32Rotl
            | O::I32Rotr
            | O::I64Clz
            | O::I64Ctz
            | O::I64Popcnt
            | O::I64Add
            | O::I64Sub
            | O::I64Mul
            | O::I64And
            | O::I64Or
            | O::I64Xor
            | O::I64Shl
            | O::I64ShrS
            | O::I64ShrU
            | O::I64Rotl
            | O::I64Rotr
            | O::F32Abs
            | O::F32Neg
            | O::F32Ceil
            | O::F32Floor
            | O::F32Trunc
            | O::F32Nearest
            | O::F32Sqrt
            | O::F32Add
            | O::F32Sub
            | O::F32Mul
            | O::F32Div
            | O::F32Min
            | O::F32Max
            | O::F32Copysign
            | O::F64Abs
            | O::F64Neg
            | O::F64Ceil
            | O::F64Floor
            | O::F64Trunc
            | O::F64Nearest
            | O::F64Sqrt
            | O::F64Add
            | O::F64Sub
            | O::F64Mul
            | O::F64Div
            | O::F64Min
            | O::F64Max
            | O::F64Copysign
            | O::I32WrapI64
            | O::I64ExtendI32S
            | O::I64ExtendI32U
            | O::F32ConvertI32S
            | O::F32ConvertI32U
            | O::F32ConvertI64S
            | O::F32ConvertI64U
            | O::F32DemoteF64
            | O::F64ConvertI32S
            | O::F64ConvertI32U
            | O::F64ConvertI64S
            | O::F64ConvertI64U
            | O::F64PromoteF32
            | O::I32ReinterpretF32
            | O::I64ReinterpretF64
            | O::F32ReinterpretI32
            | O::F64ReinterpretI64
            | O::I32Extend8S
            | O::I32Extend16S
            | O::I64Extend8S
            | O::I64Extend16S
            | O::I64Extend32S
            | O::I32TruncSatF32S
            | O::I32TruncSatF32U
            | O::I32TruncSatF64S
            | O::I32TruncSatF64U
            | O::I64TruncSatF32S
            | O::I64TruncSatF32U
            | O::I64TruncSatF64S
            | O::I64TruncSatF64U
    )
}
