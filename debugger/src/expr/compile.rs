//! Breakpoint conditions compiled once into an engine predicate
//! ([`wdb_engine::interp::Pred`]), so the executor decides a hit without
//! coming back to the session.
//!
//! A condition is compiled for one breakpoint location (a `code_offset`),
//! where each DWARF variable has one location. That location is found by
//! evaluating it against two probe frames whose locals and globals hold
//! different values: a variable whose address is a fixed distance from one
//! slot (`DW_OP_fbreg` over the frame-base local, as `-O0` code has it), a
//! fixed address (a global), or the value of one slot becomes loads from
//! that slot; anything else (reads of memory or the operand stack, pieces)
//! is refused. The rest follows [`super::eval`]'s C rules operator by
//! operator: integers are kept extended to 64 bits by their type, floats
//! computed in `f32`/`f64`. What is not compiled (history, `@`, `sizeof`,
//! struct values, inlined code...) returns an error, and the session keeps
//! evaluating that condition itself at each hit.

use std::cell::RefCell;

use wdb_engine::interp::{NumTy, Pred, PredBin, PredOp, PredUn};
use wdb_engine::{ValType, Value};

use super::parse::{BaseType, BinOp, Dollar, Expr, LocalRef, UnOp};
use super::types::{Kind, Scalar, Type};
use super::{Env, EvalContext, Val};
use crate::dwarf::loc::Place;
use crate::dwarf::{DebugInfo, FrameAccess};

/// Where a condition is compiled: the breakpoint's function scope and the
/// wasm types of its locals and of the instance's globals.
pub(crate) struct CompileCx<'a> {
    pub debug: Option<&'a DebugInfo>,
    pub code_offset: u32,
    pub local_types: &'a [ValType],
    pub global_types: &'a [ValType],
}

/// Compile `text` into a predicate; `Err` says why it cannot be.
pub(crate) fn compile_condition(text: &str, cx: &CompileCx<'_>) -> Result<Pred, String> {
    if let Some(d) = cx.debug
        && !d.inline_frames(cx.code_offset).is_empty()
    {
        return Err("the location is in inlined code".into());
    }
    let e = super::parse(text).map_err(|e| e.to_string())?;
    let mut c = Compiler {
        cx,
        ops: Vec::new(),
    };
    let v = c.expr(&e, 0)?;
    let s = c.value(v)?;
    c.ops.push(PredOp::Un(PredUn::Nez(num_ty(s))));
    Pred::new(c.ops)
}

/// A compiled operand: the ops pushed so far leave its value (`addr`
/// false) or the address of the object in memory (`addr` true).
#[derive(Debug, Clone)]
struct C {
    ty: Type,
    addr: bool,
}

const MAX_DEPTH: usize = 64;

fn num_ty(s: Scalar) -> NumTy {
    match s {
        Scalar::Float => NumTy::F32,
        Scalar::Double => NumTy::F64,
        s if s.size() == 8 => NumTy::I64,
        _ => NumTy::I32,
    }
}

/// The arithmetic type of a value of type `ty` (as `Env::arith`).
fn arith(ty: &Type, addr: bool) -> Option<Scalar> {
    match ty.kind() {
        Kind::Scalar(Scalar::Bool) => None,
        Kind::Scalar(s) | Kind::Enum(s) => Some(s),
        Kind::Ptr(_) => Some(Scalar::ULong),
        Kind::Array(..) if addr => Some(Scalar::ULong),
        _ => None,
    }
}

fn row(elem: Type, dims: &[Option<u64>]) -> Type {
    if dims.len() > 1 {
        Type::Array(Box::new(elem), dims[1..].to_vec())
    } else {
        elem
    }
}

struct Compiler<'a> {
    cx: &'a CompileCx<'a>,
    ops: Vec<PredOp>,
}

impl Compiler<'_> {
    fn push(&mut self, op: PredOp) {
        self.ops.push(op);
    }

    /// The top (a normalized value of `from`) converted as C converts to `to`.
    fn convert(&mut self, from: Scalar, to: Scalar) {
        use PredOp::*;
        if from == to {
            return;
        }
        match (from.is_float(), to.is_float()) {
            (true, true) => self.push(Un(if to == Scalar::Double {
                PredUn::F32ToF64
            } else {
                PredUn::F64ToF32
            })),
            (false, true) => self.push(Un(PredUn::FromInt {
                to: num_ty(to),
                signed: from.is_signed(),
            })),
            (true, false) => {
                self.push(Un(PredUn::Trunc { from: num_ty(from) }));
                self.wrap(to);
            }
            (false, false) => {
                let fits = to.size() == 8
                    || (from.size() < to.size() && (!from.is_signed() || to.is_signed()))
                    || (from.size() == to.size() && from.is_signed() == to.is_signed());
                if !fits {
                    self.wrap(to);
                }
            }
        }
    }

    /// Extend the low bytes of an integer type `t` over the word.
    fn wrap(&mut self, t: Scalar) {
        if t.size() < 8 {
            self.push(PredOp::Wrap {
                bits: (t.size() * 8) as u8,
                signed: t.is_signed(),
            });
        }
    }

    /// After an `I32` operator (sign-extended result) of type `t`.
    fn fix_i32(&mut self, t: Scalar) {
        if !t.is_float() && t.size() == 4 && !t.is_signed() {
            self.wrap(t);
        }
    }

    /// Normalize raw slot bits holding an object of type `ty`.
    fn from_slot(&mut self, ty: &Type, slot: ValType) -> Result<(), String> {
        let size = ty.size().ok_or("a value of unknown size")?;
        let slot_size = match slot {
            ValType::I32 | ValType::F32 => 4,
            ValType::I64 | ValType::F64 => 8,
            _ => return Err("a reference or vector slot".into()),
        };
        if size > slot_size {
            return Err("the value is wider than its slot".into());
        }
        match ty.kind() {
            Kind::Scalar(Scalar::Bool) => Err("a _Bool in a slot".into()),
            Kind::Scalar(s) | Kind::Enum(s) if s.size() == size => {
                if s == Scalar::Float {
                    self.push(PredOp::Wrap {
                        bits: 32,
                        signed: false,
                    });
                } else if !s.is_float() {
                    self.wrap(s);
                }
                Ok(())
            }
            Kind::Ptr(_) => {
                self.wrap(Scalar::ULong);
                Ok(())
            }
            _ => Err(format!("`{}` is not a number", ty.name())),
        }
    }

    /// Turn `c` into a value on the stack, giving its arithmetic type
    /// (an array in memory decays to its address).
    fn value(&mut self, c: C) -> Result<Scalar, String> {
        let s = arith(&c.ty, c.addr).ok_or_else(|| format!("`{}` is not a number", c.ty.name()))?;
        if !c.addr || matches!(c.ty.kind(), Kind::Array(..)) {
            return Ok(s);
        }
        let width = match c.ty.kind() {
            Kind::Ptr(_) => 4,
            _ => c.ty.size().unwrap_or(s.size()),
        };
        if width != s.size() {
            return Err("an enum of unusual size".into());
        }
        self.push(PredOp::Load {
            width: width as u8,
            signed: s.is_signed() && !s.is_float(),
        });
        Ok(s)
    }

    /// Compile `e` and convert its value to `to`.
    fn value_as(&mut self, e: &Expr, to: Scalar, d: usize) -> Result<(), String> {
        let c = self.expr(e, d)?;
        let s = self.value(c)?;
        self.convert(s, to);
        Ok(())
    }

    /// (pointee type, address on the stack) of a pointer or array in memory.
    fn pointer(&mut self, c: C) -> Result<Type, String> {
        match c.ty.kind() {
            Kind::Ptr(p) => {
                self.value(c)?;
                Ok(p)
            }
            Kind::Array(elem, dims) if c.addr => Ok(row(elem, &dims)),
            _ => Err(format!("`{}` is not a pointer", c.ty.name())),
        }
    }

    fn expr(&mut self, e: &Expr, depth: usize) -> Result<C, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        let d = depth + 1;
        use PredOp::*;
        Ok(match e {
            Expr::Int(v, t) => {
                let w = super::eval::wrap(*v as i128, *t);
                self.push(Const(w as i64 as u64));
                C {
                    ty: Type::Scalar(*t),
                    addr: false,
                }
            }
            Expr::Float(v, t) => {
                self.push(Const(if *t == Scalar::Float {
                    (*v as f32).to_bits() as u64
                } else {
                    v.to_bits()
                }));
                C {
                    ty: Type::Scalar(*t),
                    addr: false,
                }
            }
            Expr::Ident(name) => self.variable(name)?,
            Expr::Dollar(Dollar::Local(LocalRef::Index(i))) => {
                let vt = *self
                    .cx
                    .local_types
                    .get(*i as usize)
                    .ok_or_else(|| format!("no local $l{i}"))?;
                self.push(Local(*i));
                let ty = Type::Wasm(vt);
                self.from_slot(&ty, vt)?;
                C { ty, addr: false }
            }
            Expr::Dollar(Dollar::Global(LocalRef::Index(i))) => {
                let vt = *self
                    .cx
                    .global_types
                    .get(*i as usize)
                    .ok_or_else(|| format!("no global $g{i}"))?;
                self.push(Global(*i));
                let ty = Type::Wasm(vt);
                self.from_slot(&ty, vt)?;
                C { ty, addr: false }
            }
            Expr::Dollar(_) => return Err("history and operand-stack values".into()),
            Expr::Member(b, name) | Expr::Arrow(b, name) => {
                let c = self.expr(b, d)?;
                let (ty, arrow) = match e {
                    Expr::Arrow(..) => (self.pointer(c)?, true),
                    _ if c.addr => (c.ty, false),
                    _ => return Err("a member of a value not in memory".into()),
                };
                // The member's offset and type, from the evaluator itself.
                let probe = Probe::new(0, self.cx);
                let env = probe.env(self.cx);
                const AT: u64 = 0x1000;
                let v = env
                    .member(
                        Val::Obj {
                            ty,
                            place: Place::Memory(AT),
                        },
                        name,
                        !arrow,
                    )
                    .map_err(|e| e.message)?;
                let Val::Obj {
                    ty,
                    place: Place::Memory(a),
                } = v
                else {
                    return Err("a member not in memory (a bit-field)".into());
                };
                if probe.touched() {
                    return Err("a member reached through a pointer".into());
                }
                self.push(Const(a.wrapping_sub(AT)));
                self.push(Bin(PredBin::Add, NumTy::I64));
                C { ty, addr: true }
            }
            Expr::Index(b, i) => {
                let c = self.expr(b, d)?;
                let (ty, mask) = match c.ty.kind() {
                    Kind::Array(elem, dims) if c.addr => (row(elem, &dims), false),
                    _ => (self.pointer(c)?, true),
                };
                if matches!(ty.kind(), Kind::Void) {
                    return Err("cannot index a `void *`".into());
                }
                let size = ty.size().ok_or("element size unknown")?;
                let ic = self.expr(i, d)?;
                let s = self.value(ic)?;
                if s.is_float() {
                    return Err("a float index".into());
                }
                self.convert(s, Scalar::LongLong);
                self.push(Const(size));
                self.push(Bin(PredBin::Mul, NumTy::I64));
                self.push(Bin(PredBin::Add, NumTy::I64));
                if mask {
                    self.wrap(Scalar::ULong);
                }
                C { ty, addr: true }
            }
            Expr::Unary(op, b) => self.unary(*op, b, d)?,
            Expr::Binary(op, a, b) => self.binary(*op, a, b, d)?,
            Expr::Cast(t, b) => {
                let to = match &t.base {
                    BaseType::Scalar(s) if t.stars == 0 => Type::Scalar(*s),
                    _ => {
                        let probe = Probe::new(0, self.cx);
                        probe.env(self.cx).resolve_type(t).map_err(|e| e.message)?
                    }
                };
                match to.kind() {
                    Kind::Scalar(Scalar::Bool) => return Err("a cast to _Bool".into()),
                    Kind::Scalar(s) | Kind::Enum(s) => {
                        self.value_as(b, s, d)?;
                        C {
                            ty: to,
                            addr: false,
                        }
                    }
                    Kind::Ptr(_) => {
                        let c = self.expr(b, d)?;
                        let s = self.value(c)?;
                        if s.is_float() {
                            return Err("cannot cast a float to a pointer".into());
                        }
                        self.wrap(Scalar::ULong);
                        C {
                            ty: to,
                            addr: false,
                        }
                    }
                    _ => return Err(format!("a cast to `{}`", to.name())),
                }
            }
            Expr::Cond(..) | Expr::SizeofType(_) | Expr::SizeofExpr(_) => {
                return Err("`?:` and `sizeof`".into());
            }
        })
    }

    fn unary(&mut self, op: UnOp, b: &Expr, d: usize) -> Result<C, String> {
        use PredOp::*;
        let c = self.expr(b, d)?;
        let int = |s: Scalar| C {
            ty: Type::Scalar(s),
            addr: false,
        };
        Ok(match op {
            UnOp::Deref => {
                if matches!(c.ty.kind(), Kind::Func) {
                    return Err("a function".into());
                }
                let ty = self.pointer(c)?;
                if matches!(ty.kind(), Kind::Void) {
                    return Err("cannot dereference a `void *`".into());
                }
                C { ty, addr: true }
            }
            UnOp::AddrOf => {
                if !c.addr {
                    return Err("the value is not in memory".into());
                }
                C {
                    ty: Type::Ptr(Box::new(c.ty)),
                    addr: false,
                }
            }
            UnOp::Not => {
                let s = self.value(c)?;
                self.push(Un(PredUn::Eqz(num_ty(s))));
                int(Scalar::Int)
            }
            UnOp::Neg | UnOp::Plus | UnOp::BitNot => {
                if matches!(c.ty.kind(), Kind::Ptr(_) | Kind::Array(..)) {
                    return Err("wrong type argument to a unary operator".into());
                }
                let s = self.value(c)?;
                let t = s.promote();
                self.convert(s, t);
                match op {
                    UnOp::Plus => {}
                    UnOp::Neg => self.push(Un(PredUn::Neg(num_ty(t)))),
                    _ if t.is_float() => return Err("the operand of `~` must be an integer".into()),
                    _ => self.push(Un(PredUn::Not(num_ty(t)))),
                }
                self.fix_i32(t);
                int(t)
            }
        })
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, d: usize) -> Result<C, String> {
        use PredOp::*;
        let int = C {
            ty: Type::Scalar(Scalar::Int),
            addr: false,
        };
        match op {
            BinOp::At => return Err("`@`".into()),
            BinOp::And | BinOp::Or => {
                let x = self.expr(a, d)?;
                let s = self.value(x)?;
                self.push(Un(PredUn::Nez(num_ty(s))));
                let jump_at = self.ops.len();
                self.push(Jump(0));
                let y = self.expr(b, d)?;
                let s = self.value(y)?;
                self.push(Un(PredUn::Nez(num_ty(s))));
                let end = self.ops.len() as u32;
                self.ops[jump_at] = if op == BinOp::And {
                    AndJump(end)
                } else {
                    OrJump(end)
                };
                return Ok(int);
            }
            _ => {}
        }
        let x = self.expr(a, d)?;
        let px = matches!(x.ty.kind(), Kind::Ptr(_))
            || (x.addr && matches!(x.ty.kind(), Kind::Array(..)));
        if px && matches!(op, BinOp::Add | BinOp::Sub) {
            // Pointer arithmetic: p ± n, scaled by the pointee's size.
            let ty = self.pointer(x)?;
            let size = match ty.kind() {
                Kind::Void => 1,
                _ => ty.size().unwrap_or(1),
            };
            let y = self.expr(b, d)?;
            if matches!(y.ty.kind(), Kind::Ptr(_) | Kind::Array(..)) {
                return Err("the difference of two pointers".into());
            }
            let s = self.value(y)?;
            if s.is_float() {
                return Err("a float added to a pointer".into());
            }
            self.convert(s, Scalar::LongLong);
            self.push(Const(size));
            self.push(Bin(PredBin::Mul, NumTy::I64));
            self.push(Bin(
                if op == BinOp::Add {
                    PredBin::Add
                } else {
                    PredBin::Sub
                },
                NumTy::I64,
            ));
            self.wrap(Scalar::ULong);
            return Ok(C {
                ty: Type::Ptr(Box::new(ty)),
                addr: false,
            });
        }
        let sa = self.value(x)?;
        let x_at = self.ops.len();
        let y = self.expr(b, d)?;
        let py = matches!(y.ty.kind(), Kind::Ptr(_))
            || (y.addr && matches!(y.ty.kind(), Kind::Array(..)));
        if py && matches!(op, BinOp::Add | BinOp::Sub) {
            return Err("a number plus a pointer".into());
        }
        let sb = self.value(y)?;
        let shift = matches!(op, BinOp::Shl | BinOp::Shr);
        let t = if shift {
            sa.promote()
        } else {
            Scalar::common(sa, sb)
        };
        // Convert x where it was computed (before y's ops), then y.
        let mut tail = self.ops.split_off(x_at);
        self.convert(sa, t);
        self.ops.append(&mut tail);
        self.convert(sb, if shift { sb.promote() } else { t });
        let nt = num_ty(t);
        let signed = t.is_signed();
        let (bin, cmp) = match op {
            BinOp::Add => (PredBin::Add, false),
            BinOp::Sub => (PredBin::Sub, false),
            BinOp::Mul => (PredBin::Mul, false),
            BinOp::Div if t.is_float() || signed => (PredBin::DivS, false),
            BinOp::Div => (PredBin::DivU, false),
            BinOp::Rem if signed => (PredBin::RemS, false),
            BinOp::Rem => (PredBin::RemU, false),
            BinOp::BitAnd => (PredBin::And, false),
            BinOp::BitOr => (PredBin::Or, false),
            BinOp::BitXor => (PredBin::Xor, false),
            BinOp::Shl => (PredBin::Shl, false),
            BinOp::Shr if signed => (PredBin::ShrS, false),
            BinOp::Shr => (PredBin::ShrU, false),
            BinOp::Eq => (PredBin::Eq, true),
            BinOp::Ne => (PredBin::Ne, true),
            BinOp::Lt if signed => (PredBin::LtS, true),
            BinOp::Lt => (PredBin::LtU, true),
            BinOp::Le if signed => (PredBin::LeS, true),
            BinOp::Le => (PredBin::LeU, true),
            BinOp::Gt if signed => (PredBin::GtS, true),
            BinOp::Gt => (PredBin::GtU, true),
            BinOp::Ge if signed => (PredBin::GeS, true),
            BinOp::Ge => (PredBin::GeU, true),
            BinOp::And | BinOp::Or | BinOp::At => unreachable!("handled above"),
        };
        if t.is_float() && !bin.applies_to_floats() {
            return Err("an integer operator on floats".into());
        }
        // Float comparisons are the signed kind only.
        self.push(Bin(bin, nt));
        if cmp {
            return Ok(int);
        }
        self.fix_i32(t);
        Ok(C {
            ty: Type::Scalar(t),
            addr: false,
        })
    }

    /// A name: a DWARF variable (or enumerator), by probing its location.
    fn variable(&mut self, name: &str) -> Result<C, String> {
        const BASES: [u64; 2] = [0x0001_0000, 0x7ff0_0000];
        let mut seen = Vec::new();
        for base in BASES {
            let probe = Probe::new(base, self.cx);
            let v = probe
                .env(self.cx)
                .eval(&Expr::Ident(name.to_string()), 0)
                .map_err(|e| e.message)?;
            if probe.touched() {
                return Err(format!(
                    "`{name}`'s location reads memory or the operand stack"
                ));
            }
            let reads = probe.reads.into_inner();
            let Val::Obj { ty, place } = v else {
                return Err(format!("`{name}` is not available"));
            };
            seen.push((ty, place, reads));
        }
        let (ty, p1, r1) = seen.pop().expect("two probes");
        let (_, p0, r0) = seen.pop().expect("two probes");
        if r0 != r1 || r0.len() > 1 {
            return Err(format!("`{name}`'s location reads several slots"));
        }
        let slot = r0.first().copied();
        let delta = BASES[1] - BASES[0];
        match (slot, p0, p1) {
            (None, Place::Memory(a0), Place::Memory(a1)) if a0 == a1 => {
                self.push(PredOp::Const(a0));
                Ok(C { ty, addr: true })
            }
            (Some((global, i, ValType::I32)), Place::Memory(a0), Place::Memory(a1))
                if a1.wrapping_sub(a0) & 0xffff_ffff == delta =>
            {
                self.push(if global {
                    PredOp::Global(i)
                } else {
                    PredOp::Local(i)
                });
                self.push(PredOp::Const(a0.wrapping_sub(BASES[0])));
                self.push(PredOp::Bin(PredBin::Add, NumTy::I64));
                self.wrap(Scalar::ULong);
                Ok(C { ty, addr: true })
            }
            (None, Place::Bytes(b0), Place::Bytes(b1)) if b0 == b1 => {
                // A constant (an enumerator, DW_OP_implicit_value).
                let mut w = [0u8; 8];
                let n = b0.len().min(8);
                w[..n].copy_from_slice(&b0[..n]);
                self.push(PredOp::Const(u64::from_le_bytes(w)));
                let vt = if b0.len() > 4 {
                    ValType::I64
                } else {
                    ValType::I32
                };
                self.from_slot(&ty, vt)?;
                Ok(C { ty, addr: false })
            }
            (Some((global, i, vt)), Place::Bytes(b0), Place::Bytes(b1))
                if b0 == probe_bytes(vt, BASES[0]) && b1 == probe_bytes(vt, BASES[1]) =>
            {
                self.push(if global {
                    PredOp::Global(i)
                } else {
                    PredOp::Local(i)
                });
                self.from_slot(&ty, vt)?;
                Ok(C { ty, addr: false })
            }
            _ => Err(format!("`{name}`'s location is not one slot or address")),
        }
    }
}

fn probe_value(vt: ValType, base: u64) -> Option<Value> {
    Some(match vt {
        ValType::I32 => Value::I32(base as i32),
        ValType::I64 => Value::I64(base as i64),
        ValType::F32 => Value::F32(base as u32),
        ValType::F64 => Value::F64(base),
        _ => return None,
    })
}

fn probe_bytes(vt: ValType, base: u64) -> Vec<u8> {
    match vt {
        ValType::I32 | ValType::F32 => (base as u32).to_le_bytes().to_vec(),
        _ => base.to_le_bytes().to_vec(),
    }
}

/// A frame whose every local and global holds `base`, recording which are
/// read; memory and the operand stack are not available (and noted).
struct Probe<'a> {
    base: u64,
    local_types: &'a [ValType],
    global_types: &'a [ValType],
    /// (is a global, index, type), in the order first read.
    reads: RefCell<Vec<(bool, u32, ValType)>>,
    other: std::cell::Cell<bool>,
}

impl<'a> Probe<'a> {
    fn new(base: u64, cx: &'a CompileCx<'a>) -> Probe<'a> {
        Probe {
            base,
            local_types: cx.local_types,
            global_types: cx.global_types,
            reads: RefCell::new(Vec::new()),
            other: std::cell::Cell::new(false),
        }
    }

    fn env<'b>(&'b self, cx: &'b CompileCx<'b>) -> Env<'b> {
        Env {
            cx: self,
            debug: cx.debug,
            code_offset: cx.code_offset,
            inline_frame: Some(0),
            history: &[],
        }
    }

    fn touched(&self) -> bool {
        self.other.get()
    }

    fn read(&self, global: bool, i: u32) -> Option<Value> {
        let types = if global {
            self.global_types
        } else {
            self.local_types
        };
        let vt = *types.get(i as usize)?;
        let mut r = self.reads.borrow_mut();
        if !r.iter().any(|&(g, j, _)| g == global && j == i) {
            r.push((global, i, vt));
        }
        probe_value(vt, self.base)
    }
}

impl FrameAccess for Probe<'_> {
    fn local(&self, index: u32) -> Option<Value> {
        self.read(false, index)
    }
    fn global(&self, index: u32) -> Option<Value> {
        self.read(true, index)
    }
    fn operand(&self, _index: u32) -> Option<Value> {
        self.other.set(true);
        None
    }
    fn read_memory(&self, _addr: u64, _len: usize) -> Option<Vec<u8>> {
        self.other.set(true);
        None
    }
}

impl EvalContext for Probe<'_> {
    fn as_frame(&self) -> &dyn FrameAccess {
        self
    }
    fn wasm_local(&self, r: &LocalRef) -> Result<Value, String> {
        match r {
            LocalRef::Index(i) => self.local(*i).ok_or_else(|| format!("no local $l{i}")),
            LocalRef::Name(n) => Err(format!("No symbol \"{n}\" in current context.")),
        }
    }
}
