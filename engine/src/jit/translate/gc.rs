//! GC operators (Wasm 3.0 structs, arrays, i31, casts). Inline: `struct.new`
//! (bump allocation from the store's `GcCtl`, the libcall only when the
//! free run is used up), `struct.get`/`set`, `array.get`/`set`/`len` (loads
//! and stores at `base + reference` after the null and bounds checks),
//! casts to concrete struct and array types (canonical id, then the
//! supertype chain), `i31` and `ref.eq`. The rest is one `Libcall::Gc`
//! each, which runs the interpreter's implementation (`interp/gc.rs`) on
//! the operands spilled to a stack area in the interpreter's slot
//! encoding, so the engines share one heap and one set of rules.
//!
//! Roots: in a module that can hold GC objects every `any` reference on the
//! operand stack (types from a `FuncValidator` run alongside) and in a local
//! is declared to Cranelift as needing a stack map, so at every call it sits
//! in a stack slot the collector reads (`vm::jit_roots`).

use std::collections::HashSet;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, types};
use cranelift_module::Module as ClifModule;
use wasmparser::{CompositeInnerType, FuncValidator, Operator, StorageType, ValidatorResources};

use cranelift_codegen::ir::BlockArg;

use super::{FuncTranslator, clif_type, flags, readonly};
use crate::error::{Error, ErrorKind, Result};
use crate::jit::env::{Libcall, trap_word};
use crate::module::Module;
use crate::runtime::gc::{GcLayout, Storage, layout_of};

/// Slots a GC op may write past its operands (`interp::gc::run` writes a
/// result at most two slots above the operands' start, plus a v128's second).
pub(crate) const GC_RESULT_SLOTS: usize = 3;

/// `Libcall::Gc` kinds and cast-target codes (decoded by `vm::gc_op`).
pub(crate) mod gc_kind {
    pub const STRUCT_NEW: u32 = 0;
    pub const STRUCT_GET: u32 = 1;
    pub const STRUCT_SET: u32 = 2;
    pub const ARRAY_NEW: u32 = 3;
    pub const ARRAY_NEW_FIXED: u32 = 4;
    pub const ARRAY_NEW_DATA: u32 = 5;
    pub const ARRAY_NEW_ELEM: u32 = 6;
    pub const ARRAY_GET: u32 = 7;
    pub const ARRAY_SET: u32 = 8;
    pub const ARRAY_LEN: u32 = 9;
    pub const ARRAY_FILL: u32 = 10;
    pub const ARRAY_COPY: u32 = 11;
    pub const ARRAY_INIT_DATA: u32 = 12;
    pub const ARRAY_INIT_ELEM: u32 = 13;
    pub const REF_TEST: u32 = 14;
    pub const REF_CAST: u32 = 15;
    pub const CAST_FLAG: u32 = 16;
    pub const ANY_CONVERT_EXTERN: u32 = 17;
    pub const EXTERN_CONVERT_ANY: u32 = 18;
    /// Cast targets: a module type index, or one of these.
    pub const HEAP_ANY: u32 = 0xffff_fff0;
    pub const HEAP_EQ: u32 = 0xffff_fff1;
    pub const HEAP_I31: u32 = 0xffff_fff2;
    pub const HEAP_STRUCT: u32 = 0xffff_fff3;
    pub const HEAP_ARRAY: u32 = 0xffff_fff4;
    pub const HEAP_BOTTOM: u32 = 0xffff_fff5;
    pub const HEAP_TOP: u32 = 0xffff_fff6;
}

use gc_kind as k;

/// The validator that tells which operands are `any` references, and the
/// values already looked at.
pub(crate) struct GcTrack {
    validator: FuncValidator<ValidatorResources>,
    seen: HashSet<ir::Value>,
}

impl GcTrack {
    pub(crate) fn new(module: &Module, func_index: u32) -> Result<GcTrack> {
        let mut validator = module.func_validator(func_index)?;
        let body = module.body(func_index).expect("a defined function");
        let mut reader = wasmparser::BinaryReader::new(
            &module.bytes[body.range.clone()],
            body.range.start as u64,
        );
        validator
            .read_locals(&mut reader)
            .map_err(|e| Error::at(ErrorKind::Invalid, e.message(), e.offset() as usize))?;
        Ok(GcTrack {
            validator,
            seen: HashSet::new(),
        })
    }

    pub(crate) fn op(&mut self, offset: u64, op: &Operator<'_>) -> Result<()> {
        self.validator
            .op(offset, op)
            .map_err(|e| Error::at(ErrorKind::Invalid, e.message(), e.offset() as usize))
    }
}

/// Whether a struct field or array element is packed (`i8`, `i16`).
fn field_type(t: StorageType) -> ir::Type {
    match t {
        StorageType::I8 | StorageType::I16 => types::I32,
        StorageType::Val(v) => clif_type(v),
    }
}

impl<M: ClifModule> FuncTranslator<'_, '_, M> {
    /// After an operator: every operand not looked at yet that is an `any`
    /// reference needs a stack map.
    pub(super) fn declare_gc_operands(&mut self, g: &mut GcTrack) {
        let h = g.validator.operand_stack_height() as usize;
        let n = self.stack.len().min(h);
        for depth in 0..n {
            let v = self.stack[self.stack.len() - 1 - depth];
            if !g.seen.insert(v) {
                continue;
            }
            if let Some(Some(t)) = g.validator.get_operand_type(depth)
                && crate::translate::operand_is_any_ref(self.env.module, g.validator.resources(), t)
            {
                self.b.declare_value_needs_stack_map(v);
            }
        }
    }

    fn struct_field(&self, ty: u32, field: u32) -> ir::Type {
        match &self.env.module.sub_types[ty as usize].composite_type.inner {
            CompositeInnerType::Struct(s) => field_type(s.fields[field as usize].element_type),
            _ => unreachable!("validated: a struct type"),
        }
    }

    fn array_elem(&self, ty: u32) -> ir::Type {
        match &self.env.module.sub_types[ty as usize].composite_type.inner {
            CompositeInnerType::Array(a) => field_type(a.0.element_type),
            _ => unreachable!("validated: an array type"),
        }
    }

    /// The module type index of a concrete struct or array heap type.
    fn concrete_gc(&self, hty: wasmparser::HeapType) -> Option<u32> {
        use wasmparser::{HeapType, UnpackedIndex};
        match hty {
            HeapType::Concrete(UnpackedIndex::Module(i))
            | HeapType::Exact(UnpackedIndex::Module(i))
                if self.is_gc_type(i) =>
            {
                Some(i)
            }
            _ => None,
        }
    }

    /// The cast-target code and nullability of a heap type.
    fn cast_code(hty: wasmparser::HeapType) -> u32 {
        use wasmparser::{AbstractHeapType as A, HeapType, UnpackedIndex};
        match hty {
            HeapType::Abstract { ty, .. } => match ty {
                A::Any => k::HEAP_ANY,
                A::Eq => k::HEAP_EQ,
                A::I31 => k::HEAP_I31,
                A::Struct => k::HEAP_STRUCT,
                A::Array => k::HEAP_ARRAY,
                A::None | A::NoFunc | A::NoExtern | A::NoExn | A::NoCont => k::HEAP_BOTTOM,
                A::Func | A::Extern | A::Exn | A::Cont => k::HEAP_TOP,
            },
            HeapType::Concrete(UnpackedIndex::Module(i))
            | HeapType::Exact(UnpackedIndex::Module(i)) => i,
            HeapType::Concrete(_) | HeapType::Exact(_) => k::HEAP_TOP,
        }
    }

    /// Pop `n` operands, call `Libcall::Gc` on them, check for a trap
    /// (`traps`) and push results of `results` types.
    fn gc_call(
        &mut self,
        kind: u32,
        a: u32,
        b: u32,
        n: usize,
        results: &[ir::Type],
        traps: bool,
    ) -> Vec<ir::Value> {
        let at = self.stack.len() - n;
        let operands: Vec<ir::Value> = self.stack.drain(at..).collect();
        self.gc_call_with(kind, a, b, operands, results, traps)
    }

    /// `gc_call` on the given operands.
    fn gc_call_with(
        &mut self,
        kind: u32,
        a: u32,
        b: u32,
        operands: Vec<ir::Value>,
        results: &[ir::Type],
        traps: bool,
    ) -> Vec<ir::Value> {
        let slots: usize = operands
            .iter()
            .map(|v| {
                if self.b.func.dfg.value_type(*v).bytes() == 16 {
                    2
                } else {
                    1
                }
            })
            .sum();
        let size = ((slots + GC_RESULT_SLOTS) * 8) as u32;
        let ss = match self.gc_area {
            Some(ss) => {
                let d = &mut self.b.func.sized_stack_slots[ss];
                d.size = d.size.max(size);
                ss
            }
            None => {
                let ss = self.b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    size,
                    4,
                ));
                self.gc_area = Some(ss);
                ss
            }
        };
        let area = self.b.ins().stack_addr(types::I64, ss, 0);
        let fl = MemFlagsData::trusted();
        let mut off = 0;
        for v in operands {
            let t = self.b.func.dfg.value_type(v);
            let v = match t {
                types::I32 => self.b.ins().uextend(types::I64, v),
                types::F32 => {
                    let i = self.b.ins().bitcast(types::I32, MemFlagsData::new(), v);
                    self.b.ins().uextend(types::I64, i)
                }
                _ => v,
            };
            self.b.ins().store(fl, v, area, off);
            off += if t.bytes() == 16 { 16 } else { 8 };
        }
        let op = self
            .b
            .ins()
            .iconst(types::I32, (kind | self.func_index << 8) as i64);
        let a = self.b.ins().iconst(types::I32, a as i64);
        let b = self.b.ins().iconst(types::I32, b as i64);
        let inputs = self.b.ins().iconst(types::I32, slots as i64);
        let fp = self.b.ins().get_frame_pointer(types::I64);
        self.libcall(Libcall::Gc, &[op, a, b, area, inputs, fp]);
        if traps {
            self.check_trap();
        }
        let mut out = Vec::new();
        let mut off = 0;
        for &t in results {
            let v = self.b.ins().load(t, fl, area, off);
            off += if t.bytes() == 16 { 16 } else { 8 };
            out.push(v);
        }
        out
    }

    /// The store's `GcCtl` (its address never changes).
    fn gc_ctl(&mut self) -> ir::Value {
        self.b
            .ins()
            .load(types::I64, readonly(), self.vmctx, self.env.layout.vmctx_gc)
    }

    /// The arena's base address (it moves only in an allocation's slow path).
    fn gc_base(&mut self) -> ir::Value {
        let ctl = self.gc_ctl();
        self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            ctl,
            self.env.layout.gc_base,
        )
    }

    /// Canonical type id of module type `t` (i32).
    fn canon_id(&mut self, t: u32) -> ir::Value {
        let ids = self.b.ins().load(
            types::I64,
            readonly(),
            self.vmctx,
            self.env.layout.vmctx_type_ids,
        );
        self.b
            .ins()
            .load(types::I32, readonly(), ids, (t * 4) as i32)
    }

    fn gc_layout(&self, t: u32) -> GcLayout {
        layout_of(self.env.module, &self.env.module.sub_types[t as usize])
            .expect("validated: a struct or array type")
    }

    /// Address of `r`'s object (`r` an object reference, not null).
    fn object_addr(&mut self, r: ir::Value) -> ir::Value {
        let base = self.gc_base();
        self.b.ins().iadd(base, r)
    }

    /// Store operand `v` as a slot of storage `s` at `p + off` (packed:
    /// wrapped; 32-bit values zero-extended to the whole slot).
    fn store_slot(&mut self, p: ir::Value, off: i32, v: ir::Value, s: Storage) {
        let fl = MemFlagsData::trusted();
        let v = match s {
            Storage::I8 | Storage::I16 => {
                let m = if s == Storage::I8 { 0xff } else { 0xffff };
                let w = self.b.ins().band_imm_u(v, m);
                self.b.ins().uextend(types::I64, w)
            }
            _ => match self.b.func.dfg.value_type(v) {
                types::I32 => self.b.ins().uextend(types::I64, v),
                types::F32 => {
                    let i = self.b.ins().bitcast(types::I32, MemFlagsData::new(), v);
                    self.b.ins().uextend(types::I64, i)
                }
                t if t.bytes() == 16 => {
                    self.b.ins().store(flags(), v, p, off);
                    return;
                }
                _ => v,
            },
        };
        self.b.ins().store(fl, v, p, off);
    }

    /// Load a slot of storage `s` at `p + off` as an operand of type `ty`
    /// (packed: sign- or zero-extended by `signed`).
    fn load_slot(
        &mut self,
        p: ir::Value,
        off: i32,
        s: Storage,
        ty: ir::Type,
        signed: bool,
    ) -> ir::Value {
        let fl = MemFlagsData::trusted();
        match (s, signed) {
            (Storage::I8, true) => self.b.ins().sload8(types::I32, fl, p, off),
            (Storage::I8, false) => self.b.ins().uload8(types::I32, fl, p, off),
            (Storage::I16, true) => self.b.ins().sload16(types::I32, fl, p, off),
            (Storage::I16, false) => self.b.ins().uload16(types::I32, fl, p, off),
            _ if ty.bytes() == 16 => self.b.ins().load(ty, flags(), p, off),
            _ => self.b.ins().load(ty, fl, p, off),
        }
    }

    /// `struct.new` (`default`: `struct.new_default`): bump-allocated
    /// inline from the current free run; the libcall (which may collect)
    /// only when the run is used up.
    fn struct_new(&mut self, t: u32, default: bool) {
        let GcLayout::Struct { fields, slots } = self.gc_layout(t) else {
            unreachable!("validated: a struct type")
        };
        let operands: Vec<ir::Value> = if default {
            Vec::new()
        } else {
            let at = self.stack.len() - fields.len();
            self.stack.drain(at..).collect()
        };
        let size = 8 * (1 + slots as i64);
        let l = self.env.layout;
        let ctl = self.gc_ctl();
        let fl = MemFlagsData::trusted();
        let cur = self.b.ins().load(types::I64, fl, ctl, l.gc_cursor);
        let lim = self.b.ins().load(types::I64, fl, ctl, l.gc_limit);
        let end = self.b.ins().iadd_imm_s(cur, size);
        let over = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, lim);
        let (fast, slow, join) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let r = self.b.append_block_param(join, types::I64);
        self.b.set_cold_block(slow);
        self.b.ins().brif(over, slow, &[], fast, &[]);
        self.b.seal_block(fast);
        self.b.seal_block(slow);

        self.b.switch_to_block(fast);
        self.b.ins().store(fl, end, ctl, l.gc_cursor);
        let base = self.b.ins().load(types::I64, fl, ctl, l.gc_base);
        let p = self.b.ins().iadd(base, cur);
        let id = self.canon_id(t);
        let id = self.b.ins().uextend(types::I64, id);
        let hdr = self.b.ins().bor_imm_u(id, (slots as i64) << 32);
        self.b.ins().store(fl, hdr, p, 0);
        if default {
            let z = self.b.ins().iconst(types::I64, 0);
            for i in 0..slots as i32 {
                self.b.ins().store(fl, z, p, 8 + 8 * i);
            }
        } else {
            for (&v, &(off, st)) in operands.iter().zip(&fields) {
                self.store_slot(p, 8 + 8 * off as i32, v, st);
            }
        }
        self.b.ins().jump(join, &[BlockArg::Value(cur)]);

        self.b.switch_to_block(slow);
        let v = self.gc_call_with(
            k::STRUCT_NEW,
            t,
            default as u32,
            operands,
            &[types::I64],
            true,
        );
        self.b.ins().jump(join, &[BlockArg::Value(v[0])]);
        self.b.seal_block(join);
        self.b.switch_to_block(join);
        self.checked.clear();
        self.push(r);
    }

    fn struct_get(&mut self, t: u32, f: u32, signed: bool) {
        let GcLayout::Struct { fields, .. } = self.gc_layout(t) else {
            unreachable!("validated: a struct type")
        };
        let (off, st) = fields[f as usize];
        let ty = self.struct_field(t, f);
        let r = self.pop();
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.trap_if(null, trap_word::NULL_STRUCT_REFERENCE);
        let p = self.object_addr(r);
        let v = self.load_slot(p, 8 + 8 * off as i32, st, ty, signed);
        self.push(v);
    }

    fn struct_set(&mut self, t: u32, f: u32) {
        let GcLayout::Struct { fields, .. } = self.gc_layout(t) else {
            unreachable!("validated: a struct type")
        };
        let (off, st) = fields[f as usize];
        let (r, v) = self.pop2();
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.trap_if(null, trap_word::NULL_STRUCT_REFERENCE);
        let p = self.object_addr(r);
        self.store_slot(p, 8 + 8 * off as i32, v, st);
    }

    /// The address of element `i` of array `r` of storage `st`, after the
    /// null and bounds checks.
    fn array_elem_addr(&mut self, r: ir::Value, i: ir::Value, st: Storage) -> ir::Value {
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.trap_if(null, trap_word::NULL_ARRAY_REFERENCE);
        let p = self.object_addr(r);
        let len = self.b.ins().load(types::I32, MemFlagsData::trusted(), p, 4);
        let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, i, len);
        self.trap_if(oob, trap_word::ARRAY_OOB);
        let i = self.b.ins().uextend(types::I64, i);
        let scaled = self
            .b
            .ins()
            .ishl_imm_u(i, if st.slots() == 2 { 4 } else { 3 });
        self.b.ins().iadd(p, scaled)
    }

    fn array_get(&mut self, t: u32, signed: bool) {
        let GcLayout::Array(st) = self.gc_layout(t) else {
            unreachable!("validated: an array type")
        };
        let ty = self.array_elem(t);
        let (r, i) = self.pop2();
        let at = self.array_elem_addr(r, i, st);
        let v = self.load_slot(at, 8, st, ty, signed);
        self.push(v);
    }

    fn array_set(&mut self, t: u32) {
        let GcLayout::Array(st) = self.gc_layout(t) else {
            unreachable!("validated: an array type")
        };
        let v = self.pop();
        let (r, i) = self.pop2();
        let at = self.array_elem_addr(r, i, st);
        self.store_slot(at, 8, v, st);
    }

    fn array_len(&mut self) {
        let r = self.pop();
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.trap_if(null, trap_word::NULL_ARRAY_REFERENCE);
        let p = self.object_addr(r);
        let len = self.b.ins().load(types::I32, MemFlagsData::trusted(), p, 4);
        self.push(len);
    }

    /// Whether module type `t` is a struct or array type (a concrete cast
    /// target tested inline).
    fn is_gc_type(&self, t: u32) -> bool {
        matches!(
            self.env
                .module
                .sub_types
                .get(t as usize)
                .map(|s| &s.composite_type.inner),
            Some(CompositeInnerType::Struct(_) | CompositeInnerType::Array(_))
        )
    }

    /// Whether `r` is a (non-null) `t` or a subtype (i32 0/1), `nullable`
    /// the answer for null: the object's canonical id, then its
    /// supertypes' (`GcCtl::parents`), compared with `t`'s.
    fn test_concrete(&mut self, r: ir::Value, t: u32, nullable: bool) -> ir::Value {
        let l = self.env.layout;
        let fl = MemFlagsData::trusted();
        let done = self.b.create_block();
        let res = self.b.append_block_param(done, types::I32);
        let (obj, walk, up) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let tv = self.b.append_block_param(walk, types::I32);
        let n = self.b.ins().iconst(types::I32, nullable as i64);
        let zero = self.b.ins().iconst(types::I32, 0);
        let one = self.b.ins().iconst(types::I32, 1);
        // Null, i31 and external references are no struct or array.
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        let tagged = self.b.ins().band_imm_u(r, 3);
        let not_obj = self.b.create_block();
        self.b
            .ins()
            .brif(null, done, &[BlockArg::Value(n)], not_obj, &[]);
        self.b.seal_block(not_obj);
        self.b.switch_to_block(not_obj);
        self.b
            .ins()
            .brif(tagged, done, &[BlockArg::Value(zero)], obj, &[]);
        self.b.seal_block(obj);
        self.b.switch_to_block(obj);
        let p = self.object_addr(r);
        let h = self.b.ins().load(types::I32, fl, p, 0);
        let ty = self.b.ins().band_imm_u(h, 0x7fff_ffff);
        let target = self.canon_id(t);
        self.b.ins().jump(walk, &[BlockArg::Value(ty)]);
        self.b.switch_to_block(walk);
        let eq = self.b.ins().icmp(IntCC::Equal, tv, target);
        self.b
            .ins()
            .brif(eq, done, &[BlockArg::Value(one)], up, &[]);
        self.b.seal_block(up);
        self.b.switch_to_block(up);
        let ctl = self.gc_ctl();
        let parents = self.b.ins().load(types::I64, fl, ctl, l.gc_parents);
        let i = self.b.ins().uextend(types::I64, tv);
        let i = self.b.ins().ishl_imm_u(i, 2);
        let a = self.b.ins().iadd(parents, i);
        let parent = self.b.ins().load(types::I32, fl, a, 0);
        let none = self.b.ins().icmp_imm_s(IntCC::Equal, parent, -1);
        self.b.ins().brif(
            none,
            done,
            &[BlockArg::Value(zero)],
            walk,
            &[BlockArg::Value(parent)],
        );
        self.b.seal_block(walk);
        self.b.seal_block(done);
        self.b.switch_to_block(done);
        self.checked.clear();
        res
    }

    fn gc_push(&mut self, kind: u32, a: u32, b: u32, n: usize, result: Option<ir::Type>) {
        let results: Vec<ir::Type> = result.into_iter().collect();
        for v in self.gc_call(kind, a, b, n, &results, true) {
            self.push(v);
        }
    }

    /// Translate a GC operator; `false` if `op` is not one.
    pub(super) fn gc_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        let r = Some(types::I64);
        match *op {
            O::StructNew {
                struct_type_index: t,
            } => self.struct_new(t, false),
            O::StructNewDefault {
                struct_type_index: t,
            } => self.struct_new(t, true),
            O::StructGet {
                struct_type_index: t,
                field_index: f,
            }
            | O::StructGetU {
                struct_type_index: t,
                field_index: f,
            } => self.struct_get(t, f, false),
            O::StructGetS {
                struct_type_index: t,
                field_index: f,
            } => self.struct_get(t, f, true),
            O::StructSet {
                struct_type_index: t,
                field_index: f,
            } => self.struct_set(t, f),
            O::ArrayNew {
                array_type_index: t,
            } => self.gc_push(k::ARRAY_NEW, t, 0, 2, r),
            O::ArrayNewDefault {
                array_type_index: t,
            } => self.gc_push(k::ARRAY_NEW, t, 1, 1, r),
            O::ArrayNewFixed {
                array_type_index: t,
                array_size: n,
            } => self.gc_push(k::ARRAY_NEW_FIXED, t, n, n as usize, r),
            O::ArrayNewData {
                array_type_index: t,
                array_data_index: d,
            } => self.gc_push(k::ARRAY_NEW_DATA, t, d, 2, r),
            O::ArrayNewElem {
                array_type_index: t,
                array_elem_index: e,
            } => self.gc_push(k::ARRAY_NEW_ELEM, t, e, 2, r),
            O::ArrayGet {
                array_type_index: t,
            }
            | O::ArrayGetU {
                array_type_index: t,
            } => self.array_get(t, false),
            O::ArrayGetS {
                array_type_index: t,
            } => self.array_get(t, true),
            O::ArraySet {
                array_type_index: t,
            } => self.array_set(t),
            O::ArrayLen => self.array_len(),
            O::ArrayFill {
                array_type_index: t,
            } => self.gc_push(k::ARRAY_FILL, t, 0, 4, None),
            O::ArrayCopy {
                array_type_index_dst: d,
                array_type_index_src: s,
            } => self.gc_push(k::ARRAY_COPY, d, s, 5, None),
            O::ArrayInitData {
                array_type_index: t,
                array_data_index: d,
            } => self.gc_push(k::ARRAY_INIT_DATA, t, d, 4, None),
            O::ArrayInitElem {
                array_type_index: t,
                array_elem_index: e,
            } => self.gc_push(k::ARRAY_INIT_ELEM, t, e, 4, None),
            O::RefI31 => {
                // `(v & 0x7fff_ffff) << 1 | 1`
                let v = self.pop();
                let v = self.b.ins().uextend(types::I64, v);
                let v = self.b.ins().band_imm_u(v, 0x7fff_ffff);
                let v = self.b.ins().ishl_imm_u(v, 1);
                let v = self.b.ins().bor_imm_u(v, 1);
                self.push(v);
            }
            O::I31GetS | O::I31GetU => {
                let r = self.pop();
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                self.trap_if(null, trap_word::NULL_I31_REFERENCE);
                let low = self.b.ins().ireduce(types::I32, r);
                let v = if matches!(op, O::I31GetS) {
                    self.b.ins().sshr_imm_u(low, 1)
                } else {
                    self.b.ins().ushr_imm_u(low, 1)
                };
                self.push(v);
            }
            O::RefEq => {
                let (a, b) = self.pop2();
                let eq = self.b.ins().icmp(IntCC::Equal, a, b);
                let eq = self.b.ins().uextend(types::I32, eq);
                self.push(eq);
            }
            O::RefTestNonNull { hty } | O::RefTestNullable { hty }
                if self.concrete_gc(hty).is_some() =>
            {
                let nullable = matches!(op, O::RefTestNullable { .. });
                let r = self.pop();
                let v = self.test_concrete(r, self.concrete_gc(hty).expect("tested"), nullable);
                self.push(v);
            }
            O::RefCastNonNull { hty } | O::RefCastNullable { hty }
                if self.concrete_gc(hty).is_some() =>
            {
                let nullable = matches!(op, O::RefCastNullable { .. });
                let r = *self.stack.last().expect("validated");
                let ok = self.test_concrete(r, self.concrete_gc(hty).expect("tested"), nullable);
                let bad = self.b.ins().icmp_imm_s(IntCC::Equal, ok, 0);
                self.trap_if(bad, trap_word::CAST_FAILURE);
            }
            O::RefTestNonNull { hty } | O::RefTestNullable { hty } => {
                let nullable = matches!(op, O::RefTestNullable { .. });
                let code = Self::cast_code(hty);
                let v = self.gc_call(k::REF_TEST, code, nullable as u32, 1, &[types::I32], false);
                self.push(v[0]);
            }
            O::RefCastNonNull { hty } | O::RefCastNullable { hty } => {
                let nullable = matches!(op, O::RefCastNullable { .. });
                let code = Self::cast_code(hty);
                // The reference stays what it was.
                let r = *self.stack.last().expect("validated");
                self.gc_call(k::REF_CAST, code, nullable as u32, 1, &[], true);
                self.push(r);
            }
            O::BrOnCast {
                relative_depth,
                to_ref_type,
                ..
            }
            | O::BrOnCastFail {
                relative_depth,
                to_ref_type,
                ..
            } => {
                self.checked.clear();
                let fail = matches!(op, O::BrOnCastFail { .. });
                let hty = to_ref_type.heap_type();
                let r = *self.stack.last().expect("validated");
                let flag = if let Some(t) = self.concrete_gc(hty) {
                    let ok = self.test_concrete(r, t, to_ref_type.is_nullable());
                    if fail {
                        self.b.ins().bxor_imm_u(ok, 1)
                    } else {
                        ok
                    }
                } else {
                    let code = Self::cast_code(hty);
                    let flags = to_ref_type.is_nullable() as u32 | (fail as u32) << 1;
                    let f = self.gc_call(
                        k::CAST_FLAG,
                        code,
                        flags,
                        1,
                        &[types::I64, types::I32],
                        false,
                    );
                    self.push(r);
                    f[1]
                };
                let (blk, args) = self.cond_branch_target(relative_depth);
                let cont = self.b.create_block();
                self.b.ins().brif(flag, blk, &Self::args(&args), cont, &[]);
                self.fuel_fill_tramp();
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
            }
            O::AnyConvertExtern => {
                let v = self.gc_call(k::ANY_CONVERT_EXTERN, 0, 0, 1, &[types::I64], false);
                self.push(v[0]);
            }
            O::ExternConvertAny => {
                let v = self.gc_call(k::EXTERN_CONVERT_ANY, 0, 0, 1, &[types::I64], false);
                self.push(v[0]);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
