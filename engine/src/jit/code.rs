//! Native code for one module ([`CompiledModule`]): the lazy JIT (each
//! function compiled on its first call, with the functions it reaches by
//! direct calls), eager JIT compiles, loading AOT code (a `wdb.aot` section,
//! a shared object or a code cache entry), and pointing the engine's
//! function entries at a function's code ([`ensure_compiled`]).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cranelift_jit::{JITBuilder, JITModule};

use super::compile::{Compiler, FuncCode, jit_error};
use super::vm::{self, CodeRange, FuncEntry};
use super::{
    CodeHolder, CodeSource, CompileOptions, CompiledModule, FuncCodeRef, InstanceVm, LazyCode,
    OptLevel, describe_options, patch,
};
use super::{aot, compile, fingerprint};
use crate::error::{Error, Result};
use crate::module::Module;
use crate::runtime::store::FuncKind;
use crate::runtime::{InstanceId, Store};
use crate::value::FuncAddr;

/// How many functions one lazy compilation may take: the called function
/// and those it reaches by direct calls, so hot call chains are direct
/// calls, while the first call of a huge module stays cheap.
const LAZY_BATCH: usize = 1000;

/// `first` and the defined functions it reaches by direct calls that
/// `wanted` accepts, breadth first, at most `limit` of them.
fn call_closure(
    module: &Module,
    first: u32,
    wanted: &dyn Fn(u32) -> bool,
    limit: usize,
) -> Vec<u32> {
    let mut out = vec![first];
    let mut seen = HashSet::from([first]);
    let mut i = 0;
    while i < out.len() && out.len() < limit {
        let f = out[i];
        i += 1;
        let Some(body) = module.body(f) else { continue };
        let range = body.range.clone();
        let reader =
            wasmparser::BinaryReader::new(&module.bytes[range.clone()], range.start as u64);
        let Ok(mut ops) = wasmparser::FunctionBody::new(reader).get_operators_reader() else {
            continue;
        };
        while !ops.eof() && out.len() < limit {
            let Ok(op) = ops.read() else { break };
            if let wasmparser::Operator::Call { function_index }
            | wasmparser::Operator::ReturnCall { function_index } = op
                && function_index >= module.num_imported_funcs
                && wanted(function_index)
                && seen.insert(function_index)
            {
                out.push(function_index);
            }
        }
    }
    out
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("funcs", &self.bodies.len())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Address space reserved for one module's code (reserved, not committed):
/// code compiled at different times stays within direct-call range.
const CODE_ARENA: usize = 1 << 30;

pub(super) fn new_jit_module(opt: OptLevel) -> Result<JITModule> {
    let isa = compile::host_isa(opt, false)?;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    let arena = cranelift_jit::ArenaMemoryProvider::new_with_size(CODE_ARENA)
        .map_err(|e| jit_error(format!("cannot reserve code memory: {e}")))?;
    builder.memory_provider(Box::new(arena));
    Ok(JITModule::new(builder))
}

impl CompiledModule {
    /// JIT code for `module`, each function compiled on its first call (so
    /// load-to-first-call costs what runs, not the module's size). A
    /// function that fails to compile traps where it is called.
    pub fn compile(module: Arc<Module>, opt: OptLevel) -> Result<CompiledModule> {
        Self::compile_lazy(module, opt, false, CompileOptions::default())
    }

    /// As [`CompiledModule::compile`] (lazy), with `options` (e.g. a
    /// profiling build).
    pub fn compile_lazy_with(
        module: Arc<Module>,
        opt: OptLevel,
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        Self::compile_lazy(module, opt, false, options)
    }

    /// As [`CompiledModule::compile`], for the debugger: the interrupt check
    /// calls the debug hook and resumes when it returns (plain code unwinds
    /// at once, which keeps its hot paths free of the slow path's cost).
    pub fn compile_for_debugger(module: Arc<Module>, opt: OptLevel) -> Result<CompiledModule> {
        Self::compile_for_debugger_with(module, opt, false, false)
    }

    /// As [`CompiledModule::compile_for_debugger`], with stores (and loads)
    /// checked against the run's watched ranges (`CompileOptions::watch_stores`,
    /// `watch_loads`): the code the debugger runs while watchpoints exist.
    pub fn compile_for_debugger_with(
        module: Arc<Module>,
        opt: OptLevel,
        watch_stores: bool,
        watch_loads: bool,
    ) -> Result<CompiledModule> {
        let options = CompileOptions {
            breakpoints: !patch::PATCHED_BREAKPOINTS,
            watch_stores,
            watch_loads,
            ..CompileOptions::default()
        };
        Self::compile_lazy(module, opt, true, options)
    }

    fn compile_lazy(
        module: Arc<Module>,
        opt: OptLevel,
        resumable: bool,
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        let start = Instant::now();
        let n = (module.num_funcs() - module.num_imported_funcs) as usize;
        let mut compiler = Compiler::new(new_jit_module(opt)?);
        compiler.resumable_interrupts = resumable;
        compiler.options = options;
        Ok(CompiledModule {
            module,
            _code: CodeHolder::Lazy,
            bodies: Vec::new(),
            wrappers: Vec::new(),
            maps: Vec::new(),
            lazy: Some(Mutex::new(LazyCode {
                compiler,
                funcs: vec![None; n],
                ids: vec![None; n],
                failed: None,
            })),
            source: CodeSource::Jit,
            compile_time: start.elapsed(),
            options,
        })
    }

    /// JIT-compile every function of `module` now.
    pub fn compile_eager(module: Arc<Module>, opt: OptLevel) -> Result<CompiledModule> {
        Self::compile_with_progress(module, opt, &mut |_, _| {})
    }

    /// As [`CompiledModule::compile`], reporting `(done, total)` functions.
    pub fn compile_with_progress(
        module: Arc<Module>,
        opt: OptLevel,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<CompiledModule> {
        Self::compile_with(module, opt, CompileOptions::default(), progress)
    }

    /// As [`CompiledModule::compile_with_progress`] (eager), with `options`
    /// (e.g. a profiling build).
    pub fn compile_with(
        module: Arc<Module>,
        opt: OptLevel,
        options: CompileOptions,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<CompiledModule> {
        Self::compile_all_keeping_code(module, opt, options, progress).map(|(c, _)| c)
    }

    /// Compile every function now; also return the machine code (what a
    /// `wdb.aot` payload saves).
    fn compile_all_keeping_code(
        module: Arc<Module>,
        opt: OptLevel,
        options: CompileOptions,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(CompiledModule, Vec<FuncCode>)> {
        let start = Instant::now();
        let mut c = Compiler::new(new_jit_module(opt)?);
        c.options = options;
        // Declare, define, finalize.
        let ids = c.declare(&module)?;
        let code = c.compile_all(&module, &ids, progress)?;
        let compiled = Self::finalize(
            module,
            c.module,
            &ids,
            &code,
            CodeSource::Jit,
            start,
            options,
        )?;
        Ok((compiled, code))
    }

    /// JIT-compile every function, and also return the code as a `wdb.aot`
    /// section payload, for a code cache to keep (see
    /// [`CompiledModule::load_aot_payload`]).
    pub fn compile_with_payload(
        module: Arc<Module>,
        opt: OptLevel,
        options: CompileOptions,
    ) -> Result<(CompiledModule, Vec<u8>)> {
        let (compiled, code) =
            Self::compile_all_keeping_code(module, opt, options, &mut |_, _| {})?;
        let payload =
            aot::encode_payload(fingerprint(opt) + &options.fingerprint_suffix(), opt, code)?;
        Ok((compiled, payload))
    }

    /// Load code saved by `wdb compile` in the module's `wdb.aot` section.
    /// `Ok(None)` when there is no section; an error when it is damaged or
    /// was made for another machine/version (the caller warns and JITs).
    pub fn load_aot(module: Arc<Module>) -> Result<Option<CompiledModule>> {
        Self::load_aot_with(module, CompileOptions::AOT)
    }

    /// As [`CompiledModule::load_aot`], for code built with `options` (an
    /// image built with other options is "for another machine": an error).
    pub fn load_aot_with(
        module: Arc<Module>,
        options: CompileOptions,
    ) -> Result<Option<CompiledModule>> {
        // The last section wins: `aot::compile_universal` appends a new one
        // to a module that may already have one.
        let Some(range) = module
            .custom_sections
            .iter()
            .rev()
            .find(|c| c.name == aot::SECTION)
            .map(|c| c.data.clone())
        else {
            return Ok(None);
        };
        let bytes = module.clone();
        Self::load_payload(module, &bytes.bytes[range], CodeSource::AotSection, options).map(Some)
    }

    /// Load code from a `wdb.aot` payload kept apart from the module (a code
    /// cache entry made by [`CompiledModule::compile_with_payload`] for these
    /// exact module bytes and `options`: the caller checks that). Errors
    /// as for [`CompiledModule::load_aot`].
    pub fn load_aot_payload(
        module: Arc<Module>,
        payload: &[u8],
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        Self::load_payload(module, payload, CodeSource::Cache, options)
    }

    fn load_payload(
        module: Arc<Module>,
        section: &[u8],
        source: CodeSource,
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        let start = Instant::now();
        let saved = aot::decode(section)?;
        let opt = saved.opt;
        let isa = compile::host_isa(opt, false)?;
        let base = compile::fingerprint(&*isa, opt);
        let here = base.clone() + &options.fingerprint_suffix();
        if saved.fingerprint != here {
            if let Some(suffix) = saved.fingerprint.strip_prefix(&base) {
                return Err(Error::new(
                    crate::ErrorKind::Other,
                    format!(
                        "the AOT code was compiled {}; this run needs code {}",
                        describe_options(suffix),
                        describe_options(&options.fingerprint_suffix())
                    ),
                ));
            }
            return Err(Error::new(
                crate::ErrorKind::Other,
                format!(
                    "AOT code was compiled for `{}`, this machine is `{}`",
                    saved.fingerprint, here
                ),
            ));
        }
        let mut c = Compiler::new(new_jit_module(opt)?);
        let ids = c.declare(&module)?;
        c.define_all(&ids, &saved.funcs)?;
        Self::finalize(module, c.module, &ids, &saved.funcs, source, start, options)
    }

    fn finalize(
        module: Arc<Module>,
        mut jit: JITModule,
        ids: &compile::FuncIds,
        code: &[FuncCode],
        source: CodeSource,
        start: Instant,
        options: CompileOptions,
    ) -> Result<CompiledModule> {
        let maps = code[..ids.bodies.len()]
            .iter()
            .map(|c| (c.bytes.len(), Arc::from(c.srclocs.as_slice()), c.gc.clone()))
            .collect();
        jit.finalize_definitions().map_err(jit_error)?;
        let bodies = ids
            .bodies
            .iter()
            .map(|id| jit.get_finalized_function(*id))
            .collect();
        let wrappers = ids
            .wrappers
            .iter()
            .map(|id| jit.get_finalized_function(*id))
            .collect();
        Ok(CompiledModule {
            module,
            _code: CodeHolder::Jit(jit),
            bodies,
            wrappers,
            maps,
            lazy: None,
            source,
            compile_time: start.elapsed(),
            options,
        })
    }

    pub fn module(&self) -> &Arc<Module> {
        &self.module
    }

    /// How many functions have native code (all but the never-called ones
    /// under the lazy JIT).
    pub fn compiled_functions(&self) -> usize {
        match &self.lazy {
            None => self.bodies.len(),
            Some(l) => l
                .lock()
                .map_or(0, |l| l.funcs.iter().filter(|f| f.is_some()).count()),
        }
    }

    /// Defined function `d`'s code, if compiled.
    pub(crate) fn code(&self, d: usize) -> Option<FuncCodeRef> {
        match &self.lazy {
            None => Some(FuncCodeRef {
                body: *self.bodies.get(d)?,
                wrapper: self.wrappers[d],
                len: self.maps[d].0,
                srclocs: self.maps[d].1.clone(),
                locals_at: None,
                gc: self.maps[d].2.clone(),
            }),
            Some(l) => l.lock().ok()?.funcs.get(d)?.clone(),
        }
    }

    /// Defined function `d`'s code, compiling it now if needed, with
    /// whatever else was compiled along with it (by defined index, `d` first).
    pub(crate) fn code_or_compile(&self, d: usize) -> Result<Vec<(usize, FuncCodeRef)>> {
        let Some(lazy) = &self.lazy else {
            return self
                .code(d)
                .map(|c| vec![(d, c)])
                .ok_or_else(|| jit_error(format!("no code for defined function {d}")));
        };
        let mut l = lazy
            .lock()
            .map_err(|_| jit_error("the lazy JIT's lock is poisoned"))?;
        if let Some(Some(c)) = l.funcs.get(d) {
            return Ok(vec![(d, c.clone())]);
        }
        if let Some(e) = &l.failed {
            return Err(e.clone());
        }
        let imports = self.module.num_imported_funcs;
        let l = &mut *l;
        let funcs = &l.funcs;
        let batch = call_closure(
            &self.module,
            imports + d as u32,
            &|f| funcs[(f - imports) as usize].is_none(),
            LAZY_BATCH,
        );
        let code = match l
            .compiler
            .compile_batch(&self.module, &batch, &mut l.ids, &|x| funcs[x].is_some())
        {
            Ok(code) => code,
            Err(e) => {
                l.failed = Some(e.clone());
                return Err(e);
            }
        };
        l.compiler
            .module
            .finalize_definitions()
            .map_err(jit_error)?;
        for (f, code) in batch.iter().zip(code) {
            let x = (f - imports) as usize;
            let (body, wrapper) = l.ids[x].expect("declared by compile_batch");
            l.funcs[x] = Some(FuncCodeRef {
                body: l.compiler.module.get_finalized_function(body),
                wrapper: l.compiler.module.get_finalized_function(wrapper),
                len: code.bytes.len(),
                srclocs: Arc::from(code.srclocs.as_slice()),
                locals_at: code.locals_at,
                gc: code.gc.clone(),
            });
        }
        Ok(batch
            .iter()
            .map(|f| {
                let x = (f - imports) as usize;
                (x, l.funcs[x].clone().expect("compiled in this batch"))
            })
            .collect())
    }
}

impl Drop for CompiledModule {
    fn drop(&mut self) {
        // Nothing can call this code any more: engines hold the compiled
        // module (an `Arc`) for as long as they keep pointers into it.
        if let CodeHolder::Jit(m) = std::mem::replace(&mut self._code, CodeHolder::Lazy) {
            vm::free_code(m);
        }
        if let Some(Ok(l)) = self.lazy.take().map(Mutex::into_inner) {
            vm::free_code(l.compiler.module);
        }
    }
}

/// Make sure store function `addr` has native code (compiling it if it is
/// a wasm function not compiled yet) and point every entry for it at the
/// code. Host functions are left alone.
pub(super) fn ensure_compiled(
    instances: &mut [Box<InstanceVm>],
    entries: &mut [FuncEntry],
    wrappers: &mut [*const u8],
    code_map: &mut BTreeMap<usize, CodeRange>,
    store: &Store,
    addr: FuncAddr,
) -> Result<()> {
    if !entries[addr as usize].code.is_null() {
        return Ok(());
    }
    let FuncKind::Wasm {
        instance, index, ..
    } = store.funcs[addr as usize].kind
    else {
        return Ok(());
    };
    let compiled = instances[instance.0 as usize].compiled.clone();
    let imports = compiled.module.num_imported_funcs;
    let d = (index - imports) as usize;
    for (x, c) in compiled.code_or_compile(d)? {
        let index = imports + x as u32;
        let mut first = None;
        for (i, ivm) in instances.iter_mut().enumerate() {
            if !Arc::ptr_eq(&ivm.compiled, &compiled) {
                continue;
            }
            first.get_or_insert(i as u32);
            let a = store.instance(InstanceId(i as u32)).funcs[index as usize] as usize;
            ivm.funcs[index as usize].code = c.body;
            entries[a].code = c.body;
            wrappers[a] = c.wrapper;
        }
        code_map.entry(c.body as usize).or_insert(CodeRange {
            end: c.body as usize + c.len,
            instance: first.unwrap_or(instance.0),
            func_index: index,
            srclocs: c.srclocs,
            locals_at: c.locals_at,
            gc: c.gc,
        });
    }
    Ok(())
}
