//! The GC libcall (`lc_gc`): the GC instruction a call site stands for, in
//! store space, and a collection rooted in the JIT frames of the run.
#![allow(unsafe_code)]

use super::{Cx, VmCtx, cx};
use crate::jit::env::trap_word;
use crate::runtime::{InstanceId, Store};
use crate::trap::TrapCode;

/// The GC instruction `kind` with module-space immediates `a`, `b`
/// (`translate::gc_op_code`), in this instance's store space.
fn gc_op(store: &Store, instance: InstanceId, kind: u32, a: u32, b: u32) -> crate::ir::GcOp {
    use crate::ir::{CastHeap, CastTarget, GcOp};
    use crate::jit::translate::gc_kind as k;
    let inst = store.instance(instance);
    let ty = |i: u32| inst.type_ids[i as usize];
    let target = |a: u32, nullable: bool| CastTarget {
        heap: match a {
            k::HEAP_ANY => CastHeap::Any,
            k::HEAP_EQ => CastHeap::Eq,
            k::HEAP_I31 => CastHeap::I31,
            k::HEAP_STRUCT => CastHeap::Struct,
            k::HEAP_ARRAY => CastHeap::Array,
            k::HEAP_BOTTOM => CastHeap::Bottom,
            k::HEAP_TOP => CastHeap::Top,
            i => CastHeap::Concrete(ty(i)),
        },
        nullable,
    };
    match kind {
        k::STRUCT_NEW => GcOp::StructNew {
            ty: ty(a),
            default: b != 0,
        },
        k::STRUCT_GET => GcOp::StructGet {
            ty: ty(a),
            field: b & 0x7fff_ffff,
            signed: b >> 31 != 0,
        },
        k::STRUCT_SET => GcOp::StructSet {
            ty: ty(a),
            field: b,
        },
        k::ARRAY_NEW => GcOp::ArrayNew {
            ty: ty(a),
            default: b != 0,
        },
        k::ARRAY_NEW_FIXED => GcOp::ArrayNewFixed { ty: ty(a), len: b },
        k::ARRAY_NEW_DATA => GcOp::ArrayNewData {
            ty: ty(a),
            data: inst.datas[b as usize],
        },
        k::ARRAY_NEW_ELEM => GcOp::ArrayNewElem {
            ty: ty(a),
            elem: inst.elems[b as usize],
        },
        k::ARRAY_GET => GcOp::ArrayGet {
            ty: ty(a),
            signed: b != 0,
        },
        k::ARRAY_SET => GcOp::ArraySet { ty: ty(a) },
        k::ARRAY_LEN => GcOp::ArrayLen,
        k::ARRAY_FILL => GcOp::ArrayFill { ty: ty(a) },
        k::ARRAY_COPY => GcOp::ArrayCopy {
            dst: ty(a),
            src: ty(b),
        },
        k::ARRAY_INIT_DATA => GcOp::ArrayInitData {
            ty: ty(a),
            data: inst.datas[b as usize],
        },
        k::ARRAY_INIT_ELEM => GcOp::ArrayInitElem {
            ty: ty(a),
            elem: inst.elems[b as usize],
        },
        k::REF_TEST => GcOp::RefTest(target(a, b & 1 != 0)),
        k::REF_CAST => GcOp::RefCast(target(a, b & 1 != 0)),
        k::CAST_FLAG => GcOp::CastFlag {
            target: target(a, b & 1 != 0),
            fail: b & 2 != 0,
        },
        k::ANY_CONVERT_EXTERN => GcOp::AnyConvertExtern,
        k::EXTERN_CONVERT_ANY => GcOp::ExternConvertAny,
        _ => unreachable!("translate::gc_op_code makes only these kinds"),
    }
}

/// The operand slots of an allocation that are references (roots while it
/// collects: the new object will hold them).
fn gc_operand_refs(store: &Store, op: &crate::ir::GcOp, operands: &[u64], out: &mut Vec<u64>) {
    use crate::ir::GcOp;
    use crate::runtime::gc::{GcLayout, Storage};
    let is_ref = |s: Storage| matches!(s, Storage::Val { gc_ref: true, .. });
    match *op {
        GcOp::StructNew { ty, default: false } => {
            if let Some(GcLayout::Struct { fields, .. }) = store.gc_layouts[ty as usize].as_deref()
            {
                for &(off, s) in fields {
                    if is_ref(s) {
                        out.extend(operands.get(off as usize));
                    }
                }
            }
        }
        GcOp::ArrayNew { ty, .. } | GcOp::ArrayNewFixed { ty, .. } => {
            if let Some(GcLayout::Array(s)) = store.gc_layouts[ty as usize].as_deref()
                && is_ref(*s)
            {
                out.extend_from_slice(operands);
            }
        }
        _ => {}
    }
}

/// The references the JIT frames hold, from the frame (pointer `fp`) of
/// `func_index` of this instance, which is in a call to a libcall, down to
/// the entry: each frame's stack map at its call. `None` when a frame's
/// references cannot be known (code without stack maps of a module that
/// holds GC objects, or a frame that does not look like one).
fn jit_roots(c: &Cx<'_>, fp: u64, func_index: u32) -> Option<Vec<u64>> {
    // SAFETY: the engine's map and entries, alive and unchanged during the
    // libcall (only the lazy JIT adds to them, in other libcalls).
    let (map, entries) = unsafe { (&*c.run.code_map, &*c.run.entries) };
    let bottom = c.rt.stack_limit.saturating_sub(1 << 20);
    let top = c.rt.stack_top;
    let ok = |a: u64| a.is_multiple_of(8) && a >= bottom && a.saturating_add(8) <= top;
    // SAFETY: only called on addresses `ok` accepted: 8-byte aligned words
    // of this thread's stack between the entry and the running libcall.
    let read = |a: u64| unsafe { *(a as *const u64) };
    let mut roots = Vec::new();
    let addr = c.store.instance(c.instance).funcs[func_index as usize];
    let start = entries.get(addr as usize)?.code as usize;
    let r = map.get(&start)?;
    let g = r.gc.as_ref()?;
    // The innermost frame called the libcall: its return address is just
    // below the frame's bottom (the stack pointer at the call).
    let sp = fp.checked_sub(g.frame_to_fp as u64)?;
    let ra_at = sp.checked_sub(8)?;
    if !ok(ra_at) || !ok(fp) {
        return None;
    }
    let ra = read(ra_at) as usize;
    if !(start..r.end).contains(&ra) {
        return None;
    }
    for &o in g.at((ra - start) as u32) {
        let a = sp + o as u64;
        if !ok(a) {
            return None;
        }
        roots.push(read(a));
    }
    // Its callers, each at its call: `[fp]` is the caller's frame pointer,
    // `[fp + 8]` the return address into it.
    let mut fp = fp;
    while ok(fp) && ok(fp + 8) {
        let (next, ra) = (read(fp), read(fp + 8) as usize);
        let Some(at) = ra.checked_sub(1) else { break };
        let Some((&start, r)) = map.range(..=at).next_back() else {
            break;
        };
        if at >= r.end {
            // The host's entry wrapper: every JIT frame is read.
            break;
        }
        match &r.gc {
            Some(g) => {
                let sp = next.checked_sub(g.frame_to_fp as u64)?;
                for &o in g.at((ra - start) as u32) {
                    let a = sp + o as u64;
                    if !ok(a) {
                        return None;
                    }
                    roots.push(read(a));
                }
            }
            None if c.store.instance_module(InstanceId(r.instance)).uses_gc_refs => return None,
            None => {}
        }
        if next <= fp {
            return None;
        }
        fp = next;
    }
    Some(roots)
}

/// Collect with the roots of this run (JIT frames, the allocation's own
/// operands, the store's), or put it off when the frames cannot be read.
fn jit_collect(c: &mut Cx<'_>, fp: u64, func_index: u32, op: &crate::ir::GcOp, operands: &[u64]) {
    use crate::interp::gc;
    if c.store.gc.foreign_frames > 0 {
        return gc::postpone(c.store);
    }
    match jit_roots(c, fp, func_index) {
        Some(mut roots) => {
            gc_operand_refs(c.store, op, operands, &mut roots);
            gc::store_roots(c.store, &mut roots);
            gc::collect_from(c.store, &roots);
        }
        None => gc::postpone(c.store),
    }
}

pub(super) extern "C" fn lc_gc(
    vmctx: *mut VmCtx,
    op: u32,
    a: u32,
    b: u32,
    slots: *mut u64,
    inputs: u32,
    fp: u64,
) {
    use crate::interp::gc;
    let mut c = cx(vmctx);
    let (kind, func_index) = (op & 0xff, op >> 8);
    let x = gc_op(c.store, c.instance, kind, a, b);
    let n = inputs as usize;
    // SAFETY: generated code passes an area of `inputs` operand slots and
    // `translate::GC_RESULT_SLOTS` more (what any GC op writes past them).
    let area = unsafe {
        std::slice::from_raw_parts_mut(slots, n + crate::jit::translate::GC_RESULT_SLOTS)
    };
    let r = if gc::allocates(&x) {
        let mut collected = false;
        if c.store.gc.wants_collection(0) {
            jit_collect(&mut c, fp, func_index, &x, &area[..n]);
            collected = true;
        }
        match gc::run(c.store, area, n, &x) {
            Err(TrapCode::GcHeapExhausted) if !collected => {
                jit_collect(&mut c, fp, func_index, &x, &area[..n]);
                gc::run(c.store, area, n, &x)
            }
            r => r,
        }
    } else {
        gc::run(c.store, area, n, &x)
    };
    if let Err(code) = r {
        c.run.frames.clear();
        c.trap(match code {
            TrapCode::NullStructReference => trap_word::NULL_STRUCT_REFERENCE,
            TrapCode::NullArrayReference => trap_word::NULL_ARRAY_REFERENCE,
            TrapCode::NullI31Reference => trap_word::NULL_I31_REFERENCE,
            TrapCode::ArrayOutOfBounds => trap_word::ARRAY_OOB,
            TrapCode::CastFailure => trap_word::CAST_FAILURE,
            TrapCode::GcHeapExhausted => trap_word::GC_HEAP_EXHAUSTED,
            TrapCode::TableOutOfBounds => trap_word::TABLE_OOB,
            _ => trap_word::DATA_OOB,
        });
    }
}
