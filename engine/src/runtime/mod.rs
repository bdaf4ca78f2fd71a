//! The runtime store, shared by every engine (interpreter, JIT, AOT): memories,
//! tables, globals, functions, instances, segments, and the linker.
//!
//! CONTRACT: the public items of this module are used by the WASI host, the
//! debugger and the JIT. Add to them freely; change a signature only together
//! with every user.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use wasmparser::FuncType;

use crate::module::Module;
use crate::value::{FuncAddr, Value};

/// Index of an instance in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceId(pub u32);

/// Something an import can be satisfied with, or an export yields: an address
/// in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extern {
    Func(FuncAddr),
    Table(u32),
    Memory(u32),
    Global(u32),
    /// An exception tag (its address in the store).
    Tag(u32),
}

/// What a host function returns when it does not simply return values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// Trap with this message (e.g. a WASI function given a bad pointer that cannot be reported as errno).
    Trap(String),
    /// `proc_exit`: stop the whole computation with this exit code.
    Exit(i32),
}

/// A host function: typed Rust closure. It reads arguments, writes results
/// (`results.len()` equals the type's result count) and may touch the calling
/// instance's memory through the [`Caller`].
pub type HostFunc =
    Arc<dyn Fn(&mut Caller<'_>, &[Value], &mut [Value]) -> Result<(), HostError> + Send + Sync>;

/// Limits every engine honours.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Upper bound for any linear memory, in bytes (`--max-memory`); `memory.grow` beyond it returns -1.
    pub max_memory_bytes: u64,
    /// Wasm call depth after which a call traps with `call stack exhausted`.
    pub max_call_depth: u32,
    /// Interpreter value-stack size in 64-bit slots.
    pub max_stack_slots: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            max_memory_bytes: 4 << 30,
            max_call_depth: 10_000,
            max_stack_slots: 1 << 22,
        }
    }
}

/// The handle a host function gets: the store and the instance that called it.
pub struct Caller<'a> {
    pub store: &'a mut Store,
    /// The instance whose code made the call (`None` when called from the host directly).
    pub instance: Option<InstanceId>,
    /// Set by [`Caller::request_pause`]; the executor stops after the call
    /// returns with `PauseReason::HostRequested`.
    pub pause_requested: bool,
    /// Whether the caller can put this call off ([`Caller::defer`]): the
    /// interpreter's calls from wasm code, the first time they are made.
    pub can_defer: bool,
    /// Set by [`Caller::defer`].
    pub defer_requested: bool,
}

impl Caller<'_> {
    /// The calling instance's exported `memory` (WASI's convention), or its memory 0.
    pub fn memory_mut(&mut self) -> Option<&mut [u8]> {
        let inst = self.instance?;
        let addr = self.store.instance_memory(inst)?;
        Some(self.store.memory_mut(addr))
    }

    /// Ask the executor to pause after this host call (the debugger's `catch wasi`).
    pub fn request_pause(&mut self) {
        self.pause_requested = true;
    }

    /// Pause *before* this call instead of making it (the debugger's `catch
    /// wasi` on a component import): the host function returns at once
    /// having done nothing, the executor pauses with
    /// `PauseReason::HostRequested` at the call instruction with the
    /// arguments still on the stack, and makes the call again (with
    /// `can_defer` false) when the run resumes. Only when `can_defer`.
    pub fn defer(&mut self) {
        if self.can_defer {
            self.defer_requested = true;
        }
    }
}

pub mod gc;
pub mod gc_inspect;
pub mod linker;
pub(crate) mod memory;
pub mod store;
mod types;

pub use linker::Linker;
pub use store::Store;

/// Interrupt flag shared with other threads (Ctrl-C, `--timeout`, the GUI's
/// Pause button). Every engine checks it at loop back-edges and calls.
pub type InterruptHandle = Arc<AtomicBool>;

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<Store>();
    is_send::<Arc<Module>>();
    let _ = |_: &FuncType| ();
}
