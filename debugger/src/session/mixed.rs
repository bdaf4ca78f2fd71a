//! Debugging at JIT speed (`mode jit|aot`): the program runs as native code
//! on a thread of its own until it enters a function that has a breakpoint;
//! the JIT's debug hook then hands the store and the call to the session,
//! which runs that function in the interpreter (an ordinary [`Execution`],
//! so every inspection and stepping command works), and hands the results
//! back when it returns. The JIT's native frames stay live meanwhile, blocked
//! in the hook: a coroutine made of two threads and two channels.
//!
//! The JIT frames below an interpreted function come from the hook (a walk
//! of the native frame-pointer chain), so `bt` shows them with their call
//! sites. When the outermost interpreted function returns to a JIT caller
//! during `finish`, a step, `until` or `advance`, and that caller's code
//! keeps its locals for the debugger (modules with DWARF: `JitFrame::deopt`),
//! the caller hands its frame to the interpreter right after the call
//! ([`Session::deopt_caller`]): stepping goes on there at source-line level,
//! as in `mode interp`, and its results go back to its own JIT caller.
//! Other ways to stop in JIT code itself, with no interpreted frame: an
//! interrupt (Ctrl-C) seen at a function entry or loop header, a watchpoint
//! hit in JIT code that keeps no locals or after a load, and `finish` into a
//! JIT caller that keeps no locals (it
//! stops in that caller). `continue` resumes the JIT code from there.
//! Stepping from a loop header hands the rest of that call to the
//! interpreter (the JIT spilled its live locals: `Execution::at_loop_header`),
//! which returns its results to the JIT caller; from elsewhere `step` runs
//! the JIT code to the next function entry, which the interpreter runs.
//!
//! Which functions go to the interpreter: those containing a code
//! breakpoint (a function breakpoint at its entry, or a line/address one
//! inside it), except where every breakpoint in the function has a
//! condition or ignore count the engine decides (`checks`): the JIT runs
//! such a function's checked version, which stops in the JIT frame, with
//! its locals, only when a check says so (`PauseReason::Breakpoint`). `catch wasi` needs every host call, so with it the whole run
//! is interpreted. Watchpoints run JIT code compiled with watch checks
//! (`CompiledModule::compile_for_debugger_with`: a compare and branch per
//! store, or per access for `rwatch`/`awatch`, against the watched ranges'
//! bounding box; only while watchpoints exist): a watched access stops right
//! after it, as an interrupt does but with the old and new bytes
//! (`DebugHook::watched`). After a store in a function that keeps its
//! locals (DWARF), the interpreter runs the rest of that call from the next
//! instruction (`Session::take_over_after_watched_access`), so the stop,
//! its arguments and stepping from it are the interpreter's; elsewhere it
//! stops in JIT code and `continue` resumes it. `mode aot` does
//! the same with JIT code: AOT images carry no watch checks. The code is
//! chosen when a run starts: a watchpoint set during a JIT run that has no
//! checks (or only store checks, for `rwatch`) serves the interpreted
//! functions at once, and each JIT caller they return to hands its frame
//! to the interpreter where it can (`Session::back_to_jit`); other JIT code
//! (a pause in JIT code, callers that keep no locals) gets checks from the
//! next run, and setting the watchpoint says so.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;

use wdb_engine::Value;
use wdb_engine::interp::{Execution, FrameInfo, PauseReason, RunOutcome};
use wdb_engine::jit::{JitEngine, JitFrame, JitStop, NativeCall};
use wdb_engine::runtime::Store;
use wdb_engine::value::FuncAddr;

use super::Stop;

mod hook;
mod native;
mod pause;
mod thread;
mod wait;

use hook::{ChannelHook, PauseWatcher};

/// From the JIT thread to the session.
enum JitMsg {
    /// JIT code entered a flagged function: run it and answer with `Resume`.
    Enter {
        store: Store,
        func: FuncAddr,
        args: Vec<Value>,
        /// The JIT frames below it, innermost first.
        frames: Vec<JitFrame>,
    },
    /// JIT code saw the interrupt flag: pause there, answer with `Resume`.
    Interrupted {
        store: Store,
        stop: JitStop,
        /// A watchpoint (`PauseReason::Watchpoint`), or `None`: an interrupt.
        reason: Option<PauseReason>,
    },
    /// A call the session had made as native code (`next` over a call in
    /// an interpreted function: [`Session::jit_native_call`]) ended.
    NativeReturned { store: Store, outcome: RunOutcome },
    /// The whole call ended.
    Done {
        store: Store,
        jit: Box<JitEngine>,
        outcome: Result<RunOutcome, String>,
    },
}

/// From the session to the JIT thread, answering `Enter`.
struct Resume {
    store: Store,
    /// `Returned` resumes the JIT code; anything else unwinds it.
    outcome: RunOutcome,
    breaks: HashSet<FuncAddr>,
    /// Flag every function: the next entry stops (`step` from JIT code).
    all: bool,
    /// Answering an interrupt whose call the interpreter took over:
    /// `Returned` holds that call's results.
    took_over: bool,
    /// Not an answer yet: make this call as native code first, and report
    /// it with `NativeReturned` (then the session answers again).
    native: Option<NativeCall>,
    /// With `Returned`: the JIT caller hands its frame to the interpreter
    /// right after the call (`DebugHook::deopt_caller`).
    deopt: bool,
}

/// An interpreted function waiting for a call that runs as native code
/// ([`Session::jit_native_call`]), with the JIT frames below it.
struct NativeLevel {
    exec: Execution,
    /// Its frames as `bt` shows them, innermost at the call.
    frames: Vec<FrameInfo>,
    below: Vec<JitFrame>,
    took_over: bool,
    /// A stop inside the call was shown meanwhile: when it returns, the
    /// waiting function runs on (`continue`) rather than stopping there.
    run_on: bool,
}

/// A JIT run in progress, suspended in the debug hook.
pub(super) struct JitRun {
    to_jit: Sender<Resume>,
    from_jit: Receiver<JitMsg>,
    thread: Option<JoinHandle<()>>,
    /// The JIT frames below the interpreted function that is running.
    below: Vec<JitFrame>,
    /// Stopped in JIT code itself (no interpreted frame).
    pause: Option<JitPause>,
    /// The next function entry stops at once (`step` from JIT code).
    stop_at_entry: bool,
    /// The interpreter runs the rest of the interrupted call (see
    /// `Session::take_over_jit_pause`); its outcome answers the interrupt.
    took_over: bool,
    /// Turns Ctrl-C into a pause of AOT code (`mode aot`).
    watcher: Option<PauseWatcher>,
    /// The run's code checks stores (loads) for watchpoints.
    watch_stores: bool,
    watch_loads: bool,
    /// Breakpoint numbers of the run's watch list (`RunControl::watch` as
    /// the run started: JIT code keeps it for the whole run).
    watch_numbers: Vec<u32>,
    /// Interpreted functions waiting for native calls, innermost last.
    levels: Vec<NativeLevel>,
    /// The results of the call whose JIT caller was asked to hand its
    /// frame over ([`Session::deopt_caller`]): pushed on its operand stack.
    deopt_results: Option<Vec<Value>>,
    /// How many JIT callers handed their frames over: a stepping command
    /// sees that it returned into a caller (the interpreted depth stays).
    deopts: u64,
    /// Functions of the locations `until`/`advance LOCATION` runs to: JIT
    /// code enters them through the debug hook, as with a breakpoint.
    stop_funcs: HashSet<FuncAddr>,
}

/// What [`Session::finish_into_jit`] did.
pub(super) type FinishIntoJit = Result<(Stop, String, Vec<Value>), Stop>;

/// Stopped in JIT code: after an interrupt, or `finish` into a JIT caller.
pub(super) struct JitPause {
    /// Innermost first.
    frames: Vec<JitFrame>,
    /// Params and locals of `frames[0]`, when the JIT spilled them; one
    /// that was not live there holds a zero of its type (the interpreter
    /// taking over never reads it before writing it).
    locals: Option<Vec<Value>>,
    /// Which of `locals` were not live there.
    not_live: Vec<bool>,
    /// What `continue` hands the JIT code (`Returned` resumes it).
    pending: RunOutcome,
    /// The interpreter can run the rest of `frames[0]`'s call from here.
    takeover: bool,
}
