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
//!
//! A flagged function whose every breakpoint carries a condition or an
//! ignore count the engine decides (`interp::pred::BreakCheck`, attached
//! with `Store::set_break_check`) leads to its checked version instead of
//! the stub: the same function compiled with those checks
//! (`translate::breakcheck`), which stays native code and pauses in the
//! hook only when a check says so. Its counts live in a [`CheckCell`] per
//! check, handed to the store's check before every hook call and when the
//! run ends ([`Patches::flush_checks`]) and taken back from it (the ignore
//! count the debugger may have changed) after every hook call.

#![allow(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cranelift_jit::JITModule;

use super::compile::{Compiler, jit_error};
use super::translate::{BreakSite, lowerable};
use super::vm::CodeRange;
use super::{InstanceVm, OptLevel};
use crate::error::Result;
use crate::module::Module;
use crate::runtime::Store;
use crate::value::FuncAddr;

/// The break flag `BreakFlags::set_all` sets (the next entry of any
/// function stops): such an entry always goes to the stub, never to
/// checked code.
pub(crate) const FLAG_ALL: u8 = 2;

/// The state of one compiled breakpoint check, read and written by its
/// code (`translate::breakcheck` knows the field offsets).
#[repr(C)]
pub(crate) struct CheckCell {
    /// Hits (the predicate held) since the last flush.
    pub hits: u64,
    /// Hits still to pass over.
    pub ignore: u64,
    /// The stop under way counted its hit (0: the predicate could not be
    /// evaluated; the debugger decides).
    pub counted: u64,
    /// The breakpoint's function and interpreter `pc`.
    pub func: FuncAddr,
    pub pc: u32,
}

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
    /// Compiles the stubs and checked versions (code of its own, kept as
    /// long as the engine).
    compiler: Option<Compiler<JITModule>>,
    /// The cells of compiled checks, by (function, pc); never removed (code
    /// holds their addresses).
    cells: HashMap<(FuncAddr, u32), Box<CheckCell>>,
    /// Checked versions by what they were compiled for: code address.
    checked: HashMap<String, usize>,
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

    /// Hand the checks' counts to the store's checks (see the module docs).
    pub(crate) fn flush_checks(&mut self, store: &mut Store) {
        for (&(func, pc), cell) in self.cells.iter_mut() {
            if let Some(c) = store.break_check_mut(func, pc) {
                c.hits = c.hits.saturating_add(cell.hits);
                c.ignore = cell.ignore;
                if cell.counted != 0 {
                    c.counted = true;
                    c.error = None;
                }
            }
            cell.hits = 0;
            cell.counted = 0;
        }
    }

    /// The checked version of function `index` of instance `inst` when
    /// every breakpoint in it has a check the engine can compile (see the
    /// module docs), compiled (and its code registered) if needed. With
    /// `reload`, its cells take the store's ignore counts.
    fn checked_target(
        &mut self,
        store: &Store,
        ivm: &InstanceVm,
        inst: u32,
        index: u32,
        code_map: &mut BTreeMap<usize, CodeRange>,
        reload: bool,
    ) -> Result<Option<usize>> {
        let module = &ivm.compiled.module;
        if module.uses_gc_refs {
            return Ok(None);
        }
        // A store the hook left empty (the debugger abandoned the run).
        let Some(&func) = store
            .instances
            .get(inst as usize)
            .and_then(|i| i.funcs.get(index as usize))
        else {
            return Ok(None);
        };
        let Some(code) = store.compiled(func) else {
            return Ok(None);
        };
        if code.patched.is_empty() {
            return Ok(None);
        }
        let mut found = Vec::new();
        for &pc in code.patched.keys() {
            let Some(check) = store.break_check(func, pc) else {
                return Ok(None);
            };
            if check.max_depth.is_some() || check.pred.as_ref().is_some_and(|p| !lowerable(p)) {
                return Ok(None);
            }
            let Some(&code_offset) = code.offsets.get(pc as usize) else {
                return Ok(None);
            };
            found.push((code_offset, pc, check.pred.clone(), check.ignore));
        }
        found.sort_by_key(|f| f.0);
        let mut sites = Vec::new();
        for (code_offset, pc, pred, ignore) in found {
            let cell = self.cells.entry((func, pc)).or_insert_with(|| {
                Box::new(CheckCell {
                    hits: 0,
                    ignore,
                    counted: 0,
                    func,
                    pc,
                })
            });
            if reload {
                cell.ignore = ignore;
            }
            sites.push(BreakSite {
                code_offset,
                pred,
                cell: &**cell as *const CheckCell as usize,
            });
        }
        let key = format!("{:?}/{index}/{sites:?}", Arc::as_ptr(module));
        if let Some(&at) = self.checked.get(&key) {
            return Ok(Some(at));
        }
        let compiler = self.compiler()?;
        compiler.options = ivm.compiled.options.clone();
        compiler.options.breakpoints = false;
        let (id, code) = compiler.compile_checked(module, index, &sites)?;
        compiler.module.finalize_definitions().map_err(jit_error)?;
        let at = compiler.module.get_finalized_function(id) as usize;
        code_map.entry(at).or_insert(CodeRange {
            end: at + code.bytes.len(),
            instance: inst,
            func_index: index,
            srclocs: Arc::from(code.srclocs.as_slice()),
            locals_at: code.locals_at,
            gc: None,
        });
        self.checked.insert(key, at);
        Ok(Some(at))
    }

    fn compiler(&mut self) -> Result<&mut Compiler<JITModule>> {
        if self.compiler.is_none() {
            self.compiler = Some(Compiler::new(super::new_jit_module(OptLevel::Speed)?));
        }
        Ok(self.compiler.as_mut().expect("set above"))
    }

    /// Patch exactly `want` (entry address -> the function's module and
    /// index, and where it leads when not to the stub), compiling stubs as
    /// needed.
    fn set(&mut self, want: HashMap<usize, (Arc<Module>, u32, Option<usize>)>) -> Result<()> {
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
        for (at, (module, func_index, target)) in want {
            let stub = match target {
                Some(t) => t,
                None => self.stub(&module, func_index)?,
            };
            if let Some(a) = self.active.get_mut(&at) {
                a.0 = stub;
                continue;
            }
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
        let compiler = self.compiler()?;
        let id = compiler.compile_debug_stub(module, func_index)?;
        compiler.module.finalize_definitions().map_err(jit_error)?;
        let at = compiler.module.get_finalized_function(id) as usize;
        self.stubs.insert(key, at);
        Ok(at)
    }
}

/// Make `patches` match the break flags: every compiled function whose
/// flag is set, and no other, has its entry patched, leading to its
/// checked version where it can have one (see the module docs: `reload`
/// after the hook ran, when the debugger may have changed the checks).
pub(crate) fn sync(
    patches: &mut Patches,
    instances: &[Box<InstanceVm>],
    tables: &[Box<[u8]>],
    store: &Store,
    code_map: &mut BTreeMap<usize, CodeRange>,
    reload: bool,
) -> Result<()> {
    let mut want = HashMap::new();
    for (inst, (ivm, flags)) in instances.iter().zip(tables).enumerate() {
        for (index, &flag) in flags.iter().enumerate().filter(|(_, f)| **f != 0) {
            let Some(entry) = ivm.funcs.get(index) else {
                continue;
            };
            if entry.code.is_null() || want.contains_key(&(entry.code as usize)) {
                continue;
            }
            let target = if flag == FLAG_ALL {
                None
            } else {
                patches.checked_target(store, ivm, inst as u32, index as u32, code_map, reload)?
            };
            want.insert(
                entry.code as usize,
                (ivm.compiled.module.clone(), index as u32, target),
            );
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
