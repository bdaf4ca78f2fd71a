//! C's unary and binary operators over [`Val`]s: the usual arithmetic
//! conversions, comparisons, shifts, logical operators and pointer
//! arithmetic.

use super::*;

impl Env<'_> {
    pub(super) fn unary(&self, op: UnOp, v: Val) -> Res<Val> {
        match op {
            UnOp::Deref => {
                if let Some(Kind::Func) = v.ty().map(Type::kind) {
                    return Ok(v);
                }
                let (pointee, addr) = self.pointer(&v)?;
                if matches!(pointee.kind(), Kind::Void) {
                    return err(ErrorKind::Type, "cannot dereference a `void *`");
                }
                Ok(Val::Obj {
                    ty: pointee,
                    place: Place::Memory(addr),
                })
            }
            UnOp::AddrOf => match v {
                Val::Obj {
                    ty,
                    place: Place::Memory(addr),
                } => Ok(ptr_val(Type::Ptr(Box::new(ty)), addr)),
                Val::Obj { .. } => err(
                    ErrorKind::Unavailable,
                    "the value is not in memory (it lives in a wasm local)",
                ),
                _ => err(
                    ErrorKind::Type,
                    "cannot take the address of a computed value",
                ),
            },
            UnOp::Not => {
                let t = self.truthy(&v)?;
                Ok(scalar_val(Num::I(!t as i128), Scalar::Int))
            }
            UnOp::Neg | UnOp::Plus | UnOp::BitNot => {
                let (n, s) = self.num(&v)?;
                if matches!(v.ty().map(Type::kind), Some(Kind::Ptr(_) | Kind::Array(..))) {
                    return err(ErrorKind::Type, "wrong type argument to a unary operator");
                }
                let t = s.promote();
                let n = convert(n, t);
                let r = match (op, n) {
                    (UnOp::Plus, n) => n,
                    (UnOp::Neg, Num::F(f)) => Num::F(-f),
                    (UnOp::Neg, Num::I(i)) => Num::I(wrap(i.wrapping_neg(), t)),
                    (_, Num::I(i)) => Num::I(wrap(!i, t)),
                    (_, Num::F(_)) => {
                        return err(ErrorKind::Type, "the operand of `~` must be an integer");
                    }
                };
                Ok(scalar_val(r, t))
            }
        }
    }

    pub(super) fn is_pointerish(&self, v: &Val) -> bool {
        match v {
            Val::Obj { ty, place } => match ty.kind() {
                Kind::Ptr(_) => true,
                Kind::Array(..) => matches!(place, Place::Memory(_)),
                _ => false,
            },
            _ => false,
        }
    }

    pub(super) fn binary(&self, op: BinOp, x: Val, y: Val) -> Res<Val> {
        use BinOp::*;
        if op == At {
            let n = self.int(&y)?;
            let Val::Obj {
                ty,
                place: Place::Memory(addr),
            } = x
            else {
                return err(
                    ErrorKind::Type,
                    "Only values in memory can be extended with '@'.",
                );
            };
            if n <= 0 {
                return err(
                    ErrorKind::Type,
                    "Only values in memory can be extended with '@'.",
                );
            }
            return Ok(Val::Obj {
                ty: Type::Array(Box::new(ty), vec![Some(n as u64)]),
                place: Place::Memory(addr),
            });
        }
        let (px, py) = (self.is_pointerish(&x), self.is_pointerish(&y));
        if (px || py) && matches!(op, Add | Sub) {
            return self.pointer_arith(op, x, y, px, py);
        }
        let (a, sa) = self.num(&x)?;
        let (b, sb) = self.num(&y)?;
        let t = match op {
            Shl | Shr => sa.promote(),
            _ => Scalar::common(sa, sb),
        };
        let cmp = |o: std::cmp::Ordering| -> Val {
            use std::cmp::Ordering::*;
            let r = match op {
                Eq => o == Equal,
                Ne => o != Equal,
                Lt => o == Less,
                Le => o != Greater,
                Gt => o == Greater,
                _ => o != Less,
            };
            scalar_val(Num::I(r as i128), Scalar::Int)
        };
        let (a, b) = if matches!(op, Shl | Shr) {
            (convert(a, t), convert(b, sb.promote()))
        } else {
            (convert(a, t), convert(b, t))
        };
        match (a, b) {
            (Num::F(a), Num::F(b)) => {
                let r = match op {
                    Add => a + b,
                    Sub => a - b,
                    Mul => a * b,
                    Div => a / b,
                    Eq | Ne | Lt | Le | Gt | Ge => {
                        // NaN: every comparison but `!=` is false.
                        return Ok(match a.partial_cmp(&b) {
                            Some(o) => cmp(o),
                            None => scalar_val(Num::I((op == Ne) as i128), Scalar::Int),
                        });
                    }
                    _ => {
                        return err(
                            ErrorKind::Type,
                            format!("the operands of `{}` must be integers", op_text(op)),
                        );
                    }
                };
                Ok(scalar_val(Num::F(r), t))
            }
            (Num::I(a), Num::I(b)) => {
                let r = match op {
                    Add => a.wrapping_add(b),
                    Sub => a.wrapping_sub(b),
                    Mul => a.wrapping_mul(b),
                    Div | Rem if b == 0 => return err(ErrorKind::Arithmetic, "division by zero"),
                    Div => a.wrapping_div(b),
                    Rem => a.wrapping_rem(b),
                    BitAnd => a & b,
                    BitOr => a | b,
                    BitXor => a ^ b,
                    Shl | Shr => {
                        let bits = (t.size() * 8) as i128;
                        if b < 0 || b >= bits {
                            return err(
                                ErrorKind::Arithmetic,
                                format!("shift count {b} is out of range for `{}`", t.name()),
                            );
                        }
                        if op == Shl { a << b } else { a >> b }
                    }
                    Eq | Ne | Lt | Le | Gt | Ge => return Ok(cmp(a.cmp(&b))),
                    And | Or | At => unreachable!("handled above"),
                };
                Ok(scalar_val(Num::I(wrap(r, t)), t))
            }
            _ => unreachable!("both converted to one type"),
        }
    }

    pub(super) fn pointer_arith(&self, op: BinOp, x: Val, y: Val, px: bool, py: bool) -> Res<Val> {
        if px && py {
            if op == BinOp::Add {
                return err(ErrorKind::Type, "cannot add two pointers");
            }
            let (t1, a) = self.pointer(&x)?;
            let (_, b) = self.pointer(&y)?;
            let size = t1.size().unwrap_or(1).max(1) as i128;
            let diff = (a as i128 - b as i128) / size;
            return Ok(scalar_val(Num::I(diff), Scalar::Long));
        }
        let (p, i) = if px { (x, y) } else { (y, x) };
        if op == BinOp::Sub && !px {
            return err(ErrorKind::Type, "cannot subtract a pointer from a number");
        }
        let n = self.int(&i)?;
        let n = if op == BinOp::Sub { -n } else { n };
        let (pointee, addr) = self.pointer(&p)?;
        let size = match pointee.kind() {
            Kind::Void => 1,
            _ => pointee.size().unwrap_or(1),
        };
        let a = (addr as i128).wrapping_add(n.wrapping_mul(size as i128)) as u64 & 0xffff_ffff;
        // A pointer keeps its type; an array decays to a pointer to its element.
        let ty = match p.ty() {
            Some(t) if matches!(t.kind(), Kind::Ptr(_)) => t.clone(),
            _ => Type::Ptr(Box::new(pointee)),
        };
        Ok(ptr_val(ty, a))
    }
}

fn op_text(op: BinOp) -> &'static str {
    use BinOp::*;
    match op {
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
        Rem => "%",
        Shl => "<<",
        Shr => ">>",
        BitAnd => "&",
        BitOr => "|",
        BitXor => "^",
        Eq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        And => "&&",
        Or => "||",
        At => "@",
    }
}
