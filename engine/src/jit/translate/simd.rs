//! SIMD (`v128`) operators. Every v128 on the operand stack is an `i8x16`;
//! an operator bitcasts its inputs to the lane type it works on and its
//! result back (register no-ops), so block params, locals and globals only
//! ever see one vector type.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, ConstantData, InstBuilder, MemFlagsData, Type, types};
use cranelift_module::Module as ClifModule;
use wasmparser::{MemArg, Operator};

use super::{Ext, FuncTranslator, le, unsupported};
use crate::error::Result;

use types::{F32X4, F64X2, I8X16, I16X8, I32X4, I64X2};

fn vflags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(ir::Endianness::Little)
}

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// Pop a v128 viewed as `ty`.
    fn popv(&mut self, ty: Type) -> ir::Value {
        let v = self.pop();
        self.as_ty(v, ty)
    }

    fn as_ty(&mut self, v: ir::Value, ty: Type) -> ir::Value {
        if self.b.func.dfg.value_type(v) == ty {
            v
        } else {
            self.b.ins().bitcast(ty, vflags(), v)
        }
    }

    /// Push a vector result as the canonical `i8x16`.
    fn pushv(&mut self, v: ir::Value) {
        let v = self.as_ty(v, I8X16);
        self.push(v);
    }

    fn vunop(&mut self, ty: Type, f: impl FnOnce(&mut Self, ir::Value) -> ir::Value) {
        let a = self.popv(ty);
        let r = f(self, a);
        self.pushv(r);
    }

    fn vbinop(&mut self, ty: Type, f: impl FnOnce(&mut Self, ir::Value, ir::Value) -> ir::Value) {
        let b = self.popv(ty);
        let a = self.popv(ty);
        let r = f(self, a, b);
        self.pushv(r);
    }

    fn vicmp(&mut self, ty: Type, cc: IntCC) {
        self.vbinop(ty, |s, a, b| s.b.ins().icmp(cc, a, b));
    }

    fn vfcmp(&mut self, ty: Type, cc: FloatCC) {
        self.vbinop(ty, |s, a, b| s.b.ins().fcmp(cc, a, b));
    }

    fn vshift(&mut self, ty: Type, op: fn(&mut Self, ir::Value, ir::Value) -> ir::Value) {
        let amt = self.pop();
        let a = self.popv(ty);
        let r = op(self, a, amt);
        self.pushv(r);
    }

    fn vconst_bytes(&mut self, bytes: [u8; 16]) -> ir::Value {
        let c = self
            .b
            .func
            .dfg
            .constants
            .insert(ConstantData::from(&bytes[..]));
        self.b.ins().vconst(I8X16, c)
    }

    fn load_splat(&mut self, memarg: MemArg, lane: Type, vty: Type) {
        let p = self.mem_addr(memarg, lane.bytes());
        let x = self.b.ins().load(lane, le(), p, 0);
        let v = self.b.ins().splat(vty, x);
        self.pushv(v);
    }

    fn load_zero(&mut self, memarg: MemArg, lane: Type, vty: Type) {
        let p = self.mem_addr(memarg, lane.bytes());
        let x = self.b.ins().load(lane, le(), p, 0);
        let v = self.b.ins().scalar_to_vector(vty, x);
        self.pushv(v);
    }

    fn load_lane(&mut self, memarg: MemArg, lane_ty: Type, vty: Type, lane: u8) {
        let v = self.popv(vty);
        let p = self.mem_addr(memarg, lane_ty.bytes());
        let x = self.b.ins().load(lane_ty, le(), p, 0);
        let r = self.b.ins().insertlane(v, x, lane);
        self.pushv(r);
    }

    fn store_lane(&mut self, memarg: MemArg, lane_ty: Type, vty: Type, lane: u8) {
        let v = self.popv(vty);
        let p = self.mem_addr(memarg, lane_ty.bytes());
        let x = self.b.ins().extractlane(v, lane);
        self.b.ins().store(le(), x, p, 0);
    }

    fn extend_load(&mut self, memarg: MemArg, signed: bool, from: Type) {
        let p = self.mem_addr(memarg, 8);
        let ins = self.b.ins();
        let v = match (from, signed) {
            (types::I8, true) => ins.sload8x8(le(), p, 0),
            (types::I8, false) => ins.uload8x8(le(), p, 0),
            (types::I16, true) => ins.sload16x4(le(), p, 0),
            (types::I16, false) => ins.uload16x4(le(), p, 0),
            (_, true) => ins.sload32x2(le(), p, 0),
            (_, false) => ins.uload32x2(le(), p, 0),
        };
        self.pushv(v);
    }

    fn extract(&mut self, vty: Type, lane: u8, ext: Ext) {
        let v = self.popv(vty);
        let x = self.b.ins().extractlane(v, lane);
        let r = match ext {
            Ext::None => x,
            Ext::S => self.b.ins().sextend(types::I32, x),
            Ext::U => self.b.ins().uextend(types::I32, x),
        };
        self.push(r);
    }

    fn replace(&mut self, vty: Type, lane: u8) {
        let x = self.pop();
        let v = self.popv(vty);
        let lane_ty = vty.lane_type();
        let x = if self.b.func.dfg.value_type(x) != lane_ty && lane_ty.is_int() {
            self.b.ins().ireduce(lane_ty, x)
        } else {
            x
        };
        let r = self.b.ins().insertlane(v, x, lane);
        self.pushv(r);
    }

    fn splat(&mut self, vty: Type) {
        let x = self.pop();
        let lane_ty = vty.lane_type();
        let x = if self.b.func.dfg.value_type(x) != lane_ty && lane_ty.is_int() {
            self.b.ins().ireduce(lane_ty, x)
        } else {
            x
        };
        let v = self.b.ins().splat(vty, x);
        self.pushv(v);
    }

    fn extmul(&mut self, from: Type, high: bool, signed: bool) {
        let b = self.popv(from);
        let a = self.popv(from);
        let (a, b) = match (high, signed) {
            (false, true) => (self.b.ins().swiden_low(a), self.b.ins().swiden_low(b)),
            (true, true) => (self.b.ins().swiden_high(a), self.b.ins().swiden_high(b)),
            (false, false) => (self.b.ins().uwiden_low(a), self.b.ins().uwiden_low(b)),
            (true, false) => (self.b.ins().uwiden_high(a), self.b.ins().uwiden_high(b)),
        };
        let r = self.b.ins().imul(a, b);
        self.pushv(r);
    }

    fn extadd_pairwise(&mut self, from: Type, signed: bool) {
        let a = self.popv(from);
        let (lo, hi) = if signed {
            (self.b.ins().swiden_low(a), self.b.ins().swiden_high(a))
        } else {
            (self.b.ins().uwiden_low(a), self.b.ins().uwiden_high(a))
        };
        let r = self.b.ins().iadd_pairwise(lo, hi);
        self.pushv(r);
    }

    fn widen(&mut self, from: Type, high: bool, signed: bool) {
        let a = self.popv(from);
        let r = match (high, signed) {
            (false, true) => self.b.ins().swiden_low(a),
            (true, true) => self.b.ins().swiden_high(a),
            (false, false) => self.b.ins().uwiden_low(a),
            (true, false) => self.b.ins().uwiden_high(a),
        };
        self.pushv(r);
    }

    /// `pmin`/`pmax`: `b < a ? b : a` and `a < b ? b : a`, exactly as the spec defines them.
    fn pminmax(&mut self, ty: Type, max: bool) {
        let b = self.popv(ty);
        let a = self.popv(ty);
        let c = if max {
            self.b.ins().fcmp(FloatCC::LessThan, a, b)
        } else {
            self.b.ins().fcmp(FloatCC::LessThan, b, a)
        };
        let c = self.as_ty(c, ty);
        let r = self.b.ins().bitselect(c, b, a);
        self.pushv(r);
    }

    fn bool_result(&mut self, c: ir::Value) {
        let r = self.b.ins().uextend(types::I32, c);
        self.push(r);
    }

    /// Relaxed SIMD (Wasm 3.0) with the interpreter's one deterministic
    /// behaviour (wasmtime's `relaxed_simd_deterministic`): an op that is a
    /// Wasm 2.0 op there is translated as that op; fused multiply-adds and
    /// the signed dot products are below.
    fn relaxed_alias(op: &Operator<'_>) -> Option<Operator<'static>> {
        use Operator as O;
        Some(match op {
            O::I8x16RelaxedSwizzle => O::I8x16Swizzle,
            O::I32x4RelaxedTruncF32x4S => O::I32x4TruncSatF32x4S,
            O::I32x4RelaxedTruncF32x4U => O::I32x4TruncSatF32x4U,
            O::I32x4RelaxedTruncF64x2SZero => O::I32x4TruncSatF64x2SZero,
            O::I32x4RelaxedTruncF64x2UZero => O::I32x4TruncSatF64x2UZero,
            O::I8x16RelaxedLaneselect
            | O::I16x8RelaxedLaneselect
            | O::I32x4RelaxedLaneselect
            | O::I64x2RelaxedLaneselect => O::V128Bitselect,
            O::F32x4RelaxedMin => O::F32x4Min,
            O::F32x4RelaxedMax => O::F32x4Max,
            O::F64x2RelaxedMin => O::F64x2Min,
            O::F64x2RelaxedMax => O::F64x2Max,
            O::I16x8RelaxedQ15mulrS => O::I16x8Q15MulrSatS,
            _ => return None,
        })
    }

    /// `a * b + c` (negated product with `neg`) with one rounding.
    fn fused_madd(&mut self, ty: Type, neg: bool) {
        let c = self.popv(ty);
        let b = self.popv(ty);
        let a = self.popv(ty);
        let a = if neg { self.b.ins().fneg(a) } else { a };
        let r = self.b.ins().fma(a, b, c);
        self.pushv(r);
    }

    /// The i8 products of `a` and `b` (both signed), low and high halves as
    /// i16x8 (exact: |x * y| <= 2^14).
    fn i8_products(&mut self, a: ir::Value, b: ir::Value) -> (ir::Value, ir::Value) {
        let (al, bl) = (self.b.ins().swiden_low(a), self.b.ins().swiden_low(b));
        let (ah, bh) = (self.b.ins().swiden_high(a), self.b.ins().swiden_high(b));
        (self.b.ins().imul(al, bl), self.b.ins().imul(ah, bh))
    }

    pub(super) fn simd(&mut self, op: Operator<'_>) -> Result<()> {
        use Operator as O;
        if let Some(op) = Self::relaxed_alias(&op) {
            return self.simd(op);
        }
        match op {
            O::F32x4RelaxedMadd => self.fused_madd(F32X4, false),
            O::F32x4RelaxedNmadd => self.fused_madd(F32X4, true),
            O::F64x2RelaxedMadd => self.fused_madd(F64X2, false),
            O::F64x2RelaxedNmadd => self.fused_madd(F64X2, true),
            // Each i16 lane: the wrapping sum of two adjacent products.
            O::I16x8RelaxedDotI8x16I7x16S => {
                let b = self.popv(I8X16);
                let a = self.popv(I8X16);
                let (lo, hi) = self.i8_products(a, b);
                let r = self.b.ins().iadd_pairwise(lo, hi);
                self.pushv(r);
            }
            // Each i32 lane: the exact sum of four adjacent products, plus
            // `c` (wrapping).
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                let c = self.popv(I32X4);
                let b = self.popv(I8X16);
                let a = self.popv(I8X16);
                let (lo, hi) = self.i8_products(a, b);
                let (ll, lh) = (self.b.ins().swiden_low(lo), self.b.ins().swiden_high(lo));
                let (hl, hh) = (self.b.ins().swiden_low(hi), self.b.ins().swiden_high(hi));
                let pairs_lo = self.b.ins().iadd_pairwise(ll, lh);
                let pairs_hi = self.b.ins().iadd_pairwise(hl, hh);
                let sum = self.b.ins().iadd_pairwise(pairs_lo, pairs_hi);
                let r = self.b.ins().iadd(sum, c);
                self.pushv(r);
            }
            O::V128Const { value } => {
                let v = self.vconst_bytes(*value.bytes());
                self.push(v);
            }
            O::V128Load8x8S { memarg } => self.extend_load(memarg, true, types::I8),
            O::V128Load8x8U { memarg } => self.extend_load(memarg, false, types::I8),
            O::V128Load16x4S { memarg } => self.extend_load(memarg, true, types::I16),
            O::V128Load16x4U { memarg } => self.extend_load(memarg, false, types::I16),
            O::V128Load32x2S { memarg } => self.extend_load(memarg, true, types::I32),
            O::V128Load32x2U { memarg } => self.extend_load(memarg, false, types::I32),
            O::V128Load8Splat { memarg } => self.load_splat(memarg, types::I8, I8X16),
            O::V128Load16Splat { memarg } => self.load_splat(memarg, types::I16, I16X8),
            O::V128Load32Splat { memarg } => self.load_splat(memarg, types::I32, I32X4),
            O::V128Load64Splat { memarg } => self.load_splat(memarg, types::I64, I64X2),
            O::V128Load32Zero { memarg } => self.load_zero(memarg, types::I32, I32X4),
            O::V128Load64Zero { memarg } => self.load_zero(memarg, types::I64, I64X2),
            O::V128Load8Lane { memarg, lane } => self.load_lane(memarg, types::I8, I8X16, lane),
            O::V128Load16Lane { memarg, lane } => self.load_lane(memarg, types::I16, I16X8, lane),
            O::V128Load32Lane { memarg, lane } => self.load_lane(memarg, types::I32, I32X4, lane),
            O::V128Load64Lane { memarg, lane } => self.load_lane(memarg, types::I64, I64X2, lane),
            O::V128Store8Lane { memarg, lane } => self.store_lane(memarg, types::I8, I8X16, lane),
            O::V128Store16Lane { memarg, lane } => self.store_lane(memarg, types::I16, I16X8, lane),
            O::V128Store32Lane { memarg, lane } => self.store_lane(memarg, types::I32, I32X4, lane),
            O::V128Store64Lane { memarg, lane } => self.store_lane(memarg, types::I64, I64X2, lane),

            O::I8x16Shuffle { lanes } => {
                let b = self.popv(I8X16);
                let a = self.popv(I8X16);
                let imm = self
                    .b
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(&lanes[..]));
                let r = self.b.ins().shuffle(a, b, imm);
                self.pushv(r);
            }
            O::I8x16Swizzle => self.vbinop(I8X16, |s, a, b| s.b.ins().swizzle(a, b)),
            O::I8x16Splat => self.splat(I8X16),
            O::I16x8Splat => self.splat(I16X8),
            O::I32x4Splat => self.splat(I32X4),
            O::I64x2Splat => self.splat(I64X2),
            O::F32x4Splat => self.splat(F32X4),
            O::F64x2Splat => self.splat(F64X2),
            O::I8x16ExtractLaneS { lane } => self.extract(I8X16, lane, Ext::S),
            O::I8x16ExtractLaneU { lane } => self.extract(I8X16, lane, Ext::U),
            O::I16x8ExtractLaneS { lane } => self.extract(I16X8, lane, Ext::S),
            O::I16x8ExtractLaneU { lane } => self.extract(I16X8, lane, Ext::U),
            O::I32x4ExtractLane { lane } => self.extract(I32X4, lane, Ext::None),
            O::I64x2ExtractLane { lane } => self.extract(I64X2, lane, Ext::None),
            O::F32x4ExtractLane { lane } => self.extract(F32X4, lane, Ext::None),
            O::F64x2ExtractLane { lane } => self.extract(F64X2, lane, Ext::None),
            O::I8x16ReplaceLane { lane } => self.replace(I8X16, lane),
            O::I16x8ReplaceLane { lane } => self.replace(I16X8, lane),
            O::I32x4ReplaceLane { lane } => self.replace(I32X4, lane),
            O::I64x2ReplaceLane { lane } => self.replace(I64X2, lane),
            O::F32x4ReplaceLane { lane } => self.replace(F32X4, lane),
            O::F64x2ReplaceLane { lane } => self.replace(F64X2, lane),

            O::I8x16Eq => self.vicmp(I8X16, IntCC::Equal),
            O::I8x16Ne => self.vicmp(I8X16, IntCC::NotEqual),
            O::I8x16LtS => self.vicmp(I8X16, IntCC::SignedLessThan),
            O::I8x16LtU => self.vicmp(I8X16, IntCC::UnsignedLessThan),
            O::I8x16GtS => self.vicmp(I8X16, IntCC::SignedGreaterThan),
            O::I8x16GtU => self.vicmp(I8X16, IntCC::UnsignedGreaterThan),
            O::I8x16LeS => self.vicmp(I8X16, IntCC::SignedLessThanOrEqual),
            O::I8x16LeU => self.vicmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.vicmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.vicmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            O::I16x8Eq => self.vicmp(I16X8, IntCC::Equal),
            O::I16x8Ne => self.vicmp(I16X8, IntCC::NotEqual),
            O::I16x8LtS => self.vicmp(I16X8, IntCC::SignedLessThan),
            O::I16x8LtU => self.vicmp(I16X8, IntCC::UnsignedLessThan),
            O::I16x8GtS => self.vicmp(I16X8, IntCC::SignedGreaterThan),
            O::I16x8GtU => self.vicmp(I16X8, IntCC::UnsignedGreaterThan),
            O::I16x8LeS => self.vicmp(I16X8, IntCC::SignedLessThanOrEqual),
            O::I16x8LeU => self.vicmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            O::I16x8GeS => self.vicmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            O::I16x8GeU => self.vicmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            O::I32x4Eq => self.vicmp(I32X4, IntCC::Equal),
            O::I32x4Ne => self.vicmp(I32X4, IntCC::NotEqual),
            O::I32x4LtS => self.vicmp(I32X4, IntCC::SignedLessThan),
            O::I32x4LtU => self.vicmp(I32X4, IntCC::UnsignedLessThan),
            O::I32x4GtS => self.vicmp(I32X4, IntCC::SignedGreaterThan),
            O::I32x4GtU => self.vicmp(I32X4, IntCC::UnsignedGreaterThan),
            O::I32x4LeS => self.vicmp(I32X4, IntCC::SignedLessThanOrEqual),
            O::I32x4LeU => self.vicmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            O::I32x4GeS => self.vicmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            O::I32x4GeU => self.vicmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            O::I64x2Eq => self.vicmp(I64X2, IntCC::Equal),
            O::I64x2Ne => self.vicmp(I64X2, IntCC::NotEqual),
            O::I64x2LtS => self.vicmp(I64X2, IntCC::SignedLessThan),
            O::I64x2GtS => self.vicmp(I64X2, IntCC::SignedGreaterThan),
            O::I64x2LeS => self.vicmp(I64X2, IntCC::SignedLessThanOrEqual),
            O::I64x2GeS => self.vicmp(I64X2, IntCC::SignedGreaterThanOrEqual),
            O::F32x4Eq => self.vfcmp(F32X4, FloatCC::Equal),
            O::F32x4Ne => self.vfcmp(F32X4, FloatCC::NotEqual),
            O::F32x4Lt => self.vfcmp(F32X4, FloatCC::LessThan),
            O::F32x4Gt => self.vfcmp(F32X4, FloatCC::GreaterThan),
            O::F32x4Le => self.vfcmp(F32X4, FloatCC::LessThanOrEqual),
            O::F32x4Ge => self.vfcmp(F32X4, FloatCC::GreaterThanOrEqual),
            O::F64x2Eq => self.vfcmp(F64X2, FloatCC::Equal),
            O::F64x2Ne => self.vfcmp(F64X2, FloatCC::NotEqual),
            O::F64x2Lt => self.vfcmp(F64X2, FloatCC::LessThan),
            O::F64x2Gt => self.vfcmp(F64X2, FloatCC::GreaterThan),
            O::F64x2Le => self.vfcmp(F64X2, FloatCC::LessThanOrEqual),
            O::F64x2Ge => self.vfcmp(F64X2, FloatCC::GreaterThanOrEqual),

            O::V128Not => self.vunop(I8X16, |s, a| s.b.ins().bnot(a)),
            O::V128And => self.vbinop(I8X16, |s, a, b| s.b.ins().band(a, b)),
            O::V128AndNot => self.vbinop(I8X16, |s, a, b| s.b.ins().band_not(a, b)),
            O::V128Or => self.vbinop(I8X16, |s, a, b| s.b.ins().bor(a, b)),
            O::V128Xor => self.vbinop(I8X16, |s, a, b| s.b.ins().bxor(a, b)),
            O::V128Bitselect => {
                let c = self.popv(I8X16);
                let b = self.popv(I8X16);
                let a = self.popv(I8X16);
                let r = self.b.ins().bitselect(c, a, b);
                self.pushv(r);
            }
            O::V128AnyTrue => {
                let a = self.popv(I8X16);
                let c = self.b.ins().vany_true(a);
                self.bool_result(c);
            }
            O::I8x16AllTrue | O::I16x8AllTrue | O::I32x4AllTrue | O::I64x2AllTrue => {
                let ty = match op {
                    O::I8x16AllTrue => I8X16,
                    O::I16x8AllTrue => I16X8,
                    O::I32x4AllTrue => I32X4,
                    _ => I64X2,
                };
                let a = self.popv(ty);
                let c = self.b.ins().vall_true(a);
                self.bool_result(c);
            }
            O::I8x16Bitmask | O::I16x8Bitmask | O::I32x4Bitmask | O::I64x2Bitmask => {
                let ty = match op {
                    O::I8x16Bitmask => I8X16,
                    O::I16x8Bitmask => I16X8,
                    O::I32x4Bitmask => I32X4,
                    _ => I64X2,
                };
                let a = self.popv(ty);
                let r = self.b.ins().vhigh_bits(types::I32, a);
                self.push(r);
            }

            O::I8x16Abs => self.vunop(I8X16, |s, a| s.b.ins().iabs(a)),
            O::I16x8Abs => self.vunop(I16X8, |s, a| s.b.ins().iabs(a)),
            O::I32x4Abs => self.vunop(I32X4, |s, a| s.b.ins().iabs(a)),
            O::I64x2Abs => self.vunop(I64X2, |s, a| s.b.ins().iabs(a)),
            O::I8x16Neg => self.vunop(I8X16, |s, a| s.b.ins().ineg(a)),
            O::I16x8Neg => self.vunop(I16X8, |s, a| s.b.ins().ineg(a)),
            O::I32x4Neg => self.vunop(I32X4, |s, a| s.b.ins().ineg(a)),
            O::I64x2Neg => self.vunop(I64X2, |s, a| s.b.ins().ineg(a)),
            O::I8x16Popcnt => self.vunop(I8X16, |s, a| s.b.ins().popcnt(a)),
            O::I8x16Add => self.vbinop(I8X16, |s, a, b| s.b.ins().iadd(a, b)),
            O::I16x8Add => self.vbinop(I16X8, |s, a, b| s.b.ins().iadd(a, b)),
            O::I32x4Add => self.vbinop(I32X4, |s, a, b| s.b.ins().iadd(a, b)),
            O::I64x2Add => self.vbinop(I64X2, |s, a, b| s.b.ins().iadd(a, b)),
            O::I8x16Sub => self.vbinop(I8X16, |s, a, b| s.b.ins().isub(a, b)),
            O::I16x8Sub => self.vbinop(I16X8, |s, a, b| s.b.ins().isub(a, b)),
            O::I32x4Sub => self.vbinop(I32X4, |s, a, b| s.b.ins().isub(a, b)),
            O::I64x2Sub => self.vbinop(I64X2, |s, a, b| s.b.ins().isub(a, b)),
            O::I16x8Mul => self.vbinop(I16X8, |s, a, b| s.b.ins().imul(a, b)),
            O::I32x4Mul => self.vbinop(I32X4, |s, a, b| s.b.ins().imul(a, b)),
            O::I64x2Mul => self.vbinop(I64X2, |s, a, b| s.b.ins().imul(a, b)),
            O::I8x16AddSatS => self.vbinop(I8X16, |s, a, b| s.b.ins().sadd_sat(a, b)),
            O::I8x16AddSatU => self.vbinop(I8X16, |s, a, b| s.b.ins().uadd_sat(a, b)),
            O::I8x16SubSatS => self.vbinop(I8X16, |s, a, b| s.b.ins().ssub_sat(a, b)),
            O::I8x16SubSatU => self.vbinop(I8X16, |s, a, b| s.b.ins().usub_sat(a, b)),
            O::I16x8AddSatS => self.vbinop(I16X8, |s, a, b| s.b.ins().sadd_sat(a, b)),
            O::I16x8AddSatU => self.vbinop(I16X8, |s, a, b| s.b.ins().uadd_sat(a, b)),
            O::I16x8SubSatS => self.vbinop(I16X8, |s, a, b| s.b.ins().ssub_sat(a, b)),
            O::I16x8SubSatU => self.vbinop(I16X8, |s, a, b| s.b.ins().usub_sat(a, b)),
            O::I8x16MinS => self.vbinop(I8X16, |s, a, b| s.b.ins().smin(a, b)),
            O::I8x16MinU => self.vbinop(I8X16, |s, a, b| s.b.ins().umin(a, b)),
            O::I8x16MaxS => self.vbinop(I8X16, |s, a, b| s.b.ins().smax(a, b)),
            O::I8x16MaxU => self.vbinop(I8X16, |s, a, b| s.b.ins().umax(a, b)),
            O::I16x8MinS => self.vbinop(I16X8, |s, a, b| s.b.ins().smin(a, b)),
            O::I16x8MinU => self.vbinop(I16X8, |s, a, b| s.b.ins().umin(a, b)),
            O::I16x8MaxS => self.vbinop(I16X8, |s, a, b| s.b.ins().smax(a, b)),
            O::I16x8MaxU => self.vbinop(I16X8, |s, a, b| s.b.ins().umax(a, b)),
            O::I32x4MinS => self.vbinop(I32X4, |s, a, b| s.b.ins().smin(a, b)),
            O::I32x4MinU => self.vbinop(I32X4, |s, a, b| s.b.ins().umin(a, b)),
            O::I32x4MaxS => self.vbinop(I32X4, |s, a, b| s.b.ins().smax(a, b)),
            O::I32x4MaxU => self.vbinop(I32X4, |s, a, b| s.b.ins().umax(a, b)),
            O::I8x16AvgrU => self.vbinop(I8X16, |s, a, b| s.b.ins().avg_round(a, b)),
            O::I16x8AvgrU => self.vbinop(I16X8, |s, a, b| s.b.ins().avg_round(a, b)),
            O::I16x8Q15MulrSatS => self.vbinop(I16X8, |s, a, b| s.b.ins().sqmul_round_sat(a, b)),

            O::I8x16Shl => self.vshift(I8X16, |s, a, n| s.b.ins().ishl(a, n)),
            O::I8x16ShrS => self.vshift(I8X16, |s, a, n| s.b.ins().sshr(a, n)),
            O::I8x16ShrU => self.vshift(I8X16, |s, a, n| s.b.ins().ushr(a, n)),
            O::I16x8Shl => self.vshift(I16X8, |s, a, n| s.b.ins().ishl(a, n)),
            O::I16x8ShrS => self.vshift(I16X8, |s, a, n| s.b.ins().sshr(a, n)),
            O::I16x8ShrU => self.vshift(I16X8, |s, a, n| s.b.ins().ushr(a, n)),
            O::I32x4Shl => self.vshift(I32X4, |s, a, n| s.b.ins().ishl(a, n)),
            O::I32x4ShrS => self.vshift(I32X4, |s, a, n| s.b.ins().sshr(a, n)),
            O::I32x4ShrU => self.vshift(I32X4, |s, a, n| s.b.ins().ushr(a, n)),
            O::I64x2Shl => self.vshift(I64X2, |s, a, n| s.b.ins().ishl(a, n)),
            O::I64x2ShrS => self.vshift(I64X2, |s, a, n| s.b.ins().sshr(a, n)),
            O::I64x2ShrU => self.vshift(I64X2, |s, a, n| s.b.ins().ushr(a, n)),

            O::I8x16NarrowI16x8S => self.vbinop(I16X8, |s, a, b| s.b.ins().snarrow(a, b)),
            O::I8x16NarrowI16x8U => self.vbinop(I16X8, |s, a, b| s.b.ins().unarrow(a, b)),
            O::I16x8NarrowI32x4S => self.vbinop(I32X4, |s, a, b| s.b.ins().snarrow(a, b)),
            O::I16x8NarrowI32x4U => self.vbinop(I32X4, |s, a, b| s.b.ins().unarrow(a, b)),
            O::I16x8ExtendLowI8x16S => self.widen(I8X16, false, true),
            O::I16x8ExtendHighI8x16S => self.widen(I8X16, true, true),
            O::I16x8ExtendLowI8x16U => self.widen(I8X16, false, false),
            O::I16x8ExtendHighI8x16U => self.widen(I8X16, true, false),
            O::I32x4ExtendLowI16x8S => self.widen(I16X8, false, true),
            O::I32x4ExtendHighI16x8S => self.widen(I16X8, true, true),
            O::I32x4ExtendLowI16x8U => self.widen(I16X8, false, false),
            O::I32x4ExtendHighI16x8U => self.widen(I16X8, true, false),
            O::I64x2ExtendLowI32x4S => self.widen(I32X4, false, true),
            O::I64x2ExtendHighI32x4S => self.widen(I32X4, true, true),
            O::I64x2ExtendLowI32x4U => self.widen(I32X4, false, false),
            O::I64x2ExtendHighI32x4U => self.widen(I32X4, true, false),
            O::I16x8ExtMulLowI8x16S => self.extmul(I8X16, false, true),
            O::I16x8ExtMulHighI8x16S => self.extmul(I8X16, true, true),
            O::I16x8ExtMulLowI8x16U => self.extmul(I8X16, false, false),
            O::I16x8ExtMulHighI8x16U => self.extmul(I8X16, true, false),
            O::I32x4ExtMulLowI16x8S => self.extmul(I16X8, false, true),
            O::I32x4ExtMulHighI16x8S => self.extmul(I16X8, true, true),
            O::I32x4ExtMulLowI16x8U => self.extmul(I16X8, false, false),
            O::I32x4ExtMulHighI16x8U => self.extmul(I16X8, true, false),
            O::I64x2ExtMulLowI32x4S => self.extmul(I32X4, false, true),
            O::I64x2ExtMulHighI32x4S => self.extmul(I32X4, true, true),
            O::I64x2ExtMulLowI32x4U => self.extmul(I32X4, false, false),
            O::I64x2ExtMulHighI32x4U => self.extmul(I32X4, true, false),
            O::I16x8ExtAddPairwiseI8x16S => self.extadd_pairwise(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.extadd_pairwise(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.extadd_pairwise(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.extadd_pairwise(I16X8, false),
            O::I32x4DotI16x8S => {
                let b = self.popv(I16X8);
                let a = self.popv(I16X8);
                let (al, bl) = (self.b.ins().swiden_low(a), self.b.ins().swiden_low(b));
                let (ah, bh) = (self.b.ins().swiden_high(a), self.b.ins().swiden_high(b));
                let lo = self.b.ins().imul(al, bl);
                let hi = self.b.ins().imul(ah, bh);
                let r = self.b.ins().iadd_pairwise(lo, hi);
                self.pushv(r);
            }

            O::F32x4Abs => self.vunop(F32X4, |s, a| s.b.ins().fabs(a)),
            O::F64x2Abs => self.vunop(F64X2, |s, a| s.b.ins().fabs(a)),
            O::F32x4Neg => self.vunop(F32X4, |s, a| s.b.ins().fneg(a)),
            O::F64x2Neg => self.vunop(F64X2, |s, a| s.b.ins().fneg(a)),
            O::F32x4Sqrt => self.vunop(F32X4, |s, a| s.b.ins().sqrt(a)),
            O::F64x2Sqrt => self.vunop(F64X2, |s, a| s.b.ins().sqrt(a)),
            O::F32x4Ceil => self.vunop(F32X4, |s, a| s.b.ins().ceil(a)),
            O::F64x2Ceil => self.vunop(F64X2, |s, a| s.b.ins().ceil(a)),
            O::F32x4Floor => self.vunop(F32X4, |s, a| s.b.ins().floor(a)),
            O::F64x2Floor => self.vunop(F64X2, |s, a| s.b.ins().floor(a)),
            O::F32x4Trunc => self.vunop(F32X4, |s, a| s.b.ins().trunc(a)),
            O::F64x2Trunc => self.vunop(F64X2, |s, a| s.b.ins().trunc(a)),
            O::F32x4Nearest => self.vunop(F32X4, |s, a| s.b.ins().nearest(a)),
            O::F64x2Nearest => self.vunop(F64X2, |s, a| s.b.ins().nearest(a)),
            O::F32x4Add => self.vbinop(F32X4, |s, a, b| s.b.ins().fadd(a, b)),
            O::F64x2Add => self.vbinop(F64X2, |s, a, b| s.b.ins().fadd(a, b)),
            O::F32x4Sub => self.vbinop(F32X4, |s, a, b| s.b.ins().fsub(a, b)),
            O::F64x2Sub => self.vbinop(F64X2, |s, a, b| s.b.ins().fsub(a, b)),
            O::F32x4Mul => self.vbinop(F32X4, |s, a, b| s.b.ins().fmul(a, b)),
            O::F64x2Mul => self.vbinop(F64X2, |s, a, b| s.b.ins().fmul(a, b)),
            O::F32x4Div => self.vbinop(F32X4, |s, a, b| s.b.ins().fdiv(a, b)),
            O::F64x2Div => self.vbinop(F64X2, |s, a, b| s.b.ins().fdiv(a, b)),
            O::F32x4Min => self.vbinop(F32X4, |s, a, b| s.b.ins().fmin(a, b)),
            O::F64x2Min => self.vbinop(F64X2, |s, a, b| s.b.ins().fmin(a, b)),
            O::F32x4Max => self.vbinop(F32X4, |s, a, b| s.b.ins().fmax(a, b)),
            O::F64x2Max => self.vbinop(F64X2, |s, a, b| s.b.ins().fmax(a, b)),
            O::F32x4PMin => self.pminmax(F32X4, false),
            O::F32x4PMax => self.pminmax(F32X4, true),
            O::F64x2PMin => self.pminmax(F64X2, false),
            O::F64x2PMax => self.pminmax(F64X2, true),

            O::F32x4ConvertI32x4S => self.vunop(I32X4, |s, a| s.b.ins().fcvt_from_sint(F32X4, a)),
            O::F32x4ConvertI32x4U => self.vunop(I32X4, |s, a| s.b.ins().fcvt_from_uint(F32X4, a)),
            O::I32x4TruncSatF32x4S => {
                self.vunop(F32X4, |s, a| s.b.ins().fcvt_to_sint_sat(I32X4, a))
            }
            O::I32x4TruncSatF32x4U => {
                self.vunop(F32X4, |s, a| s.b.ins().fcvt_to_uint_sat(I32X4, a))
            }
            O::F64x2ConvertLowI32x4S => self.vunop(I32X4, |s, a| {
                let w = s.b.ins().swiden_low(a);
                s.b.ins().fcvt_from_sint(F64X2, w)
            }),
            O::F64x2ConvertLowI32x4U => self.vunop(I32X4, |s, a| {
                let w = s.b.ins().uwiden_low(a);
                s.b.ins().fcvt_from_uint(F64X2, w)
            }),
            // Lane by lane: x64 Cranelift only lowers `snarrow.i64x2` in one
            // pattern, and the scalar saturating conversions have wasm semantics.
            O::I32x4TruncSatF64x2SZero | O::I32x4TruncSatF64x2UZero => {
                let signed = matches!(op, O::I32x4TruncSatF64x2SZero);
                let a = self.popv(F64X2);
                let z = self.zero(I32X4);
                let mut r = z;
                for lane in 0..2u8 {
                    let x = self.b.ins().extractlane(a, lane);
                    let i = if signed {
                        self.b.ins().fcvt_to_sint_sat(types::I32, x)
                    } else {
                        self.b.ins().fcvt_to_uint_sat(types::I32, x)
                    };
                    r = self.b.ins().insertlane(r, i, lane);
                }
                self.pushv(r);
            }
            O::F32x4DemoteF64x2Zero => self.vunop(F64X2, |s, a| s.b.ins().fvdemote(a)),
            O::F64x2PromoteLowF32x4 => self.vunop(F32X4, |s, a| s.b.ins().fvpromote_low(a)),
            other => return Err(unsupported(&format!("{other:?}"))),
        }
        Ok(())
    }
}
