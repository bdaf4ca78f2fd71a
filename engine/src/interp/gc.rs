//! GC instructions (`Op::Gc`): structs, arrays, i31, casts and the
//! `any`/`extern` conversions, out of line (a module without GC pays
//! nothing). References are encoded as `runtime/gc.rs` describes.

use std::sync::Arc;

use crate::ir::{CastHeap, CastTarget, GcOp};
use crate::runtime::Store;
use crate::runtime::store::FuncKind;
use crate::value::{RefClass, Value, ref_class};

use super::Frame;
use crate::runtime::gc::{self, GcLayout, Storage};
use crate::trap::TrapCode;

fn layout(store: &Store, ty: u32) -> Arc<GcLayout> {
    store.gc_layouts[ty as usize]
        .clone()
        .expect("validated: a struct or array type")
}

fn array_storage(store: &Store, ty: u32) -> Storage {
    match *layout(store, ty) {
        GcLayout::Array(s) => s,
        GcLayout::Struct { .. } => unreachable!("validated: an array type"),
    }
}

/// Whether reference slot `r` matches `t`.
pub(crate) fn matches(store: &Store, r: u64, t: CastTarget) -> bool {
    if r == 0 {
        return t.nullable;
    }
    let obj = || store.gc.get(r);
    match t.heap {
        CastHeap::Top | CastHeap::Any => true,
        CastHeap::Bottom => false,
        CastHeap::Eq => gc::i31_value(r).is_some() || obj().is_some(),
        CastHeap::I31 => gc::i31_value(r).is_some(),
        CastHeap::Struct => obj().is_some_and(|o| {
            matches!(
                store.gc_layouts[o.ty as usize].as_deref(),
                Some(GcLayout::Struct { .. })
            )
        }),
        CastHeap::Array => obj().is_some_and(|o| {
            matches!(
                store.gc_layouts[o.ty as usize].as_deref(),
                Some(GcLayout::Array(_))
            )
        }),
        CastHeap::Concrete(id) => {
            if store.gc_layouts[id as usize].is_some() {
                obj().is_some_and(|o| store.type_is_subtype(o.ty, id))
            } else {
                // A function reference: its address + 1.
                store
                    .funcs
                    .get((r - 1) as usize)
                    .is_some_and(|f| store.type_is_subtype(f.type_id, id))
            }
        }
    }
}

/// Read the elements of storage `s` from `bytes` (little-endian, as many
/// as fit), as slots.
fn read_elems(bytes: &[u8], s: Storage, out: &mut Vec<u64>) {
    for c in bytes.chunks_exact(s.bytes()) {
        let mut b = [0u8; 16];
        b[..c.len()].copy_from_slice(c);
        let v = u128::from_le_bytes(b);
        out.push(v as u64);
        if s.slots() == 2 {
            out.push((v >> 64) as u64);
        }
    }
}

/// Whether `x` allocates (a point where the collector may run).
pub(crate) fn allocates(x: &GcOp) -> bool {
    matches!(
        x,
        GcOp::StructNew { .. }
            | GcOp::ArrayNew { .. }
            | GcOp::ArrayNewFixed { .. }
            | GcOp::ArrayNewData { .. }
            | GcOp::ArrayNewElem { .. }
    )
}

/// The collector's roots: every `any` reference in the execution's frames
/// (by each function's stack maps: the innermost frame at `pc`, the others
/// at their calls) and in the store (globals, tables, element segments,
/// exception payloads). `None` if a frame has no stack map where it
/// stands (then nothing may be freed).
fn roots(store: &Store, stack: &[u64], frames: &[Frame], sp: usize, pc: u32) -> Option<Vec<u64>> {
    let mut roots = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let FuncKind::Wasm {
            code: Some(code), ..
        } = &store.funcs[f.func as usize].kind
        else {
            continue;
        };
        let fp = f.fp as usize;
        let inner = i + 1 == frames.len();
        let (end, at) = if inner {
            (sp, pc)
        } else {
            (frames[i + 1].fp as usize, f.pc.checked_sub(1)?)
        };
        roots.extend(code.gc_locals.iter().map(|&o| stack[fp + o as usize]));
        if code.gc_locals.is_empty() && code.gc_maps.is_empty() {
            continue;
        }
        let k = code.gc_maps.binary_search_by_key(&at, |m| m.0).ok()?;
        for &o in code.gc_maps[k].1.iter() {
            if fp + (o as usize) < end {
                roots.push(stack[fp + o as usize]);
            }
        }
    }
    store_roots(store, &mut roots);
    Some(roots)
}

/// The store's roots: `any` references in globals, tables, element
/// segments and exception payloads (every engine's collection adds them).
pub(crate) fn store_roots(store: &Store, roots: &mut Vec<u64>) {
    let is_any = |t: crate::value::ValType| matches!(t, crate::value::ValType::Ref(r) if ref_class(r) == RefClass::Any);
    for g in &store.globals {
        if is_any(g.ty.content_type) {
            roots.push(g.bits[0]);
        }
    }
    for t in &store.tables {
        if ref_class(t.ty.element_type) == RefClass::Any {
            roots.extend_from_slice(&t.elems);
        }
    }
    for (e, &any) in store.elems.iter().zip(&store.elem_any) {
        if any {
            roots.extend_from_slice(e);
        }
    }
    for e in &store.exns {
        let mut at = 0;
        for &t in store.tags[e.tag as usize].ty.params() {
            if is_any(t) {
                roots.push(e.payload[at]);
            }
            at += Value::slots(t);
        }
    }
}

/// Mark from `roots` (every root of the stopped computation) and free the rest.
pub(crate) fn collect_from(store: &mut Store, roots: &[u64]) {
    let layouts = std::mem::take(&mut store.gc_layouts);
    store.gc.collect(roots, &layouts);
    store.gc_layouts = layouts;
}

/// Give up this collection: ask again after as much allocation again.
pub(crate) fn postpone(store: &mut Store) {
    store.gc.postpone();
}

/// Collect garbage now, with the roots of this execution (stopped at `pc`
/// of its innermost frame, operands below `sp`).
pub(super) fn collect(store: &mut Store, stack: &[u64], frames: &[Frame], sp: usize, pc: u32) {
    // Under JIT frames (the debugger's hook runs this execution from JIT
    // code) there are roots this execution cannot see.
    if store.gc.foreign_frames > 0 {
        return postpone(store);
    }
    match roots(store, stack, frames, sp, pc) {
        Some(r) => collect_from(store, &r),
        None => postpone(store),
    }
}

/// Run `x` on the operands at the top of `stack[..sp]`; the new sp.
pub(crate) fn run(
    store: &mut Store,
    stack: &mut [u64],
    sp: usize,
    x: &GcOp,
) -> Result<usize, TrapCode> {
    let alloc = |store: &mut Store, ty: u32, slots: Vec<u64>| {
        let per = match store.gc_layouts[ty as usize].as_deref() {
            Some(GcLayout::Array(s)) => Some(s.slots()),
            _ => None,
        };
        store
            .gc
            .alloc(ty, per, &slots)
            .map_err(|_| TrapCode::GcHeapExhausted)
    };
    match *x {
        GcOp::StructNew { ty, default } => {
            let GcLayout::Struct { fields, slots } = &*layout(store, ty) else {
                unreachable!("validated: a struct type")
            };
            let n = *slots as usize;
            let (vals, sp) = if default {
                (vec![0; n], sp)
            } else {
                let mut v = stack[sp - n..sp].to_vec();
                for &(off, s) in fields {
                    v[off as usize] = s.wrap(v[off as usize]);
                }
                (v, sp - n)
            };
            stack[sp] = alloc(store, ty, vals)?;
            Ok(sp + 1)
        }
        GcOp::StructGet { ty, field, signed } => {
            let GcLayout::Struct { fields, .. } = &*layout(store, ty) else {
                unreachable!("validated: a struct type")
            };
            let (off, s) = fields[field as usize];
            let o = store
                .gc
                .get(stack[sp - 1])
                .ok_or(TrapCode::NullStructReference)?;
            let at = off as usize;
            stack[sp - 1] = s.extend(o.slots[at], signed);
            if s.slots() == 2 {
                stack[sp] = o.slots[at + 1];
                return Ok(sp + 1);
            }
            Ok(sp)
        }
        GcOp::StructSet { ty, field } => {
            let GcLayout::Struct { fields, .. } = &*layout(store, ty) else {
                unreachable!("validated: a struct type")
            };
            let (off, s) = fields[field as usize];
            let n = s.slots() as usize;
            let r = stack[sp - n - 1];
            let o = store.gc.get_mut(r).ok_or(TrapCode::NullStructReference)?;
            let at = off as usize;
            o.slots[at] = s.wrap(stack[sp - n]);
            if n == 2 {
                o.slots[at + 1] = stack[sp - 1];
            }
            Ok(sp - n - 1)
        }
        GcOp::ArrayNew { ty, default } => {
            let s = array_storage(store, ty);
            let len = stack[sp - 1] as u32 as usize;
            let k = s.slots() as usize;
            if len.saturating_mul(k * 8) > gc::GC_HEAP_LIMIT {
                return Err(TrapCode::GcHeapExhausted);
            }
            let per = Some(k as u32);
            if default {
                stack[sp - 1] = store
                    .gc
                    .alloc_repeat(ty, per, &[0, 0][..k], len)
                    .map_err(|_| TrapCode::GcHeapExhausted)?;
                return Ok(sp);
            }
            let mut init: Vec<u64> = stack[sp - 1 - k..sp - 1].to_vec();
            init[0] = s.wrap(init[0]);
            let sp = sp - 1 - k;
            stack[sp] = store
                .gc
                .alloc_repeat(ty, per, &init, len)
                .map_err(|_| TrapCode::GcHeapExhausted)?;
            Ok(sp + 1)
        }
        GcOp::ArrayNewFixed { ty, len } => {
            let s = array_storage(store, ty);
            let n = len as usize * s.slots() as usize;
            let mut v = stack[sp - n..sp].to_vec();
            if s.slots() == 1 {
                v.iter_mut().for_each(|e| *e = s.wrap(*e));
            }
            let sp = sp - n;
            stack[sp] = alloc(store, ty, v)?;
            Ok(sp + 1)
        }
        GcOp::ArrayNewData { ty, data } => {
            let s = array_storage(store, ty);
            let (off, len) = (stack[sp - 2] as u32 as usize, stack[sp - 1] as u32 as usize);
            let size = s.bytes();
            let seg = &store.datas[data as usize];
            let end = len
                .checked_mul(size)
                .and_then(|b| b.checked_add(off))
                .filter(|&e| e <= seg.len())
                .ok_or(TrapCode::MemoryOutOfBounds)?;
            let mut v = Vec::with_capacity(len * s.slots() as usize);
            read_elems(&seg[off..end], s, &mut v);
            stack[sp - 2] = alloc(store, ty, v)?;
            Ok(sp - 1)
        }
        GcOp::ArrayNewElem { ty, elem } => {
            let (off, len) = (stack[sp - 2] as u32 as usize, stack[sp - 1] as u32 as usize);
            let seg = &store.elems[elem as usize];
            let end = off
                .checked_add(len)
                .filter(|&e| e <= seg.len())
                .ok_or(TrapCode::TableOutOfBounds)?;
            let v = seg[off..end].to_vec();
            stack[sp - 2] = alloc(store, ty, v)?;
            Ok(sp - 1)
        }
        GcOp::ArrayGet { ty, signed } => {
            let s = array_storage(store, ty);
            let k = s.slots() as usize;
            let i = stack[sp - 1] as u32 as usize;
            let o = store
                .gc
                .get(stack[sp - 2])
                .ok_or(TrapCode::NullArrayReference)?;
            if i >= o.slots.len() / k {
                return Err(TrapCode::ArrayOutOfBounds);
            }
            stack[sp - 2] = s.extend(o.slots[i * k], signed);
            if k == 2 {
                stack[sp - 1] = o.slots[i * k + 1];
                return Ok(sp);
            }
            Ok(sp - 1)
        }
        GcOp::ArraySet { ty } => {
            let s = array_storage(store, ty);
            let k = s.slots() as usize;
            let (r, i) = (stack[sp - k - 2], stack[sp - k - 1] as u32 as usize);
            let o = store.gc.get_mut(r).ok_or(TrapCode::NullArrayReference)?;
            if i >= o.slots.len() / k {
                return Err(TrapCode::ArrayOutOfBounds);
            }
            o.slots[i * k] = s.wrap(stack[sp - k]);
            if k == 2 {
                o.slots[i * k + 1] = stack[sp - 1];
            }
            Ok(sp - k - 2)
        }
        GcOp::ArrayLen => {
            let o = store
                .gc
                .get(stack[sp - 1])
                .ok_or(TrapCode::NullArrayReference)?;
            let k = match store.gc_layouts[o.ty as usize].as_deref() {
                Some(GcLayout::Array(s)) => s.slots() as usize,
                _ => 1,
            };
            stack[sp - 1] = (o.slots.len() / k) as u64;
            Ok(sp)
        }
        GcOp::ArrayFill { ty } => {
            let s = array_storage(store, ty);
            let k = s.slots() as usize;
            let (r, i) = (stack[sp - k - 3], stack[sp - k - 2] as u32 as usize);
            let n = stack[sp - 1] as u32 as usize;
            let val: Vec<u64> = stack[sp - k - 1..sp - 1].to_vec();
            let o = store.gc.get_mut(r).ok_or(TrapCode::NullArrayReference)?;
            if i.checked_add(n).is_none_or(|e| e > o.slots.len() / k) {
                return Err(TrapCode::ArrayOutOfBounds);
            }
            for j in i..i + n {
                o.slots[j * k] = s.wrap(val[0]);
                if k == 2 {
                    o.slots[j * k + 1] = val[1];
                }
            }
            Ok(sp - k - 3)
        }
        GcOp::ArrayCopy { dst, src } => {
            let k = array_storage(store, dst).slots() as usize;
            let _ = src;
            let (dr, di) = (stack[sp - 5], stack[sp - 4] as u32 as usize);
            let (sr, si) = (stack[sp - 3], stack[sp - 2] as u32 as usize);
            let n = stack[sp - 1] as u32 as usize;
            let dlen = store
                .gc
                .get(dr)
                .ok_or(TrapCode::NullArrayReference)?
                .slots
                .len()
                / k;
            let slen = store
                .gc
                .get(sr)
                .ok_or(TrapCode::NullArrayReference)?
                .slots
                .len()
                / k;
            if di.checked_add(n).is_none_or(|e| e > dlen)
                || si.checked_add(n).is_none_or(|e| e > slen)
            {
                return Err(TrapCode::ArrayOutOfBounds);
            }
            if dr == sr {
                let o = store.gc.get_mut(dr).expect("checked");
                o.slots.copy_within(si * k..(si + n) * k, di * k);
            } else {
                let (d, s) = store.gc.get_two(dr, sr).expect("checked");
                d.slots[di * k..(di + n) * k].copy_from_slice(&s.slots[si * k..(si + n) * k]);
            }
            Ok(sp - 5)
        }
        GcOp::ArrayInitData { ty, data } => {
            let s = array_storage(store, ty);
            let k = s.slots() as usize;
            let (r, d) = (stack[sp - 4], stack[sp - 3] as u32 as usize);
            let (off, n) = (stack[sp - 2] as u32 as usize, stack[sp - 1] as u32 as usize);
            let size = s.bytes();
            let alen = store
                .gc
                .get(r)
                .ok_or(TrapCode::NullArrayReference)?
                .slots
                .len()
                / k;
            if d.checked_add(n).is_none_or(|e| e > alen) {
                return Err(TrapCode::ArrayOutOfBounds);
            }
            let seg = &store.datas[data as usize];
            let end = n
                .checked_mul(size)
                .and_then(|b| b.checked_add(off))
                .filter(|&e| e <= seg.len())
                .ok_or(TrapCode::MemoryOutOfBounds)?;
            let mut v = Vec::with_capacity(n * k);
            read_elems(&seg[off..end], s, &mut v);
            let o = store.gc.get_mut(r).expect("checked");
            o.slots[d * k..(d + n) * k].copy_from_slice(&v);
            Ok(sp - 4)
        }
        GcOp::ArrayInitElem { ty, elem } => {
            let _ = ty;
            let (r, d) = (stack[sp - 4], stack[sp - 3] as u32 as usize);
            let (off, n) = (stack[sp - 2] as u32 as usize, stack[sp - 1] as u32 as usize);
            let alen = store
                .gc
                .get(r)
                .ok_or(TrapCode::NullArrayReference)?
                .slots
                .len();
            if d.checked_add(n).is_none_or(|e| e > alen) {
                return Err(TrapCode::ArrayOutOfBounds);
            }
            let seg = store.elems[elem as usize].clone();
            let part = off
                .checked_add(n)
                .filter(|&e| e <= seg.len())
                .map(|e| &seg[off..e])
                .ok_or(TrapCode::TableOutOfBounds)?;
            let o = store.gc.get_mut(r).expect("checked");
            o.slots[d..d + n].copy_from_slice(part);
            Ok(sp - 4)
        }
        GcOp::RefI31 => {
            stack[sp - 1] = gc::i31_ref(stack[sp - 1] as u32);
            Ok(sp)
        }
        GcOp::I31Get { signed } => {
            let v = gc::i31_value(stack[sp - 1]).ok_or(TrapCode::NullI31Reference)?;
            stack[sp - 1] = if signed {
                (((v << 1) as i32) >> 1) as u32 as u64
            } else {
                v as u64
            };
            Ok(sp)
        }
        GcOp::RefEq => {
            stack[sp - 2] = (stack[sp - 2] == stack[sp - 1]) as u64;
            Ok(sp - 1)
        }
        GcOp::RefTest(t) => {
            stack[sp - 1] = matches(store, stack[sp - 1], t) as u64;
            Ok(sp)
        }
        GcOp::RefCast(t) => {
            if matches(store, stack[sp - 1], t) {
                Ok(sp)
            } else {
                Err(TrapCode::CastFailure)
            }
        }
        GcOp::CastFlag { target, fail } => {
            stack[sp] = (matches(store, stack[sp - 1], target) != fail) as u64;
            Ok(sp + 1)
        }
        GcOp::AnyConvertExtern => {
            stack[sp - 1] = gc::any_from_extern(stack[sp - 1]);
            Ok(sp)
        }
        GcOp::ExternConvertAny => {
            stack[sp - 1] = gc::extern_from_any(stack[sp - 1]);
            Ok(sp)
        }
    }
}
