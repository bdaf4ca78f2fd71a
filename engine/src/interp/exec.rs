//! The executor: one loop, generic over `DEBUG`, so the plain path pays
//! nothing for fuel, counters, watchpoints or stepping.

use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::ops::*;
use super::{Execution, Frame, PauseReason, RunControl, RunOutcome, State, bump, simd, watch};
use crate::ir::{Code, HandlerKind, Op, StoreKind, sem};
use crate::runtime::memory::LinearMemory;
use crate::runtime::store::{FuncKind, PAGE_SIZE, grow_memory};
use crate::runtime::{Caller, HostError, Store};
use crate::trap::{Trap, TrapCode};
use crate::value::{FuncAddr, Value};

const NO_MEMORY: u32 = u32::MAX;

/// A value-stack slot address: the hot loop keeps `sp` and `fp` as raw
/// pointers so it needs no stack base register per access. Arithmetic is
/// safe (wrapping); only dereferencing (the `st!` macro) is `unsafe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot(*mut u64);

impl Slot {
    /// The slot index from the stack base `base`.
    #[inline(always)]
    fn idx(self, base: *mut u64) -> usize {
        (self.0.addr() - base.addr()) / size_of::<u64>()
    }
}

impl Add<usize> for Slot {
    type Output = Slot;
    #[inline(always)]
    fn add(self, n: usize) -> Slot {
        Slot(self.0.wrapping_add(n))
    }
}

impl Sub<usize> for Slot {
    type Output = Slot;
    #[inline(always)]
    fn sub(self, n: usize) -> Slot {
        Slot(self.0.wrapping_sub(n))
    }
}

impl AddAssign<usize> for Slot {
    #[inline(always)]
    fn add_assign(&mut self, n: usize) {
        self.0 = self.0.wrapping_add(n);
    }
}

impl SubAssign<usize> for Slot {
    #[inline(always)]
    fn sub_assign(&mut self, n: usize) {
        self.0 = self.0.wrapping_sub(n);
    }
}

/// The address of the next op: the hot loop's program counter as a raw
/// pointer into the running function's ops (safe arithmetic; reads are
/// `unsafe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Ip(*const Op);

impl Ip {
    /// The `pc` (op index) from the ops base `ops`.
    #[inline(always)]
    fn pc(self, ops: *const Op) -> usize {
        (self.0.addr() - ops.addr()) / size_of::<Op>()
    }
}

impl Add<usize> for Ip {
    type Output = Ip;
    #[inline(always)]
    fn add(self, n: usize) -> Ip {
        Ip(self.0.wrapping_add(n))
    }
}

impl Sub<usize> for Ip {
    type Output = Ip;
    #[inline(always)]
    fn sub(self, n: usize) -> Ip {
        Ip(self.0.wrapping_sub(n))
    }
}

impl AddAssign<usize> for Ip {
    #[inline(always)]
    fn add_assign(&mut self, n: usize) {
        self.0 = self.0.wrapping_add(n);
    }
}

/// The current instance's memory 0, taken out of the store while wasm code
/// runs (one indirection less per access) and put back whenever anything
/// else may look at it: host calls, pauses, the end of the run.
struct Mem {
    addr: u32,
    data: LinearMemory,
}

impl Mem {
    fn switch(&mut self, store: &mut Store, addr: Option<u32>) {
        let addr = addr.unwrap_or(NO_MEMORY);
        if addr != self.addr {
            self.flush(store);
            if addr != NO_MEMORY {
                self.data = std::mem::take(&mut store.memories[addr as usize].data);
            }
            self.addr = addr;
        }
    }
    fn flush(&mut self, store: &mut Store) {
        if self.addr != NO_MEMORY {
            store.memories[self.addr as usize].data = std::mem::take(&mut self.data);
            self.addr = NO_MEMORY;
        }
    }
}

#[inline(always)]
fn ea(addr: u64, offset: u32, len: usize, mem_len: usize) -> Result<usize, TrapCode> {
    let a = (addr as u32 as u64) + offset as u64;
    if a + len as u64 > mem_len as u64 {
        Err(TrapCode::MemoryOutOfBounds)
    } else {
        Ok(a as usize)
    }
}

/// The current function's translated code (it must be translated).
fn code_of(store: &Store, func: u32) -> *const Code {
    Arc::as_ptr(store.compiled(func).expect("running code is translated"))
}

/// A 32-bit superinstruction immediate as a slot (i32 users read the low half).
#[inline(always)]
fn sext(imm: u32) -> u64 {
    imm as i32 as i64 as u64
}

/// `N` bytes of memory at `a`, which the caller checked (`ea`).
#[inline(always)]
#[allow(unsafe_code)]
fn read_bytes<const N: usize>(data: &[u8], a: usize) -> [u8; N] {
    debug_assert!(a + N <= data.len());
    // SAFETY: `ea` checked `a + N <= data.len()` just before.
    unsafe { data.as_ptr().add(a).cast::<[u8; N]>().read_unaligned() }
}

/// Write `N` bytes of memory at `a`, which the caller checked (`ea`).
#[inline(always)]
#[allow(unsafe_code)]
fn write_bytes<const N: usize>(data: &mut [u8], a: usize, bytes: [u8; N]) {
    debug_assert!(a + N <= data.len());
    // SAFETY: `ea` checked `a + N <= data.len()` just before.
    unsafe {
        data.as_mut_ptr()
            .add(a)
            .cast::<[u8; N]>()
            .write_unaligned(bytes)
    }
}

#[inline(always)]
fn store_kind(k: StoreKind, addr: u64, off: u32, v: u64, data: &mut [u8]) -> Result<(), TrapCode> {
    let len = data.len();
    match k {
        StoreKind::I32 => write_bytes(data, ea(addr, off, 4, len)?, (v as u32).to_le_bytes()),
        StoreKind::I64 => write_bytes(data, ea(addr, off, 8, len)?, v.to_le_bytes()),
        StoreKind::I32_8 => write_bytes(data, ea(addr, off, 1, len)?, [v as u8]),
        StoreKind::I32_16 => write_bytes(data, ea(addr, off, 2, len)?, (v as u16).to_le_bytes()),
    }
    Ok(())
}

/// Bytes in use by memory `m` (store address): the loop's own memory is in
/// `mem`, the others in the store.
fn mem_len(store: &Store, mem: &Mem, m: u32) -> usize {
    if m == mem.addr {
        mem.data.len()
    } else {
        store.memories.get(m as usize).map_or(0, |x| x.data.len())
    }
}

/// A copy of bytes `r` of memory `m` (see `mem_len`); empty if out of bounds.
#[cold]
fn mem_bytes(store: &Store, mem: &Mem, m: u32, r: std::ops::Range<usize>) -> Vec<u8> {
    let data: &[u8] = if m == mem.addr {
        &mem.data
    } else {
        match store.memories.get(m as usize) {
            Some(x) => &x.data,
            None => return Vec::new(),
        }
    };
    data.get(r).map(<[u8]>::to_vec).unwrap_or_default()
}

struct PendingWatch {
    index: usize,
    memory: u32,
    addr: u32,
    len: u32,
    write: bool,
    old: Vec<u8>,
}

impl Execution {
    pub(super) fn exec<const DEBUG: bool>(
        &mut self,
        store: &mut Store,
        ctl: &mut RunControl,
        steps: Option<u64>,
    ) -> RunOutcome {
        let mut mem = Mem {
            addr: NO_MEMORY,
            data: LinearMemory::default(),
        };
        self.fuel_exact = false;
        let out = self.exec_inner::<DEBUG>(store, ctl, steps, &mut mem);
        mem.flush(store);
        if !DEBUG && store.fuel_blocks && !self.fuel_exact {
            self.fuel_leave(store, ctl, &out);
        }
        if let RunOutcome::Trapped(t) = &out {
            let _ = t;
        }
        out
    }

    /// Make the host call a paused run put off ([`crate::runtime::Caller::defer`]),
    /// now that it resumes: `Some` when that ends or pauses the run.
    pub(super) fn complete_pending_host(&mut self, store: &mut Store) -> Option<RunOutcome> {
        let (f, resume_pc) = self.pending_host.take()?;
        let caller_func = self.frames.last().expect("a paused call has a frame").func;
        let mut mem = Mem {
            addr: NO_MEMORY,
            data: LinearMemory::default(),
        };
        let r = self.call_host(
            store,
            &mut mem,
            caller_func,
            f,
            self.sp,
            resume_pc as usize,
            false,
        );
        mem.flush(store);
        match r {
            Ok(sp) => {
                self.sp = sp;
                self.frames.last_mut().expect("frame").pc = resume_pc;
                None
            }
            Err(out) => Some(out),
        }
    }

    /// Write the loop's machine state back: `sp` and the current frame's
    /// `pc`. Out of line and cold, so the index arithmetic stays off the
    /// dispatch path (only pauses, traps and host calls need it).
    #[cold]
    #[inline(never)]
    fn save_state(&mut self, sp: Slot, base: *mut u64, pc: Ip, ops: *const Op) {
        self.sp = sp.idx(base);
        self.frames.last_mut().expect("frame").pc = pc.pc(ops) as u32;
    }

    /// End the run with a trap at the op before `pc` (see `save_state`).
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn trap_out(
        &mut self,
        store: &mut Store,
        mem: &mut Mem,
        code: TrapCode,
        sp: Slot,
        base: *mut u64,
        pc: Ip,
        ops: *const Op,
    ) -> RunOutcome {
        self.save_state(sp, base, pc - 1, ops);
        mem.flush(store);
        self.finish_trap(store, code, None)
    }

    fn finish_trap(
        &mut self,
        store: &Store,
        code: TrapCode,
        message: Option<String>,
    ) -> RunOutcome {
        self.state = State::Finished;
        let mut t = Trap::new(code);
        if let Some(m) = message {
            t.message = m;
        }
        t.backtrace = self.backtrace(store);
        RunOutcome::Trapped(t)
    }

    /// The results of a finished run, from the bottom of the stack.
    #[cold]
    #[inline(never)]
    fn returned(&mut self) -> RunOutcome {
        self.state = State::Finished;
        let stack = &self.stack;
        let mut at = 0;
        let results = self
            .results
            .iter()
            .map(|&t| {
                let n = Value::slots(t);
                let v = Value::from_slots(t, &stack[at..at + n]);
                at += n;
                v
            })
            .collect();
        RunOutcome::Returned(results)
    }

    /// Throw an exception of tag `tag` (store address) with `payload` (slots)
    /// from the innermost frame's `pc` (state saved): find the innermost
    /// handler that takes it, unwind to its frame and set that frame up to
    /// continue at the handler (`Ok`), or end the run with the uncaught
    /// exception, frames left as at the throw for the backtrace (`Err`).
    /// `exn` is the exception's address when it already has one (`throw_ref`,
    /// `rethrow`); one is allocated only when a handler or the outcome needs it.
    #[cold]
    #[inline(never)]
    /// `announce`: a `catch throw` may pause here first (the exception is
    /// then thrown when the run resumes).
    pub(super) fn throw_exn<const DEBUG: bool>(
        &mut self,
        store: &mut Store,
        ctl: &mut RunControl,
        tag: u32,
        payload: Vec<u64>,
        mut exn: Option<u32>,
        announce: bool,
    ) -> Result<(), RunOutcome> {
        if DEBUG && announce && super::catches(&ctl.catch_throw, store, tag) {
            let out = Self::exception_pause(store, false, tag, &payload);
            self.pending_throw = Some((tag, payload, exn));
            return Err(out);
        }
        let n = self.frames.len();
        for depth in (0..n).rev() {
            let f = self.frames[depth];
            let Some(code) = store.compiled(f.func) else {
                continue;
            };
            // The innermost frame is at the throw; callers at their call.
            let pc = if depth + 1 == n {
                f.pc
            } else {
                f.pc.saturating_sub(1)
            };
            let mut limit = u32::MAX;
            let mut found = None;
            for h in code.handlers.iter().rev() {
                if h.depth > limit || pc < h.start || pc >= h.end {
                    continue;
                }
                match &h.kind {
                    HandlerKind::Delegate(d) => limit = limit.min(*d),
                    HandlerKind::Catches(cs) => {
                        if let Some(c) = cs.iter().find(|c| c.tag.is_none_or(|t| t == tag)) {
                            found = Some(c.clone());
                            break;
                        }
                    }
                }
            }
            let Some(c) = found else { continue };
            if DEBUG && let Some(s) = &mut ctl.stacks {
                for _ in depth + 1..n {
                    s.leave();
                }
            }
            self.frames.truncate(depth + 1);
            let fp = f.fp as usize;
            let mut sp = fp + c.height as usize;
            if (c.push_ref || c.exn_slot.is_some()) && exn.is_none() {
                exn = Some(store.alloc_exception(tag, payload.clone()));
            }
            let need = sp + payload.len() + 1;
            if need > self.stack.len() {
                self.stack.resize(need, 0);
            }
            if let (Some(slot), Some(e)) = (c.exn_slot, exn) {
                self.stack[fp + slot as usize] = e as u64 + 1;
            }
            if c.push_payload {
                self.stack[sp..sp + payload.len()].copy_from_slice(&payload);
                sp += payload.len();
            }
            if c.push_ref {
                self.stack[sp] = exn.map_or(0, |e| e as u64 + 1);
                sp += 1;
            }
            self.sp = sp;
            self.frames[depth].pc = c.target;
            if DEBUG && super::catches(&ctl.catch_catch, store, tag) {
                return Err(Self::exception_pause(store, true, tag, &payload));
            }
            return Ok(());
        }
        let exn = exn.unwrap_or_else(|| store.alloc_exception(tag, payload));
        self.state = State::Finished;
        let mut t = Trap::new(TrapCode::UncaughtException);
        t.backtrace = self.backtrace(store);
        t.exception = store.exception_info(exn);
        if let Some(info) = &t.exception {
            let name = info
                .tag_name
                .clone()
                .unwrap_or_else(|| format!("tag[{}]", info.tag_index.unwrap_or(info.tag)));
            let payload: Vec<String> = info.payload.iter().map(|v| v.to_string()).collect();
            t.message = format!("uncaught exception {name}({})", payload.join(", "));
        }
        Err(RunOutcome::Trapped(t))
    }

    /// Run a memory instruction of the general path (`Op::MemX`) on the
    /// store's memories, then switch `mem` back to `memory` (the running
    /// function's memory 0). The new `sp`, or the trap.
    #[cold]
    #[inline(never)]
    fn mem_x(
        &mut self,
        store: &mut Store,
        mem: &mut Mem,
        x: &crate::ir::MemOpX,
        (sp, base): (Slot, *mut u64),
        memory: Option<u32>,
    ) -> Result<usize, TrapCode> {
        let sp = sp.idx(base);
        mem.flush(store);
        let r = super::memx::run(store, &mut self.stack, sp, x);
        mem.switch(store, memory);
        r
    }

    /// Run a GC instruction (`Op::Gc`) at `at`. The new `sp`, or the trap.
    /// (The machine state comes raw: index arithmetic in the loop's arms
    /// gets hoisted onto every op's dispatch.)
    #[cold]
    #[inline(never)]
    fn gc_x(
        &mut self,
        store: &mut Store,
        x: &crate::ir::GcOp,
        (sp, base, at, ops): (Slot, *mut u64, Ip, *const Op),
    ) -> Result<usize, TrapCode> {
        let (sp, pc) = (sp.idx(base), at.pc(ops) as u32);
        if !super::gc::allocates(x) {
            return super::gc::run(store, &mut self.stack, sp, x);
        }
        let mut collected = false;
        if store.gc.wants_collection(0) {
            super::gc::collect(store, &self.stack, &self.frames, sp, pc);
            collected = true;
        }
        match super::gc::run(store, &mut self.stack, sp, x) {
            // Over the limit: collect (if not just done) and try once more.
            Err(TrapCode::GcHeapExhausted) if !collected => {
                super::gc::collect(store, &self.stack, &self.frames, sp, pc);
                super::gc::run(store, &mut self.stack, sp, x)
            }
            r => r,
        }
    }

    /// Call host function `f` with its arguments on top of the stack (below
    /// `sp`) for the wasm function `caller_func`, whose next op is at `pc`.
    /// Out of line so the hot loop keeps fewer values live. Returns the new
    /// `sp` (the results pushed) with `mem` switched back to the caller's
    /// memory, or the outcome that ends the run (state saved).
    #[cold]
    #[inline(never)]
    fn call_host(
        &mut self,
        store: &mut Store,
        mem: &mut Mem,
        caller_func: u32,
        f: u32,
        mut sp: usize,
        pc: usize,
        can_defer: bool,
    ) -> Result<usize, RunOutcome> {
        let FuncKind::Host(h) = &store.funcs[f as usize].kind else {
            unreachable!("call_host is only called for host functions")
        };
        let h = h.clone();
        let ty = store.funcs[f as usize].ty.clone();
        let nslots: usize = ty.params().iter().map(|&t| Value::slots(t)).sum();
        let mut args = Vec::with_capacity(ty.params().len());
        let mut at = sp - nslots;
        for &t in ty.params() {
            let n = Value::slots(t);
            args.push(Value::from_slots(t, &self.stack[at..at + n]));
            at += n;
        }
        sp -= nslots;
        let mut results: Vec<Value> = ty
            .results()
            .iter()
            .map(|&t| Value::default_for(t))
            .collect();
        mem.flush(store);
        let instance = store.func_origin(caller_func).map(|o| o.0);
        let mut caller = Caller {
            store: &mut *store,
            instance,
            pause_requested: false,
            can_defer,
            defer_requested: false,
        };
        let r = h(&mut caller, &args, &mut results);
        let pause = caller.pause_requested;
        let deferred = caller.defer_requested;
        let save = |this: &mut Self, sp: usize, pc: usize| {
            this.sp = sp;
            this.frames.last_mut().expect("frame").pc = pc as u32;
        };
        if deferred {
            // Nothing ran: the arguments stay on the stack and the frame at
            // the call, until `complete_pending_host` makes it.
            save(self, sp + nslots, pc - 1);
            self.pending_host = Some((f, pc as u32));
            return Err(RunOutcome::Paused(PauseReason::HostRequested));
        }
        match r {
            Ok(()) => {
                let need: usize = ty.results().iter().map(|&t| Value::slots(t)).sum();
                if sp + need > self.stack.len() {
                    self.stack.resize(sp + need, 0);
                }
                for (v, &t) in results.iter().zip(ty.results()) {
                    let n = Value::slots(t);
                    if v.ty() != t {
                        save(self, sp, pc - 1);
                        return Err(self.finish_trap(
                            store,
                            TrapCode::Host,
                            Some("host function returned a value of the wrong type".into()),
                        ));
                    }
                    v.to_slots(&mut self.stack[sp..sp + n]);
                    sp += n;
                }
            }
            Err(HostError::Trap(m)) => {
                save(self, sp, pc - 1);
                return Err(self.finish_trap(store, TrapCode::Host, Some(m)));
            }
            Err(HostError::Exit(c)) => {
                save(self, sp, pc - 1);
                self.state = State::Finished;
                return Err(RunOutcome::Exited(c));
            }
        }
        if pause {
            save(self, sp, pc);
            return Err(RunOutcome::Paused(PauseReason::HostRequested));
        }
        let memory = store.compiled(caller_func).and_then(|c| c.memory);
        mem.switch(store, memory);
        Ok(sp)
    }

    // The hot loop reads the value stack and the current function's ops
    // without bounds checks; each `unsafe` block states the invariant.
    #[allow(clippy::too_many_lines, unsafe_code)]
    fn exec_inner<const DEBUG: bool>(
        &mut self,
        store: &mut Store,
        ctl: &mut RunControl,
        mut steps: Option<u64>,
        mem: &mut Mem,
    ) -> RunOutcome {
        let interrupt = store.interrupt.clone();
        let max_depth = store.config.max_call_depth as usize;
        let max_slots = store.config.max_stack_slots;
        let top = *self.frames.last().expect("a running execution has a frame");
        let mut func = top.func;
        // The value stack as a raw base pointer and length; `sp`/`fp` are
        // slot pointers into it. Only `self.stack.resize` (function entry,
        // host calls, `v128.const`) moves it, and each of those rebases them.
        let mut base: *mut u64 = self.stack.as_mut_ptr();
        let mut stack_len = self.stack.len();
        let mut fp = Slot(base) + top.fp as usize;
        let mut sp = Slot(base) + self.sp;
        // The current function's code, kept alive by its `Arc` in
        // `store.funcs` (translated code is never dropped or replaced while
        // the store lives); re-read from the store after a host call, which
        // may patch breakpoints through `&mut Store`.
        let mut code_ptr: *const Code = code_of(store, func);
        macro_rules! code {
            () => {{
                // SAFETY: `code_ptr` points into a live `Arc<Code>` (see above)
                // and nothing mutates it while this reference is used.
                unsafe { &*code_ptr }
            }};
        }
        let mut ops: *const Op = code!().ops.as_ptr();
        let mut pc = Ip(ops) + top.pc as usize;
        mem.switch(store, code!().memory);
        let mut pending: Option<PendingWatch> = None;
        // What patched stores check inline (see `watch.rs`).
        self.watch_box = watch::bounding_box(&ctl.watch);

        // Leave the loop with the machine state written back.
        macro_rules! save {
            ($pc:expr) => {{
                let at: Ip = $pc;
                self.save_state(sp, base, at, ops);
            }};
        }
        macro_rules! trap {
            ($code:expr) => {{
                return self.trap_out(store, mem, $code, sp, base, pc, ops);
            }};
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(c) => trap!(c),
                }
            };
        }
        // A fused op's fallible step: on a trap, first push the operands the
        // unfused ops would have left on the stack (post-mortem inspection).
        macro_rules! ftri {
            ($e:expr, [$($push:expr),*]) => {
                match $e {
                    Ok(v) => v,
                    Err(c) => {
                        $(
                            let v: u64 = $push;
                            st!(sp) = v;
                            sp += 1;
                        )*
                        trap!(c)
                    }
                }
            };
        }
        macro_rules! interrupted {
            () => {
                if interrupt.load(Ordering::Relaxed) {
                    interrupt.store(false, Ordering::Relaxed);
                    save!(pc);
                    return RunOutcome::Paused(PauseReason::Interrupted);
                }
            };
        }
        // A local slice: its pointer and length stay in registers (a `Vec`
        // behind `self` would be reloaded after every store to the stack).
        // The whole value stack as a slice (host calls, SIMD); only built
        // where needed, from the same base pointer.
        macro_rules! stack {
            () => {{
                // SAFETY: `base`/`stack_len` are `self.stack`'s buffer, rebased
                // after every resize; no other reference to it is live.
                unsafe { std::slice::from_raw_parts_mut(base, stack_len) }
            }};
        }
        // A value-stack slot without a bounds check.
        macro_rules! st {
            ($i:expr) => {
                *{
                    let p: Slot = $i;
                    debug_assert!(p.idx(base) < stack_len, "slot past the stack");
                    // SAFETY: every slot the loop uses is below
                    // `fp + max_height` of the running function (the translator
                    // bounds operand heights, locals and temporaries by
                    // `max_height`), and function entry (`enter!`) makes
                    // `stack_len >= fp + max_height`.
                    unsafe { &mut *p.0 }
                }
            };
        }
        macro_rules! un {
            ($from:ident, $to:ident, $f:expr) => {{
                let a = $from(st!(sp - 1));
                st!(sp - 1) = $to($f(a));
            }};
        }
        macro_rules! bin {
            ($from:ident, $to:ident, $f:expr) => {{
                let b = $from(st!(sp - 1));
                let a = $from(st!(sp - 2));
                sp -= 1;
                st!(sp - 1) = $to($f(a, b));
            }};
        }
        macro_rules! load {
            ($o:expr, $n:literal, $conv:expr) => {{
                let a = tri!(ea(st!(sp - 1), $o, $n, mem.data.len()));
                let bytes: [u8; $n] = read_bytes(&mem.data, a);
                st!(sp - 1) = $conv(bytes);
            }};
        }
        macro_rules! store_ {
            ($o:expr, $n:literal, $conv:expr) => {{
                let v = st!(sp - 1);
                let a = tri!(ea(st!(sp - 2), $o, $n, mem.data.len()));
                sp -= 2;
                let bytes: [u8; $n] = $conv(v);
                write_bytes(&mut mem.data, a, bytes);
            }};
        }
        macro_rules! branch {
            ($target:expr) => {{
                let t = Ip(ops) + $target as usize;
                if t < pc {
                    pc = t;
                    interrupted!();
                } else {
                    pc = t;
                }
            }};
        }
        macro_rules! drop_keep {
            ($drop:expr, $keep:expr) => {{
                let keep = $keep as usize;
                let drop = $drop as usize;
                // SAFETY: both ranges are slots of the current frame (see `st!`);
                // `copy` allows overlap.
                unsafe { std::ptr::copy((sp - keep).0, (sp - keep - drop).0, keep) };
                sp -= drop;
            }};
        }
        // Enter wasm function or call host function `$f`.
        macro_rules! call {
            ($f:expr) => {{
                let f: u32 = $f;
                if DEBUG {
                    if let Some(p) = &mut ctl.profile {
                        bump(&mut p.calls, f);
                    }
                    if let Some(s) = &mut ctl.stacks {
                        s.enter(f);
                    }
                }
                match &store.funcs[f as usize].kind {
                    FuncKind::Wasm { code: Some(c), .. } => {
                        let callee = Arc::as_ptr(c);
                        enter!(f, callee);
                    }
                    FuncKind::Wasm { code: None, .. } => {
                        let callee = match store.code(f) {
                            Ok(c) => c,
                            Err(e) => {
                                save!(pc - 1);
                                mem.flush(store);
                                return self.finish_trap(
                                    store,
                                    TrapCode::Host,
                                    Some(e.to_string()),
                                );
                            }
                        };
                        enter!(f, Arc::as_ptr(&callee));
                    }
                    FuncKind::Host(_) => host_call!(f),
                }
            }};
        }
        macro_rules! host_call {
            ($f:expr) => {{
                let f: u32 = $f;
                if DEBUG {
                    // A host call is a leaf context with no instructions.
                    if let Some(s) = &mut ctl.stacks {
                        s.leave();
                    }
                }
                let at = pc.pc(ops);
                let fp_at = fp.idx(base);
                match self.call_host(store, mem, func, f, sp.idx(base), at, true) {
                    Ok(new_sp) => {
                        base = self.stack.as_mut_ptr();
                        stack_len = self.stack.len();
                        sp = Slot(base) + new_sp;
                        fp = Slot(base) + fp_at;
                    }
                    Err(out) => return out,
                }
                code_ptr = code_of(store, func);
                ops = code!().ops.as_ptr();
                pc = Ip(ops) + at;
            }};
        }
        macro_rules! enter {
            ($f:expr, $callee:expr) => {{
                let callee_ptr: *const Code = $callee;
                // SAFETY: a live `Arc<Code>` in `store.funcs` (see `code_ptr`).
                let callee: &Code = unsafe { &*callee_ptr };
                if self.frames.len() >= max_depth {
                    trap!(TrapCode::CallStackExhausted);
                }
                let mut new_fp = sp - callee.param_slots as usize;
                let need = new_fp.idx(base) + callee.max_height as usize;
                if need > stack_len {
                    if need > max_slots {
                        trap!(TrapCode::CallStackExhausted);
                    }
                    let (sp_at, fp_at) = (sp.idx(base), new_fp.idx(base));
                    let grown = (stack_len * 2).max(need).min(max_slots);
                    self.stack.resize(grown, 0);
                    base = self.stack.as_mut_ptr();
                    stack_len = self.stack.len();
                    sp = Slot(base) + sp_at;
                    new_fp = Slot(base) + fp_at;
                }
                self.frames.last_mut().expect("caller frame").pc = pc.pc(ops) as u32;
                self.frames.push(Frame {
                    func: $f,
                    pc: 0,
                    fp: new_fp.idx(base) as u32,
                });
                let locals_end = new_fp + callee.locals_slots as usize;
                // SAFETY: `sp..locals_end` is within `new_fp + max_height`,
                // which the check above made room for.
                unsafe { std::ptr::write_bytes(sp.0, 0, locals_end.idx(base) - sp.idx(base)) };
                sp = locals_end;
                fp = new_fp;
                func = $f;
                if callee.memory.unwrap_or(NO_MEMORY) != mem.addr {
                    mem.switch(store, callee.memory);
                }
                code_ptr = callee_ptr;
                ops = callee.ops.as_ptr();
                pc = Ip(ops);
                interrupted!();
            }};
        }

        macro_rules! ret {
            ($keep:expr) => {{
                let keep = $keep as usize;
                // SAFETY: both ranges are slots of the returning frame
                // (see `st!`); `copy` allows overlap.
                unsafe { std::ptr::copy((sp - keep).0, fp.0, keep) };
                sp = fp + keep;
                self.frames.pop();
                if DEBUG && let Some(s) = &mut ctl.stacks {
                    s.leave();
                }
                match self.frames.last() {
                    None => {
                        self.sp = sp.idx(base);
                        return self.returned();
                    }
                    Some(f) => {
                        func = f.func;
                        fp = Slot(base) + f.fp as usize;
                        code_ptr = code_of(store, func);
                        ops = code!().ops.as_ptr();
                        pc = Ip(ops) + f.pc as usize;
                        if code!().memory.unwrap_or(NO_MEMORY) != mem.addr {
                            mem.switch(store, code!().memory);
                        }
                    }
                }
            }};
        }
        // Continue in the frame an exception was caught in (`self.frames`
        // and `self.sp` say where).
        macro_rules! resume_frame {
            () => {{
                let f = *self.frames.last().expect("a handler's frame");
                base = self.stack.as_mut_ptr();
                stack_len = self.stack.len();
                func = f.func;
                fp = Slot(base) + f.fp as usize;
                sp = Slot(base) + self.sp;
                code_ptr = code_of(store, func);
                ops = code!().ops.as_ptr();
                pc = Ip(ops) + f.pc as usize;
                mem.switch(store, code!().memory);
            }};
        }
        macro_rules! throw {
            ($tag:expr, $payload:expr, $exn:expr) => {{
                save!(pc - 1);
                mem.flush(store);
                match self.throw_exn::<DEBUG>(store, ctl, $tag, $payload, $exn, true) {
                    Ok(()) => resume_frame!(),
                    Err(out) => return out,
                }
            }};
        }
        // Tail call: the callee takes the current frame's place.
        macro_rules! tail_call {
            ($f:expr) => {{
                let f: u32 = $f;
                if let FuncKind::Host(_) = &store.funcs[f as usize].kind {
                    // A host callee runs as a call; its results are returned.
                    if DEBUG {
                        if let Some(p) = &mut ctl.profile {
                            bump(&mut p.calls, f);
                        }
                        if let Some(s) = &mut ctl.stacks {
                            s.enter(f);
                        }
                    }
                    host_call!(f);
                    // `pc` is the caller's next op; the return leaves it anyway.
                    let _ = pc;
                    let keep: u32 = store.funcs[f as usize]
                        .ty
                        .results()
                        .iter()
                        .map(|&t| Value::slots(t) as u32)
                        .sum();
                    ret!(keep);
                } else {
                    let callee = match store.code(f) {
                        Ok(c) => c,
                        Err(e) => {
                            save!(pc - 1);
                            mem.flush(store);
                            return self.finish_trap(store, TrapCode::Host, Some(e.to_string()));
                        }
                    };
                    if DEBUG {
                        if let Some(p) = &mut ctl.profile {
                            bump(&mut p.calls, f);
                        }
                        if let Some(s) = &mut ctl.stacks {
                            s.leave();
                            s.enter(f);
                        }
                    }
                    let callee_ptr = Arc::as_ptr(&callee);
                    drop(callee);
                    // SAFETY: a live `Arc<Code>` in `store.funcs` (see `code_ptr`).
                    let callee: &Code = unsafe { &*callee_ptr };
                    let n = callee.param_slots as usize;
                    // SAFETY: the arguments are slots of the current frame and
                    // move down to its base; `copy` allows overlap.
                    unsafe { std::ptr::copy((sp - n).0, fp.0, n) };
                    let fp_at = fp.idx(base);
                    let need = fp_at + callee.max_height as usize;
                    if need > stack_len {
                        if need > max_slots {
                            sp = fp + n;
                            trap!(TrapCode::CallStackExhausted);
                        }
                        let grown = (stack_len * 2).max(need).min(max_slots);
                        self.stack.resize(grown, 0);
                        base = self.stack.as_mut_ptr();
                        stack_len = self.stack.len();
                        fp = Slot(base) + fp_at;
                    }
                    *self.frames.last_mut().expect("frame") = Frame {
                        func: f,
                        pc: 0,
                        fp: fp_at as u32,
                    };
                    let locals_end = fp + callee.locals_slots as usize;
                    // SAFETY: `fp + n..locals_end` is within `fp + max_height`.
                    unsafe {
                        std::ptr::write_bytes((fp + n).0, 0, callee.locals_slots as usize - n)
                    };
                    sp = locals_end;
                    func = f;
                    if callee.memory.unwrap_or(NO_MEMORY) != mem.addr {
                        mem.switch(store, callee.memory);
                    }
                    code_ptr = callee_ptr;
                    ops = callee.ops.as_ptr();
                    pc = Ip(ops);
                    interrupted!();
                }
            }};
        }
        // Loads and stores of the fused ops: the effective address, then
        // the access; `Err` on an out-of-bounds access.
        macro_rules! mem_load {
            ($n:literal, $conv:expr, $addr:expr, $off:expr) => {
                ea($addr, $off, $n, mem.data.len()).map(|i| $conv(read_bytes::<$n>(&mem.data, i)))
            };
        }
        macro_rules! mem_store {
            ($n:literal, $conv:expr, $addr:expr, $off:expr, $v:expr) => {{
                let v: u64 = $v;
                ea($addr, $off, $n, mem.data.len()).map(|i| write_bytes(&mut mem.data, i, $conv(v)))
            }};
        }
        // The dispatch `match`: the hand-written arms passed in, then the
        // arms of every fusable operator (`ir/fusable.rs`) in each shape,
        // the operator folded into its own arm (one dispatch per op). On
        // entry `pc` is the op's pc + 1; a fused op moves `pc` past its
        // originals, and before a trap past the original that traps.
        macro_rules! dispatch {
            (
                { ($op:ident) $($hand:tt)* }
                bin { $($b:ident($ba:ident, $bb:ident) => $be:expr;)* }
                cmp { $($c:ident)* }
                div { $($dv:ident($da:ident, $db:ident) => $de:expr;)* }
                un { $($u:ident($ua:ident) => $ue:expr;)* }
                load { $($l:ident[$ln:literal]($lb:ident) => $le:expr;)* }
                store { $($s:ident[$sn:literal]($sv:ident) => $se:expr;)* }
            ) => { paste::paste! { match $op {
                $($hand)*
                $(
                    Op::$b => {
                        let y = st!(sp - 1);
                        let x = st!(sp - 2);
                        sp -= 1;
                        st!(sp - 1) = sem::$b(x, y);
                    }
                    Op::[<$b LL>] { a, b } => {
                        st!(sp) = sem::$b(st!(fp + a as usize), st!(fp + b as usize));
                        sp += 1;
                        pc += 2;
                    }
                    Op::[<$b LI>] { a, imm } => {
                        st!(sp) = sem::$b(st!(fp + a as usize), sext(imm));
                        sp += 1;
                        pc += 2;
                    }
                    Op::[<$b LLS>] { a, b, d } => {
                        st!(fp + d as usize) = sem::$b(st!(fp + a as usize), st!(fp + b as usize));
                        pc += 3;
                    }
                    Op::[<$b LIS>] { a, imm, d } => {
                        st!(fp + d as usize) = sem::$b(st!(fp + a as usize), sext(imm));
                        pc += 3;
                    }
                    Op::[<$b LLT>] { a, b, d } => {
                        let v = sem::$b(st!(fp + a as usize), st!(fp + b as usize));
                        st!(fp + d as usize) = v;
                        st!(sp) = v;
                        sp += 1;
                        pc += 3;
                    }
                    Op::[<$b LIT>] { a, imm, d } => {
                        let v = sem::$b(st!(fp + a as usize), sext(imm));
                        st!(fp + d as usize) = v;
                        st!(sp) = v;
                        sp += 1;
                        pc += 3;
                    }
                    Op::[<$b S>] { d } => {
                        let y = st!(sp - 1);
                        let x = st!(sp - 2);
                        sp -= 2;
                        st!(fp + d as usize) = sem::$b(x, y);
                        pc += 1;
                    }
                    Op::[<$b T>] { d } => {
                        let y = st!(sp - 1);
                        let x = st!(sp - 2);
                        sp -= 1;
                        let v = sem::$b(x, y);
                        st!(sp - 1) = v;
                        st!(fp + d as usize) = v;
                        pc += 1;
                    }
                    Op::[<$b L>] { b } => {
                        st!(sp - 1) = sem::$b(st!(sp - 1), st!(fp + b as usize));
                        pc += 1;
                    }
                    Op::[<$b I>] { imm } => {
                        st!(sp - 1) = sem::$b(st!(sp - 1), sext(imm));
                        pc += 1;
                    }
                    Op::[<$b LS>] { b, d } => {
                        sp -= 1;
                        st!(fp + d as usize) = sem::$b(st!(sp), st!(fp + b as usize));
                        pc += 2;
                    }
                    Op::[<$b IS>] { imm, d } => {
                        sp -= 1;
                        st!(fp + d as usize) = sem::$b(st!(sp), sext(imm));
                        pc += 2;
                    }
                )*
                $(
                    Op::[<$c LLBrNez>] { a, b, t } => {
                        pc += 3;
                        if sem::$c(st!(fp + a as usize), st!(fp + b as usize)) != 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c LLBrEqz>] { a, b, t } => {
                        pc += 3;
                        if sem::$c(st!(fp + a as usize), st!(fp + b as usize)) == 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c LIBrNez>] { a, imm, t } => {
                        pc += 3;
                        if sem::$c(st!(fp + a as usize), sext(imm)) != 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c LIBrEqz>] { a, imm, t } => {
                        pc += 3;
                        if sem::$c(st!(fp + a as usize), sext(imm)) == 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c BrNez>] { t } => {
                        let y = st!(sp - 1);
                        let x = st!(sp - 2);
                        sp -= 2;
                        pc += 1;
                        if sem::$c(x, y) != 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c BrEqz>] { t } => {
                        let y = st!(sp - 1);
                        let x = st!(sp - 2);
                        sp -= 2;
                        pc += 1;
                        if sem::$c(x, y) == 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c LBrNez>] { b, t } => {
                        sp -= 1;
                        pc += 2;
                        if sem::$c(st!(sp), st!(fp + b as usize)) != 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c LBrEqz>] { b, t } => {
                        sp -= 1;
                        pc += 2;
                        if sem::$c(st!(sp), st!(fp + b as usize)) == 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c IBrNez>] { imm, t } => {
                        sp -= 1;
                        pc += 2;
                        if sem::$c(st!(sp), sext(imm)) != 0 {
                            branch!(t);
                        }
                    }
                    Op::[<$c IBrEqz>] { imm, t } => {
                        sp -= 1;
                        pc += 2;
                        if sem::$c(st!(sp), sext(imm)) == 0 {
                            branch!(t);
                        }
                    }
                )*
                $(
                    Op::$dv => {
                        let y = st!(sp - 1);
                        let x = st!(sp - 2);
                        let v = tri!(sem::$dv(x, y));
                        sp -= 1;
                        st!(sp - 1) = v;
                    }
                    Op::[<$dv L>] { b } => {
                        pc += 1;
                        let y = st!(fp + b as usize);
                        st!(sp - 1) = ftri!(sem::$dv(st!(sp - 1), y), [y]);
                    }
                    Op::[<$dv LL>] { a, b } => {
                        pc += 2;
                        let (x, y) = (st!(fp + a as usize), st!(fp + b as usize));
                        st!(sp) = ftri!(sem::$dv(x, y), [x, y]);
                        sp += 1;
                    }
                    Op::[<$dv LLS>] { a, b, d } => {
                        pc += 2;
                        let (x, y) = (st!(fp + a as usize), st!(fp + b as usize));
                        st!(fp + d as usize) = ftri!(sem::$dv(x, y), [x, y]);
                        pc += 1;
                    }
                )*
                $(
                    Op::$u => st!(sp - 1) = sem::$u(st!(sp - 1)),
                    Op::[<$u L>] { a } => {
                        st!(sp) = sem::$u(st!(fp + a as usize));
                        sp += 1;
                        pc += 1;
                    }
                    Op::[<$u LS>] { a, d } => {
                        st!(fp + d as usize) = sem::$u(st!(fp + a as usize));
                        pc += 2;
                    }
                )*
                $(
                    Op::$l(o) => load!(o, $ln, sem::$l),
                    Op::[<$l L>] { a, off } => {
                        pc += 1;
                        let addr = st!(fp + a as usize);
                        st!(sp) = ftri!(mem_load!($ln, sem::$l, addr, off), [addr]);
                        sp += 1;
                    }
                    Op::[<$l LS>] { a, off, d } => {
                        pc += 1;
                        let addr = st!(fp + a as usize);
                        st!(fp + d as usize) = ftri!(mem_load!($ln, sem::$l, addr, off), [addr]);
                        pc += 1;
                    }
                    Op::[<$l LI>] { a, imm, off } => {
                        pc += 3;
                        let addr = sem::I32Add(st!(fp + a as usize), sext(imm));
                        st!(sp) = ftri!(mem_load!($ln, sem::$l, addr, off), [addr]);
                        sp += 1;
                    }
                    Op::[<$l GetL>] { a, b, off } => {
                        pc += 2;
                        let (x, addr) = (st!(fp + a as usize), st!(fp + b as usize));
                        st!(sp + 1) = ftri!(mem_load!($ln, sem::$l, addr, off), [x, addr]);
                        st!(sp) = x;
                        sp += 2;
                    }
                )*
                $(
                    Op::$s(o) => store_!(o, $sn, sem::$s),
                    Op::[<$s LL>] { a, b, off } => {
                        pc += 2;
                        let (addr, v) = (st!(fp + a as usize), st!(fp + b as usize));
                        ftri!(mem_store!($sn, sem::$s, addr, off, v), [addr, v]);
                    }
                    Op::[<$s LI>] { a, imm, off } => {
                        pc += 2;
                        let addr = st!(fp + a as usize);
                        ftri!(mem_store!($sn, sem::$s, addr, off, sext(imm)), [addr, sext(imm)]);
                    }
                    Op::[<$s Tee>] { d, off } => {
                        pc += 1;
                        let v = st!(sp - 1);
                        st!(fp + d as usize) = v;
                        // On a trap both operands are still on the stack, as unfused.
                        tri!(mem_store!($sn, sem::$s, st!(sp - 2), off, v));
                        sp -= 2;
                    }
                )*
            } } };
        }
        loop {
            debug_assert!(pc.pc(ops) < code!().ops.len(), "pc past the code");
            // SAFETY: the translator ends every function with `Return` and
            // resolves every branch target to a pc inside it, so `pc` is in
            // range of the current function's ops (length fixed at translation).
            let mut op = unsafe { *pc.0 };
            if DEBUG {
                let at = pc.pc(ops);
                if op != Op::Breakpoint {
                    // One wasm instruction per op: no superinstructions.
                    op = code!().unfused[at];
                }
                if op == Op::Breakpoint {
                    if self.resume_bp == Some((self.frames.len(), at as u32)) {
                        self.resume_bp = None;
                        op = code!().patched[&(at as u32)];
                    } else if let Some(orig) = (!store.break_checks.is_empty())
                        .then(|| {
                            let slots = &stack!()[fp.idx(base)..];
                            pass_break_check(
                                store,
                                func,
                                at as u32,
                                self.frames.len(),
                                slots,
                                &code!().local_offsets,
                                &mem.data,
                            )
                        })
                        .flatten()
                    {
                        op = orig;
                    } else {
                        save!(pc);
                        self.resume_bp = Some((self.frames.len(), at as u32));
                        return RunOutcome::Paused(PauseReason::Breakpoint {
                            func,
                            pc: at as u32,
                        });
                    }
                    // The original under a watch or fuel patch: this loop
                    // checks every access and counts every op itself.
                    if op.is_watch_patch() || matches!(op, Op::Fuel { .. }) {
                        op = code!().unfused[at];
                    }
                }
                if let Some(s) = steps {
                    if s == 0 {
                        save!(pc);
                        return RunOutcome::Paused(PauseReason::Step);
                    }
                    steps = Some(s - 1);
                }
                if let Some(f) = ctl.fuel {
                    if f == 0 {
                        save!(pc);
                        return RunOutcome::OutOfFuel;
                    }
                    ctl.fuel = Some(f - 1);
                }
                if ctl.count_instructions {
                    ctl.instructions += 1;
                }
                if let Some(p) = &mut ctl.profile {
                    bump(&mut p.self_instructions, func);
                }
                if let Some(s) = &mut ctl.stacks {
                    s.instruction(func, pc.pc(ops));
                }
                if !ctl.watch.is_empty() {
                    let at_sp = sp.idx(base);
                    let len_of = |m: u32| mem_len(store, mem, m);
                    if let Some(h) =
                        watch::hit(&ctl.watch, store, code!(), op, stack!(), at_sp, len_of)
                    {
                        let r = h.addr as usize..h.addr as usize + h.len as usize;
                        pending = Some(PendingWatch {
                            index: h.index,
                            memory: h.memory,
                            addr: h.addr,
                            len: h.len,
                            write: h.write,
                            old: mem_bytes(store, mem, h.memory, r),
                        });
                    }
                }
            }
            pc += 1;
            'dispatch: loop {
                crate::ir::fusable::for_each_fusable!(dispatch! {
                    (op)
                    Op::Unreachable => trap!(TrapCode::Unreachable),
                    Op::Breakpoint => {
                        // Out of line, as `Op::Watched` (see `watched`).
                        let machine = (sp, fp, base, stack_len, pc - 1, ops);
                        match self.breakpoint(store, mem, func, code_ptr, machine) {
                            Ok(orig) => {
                                op = orig;
                                continue 'dispatch;
                            }
                            Err(out) => return out,
                        }
                    }
                    Op::Watched => {
                        // A memory op patched for watchpoints (`watch.rs`),
                        // checked out of line: no index arithmetic of its
                        // own joins the dispatch path.
                        let machine = (sp, base, stack_len, pc - 1, ops);
                        match self.watched(store, ctl, mem, code_ptr, machine, DEBUG) {
                            Ok(orig) => {
                                op = orig;
                                continue 'dispatch;
                            }
                            Err(out) => return out,
                        }
                    }
                    Op::Fuel { len, orig } => {
                        // The first op of a block while the run counts per
                        // block (`fuel.rs`).
                        if DEBUG {
                            op = code!().unfused[(pc - 1).pc(ops)];
                            continue 'dispatch;
                        }
                        if !ctl.charge_block(len as u64) {
                            // Less fuel than the block needs: count it one
                            // op at a time, to the exact instruction (out
                            // of line: see `watched` on index arithmetic).
                            let machine = (sp, base, pc - 1, ops);
                            return self.fuel_short(store, ctl, mem, code_ptr, machine);
                        }
                        op = code!().fuel.as_ref().expect("a fuel patch").orig[orig as usize];
                        continue 'dispatch;
                    }
                    Op::WatchedStore { k, off } => {
                        let addr = st!(sp - 2);
                        let a = (addr as u32 as u64) + off as u64;
                        let (watch_lo, watch_hi) = self.watch_box;
                        if a < watch_hi && a + k.len() > watch_lo {
                            // Perhaps watched: the exact check.
                            op = Op::Watched;
                            continue 'dispatch;
                        }
                        let v = st!(sp - 1);
                        tri!(store_kind(k, addr, off, v, &mut mem.data));
                        sp -= 2;
                    }
                    Op::Br(t) => branch!(t),
                    Op::BrDrop { target, drop, keep } => {
                        drop_keep!(drop, keep);
                        branch!(target);
                    }
                    Op::BrIfNez(t) => {
                        sp -= 1;
                        if st!(sp) as u32 != 0 {
                            branch!(t);
                        }
                    }
                    Op::BrIfEqz(t) => {
                        sp -= 1;
                        if st!(sp) as u32 == 0 {
                            branch!(t);
                        }
                    }
                    Op::BrIfNezDrop { target, drop, keep } => {
                        sp -= 1;
                        if st!(sp) as u32 != 0 {
                            drop_keep!(drop, keep);
                            branch!(target);
                        }
                    }
                    Op::BrTable { len } => {
                        sp -= 1;
                        let i = (st!(sp) as u32).min(len);
                        pc += i as usize;
                    }
                    Op::Return { keep } => ret!(keep),
                    Op::Call(f) => call!(f),
                    Op::CallIndirect { table, type_id } => {
                        sp -= 1;
                        let i = st!(sp) as u32;
                        let t = &store.tables[table as usize];
                        let Some(&r) = t.elems.get(i as usize) else {
                            trap!(TrapCode::UndefinedElement);
                        };
                        if r == 0 {
                            trap!(TrapCode::UninitializedElement);
                        }
                        let f = (r - 1) as u32;
                        if store.funcs[f as usize].type_id != type_id
                            && !store.type_is_subtype(store.funcs[f as usize].type_id, type_id)
                        {
                            trap!(TrapCode::IndirectCallTypeMismatch);
                        }
                        call!(f);
                    }
                    Op::CallIndirect64 { table, type_id } => {
                        sp -= 1;
                        let f = tri!(indirect_target(store, table, st!(sp), type_id));
                        call!(f);
                    }
                    Op::CallRef => {
                        sp -= 1;
                        let r = st!(sp);
                        if r == 0 {
                            trap!(TrapCode::NullFunctionReference);
                        }
                        call!((r - 1) as u32);
                    }
                    Op::ReturnCall(f) => tail_call!(f),
                    Op::ReturnCallIndirect { table, type_id } => {
                        sp -= 1;
                        let f = tri!(indirect_target(store, table, st!(sp), type_id));
                        tail_call!(f);
                    }
                    Op::ReturnCallRef => {
                        sp -= 1;
                        let r = st!(sp);
                        if r == 0 {
                            trap!(TrapCode::NullFunctionReference);
                        }
                        tail_call!((r - 1) as u32);
                    }
                    Op::Throw(tag) => {
                        let n: usize = store.tags[tag as usize]
                            .ty
                            .params()
                            .iter()
                            .map(|&t| Value::slots(t))
                            .sum();
                        let payload = stack!()[sp.idx(base) - n..sp.idx(base)].to_vec();
                        sp -= n;
                        throw!(tag, payload, None);
                    }
                    Op::ThrowRef | Op::Rethrow(_) => {
                        let r = if let Op::Rethrow(slot) = op {
                            st!(fp + slot as usize)
                        } else {
                            sp -= 1;
                            st!(sp)
                        };
                        if r == 0 {
                            trap!(TrapCode::NullExceptionReference);
                        }
                        let addr = (r - 1) as u32;
                        let e = &store.exns[addr as usize];
                        let (tag, payload) = (e.tag, e.payload.clone());
                        throw!(tag, payload, Some(addr));
                    }
                    Op::RefAsNonNull => {
                        if st!(sp - 1) == 0 {
                            trap!(TrapCode::NullReference);
                        }
                    }
                    Op::BrOnNull { target, drop, keep } => {
                        if st!(sp - 1) == 0 {
                            sp -= 1;
                            drop_keep!(drop, keep);
                            branch!(target);
                        }
                    }
                    Op::BrOnNonNull { target, drop, keep } => {
                        if st!(sp - 1) != 0 {
                            drop_keep!(drop, keep);
                            branch!(target);
                        } else {
                            sp -= 1;
                        }
                    }
                    Op::Gc(i) => {
                        let x = code!().gc_ops[i as usize];
                        let at = tri!(self.gc_x(store, &x, (sp, base, pc - 1, ops)));
                        sp = Slot(base) + at;
                    }
                    Op::MemX(i) => {
                        let x = code!().mem_ops[i as usize];
                        let memory = code!().memory;
                        let at = tri!(self.mem_x(store, mem, &x, (sp, base), memory));
                        sp = Slot(base) + at;
                    }
                    Op::Drop(n) => sp -= n as usize,
                    Op::Select => {
                        sp -= 2;
                        if st!(sp + 1) as u32 == 0 {
                            st!(sp - 1) = st!(sp);
                        }
                    }
                    Op::Select2 => {
                        sp -= 3;
                        if st!(sp + 2) as u32 == 0 {
                            st!(sp - 2) = st!(sp);
                            st!(sp - 1) = st!(sp + 1);
                        }
                    }
                    Op::LocalGet(o) => {
                        st!(sp) = st!(fp + o as usize);
                        sp += 1;
                    }
                    Op::LocalSet(o) => {
                        sp -= 1;
                        st!(fp + o as usize) = st!(sp);
                    }
                    Op::LocalTee(o) => st!(fp + o as usize) = st!(sp - 1),
                    Op::LocalGet2(o) => {
                        let at = fp + o as usize;
                        st!(sp) = st!(at);
                        st!(sp + 1) = st!(at + 1);
                        sp += 2;
                    }
                    Op::LocalSet2(o) => {
                        sp -= 2;
                        let at = fp + o as usize;
                        st!(at) = st!(sp);
                        st!(at + 1) = st!(sp + 1);
                    }
                    Op::LocalTee2(o) => {
                        let at = fp + o as usize;
                        st!(at) = st!(sp - 2);
                        st!(at + 1) = st!(sp - 1);
                    }
                    Op::GlobalGet(g) => {
                        st!(sp) = store.globals[g as usize].bits[0];
                        sp += 1;
                    }
                    Op::GlobalSet(g) => {
                        sp -= 1;
                        store.globals[g as usize].bits[0] = st!(sp);
                    }
                    Op::GlobalGet2(g) => {
                        let b = store.globals[g as usize].bits;
                        st!(sp) = b[0];
                        st!(sp + 1) = b[1];
                        sp += 2;
                    }
                    Op::GlobalSet2(g) => {
                        sp -= 2;
                        store.globals[g as usize].bits = [st!(sp), st!(sp + 1)];
                    }
                    Op::MemorySize => {
                        st!(sp) = mem.data.len() as u64 / PAGE_SIZE;
                        sp += 1;
                    }
                    Op::MemoryGrow => {
                        let delta = st!(sp - 1) as u32 as u64;
                        let max = store.memories[mem.addr as usize].max_pages(&store.config);
                        st!(sp - 1) = match grow_memory(&mut mem.data, max, delta) {
                            Some(old) => old,
                            None => u32::MAX as u64,
                        };
                    }
                    Op::MemoryInit(d) => {
                        let n = st!(sp - 1) as u32 as usize;
                        let s = st!(sp - 2) as u32 as usize;
                        let dst = st!(sp - 3) as u32 as usize;
                        sp -= 3;
                        let data = &store.datas[d as usize];
                        if s + n > data.len() || dst + n > mem.data.len() {
                            trap!(TrapCode::MemoryOutOfBounds);
                        }
                        mem.data[dst..dst + n].copy_from_slice(&data[s..s + n]);
                    }
                    Op::DataDrop(d) => store.datas[d as usize] = Arc::from([]),
                    Op::MemoryCopy => {
                        let n = st!(sp - 1) as u32 as usize;
                        let s = st!(sp - 2) as u32 as usize;
                        let dst = st!(sp - 3) as u32 as usize;
                        sp -= 3;
                        if s + n > mem.data.len() || dst + n > mem.data.len() {
                            trap!(TrapCode::MemoryOutOfBounds);
                        }
                        mem.data.copy_within(s..s + n, dst);
                    }
                    Op::MemoryFill => {
                        let n = st!(sp - 1) as u32 as usize;
                        let v = st!(sp - 2) as u8;
                        let dst = st!(sp - 3) as u32 as usize;
                        sp -= 3;
                        if dst + n > mem.data.len() {
                            trap!(TrapCode::MemoryOutOfBounds);
                        }
                        mem.data[dst..dst + n].fill(v);
                    }
                    Op::Const32(v) => {
                        st!(sp) = v as u64;
                        sp += 1;
                    }
                    Op::Const64(v) => {
                        st!(sp) = v;
                        sp += 1;
                    }
                    Op::RefNull => {
                        st!(sp) = 0;
                        sp += 1;
                    }
                    Op::RefIsNull => st!(sp - 1) = (st!(sp - 1) == 0) as u64,
                    Op::RefFunc(f) => {
                        st!(sp) = f as u64 + 1;
                        sp += 1;
                    }
                    Op::TableGet(t) => {
                        let tab = &store.tables[t as usize];
                        let i = tab_index(st!(sp - 1), tab.ty.table64);
                        match tab.elems.get(i) {
                            Some(&r) => st!(sp - 1) = r,
                            None => trap!(TrapCode::TableOutOfBounds),
                        }
                    }
                    Op::TableSet(t) => {
                        let r = st!(sp - 1);
                        let tab = &mut store.tables[t as usize];
                        let i = tab_index(st!(sp - 2), tab.ty.table64);
                        sp -= 2;
                        match tab.elems.get_mut(i) {
                            Some(slot) => *slot = r,
                            None => trap!(TrapCode::TableOutOfBounds),
                        }
                    }
                    Op::TableSize(t) => {
                        st!(sp) = store.tables[t as usize].elems.len() as u64;
                        sp += 1;
                    }
                    Op::TableGrow(t) => {
                        let tab = &mut store.tables[t as usize];
                        let is64 = tab.ty.table64;
                        let n = if is64 {
                            st!(sp - 1)
                        } else {
                            st!(sp - 1) as u32 as u64
                        };
                        let init = st!(sp - 2);
                        sp -= 1;
                        let old = tab.elems.len() as u64;
                        st!(sp - 1) = match old.checked_add(n) {
                            Some(new)
                                if new <= tab.max()
                                    && new <= crate::runtime::store::MAX_TABLE_ELEMS =>
                            {
                                tab.elems.resize(new as usize, init);
                                old
                            }
                            _ if is64 => u64::MAX,
                            _ => u32::MAX as u64,
                        };
                    }
                    Op::TableFill(t) => {
                        let tab = &mut store.tables[t as usize];
                        let is64 = tab.ty.table64;
                        let n = tab_index(st!(sp - 1), is64);
                        let r = st!(sp - 2);
                        let i = tab_index(st!(sp - 3), is64);
                        sp -= 3;
                        if i.saturating_add(n) > tab.elems.len() {
                            trap!(TrapCode::TableOutOfBounds);
                        }
                        tab.elems[i..i + n].fill(r);
                    }
                    Op::TableCopy { dst, src } => {
                        let d64 = store.tables[dst as usize].ty.table64;
                        let s64 = store.tables[src as usize].ty.table64;
                        let n = tab_index(st!(sp - 1), d64 && s64);
                        let s = tab_index(st!(sp - 2), s64);
                        let d = tab_index(st!(sp - 3), d64);
                        sp -= 3;
                        if s.saturating_add(n) > store.tables[src as usize].elems.len()
                            || d.saturating_add(n) > store.tables[dst as usize].elems.len()
                        {
                            trap!(TrapCode::TableOutOfBounds);
                        }
                        if src == dst {
                            store.tables[dst as usize].elems.copy_within(s..s + n, d);
                        } else {
                            let items: Vec<u64> =
                                store.tables[src as usize].elems[s..s + n].to_vec();
                            store.tables[dst as usize].elems[d..d + n].copy_from_slice(&items);
                        }
                    }
                    Op::TableInit { table, elem } => {
                        let n = st!(sp - 1) as u32 as usize;
                        let s = st!(sp - 2) as u32 as usize;
                        let items = store.elems[elem as usize].clone();
                        let tab = &mut store.tables[table as usize];
                        let d = tab_index(st!(sp - 3), tab.ty.table64);
                        sp -= 3;
                        if s + n > items.len() || d.saturating_add(n) > tab.elems.len() {
                            trap!(TrapCode::TableOutOfBounds);
                        }
                        tab.elems[d..d + n].copy_from_slice(&items[s..s + n]);
                    }
                    Op::ElemDrop(e) => store.elems[e as usize] = Arc::from([]),

                    Op::F32Ceil => un!(f32v, sf32, |a| f32_round(a, f32::ceil)),
                    Op::F32Floor => un!(f32v, sf32, |a| f32_round(a, f32::floor)),
                    Op::F32Trunc => un!(f32v, sf32, |a| f32_round(a, f32::trunc)),
                    Op::F32Nearest => un!(f32v, sf32, f32_nearest),
                    Op::F32Min => bin!(f32v, sf32, f32_min),
                    Op::F32Max => bin!(f32v, sf32, f32_max),
                    Op::F32Copysign => {
                        bin!(u32v, s32, |a: u32, b: u32| (a & 0x7fff_ffff)
                            | (b & 0x8000_0000))
                    }
                    Op::F64Ceil => un!(f64v, sf64, |a| f64_round(a, f64::ceil)),
                    Op::F64Floor => un!(f64v, sf64, |a| f64_round(a, f64::floor)),
                    Op::F64Trunc => un!(f64v, sf64, |a| f64_round(a, f64::trunc)),
                    Op::F64Nearest => un!(f64v, sf64, f64_nearest),
                    Op::F64Min => bin!(f64v, sf64, f64_min),
                    Op::F64Max => bin!(f64v, sf64, f64_max),
                    Op::F64Copysign => bin!(u64v, s64, |a: u64, b: u64| (a
                        & 0x7fff_ffff_ffff_ffff)
                        | (b & 0x8000_0000_0000_0000)),
                    Op::I32TruncF32S => {
                        let v = tri!(i32_trunc_f32_s(f32v(st!(sp - 1))));
                        st!(sp - 1) = v as u32 as u64;
                    }
                    Op::I32TruncF32U => {
                        let v = tri!(i32_trunc_f32_u(f32v(st!(sp - 1))));
                        st!(sp - 1) = v as u64;
                    }
                    Op::I32TruncF64S => {
                        let v = tri!(i32_trunc_f64_s(f64v(st!(sp - 1))));
                        st!(sp - 1) = v as u32 as u64;
                    }
                    Op::I32TruncF64U => {
                        let v = tri!(i32_trunc_f64_u(f64v(st!(sp - 1))));
                        st!(sp - 1) = v as u64;
                    }
                    Op::I64TruncF32S => {
                        let v = tri!(i64_trunc_f32_s(f32v(st!(sp - 1))));
                        st!(sp - 1) = v as u64;
                    }
                    Op::I64TruncF32U => {
                        let v = tri!(i64_trunc_f32_u(f32v(st!(sp - 1))));
                        st!(sp - 1) = v;
                    }
                    Op::I64TruncF64S => {
                        let v = tri!(i64_trunc_f64_s(f64v(st!(sp - 1))));
                        st!(sp - 1) = v as u64;
                    }
                    Op::I64TruncF64U => {
                        let v = tri!(i64_trunc_f64_u(f64v(st!(sp - 1))));
                        st!(sp - 1) = v;
                    }
                    Op::Const32S { v, d } => {
                        st!(fp + d as usize) = v as u64;
                        pc += 1;
                    }
                    Op::CopyL { a, d } => {
                        st!(fp + d as usize) = st!(fp + a as usize);
                        pc += 1;
                    }
                    Op::GetLL { a, b } => {
                        st!(sp) = st!(fp + a as usize);
                        st!(sp + 1) = st!(fp + b as usize);
                        sp += 2;
                        pc += 1;
                    }
                    Op::SetGetL { a, b } => {
                        st!(fp + a as usize) = st!(sp - 1);
                        st!(sp - 1) = st!(fp + b as usize);
                        pc += 1;
                    }
                    Op::TeeBrNez { d, t } => {
                        sp -= 1;
                        let v = st!(sp);
                        st!(fp + d as usize) = v;
                        pc += 1;
                        if v as u32 != 0 {
                            branch!(t);
                        }
                    }
                    Op::TeeBrEqz { d, t } => {
                        sp -= 1;
                        let v = st!(sp);
                        st!(fp + d as usize) = v;
                        pc += 1;
                        if v as u32 == 0 {
                            branch!(t);
                        }
                    }
                    Op::EqzBrNez { t } => {
                        sp -= 1;
                        pc += 1;
                        if st!(sp) as u32 == 0 {
                            branch!(t);
                        }
                    }
                    Op::EqzBrEqz { t } => {
                        sp -= 1;
                        pc += 1;
                        if st!(sp) as u32 != 0 {
                            branch!(t);
                        }
                    }
                    Op::EqzLBrNez { a, t } => {
                        pc += 2;
                        if st!(fp + a as usize) as u32 == 0 {
                            branch!(t);
                        }
                    }
                    Op::EqzLBrEqz { a, t } => {
                        pc += 2;
                        if st!(fp + a as usize) as u32 != 0 {
                            branch!(t);
                        }
                    }
                    Op::I32AddLIUpdBrNez { a, imm, t } => {
                        let v = sem::I32Add(st!(fp + a as usize), sext(imm));
                        st!(fp + a as usize) = v;
                        pc += 4;
                        if v != 0 {
                            branch!(t);
                        }
                    }
                    Op::BrNezL { a, t } => {
                        pc += 1;
                        if st!(fp + a as usize) as u32 != 0 {
                            branch!(t);
                        }
                    }
                    Op::BrEqzL { a, t } => {
                        pc += 1;
                        if st!(fp + a as usize) as u32 == 0 {
                            branch!(t);
                        }
                    }
                    Op::I32AddLTeeStore { b, d, off } => {
                        pc += 3;
                        let v = sem::I32Add(st!(sp - 1), st!(fp + b as usize));
                        st!(sp - 1) = v;
                        st!(fp + d as usize) = v;
                        // On a trap both operands are still on the stack, as unfused.
                        tri!(mem_store!(4, sem::I32Store, st!(sp - 2), off, v));
                        sp -= 2;
                    }
                    Op::I32AddLITLoad { a, imm, d } => {
                        pc += 4;
                        let addr = sem::I32Add(st!(fp + a as usize), sext(imm));
                        st!(fp + d as usize) = addr;
                        st!(sp) = ftri!(mem_load!(4, sem::I32Load, addr, 0), [addr]);
                        sp += 1;
                    }
                    Op::I32MulIAddT { imm, d } => {
                        let x = st!(sp - 1);
                        let y = st!(sp - 2);
                        sp -= 1;
                        let v = sem::I32Add(y, sem::I32Mul(x, sext(imm)));
                        st!(sp - 1) = v;
                        st!(fp + d as usize) = v;
                        pc += 3;
                    }
                    Op::I32MulLIAddT { a, imm, d } => {
                        let x = sem::I32Mul(st!(fp + a as usize), sext(imm));
                        let v = sem::I32Add(st!(sp - 1), x);
                        st!(sp - 1) = v;
                        st!(fp + d as usize) = v;
                        pc += 4;
                    }
                    Op::I32DivSLStore { b, off } => {
                        pc += 1;
                        let y = st!(fp + b as usize);
                        let q = ftri!(sem::I32DivS(st!(sp - 1), y), [y]);
                        st!(sp - 1) = q;
                        pc += 1;
                        // On a trap both operands are still on the stack, as unfused.
                        tri!(mem_store!(4, sem::I32Store, st!(sp - 2), off, q));
                        sp -= 2;
                    }
                    Op::I64AddLLTLtULBr { a, b, d, c, t } => {
                        let v = st!(fp + a as usize).wrapping_add(st!(fp + b as usize));
                        st!(fp + d as usize) = v;
                        pc += 6;
                        if v < st!(fp + c as usize) {
                            branch!(t);
                        }
                    }
                    Op::I32AddLITNeLBr { a, d, c, imm, t } => {
                        let v = sem::I32Add(st!(fp + a as usize), sext(imm));
                        st!(fp + d as usize) = v;
                        pc += 6;
                        if v as u32 != st!(fp + c as usize) as u32 {
                            branch!(t);
                        }
                    }
                    Op::I64AddLITNeLBr { a, d, c, imm, t } => {
                        let v = st!(fp + a as usize).wrapping_add(sext(imm));
                        st!(fp + d as usize) = v;
                        pc += 6;
                        if v != st!(fp + c as usize) {
                            branch!(t);
                        }
                    }
                    Op::V128Const(i) => {
                        let v = code!().v128_pool[i as usize];
                        if sp.idx(base) + 2 > stack_len {
                            let (sp_at, fp_at) = (sp.idx(base), fp.idx(base));
                            self.stack.resize(sp_at + 2, 0);
                            base = self.stack.as_mut_ptr();
                            stack_len = self.stack.len();
                            sp = Slot(base) + sp_at;
                            fp = Slot(base) + fp_at;
                        }
                        sp = Slot(base) + simd::exec_v128_const(v, stack!(), sp.idx(base));
                    }
                    Op::I8x16Shuffle(i) => {
                        let lanes = code!().v128_pool[i as usize].to_le_bytes();
                        sp = Slot(base) + simd::exec_shuffle(lanes, stack!(), sp.idx(base));
                    }
                    Op::Simd(s) => {
                        let at = tri!(simd::exec(s, stack!(), sp.idx(base), &mut mem.data));
                        sp = Slot(base) + at;
                    }
                });
                break 'dispatch;
            }
            if DEBUG && let Some(w) = pending.take() {
                {
                    let r = w.addr as usize..w.addr as usize + w.len as usize;
                    let new = mem_bytes(store, mem, w.memory, r);
                    save!(pc);
                    return RunOutcome::Paused(PauseReason::Watchpoint {
                        index: w.index,
                        addr: w.addr,
                        len: w.len,
                        write: w.write,
                        old: w.old,
                        new,
                    });
                }
            }
        }
    }
}

impl Execution {
    /// The plain executor's breakpoint at `at` of `func` (the machine state
    /// is `(sp, fp, base, stack_len, at, ops)`): the original op to run when
    /// the run resumes from it or its check says not to pause; else the
    /// pause. Out of line and cold, as `watched`: the check's slice of the
    /// frame, inline, was hoisted onto every op's dispatch.
    #[cold]
    #[inline(never)]
    #[allow(unsafe_code)]
    fn breakpoint(
        &mut self,
        store: &mut Store,
        mem: &mut Mem,
        func: FuncAddr,
        code_ptr: *const Code,
        (sp, fp, base, stack_len, at, ops): (Slot, Slot, *mut u64, usize, Ip, *const Op),
    ) -> Result<Op, RunOutcome> {
        // SAFETY: as in `watched`.
        let code: &Code = unsafe { &*code_ptr };
        let here = at.pc(ops) as u32;
        if take_resume(&mut self.resume_bp, self.frames.len(), here) {
            return Ok(code.patched[&here]);
        }
        if !store.break_checks.is_empty() {
            // SAFETY: as in `watched`.
            let stack: &[u64] = unsafe { std::slice::from_raw_parts(base, stack_len) };
            let slots = &stack[fp.idx(base)..];
            if let Some(orig) = pass_break_check(
                store,
                func,
                here,
                self.frames.len(),
                slots,
                &code.local_offsets,
                &mem.data,
            ) {
                return Ok(orig);
            }
        }
        self.save_state(sp, base, at, ops);
        self.resume_bp = Some((self.frames.len(), here));
        Err(RunOutcome::Paused(PauseReason::Breakpoint {
            func,
            pc: here,
        }))
    }

    /// The plain executor's `Op::Fuel` at `at` when the run has less fuel
    /// than the block needs: the debug executor counts it one op at a time,
    /// to the exact instruction.
    #[cold]
    #[inline(never)]
    #[allow(unsafe_code)]
    fn fuel_short(
        &mut self,
        store: &mut Store,
        ctl: &mut RunControl,
        mem: &mut Mem,
        code_ptr: *const Code,
        (sp, base, at, ops): (Slot, *mut u64, Ip, *const Op),
    ) -> RunOutcome {
        // SAFETY: as in `watched`.
        let code: &Code = unsafe { &*code_ptr };
        let here = at.pc(ops);
        self.save_state(sp, base, at, ops);
        if code.ops[here] == Op::Breakpoint {
            self.resume_bp = Some((self.frames.len(), here as u32));
        }
        self.fuel_exact = true;
        self.exec_inner::<true>(store, ctl, None, mem)
    }

    /// The plain executor's `Op::Watched` at `at` (the machine state is
    /// `(sp, base, stack_len, at, ops)`): the original op to run when its
    /// access hits no watchpoint; else it runs in the one-instruction debug
    /// executor, which pauses right after it with the old and new bytes.
    /// Out of line and cold: while nothing is watched the plain loop never
    /// gets here, and its dispatch must not pay for this arm's arithmetic
    /// (inline, it cost sha256-O2 1.3x).
    #[cold]
    #[inline(never)]
    #[allow(unsafe_code)]
    fn watched(
        &mut self,
        store: &mut Store,
        ctl: &mut RunControl,
        mem: &mut Mem,
        code_ptr: *const Code,
        (sp, base, stack_len, at, ops): (Slot, *mut u64, usize, Ip, *const Op),
        debug: bool,
    ) -> Result<Op, RunOutcome> {
        // SAFETY: `code_ptr` is the running function's live `Arc<Code>` (see
        // `exec_inner`), not mutated while this reference is used.
        let code: &Code = unsafe { &*code_ptr };
        // SAFETY: `base`/`stack_len` are `self.stack`'s buffer (see
        // `exec_inner`'s `stack!`); no other reference to it is live.
        let stack: &[u64] = unsafe { std::slice::from_raw_parts(base, stack_len) };
        let here = at.pc(ops);
        let orig = code.unfused[here];
        let at_sp = sp.idx(base);
        let maybe = match watch::scalar(orig) {
            Some((depth, len, _, off)) => {
                let (lo, hi) = watch::bounding_box(&ctl.watch);
                let a = (stack[at_sp - depth] as u32 as u64) + off as u64;
                a < hi && a + len > lo
            }
            None => true,
        };
        if maybe {
            let len_of = |m: u32| mem_len(store, mem, m);
            if watch::hit(&ctl.watch, store, code, orig, stack, at_sp, len_of).is_some() {
                self.save_state(sp, base, at, ops);
                if code.ops[here] == Op::Breakpoint {
                    self.resume_bp = Some((self.frames.len(), here as u32));
                }
                if !debug && store.fuel_blocks {
                    self.fuel_before_debug(store, ctl);
                    self.fuel_exact = true;
                }
                return Err(self.exec_inner::<true>(store, ctl, Some(1), mem));
            }
        }
        Ok(orig)
    }
}

/// A breakpoint hit at `pc` of `func`: when it has a check that says not
/// to pause (its condition is false, or the hit is ignored), the original
/// op to run instead. `depth` is the number of frames, `slots` the
/// frame from its base.
#[cold]
#[inline(never)]
fn pass_break_check(
    store: &mut Store,
    func: FuncAddr,
    pc: u32,
    depth: usize,
    slots: &[u64],
    local_offsets: &[u32],
    memory: &[u8],
) -> Option<Op> {
    let Store {
        break_checks,
        funcs,
        instances,
        globals,
        ..
    } = store;
    let (check, orig) = break_checks.map.get_mut(&(func, pc))?;
    if check.max_depth.is_some_and(|m| depth > m) {
        return Some(*orig);
    }
    let instance = match &funcs[func as usize].kind {
        FuncKind::Wasm { instance, .. } => &instances[instance.0 as usize],
        FuncKind::Host(_) => return None,
    };
    let global = |i: u32| {
        let a = *instance.globals.get(i as usize)?;
        Some(globals[a as usize].bits[0])
    };
    let frame = crate::interp::pred::PredFrame {
        slots,
        local_offsets,
        globals: &global,
        memory,
    };
    (!check.hit(&frame)).then_some(*orig)
}

/// Whether we are resuming from the breakpoint at (`depth`, `pc`): then the
/// original op runs once.
#[cold]
#[inline(never)]
fn take_resume(resume: &mut Option<(usize, u32)>, depth: usize, pc: u32) -> bool {
    if *resume == Some((depth, pc)) {
        *resume = None;
        true
    } else {
        false
    }
}

#[inline(always)]
fn u32v(x: u64) -> u32 {
    x as u32
}
#[inline(always)]
fn u64v(x: u64) -> u64 {
    x
}
#[inline(always)]
fn f32v(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
#[inline(always)]
fn f64v(x: u64) -> f64 {
    f64::from_bits(x)
}
#[inline(always)]
fn s32(v: u32) -> u64 {
    v as u64
}
#[inline(always)]
fn s64(v: u64) -> u64 {
    v
}
#[inline(always)]
fn sf32(v: f32) -> u64 {
    v.to_bits() as u64
}
#[inline(always)]
fn sf64(v: f64) -> u64 {
    v.to_bits()
}

/// The function at `index` of table `table` for a `call_indirect` expecting
/// canonical type `type_id` (a subtype will do), or the trap.
#[cold]
#[inline(never)]
fn indirect_target(store: &Store, table: u32, index: u64, type_id: u32) -> Result<u32, TrapCode> {
    let t = &store.tables[table as usize];
    let index = if t.ty.table64 {
        index
    } else {
        index as u32 as u64
    };
    let Some(&r) = usize::try_from(index).ok().and_then(|i| t.elems.get(i)) else {
        return Err(TrapCode::UndefinedElement);
    };
    if r == 0 {
        return Err(TrapCode::UninitializedElement);
    }
    let f = (r - 1) as u32;
    let have = store.funcs[f as usize].type_id;
    if have != type_id && !store.type_is_subtype(have, type_id) {
        return Err(TrapCode::IndirectCallTypeMismatch);
    }
    Ok(f)
}

/// A table index operand: the low 32 bits, or the whole slot for a 64-bit
/// table (saturated to `usize`, which is out of bounds anyway).
#[inline(always)]
fn tab_index(v: u64, is64: bool) -> usize {
    if is64 {
        usize::try_from(v).unwrap_or(usize::MAX)
    } else {
        v as u32 as usize
    }
}
