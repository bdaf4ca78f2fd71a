//! The libcalls of plain code: traps and their frames (`lc_unwind`),
//! memory and table instructions, indirect calls, host calls (and wasm
//! calls made from inside them, `call_from_host`), lazy compilation
//! (`lc_resolve`) and exceptions.
#![allow(unsafe_code)]

use std::sync::Arc;

use super::{Entry, FuncEntry, RUNNING, VmCtx, cx, enter, slot_to_value, value_to_slot};
use crate::jit::env::trap_word;
use crate::runtime::store::FuncKind;
use crate::runtime::{Caller, HostError};
use crate::value::Value;

pub(super) extern "C" fn lc_unwind(
    vmctx: *mut VmCtx,
    code: u32,
    func_index: u32,
    code_offset: u32,
) {
    let c = cx(vmctx);
    if code != 0 {
        c.rt.trap = code;
        c.run.frames.clear();
    }
    if func_index != crate::jit::translate::NO_FRAME {
        c.run.frames.push((c.instance.0, func_index, code_offset));
    }
}

pub(super) extern "C" fn lc_memory_grow(vmctx: *mut VmCtx, mem: u32, delta: u64) -> u64 {
    let mut c = cx(vmctx);
    let m = c.mem_addr(mem);
    let r = c.store.memory_grow(m, delta);
    c.refresh_mems();
    r.unwrap_or(u64::MAX)
}

/// `[start, start + len)` lies within `size` (no overflow).
fn range_ok(start: u64, len: u64, size: usize) -> bool {
    start.checked_add(len).is_some_and(|end| end <= size as u64)
}

pub(super) extern "C" fn lc_memory_fill(vmctx: *mut VmCtx, mem: u32, dst: u64, val: u32, len: u64) {
    let mut c = cx(vmctx);
    let m = c.mem_addr(mem);
    let bytes = c.store.memory_mut(m);
    if !range_ok(dst, len, bytes.len()) {
        return c.trap(trap_word::MEMORY_OOB);
    }
    bytes[dst as usize..(dst + len) as usize].fill(val as u8);
}

pub(super) extern "C" fn lc_memory_copy(
    vmctx: *mut VmCtx,
    dst_mem: u32,
    src_mem: u32,
    dst: u64,
    src: u64,
    len: u64,
) {
    let mut c = cx(vmctx);
    let (dm, sm) = (c.mem_addr(dst_mem), c.mem_addr(src_mem));
    let (dl, sl) = (c.store.memory(dm).len(), c.store.memory(sm).len());
    if !range_ok(dst, len, dl) || !range_ok(src, len, sl) {
        return c.trap(trap_word::MEMORY_OOB);
    }
    let (d, s, n) = (dst as usize, src as usize, len as usize);
    if dm == sm {
        c.store.memory_mut(dm).copy_within(s..s + n, d);
    } else {
        let tmp = c.store.memory(sm)[s..s + n].to_vec();
        c.store.memory_mut(dm)[d..d + n].copy_from_slice(&tmp);
    }
}

pub(super) extern "C" fn lc_memory_init(
    vmctx: *mut VmCtx,
    mem: u32,
    seg: u32,
    dst: u64,
    src: u32,
    len: u32,
) {
    let mut c = cx(vmctx);
    let m = c.mem_addr(mem);
    let d = c.store.instance(c.instance).datas[seg as usize] as usize;
    let data = c.store.datas[d].clone();
    let bytes = c.store.memory_mut(m);
    if !range_ok(dst, len as u64, bytes.len()) || !range_ok(src as u64, len as u64, data.len()) {
        return c.trap(trap_word::MEMORY_OOB);
    }
    bytes[dst as usize..dst as usize + len as usize]
        .copy_from_slice(&data[src as usize..(src + len) as usize]);
}

pub(super) extern "C" fn lc_data_drop(vmctx: *mut VmCtx, seg: u32) {
    let c = cx(vmctx);
    let d = c.store.instance(c.instance).datas[seg as usize] as usize;
    c.store.datas[d] = Arc::from([]);
}

/// A table index as a `usize` (past the end when it does not fit).
fn index(i: u64) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

pub(super) extern "C" fn lc_table_get(vmctx: *mut VmCtx, table: u32, idx: u64) -> u64 {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    match c.store.tables[t].elems.get(index(idx)) {
        Some(v) => *v,
        None => {
            c.trap(trap_word::TABLE_OOB);
            0
        }
    }
}

pub(super) extern "C" fn lc_table_set(vmctx: *mut VmCtx, table: u32, idx: u64, val: u64) {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    match c.store.tables[t].elems.get_mut(index(idx)) {
        Some(v) => *v = val,
        None => c.trap(trap_word::TABLE_OOB),
    }
}

pub(super) extern "C" fn lc_table_size(vmctx: *mut VmCtx, table: u32) -> u64 {
    let c = cx(vmctx);
    let t = c.table_addr(table);
    c.store.tables[t].elems.len() as u64
}

pub(super) extern "C" fn lc_table_grow(
    vmctx: *mut VmCtx,
    table: u32,
    init: u64,
    delta: u64,
) -> u64 {
    let c = cx(vmctx);
    let ta = c.table_addr(table);
    let t = &mut c.store.tables[ta];
    let old = t.elems.len() as u64;
    let Some(new) = old.checked_add(delta) else {
        return u64::MAX;
    };
    if new > t.max()
        || new > crate::runtime::store::MAX_TABLE_ELEMS
        || t.elems.try_reserve(delta as usize).is_err()
    {
        return u64::MAX;
    }
    t.elems.resize(new as usize, init);
    old
}

pub(super) extern "C" fn lc_table_fill(
    vmctx: *mut VmCtx,
    table: u32,
    dst: u64,
    val: u64,
    len: u64,
) {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    let elems = &mut c.store.tables[t].elems;
    if !range_ok(dst, len, elems.len()) {
        return c.trap(trap_word::TABLE_OOB);
    }
    elems[dst as usize..(dst + len) as usize].fill(val);
}

pub(super) extern "C" fn lc_table_copy(
    vmctx: *mut VmCtx,
    dt: u32,
    st: u32,
    dst: u64,
    src: u64,
    len: u64,
) {
    let mut c = cx(vmctx);
    let (d, s) = (c.table_addr(dt), c.table_addr(st));
    let (dl, sl) = (c.store.tables[d].elems.len(), c.store.tables[s].elems.len());
    if !range_ok(dst, len, dl) || !range_ok(src, len, sl) {
        return c.trap(trap_word::TABLE_OOB);
    }
    let (dst, src, len) = (dst as usize, src as usize, len as usize);
    if d == s {
        c.store.tables[d].elems.copy_within(src..src + len, dst);
    } else {
        let tmp: Vec<u64> = c.store.tables[s].elems[src..src + len].to_vec();
        c.store.tables[d].elems[dst..dst + len].copy_from_slice(&tmp);
    }
}

pub(super) extern "C" fn lc_table_init(
    vmctx: *mut VmCtx,
    table: u32,
    seg: u32,
    dst: u64,
    src: u32,
    len: u32,
) {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    let e = c.store.instance(c.instance).elems[seg as usize] as usize;
    let items = c.store.elems[e].clone();
    let elems = &mut c.store.tables[t].elems;
    if !range_ok(dst, len as u64, elems.len()) || !range_ok(src as u64, len as u64, items.len()) {
        return c.trap(trap_word::TABLE_OOB);
    }
    elems[dst as usize..dst as usize + len as usize]
        .copy_from_slice(&items[src as usize..(src + len) as usize]);
}

pub(super) extern "C" fn lc_elem_drop(vmctx: *mut VmCtx, seg: u32) {
    let c = cx(vmctx);
    let e = c.store.instance(c.instance).elems[seg as usize] as usize;
    c.store.elems[e] = Arc::from([]);
}

pub(super) extern "C" fn lc_resolve_indirect(
    vmctx: *mut VmCtx,
    table: u32,
    idx: u64,
    type_index: u32,
) -> u64 {
    let mut c = cx(vmctx);
    let t = c.table_addr(table);
    let Some(&r) = c.store.tables[t].elems.get(index(idx)) else {
        c.trap(trap_word::UNDEFINED_ELEMENT);
        return 0;
    };
    if r == 0 {
        c.trap(trap_word::UNINITIALIZED_ELEMENT);
        return 0;
    }
    let addr = (r - 1) as usize;
    let expected = c.store.instance(c.instance).type_ids[type_index as usize];
    // A function of a declared subtype matches too (Wasm 3.0).
    let actual = c.store.funcs[addr].type_id;
    if actual != expected && !c.store.type_is_subtype(actual, expected) {
        c.trap(trap_word::INDIRECT_MISMATCH);
        return 0;
    }
    // SAFETY: `entries` is the engine's entry vector, alive and unmodified
    // for the whole run; the returned pointer is only read during the run.
    let entries = unsafe { &*c.run.entries };
    &entries[addr] as *const FuncEntry as u64
}

pub(super) extern "C" fn lc_call_host(vmctx: *mut VmCtx, addr: u64, slots: *mut u128) {
    let mut c = cx(vmctx);
    let addr = addr as u32;
    let (np, nr) = {
        let ty = c.store.func_type(addr);
        (ty.params().len(), ty.results().len())
    };
    // SAFETY: generated code passes an area of max(params, results, 1) slots.
    let area = unsafe { std::slice::from_raw_parts_mut(slots, np.max(nr).max(1)) };
    let f = match &c.store.funcs[addr as usize].kind {
        FuncKind::Host(f) => f.clone(),
        FuncKind::Wasm { .. } => {
            // A wasm function reached through the generic path: enter its wrapper.
            if let Err(e) = c.ensure_compiled(addr) {
                c.run.host_message = Some(e.message);
                c.run.frames.clear();
                return c.trap(trap_word::HOST);
            }
            // SAFETY: as for `entries` in `lc_resolve_indirect`.
            let wrapper = unsafe { (&*c.run.wrappers)[addr as usize] };
            let entries = unsafe { &*c.run.entries };
            let e = Entry {
                wrapper,
                vmctx: entries[addr as usize].vmctx,
                slots,
            };
            enter(&e);
            return;
        }
    };
    // Arguments and results on the stack for the usual arities (every
    // WASI call and `canon lower` goes through here).
    let (mut arg_buf, mut res_buf) = ([Value::I32(0); SMALL], [Value::I32(0); SMALL]);
    let (mut arg_vec, mut res_vec) = (Vec::new(), Vec::new());
    let ty = c.store.func_type(addr);
    let args: &mut [Value] = if np <= SMALL {
        &mut arg_buf[..np]
    } else {
        arg_vec.resize(np, Value::I32(0));
        &mut arg_vec
    };
    for ((a, t), s) in args.iter_mut().zip(ty.params()).zip(area.iter()) {
        *a = slot_to_value(*t, *s);
    }
    let results: &mut [Value] = if nr <= SMALL {
        &mut res_buf[..nr]
    } else {
        res_vec.resize(nr, Value::I32(0));
        &mut res_vec
    };
    for (r, t) in results.iter_mut().zip(ty.results()) {
        *r = Value::default_for(*t);
    }
    let instance = c.instance;
    let r = {
        let mut caller = Caller {
            store: c.store,
            instance: Some(instance),
            pause_requested: false,
            can_defer: false,
            defer_requested: false,
        };
        f(&mut caller, args, results)
    };
    let mut c = cx(vmctx);
    c.refresh_mems();
    match r {
        Ok(()) => {
            for (s, v) in area.iter_mut().zip(results.iter()) {
                *s = value_to_slot(v);
            }
        }
        // A wasm call this host function made (`call_from_host`) trapped
        // or exited: its trap word, message and frames stand.
        Err(_) if c.rt.trap != 0 => {}
        Err(HostError::Trap(msg)) => {
            c.run.host_message = Some(msg);
            c.run.frames.clear();
            c.trap(trap_word::HOST);
        }
        Err(HostError::Exit(code)) => {
            c.run.exit_code = code;
            c.run.frames.clear();
            c.trap(trap_word::EXIT);
        }
    }
}

/// Arities up to this keep a host call's values on the stack.
const SMALL: usize = 8;

/// Call wasm function `addr` from inside a host function that generated
/// code on this thread called (a component's `canon lower` calling another
/// component's export, `realloc`, `post-return`, a destructor), in native
/// code on the same run: its fuel, interrupt flag, stack limit and trap
/// word. `None` when no plain JIT run is on this thread (no run, a debug
/// run with its hook, or a host function at `addr`): the caller runs the
/// call in the interpreter. A trap leaves the run's trap word set (and its
/// message or exit code in the run state), so the host call that made this
/// call ends the run with it as a wasm-to-wasm call's trap would.
pub(crate) fn call_from_host(
    addr: u32,
    args: &[Value],
) -> Option<std::result::Result<Vec<Value>, HostError>> {
    let rt = RUNNING.get();
    if rt.is_null() {
        return None;
    }
    // SAFETY: `RUNNING` is the run state of the run on this thread (set by
    // `enter` around it); a host function is running inside it, so
    // `rt.run` points at the live `RunCtx` and its store. The host
    // function's own `&mut Store` is not used while this call runs.
    let (run, trap) = unsafe { (&mut *(*rt).run, (*rt).trap) };
    if run.hook.is_some() || run.store.is_null() {
        return None;
    }
    // SAFETY: as above; the store outlives the run.
    let store = unsafe { &mut *run.store };
    let FuncKind::Wasm { .. } = store.funcs.get(addr as usize)?.kind else {
        return None;
    };
    if trap != 0 {
        return Some(Err(HostError::Trap("a nested call trapped".into())));
    }
    let nr = store.func_type(addr).results().len();
    // SAFETY: the engine's entry vector, alive for the run.
    let vmctx = unsafe { (&*run.entries)[addr as usize].vmctx };
    let mut c = cx(vmctx);
    if let Err(e) = c.ensure_compiled(addr) {
        return Some(Err(HostError::Trap(e.message)));
    }
    // The slots on the stack for the usual arities (`realloc` has 4).
    let n = args.len().max(nr).max(1);
    let (mut buf, mut vec) = ([0u128; SMALL], Vec::new());
    let slots: &mut [u128] = if n <= SMALL {
        &mut buf[..n]
    } else {
        vec.resize(n, 0);
        &mut vec
    };
    for (s, a) in slots.iter_mut().zip(args) {
        *s = value_to_slot(a);
    }
    // SAFETY: as for `entries` in `lc_resolve_indirect`.
    let wrapper = unsafe { (&*c.run.wrappers)[addr as usize] };
    enter(&Entry {
        wrapper,
        vmctx,
        slots: slots.as_mut_ptr(),
    });
    let c = cx(vmctx);
    Some(match c.rt.trap {
        0 => Ok(c
            .store
            .func_type(addr)
            .results()
            .iter()
            .zip(slots.iter())
            .map(|(t, s)| slot_to_value(*t, *s))
            .collect()),
        trap_word::EXIT => Err(HostError::Exit(c.run.exit_code)),
        trap_word::HOST => Err(HostError::Trap(
            c.run.host_message.clone().unwrap_or_default(),
        )),
        _ => Err(HostError::Trap("a nested call trapped".into())),
    })
}

/// A call through an entry whose code is null: compile the wasm function it
/// names (patching every entry for it, this one too) and return the code,
/// or return null for a host function. A compile error traps.
pub(super) extern "C" fn lc_resolve(vmctx: *mut VmCtx, entry: u64) -> u64 {
    let mut c = cx(vmctx);
    // SAFETY: generated code passes a pointer to a live `FuncEntry` (in an
    // instance's entry array or the engine's), which nothing else is using.
    let entry = unsafe { &mut *(entry as *mut FuncEntry) };
    let addr = entry.addr as u32;
    if let Err(e) = c.ensure_compiled(addr) {
        c.run.host_message = Some(e.message);
        c.run.frames.clear();
        c.trap(trap_word::HOST);
        return 0;
    }
    // SAFETY: as in `ensure_compiled`.
    let code = unsafe { (&*c.run.entries)[addr as usize].code };
    entry.code = code;
    code as u64
}

pub(super) extern "C" fn lc_throw(vmctx: *mut VmCtx, tag_index: u32, slots: *const u128) {
    let c = cx(vmctx);
    let tag = c.store.instance(c.instance).tags[tag_index as usize];
    let ty = c.store.tag_type(tag).clone();
    // SAFETY: generated code passes an area of max(params, 1) slots.
    let area = unsafe { std::slice::from_raw_parts(slots, ty.params().len().max(1)) };
    let mut payload = Vec::new();
    for (t, s) in ty.params().iter().zip(area) {
        let v = slot_to_value(*t, *s);
        let mut out = [0u64; 2];
        let n = Value::slots(*t);
        v.to_slots(&mut out[..n]);
        payload.extend_from_slice(&out[..n]);
    }
    let exn = c.store.alloc_exception(tag, payload);
    c.run.exception = Some(exn);
    c.run.exception_fresh = true;
    c.run.frames.clear();
    c.rt.trap = trap_word::EXCEPTION;
}

pub(super) extern "C" fn lc_throw_ref(vmctx: *mut VmCtx, exn: u64) {
    let c = cx(vmctx);
    c.run.exception = Some((exn - 1) as u32);
    c.run.exception_fresh = false;
    c.run.frames.clear();
    c.rt.trap = trap_word::EXCEPTION;
}

pub(super) extern "C" fn lc_catch_match(vmctx: *mut VmCtx, tag_index: u32) -> u32 {
    let c = cx(vmctx);
    let tag = c.store.instance(c.instance).tags[tag_index as usize];
    let thrown = c.run.exception.and_then(|e| c.store.exception(e));
    u32::from(thrown.is_some_and(|(t, _)| t == tag))
}

pub(super) extern "C" fn lc_catch_take(
    vmctx: *mut VmCtx,
    slots: *mut u128,
    n: u32,
    keep: u32,
) -> u64 {
    let c = cx(vmctx);
    let fresh = std::mem::take(&mut c.run.exception_fresh);
    let Some(exn) = c.run.exception.take() else {
        return 0;
    };
    c.rt.trap = 0;
    c.run.frames.clear();
    if let Some((_, payload)) = c.store.exception(exn) {
        // SAFETY: generated code passes an area of at least `n` slots
        // (the matched tag's payload; 0 for `catch_all`).
        for (i, v) in payload.iter().take(n as usize).enumerate() {
            unsafe { *slots.add(i) = value_to_slot(v) };
        }
    }
    if keep != 0 {
        return exn as u64 + 1;
    }
    // Nothing can name an exception that no wasm code has seen and this
    // handler drops: a loop that throws and catches runs in constant memory
    // (the last one allocated is the one in flight).
    if fresh && exn as usize + 1 == c.store.exns.len() {
        c.store.exns.pop();
    }
    0
}
