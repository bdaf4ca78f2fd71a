//! Types: names for display, and typed reads of a variable's bytes into a
//! [`VarValue`] tree (C structs, arrays, strings; Rust `&str`, `String`,
//! `Vec`, slices and enums).

use std::fmt;

use std::sync::Arc;

use gimli::AttributeValue;

use super::loc::{self, ExprContext, Place};
use super::units::{Cu, Store, Ty, VarLocation};
use super::{FrameAccess, R, VarInfo};

/// Deepest type nesting we follow (cyclic or absurd types stop here).
const MAX_TYPE_DEPTH: usize = 12;
/// Elements of an array, slice or `Vec` shown before `...`.
pub(crate) const MAX_ELEMENTS: u64 = 100;
/// Bytes of a string read before `...`.
const MAX_STRING: usize = 1000;
/// Value nodes read per variable, so nested arrays stay cheap.
const VALUE_BUDGET: usize = 20_000;

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

fn is_tuple_fields(fields: &[(String, VarValue)]) -> bool {
    !fields.is_empty()
        && fields.iter().all(|(n, _)| {
            n.starts_with("__") && n.len() > 2 && n[2..].bytes().all(|b| b.is_ascii_digit())
        })
}

fn write_list(f: &mut fmt::Formatter<'_>, elements: &[VarValue], len: u64) -> fmt::Result {
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

fn write_fields(
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

fn write_c_char(f: &mut fmt::Formatter<'_>, c: i64) -> fmt::Result {
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
fn write_c_text(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
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

pub(crate) fn entry(t: &Ty) -> Option<gimli::DebuggingInformationEntry<R>> {
    t.cu.unit.entry(t.off).ok()
}

/// The `DW_AT_type` of a DIE of `cu` (possibly in another unit).
pub(crate) fn type_of(cu: &Arc<Cu>, entry: &gimli::DebuggingInformationEntry<R>) -> Option<Ty> {
    cu.resolve(entry.attr_value(gimli::DW_AT_type)?)
}

fn is_c(cu: &Cu) -> bool {
    matches!(
        cu.lang,
        Some(
            gimli::DW_LANG_C89
                | gimli::DW_LANG_C99
                | gimli::DW_LANG_C11
                | gimli::DW_LANG_C
                | gimli::DW_LANG_C17
        )
    )
}

/// Follow typedefs and qualifiers to the underlying type.
pub(crate) fn strip(t: &Ty) -> Option<(Ty, gimli::DebuggingInformationEntry<R>)> {
    let mut t = t.clone();
    for _ in 0..MAX_TYPE_DEPTH {
        let e = entry(&t)?;
        match e.tag() {
            gimli::DW_TAG_typedef
            | gimli::DW_TAG_const_type
            | gimli::DW_TAG_volatile_type
            | gimli::DW_TAG_restrict_type
            | gimli::DW_TAG_atomic_type => t = type_of(&t.cu, &e)?,
            _ => return Some((t, e)),
        }
    }
    None
}

pub(crate) fn byte_size(t: &Ty, depth: usize) -> Option<u64> {
    if depth > MAX_TYPE_DEPTH {
        return None;
    }
    let e = entry(t)?;
    if let Some(s) = e
        .attr_value(gimli::DW_AT_byte_size)
        .and_then(|v| v.udata_value())
    {
        return Some(s);
    }
    match e.tag() {
        gimli::DW_TAG_pointer_type
        | gimli::DW_TAG_reference_type
        | gimli::DW_TAG_rvalue_reference_type => Some(t.cu.address_size() as u64),
        gimli::DW_TAG_array_type => {
            let elem = byte_size(&type_of(&t.cu, &e)?, depth + 1)?;
            let dims = array_dims(t);
            Some(
                dims.iter()
                    .map(|d| d.unwrap_or(0))
                    .product::<u64>()
                    .saturating_mul(elem),
            )
        }
        _ => byte_size(&type_of(&t.cu, &e)?, depth + 1),
    }
}

pub(crate) fn array_dims(t: &Ty) -> Vec<Option<u64>> {
    let mut dims = Vec::new();
    let Ok(mut tree) = t.cu.unit.entries_tree(Some(t.off)) else {
        return dims;
    };
    let Ok(root) = tree.root() else { return dims };
    let mut children = root.children();
    while let Ok(Some(child)) = children.next() {
        let e = child.entry();
        if e.tag() != gimli::DW_TAG_subrange_type {
            continue;
        }
        let count = e
            .attr_value(gimli::DW_AT_count)
            .and_then(|v| v.udata_value())
            .or_else(|| {
                let upper = e.attr_value(gimli::DW_AT_upper_bound)?;
                let upper = upper
                    .sdata_value()
                    .or_else(|| upper.udata_value().map(|u| u as i64))?;
                let lower = e
                    .attr_value(gimli::DW_AT_lower_bound)
                    .and_then(|v| v.sdata_value())
                    .unwrap_or(0);
                u64::try_from(upper.checked_sub(lower)?.checked_add(1)?).ok()
            });
        dims.push(count);
    }
    dims
}

/// A type's name as users write it: `struct point *`, `const char *`,
/// `int [8]`, `&str`.
pub(crate) fn type_name(ty: Option<&Ty>, depth: usize) -> String {
    let Some(t) = ty else {
        return "void".to_string();
    };
    if depth > MAX_TYPE_DEPTH {
        return "...".to_string();
    }
    let Some(e) = entry(t) else {
        return "<unknown type>".to_string();
    };
    let cu = &t.cu;
    let name = cu.string_attr(&e, gimli::DW_AT_name);
    let inner = || type_name(type_of(cu, &e).as_ref(), depth + 1);
    match e.tag() {
        gimli::DW_TAG_base_type | gimli::DW_TAG_typedef | gimli::DW_TAG_unspecified_type => {
            name.unwrap_or_else(|| "<unnamed>".to_string())
        }
        gimli::DW_TAG_structure_type
        | gimli::DW_TAG_class_type
        | gimli::DW_TAG_union_type
        | gimli::DW_TAG_enumeration_type => {
            let kw = match e.tag() {
                gimli::DW_TAG_union_type => "union",
                gimli::DW_TAG_enumeration_type => "enum",
                _ => "struct",
            };
            match name {
                Some(n) if is_c(cu) => format!("{kw} {n}"),
                Some(n) => n,
                None => format!("{kw} {{...}}"),
            }
        }
        gimli::DW_TAG_pointer_type => name.unwrap_or_else(|| pointer_to(&inner(), "*")),
        gimli::DW_TAG_reference_type => name.unwrap_or_else(|| pointer_to(&inner(), "&")),
        gimli::DW_TAG_rvalue_reference_type => name.unwrap_or_else(|| pointer_to(&inner(), "&&")),
        gimli::DW_TAG_const_type => qualify(&inner(), "const"),
        gimli::DW_TAG_volatile_type => qualify(&inner(), "volatile"),
        gimli::DW_TAG_restrict_type => qualify(&inner(), "restrict"),
        gimli::DW_TAG_atomic_type => qualify(&inner(), "_Atomic"),
        gimli::DW_TAG_array_type => {
            let dims: String = array_dims(t)
                .iter()
                .map(|d| d.map_or("[]".to_string(), |n| format!("[{n}]")))
                .collect();
            format!("{} {dims}", inner())
        }
        gimli::DW_TAG_subroutine_type => format!("{} (...)", inner()),
        _ => name.unwrap_or_else(|| "<unknown type>".to_string()),
    }
}

/// `T *` for a pointee named `T`.
pub(crate) fn pointer_to(inner: &str, sigil: &str) -> String {
    if inner.ends_with('*') || inner.ends_with('&') {
        format!("{inner}{sigil}")
    } else if let Some(ret) = inner.strip_suffix(" (...)") {
        format!("{ret} ({sigil})(...)")
    } else {
        format!("{inner} {sigil}")
    }
}

fn qualify(inner: &str, q: &str) -> String {
    if inner.ends_with('*') {
        format!("{inner} {q}")
    } else {
        format!("{q} {inner}")
    }
}

// ---------------------------------------------------------------- reading

pub(crate) struct Reader<'a> {
    pub frame: &'a dyn FrameAccess,
    pub budget: usize,
}

/// `len` bytes at `offset` into `place` (a slot's bytes are zero-padded).
pub(crate) fn place_bytes(
    frame: &dyn FrameAccess,
    place: &Place,
    offset: u64,
    len: usize,
) -> Option<Vec<u8>> {
    match place {
        Place::Memory(a) => frame.read_memory(a.checked_add(offset)?, len),
        Place::Bytes(b) => {
            let start = usize::try_from(offset).ok()?;
            if start > b.len() && len > 0 {
                return None;
            }
            let mut out: Vec<u8> = b
                .get(start..)
                .unwrap_or(&[])
                .iter()
                .take(len)
                .copied()
                .collect();
            out.resize(len, 0);
            Some(out)
        }
    }
}

pub(crate) fn sub_place(place: &Place, offset: u64) -> Place {
    match place {
        Place::Memory(a) => Place::Memory(a.wrapping_add(offset)),
        Place::Bytes(b) => Place::Bytes(
            usize::try_from(offset)
                .ok()
                .and_then(|o| b.get(o..))
                .unwrap_or(&[])
                .to_vec(),
        ),
    }
}

fn le_uint(bytes: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = bytes.len().min(16);
    b[..n].copy_from_slice(&bytes[..n]);
    u128::from_le_bytes(b)
}

fn sign_extend(v: u128, bits: u32) -> i128 {
    if bits == 0 || bits >= 128 {
        return v as i128;
    }
    let shift = 128 - bits;
    ((v << shift) as i128) >> shift
}

pub(crate) fn member_offset(cu: &Cu, e: &gimli::DebuggingInformationEntry<R>) -> u64 {
    match e.attr_value(gimli::DW_AT_data_member_location) {
        Some(v) => {
            if let Some(u) = v.udata_value() {
                return u;
            }
            if let Some(expr) = v.exprloc_value() {
                // Usually `DW_OP_plus_uconst N` applied to the struct address.
                let mut r = expr.0;
                if let Ok(gimli::Operation::PlusConstant { value }) =
                    gimli::Operation::parse(&mut r, cu.unit.encoding())
                {
                    return value;
                }
            }
            0
        }
        None => 0,
    }
}

/// Members of a struct/union/class: (name, DIE of `t`'s unit).
pub(crate) fn members(t: &Ty) -> Vec<(String, gimli::DebuggingInformationEntry<R>)> {
    let mut out = Vec::new();
    let cu = &t.cu;
    let Ok(mut tree) = cu.unit.entries_tree(Some(t.off)) else {
        return out;
    };
    let Ok(root) = tree.root() else { return out };
    let mut children = root.children();
    while let Ok(Some(child)) = children.next() {
        let e = child.entry();
        match e.tag() {
            gimli::DW_TAG_member => {
                let name = cu.string_attr(e, gimli::DW_AT_name).unwrap_or_default();
                out.push((name, e.clone()));
            }
            gimli::DW_TAG_inheritance => {
                let name = type_name(type_of(cu, e).as_ref(), 0);
                out.push((name, e.clone()));
            }
            _ => {}
        }
    }
    out
}

fn child_entries(t: &Ty, tag: gimli::DwTag) -> Vec<gimli::DebuggingInformationEntry<R>> {
    let mut out = Vec::new();
    let Ok(mut tree) = t.cu.unit.entries_tree(Some(t.off)) else {
        return out;
    };
    let Ok(root) = tree.root() else { return out };
    let mut children = root.children();
    while let Ok(Some(child)) = children.next() {
        if child.entry().tag() == tag {
            out.push(child.entry().clone());
        }
    }
    out
}

/// The names of an enumeration's enumerators, in order.
pub(crate) fn enumerator_names(t: &Ty) -> Vec<String> {
    child_entries(t, gimli::DW_TAG_enumerator)
        .iter()
        .filter_map(|e| t.cu.string_attr(e, gimli::DW_AT_name))
        .collect()
}

pub(crate) fn is_char_type(t: &Ty) -> bool {
    let Some((_, e)) = strip(t) else {
        return false;
    };
    if e.tag() != gimli::DW_TAG_base_type {
        return false;
    }
    let enc = e.attr_value(gimli::DW_AT_encoding);
    let size = e
        .attr_value(gimli::DW_AT_byte_size)
        .and_then(|v| v.udata_value());
    matches!(
        enc,
        Some(AttributeValue::Encoding(
            gimli::DW_ATE_signed_char | gimli::DW_ATE_unsigned_char
        ))
    ) && size == Some(1)
}

type Die = gimli::DebuggingInformationEntry<R>;

impl Reader<'_> {
    pub fn read(&mut self, ty: Option<&Ty>, place: &Place, depth: usize) -> VarValue {
        if self.budget == 0 || depth > MAX_TYPE_DEPTH {
            return VarValue::Elided;
        }
        self.budget -= 1;
        let Some(ty) = ty else {
            return VarValue::Unavailable("no type".to_string());
        };
        let Some((t, e)) = strip(ty) else {
            return VarValue::Unavailable("bad type".to_string());
        };
        match e.tag() {
            gimli::DW_TAG_base_type => self.read_base(&e, place),
            gimli::DW_TAG_pointer_type
            | gimli::DW_TAG_reference_type
            | gimli::DW_TAG_rvalue_reference_type => self.read_pointer(&t, &e, place),
            gimli::DW_TAG_enumeration_type => self.read_enum(&t, &e, place),
            gimli::DW_TAG_array_type => self.read_array(&t, &e, place, depth),
            gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type | gimli::DW_TAG_union_type => {
                self.read_struct(&t, &e, place, depth)
            }
            gimli::DW_TAG_subroutine_type => VarValue::Unavailable("a function".to_string()),
            _ => VarValue::Unavailable(format!("unsupported type {}", e.tag())),
        }
    }

    fn bytes(&self, place: &Place, offset: u64, len: usize) -> Result<Vec<u8>, VarValue> {
        place_bytes(self.frame, place, offset, len).ok_or_else(|| match place {
            Place::Memory(a) => VarValue::Unavailable(format!(
                "cannot read memory at {:#x}",
                a.wrapping_add(offset)
            )),
            Place::Bytes(_) => VarValue::Unavailable("value too short".to_string()),
        })
    }

    fn read_base(&mut self, e: &Die, place: &Place) -> VarValue {
        let size = e
            .attr_value(gimli::DW_AT_byte_size)
            .and_then(|v| v.udata_value())
            .unwrap_or(0);
        if size == 0 || size > 16 {
            return VarValue::Unavailable(format!("base type of {size} bytes"));
        }
        let bytes = match self.bytes(place, 0, size as usize) {
            Ok(b) => b,
            Err(v) => return v,
        };
        let raw = le_uint(&bytes);
        let enc = match e.attr_value(gimli::DW_AT_encoding) {
            Some(AttributeValue::Encoding(enc)) => enc,
            _ => gimli::DW_ATE_signed,
        };
        decode_base(enc, size, raw)
    }

    fn read_pointer(&mut self, t: &Ty, e: &Die, place: &Place) -> VarValue {
        let size = t.cu.address_size() as usize;
        let address = match self.bytes(place, 0, size) {
            Ok(b) => le_uint(&b) as u64,
            Err(v) => return v,
        };
        if let Some(pointee) = type_of(&t.cu, e)
            && is_char_type(&pointee)
            && e.tag() == gimli::DW_TAG_pointer_type
        {
            if address == 0 {
                return VarValue::CString {
                    address,
                    text: None,
                    truncated: false,
                };
            }
            let (text, truncated) = match read_c_string(self.frame, address) {
                Some((t, tr)) => (Some(t), tr),
                None => (None, false),
            };
            return VarValue::CString {
                address,
                text,
                truncated,
            };
        }
        if let Some(pointee) = type_of(&t.cu, e)
            && let Some((_, pe)) = strip(&pointee)
            && pe.tag() == gimli::DW_TAG_subroutine_type
        {
            return VarValue::FuncPointer {
                type_name: type_name(Some(t), 0),
                address,
                target: self.frame.function_name(address),
            };
        }
        VarValue::Pointer {
            type_name: type_name(Some(t), 0),
            address,
        }
    }

    fn read_enum(&mut self, t: &Ty, e: &Die, place: &Place) -> VarValue {
        let size = byte_size(t, 0).unwrap_or(4).clamp(1, 16);
        let raw = match self.bytes(place, 0, size as usize) {
            Ok(b) => le_uint(&b),
            Err(v) => return v,
        };
        let signed = match type_of(&t.cu, e).and_then(|b| strip(&b)) {
            Some((_, base)) => !matches!(
                base.attr_value(gimli::DW_AT_encoding),
                Some(AttributeValue::Encoding(
                    gimli::DW_ATE_unsigned | gimli::DW_ATE_unsigned_char | gimli::DW_ATE_boolean
                ))
            ),
            None => true,
        };
        let value = if signed {
            sign_extend(raw, 8 * size as u32)
        } else {
            raw as i128
        };
        let mut name = None;
        for en in child_entries(t, gimli::DW_TAG_enumerator) {
            let Some(cv) = en.attr_value(gimli::DW_AT_const_value) else {
                continue;
            };
            let cv = match cv {
                AttributeValue::Sdata(s) => s as i128,
                other => match other.udata_value() {
                    Some(u) if signed => sign_extend(u as u128, 8 * size as u32),
                    Some(u) => u as i128,
                    None => continue,
                },
            };
            if cv == value {
                name = t.cu.string_attr(&en, gimli::DW_AT_name);
                break;
            }
        }
        VarValue::Enum { name, value }
    }

    fn read_array(&mut self, t: &Ty, e: &Die, place: &Place, depth: usize) -> VarValue {
        let Some(elem) = type_of(&t.cu, e) else {
            return VarValue::Unavailable("array without element type".to_string());
        };
        let dims = array_dims(t);
        self.read_dims(&elem, &dims, place, depth)
    }

    fn read_dims(
        &mut self,
        elem: &Ty,
        dims: &[Option<u64>],
        place: &Place,
        depth: usize,
    ) -> VarValue {
        let Some(elem_size) = byte_size(elem, 0) else {
            return VarValue::Unavailable("element size unknown".to_string());
        };
        let len = dims.first().copied().flatten().unwrap_or(0);
        let rest = dims.get(1..).unwrap_or(&[]);
        let stride = rest
            .iter()
            .map(|d| d.unwrap_or(0))
            .product::<u64>()
            .saturating_mul(elem_size);
        if rest.is_empty() && is_char_type(elem) {
            let n = len.min(MAX_STRING as u64) as usize;
            return match self.bytes(place, 0, n) {
                Ok(b) => char_array(&b),
                Err(v) => v,
            };
        }
        let mut elements = Vec::new();
        for i in 0..len.min(MAX_ELEMENTS) {
            if self.budget == 0 {
                break;
            }
            let p = sub_place(place, i.saturating_mul(stride));
            let v = if rest.is_empty() {
                self.read(Some(elem), &p, depth + 1)
            } else {
                self.read_dims(elem, rest, &p, depth + 1)
            };
            elements.push(v);
        }
        VarValue::Array { elements, len }
    }

    fn read_struct(&mut self, t: &Ty, e: &Die, place: &Place, depth: usize) -> VarValue {
        if e.attr_value(gimli::DW_AT_declaration).is_some() {
            return VarValue::Unavailable("incomplete type".to_string());
        }
        let name = t.cu.string_attr(e, gimli::DW_AT_name).unwrap_or_default();
        if (t.cu.lang == Some(gimli::DW_LANG_Rust) || name.starts_with('&'))
            && let Some(v) = self.read_rust(t, &name, place, depth)
        {
            return v;
        }
        let mut fields = Vec::new();
        for (fname, m) in members(t) {
            if self.budget == 0 {
                fields.push((fname, VarValue::Elided));
                break;
            }
            let v = self.read_member(&t.cu, &m, place, depth);
            fields.push((fname, v));
        }
        VarValue::Struct { fields }
    }

    fn read_member(&mut self, cu: &Arc<Cu>, m: &Die, place: &Place, depth: usize) -> VarValue {
        let ty = type_of(cu, m);
        let offset = member_offset(cu, m);
        if let Some(bits) = m
            .attr_value(gimli::DW_AT_bit_size)
            .and_then(|v| v.udata_value())
        {
            return self.read_bitfield(m, ty.as_ref(), offset, bits, place);
        }
        self.read(ty.as_ref(), &sub_place(place, offset), depth + 1)
    }

    fn read_bitfield(
        &mut self,
        m: &Die,
        ty: Option<&Ty>,
        offset: u64,
        bits: u64,
        place: &Place,
    ) -> VarValue {
        if bits == 0 || bits > 64 {
            return VarValue::Unavailable("bitfield too wide".to_string());
        }
        let (byte, shift) = if let Some(dbo) = m
            .attr_value(gimli::DW_AT_data_bit_offset)
            .and_then(|v| v.udata_value())
        {
            (dbo / 8, dbo % 8)
        } else if let Some(bo) = m
            .attr_value(gimli::DW_AT_bit_offset)
            .and_then(|v| v.udata_value())
        {
            // DWARF 2/3: bit_offset counts from the storage unit's most significant bit.
            let storage = m
                .attr_value(gimli::DW_AT_byte_size)
                .and_then(|v| v.udata_value())
                .or_else(|| ty.and_then(|t| byte_size(t, 0)))
                .unwrap_or(4);
            (offset, storage.saturating_mul(8).saturating_sub(bo + bits))
        } else {
            (offset, 0)
        };
        if shift >= 64 {
            return VarValue::Unavailable("bitfield offset out of range".to_string());
        }
        let n = ((shift + bits).div_ceil(8)) as usize;
        let raw = match self.bytes(place, byte, n.min(16)) {
            Ok(b) => le_uint(&b),
            Err(v) => return v,
        };
        let v = (raw >> shift) & ((1u128 << bits) - 1);
        let signed = ty.and_then(strip).is_some_and(|(_, b)| {
            matches!(
                b.attr_value(gimli::DW_AT_encoding),
                Some(AttributeValue::Encoding(
                    gimli::DW_ATE_signed | gimli::DW_ATE_signed_char
                ))
            )
        });
        if signed {
            VarValue::Int(sign_extend(v, bits as u32))
        } else {
            VarValue::UInt(v)
        }
    }

    /// Rust's standard containers and enums; `None` when `t` is a plain struct.
    fn read_rust(&mut self, t: &Ty, name: &str, place: &Place, depth: usize) -> Option<VarValue> {
        let cu = &t.cu;
        let ms = members(t);
        let member = |n: &str| ms.iter().find(|(mn, _)| mn == n).map(|(_, e)| e.clone());
        if name == "&str" || name == "&mut str" {
            let (ptr, len) = self.ptr_len(cu, &member("data_ptr")?, &member("length")?, place)?;
            return Some(match read_bytes_capped(self.frame, ptr, len) {
                Some((b, cut)) => VarValue::Text(lossy(&b, cut)),
                None => VarValue::Unavailable(format!("cannot read memory at {ptr:#x}")),
            });
        }
        if name.starts_with("&[") || name.starts_with("&mut [") {
            let data = member("data_ptr")?;
            let (ptr, len) = self.ptr_len(cu, &data, &member("length")?, place)?;
            let elem = type_of(cu, &data).and_then(|p| {
                let pe = entry(&p)?;
                type_of(&p.cu, &pe)
            });
            return Some(match self.read_seq(elem.as_ref(), ptr, len, depth) {
                Ok(elements) => VarValue::Slice { elements, len },
                Err(v) => v,
            });
        }
        let base = name.rsplit("::").next().unwrap_or(name);
        if base == "String"
            && let Some(vec) = member("vec")
        {
            let (vec_t, _) = strip(&type_of(cu, &vec)?)?;
            let (ptr, len) = self.vec_parts(&vec_t, &sub_place(place, member_offset(cu, &vec)))?;
            return Some(match read_bytes_capped(self.frame, ptr, len) {
                Some((b, cut)) => VarValue::Text(lossy(&b, cut)),
                None => VarValue::Unavailable(format!("cannot read memory at {ptr:#x}")),
            });
        }
        if name.starts_with("Vec<") || name.starts_with("alloc::vec::Vec<") {
            let elem = template_param(t, "T");
            let (ptr, len) = self.vec_parts(t, place)?;
            return Some(match self.read_seq(elem.as_ref(), ptr, len, depth) {
                Ok(elements) => VarValue::Vec { elements, len },
                Err(v) => v,
            });
        }
        let parts = child_entries(t, gimli::DW_TAG_variant_part);
        if let Some(vp) = parts.first() {
            return Some(self.read_rust_enum(cu, vp, place, depth));
        }
        None
    }

    fn ptr_len(&mut self, cu: &Cu, data: &Die, length: &Die, place: &Place) -> Option<(u64, u64)> {
        let asz = cu.address_size() as usize;
        let ptr = le_uint(&place_bytes(
            self.frame,
            place,
            member_offset(cu, data),
            asz,
        )?) as u64;
        let len = le_uint(&place_bytes(
            self.frame,
            place,
            member_offset(cu, length),
            asz,
        )?) as u64;
        Some((ptr, len))
    }

    /// (data pointer, len) of a `Vec`: `len` is a member, the pointer is the
    /// first pointer found inside `buf` (RawVec's layout changes across releases).
    fn vec_parts(&mut self, vec_t: &Ty, place: &Place) -> Option<(u64, u64)> {
        let cu = &vec_t.cu;
        let ms = members(vec_t);
        let len_m = ms.iter().find(|(n, _)| n == "len")?.1.clone();
        let asz = cu.address_size() as usize;
        let len = le_uint(&place_bytes(
            self.frame,
            place,
            member_offset(cu, &len_m),
            asz,
        )?) as u64;
        let buf = ms.iter().find(|(n, _)| n == "buf")?.1.clone();
        let ptr_off = find_pointer(&type_of(cu, &buf)?, 0)?.checked_add(member_offset(cu, &buf))?;
        let ptr = le_uint(&place_bytes(self.frame, place, ptr_off, asz)?) as u64;
        Some((ptr, len))
    }

    fn read_seq(
        &mut self,
        elem: Option<&Ty>,
        ptr: u64,
        len: u64,
        depth: usize,
    ) -> Result<Vec<VarValue>, VarValue> {
        let elem = elem.ok_or_else(|| VarValue::Unavailable("element type unknown".to_string()))?;
        let size = byte_size(elem, 0)
            .ok_or_else(|| VarValue::Unavailable("element size unknown".to_string()))?;
        let mut out = Vec::new();
        for i in 0..len.min(MAX_ELEMENTS) {
            if self.budget == 0 {
                break;
            }
            out.push(self.read(
                Some(elem),
                &Place::Memory(ptr.wrapping_add(i.saturating_mul(size))),
                depth + 1,
            ));
        }
        Ok(out)
    }

    fn read_rust_enum(&mut self, cu: &Arc<Cu>, vp: &Die, place: &Place, depth: usize) -> VarValue {
        // The discriminant member, if any (a single-variant enum has none).
        let discr = match vp.attr_value(gimli::DW_AT_discr) {
            Some(v) => cu.resolve(v).and_then(|d| entry(&d)),
            None => None,
        };
        let discr_size = discr
            .as_ref()
            .and_then(|d| type_of(cu, d))
            .and_then(|t| byte_size(&t, 0))
            .unwrap_or(4)
            .clamp(1, 16);
        let discr_value = discr.as_ref().and_then(|d| {
            let b = place_bytes(self.frame, place, member_offset(cu, d), discr_size as usize)?;
            Some(le_uint(&b))
        });
        let vp_t = Ty {
            cu: cu.clone(),
            off: vp.offset(),
        };
        let mask = if discr_size >= 16 {
            u128::MAX
        } else {
            (1u128 << (8 * discr_size)) - 1
        };
        let mut chosen = None;
        let mut default = None;
        for v in child_entries(&vp_t, gimli::DW_TAG_variant) {
            match v.attr_value(gimli::DW_AT_discr_value) {
                Some(dv) => {
                    let dv = dv
                        .udata_value()
                        .or_else(|| dv.sdata_value().map(|s| s as u64));
                    // Compare in the discriminant's width.
                    if let (Some(dv), Some(actual)) = (dv, discr_value)
                        && (dv as u128) & mask == actual & mask
                    {
                        chosen = Some(v);
                        break;
                    }
                }
                None => default = Some(v),
            }
        }
        let Some(variant) = chosen.or(default) else {
            return VarValue::Unavailable("unknown enum variant".to_string());
        };
        let variant_t = Ty {
            cu: cu.clone(),
            off: variant.offset(),
        };
        let Some((vname, vmember)) = members(&variant_t).into_iter().next() else {
            return VarValue::Unavailable("empty enum variant".to_string());
        };
        let vplace = sub_place(place, member_offset(cu, &vmember));
        let mut fields = Vec::new();
        if let Some((vt, _)) = type_of(cu, &vmember).and_then(|t| strip(&t)) {
            for (fname, m) in members(&vt) {
                let v = self.read_member(&vt.cu, &m, &vplace, depth + 1);
                fields.push((fname, v));
            }
        }
        VarValue::Variant {
            name: vname,
            fields,
        }
    }
}

fn template_param(t: &Ty, name: &str) -> Option<Ty> {
    child_entries(t, gimli::DW_TAG_template_type_parameter)
        .into_iter()
        .find(|e| t.cu.string_attr(e, gimli::DW_AT_name).as_deref() == Some(name))
        .and_then(|e| type_of(&t.cu, &e))
}

/// Byte offset of the first pointer member reached depth-first from `ty`.
fn find_pointer(ty: &Ty, depth: usize) -> Option<u64> {
    if depth > 8 {
        return None;
    }
    let (t, e) = strip(ty)?;
    match e.tag() {
        gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type => Some(0),
        gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type => {
            for (_, m) in members(&t) {
                if let Some(mt) = type_of(&t.cu, &m)
                    && let Some(inner) = find_pointer(&mt, depth + 1)
                {
                    return Some(member_offset(&t.cu, &m) + inner);
                }
            }
            None
        }
        _ => None,
    }
}

fn lossy(bytes: &[u8], cut: bool) -> String {
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    if cut {
        s.push_str("...");
    }
    s
}

/// Up to `MAX_STRING` bytes at `ptr`; `true` when cut.
fn read_bytes_capped(frame: &dyn FrameAccess, ptr: u64, len: u64) -> Option<(Vec<u8>, bool)> {
    let n = len.min(MAX_STRING as u64) as usize;
    if n == 0 {
        return Some((Vec::new(), false));
    }
    Some((frame.read_memory(ptr, n)?, len > n as u64))
}

/// A NUL-terminated string at `address`, read in small chunks so a string
/// near the end of memory still reads.
pub(crate) fn read_c_string(frame: &dyn FrameAccess, address: u64) -> Option<(String, bool)> {
    let mut out = Vec::new();
    let mut addr = address;
    while out.len() < MAX_STRING {
        let chunk = match frame.read_memory(addr, 64) {
            Some(c) => c,
            None => {
                // Near the end of memory: byte by byte.
                let mut c = Vec::new();
                while c.len() < 64 {
                    match frame.read_memory(addr + c.len() as u64, 1) {
                        Some(b) => c.extend(b),
                        None => break,
                    }
                }
                if c.is_empty() {
                    return if out.is_empty() {
                        None
                    } else {
                        Some((String::from_utf8_lossy(&out).into_owned(), true))
                    };
                }
                c
            }
        };
        if let Some(nul) = chunk.iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..nul]);
            return Some((String::from_utf8_lossy(&out).into_owned(), false));
        }
        addr += chunk.len() as u64;
        out.extend_from_slice(&chunk);
    }
    out.truncate(MAX_STRING);
    Some((String::from_utf8_lossy(&out).into_owned(), true))
}

pub(crate) fn decode_base(enc: gimli::DwAte, size: u64, raw: u128) -> VarValue {
    let bits = (size * 8) as u32;
    match enc {
        gimli::DW_ATE_float if size == 4 => VarValue::Float32(f32::from_bits(raw as u32)),
        gimli::DW_ATE_float if size == 8 => VarValue::Float(f64::from_bits(raw as u64)),
        gimli::DW_ATE_float => VarValue::Unavailable(format!("{bits}-bit float")),
        gimli::DW_ATE_boolean => VarValue::Bool(raw != 0),
        gimli::DW_ATE_signed_char | gimli::DW_ATE_unsigned_char if size == 1 => {
            if enc == gimli::DW_ATE_signed_char {
                VarValue::CChar(raw as u8 as i8 as i64)
            } else {
                VarValue::CChar(raw as u8 as i64)
            }
        }
        gimli::DW_ATE_UTF => match char::from_u32(raw as u32) {
            Some(c) => VarValue::Char(c),
            None => VarValue::UInt(raw),
        },
        gimli::DW_ATE_unsigned | gimli::DW_ATE_unsigned_char | gimli::DW_ATE_address => {
            VarValue::UInt(raw)
        }
        _ => VarValue::Int(sign_extend(raw, bits)),
    }
}

/// Where a variable is at a paused frame.
pub(crate) fn var_place(
    store: &Store,
    var: &VarInfo,
    frame: &dyn FrameAccess,
) -> Result<Option<Place>, String> {
    let Some(cu) = store.cu(var.unit) else {
        return Err("unit cannot be read".to_string());
    };
    match &var.location {
        VarLocation::OptimizedOut => Ok(None),
        VarLocation::Const(b) => Ok(Some(Place::Bytes(b.clone()))),
        VarLocation::Expr(e) => {
            let mut ctx = ExprContext {
                dwarf: &cu.dwarf,
                unit: &cu.unit,
                frame_base: None,
            };
            if let Some(fb) = &var.frame_base {
                ctx.frame_base = loc::frame_base(fb, &ctx, frame);
            }
            loc::evaluate(e, &ctx, frame)
        }
    }
}

pub(crate) fn read_var(store: &Store, var: &VarInfo, frame: &dyn FrameAccess) -> VarValue {
    match var_place(store, var, frame) {
        Ok(Some(place)) => read_typed(var.ty.as_ref(), &place, frame),
        Ok(None) => VarValue::OptimizedOut,
        Err(e) => VarValue::Unavailable(e),
    }
}

pub(crate) fn read_typed(ty: Option<&Ty>, place: &Place, frame: &dyn FrameAccess) -> VarValue {
    let mut reader = Reader {
        frame,
        budget: VALUE_BUDGET,
    };
    reader.read(ty, place, 0)
}
