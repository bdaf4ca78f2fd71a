//! Driving Cranelift, the way `cranelift-jit-demo` does: one owner of the
//! reusable `FunctionBuilderContext` and `codegen::Context`, a short-lived
//! [`FuncTranslator`] per function, and declare -> define -> finalize. Generic
//! over `cranelift_module::Module`, so the JIT (`JITModule`) and the shared
//! object form (`ObjectModule`) share every line of it.
//!
//! Every function is compiled to bytes + relocations first and then handed to
//! `define_function_bytes`; the same bytes are what the universal AOT form
//! stores, so loading it is exactly the second half of this path.

use std::sync::Arc;

use cranelift_codegen::Context;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, UserFuncName, types};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{FuncId, Linkage, Module as ClifModule, ModuleReloc};

use super::OptLevel;
use super::env::VmLayout;
use super::translate::{FuncEnv, FuncTranslator, clif_type, entry_signature, wasm_signature};
use crate::error::{Error, ErrorKind, Result};
use crate::module::Module;

/// Native code of one function, before it is placed in memory.
pub(crate) struct FuncCode {
    pub align: u64,
    pub bytes: Vec<u8>,
    pub relocs: Vec<ModuleReloc>,
    /// Native code ranges and the wasm `code_offset` each came from, sorted
    /// by start (Cranelift's srclocs): maps a return address to a call site.
    pub srclocs: Vec<SrcRange>,
    /// Code for the debugger: the frame-pointer-relative address of the
    /// function's locals slot (`translate::LOCALS_SLOT_KEY`).
    pub locals_at: Option<i32>,
    /// Where the frame holds GC references at each call, for a function of
    /// a module that can hold GC objects (`None` otherwise).
    pub gc: Option<Arc<GcFrameMap>>,
}

/// Where a function's frame keeps `any` references while it waits in a
/// call (Cranelift's user stack maps: every such value live across a call
/// is spilled to a stack slot there), so the collector can find them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GcFrameMap {
    /// Frame pointer minus the stack pointer at a call (the frame's bottom).
    pub frame_to_fp: u32,
    /// By native offset of the call's return address (sorted): the stack
    /// pointer offsets of the 64-bit reference slots. A call not listed
    /// has none live across it.
    pub sites: Vec<(u32, Box<[u32]>)>,
}

impl GcFrameMap {
    /// The reference slots live across the call returning to `ret`.
    pub fn at(&self, ret: u32) -> &[u32] {
        self.sites
            .binary_search_by_key(&ret, |s| s.0)
            .map_or(&[], |i| &self.sites[i].1)
    }
}

/// `[start, end)` (offsets in a function's native code) came from the wasm
/// instruction at `code_offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SrcRange {
    pub start: u32,
    pub end: u32,
    pub code_offset: u32,
}

/// The `code_offset` of the instruction that produced native offset `at`.
pub(crate) fn code_offset_at(srclocs: &[SrcRange], at: u32) -> Option<u32> {
    let i = srclocs.partition_point(|r| r.start <= at).checked_sub(1)?;
    let r = srclocs[i];
    (at < r.end).then_some(r.code_offset)
}

/// Cranelift ids of a module's functions: bodies then array-call wrappers,
/// one of each per defined function, declared in that order (so the ids are
/// the same every time, which the AOT relocations rely on).
pub(crate) struct FuncIds {
    pub bodies: Vec<FuncId>,
    pub wrappers: Vec<FuncId>,
}

pub(crate) fn jit_error(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Other, format!("jit: {e}"))
}

/// The host ISA with wdb's flags. `pic` is for objects linked into a shared library.
pub(crate) fn host_isa(opt: OptLevel, pic: bool) -> Result<OwnedTargetIsa> {
    let mut fb = settings::builder();
    let set = |fb: &mut settings::Builder, k: &str, v: &str| {
        fb.set(k, v)
            .map_err(|e| jit_error(format!("setting {k}={v}: {e}")))
    };
    set(&mut fb, "opt_level", opt.cranelift_name())?;
    set(&mut fb, "is_pic", if pic { "true" } else { "false" })?;
    set(&mut fb, "enable_multi_ret_implicit_sret", "true")?;
    // Every function keeps a frame-pointer chain, so the debugger can walk
    // the JIT frames below a hook (see `vm::walk_frames`).
    set(&mut fb, "preserve_frame_pointers", "true")?;
    set(
        &mut fb,
        "enable_verifier",
        if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        },
    )?;
    let isa_builder = cranelift_native::builder().map_err(jit_error)?;
    isa_builder
        .finish(settings::Flags::new(fb))
        .map_err(jit_error)
}

/// wdb version + Cranelift version + target triple + CPU features + opt level:
/// AOT code is only reused when all of these match.
/// The calling convention and run-state layout generated code assumes: part
/// of the fingerprint, so code saved by a wdb with another one is
/// recompiled. 2: the call depth is an argument (was counted in the run
/// state), fuel checks only with `CompileOptions::fuel`. 3: no bounds checks
/// (guard pages, `guard::GUARD_PAGES`). 4: shared objects too, with a code
/// map. 5: wasm functions use the `tail` calling convention (tail calls).
/// 6: `CatchTake` takes `keep`. 7: fuel in the interpreter's unit, charged
/// per straight-line stretch (was one per function entry and loop header).
/// 8: GC objects in an arena, allocated and accessed inline (`VmCtx::gc`,
/// `VmCtx::type_ids`). 9: `WatchAfter` takes the frame's locals area.
const ABI: u32 = 9;

pub(crate) fn fingerprint(isa: &dyn cranelift_codegen::isa::TargetIsa, opt: OptLevel) -> String {
    let features: Vec<String> = isa.isa_flags().iter().map(|v| v.to_string()).collect();
    format!(
        "wdb {} abi{ABI} cranelift 0.135 {} [{}] opt={} fp",
        env!("CARGO_PKG_VERSION"),
        isa.triple(),
        features.join(","),
        opt.cranelift_name()
    )
}

pub(crate) struct Compiler<M: ClifModule> {
    pub module: M,
    ctx: Context,
    fctx: FunctionBuilderContext,
    /// Instrumentation to build in (plain code by default).
    pub options: super::prof::CompileOptions,
    /// Code for the debugger: an interrupt pauses in the hook and resumes
    /// (see `FuncEnv::resumable_interrupts`).
    pub resumable_interrupts: bool,
    /// With `resumable_interrupts`: the interrupt trampoline, once defined.
    interrupt_trampoline: Option<FuncId>,
    /// The function being compiled is a body of a module that can hold GC
    /// objects: `finish` keeps its stack maps.
    gc_body: bool,
}

impl<M: ClifModule> Compiler<M> {
    pub(crate) fn new(module: M) -> Self {
        let ctx = module.make_context();
        Compiler {
            module,
            ctx,
            fctx: FunctionBuilderContext::new(),
            options: Default::default(),
            resumable_interrupts: false,
            interrupt_trampoline: None,
            gc_body: false,
        }
    }

    fn call_conv(&self) -> CallConv {
        self.module.isa().default_call_conv()
    }

    /// Step 1, declare: every body and wrapper, with an exported symbol name
    /// (`wdb_f{index}`, `wdb_e{index}`) so a shared object can be dlsym'ed.
    pub(crate) fn declare(&mut self, wasm: &Module) -> Result<FuncIds> {
        let cc = self.call_conv();
        let mut ids = FuncIds {
            bodies: Vec::new(),
            wrappers: Vec::new(),
        };
        for i in wasm.num_imported_funcs..wasm.num_funcs() {
            let sig = wasm_signature(wasm.func_type(i));
            let id = self
                .module
                .declare_function(&format!("wdb_f{i}"), Linkage::Export, &sig)
                .map_err(jit_error)?;
            ids.bodies.push(id);
        }
        for i in wasm.num_imported_funcs..wasm.num_funcs() {
            let id = self
                .module
                .declare_function(&format!("wdb_e{i}"), Linkage::Export, &entry_signature(cc))
                .map_err(jit_error)?;
            ids.wrappers.push(id);
        }
        Ok(ids)
    }

    /// Step 2, define: translate and compile every function to bytes, define
    /// it in the module, and return the bytes (the AOT form stores them).
    pub(crate) fn compile_all(
        &mut self,
        wasm: &Module,
        ids: &FuncIds,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<FuncCode>> {
        let n = ids.bodies.len();
        let total = 2 * n;
        let mut out = Vec::with_capacity(total);
        let imports = wasm.num_imported_funcs;
        let direct = |f: u32| ids.bodies.get(f.checked_sub(imports)? as usize).copied();
        for (i, id) in ids.bodies.iter().enumerate() {
            let func_index = wasm.num_imported_funcs + i as u32;
            self.translate_body(wasm, *id, func_index, &direct, &[])?;
            out.push(self.finish(*id)?);
            progress(out.len(), total);
        }
        for (i, id) in ids.wrappers.iter().enumerate() {
            let func_index = wasm.num_imported_funcs + i as u32;
            self.build_wrapper(wasm, ids.bodies[i], func_index);
            out.push(self.finish(*id)?);
            progress(out.len(), total);
        }
        Ok(out)
    }

    /// Define functions from bytes compiled earlier (the AOT load path).
    pub(crate) fn define_all(&mut self, ids: &FuncIds, code: &[FuncCode]) -> Result<()> {
        let all = ids.bodies.iter().chain(ids.wrappers.iter());
        if code.len() != ids.bodies.len() * 2 {
            return Err(jit_error(format!(
                "AOT section holds {} functions, the module needs {}",
                code.len(),
                ids.bodies.len() * 2
            )));
        }
        for (id, c) in all.zip(code) {
            self.module
                .define_function_bytes(*id, c.align, &c.bytes, &c.relocs)
                .map_err(jit_error)?;
        }
        Ok(())
    }

    fn translate_body(
        &mut self,
        wasm: &Module,
        id: FuncId,
        func_index: u32,
        direct: &dyn Fn(u32) -> Option<FuncId>,
        break_sites: &[super::translate::BreakSite],
    ) -> Result<()> {
        self.module.clear_context(&mut self.ctx);
        self.ctx.func.signature = wasm_signature(wasm.func_type(func_index));
        self.ctx.func.name = UserFuncName::user(0, id.as_u32());
        self.gc_body = wasm.uses_gc_refs;
        let env = FuncEnv {
            module: wasm,
            layout: VmLayout::new(),
            call_conv: self.call_conv(),
            profile: self.options.profile,
            fuel: self.options.fuel,
            breakpoints: self.options.breakpoints,
            guard_pages: super::guard::GUARD_PAGES,
            direct,
            resumable_interrupts: self
                .interrupt_trampoline
                .filter(|_| self.resumable_interrupts),
            watch_stores: self.options.watch_stores,
            watch_loads: self.options.watch_loads,
            break_sites,
        };
        let builder = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let translated =
            FuncTranslator::new(builder, &env, &mut self.module, func_index).translate();
        if translated.is_err() {
            // A translation abandoned half way leaves the builder's context
            // and the function in use; the next function starts clean.
            self.fctx = FunctionBuilderContext::new();
            self.ctx.clear();
        }
        translated.map_err(|e| {
            Error::new(
                e.kind,
                format!(
                    "compiling function {}: {}",
                    wasm.display_func_name(func_index),
                    e.message
                ),
            )
        })
    }

    /// Define the checked version of `func_index` (breakpoint checks at
    /// `sites`, see `translate::breakcheck`), with the code options of the
    /// module's other code (`self.options`); its calls go through the
    /// function table. The caller finalizes.
    pub(crate) fn compile_checked(
        &mut self,
        wasm: &Module,
        func_index: u32,
        sites: &[super::translate::BreakSite],
    ) -> Result<(FuncId, FuncCode)> {
        self.resumable_interrupts = true;
        if self.interrupt_trampoline.is_none() {
            self.interrupt_trampoline = Some(self.define_interrupt_trampoline()?);
        }
        let id = self
            .module
            .declare_anonymous_function(&wasm_signature(wasm.func_type(func_index)))
            .map_err(jit_error)?;
        self.translate_body(wasm, id, func_index, &|_| None, sites)?;
        let code = self.finish(id)?;
        Ok((id, code))
    }

    /// Define a debug stub for `func_index` (see
    /// `FuncTranslator::translate_debug_stub`); the caller finalizes.
    pub(crate) fn compile_debug_stub(&mut self, wasm: &Module, func_index: u32) -> Result<FuncId> {
        let cc = self.call_conv();
        let id = self
            .module
            .declare_anonymous_function(&wasm_signature(wasm.func_type(func_index)))
            .map_err(jit_error)?;
        self.module.clear_context(&mut self.ctx);
        self.ctx.func.signature = wasm_signature(wasm.func_type(func_index));
        self.ctx.func.name = UserFuncName::user(0, id.as_u32());
        let env = FuncEnv {
            module: wasm,
            layout: VmLayout::new(),
            call_conv: cc,
            profile: false,
            fuel: false,
            breakpoints: false,
            guard_pages: super::guard::GUARD_PAGES,
            direct: &|_| None,
            resumable_interrupts: None,
            watch_stores: false,
            watch_loads: false,
            break_sites: &[],
        };
        let builder = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        FuncTranslator::new(builder, &env, &mut self.module, func_index).translate_debug_stub()?;
        self.finish(id)?;
        Ok(id)
    }

    /// Declare and define the bodies and wrappers of `batch` (function
    /// indices; the lazy JIT). `ids` holds every defined function's
    /// declared ids (by defined index), filled in here for the batch;
    /// `compiled` says which are defined already. A body calls a function of
    /// the batch or an already defined one directly, any other through the
    /// function table (which compiles it on its first call). The caller
    /// finalizes.
    pub(crate) fn compile_batch(
        &mut self,
        wasm: &Module,
        batch: &[u32],
        ids: &mut [Option<(FuncId, FuncId)>],
        compiled: &dyn Fn(usize) -> bool,
    ) -> Result<Vec<FuncCode>> {
        let cc = self.call_conv();
        let imports = wasm.num_imported_funcs;
        if self.resumable_interrupts && self.interrupt_trampoline.is_none() {
            self.interrupt_trampoline = Some(self.define_interrupt_trampoline()?);
        }
        for &f in batch {
            let d = (f - imports) as usize;
            if ids[d].is_some() {
                continue;
            }
            let body = self
                .module
                .declare_function(
                    &format!("wdb_f{f}"),
                    Linkage::Export,
                    &wasm_signature(wasm.func_type(f)),
                )
                .map_err(jit_error)?;
            let wrapper = self
                .module
                .declare_function(&format!("wdb_e{f}"), Linkage::Export, &entry_signature(cc))
                .map_err(jit_error)?;
            ids[d] = Some((body, wrapper));
        }
        let ids = &*ids;
        let direct = |f: u32| {
            let d = f.checked_sub(imports)? as usize;
            let id = ids.get(d).copied().flatten()?;
            (compiled(d) || batch.contains(&f)).then_some(id.0)
        };
        let mut out = Vec::with_capacity(batch.len());
        for &f in batch {
            let (body, wrapper) = ids[(f - imports) as usize].expect("declared above");
            self.translate_body(wasm, body, f, &direct, &[])?;
            out.push(self.finish(body)?);
            self.build_wrapper(wasm, body, f);
            self.finish(wrapper)?;
        }
        Ok(out)
    }

    /// The debugger's interrupt check calls this trampoline: `preserve_all`
    /// and without arguments, so the call clobbers no register and fixes
    /// none, and a loop whose header holds the check keeps its values in
    /// registers as plain code does. (A plain call there made sieve-O2 1.42x
    /// slower; one argument, the vmctx, still cost sieve-O0g 1.13x: the
    /// value the loop kept in that register went to the stack.) It passes
    /// its caller's frame pointer and return address to `lc_interrupt_at`,
    /// which finds the rest from there (the site is in the run state, the
    /// locals in the caller's frame), and returns nothing: the caller reads
    /// the trap word. Code for the debugger is never saved, so the
    /// function's address can be in the code.
    fn define_interrupt_trampoline(&mut self) -> Result<FuncId> {
        let sig = super::translate::interrupt_trampoline_signature();
        let id = self
            .module
            .declare_function("wdb_interrupt", Linkage::Local, &sig)
            .map_err(jit_error)?;
        self.module.clear_context(&mut self.ctx);
        self.ctx.func.signature = sig;
        self.ctx.func.name = UserFuncName::user(0, id.as_u32());
        let mut target_sig = cranelift_codegen::ir::Signature::new(self.call_conv());
        for _ in 0..2 {
            target_sig
                .params
                .push(cranelift_codegen::ir::AbiParam::new(types::I64));
        }
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let sig_ref = b.import_signature(target_sig);
        let blk = b.create_block();
        b.switch_to_block(blk);
        b.seal_block(blk);
        let trusted = MemFlagsData::trusted();
        // Every Cranelift frame starts with the caller's frame pointer, then
        // the return address.
        let own_fp = b.ins().get_frame_pointer(types::I64);
        let caller_fp = b.ins().load(types::I64, trusted, own_fp, 0);
        let return_pc = b.ins().load(types::I64, trusted, own_fp, 8);
        let f = b
            .ins()
            .iconst(types::I64, super::vm::interrupt_at_address() as i64);
        b.ins().call_indirect(sig_ref, f, &[caller_fp, return_pc]);
        b.ins().return_(&[]);
        b.finalize(self.module.target_config());
        self.finish(id)?;
        Ok(id)
    }

    /// `(vmctx, slots)`: load the params from 16-byte slots, call the body,
    /// store the results back into the slots.
    fn build_wrapper(&mut self, wasm: &Module, body: FuncId, func_index: u32) {
        self.module.clear_context(&mut self.ctx);
        let cc = self.call_conv();
        self.ctx.func.signature = entry_signature(cc);
        let ty = wasm.func_type(func_index).clone();
        let callee = self.module.declare_func_in_func(body, &mut self.ctx.func);
        let slot = VmLayout::new().slot_size;
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let p = b.block_params(blk).to_vec();
        let (vmctx, slots) = (p[0], p[1]);
        // Calls from the host start at the run's base depth.
        let l = VmLayout::new();
        let rt = b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), vmctx, l.vmctx_rt);
        let depth = b
            .ins()
            .load(types::I32, MemFlagsData::trusted(), rt, l.rt_depth);
        let mut args = vec![vmctx, depth];
        for (i, t) in ty.params().iter().enumerate() {
            args.push(b.ins().load(
                clif_type(*t),
                MemFlagsData::trusted(),
                slots,
                i as i32 * slot,
            ));
        }
        let call = b.ins().call(callee, &args);
        let results = b.inst_results(call).to_vec();
        for (i, r) in results.iter().enumerate() {
            b.ins()
                .store(MemFlagsData::trusted(), *r, slots, i as i32 * slot);
        }
        b.ins().return_(&[]);
        b.finalize(self.module.target_config());
    }

    fn finish(&mut self, id: FuncId) -> Result<FuncCode> {
        let isa = self.module.isa();
        let compiled = self
            .ctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| jit_error(format!("{:?}", e.inner)))?;
        let align = (compiled.buffer.alignment as u64)
            .max(isa.function_alignment().minimum as u64)
            .max(isa.symbol_alignment());
        let bytes = compiled.code_buffer().to_vec();
        let locals_at = compiled.buffer.frame_layout().and_then(|f| {
            let key = cranelift_codegen::ir::StackSlotKey::new(super::translate::LOCALS_SLOT_KEY);
            let slot = f.stackslots.values().find(|s| s.key == Some(key))?;
            Some(slot.offset as i32 - f.frame_to_fp_offset as i32)
        });
        let gc = std::mem::take(&mut self.gc_body).then(|| {
            let mut sites: Vec<(u32, Box<[u32]>)> = compiled
                .buffer
                .user_stack_maps()
                .iter()
                .map(|(ret, _, map)| (*ret, map.entries().map(|(_, off)| off).collect()))
                .collect();
            sites.sort_by_key(|s| s.0);
            Arc::new(GcFrameMap {
                frame_to_fp: compiled
                    .buffer
                    .frame_layout()
                    .map_or(0, |f| f.frame_to_fp_offset),
                sites,
            })
        });
        let mach_relocs = compiled.buffer.relocs().to_vec();
        let srclocs = compiled
            .buffer
            .get_srclocs_sorted()
            .iter()
            .filter(|l| !l.loc.is_default())
            .map(|l| SrcRange {
                start: l.start,
                end: l.end,
                code_offset: l.loc.bits(),
            })
            .collect();
        let relocs: Vec<ModuleReloc> = mach_relocs
            .iter()
            .map(|r| ModuleReloc::from_mach_reloc(r, &self.ctx.func, id))
            .collect();
        self.module
            .define_function_bytes(id, align, &bytes, &relocs)
            .map_err(jit_error)?;
        Ok(FuncCode {
            align,
            bytes,
            relocs,
            srclocs,
            locals_at,
            gc,
        })
    }
}
