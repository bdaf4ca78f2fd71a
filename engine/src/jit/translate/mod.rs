//! One wasm function body -> Cranelift IR. A `FuncTranslator` lives for one
//! function: it walks the operators with `wasmparser`, keeps the wasm operand
//! stack as SSA values and the control stack as Cranelift blocks, and calls
//! `set_srcloc(code_offset)` before every operator so a native pc maps back to
//! wasm (and then to a source line).
//!
//! Traps never use signals: every check branches to a cold block that calls
//! the `Unwind` libcall with the trap word and this site's `code_offset`, then
//! returns. After every call the caller checks the run state's trap word and,
//! if set, appends its own frame and returns too, so the backtrace is exact.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, AbiParam, BlockArg, InstBuilder, MemFlagsData, Signature, SourceLoc, StackSlotData,
    StackSlotKind, Type, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_module::{FuncId, Module as ClifModule};
use wasmparser::{BlockType, FuncType, Operator, OperatorsReader, ValType};

mod breakcheck;
mod call;
mod debug;
pub(crate) mod deopt;
mod fuel;
mod gc;
mod memory;
mod numeric;
mod ops;
mod simd;
mod trap;

use memory::{Ext, le};

pub(crate) use breakcheck::{BreakSite, lowerable};
pub(crate) use gc::{GC_RESULT_SLOTS, gc_kind};

use super::env::{Libcall, VmLayout, trap_word};
use super::prof;
use crate::error::{Error, ErrorKind, Result};
use crate::module::Module;

/// The Cranelift type of a wasm value type. References are `i64`: 0 is null,
/// otherwise the store address + 1 (the interpreter's slot encoding).
pub(crate) fn clif_type(ty: ValType) -> Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::Ref(_) => types::I64,
    }
}

/// The calling convention of every wasm function: Cranelift's `tail`, so
/// `return_call*` can replace the caller's frame (constant stack). On
/// x86-64 it keeps System V's callee-saved registers and argument
/// registers; the callee pops its stack arguments, and more results come
/// back in registers. Wrappers, libcalls and trampolines keep the host's.
pub(crate) const WASM_CALL_CONV: CallConv = CallConv::Tail;

/// `(vmctx, depth, params...) -> results`: the native signature of every
/// wasm function. `depth` is the caller's call depth (the entry wrapper's
/// is `RtState::depth`): the callee traps when one more exceeds
/// `RtState::max_depth` and passes that one more on to its own callees.
/// Passing it in a register, rather than counting in the run state, keeps
/// calls free of a memory read-modify-write chain through every entry and
/// return (a store-forwarding round trip per call: 14% of a call-heavy
/// `-O0` build), and the limit exactly the interpreter's.
pub(crate) fn wasm_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(WASM_CALL_CONV);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I32));
    sig.params
        .extend(ty.params().iter().map(|t| AbiParam::new(clif_type(*t))));
    sig.returns
        .extend(ty.results().iter().map(|t| AbiParam::new(clif_type(*t))));
    sig
}

/// `(vmctx, slots)`: the array-call entry wrapper of a function, used by the host.
pub(crate) fn entry_signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    sig
}

/// A leaf function with more locals keeps its entry checks: its frame
/// (16 bytes a local at most, spilled) must fit in the margin the stack
/// limit leaves (`vm::enter_on_stack`, 1 MiB).
const MAX_LIGHT_LEAF_LOCALS: usize = 4096;

/// `func_index` for an `Unwind` that records a trap without adding a frame.
pub(crate) const NO_FRAME: u32 = u32::MAX;

/// The `code_offset` (srcloc) of the call an interrupted function entry
/// makes to itself when resumed (see `interrupt_check_at_entry`): not a
/// wasm call site, so the frame walk skips it. (`u32::MAX` is Cranelift's
/// "no srcloc".)
pub(crate) const RESTART_SITE: u32 = u32::MAX - 1;

fn unsupported(what: &str) -> Error {
    Error::new(ErrorKind::Other, format!("jit: unsupported: {what}"))
}

/// What the translator needs to know about the module being compiled.
pub(crate) struct FuncEnv<'m> {
    pub module: &'m Module,
    pub layout: VmLayout,
    pub call_conv: CallConv,
    /// Emit the profiling instrumentation (`super::prof`).
    pub profile: bool,
    /// Count fuel in the interpreter's unit (`CompileOptions::fuel`,
    /// `FuncTranslator::fuel_before`). Without it the fuel register and its
    /// loads and stores around calls are left out altogether.
    pub fuel: bool,
    /// Check the function's break flag at entry
    /// (`CompileOptions::breakpoints`).
    pub breakpoints: bool,
    /// Memory accesses are not bounds-checked: an access past the end hits
    /// the memory's guard region and faults (`super::guard`).
    pub guard_pages: bool,
    /// The Cranelift id of a defined function this body may call directly
    /// (compiled with it, or before it), by function index; `None`: call
    /// through the function table.
    pub direct: &'m dyn Fn(u32) -> Option<FuncId>,
    /// Code for the debugger: the interrupt check calls this trampoline
    /// (`Compiler::define_interrupt_trampoline`, which calls the `Interrupt`
    /// libcall; the debugger pauses there) and goes on when it returns,
    /// instead of unwinding. `None`: plain code.
    pub resumable_interrupts: Option<FuncId>,
    /// Check stores (and loads) against the run's watch box
    /// (`CompileOptions::watch_stores`, `watch_loads`).
    pub watch_stores: bool,
    pub watch_loads: bool,
    /// Compiled breakpoint checks, by `code_offset` (`breakcheck`): only
    /// in a function's checked version.
    pub break_sites: &'m [BreakSite],
}

/// No arguments, no results, clobbering no register: the site is in the
/// run state (`RtState::interrupt_site`), the locals in the caller's frame.
pub(crate) fn interrupt_trampoline_signature() -> Signature {
    Signature::new(CallConv::PreserveAll)
}

enum CtrlKind {
    Block,
    Loop {
        header: ir::Block,
    },
    If {
        else_block: Option<ir::Block>,
    },
    /// A `try_table` (its handler scope is in `FuncTranslator::scopes`).
    TryTable,
    /// A legacy `try`.
    Try(Box<LegacyTry>),
}

/// A legacy `try` block: its body's handler scope, then its catch arms.
struct LegacyTry {
    /// Where throwing sites in the body go (see [`Scope`]).
    landing: ir::Block,
    /// Where an exception no catch takes goes next (the enclosing scope's
    /// landing; `None`: out of the function).
    outer: Option<ir::Block>,
    /// `(tag, block)` per `catch` (`None`: `catch_all`), in order; a block
    /// takes the payload, then the exception (for `rethrow`).
    catches: Vec<(Option<u32>, ir::Block)>,
    /// Still in the body (its scope is active).
    in_body: bool,
    /// The caught exception, in the catch arms (`rethrow`).
    exn: Variable,
}

/// An active exception handler scope: the body of a `try_table` or of a
/// legacy `try`. A site that may throw (a call, `throw`, ...) inside it
/// branches to `landing` with its `code_offset` when the run state's trap
/// word is set; the landing matches an exception against the handlers (a
/// trap, or an exception none takes, goes on to the enclosing scope or out
/// of the function, adding this frame at that `code_offset`). Code outside
/// every scope is what it was without exceptions.
struct Scope {
    landing: ir::Block,
    /// Index of the block in `FuncTranslator::ctrl` (for `delegate`).
    ctrl_index: usize,
}

struct Ctrl {
    kind: CtrlKind,
    /// Continuation after `end`, with one param per result.
    next: ir::Block,
    params: Vec<Type>,
    results: Vec<Type>,
    /// Operand stack height below this frame's params.
    height: usize,
    /// Some branch targets `next`.
    next_reached: bool,
}

pub(crate) struct FuncTranslator<'a, 'b, M: ClifModule> {
    b: FunctionBuilder<'b>,
    env: &'a FuncEnv<'a>,
    clif: &'a mut M,
    func_index: u32,
    result_types: Vec<Type>,
    vmctx: ir::Value,
    /// The caller's call depth (this function's `depth` parameter).
    depth: ir::Value,
    /// This call's depth, `depth + 1`: what its callees get.
    depth1: ir::Value,
    locals: Vec<Variable>,
    mem_base: Variable,
    mem_len: Variable,
    /// The memory base was read (with guard pages, once is enough).
    mem_loaded: bool,
    /// The run's fuel, kept in a register: loaded at entry, written back to
    /// the run state before every call, libcall and return, reloaded after
    /// calls. A loop then pays a register decrement, not a memory
    /// read-modify-write chain, per iteration.
    fuel: Variable,
    /// Fuel counts the interpreter's unit, its ops (one per wasm
    /// instruction, see `fuel_before`): these many ran since fuel was last
    /// charged, all of them without effects a stop could see (no trap, no
    /// store, no call), so they are charged together before the next op
    /// that has one, or where control flow merges.
    fuel_pending: u32,
    /// A conditional branch to the function's label pays the interpreter's
    /// extra `return` op when taken: (block that charges it, exit block),
    /// filled right after the branch (`fuel_fill_tramp`).
    fuel_tramp: Option<(ir::Block, ir::Block)>,
    stack: Vec<ir::Value>,
    ctrl: Vec<Ctrl>,
    reachable: bool,
    /// Nesting depth of blocks opened while unreachable.
    dead_depth: u32,
    code_offset: u32,
    callees: HashMap<u32, ir::FuncRef>,
    sigs: HashMap<u32, ir::SigRef>,
    libcall_sigs: HashMap<Libcall, ir::SigRef>,
    /// Loaded once in the entry block (which dominates every use): the run
    /// state, the interrupt flag's address and the global cell array.
    rt: Option<ir::Value>,
    flag_ptr: Option<ir::Value>,
    globals: Option<ir::Value>,
    /// The profile state pointer, loaded at entry in a profiling build.
    prof: Option<ir::Value>,
    /// One args/results/locals area per function (a stack slot), shared by
    /// the debug entry and the interrupt slow path.
    area: Option<ir::StackSlot>,
    /// Whether `area` also holds the live locals (small enough to spill).
    spill_locals: bool,
    /// With `spill_locals`: which locals are live at entry and loop headers.
    live: Option<super::liveness::Liveness>,
    /// The locals live before each compiled breakpoint check, by its
    /// `code_offset` (`breakcheck`: its stop saves only those); a site
    /// missing here (a body the analysis does not follow) saves every local.
    break_live: HashMap<u32, super::liveness::LocalSet>,
    /// The interrupt trampoline, once declared in this function.
    interrupt_trampoline: Option<ir::FuncRef>,
    /// With `spill_locals`: where an interrupted frame's locals are, one
    /// slot each, then the mask of the live ones (`LOCALS_SLOT_KEY`).
    locals_slot: Option<ir::StackSlot>,
    /// Active exception handler scopes, innermost last.
    scopes: Vec<Scope>,
    /// Whether the body has a `rethrow` (computed at its first legacy
    /// `catch`): without one a legacy catch never needs its exception.
    rethrows: Option<bool>,
    /// Bounds already checked in this straight-line stretch of code: an
    /// address (the i32 operand) and the end of the widest access through it
    /// that passed. Memory never shrinks, so a later access through the
    /// same address that ends no further needs no check; control flow
    /// starts a new stretch. `-O0` code reads its frame through one local at
    /// many offsets.
    checked: Vec<(ir::Value, u64)>,
    /// The operand area of GC libcalls (`gc::gc_call`), grown to the
    /// largest use.
    gc_area: Option<ir::StackSlot>,
}

/// The key of a function's locals slot, which the runtime finds from the
/// frame pointer (`FuncCode::locals_at`).
pub(crate) const LOCALS_SLOT_KEY: u64 = 0x7764_625f_6c6f_6361;

/// Functions with more locals than this report none when interrupted (the
/// locals slot, 16 bytes a local, would make every frame of theirs big), nor
/// do functions of modules without DWARF.
const MAX_SPILLED_LOCALS: usize = 256;

/// Nor do functions whose loops save more locals than this between them
/// (`liveness::Liveness::saves`).
const MAX_LOOP_SAVES: u32 = 64;

fn flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

/// For runtime fields that do not change while generated code runs, read
/// through pointers that are always valid (the vmctx, the run state): pure
/// to Cranelift, so it drops the unused ones, merges repeats and hoists
/// them out of loops.
fn readonly() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

impl<'a, 'b, M: ClifModule> FuncTranslator<'a, 'b, M> {
    pub(crate) fn new(
        b: FunctionBuilder<'b>,
        env: &'a FuncEnv<'a>,
        clif: &'a mut M,
        func_index: u32,
    ) -> Self {
        let mut b = b;
        let mem_base = b.declare_var(types::I64);
        let mem_len = b.declare_var(types::I64);
        let fuel = b.declare_var(types::I64);
        let result_types = env
            .module
            .func_type(func_index)
            .results()
            .iter()
            .map(|t| clif_type(*t))
            .collect();
        FuncTranslator {
            b,
            env,
            clif,
            func_index,
            result_types,
            vmctx: ir::Value::from_u32(0),
            depth: ir::Value::from_u32(0),
            depth1: ir::Value::from_u32(0),
            locals: Vec::new(),
            mem_base,
            mem_len,
            mem_loaded: false,
            fuel,
            fuel_pending: 0,
            fuel_tramp: None,
            stack: Vec::new(),
            ctrl: Vec::new(),
            reachable: true,
            dead_depth: 0,
            code_offset: 0,
            callees: HashMap::new(),
            sigs: HashMap::new(),
            libcall_sigs: HashMap::new(),
            rt: None,
            flag_ptr: None,
            globals: None,
            prof: None,
            area: None,
            spill_locals: false,
            live: None,
            break_live: HashMap::new(),
            interrupt_trampoline: None,
            locals_slot: None,
            scopes: Vec::new(),
            rethrows: None,
            checked: Vec::new(),
            gc_area: None,
        }
    }

    /// Translate the whole body and finalize the builder.
    pub(crate) fn translate(mut self) -> Result<()> {
        let module = self.env.module;
        let body = module
            .body(self.func_index)
            .expect("only defined functions are translated");
        let range = body.range.clone();
        let reader =
            wasmparser::BinaryReader::new(&module.bytes[range.clone()], range.start as u64);
        let fbody = wasmparser::FunctionBody::new(reader);
        let ops = fbody
            .get_operators_reader()
            .map_err(|e| Error::at(ErrorKind::Malformed, e.message(), e.offset() as usize))?;

        // Entry block: vmctx, params -> locals.
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        // Entry checks belong to the first instruction (where the
        // interpreter puts a function's entry breakpoint).
        self.set_offset(ops.original_position() as usize);
        let all_params: Vec<ir::Value> = self.b.block_params(entry).to_vec();
        self.vmctx = all_params[0];
        self.depth = all_params[1];
        // The wasm parameters.
        let params = &all_params[2..];
        // Fuel first: every return path below (the debug hook's too) writes
        // it back.
        let rt = self.load_rt();
        self.rt = Some(rt);
        self.reload_fuel();
        let local_types = module.local_types(self.func_index);
        // Locals for an interrupted frame, in modules with DWARF (debug
        // builds, whose variables live in locals): the ones live there (see
        // `liveness`), then a mask of which those are. The debugger shows
        // them, and the interpreter can take over from a loop header.
        // Optimised modules keep none: there the values the slow path
        // stores still cost registers in the loop (fib-O2, nbody-O2 and
        // quicksort-O2 1.11x–1.12x under the debugger with them, against
        // 1.02x–1.09x without).
        self.spill_locals = self.env.resumable_interrupts.is_some()
            && local_types.len() <= MAX_SPILLED_LOCALS
            && module.custom_section(".debug_info").is_some();
        let sites: Vec<u32> = self.env.break_sites.iter().map(|s| s.code_offset).collect();
        if self.spill_locals {
            // `None`: the body handles exceptions, whose edges the analysis
            // does not follow; such a function keeps no locals.
            // Optimised code whose loops keep many values in locals (a
            // libc's `printf_core`: 582 saves over 53 loops, `dlmalloc`
            // 112) keeps none: the saves grew its code by half, and
            // compiling it was most of the debugger's start-up. `-O0`
            // code keeps its variables in memory and a local or two per
            // loop.
            let watched = super::liveness::Watched {
                stores: self.env.watch_stores,
                loads: self.env.watch_loads,
            };
            match super::liveness::analyze_with(module, self.func_index, &sites, watched)? {
                Some(live) if live.saves() <= MAX_LOOP_SAVES => {
                    self.break_live = live.at_sites.clone();
                    self.live = Some(live);
                }
                Some(live) => {
                    self.break_live = live.at_sites;
                    self.spill_locals = false;
                }
                None => self.spill_locals = false,
            }
        } else if !sites.is_empty()
            && let Some(live) = super::liveness::analyze_with(
                module,
                self.func_index,
                &sites,
                super::liveness::Watched {
                    stores: self.env.watch_stores,
                    loads: self.env.watch_loads,
                },
            )?
        {
            self.break_live = live.at_sites;
        }
        if self.spill_locals || !self.env.break_sites.is_empty() {
            let n = local_types.len();
            let slot_size = self.env.layout.slot_size as usize;
            let size = n * slot_size + n.div_ceil(64) * 8;
            // Only a function that keeps its locals for interrupts (and
            // deopts) names the slot for the runtime; a checked version
            // that does not passes it to `BreakHit` itself.
            let data = if self.spill_locals {
                StackSlotData::new_with_key(
                    StackSlotKind::ExplicitSlot,
                    size as u32,
                    4,
                    ir::StackSlotKey::new(LOCALS_SLOT_KEY),
                )
            } else {
                StackSlotData::new(StackSlotKind::ExplicitSlot, size as u32, 4)
            };
            self.locals_slot = Some(self.b.create_sized_stack_slot(data));
        }
        let slots = [params.len(), self.result_types.len(), 1]
            .into_iter()
            .max()
            .expect("not empty") as u32;
        self.area = Some(self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            slots * self.env.layout.slot_size as u32,
            4,
        )));
        if self.env.breakpoints {
            self.debug_entry_check(params);
        }
        for (i, ty) in local_types.iter().enumerate() {
            let ct = clif_type(*ty);
            let var = self.b.declare_var(ct);
            // A GC reference in a local is a root at every call.
            if module.uses_gc_refs && crate::translate::is_any_ref(module, *ty) {
                self.b.declare_var_needs_stack_map(var);
            }
            let init = if i < params.len() {
                params[i]
            } else {
                self.zero(ct)
            };
            self.b.def_var(var, init);
            self.locals.push(var);
        }
        self.reload_memory();
        let rt = self.load_rt();
        // Pointers that stay put during a run are read-only loads, which
        // Cranelift drops where unused (a leaf without a loop never reads
        // the interrupt flag) and merges where repeated.
        let fp = self
            .b
            .ins()
            .load(types::I64, readonly(), rt, self.env.layout.rt_interrupt);
        self.flag_ptr = Some(fp);
        let globals = self.b.ins().load(
            types::I64,
            readonly(),
            self.vmctx,
            self.env.layout.vmctx_globals,
        );
        self.globals = Some(globals);

        // Call depth, interrupt and fuel at entry.
        let rt = self.load_rt();
        let l = self.env.layout;
        let depth1 = self.b.ins().iadd_imm_s(self.depth, 1);
        self.depth1 = depth1;
        if self.is_light_leaf(&ops, local_types.len())? {
            // A leaf: no calls, so no recursion through it and a frame of
            // bounded size (within the stack margin below the limit), and
            // without a loop it ends soon (a loop polls at its header). Like
            // wasmtime's frameless leaves, it skips the stack check and the
            // interrupt poll; the depth limit may be passed by this one frame.
            self.translate_ops(ops)?;
            return self.finish_body();
        }
        let max = self
            .b
            .ins()
            .load(types::I32, readonly(), rt, l.rt_max_depth);
        let over = self.b.ins().icmp(IntCC::UnsignedGreaterThan, depth1, max);
        // The native stack too: big frames can exhaust it before the depth limit.
        let sp = self.b.ins().get_stack_pointer(types::I64);
        let limit = self.b.ins().load(types::I64, flags(), rt, l.rt_stack_limit);
        let low = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
        let over = self.b.ins().bor(over, low);
        // Like the interpreter, the frame that could not be entered is not
        // in the backtrace: the trap belongs to the caller's call site.
        let saved = self.func_index;
        self.func_index = NO_FRAME;
        self.trap_if(over, trap_word::STACK_EXHAUSTED);
        self.func_index = saved;
        if self.env.profile {
            self.prof = Some(prof::emit_enter(&mut self.b, rt, depth1, self.func_index));
        }
        self.poll(true);
        self.translate_ops(ops)?;
        self.finish_body()
    }

    /// A leaf (no `call` or `call_indirect`) with at most
    /// `MAX_LIGHT_LEAF_LOCALS` locals, in code with neither fuel nor
    /// profiling (which count every entry).
    fn is_light_leaf(&self, ops: &OperatorsReader<'_>, num_locals: usize) -> Result<bool> {
        if self.env.fuel || self.env.profile || num_locals > MAX_LIGHT_LEAF_LOCALS {
            return Ok(false);
        }
        let mut r = ops.clone();
        while !r.eof() {
            let op = r
                .read()
                .map_err(|e| Error::at(ErrorKind::Malformed, e.message(), e.offset() as usize))?;
            // A tail call is no leaf either: a cycle of them never returns,
            // so its entries must poll.
            if matches!(
                op,
                Operator::Call { .. }
                    | Operator::CallIndirect { .. }
                    | Operator::CallRef { .. }
                    | Operator::ReturnCall { .. }
                    | Operator::ReturnCallIndirect { .. }
                    | Operator::ReturnCallRef { .. }
            ) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The body's operators, from after the entry checks to the end.
    fn translate_ops(&mut self, mut ops: OperatorsReader<'_>) -> Result<()> {
        // The function body is a block whose continuation returns.
        let exit = self.b.create_block();
        for t in self.result_types.clone() {
            self.b.append_block_param(exit, t);
        }
        self.ctrl.push(Ctrl {
            kind: CtrlKind::Block,
            next: exit,
            params: vec![],
            results: self.result_types.clone(),
            height: 0,
            next_reached: false,
        });

        // In a module that can hold GC objects, a validator alongside says
        // which operands are references the collector must find.
        let mut gc = if self.env.module.uses_gc_refs {
            Some(gc::GcTrack::new(self.env.module, self.func_index)?)
        } else {
            None
        };
        while !ops.eof() {
            let (op, offset) = ops
                .read_with_offset()
                .map_err(|e| Error::at(ErrorKind::Malformed, e.message(), e.offset() as usize))?;
            self.set_offset(offset as usize);
            if self.reachable
                && let Some(site) = self
                    .env
                    .break_sites
                    .iter()
                    .find(|s| s.code_offset == self.code_offset)
            {
                if self.env.fuel {
                    self.fuel_charge(0);
                }
                self.break_check(site);
            }
            match &mut gc {
                None => self.op(op)?,
                Some(g) => {
                    g.op(offset, &op)?;
                    self.op(op)?;
                    if self.reachable {
                        self.declare_gc_operands(g);
                    }
                }
            }
        }
        // The final `end` switched to `exit` (if reachable): return from there.
        if self.reachable {
            let results: Vec<ir::Value> = self.stack.drain(..).collect();
            self.return_from_call(&results);
        }
        Ok(())
    }

    fn finish_body(self) -> Result<()> {
        let config = self.clif.target_config();
        self.b.finalize(config);
        Ok(())
    }

    fn set_offset(&mut self, module_offset: usize) {
        self.code_offset = self
            .env
            .module
            .code_offset_from_module_offset(module_offset);
        self.b.set_srcloc(SourceLoc::new(self.code_offset));
    }

    fn zero(&mut self, t: Type) -> ir::Value {
        match t {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            t if t.is_vector() => {
                let z = self.b.ins().iconst(types::I64, 0);
                let v = self.b.ins().splat(types::I64X2, z);
                self.b.ins().bitcast(
                    t,
                    MemFlagsData::new().with_endianness(ir::Endianness::Little),
                    v,
                )
            }
            t => self.b.ins().iconst(t, 0),
        }
    }

    fn load_rt(&mut self) -> ir::Value {
        if let Some(rt) = self.rt {
            return rt;
        }
        self.b
            .ins()
            .load(types::I64, readonly(), self.vmctx, self.env.layout.vmctx_rt)
    }

    /// Leave this call: fuel written back, the profile's shadow stack
    /// popped, return `results`.
    fn return_from_call(&mut self, results: &[ir::Value]) {
        self.spill_fuel();
        self.leave_profile();
        self.b.ins().return_(results);
    }

    /// Pop this call off the profile's shadow stack (profiled code).
    fn leave_profile(&mut self) {
        if let Some(p) = self.prof {
            prof::emit_leave(&mut self.b, p, self.depth);
        }
    }

    fn libcall(&mut self, lc: Libcall, args: &[ir::Value]) -> Option<ir::Value> {
        let sig = match self.libcall_sigs.get(&lc) {
            Some(s) => *s,
            None => {
                let s = self.b.import_signature(lc.signature(self.env.call_conv));
                self.libcall_sigs.insert(lc, s);
                s
            }
        };
        let table = self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            self.vmctx,
            self.env.layout.vmctx_libcalls,
        );
        let f = self
            .b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), table, (lc as i32) * 8);
        let mut all = vec![self.vmctx];
        all.extend_from_slice(args);
        self.spill_fuel();
        let call = self.b.ins().call_indirect(sig, f, &all);
        let result = self.b.inst_results(call).first().copied();
        self.reload_fuel();
        result
    }

    fn pop(&mut self) -> ir::Value {
        self.stack
            .pop()
            .expect("validated: operand stack not empty")
    }

    fn pop2(&mut self) -> (ir::Value, ir::Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    fn pop3(&mut self) -> (ir::Value, ir::Value, ir::Value) {
        let c = self.pop();
        let (a, b) = self.pop2();
        (a, b, c)
    }

    fn push(&mut self, v: ir::Value) {
        self.stack.push(v);
    }

    fn peekn(&self, n: usize) -> Vec<ir::Value> {
        self.stack[self.stack.len() - n..].to_vec()
    }

    fn block_types(&self, bt: BlockType) -> (Vec<Type>, Vec<Type>) {
        match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (vec![], vec![clif_type(t)]),
            BlockType::FuncType(i) => {
                let ft = &self.env.module.types[i as usize];
                (
                    ft.params().iter().map(|t| clif_type(*t)).collect(),
                    ft.results().iter().map(|t| clif_type(*t)).collect(),
                )
            }
        }
    }

    fn new_block_with(&mut self, tys: &[Type]) -> ir::Block {
        let blk = self.b.create_block();
        for t in tys {
            self.b.append_block_param(blk, *t);
        }
        blk
    }

    fn args(vals: &[ir::Value]) -> Vec<BlockArg> {
        vals.iter().map(|v| BlockArg::Value(*v)).collect()
    }

    /// The block a branch to relative depth `depth` jumps to (its
    /// arguments come from elsewhere: a catch clause's payload).
    fn branch_block(&mut self, depth: u32) -> ir::Block {
        let i = self.ctrl.len() - 1 - depth as usize;
        match self.ctrl[i].kind {
            CtrlKind::Loop { header } => header,
            _ => {
                self.ctrl[i].next_reached = true;
                self.ctrl[i].next
            }
        }
    }

    /// Block and arguments a branch to relative depth `depth` jumps to.
    fn branch_target(&mut self, depth: u32) -> (ir::Block, Vec<ir::Value>) {
        let i = self.ctrl.len() - 1 - depth as usize;
        let (blk, n) = match self.ctrl[i].kind {
            CtrlKind::Loop { header } => (header, self.ctrl[i].params.len()),
            _ => {
                self.ctrl[i].next_reached = true;
                (self.ctrl[i].next, self.ctrl[i].results.len())
            }
        };
        (blk, self.peekn(n))
    }

    fn global_cell(&mut self, index: u32) -> ir::Value {
        let arr = self.globals.expect("loaded at entry");
        self.b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), arr, (index * 8) as i32)
    }
}
