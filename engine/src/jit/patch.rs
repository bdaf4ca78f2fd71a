//! Breakpoints on function entries at no cost to code that has none (x86-64
//! Linux): instead of a break-flag check at every entry, the first byte of
//! a function with a breakpoint is replaced with `int3`. The trap handler
//! (`super::guard`) sees the pc just past a patched entry and resumes at the
//! function's debug stub instead (`FuncTranslator::translate_debug_stub`:
//! same signature, hands the call to the debug hook), with every register
//! as the call left it, so the stub runs as if it had been called.
//!
//! The patched set follows the break flags: [`sync`] makes it match them
//! before a debug run, after the hook ran (it may change them), and after
//! the lazy JIT compiled something; [`Patches::clear`] undoes every patch
//! when the run ends, so code runs unpatched without a hook. Only the first
//! byte changes (a `push rbp` in every Cranelift function, never a branch
//! target), so a function already running is not disturbed.
//!
//! Code shared by several instances of one module is patched for all of
//! them: a call of an instance without the breakpoint then also goes to the
//! hook, which runs it elsewhere (more slowly, with the same result).

#![allow(unsafe_code)]

use std::collections::HashMap;
use std::sync::Arc;

use cranelift_jit::JITModule;

use super::compile::{Compiler, jit_error};
use super::{InstanceVm, OptLevel};
use crate::error::Result;
use crate::module::Module;

/// Breakpoints patch entries (and code has no break-flag checks).
pub(crate) const PATCHED_BREAKPOINTS: bool = super::guard::GUARD_PAGES;

/// The `int3` instruction.
const INT3: u8 = 0xcc;

/// The entry patches of one engine, and the stubs they lead to.
#[derive(Default)]
pub(crate) struct Patches {
    /// Patched entries: code address -> (stub address, the byte replaced).
    active: HashMap<usize, (usize, u8)>,
    /// Stubs by (module identity, function index).
    stubs: HashMap<(usize, u32), usize>,
    /// Compiles the stubs (code of its own, kept as long as the engine).
    compiler: Option<Compiler<JITModule>>,
}

impl Patches {
    /// The stub for a patched entry at `entry`, if it is one.
    pub(crate) fn stub_for(&self, entry: usize) -> Option<usize> {
        self.active.get(&entry).map(|(stub, _)| *stub)
    }

    /// Undo every patch. One that cannot be undone (the system refused to
    /// make its page writable) stays listed, so the next debug run still
    /// redirects it and the next `clear` tries again.
    pub(crate) fn clear(&mut self) {
        self.active
            .retain(|&at, &mut (_, saved)| write_code_byte(at, saved).is_err());
    }

    /// Patch exactly `want` (entry address -> the function's module and
    /// index), compiling stubs as needed.
    fn set(&mut self, want: HashMap<usize, (Arc<Module>, u32)>) -> Result<()> {
        let stale: Vec<usize> = self
            .active
            .keys()
            .filter(|a| !want.contains_key(a))
            .copied()
            .collect();
        for at in stale {
            let (_, saved) = self.active.remove(&at).expect("listed above");
            write_code_byte(at, saved)?;
        }
        for (at, (module, func_index)) in want {
            if self.active.contains_key(&at) {
                continue;
            }
            let stub = self.stub(&module, func_index)?;
            // SAFETY: `at` is the start of a compiled function, alive as
            // long as the engine that holds its module.
            let saved = unsafe { *(at as *const u8) };
            write_code_byte(at, INT3)?;
            self.active.insert(at, (stub, saved));
        }
        Ok(())
    }

    fn stub(&mut self, module: &Arc<Module>, func_index: u32) -> Result<usize> {
        let key = (Arc::as_ptr(module) as usize, func_index);
        if let Some(s) = self.stubs.get(&key) {
            return Ok(*s);
        }
        let compiler = match &mut self.compiler {
            Some(c) => c,
            None => self
                .compiler
                .insert(Compiler::new(super::new_jit_module(OptLevel::Speed)?)),
        };
        let id = compiler.compile_debug_stub(module, func_index)?;
        compiler.module.finalize_definitions().map_err(jit_error)?;
        let at = compiler.module.get_finalized_function(id) as usize;
        self.stubs.insert(key, at);
        Ok(at)
    }
}

/// Make `patches` match the break flags: every compiled function whose
/// flag is set, and no other, has its entry patched.
pub(crate) fn sync(
    patches: &mut Patches,
    instances: &[Box<InstanceVm>],
    tables: &[Box<[u8]>],
) -> Result<()> {
    let mut want = HashMap::new();
    for (ivm, flags) in instances.iter().zip(tables) {
        for (index, _) in flags.iter().enumerate().filter(|(_, f)| **f != 0) {
            let Some(entry) = ivm.funcs.get(index) else {
                continue;
            };
            if !entry.code.is_null() {
                want.entry(entry.code as usize)
                    .or_insert_with(|| (ivm.compiled.module.clone(), index as u32));
            }
        }
    }
    patches.set(want)
}

/// Write one byte of code: the page is made writable for the write and
/// executable again after it.
fn write_code_byte(at: usize, byte: u8) -> Result<()> {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
    let start = at & !(page - 1);
    // SAFETY: `[start, start + page)` holds compiled code we own (the
    // function at `at`); it is made writable only for this one-byte write,
    // while no thread runs it (the engine's own thread, stopped in the
    // hook or between runs, is the only one that runs this code).
    unsafe {
        let rw = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
        if libc::mprotect(start as *mut libc::c_void, page, rw) != 0 {
            return Err(jit_error(format!(
                "cannot make code writable to set a breakpoint: {}",
                std::io::Error::last_os_error()
            )));
        }
        std::ptr::write_volatile(at as *mut u8, byte);
        if libc::mprotect(
            start as *mut libc::c_void,
            page,
            libc::PROT_READ | libc::PROT_EXEC,
        ) != 0
        {
            return Err(jit_error(format!(
                "cannot make code executable again after setting a breakpoint: {}",
                std::io::Error::last_os_error()
            )));
        }
    }
    Ok(())
}
