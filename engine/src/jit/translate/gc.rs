//! GC operators (Wasm 3.0 structs, arrays, i31, casts). `i31` and `ref.eq`
//! are a few instructions inline; the rest is one `Libcall::Gc` each, which
//! runs the interpreter's implementation (`interp/gc.rs`) on the operands
//! spilled to a stack area in the interpreter's slot encoding, so the
//! engines share one heap and one set of rules.
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

use super::{FuncTranslator, clif_type};
use crate::error::{Error, ErrorKind, Result};
use crate::jit::env::{Libcall, trap_word};
use crate::module::Module;

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

    fn struct_fields(&self, ty: u32) -> usize {
        match &self.env.module.sub_types[ty as usize].composite_type.inner {
            CompositeInnerType::Struct(s) => s.fields.len(),
            _ => unreachable!("validated: a struct type"),
        }
    }

    fn array_elem(&self, ty: u32) -> ir::Type {
        match &self.env.module.sub_types[ty as usize].composite_type.inner {
            CompositeInnerType::Array(a) => field_type(a.0.element_type),
            _ => unreachable!("validated: an array type"),
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
            } => {
                let n = self.struct_fields(t);
                self.gc_push(k::STRUCT_NEW, t, 0, n, r);
            }
            O::StructNewDefault {
                struct_type_index: t,
            } => self.gc_push(k::STRUCT_NEW, t, 1, 0, r),
            O::StructGet {
                struct_type_index: t,
                field_index: f,
            }
            | O::StructGetU {
                struct_type_index: t,
                field_index: f,
            } => {
                let ty = self.struct_field(t, f);
                self.gc_push(k::STRUCT_GET, t, f, 1, Some(ty));
            }
            O::StructGetS {
                struct_type_index: t,
                field_index: f,
            } => {
                let ty = self.struct_field(t, f);
                self.gc_push(k::STRUCT_GET, t, f | 1 << 31, 1, Some(ty));
            }
            O::StructSet {
                struct_type_index: t,
                field_index: f,
            } => self.gc_push(k::STRUCT_SET, t, f, 2, None),
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
            } => {
                let ty = self.array_elem(t);
                self.gc_push(k::ARRAY_GET, t, 0, 2, Some(ty));
            }
            O::ArrayGetS {
                array_type_index: t,
            } => {
                let ty = self.array_elem(t);
                self.gc_push(k::ARRAY_GET, t, 1, 2, Some(ty));
            }
            O::ArraySet {
                array_type_index: t,
            } => self.gc_push(k::ARRAY_SET, t, 0, 3, None),
            O::ArrayLen => self.gc_push(k::ARRAY_LEN, 0, 0, 1, Some(types::I32)),
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
                let code = Self::cast_code(to_ref_type.heap_type());
                let flags = to_ref_type.is_nullable() as u32 | (fail as u32) << 1;
                let r = *self.stack.last().expect("validated");
                let f = self.gc_call(
                    k::CAST_FLAG,
                    code,
                    flags,
                    1,
                    &[types::I64, types::I32],
                    false,
                );
                self.push(r);
                let (blk, args) = self.cond_branch_target(relative_depth);
                let cont = self.b.create_block();
                self.b.ins().brif(f[1], blk, &Self::args(&args), cont, &[]);
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
