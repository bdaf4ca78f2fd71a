//! The canonical ABI: sizes, alignments and flattening of component value
//! types, and lifting/lowering values between core values, linear memory
//! and [`Val`]s (the component model's `CanonicalABI.md`).
//!
//! Flat values travel as raw 64-bit patterns (an `i32` zero-extended, an
//! `f32` as its bits), so a variant's joined payload slots need no
//! conversion: a case reads the low bits of the slot it was written to.

use wasmparser::ValType;

use super::StringEncoding;
use super::types::{Ty, Val};
use crate::runtime::{HostError, Store};
use crate::value::{FuncAddr, Value};

pub const MAX_FLAT_PARAMS: usize = 16;
pub const MAX_FLAT_RESULTS: usize = 1;

pub(crate) fn trap<T>(m: impl Into<String>) -> Result<T, HostError> {
    Err(HostError::Trap(m.into()))
}

pub(super) fn align_to(x: u32, a: u32) -> u32 {
    x.div_ceil(a) * a
}

pub fn disc_size(n: usize) -> u32 {
    if n <= 256 {
        1
    } else if n <= 65536 {
        2
    } else {
        4
    }
}

pub(super) fn flags_size(n: usize) -> u32 {
    match n {
        0 => 0,
        1..=8 => 1,
        9..=16 => 2,
        _ => 4,
    }
}

/// The cases of a variant-like type (variant, enum, option, result).
pub(super) fn cases(t: &Ty) -> Option<Vec<Option<&Ty>>> {
    Some(match t {
        Ty::Variant(c) => c.iter().map(|(_, t)| t.as_ref()).collect(),
        Ty::Enum(c) => c.iter().map(|_| None).collect(),
        Ty::Option(t) => vec![None, Some(t)],
        Ty::Result(o, e) => vec![o.as_deref(), e.as_deref()],
        _ => return None,
    })
}

pub fn align(t: &Ty) -> u32 {
    match t {
        Ty::Bool | Ty::S8 | Ty::U8 => 1,
        Ty::S16 | Ty::U16 => 2,
        Ty::S32 | Ty::U32 | Ty::F32 | Ty::Char | Ty::Own(_) | Ty::Borrow(_) => 4,
        Ty::S64 | Ty::U64 | Ty::F64 => 8,
        Ty::String | Ty::List(_) => 4,
        Ty::Record(f) => f.iter().map(|(_, t)| align(t)).max().unwrap_or(1),
        Ty::Tuple(f) => f.iter().map(align).max().unwrap_or(1),
        Ty::Flags(n) => flags_size(n.len()).max(1),
        _ => {
            let c = cases(t).unwrap_or_default();
            let payload = c.iter().flatten().map(|t| align(t)).max().unwrap_or(1);
            disc_size(c.len()).max(payload)
        }
    }
}

pub fn size(t: &Ty) -> u32 {
    match t {
        Ty::Bool | Ty::S8 | Ty::U8 => 1,
        Ty::S16 | Ty::U16 => 2,
        Ty::S32 | Ty::U32 | Ty::F32 | Ty::Char | Ty::Own(_) | Ty::Borrow(_) => 4,
        Ty::S64 | Ty::U64 | Ty::F64 => 8,
        Ty::String | Ty::List(_) => 8,
        Ty::Record(_) | Ty::Tuple(_) => {
            let mut s = 0;
            for f in fields(t) {
                s = align_to(s, align(f)) + size(f);
            }
            align_to(s, align(t))
        }
        Ty::Flags(n) => flags_size(n.len()),
        _ => {
            let c = cases(t).unwrap_or_default();
            let payload_align = c.iter().flatten().map(|t| align(t)).max().unwrap_or(1);
            let payload = c.iter().flatten().map(|t| size(t)).max().unwrap_or(0);
            let s = align_to(disc_size(c.len()), payload_align) + payload;
            align_to(s, align(t))
        }
    }
}

pub(super) fn fields(t: &Ty) -> Vec<&Ty> {
    match t {
        Ty::Record(f) => f.iter().map(|(_, t)| t).collect(),
        Ty::Tuple(f) => f.iter().collect(),
        _ => Vec::new(),
    }
}

fn join(a: ValType, b: ValType) -> ValType {
    if a == b {
        a
    } else if matches!(
        (a, b),
        (ValType::I32, ValType::F32) | (ValType::F32, ValType::I32)
    ) {
        ValType::I32
    } else {
        ValType::I64
    }
}

pub fn flatten(t: &Ty, out: &mut Vec<ValType>) {
    match t {
        Ty::Bool
        | Ty::S8
        | Ty::U8
        | Ty::S16
        | Ty::U16
        | Ty::S32
        | Ty::U32
        | Ty::Char
        | Ty::Own(_)
        | Ty::Borrow(_) => out.push(ValType::I32),
        Ty::S64 | Ty::U64 => out.push(ValType::I64),
        Ty::F32 => out.push(ValType::F32),
        Ty::F64 => out.push(ValType::F64),
        Ty::String | Ty::List(_) => out.extend([ValType::I32, ValType::I32]),
        Ty::Record(_) | Ty::Tuple(_) => {
            for f in fields(t) {
                flatten(f, out);
            }
        }
        Ty::Flags(n) => {
            if !n.is_empty() {
                out.push(ValType::I32)
            }
        }
        _ => {
            let mut payload: Vec<ValType> = Vec::new();
            for c in cases(t).unwrap_or_default().into_iter().flatten() {
                let mut f = Vec::new();
                flatten(c, &mut f);
                for (i, ft) in f.into_iter().enumerate() {
                    if i < payload.len() {
                        payload[i] = join(payload[i], ft);
                    } else {
                        payload.push(ft);
                    }
                }
            }
            out.push(ValType::I32);
            out.extend(payload);
        }
    }
}

pub fn flat_count(t: &Ty) -> usize {
    let mut v = Vec::new();
    flatten(t, &mut v);
    v.len()
}

pub fn value_to_bits(v: &Value) -> u64 {
    match *v {
        Value::I32(x) => x as u32 as u64,
        Value::I64(x) => x as u64,
        Value::F32(b) => b as u64,
        Value::F64(b) => b,
        _ => 0,
    }
}

pub fn bits_to_value(t: ValType, b: u64) -> Value {
    match t {
        ValType::I64 => Value::I64(b as i64),
        ValType::F32 => Value::F32(b as u32),
        ValType::F64 => Value::F64(b),
        _ => Value::I32(b as u32 as i32),
    }
}

pub use super::call::call_wasm;
pub use super::handles::{Handle, HandleTable};

/// `realloc(0, 0, align, size)` of the options (`realloc`, `memory`),
/// checked: an aligned block inside the memory.
pub(super) fn alloc(
    store: &mut Store,
    realloc: Option<FuncAddr>,
    memory: Option<u32>,
    align: u32,
    size: u32,
) -> Result<u32, HostError> {
    let Some(f) = realloc else {
        return trap("canonical ABI: a string or list is returned without a `realloc` option");
    };
    let r = call_wasm(
        store,
        f,
        &[
            Value::I32(0),
            Value::I32(0),
            Value::I32(align as i32),
            Value::I32(size as i32),
        ],
    )?;
    let ptr = match r.first() {
        Some(Value::I32(p)) => *p as u32,
        _ => return trap("canonical ABI: realloc did not return an i32"),
    };
    if !ptr.is_multiple_of(align) {
        return trap(format!(
            "canonical ABI: realloc returned {ptr:#x}, not aligned to {align}"
        ));
    }
    let Some(m) = memory else {
        return trap("canonical ABI: a string or list crosses without a `memory` option");
    };
    if ptr as u64 + size as u64 > store.memory(m).len() as u64 {
        return trap(format!(
            "canonical ABI: realloc returned {ptr:#x}, out of bounds for {size} bytes"
        ));
    }
    Ok(ptr)
}

/// What lifting and lowering need: the store, the options' memory,
/// `realloc` and string encoding, and the component instance's handles.
pub struct Cx<'a> {
    pub store: &'a mut Store,
    pub memory: Option<u32>,
    pub realloc: Option<FuncAddr>,
    pub encoding: StringEncoding,
    pub handles: &'a std::sync::Mutex<HandleTable>,
}

impl Cx<'_> {
    fn mem(&self) -> Result<&[u8], HostError> {
        match self.memory {
            Some(m) => Ok(self.store.memory(m)),
            None => trap("canonical ABI: a string or list crosses without a `memory` option"),
        }
    }

    fn mem_mut(&mut self) -> Result<&mut [u8], HostError> {
        match self.memory {
            Some(m) => Ok(self.store.memory_mut(m)),
            None => trap("canonical ABI: a string or list crosses without a `memory` option"),
        }
    }

    fn bytes(&self, ptr: u32, len: u64) -> Result<&[u8], HostError> {
        let mem = self.mem()?;
        let end = ptr as u64 + len;
        if end > mem.len() as u64 {
            return trap(format!(
                "canonical ABI: {len} bytes at {ptr:#x} are out of bounds of linear memory ({} bytes)",
                mem.len()
            ));
        }
        Ok(&mem[ptr as usize..end as usize])
    }

    fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), HostError> {
        let mem = self.mem_mut()?;
        let end = ptr as u64 + data.len() as u64;
        if end > mem.len() as u64 {
            return trap(format!(
                "canonical ABI: a store of {} bytes at {ptr:#x} is out of bounds",
                data.len()
            ));
        }
        mem[ptr as usize..end as usize].copy_from_slice(data);
        Ok(())
    }

    fn load_uint(&self, ptr: u32, n: u32) -> Result<u64, HostError> {
        let b = self.bytes(ptr, n as u64)?;
        let mut v = [0u8; 8];
        v[..n as usize].copy_from_slice(b);
        Ok(u64::from_le_bytes(v))
    }

    fn store_uint(&mut self, ptr: u32, n: u32, v: u64) -> Result<(), HostError> {
        let b = v.to_le_bytes();
        self.write(ptr, &b[..n as usize])
    }

    /// `realloc(0, 0, align, size)`, checked.
    pub fn alloc(&mut self, align: u32, size: u32) -> Result<u32, HostError> {
        alloc(self.store, self.realloc, self.memory, align, size)
    }

    fn handles(&self) -> std::sync::MutexGuard<'_, HandleTable> {
        self.handles.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- lifting: guest -> Val ------------------------------------------

    pub fn lift_flat(
        &mut self,
        t: &Ty,
        vals: &mut std::slice::Iter<'_, u64>,
    ) -> Result<Val, HostError> {
        let mut next = || vals.next().copied().unwrap_or(0);
        Ok(match t {
            Ty::Bool => Val::Bool(next() as u32 != 0),
            Ty::S8 => Val::S8(next() as i8),
            Ty::U8 => Val::U8(next() as u8),
            Ty::S16 => Val::S16(next() as i16),
            Ty::U16 => Val::U16(next() as u16),
            Ty::S32 => Val::S32(next() as i32),
            Ty::U32 => Val::U32(next() as u32),
            Ty::S64 => Val::S64(next() as i64),
            Ty::U64 => Val::U64(next()),
            Ty::F32 => Val::F32(f32::from_bits(next() as u32)),
            Ty::F64 => Val::F64(f64::from_bits(next())),
            Ty::Char => Val::Char(char_of(next() as u32)?),
            Ty::String => {
                let (p, l) = (next() as u32, next() as u32);
                Val::String(self.lift_string(p, l)?)
            }
            Ty::List(e) => {
                let (p, l) = (next() as u32, next() as u32);
                self.lift_list(e, p, l)?
            }
            Ty::Record(_) | Ty::Tuple(_) => {
                let mut v = Vec::new();
                for f in fields(t) {
                    v.push(self.lift_flat(f, vals)?);
                }
                if matches!(t, Ty::Record(_)) {
                    Val::Record(v)
                } else {
                    Val::Tuple(v)
                }
            }
            Ty::Flags(n) => {
                if n.is_empty() {
                    Val::Flags(0)
                } else {
                    Val::Flags(next() as u32 & mask(n.len()))
                }
            }
            Ty::Own(r) => self.lift_own(*r, next() as u32)?,
            Ty::Borrow(r) => self.lift_borrow(*r, next() as u32)?,
            _ => {
                let c = cases(t).unwrap_or_default();
                let disc = next() as u32;
                let total = flat_count(t) - 1;
                let rest: Vec<u64> = (0..total).map(|_| next()).collect();
                let Some(case) = c.get(disc as usize) else {
                    return trap(format!(
                        "canonical ABI: case {disc} of a type with {} cases",
                        c.len()
                    ));
                };
                let payload = match case {
                    Some(ct) => Some(Box::new(self.lift_flat(ct, &mut rest.iter())?)),
                    None => None,
                };
                variant_val(t, disc, payload)
            }
        })
    }

    pub fn load(&mut self, t: &Ty, ptr: u32) -> Result<Val, HostError> {
        let a = align(t);
        if !ptr.is_multiple_of(a) {
            return trap(format!(
                "canonical ABI: pointer {ptr:#x} not aligned to {a}"
            ));
        }
        self.bytes(ptr, size(t) as u64)?;
        Ok(match t {
            Ty::Bool => Val::Bool(self.load_uint(ptr, 1)? != 0),
            Ty::S8 => Val::S8(self.load_uint(ptr, 1)? as i8),
            Ty::U8 => Val::U8(self.load_uint(ptr, 1)? as u8),
            Ty::S16 => Val::S16(self.load_uint(ptr, 2)? as i16),
            Ty::U16 => Val::U16(self.load_uint(ptr, 2)? as u16),
            Ty::S32 => Val::S32(self.load_uint(ptr, 4)? as i32),
            Ty::U32 => Val::U32(self.load_uint(ptr, 4)? as u32),
            Ty::S64 => Val::S64(self.load_uint(ptr, 8)? as i64),
            Ty::U64 => Val::U64(self.load_uint(ptr, 8)?),
            Ty::F32 => Val::F32(f32::from_bits(self.load_uint(ptr, 4)? as u32)),
            Ty::F64 => Val::F64(f64::from_bits(self.load_uint(ptr, 8)?)),
            Ty::Char => Val::Char(char_of(self.load_uint(ptr, 4)? as u32)?),
            Ty::String => {
                let p = self.load_uint(ptr, 4)? as u32;
                let l = self.load_uint(ptr + 4, 4)? as u32;
                Val::String(self.lift_string(p, l)?)
            }
            Ty::List(e) => {
                let p = self.load_uint(ptr, 4)? as u32;
                let l = self.load_uint(ptr + 4, 4)? as u32;
                self.lift_list(e, p, l)?
            }
            Ty::Record(_) | Ty::Tuple(_) => {
                let mut v = Vec::new();
                let mut off = 0;
                for f in fields(t) {
                    off = align_to(off, align(f));
                    v.push(self.load(f, ptr + off)?);
                    off += size(f);
                }
                if matches!(t, Ty::Record(_)) {
                    Val::Record(v)
                } else {
                    Val::Tuple(v)
                }
            }
            Ty::Flags(n) => {
                Val::Flags(self.load_uint(ptr, flags_size(n.len()))? as u32 & mask(n.len()))
            }
            Ty::Own(r) => {
                let h = self.load_uint(ptr, 4)? as u32;
                self.lift_own(*r, h)?
            }
            Ty::Borrow(r) => {
                let h = self.load_uint(ptr, 4)? as u32;
                self.lift_borrow(*r, h)?
            }
            _ => {
                let c = cases(t).unwrap_or_default();
                let ds = disc_size(c.len());
                let disc = self.load_uint(ptr, ds)? as u32;
                let Some(case) = c.get(disc as usize) else {
                    return trap(format!(
                        "canonical ABI: case {disc} of a type with {} cases",
                        c.len()
                    ));
                };
                let pa = c.iter().flatten().map(|t| align(t)).max().unwrap_or(1);
                let payload = match case {
                    Some(ct) => Some(Box::new(self.load(ct, ptr + align_to(ds, pa))?)),
                    None => None,
                };
                variant_val(t, disc, payload)
            }
        })
    }

    fn lift_string(&self, ptr: u32, len: u32) -> Result<String, HostError> {
        match self.encoding {
            StringEncoding::Utf8 => {
                let b = self.bytes(ptr, len as u64)?;
                match std::str::from_utf8(b) {
                    Ok(s) => Ok(s.to_string()),
                    Err(e) => trap(format!(
                        "canonical ABI: invalid UTF-8 in a string at {ptr:#x}: {e}"
                    )),
                }
            }
            StringEncoding::Utf16 => self.lift_utf16(ptr, len),
            StringEncoding::CompactUtf16 => {
                const TAG: u32 = 1 << 31;
                if len & TAG != 0 {
                    self.lift_utf16(ptr, len & !TAG)
                } else {
                    let b = self.bytes(ptr, len as u64)?;
                    Ok(b.iter().map(|&c| c as char).collect())
                }
            }
        }
    }

    fn lift_utf16(&self, ptr: u32, units: u32) -> Result<String, HostError> {
        if !ptr.is_multiple_of(2) {
            return trap(format!(
                "canonical ABI: UTF-16 string at {ptr:#x} is not 2-aligned"
            ));
        }
        let b = self.bytes(ptr, units as u64 * 2)?;
        let u: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&u).or_else(|_| {
            trap(format!(
                "canonical ABI: invalid UTF-16 in a string at {ptr:#x}"
            ))
        })
    }

    fn lift_list(&mut self, e: &Ty, ptr: u32, len: u32) -> Result<Val, HostError> {
        if matches!(e, Ty::U8) {
            return Ok(Val::Bytes(self.bytes(ptr, len as u64)?.to_vec()));
        }
        let (a, s) = (align(e), size(e));
        if !ptr.is_multiple_of(a) {
            return trap(format!(
                "canonical ABI: list at {ptr:#x} is not aligned to {a}"
            ));
        }
        self.bytes(ptr, len as u64 * s as u64)?;
        let mut v = Vec::with_capacity(len.min(1 << 16) as usize);
        for i in 0..len {
            v.push(self.load(e, ptr + i * s)?);
        }
        Ok(Val::List(v))
    }

    fn lift_own(&mut self, res: u32, h: u32) -> Result<Val, HostError> {
        let mut t = self.handles();
        match t.get(h) {
            Some(x) if x.own && x.res == res => {
                t.remove(h);
                Ok(Val::Own(x.rep))
            }
            Some(x) if x.res != res => trap(format!(
                "canonical ABI: handle {h} is of another resource type"
            )),
            Some(_) => trap(format!(
                "canonical ABI: handle {h} is a borrow, an owned handle was expected"
            )),
            None => trap(format!(
                "canonical ABI: unknown handle {h} (a resource used after it was dropped?)"
            )),
        }
    }

    fn lift_borrow(&mut self, res: u32, h: u32) -> Result<Val, HostError> {
        match self.handles().get(h) {
            Some(x) if x.res == res => Ok(Val::Borrow(x.rep)),
            Some(_) => trap(format!(
                "canonical ABI: handle {h} is of another resource type"
            )),
            None => trap(format!(
                "canonical ABI: unknown handle {h} (a resource used after it was dropped?)"
            )),
        }
    }

    // ---- lowering: Val -> guest -----------------------------------------

    pub fn lower_flat(&mut self, t: &Ty, v: &Val, out: &mut Vec<u64>) -> Result<(), HostError> {
        match (t, v) {
            (Ty::Bool, Val::Bool(b)) => out.push(*b as u64),
            (Ty::S8, Val::S8(x)) => out.push(*x as i32 as u32 as u64),
            (Ty::U8, Val::U8(x)) => out.push(*x as u64),
            (Ty::S16, Val::S16(x)) => out.push(*x as i32 as u32 as u64),
            (Ty::U16, Val::U16(x)) => out.push(*x as u64),
            (Ty::S32, Val::S32(x)) => out.push(*x as u32 as u64),
            (Ty::U32, Val::U32(x)) => out.push(*x as u64),
            (Ty::S64, Val::S64(x)) => out.push(*x as u64),
            (Ty::U64, Val::U64(x)) => out.push(*x),
            (Ty::F32, Val::F32(x)) => out.push(x.to_bits() as u64),
            (Ty::F64, Val::F64(x)) => out.push(x.to_bits()),
            (Ty::Char, Val::Char(c)) => out.push(*c as u64),
            (Ty::String, Val::String(s)) => {
                let (p, l) = self.lower_string(s)?;
                out.extend([p as u64, l as u64]);
            }
            (Ty::List(e), _) => {
                let (p, l) = self.lower_list(e, v)?;
                out.extend([p as u64, l as u64]);
            }
            (Ty::Record(_), Val::Record(vs)) | (Ty::Tuple(_), Val::Tuple(vs)) => {
                let fs = fields(t);
                if fs.len() != vs.len() {
                    return mismatch(t, v);
                }
                for (f, x) in fs.iter().zip(vs) {
                    self.lower_flat(f, x, out)?;
                }
            }
            (Ty::Flags(n), Val::Flags(b)) => {
                if !n.is_empty() {
                    out.push((*b & mask(n.len())) as u64)
                }
            }
            (Ty::Own(r), Val::Own(rep)) => out.push(self.lower_handle(*r, *rep, true) as u64),
            (Ty::Borrow(r), Val::Borrow(rep)) => {
                out.push(self.lower_handle(*r, *rep, false) as u64)
            }
            _ => {
                let Some((disc, payload)) = variant_parts(t, v) else {
                    return mismatch(t, v);
                };
                let c = cases(t).unwrap_or_default();
                let total = flat_count(t) - 1;
                out.push(disc as u64);
                let start = out.len();
                match (c.get(disc as usize).copied().flatten(), payload) {
                    (Some(ct), Some(p)) => self.lower_flat(ct, p, out)?,
                    (None, None) => {}
                    _ => return mismatch(t, v),
                }
                out.resize(start + total, 0);
            }
        }
        Ok(())
    }

    pub fn store(&mut self, t: &Ty, v: &Val, ptr: u32) -> Result<(), HostError> {
        let a = align(t);
        if !ptr.is_multiple_of(a) {
            return trap(format!(
                "canonical ABI: pointer {ptr:#x} not aligned to {a}"
            ));
        }
        match (t, v) {
            (Ty::String, Val::String(s)) => {
                let (p, l) = self.lower_string(s)?;
                self.store_uint(ptr, 4, p as u64)?;
                self.store_uint(ptr + 4, 4, l as u64)
            }
            (Ty::List(e), _) => {
                let (p, l) = self.lower_list(e, v)?;
                self.store_uint(ptr, 4, p as u64)?;
                self.store_uint(ptr + 4, 4, l as u64)
            }
            (Ty::Record(_), Val::Record(vs)) | (Ty::Tuple(_), Val::Tuple(vs)) => {
                let fs = fields(t);
                if fs.len() != vs.len() {
                    return mismatch(t, v);
                }
                let mut off = 0;
                for (f, x) in fs.iter().zip(vs) {
                    off = align_to(off, align(f));
                    self.store(f, x, ptr + off)?;
                    off += size(f);
                }
                Ok(())
            }
            (Ty::Flags(n), Val::Flags(b)) => {
                self.store_uint(ptr, flags_size(n.len()), (*b & mask(n.len())) as u64)
            }
            (Ty::Variant(_) | Ty::Enum(_) | Ty::Option(_) | Ty::Result(..), _) => {
                let Some((disc, payload)) = variant_parts(t, v) else {
                    return mismatch(t, v);
                };
                let c = cases(t).unwrap_or_default();
                let ds = disc_size(c.len());
                self.store_uint(ptr, ds, disc as u64)?;
                let pa = c.iter().flatten().map(|t| align(t)).max().unwrap_or(1);
                match (c.get(disc as usize).copied().flatten(), payload) {
                    (Some(ct), Some(p)) => self.store(ct, p, ptr + align_to(ds, pa)),
                    (None, None) => Ok(()),
                    _ => mismatch(t, v),
                }
            }
            _ => {
                // A scalar: its one flat value, stored by size.
                let mut flat = Vec::with_capacity(1);
                self.lower_flat(t, v, &mut flat)?;
                self.store_uint(ptr, size(t), flat.first().copied().unwrap_or(0))
            }
        }
    }

    fn lower_string(&mut self, s: &str) -> Result<(u32, u32), HostError> {
        match self.encoding {
            StringEncoding::Utf8 => {
                let len = u32::try_from(s.len()).ok().filter(|&l| l < 1 << 31);
                let Some(len) = len else {
                    return trap("canonical ABI: string too long");
                };
                let p = self.alloc(1, len)?;
                self.write(p, s.as_bytes())?;
                Ok((p, len))
            }
            StringEncoding::Utf16 => {
                let (p, n) = self.lower_utf16(s)?;
                Ok((p, n))
            }
            StringEncoding::CompactUtf16 => {
                if s.chars().all(|c| (c as u32) < 0x100) {
                    let b: Vec<u8> = s.chars().map(|c| c as u8).collect();
                    let p = self.alloc(2, b.len() as u32)?;
                    self.write(p, &b)?;
                    Ok((p, b.len() as u32))
                } else {
                    let (p, n) = self.lower_utf16(s)?;
                    Ok((p, n | 1 << 31))
                }
            }
        }
    }

    fn lower_utf16(&mut self, s: &str) -> Result<(u32, u32), HostError> {
        let u: Vec<u8> = s.encode_utf16().flat_map(|c| c.to_le_bytes()).collect();
        let p = self.alloc(2, u.len() as u32)?;
        self.write(p, &u)?;
        Ok((p, (u.len() / 2) as u32))
    }

    fn lower_list(&mut self, e: &Ty, v: &Val) -> Result<(u32, u32), HostError> {
        match v {
            Val::Bytes(b) if matches!(e, Ty::U8) => {
                let p = self.alloc(1, b.len() as u32)?;
                self.write(p, b)?;
                Ok((p, b.len() as u32))
            }
            Val::List(items) => {
                let (a, s) = (align(e), size(e));
                let total = (items.len() as u64) * s as u64;
                if total >= 1 << 32 {
                    return trap("canonical ABI: list too long");
                }
                let p = self.alloc(a, total as u32)?;
                for (i, x) in items.iter().enumerate() {
                    self.store(e, x, p + i as u32 * s)?;
                }
                Ok((p, items.len() as u32))
            }
            _ => mismatch(&Ty::List(Box::new(e.clone())), v),
        }
    }

    fn lower_handle(&mut self, res: u32, rep: u32, own: bool) -> u32 {
        self.handles().add(Handle { rep, res, own })
    }
}

pub(super) fn mask(n: usize) -> u32 {
    if n >= 32 { u32::MAX } else { (1u32 << n) - 1 }
}

fn mismatch<T>(t: &Ty, v: &Val) -> Result<T, HostError> {
    trap(format!("canonical ABI: value {v} does not have type {t}"))
}

pub(super) fn char_of(c: u32) -> Result<char, HostError> {
    char::from_u32(c).map_or_else(
        || {
            trap(format!(
                "canonical ABI: {c:#x} is not a Unicode scalar value"
            ))
        },
        Ok,
    )
}

fn variant_val(t: &Ty, disc: u32, payload: Option<Box<Val>>) -> Val {
    match t {
        Ty::Enum(_) => Val::Enum(disc),
        Ty::Option(_) => Val::Option(if disc == 0 { None } else { payload }),
        Ty::Result(..) => Val::Result(if disc == 0 { Ok(payload) } else { Err(payload) }),
        _ => Val::Variant(disc, payload),
    }
}

fn variant_parts<'v>(t: &Ty, v: &'v Val) -> Option<(u32, Option<&'v Val>)> {
    Some(match (t, v) {
        (Ty::Variant(_), Val::Variant(d, p)) => (*d, p.as_deref()),
        (Ty::Enum(_), Val::Enum(d)) => (*d, None),
        (Ty::Option(_), Val::Option(None)) => (0, None),
        (Ty::Option(_), Val::Option(Some(p))) => (1, Some(p)),
        (Ty::Result(..), Val::Result(Ok(p))) => (0, p.as_deref()),
        (Ty::Result(..), Val::Result(Err(p))) => (1, p.as_deref()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_flattening() {
        let s = Ty::String;
        assert_eq!((size(&s), align(&s)), (8, 4));
        let r = Ty::Record(vec![
            ("a".into(), Ty::U8),
            ("b".into(), Ty::U64),
            ("c".into(), Ty::U16),
        ]);
        assert_eq!((size(&r), align(&r)), (24, 8));
        let res = Ty::Result(
            Some(Box::new(Ty::List(Box::new(Ty::U8)))),
            Some(Box::new(Ty::Enum(vec!["x".into(); 3]))),
        );
        assert_eq!((size(&res), align(&res)), (12, 4));
        let mut f = Vec::new();
        flatten(&res, &mut f);
        assert_eq!(f, vec![ValType::I32, ValType::I32, ValType::I32]);
        let v = Ty::Variant(vec![
            ("a".into(), Some(Ty::F32)),
            ("b".into(), Some(Ty::U64)),
        ]);
        let mut f = Vec::new();
        flatten(&v, &mut f);
        assert_eq!(f, vec![ValType::I32, ValType::I64]);
        assert_eq!((size(&v), align(&v)), (16, 8));
        let o = Ty::Option(Box::new(Ty::U64));
        assert_eq!((size(&o), align(&o)), (16, 8));
        assert_eq!(size(&Ty::Flags(vec!["a".into(); 9])), 2);
        assert_eq!(disc_size(257), 2);
    }
}
