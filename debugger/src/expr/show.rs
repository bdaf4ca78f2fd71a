//! Values as users read them: a [`Val`] to a [`VarValue`] tree, gdb's print
//! formats (`/x` applies to every field of a struct or array), and floats in
//! `%g` style.

use super::eval::Num;
use super::types::{Kind, Scalar, Type};
use super::{Env, Val};
use crate::api::Format;
use crate::dwarf::VarValue;
use crate::dwarf::types as dt;

/// Elements of an array made by `@` shown before `...`.
const MAX_ELEMENTS: u64 = 200;

pub(crate) fn to_var_value(env: &Env<'_>, v: &Val) -> VarValue {
    to_var(env, v, 0)
}

fn to_var(env: &Env<'_>, v: &Val, depth: usize) -> VarValue {
    let Val::Obj { ty, place } = v else {
        let Val::Shown(s) = v else { unreachable!() };
        return s.clone();
    };
    if depth > 8 {
        return VarValue::Elided;
    }
    let frame = env.cx.as_frame();
    match ty {
        Type::Dwarf(t) => dt::read_typed(Some(t), place, frame),
        Type::Void => VarValue::Raw("void".into()),
        Type::Ref(rt) => match super::gc::bits_of(env, place) {
            Ok(bits) => super::gc::to_var(env, rt, bits, depth),
            Err(e) => VarValue::Unavailable(e.message),
        },
        Type::Wasm(vt) => match env.bytes(place, ty.size().unwrap_or(4) as usize) {
            Ok(b) => match super::eval::wasm_value(*vt, &b) {
                Some(v) => VarValue::Raw(crate::format::format_value(v, Format::Natural)),
                None => VarValue::Unavailable("a reference".into()),
            },
            Err(e) => VarValue::Unavailable(e.message),
        },
        Type::Scalar(s) => match env.num(v) {
            Ok((n, _)) => scalar_var(n, *s),
            Err(e) => VarValue::Unavailable(e.message),
        },
        Type::Ptr(pointee) => {
            let address = match env.num(v) {
                Ok((Num::I(a), _)) => a as u64,
                Ok(_) => 0,
                Err(e) => return VarValue::Unavailable(e.message),
            };
            if pointee.is_char() {
                let text = if address == 0 {
                    None
                } else {
                    dt::read_c_string(frame, address)
                };
                return VarValue::CString {
                    address,
                    truncated: text.as_ref().is_some_and(|t| t.1),
                    text: text.map(|t| t.0),
                };
            }
            if matches!(pointee.kind(), Kind::Func) {
                return VarValue::FuncPointer {
                    type_name: ty.name(),
                    address,
                    target: frame.function_name(address),
                };
            }
            VarValue::Pointer {
                type_name: ty.name(),
                address,
            }
        }
        Type::Array(elem, dims) => {
            let len = dims.first().copied().flatten().unwrap_or(0);
            let row = if dims.len() > 1 {
                Type::Array(elem.clone(), dims[1..].to_vec())
            } else {
                (**elem).clone()
            };
            if dims.len() == 1 && elem.is_char() {
                return match env.bytes(place, len.min(4096) as usize) {
                    Ok(b) => dt::char_array(&b),
                    Err(e) => VarValue::Unavailable(e.message),
                };
            }
            let Some(size) = row.size() else {
                return VarValue::Unavailable("element size unknown".into());
            };
            let elements = (0..len.min(MAX_ELEMENTS))
                .map(|i| {
                    let e = Val::Obj {
                        ty: row.clone(),
                        place: dt::sub_place(place, i * size),
                    };
                    to_var(env, &e, depth + 1)
                })
                .collect();
            VarValue::Array { elements, len }
        }
    }
}

fn scalar_var(n: Num, s: Scalar) -> VarValue {
    match (n, s) {
        (Num::F(f), Scalar::Float) => VarValue::Float32(f as f32),
        (Num::F(f), _) => VarValue::Float(f),
        (Num::I(i), Scalar::Bool) => VarValue::Bool(i != 0),
        (Num::I(i), Scalar::Char | Scalar::SChar | Scalar::UChar) => VarValue::CChar(i as i64),
        (Num::I(i), s) if s.is_signed() => VarValue::Int(i),
        (Num::I(i), _) => VarValue::UInt(i as u128),
    }
}

/// A float as C's `%g` with the shortest digits that read back exactly:
/// `39.5`, `1e+20`, `4.94065645841247e-324`-style exponents for very small
/// and very large magnitudes (never 300 digits), `inf`, `nan(0x8000000000000)`.
pub fn format_float(v: f64, single: bool) -> String {
    if v.is_nan() {
        let (neg, payload) = if single {
            let b = (v as f32).to_bits();
            (b >> 31 != 0, (b & 0x7f_ffff) as u64)
        } else {
            let b = v.to_bits();
            (b >> 63 != 0, b & 0xf_ffff_ffff_ffff)
        };
        return format!("{}nan({payload:#x})", if neg { "-" } else { "" });
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf".into() } else { "inf".into() };
    }
    let a = v.abs();
    if a == 0.0 || (1e-4..1e16).contains(&a) {
        return if single {
            format!("{}", v as f32)
        } else {
            format!("{v}")
        };
    }
    let e = if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    // Rust writes `1e-5`; C writes `1e-05`.
    match e.split_once('e') {
        Some((m, x)) => {
            let (sign, digits) = match x.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', x),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => e,
    }
}

/// A value tree in a print format: `/x` and friends apply to every number
/// inside a struct or array; `Natural` is the tree's own display.
pub fn format_var(v: &VarValue, f: Format) -> String {
    if f == Format::Natural {
        return v.to_string();
    }
    let mut out = String::new();
    write_var(&mut out, v, f);
    out
}

fn write_list(out: &mut String, elements: &[VarValue], len: u64, f: Format) {
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_var(out, e, f);
    }
    if (elements.len() as u64) < len {
        out.push_str(if elements.is_empty() { "..." } else { ", ..." });
    }
}

fn write_var(out: &mut String, v: &VarValue, f: Format) {
    match v {
        VarValue::Struct { fields } => {
            out.push('{');
            for (i, (n, fv)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(n);
                out.push_str(" = ");
                write_var(out, fv, f);
            }
            out.push('}');
        }
        VarValue::Array { elements, len } => {
            out.push('{');
            write_list(out, elements, *len, f);
            out.push('}');
        }
        VarValue::WasmRef {
            type_name,
            len,
            value,
        } => {
            out.push_str(type_name);
            if let Some(n) = len {
                out.push_str(&format!(" [len {n}]"));
            }
            out.push(' ');
            write_var(out, value, f);
        }
        VarValue::CharArray(bytes) if f != Format::Natural => {
            out.push('{');
            let els: Vec<VarValue> = bytes
                .iter()
                .map(|b| VarValue::CChar(*b as i8 as i64))
                .collect();
            write_list(out, &els, els.len() as u64, f);
            out.push('}');
        }
        VarValue::Float(x) => out.push_str(&format_number(Num::F(*x), Scalar::Double, f)),
        VarValue::Float32(x) => out.push_str(&format_number(Num::F(*x as f64), Scalar::Float, f)),
        VarValue::CChar(c) => out.push_str(&format_number(Num::I(*c as i128), Scalar::Char, f)),
        VarValue::Bool(b) => out.push_str(&format_number(Num::I(*b as i128), Scalar::Bool, f)),
        VarValue::Pointer { address, .. }
        | VarValue::FuncPointer { address, .. }
        | VarValue::CString { address, .. } => {
            out.push_str(&format_number(Num::I(*address as i128), Scalar::ULong, f))
        }
        other => match other.as_i128() {
            Some(i) => {
                // Without the type's width: the narrowest of int and long long that holds it.
                let s = if i32::try_from(i).is_ok()
                    || (matches!(other, VarValue::UInt(_)) && u32::try_from(i).is_ok())
                {
                    Scalar::Int
                } else {
                    Scalar::LongLong
                };
                out.push_str(&format_number(Num::I(i), s, f));
            }
            None => out.push_str(&other.to_string()),
        },
    }
}

/// One number of C type `s` in print format `f`.
pub(crate) fn format_number(n: Num, s: Scalar, f: Format) -> String {
    let bits = (s.size() * 8) as u32;
    let mask = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let raw = match n {
        Num::I(i) => i as u128 & mask,
        // gdb converts a float to an integer for the integer formats.
        Num::F(x) => (x as i128) as u128 & mask,
    };
    let signed = || -> i128 {
        let shift = 128 - bits;
        ((raw << shift) as i128) >> shift
    };
    match f {
        Format::Natural => match n {
            Num::F(x) => format_float(x, s == Scalar::Float),
            Num::I(_) if s.is_signed() => signed().to_string(),
            Num::I(_) => raw.to_string(),
        },
        Format::Hex => format!("{raw:#x}"),
        Format::Signed => signed().to_string(),
        Format::Unsigned => raw.to_string(),
        Format::Binary => format!("{raw:b}"),
        Format::Float => match n {
            Num::F(x) => format_float(x, s == Scalar::Float),
            Num::I(_) if bits == 32 => format_float(f32::from_bits(raw as u32) as f64, true),
            Num::I(_) if bits == 64 => format_float(f64::from_bits(raw as u64), false),
            Num::I(_) => signed().to_string(),
        },
        Format::Char => {
            let c = (raw & 0xff) as u8 as i8;
            let mut s = String::new();
            crate::dwarf::types::push_c_char(&mut s, c as i64);
            s
        }
    }
}

impl Env<'_> {
    /// `v` in print format `f`, as `print/F` shows it.
    pub fn show(&self, v: &Val, f: Format) -> String {
        if let Val::Obj {
            ty: Type::Wasm(vt),
            place,
        } = v
            && let Ok(b) = self.bytes(place, Type::Wasm(*vt).size().unwrap_or(4) as usize)
            && let Some(value) = super::eval::wasm_value(*vt, &b)
        {
            return crate::format::format_value(value, f);
        }
        if f != Format::Natural
            && let Val::Obj { ty, .. } = v
            && let Kind::Scalar(s) | Kind::Enum(s) = ty.kind()
            && let Ok((n, _)) = self.num(v)
        {
            return format_number(n, s, f);
        }
        if f != Format::Natural
            && let Val::Obj { ty, .. } = v
            && matches!(ty.kind(), Kind::Ptr(_))
            && let Ok((n, _)) = self.num(v)
        {
            return format_number(n, Scalar::ULong, f);
        }
        format_var(&self.var_value(v), f)
    }
}
