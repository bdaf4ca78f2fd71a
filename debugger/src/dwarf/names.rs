//! Types and enumerators by name, for expressions: casts (`(struct rec *)p`,
//! `(shape_t)x`), `sizeof(struct node)`, `ptype`, and enumerators (`p BLUE`).
//! Built by one walk over every unit's DIEs, the first time a name is asked
//! for; variables are found through the scopes as before.

use std::collections::HashMap;

use gimli::AttributeValue;

use super::loc::Place;
use super::units::{Store, Ty};
use super::{DebugInfo, FrameAccess, types};
use crate::expr::{Type, Val};

#[derive(Default)]
pub(crate) struct Names {
    /// (tag, name) -> the first complete definition.
    types: HashMap<(gimli::DwTag, String), Ty>,
    /// Enumerator name -> (its enumeration type, value).
    enumerators: HashMap<String, (Ty, i128)>,
}

/// Tags a name can be looked up under.
const TYPE_TAGS: [gimli::DwTag; 6] = [
    gimli::DW_TAG_base_type,
    gimli::DW_TAG_typedef,
    gimli::DW_TAG_structure_type,
    gimli::DW_TAG_class_type,
    gimli::DW_TAG_union_type,
    gimli::DW_TAG_enumeration_type,
];

impl Names {
    fn build(store: &Store) -> Names {
        let mut n = Names::default();
        for i in 0..store.unit_count() {
            let Some(cu) = store.cu(i) else { continue };
            let mut entries = cu.unit.entries();
            while let Ok(Some(e)) = entries.next_dfs() {
                let tag = e.tag();
                if !TYPE_TAGS.contains(&tag) || e.attr_value(gimli::DW_AT_declaration).is_some() {
                    continue;
                }
                let Some(name) = cu.string_attr(e, gimli::DW_AT_name) else {
                    continue;
                };
                let ty = Ty {
                    cu: cu.clone(),
                    off: e.offset(),
                };
                if tag == gimli::DW_TAG_enumeration_type {
                    n.add_enumerators(&ty);
                }
                n.types.entry((tag, name)).or_insert(ty);
            }
        }
        n
    }

    fn add_enumerators(&mut self, ty: &Ty) {
        let Ok(mut tree) = ty.cu.unit.entries_tree(Some(ty.off)) else {
            return;
        };
        let Ok(root) = tree.root() else { return };
        let mut children = root.children();
        while let Ok(Some(child)) = children.next() {
            let e = child.entry();
            if e.tag() != gimli::DW_TAG_enumerator {
                continue;
            }
            let Some(name) = ty.cu.string_attr(e, gimli::DW_AT_name) else {
                continue;
            };
            let value = match e.attr_value(gimli::DW_AT_const_value) {
                Some(AttributeValue::Sdata(s)) => s as i128,
                Some(v) => match v.udata_value() {
                    Some(u) => u as i128,
                    None => continue,
                },
                None => continue,
            };
            self.enumerators
                .entry(name)
                .or_insert_with(|| (ty.clone(), value));
        }
    }
}

impl DebugInfo {
    fn names(&self) -> Option<&Names> {
        let store = self.store.as_ref()?;
        Some(self.names.get_or_init(|| Names::build(store)))
    }

    /// A type by name: `tag` is the keyword's (`struct X`), or
    /// `DW_TAG_typedef` for a bare name (a typedef, a base type, or a
    /// struct in a language without tags).
    pub(crate) fn type_named(&self, name: &str, tag: gimli::DwTag) -> Option<Ty> {
        let n = self.names()?;
        let get = |t: gimli::DwTag| n.types.get(&(t, name.to_string())).cloned();
        if tag == gimli::DW_TAG_typedef {
            return get(gimli::DW_TAG_typedef)
                .or_else(|| get(gimli::DW_TAG_base_type))
                .or_else(|| get(gimli::DW_TAG_structure_type))
                .or_else(|| get(gimli::DW_TAG_class_type))
                .or_else(|| get(gimli::DW_TAG_union_type))
                .or_else(|| get(gimli::DW_TAG_enumeration_type));
        }
        get(tag).or_else(|| {
            (tag == gimli::DW_TAG_structure_type)
                .then(|| get(gimli::DW_TAG_class_type))
                .flatten()
        })
    }

    /// True when `name` is a typedef or base type (so `(name) x` is a cast).
    pub(crate) fn is_type_name(&self, name: &str) -> bool {
        self.store.is_some()
            && [gimli::DW_TAG_typedef, gimli::DW_TAG_base_type]
                .iter()
                .any(|t| self.type_named(name, *t).is_some())
    }

    /// An enumerator by name: its enumeration type and value.
    pub(crate) fn enumerator(&self, name: &str) -> Option<(Ty, i128)> {
        self.names()?.enumerators.get(name).cloned()
    }

    /// A variable visible at `code_offset` (locals shadow parameters, which
    /// shadow globals) as a typed value; `None` when there is none.
    pub(crate) fn lookup_var(
        &self,
        name: &str,
        code_offset: u32,
        inline_frame: Option<usize>,
        frame: &dyn FrameAccess,
    ) -> Option<Result<Val, String>> {
        let store = self.store.as_ref()?;
        let vars = store.variables_in_frame(code_offset as u64, inline_frame);
        let var = vars
            .iter()
            .find(|v| !v.is_param && v.name == name)
            .or_else(|| vars.iter().find(|v| v.is_param && v.name == name))
            .cloned()
            .or_else(|| store.global_named(name))?;
        Some(match types::var_place(store, &var, frame) {
            Ok(Some(place)) => Ok(Val::Obj {
                ty: Type::dwarf(var.ty),
                place,
            }),
            Ok(None) => Ok(Val::Shown(super::VarValue::OptimizedOut)),
            Err(e) => Err(e),
        })
    }

    /// A function's DWARF return type, for `finish`.
    pub(crate) fn return_type(&self, code_offset: u32) -> Option<Ty> {
        let store = self.store.as_ref()?;
        let (_, cu, f) = store.func_at(code_offset as u64)?;
        let e = cu.unit.entry(f.offset).ok()?;
        types::type_of(&cu, &e)
    }
}

/// Bytes of a returned value as an object of its type.
pub(crate) fn returned(ty: Ty, bytes: Vec<u8>) -> Val {
    Val::Obj {
        ty: Type::Dwarf(ty),
        place: Place::Bytes(bytes),
    }
}
