//! The one evaluator: an [`Expr`] over a paused frame ([`Env`]) to a typed
//! [`Val`], by C's rules (integer promotion, the usual arithmetic
//! conversions, pointer arithmetic, wrap-around of unsigned types).

use wdb_engine::Value;

use super::parse::{BaseType, BinOp, Dollar, Expr, LocalRef, TypeName, UnOp};
use super::types::{Kind, Scalar, Type};
use super::{Env, ErrorKind, ExprError, Val};
use crate::dwarf::VarValue;
use crate::dwarf::loc::Place;
use crate::dwarf::types as dt;

mod ops;

const MAX_EVAL_DEPTH: usize = 256;

type Res<T> = Result<T, ExprError>;

fn err<T>(kind: ErrorKind, m: impl Into<String>) -> Res<T> {
    Err(ExprError::new(kind, m))
}

/// A number loaded from a value: integers normalized to their type's width
/// (sign- or zero-extended), floats as `f64` (a `float` rounded to `f32`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    I(i128),
    F(f64),
}

/// `v` converted to `to` as C converts (truncation toward zero, wrap-around).
pub(crate) fn convert(v: Num, to: Scalar) -> Num {
    if to.is_float() {
        let f = match v {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        };
        return Num::F(if to == Scalar::Float {
            f as f32 as f64
        } else {
            f
        });
    }
    if to == Scalar::Bool {
        return Num::I(truthy_num(v) as i128);
    }
    let i = match v {
        Num::I(i) => i,
        Num::F(f) => f as i128,
    };
    Num::I(wrap(i, to))
}

/// `i` reduced to the width of integer type `t`.
pub(crate) fn wrap(i: i128, t: Scalar) -> i128 {
    let bits = (t.size() * 8) as u32;
    let shift = 128 - bits;
    if t.is_signed() {
        (i << shift) >> shift
    } else {
        ((i as u128) << shift >> shift) as i128
    }
}

fn truthy_num(v: Num) -> bool {
    match v {
        Num::I(i) => i != 0,
        Num::F(f) => f != 0.0,
    }
}

/// Little-endian bytes of `v` stored as `t`.
pub(crate) fn num_bytes(v: Num, t: Scalar) -> Vec<u8> {
    let n = t.size() as usize;
    match convert(v, t) {
        Num::F(f) if t == Scalar::Float => (f as f32).to_le_bytes().to_vec(),
        Num::F(f) => f.to_le_bytes().to_vec(),
        Num::I(i) => i.to_le_bytes()[..n].to_vec(),
    }
}

fn num_from_bytes(b: &[u8], t: Scalar) -> Num {
    let mut a = [0u8; 16];
    let n = b.len().min(16);
    a[..n].copy_from_slice(&b[..n]);
    let raw = u128::from_le_bytes(a);
    match t {
        Scalar::Float => Num::F(f32::from_bits(raw as u32) as f64),
        Scalar::Double => Num::F(f64::from_bits(raw as u64)),
        Scalar::Bool => Num::I((raw & 0xff != 0) as i128),
        _ => Num::I(wrap(raw as i128, t)),
    }
}

pub(crate) fn scalar_val(v: Num, t: Scalar) -> Val {
    Val::Obj {
        ty: Type::Scalar(t),
        place: Place::Bytes(num_bytes(v, t)),
    }
}

fn ptr_val(ty: Type, addr: u64) -> Val {
    Val::Obj {
        ty,
        place: Place::Bytes((addr as u32).to_le_bytes().to_vec()),
    }
}

/// A wasm slot's value, typed as that slot (a reference by its hierarchy
/// only: [`super::gc::typed_value`] knows its declared type).
pub(crate) fn from_wasm(v: Value) -> Val {
    if let Some(r) = super::gc::ref_val(v, None, None, None) {
        return r;
    }
    let ty = Type::Wasm(v.ty());
    match ty.size() {
        Some(n)
            if !matches!(
                v,
                Value::FuncRef(_) | Value::ExternRef(_) | Value::ExnRef(_) | Value::AnyRef(_)
            ) =>
        {
            let bits = crate::format::value_bits(v).0.to_le_bytes();
            Val::Obj {
                ty,
                place: Place::Bytes(bits[..n as usize].to_vec()),
            }
        }
        _ => Val::Shown(VarValue::Raw(v.to_string())),
    }
}

/// The wasm value a slot-typed object holds.
pub(crate) fn wasm_value(vt: wdb_engine::ValType, b: &[u8]) -> Option<Value> {
    let mut a = [0u8; 16];
    a[..b.len().min(16)].copy_from_slice(&b[..b.len().min(16)]);
    let bits = u128::from_le_bytes(a);
    Some(match vt {
        wdb_engine::ValType::I32 => Value::I32(bits as u32 as i32),
        wdb_engine::ValType::I64 => Value::I64(bits as u64 as i64),
        wdb_engine::ValType::F32 => Value::F32(bits as u32),
        wdb_engine::ValType::F64 => Value::F64(bits as u64),
        wdb_engine::ValType::V128 => Value::V128(bits),
        _ => return None,
    })
}

impl Env<'_> {
    pub(crate) fn bytes(&self, place: &Place, len: usize) -> Res<Vec<u8>> {
        dt::place_bytes(self.cx.as_frame(), place, 0, len).ok_or_else(|| match place {
            Place::Memory(a) => ExprError::new(
                ErrorKind::Memory,
                format!("Cannot access memory at address {a:#x}"),
            ),
            Place::Bytes(_) => ExprError::new(ErrorKind::Unavailable, "value too short"),
        })
    }

    /// The arithmetic type a value computes as: its scalar, an enum's
    /// integer, a pointer's address (an array decays to one).
    fn arith(&self, v: &Val) -> Option<Scalar> {
        let Val::Obj { ty, place } = v else {
            return None;
        };
        match ty.kind() {
            Kind::Scalar(s) | Kind::Enum(s) => Some(s),
            Kind::Ptr(_) => Some(Scalar::ULong),
            Kind::Array(..) if matches!(place, Place::Memory(_)) => Some(Scalar::ULong),
            _ => None,
        }
    }

    /// Load a value as a number.
    pub(crate) fn num(&self, v: &Val) -> Res<(Num, Scalar)> {
        let shown =
            |v: &VarValue| ExprError::new(ErrorKind::Type, format!("`{v}` is not a number"));
        let Val::Obj { ty, place } = v else {
            let Val::Shown(s) = v else { unreachable!() };
            return Err(shown(s));
        };
        let Some(s) = self.arith(v) else {
            return err(
                ErrorKind::Type,
                format!("a value of type `{}` is not a number", ty.name()),
            );
        };
        if let (Kind::Array(..), Place::Memory(a)) = (ty.kind(), place) {
            return Ok((Num::I(*a as i128), s));
        }
        let size = if matches!(ty.kind(), Kind::Enum(_)) {
            ty.size().unwrap_or(s.size())
        } else {
            s.size()
        };
        let b = self.bytes(place, size as usize)?;
        Ok((num_from_bytes(&b, s), s))
    }

    fn int(&self, v: &Val) -> Res<i128> {
        match self.num(v)? {
            (Num::I(i), _) => Ok(i),
            (Num::F(_), _) => err(ErrorKind::Type, "an integer is needed here, not a float"),
        }
    }

    pub(crate) fn truthy(&self, v: &Val) -> Res<bool> {
        Ok(truthy_num(self.num(v)?.0))
    }

    /// (pointee, address) of a pointer, an array in memory, or (gdb's
    /// leniency) an integer used as an address of an `int`.
    fn pointer(&self, v: &Val) -> Res<(Type, u64)> {
        if let Val::Obj { ty, place } = v {
            match ty.kind() {
                Kind::Ptr(p) => {
                    let b = self.bytes(place, 4)?;
                    return Ok((p, u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64));
                }
                Kind::Array(elem, dims) => {
                    let Place::Memory(a) = place else {
                        return err(ErrorKind::Unavailable, "the array is not in memory");
                    };
                    return Ok((row_type(elem, &dims), *a));
                }
                Kind::Scalar(s) if !s.is_float() => {
                    let (n, _) = self.num(v)?;
                    let Num::I(a) = n else { unreachable!() };
                    return Ok((Type::Scalar(Scalar::Int), a as u64 & 0xffff_ffff));
                }
                _ => {}
            }
            return err(ErrorKind::Type, format!("`{}` is not a pointer", ty.name()));
        }
        err(
            ErrorKind::Type,
            format!("`{}` is not a pointer", v.shown_text()),
        )
    }

    fn lookup(&self, name: &str) -> Res<Val> {
        if let Some(d) = self.debug {
            if let Some(v) = d.lookup_var(
                name,
                self.code_offset,
                self.inline_frame,
                self.cx.as_frame(),
            ) {
                return v.map_err(|m| ExprError::new(ErrorKind::Unavailable, m));
            }
            if let Some((ty, value)) = d.enumerator(name) {
                let size = dt::byte_size(&ty, 0).unwrap_or(4) as usize;
                return Ok(Val::Obj {
                    ty: Type::Dwarf(ty),
                    place: Place::Bytes(value.to_le_bytes()[..size.min(16)].to_vec()),
                });
            }
        }
        let r = LocalRef::Name(name.to_string());
        match self.cx.wasm_local(&r) {
            Ok(v) => Ok(super::gc::typed_value(
                self.cx,
                v,
                self.cx
                    .wasm_local_type(&r)
                    .or_else(|| self.cx.wasm_global_type(&r)),
            )),
            Err(e) if self.debug.is_some_and(|d| d.has_debug_info()) => {
                let _ = e;
                err(
                    ErrorKind::NoSymbol,
                    format!("no variable `{name}` in scope"),
                )
            }
            Err(e) => err(ErrorKind::NoSymbol, e),
        }
    }

    /// `$lN` / `$NAME`: a local typed as declared (a global by name when
    /// no local has it).
    fn typed_local(&self, r: &LocalRef) -> Res<Val> {
        let v = self.cx.wasm_local(r).map_err(ExprError::no_symbol)?;
        let ty = self
            .cx
            .wasm_local_type(r)
            .or_else(|| self.cx.wasm_global_type(r));
        Ok(super::gc::typed_value(self.cx, v, ty))
    }

    fn history(&self, back: Option<u32>, abs: Option<u32>) -> Res<Val> {
        let h = self.history;
        let i = match (back, abs) {
            (_, Some(n)) if n >= 1 && (n as usize) <= h.len() => n as usize - 1,
            (_, Some(n)) => {
                return err(
                    ErrorKind::History,
                    format!("History has not yet reached ${n}."),
                );
            }
            (Some(k), _) if (k as usize) < h.len() => h.len() - 1 - k as usize,
            _ if h.is_empty() => return err(ErrorKind::History, "History is empty."),
            _ => {
                return err(
                    ErrorKind::History,
                    "History has not yet reached that far back.",
                );
            }
        };
        Ok(h[i].clone())
    }

    /// The type a cast or `sizeof` names.
    pub(crate) fn resolve_type(&self, t: &TypeName) -> Res<Type> {
        let mut ty = match &t.base {
            BaseType::Void => Type::Void,
            BaseType::Scalar(s) => Type::Scalar(*s),
            other => {
                let (tag, name, what) = match other {
                    BaseType::Struct(n) => (gimli::DW_TAG_structure_type, n, "struct"),
                    BaseType::Union(n) => (gimli::DW_TAG_union_type, n, "union"),
                    BaseType::Enum(n) => (gimli::DW_TAG_enumeration_type, n, "enum"),
                    BaseType::Named(n) => (gimli::DW_TAG_typedef, n, ""),
                    _ => unreachable!(),
                };
                match self.debug.and_then(|d| d.type_named(name, tag)) {
                    Some(ty) => Type::Dwarf(ty),
                    None if what.is_empty() => {
                        return err(
                            ErrorKind::NoSymbol,
                            format!("No symbol \"{name}\" in current context."),
                        );
                    }
                    None => {
                        return err(ErrorKind::NoSymbol, format!("No {what} type named {name}."));
                    }
                }
            }
        };
        for _ in 0..t.stars {
            ty = Type::Ptr(Box::new(ty));
        }
        Ok(ty)
    }

    pub(crate) fn eval(&self, e: &Expr, depth: usize) -> Res<Val> {
        if depth > MAX_EVAL_DEPTH {
            return err(ErrorKind::Syntax, "expression nested too deeply");
        }
        let d = depth + 1;
        match e {
            Expr::Int(v, t) => Ok(scalar_val(Num::I(*v as i128), *t)),
            Expr::Float(v, t) => Ok(scalar_val(Num::F(*v), *t)),
            Expr::Ident(n) => self.lookup(n),
            Expr::Dollar(dl) => match dl {
                Dollar::Local(r) => self.typed_local(r),
                Dollar::Global(r) => self
                    .cx
                    .wasm_global(r)
                    .map(|v| super::gc::typed_value(self.cx, v, self.cx.wasm_global_type(r)))
                    .map_err(ExprError::no_symbol),
                Dollar::Stack(n) => self
                    .cx
                    .wasm_stack(*n)
                    .map(|v| super::gc::typed_value(self.cx, v, self.cx.wasm_stack_type(*n)))
                    .map_err(ExprError::no_symbol),
                Dollar::Table(t) => err(
                    ErrorKind::Type,
                    format!("`$t{t}` is a table: read an element with `$t{t}[i]`"),
                ),
                Dollar::History(n) => self.history(None, Some(*n)),
                Dollar::Back(k) => self.history(Some(*k), None),
            },
            Expr::Member(b, name) => {
                let v = self.eval(b, d)?;
                self.member(v, name, true)
            }
            Expr::Arrow(b, name) => {
                let v = self.eval(b, d)?;
                let (pointee, addr) = self.pointer(&v)?;
                self.member(
                    Val::Obj {
                        ty: pointee,
                        place: Place::Memory(addr),
                    },
                    name,
                    false,
                )
            }
            Expr::Index(b, i) => {
                let idx = {
                    let v = self.eval(i, d)?;
                    self.int(&v)?
                };
                if let Expr::Dollar(Dollar::Table(t)) = &**b {
                    let index = u64::try_from(idx).map_err(|_| {
                        ExprError::new(
                            ErrorKind::Memory,
                            format!("table index {idx} is out of bounds"),
                        )
                    })?;
                    let (v, ty) = self
                        .cx
                        .wasm_table(*t, index)
                        .map_err(|m| ExprError::new(ErrorKind::Memory, m))?;
                    return Ok(super::gc::typed_value(self.cx, v, ty));
                }
                let v = self.eval(b, d)?;
                self.index(v, idx)
            }
            Expr::Unary(op, b) => {
                let v = self.eval(b, d)?;
                self.unary(*op, v)
            }
            Expr::Binary(op, a, b) => {
                let x = self.eval(a, d)?;
                match op {
                    BinOp::And | BinOp::Or => {
                        let t = self.truthy(&x)?;
                        if t == (*op == BinOp::Or) {
                            return Ok(scalar_val(Num::I(t as i128), Scalar::Int));
                        }
                        let y = self.eval(b, d)?;
                        let t = self.truthy(&y)?;
                        Ok(scalar_val(Num::I(t as i128), Scalar::Int))
                    }
                    _ => {
                        let y = self.eval(b, d)?;
                        self.binary(*op, x, y)
                    }
                }
            }
            Expr::Cond(c, a, b) => {
                let cv = self.eval(c, d)?;
                let (chosen, other) = if self.truthy(&cv)? { (a, b) } else { (b, a) };
                let v = self.eval(chosen, d)?;
                // Both arms arithmetic: the result has their common type.
                if let (Some(s1), Ok(o)) = (self.arith(&v), self.eval(other, d))
                    && let Some(s2) = self.arith(&o)
                    && !matches!(v.ty().map(Type::kind), Some(Kind::Ptr(_) | Kind::Array(..)))
                {
                    let t = Scalar::common(s1, s2);
                    return Ok(scalar_val(convert(self.num(&v)?.0, t), t));
                }
                Ok(v)
            }
            Expr::Cast(t, b) => {
                let to = self.resolve_type(t)?;
                let v = self.eval(b, d)?;
                self.cast(v, to)
            }
            Expr::SizeofType(t) => {
                let ty = self.resolve_type(t)?;
                self.sizeof(&ty)
            }
            Expr::SizeofExpr(b) => {
                let v = self.eval(b, d)?;
                match v.ty() {
                    Some(ty) => self.sizeof(ty),
                    None => err(ErrorKind::Type, "the value has no size"),
                }
            }
        }
    }

    fn sizeof(&self, ty: &Type) -> Res<Val> {
        match ty.size() {
            Some(n) => Ok(scalar_val(Num::I(n as i128), Scalar::ULong)),
            None => err(
                ErrorKind::Type,
                format!("the size of `{}` is unknown", ty.name()),
            ),
        }
    }

    pub(crate) fn cast(&self, v: Val, to: Type) -> Res<Val> {
        match to.kind() {
            Kind::Void => Ok(Val::Shown(VarValue::Raw("void".into()))),
            Kind::Scalar(s) => {
                let (n, _) = self.num(&v)?;
                let n = convert(n, s);
                Ok(Val::Obj {
                    ty: to,
                    place: Place::Bytes(num_bytes(n, s)),
                })
            }
            Kind::Enum(s) => {
                let (n, _) = self.num(&v)?;
                Ok(Val::Obj {
                    ty: to,
                    place: Place::Bytes(num_bytes(n, s)),
                })
            }
            Kind::Ptr(_) => {
                let addr = match self.num(&v)? {
                    (Num::I(a), _) => a as u64,
                    (Num::F(_), _) => {
                        return err(ErrorKind::Type, "cannot cast a float to a pointer");
                    }
                };
                Ok(ptr_val(to, addr))
            }
            _ => match v {
                // A record or array of the same size: reinterpret the object.
                Val::Obj { ty, place } if ty.size() == to.size() && ty.size().is_some() => {
                    Ok(Val::Obj { ty: to, place })
                }
                _ => err(ErrorKind::Type, format!("cannot cast to `{}`", to.name())),
            },
        }
    }

    fn index(&self, v: Val, idx: i128) -> Res<Val> {
        if let Val::Obj {
            ty: Type::Ref(rt),
            place,
        } = &v
        {
            return super::gc::index(self, rt, super::gc::bits_of(self, place)?, idx);
        }
        if let Val::Obj { ty, place } = &v
            && let Kind::Array(elem, dims) = ty.kind()
        {
            let row = row_type(elem, &dims);
            let size = row
                .size()
                .ok_or_else(|| ExprError::new(ErrorKind::Type, "element size unknown"))?;
            let offset = (idx as i64 as u64).wrapping_mul(size);
            return Ok(Val::Obj {
                ty: row,
                place: dt::sub_place(place, offset),
            });
        }
        let (pointee, addr) = self.pointer(&v)?;
        if matches!(pointee.kind(), Kind::Void) {
            return err(ErrorKind::Type, "cannot index a `void *`");
        }
        let size = pointee
            .size()
            .ok_or_else(|| ExprError::new(ErrorKind::Type, "cannot index a `void *`"))?;
        let a = addr.wrapping_add((idx as i64 as u64).wrapping_mul(size)) & 0xffff_ffff;
        Ok(Val::Obj {
            ty: pointee,
            place: Place::Memory(a),
        })
    }

    pub(super) fn member(&self, v: Val, name: &str, auto_deref: bool) -> Res<Val> {
        if let Val::Obj {
            ty: Type::Ref(rt),
            place,
        } = &v
        {
            return super::gc::member(self, rt, super::gc::bits_of(self, place)?, name);
        }
        let Val::Obj { ty, place } = v else {
            return err(
                ErrorKind::Type,
                format!("no field `{name}` in a computed value"),
            );
        };
        let Type::Dwarf(dty) = &ty else {
            return err(ErrorKind::Type, format!("`{}` has no fields", ty.name()));
        };
        let Some((t, e)) = dt::strip(dty) else {
            return err(ErrorKind::Type, "value has no type");
        };
        if !matches!(
            e.tag(),
            gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type | gimli::DW_TAG_union_type
        ) {
            // Rust (and C++ references) auto-dereference on `.`.
            let is_ref = matches!(
                e.tag(),
                gimli::DW_TAG_pointer_type
                    | gimli::DW_TAG_reference_type
                    | gimli::DW_TAG_rvalue_reference_type
            );
            if auto_deref
                && is_ref
                && (t.cu.lang == Some(gimli::DW_LANG_Rust) || e.tag() != gimli::DW_TAG_pointer_type)
            {
                let v = Val::Obj { ty, place };
                let (pointee, addr) = self.pointer(&v)?;
                return self.member(
                    Val::Obj {
                        ty: pointee,
                        place: Place::Memory(addr),
                    },
                    name,
                    false,
                );
            }
            let tn = ty.name();
            return err(
                ErrorKind::Type,
                if e.tag() == gimli::DW_TAG_pointer_type {
                    format!("`{tn}` is a pointer: use `->{name}`")
                } else {
                    format!("`{tn}` has no fields")
                },
            );
        }
        let Some((_, m)) = dt::members(&t).into_iter().find(|(n, _)| n == name) else {
            return err(
                ErrorKind::NoSymbol,
                format!("`{}` has no field `{name}`", ty.name()),
            );
        };
        if m.attr_value(gimli::DW_AT_bit_size).is_some() {
            // Bitfields are not addressable: read the value now.
            let mty = dt::type_of(&t.cu, &m);
            if let VarValue::Struct { fields } =
                dt::read_typed(Some(dty), &place, self.cx.as_frame())
                && let Some((_, fv)) = fields.into_iter().find(|(n, _)| n == name)
                && let (Some(i), Some(mt)) = (fv.as_i128(), mty)
            {
                let s = match Type::Dwarf(mt.clone()).kind() {
                    Kind::Scalar(s) | Kind::Enum(s) => s,
                    _ => Scalar::Int,
                };
                return Ok(Val::Obj {
                    ty: Type::Dwarf(mt),
                    place: Place::Bytes(num_bytes(Num::I(i), s)),
                });
            }
            return err(
                ErrorKind::Unavailable,
                format!("cannot read bitfield `{name}`"),
            );
        }
        let offset = dt::member_offset(&t.cu, &m);
        Ok(Val::Obj {
            ty: Type::dwarf(dt::type_of(&t.cu, &m)),
            place: dt::sub_place(&place, offset),
        })
    }
}

/// The type of `a[i]` for an array of `elem` with `dims`: the element, or a
/// row when more dimensions remain.
fn row_type(elem: Type, dims: &[Option<u64>]) -> Type {
    if dims.len() > 1 {
        Type::Array(Box::new(elem), dims[1..].to_vec())
    } else {
        elem
    }
}
