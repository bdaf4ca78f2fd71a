//! Component value types and values, owned and free of wasmparser's type
//! arena: what the canonical ABI and the host work with.

use std::collections::HashMap;
use std::fmt;

use wasmparser::component_types::{
    ComponentDefinedType, ComponentFuncTypeId, ComponentValType, ResourceId,
};
use wasmparser::{PrimitiveValType, types::TypesRef};

/// A component value type (`string`, `list<u8>`, a record...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List(Box<Ty>),
    Record(Vec<(String, Ty)>),
    Tuple(Vec<Ty>),
    Variant(Vec<(String, Option<Ty>)>),
    Enum(Vec<String>),
    Option(Box<Ty>),
    Result(Option<Box<Ty>>, Option<Box<Ty>>),
    Flags(Vec<String>),
    /// An owned handle to the resource type with this key ([`ResourceKeys`]).
    Own(u32),
    /// A borrowed handle.
    Borrow(u32),
}

/// A component function type: named parameters and at most one result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncTy {
    pub params: Vec<(String, Ty)>,
    pub result: Option<Ty>,
}

/// A component value. `list<u8>` is [`Val::Bytes`] (copied in one go);
/// records, tuples and flags are by position; handles are resource
/// representations (the host's or the guest's `rep`), not table indices.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Bool(bool),
    S8(i8),
    U8(u8),
    S16(i16),
    U16(u16),
    S32(i32),
    U32(u32),
    S64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Char(char),
    String(String),
    Bytes(Vec<u8>),
    List(Vec<Val>),
    Record(Vec<Val>),
    Tuple(Vec<Val>),
    Variant(u32, Option<Box<Val>>),
    Enum(u32),
    Option(Option<Box<Val>>),
    Result(Result<Option<Box<Val>>, Option<Box<Val>>>),
    /// Bit i set: flag i.
    Flags(u32),
    Own(u32),
    Borrow(u32),
}

impl Val {
    pub fn ok(v: Option<Val>) -> Val {
        Val::Result(Ok(v.map(Box::new)))
    }
    pub fn err(v: Option<Val>) -> Val {
        Val::Result(Err(v.map(Box::new)))
    }
    pub fn some(v: Val) -> Val {
        Val::Option(Some(Box::new(v)))
    }
}

/// WAVE-like text (`"text"`, `[1, 2]`, `ok(3)`, `some(x)`), without field
/// or case names (values do not carry their type).
impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, open: &str, v: &[Val], close: &str) -> fmt::Result {
            f.write_str(open)?;
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{x}")?;
            }
            f.write_str(close)
        }
        match self {
            Val::Bool(b) => write!(f, "{b}"),
            Val::S8(v) => write!(f, "{v}"),
            Val::U8(v) => write!(f, "{v}"),
            Val::S16(v) => write!(f, "{v}"),
            Val::U16(v) => write!(f, "{v}"),
            Val::S32(v) => write!(f, "{v}"),
            Val::U32(v) => write!(f, "{v}"),
            Val::S64(v) => write!(f, "{v}"),
            Val::U64(v) => write!(f, "{v}"),
            Val::F32(v) => write!(f, "{v}"),
            Val::F64(v) => write!(f, "{v}"),
            Val::Char(c) => write!(f, "{c:?}"),
            Val::String(s) => write!(f, "{s:?}"),
            Val::Bytes(b) if b.len() > 16 => write!(f, "<{} bytes>", b.len()),
            Val::Bytes(b) => {
                let v: Vec<Val> = b.iter().map(|&x| Val::U8(x)).collect();
                list(f, "[", &v, "]")
            }
            Val::List(v) => list(f, "[", v, "]"),
            Val::Record(v) => list(f, "{", v, "}"),
            Val::Tuple(v) => list(f, "(", v, ")"),
            Val::Variant(c, None) => write!(f, "case{c}"),
            Val::Variant(c, Some(v)) => write!(f, "case{c}({v})"),
            Val::Enum(c) => write!(f, "case{c}"),
            Val::Option(None) => f.write_str("none"),
            Val::Option(Some(v)) => write!(f, "some({v})"),
            Val::Result(Ok(None)) => f.write_str("ok"),
            Val::Result(Ok(Some(v))) => write!(f, "ok({v})"),
            Val::Result(Err(None)) => f.write_str("err"),
            Val::Result(Err(Some(v))) => write!(f, "err({v})"),
            Val::Flags(b) => write!(f, "flags({b:#x})"),
            Val::Own(r) => write!(f, "own<{r}>"),
            Val::Borrow(r) => write!(f, "borrow<{r}>"),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => f.write_str("bool"),
            Ty::S8 => f.write_str("s8"),
            Ty::U8 => f.write_str("u8"),
            Ty::S16 => f.write_str("s16"),
            Ty::U16 => f.write_str("u16"),
            Ty::S32 => f.write_str("s32"),
            Ty::U32 => f.write_str("u32"),
            Ty::S64 => f.write_str("s64"),
            Ty::U64 => f.write_str("u64"),
            Ty::F32 => f.write_str("f32"),
            Ty::F64 => f.write_str("f64"),
            Ty::Char => f.write_str("char"),
            Ty::String => f.write_str("string"),
            Ty::List(t) => write!(f, "list<{t}>"),
            Ty::Record(fs) => {
                let v: Vec<String> = fs.iter().map(|(n, t)| format!("{n}: {t}")).collect();
                write!(f, "record {{{}}}", v.join(", "))
            }
            Ty::Tuple(ts) => {
                let v: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
                write!(f, "tuple<{}>", v.join(", "))
            }
            Ty::Variant(cs) => {
                let v: Vec<String> = cs
                    .iter()
                    .map(|(n, t)| match t {
                        Some(t) => format!("{n}({t})"),
                        None => n.clone(),
                    })
                    .collect();
                write!(f, "variant {{{}}}", v.join(", "))
            }
            Ty::Enum(cs) => write!(f, "enum {{{}}}", cs.join(", ")),
            Ty::Option(t) => write!(f, "option<{t}>"),
            Ty::Result(ok, err) => {
                let s = |t: &Option<Box<Ty>>| t.as_ref().map_or("_".to_string(), |t| t.to_string());
                write!(f, "result<{}, {}>", s(ok), s(err))
            }
            Ty::Flags(n) => write!(f, "flags {{{}}}", n.join(", ")),
            Ty::Own(r) => write!(f, "own<resource{r}>"),
            Ty::Borrow(r) => write!(f, "borrow<resource{r}>"),
        }
    }
}

impl fmt::Display for FuncTy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p: Vec<String> = self
            .params
            .iter()
            .map(|(n, t)| format!("{n}: {t}"))
            .collect();
        write!(f, "func({})", p.join(", "))?;
        if let Some(r) = &self.result {
            write!(f, " -> {r}")?;
        }
        Ok(())
    }
}

/// Resource types by wasmparser identity -> small keys, one per component
/// file (the same resource reached through aliases has one key).
#[derive(Default, Debug)]
pub struct ResourceKeys {
    keys: HashMap<ResourceId, u32>,
}

impl ResourceKeys {
    pub(crate) fn key(&mut self, id: ResourceId) -> u32 {
        let n = self.keys.len() as u32;
        *self.keys.entry(id).or_insert(n)
    }
}

pub(crate) fn conv_func(
    types: &TypesRef<'_>,
    id: ComponentFuncTypeId,
    keys: &mut ResourceKeys,
) -> Result<FuncTy, String> {
    let ft = &types[id];
    if ft.async_ {
        return Err("async functions are not supported".into());
    }
    let mut params = Vec::with_capacity(ft.params.len());
    for (n, t) in ft.params.iter() {
        params.push((n.to_string(), conv_val(types, *t, keys)?));
    }
    let result = match ft.result {
        Some(t) => Some(conv_val(types, t, keys)?),
        None => None,
    };
    Ok(FuncTy { params, result })
}

pub(crate) fn conv_val(
    types: &TypesRef<'_>,
    t: ComponentValType,
    keys: &mut ResourceKeys,
) -> Result<Ty, String> {
    match t {
        ComponentValType::Primitive(p) => prim(p),
        ComponentValType::Type(id) => {
            let d = &types[id];
            Ok(match d {
                ComponentDefinedType::Primitive(p) => prim(*p)?,
                ComponentDefinedType::Record(r) => Ty::Record(
                    r.fields
                        .iter()
                        .map(|(n, t)| Ok((n.to_string(), conv_val(types, *t, keys)?)))
                        .collect::<Result<_, String>>()?,
                ),
                ComponentDefinedType::Variant(v) => Ty::Variant(
                    v.cases
                        .iter()
                        .map(|(n, c)| {
                            Ok((
                                n.to_string(),
                                match c.ty {
                                    Some(t) => Some(conv_val(types, t, keys)?),
                                    None => None,
                                },
                            ))
                        })
                        .collect::<Result<_, String>>()?,
                ),
                ComponentDefinedType::List { element, .. } => {
                    Ty::List(Box::new(conv_val(types, *element, keys)?))
                }
                ComponentDefinedType::Tuple(t) => Ty::Tuple(
                    t.types
                        .iter()
                        .map(|t| conv_val(types, *t, keys))
                        .collect::<Result<_, String>>()?,
                ),
                ComponentDefinedType::Flags(n) => {
                    if n.len() > 32 {
                        return Err("flags with more than 32 members".into());
                    }
                    Ty::Flags(n.iter().map(|s| s.to_string()).collect())
                }
                ComponentDefinedType::Enum(n) => {
                    Ty::Enum(n.iter().map(|s| s.to_string()).collect())
                }
                ComponentDefinedType::Option { ty, .. } => {
                    Ty::Option(Box::new(conv_val(types, *ty, keys)?))
                }
                ComponentDefinedType::Result { ok, err, .. } => Ty::Result(
                    match ok {
                        Some(t) => Some(Box::new(conv_val(types, *t, keys)?)),
                        None => None,
                    },
                    match err {
                        Some(t) => Some(Box::new(conv_val(types, *t, keys)?)),
                        None => None,
                    },
                ),
                ComponentDefinedType::Own(r) => Ty::Own(keys.key(r.resource())),
                ComponentDefinedType::Borrow(r) => Ty::Borrow(keys.key(r.resource())),
                ComponentDefinedType::Map { .. } => {
                    return Err("map types are not supported".into());
                }
                ComponentDefinedType::FixedLengthList { .. } => {
                    return Err("fixed-length lists are not supported".into());
                }
                ComponentDefinedType::Future { .. } | ComponentDefinedType::Stream { .. } => {
                    return Err("futures and streams (async) are not supported".into());
                }
            })
        }
    }
}

fn prim(p: PrimitiveValType) -> Result<Ty, String> {
    Ok(match p {
        PrimitiveValType::Bool => Ty::Bool,
        PrimitiveValType::S8 => Ty::S8,
        PrimitiveValType::U8 => Ty::U8,
        PrimitiveValType::S16 => Ty::S16,
        PrimitiveValType::U16 => Ty::U16,
        PrimitiveValType::S32 => Ty::S32,
        PrimitiveValType::U32 => Ty::U32,
        PrimitiveValType::S64 => Ty::S64,
        PrimitiveValType::U64 => Ty::U64,
        PrimitiveValType::F32 => Ty::F32,
        PrimitiveValType::F64 => Ty::F64,
        PrimitiveValType::Char => Ty::Char,
        PrimitiveValType::String => Ty::String,
        PrimitiveValType::ErrorContext => {
            return Err("error-context (async) is not supported".into());
        }
    })
}

/// `v` in WAVE, wasmtime's value syntax, using its type for names:
/// `"text"`, `[1, 2]`, `{x: 1, y: 2}`, `some(3)`, `ok`, `err(closed)`,
/// `{read, write}` for flags. Handles show as `own<N>` / `borrow<N>`
/// (the resource's representation). A value that does not fit its type
/// falls back to the untyped form.
pub fn wave(v: &Val, t: &Ty) -> String {
    fn items<'a>(it: impl Iterator<Item = String>, open: &str, close: &str) -> String {
        let v: Vec<String> = it.collect();
        format!("{open}{}{close}", v.join(", "))
    }
    match (t, v) {
        (Ty::List(e), Val::List(xs)) => items(xs.iter().map(|x| wave(x, e)), "[", "]"),
        (Ty::Record(fs), Val::Record(xs)) if fs.len() == xs.len() => items(
            fs.iter()
                .zip(xs)
                .map(|((n, t), x)| format!("{n}: {}", wave(x, t))),
            "{",
            "}",
        ),
        (Ty::Tuple(ts), Val::Tuple(xs)) if ts.len() == xs.len() => {
            items(ts.iter().zip(xs).map(|(t, x)| wave(x, t)), "(", ")")
        }
        (Ty::Variant(cs), Val::Variant(c, p)) => match (cs.get(*c as usize), p) {
            (Some((n, Some(t))), Some(p)) => format!("{n}({})", wave(p, t)),
            (Some((n, _)), None) => n.clone(),
            _ => v.to_string(),
        },
        (Ty::Enum(cs), Val::Enum(c)) => cs
            .get(*c as usize)
            .cloned()
            .unwrap_or_else(|| v.to_string()),
        (Ty::Option(t), Val::Option(Some(p))) => format!("some({})", wave(p, t)),
        (Ty::Result(ok, err), Val::Result(r)) => {
            let (name, ty, p) = match r {
                Ok(p) => ("ok", ok, p),
                Err(p) => ("err", err, p),
            };
            match (ty, p) {
                (Some(t), Some(p)) => format!("{name}({})", wave(p, t)),
                _ => name.to_string(),
            }
        }
        (Ty::Flags(ns), Val::Flags(bits)) => items(
            ns.iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, n)| n.clone()),
            "{",
            "}",
        ),
        _ => v.to_string(),
    }
}
