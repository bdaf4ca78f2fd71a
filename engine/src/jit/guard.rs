//! Memory accesses without bounds checks: a linear memory is a reservation
//! whose inaccessible part covers every address a wasm32 access can form
//! (`runtime::memory`), so generated code loads and stores directly and an
//! access past the end faults. This module turns that fault into the
//! `out of bounds memory access` trap:
//!
//! - The host enters generated code through [`guarded_call`], an assembly
//!   routine that saves the callee-saved registers, records its stack
//!   pointer, and calls the entry wrapper; it returns 0 when the wrapper
//!   returns.
//! - On SIGSEGV/SIGBUS the handler checks that the faulting pc is in this
//!   run's generated code and the address in one of its memories'
//!   reservations; otherwise the signal goes to the handler that was there
//!   before (Rust's stack-overflow reporter, or the default action).
//! - For its own faults it records the trap and the wasm backtrace (the
//!   faulting function at the pc's `code_offset`, then the frame-pointer
//!   walk of its callers), and resumes at a landing pad that restores the
//!   saved registers and stack pointer and makes [`guarded_call`] return 1.
//!   The skipped frames are generated code only (no host frame sits between
//!   an entry and the code it entered), which owns nothing to drop.
//!
//! The handlers run on a 64 KiB alternate signal stack that each thread
//! gets when it first enters generated code (Rust's own is 8 KiB, too small
//! for the fault handler's frame walk next to the kernel's AVX-512 signal
//! frame), and none of them can be interrupted by another of ours.
//!
//! The same handler serves SIGTRAP for breakpoints on function entries:
//! an `int3` written over the first byte of a function with a breakpoint
//! resumes at that function's debug stub (`super::patch`).
//!
//! Only on x86-64 Linux ([`GUARD_PAGES`]); elsewhere generated code checks
//! every access against the memory's length, and every entry's break flag.

#![allow(unsafe_code)]

use crate::module::Module;

/// Generated code relies on guard pages instead of bounds checks.
pub(crate) const GUARD_PAGES: bool = cfg!(all(target_os = "linux", target_arch = "x86_64"));

/// The `code_offset` of the memory access that faulted, given the one the
/// faulting native instruction maps to. Cranelift may fold a load into the
/// instruction that uses its value (`add eax, [mem]`), which then carries
/// the user's offset: the access is then the last load before it in the
/// function (the user's operand). An offset that already is a memory access
/// (or anything not understood) is returned as it is.
pub(crate) fn faulting_access(module: &Module, func_index: u32, code_offset: u32) -> u32 {
    let Some(body) = module.body(func_index) else {
        return code_offset;
    };
    let target = module.module_offset_from_code_offset(code_offset);
    let range = body.range.clone();
    let Some(bytes) = module.bytes.get(range.clone()) else {
        return code_offset;
    };
    let reader = wasmparser::BinaryReader::new(bytes, range.start as u64);
    let Ok(mut ops) = wasmparser::FunctionBody::new(reader).get_operators_reader() else {
        return code_offset;
    };
    let mut last_load = None;
    while !ops.eof() {
        let Ok((op, at)) = ops.read_with_offset() else {
            break;
        };
        if at as usize == target {
            return match last_load {
                Some(l) if memory_access(&op).is_none() => module.code_offset_from_module_offset(l),
                _ => code_offset,
            };
        }
        if foldable_load(&op) {
            last_load = Some(at as usize);
        }
    }
    code_offset
}

/// The loads Cranelift may fold into their user: full-width ones.
fn foldable_load(op: &wasmparser::Operator<'_>) -> bool {
    use wasmparser::Operator as O;
    matches!(
        op,
        O::I32Load { .. }
            | O::I64Load { .. }
            | O::F32Load { .. }
            | O::F64Load { .. }
            | O::V128Load { .. }
    )
}

/// What an instruction does to linear memory: [`Access::Store`] when it
/// writes (bulk copies too), [`Access::Load`] when it only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Load,
    Store,
}

/// Whether `op` reads or writes linear memory, and which.
pub(crate) fn memory_access(op: &wasmparser::Operator<'_>) -> Option<Access> {
    use wasmparser::Operator as O;
    if foldable_load(op) {
        return Some(Access::Load);
    }
    match op {
        O::I32Load8S { .. }
        | O::I32Load8U { .. }
        | O::I32Load16S { .. }
        | O::I32Load16U { .. }
        | O::I64Load8S { .. }
        | O::I64Load8U { .. }
        | O::I64Load16S { .. }
        | O::I64Load16U { .. }
        | O::I64Load32S { .. }
        | O::I64Load32U { .. }
        | O::V128Load8x8S { .. }
        | O::V128Load8x8U { .. }
        | O::V128Load16x4S { .. }
        | O::V128Load16x4U { .. }
        | O::V128Load32x2S { .. }
        | O::V128Load32x2U { .. }
        | O::V128Load8Splat { .. }
        | O::V128Load16Splat { .. }
        | O::V128Load32Splat { .. }
        | O::V128Load64Splat { .. }
        | O::V128Load32Zero { .. }
        | O::V128Load64Zero { .. }
        | O::V128Load8Lane { .. }
        | O::V128Load16Lane { .. }
        | O::V128Load32Lane { .. }
        | O::V128Load64Lane { .. } => Some(Access::Load),
        O::I32Store { .. }
        | O::I64Store { .. }
        | O::F32Store { .. }
        | O::F64Store { .. }
        | O::I32Store8 { .. }
        | O::I32Store16 { .. }
        | O::I64Store8 { .. }
        | O::I64Store16 { .. }
        | O::I64Store32 { .. }
        | O::V128Store { .. }
        | O::V128Store8Lane { .. }
        | O::V128Store16Lane { .. }
        | O::V128Store32Lane { .. }
        | O::V128Store64Lane { .. }
        | O::MemoryFill { .. }
        | O::MemoryCopy { .. }
        | O::MemoryInit { .. } => Some(Access::Store),
        _ => None,
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod imp {
    use std::cell::Cell;
    use std::sync::Once;

    use super::super::env::trap_word;
    use super::super::vm::{CodeRange, RtState, RunCtx, VmCtx, code_body, walk_frames};
    use crate::runtime::memory::RESERVATION;

    std::arch::global_asm!(
        ".text",
        ".globl wdb_guarded_call",
        ".p2align 4",
        // (rdi = wrapper, rsi = vmctx, rdx = slots, rcx = where to record
        // the stack pointer) -> eax: 0, or 1 after a fault.
        "wdb_guarded_call:",
        "push rbp",
        "mov rbp, rsp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "sub rsp, 8",
        "mov [rcx], rsp",
        "mov rax, rdi",
        "mov rdi, rsi",
        "mov rsi, rdx",
        "call rax",
        "xor eax, eax",
        "2:",
        "add rsp, 8",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
        ".globl wdb_guard_landing",
        ".p2align 4",
        // rdi = the stack pointer `wdb_guarded_call` recorded.
        "wdb_guard_landing:",
        "mov rsp, rdi",
        "mov eax, 1",
        "jmp 2b",
        // A pause from another thread (`async_pause`): entered with the
        // stack pointer 128 bytes below the interrupted one (past the red
        // zone) and the interrupted pc in `PAUSE_PC`. Makes the frame of a
        // call from that pc (the return address written here, after the
        // kernel's signal frame is gone: the handler must not write below
        // the red zone, where that frame and its saved vector state live),
        // saves every register the calls below may clobber, asks
        // `lc_async_pause(pc, fp)`, and returns to the pc with all of them
        // restored; or unwinds the run to the landing pad.
        ".globl wdb_async_pause",
        ".p2align 4",
        "wdb_async_pause:",
        // `lea`, not `sub`: the flags are still the interrupted code's.
        "lea rsp, [rsp - 8]",
        "push rbp",
        "mov rbp, rsp",
        "pushfq",
        "push rax",
        "push rcx",
        "push rdx",
        "push rsi",
        "push rdi",
        "push r8",
        "push r9",
        "push r10",
        "push r11",
        "and rsp, -16",
        "sub rsp, 256",
        "movdqu [rsp], xmm0",
        "movdqu [rsp + 16], xmm1",
        "movdqu [rsp + 32], xmm2",
        "movdqu [rsp + 48], xmm3",
        "movdqu [rsp + 64], xmm4",
        "movdqu [rsp + 80], xmm5",
        "movdqu [rsp + 96], xmm6",
        "movdqu [rsp + 112], xmm7",
        "movdqu [rsp + 128], xmm8",
        "movdqu [rsp + 144], xmm9",
        "movdqu [rsp + 160], xmm10",
        "movdqu [rsp + 176], xmm11",
        "movdqu [rsp + 192], xmm12",
        "movdqu [rsp + 208], xmm13",
        "movdqu [rsp + 224], xmm14",
        "movdqu [rsp + 240], xmm15",
        "call {take_pc}",
        "mov [rbp + 8], rax",
        "mov rdi, rax",
        "mov rsi, [rbp]",
        "call {pause}",
        "test rax, rax",
        "jnz 4f",
        "movdqu xmm0, [rsp]",
        "movdqu xmm1, [rsp + 16]",
        "movdqu xmm2, [rsp + 32]",
        "movdqu xmm3, [rsp + 48]",
        "movdqu xmm4, [rsp + 64]",
        "movdqu xmm5, [rsp + 80]",
        "movdqu xmm6, [rsp + 96]",
        "movdqu xmm7, [rsp + 112]",
        "movdqu xmm8, [rsp + 128]",
        "movdqu xmm9, [rsp + 144]",
        "movdqu xmm10, [rsp + 160]",
        "movdqu xmm11, [rsp + 176]",
        "movdqu xmm12, [rsp + 192]",
        "movdqu xmm13, [rsp + 208]",
        "movdqu xmm14, [rsp + 224]",
        "movdqu xmm15, [rsp + 240]",
        "lea rsp, [rbp - 80]",
        "pop r11",
        "pop r10",
        "pop r9",
        "pop r8",
        "pop rdi",
        "pop rsi",
        "pop rdx",
        "pop rcx",
        "pop rax",
        "popfq",
        "pop rbp",
        "ret 128",
        "4:",
        "mov rdi, rax",
        "jmp wdb_guard_landing",
        pause = sym super::super::vm::lc_async_pause,
        take_pc = sym take_pause_pc,
    );

    /// The pc `async_pause` interrupted, for `wdb_async_pause`.
    extern "C" fn take_pause_pc() -> u64 {
        PAUSE_PC.get()
    }

    unsafe extern "C" {
        fn wdb_guarded_call(
            wrapper: *const u8,
            vmctx: *mut u8,
            slots: *mut u128,
            sp_out: *mut u64,
        ) -> u32;
        fn wdb_guard_landing();
        fn wdb_async_pause();
    }

    thread_local! {
        /// The stack pointer of the innermost `guarded_call` on this thread
        /// (0 outside one), and its run state.
        static GUARD: Cell<(u64, *mut RtState)> = const { Cell::new((0, std::ptr::null_mut())) };
        /// The pc a pause interrupted, from the handler to `wdb_async_pause`
        /// (const-initialised: no lazy setup inside a signal handler).
        static PAUSE_PC: Cell<u64> = const { Cell::new(0) };
    }

    thread_local! {
        /// This thread's alternate signal stack is large enough for our
        /// handlers ([`alt_stack::ensure`] ran).
        static ALT_STACK_READY: Cell<bool> = const { Cell::new(false) };
    }

    /// A signal stack of our own for each thread that runs generated code.
    ///
    /// Our handlers run on the thread's alternate stack (SA_ONSTACK, which
    /// Rust's stack-overflow reporter needs). The one Rust gives its
    /// threads is SIGSTKSZ, 8 KiB, and the kernel's signal frame alone
    /// takes 3.4 KiB on a machine with AVX-512 state; the fault handler
    /// walks the wasm frames and allocates, which in a debug build leaves
    /// no margin. Overflowing it does not report anything: the kernel
    /// kills the process. So each thread that enters generated code gets a
    /// 64 KiB stack above a guard page, kept until the thread ends.
    mod alt_stack {
        use super::ALT_STACK_READY;

        const SIZE: usize = 64 << 10;

        /// The mapping of this thread's stack (guard page included).
        struct Mapping {
            base: *mut libc::c_void,
            len: usize,
        }

        thread_local! {
            static MAPPING: std::cell::RefCell<Option<Mapping>> = const { std::cell::RefCell::new(None) };
        }

        impl Drop for Mapping {
            fn drop(&mut self) {
                // SAFETY: `sigaltstack` with a null new stack only reads the
                // current one; disabling it when it is ours, before unmapping,
                // leaves no signal able to land there. (Rust's own thread
                // exit may already have disabled it.)
                unsafe {
                    let mut cur: libc::stack_t = std::mem::zeroed();
                    if libc::sigaltstack(std::ptr::null(), &mut cur) == 0
                        && cur.ss_flags & libc::SS_DISABLE == 0
                        && cur.ss_sp as usize == self.base as usize + page()
                    {
                        let off = libc::stack_t {
                            ss_sp: std::ptr::null_mut(),
                            ss_flags: libc::SS_DISABLE,
                            ss_size: 0,
                        };
                        libc::sigaltstack(&off, std::ptr::null_mut());
                    }
                    libc::munmap(self.base, self.len);
                }
            }
        }

        fn page() -> usize {
            // SAFETY: sysconf has no preconditions.
            let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if p > 0 { p as usize } else { 4096 }
        }

        /// Give this thread an alternate stack of at least [`SIZE`] bytes,
        /// unless it already has one (ours or its own). Failure to map one
        /// keeps the stack the thread has.
        pub(super) fn ensure() {
            ALT_STACK_READY.set(true);
            // SAFETY: reading the current alternate stack; mapping fresh
            // anonymous memory and a guard page below it, then making it
            // this thread's alternate stack. The mapping lives in a
            // thread-local whose destructor unregisters it before unmapping.
            unsafe {
                let mut cur: libc::stack_t = std::mem::zeroed();
                if libc::sigaltstack(std::ptr::null(), &mut cur) != 0 {
                    return;
                }
                if cur.ss_flags & libc::SS_ONSTACK != 0
                    || (cur.ss_flags & libc::SS_DISABLE == 0 && cur.ss_size >= SIZE)
                {
                    return;
                }
                let guard = page();
                let len = SIZE + guard;
                let base = libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                );
                if base == libc::MAP_FAILED {
                    return;
                }
                libc::mprotect(base, guard, libc::PROT_NONE);
                let stack = libc::stack_t {
                    ss_sp: (base as usize + guard) as *mut libc::c_void,
                    ss_flags: 0,
                    ss_size: SIZE,
                };
                if libc::sigaltstack(&stack, std::ptr::null_mut()) != 0 {
                    libc::munmap(base, len);
                    return;
                }
                MAPPING.with(|m| *m.borrow_mut() = Some(Mapping { base, len }));
            }
        }
    }

    /// The handlers that were installed before ours, by signal.
    static mut PREVIOUS: [Option<libc::sigaction>; 4] = [None, None, None, None];
    static INSTALL: Once = Once::new();

    /// Memory faults, the `int3` of a patched function entry
    /// (`super::super::patch`), and a pause asked for from another thread
    /// ([`PAUSE_SIGNAL`]).
    pub(super) const SIGNALS: [libc::c_int; 4] =
        [libc::SIGSEGV, libc::SIGBUS, libc::SIGTRAP, PAUSE_SIGNAL];

    /// Sent to the thread running generated code to pause it wherever it
    /// is (`super::super::PauseHandle`). Ignored by default, so a stray one
    /// does nothing.
    pub(crate) const PAUSE_SIGNAL: libc::c_int = libc::SIGURG;

    pub(crate) fn install() {
        INSTALL.call_once(|| {
            for (i, sig) in SIGNALS.into_iter().enumerate() {
                // SAFETY: plain sigaction calls with zero-initialised
                // structures; `PREVIOUS` is written once, here, before our
                // handler (its only reader) can run.
                unsafe {
                    let mut new: libc::sigaction = std::mem::zeroed();
                    new.sa_sigaction = handler as *const () as usize;
                    // SA_RESTART: a pause signal that finds the thread in a
                    // host call (a WASI read) must not make it fail with EINTR.
                    // No SA_NODEFER, and every signal of ours blocked while
                    // a handler runs: each handler returns through
                    // sigreturn, which restores the mask, and a pause
                    // signal resent (every 2 ms) while a handler was
                    // preempted must not nest another kernel signal frame
                    // (3.4 KB with AVX-512 state) on the alternate stack.
                    new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
                    libc::sigemptyset(&mut new.sa_mask);
                    for blocked in SIGNALS {
                        libc::sigaddset(&mut new.sa_mask, blocked);
                    }
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, &new, &mut old) == 0 {
                        (*std::ptr::addr_of_mut!(PREVIOUS))[i] = Some(old);
                    }
                }
            }
        });
    }

    /// Call `wrapper(vmctx, slots)`; false when a guard-page fault ended it
    /// (the trap is recorded in `rt`).
    ///
    /// # Safety
    /// As for calling the wrapper directly (`vm::enter`), with `rt` the run
    /// state that `vmctx` points at.
    pub(crate) unsafe fn guarded_call(
        wrapper: *const u8,
        vmctx: *mut VmCtx,
        slots: *mut u128,
        rt: *mut RtState,
    ) -> bool {
        if !ALT_STACK_READY.get() {
            alt_stack::ensure();
        }
        let outer = GUARD.get();
        let mut sp = 0u64;
        // The handler reads the slot through `GUARD` while the call runs:
        // give it the address of `sp`, which lives until the call returns.
        GUARD.set((&mut sp as *mut u64 as u64, rt));
        // SAFETY: the caller's contract; `sp` outlives the call.
        let r = unsafe { wdb_guarded_call(wrapper, vmctx.cast(), slots, &mut sp) };
        GUARD.set(outer);
        r == 0
    }

    extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel passes valid `info` and `ctx` to an SA_SIGINFO
        // handler; `ours` and `patched_entry` only read this thread's run
        // state.
        let handled = if sig == libc::SIGTRAP {
            unsafe { patched_entry(ctx) }
        } else if sig == PAUSE_SIGNAL {
            unsafe { async_pause(ctx) }
        } else {
            unsafe { ours(info, ctx) }
        };
        if handled {
            return;
        }
        // A pause signal that finds no run of ours (the run ended after
        // the request was sent) is stale: ignore it, as SIGURG's default
        // does. Chaining to the default would reset the disposition and
        // leave every later pause of the process unserved.
        if sig == PAUSE_SIGNAL {
            // SAFETY: written once before the handler was installed.
            let prev = unsafe { (*std::ptr::addr_of!(PREVIOUS))[3] };
            if prev.is_none_or(|p| p.sa_sigaction <= libc::SIG_IGN) {
                return;
            }
        }
        // SAFETY: chaining to the previous handler with the same arguments.
        unsafe { chain(sig, info, ctx) }
    }

    /// The run of the innermost guarded call on this thread: the address
    /// of its recorded stack pointer, its run state and its run context.
    ///
    /// # Safety
    /// Only from the signal handler, on the thread the signal interrupted:
    /// the references live as long as that call, which the handler does
    /// not outlive.
    unsafe fn this_run() -> Option<(u64, &'static mut RtState, &'static mut RunCtx)> {
        let (sp_slot, rt) = GUARD.get();
        if sp_slot == 0 || rt.is_null() {
            return None;
        }
        // SAFETY: `rt` is the run state of the innermost guarded call on
        // this thread, live until it returns; its `run`, when set, points
        // at the run context, which outlives the run.
        unsafe {
            let rt = &mut *rt;
            let run = rt.run.as_mut()?;
            Some((sp_slot, rt, run))
        }
    }

    /// The generated function body holding `pc`, with its start.
    fn body_at(run: &RunCtx, pc: usize) -> Option<(usize, &CodeRange)> {
        // SAFETY: the engine's code map, unchanged while generated code runs.
        code_body(unsafe { &*run.code_map }, pc)
    }

    /// A fault of this thread's generated code in one of its memories'
    /// reservations: record the trap and resume at the landing pad.
    ///
    /// It allocates (the backtrace): the fault is in generated code, which
    /// never runs inside the allocator, so no allocator lock is held by
    /// this thread.
    unsafe fn ours(info: *mut libc::siginfo_t, ctx: *mut libc::c_void) -> bool {
        // SAFETY: in the handler, on the interrupted thread.
        let Some((sp_slot, rt, run)) = (unsafe { this_run() }) else {
            return false;
        };
        // SAFETY: `ctx` is the interrupted thread's `ucontext_t`.
        let uc = unsafe { &mut *(ctx as *mut libc::ucontext_t) };
        let gregs = &mut uc.uc_mcontext.gregs;
        let pc = gregs[libc::REG_RIP as usize] as u64;
        let fp = gregs[libc::REG_RBP as usize] as u64;
        // SAFETY: `info` is valid; `si_addr` is the faulting address.
        let addr = unsafe { (*info).si_addr() } as u64;
        // SAFETY: the engine's memory cells, alive and unchanged while
        // generated code runs (refreshed only between host calls).
        let mems = unsafe { &*run.mems };
        let in_memory = mems.iter().any(|m| {
            let base = m.base as u64;
            !m.base.is_null() && addr >= base && addr - base < RESERVATION as u64
        });
        if !in_memory {
            return false;
        }
        let Some(frame) = body_at(run, pc as usize).map(|(start, body)| {
            let at = (pc as usize - start) as u32;
            let code_offset = super::super::compile::code_offset_at(&body.srclocs, at);
            (body.instance, body.func_index, code_offset.unwrap_or(0))
        }) else {
            return false;
        };
        rt.trap = trap_word::MEMORY_OOB;
        run.frames.clear();
        run.frames.push(frame);
        // SAFETY: the store outlives the run.
        let store = unsafe { &*run.store };
        for f in walk_frames(rt, run, store, fp) {
            run.frames.push((f.instance.0, f.func_index, f.code_offset));
        }
        // SAFETY: `sp_slot` points at the `sp` of the live `guarded_call`.
        let sp = unsafe { *(sp_slot as *const u64) };
        gregs[libc::REG_RIP as usize] = wdb_guard_landing as *const () as i64;
        gregs[libc::REG_RDI as usize] = sp as i64;
        true
    }

    /// The `int3` at a patched function entry of this thread's debug run:
    /// resume at the function's debug stub, every register as the call
    /// left it (the `int3` is the function's first instruction).
    unsafe fn patched_entry(ctx: *mut libc::c_void) -> bool {
        // SAFETY: in the handler, on the interrupted thread.
        let Some((_, _, run)) = (unsafe { this_run() }) else {
            return false;
        };
        if run.patches.is_null() {
            return false;
        }
        // SAFETY: `ctx` is the interrupted thread's `ucontext_t`.
        let uc = unsafe { &mut *(ctx as *mut libc::ucontext_t) };
        let gregs = &mut uc.uc_mcontext.gregs;
        // After `int3` the pc is one past it.
        let entry = (gregs[libc::REG_RIP as usize] as usize).wrapping_sub(1);
        // SAFETY: the engine's patches, alive for the run and changed only
        // by this thread outside generated code.
        let Some(stub) = (unsafe { &*run.patches }).stub_for(entry) else {
            return false;
        };
        gregs[libc::REG_RIP as usize] = stub as i64;
        true
    }

    /// A pause asked for by another thread: when this thread is at an
    /// instruction of a generated function's body (past its prologue, so
    /// its frame pointer is set), resume at `wdb_async_pause` as if that
    /// instruction had called it. Anywhere else (host code, a prologue) the
    /// request stays pending and the requester sends the signal again.
    unsafe fn async_pause(ctx: *mut libc::c_void) -> bool {
        // SAFETY: in the handler, on the interrupted thread.
        let Some((_, _, run)) = (unsafe { this_run() }) else {
            return false;
        };
        if run.pause.is_null() {
            return false;
        }
        // SAFETY: the engine's pause state, alive for the run (its atomics
        // are shared with the requesting thread).
        let pause = unsafe { &*run.pause };
        if !pause.pending.load(std::sync::atomic::Ordering::SeqCst) {
            return true;
        }
        // SAFETY: `ctx` is the interrupted thread's `ucontext_t`.
        let uc = unsafe { &mut *(ctx as *mut libc::ucontext_t) };
        let gregs = &mut uc.uc_mcontext.gregs;
        let pc = gregs[libc::REG_RIP as usize] as usize;
        let at_body_instruction = body_at(run, pc).is_some_and(|(start, body)| {
            super::super::compile::code_offset_at(&body.srclocs, (pc - start) as u32).is_some()
        });
        if !at_body_instruction {
            return true;
        }
        pause
            .pending
            .store(false, std::sync::atomic::Ordering::SeqCst);
        // Past the red zone; `wdb_async_pause` writes the pc there as its
        // return address once this handler has returned. Writing it from
        // here would land in the kernel's signal frame (just below the red
        // zone: the saved vector state and its end marker), which
        // sigreturn then restores from.
        PAUSE_PC.set(pc as u64);
        let sp = (gregs[libc::REG_RSP as usize] as u64).wrapping_sub(128);
        gregs[libc::REG_RSP as usize] = sp as i64;
        gregs[libc::REG_RIP as usize] = wdb_async_pause as *const () as i64;
        true
    }

    /// The stack pointer the innermost guarded call on this thread
    /// recorded (to unwind to through the landing pad), or 0.
    pub(crate) fn guard_sp() -> u64 {
        let (sp_slot, _) = GUARD.get();
        if sp_slot == 0 {
            return 0;
        }
        // SAFETY: `sp_slot` points at the `sp` of the live `guarded_call`.
        unsafe { *(sp_slot as *const u64) }
    }

    /// This thread, for [`signal_pause`].
    pub(crate) fn current_thread() -> u64 {
        // SAFETY: pthread_self has no preconditions.
        unsafe { libc::pthread_self() as u64 }
    }

    /// Send the pause signal to `thread`.
    pub(crate) fn signal_pause(thread: libc::pthread_t) {
        // SAFETY: the caller holds the lock under which the thread clears
        // its id before it ends, so `thread` is alive.
        unsafe {
            libc::pthread_kill(thread, PAUSE_SIGNAL);
        }
    }

    unsafe fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        let i = SIGNALS.iter().position(|s| *s == sig).unwrap_or(0);
        // SAFETY: written once before the handler was installed.
        let prev = unsafe { (*std::ptr::addr_of!(PREVIOUS))[i] };
        let Some(prev) = prev else {
            return reset(sig);
        };
        if prev.sa_flags & libc::SA_SIGINFO != 0 && prev.sa_sigaction > libc::SIG_IGN {
            // SAFETY: an SA_SIGINFO handler takes these three arguments.
            unsafe {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(prev.sa_sigaction);
                f(sig, info, ctx);
            }
        } else if prev.sa_sigaction > libc::SIG_IGN {
            // SAFETY: a plain handler takes the signal number.
            unsafe {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev.sa_sigaction);
                f(sig);
            }
        } else {
            // The default action: restore it, and returning re-runs the
            // faulting instruction, which then ends the process as usual.
            reset(sig);
        }
    }

    fn reset(sig: libc::c_int) {
        // SAFETY: installing the default disposition.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &dfl, std::ptr::null_mut());
        }
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(crate) use imp::{current_thread, guard_sp, guarded_call, install, signal_pause};

#[cfg(all(test, target_os = "linux", target_arch = "x86_64"))]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::super::{JitEngine, OptLevel};
    use crate::interp::{RunControl, RunOutcome};
    use crate::module::Module;
    use crate::runtime::{Extern, Store, StoreConfig};

    /// The thread that runs generated code (the engine's run thread) has an
    /// alternate signal stack of 64 KiB, read by a host function JIT code
    /// calls, and none of our handlers can be interrupted by another of our
    /// signals: a pause signal resent while the fault handler ran used to
    /// nest a second kernel frame on Rust's 8 KiB signal stack, and
    /// overflowing it killed the process without a word.
    #[test]
    fn handlers_run_on_a_large_signal_stack_and_do_not_nest() {
        let wat = r#"(module (import "t" "probe" (func $probe)) (memory 1)
            (func (export "oob") (result i32) (call $probe) (i32.load (i32.const 70000))))"#;
        let m = Arc::new(Module::new(wat::parse_str(wat).expect("wat")).expect("valid"));
        let mut store = Store::new(StoreConfig::default());
        let seen = Arc::new(Mutex::new(None));
        let s = seen.clone();
        let probe = store.add_host_func(
            wasmparser::FuncType::new([], []),
            Arc::new(move |_, _, _| {
                // SAFETY: reading this thread's alternate stack.
                let cur = unsafe {
                    let mut cur: libc::stack_t = std::mem::zeroed();
                    assert_eq!(libc::sigaltstack(std::ptr::null(), &mut cur), 0);
                    cur
                };
                *s.lock().expect("lock") = Some((cur.ss_flags, cur.ss_size));
                Ok(())
            }),
        );
        let (inst, _) = store
            .instantiate(m, &[Extern::Func(probe)])
            .expect("instantiates");
        let Some(Extern::Func(f)) = store.instance_export(inst, "oob") else {
            panic!("no export");
        };
        let mut jit = JitEngine::new(OptLevel::Speed);
        let out = jit
            .call(&mut store, f, &[], &mut RunControl::default())
            .expect("runs");
        assert!(matches!(out, RunOutcome::Trapped(_)), "{out:?}");
        let (flags, size) = seen.lock().expect("lock").expect("the probe ran");
        assert_eq!(flags & libc::SS_DISABLE, 0, "an alternate stack is set");
        assert!(size >= 64 << 10, "alternate stack of {size} bytes");
        for sig in super::imp::SIGNALS {
            // SAFETY: reading a disposition.
            let act = unsafe {
                let mut act: libc::sigaction = std::mem::zeroed();
                assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut act), 0);
                act
            };
            assert_eq!(act.sa_flags & libc::SA_NODEFER, 0, "signal {sig}");
            for blocked in super::imp::SIGNALS {
                // SAFETY: reading a signal set.
                let member = unsafe { libc::sigismember(&act.sa_mask, blocked) };
                assert_eq!(member, 1, "signal {blocked} blocked while {sig} is handled");
            }
        }
    }
}
