//! Linear memory: the base and length, address computation with bounds
//! checks (or guard pages), loads and stores, and the watch-box checks of
//! code compiled for watchpoints.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, MemFlagsData, Type, types};
use cranelift_module::Module as ClifModule;
use wasmparser::MemArg;

use super::{FuncTranslator, flags, readonly};
use crate::jit::env::{Libcall, trap_word};

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// Reload the memory base and length (after calls and `memory.grow`).
    /// With guard pages the base never moves and accesses are not checked
    /// against the length: the base is read once, at entry, and
    /// `memory.size` reads the length where it is used.
    pub(super) fn reload_memory(&mut self) {
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
    pub(super) fn memory_len(&mut self) -> ir::Value {
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

    /// Memory `mem` has 64-bit addresses.
    pub(super) fn mem64(&self, mem: u32) -> bool {
        self.env.module.memories[mem as usize].memory64
    }

    /// Memory 0 with 32-bit addresses: its base is kept in a variable and,
    /// with guard pages, its accesses are not checked. Other memories are
    /// reached through the vmctx's cell array and checked explicitly.
    pub(super) fn fast_mem(&self, mem: u32) -> bool {
        mem == 0 && !self.mem64(0)
    }

    /// The `MemCell` of memory `mem` of this instance.
    pub(super) fn mem_cell(&mut self, mem: u32) -> ir::Value {
        let l = self.env.layout;
        let arr = self
            .b
            .ins()
            .load(types::I64, readonly(), self.vmctx, l.vmctx_mems);
        self.b
            .ins()
            .load(types::I64, readonly(), arr, mem as i32 * 8)
    }

    /// Bounds-check `addr + offset + size <= len` and return the native address.
    pub(super) fn mem_addr(&mut self, memarg: MemArg, size: u32) -> ir::Value {
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
    pub(super) fn checked_mem_addr(&mut self, memarg: MemArg, size: u32) -> ir::Value {
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

    pub(super) fn load(&mut self, memarg: MemArg, ty: Type, size: u32, ext: Ext) {
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
    pub(super) fn watched(
        &mut self,
        p: ir::Value,
        size: u32,
        write: bool,
        emit: impl Fn(&mut Self),
    ) {
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
    pub(super) fn watched_into(
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
        // A function that keeps its locals for the debugger (or has
        // compiled breakpoint checks) shows them at the stop, and after a
        // store (nothing on the operand stack: a statement boundary) the
        // interpreter can run the rest of the call from the next
        // instruction (`JitStop::takeover`), as after a breakpoint check's
        // stop; a load's value is not on the stack yet, so not after one.
        let (area, takeover) = match self.locals_slot {
            Some(_) => (
                self.save_locals_for_stop(),
                write
                    && !takes
                    && self.stack.is_empty()
                    && self.result_types.len() <= crate::jit::vm::RESULT_SLOTS
                    && !self.env.module.uses_gc_refs,
            ),
            None => (self.b.ins().iconst(types::I64, 0), false),
        };
        let site =
            self.func_index as u64 | (self.code_offset as u64) << 32 | (takeover as u64) << 62;
        let site = self.b.ins().iconst(types::I64, site as i64);
        let fp = self.b.ins().get_frame_pointer(types::I64);
        let unwind = self
            .libcall(Libcall::WatchAfter, &[site, area, fp])
            .expect("WatchAfter answers");
        if takeover {
            let word = self.trap_word();
            self.answer_takeover(word);
        }
        self.trap_if(unwind, 0);
        self.reload_fuel();
        self.b.ins().jump(done, &args);
    }
}

/// The memory a memory instruction accesses. (`MemArgTarget::Array` is a
/// proposal beyond Wasm 3.0, which validation refuses.)
pub(super) fn mem_index(m: &MemArg) -> u32 {
    match m.target {
        wasmparser::MemArgTarget::Memory(i) => i,
        wasmparser::MemArgTarget::Array(_) => 0,
    }
}

#[derive(Clone, Copy)]
pub(super) enum Ext {
    None,
    S,
    U,
}

/// Wasm memory is little-endian; accesses may be unaligned; bounds are checked.
pub(super) fn le() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_endianness(ir::Endianness::Little)
}
