//! Canonical type ids: Wasm 3.0 type identity is iso-recursive, per
//! recursion group. Two groups are the same when they are structurally
//! equal with references inside the group counted by position and
//! references outside it by canonical id. The store interns each group once
//! (a key of `u32` tokens per group) and gives every type in it an id, so
//! type equality across modules is id equality, and `type_supers` gives the
//! declared supertype chain for subtyping (`call_indirect`, casts, imports).

use std::ops::Range;

use wasmparser::{
    CompositeInnerType, FuncType, HeapType, PackedIndex, StorageType, SubType, UnpackedIndex,
    ValType,
};

use super::Store;
use crate::module::Module;

/// A reference to a type, as a key sees it.
fn key_index(out: &mut Vec<u32>, i: UnpackedIndex, group: &Range<u32>, ids: &[Option<u32>]) {
    match i {
        UnpackedIndex::Module(i) if group.contains(&i) => out.extend([1, i - group.start]),
        UnpackedIndex::Module(i) => match ids.get(i as usize).copied().flatten() {
            Some(id) => out.extend([2, id]),
            // Not interned (a read-only lookup): matches nothing interned.
            None => out.extend([3, u32::MAX]),
        },
        UnpackedIndex::RecGroup(i) => out.extend([1, i]),
        UnpackedIndex::Id(_) => out.extend([4, 0]),
    }
}

fn key_packed(out: &mut Vec<u32>, i: PackedIndex, group: &Range<u32>, ids: &[Option<u32>]) {
    key_index(out, i.unpack(), group, ids);
}

fn key_valtype(out: &mut Vec<u32>, t: ValType, group: &Range<u32>, ids: &[Option<u32>]) {
    match t {
        ValType::I32 => out.push(0),
        ValType::I64 => out.push(1),
        ValType::F32 => out.push(2),
        ValType::F64 => out.push(3),
        ValType::V128 => out.push(4),
        ValType::Ref(r) => {
            out.extend([5, r.is_nullable() as u32]);
            match r.heap_type() {
                HeapType::Abstract { shared, ty } => out.extend([0, shared as u32, ty as u32]),
                HeapType::Concrete(i) => {
                    out.push(1);
                    key_index(out, i, group, ids);
                }
                HeapType::Exact(i) => {
                    out.push(2);
                    key_index(out, i, group, ids);
                }
            }
        }
    }
}

fn key_storage(out: &mut Vec<u32>, t: StorageType, group: &Range<u32>, ids: &[Option<u32>]) {
    match t {
        StorageType::I8 => out.push(100),
        StorageType::I16 => out.push(101),
        StorageType::Val(v) => key_valtype(out, v, group, ids),
    }
}

fn key_func(out: &mut Vec<u32>, f: &FuncType, group: &Range<u32>, ids: &[Option<u32>]) {
    out.push(f.params().len() as u32);
    for &p in f.params() {
        key_valtype(out, p, group, ids);
    }
    out.push(f.results().len() as u32);
    for &r in f.results() {
        key_valtype(out, r, group, ids);
    }
}

fn key_sub(out: &mut Vec<u32>, st: &SubType, group: &Range<u32>, ids: &[Option<u32>]) {
    out.extend([
        st.is_final as u32,
        st.supertype_idxs.len() as u32,
        st.composite_type.shared as u32,
    ]);
    for &s in &st.supertype_idxs {
        key_packed(out, s, group, ids);
    }
    match &st.composite_type.inner {
        CompositeInnerType::Func(f) => {
            out.push(0);
            key_func(out, f, group, ids);
        }
        CompositeInnerType::Struct(s) => {
            out.extend([1, s.fields.len() as u32]);
            for f in s.fields.iter() {
                out.push(f.mutable as u32);
                key_storage(out, f.element_type, group, ids);
            }
        }
        CompositeInnerType::Array(a) => {
            out.extend([2, a.0.mutable as u32]);
            key_storage(out, a.0.element_type, group, ids);
        }
        CompositeInnerType::Cont(c) => {
            out.push(3);
            key_packed(out, c.0, group, ids);
        }
    }
}

fn group_key(module: &Module, group: &Range<u32>, ids: &[Option<u32>]) -> Vec<u32> {
    let mut key = vec![group.len() as u32];
    for st in &module.sub_types[group.start as usize..group.end as usize] {
        key_sub(&mut key, st, group, ids);
    }
    key
}

impl Store {
    /// Intern a recursion group of `module` (earlier types already interned
    /// in `ids`); the canonical id of its first type.
    fn intern_group(&mut self, module: &Module, group: &Range<u32>, ids: &[Option<u32>]) -> u32 {
        let key = group_key(module, group, ids);
        if let Some(&first) = self.type_groups.get(&key) {
            return first;
        }
        let first = self.types.len() as u32;
        for i in group.clone() {
            self.types.push(module.types[i as usize].clone());
        }
        for i in group.clone() {
            let st = &module.sub_types[i as usize];
            let sup = st.supertype_idxs.first().and_then(|s| match s.unpack() {
                UnpackedIndex::Module(j) if group.contains(&j) => Some(first + j - group.start),
                UnpackedIndex::Module(j) => ids.get(j as usize).copied().flatten(),
                UnpackedIndex::RecGroup(j) => Some(first + j),
                UnpackedIndex::Id(_) => None,
            });
            self.type_supers.push(sup);
            self.gc.add_type(self.type_supers.len() as u32 - 1, sup);
            self.gc_layouts
                .push(super::gc::layout_of(module, st).map(std::sync::Arc::new));
        }
        self.type_groups.insert(key, first);
        first
    }

    /// Canonical ids of every type of `module`, interning its groups.
    pub(crate) fn intern_module_types(&mut self, module: &Module) -> Vec<u32> {
        let mut ids: Vec<Option<u32>> = Vec::with_capacity(module.types.len());
        let mut i = 0;
        while i < module.rec_groups.len() {
            let group = module.rec_groups[i].clone();
            let first = self.intern_group(module, &group, &ids);
            for k in 0..group.len() as u32 {
                ids.push(Some(first + k));
            }
            i = group.end as usize;
        }
        ids.into_iter().map(|id| id.expect("interned")).collect()
    }

    /// Canonical ids of `module`'s types without interning anything: `None`
    /// for a type whose group the store has not seen (no object in the store
    /// can have it). For checking imports before instantiation.
    pub(crate) fn lookup_module_types(&self, module: &Module) -> Vec<Option<u32>> {
        let mut ids: Vec<Option<u32>> = Vec::with_capacity(module.types.len());
        let mut i = 0;
        while i < module.rec_groups.len() {
            let group = module.rec_groups[i].clone();
            let first = self
                .type_groups
                .get(&group_key(module, &group, &ids))
                .copied();
            for k in 0..group.len() as u32 {
                ids.push(first.map(|f| f + k));
            }
            i = group.end as usize;
        }
        ids
    }

    /// Whether canonical type `sub` is `sup` or declares it as a (transitive)
    /// supertype.
    pub fn type_is_subtype(&self, sub: u32, sup: u32) -> bool {
        let mut t = Some(sub);
        while let Some(id) = t {
            if id == sup {
                return true;
            }
            t = self.type_supers.get(id as usize).copied().flatten();
        }
        false
    }

    /// The function type of canonical type `id` (an empty `(func)` for a
    /// struct or array type).
    pub fn canonical_func_type(&self, id: u32) -> &FuncType {
        &self.types[id as usize]
    }
}

impl Store {
    /// The canonical id of a function type given alone (a final type in a
    /// group of its own, as host functions and tags made by the host have):
    /// equal to the id of the same type declared plainly in any module.
    pub fn intern_type(&mut self, ty: &FuncType) -> u32 {
        let group = 0..0;
        let mut key = vec![1, 1, 0, 0, 0];
        key_func(&mut key, ty, &group, &[]);
        if let Some(&id) = self.type_groups.get(&key) {
            return id;
        }
        let id = self.types.len() as u32;
        self.types.push(ty.clone());
        self.type_supers.push(None);
        self.gc.add_type(id, None);
        self.gc_layouts.push(None);
        self.type_groups.insert(key, id);
        id
    }
}
