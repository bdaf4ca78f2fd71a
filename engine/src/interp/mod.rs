//! The interpreter: executes the internal IR (see [`crate::ir`]) of functions
//! translated once, lazily, on first call.
//!
//! CONTRACT (the debugger, the WASI host and the JIT's fallback code against
//! these public items; extend, don't break):
//! - [`Execution`] is a suspended or running computation: its own value stack
//!   and frame stack, so a paused guest can be inspected, changed and resumed.
//! - [`Execution::run`] runs until something happens; [`Execution::step`]
//!   executes exactly one instruction (a call stops at the callee's first
//!   instruction; a host call completes).
//! - The plain path (`run` with no fuel, no counters, no watchpoints) pays
//!   nothing for debugging: one executor generic over a const `DEBUG` switch.
//! - Breakpoints patch the internal op at a `pc`; hitting one pauses *before*
//!   that instruction runs, and resuming executes the original op.

mod breakpoints;
mod exec;
mod fuel;
pub(crate) mod gc;
mod inspect;
mod memx;
mod ops;
pub mod pred;
pub mod profile;
pub mod simd;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fuel;
#[cfg(test)]
mod tests_pred;
#[cfg(test)]
mod tests_wasm3;
#[cfg(test)]
mod tests_watch;
mod watch;

pub use crate::ir::SimdOp;
pub use pred::{BreakCheck, NumTy, Pred, PredBin, PredError, PredOp, PredUn};
pub use profile::StackProfile;
pub(crate) use watch::WatchPatch;

use crate::error::{Error, Result};
use crate::module::signature_string;
use crate::runtime::store::FuncKind;
use crate::runtime::{InstanceId, Store};
use crate::trap::Trap;
use crate::trap::TrapCode;
use crate::value::{FuncAddr, ValType, Value};

/// Why a computation stopped without finishing.
#[derive(Debug, Clone, PartialEq)]
pub enum PauseReason {
    /// A patched breakpoint at `pc` of `func` (pc 0 = function entry).
    Breakpoint { func: FuncAddr, pc: u32 },
    /// `step` executed one instruction.
    Step,
    /// The interrupt flag was set (Ctrl-C, `--timeout`, the GUI's Pause).
    Interrupted,
    /// A host function called [`crate::runtime::Caller::request_pause`].
    HostRequested,
    /// A watched memory range was accessed (only with `RunControl::watch`).
    Watchpoint {
        index: usize,
        addr: u32,
        len: u32,
        write: bool,
        old: Vec<u8>,
        new: Vec<u8>,
    },
    /// A wasm exception was thrown (`caught: false`: at the throw, before
    /// unwinding; resuming throws it) or caught (at its handler), with
    /// [`RunControl::catch_throw`] / [`RunControl::catch_catch`].
    Exception {
        caught: bool,
        /// Store address of the tag, and its name when known.
        tag: u32,
        tag_name: Option<String>,
        payload: Vec<Value>,
    },
}

/// How a run ended. A trap is an outcome, not an error.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    Returned(Vec<Value>),
    Paused(PauseReason),
    Trapped(Trap),
    OutOfFuel,
    /// The guest called `proc_exit` (or a host function returned `HostError::Exit`).
    Exited(i32),
}

/// A linear-memory range to watch: `memory` is the memory's store address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRange {
    pub memory: u32,
    pub addr: u32,
    pub len: u32,
    pub on_read: bool,
    pub on_write: bool,
}

/// What to account and check while running. `RunControl::default()` is the
/// plain fast path.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    /// Stop with `OutOfFuel` after this many more instructions.
    pub fuel: Option<u64>,
    /// Count executed instructions into `instructions` (exact).
    pub count_instructions: bool,
    pub instructions: u64,
    /// Per-function counters, indexed by `FuncAddr` (resized as needed):
    /// calls, and instructions executed in the function's own body.
    pub profile: Option<FuncCounters>,
    /// Call-stack-aware profile (calling-context tree; see [`profile`]).
    pub stacks: Option<StackProfile>,
    /// Watched memory ranges.
    pub watch: Vec<WatchRange>,
    /// Pause when an exception is thrown: of a tag with one of these names,
    /// or of any tag when empty (`catch throw [TAG]`).
    pub catch_throw: Option<Vec<String>>,
    /// Pause when a handler takes an exception (`catch catch [TAG]`).
    pub catch_catch: Option<Vec<String>>,
}

/// Whether a catchpoint list (`RunControl::catch_throw`) takes tag `tag`.
fn catches(list: &Option<Vec<String>>, store: &Store, tag: u32) -> bool {
    let Some(names) = list else { return false };
    names.is_empty()
        || store
            .tag_name(tag)
            .is_some_and(|n| names.iter().any(|x| *x == n))
}

#[derive(Debug, Clone, Default)]
pub struct FuncCounters {
    pub calls: Vec<u64>,
    pub self_instructions: Vec<u64>,
}

impl RunControl {
    /// Whether the debug (instrumented) executor is needed. Watchpoints
    /// are not a reason: the plain executor serves them through patched
    /// memory ops (`interp/watch.rs`); nor are fuel and instruction counts
    /// alone, counted per basic block (`interp/fuel.rs`,
    /// `block_counting`).
    pub fn needs_debug(&self) -> bool {
        self.fuel.is_some()
            || self.count_instructions
            || self.profile.is_some()
            || self.stacks.is_some()
            || self.catch_throw.is_some()
            || self.catch_catch.is_some()
    }
}

/// One frame of a paused computation, innermost first in [`Execution::frames`].
#[derive(Debug, Clone, PartialEq)]
pub struct FrameInfo {
    pub func: FuncAddr,
    pub instance: InstanceId,
    /// Index in the instance's module function index space.
    pub func_index: u32,
    /// Internal IR index of the instruction about to run (or the call in progress, for outer frames).
    pub pc: u32,
    /// DWARF-space offset of that instruction.
    pub code_offset: u32,
    /// Params then declared locals.
    pub locals: Vec<Value>,
}

/// One activation on the frame stack.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub func: FuncAddr,
    /// Innermost frame: the op about to run. Callers: the op after the call.
    pub pc: u32,
    /// Slot index of the frame base (params, then locals, then operands).
    pub fp: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Running,
    Finished,
}

/// A computation in progress: its own value stack (`u64` slots, v128 = 2
/// slots) and frame stack; no host recursion per wasm call.
pub struct Execution {
    pub(crate) stack: Vec<u64>,
    pub(crate) sp: usize,
    pub(crate) frames: Vec<Frame>,
    entry: FuncAddr,
    args: Vec<Value>,
    results: Vec<ValType>,
    state: State,
    /// Paused at a breakpoint at (frame depth, pc): resuming runs the original op.
    pub(crate) resume_bp: Option<(usize, u32)>,
    /// An exception whose throw paused (`PauseReason::Exception`): thrown
    /// when the run resumes (tag, payload slots, exception address).
    pending_throw: Option<(u32, Vec<u64>, Option<u32>)>,
    /// Set when the plain executor handed a run that counts per block to
    /// the debug executor, which counts exactly (`fuel.rs`).
    fuel_exact: bool,
    /// A host call put off by [`crate::runtime::Caller::defer`]: the host
    /// function and the pc after its call. Made when the run resumes.
    pending_host: Option<(FuncAddr, u32)>,
    /// The run's watch bounding box (`watch::bounding_box`), set when the
    /// plain executor starts: `Op::WatchedStore` reads it from here, so the
    /// loop keeps no registers live for watchpoints it does not have.
    pub(crate) watch_box: (u64, u64),
}

impl Execution {
    /// Prepare to call `func` with `args` (checked against its type: a wrong
    /// count or type is an `ErrorKind::Usage` error naming the signature).
    pub fn new(store: &mut Store, func: FuncAddr, args: &[Value]) -> Result<Execution> {
        let Some(f) = store.funcs.get(func as usize) else {
            return Err(Error::usage(format!("no function at address {func}")));
        };
        let ty = &f.ty;
        let ok = ty.params().len() == args.len()
            && ty.params().iter().zip(args).all(|(&t, a)| a.fits(t));
        if !ok {
            let given: Vec<&str> = args
                .iter()
                .map(|a| crate::value::valtype_name(a.ty()))
                .collect();
            return Err(Error::usage(format!(
                "function expects {} but was given ({})",
                match signature_string(ty) {
                    s if s.is_empty() => "no arguments".to_string(),
                    s => s,
                },
                given.join(" ")
            )));
        }
        Ok(Execution {
            stack: Vec::new(),
            sp: 0,
            frames: Vec::new(),
            entry: func,
            args: args.to_vec(),
            results: ty.results().to_vec(),
            state: State::NotStarted,
            resume_bp: None,
            pending_throw: None,
            fuel_exact: false,
            pending_host: None,
            watch_box: (0, 0),
        })
    }

    /// The rest of a call of `func` that other code (JIT code, interrupted
    /// there) ran up to the loop header at `code_offset`, with nothing on
    /// the operand stack and `locals` (params first) as they were there.
    /// Running it finishes that call and returns its results.
    pub fn at_loop_header(
        store: &mut Store,
        func: FuncAddr,
        code_offset: u32,
        locals: &[Value],
    ) -> Result<Execution> {
        let ty = store.func_type(func).clone();
        let code = store
            .code(func)
            .map_err(|e| Error::usage(format!("cannot take over: {e}")))?;
        let pc = code.offsets.partition_point(|&o| o < code_offset);
        let fits = code.local_types.len() == locals.len()
            && code.local_types.iter().zip(locals).all(|(&t, v)| v.fits(t));
        if pc >= code.offsets.len() || !fits {
            return Err(Error::usage(format!(
                "cannot take over at code_offset {code_offset:#x}: no such loop header, or locals that do not match"
            )));
        }
        let need = code.max_height as usize + 16;
        let mut stack = vec![0; need.max(1024).min(store.config.max_stack_slots.max(need))];
        for (v, &off) in locals.iter().zip(&code.local_offsets) {
            let at = off as usize;
            v.to_slots(&mut stack[at..at + Value::slots(v.ty())]);
        }
        Ok(Execution {
            stack,
            sp: code.locals_slots as usize,
            frames: vec![Frame {
                func,
                pc: pc as u32,
                fp: 0,
            }],
            entry: func,
            args: locals[..ty.params().len()].to_vec(),
            results: ty.results().to_vec(),
            state: State::Running,
            resume_bp: None,
            pending_throw: None,
            fuel_exact: false,
            pending_host: None,
            watch_box: (0, 0),
        })
    }

    /// The rest of a call of `func` that other code (JIT code handing its
    /// frame over) ran up to the call at `call_offset`, which returned
    /// `results`: `locals` (params first) and the operand stack below the
    /// results (`operands`, untyped slots, bottom first) as they were
    /// there. It goes on after the call op; running it finishes that call.
    pub fn after_call(
        store: &mut Store,
        func: FuncAddr,
        call_offset: u32,
        locals: &[Value],
        operands: &[u64],
        results: &[Value],
    ) -> Result<Execution> {
        let (at_call, after) = {
            let code = store
                .code(func)
                .map_err(|e| Error::usage(format!("cannot take over: {e}")))?;
            (
                code.offsets.partition_point(|&o| o < call_offset),
                code.offsets.partition_point(|&o| o <= call_offset),
            )
        };
        let mut exec = Self::at_loop_header(store, func, call_offset, locals).map_err(|_| {
            Error::usage(format!(
                "cannot take over after the call at code_offset {call_offset:#x}: no such call, or locals that do not match"
            ))
        })?;
        let code = store.code(func).map_err(|e| Error::usage(e.to_string()))?;
        if at_call == after || after >= code.offsets.len() {
            return Err(Error::usage(format!(
                "cannot take over after code_offset {call_offset:#x}: no call there"
            )));
        }
        exec.frames[0].pc = after as u32;
        let need = exec.sp + operands.len() + results.len() * 2;
        if need > exec.stack.len() {
            exec.stack.resize(need, 0);
        }
        exec.stack[exec.sp..exec.sp + operands.len()].copy_from_slice(operands);
        exec.sp += operands.len();
        exec.complete_call(results);
        Ok(exec)
    }

    /// As [`Execution::at_loop_header`], at the breakpoint on the
    /// instruction at `code_offset` whose pause other code (JIT code with
    /// a compiled check) already made: running it goes on past that
    /// breakpoint, as after the interpreter's own pause there.
    pub fn at_breakpoint(
        store: &mut Store,
        func: FuncAddr,
        code_offset: u32,
        locals: &[Value],
    ) -> Result<Execution> {
        let mut exec = Self::at_loop_header(store, func, code_offset, locals)?;
        exec.resume_bp = Some((1, exec.frames[0].pc));
        Ok(exec)
    }

    /// Run until return, trap, breakpoint, interrupt, out of fuel, exit or a pause request.
    pub fn run(&mut self, store: &mut Store, ctl: &mut RunControl) -> RunOutcome {
        if let Some(out) = self.start(store, ctl) {
            return out;
        }
        store.sync_watch(&ctl.watch);
        let blocks = ctl.block_counting();
        store.sync_fuel(blocks);
        if let Some(out) = self.complete_pending_host(store) {
            return out;
        }
        if let Some(out) = self.throw_pending(store, ctl) {
            return out;
        }
        if blocks {
            // Fuel and instruction counts per basic block (`fuel.rs`).
            if self.fuel_enter(store, ctl) {
                self.exec::<false>(store, ctl, None)
            } else {
                self.exec::<true>(store, ctl, None)
            }
        } else if ctl.needs_debug() {
            self.exec::<true>(store, ctl, None)
        } else {
            self.exec::<false>(store, ctl, None)
        }
    }

    /// Execute exactly one instruction.
    pub fn step(&mut self, store: &mut Store, ctl: &mut RunControl) -> RunOutcome {
        if let Some(out) = self.start(store, ctl) {
            return out;
        }
        // The call a pause put off is the instruction this step runs.
        if self.pending_host.is_some() {
            return self
                .complete_pending_host(store)
                .unwrap_or(RunOutcome::Paused(PauseReason::Step));
        }
        if let Some(out) = self.throw_pending(store, ctl) {
            return out;
        }
        self.exec::<true>(store, ctl, Some(1))
    }

    /// Whether the run is paused before a host call it put off
    /// ([`crate::runtime::Caller::defer`]): the innermost frame is at that
    /// call, its arguments on the operand stack.
    pub fn host_call_pending(&self) -> bool {
        self.pending_host.is_some()
    }

    /// Throw the exception a `catch throw` stopped at, if any: `Some` when
    /// that ends the run (uncaught) or pauses it again (`catch catch`).
    fn throw_pending(&mut self, store: &mut Store, ctl: &mut RunControl) -> Option<RunOutcome> {
        let (tag, payload, exn) = self.pending_throw.take()?;
        self.throw_exn::<true>(store, ctl, tag, payload, exn, false)
            .err()
    }

    /// `PauseReason::Exception` for tag `tag` with `payload` (slots).
    fn exception_pause(store: &Store, caught: bool, tag: u32, payload: &[u64]) -> RunOutcome {
        let mut values = Vec::new();
        let mut at = 0;
        for &t in store.tag_type(tag).params() {
            let n = Value::slots(t);
            values.push(Value::from_slots(t, &payload[at..at + n]));
            at += n;
        }
        RunOutcome::Paused(PauseReason::Exception {
            caught,
            tag,
            tag_name: store.tag_name(tag),
            payload: values,
        })
    }

    /// True once the computation returned, trapped or exited (it cannot resume).
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// Set up the entry frame on the first run; `Some` when that already
    /// decided the outcome (a host function, a finished computation).
    fn start(&mut self, store: &mut Store, ctl: &mut RunControl) -> Option<RunOutcome> {
        match self.state {
            State::Running => return None,
            State::Finished => {
                return Some(RunOutcome::Trapped(Trap::host(
                    "the computation has already finished",
                )));
            }
            State::NotStarted => {}
        }
        self.state = State::Running;
        let func = self.entry;
        if let Some(p) = &mut ctl.profile {
            bump(&mut p.calls, func);
        }
        if let Some(s) = &mut ctl.stacks {
            s.reset_stack();
            s.enter(func);
        }
        if let FuncKind::Host(f) = &store.funcs[func as usize].kind {
            let f = f.clone();
            self.state = State::Finished;
            if let Some(s) = &mut ctl.stacks {
                s.leave();
            }
            let mut results: Vec<Value> = self
                .results
                .iter()
                .map(|&t| Value::default_for(t))
                .collect();
            let mut caller = crate::runtime::Caller {
                store,
                instance: None,
                pause_requested: false,
                can_defer: false,
                defer_requested: false,
            };
            return Some(match f(&mut caller, &self.args, &mut results) {
                Ok(()) => RunOutcome::Returned(results),
                Err(crate::runtime::HostError::Exit(c)) => RunOutcome::Exited(c),
                Err(crate::runtime::HostError::Trap(m)) => RunOutcome::Trapped(Trap::host(m)),
            });
        }
        let code = match store.code(func) {
            Ok(c) => c,
            Err(e) => {
                self.state = State::Finished;
                return Some(RunOutcome::Trapped(Trap::host(e.to_string())));
            }
        };
        let need = code.max_height as usize + 16;
        self.stack = vec![0; need.max(1024).min(store.config.max_stack_slots.max(need))];
        let mut sp = 0;
        for a in &self.args {
            let n = Value::slots(a.ty());
            a.to_slots(&mut self.stack[sp..sp + n]);
            sp += n;
        }
        self.sp = code.locals_slots as usize;
        self.frames.push(Frame { func, pc: 0, fp: 0 });
        None
    }

    /// Undo the call just entered (the innermost frame has not run an
    /// instruction and has a caller), so that other code can run it: the
    /// callee and its arguments. The caller stands after its call op,
    /// waiting for the results ([`Execution::complete_call`]). `None`
    /// when the innermost frame is not a call just entered.
    pub fn take_entered_call(&mut self, store: &Store) -> Option<(FuncAddr, Vec<Value>)> {
        let n = self.frames.len();
        let top = *self.frames.last()?;
        if n < 2 || top.pc != 0 || self.resume_bp == Some((n, 0)) || self.pending_throw.is_some() {
            return None;
        }
        let code = store.compiled(top.func)?;
        let params = store.func_type(top.func).params();
        let args = params
            .iter()
            .zip(&code.local_offsets)
            .map(|(&t, &off)| {
                let at = top.fp as usize + off as usize;
                Value::from_slots(t, &self.stack[at..at + Value::slots(t)])
            })
            .collect();
        self.frames.pop();
        self.sp = top.fp as usize;
        Some((top.func, args))
    }

    /// Push the results of the call [`Execution::take_entered_call`]
    /// handed out: the caller goes on after its call op.
    pub fn complete_call(&mut self, results: &[Value]) {
        let need: usize = results.iter().map(|v| Value::slots(v.ty())).sum();
        if self.sp + need > self.stack.len() {
            self.stack.resize(self.sp + need, 0);
        }
        for v in results {
            let k = Value::slots(v.ty());
            v.to_slots(&mut self.stack[self.sp..self.sp + k]);
            self.sp += k;
        }
    }
}

fn bump(v: &mut Vec<u64>, i: FuncAddr) {
    let i = i as usize;
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] += 1;
}

#[allow(dead_code)]
fn _trap_code_used(_: TrapCode) {}
