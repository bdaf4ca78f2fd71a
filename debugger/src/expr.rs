//! The small expression language of `print`, `set var`, `x` and breakpoint
//! conditions: `$l0`, `$name` (a local by name), `$g1` / `$gname`, `$s0` (top
//! of the operand stack), `*(i32*)0x1000` (a memory load), literals, and C
//! arithmetic, comparison and logic operators. Bare identifiers are handed to
//! the context (locals by name, DWARF variables).

use wdb_engine::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemTy {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl MemTy {
    pub fn size(self) -> u32 {
        match self {
            MemTy::I8 | MemTy::U8 => 1,
            MemTy::I16 | MemTy::U16 => 2,
            MemTy::I32 | MemTy::U32 | MemTy::F32 => 4,
            MemTy::I64 | MemTy::U64 | MemTy::F64 => 8,
        }
    }

    fn from_name(s: &str) -> Option<MemTy> {
        Some(match s {
            "i8" | "char" | "int8_t" => MemTy::I8,
            "u8" | "uint8_t" => MemTy::U8,
            "i16" | "short" | "int16_t" => MemTy::I16,
            "u16" | "uint16_t" => MemTy::U16,
            "i32" | "int" | "int32_t" => MemTy::I32,
            "u32" | "unsigned" | "uint32_t" => MemTy::U32,
            "i64" | "long" | "int64_t" => MemTy::I64,
            "u64" | "uint64_t" => MemTy::U64,
            "f32" | "float" => MemTy::F32,
            "f64" | "double" => MemTy::F64,
            _ => return None,
        })
    }

    /// Decode little-endian bytes into a wasm value (narrow types widen to i32).
    pub fn decode(self, b: &[u8]) -> Value {
        let mut buf = [0u8; 8];
        buf[..b.len()].copy_from_slice(b);
        let u = u64::from_le_bytes(buf);
        match self {
            MemTy::I8 => Value::I32(u as u8 as i8 as i32),
            MemTy::U8 => Value::I32(u as u8 as i32),
            MemTy::I16 => Value::I32(u as u16 as i16 as i32),
            MemTy::U16 => Value::I32(u as u16 as i32),
            MemTy::I32 | MemTy::U32 => Value::I32(u as u32 as i32),
            MemTy::I64 | MemTy::U64 => Value::I64(u as i64),
            MemTy::F32 => Value::F32(u as u32),
            MemTy::F64 => Value::F64(u),
        }
    }

    /// Encode a value as this type's bytes (converting numerically).
    pub fn encode(self, v: Value) -> Vec<u8> {
        let n = self.size() as usize;
        let bits: u64 = match self {
            MemTy::F32 => (as_f64(v) as f32).to_bits() as u64,
            MemTy::F64 => as_f64(v).to_bits(),
            _ => as_i64(v) as u64,
        };
        bits.to_le_bytes()[..n].to_vec()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Int(i64),
    Float(f64),
    /// `$l3` or `$name`: a local by index or name.
    Local(LocalRef),
    Global(LocalRef),
    /// `$s0` is the top of the operand stack, `$s1` the one below.
    Stack(u32),
    /// `*(T*)ADDR`, `*ADDR` (i32).
    Deref(MemTy, Box<Expr>),
    /// A bare name: a local by name or a DWARF variable.
    Ident(String),
    Unary(char, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum LocalRef {
    Index(u32),
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LAnd,
    LOr,
}

/// What an expression can read. The session implements it over a paused frame.
pub trait EvalContext {
    fn local(&self, r: &LocalRef) -> Result<Value, String>;
    fn global(&self, r: &LocalRef) -> Result<Value, String>;
    fn stack(&self, n: u32) -> Result<Value, String>;
    fn load(&self, addr: u32, len: u32) -> Result<Vec<u8>, String>;
    fn ident(&self, name: &str) -> Result<Value, String>;
}

pub fn parse(s: &str) -> Result<Expr, String> {
    let toks = lex(s)?;
    let mut p = Parser { toks, pos: 0 };
    let e = p.expr(0)?;
    if p.pos != p.toks.len() {
        return Err(format!(
            "unexpected `{}` in expression",
            p.toks[p.pos].text()
        ));
    }
    Ok(e)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(i64),
    Float(f64),
    Dollar(String),
    Ident(String),
    Op(&'static str),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Int(v) => v.to_string(),
            Tok::Float(v) => v.to_string(),
            Tok::Dollar(s) => format!("${s}"),
            Tok::Ident(s) => s.clone(),
            Tok::Op(o) => o.to_string(),
        }
    }
}

const OPS: &[&str] = &[
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "<",
    ">", "!", "~", "(", ")",
];

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            let t = &s[start..i];
            if let Some(v) = crate::api::parse_u64(t) {
                out.push(Tok::Int(v as i64));
            } else if let Ok(f) = t.parse::<f64>() {
                out.push(Tok::Float(f));
            } else {
                return Err(format!("bad number `{t}`"));
            }
            continue;
        }
        if c == '$' || c.is_ascii_alphabetic() || c == '_' {
            let start = if c == '$' { i + 1 } else { i };
            i = start;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            let name = s[start..i].to_string();
            if c == '$' {
                if name.is_empty() {
                    return Err("`$` needs a name: $l0, $g0, $s0 or $NAME".into());
                }
                out.push(Tok::Dollar(name));
            } else {
                out.push(Tok::Ident(name));
            }
            continue;
        }
        let op = OPS
            .iter()
            .find(|o| s[i..].starts_with(**o))
            .ok_or_else(|| format!("unexpected `{c}` in expression"))?;
        out.push(Tok::Op(op));
        i += op.len();
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn binop(op: &str) -> Option<(BinOp, u8)> {
    Some(match op {
        "||" => (BinOp::LOr, 1),
        "&&" => (BinOp::LAnd, 2),
        "|" => (BinOp::Or, 3),
        "^" => (BinOp::Xor, 4),
        "&" => (BinOp::And, 5),
        "==" => (BinOp::Eq, 6),
        "!=" => (BinOp::Ne, 6),
        "<" => (BinOp::Lt, 7),
        "<=" => (BinOp::Le, 7),
        ">" => (BinOp::Gt, 7),
        ">=" => (BinOp::Ge, 7),
        "<<" => (BinOp::Shl, 8),
        ">>" => (BinOp::Shr, 8),
        "+" => (BinOp::Add, 9),
        "-" => (BinOp::Sub, 9),
        "*" => (BinOp::Mul, 10),
        "/" => (BinOp::Div, 10),
        "%" => (BinOp::Rem, 10),
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self, min_prec: u8) -> Result<Expr, String> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Op(o)) = self.peek() {
            let Some((op, prec)) = binop(o) else { break };
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            let rhs = self.expr(prec + 1)?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_op("*") {
            // `*(T*)E` or `*E`.
            let save = self.pos;
            if self.eat_op("(")
                && let Some(Tok::Ident(t)) = self.peek().cloned()
                && let Some(ty) = MemTy::from_name(&t)
            {
                self.pos += 1;
                if self.eat_op("*") && self.eat_op(")") {
                    let inner = self.unary()?;
                    return Ok(Expr::Deref(ty, Box::new(inner)));
                }
                return Err(format!("expected `({t}*)` in a memory load"));
            }
            self.pos = save;
            let inner = self.unary()?;
            return Ok(Expr::Deref(MemTy::I32, Box::new(inner)));
        }
        for op in ['-', '!', '~'] {
            if self.eat_op(&op.to_string()) {
                return Ok(Expr::Unary(op, Box::new(self.unary()?)));
            }
        }
        if self.eat_op("+") {
            return self.unary();
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let Some(t) = self.peek().cloned() else {
            return Err("expression expected".into());
        };
        self.pos += 1;
        match t {
            Tok::Int(v) => Ok(Expr::Int(v)),
            Tok::Float(v) => Ok(Expr::Float(v)),
            Tok::Ident(n) => Ok(Expr::Ident(n)),
            Tok::Dollar(n) => Ok(dollar(&n)),
            Tok::Op("(") => {
                let e = self.expr(0)?;
                if !self.eat_op(")") {
                    return Err("missing `)`".into());
                }
                Ok(e)
            }
            Tok::Op(o) => Err(format!("unexpected `{o}` in expression")),
        }
    }
}

fn dollar(n: &str) -> Expr {
    let idx = |p: &str| n.strip_prefix(p).and_then(|r| r.parse::<u32>().ok());
    if let Some(i) = idx("l").or_else(|| idx("local")) {
        Expr::Local(LocalRef::Index(i))
    } else if let Some(i) = idx("g").or_else(|| idx("global")) {
        Expr::Global(LocalRef::Index(i))
    } else if let Some(i) = idx("s") {
        Expr::Stack(i)
    } else if let Some(g) = n.strip_prefix("g:") {
        Expr::Global(LocalRef::Name(g.to_string()))
    } else {
        Expr::Local(LocalRef::Name(n.to_string()))
    }
}

/// A 32-bit address: an i32 counts as unsigned, an i64 must fit.
pub fn as_addr(v: Value) -> Option<u32> {
    match v {
        Value::I32(x) => Some(x as u32),
        other => u32::try_from(as_i64(other)).ok(),
    }
}

pub fn as_i64(v: Value) -> i64 {
    match v {
        Value::I32(x) => x as i64,
        Value::I64(x) => x,
        Value::F32(b) => f32::from_bits(b) as i64,
        Value::F64(b) => f64::from_bits(b) as i64,
        Value::V128(x) => x as i64,
        Value::FuncRef(r) | Value::ExternRef(r) | Value::ExnRef(r) => r.map_or(0, |a| a as i64),
        Value::AnyRef(r) => r.unwrap_or(0) as i64,
    }
}

pub fn as_f64(v: Value) -> f64 {
    match v {
        Value::F32(b) => f32::from_bits(b) as f64,
        Value::F64(b) => f64::from_bits(b),
        other => as_i64(other) as f64,
    }
}

fn is_float(v: Value) -> bool {
    matches!(v, Value::F32(_) | Value::F64(_))
}

pub fn truthy(v: Value) -> bool {
    if is_float(v) {
        as_f64(v) != 0.0
    } else {
        as_i64(v) != 0
    }
}

pub fn eval(e: &Expr, cx: &dyn EvalContext) -> Result<Value, String> {
    Ok(match e {
        Expr::Int(v) => {
            if i32::try_from(*v).is_ok() {
                Value::I32(*v as i32)
            } else if u32::try_from(*v).is_ok() {
                Value::I32(*v as u32 as i32)
            } else {
                Value::I64(*v)
            }
        }
        Expr::Float(f) => Value::F64(f.to_bits()),
        Expr::Local(r) => cx.local(r)?,
        Expr::Global(r) => cx.global(r)?,
        Expr::Stack(n) => cx.stack(*n)?,
        Expr::Ident(n) => cx.ident(n)?,
        Expr::Deref(ty, a) => {
            let v = eval(a, cx)?;
            let addr = as_addr(v).ok_or_else(|| format!("address {v} is out of range"))?;
            let bytes = cx.load(addr, ty.size())?;
            ty.decode(&bytes)
        }
        Expr::Unary(op, a) => {
            let v = eval(a, cx)?;
            match (op, v) {
                ('-', Value::F32(b)) => Value::F32((-f32::from_bits(b)).to_bits()),
                ('-', Value::F64(b)) => Value::F64((-f64::from_bits(b)).to_bits()),
                ('-', Value::I64(x)) => Value::I64(x.wrapping_neg()),
                ('-', x) => Value::I32((as_i64(x) as i32).wrapping_neg()),
                ('!', x) => Value::I32(!truthy(x) as i32),
                ('~', Value::I64(x)) => Value::I64(!x),
                ('~', x) => Value::I32(!(as_i64(x) as i32)),
                _ => return Err(format!("bad unary operator `{op}`")),
            }
        }
        Expr::Binary(op, a, b) => {
            let x = eval(a, cx)?;
            if *op == BinOp::LAnd && !truthy(x) {
                return Ok(Value::I32(0));
            }
            if *op == BinOp::LOr && truthy(x) {
                return Ok(Value::I32(1));
            }
            let y = eval(b, cx)?;
            binary(*op, x, y)?
        }
    })
}

fn binary(op: BinOp, x: Value, y: Value) -> Result<Value, String> {
    use BinOp::*;
    let b = |c: bool| Value::I32(c as i32);
    if is_float(x) || is_float(y) {
        let (a, c) = (as_f64(x), as_f64(y));
        let r = match op {
            Add => a + c,
            Sub => a - c,
            Mul => a * c,
            Div => a / c,
            Rem => a % c,
            Eq => return Ok(b(a == c)),
            Ne => return Ok(b(a != c)),
            Lt => return Ok(b(a < c)),
            Le => return Ok(b(a <= c)),
            Gt => return Ok(b(a > c)),
            Ge => return Ok(b(a >= c)),
            LAnd => return Ok(b(a != 0.0 && c != 0.0)),
            LOr => return Ok(b(a != 0.0 || c != 0.0)),
            _ => return Err("bitwise operators need integers".into()),
        };
        return Ok(Value::F64(r.to_bits()));
    }
    let wide = matches!(x, Value::I64(_)) || matches!(y, Value::I64(_));
    let (a, c) = (as_i64(x), as_i64(y));
    let r: i64 = match op {
        Add => a.wrapping_add(c),
        Sub => a.wrapping_sub(c),
        Mul => a.wrapping_mul(c),
        Div | Rem if c == 0 => return Err("division by zero".into()),
        Div => a.wrapping_div(c),
        Rem => a.wrapping_rem(c),
        And => a & c,
        Or => a | c,
        Xor => a ^ c,
        Shl => a.wrapping_shl(c as u32),
        Shr => a.wrapping_shr(c as u32),
        Eq => return Ok(b(a == c)),
        Ne => return Ok(b(a != c)),
        Lt => return Ok(b(a < c)),
        Le => return Ok(b(a <= c)),
        Gt => return Ok(b(a > c)),
        Ge => return Ok(b(a >= c)),
        LAnd => return Ok(b(a != 0 && c != 0)),
        LOr => return Ok(b(a != 0 || c != 0)),
    };
    Ok(if wide {
        Value::I64(r)
    } else {
        Value::I32(r as i32)
    })
}

#[cfg(test)]
mod tests;
