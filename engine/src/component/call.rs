//! Calling wasm from inside a canonical ABI operation.

use super::abi::trap;
use crate::runtime::{HostError, Store};
use crate::value::{FuncAddr, Value};

/// Run wasm function `f` to completion from inside a host call (`realloc`,
/// a destructor, another component's export, a start function): in native
/// code when JIT code made the host call (a plain run, see
/// `jit::call_from_host`), else in the interpreter. The store is the same
/// whichever engine runs it.
pub fn call_wasm(store: &mut Store, f: FuncAddr, args: &[Value]) -> Result<Vec<Value>, HostError> {
    #[cfg(feature = "jit")]
    if let Some(r) = crate::jit::call_from_host(f, args) {
        return r;
    }
    use crate::interp::{Execution, RunControl};
    let mut exec = Execution::new(store, f, args).map_err(|e| HostError::Trap(e.message))?;
    let mut ctl = RunControl::default();
    // A run that counts fuel per block (`interp/fuel.rs`) may be waiting
    // for this call: this run, which counts nothing, takes the block
    // patches off; they go back for it afterwards.
    let fuel_blocks = store.fuel_blocks;
    let out = run_nested(store, &mut exec, &mut ctl);
    store.sync_fuel(fuel_blocks);
    out
}

fn run_nested(
    store: &mut Store,
    exec: &mut crate::interp::Execution,
    ctl: &mut crate::interp::RunControl,
) -> Result<Vec<Value>, HostError> {
    use crate::interp::{PauseReason, RunOutcome};
    loop {
        match exec.run(store, ctl) {
            RunOutcome::Returned(v) => return Ok(v),
            RunOutcome::Exited(c) => return Err(HostError::Exit(c)),
            RunOutcome::Trapped(t) => return Err(HostError::Trap(t.message.clone())),
            RunOutcome::Paused(PauseReason::HostRequested) => continue,
            // A breakpoint the debugger patched into code that runs inside
            // a canonical ABI call (`realloc`, a destructor): run its
            // original instruction and go on; such calls do not stop.
            RunOutcome::Paused(PauseReason::Breakpoint { .. }) => match exec.step(store, ctl) {
                RunOutcome::Paused(PauseReason::Step) => continue,
                RunOutcome::Returned(v) => return Ok(v),
                RunOutcome::Exited(c) => return Err(HostError::Exit(c)),
                RunOutcome::Trapped(t) => return Err(HostError::Trap(t.message.clone())),
                o => return trap(format!("stopped inside a canonical ABI call: {o:?}")),
            },
            RunOutcome::Paused(PauseReason::Interrupted) => return trap("interrupted"),
            o => return trap(format!("stopped inside a canonical ABI call: {o:?}")),
        }
    }
}
