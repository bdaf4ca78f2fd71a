//! Fixed-width SIMD operators as the interpreter's IR holds them: [`SimdOp`]
//! (one Wasm 2.0 `0xFD` operator with its immediates, at most 8 bytes so it
//! fits a 16-byte [`Op`](super::Op)), made by the translator with
//! [`SimdOp::from_operator`] and run by `interp/simd.rs` (whose module
//! documentation states the contract).

/// Declares the op enum and its `from_operator` mapping from one list, so the
/// two cannot drift apart. Variant names are wasmparser's.
macro_rules! simd_ops {
    (
        mem { $($mem:ident),* $(,)? }
        mem_lane { $($mem_lane:ident),* $(,)? }
        lane { $($lane:ident),* $(,)? }
        plain { $($plain:ident),* $(,)? }
    ) => {
        /// One Wasm 2.0 SIMD operator with its immediates (memarg offset,
        /// lane index). `v128.const` and `i8x16.shuffle` are not here: see
        /// the module documentation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SimdOp {
            $($mem { offset: u32 },)*
            $($mem_lane { offset: u32, lane: u8 },)*
            $($lane { lane: u8 },)*
            $($plain,)*
        }

        impl SimdOp {
            /// The SIMD op for a wasmparser operator; `None` for non-SIMD
            /// operators and for `v128.const` / `i8x16.shuffle`.
            pub fn from_operator(op: &wasmparser::Operator<'_>) -> Option<SimdOp> {
                use wasmparser::Operator as O;
                Some(match *op {
                    $(O::$mem { memarg } => SimdOp::$mem {
                        offset: u32::try_from(memarg.offset).ok()?,
                    },)*
                    $(O::$mem_lane { memarg, lane } => SimdOp::$mem_lane {
                        offset: u32::try_from(memarg.offset).ok()?,
                        lane,
                    },)*
                    $(O::$lane { lane } => SimdOp::$lane { lane },)*
                    $(O::$plain => SimdOp::$plain,)*
                    _ => return SimdOp::relaxed_alias(op),
                })
            }
        }
    };
}

simd_ops! {
    mem {
        V128Load, V128Load8x8S, V128Load8x8U, V128Load16x4S, V128Load16x4U,
        V128Load32x2S, V128Load32x2U, V128Load8Splat, V128Load16Splat,
        V128Load32Splat, V128Load64Splat, V128Load32Zero, V128Load64Zero,
        V128Store,
    }
    mem_lane {
        V128Load8Lane, V128Load16Lane, V128Load32Lane, V128Load64Lane,
        V128Store8Lane, V128Store16Lane, V128Store32Lane, V128Store64Lane,
    }
    lane {
        I8x16ExtractLaneS, I8x16ExtractLaneU, I8x16ReplaceLane,
        I16x8ExtractLaneS, I16x8ExtractLaneU, I16x8ReplaceLane,
        I32x4ExtractLane, I32x4ReplaceLane, I64x2ExtractLane, I64x2ReplaceLane,
        F32x4ExtractLane, F32x4ReplaceLane, F64x2ExtractLane, F64x2ReplaceLane,
    }
    plain {
        I8x16Swizzle,
        I8x16Splat, I16x8Splat, I32x4Splat, I64x2Splat, F32x4Splat, F64x2Splat,
        I8x16Eq, I8x16Ne, I8x16LtS, I8x16LtU, I8x16GtS, I8x16GtU,
        I8x16LeS, I8x16LeU, I8x16GeS, I8x16GeU,
        I16x8Eq, I16x8Ne, I16x8LtS, I16x8LtU, I16x8GtS, I16x8GtU,
        I16x8LeS, I16x8LeU, I16x8GeS, I16x8GeU,
        I32x4Eq, I32x4Ne, I32x4LtS, I32x4LtU, I32x4GtS, I32x4GtU,
        I32x4LeS, I32x4LeU, I32x4GeS, I32x4GeU,
        I64x2Eq, I64x2Ne, I64x2LtS, I64x2GtS, I64x2LeS, I64x2GeS,
        F32x4Eq, F32x4Ne, F32x4Lt, F32x4Gt, F32x4Le, F32x4Ge,
        F64x2Eq, F64x2Ne, F64x2Lt, F64x2Gt, F64x2Le, F64x2Ge,
        V128Not, V128And, V128AndNot, V128Or, V128Xor, V128Bitselect, V128AnyTrue,
        I8x16Abs, I8x16Neg, I8x16Popcnt, I8x16AllTrue, I8x16Bitmask,
        I8x16NarrowI16x8S, I8x16NarrowI16x8U,
        I8x16Shl, I8x16ShrS, I8x16ShrU,
        I8x16Add, I8x16AddSatS, I8x16AddSatU, I8x16Sub, I8x16SubSatS, I8x16SubSatU,
        I8x16MinS, I8x16MinU, I8x16MaxS, I8x16MaxU, I8x16AvgrU,
        I16x8ExtAddPairwiseI8x16S, I16x8ExtAddPairwiseI8x16U,
        I16x8Abs, I16x8Neg, I16x8Q15MulrSatS, I16x8AllTrue, I16x8Bitmask,
        I16x8NarrowI32x4S, I16x8NarrowI32x4U,
        I16x8ExtendLowI8x16S, I16x8ExtendHighI8x16S,
        I16x8ExtendLowI8x16U, I16x8ExtendHighI8x16U,
        I16x8Shl, I16x8ShrS, I16x8ShrU,
        I16x8Add, I16x8AddSatS, I16x8AddSatU, I16x8Sub, I16x8SubSatS, I16x8SubSatU,
        I16x8Mul, I16x8MinS, I16x8MinU, I16x8MaxS, I16x8MaxU, I16x8AvgrU,
        I16x8ExtMulLowI8x16S, I16x8ExtMulHighI8x16S,
        I16x8ExtMulLowI8x16U, I16x8ExtMulHighI8x16U,
        I32x4ExtAddPairwiseI16x8S, I32x4ExtAddPairwiseI16x8U,
        I32x4Abs, I32x4Neg, I32x4AllTrue, I32x4Bitmask,
        I32x4ExtendLowI16x8S, I32x4ExtendHighI16x8S,
        I32x4ExtendLowI16x8U, I32x4ExtendHighI16x8U,
        I32x4Shl, I32x4ShrS, I32x4ShrU,
        I32x4Add, I32x4Sub, I32x4Mul,
        I32x4MinS, I32x4MinU, I32x4MaxS, I32x4MaxU, I32x4DotI16x8S,
        I32x4ExtMulLowI16x8S, I32x4ExtMulHighI16x8S,
        I32x4ExtMulLowI16x8U, I32x4ExtMulHighI16x8U,
        I64x2Abs, I64x2Neg, I64x2AllTrue, I64x2Bitmask,
        I64x2ExtendLowI32x4S, I64x2ExtendHighI32x4S,
        I64x2ExtendLowI32x4U, I64x2ExtendHighI32x4U,
        I64x2Shl, I64x2ShrS, I64x2ShrU,
        I64x2Add, I64x2Sub, I64x2Mul,
        I64x2ExtMulLowI32x4S, I64x2ExtMulHighI32x4S,
        I64x2ExtMulLowI32x4U, I64x2ExtMulHighI32x4U,
        F32x4Ceil, F32x4Floor, F32x4Trunc, F32x4Nearest,
        F32x4Abs, F32x4Neg, F32x4Sqrt,
        F32x4Add, F32x4Sub, F32x4Mul, F32x4Div,
        F32x4Min, F32x4Max, F32x4PMin, F32x4PMax,
        F64x2Ceil, F64x2Floor, F64x2Trunc, F64x2Nearest,
        F64x2Abs, F64x2Neg, F64x2Sqrt,
        F64x2Add, F64x2Sub, F64x2Mul, F64x2Div,
        F64x2Min, F64x2Max, F64x2PMin, F64x2PMax,
        I32x4TruncSatF32x4S, I32x4TruncSatF32x4U,
        F32x4ConvertI32x4S, F32x4ConvertI32x4U,
        I32x4TruncSatF64x2SZero, I32x4TruncSatF64x2UZero,
        F64x2ConvertLowI32x4S, F64x2ConvertLowI32x4U,
        F32x4DemoteF64x2Zero, F64x2PromoteLowF32x4,
        F32x4RelaxedMadd, F32x4RelaxedNmadd, F64x2RelaxedMadd, F64x2RelaxedNmadd,
        I16x8RelaxedDotI8x16I7x16S, I32x4RelaxedDotI8x16I7x16AddS,
    }
}

impl SimdOp {
    /// Relaxed SIMD (Wasm 3.0) with one deterministic behaviour, the same in
    /// every engine: wasmtime's `relaxed_simd_deterministic` semantics (see
    /// ARCHITECTURE.md). The relaxed ops that equal a Wasm 2.0 op there are
    /// that op; the others are ops of their own above.
    fn relaxed_alias(op: &wasmparser::Operator<'_>) -> Option<SimdOp> {
        use wasmparser::Operator as O;
        Some(match op {
            O::I8x16RelaxedSwizzle => SimdOp::I8x16Swizzle,
            O::I32x4RelaxedTruncF32x4S => SimdOp::I32x4TruncSatF32x4S,
            O::I32x4RelaxedTruncF32x4U => SimdOp::I32x4TruncSatF32x4U,
            O::I32x4RelaxedTruncF64x2SZero => SimdOp::I32x4TruncSatF64x2SZero,
            O::I32x4RelaxedTruncF64x2UZero => SimdOp::I32x4TruncSatF64x2UZero,
            O::I8x16RelaxedLaneselect
            | O::I16x8RelaxedLaneselect
            | O::I32x4RelaxedLaneselect
            | O::I64x2RelaxedLaneselect => SimdOp::V128Bitselect,
            O::F32x4RelaxedMin => SimdOp::F32x4Min,
            O::F32x4RelaxedMax => SimdOp::F32x4Max,
            O::F64x2RelaxedMin => SimdOp::F64x2Min,
            O::F64x2RelaxedMax => SimdOp::F64x2Max,
            O::I16x8RelaxedQ15mulrS => SimdOp::I16x8Q15MulrSatS,
            _ => return None,
        })
    }
}

/// Operand and result shapes, in slots, shared by `stack_slots` and `exec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// i32 address -> v128.
    Load,
    /// i32 address, v128 -> (nothing).
    Store,
    /// i32 address, v128 -> v128.
    LoadLane,
    /// v128 -> scalar.
    Extract,
    /// v128, scalar -> v128.
    Replace,
    /// scalar -> v128.
    Splat,
    /// v128 -> v128.
    Unary,
    /// v128, v128 -> v128.
    Binary,
    /// v128, v128, v128 -> v128.
    Ternary,
    /// v128 -> i32.
    Test,
    /// v128, i32 -> v128.
    Shift,
}

impl SimdOp {
    pub(crate) fn shape(self) -> Shape {
        use SimdOp::*;
        match self {
            V128Load { .. }
            | V128Load8x8S { .. }
            | V128Load8x8U { .. }
            | V128Load16x4S { .. }
            | V128Load16x4U { .. }
            | V128Load32x2S { .. }
            | V128Load32x2U { .. }
            | V128Load8Splat { .. }
            | V128Load16Splat { .. }
            | V128Load32Splat { .. }
            | V128Load64Splat { .. }
            | V128Load32Zero { .. }
            | V128Load64Zero { .. } => Shape::Load,
            V128Store { .. }
            | V128Store8Lane { .. }
            | V128Store16Lane { .. }
            | V128Store32Lane { .. }
            | V128Store64Lane { .. } => Shape::Store,
            V128Load8Lane { .. }
            | V128Load16Lane { .. }
            | V128Load32Lane { .. }
            | V128Load64Lane { .. } => Shape::LoadLane,
            I8x16ExtractLaneS { .. }
            | I8x16ExtractLaneU { .. }
            | I16x8ExtractLaneS { .. }
            | I16x8ExtractLaneU { .. }
            | I32x4ExtractLane { .. }
            | I64x2ExtractLane { .. }
            | F32x4ExtractLane { .. }
            | F64x2ExtractLane { .. } => Shape::Extract,
            I8x16ReplaceLane { .. }
            | I16x8ReplaceLane { .. }
            | I32x4ReplaceLane { .. }
            | I64x2ReplaceLane { .. }
            | F32x4ReplaceLane { .. }
            | F64x2ReplaceLane { .. } => Shape::Replace,
            I8x16Splat | I16x8Splat | I32x4Splat | I64x2Splat | F32x4Splat | F64x2Splat => {
                Shape::Splat
            }
            V128Bitselect
            | F32x4RelaxedMadd
            | F32x4RelaxedNmadd
            | F64x2RelaxedMadd
            | F64x2RelaxedNmadd
            | I32x4RelaxedDotI8x16I7x16AddS => Shape::Ternary,
            V128AnyTrue | I8x16AllTrue | I8x16Bitmask | I16x8AllTrue | I16x8Bitmask
            | I32x4AllTrue | I32x4Bitmask | I64x2AllTrue | I64x2Bitmask => Shape::Test,
            I8x16Shl | I8x16ShrS | I8x16ShrU | I16x8Shl | I16x8ShrS | I16x8ShrU | I32x4Shl
            | I32x4ShrS | I32x4ShrU | I64x2Shl | I64x2ShrS | I64x2ShrU => Shape::Shift,
            V128Not
            | I8x16Abs
            | I8x16Neg
            | I8x16Popcnt
            | I16x8ExtAddPairwiseI8x16S
            | I16x8ExtAddPairwiseI8x16U
            | I16x8Abs
            | I16x8Neg
            | I16x8ExtendLowI8x16S
            | I16x8ExtendHighI8x16S
            | I16x8ExtendLowI8x16U
            | I16x8ExtendHighI8x16U
            | I32x4ExtAddPairwiseI16x8S
            | I32x4ExtAddPairwiseI16x8U
            | I32x4Abs
            | I32x4Neg
            | I32x4ExtendLowI16x8S
            | I32x4ExtendHighI16x8S
            | I32x4ExtendLowI16x8U
            | I32x4ExtendHighI16x8U
            | I64x2Abs
            | I64x2Neg
            | I64x2ExtendLowI32x4S
            | I64x2ExtendHighI32x4S
            | I64x2ExtendLowI32x4U
            | I64x2ExtendHighI32x4U
            | F32x4Ceil
            | F32x4Floor
            | F32x4Trunc
            | F32x4Nearest
            | F32x4Abs
            | F32x4Neg
            | F32x4Sqrt
            | F64x2Ceil
            | F64x2Floor
            | F64x2Trunc
            | F64x2Nearest
            | F64x2Abs
            | F64x2Neg
            | F64x2Sqrt
            | I32x4TruncSatF32x4S
            | I32x4TruncSatF32x4U
            | F32x4ConvertI32x4S
            | F32x4ConvertI32x4U
            | I32x4TruncSatF64x2SZero
            | I32x4TruncSatF64x2UZero
            | F64x2ConvertLowI32x4S
            | F64x2ConvertLowI32x4U
            | F32x4DemoteF64x2Zero
            | F64x2PromoteLowF32x4 => Shape::Unary,
            _ => Shape::Binary,
        }
    }

    /// A memory op's access: (static offset, bytes, write); its address is
    /// the deepest operand (`stack_slots().0` slots down).
    pub fn mem_access(self) -> Option<(u32, u32, bool)> {
        use SimdOp::*;
        Some(match self {
            V128Load { offset } => (offset, 16, false),
            V128Load8x8S { offset }
            | V128Load8x8U { offset }
            | V128Load16x4S { offset }
            | V128Load16x4U { offset }
            | V128Load32x2S { offset }
            | V128Load32x2U { offset }
            | V128Load64Splat { offset }
            | V128Load64Zero { offset } => (offset, 8, false),
            V128Load8Splat { offset } => (offset, 1, false),
            V128Load16Splat { offset } => (offset, 2, false),
            V128Load32Splat { offset } | V128Load32Zero { offset } => (offset, 4, false),
            V128Store { offset } => (offset, 16, true),
            V128Load8Lane { offset, .. } => (offset, 1, false),
            V128Load16Lane { offset, .. } => (offset, 2, false),
            V128Load32Lane { offset, .. } => (offset, 4, false),
            V128Load64Lane { offset, .. } => (offset, 8, false),
            V128Store8Lane { offset, .. } => (offset, 1, true),
            V128Store16Lane { offset, .. } => (offset, 2, true),
            V128Store32Lane { offset, .. } => (offset, 4, true),
            V128Store64Lane { offset, .. } => (offset, 8, true),
            _ => return None,
        })
    }

    /// Slots popped and pushed by [`exec`] for this op (a `v128` is two
    /// slots), for the translator's stack-height bookkeeping.
    pub fn stack_slots(self) -> (usize, usize) {
        match self.shape() {
            Shape::Load => (1, 2),
            Shape::Store => (3, 0),
            Shape::LoadLane => (3, 2),
            Shape::Extract => (2, 1),
            Shape::Replace => (3, 2),
            Shape::Splat => (1, 2),
            Shape::Unary => (2, 2),
            Shape::Binary => (4, 2),
            Shape::Ternary => (6, 2),
            Shape::Test => (2, 1),
            Shape::Shift => (3, 2),
        }
    }
}
