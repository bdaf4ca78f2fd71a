//! Wasm 3.0 references in expressions: GC structs, arrays and i31 read
//! through the engine's inspection API (`Store::gc_inspect`), function,
//! external and exception references shown by what they name.
//!
//! A reference is a [`Val::Obj`] of [`Type::Ref`] whose bytes are its slot
//! encoding; `.field`, `.N` and `[i]` project a struct's field or an
//! array's element into a new value (a number, or a reference again).
//! Reading never writes: the heap is only inspected.

use std::ops::Range;
use std::sync::Arc;

use wasmparser::{AbstractHeapType, HeapType, RefType, StorageType, UnpackedIndex};
use wdb_engine::runtime::gc_inspect::{GcBody, GcRefInfo};
use wdb_engine::value::RefClass;
use wdb_engine::{Module, ValType, Value};

use super::types::Type;
use super::{Env, ErrorKind, EvalContext, ExprError, Val};
use crate::dwarf::VarValue;
use crate::dwarf::loc::Place;

/// Elements of a GC array shown before `...` (gdb's `print elements`).
pub(crate) const PRINT_ELEMENTS: u32 = 200;

/// References followed inside a printed object before `{...}`.
const MAX_DEPTH: usize = 3;

/// The static type of a reference value.
#[derive(Debug, Clone)]
pub struct RefTy {
    /// As declared (a local's, a global's, a field's type); `None` when
    /// only the hierarchy is known (a returned value, a history entry).
    pub declared: Option<RefType>,
    pub class: RefClass,
    /// The module whose type indices `declared` uses (and whose name
    /// section names them).
    pub module: Option<Arc<Module>>,
    /// The heap's collection count when the reference was read: an `any`
    /// reference from before a later collection may be stale.
    pub epoch: Option<u64>,
}

impl RefTy {
    pub fn name(&self) -> String {
        match self.declared {
            Some(r) => ref_type_text(self.module.as_deref(), r),
            None => format!("(ref null {})", class_name(self.class)),
        }
    }
}

impl RefTy {
    /// `ptype`: the type and, for a struct, array or function type, its
    /// definition as the text format writes it.
    pub fn declaration(&self) -> String {
        let name = self.name();
        let (Some(r), Some(m)) = (self.declared, self.module.as_deref()) else {
            return name;
        };
        let (HeapType::Concrete(UnpackedIndex::Module(i))
        | HeapType::Exact(UnpackedIndex::Module(i))) = r.heap_type()
        else {
            return name;
        };
        match definition(m, i) {
            Some(d) => format!("{name} = {d}"),
            None => name,
        }
    }
}

/// `(struct (field $x (mut i32)) ...)`, `(array (mut i8))`, `(func (param i32) (result i32))`.
fn definition(m: &Module, index: u32) -> Option<String> {
    use wasmparser::CompositeInnerType as C;
    let st = m.sub_types.get(index as usize)?;
    let field = |f: &wasmparser::FieldType| {
        let t = match f.element_type {
            StorageType::I8 => "i8".to_string(),
            StorageType::I16 => "i16".to_string(),
            StorageType::Val(v) => val_type_text(Some(m), v),
        };
        if f.mutable { format!("(mut {t})") } else { t }
    };
    Some(match &st.composite_type.inner {
        C::Struct(s) => {
            let names = m.names.fields.get(&index);
            let fields: Vec<String> = s
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| match names.and_then(|n| n.get(&(i as u32))) {
                    Some(n) => format!(" (field ${n} {})", field(f)),
                    None => format!(" (field {})", field(f)),
                })
                .collect();
            format!("(struct{})", fields.concat())
        }
        C::Array(a) => format!("(array {})", field(&a.0)),
        C::Func(f) => {
            let list = |kw: &str, ts: &[ValType]| {
                if ts.is_empty() {
                    String::new()
                } else {
                    let t: Vec<String> = ts.iter().map(|&t| val_type_text(Some(m), t)).collect();
                    format!(" ({kw} {})", t.join(" "))
                }
            };
            format!(
                "(func{}{})",
                list("param", f.params()),
                list("result", f.results())
            )
        }
        _ => return None,
    })
}

/// A value type as the text format writes it.
pub(crate) fn val_type_text(module: Option<&Module>, v: ValType) -> String {
    match v {
        ValType::Ref(r) => ref_type_text(module, r),
        other => wdb_engine::value::valtype_name(other).to_string(),
    }
}

fn class_name(c: RefClass) -> &'static str {
    match c {
        RefClass::Func => "func",
        RefClass::Extern => "extern",
        RefClass::Exn => "exn",
        RefClass::Any => "any",
    }
}

/// `$point` (name section) or the index, as the text format writes a type use.
pub(crate) fn type_use(module: Option<&Module>, index: u32) -> String {
    match module.and_then(|m| m.names.types.get(&index)) {
        Some(n) => format!("${n}"),
        None => index.to_string(),
    }
}

/// `(ref null $point)`, `(ref i31)`, `(ref func)`.
pub(crate) fn ref_type_text(module: Option<&Module>, r: RefType) -> String {
    let heap = match r.heap_type() {
        HeapType::Concrete(UnpackedIndex::Module(i))
        | HeapType::Exact(UnpackedIndex::Module(i)) => type_use(module, i),
        HeapType::Concrete(_) | HeapType::Exact(_) => "?".to_string(),
        HeapType::Abstract { ty, .. } => abstract_name(ty).to_string(),
    };
    format!("(ref {}{heap})", if r.is_nullable() { "null " } else { "" })
}

fn abstract_name(t: AbstractHeapType) -> &'static str {
    use AbstractHeapType::*;
    match t {
        Func => "func",
        Extern => "extern",
        Any => "any",
        None => "none",
        NoExtern => "noextern",
        NoFunc => "nofunc",
        Eq => "eq",
        Struct => "struct",
        Array => "array",
        I31 => "i31",
        Exn => "exn",
        NoExn => "noexn",
        Cont => "cont",
        NoCont => "nocont",
    }
}

/// The slot encoding of a reference value.
fn slot_of(v: Value) -> u64 {
    let mut s = [0u64; 1];
    match v {
        Value::V128(_) => 0,
        v => {
            v.to_slots(&mut s);
            s[0]
        }
    }
}

fn class_of(v: Value) -> Option<RefClass> {
    Some(match v {
        Value::FuncRef(_) => RefClass::Func,
        Value::ExternRef(_) => RefClass::Extern,
        Value::ExnRef(_) => RefClass::Exn,
        Value::AnyRef(_) => RefClass::Any,
        _ => return None,
    })
}

/// A reference value typed `declared` (in `module`'s type indices), or
/// `None` for a number.
pub(crate) fn ref_val(
    v: Value,
    declared: Option<RefType>,
    module: Option<Arc<Module>>,
    epoch: Option<u64>,
) -> Option<Val> {
    let class = class_of(v)?;
    Some(Val::Obj {
        ty: Type::Ref(RefTy {
            declared,
            class,
            module,
            epoch,
        }),
        place: Place::Bytes(slot_of(v).to_le_bytes().to_vec()),
    })
}

/// A wasm value typed by its declared type when that is known.
pub(crate) fn typed_value(cx: &dyn EvalContext, v: Value, declared: Option<ValType>) -> Val {
    let declared = match declared {
        Some(ValType::Ref(r)) => Some(r),
        _ => None,
    };
    ref_val(v, declared, cx.wasm_module(), cx.gc_collections())
        .unwrap_or_else(|| super::from_wasm(v))
}

/// The value a reference object holds.
fn value_of(rt: &RefTy, bits: u64) -> Value {
    let idx = (bits != 0).then(|| bits.wrapping_sub(1) as u32);
    match rt.class {
        RefClass::Func => Value::FuncRef(idx),
        RefClass::Extern => Value::ExternRef(idx),
        RefClass::Exn => Value::ExnRef(idx),
        RefClass::Any => Value::AnyRef((bits != 0).then_some(bits)),
    }
}

pub(crate) fn bits_of(env: &Env<'_>, place: &Place) -> Result<u64, ExprError> {
    let b = env.bytes(place, 8)?;
    Ok(u64::from_le_bytes(b[..8].try_into().expect("8 bytes")))
}

/// The object an `any` reference points at, for a projection.
fn inspect(
    env: &Env<'_>,
    rt: &RefTy,
    bits: u64,
    what: &str,
    elements: Range<u32>,
) -> Result<(GcRefInfo, Option<Arc<Module>>), ExprError> {
    let cx = env.cx;
    if rt.class != RefClass::Any {
        return Err(ExprError::new(
            ErrorKind::Type,
            format!("`{}` has no {what}", rt.name()),
        ));
    }
    if bits == 0 {
        return Err(ExprError::new(
            ErrorKind::Memory,
            format!("Cannot read the {what} of a null reference `{}`", rt.name()),
        ));
    }
    stale_check(cx, rt)?;
    let info = cx.gc_inspect(bits, elements).ok_or_else(|| {
        ExprError::new(
            ErrorKind::Unavailable,
            "the program is not running: no GC heap",
        )
    })?;
    let module = match &info {
        GcRefInfo::Object(o) => o.defined_in.and_then(|(i, _)| cx.instance_module(i)),
        _ => None,
    };
    Ok((info, module))
}

fn stale_check(cx: &dyn EvalContext, rt: &RefTy) -> Result<(), ExprError> {
    match (rt.epoch, cx.gc_collections()) {
        (Some(then), Some(now)) if then != now => Err(ExprError::new(
            ErrorKind::Unavailable,
            "the reference was read before a garbage collection and may be stale: print it again from where it lives",
        )),
        _ => Ok(()),
    }
}

/// A field or element value as an expression value.
fn stored(
    cx: &dyn EvalContext,
    module: Option<&Arc<Module>>,
    ty: Option<StorageType>,
    v: Value,
) -> Val {
    match ty {
        Some(StorageType::Val(ValType::Ref(r))) => {
            ref_val(v, Some(r), module.cloned(), cx.gc_collections())
                .unwrap_or_else(|| super::from_wasm(v))
        }
        _ => ref_val(v, None, None, cx.gc_collections()).unwrap_or_else(|| super::from_wasm(v)),
    }
}

/// `r.name` or `r.N` of a struct reference.
pub(crate) fn member(env: &Env<'_>, rt: &RefTy, bits: u64, name: &str) -> Result<Val, ExprError> {
    let (info, module) = inspect(env, rt, bits, &format!("field `{name}`"), 0..0)?;
    let GcRefInfo::Object(o) = info else {
        return Err(ExprError::new(
            ErrorKind::Type,
            format!(
                "`{}` is not a struct: it has no field `{name}`",
                shown_type(&info, module.as_deref())
            ),
        ));
    };
    let GcBody::Struct(fields) = &o.body else {
        return Err(ExprError::new(
            ErrorKind::Type,
            format!(
                "{} is an array: use `[i]`, not `.{name}`",
                object_type(&o, module.as_deref())
            ),
        ));
    };
    let names = o
        .defined_in
        .and_then(|(_, ti)| module.as_deref()?.names.fields.get(&ti));
    let index = names
        .and_then(|n| n.iter().find(|(_, v)| *v == name).map(|(k, _)| *k as usize))
        .or_else(|| name.parse::<usize>().ok());
    let Some(f) = index.and_then(|i| fields.get(i)) else {
        return Err(ExprError::new(
            ErrorKind::NoSymbol,
            format!(
                "{} has no field `{name}` (it has {})",
                object_type(&o, module.as_deref()),
                field_list(names, fields.len())
            ),
        ));
    };
    Ok(stored(
        env.cx,
        module.as_ref(),
        f.ty.map(|t| t.element_type),
        f.value,
    ))
}

/// `r[i]` of an array reference.
pub(crate) fn index(env: &Env<'_>, rt: &RefTy, bits: u64, i: i128) -> Result<Val, ExprError> {
    let at = u32::try_from(i).unwrap_or(u32::MAX);
    let (info, module) = inspect(env, rt, bits, "elements", at..at.saturating_add(1))?;
    let GcRefInfo::Object(o) = info else {
        return Err(ExprError::new(
            ErrorKind::Type,
            format!("`{}` is not an array", shown_type(&info, module.as_deref())),
        ));
    };
    let GcBody::Array {
        len,
        element,
        elements,
        ..
    } = &o.body
    else {
        return Err(ExprError::new(
            ErrorKind::Type,
            format!(
                "{} is a struct: use `.field`, not `[{i}]`",
                object_type(&o, module.as_deref())
            ),
        ));
    };
    match elements.first() {
        Some(v) if i >= 0 => Ok(stored(
            env.cx,
            module.as_ref(),
            element.map(|t| t.element_type),
            *v,
        )),
        _ => Err(ExprError::new(
            ErrorKind::Memory,
            format!("index {i} is out of bounds of an array of length {len}"),
        )),
    }
}

fn field_list(names: Option<&std::collections::HashMap<u32, String>>, n: usize) -> String {
    if n == 0 {
        return "no fields".into();
    }
    (0..n as u32)
        .map(|i| {
            names
                .and_then(|m| m.get(&i))
                .cloned()
                .unwrap_or_else(|| i.to_string())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn object_type(
    o: &wdb_engine::runtime::gc_inspect::GcObjectInfo,
    module: Option<&Module>,
) -> String {
    match o.defined_in {
        Some((_, ti)) => format!("(ref {})", type_use(module, ti)),
        None => format!("(ref <type {}>)", o.type_id),
    }
}

fn shown_type(info: &GcRefInfo, module: Option<&Module>) -> String {
    match info {
        GcRefInfo::Object(o) => object_type(o, module),
        GcRefInfo::I31(_) => "(ref i31)".into(),
        GcRefInfo::Extern(_) => "(ref any) from an externref".into(),
        GcRefInfo::Null => "null".into(),
        GcRefInfo::Dangling => "a freed object".into(),
    }
}

/// A reference as a display tree: `(ref $point) {x = 1, y = 2}`.
pub(crate) fn to_var(env: &Env<'_>, rt: &RefTy, bits: u64, depth: usize) -> VarValue {
    show_ref(env.cx, rt, value_of(rt, bits), depth)
}

/// A reference value `v` typed `rt`, shown as a tree (also for views
/// without an expression: locals, globals, the operand stack).
pub(crate) fn show_ref(cx: &dyn EvalContext, rt: &RefTy, v: Value, depth: usize) -> VarValue {
    let wrap = |type_name: String, len: Option<u64>, value: VarValue| VarValue::WasmRef {
        type_name,
        len,
        value: Box::new(value),
    };
    match v {
        Value::FuncRef(None)
        | Value::ExternRef(None)
        | Value::ExnRef(None)
        | Value::AnyRef(None) => wrap(rt.name(), None, VarValue::Raw("null".into())),
        Value::FuncRef(Some(_)) | Value::ExnRef(Some(_)) => {
            let text = cx.describe_ref(v).unwrap_or_else(|| v.to_string());
            let name = match rt.declared {
                Some(r) => ref_type_text(
                    rt.module.as_deref(),
                    RefType::new(false, r.heap_type()).unwrap_or(r),
                ),
                None => format!("(ref {})", class_name(rt.class)),
            };
            wrap(name, None, VarValue::Raw(text))
        }
        Value::ExternRef(Some(a)) => {
            wrap("(ref extern)".into(), None, VarValue::Raw(a.to_string()))
        }
        Value::AnyRef(Some(bits)) => {
            if let Err(e) = stale_check(cx, rt) {
                return wrap(rt.name(), None, VarValue::Unavailable(e.message));
            }
            let Some(info) = cx.gc_inspect(bits, 0..PRINT_ELEMENTS) else {
                return VarValue::Raw(v.to_string());
            };
            match info {
                GcRefInfo::Null => wrap(rt.name(), None, VarValue::Raw("null".into())),
                GcRefInfo::I31(x) => {
                    let signed = ((x << 1) as i32) >> 1;
                    wrap("(ref i31)".into(), None, VarValue::Int(signed as i128))
                }
                GcRefInfo::Extern(e) => wrap(
                    "(ref any)".into(),
                    None,
                    VarValue::Raw(format!("<extern {}>", e.wrapping_sub(1))),
                ),
                GcRefInfo::Dangling => wrap(
                    rt.name(),
                    None,
                    VarValue::Unavailable("the object was freed by the collector".into()),
                ),
                GcRefInfo::Object(o) => {
                    let module = o.defined_in.and_then(|(i, _)| cx.instance_module(i));
                    let type_name = object_type(&o, module.as_deref());
                    if depth >= MAX_DEPTH {
                        return wrap(type_name, None, VarValue::Raw("{...}".into()));
                    }
                    let elem = |ty: Option<StorageType>, v: Value| -> VarValue {
                        match ty {
                            Some(StorageType::I8 | StorageType::I16) => match v {
                                Value::I32(x) => VarValue::UInt(x as u32 as u128),
                                other => VarValue::Raw(other.to_string()),
                            },
                            Some(StorageType::Val(ValType::Ref(r))) => {
                                let sub = RefTy {
                                    declared: Some(r),
                                    class: class_of(v).unwrap_or(RefClass::Any),
                                    module: module.clone(),
                                    epoch: rt.epoch,
                                };
                                show_ref(cx, &sub, v, depth + 1)
                            }
                            _ => number_var(v),
                        }
                    };
                    match o.body {
                        GcBody::Struct(fields) => {
                            let names = o.defined_in.and_then(|(_, ti)| {
                                module.as_deref()?.names.fields.get(&ti).cloned()
                            });
                            let fields = fields
                                .iter()
                                .enumerate()
                                .map(|(i, f)| {
                                    let name = names
                                        .as_ref()
                                        .and_then(|n| n.get(&(i as u32)).cloned())
                                        .unwrap_or_else(|| i.to_string());
                                    (name, elem(f.ty.map(|t| t.element_type), f.value))
                                })
                                .collect();
                            wrap(type_name, None, VarValue::Struct { fields })
                        }
                        GcBody::Array {
                            len,
                            element,
                            elements,
                            ..
                        } => {
                            let elements = elements
                                .iter()
                                .map(|v| elem(element.map(|t| t.element_type), *v))
                                .collect();
                            wrap(
                                type_name,
                                Some(len as u64),
                                VarValue::Array {
                                    elements,
                                    len: len as u64,
                                },
                            )
                        }
                    }
                }
            }
        }
        other => number_var(other),
    }
}

/// A number as a tree leaf (wasm's own rendering for floats and v128).
fn number_var(v: Value) -> VarValue {
    match v {
        Value::I32(x) => VarValue::Int(x as i128),
        Value::I64(x) => VarValue::Int(x as i128),
        Value::F32(b) => VarValue::Float32(f32::from_bits(b)),
        Value::F64(b) => VarValue::Float(f64::from_bits(b)),
        other => VarValue::Raw(other.to_string()),
    }
}

/// A reference value as a view tree typed by its declared type
/// (`None` for a number): what locals, globals and the operand stack show.
pub(crate) fn ref_view(
    cx: &dyn EvalContext,
    v: Value,
    declared: Option<ValType>,
) -> Option<crate::api::ValueView> {
    let Val::Obj {
        ty: Type::Ref(rt), ..
    } = typed_value(cx, v, declared)
    else {
        return None;
    };
    let shown = show_ref(cx, &rt, v, 0);
    Some(crate::value_tree::var_view(&rt.name(), &shown))
}
