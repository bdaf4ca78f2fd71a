//! The one lexer and parser of wdb's expressions: C's operators and
//! precedence, casts, `sizeof`, `?:`, gdb's `@` and `$` names. Pure: it
//! never panics and refuses deep nesting rather than overflow the stack.

use wdb_engine::literal::{CNumber, parse_c_number};

use super::types::Scalar;

/// Deepest nesting the parser accepts (parentheses, unary chains).
const MAX_DEPTH: usize = 64;
const MAX_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// An integer literal, typed by C's rules for its spelling.
    Int(u128, Scalar),
    Float(f64, Scalar),
    /// A bare name: a DWARF variable, an enumerator, a wasm local/global name.
    Ident(String),
    /// `$l3`, `$g1`, `$s0`, `$NAME`, `$1`, `$`, `$$`, `$$2`.
    Dollar(Dollar),
    Member(Box<Expr>, String),
    Arrow(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `c ? a : b`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Cast(TypeName, Box<Expr>),
    SizeofType(TypeName),
    SizeofExpr(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dollar {
    Local(LocalRef),
    Global(LocalRef),
    /// `$s0` is the top of the operand stack, `$s1` the one below.
    Stack(u32),
    /// `$t0`: table 0, read by index (`$t0[3]`).
    Table(u32),
    /// `$N`: value history entry N (1-based).
    History(u32),
    /// `$` (0), `$$` (1), `$$N` (N): N entries back from the last.
    Back(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalRef {
    Index(u32),
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Plus,
    Not,
    BitNot,
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
    Shl,
    Shr,
    BitAnd,
    BitOr,
    BitXor,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// gdb's `x@n`: n objects starting at x.
    At,
}

/// A type as written in a cast or `sizeof`: a base and pointer levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeName {
    pub base: BaseType,
    pub stars: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseType {
    Void,
    Scalar(Scalar),
    Struct(String),
    Union(String),
    Enum(String),
    /// A typedef (or any type DWARF names so).
    Named(String),
}

impl std::fmt::Display for TypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.base {
            BaseType::Void => f.write_str("void")?,
            BaseType::Scalar(s) => f.write_str(s.name())?,
            BaseType::Struct(n) => write!(f, "struct {n}")?,
            BaseType::Union(n) => write!(f, "union {n}")?,
            BaseType::Enum(n) => write!(f, "enum {n}")?,
            BaseType::Named(n) => f.write_str(n)?,
        }
        if self.stars > 0 {
            write!(f, " {}", "*".repeat(self.stars as usize))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(Expr),
    Ident(String),
    Dollar(String),
    Punct(&'static str),
}

const PUNCTS: &[&str] = &[
    "->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", ".", "[", "]", "(", ")", "*", "&", "+",
    "-", "/", "%", "<", ">", "!", "~", "^", "|", "?", ":", "@", ",",
];

/// Words that begin a type name in a cast.
const TYPE_WORDS: &[&str] = &[
    "void", "char", "short", "int", "long", "signed", "unsigned", "float", "double", "_Bool",
    "bool", "struct", "union", "enum", "const", "volatile",
];

/// wasm's names for scalar types, accepted in casts (`*(i32*)ADDR`).
fn wasm_type(name: &str) -> Option<Scalar> {
    Some(match name {
        "i8" | "int8_t" => Scalar::SChar,
        "u8" | "uint8_t" => Scalar::UChar,
        "i16" | "int16_t" => Scalar::Short,
        "u16" | "uint16_t" => Scalar::UShort,
        "i32" | "int32_t" => Scalar::Int,
        "u32" | "uint32_t" => Scalar::UInt,
        "i64" | "int64_t" => Scalar::LongLong,
        "u64" | "uint64_t" => Scalar::ULongLong,
        "f32" => Scalar::Float,
        "f64" => Scalar::Double,
        "size_t" | "usize" => Scalar::ULong,
        "isize" => Scalar::Long,
        _ => return None,
    })
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    if s.len() > MAX_LEN {
        return Err(format!("expression too long (over {MAX_LEN} bytes)"));
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        let after_operand = matches!(
            out.last(),
            Some(Tok::Ident(_) | Tok::Dollar(_) | Tok::Punct("]" | ")"))
        );
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'.' && after_operand && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            // `$l0.1`: a field by index (Wasm GC structs), not a float.
            out.push(Tok::Punct("."));
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Tok::Ident(s[start..i].to_string()));
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            while i < b.len() {
                let d = b[i];
                let exp_sign = (d == b'+' || d == b'-')
                    && matches!(b[i - 1], b'e' | b'E')
                    && !s[start..i].to_ascii_lowercase().starts_with("0x");
                if d.is_ascii_alphanumeric() || d == b'_' || d == b'.' || exp_sign {
                    i += 1;
                } else if d == b':' && s[start..i].eq_ignore_ascii_case("nan") {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push(Tok::Num(number(&s[start..i])?));
        } else if c == b'\'' {
            let (v, len) = char_literal(&s[i..])?;
            out.push(Tok::Num(Expr::Int(v as u32 as u128, Scalar::Int)));
            i += len;
        } else if c == b'$' {
            i += 1;
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            // `$g:name`: a global by name.
            if s[start..i] == *"g" && b.get(i) == Some(&b':') {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
            }
            out.push(Tok::Dollar(s[start..i].to_string()));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            loop {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
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
            let word = &s[start..i];
            // `inf`, `nan` and `nan:0x..` are float literals, as wasm writes them.
            if word == "inf" || (word == "nan" && b.get(i) != Some(&b':')) {
                out.push(Tok::Num(number(word)?));
            } else if word == "nan" {
                i += 1;
                while i < b.len() && b[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                out.push(Tok::Num(number(&s[start..i])?));
            } else {
                out.push(Tok::Ident(word.to_string()));
            }
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

/// A literal's C type: decimal without suffix is the first of int, long,
/// long long that holds it; hex and octal also try the unsigned types.
fn number(text: &str) -> Result<Expr, String> {
    match parse_c_number(text)? {
        CNumber::Float { value, single } => Ok(Expr::Float(
            value,
            if single {
                Scalar::Float
            } else {
                Scalar::Double
            },
        )),
        CNumber::Int {
            value,
            unsigned,
            longs,
            decimal,
        } => {
            use Scalar::*;
            let candidates: &[Scalar] = match (unsigned, longs, decimal) {
                (false, 0, true) => &[Int, Long, LongLong],
                (false, 0, false) => &[Int, UInt, Long, ULong, LongLong, ULongLong],
                (false, 1, true) => &[Long, LongLong],
                (false, 1, false) => &[Long, ULong, LongLong, ULongLong],
                (false, _, true) => &[LongLong],
                (false, _, false) => &[LongLong, ULongLong],
                (true, 0, _) => &[UInt, ULong, ULongLong],
                (true, 1, _) => &[ULong, ULongLong],
                (true, _, _) => &[ULongLong],
            };
            candidates
                .iter()
                .find(|t| value <= t.max_value())
                .map(|t| Expr::Int(value, *t))
                .ok_or_else(|| format!("number `{text}` is too large"))
        }
    }
}

/// `'a'`, `'\n'`, `'\0'`, `'\x41'`, `'\101'`: the value and the length read.
fn char_literal(s: &str) -> Result<(i8, usize), String> {
    let b = s.as_bytes();
    let bad = || format!("bad character literal `{}`", s.get(..4).unwrap_or(s));
    let (v, len) = match (b.get(1), b.get(2)) {
        (Some(b'\\'), Some(&e)) => match e {
            b'n' => (b'\n', 3),
            b't' => (b'\t', 3),
            b'r' => (b'\r', 3),
            b'\\' => (b'\\', 3),
            b'\'' => (b'\'', 3),
            b'"' => (b'"', 3),
            b'a' => (7, 3),
            b'b' => (8, 3),
            b'f' => (12, 3),
            b'v' => (11, 3),
            b'x' => {
                let n = b[3..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
                let v =
                    u8::from_str_radix(s.get(3..3 + n).ok_or_else(bad)?, 16).map_err(|_| bad())?;
                (v, 3 + n)
            }
            b'0'..=b'7' => {
                let n = b[2..]
                    .iter()
                    .take(3)
                    .take_while(|c| (b'0'..=b'7').contains(c))
                    .count();
                let v = u8::from_str_radix(&s[2..2 + n], 8).map_err(|_| bad())?;
                (v, 2 + n)
            }
            _ => return Err(bad()),
        },
        (Some(&c), _) if c != b'\'' && c.is_ascii() => (c, 2),
        _ => return Err(bad()),
    };
    if b.get(len) != Some(&b'\'') {
        return Err(bad());
    }
    Ok((v as i8, len + 1))
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
    /// Names that are types (typedefs from DWARF), for `(T) x`.
    is_type: &'a dyn Fn(&str) -> bool,
}

/// Binary operators by precedence, loosest first (C's, with gdb's `@`
/// between the shifts and `+`).
const LEVELS: [&[(&str, BinOp)]; 11] = [
    &[("||", BinOp::Or)],
    &[("&&", BinOp::And)],
    &[("|", BinOp::BitOr)],
    &[("^", BinOp::BitXor)],
    &[("&", BinOp::BitAnd)],
    &[("==", BinOp::Eq), ("!=", BinOp::Ne)],
    &[
        ("<=", BinOp::Le),
        (">=", BinOp::Ge),
        ("<", BinOp::Lt),
        (">", BinOp::Gt),
    ],
    &[("<<", BinOp::Shl), (">>", BinOp::Shr)],
    &[("@", BinOp::At)],
    &[("+", BinOp::Add), ("-", BinOp::Sub)],
    &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
];

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
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

    fn expr(&mut self) -> Result<Expr, String> {
        self.enter()?;
        let c = self.binary(0)?;
        let e = if self.eat("?") {
            let a = self.expr()?;
            if !self.eat(":") {
                return Err("expected `:` in `?:`".to_string());
            }
            let b = self.expr()?;
            Expr::Cond(Box::new(c), Box::new(a), Box::new(b))
        } else {
            c
        };
        self.depth -= 1;
        Ok(e)
    }

    fn binary(&mut self, level: usize) -> Result<Expr, String> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        'outer: loop {
            for (p, op) in LEVELS[level] {
                // `&&` is not `&` twice, nor `||` `|`: the lexer keeps them whole.
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
            ("+", UnOp::Plus),
            ("!", UnOp::Not),
            ("~", UnOp::BitNot),
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
        if matches!(self.peek(), Some(Tok::Ident(w)) if w == "sizeof") {
            self.pos += 1;
            let save = self.pos;
            if matches!(self.peek(), Some(Tok::Punct("(")))
                && self.type_ahead()
                && self.eat("(")
                && let Some(t) = self.type_name()?
            {
                if !self.eat(")") {
                    return Err("expected `)` after the type in `sizeof`".to_string());
                }
                self.depth -= 1;
                return Ok(Expr::SizeofType(t));
            }
            self.pos = save;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::SizeofExpr(Box::new(e)));
        }
        if matches!(self.peek(), Some(Tok::Punct("("))) && self.cast_ahead() {
            self.pos += 1;
            let t = self
                .type_name()?
                .ok_or_else(|| "expected a type in the cast".to_string())?;
            if !self.eat(")") {
                return Err(format!("expected `)` after `({t}`"));
            }
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Cast(t, Box::new(e)));
        }
        let e = self.postfix();
        self.depth -= 1;
        e
    }

    /// At `(`: is the next word a type (a keyword, a wasm type, a name
    /// `is_type` knows, or a name followed by `*`s and `)`)?
    fn type_ahead(&self) -> bool {
        let Some(Tok::Ident(w)) = self.peek_at(1) else {
            return false;
        };
        if TYPE_WORDS.contains(&w.as_str()) || wasm_type(w).is_some() || (self.is_type)(w) {
            return true;
        }
        let mut k = 2;
        while matches!(self.peek_at(k), Some(Tok::Punct("*"))) {
            k += 1;
        }
        k > 2 && matches!(self.peek_at(k), Some(Tok::Punct(")")))
    }

    /// At `(`: does a type name follow? Keywords and wasm type names always
    /// make a cast; a lone identifier does when it names a type, or when
    /// `*`s and `)` follow it (`(shape_t *)p`).
    fn cast_ahead(&self) -> bool {
        let Some(Tok::Ident(w)) = self.peek_at(1) else {
            return false;
        };
        if TYPE_WORDS.contains(&w.as_str()) || wasm_type(w).is_some() {
            return true;
        }
        let mut k = 2;
        while matches!(self.peek_at(k), Some(Tok::Punct("*"))) {
            k += 1;
        }
        if !matches!(self.peek_at(k), Some(Tok::Punct(")"))) {
            return false;
        }
        if k > 2 {
            // `(x *)` cannot be an expression; but `(a) * b` is one.
            return true;
        }
        (self.is_type)(w)
            && !matches!(
                self.peek_at(k + 1),
                None | Some(Tok::Punct(
                    ")" | "]"
                        | ","
                        | ":"
                        | "?"
                        | "=="
                        | "!="
                        | "<"
                        | ">"
                        | "<="
                        | ">="
                        | "/"
                        | "%"
                        | "|"
                        | "^"
                        | "||"
                        | "&&"
                        | "<<"
                        | ">>"
                        | "@"
                        | "."
                        | "->"
                        | "["
                ))
            )
    }

    /// A type name (`unsigned long`, `struct node *`, `i32`, `shape_t *`),
    /// or `None` when the tokens do not start one.
    fn type_name(&mut self) -> Result<Option<TypeName>, String> {
        let mut words: Vec<String> = Vec::new();
        let start = self.pos;
        while let Some(Tok::Ident(w)) = self.peek() {
            let w = w.clone();
            if w == "const" || w == "volatile" {
                self.pos += 1;
                continue;
            }
            if matches!(w.as_str(), "struct" | "union" | "enum") {
                self.pos += 1;
                let Some(Tok::Ident(tag)) = self.peek().cloned() else {
                    return Err(format!("expected a name after `{w}`"));
                };
                self.pos += 1;
                let base = match w.as_str() {
                    "struct" => BaseType::Struct(tag),
                    "union" => BaseType::Union(tag),
                    _ => BaseType::Enum(tag),
                };
                return Ok(Some(self.stars(base)));
            }
            let keyword = TYPE_WORDS.contains(&w.as_str());
            if !words.is_empty() && !keyword {
                break;
            }
            self.pos += 1;
            if !keyword {
                let base = match wasm_type(&w) {
                    Some(s) => BaseType::Scalar(s),
                    None => BaseType::Named(w),
                };
                return Ok(Some(self.stars(base)));
            }
            words.push(w);
        }
        if words.is_empty() {
            self.pos = start;
            return Ok(None);
        }
        let base = if words == ["void"] {
            BaseType::Void
        } else {
            BaseType::Scalar(Scalar::from_words(&words)?)
        };
        Ok(Some(self.stars(base)))
    }

    fn stars(&mut self, base: BaseType) -> TypeName {
        let mut stars = 0u8;
        loop {
            if self.eat("*") {
                stars = stars.saturating_add(1);
            } else if matches!(self.peek(), Some(Tok::Ident(w)) if w == "const" || w == "volatile")
            {
                self.pos += 1;
            } else {
                break;
            }
        }
        TypeName { base, stars }
    }

    fn field(&mut self, after: &str) -> Result<String, String> {
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
                e = Expr::Member(Box::new(e), self.field(".")?);
            } else if self.eat("->") {
                e = Expr::Arrow(Box::new(e), self.field("->")?);
            } else if self.eat("[") {
                let idx = self.expr()?;
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
        let Some(t) = self.peek().cloned() else {
            return Err("expression expected".to_string());
        };
        self.pos += 1;
        match t {
            Tok::Num(e) => Ok(e),
            Tok::Ident(n) => Ok(Expr::Ident(n)),
            Tok::Dollar(n) => Ok(Expr::Dollar(dollar(&n)?)),
            Tok::Punct("(") => {
                let e = self.expr()?;
                if !self.eat(")") {
                    return Err("missing `)`".to_string());
                }
                Ok(e)
            }
            Tok::Punct(p) => Err(format!("unexpected `{p}` in expression")),
        }
    }
}

fn dollar(n: &str) -> Result<Dollar, String> {
    let idx = |p: &str| n.strip_prefix(p).and_then(|r| r.parse::<u32>().ok());
    Ok(if n.is_empty() {
        Dollar::Back(0)
    } else if let Some(rest) = n.strip_prefix('$') {
        if rest.is_empty() {
            Dollar::Back(1)
        } else {
            Dollar::Back(
                rest.parse()
                    .map_err(|_| format!("bad history reference `$${rest}`"))?,
            )
        }
    } else if n.bytes().all(|b| b.is_ascii_digit()) {
        Dollar::History(
            n.parse()
                .map_err(|_| format!("bad history number `${n}`"))?,
        )
    } else if let Some(i) = idx("l").or_else(|| idx("local")) {
        Dollar::Local(LocalRef::Index(i))
    } else if let Some(i) = idx("g").or_else(|| idx("global")) {
        Dollar::Global(LocalRef::Index(i))
    } else if let Some(i) = idx("s") {
        Dollar::Stack(i)
    } else if let Some(i) = idx("t").or_else(|| idx("table")) {
        Dollar::Table(i)
    } else if let Some(g) = n.strip_prefix("g:") {
        Dollar::Global(LocalRef::Name(g.to_string()))
    } else {
        Dollar::Local(LocalRef::Name(n.to_string()))
    })
}

/// Parse an expression; `is_type` says which bare names are types (for
/// `(T) x` casts). Pure; never panics on any input.
pub fn parse_with(s: &str, is_type: &dyn Fn(&str) -> bool) -> Result<Expr, String> {
    let toks = lex(s)?;
    if toks.is_empty() {
        return Err("expression expected".to_string());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        is_type,
    };
    let e = p.expr()?;
    match p.peek() {
        None => Ok(e),
        Some(Tok::Punct(t)) => Err(format!("unexpected `{t}` in expression")),
        Some(Tok::Ident(t)) => Err(format!("unexpected `{t}` in expression")),
        Some(Tok::Dollar(t)) => Err(format!("unexpected `${t}` in expression")),
        Some(Tok::Num(_)) => Err("unexpected number in expression".to_string()),
    }
}

/// `text` as a type name alone (`struct node`, `unsigned long`, `shape_t *`
/// when `is_type` knows `shape_t`); `None` when it is not one.
pub fn parse_type(s: &str, is_type: &dyn Fn(&str) -> bool) -> Option<TypeName> {
    let toks = lex(s).ok()?;
    if let Some(Tok::Ident(w)) = toks.first()
        && !TYPE_WORDS.contains(&w.as_str())
        && wasm_type(w).is_none()
        && !is_type(w)
    {
        return None;
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        is_type,
    };
    let t = p.type_name().ok()??;
    (p.pos == p.toks.len()).then_some(t)
}

/// Parse with only C's and wasm's own type names known.
pub fn parse(s: &str) -> Result<Expr, String> {
    parse_with(s, &|_| false)
}
