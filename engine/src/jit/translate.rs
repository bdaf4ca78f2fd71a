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

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    self, AbiParam, BlockArg, InstBuilder, JumpTableData, MemFlagsData, Signature, SourceLoc,
    StackSlotData, StackSlotKind, Type, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_module::{FuncId, Module as ClifModule};
use wasmparser::{BlockType, FuncType, MemArg, Operator, OperatorsReader, ValType};

mod gc;
mod simd;

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
            interrupt_trampoline: None,
            locals_slot: None,
            scopes: Vec::new(),
            rethrows: None,
            checked: Vec::new(),
            gc_area: None,
        }
    }

    /// The body has a `rethrow` (read once, at its first legacy `catch`).
    fn body_rethrows(&mut self) -> Result<bool> {
        if let Some(r) = self.rethrows {
            return Ok(r);
        }
        let module = self.env.module;
        let range = module
            .body(self.func_index)
            .expect("only defined functions are translated")
            .range
            .clone();
        let reader =
            wasmparser::BinaryReader::new(&module.bytes[range.clone()], range.start as u64);
        let malformed = |e: wasmparser::BinaryReaderError| {
            Error::at(ErrorKind::Malformed, e.message(), e.offset() as usize)
        };
        let mut ops = wasmparser::FunctionBody::new(reader)
            .get_operators_reader()
            .map_err(malformed)?;
        let mut found = false;
        while !ops.eof() {
            if matches!(ops.read().map_err(malformed)?, Operator::Rethrow { .. }) {
                found = true;
                break;
            }
        }
        self.rethrows = Some(found);
        Ok(found)
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
        if self.spill_locals {
            // `None`: the body handles exceptions, whose edges the analysis
            // does not follow; such a function keeps no locals.
            // Optimised code whose loops keep many values in locals (a
            // libc's `printf_core`: 582 saves over 53 loops, `dlmalloc`
            // 112) keeps none: the saves grew its code by half, and
            // compiling it was most of the debugger's start-up. `-O0`
            // code keeps its variables in memory and a local or two per
            // loop.
            match super::liveness::analyze(module, self.func_index)? {
                Some(live) if live.saves() <= MAX_LOOP_SAVES => self.live = Some(live),
                _ => self.spill_locals = false,
            }
        }
        if self.spill_locals {
            let n = local_types.len();
            let slot_size = self.env.layout.slot_size as usize;
            let size = n * slot_size + n.div_ceil(64) * 8;
            self.locals_slot = Some(self.b.create_sized_stack_slot(StackSlotData::new_with_key(
                StackSlotKind::ExplicitSlot,
                size as u32,
                4,
                ir::StackSlotKey::new(LOCALS_SLOT_KEY),
            )));
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

    /// A stand-in for this function that hands every call to the debug hook
    /// and returns its results: where code has no break-flag checks, a
    /// breakpoint redirects the function's entry here (`super::patch`).
    pub(crate) fn translate_debug_stub(mut self) -> Result<()> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let all_params: Vec<ir::Value> = self.b.block_params(entry).to_vec();
        self.vmctx = all_params[0];
        self.depth = all_params[1];
        let params = &all_params[2..];
        let slots = params.len().max(self.result_types.len()).max(1) as u32;
        self.area = Some(self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            slots * self.env.layout.slot_size as u32,
            4,
        )));
        self.enter_debug_and_return(params);
        self.finish_body()
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

    /// `if vmctx.break_funcs[func_index] != 0`: hand this call to the debug
    /// hook (`EnterDebug`), which runs it elsewhere and writes its results,
    /// and return them. Two loads and a branch when no flag is set.
    fn debug_entry_check(&mut self, params: &[ir::Value]) {
        let l = self.env.layout;
        let table = self
            .b
            .ins()
            .load(types::I64, readonly(), self.vmctx, l.vmctx_break_funcs);
        let flag = self
            .b
            .ins()
            .load(types::I8, flags(), table, self.func_index as i32);
        self.if_cold(flag, |t| t.enter_debug_and_return(params));
    }

    /// The break flag is set: hand this call to the debug hook and return
    /// its results.
    fn enter_debug_and_return(&mut self, params: &[ir::Value]) {
        let l = self.env.layout;
        let ss = self.area.expect("made before the entry check");
        let area = self.b.ins().stack_addr(types::I64, ss, 0);
        for (i, p) in params.iter().enumerate() {
            self.b
                .ins()
                .store(MemFlagsData::trusted(), *p, area, i as i32 * l.slot_size);
        }
        let f = self.b.ins().iconst(types::I32, self.func_index as i64);
        let fp = self.b.ins().get_frame_pointer(types::I64);
        self.libcall(Libcall::EnterDebug, &[f, area, fp]);
        // A trap (or exit) in the hook: unwind without adding this frame (the
        // interpreter's backtrace already has it); callers add theirs.
        self.return_if_trapped_adding_no_frame();
        let results: Vec<ir::Value> = self
            .result_types
            .clone()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                self.b
                    .ins()
                    .load(*t, MemFlagsData::trusted(), area, i as i32 * l.slot_size)
            })
            .collect();
        self.spill_fuel();
        self.b.ins().return_(&results);
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

    /// Reload the memory base and length (after calls and `memory.grow`).
    /// With guard pages the base never moves and accesses are not checked
    /// against the length: the base is read once, at entry, and
    /// `memory.size` reads the length where it is used.
    fn reload_memory(&mut self) {
        if self.env.guard_pages && self.mem_loaded {
            return;
        }
        self.mem_loaded = true;
        if self.env.module.memories.is_empty() {
            let z = self.b.ins().iconst(types::I64, 0);
            self.b.def_var(self.mem_base, z);
            self.b.def_var(self.mem_len, z);
            return;
        }
        let l = self.env.layout;
        let cell = self
            .b
            .ins()
            .load(types::I64, readonly(), self.vmctx, l.vmctx_mem);
        if self.env.guard_pages {
            // Not a movable load: read once at entry, held in a register or
            // spilled as the register allocator sees fit. As a pure load,
            // Cranelift re-derived it inside the loops of code for the
            // debugger (sieve-O2 1.15x slower than plain code, 1.00x so).
            let base = self.b.ins().load(types::I64, flags(), cell, l.mem_base);
            self.b.def_var(self.mem_base, base);
            return;
        }
        let base = self.b.ins().load(types::I64, flags(), cell, l.mem_base);
        let len = self.b.ins().load(types::I64, flags(), cell, l.mem_len);
        self.b.def_var(self.mem_base, base);
        self.b.def_var(self.mem_len, len);
    }

    /// The memory's current length in bytes.
    fn memory_len(&mut self) -> ir::Value {
        if !self.env.guard_pages {
            return self.b.use_var(self.mem_len);
        }
        let l = self.env.layout;
        let cell = self
            .b
            .ins()
            .load(types::I64, readonly(), self.vmctx, l.vmctx_mem);
        self.b.ins().load(types::I64, flags(), cell, l.mem_len)
    }

    /// Write the fuel register back to the run state (before anything that
    /// can run other code, read it, or leave this function).
    fn spill_fuel(&mut self) {
        if !self.env.fuel {
            return;
        }
        let rt = self.load_rt();
        let fuel = self.b.use_var(self.fuel);
        self.b
            .ins()
            .store(flags(), fuel, rt, self.env.layout.rt_fuel);
    }

    /// Take the fuel back after a call (the callee spent some).
    fn reload_fuel(&mut self) {
        if !self.env.fuel {
            return;
        }
        let rt = self.load_rt();
        let fuel = self
            .b
            .ins()
            .load(types::I64, flags(), rt, self.env.layout.rt_fuel);
        self.b.def_var(self.fuel, fuel);
    }

    /// The interrupt flag, at function entry and loop headers (fuel is
    /// charged per block: `fuel_before`).
    fn poll(&mut self, at_entry: bool) {
        let l = self.env.layout;
        let rt = self.load_rt();
        let flag_ptr = match self.flag_ptr {
            Some(p) => p,
            None => self
                .b
                .ins()
                .load(types::I64, readonly(), rt, l.rt_interrupt),
        };
        // An atomic load: another thread sets the flag, and a plain load
        // in a loop without stores would be merged with the one at entry by
        // Cranelift's redundant-load elimination (a plain `mov` on x86).
        let flag = self.b.ins().atomic_load(types::I8, flags(), flag_ptr);
        if self.env.resumable_interrupts.is_some() {
            match (self.env.direct)(self.func_index).filter(|_| at_entry) {
                Some(me) => self.interrupt_check_at_entry(flag, me),
                None => self.interrupt_check(flag, at_entry),
            }
        } else {
            self.trap_if(flag, trap_word::INTERRUPTED);
        }
    }

    /// Fuel for operator `op` (reachable), in the interpreter's unit: the
    /// ops its translator emits and runs for it (`translate/mod.rs`), so
    /// `--fuel N` stops at the same instruction in every engine. An op
    /// without visible effects adds to `fuel_pending`; any other op, a
    /// branch or a merge point charges what is pending and its own ops
    /// first (`fuel_charge`). Then an out-of-fuel stop comes before the
    /// first op the interpreter would not have run, and the ops skipped
    /// before it could not have trapped.
    fn fuel_before(&mut self, op: &Operator<'_>) {
        use Operator as O;
        match op {
            // No op of their own.
            O::Nop | O::Block { .. } | O::Try { .. } | O::TryTable { .. } => {}
            // A loop header is a branch target.
            O::Loop { .. } => self.fuel_charge(0),
            // A merge point; the body's own `end` is the interpreter's `return`.
            O::End | O::Delegate { .. } => {
                if self.reachable {
                    let body = self.ctrl.len() == 1;
                    self.fuel_charge(body as u32);
                }
            }
            // Leaving the `then` (or `try`) part is a `br` to the end.
            O::Else | O::Catch { .. } | O::CatchAll => {
                if self.reachable {
                    self.fuel_charge(1);
                }
            }
            // `br_table` and then one of its `br` entries; a cast and a `br_if`.
            O::BrTable { .. } | O::BrOnCast { .. } | O::BrOnCastFail { .. } => self.fuel_charge(2),
            op if fuel_pure(op) => self.fuel_pending += 1,
            _ => self.fuel_charge(1),
        }
    }

    /// Charge the pending ops and `extra` more: out of fuel when less is left.
    fn fuel_charge(&mut self, extra: u32) {
        let n = std::mem::take(&mut self.fuel_pending) + extra;
        if n == 0 {
            return;
        }
        let fuel = self.b.use_var(self.fuel);
        let fuel1 = self.b.ins().iadd_imm_s(fuel, -(n as i64));
        self.b.def_var(self.fuel, fuel1);
        let out = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, fuel1, 0);
        self.trap_if(out, trap_word::OUT_OF_FUEL);
    }

    /// The target of a conditional branch to relative depth `depth`: with
    /// fuel, a branch to the function's label goes through a block that
    /// charges the interpreter's `return` op (filled by `fuel_fill_tramp`
    /// once the branch is emitted).
    pub(crate) fn cond_branch_target(&mut self, depth: u32) -> (ir::Block, Vec<ir::Value>) {
        let (blk, args) = self.branch_target(depth);
        if !self.env.fuel || self.ctrl.len() - 1 != depth as usize {
            return (blk, args);
        }
        let tys = self.result_types.clone();
        let tramp = self.new_block_with(&tys);
        self.fuel_tramp = Some((tramp, blk));
        (tramp, args)
    }

    /// Fill the block `cond_branch_target` made, if any (the current block
    /// must be filled: call right after the branch).
    pub(crate) fn fuel_fill_tramp(&mut self) {
        let Some((tramp, exit)) = self.fuel_tramp.take() else {
            return;
        };
        self.b.seal_block(tramp);
        self.b.switch_to_block(tramp);
        self.fuel_charge(1);
        let ps = self.b.block_params(tramp).to_vec();
        self.b.ins().jump(exit, &Self::args(&ps));
    }

    /// In an interrupt's slow path: save the live locals the loop writes
    /// and the mask of all live ones to the frame's locals slot (when this
    /// function keeps them for the debugger; the others were saved on
    /// entering the loop), write the site to the run state, and call the
    /// runtime (through the trampoline, which takes no arguments), which
    /// pauses for the debugger.
    ///
    /// Nothing here may hold a register through the loop or fix one: what
    /// it uses beyond the hot path is constants, the run state pointer, and
    /// values the loop itself changes.
    ///
    /// Returns the trap word after the hook, and whether the interpreter may
    /// take over the rest of the call here (`JitStop::takeover`).
    fn call_interrupt_hook(&mut self, at_entry: bool) -> (ir::Value, bool) {
        let l = self.env.layout;
        // (live, saved here): at a loop header, the loop's invariants were
        // saved on entering it (`save_on_entering_loop`).
        let live = self.live.as_ref().and_then(|live| {
            if at_entry {
                Some((live.entry.clone(), live.entry.clone()))
            } else {
                let ll = live.loops.get(&self.code_offset)?;
                Some((ll.live.clone(), ll.varying.clone()))
            }
        });
        let rt = self.load_rt();
        let has_locals = live.is_some();
        if let Some((live, here)) = live {
            self.save_locals(&here);
            let ss = self.locals_slot.expect("made with `live`");
            let n = self.locals.len() as i32;
            for (w, bits) in live.iter().enumerate() {
                let m = self.b.ins().iconst(types::I64, *bits as i64);
                self.b
                    .ins()
                    .stack_store(types::I64, m, ss, n * l.slot_size + w as i32 * 8);
            }
        }
        let tramp = self
            .env
            .resumable_interrupts
            .expect("only code for the debugger resumes");
        let fref = match self.interrupt_trampoline {
            Some(r) => r,
            None => {
                let r = self.clif.declare_func_in_func(tramp, self.b.func);
                self.interrupt_trampoline = Some(r);
                r
            }
        };
        // The interpreter starts a loop header with an empty operand stack
        // and the locals (compilers keep nothing on the stack across one),
        // and hands back results that fit `RtState::results`.
        let takeover = has_locals
            && !at_entry
            && self.stack.is_empty()
            && self.result_types.len() <= super::vm::RESULT_SLOTS;
        let site = self.func_index as u64
            | (self.code_offset as u64) << 32
            | (takeover as u64) << 62
            | (has_locals as u64) << 63;
        let site = self.b.ins().iconst(types::I64, site as i64);
        self.b.ins().store(flags(), site, rt, l.rt_interrupt_site);
        self.spill_fuel();
        self.b.ins().call(fref, &[]);
        self.reload_fuel();
        // The hook's verdict: a trap word (`DEBUG_OUTCOME`) means unwind,
        // `TAKEN_OVER` return.
        (self.trap_word(), takeover)
    }

    /// Store the locals in `set` to this frame's locals slot.
    fn save_locals(&mut self, set: &[u64]) {
        let ss = self.locals_slot.expect("made with `live`");
        let size = self.env.layout.slot_size;
        for (i, var) in self.locals.clone().into_iter().enumerate() {
            if super::liveness::contains(set, i) {
                let v = self.b.use_var(var);
                self.b.ins().stack_store(types::I64, v, ss, i as i32 * size);
            }
        }
    }

    /// On entering a loop (before its header): save the live locals it
    /// never writes, which its interrupt check then leaves alone.
    fn save_on_entering_loop(&mut self) {
        let Some(save) = self
            .live
            .as_ref()
            .and_then(|l| l.loops.get(&self.code_offset))
            .map(|ll| ll.save_on_entry.clone())
        else {
            return;
        };
        self.save_locals(&save);
    }

    /// After the interpreter ran the rest of this call (`TAKEN_OVER`):
    /// clear the word and return its results, left in `RtState::results`.
    fn return_taken_over(&mut self) {
        let l = self.env.layout;
        let rt = self.load_rt();
        let zero = self.b.ins().iconst(types::I32, 0);
        self.b.ins().store(flags(), zero, rt, l.rt_trap);
        let results: Vec<ir::Value> = self
            .result_types
            .clone()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = l.rt_results + i as i32 * l.slot_size;
                self.b.ins().load(*t, MemFlagsData::trusted(), rt, at)
            })
            .collect();
        self.return_from_call(&results);
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

    /// The interrupt flag is set: spill the locals and ask the runtime
    /// (`Interrupt`), which pauses for the debugger and says whether to go
    /// on (the common case) or unwind.
    fn interrupt_check(&mut self, flag: ir::Value, at_entry: bool) {
        let slow = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(flag, slow, &[], cont, &[]);
        self.b.seal_block(slow);
        self.b.switch_to_block(slow);
        let (word, takeover) = self.call_interrupt_hook(at_entry);
        let stop = self.b.create_block();
        self.b.set_cold_block(stop);
        self.b.ins().brif(word, stop, &[], cont, &[]);
        self.b.seal_block(stop);
        self.b.seal_block(cont);
        self.b.switch_to_block(stop);
        if takeover {
            // The interpreter ran the rest of the call: return its results,
            // or unwind without this frame (its backtrace has it).
            let is = |t: &mut Self, w: u32| t.b.ins().icmp_imm_s(IntCC::Equal, word, w as i64);
            let returned = is(self, trap_word::TAKEN_OVER);
            self.if_cold(returned, Self::return_taken_over);
            let unwound = is(self, trap_word::TAKEN_OVER_UNWOUND);
            self.if_cold(unwound, |t| {
                let rt = t.load_rt();
                let w =
                    t.b.ins()
                        .iconst(types::I32, trap_word::DEBUG_OUTCOME as i64);
                t.b.ins().store(flags(), w, rt, t.env.layout.rt_trap);
                t.return_zeros();
            });
        }
        self.unwind_and_return(0);
        self.b.switch_to_block(cont);
    }

    /// The interrupt check at function entry, in code compiled for the
    /// debugger: as [`Self::interrupt_check`], but the slow path does not
    /// rejoin the body. Nothing of this call has run yet, so resuming calls
    /// the function again (undoing this entry's call depth; the new call
    /// re-runs the entry checks, so a breakpoint set meanwhile takes it) and
    /// returns its results. A rejoining slow path keeps values live across
    /// the hook's call, which made every call of call-heavy code ~12% slower.
    /// The extra native frame has the call site [`RESTART_SITE`], which the
    /// frame walk skips.
    fn interrupt_check_at_entry(&mut self, flag: ir::Value, me: FuncId) {
        self.if_cold(flag, |t| t.restart_after_interrupt(me));
    }

    /// The entry's interrupt slow path: ask the hook, then unwind, or call
    /// this function again and return its results.
    fn restart_after_interrupt(&mut self, me: FuncId) {
        let (unwind, _) = self.call_interrupt_hook(true);
        self.trap_if(unwind, 0);
        self.leave_profile();
        let nparams = self.env.module.func_type(self.func_index).params().len();
        // The same call again, at the same depth.
        let mut all = vec![self.vmctx, self.depth];
        for i in 0..nparams {
            all.push(self.b.use_var(self.locals[i]));
        }
        let fref = match self.callees.get(&self.func_index) {
            Some(f) => *f,
            None => {
                let f = self.clif.declare_func_in_func(me, self.b.func);
                self.callees.insert(self.func_index, f);
                f
            }
        };
        self.b.set_srcloc(SourceLoc::new(RESTART_SITE));
        self.spill_fuel();
        let call = self.b.ins().call(fref, &all);
        let results = self.b.inst_results(call).to_vec();
        self.reload_fuel();
        self.b.set_srcloc(SourceLoc::new(self.code_offset));
        // A trap in the new call recorded its frames; this frame is the
        // same call, so it adds none.
        self.return_if_trapped_adding_no_frame();
        self.spill_fuel();
        self.b.ins().return_(&results);
    }

    /// After a call that ran this function's own call elsewhere (the debug
    /// hook, a restart): when it trapped or exited, return at once, adding
    /// no frame (that call's backtrace has this one).
    fn return_if_trapped_adding_no_frame(&mut self) {
        let w = self.trap_word();
        self.if_cold(w, Self::return_zeros);
    }

    /// The run state's trap word (nonzero: a callee trapped or exited).
    fn trap_word(&mut self) -> ir::Value {
        let rt = self.load_rt();
        self.b
            .ins()
            .load(types::I32, flags(), rt, self.env.layout.rt_trap)
    }

    /// When `cond` is nonzero, run `leave` (which ends in a return) in a
    /// cold block; go on after it otherwise.
    fn if_cold(&mut self, cond: ir::Value, leave: impl FnOnce(&mut Self)) {
        let cold = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(cold);
        // Inside a cold path, what follows is cold too.
        if let Some(here) = self.b.current_block()
            && self.b.func.layout.is_cold(here)
        {
            self.b.set_cold_block(cont);
        }
        self.b.ins().brif(cond, cold, &[], cont, &[]);
        self.b.seal_block(cold);
        self.b.seal_block(cont);
        self.b.switch_to_block(cold);
        leave(self);
        self.b.switch_to_block(cont);
    }

    fn return_zeros(&mut self) {
        let zeros: Vec<ir::Value> = self
            .result_types
            .clone()
            .into_iter()
            .map(|t| self.zero(t))
            .collect();
        self.spill_fuel();
        self.b.ins().return_(&zeros);
    }

    /// Branch to a cold block that records `code` at this site and returns.
    fn trap_if(&mut self, cond: ir::Value, code: u32) {
        self.if_cold(cond, |t| t.unwind_and_return(code));
    }

    fn unwind_and_return(&mut self, code: u32) {
        let c = self.b.ins().iconst(types::I32, code as i64);
        let f = self.b.ins().iconst(types::I32, self.func_index as i64);
        let o = self.b.ins().iconst(types::I32, self.code_offset as i64);
        self.libcall(Libcall::Unwind, &[c, f, o]);
        self.return_zeros();
    }

    fn trap_here(&mut self, code: u32) {
        self.unwind_and_return(code);
        self.reachable = false;
    }

    /// After a call: if the callee trapped (or threw), add this frame and
    /// return; inside a handler scope, go to its landing instead.
    fn check_trap(&mut self) {
        let w = self.trap_word();
        let Some(landing) = self.scopes.last().map(|s| s.landing) else {
            return self.trap_if(w, 0);
        };
        let off = self.b.ins().iconst(types::I32, self.code_offset as i64);
        let cont = self.b.create_block();
        if let Some(here) = self.b.current_block()
            && self.b.func.layout.is_cold(here)
        {
            self.b.set_cold_block(cont);
        }
        self.b
            .ins()
            .brif(w, landing, &[BlockArg::Value(off)], cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    /// An exception is in flight from here (`throw`, `throw_ref`,
    /// `rethrow`): to the innermost handler scope's landing, or out of the
    /// function with this frame.
    fn propagate(&mut self) {
        match self.scopes.last().map(|s| s.landing) {
            Some(landing) => {
                let off = self.b.ins().iconst(types::I32, self.code_offset as i64);
                self.b.ins().jump(landing, &[BlockArg::Value(off)]);
            }
            None => self.unwind_and_return(0),
        }
        self.reachable = false;
    }

    /// A handler scope's landing block: cold, one param (the throwing
    /// site's `code_offset`).
    fn new_landing(&mut self) -> ir::Block {
        let landing = self.b.create_block();
        self.b.append_block_param(landing, types::I32);
        self.b.set_cold_block(landing);
        landing
    }

    /// Leave a landing whose handlers did not take what is in flight: to
    /// `outer` (a landing) or out of the function, adding this frame at the
    /// throwing site `off`.
    fn pass_on(&mut self, outer: Option<ir::Block>, off: ir::Value) {
        match outer {
            Some(o) => {
                self.b.ins().jump(o, &[BlockArg::Value(off)]);
            }
            None => {
                let c = self.b.ins().iconst(types::I32, 0);
                let f = self.b.ins().iconst(types::I32, self.func_index as i64);
                self.libcall(Libcall::Unwind, &[c, f, off]);
                self.return_zeros();
            }
        }
    }

    /// The payload types of tag `tag_index`.
    fn tag_types(&self, tag_index: u32) -> Vec<Type> {
        let m = self.env.module;
        let ty = m.tags[tag_index as usize];
        m.types[ty as usize]
            .params()
            .iter()
            .map(|t| clif_type(*t))
            .collect()
    }

    /// A new args area of `n` slots (at least one), its address.
    fn value_area(&mut self, n: usize) -> ir::Value {
        let ss = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            n.max(1) as u32 * self.env.layout.slot_size as u32,
            4,
        ));
        self.b.ins().stack_addr(types::I64, ss, 0)
    }

    /// In a landing: the trap word is an exception (not a trap).
    fn is_exception(&mut self) -> ir::Value {
        let w = self.trap_word();
        self.b
            .ins()
            .icmp_imm_s(IntCC::Equal, w, trap_word::EXCEPTION as i64)
    }

    /// In a landing, when the exception in flight has tag `tag` (`None`:
    /// any): take it (the run goes on here) and return its payload values
    /// and the exception (an `exnref`); otherwise go to `no`. Without
    /// `keep` the handler never sees the exception itself (a `catch` that is
    /// not `_ref`, a legacy catch in a body without `rethrow`), so the
    /// runtime may release it (the value returned is then null).
    fn take_if(
        &mut self,
        tag: Option<u32>,
        no: ir::Block,
        keep: bool,
    ) -> (Vec<ir::Value>, ir::Value) {
        if let Some(tag) = tag {
            let t = self.b.ins().iconst(types::I32, tag as i64);
            let m = self
                .libcall(Libcall::CatchMatch, &[t])
                .expect("returns a flag");
            let take = self.b.create_block();
            self.b.set_cold_block(take);
            self.b.ins().brif(m, take, &[], no, &[]);
            self.b.seal_block(take);
            self.b.switch_to_block(take);
        }
        let tys = tag.map_or_else(Vec::new, |t| self.tag_types(t));
        let area = self.value_area(tys.len());
        let n = self.b.ins().iconst(types::I32, tys.len() as i64);
        let k = self.b.ins().iconst(types::I32, i64::from(keep));
        let exn = self
            .libcall(Libcall::CatchTake, &[area, n, k])
            .expect("returns the exception");
        let l = self.env.layout;
        let vals = tys
            .iter()
            .enumerate()
            .map(|(i, t)| {
                self.b
                    .ins()
                    .load(*t, MemFlagsData::trusted(), area, i as i32 * l.slot_size)
            })
            .collect();
        (vals, exn)
    }

    /// `try_table`: its body is a block; a landing (emitted here, before
    /// the body) tries its catch clauses in order, each branching to its
    /// label with the payload (and the exception for the `_ref` forms).
    fn try_table(&mut self, tt: wasmparser::TryTable) -> Result<()> {
        let (params, results) = self.block_types(tt.ty);
        let next = self.new_block_with(&results);
        let height = self.stack.len() - params.len();
        let landing = self.new_landing();
        let outer = self.scopes.last().map(|s| s.landing);
        // Catch labels count from outside the try_table.
        let mut clauses = Vec::new();
        for c in &tt.catches {
            use wasmparser::Catch as C;
            let (tag, label, with_ref) = match *c {
                C::One { tag, label } => (Some(tag), label, false),
                C::OneRef { tag, label } => (Some(tag), label, true),
                C::All { label } => (None, label, false),
                C::AllRef { label } => (None, label, true),
            };
            clauses.push((tag, self.branch_block(label), with_ref));
        }
        // The body starts in a block of its own, so the landing can be
        // written now (the current block must end first).
        let body = self.b.create_block();
        let args = self.peekn(params.len());
        let body_params: Vec<Type> = params.clone();
        for t in &body_params {
            self.b.append_block_param(body, *t);
        }
        self.b.ins().jump(body, &Self::args(&args));
        self.b.seal_block(body);
        self.b.switch_to_block(landing);
        let off = self.b.block_params(landing)[0];
        let is_exn = self.is_exception();
        let pass = self.b.create_block();
        self.b.set_cold_block(pass);
        let mut test = self.b.create_block();
        self.b.set_cold_block(test);
        self.b.ins().brif(is_exn, test, &[], pass, &[]);
        self.b.seal_block(test);
        for (tag, blk, with_ref) in clauses {
            self.b.switch_to_block(test);
            let no = self.b.create_block();
            self.b.set_cold_block(no);
            let (mut vals, exn) = self.take_if(tag, no, with_ref);
            if with_ref {
                vals.push(exn);
            }
            self.b.ins().jump(blk, &Self::args(&vals));
            self.b.seal_block(no);
            test = no;
            if tag.is_none() {
                break;
            }
        }
        // After a `catch_all`, `test` has no predecessor.
        self.b.switch_to_block(test);
        self.b.ins().jump(pass, &[]);
        self.b.seal_block(pass);
        self.b.switch_to_block(pass);
        self.pass_on(outer, off);
        self.b.switch_to_block(body);
        self.stack.truncate(height);
        let bp = self.b.block_params(body).to_vec();
        self.stack.extend(bp);
        self.scopes.push(Scope {
            landing,
            ctrl_index: self.ctrl.len(),
        });
        self.ctrl.push(Ctrl {
            kind: CtrlKind::TryTable,
            next,
            params,
            results,
            height,
            next_reached: false,
        });
        Ok(())
    }

    /// The end (or `delegate`) of a legacy `try`: its landing tries the
    /// catch arms in order, or (`delegate L`) hands everything to the
    /// handlers around label `L`.
    fn end_legacy_try(&mut self, t: LegacyTry, delegate: Option<u32>) {
        if t.in_body {
            self.scopes.pop();
        }
        self.b.seal_block(t.landing);
        self.b.switch_to_block(t.landing);
        let off = self.b.block_params(t.landing)[0];
        if let Some(depth) = delegate {
            // Label `depth` counts from outside this try: the innermost
            // active scope at or outside it takes over.
            let target = (self.ctrl.len() - 1).checked_sub(depth as usize);
            let outer = target.and_then(|i| {
                self.scopes
                    .iter()
                    .rev()
                    .find(|s| s.ctrl_index <= i)
                    .map(|s| s.landing)
            });
            self.pass_on(outer, off);
        } else {
            let is_exn = self.is_exception();
            let pass = self.b.create_block();
            self.b.set_cold_block(pass);
            let mut test = self.b.create_block();
            self.b.set_cold_block(test);
            self.b.ins().brif(is_exn, test, &[], pass, &[]);
            self.b.seal_block(test);
            // A legacy catch keeps its exception only for a `rethrow`.
            let keep = self.rethrows == Some(true);
            for (tag, blk) in &t.catches {
                self.b.switch_to_block(test);
                let no = self.b.create_block();
                self.b.set_cold_block(no);
                let (mut vals, exn) = self.take_if(*tag, no, keep);
                vals.push(exn);
                self.b.ins().jump(*blk, &Self::args(&vals));
                self.b.seal_block(no);
                test = no;
            }
            self.b.switch_to_block(test);
            self.b.ins().jump(pass, &[]);
            self.b.seal_block(pass);
            self.b.switch_to_block(pass);
            self.pass_on(t.outer, off);
        }
        for (_, blk) in &t.catches {
            self.b.seal_block(*blk);
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

    fn op(&mut self, op: Operator<'_>) -> Result<()> {
        if !self.reachable {
            match op {
                Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::Try { .. }
                | Operator::TryTable { .. } => {
                    self.dead_depth += 1;
                    return Ok(());
                }
                Operator::Else
                | Operator::Catch { .. }
                | Operator::CatchAll
                | Operator::Delegate { .. }
                | Operator::End
                    if self.dead_depth == 0 => {}
                Operator::End | Operator::Delegate { .. } => {
                    self.dead_depth -= 1;
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
        use Operator as O;
        if self.env.fuel {
            self.fuel_before(&op);
        }
        if matches!(
            op,
            O::Block { .. }
                | O::Loop { .. }
                | O::If { .. }
                | O::Else
                | O::End
                | O::Br { .. }
                | O::BrIf { .. }
                | O::BrTable { .. }
                | O::Return
                | O::Unreachable
                | O::BrOnNull { .. }
                | O::BrOnNonNull { .. }
                | O::Try { .. }
                | O::TryTable { .. }
                | O::Catch { .. }
                | O::CatchAll
                | O::Delegate { .. }
                | O::Throw { .. }
                | O::ThrowRef
                | O::Rethrow { .. }
        ) {
            self.checked.clear();
        }
        // GC operators (casts of function references too, in modules
        // without GC types).
        if self.gc_op(&op)? {
            return Ok(());
        }
        let l = self.env.layout;
        match op {
            O::Nop => {}
            O::Unreachable => self.trap_here(trap_word::UNREACHABLE),
            O::Block { blockty } => {
                let (params, results) = self.block_types(blockty);
                let next = self.new_block_with(&results);
                let height = self.stack.len() - params.len();
                self.ctrl.push(Ctrl {
                    kind: CtrlKind::Block,
                    next,
                    params,
                    results,
                    height,
                    next_reached: false,
                });
            }
            O::Loop { blockty } => {
                let (params, results) = self.block_types(blockty);
                let header = self.new_block_with(&params);
                let next = self.new_block_with(&results);
                let args = self.peekn(params.len());
                self.save_on_entering_loop();
                self.b.ins().jump(header, &Self::args(&args));
                self.b.switch_to_block(header);
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                let hp = self.b.block_params(header).to_vec();
                self.stack.extend(hp);
                self.ctrl.push(Ctrl {
                    kind: CtrlKind::Loop { header },
                    next,
                    params,
                    results,
                    height,
                    next_reached: false,
                });
                self.poll(false);
            }
            O::If { blockty } => {
                let (params, results) = self.block_types(blockty);
                let cond = self.pop();
                let then_b = self.new_block_with(&params);
                let else_b = self.new_block_with(&params);
                let next = self.new_block_with(&results);
                let args = Self::args(&self.peekn(params.len()));
                self.b.ins().brif(cond, then_b, &args, else_b, &args);
                self.b.seal_block(then_b);
                self.b.seal_block(else_b);
                self.b.switch_to_block(then_b);
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                let tp = self.b.block_params(then_b).to_vec();
                self.stack.extend(tp);
                self.ctrl.push(Ctrl {
                    kind: CtrlKind::If {
                        else_block: Some(else_b),
                    },
                    next,
                    params,
                    results,
                    height,
                    next_reached: false,
                });
            }
            O::Else => {
                let frame = self.ctrl.last_mut().expect("validated: else inside if");
                if self.reachable {
                    frame.next_reached = true;
                    let next = frame.next;
                    let n = frame.results.len();
                    let args = Self::args(&self.peekn(n));
                    self.b.ins().jump(next, &args);
                }
                let frame = self.ctrl.last_mut().expect("validated");
                let else_b = match &mut frame.kind {
                    CtrlKind::If { else_block } => else_block.take().expect("one else per if"),
                    _ => unreachable!("validated: else matches an if"),
                };
                let height = frame.height;
                self.stack.truncate(height);
                self.b.switch_to_block(else_b);
                let ep = self.b.block_params(else_b).to_vec();
                self.stack.extend(ep);
                self.reachable = true;
            }
            O::End | O::Delegate { .. } => {
                let frame = self.ctrl.pop().expect("validated: end matches a frame");
                let mut reached = frame.next_reached;
                if self.reachable {
                    let args = Self::args(&self.peekn(frame.results.len()));
                    self.b.ins().jump(frame.next, &args);
                    reached = true;
                }
                self.stack.truncate(frame.height);
                match frame.kind {
                    CtrlKind::Loop { header } => self.b.seal_block(header),
                    CtrlKind::TryTable => {
                        let scope = self.scopes.pop().expect("pushed by try_table");
                        self.b.seal_block(scope.landing);
                    }
                    CtrlKind::Try(t) => {
                        let delegate = match op {
                            O::Delegate { relative_depth } => Some(relative_depth),
                            _ => None,
                        };
                        self.end_legacy_try(*t, delegate);
                    }
                    CtrlKind::If {
                        else_block: Some(else_b),
                    } => {
                        // An `if` without `else`: its params flow through.
                        self.b.switch_to_block(else_b);
                        let ep = self.b.block_params(else_b).to_vec();
                        self.b.ins().jump(frame.next, &Self::args(&ep));
                        reached = true;
                    }
                    _ => {}
                }
                self.b.seal_block(frame.next);
                if reached {
                    self.b.switch_to_block(frame.next);
                    let np = self.b.block_params(frame.next).to_vec();
                    self.stack.extend(np);
                    self.reachable = true;
                } else {
                    self.reachable = false;
                }
            }
            O::TryTable { try_table } => self.try_table(try_table)?,
            O::Try { blockty } => {
                let (params, results) = self.block_types(blockty);
                let next = self.new_block_with(&results);
                let height = self.stack.len() - params.len();
                let landing = self.new_landing();
                let outer = self.scopes.last().map(|s| s.landing);
                self.scopes.push(Scope {
                    landing,
                    ctrl_index: self.ctrl.len(),
                });
                let exn = self.b.declare_var(types::I64);
                let zero = self.b.ins().iconst(types::I64, 0);
                self.b.def_var(exn, zero);
                self.ctrl.push(Ctrl {
                    kind: CtrlKind::Try(Box::new(LegacyTry {
                        landing,
                        outer,
                        catches: Vec::new(),
                        in_body: true,
                        exn,
                    })),
                    next,
                    params,
                    results,
                    height,
                    next_reached: false,
                });
            }
            O::Catch { .. } | O::CatchAll => {
                self.body_rethrows()?;
                let tag = match op {
                    O::Catch { tag_index } => Some(tag_index),
                    _ => None,
                };
                let reachable = self.reachable;
                let payload: Vec<Type> = tag.map_or_else(Vec::new, |t| self.tag_types(t));
                let frame = self.ctrl.last_mut().expect("validated: catch inside try");
                if reachable {
                    frame.next_reached = true;
                }
                let (next, nres, height) = (frame.next, frame.results.len(), frame.height);
                let CtrlKind::Try(t) = &mut frame.kind else {
                    unreachable!("validated: catch matches a try")
                };
                let first = t.in_body;
                t.in_body = false;
                let exn_var = t.exn;
                if reachable {
                    let args = Self::args(&self.peekn(nres));
                    self.b.ins().jump(next, &args);
                }
                if first {
                    self.scopes.pop();
                }
                let mut tys = payload.clone();
                tys.push(types::I64);
                let blk = self.new_block_with(&tys);
                self.b.set_cold_block(blk);
                if let Some(Ctrl {
                    kind: CtrlKind::Try(t),
                    ..
                }) = self.ctrl.last_mut()
                {
                    t.catches.push((tag, blk));
                }
                self.stack.truncate(height);
                self.b.switch_to_block(blk);
                let ps = self.b.block_params(blk).to_vec();
                let (exn, vals) = ps.split_last().expect("the exception param");
                self.b.def_var(exn_var, *exn);
                self.stack.extend_from_slice(vals);
                self.reachable = true;
            }
            O::Throw { tag_index } => {
                let tys = self.tag_types(tag_index);
                let vals = self.stack.split_off(self.stack.len() - tys.len());
                let area = self.value_area(vals.len());
                for (i, v) in vals.iter().enumerate() {
                    self.b
                        .ins()
                        .store(MemFlagsData::trusted(), *v, area, i as i32 * l.slot_size);
                }
                let t = self.b.ins().iconst(types::I32, tag_index as i64);
                self.libcall(Libcall::Throw, &[t, area]);
                self.propagate();
            }
            O::ThrowRef => {
                let exn = self.pop();
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, exn, 0);
                self.trap_if(null, trap_word::NULL_EXN_REFERENCE);
                self.libcall(Libcall::ThrowRef, &[exn]);
                self.propagate();
            }
            O::Rethrow { relative_depth } => {
                let i = self.ctrl.len() - 1 - relative_depth as usize;
                let CtrlKind::Try(t) = &self.ctrl[i].kind else {
                    unreachable!("validated: rethrow names a catch")
                };
                let exn = self.b.use_var(t.exn);
                self.libcall(Libcall::ThrowRef, &[exn]);
                self.propagate();
            }
            O::Br { relative_depth } => {
                let (blk, args) = self.branch_target(relative_depth);
                self.b.ins().jump(blk, &Self::args(&args));
                self.reachable = false;
            }
            O::BrIf { relative_depth } => {
                let cond = self.pop();
                let (blk, args) = self.cond_branch_target(relative_depth);
                let cont = self.b.create_block();
                self.b.ins().brif(cond, blk, &Self::args(&args), cont, &[]);
                self.fuel_fill_tramp();
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
            }
            O::BrTable { targets } => {
                let index = self.pop();
                let mut calls = Vec::new();
                for t in targets.targets() {
                    let t = t.map_err(|e| {
                        Error::at(ErrorKind::Malformed, e.message(), e.offset() as usize)
                    })?;
                    let (blk, args) = self.branch_target(t);
                    calls.push(self.b.func.dfg.block_call(blk, &Self::args(&args)));
                }
                let (blk, args) = self.branch_target(targets.default());
                let def = self.b.func.dfg.block_call(blk, &Self::args(&args));
                let jt = self.b.create_jump_table(JumpTableData::new(def, &calls));
                self.b.ins().br_table(index, jt);
                self.reachable = false;
            }
            O::Return => {
                let (blk, args) = self.branch_target(self.ctrl.len() as u32 - 1);
                self.b.ins().jump(blk, &Self::args(&args));
                self.reachable = false;
            }
            O::Call { function_index } => self.call(function_index, false)?,
            O::ReturnCall { function_index } => self.call(function_index, true)?,
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let entry = self.indirect_entry(type_index, table_index);
                let ft = self.env.module.types[type_index as usize].clone();
                self.call_entry(entry, type_index, &ft, false, false);
            }
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                let entry = self.indirect_entry(type_index, table_index);
                let ft = self.env.module.types[type_index as usize].clone();
                self.call_entry(entry, type_index, &ft, false, true);
            }
            O::CallRef { type_index } | O::ReturnCallRef { type_index } => {
                let r = self.pop();
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                self.trap_if(null, trap_word::NULL_FUNC_REFERENCE);
                let entry = self.entry_of_ref(r);
                let ft = self.env.module.types[type_index as usize].clone();
                let tail = matches!(op, O::ReturnCallRef { .. });
                self.call_entry(entry, type_index, &ft, false, tail);
            }
            O::RefAsNonNull => {
                let r = *self.stack.last().expect("validated");
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                self.trap_if(null, trap_word::NULL_REFERENCE);
            }
            O::BrOnNull { relative_depth } => {
                let r = self.pop();
                let (blk, args) = self.cond_branch_target(relative_depth);
                let cont = self.b.create_block();
                self.b.ins().brif(r, cont, &[], blk, &Self::args(&args));
                self.fuel_fill_tramp();
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
                self.push(r);
            }
            O::BrOnNonNull { relative_depth } => {
                let r = *self.stack.last().expect("validated");
                let (blk, args) = self.cond_branch_target(relative_depth);
                self.pop();
                let cont = self.b.create_block();
                self.b.ins().brif(r, blk, &Self::args(&args), cont, &[]);
                self.fuel_fill_tramp();
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let (a, bv, c) = self.pop3();
                let v = self.b.ins().select(c, a, bv);
                self.push(v);
            }
            O::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize]);
                self.push(v);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::GlobalGet { global_index } => {
                let ty = clif_type(self.env.module.globals[global_index as usize].content_type);
                let cell = self.global_cell(global_index);
                let v = self.b.ins().load(ty, flags(), cell, 0);
                self.push(v);
            }
            O::GlobalSet { global_index } => {
                let v = self.pop();
                let cell = self.global_cell(global_index);
                self.b.ins().store(flags(), v, cell, 0);
            }

            // Memory.
            O::I32Load { memarg } => self.load(memarg, types::I32, 4, Ext::None),
            O::I64Load { memarg } => self.load(memarg, types::I64, 8, Ext::None),
            O::F32Load { memarg } => self.load(memarg, types::F32, 4, Ext::None),
            O::F64Load { memarg } => self.load(memarg, types::F64, 8, Ext::None),
            O::V128Load { memarg } => self.load(memarg, types::I8X16, 16, Ext::None),
            O::I32Load8S { memarg } => self.load(memarg, types::I32, 1, Ext::S),
            O::I32Load8U { memarg } => self.load(memarg, types::I32, 1, Ext::U),
            O::I32Load16S { memarg } => self.load(memarg, types::I32, 2, Ext::S),
            O::I32Load16U { memarg } => self.load(memarg, types::I32, 2, Ext::U),
            O::I64Load8S { memarg } => self.load(memarg, types::I64, 1, Ext::S),
            O::I64Load8U { memarg } => self.load(memarg, types::I64, 1, Ext::U),
            O::I64Load16S { memarg } => self.load(memarg, types::I64, 2, Ext::S),
            O::I64Load16U { memarg } => self.load(memarg, types::I64, 2, Ext::U),
            O::I64Load32S { memarg } => self.load(memarg, types::I64, 4, Ext::S),
            O::I64Load32U { memarg } => self.load(memarg, types::I64, 4, Ext::U),
            O::I32Store { memarg }
            | O::I64Store { memarg }
            | O::F32Store { memarg }
            | O::F64Store { memarg }
            | O::V128Store { memarg } => {
                let v = self.pop();
                let size = self.b.func.dfg.value_type(v).bytes();
                let p = self.mem_addr(memarg, size);
                self.watched(p, size, true, |t| {
                    t.b.ins().store(le(), v, p, 0);
                });
            }
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                let v = self.pop();
                let p = self.mem_addr(memarg, 1);
                self.watched(p, 1, true, |t| {
                    t.b.ins().istore8(le(), v, p, 0);
                });
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                let v = self.pop();
                let p = self.mem_addr(memarg, 2);
                self.watched(p, 2, true, |t| {
                    t.b.ins().istore16(le(), v, p, 0);
                });
            }
            O::I64Store32 { memarg } => {
                let v = self.pop();
                let p = self.mem_addr(memarg, 4);
                self.watched(p, 4, true, |t| {
                    t.b.ins().istore32(le(), v, p, 0);
                });
            }
            O::MemorySize { mem, .. } => {
                let len = if self.fast_mem(mem) {
                    self.memory_len()
                } else {
                    let cell = self.mem_cell(mem);
                    self.b.ins().load(types::I64, flags(), cell, l.mem_len)
                };
                let pages = self.b.ins().ushr_imm_u(len, 16);
                let v = if self.mem64(mem) {
                    pages
                } else {
                    self.b.ins().ireduce(types::I32, pages)
                };
                self.push(v);
            }
            O::MemoryGrow { mem, .. } => {
                let d = self.pop();
                let d = self.widen_index(d);
                let m = self.b.ins().iconst(types::I32, mem as i64);
                let r = self
                    .libcall(Libcall::MemoryGrow, &[m, d])
                    .expect("memory.grow returns");
                let r = if self.mem64(mem) {
                    r
                } else {
                    self.b.ins().ireduce(types::I32, r)
                };
                self.reload_memory();
                self.push(r);
            }
            O::MemoryFill { mem } => {
                let (d, v, n) = self.pop3();
                let (d, n) = (self.widen_index(d), self.widen_index(n));
                let m = self.b.ins().iconst(types::I32, mem as i64);
                self.libcall(Libcall::MemoryFill, &[m, d, v, n]);
                self.check_trap();
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let (d, s, n) = self.pop3();
                let (d, s, n) = (
                    self.widen_index(d),
                    self.widen_index(s),
                    self.widen_index(n),
                );
                let dm = self.b.ins().iconst(types::I32, dst_mem as i64);
                let sm = self.b.ins().iconst(types::I32, src_mem as i64);
                self.libcall(Libcall::MemoryCopy, &[dm, sm, d, s, n]);
                self.check_trap();
            }
            O::MemoryInit { data_index, mem } => {
                let (d, s, n) = self.pop3();
                let d = self.widen_index(d);
                let m = self.b.ins().iconst(types::I32, mem as i64);
                let seg = self.b.ins().iconst(types::I32, data_index as i64);
                self.libcall(Libcall::MemoryInit, &[m, seg, d, s, n]);
                self.check_trap();
            }
            O::DataDrop { data_index } => {
                let seg = self.b.ins().iconst(types::I32, data_index as i64);
                self.libcall(Libcall::DataDrop, &[seg]);
            }

            // Tables and references. Indices and lengths cross to the
            // libcalls as i64 (table64), sizes come back as i64.
            O::TableGet { table } => {
                let i = self.pop();
                let i = self.widen_index(i);
                let t = self.b.ins().iconst(types::I32, table as i64);
                let v = self.libcall(Libcall::TableGet, &[t, i]).expect("returns");
                self.check_trap();
                self.push(v);
            }
            O::TableSet { table } => {
                let (i, v) = self.pop2();
                let i = self.widen_index(i);
                let t = self.b.ins().iconst(types::I32, table as i64);
                self.libcall(Libcall::TableSet, &[t, i, v]);
                self.check_trap();
            }
            O::TableSize { table } => {
                let t = self.b.ins().iconst(types::I32, table as i64);
                let v = self.libcall(Libcall::TableSize, &[t]).expect("returns");
                let v = self.table_index_result(table, v);
                self.push(v);
            }
            O::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let delta = self.widen_index(delta);
                let t = self.b.ins().iconst(types::I32, table as i64);
                let v = self
                    .libcall(Libcall::TableGrow, &[t, init, delta])
                    .expect("returns");
                let v = self.table_index_result(table, v);
                self.push(v);
            }
            O::TableFill { table } => {
                let (d, v, n) = self.pop3();
                let (d, n) = (self.widen_index(d), self.widen_index(n));
                let t = self.b.ins().iconst(types::I32, table as i64);
                self.libcall(Libcall::TableFill, &[t, d, v, n]);
                self.check_trap();
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let (d, s, n) = self.pop3();
                let (d, s, n) = (
                    self.widen_index(d),
                    self.widen_index(s),
                    self.widen_index(n),
                );
                let dt = self.b.ins().iconst(types::I32, dst_table as i64);
                let st = self.b.ins().iconst(types::I32, src_table as i64);
                self.libcall(Libcall::TableCopy, &[dt, st, d, s, n]);
                self.check_trap();
            }
            O::TableInit { elem_index, table } => {
                let (d, s, n) = self.pop3();
                let d = self.widen_index(d);
                let t = self.b.ins().iconst(types::I32, table as i64);
                let e = self.b.ins().iconst(types::I32, elem_index as i64);
                self.libcall(Libcall::TableInit, &[t, e, d, s, n]);
                self.check_trap();
            }
            O::ElemDrop { elem_index } => {
                let e = self.b.ins().iconst(types::I32, elem_index as i64);
                self.libcall(Libcall::ElemDrop, &[e]);
            }
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(types::I64, 0);
                self.push(v);
            }
            O::RefIsNull => {
                let v = self.pop();
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, v, 0);
                let r = self.b.ins().uextend(types::I32, c);
                self.push(r);
            }
            O::RefFunc { function_index } => {
                let e = self.func_entry(function_index);
                let addr = self.b.ins().load(types::I64, flags(), e, l.func_entry_addr);
                let v = self.b.ins().iadd_imm_s(addr, 1);
                self.push(v);
            }

            // Constants.
            O::I32Const { value } => {
                let v = self.b.ins().iconst(types::I32, value as i64);
                self.push(v);
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(types::I64, value);
                self.push(v);
            }
            O::F32Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f32const(ir::immediates::Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            O::F64Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f64const(ir::immediates::Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            op => self.numeric(op)?,
        }
        Ok(())
    }

    fn global_cell(&mut self, index: u32) -> ir::Value {
        let arr = self.globals.expect("loaded at entry");
        self.b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), arr, (index * 8) as i32)
    }

    /// Pointer to the `FuncEntry` of function `index` of this instance.
    fn func_entry(&mut self, index: u32) -> ir::Value {
        let l = self.env.layout;
        // The entry array never moves during a run: Cranelift may reuse the load.
        let arr = self
            .b
            .ins()
            .load(types::I64, readonly(), self.vmctx, l.vmctx_funcs);
        self.b
            .ins()
            .iadd_imm_s(arr, index as i64 * l.func_entry_size)
    }

    /// A direct call when the callee's code is (or will be) in the same
    /// code module; otherwise through the function's entry in the vmctx,
    /// which compiles it on its first call (see `call_entry`).
    /// With `tail` (`return_call`): the callee replaces this frame (it gets
    /// this call's depth, so a chain of tail calls runs at one depth in
    /// constant stack), and its results are this function's.
    fn call(&mut self, index: u32, tail: bool) -> Result<()> {
        let module = self.env.module;
        let ty = module.func_type(index).clone();
        if let Some(id) = (self.env.direct)(index) {
            let fref = match self.callees.get(&index) {
                Some(f) => *f,
                None => {
                    let f = self.clif.declare_func_in_func(id, self.b.func);
                    self.callees.insert(index, f);
                    f
                }
            };
            let n = ty.params().len();
            let args = self.stack.split_off(self.stack.len() - n);
            if tail {
                let mut all = vec![self.vmctx, self.depth];
                all.extend(args);
                self.spill_fuel();
                self.leave_profile();
                self.b.ins().return_call(fref, &all);
                self.reachable = false;
                return Ok(());
            }
            let mut all = vec![self.vmctx, self.depth1];
            all.extend(args);
            self.spill_fuel();
            let call = self.b.ins().call(fref, &all);
            let results = self.b.inst_results(call).to_vec();
            self.reload_fuel();
            self.after_call(results);
            return Ok(());
        }
        let entry = self.func_entry(index);
        // A defined function runs with this vmctx; an import has its own.
        let same_instance = index >= module.num_imported_funcs;
        // Profiling: a direct call to an import is counted here and marked
        // as running (its callee, a host function, has no entry code).
        let prof = self.prof.filter(|_| !same_instance && !tail);
        if let Some(p) = prof {
            prof::emit_host(&mut self.b, p, Some(index));
        }
        self.call_entry(
            entry,
            module.func_types[index as usize],
            &ty,
            same_instance,
            tail,
        );
        if let Some(p) = prof {
            prof::emit_host(&mut self.b, p, None);
        }
        Ok(())
    }

    /// The `FuncEntry` of `call_indirect`'s callee (type-checked; a bad
    /// index or type traps).
    fn indirect_entry(&mut self, type_index: u32, table_index: u32) -> ir::Value {
        let idx = self.pop();
        let idx = self.widen_index(idx);
        let t = self.b.ins().iconst(types::I32, table_index as i64);
        let ty = self.b.ins().iconst(types::I32, type_index as i64);
        let entry = self
            .libcall(Libcall::ResolveIndirect, &[t, idx, ty])
            .expect("resolve returns a pointer");
        self.check_trap();
        entry
    }

    /// The `FuncEntry` of a non-null function reference (store address + 1):
    /// the engine's entries are by store address.
    fn entry_of_ref(&mut self, r: ir::Value) -> ir::Value {
        let l = self.env.layout;
        let arr = self
            .b
            .ins()
            .load(types::I64, readonly(), self.vmctx, l.vmctx_entries);
        let addr = self.b.ins().iadd_imm_s(r, -1);
        let off = self.b.ins().imul_imm_s(addr, l.func_entry_size);
        self.b.ins().iadd(arr, off)
    }

    /// An i32 index or length (zero-extended) or an i64 one, as an i64.
    fn widen_index(&mut self, v: ir::Value) -> ir::Value {
        if self.b.func.dfg.value_type(v) == types::I64 {
            v
        } else {
            self.b.ins().uextend(types::I64, v)
        }
    }

    /// A libcall's i64 table size (or -1) as table `table`'s index type.
    fn table_index_result(&mut self, table: u32, v: ir::Value) -> ir::Value {
        if self.env.module.tables[table as usize].table64 {
            v
        } else {
            self.b.ins().ireduce(types::I32, v)
        }
    }

    /// Memory `mem` has 64-bit addresses.
    fn mem64(&self, mem: u32) -> bool {
        self.env.module.memories[mem as usize].memory64
    }

    /// Memory 0 with 32-bit addresses: its base is kept in a variable and,
    /// with guard pages, its accesses are not checked. Other memories are
    /// reached through the vmctx's cell array and checked explicitly.
    fn fast_mem(&self, mem: u32) -> bool {
        mem == 0 && !self.mem64(0)
    }

    /// The `MemCell` of memory `mem` of this instance.
    fn mem_cell(&mut self, mem: u32) -> ir::Value {
        let l = self.env.layout;
        let arr = self
            .b
            .ins()
            .load(types::I64, readonly(), self.vmctx, l.vmctx_mems);
        self.b
            .ins()
            .load(types::I64, readonly(), arr, mem as i32 * 8)
    }

    fn after_call(&mut self, results: Vec<ir::Value>) {
        self.check_trap();
        self.reload_memory();
        self.stack.extend(results);
    }

    /// Call through a `FuncEntry`: compiled code, or (code == null) first
    /// the `Resolve` libcall, which compiles a wasm function not compiled
    /// yet (and patches the entry) or says it is a host function, called
    /// through the `CallHost` libcall.
    /// With `tail`: a tail call (wasm callees replace this frame; a host
    /// function is called and its results returned).
    fn call_entry(
        &mut self,
        entry: ir::Value,
        type_index: u32,
        ty: &FuncType,
        same_instance: bool,
        tail: bool,
    ) {
        let l = self.env.layout;
        let n = ty.params().len();
        let args: Vec<ir::Value> = self.stack.split_off(self.stack.len() - n);
        let result_types: Vec<Type> = ty.results().iter().map(|t| clif_type(*t)).collect();
        let code = self
            .b
            .ins()
            .load(types::I64, flags(), entry, l.func_entry_code);
        let wasm_b = self.b.create_block();
        self.b.append_block_param(wasm_b, types::I64);
        let resolve_b = self.b.create_block();
        let host_b = self.b.create_block();
        let merge = self.new_block_with(&result_types);
        self.b.set_cold_block(resolve_b);
        self.b
            .ins()
            .brif(code, wasm_b, &[BlockArg::Value(code)], resolve_b, &[]);
        self.b.seal_block(resolve_b);

        self.b.switch_to_block(resolve_b);
        let resolved = self
            .libcall(Libcall::Resolve, &[entry])
            .expect("resolve returns code");
        // A function that fails to compile traps here.
        self.check_trap();
        self.b
            .ins()
            .brif(resolved, wasm_b, &[BlockArg::Value(resolved)], host_b, &[]);
        self.b.seal_block(wasm_b);
        self.b.seal_block(host_b);

        self.b.switch_to_block(wasm_b);
        let code = self.b.block_params(wasm_b)[0];
        let callee_vmctx = if same_instance {
            self.vmctx
        } else {
            self.b.ins().load(
                types::I64,
                MemFlagsData::trusted().with_readonly(),
                entry,
                l.func_entry_vmctx,
            )
        };
        let sig = match self.sigs.get(&type_index) {
            Some(s) => *s,
            None => {
                let s = self.b.import_signature(wasm_signature(ty));
                self.sigs.insert(type_index, s);
                s
            }
        };
        if tail {
            let mut all = vec![callee_vmctx, self.depth];
            all.extend(args.iter().copied());
            self.spill_fuel();
            self.leave_profile();
            self.b.ins().return_call_indirect(sig, code, &all);
        } else {
            let mut all = vec![callee_vmctx, self.depth1];
            all.extend(args.iter().copied());
            self.spill_fuel();
            let call = self.b.ins().call_indirect(sig, code, &all);
            let results = self.b.inst_results(call).to_vec();
            self.reload_fuel();
            self.b.ins().jump(merge, &Self::args(&results));
        }

        self.b.switch_to_block(host_b);
        let slots = n.max(ty.results().len()).max(1) as u32;
        let ss = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            slots * l.slot_size as u32,
            4,
        ));
        let area = self.b.ins().stack_addr(types::I64, ss, 0);
        for (i, a) in args.iter().enumerate() {
            self.b
                .ins()
                .store(MemFlagsData::trusted(), *a, area, i as i32 * l.slot_size);
        }
        let addr = self
            .b
            .ins()
            .load(types::I64, flags(), entry, l.func_entry_addr);
        self.libcall(Libcall::CallHost, &[addr, area]);
        let mut results = Vec::new();
        for (i, t) in result_types.iter().enumerate() {
            results.push(self.b.ins().load(
                *t,
                MemFlagsData::trusted(),
                area,
                i as i32 * l.slot_size,
            ));
        }
        self.b.ins().jump(merge, &Self::args(&results));
        self.b.seal_block(merge);
        self.b.switch_to_block(merge);
        let results = self.b.block_params(merge).to_vec();
        self.after_call(results);
        if tail {
            // Only the host path gets here.
            let results: Vec<ir::Value> = self
                .stack
                .drain(self.stack.len() - ty.results().len()..)
                .collect();
            self.return_from_call(&results);
            self.reachable = false;
        }
    }

    /// Bounds-check `addr + offset + size <= len` and return the native address.
    fn mem_addr(&mut self, memarg: MemArg, size: u32) -> ir::Value {
        if !self.fast_mem(mem_index(&memarg)) {
            return self.checked_mem_addr(memarg, size);
        }
        let addr = self.pop();
        let a = self.b.ins().uextend(types::I64, addr);
        let reach = memarg.offset + size as u64;
        let seen = self.checked.iter_mut().find(|(v, _)| *v == addr);
        // With guard pages an access past the end faults instead (see
        // `runtime::memory`, `jit::guard`).
        if !self.env.guard_pages && seen.as_ref().is_none_or(|(_, end)| reach > *end) {
            match seen {
                Some((_, end)) => *end = reach,
                None => self.checked.push((addr, reach)),
            }
            let end = self.b.ins().iadd_imm_s(a, reach as i64);
            let len = self.b.use_var(self.mem_len);
            let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
            self.trap_if(oob, trap_word::MEMORY_OOB);
        }
        let base = self.b.use_var(self.mem_base);
        let p = self.b.ins().iadd(base, a);
        if memarg.offset == 0 {
            p
        } else {
            self.b.ins().iadd_imm_s(p, memarg.offset as i64)
        }
    }

    /// `mem_addr` for any memory but a 32-bit memory 0: base and length
    /// read from its cell, `addr + offset + size <= len` checked without
    /// overflow (64-bit addresses).
    fn checked_mem_addr(&mut self, memarg: MemArg, size: u32) -> ir::Value {
        let l = self.env.layout;
        let addr = self.pop();
        let a = self.widen_index(addr);
        let cell = self.mem_cell(mem_index(&memarg));
        let base = self.b.ins().load(types::I64, flags(), cell, l.mem_base);
        let len = self.b.ins().load(types::I64, flags(), cell, l.mem_len);
        match memarg.offset.checked_add(size as u64) {
            Some(reach) => {
                // oob: len < reach, or a > len - reach.
                let short = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedLessThan, len, reach as i64);
                let lim = self.b.ins().iadd_imm_s(len, (reach as i64).wrapping_neg());
                let past = self.b.ins().icmp(IntCC::UnsignedGreaterThan, a, lim);
                let oob = self.b.ins().bor(short, past);
                self.trap_if(oob, trap_word::MEMORY_OOB);
            }
            None => {
                let t = self.b.ins().iconst(types::I8, 1);
                self.trap_if(t, trap_word::MEMORY_OOB);
            }
        }
        let p = self.b.ins().iadd(base, a);
        if memarg.offset == 0 {
            p
        } else {
            self.b.ins().iadd_imm_s(p, memarg.offset as i64)
        }
    }

    fn load(&mut self, memarg: MemArg, ty: Type, size: u32, ext: Ext) {
        let p = self.mem_addr(memarg, size);
        let emit = move |t: &mut Self| {
            let ins = t.b.ins();
            match (ext, size) {
                (Ext::None, _) => ins.load(ty, le(), p, 0),
                (Ext::S, 1) => ins.sload8(ty, le(), p, 0),
                (Ext::U, 1) => ins.uload8(ty, le(), p, 0),
                (Ext::S, 2) => ins.sload16(ty, le(), p, 0),
                (Ext::U, 2) => ins.uload16(ty, le(), p, 0),
                (Ext::S, _) => ins.sload32(le(), p, 0),
                (Ext::U, _) => ins.uload32(le(), p, 0),
            }
        };
        if !self.env.watch_loads {
            let v = emit(self);
            self.push(v);
            return;
        }
        // Both paths load; the result meets at a block parameter.
        let done = self.b.create_block();
        self.b.append_block_param(done, ty);
        self.watched_into(p, size, false, done, emit);
        self.b.seal_block(done);
        self.b.switch_to_block(done);
        let v = self.b.block_params(done)[0];
        self.push(v);
    }

    /// Emit the store `emit` at native address `p`, checked for
    /// watchpoints in code compiled with `CompileOptions::watch_stores`
    /// (else as is): inside the run's watch box (`RtState::watch_lo..hi`,
    /// loaded once: it does not change during a run), a cold path asks the
    /// runtime whether the access is watched, makes it, and pauses for the
    /// debugger right after it.
    fn watched(&mut self, p: ir::Value, size: u32, write: bool, emit: impl Fn(&mut Self)) {
        if !(write && self.env.watch_stores) {
            emit(self);
            return;
        }
        let done = self.b.create_block();
        self.watched_into(p, size, write, done, |t| {
            emit(t);
            t.b.ins().iconst(types::I32, 0)
        });
        self.b.seal_block(done);
        self.b.switch_to_block(done);
    }

    /// The checked access for [`Self::watched`] and checked loads: `emit`
    /// makes it (its value goes to `done` when `done` takes one).
    fn watched_into(
        &mut self,
        p: ir::Value,
        size: u32,
        write: bool,
        done: ir::Block,
        emit: impl Fn(&mut Self) -> ir::Value,
    ) {
        let l = self.env.layout;
        let takes = !self.b.func.dfg.block_params(done).is_empty();
        let rt = self.load_rt();
        let lo = self.b.ins().load(types::I64, readonly(), rt, l.rt_watch_lo);
        let hi = self.b.ins().load(types::I64, readonly(), rt, l.rt_watch_hi);
        let end = self.b.ins().iadd_imm_s(p, size as i64);
        let below = self.b.ins().icmp(IntCC::UnsignedLessThan, p, hi);
        let above = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, lo);
        let inside = self.b.ins().band(below, above);
        let slow = self.b.create_block();
        let fast = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(inside, slow, &[], fast, &[]);
        self.b.seal_block(fast);
        self.b.seal_block(slow);
        self.b.switch_to_block(fast);
        let v = emit(self);
        let args: Vec<BlockArg> = if takes {
            vec![BlockArg::Value(v)]
        } else {
            vec![]
        };
        self.b.ins().jump(done, &args);

        self.b.switch_to_block(slow);
        let n = self.b.ins().iconst(types::I32, size as i64);
        let w = self.b.ins().iconst(types::I32, write as i64);
        self.spill_fuel();
        let hit = self
            .libcall(Libcall::WatchBefore, &[p, n, w])
            .expect("WatchBefore answers");
        let v = emit(self);
        let after = self.b.create_block();
        self.b.set_cold_block(after);
        let args: Vec<BlockArg> = if takes {
            vec![BlockArg::Value(v)]
        } else {
            vec![]
        };
        self.b.ins().brif(hit, after, &[], done, &args);
        self.b.seal_block(after);
        self.b.switch_to_block(after);
        let site = self.func_index as u64 | (self.code_offset as u64) << 32;
        let site = self.b.ins().iconst(types::I64, site as i64);
        let fp = self.b.ins().get_frame_pointer(types::I64);
        let unwind = self
            .libcall(Libcall::WatchAfter, &[site, fp])
            .expect("WatchAfter answers");
        self.trap_if(unwind, 0);
        self.reload_fuel();
        self.b.ins().jump(done, &args);
    }

    fn bool_to_i32(&mut self, c: ir::Value) -> ir::Value {
        self.b.ins().uextend(types::I32, c)
    }

    fn icmp(&mut self, cc: IntCC) {
        let (a, b) = self.pop2();
        let c = self.b.ins().icmp(cc, a, b);
        let r = self.bool_to_i32(c);
        self.push(r);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (a, b) = self.pop2();
        let c = self.b.ins().fcmp(cc, a, b);
        let r = self.bool_to_i32(c);
        self.push(r);
    }

    fn binop(
        &mut self,
        f: impl FnOnce(&mut FunctionBuilder<'b>, ir::Value, ir::Value) -> ir::Value,
    ) {
        let (a, b) = self.pop2();
        let v = f(&mut self.b, a, b);
        self.push(v);
    }

    fn unop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'b>, ir::Value) -> ir::Value) {
        let a = self.pop();
        let v = f(&mut self.b, a);
        self.push(v);
    }

    fn div(&mut self, signed: bool, rem: bool) {
        let (a, b) = self.pop2();
        let ty = self.b.func.dfg.value_type(a);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
        self.trap_if(zero, trap_word::DIV_ZERO);
        let minus1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
        let v = if signed {
            let min = if ty == types::I32 {
                i32::MIN as i64
            } else {
                i64::MIN
            };
            if rem {
                // INT_MIN % -1 is 0 in wasm; divide by 1 instead so it cannot fault.
                let one = self.b.ins().iconst(ty, 1);
                let b2 = self.b.ins().select(minus1, one, b);
                self.b.ins().srem(a, b2)
            } else {
                let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, a, min);
                let ovf = self.b.ins().band(is_min, minus1);
                self.trap_if(ovf, trap_word::OVERFLOW);
                self.b.ins().sdiv(a, b)
            }
        } else if rem {
            self.b.ins().urem(a, b)
        } else {
            self.b.ins().udiv(a, b)
        };
        self.push(v);
    }

    /// Trapping float -> int conversion: NaN and out-of-range trap, then a
    /// saturating conversion that can no longer fault.
    fn trunc(&mut self, to: Type, signed: bool) {
        let x = self.pop();
        let fty = self.b.func.dfg.value_type(x);
        let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
        self.trap_if(nan, trap_word::BAD_CONVERSION);
        let bits = to.bits() as i32;
        // Valid iff lo < x < hi (lo exclusive) or lo <= x < hi (lo inclusive).
        let (lo, lo_inclusive, hi) = if signed {
            let hi = 2f64.powi(bits - 1);
            let lo_excl = -hi - 1.0;
            // -2^(N-1) - 1 is exact only as an f64 with N = 32.
            let exact = fty == types::F64 && bits == 32;
            if exact {
                (lo_excl, false, hi)
            } else {
                (-hi, true, hi)
            }
        } else {
            (-1.0, false, 2f64.powi(bits))
        };
        let (lo_v, hi_v) = if fty == types::F32 {
            (
                self.b.ins().f32const(lo as f32),
                self.b.ins().f32const(hi as f32),
            )
        } else {
            (self.b.ins().f64const(lo), self.b.ins().f64const(hi))
        };
        let below = if lo_inclusive {
            self.b.ins().fcmp(FloatCC::LessThan, x, lo_v)
        } else {
            self.b.ins().fcmp(FloatCC::LessThanOrEqual, x, lo_v)
        };
        let above = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, hi_v);
        let out = self.b.ins().bor(below, above);
        self.trap_if(out, trap_word::OVERFLOW);
        let v = if signed {
            self.b.ins().fcvt_to_sint_sat(to, x)
        } else {
            self.b.ins().fcvt_to_uint_sat(to, x)
        };
        self.push(v);
    }

    fn numeric(&mut self, op: Operator<'_>) -> Result<()> {
        use Operator as O;
        use types::{F32, F64, I32, I64};
        match op {
            O::I32Eqz | O::I64Eqz => {
                let a = self.pop();
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
                let r = self.bool_to_i32(c);
                self.push(r);
            }
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            O::I32Clz | O::I64Clz => self.unop(|b, a| b.ins().clz(a)),
            O::I32Ctz | O::I64Ctz => self.unop(|b, a| b.ins().ctz(a)),
            O::I32Popcnt | O::I64Popcnt => self.unop(|b, a| b.ins().popcnt(a)),
            O::I32Add | O::I64Add => self.binop(|b, x, y| b.ins().iadd(x, y)),
            O::I32Sub | O::I64Sub => self.binop(|b, x, y| b.ins().isub(x, y)),
            O::I32Mul | O::I64Mul => self.binop(|b, x, y| b.ins().imul(x, y)),
            O::I32DivS | O::I64DivS => self.div(true, false),
            O::I32DivU | O::I64DivU => self.div(false, false),
            O::I32RemS | O::I64RemS => self.div(true, true),
            O::I32RemU | O::I64RemU => self.div(false, true),
            O::I32And | O::I64And => self.binop(|b, x, y| b.ins().band(x, y)),
            O::I32Or | O::I64Or => self.binop(|b, x, y| b.ins().bor(x, y)),
            O::I32Xor | O::I64Xor => self.binop(|b, x, y| b.ins().bxor(x, y)),
            O::I32Shl | O::I64Shl => self.binop(|b, x, y| b.ins().ishl(x, y)),
            O::I32ShrS | O::I64ShrS => self.binop(|b, x, y| b.ins().sshr(x, y)),
            O::I32ShrU | O::I64ShrU => self.binop(|b, x, y| b.ins().ushr(x, y)),
            O::I32Rotl | O::I64Rotl => self.binop(|b, x, y| b.ins().rotl(x, y)),
            O::I32Rotr | O::I64Rotr => self.binop(|b, x, y| b.ins().rotr(x, y)),

            O::F32Abs | O::F64Abs => self.unop(|b, a| b.ins().fabs(a)),
            O::F32Neg | O::F64Neg => self.unop(|b, a| b.ins().fneg(a)),
            O::F32Ceil | O::F64Ceil => self.unop(|b, a| b.ins().ceil(a)),
            O::F32Floor | O::F64Floor => self.unop(|b, a| b.ins().floor(a)),
            O::F32Trunc | O::F64Trunc => self.unop(|b, a| b.ins().trunc(a)),
            O::F32Nearest | O::F64Nearest => self.unop(|b, a| b.ins().nearest(a)),
            O::F32Sqrt | O::F64Sqrt => self.unop(|b, a| b.ins().sqrt(a)),
            O::F32Add | O::F64Add => self.binop(|b, x, y| b.ins().fadd(x, y)),
            O::F32Sub | O::F64Sub => self.binop(|b, x, y| b.ins().fsub(x, y)),
            O::F32Mul | O::F64Mul => self.binop(|b, x, y| b.ins().fmul(x, y)),
            O::F32Div | O::F64Div => self.binop(|b, x, y| b.ins().fdiv(x, y)),
            O::F32Min | O::F64Min => self.binop(|b, x, y| b.ins().fmin(x, y)),
            O::F32Max | O::F64Max => self.binop(|b, x, y| b.ins().fmax(x, y)),
            O::F32Copysign | O::F64Copysign => self.binop(|b, x, y| b.ins().fcopysign(x, y)),

            O::I32WrapI64 => self.unop(|b, a| b.ins().ireduce(I32, a)),
            O::I64ExtendI32S => self.unop(|b, a| b.ins().sextend(I64, a)),
            O::I64ExtendI32U => self.unop(|b, a| b.ins().uextend(I64, a)),
            O::I32TruncF32S | O::I32TruncF64S => self.trunc(I32, true),
            O::I32TruncF32U | O::I32TruncF64U => self.trunc(I32, false),
            O::I64TruncF32S | O::I64TruncF64S => self.trunc(I64, true),
            O::I64TruncF32U | O::I64TruncF64U => self.trunc(I64, false),
            O::I32TruncSatF32S | O::I32TruncSatF64S => {
                self.unop(|b, a| b.ins().fcvt_to_sint_sat(I32, a))
            }
            O::I32TruncSatF32U | O::I32TruncSatF64U => {
                self.unop(|b, a| b.ins().fcvt_to_uint_sat(I32, a))
            }
            O::I64TruncSatF32S | O::I64TruncSatF64S => {
                self.unop(|b, a| b.ins().fcvt_to_sint_sat(I64, a))
            }
            O::I64TruncSatF32U | O::I64TruncSatF64U => {
                self.unop(|b, a| b.ins().fcvt_to_uint_sat(I64, a))
            }
            O::F32ConvertI32S | O::F32ConvertI64S => {
                self.unop(|b, a| b.ins().fcvt_from_sint(F32, a))
            }
            O::F32ConvertI32U | O::F32ConvertI64U => {
                self.unop(|b, a| b.ins().fcvt_from_uint(F32, a))
            }
            O::F64ConvertI32S | O::F64ConvertI64S => {
                self.unop(|b, a| b.ins().fcvt_from_sint(F64, a))
            }
            O::F64ConvertI32U | O::F64ConvertI64U => {
                self.unop(|b, a| b.ins().fcvt_from_uint(F64, a))
            }
            O::F32DemoteF64 => self.unop(|b, a| b.ins().fdemote(F32, a)),
            O::F64PromoteF32 => self.unop(|b, a| b.ins().fpromote(F64, a)),
            O::I32ReinterpretF32 => self.unop(|b, a| b.ins().bitcast(I32, MemFlagsData::new(), a)),
            O::I64ReinterpretF64 => self.unop(|b, a| b.ins().bitcast(I64, MemFlagsData::new(), a)),
            O::F32ReinterpretI32 => self.unop(|b, a| b.ins().bitcast(F32, MemFlagsData::new(), a)),
            O::F64ReinterpretI64 => self.unop(|b, a| b.ins().bitcast(F64, MemFlagsData::new(), a)),
            O::I32Extend8S => self.unop(|b, a| {
                let n = b.ins().ireduce(types::I8, a);
                b.ins().sextend(I32, n)
            }),
            O::I32Extend16S => self.unop(|b, a| {
                let n = b.ins().ireduce(types::I16, a);
                b.ins().sextend(I32, n)
            }),
            O::I64Extend8S => self.unop(|b, a| {
                let n = b.ins().ireduce(types::I8, a);
                b.ins().sextend(I64, n)
            }),
            O::I64Extend16S => self.unop(|b, a| {
                let n = b.ins().ireduce(types::I16, a);
                b.ins().sextend(I64, n)
            }),
            O::I64Extend32S => self.unop(|b, a| {
                let n = b.ins().ireduce(I32, a);
                b.ins().sextend(I64, n)
            }),
            other => return self.simd(other),
        }
        Ok(())
    }
}

/// The memory a memory instruction accesses. (`MemArgTarget::Array` is a
/// proposal beyond Wasm 3.0, which validation refuses.)
fn mem_index(m: &MemArg) -> u32 {
    match m.target {
        wasmparser::MemArgTarget::Memory(i) => i,
        wasmparser::MemArgTarget::Array(_) => 0,
    }
}

#[derive(Clone, Copy)]
enum Ext {
    None,
    S,
    U,
}

/// Wasm memory is little-endian; accesses may be unaligned; bounds are checked.
fn le() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_endianness(ir::Endianness::Little)
}

/// Operators that can neither trap nor change what a stop could see
/// outside the frame (memory, globals, tables, other calls): their fuel is
/// charged later with the next op that can (`FuncTranslator::fuel_before`).
fn fuel_pure(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::LocalGet { .. }
            | O::LocalSet { .. }
            | O::LocalTee { .. }
            | O::GlobalGet { .. }
            | O::I32Const { .. }
            | O::I64Const { .. }
            | O::F32Const { .. }
            | O::F64Const { .. }
            | O::Drop
            | O::Select
            | O::TypedSelect { .. }
            | O::RefNull { .. }
            | O::RefIsNull
            | O::RefFunc { .. }
            | O::I32Eqz
            | O::I32Eq
            | O::I32Ne
            | O::I32LtS
            | O::I32LtU
            | O::I32GtS
            | O::I32GtU
            | O::I32LeS
            | O::I32LeU
            | O::I32GeS
            | O::I32GeU
            | O::I64Eqz
            | O::I64Eq
            | O::I64Ne
            | O::I64LtS
            | O::I64LtU
            | O::I64GtS
            | O::I64GtU
            | O::I64LeS
            | O::I64LeU
            | O::I64GeS
            | O::I64GeU
            | O::F32Eq
            | O::F32Ne
            | O::F32Lt
            | O::F32Gt
            | O::F32Le
            | O::F32Ge
            | O::F64Eq
            | O::F64Ne
            | O::F64Lt
            | O::F64Gt
            | O::F64Le
            | O::F64Ge
            | O::I32Clz
            | O::I32Ctz
            | O::I32Popcnt
            | O::I32Add
            | O::I32Sub
            | O::I32Mul
            | O::I32And
            | O::I32Or
            | O::I32Xor
            | O::I32Shl
            | O::I32ShrS
            | O::I32ShrU
            | O::I32Rotl
            | O::I32Rotr
            | O::I64Clz
            | O::I64Ctz
            | O::I64Popcnt
            | O::I64Add
            | O::I64Sub
            | O::I64Mul
            | O::I64And
            | O::I64Or
            | O::I64Xor
            | O::I64Shl
            | O::I64ShrS
            | O::I64ShrU
            | O::I64Rotl
            | O::I64Rotr
            | O::F32Abs
            | O::F32Neg
            | O::F32Ceil
            | O::F32Floor
            | O::F32Trunc
            | O::F32Nearest
            | O::F32Sqrt
            | O::F32Add
            | O::F32Sub
            | O::F32Mul
            | O::F32Div
            | O::F32Min
            | O::F32Max
            | O::F32Copysign
            | O::F64Abs
            | O::F64Neg
            | O::F64Ceil
            | O::F64Floor
            | O::F64Trunc
            | O::F64Nearest
            | O::F64Sqrt
            | O::F64Add
            | O::F64Sub
            | O::F64Mul
            | O::F64Div
            | O::F64Min
            | O::F64Max
            | O::F64Copysign
            | O::I32WrapI64
            | O::I64ExtendI32S
            | O::I64ExtendI32U
            | O::F32ConvertI32S
            | O::F32ConvertI32U
            | O::F32ConvertI64S
            | O::F32ConvertI64U
            | O::F32DemoteF64
            | O::F64ConvertI32S
            | O::F64ConvertI32U
            | O::F64ConvertI64S
            | O::F64ConvertI64U
            | O::F64PromoteF32
            | O::I32ReinterpretF32
            | O::I64ReinterpretF64
            | O::F32ReinterpretI32
            | O::F64ReinterpretI64
            | O::I32Extend8S
            | O::I32Extend16S
            | O::I64Extend8S
            | O::I64Extend16S
            | O::I64Extend32S
            | O::I32TruncSatF32S
            | O::I32TruncSatF32U
            | O::I32TruncSatF64S
            | O::I32TruncSatF64U
            | O::I64TruncSatF32S
            | O::I64TruncSatF32U
            | O::I64TruncSatF64S
            | O::I64TruncSatF64U
    )
}
