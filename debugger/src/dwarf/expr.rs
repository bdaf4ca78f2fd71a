//! Source expressions for `print EXPR` and breakpoint conditions: a pure
//! parser (never panics, bounded nesting) and an evaluator over DWARF
//! variables. C-like: `a.b`, `p->x`, `arr[3]`, `*p`, `&x`, integer
//! arithmetic, comparisons, `&&`, `||`, `!`.

use super::loc::Place;
use super::types::{self, VarValue};
use super::units::{Store, Ty};
use super::{FrameAccess, VarInfo};

/// Deepest nesting the parser accepts (parentheses, unary chains).
const MAX_DEPTH: usize = 64;
const MAX_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Ident(String),
    Int(i128),
    Member(Box<Expr>, String),
    Arrow(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Deref,
    AddrOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i128),
    Punct(&'static str),
}

const PUNCTS: [&str; 22] = [
    "->", "==", "!=", "<=", ">=", "&&", "||", ".", "[", "]", "(", ")", "*", "&", "+", "-", "/",
    "%", "<", ">", "!", ",",
];

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    if s.len() > MAX_LEN {
        return Err(format!("expression too long (over {MAX_LEN} bytes)"));
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let text = s[start..i].replace('_', "");
            let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))
            {
                Some(h) => (h.to_string(), 16),
                None => (text.clone(), 10),
            };
            let v = u128::from_str_radix(&digits, radix)
                .map_err(|_| format!("bad number `{}`", &s[start..i]))?;
            out.push(Tok::Int(v as i128));
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            loop {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                // Rust/C++ paths: `a::b`.
                if i + 2 < b.len()
                    && &b[i..i + 2] == b"::"
                    && (b[i + 2].is_ascii_alphabetic() || b[i + 2] == b'_')
                {
                    i += 2;
                    continue;
                }
                break;
            }
            out.push(Tok::Ident(s[start..i].to_string()));
        } else {
            let rest = &s[i..];
            let p = PUNCTS
                .iter()
                .find(|p| rest.starts_with(**p))
                .ok_or_else(|| {
                    format!(
                        "unexpected character `{}`",
                        rest.chars().next().unwrap_or('?')
                    )
                })?;
            out.push(Tok::Punct(p));
            i += p.len();
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(q)) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err("expression nested too deeply".to_string())
        } else {
            Ok(())
        }
    }

    fn binary(&mut self, level: usize) -> Result<Expr, String> {
        const LEVELS: [&[(&str, BinOp)]; 6] = [
            &[("||", BinOp::Or)],
            &[("&&", BinOp::And)],
            &[("==", BinOp::Eq), ("!=", BinOp::Ne)],
            &[
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        'outer: loop {
            for (p, op) in LEVELS[level] {
                if self.eat(p) {
                    let rhs = self.binary(level + 1)?;
                    lhs = Expr::Binary(*op, Box::new(lhs), Box::new(rhs));
                    continue 'outer;
                }
            }
            return Ok(lhs);
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.enter()?;
        let ops = [
            ("-", UnOp::Neg),
            ("!", UnOp::Not),
            ("*", UnOp::Deref),
            ("&", UnOp::AddrOf),
        ];
        for (p, op) in ops {
            if self.eat(p) {
                let e = self.unary()?;
                self.depth -= 1;
                return Ok(Expr::Unary(op, Box::new(e)));
            }
        }
        let e = self.postfix();
        self.depth -= 1;
        e
    }

    fn ident(&mut self, after: &str) -> Result<String, String> {
        match self.peek().cloned() {
            Some(Tok::Ident(n)) => {
                self.pos += 1;
                Ok(n)
            }
            _ => Err(format!("expected a field name after `{after}`")),
        }
    }

    fn postfix(&mut self) -> Result<Expr, String> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                e = Expr::Member(Box::new(e), self.ident(".")?);
            } else if self.eat("->") {
                e = Expr::Arrow(Box::new(e), self.ident("->")?);
            } else if self.eat("[") {
                self.enter()?;
                let idx = self.binary(0)?;
                self.depth -= 1;
                if !self.eat("]") {
                    return Err("expected `]`".to_string());
                }
                e = Expr::Index(Box::new(e), Box::new(idx));
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Tok::Ident(n)) => {
                self.pos += 1;
                Ok(Expr::Ident(n))
            }
            Some(Tok::Int(v)) => {
                self.pos += 1;
                Ok(Expr::Int(v))
            }
            Some(Tok::Punct("(")) => {
                self.pos += 1;
                self.enter()?;
                let e = self.binary(0)?;
                self.depth -= 1;
                if !self.eat(")") {
                    return Err("expected `)`".to_string());
                }
                Ok(e)
            }
            Some(Tok::Punct(p)) => Err(format!("unexpected `{p}`")),
            None => Err("unexpected end of expression".to_string()),
        }
    }
}

/// Parse an expression. Pure; never panics on any input.
pub fn parse_expr(s: &str) -> Result<Expr, String> {
    let toks = lex(s)?;
    if toks.is_empty() {
        return Err("empty expression".to_string());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.binary(0)?;
    match p.peek() {
        None => Ok(e),
        Some(Tok::Punct(t)) => Err(format!("unexpected `{t}`")),
        Some(Tok::Ident(t)) => Err(format!("unexpected `{t}`")),
        Some(Tok::Int(v)) => Err(format!("unexpected `{v}`")),
    }
}

// ---------------------------------------------------------------- evaluation

/// An intermediate value: an object with a type and a place, a computed
/// value, or a pointer made by `&`.
enum Val {
    Obj { ty: Option<Ty>, place: Place },
    Value(VarValue),
    Ptr { pointee: Option<Ty>, addr: u64 },
}

struct Eval<'a> {
    store: &'a Store,
    pc: u64,
    /// The inline frame whose variables are visible; `None`: every scope.
    inline_frame: Option<usize>,
    frame: &'a dyn FrameAccess,
    vars: Option<Vec<VarInfo>>,
}

pub(crate) fn evaluate(
    store: &Store,
    e: &Expr,
    pc: u64,
    inline_frame: Option<usize>,
    frame: &dyn FrameAccess,
) -> Result<VarValue, String> {
    let mut ev = Eval {
        store,
        pc,
        inline_frame,
        frame,
        vars: None,
    };
    let v = ev.eval(e, 0)?;
    Ok(ev.finish(v))
}

fn is_ref_tag(tag: gimli::DwTag) -> bool {
    matches!(
        tag,
        gimli::DW_TAG_pointer_type
            | gimli::DW_TAG_reference_type
            | gimli::DW_TAG_rvalue_reference_type
    )
}

impl Eval<'_> {
    fn finish(&self, v: Val) -> VarValue {
        match v {
            Val::Obj { ty, place } => types::read_typed(ty.as_ref(), &place, self.frame),
            Val::Value(v) => v,
            Val::Ptr { pointee, addr } => VarValue::Pointer {
                type_name: types::pointer_to(&types::type_name(pointee.as_ref(), 0), "*"),
                address: addr,
            },
        }
    }

    fn lookup(&mut self, name: &str) -> Result<Val, String> {
        if self.vars.is_none() {
            self.vars = Some(self.store.variables_in_frame(self.pc, self.inline_frame));
        }
        let vars = self.vars.as_ref().expect("just filled");
        // Locals (innermost first) shadow parameters, which shadow globals.
        let var = vars
            .iter()
            .find(|v| !v.is_param && v.name == name)
            .or_else(|| vars.iter().find(|v| v.is_param && v.name == name))
            .cloned()
            .or_else(|| self.store.global_named(name))
            .ok_or_else(|| format!("no variable `{name}` in scope"))?;
        match types::var_place(self.store, &var, self.frame)? {
            Some(place) => Ok(Val::Obj { ty: var.ty, place }),
            None => Ok(Val::Value(VarValue::OptimizedOut)),
        }
    }

    fn int(&self, v: Val) -> Result<i128, String> {
        let value = self.finish(v);
        value
            .as_i128()
            .ok_or_else(|| format!("`{value}` is not a number"))
    }

    /// (pointee type, address) of a pointer or an array in memory.
    fn pointer(&self, v: Val) -> Result<(Option<Ty>, u64), String> {
        match v {
            Val::Ptr { pointee, addr } => Ok((pointee, addr)),
            Val::Obj { ty, place } => {
                let (t, e) = ty
                    .as_ref()
                    .and_then(types::strip)
                    .ok_or("value has no type")?;
                if is_ref_tag(e.tag()) {
                    let size = t.cu.address_size() as usize;
                    let b = types::place_bytes(self.frame, &place, 0, size)
                        .ok_or("cannot read the pointer")?;
                    let mut a = [0u8; 8];
                    a[..size.min(8)].copy_from_slice(&b[..size.min(8)]);
                    Ok((types::type_of(&t.cu, &e), u64::from_le_bytes(a)))
                } else if e.tag() == gimli::DW_TAG_array_type {
                    match place {
                        Place::Memory(addr) => Ok((types::type_of(&t.cu, &e), addr)),
                        Place::Bytes(_) => Err("the array is not in memory".to_string()),
                    }
                } else {
                    Err(format!(
                        "`{}` is not a pointer",
                        types::type_name(ty.as_ref(), 0)
                    ))
                }
            }
            Val::Value(v) => Err(format!("`{v}` is not a pointer")),
        }
    }

    fn member(&self, v: Val, name: &str, auto_deref: bool) -> Result<Val, String> {
        let Val::Obj { ty, place } = v else {
            return Err(format!("no field `{name}` in a computed value"));
        };
        let (t, e) = ty
            .as_ref()
            .and_then(types::strip)
            .ok_or("value has no type")?;
        if !matches!(
            e.tag(),
            gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type | gimli::DW_TAG_union_type
        ) {
            // Rust (and C++ references) auto-dereference on `.`.
            if auto_deref
                && is_ref_tag(e.tag())
                && (t.cu.lang == Some(gimli::DW_LANG_Rust) || e.tag() != gimli::DW_TAG_pointer_type)
            {
                let (pointee, addr) = self.pointer(Val::Obj { ty, place })?;
                return self.member(
                    Val::Obj {
                        ty: pointee,
                        place: Place::Memory(addr),
                    },
                    name,
                    false,
                );
            }
            let tn = types::type_name(ty.as_ref(), 0);
            return Err(if e.tag() == gimli::DW_TAG_pointer_type {
                format!("`{tn}` is a pointer: use `->{name}`")
            } else {
                format!("`{tn}` has no fields")
            });
        }
        let (_, m) = types::members(&t)
            .into_iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| {
                format!(
                    "`{}` has no field `{name}`",
                    types::type_name(ty.as_ref(), 0)
                )
            })?;
        if m.attr_value(gimli::DW_AT_bit_size).is_some() {
            // Bitfields are not addressable: read the value now.
            let fields = types::read_typed(ty.as_ref(), &place, self.frame);
            if let VarValue::Struct { fields } = fields
                && let Some((_, v)) = fields.into_iter().find(|(n, _)| n == name)
            {
                return Ok(Val::Value(v));
            }
            return Err(format!("cannot read bitfield `{name}`"));
        }
        let offset = types::member_offset(&t.cu, &m);
        Ok(Val::Obj {
            ty: types::type_of(&t.cu, &m),
            place: types::sub_place(&place, offset),
        })
    }

    fn eval(&mut self, e: &Expr, depth: usize) -> Result<Val, String> {
        if depth > MAX_DEPTH * 4 {
            return Err("expression nested too deeply".to_string());
        }
        let d = depth + 1;
        match e {
            Expr::Ident(n) => self.lookup(n),
            Expr::Int(v) => Ok(Val::Value(VarValue::Int(*v))),
            Expr::Member(b, name) => {
                let v = self.eval(b, d)?;
                self.member(v, name, true)
            }
            Expr::Arrow(b, name) => {
                let v = self.eval(b, d)?;
                let (pointee, addr) = self.pointer(v)?;
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
                    self.int(v)?
                };
                let v = self.eval(b, d)?;
                if let Val::Obj { ty, place } = &v
                    && let Some((t, e)) = ty.as_ref().and_then(types::strip)
                    && e.tag() == gimli::DW_TAG_array_type
                {
                    if types::array_dims(&t).len() > 1 {
                        return Err(
                            "indexing multi-dimensional arrays is not supported".to_string()
                        );
                    }
                    let elem = types::type_of(&t.cu, &e);
                    let size = elem
                        .as_ref()
                        .and_then(|t| types::byte_size(t, 0))
                        .ok_or("element size unknown")?;
                    let offset = (idx as i64 as u64).wrapping_mul(size);
                    return Ok(Val::Obj {
                        ty: elem,
                        place: types::sub_place(place, offset),
                    });
                }
                let (pointee, addr) = self.pointer(v)?;
                let size = pointee
                    .as_ref()
                    .and_then(|t| types::byte_size(t, 0))
                    .ok_or("cannot index a `void *`")?;
                let a = addr.wrapping_add((idx as i64 as u64).wrapping_mul(size));
                Ok(Val::Obj {
                    ty: pointee,
                    place: Place::Memory(a),
                })
            }
            Expr::Unary(op, b) => {
                let v = self.eval(b, d)?;
                match op {
                    UnOp::Neg => Ok(Val::Value(VarValue::Int(self.int(v)?.wrapping_neg()))),
                    UnOp::Not => Ok(Val::Value(VarValue::Int((self.int(v)? == 0) as i128))),
                    UnOp::Deref => {
                        let (pointee, addr) = self.pointer(v)?;
                        if pointee.is_none() {
                            return Err("cannot dereference a `void *`".to_string());
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
                        } => Ok(Val::Ptr { pointee: ty, addr }),
                        Val::Obj { .. } => {
                            Err("the value is not in memory (it lives in a wasm local)".to_string())
                        }
                        _ => Err("cannot take the address of a computed value".to_string()),
                    },
                }
            }
            Expr::Binary(op, a, b) => {
                let av = self.eval(a, d)?;
                let x = self.int(av)?;
                match op {
                    BinOp::And if x == 0 => return Ok(Val::Value(VarValue::Int(0))),
                    BinOp::Or if x != 0 => return Ok(Val::Value(VarValue::Int(1))),
                    _ => {}
                }
                let bv = self.eval(b, d)?;
                let y = self.int(bv)?;
                let r = match op {
                    BinOp::Add => x.wrapping_add(y),
                    BinOp::Sub => x.wrapping_sub(y),
                    BinOp::Mul => x.wrapping_mul(y),
                    BinOp::Div => x.checked_div(y).ok_or("division by zero")?,
                    BinOp::Rem => x.checked_rem(y).ok_or("division by zero")?,
                    BinOp::Eq => (x == y) as i128,
                    BinOp::Ne => (x != y) as i128,
                    BinOp::Lt => (x < y) as i128,
                    BinOp::Le => (x <= y) as i128,
                    BinOp::Gt => (x > y) as i128,
                    BinOp::Ge => (x >= y) as i128,
                    BinOp::And | BinOp::Or => (y != 0) as i128,
                };
                Ok(Val::Value(VarValue::Int(r)))
            }
        }
    }
}
