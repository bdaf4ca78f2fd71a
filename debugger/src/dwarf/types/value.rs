//! [`VarValue`]: a variable's value as a tree, and how it prints (gdb's
//! struct, array and string forms; Rust tuples, enums and `&str`).

use super::*;

/// A variable's value, as a tree users read through `Display`.
#[derive(Debug, Clone, PartialEq)]
pub enum VarValue {
    /// No location at this point of the program.
    OptimizedOut,
    /// Could not be read (the message says why).
    Unavailable(String),
    Int(i128),
    UInt(u128),
    Float(f64),
    /// A 32-bit float, kept so it prints with its own shortest form (`0.1`).
    Float32(f32),
    Bool(bool),
    /// A C `char`: shown as its number and character.
    CChar(i64),
    /// A Rust `char`.
    Char(char),
    Enum {
        name: Option<String>,
        value: i128,
    },
    Pointer {
        type_name: String,
        address: u64,
    },
    /// A function pointer (a table index in wasm) and the function it names.
    FuncPointer {
        type_name: String,
        address: u64,
        target: Option<String>,
    },
    /// Shown as is (`void`, a `v128`).
    Raw(String),
    /// A C string (`char *`): the address and the text it points at.
    CString {
        address: u64,
        text: Option<String>,
        truncated: bool,
    },
    /// A `char` array's bytes, shown as C text: up to the first NUL when
    /// only NULs follow it, else every byte up to the last non-NUL
    /// (`"\000\000\300?"`).
    CharArray(Vec<u8>),
    Struct {
        fields: Vec<(String, VarValue)>,
    },
    /// `len` is the full length; fewer `elements` means the display was cut.
    Array {
        elements: Vec<VarValue>,
        len: u64,
    },
    /// Rust `&str` and `String`.
    Text(String),
    Slice {
        elements: Vec<VarValue>,
        len: u64,
    },
    Vec {
        elements: Vec<VarValue>,
        len: u64,
    },
    /// A Rust enum variant (`Some(5)`, `None`, `Rect(..)`).
    Variant {
        name: String,
        fields: Vec<(String, VarValue)>,
    },
    /// Not shown: too deep, or too much to read.
    Elided,
    /// A Wasm reference (GC struct or array, i31, function, exception):
    /// its type as the text format writes it, an array's length, and what
    /// it points at (`(ref $point) {x = 1, y = 2}`, `(ref null $t) null`).
    WasmRef {
        type_name: String,
        len: Option<u64>,
        value: Box<VarValue>,
    },
}

impl VarValue {
    /// The value as an integer, for expressions and breakpoint conditions.
    pub fn as_i128(&self) -> Option<i128> {
        match *self {
            VarValue::Int(v) => Some(v),
            VarValue::UInt(v) => i128::try_from(v).ok(),
            VarValue::Bool(b) => Some(b as i128),
            VarValue::CChar(c) => Some(c as i128),
            VarValue::Char(c) => Some(c as u32 as i128),
            VarValue::Enum { value, .. } => Some(value),
            VarValue::Pointer { address, .. }
            | VarValue::FuncPointer { address, .. }
            | VarValue::CString { address, .. } => Some(address as i128),
            VarValue::Float(f) if f.is_finite() => Some(f as i128),
            VarValue::Float32(f) if f.is_finite() => Some(f as i128),
            _ => None,
        }
    }

    /// Truthiness for breakpoint conditions: non-zero.
    pub fn is_true(&self) -> Option<bool> {
        self.as_i128().map(|v| v != 0)
    }
}

pub(super) fn is_tuple_fields(fields: &[(String, VarValue)]) -> bool {
    !fields.is_empty()
        && fields.iter().all(|(n, _)| {
            n.starts_with("__") && n.len() > 2 && n[2..].bytes().all(|b| b.is_ascii_digit())
        })
}

pub(super) fn write_list(
    f: &mut fmt::Formatter<'_>,
    elements: &[VarValue],
    len: u64,
) -> fmt::Result {
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    if (elements.len() as u64) < len {
        if !elements.is_empty() {
            f.write_str(", ")?;
        }
        f.write_str("...")?;
    }
    Ok(())
}

pub(super) fn write_fields(
    f: &mut fmt::Formatter<'_>,
    fields: &[(String, VarValue)],
    sep: &str,
) -> fmt::Result {
    for (i, (n, v)) in fields.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{n}{sep}{v}")?;
    }
    Ok(())
}

pub(super) fn write_c_char(f: &mut fmt::Formatter<'_>, c: i64) -> fmt::Result {
    let mut s = String::new();
    push_c_char(&mut s, c);
    f.write_str(&s)
}

/// A C `char` as gdb shows it: its number and the character (`65 'A'`).
pub(crate) fn push_c_char(out: &mut String, c: i64) {
    use std::fmt::Write;
    let b = c as u8;
    let _ = match b {
        0 => write!(out, "{c} '\\0'"),
        b'\'' => write!(out, "{c} '\\''"),
        b'\\' => write!(out, "{c} '\\\\'"),
        0x20..=0x7e => write!(out, "{c} '{}'", b as char),
        b'\n' => write!(out, "{c} '\\n'"),
        b'\t' => write!(out, "{c} '\\t'"),
        b'\r' => write!(out, "{c} '\\r'"),
        _ => write!(out, "{c} '\\{b:03o}'"),
    };
}

/// A `char` array's bytes as [`VarValue::CharArray`].
pub(crate) fn char_array(bytes: &[u8]) -> VarValue {
    // Up to the last non-NUL: the text before the first NUL when only NULs
    // follow it, every byte (NULs shown) when more follows.
    let end = bytes.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
    VarValue::CharArray(bytes[..end].to_vec())
}

/// C text in double quotes: UTF-8 as is, other bytes as octal escapes.
pub(super) fn write_c_text(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            match ch {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                '\r' => f.write_str("\\r")?,
                c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\{:03o}", c as u32)?,
                c => write!(f, "{c}")?,
            }
        }
        for b in chunk.invalid() {
            write!(f, "\\{b:03o}")?;
        }
    }
    f.write_str("\"")
}

impl fmt::Display for VarValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarValue::OptimizedOut => f.write_str("<optimized out>"),
            VarValue::Unavailable(m) => write!(f, "<unavailable: {m}>"),
            VarValue::Int(v) => write!(f, "{v}"),
            VarValue::UInt(v) => write!(f, "{v}"),
            VarValue::Float(v) => f.write_str(&crate::expr::format_float(*v, false)),
            VarValue::Float32(v) => f.write_str(&crate::expr::format_float(*v as f64, true)),
            VarValue::Bool(b) => write!(f, "{b}"),
            VarValue::CChar(c) => write_c_char(f, *c),
            VarValue::Char(c) => write!(f, "{c:?}"),
            VarValue::Enum { name: Some(n), .. } => f.write_str(n),
            VarValue::Enum { name: None, value } => write!(f, "{value}"),
            VarValue::Pointer { type_name, address } => write!(f, "({type_name}) {address:#x}"),
            VarValue::FuncPointer {
                type_name,
                address,
                target,
            } => match target {
                Some(t) => write!(f, "({type_name}) {address:#x} <{t}>"),
                None => write!(f, "({type_name}) {address:#x}"),
            },
            VarValue::Raw(t) => f.write_str(t),
            VarValue::CString {
                address,
                text,
                truncated,
            } => match text {
                Some(t) => write!(
                    f,
                    "{address:#x} {t:?}{}",
                    if *truncated { "..." } else { "" }
                ),
                None if *address == 0 => f.write_str("0x0"),
                None => write!(f, "{address:#x} <unreadable>"),
            },
            VarValue::CharArray(t) => write_c_text(f, t),
            VarValue::Struct { fields } if is_tuple_fields(fields) => {
                f.write_str("(")?;
                let vals: Vec<VarValue> = fields.iter().map(|p| p.1.clone()).collect();
                write_list(f, &vals, vals.len() as u64)?;
                f.write_str(")")
            }
            VarValue::Struct { fields } => {
                f.write_str("{")?;
                write_fields(f, fields, " = ")?;
                f.write_str("}")
            }
            VarValue::Array { elements, len } => {
                f.write_str("{")?;
                write_list(f, elements, *len)?;
                f.write_str("}")
            }
            VarValue::Text(t) => write!(f, "{t:?}"),
            VarValue::Slice { elements, len } => {
                f.write_str("&[")?;
                write_list(f, elements, *len)?;
                f.write_str("]")
            }
            VarValue::Vec { elements, len } => {
                f.write_str("vec![")?;
                write_list(f, elements, *len)?;
                f.write_str("]")?;
                if (elements.len() as u64) < *len {
                    write!(f, " (len {len})")?;
                }
                Ok(())
            }
            VarValue::Variant { name, fields } => {
                f.write_str(name)?;
                if fields.is_empty() {
                    Ok(())
                } else if is_tuple_fields(fields) {
                    f.write_str("(")?;
                    let vals: Vec<VarValue> = fields.iter().map(|p| p.1.clone()).collect();
                    write_list(f, &vals, vals.len() as u64)?;
                    f.write_str(")")
                } else {
                    f.write_str(" {")?;
                    write_fields(f, fields, ": ")?;
                    f.write_str("}")
                }
            }
            VarValue::Elided => f.write_str("..."),
            VarValue::WasmRef {
                type_name,
                len,
                value,
            } => {
                f.write_str(type_name)?;
                if let Some(n) = len {
                    write!(f, " [len {n}]")?;
                }
                write!(f, " {value}")
            }
        }
    }
}

// ---------------------------------------------------------------- type DIEs
