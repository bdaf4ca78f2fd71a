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

pub mod simd;

use crate::error::Result;
use crate::runtime::{InstanceId, Store};
use crate::trap::Trap;
use crate::value::{FuncAddr, Value};

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

/// A linear-memory range to watch (debug path only).
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
    /// Watched memory ranges.
    pub watch: Vec<WatchRange>,
}

#[derive(Debug, Clone, Default)]
pub struct FuncCounters {
    pub calls: Vec<u64>,
    pub self_instructions: Vec<u64>,
}

impl RunControl {
    /// Whether the debug (instrumented) executor is needed.
    pub fn needs_debug(&self) -> bool {
        self.fuel.is_some()
            || self.count_instructions
            || self.profile.is_some()
            || !self.watch.is_empty()
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

/// A computation in progress. ENGINE HELPER: owns the value stack (`Vec<u64>`
/// slots, v128 = 2 slots) and the frame stack; no host recursion per wasm call.
pub struct Execution {
    // ENGINE HELPER
}

impl Execution {
    /// Prepare to call `func` with `args` (checked against its type: a wrong
    /// count or type is an `ErrorKind::Usage` error naming the signature).
    pub fn new(store: &mut Store, func: FuncAddr, args: &[Value]) -> Result<Execution> {
        let _ = (store, func, args);
        todo!("engine helper")
    }

    /// Run until return, trap, breakpoint, interrupt, out of fuel, exit or a pause request.
    pub fn run(&mut self, store: &mut Store, ctl: &mut RunControl) -> RunOutcome {
        let _ = (store, ctl);
        todo!("engine helper")
    }

    /// Execute exactly one instruction.
    pub fn step(&mut self, store: &mut Store, ctl: &mut RunControl) -> RunOutcome {
        let _ = (store, ctl);
        todo!("engine helper")
    }

    /// True once the computation returned, trapped or exited (it cannot resume).
    pub fn is_finished(&self) -> bool {
        todo!("engine helper")
    }

    /// Frames, innermost first (post-mortem after a trap too).
    pub fn frames(&self, store: &Store) -> Vec<FrameInfo> {
        let _ = store;
        todo!("engine helper")
    }

    /// The operand stack of frame `depth` (0 = innermost), bottom first, typed.
    pub fn operand_stack(&self, store: &Store, depth: usize) -> Vec<Value> {
        let _ = (store, depth);
        todo!("engine helper")
    }

    pub fn set_local(&mut self, store: &Store, depth: usize, local: u32, v: Value) -> Result<()> {
        let _ = (store, depth, local, v);
        todo!("engine helper")
    }
}

/// Breakpoint and pc-map services on the store's translated code.
impl Store {
    /// Patch a breakpoint at `pc` of wasm function `func` (translating it first if needed).
    pub fn set_breakpoint(&mut self, func: FuncAddr, pc: u32) -> Result<()> {
        let _ = (func, pc);
        todo!("engine helper")
    }
    pub fn clear_breakpoint(&mut self, func: FuncAddr, pc: u32) {
        let _ = (func, pc);
        todo!("engine helper")
    }
    /// `code_offset` of the instruction at `pc`.
    pub fn code_offset_from_pc(&mut self, func: FuncAddr, pc: u32) -> Option<u32> {
        let _ = (func, pc);
        todo!("engine helper")
    }
    /// The first `pc` whose `code_offset` is >= `code_offset` within `func`.
    pub fn pc_from_code_offset(&mut self, func: FuncAddr, code_offset: u32) -> Option<u32> {
        let _ = (func, code_offset);
        todo!("engine helper")
    }
}
