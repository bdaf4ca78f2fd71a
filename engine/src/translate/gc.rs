//! GC instructions in the translator (structs, arrays, `i31`, casts,
//! `br_on_cast`) and the stack maps the collector reads: which slots hold
//! `any` references at each safepoint (a call or an allocation).

use wasmparser::{Operator, ValidatorResources};

use super::Translator;
use crate::ir::{CastHeap, CastTarget, GcOp, Op};
use crate::module::Module;
use crate::value::ValType;

/// Whether a value of type `t` (as validation sees it) is an `any`
/// reference: one the GC must see.
pub(crate) fn is_any_ref(module: &Module, t: ValType) -> bool {
    use wasmparser::{CompositeInnerType, HeapType, UnpackedIndex};
    let ValType::Ref(r) = t else {
        return false;
    };
    match r.heap_type() {
        HeapType::Concrete(UnpackedIndex::Module(i))
        | HeapType::Exact(UnpackedIndex::Module(i)) => !matches!(
            module
                .sub_types
                .get(i as usize)
                .map(|s| &s.composite_type.inner),
            Some(CompositeInnerType::Func(_))
        ),
        _ => crate::value::ref_class(r) == crate::value::RefClass::Any,
    }
}

/// [`is_any_ref`] for a type from the validator's operand stack, whose
/// concrete types are the validator's own ids.
pub(crate) fn operand_is_any_ref(module: &Module, res: &ValidatorResources, t: ValType) -> bool {
    use wasmparser::{CompositeInnerType, HeapType, UnpackedIndex, WasmModuleResources};
    match t {
        ValType::Ref(r) => match r.heap_type() {
            HeapType::Concrete(UnpackedIndex::Id(id)) | HeapType::Exact(UnpackedIndex::Id(id)) => {
                !matches!(
                    res.sub_type_at_id(id).composite_type.inner,
                    CompositeInnerType::Func(_)
                )
            }
            _ => is_any_ref(module, t),
        },
        _ => false,
    }
}

/// An op where the collector may run with this frame on the stack: a call
/// (the frame waits in it) or an allocation.
pub(super) fn is_safepoint(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::Call { .. }
            | O::CallIndirect { .. }
            | O::CallRef { .. }
            | O::StructNew { .. }
            | O::StructNewDefault { .. }
            | O::ArrayNew { .. }
            | O::ArrayNewDefault { .. }
            | O::ArrayNewFixed { .. }
            | O::ArrayNewData { .. }
            | O::ArrayNewElem { .. }
    )
}

impl Translator<'_> {
    /// The stack map of the op about to be emitted: the `any` operands.
    pub(super) fn record_gc_map(&mut self) {
        let n = self.mirror.len();
        let mut refs = Vec::new();
        for k in 0..n {
            if let Some(Some(t)) = self.validator.get_operand_type(n - 1 - k)
                && operand_is_any_ref(self.module, self.validator.resources(), t)
            {
                refs.push(self.mirror[k] - 1);
            }
        }
        self.gc_maps.push((self.pc(), refs.into()));
    }

    /// Emit GC instruction `x`, which popped at most `pops` operands.
    pub(super) fn gc(&mut self, x: GcOp, pops: usize) {
        self.gc_ops.push(x);
        self.emit(Op::Gc(self.gc_ops.len() as u32 - 1));
        self.sync(pops);
    }

    /// What a cast to `hty` (module types) checks.
    pub(super) fn cast_target(&self, hty: wasmparser::HeapType, nullable: bool) -> CastTarget {
        use wasmparser::{AbstractHeapType as A, HeapType, UnpackedIndex};
        let heap = match hty {
            HeapType::Abstract { ty, .. } => match ty {
                A::Any => CastHeap::Any,
                A::Eq => CastHeap::Eq,
                A::I31 => CastHeap::I31,
                A::Struct => CastHeap::Struct,
                A::Array => CastHeap::Array,
                A::None | A::NoFunc | A::NoExtern | A::NoExn | A::NoCont => CastHeap::Bottom,
                A::Func | A::Extern | A::Exn | A::Cont => CastHeap::Top,
            },
            HeapType::Concrete(UnpackedIndex::Module(i))
            | HeapType::Exact(UnpackedIndex::Module(i)) => {
                CastHeap::Concrete(self.inst.type_ids[i as usize])
            }
            HeapType::Concrete(_) | HeapType::Exact(_) => CastHeap::Top,
        };
        CastTarget { heap, nullable }
    }

    /// Translate a GC instruction to an `Op::Gc`. False for any other
    /// instruction. `h0`: the stack height before it.
    pub(super) fn gc_op(&mut self, op: &Operator<'_>, h0: u32) -> bool {
        use Operator as O;
        let m = self.inst;
        match *op {
            O::StructNew {
                struct_type_index: t,
            } => {
                let n = match &self.module.sub_types[t as usize].composite_type.inner {
                    wasmparser::CompositeInnerType::Struct(st) => st.fields.len(),
                    _ => 0,
                };
                self.gc(
                    GcOp::StructNew {
                        ty: m.type_ids[t as usize],
                        default: false,
                    },
                    n,
                );
            }
            O::StructNewDefault {
                struct_type_index: t,
            } => {
                self.gc(
                    GcOp::StructNew {
                        ty: m.type_ids[t as usize],
                        default: true,
                    },
                    0,
                );
            }
            O::StructGet {
                struct_type_index: t,
                field_index: field,
            }
            | O::StructGetU {
                struct_type_index: t,
                field_index: field,
            } => {
                let ty = m.type_ids[t as usize];
                self.gc(
                    GcOp::StructGet {
                        ty,
                        field,
                        signed: false,
                    },
                    1,
                );
            }
            O::StructGetS {
                struct_type_index: t,
                field_index: field,
            } => {
                let ty = m.type_ids[t as usize];
                self.gc(
                    GcOp::StructGet {
                        ty,
                        field,
                        signed: true,
                    },
                    1,
                );
            }
            O::StructSet {
                struct_type_index: t,
                field_index: field,
            } => {
                self.gc(
                    GcOp::StructSet {
                        ty: m.type_ids[t as usize],
                        field,
                    },
                    2,
                );
            }
            O::ArrayNew {
                array_type_index: t,
            } => {
                self.gc(
                    GcOp::ArrayNew {
                        ty: m.type_ids[t as usize],
                        default: false,
                    },
                    2,
                );
            }
            O::ArrayNewDefault {
                array_type_index: t,
            } => {
                self.gc(
                    GcOp::ArrayNew {
                        ty: m.type_ids[t as usize],
                        default: true,
                    },
                    1,
                );
            }
            O::ArrayNewFixed {
                array_type_index: t,
                array_size: len,
            } => {
                let ty = m.type_ids[t as usize];
                self.gc(GcOp::ArrayNewFixed { ty, len }, len as usize);
            }
            O::ArrayNewData {
                array_type_index: t,
                array_data_index: d,
            } => {
                let (ty, data) = (m.type_ids[t as usize], m.datas[d as usize]);
                self.gc(GcOp::ArrayNewData { ty, data }, 2);
            }
            O::ArrayNewElem {
                array_type_index: t,
                array_elem_index: e,
            } => {
                let (ty, elem) = (m.type_ids[t as usize], m.elems[e as usize]);
                self.gc(GcOp::ArrayNewElem { ty, elem }, 2);
            }
            O::ArrayGet {
                array_type_index: t,
            }
            | O::ArrayGetU {
                array_type_index: t,
            } => {
                self.gc(
                    GcOp::ArrayGet {
                        ty: m.type_ids[t as usize],
                        signed: false,
                    },
                    2,
                );
            }
            O::ArrayGetS {
                array_type_index: t,
            } => {
                self.gc(
                    GcOp::ArrayGet {
                        ty: m.type_ids[t as usize],
                        signed: true,
                    },
                    2,
                );
            }
            O::ArraySet {
                array_type_index: t,
            } => {
                self.gc(
                    GcOp::ArraySet {
                        ty: m.type_ids[t as usize],
                    },
                    3,
                );
            }
            O::ArrayLen => self.gc(GcOp::ArrayLen, 1),
            O::ArrayFill {
                array_type_index: t,
            } => {
                self.gc(
                    GcOp::ArrayFill {
                        ty: m.type_ids[t as usize],
                    },
                    4,
                );
            }
            O::ArrayCopy {
                array_type_index_dst: d,
                array_type_index_src: s,
            } => {
                let (dst, src) = (m.type_ids[d as usize], m.type_ids[s as usize]);
                self.gc(GcOp::ArrayCopy { dst, src }, 5);
            }
            O::ArrayInitData {
                array_type_index: t,
                array_data_index: d,
            } => {
                let (ty, data) = (m.type_ids[t as usize], m.datas[d as usize]);
                self.gc(GcOp::ArrayInitData { ty, data }, 4);
            }
            O::ArrayInitElem {
                array_type_index: t,
                array_elem_index: e,
            } => {
                let (ty, elem) = (m.type_ids[t as usize], m.elems[e as usize]);
                self.gc(GcOp::ArrayInitElem { ty, elem }, 4);
            }
            O::RefI31 => self.gc(GcOp::RefI31, 1),
            O::I31GetS => self.gc(GcOp::I31Get { signed: true }, 1),
            O::I31GetU => self.gc(GcOp::I31Get { signed: false }, 1),
            O::RefEq => self.gc(GcOp::RefEq, 2),
            O::AnyConvertExtern => self.gc(GcOp::AnyConvertExtern, 1),
            O::ExternConvertAny => self.gc(GcOp::ExternConvertAny, 1),
            O::RefTestNonNull { hty } | O::RefTestNullable { hty } => {
                let nullable = matches!(*op, O::RefTestNullable { .. });
                let t = self.cast_target(hty, nullable);
                self.gc(GcOp::RefTest(t), 1);
            }
            O::RefCastNonNull { hty } | O::RefCastNullable { hty } => {
                let nullable = matches!(*op, O::RefCastNullable { .. });
                let t = self.cast_target(hty, nullable);
                self.gc(GcOp::RefCast(t), 1);
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
                let fail = matches!(*op, O::BrOnCastFail { .. });
                let target = self.cast_target(to_ref_type.heap_type(), to_ref_type.is_nullable());
                self.gc_ops.push(GcOp::CastFlag { target, fail });
                self.emit(Op::Gc(self.gc_ops.len() as u32 - 1));
                self.max_height = self.max_height.max(h0 + 1);
                self.branch(relative_depth, true);
                self.sync(1);
            }
            _ => return false,
        }
        true
    }
}
