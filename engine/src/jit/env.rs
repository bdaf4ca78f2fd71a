//! The runtime layout as the translator sees it: vmctx field offsets, the
//! libcall table and the trap codes. This is the one place the translator
//! learns how the runtime is laid out (wasmtime's `FuncEnvironment` idea): the
//! offsets come from the `#[repr(C)]` structs in [`super::vm`], so the two can
//! never drift apart.

use cranelift_codegen::ir::{AbiParam, Signature, types};
use cranelift_codegen::isa::CallConv;

use super::vm;

/// Byte offsets of the runtime structures the generated code reads and writes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VmLayout {
    pub vmctx_rt: i32,
    pub vmctx_mem: i32,
    pub vmctx_mems: i32,
    pub vmctx_globals: i32,
    pub vmctx_funcs: i32,
    pub vmctx_libcalls: i32,
    pub vmctx_break_funcs: i32,
    pub vmctx_entries: i32,
    pub vmctx_gc: i32,
    pub vmctx_type_ids: i32,
    /// `runtime::gc::GcCtl` fields.
    pub gc_base: i32,
    pub gc_cursor: i32,
    pub gc_limit: i32,
    pub gc_parents: i32,
    pub rt_trap: i32,
    pub rt_depth: i32,
    pub rt_max_depth: i32,
    pub rt_interrupt: i32,
    pub rt_fuel: i32,
    pub rt_interrupt_site: i32,
    pub rt_results: i32,
    pub rt_stack_limit: i32,
    pub rt_watch_lo: i32,
    pub rt_watch_hi: i32,
    pub mem_base: i32,
    pub mem_len: i32,
    pub func_entry_size: i64,
    pub func_entry_code: i32,
    pub func_entry_vmctx: i32,
    pub func_entry_addr: i32,
    /// Size of one value in an args/results area (`u128`, v128 fits).
    pub slot_size: i32,
}

impl VmLayout {
    pub(crate) fn new() -> VmLayout {
        vm::layout()
    }
}

/// Runtime services generated code calls through the vmctx's libcall table.
/// Every libcall takes the caller's vmctx first. Traps are reported through
/// the run state's trap word, which the caller checks after the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum Libcall {
    /// (code, func_index, code_offset): record a trap (code != 0) or, with
    /// code 0, append a frame to the backtrace of the trap in flight.
    Unwind,
    MemoryGrow,
    MemoryFill,
    MemoryCopy,
    MemoryInit,
    DataDrop,
    TableGet,
    TableSet,
    TableSize,
    TableGrow,
    TableFill,
    TableCopy,
    TableInit,
    ElemDrop,
    /// (table, index, type_index) -> pointer to the callee's `FuncEntry`.
    ResolveIndirect,
    /// (func_addr, slots): call any function through an args/results area.
    CallHost,
    /// (func_index, slots, fp): a function whose break flag is set was
    /// entered; the debug hook runs it (in the interpreter) and writes its
    /// results. `fp` is the entered function's frame pointer.
    EnterDebug,
    /// (func_index, code_offset, fp, locals area or null) -> unwind?: the
    /// interrupt flag was seen; the debug hook (if any) pauses there.
    /// Generated code reaches it through the interrupt trampoline and
    /// `lc_interrupt_at` now; the entry keeps the later libcalls' numbers,
    /// which saved AOT code has in it.
    Interrupt,
    /// (entry) -> code: the entry's code is null: compile the wasm function
    /// it names now and patch the entry, or return null for a host function.
    Resolve,
    /// (tag_index, payload slots): throw a new exception of this
    /// instance's tag (trap word `EXCEPTION`; the caller adds its frame).
    Throw,
    /// (exnref): throw this (non-null) exception again.
    ThrowRef,
    /// (tag_index) -> 0|1: the exception in flight has this instance's tag.
    CatchMatch,
    /// (payload slots, count, keep) -> exnref: take the exception in flight
    /// (the run goes on): its payload to the slots, the exception returned;
    /// without `keep` the handler does not need it (null returned), and an
    /// exception no wasm code has seen is released.
    CatchTake,
    /// (op | func_index << 8, a, b, slots, inputs, fp): a GC instruction
    /// (`translate::gc_op_code`: kind and module-space immediates) on the
    /// `inputs` operand slots at the start of `slots` (the interpreter's
    /// slot encoding), results written from slot 0. An allocation may
    /// collect: the calling function's frame is `fp`, and every JIT frame's
    /// references are found through its stack maps.
    Gc,
    /// (native address, bytes, write) -> 0|1: an access inside the watch
    /// box: is it a watched one? If so its old bytes are kept for
    /// `WatchAfter`.
    WatchBefore,
    /// (site, locals area or 0, fp) -> unwind?: the watched access was
    /// made; the debug hook pauses right after it (site: `func_index |
    /// code_offset << 32`, bit 62 when the interpreter may take the call
    /// over from the next instruction; the area as `BreakHit`'s).
    WatchAfter,
    /// (site, locals area, check cell, fp) -> unwind?: a compiled
    /// breakpoint check decided to stop (`translate::breakcheck`); the
    /// debug hook pauses there (site: `func_index | code_offset << 32`;
    /// the area holds every local, then their mask).
    BreakHit,
}

pub(crate) const NUM_LIBCALLS: usize = Libcall::BreakHit as usize + 1;

impl Libcall {
    /// Parameter types after the vmctx, and the result type.
    fn types(self) -> (&'static [types::Type], Option<types::Type>) {
        use types::{I32, I64};
        match self {
            Libcall::Unwind => (&[I32, I32, I32], None),
            // Memory and table libcalls take the memory or table index
            // first; addresses, indices and lengths are i64 (memory64,
            // table64), sizes come back as i64 (-1: refused).
            Libcall::MemoryGrow => (&[I32, I64], Some(I64)),
            Libcall::MemoryFill => (&[I32, I64, I32, I64], None),
            Libcall::MemoryCopy => (&[I32, I32, I64, I64, I64], None),
            Libcall::MemoryInit => (&[I32, I32, I64, I32, I32], None),
            Libcall::DataDrop | Libcall::ElemDrop => (&[I32], None),
            Libcall::TableGet => (&[I32, I64], Some(I64)),
            Libcall::TableSet => (&[I32, I64, I64], None),
            Libcall::TableSize => (&[I32], Some(I64)),
            Libcall::TableGrow => (&[I32, I64, I64], Some(I64)),
            Libcall::TableFill => (&[I32, I64, I64, I64], None),
            Libcall::TableCopy => (&[I32, I32, I64, I64, I64], None),
            Libcall::TableInit => (&[I32, I32, I64, I32, I32], None),
            Libcall::ResolveIndirect => (&[I32, I64, I32], Some(I64)),
            Libcall::CallHost => (&[I64, I64], None),
            Libcall::EnterDebug => (&[I32, I64, I64], None),
            Libcall::Interrupt => (&[I32, I32, I64, I64], Some(I32)),
            Libcall::Resolve => (&[I64], Some(I64)),
            Libcall::Throw => (&[I32, I64], None),
            Libcall::ThrowRef => (&[I64], None),
            Libcall::CatchMatch => (&[I32], Some(I32)),
            Libcall::CatchTake => (&[I64, I32, I32], Some(I64)),
            Libcall::Gc => (&[I32, I32, I32, I64, I32, I64], None),
            Libcall::WatchBefore => (&[I64, I32, I32], Some(I32)),
            Libcall::WatchAfter => (&[I64, I64, I64], Some(I32)),
            Libcall::BreakHit => (&[I64, I64, I64, I64], Some(I32)),
        }
    }

    pub(crate) fn signature(self, call_conv: CallConv) -> Signature {
        let mut sig = Signature::new(call_conv);
        sig.params.push(AbiParam::new(types::I64));
        let (params, ret) = self.types();
        sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
        sig.returns.extend(ret.map(AbiParam::new));
        sig
    }
}

/// Trap words in the run state. 0 means "no trap".
pub(crate) mod trap_word {
    pub const UNREACHABLE: u32 = 1;
    pub const DIV_ZERO: u32 = 2;
    pub const OVERFLOW: u32 = 3;
    pub const BAD_CONVERSION: u32 = 4;
    pub const MEMORY_OOB: u32 = 5;
    pub const TABLE_OOB: u32 = 6;
    pub const INDIRECT_MISMATCH: u32 = 7;
    pub const UNDEFINED_ELEMENT: u32 = 8;
    pub const UNINITIALIZED_ELEMENT: u32 = 9;
    pub const NULL_REFERENCE: u32 = 10;
    pub const STACK_EXHAUSTED: u32 = 11;
    /// A host function trapped; its message is kept on the Rust side.
    pub const HOST: u32 = 12;
    pub const INTERRUPTED: u32 = 13;
    pub const OUT_OF_FUEL: u32 = 14;
    /// `proc_exit`; the code is kept on the Rust side.
    pub const EXIT: u32 = 15;
    /// The debug hook trapped, exited or gave up; the outcome is kept on the Rust side.
    pub const DEBUG_OUTCOME: u32 = 16;
    /// Not a trap: after an interrupt, the interpreter ran the rest of the
    /// call and left its results in `RtState::results` (generated code clears
    /// the word and returns them).
    pub const TAKEN_OVER: u32 = 17;
    /// Not seen by callers: after an interrupt, the interpreter ran the
    /// rest of the call, which trapped or exited. Its outcome is kept on the
    /// Rust side and its backtrace has this frame, so generated code makes
    /// the word `DEBUG_OUTCOME` and returns without adding a frame.
    pub const TAKEN_OVER_UNWOUND: u32 = 18;
    /// A wasm exception is in flight (`RunCtx::exception` says which);
    /// handler scopes may take it, callers add their frames as for a trap.
    pub const EXCEPTION: u32 = 19;
    /// `throw_ref` of a null `exnref`.
    pub const NULL_EXN_REFERENCE: u32 = 20;
    /// `call_ref` or `return_call_ref` of a null function reference.
    pub const NULL_FUNC_REFERENCE: u32 = 21;
    /// GC instructions (`Libcall::Gc`).
    pub const NULL_STRUCT_REFERENCE: u32 = 22;
    pub const NULL_ARRAY_REFERENCE: u32 = 23;
    pub const NULL_I31_REFERENCE: u32 = 24;
    pub const ARRAY_OOB: u32 = 25;
    pub const CAST_FAILURE: u32 = 26;
    pub const GC_HEAP_EXHAUSTED: u32 = 27;
    /// `array.new_data`/`array.init_data` past its data segment (no memory
    /// access: the trap is where the instruction is).
    pub const DATA_OOB: u32 = 28;
    /// Not a trap: the debug hook ran a call (or the rest of one) and asks
    /// the JIT caller to hand its frame to the interpreter right after the
    /// call (`DebugHook::deopt_caller`). The callee returns zeros without
    /// adding a frame; the caller's check after the call sees the word and
    /// takes its deopt path (`translate/deopt.rs`), which only code for the
    /// debugger with the caller's locals has (`JitFrame::deopt`).
    pub const DEOPT: u32 = 29;
}
