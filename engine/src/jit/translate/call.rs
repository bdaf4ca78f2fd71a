//! Calls: direct, through a function's entry in the vmctx (compiling it on
//! first use), indirect and by reference, and tail calls.

use cranelift_codegen::ir::{
    self, BlockArg, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, Type, types,
};
use cranelift_module::Module as ClifModule;
use wasmparser::FuncType;

use super::{FuncTranslator, clif_type, flags, prof, readonly, wasm_signature};
use crate::error::Result;
use crate::jit::env::Libcall;

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// Pointer to the `FuncEntry` of function `index` of this instance.
    pub(super) fn func_entry(&mut self, index: u32) -> ir::Value {
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
    pub(super) fn call(&mut self, index: u32, tail: bool) -> Result<()> {
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
    pub(super) fn indirect_entry(&mut self, type_index: u32, table_index: u32) -> ir::Value {
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
    pub(super) fn entry_of_ref(&mut self, r: ir::Value) -> ir::Value {
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
    pub(super) fn widen_index(&mut self, v: ir::Value) -> ir::Value {
        if self.b.func.dfg.value_type(v) == types::I64 {
            v
        } else {
            self.b.ins().uextend(types::I64, v)
        }
    }

    /// A libcall's i64 table size (or -1) as table `table`'s index type.
    pub(super) fn table_index_result(&mut self, table: u32, v: ir::Value) -> ir::Value {
        if self.env.module.tables[table as usize].table64 {
            v
        } else {
            self.b.ins().ireduce(types::I32, v)
        }
    }

    pub(super) fn after_call(&mut self, results: Vec<ir::Value>) {
        if self.deopts() {
            self.check_trap_or_deopt();
        } else {
            self.check_trap();
        }
        self.reload_memory();
        self.stack.extend(results);
    }

    /// Call through a `FuncEntry`: compiled code, or (code == null) first
    /// the `Resolve` libcall, which compiles a wasm function not compiled
    /// yet (and patches the entry) or says it is a host function, called
    /// through the `CallHost` libcall.
    /// With `tail`: a tail call (wasm callees replace this frame; a host
    /// function is called and its results returned).
    pub(super) fn call_entry(
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
}
