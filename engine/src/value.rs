//! Values that cross the engine boundary (arguments, results, globals,
//! inspected locals). Inside the interpreter values are untyped 64-bit slots;
//! a `v128` takes two slots (low half first).

use std::fmt;

pub use wasmparser::{RefType, ValType};

use wasmparser::{AbstractHeapType, HeapType};

/// A reference to a function in the store (its index in `Store::funcs`).
pub type FuncAddr = u32;

/// The hierarchy a reference type belongs to: it decides the [`Value`]
/// variant a reference of that type becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefClass {
    Func,
    Extern,
    Exn,
    /// `any`, `eq`, `i31`, `struct`, `array`, `none` (GC).
    Any,
}

/// The class of a reference type. A concrete type index counts as a function
/// reference here (without the module, its struct or array types cannot be
/// told apart: [`crate::module::Module::ref_class`] can).
pub fn ref_class(r: RefType) -> RefClass {
    match r.heap_type() {
        HeapType::Abstract { ty, .. } => match ty {
            AbstractHeapType::Func | AbstractHeapType::NoFunc => RefClass::Func,
            AbstractHeapType::Extern | AbstractHeapType::NoExtern => RefClass::Extern,
            AbstractHeapType::Exn | AbstractHeapType::NoExn => RefClass::Exn,
            _ => RefClass::Any,
        },
        HeapType::Concrete(_) | HeapType::Exact(_) => RefClass::Func,
    }
}

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
    /// An exception (Wasm 3.0 `exnref`): its address in the store's
    /// exceptions ([`crate::runtime::Store::exception`]).
    ExnRef(Option<u32>),
    /// A GC reference of the `any` hierarchy (`anyref`, `eqref`, `i31ref`,
    /// struct and array references): the engine's encoding of it, never 0.
    AnyRef(Option<u64>),
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
            Value::ExnRef(_) => ValType::EXNREF,
            Value::AnyRef(_) => ValType::Ref(RefType::ANYREF),
        }
    }

    /// Whether this value may be given where a `ty` is expected: the same
    /// number type, or a reference of the same hierarchy (nullability and
    /// concrete types are checked by validation, not here).
    pub fn fits(&self, ty: ValType) -> bool {
        match (self, ty) {
            (Value::FuncRef(_), ValType::Ref(r)) => ref_class(r) == RefClass::Func,
            (Value::ExternRef(_), ValType::Ref(r)) => ref_class(r) == RefClass::Extern,
            (Value::ExnRef(_), ValType::Ref(r)) => ref_class(r) == RefClass::Exn,
            (Value::AnyRef(_), ValType::Ref(r)) => ref_class(r) == RefClass::Any,
            (v, t) => v.ty() == t,
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
            ValType::Ref(r) => match ref_class(r) {
                RefClass::Func => Value::FuncRef(None),
                RefClass::Extern => Value::ExternRef(None),
                RefClass::Exn => Value::ExnRef(None),
                RefClass::Any => Value::AnyRef(None),
            },
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
            Value::FuncRef(r) | Value::ExternRef(r) | Value::ExnRef(r) => {
                out[0] = r.map_or(0, |a| a as u64 + 1)
            }
            Value::AnyRef(r) => out[0] = r.unwrap_or(0),
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
                match ref_class(r) {
                    RefClass::Func => Value::FuncRef(idx),
                    RefClass::Extern => Value::ExternRef(idx),
                    RefClass::Exn => Value::ExnRef(idx),
                    RefClass::Any => Value::AnyRef((slots[0] != 0).then_some(slots[0])),
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
            Value::FuncRef(None)
            | Value::ExternRef(None)
            | Value::ExnRef(None)
            | Value::AnyRef(None) => write!(f, "null"),
            Value::FuncRef(Some(a)) => write!(f, "func:{a}"),
            Value::ExternRef(Some(a)) => write!(f, "extern:{a}"),
            Value::ExnRef(Some(a)) => write!(f, "exn:{a}"),
            Value::AnyRef(Some(a)) => write!(f, "any:{a:#x}"),
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
        ValType::Ref(r) => match ref_class(r) {
            RefClass::Func => "funcref",
            RefClass::Extern => "externref",
            RefClass::Exn => "exnref",
            RefClass::Any => "anyref",
        },
    }
}
