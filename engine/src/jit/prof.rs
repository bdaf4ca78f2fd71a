//! Per-function profiling of native (JIT/AOT) code: a separate, instrumented
//! build of the code, asked for with [`CompileOptions::profile`]. Plain code
//! (`wdb run`) is compiled exactly as before and pays nothing.
//!
//! What the instrumented code does (a few stores per call, no libcalls):
//! - at function entry, after the call-depth check: `calls[func_index] += 1`,
//!   `stack[depth] = func_index`, then `depth = depth` (the run state's call
//!   depth, which the JIT maintains anyway, is the shadow stack's height);
//! - at the function's return: `depth = depth - 1` (the caller's slot below
//!   still holds the caller, so nothing is written "after the call returns");
//! - around a direct call to an imported (host) function:
//!   `calls[import] += 1`, `host = import + 1`, and `host = 0` after it.
//!
//! Function indexes are the module's (one profiled module per run: the
//! engine refuses to run instrumented code of a module with more functions
//! than the profile has counters).
//!
//! A sampler thread reads the shadow stack through [`JitProfile::sample`]
//! while the code runs, with relaxed atomic loads and no lock: a sample taken
//! while a call or return is in flight may be torn (a stale slot above the
//! real top, or a function that has just returned). That is acceptable for a
//! sampled profile and documented in the report; the call counts are exact
//! and are only read after the run.

#![allow(unsafe_code)]

use std::mem::offset_of;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};
use cranelift_frontend::FunctionBuilder;

use super::vm::RtState;

/// How native code is compiled. The default is the plain code `wdb run` uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CompileOptions {
    /// Count calls per function and keep a shadow stack for a sampler (see
    /// the module docs). Such code needs a [`JitProfile`] attached to the
    /// engine that runs it.
    pub profile: bool,
    /// Count fuel (`RunControl::fuel`: the interpreter's unit, its ops,
    /// charged per straight-line stretch). Plain code has no fuel checks, as in wasmtime, where
    /// `consume_fuel` is a compile-time setting too: they keep a register and
    /// a load and store around every call, 12% of a call-heavy `-O0` build.
    /// Running code without them with `fuel` set is an error
    /// ([`super::JitEngine::invoke`]).
    pub fuel: bool,
    /// Check a per-function break flag at every entry, so the debugger can
    /// stop calls to functions with breakpoints
    /// ([`super::JitEngine::call_debug`]): two loads and a branch per
    /// call, 6% of a call-heavy `-O0` build. Only where breakpoints cannot
    /// patch function entries instead (not x86-64 Linux: see `patch`): there
    /// on for the debugger's code and for AOT code (`wdb compile`, which the
    /// debugger's `mode aot` runs), off for the plain JIT of `wdb run`.
    pub breakpoints: bool,
    /// Check stores (and with `watch_loads` loads too) against the run's
    /// watched ranges (`RunControl::watch`), for the debugger's
    /// watchpoints: a compare and branch per access, so only while
    /// watchpoints exist (`CompiledModule::compile_for_debugger_with`).
    /// The check tests the bounding box of the ranges (`RtState::watch_lo
    /// ..watch_hi`, native addresses); the slow path asks the runtime.
    pub watch_stores: bool,
    pub watch_loads: bool,
}

impl CompileOptions {
    pub const PROFILE: CompileOptions = CompileOptions {
        profile: true,
        fuel: false,
        breakpoints: false,
        watch_stores: false,
        watch_loads: false,
    };

    /// What `wdb compile` builds: plain code the debugger can stop in
    /// (with break-flag checks where breakpoints do not patch entries).
    pub const AOT: CompileOptions = CompileOptions {
        profile: false,
        fuel: false,
        breakpoints: !super::patch::PATCHED_BREAKPOINTS,
        watch_stores: false,
        watch_loads: false,
    };

    /// Appended to the AOT fingerprint, so an instrumented image is never
    /// loaded as a plain one or the other way round.
    pub fn fingerprint_suffix(self) -> String {
        let mut s = String::new();
        if self.profile {
            s.push_str(" +profile");
        }
        if self.fuel {
            s.push_str(" +fuel");
        }
        if self.breakpoints {
            s.push_str(" +breakpoints");
        }
        if self.watch_stores {
            s.push_str(" +watch");
        }
        if self.watch_loads {
            s.push_str(" +rwatch");
        }
        s
    }
}

/// What instrumented code writes, reached through `RtState::prof`.
#[repr(C)]
pub(crate) struct ProfState {
    /// Height of the shadow stack (`stack[1..=depth]` are live).
    pub depth: AtomicU32,
    /// Imported function being called + 1, or 0.
    pub host: AtomicU32,
    pub stack: *const AtomicU32,
    pub calls: *const AtomicU64,
}

/// The counters and shadow stack of a profiled run, shared between the
/// engine (which points generated code at them) and a sampler thread.
pub struct JitProfile {
    state: Box<ProfState>,
    stack: Box<[AtomicU32]>,
    calls: Box<[AtomicU64]>,
}

// SAFETY: the raw pointers in `state` point into `stack` and `calls`, which
// the same value owns and never reallocates; every field is only accessed
// through atomics from Rust (generated code writes with plain stores, which
// the sampler tolerates as documented in the module docs).
unsafe impl Send for JitProfile {}
// SAFETY: as above; shared access is atomic loads only.
unsafe impl Sync for JitProfile {}

impl std::fmt::Debug for JitProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitProfile")
            .field("funcs", &self.calls.len())
            .field("max_depth", &self.max_depth())
            .finish_non_exhaustive()
    }
}

impl JitProfile {
    /// Counters for `num_funcs` functions (the module's function space,
    /// imports included) and a shadow stack for `max_depth` nested calls.
    pub fn new(num_funcs: u32, max_depth: u32) -> Arc<JitProfile> {
        let stack: Box<[AtomicU32]> = (0..max_depth as usize + 1)
            .map(|_| AtomicU32::new(0))
            .collect();
        let calls: Box<[AtomicU64]> = (0..num_funcs).map(|_| AtomicU64::new(0)).collect();
        let state = Box::new(ProfState {
            depth: AtomicU32::new(0),
            host: AtomicU32::new(0),
            stack: stack.as_ptr(),
            calls: calls.as_ptr(),
        });
        Arc::new(JitProfile {
            state,
            stack,
            calls,
        })
    }

    /// Deepest call nesting the shadow stack holds.
    pub fn max_depth(&self) -> u32 {
        (self.stack.len() - 1) as u32
    }

    pub fn num_funcs(&self) -> u32 {
        self.calls.len() as u32
    }

    /// Calls per function index so far (exact once the run has ended).
    pub fn calls(&self) -> Vec<u64> {
        self.calls
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }

    /// Zero the counters and the stack (between runs, not during one).
    pub fn reset(&self) {
        for c in self.calls.iter() {
            c.store(0, Ordering::Relaxed);
        }
        self.state.depth.store(0, Ordering::Relaxed);
        self.state.host.store(0, Ordering::Relaxed);
    }

    /// The function indexes on the stack now, outermost first, with the host
    /// function being called (if any) on top. Empty when no wasm code runs.
    /// May be torn while a call or return is in flight (see the module docs).
    pub fn sample(&self, out: &mut Vec<u32>) {
        out.clear();
        let depth = (self.state.depth.load(Ordering::Relaxed) as usize).min(self.stack.len() - 1);
        if depth == 0 {
            return;
        }
        out.extend(
            self.stack[1..=depth]
                .iter()
                .map(|s| s.load(Ordering::Relaxed)),
        );
        match self.state.host.load(Ordering::Relaxed) {
            0 => {}
            h => out.push(h - 1),
        }
    }

    pub(crate) fn state_ptr(&self) -> *const ProfState {
        &*self.state
    }
}

fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Emit the entry instrumentation after the call-depth check passed:
/// `calls[func] += 1; stack[depth1] = func; depth = depth1`. Returns the
/// `ProfState` pointer for [`emit_leave`] and [`emit_host`].
pub(crate) fn emit_enter(
    b: &mut FunctionBuilder<'_>,
    rt: ir::Value,
    depth1: ir::Value,
    func_index: u32,
) -> ir::Value {
    let p = b
        .ins()
        .load(types::I64, trusted(), rt, offset_of!(RtState, prof) as i32);
    emit_count(b, p, func_index);
    let stack = b.ins().load(
        types::I64,
        trusted(),
        p,
        offset_of!(ProfState, stack) as i32,
    );
    let d = b.ins().uextend(types::I64, depth1);
    let off = b.ins().ishl_imm_u(d, 2);
    let slot = b.ins().iadd(stack, off);
    let f = b.ins().iconst(types::I32, func_index as i64);
    // The slot before the height, so a sampler never sees the new height
    // over a stale slot (x86-64 and Cranelift keep stores in order).
    b.ins().store(trusted(), f, slot, 0);
    b.ins()
        .store(trusted(), depth1, p, offset_of!(ProfState, depth) as i32);
    p
}

/// `calls[func] += 1`.
fn emit_count(b: &mut FunctionBuilder<'_>, p: ir::Value, func_index: u32) {
    let calls = b.ins().load(
        types::I64,
        trusted(),
        p,
        offset_of!(ProfState, calls) as i32,
    );
    let at = func_index as i32 * 8;
    let c = b.ins().load(types::I64, trusted(), calls, at);
    let c1 = b.ins().iadd_imm_s(c, 1);
    b.ins().store(trusted(), c1, calls, at);
}

/// At the return: the shadow stack's height goes back to the caller's.
pub(crate) fn emit_leave(b: &mut FunctionBuilder<'_>, p: ir::Value, depth: ir::Value) {
    b.ins()
        .store(trusted(), depth, p, offset_of!(ProfState, depth) as i32);
}

/// Around a direct call to imported function `import`: `Some` before the
/// call (count it, mark it running), `None` after it.
pub(crate) fn emit_host(b: &mut FunctionBuilder<'_>, p: ir::Value, import: Option<u32>) {
    if let Some(i) = import {
        emit_count(b, p, i);
    }
    let v = b
        .ins()
        .iconst(types::I32, import.map_or(0, |i| i as i64 + 1));
    b.ins()
        .store(trusted(), v, p, offset_of!(ProfState, host) as i32);
}
