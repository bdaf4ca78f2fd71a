//! Values that cross the engine boundary (arguments, results, globals,
//! inspected locals). Inside the interpreter values are untyped 64-bit slots;
//! a `v128` takes two slots (low half first).

use std::fmt;

pub use wasmparser::{RefType, ValType};

/// A reference to a function in the store (its index in `Store::funcs`).
pub type FuncAddr = u32;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    I32(i32),
    I64(i64),
    /// Stored as bits so NaN payloads survive (the spec tests check them).
    F32(u32),
    F64(u64),
    V128(u128),
    FuncRef(Option<FuncAddr>),
    /// Host-provided opaque reference (the spec harness's `ref.extern N`).
    ExternRef(Option<u32>),
}

impl Value {
    pub fn ty(&self) -> ValType {
        match self {
            Value::I32(_) => ValType::I32,
            Value::I64(_) => ValType::I64,
            Value::F32(_) => ValType::F32,
            Value::F64(_) => ValType::F64,
            Value::V128(_) => ValType::V128,
            Value::FuncRef(_) => ValType::FUNCREF,
            Value::ExternRef(_) => ValType::EXTERNREF,
        }
    }

    /// The zero / null value of a type (locals' and globals' default).
    pub fn default_for(ty: ValType) -> Value {
        match ty {
            ValType::I32 => Value::I32(0),
            ValType::I64 => Value::I64(0),
            ValType::F32 => Value::F32(0),
            ValType::F64 => Value::F64(0),
            ValType::V128 => Value::V128(0),
            ValType::Ref(r) if r.is_func_ref() => Value::FuncRef(None),
            ValType::Ref(_) => Value::ExternRef(None),
        }
    }

    /// Number of 64-bit interpreter slots a value of `ty` takes.
    pub fn slots(ty: ValType) -> usize {
        if ty == ValType::V128 { 2 } else { 1 }
    }

    /// Encode into untyped slots (`out.len() == Value::slots(self.ty())`).
    /// References: 0 is null, otherwise index + 1.
    pub fn to_slots(&self, out: &mut [u64]) {
        match *self {
            Value::I32(v) => out[0] = v as u32 as u64,
            Value::I64(v) => out[0] = v as u64,
            Value::F32(v) => out[0] = v as u64,
            Value::F64(v) => out[0] = v,
            Value::V128(v) => {
                out[0] = v as u64;
                out[1] = (v >> 64) as u64;
            }
            Value::FuncRef(r) => out[0] = r.map_or(0, |a| a as u64 + 1),
            Value::ExternRef(r) => out[0] = r.map_or(0, |a| a as u64 + 1),
        }
    }

    /// Decode from untyped slots, the inverse of [`Value::to_slots`].
    pub fn from_slots(ty: ValType, slots: &[u64]) -> Value {
        match ty {
            ValType::I32 => Value::I32(slots[0] as u32 as i32),
            ValType::I64 => Value::I64(slots[0] as i64),
            ValType::F32 => Value::F32(slots[0] as u32),
            ValType::F64 => Value::F64(slots[0]),
            ValType::V128 => Value::V128(slots[0] as u128 | ((slots[1] as u128) << 64)),
            ValType::Ref(r) => {
                let idx = if slots[0] == 0 {
                    None
                } else {
                    Some((slots[0] - 1) as u32)
                };
                if r.is_func_ref() {
                    Value::FuncRef(idx)
                } else {
                    Value::ExternRef(idx)
                }
            }
        }
    }

    pub fn as_i32(&self) -> Option<i32> {
        if let Value::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        if let Value::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }
}

/// Prints the way users and `wasmtime --invoke` expect: integers in decimal,
/// floats as numbers (`nan`, `inf`), v128 as hex, null refs as `null`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::I32(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F32(b) => fmt_float(f, f32::from_bits(b) as f64, f32::from_bits(b).is_nan()),
            Value::F64(b) => fmt_float(f, f64::from_bits(b), f64::from_bits(b).is_nan()),
            Value::V128(v) => write!(f, "{v:#034x}"),
            Value::FuncRef(None) | Value::ExternRef(None) => write!(f, "null"),
            Value::FuncRef(Some(a)) => write!(f, "func:{a}"),
            Value::ExternRef(Some(a)) => write!(f, "extern:{a}"),
        }
    }
}

fn fmt_float(f: &mut fmt::Formatter<'_>, v: f64, nan: bool) -> fmt::Result {
    if nan {
        write!(f, "nan")
    } else if v.is_infinite() {
        write!(f, "{}", if v > 0.0 { "inf" } else { "-inf" })
    } else {
        write!(f, "{v}")
    }
}

/// Short lower-case name of a value type as the text format spells it.
pub fn valtype_name(ty: ValType) -> &'static str {
    match ty {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::Ref(r) if r.is_func_ref() => "funcref",
        ValType::Ref(_) => "externref",
    }
}
