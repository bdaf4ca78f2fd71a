//! Placeholder until the SIMD helper's `simd.rs` is merged: no SIMD op is
//! recognised, so SIMD code fails to translate with a clear error.

use crate::trap::TrapCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimdOp {}

impl SimdOp {
    pub fn from_operator(_op: &wasmparser::Operator<'_>) -> Option<SimdOp> {
        None
    }
}

pub fn exec(
    op: SimdOp,
    _stack: &mut [u64],
    _sp: usize,
    _mem: &mut [u8],
) -> Result<usize, TrapCode> {
    match op {}
}
