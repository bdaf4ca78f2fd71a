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

mod read;
mod value;

pub use value::VarValue;
pub(crate) use value::{char_array, push_c_char};

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
