//! The JIT thread's side: the debug hook that ships the store to the
//! session and waits for its answer, and the watcher that pauses AOT code
//! on Ctrl-C.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wdb_engine::Value;
use wdb_engine::interp::{PauseReason, RunOutcome};
use wdb_engine::jit::{
    AfterInterrupt, BreakFlags, DebugHook, JitFrame, JitStop, NativeCall, PauseHandle,
};
use wdb_engine::runtime::{Store, StoreConfig};
use wdb_engine::value::FuncAddr;

use super::{JitMsg, Resume};

/// AOT code has no interrupt checks that can resume: at the interrupt flag
/// it unwinds the call. In `mode aot` its checks poll a flag of their own,
/// and this thread turns the session's flag (Ctrl-C) into a pause of the
/// JIT thread wherever it is (`PauseHandle`): the program stops as after
/// Ctrl-C in `mode jit`, without locals. Only while the JIT thread runs
/// (`running`); when no pause is taken within a second (the thread is in a
/// long host call), the call's own flag is set, which abandons it as before.
pub(super) struct PauseWatcher {
    pub(super) running: Arc<AtomicBool>,
    pub(super) done: Arc<AtomicBool>,
    pub(super) thread: Option<JoinHandle<()>>,
}

impl PauseWatcher {
    pub(super) fn start(
        ctrl_c: wdb_engine::runtime::InterruptHandle,
        pause: PauseHandle,
        abandon: Arc<AtomicBool>,
    ) -> Self {
        let running = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (r, d) = (running.clone(), done.clone());
        let thread = std::thread::Builder::new()
            .name("wdb-aot-pause".into())
            .spawn(move || {
                while !d.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(5));
                    if !r.load(Ordering::SeqCst) || !ctrl_c.swap(false, Ordering::SeqCst) {
                        continue;
                    }
                    let t0 = Instant::now();
                    let taken = loop {
                        if !r.load(Ordering::SeqCst) || !pause.request() {
                            pause.cancel();
                            break true;
                        }
                        std::thread::sleep(Duration::from_millis(2));
                        if !pause.pending() {
                            break true;
                        }
                        if t0.elapsed() > Duration::from_secs(1) {
                            pause.cancel();
                            break false;
                        }
                    };
                    if !taken {
                        abandon.store(true, Ordering::SeqCst);
                    }
                }
            })
            .ok();
        PauseWatcher {
            running,
            done,
            thread,
        }
    }
}

impl Drop for PauseWatcher {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The hook on the JIT side: ship the store to the session and wait.
pub(super) struct ChannelHook {
    pub(super) tx: Sender<JitMsg>,
    pub(super) rx: Receiver<Resume>,
    /// A native call the session asked for, for the engine to make.
    pub(super) native: Option<NativeCall>,
    /// The last answer asked the caller to hand its frame over.
    pub(super) deopt: bool,
}

impl DebugHook for ChannelHook {
    fn enter(
        &mut self,
        store: &mut Store,
        func: FuncAddr,
        args: &[Value],
        frames: &[JitFrame],
        flags: &mut BreakFlags<'_>,
    ) -> RunOutcome {
        // The JIT keeps pointers into the store's heap data (memories,
        // globals), not to the `Store` value, so it can travel and come back.
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        let (outcome, _) = self.exchange(
            store,
            JitMsg::Enter {
                store: s,
                func,
                args: args.to_vec(),
                frames: frames.to_vec(),
            },
            flags,
        );
        outcome
    }

    fn interrupted(
        &mut self,
        store: &mut Store,
        stop: JitStop,
        flags: &mut BreakFlags<'_>,
    ) -> AfterInterrupt {
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        let msg = JitMsg::Interrupted {
            store: s,
            stop,
            reason: None,
        };
        match self.exchange(store, msg, flags) {
            (outcome, true) => AfterInterrupt::TookOver(outcome),
            (RunOutcome::Returned(_), false) => AfterInterrupt::Resume,
            (other, _) => AfterInterrupt::Unwind(other),
        }
    }

    fn watched(
        &mut self,
        store: &mut Store,
        stop: JitStop,
        reason: PauseReason,
        flags: &mut BreakFlags<'_>,
    ) -> AfterInterrupt {
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        let msg = JitMsg::Interrupted {
            store: s,
            stop,
            reason: Some(reason),
        };
        match self.exchange(store, msg, flags) {
            // A compiled breakpoint check's stop, which the interpreter
            // took over (`Session::take_over_jit_pause`).
            (outcome, true) => AfterInterrupt::TookOver(outcome),
            (RunOutcome::Returned(_), false) => AfterInterrupt::Resume,
            (other, false) => AfterInterrupt::Unwind(other),
        }
    }

    fn native_call(&mut self) -> Option<NativeCall> {
        self.native.take()
    }

    fn deopt_caller(&mut self) -> bool {
        std::mem::take(&mut self.deopt)
    }

    fn native_returned(
        &mut self,
        store: &mut Store,
        outcome: RunOutcome,
        flags: &mut BreakFlags<'_>,
    ) -> (RunOutcome, bool) {
        let s = std::mem::replace(store, Store::new(StoreConfig::default()));
        self.exchange(store, JitMsg::NativeReturned { store: s, outcome }, flags)
    }
}

impl ChannelHook {
    /// Send `msg` (which carries the store) and wait for the answer: the
    /// outcome, and whether the interpreter took the interrupted call over.
    fn exchange(
        &mut self,
        store: &mut Store,
        msg: JitMsg,
        flags: &mut BreakFlags<'_>,
    ) -> (RunOutcome, bool) {
        if let Err(e) = self.tx.send(msg) {
            if let JitMsg::Enter { store: s, .. }
            | JitMsg::Interrupted { store: s, .. }
            | JitMsg::NativeReturned { store: s, .. } = e.0
            {
                *store = s;
            }
            return (RunOutcome::Paused(PauseReason::Interrupted), false);
        }
        match self.rx.recv() {
            Ok(r) => {
                *store = r.store;
                self.native = r.native;
                self.deopt = r.deopt;
                if r.all {
                    flags.set_all();
                } else {
                    flags.set(store, &r.breaks);
                }
                (r.outcome, r.took_over)
            }
            // The session abandoned the run: unwind the JIT frames.
            Err(_) => (RunOutcome::Paused(PauseReason::Interrupted), false),
        }
    }
}
