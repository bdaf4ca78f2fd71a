//! Read-only inspection of GC references for debuggers: what an `any`
//! reference is (null, i31, an external reference, a struct or an array)
//! and, for an object, its type and its fields or elements as [`Value`]s,
//! copied out of the heap.
//!
//! Reading takes `&Store`: it never allocates, collects, marks or moves
//! anything, and the caller keeps no pointer into the heap, only the
//! reference's encoding (an object index). Such an encoding held across a
//! run that collects may be stale: the object may be gone
//! ([`GcRefInfo::Dangling`]) or its entry reused.

use std::ops::Range;

use wasmparser::{CompositeInnerType, FieldType, HeapType, RefType, StorageType, UnpackedIndex};

use super::gc::{GcLayout, i31_value, is_extern_in_any, object_index};
use super::{InstanceId, Store};
use crate::module::Module;
use crate::value::{RefClass, ValType, Value, ref_class};

/// What an `any` reference is.
#[derive(Debug, Clone, PartialEq)]
pub enum GcRefInfo {
    Null,
    /// `ref.i31`: the 31-bit payload (as `i31.get_u` reads it).
    I31(u32),
    /// An external reference made internal (`any.convert_extern`): the
    /// `externref` slot it came from (the host's reference + 1).
    Extern(u64),
    Object(GcObjectInfo),
    /// An object reference whose object is no longer in the heap.
    Dangling,
}

/// A struct or an array, copied out.
#[derive(Debug, Clone, PartialEq)]
pub struct GcObjectInfo {
    /// The object's identity in the heap (stable while it lives).
    pub id: u32,
    /// Its canonical type id.
    pub type_id: u32,
    /// A module that declares its type (the instance asked for first) and
    /// the type's index there: the name section's type and field names are
    /// that module's. `None` only for a type no live instance declares.
    pub defined_in: Option<(InstanceId, u32)>,
    pub body: GcBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GcBody {
    /// Every field, in order.
    Struct(Vec<GcField>),
    /// `len` elements; `elements` are those of the window asked for,
    /// starting at `first`.
    Array {
        len: u32,
        element: Option<FieldType>,
        first: u32,
        elements: Vec<Value>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct GcField {
    /// The field's declared type in the defining module (concrete type
    /// references are that module's type indices).
    pub ty: Option<FieldType>,
    /// A packed `i8`/`i16` field reads as a zero-extended `I32`; a
    /// reference to a struct, array or i31 as `AnyRef`.
    pub value: Value,
}

/// The class of a reference type as a module declares it (a concrete
/// index is a function type or a struct/array type of that module).
pub fn ref_class_in(module: &Module, r: RefType) -> RefClass {
    match r.heap_type() {
        HeapType::Concrete(UnpackedIndex::Module(i))
        | HeapType::Exact(UnpackedIndex::Module(i)) => {
            match module
                .sub_types
                .get(i as usize)
                .map(|s| &s.composite_type.inner)
            {
                Some(CompositeInnerType::Func(_)) | None => RefClass::Func,
                Some(_) => RefClass::Any,
            }
        }
        _ => ref_class(r),
    }
}

/// A stored field or element as a value of its declared type.
fn stored_value(module: Option<&Module>, ty: Option<StorageType>, slots: &[u64]) -> Value {
    match ty {
        Some(StorageType::I8 | StorageType::I16) => Value::I32(slots[0] as u32 as i32),
        Some(StorageType::Val(ValType::Ref(r)))
            if module.is_some_and(|m| ref_class_in(m, r) == RefClass::Any) =>
        {
            Value::AnyRef((slots[0] != 0).then_some(slots[0]))
        }
        Some(StorageType::Val(v)) => Value::from_slots(v, slots),
        // No declaring module: the raw slot.
        None => Value::I64(slots[0] as i64),
    }
}

impl Store {
    /// An instance that declares canonical type `type_id` and the type's
    /// index in its module, trying `prefer` first.
    pub fn gc_type_origin(
        &self,
        type_id: u32,
        prefer: Option<InstanceId>,
    ) -> Option<(InstanceId, u32)> {
        let find = |id: InstanceId| {
            self.instances
                .get(id.0 as usize)?
                .type_ids
                .iter()
                .position(|&t| t == type_id)
                .map(|i| (id, i as u32))
        };
        prefer
            .and_then(find)
            .or_else(|| (0..self.instances.len() as u32).find_map(|i| find(InstanceId(i))))
    }

    /// Collections the GC heap has run: a reference read before the count
    /// changed may be stale.
    pub fn gc_collections(&self) -> u64 {
        self.gc.collections
    }

    /// What `any` reference `r` (a `Value::AnyRef` payload, 0 for null) is;
    /// for an array, the elements in `elements` (clipped to its length).
    /// Type and field names are looked up in `prefer`'s module first.
    pub fn gc_inspect(
        &self,
        r: u64,
        prefer: Option<InstanceId>,
        elements: Range<u32>,
    ) -> GcRefInfo {
        if r == 0 {
            return GcRefInfo::Null;
        }
        if let Some(v) = i31_value(r) {
            return GcRefInfo::I31(v & 0x7fff_ffff);
        }
        if is_extern_in_any(r) {
            return GcRefInfo::Extern(r >> 2);
        }
        let (Some(id), Some(obj)) = (object_index(r), self.gc.get(r)) else {
            return GcRefInfo::Dangling;
        };
        let defined_in = self.gc_type_origin(obj.ty, prefer);
        let decl = defined_in.and_then(|(inst, ti)| {
            let m = self.instance_module(inst);
            Some((m, &m.sub_types.get(ti as usize)?.composite_type.inner))
        });
        let module = decl.map(|(m, _)| &**m);
        let body = match self
            .gc_layouts
            .get(obj.ty as usize)
            .and_then(|l| l.as_deref())
        {
            // A stale reference may land on words that are not this
            // layout's object: never index past what is there.
            Some(GcLayout::Struct { slots, .. }) if (*slots as usize) > obj.slots.len() => {
                return GcRefInfo::Dangling;
            }
            Some(GcLayout::Struct { fields, .. }) => {
                let tys: Option<&[FieldType]> = match decl {
                    Some((_, CompositeInnerType::Struct(s))) => Some(&s.fields),
                    _ => None,
                };
                GcBody::Struct(
                    fields
                        .iter()
                        .enumerate()
                        .map(|(i, &(off, storage))| {
                            let ty = tys.and_then(|t| t.get(i)).copied();
                            let at = off as usize;
                            let slots = &obj.slots[at..at + storage.slots() as usize];
                            GcField {
                                ty,
                                value: stored_value(module, ty.map(|t| t.element_type), slots),
                            }
                        })
                        .collect(),
                )
            }
            Some(GcLayout::Array(storage)) => {
                let element = match decl {
                    Some((_, CompositeInnerType::Array(a))) => Some(a.0),
                    _ => None,
                };
                let per = storage.slots() as usize;
                let len = (obj.slots.len() / per.max(1)) as u32;
                let first = elements.start.min(len);
                let end = elements.end.clamp(first, len);
                let values = (first..end)
                    .map(|i| {
                        let at = i as usize * per;
                        stored_value(
                            module,
                            element.map(|t| t.element_type),
                            &obj.slots[at..at + per],
                        )
                    })
                    .collect();
                GcBody::Array {
                    len,
                    element,
                    first,
                    elements: values,
                }
            }
            None => return GcRefInfo::Dangling,
        };
        GcRefInfo::Object(GcObjectInfo {
            id,
            type_id: obj.ty,
            defined_in,
            body,
        })
    }
}

/// The types a module declares, before the load-time normalisation of
/// struct and array references to abstract `struct`/`array` (see
/// `Module::sub_types`): what a debugger shows as a value's static type.
/// Each re-reads a little of the module's bytes (debug-time only).
impl Module {
    /// The params and locals of defined function `func_index`, in order,
    /// as declared; `None` for an import.
    pub fn declared_local_types(&self, func_index: u32) -> Option<Vec<ValType>> {
        let body = self.body(func_index)?;
        let ty = self
            .sub_types
            .get(*self.func_types.get(func_index as usize)? as usize)?;
        let CompositeInnerType::Func(f) = &ty.composite_type.inner else {
            return None;
        };
        let mut out: Vec<ValType> = f.params().to_vec();
        let reader = wasmparser::BinaryReader::new(
            self.bytes.get(body.range.clone())?,
            body.range.start as u64,
        );
        let mut locals = wasmparser::FunctionBody::new(reader)
            .get_locals_reader()
            .ok()?;
        for _ in 0..locals.get_count() {
            let (n, t) = locals.read().ok()?;
            out.extend(std::iter::repeat_n(t, n as usize));
        }
        Some(out)
    }

    /// The declared content type of global `index` (a defined global; an
    /// imported one has its normalised type).
    pub fn declared_global_type(&self, index: u32) -> Option<ValType> {
        let defined = index.checked_sub(self.num_imported_globals);
        let Some(defined) = defined else {
            return self.globals.get(index as usize).map(|g| g.content_type);
        };
        let s = self.sections.iter().find(|s| s.name == "global")?;
        let reader =
            wasmparser::BinaryReader::new(self.bytes.get(s.range.clone())?, s.range.start as u64);
        let globals = wasmparser::GlobalSectionReader::new(reader).ok()?;
        let g = globals.into_iter().nth(defined as usize)?.ok()?;
        Some(g.ty.content_type)
    }

    /// The declared element type of table `index` (a defined table; an
    /// imported one has its normalised type).
    pub fn declared_table_type(&self, index: u32) -> Option<RefType> {
        let Some(defined) = index.checked_sub(self.num_imported_tables) else {
            return self.tables.get(index as usize).map(|t| t.element_type);
        };
        let s = self.sections.iter().find(|s| s.name == "table")?;
        let reader =
            wasmparser::BinaryReader::new(self.bytes.get(s.range.clone())?, s.range.start as u64);
        let tables = wasmparser::TableSectionReader::new(reader).ok()?;
        let t = tables.into_iter().nth(defined as usize)?.ok()?;
        Some(t.ty.element_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::Module;
    use crate::runtime::StoreConfig;
    use std::sync::Arc;

    #[test]
    fn structs_arrays_i31_and_null_read_back() {
        let wat = r#"(module
            (type $point (struct (field $x (mut i32)) (field $y i64)))
            (type $bytes (array (mut i8)))
            (type $cell (struct (field $v (ref null $point)) (field $f f64)))
            (global $p (export "p") (ref $point) (struct.new $point (i32.const -1) (i64.const 2)))
            (global $a (export "a") (ref $bytes) (array.new $bytes (i32.const 200) (i32.const 3)))
            (global $c (export "c") (ref $cell) (struct.new $cell (global.get $p) (f64.const 1.5)))
            (global $i (export "i") i31ref (ref.i31 (i32.const -5)))
            (func (param (ref null $point)) (local $q (ref $bytes)) (local i32 i32)))"#;
        let module = Arc::new(Module::new(wat.as_bytes().to_vec()).expect("valid"));
        let mut store = Store::new(StoreConfig::default());
        let (inst, start) = store
            .instantiate(module.clone(), &[])
            .expect("instantiates");
        assert!(start.is_none());
        let global = |name: &str| match store.instance_export(inst, name) {
            Some(crate::runtime::Extern::Global(g)) => store.global_get(g),
            other => panic!("no global {name}: {other:?}"),
        };
        let Value::AnyRef(Some(p)) = global("p") else {
            panic!("p is a reference")
        };
        let GcRefInfo::Object(o) = store.gc_inspect(p, Some(inst), 0..0) else {
            panic!("p is an object")
        };
        assert_eq!(o.defined_in, Some((inst, 0)));
        let GcBody::Struct(fields) = &o.body else {
            panic!("a struct")
        };
        assert_eq!(
            fields.iter().map(|f| f.value).collect::<Vec<_>>(),
            [Value::I32(-1), Value::I64(2)]
        );
        assert!(fields[0].ty.is_some_and(|t| t.mutable));

        let Value::AnyRef(Some(a)) = global("a") else {
            panic!("a is a reference")
        };
        let GcRefInfo::Object(o) = store.gc_inspect(a, Some(inst), 1..100) else {
            panic!("a is an object")
        };
        let GcBody::Array {
            len,
            first,
            elements,
            element,
        } = &o.body
        else {
            panic!("an array")
        };
        assert_eq!((*len, *first, elements.len()), (3, 1, 2));
        assert_eq!(
            elements[0],
            Value::I32(200),
            "a packed i8 reads zero-extended"
        );
        assert_eq!(element.map(|e| e.element_type), Some(StorageType::I8));

        let Value::AnyRef(Some(c)) = global("c") else {
            panic!("c is a reference")
        };
        let GcRefInfo::Object(o) = store.gc_inspect(c, Some(inst), 0..0) else {
            panic!()
        };
        let GcBody::Struct(fields) = &o.body else {
            panic!("a struct")
        };
        assert_eq!(
            fields[0].value,
            Value::AnyRef(Some(p)),
            "a struct reference field stays an any reference"
        );
        assert_eq!(fields[1].value, Value::F64(1.5f64.to_bits()));

        let Value::AnyRef(Some(i)) = global("i") else {
            panic!("i is a reference")
        };
        assert_eq!(store.gc_inspect(i, None, 0..0), GcRefInfo::I31(0x7fff_fffb));
        assert_eq!(store.gc_inspect(0, None, 0..0), GcRefInfo::Null);
        assert_eq!(store.gc_collections(), 0, "reading does not collect");

        let point = |nullable| {
            ValType::Ref(
                RefType::new(nullable, HeapType::Concrete(UnpackedIndex::Module(0))).expect("fits"),
            )
        };
        assert_eq!(module.declared_global_type(0), Some(point(false)));
        let bytes = ValType::Ref(
            RefType::new(false, HeapType::Concrete(UnpackedIndex::Module(1))).expect("fits"),
        );
        assert_eq!(
            module.declared_local_types(0),
            Some(vec![point(true), bytes, ValType::I32, ValType::I32])
        );
        assert_eq!(
            module.globals[0].content_type,
            ValType::Ref(
                RefType::new(
                    false,
                    HeapType::Abstract {
                        shared: false,
                        ty: wasmparser::AbstractHeapType::Struct
                    }
                )
                .expect("fits")
            ),
            "the runtime's type is normalised"
        );
    }
}
