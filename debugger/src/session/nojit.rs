//! `mixed.rs` in a build without the `jit` feature: the same methods, for a
//! session that only ever runs the interpreter. `mode jit|aot` is refused
//! (`Command::SetMode` answers [`wdb_engine::NO_JIT`]), so there is never a
//! JIT run: [`JitRun`] has no values, and every method answers what
//! `mixed.rs` answers outside a JIT run.

use std::collections::HashSet;

use wdb_engine::interp::{FrameInfo, RunOutcome};
use wdb_engine::value::FuncAddr;
use wdb_engine::{NO_JIT, Value};

use super::{InternalStop, Res, Session, Stop};
use crate::api::Event;
use crate::error::{ErrorKind, SessionError, err};

/// A JIT run in progress: none without the JIT.
pub(super) enum JitRun {}

/// Compiled code for the session's module: none without the JIT.
pub(super) enum JitEngine {}

/// What [`Session::finish_into_jit`] answers (as in `mixed.rs`).
pub(super) type FinishIntoJit = Result<(Stop, String, Vec<Value>), Stop>;

fn no_jit() -> SessionError {
    err(ErrorKind::Unsupported, NO_JIT)
}

impl Session {
    pub(super) fn uses_jit(&self) -> bool {
        false
    }

    pub(super) fn jit_watch_note(&self) -> Option<String> {
        None
    }

    pub(super) fn set_jit_stop_funcs(&mut self, _funcs: HashSet<FuncAddr>) {}

    pub(super) fn start_jit(
        &mut self,
        _func: FuncAddr,
        _args: Vec<Value>,
    ) -> Res<(Stop, Option<String>)> {
        Err(no_jit())
    }

    pub(super) fn in_jit_run(&self) -> bool {
        self.jit_run.is_some()
    }

    pub(super) fn back_to_jit(&mut self, _outcome: RunOutcome) -> Res<Stop> {
        Err(no_jit())
    }

    pub(super) fn jit_native_call(&mut self) -> Res<Option<Stop>> {
        Ok(None)
    }

    pub(super) fn run_to_stop_calls_native(&mut self, internal: Option<InternalStop>) -> Res<Stop> {
        self.run_to_stop(internal)
    }

    pub(super) fn abandon_jit(&mut self) {
        self.jit_post_mortem.clear();
    }

    pub(super) fn jit_paused(&self) -> bool {
        false
    }

    pub(super) fn jit_frames(&self) -> Vec<FrameInfo> {
        self.jit_post_mortem.clone()
    }

    pub(super) fn not_live_locals(&self, _index: usize) -> Vec<bool> {
        Vec::new()
    }

    pub(super) fn jit_frame_without_locals(&self, index: usize) -> bool {
        index >= self.interp_depth()
    }

    /// Interpreted frames in `frames()`: all of them.
    pub(super) fn interp_depth(&self) -> usize {
        self.rt
            .as_ref()
            .and_then(|rt| Some(rt.exec.as_ref()?.depth()))
            .unwrap_or(0)
    }

    pub(super) fn finish_into_jit(&mut self) -> Res<FinishIntoJit> {
        Ok(Err(self.run_to_stop(None)?))
    }

    pub(super) fn can_deopt_caller(&self) -> bool {
        false
    }

    pub(super) fn deopt_count(&self) -> u64 {
        0
    }

    pub(super) fn deopt_caller(&mut self, _values: Vec<Value>) -> Res<Stop> {
        Err(no_jit())
    }

    pub(super) fn jit_pause_can_take_over(&self) -> bool {
        false
    }

    pub(super) fn take_over_jit_pause(&mut self, _at_breakpoint: bool) -> Res<()> {
        Err(no_jit())
    }

    pub(super) fn resume_jit_pause(&mut self, _step: bool) -> Res<Vec<Event>> {
        Err(no_jit())
    }
}
