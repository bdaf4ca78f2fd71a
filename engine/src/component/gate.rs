//! Pausing a guest before one of its imports runs (the debugger's `catch
//! wasi` on a component).

use std::sync::{Arc, Mutex};

use crate::runtime::Caller;

/// Lets the embedder stop a guest *before* one of its imports runs (the
/// debugger's `catch wasi`). Shared by every `canon lower` of an
/// instantiation; costs one atomic load per host call while unarmed.
#[derive(Default)]
pub struct HostGate {
    armed: std::sync::atomic::AtomicBool,
    pause_before: Mutex<Option<PauseBefore>>,
    /// The import whose call the guest is paused before: (interface, name).
    pending: Mutex<Option<(String, String)>>,
    /// Its arguments in WAVE, comma-separated.
    pending_args: Mutex<Option<String>>,
}

/// Whether to pause before a call of `name` in `interface` (empty for a
/// bare function import).
pub type PauseBefore = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

impl HostGate {
    /// Pause before the calls `f` picks (`None`: never).
    pub fn set_pause_before(&self, f: Option<PauseBefore>) {
        self.armed
            .store(f.is_some(), std::sync::atomic::Ordering::Relaxed);
        *self.pause_before.lock().unwrap_or_else(|e| e.into_inner()) = f;
        if !self.armed.load(std::sync::atomic::Ordering::Relaxed) {
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
        }
    }

    /// The import the guest is paused before, if it is: (interface, name).
    pub fn pending(&self) -> Option<(String, String)> {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The arguments of the call the guest is paused before, in WAVE
    /// (`borrow<1>, [104, 105]`).
    pub fn pending_args(&self) -> Option<String> {
        self.pending_args
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Called by every lowered import as it starts: whether it is put off
    /// (`args` describes its arguments then, without side effects).
    pub(super) fn defers(
        &self,
        c: &mut Caller<'_>,
        interface: &str,
        name: &str,
        args: &dyn Fn(&mut Caller<'_>) -> String,
    ) -> bool {
        if !self.armed.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let stop = c.can_defer
            && self
                .pause_before
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .is_some_and(|f| f(interface, name));
        if stop {
            c.defer();
            *pending = Some((interface.to_string(), name.to_string()));
            *self.pending_args.lock().unwrap_or_else(|e| e.into_inner()) = Some(args(c));
        } else {
            *pending = None;
        }
        stop
    }
}
