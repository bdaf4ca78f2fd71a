//! wdb's one expression language, used by `print`, breakpoint conditions,
//! `watch`, `set var`, `x`, `display`, `ptype` and (later) DAP's `evaluate`.
//!
//! C's grammar and rules ([`parse`], [`eval`]): `a.b`, `p->x`, `arr[i][j]`,
//! `*p`, `&x`, casts to C, wasm and DWARF types (`(double)n`,
//! `(struct rec *)0x11440`, `*(i32*)ADDR`), `sizeof`, `?:`, every C operator
//! with integer promotion and the usual arithmetic conversions, enumerators
//! by name, gdb's `*arr@5`, value history (`$1`, `$`, `$$`, `$$N`) and
//! wasm's own places (`$l0`, `$g1`, `$s0`, `$NAME`).
//!
//! A bare name resolves as a DWARF variable of the selected frame (locals,
//! then parameters, then globals), then an enumerator, then a wasm local or
//! global of that name. Evaluation is a pure function of the text and an
//! [`Env`] (a frame's slots and memory, its DWARF scope and the history),
//! giving a typed [`Val`] or a typed [`ExprError`].

#[cfg(test)]
mod c_table;
pub(crate) mod compile;
mod eval;
pub(crate) use eval::from_wasm;
pub(crate) mod gc;
mod parse;
mod show;
#[cfg(test)]
mod tests;
pub(crate) mod types;

use std::fmt;

use wdb_engine::Value;

use crate::dwarf::loc::Place;
use crate::dwarf::{DebugInfo, FrameAccess, VarValue};

pub use parse::{BaseType, BinOp, Dollar, Expr, LocalRef, TypeName, UnOp, parse};
pub use show::{format_float, format_var};
pub use types::Scalar;
pub(crate) use types::Type;

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not an expression.
    Syntax,
    /// A name that is not a variable, field, type or slot here.
    NoSymbol,
    /// Memory that cannot be read or written.
    Memory,
    /// An operator or cast that the operand types do not allow.
    Type,
    /// Division by zero, a shift out of range.
    Arithmetic,
    /// A value that exists but cannot be read here (optimized out, in a
    /// wasm local, no frame, not running).
    Unavailable,
    /// `$N` beyond the value history.
    History,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ExprError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ExprError {
        ExprError {
            kind,
            message: message.into(),
        }
    }

    /// A slot lookup's message (`No frame selected.`, `no local $l9`).
    fn no_symbol(message: String) -> ExprError {
        ExprError::new(ErrorKind::NoSymbol, message)
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

impl From<ExprError> for String {
    fn from(e: ExprError) -> String {
        e.message
    }
}

/// What an expression can read at a paused frame, beyond DWARF's
/// [`FrameAccess`]: wasm locals and globals by index or name, the operand
/// stack, and function names for function pointers (table elements).
pub(crate) trait EvalContext: FrameAccess {
    fn as_frame(&self) -> &dyn FrameAccess;

    fn wasm_local(&self, r: &LocalRef) -> Result<Value, String> {
        match r {
            LocalRef::Index(i) => self
                .local(*i)
                .ok_or_else(|| format!("no local $l{i} in this frame")),
            LocalRef::Name(n) => Err(format!("No symbol \"{n}\" in current context.")),
        }
    }

    fn wasm_global(&self, r: &LocalRef) -> Result<Value, String> {
        match r {
            LocalRef::Index(i) => self.global(*i).ok_or_else(|| format!("no global $g{i}")),
            LocalRef::Name(n) => Err(format!("No global named \"{n}\".")),
        }
    }

    /// `$sN`: N values below the top of the operand stack.
    fn wasm_stack(&self, n: u32) -> Result<Value, String> {
        Err(format!("no operand stack to read $s{n} from"))
    }

    /// Element `index` of table `table` and the table's declared element type.
    fn wasm_table(
        &self,
        table: u32,
        index: u64,
    ) -> Result<(Value, Option<wdb_engine::ValType>), String> {
        let _ = index;
        Err(format!("no table $t{table} here"))
    }

    /// The declared type of a local (exact: `(ref null $point)`), in
    /// [`EvalContext::wasm_module`]'s type indices.
    fn wasm_local_type(&self, r: &LocalRef) -> Option<wdb_engine::ValType> {
        let _ = r;
        None
    }

    fn wasm_global_type(&self, r: &LocalRef) -> Option<wdb_engine::ValType> {
        let _ = r;
        None
    }

    fn wasm_stack_type(&self, n: u32) -> Option<wdb_engine::ValType> {
        let _ = n;
        None
    }

    /// The module of the frame (whose type indices the declared types use).
    fn wasm_module(&self) -> Option<std::sync::Arc<wdb_engine::Module>> {
        None
    }

    /// A GC reference as the store sees it (`None`: no store).
    fn gc_inspect(
        &self,
        r: u64,
        elements: std::ops::Range<u32>,
    ) -> Option<wdb_engine::runtime::gc_inspect::GcRefInfo> {
        let _ = (r, elements);
        None
    }

    fn instance_module(
        &self,
        inst: wdb_engine::runtime::InstanceId,
    ) -> Option<std::sync::Arc<wdb_engine::Module>> {
        let _ = inst;
        None
    }

    /// Collections the GC heap has run (`None`: no store).
    fn gc_collections(&self) -> Option<u64> {
        None
    }

    /// What a function or exception reference names: `<count>`,
    /// `negative(-2)`.
    fn describe_ref(&self, v: Value) -> Option<String> {
        let _ = v;
        None
    }
}

/// A [`FrameAccess`] with nothing beyond it (DWARF tests, tools).
pub(crate) struct PlainFrame<'a>(pub &'a dyn FrameAccess);

impl FrameAccess for PlainFrame<'_> {
    fn local(&self, index: u32) -> Option<Value> {
        self.0.local(index)
    }
    fn global(&self, index: u32) -> Option<Value> {
        self.0.global(index)
    }
    fn operand(&self, index: u32) -> Option<Value> {
        self.0.operand(index)
    }
    fn read_memory(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.0.read_memory(addr, len)
    }
    fn function_name(&self, table_index: u64) -> Option<String> {
        self.0.function_name(table_index)
    }
}

impl EvalContext for PlainFrame<'_> {
    fn as_frame(&self) -> &dyn FrameAccess {
        self
    }
}

/// Where an expression is evaluated: a frame, its DWARF scope (the
/// function's `code_offset` and inline level), and the value history.
pub(crate) struct Env<'a> {
    pub cx: &'a dyn EvalContext,
    pub debug: Option<&'a DebugInfo>,
    pub code_offset: u32,
    /// The inline frame whose variables are visible; `None`: every scope.
    pub inline_frame: Option<usize>,
    pub history: &'a [Val],
}

/// A typed value: an object (in memory, or bytes of a slot or a result)
/// with its type, or something only to be shown (`<optimized out>`).
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Obj { ty: Type, place: Place },
    Shown(VarValue),
}

impl Val {
    pub fn ty(&self) -> Option<&Type> {
        match self {
            Val::Obj { ty, .. } => Some(ty),
            Val::Shown(_) => None,
        }
    }

    /// The address of an object in linear memory.
    pub fn address(&self) -> Option<u64> {
        match self {
            Val::Obj {
                place: Place::Memory(a),
                ..
            } => Some(*a),
            _ => None,
        }
    }

    pub fn shown_text(&self) -> String {
        match self {
            Val::Shown(v) => v.to_string(),
            Val::Obj { ty, .. } => ty.name(),
        }
    }

    /// The value with its bytes copied out of memory, for the history:
    /// `$1` keeps the value it had when it was printed, as in gdb.
    pub fn snapshot(self, env: &Env<'_>) -> Val {
        match &self {
            Val::Obj {
                ty,
                place: Place::Memory(_),
            } => match (ty.size(), &self) {
                (Some(n), Val::Obj { place, .. }) if n <= 1 << 20 => {
                    match env.bytes(place, n as usize) {
                        Ok(b)
                            if !matches!(
                                ty.kind(),
                                types::Kind::Array(..) | types::Kind::Record
                            ) =>
                        {
                            Val::Obj {
                                ty: ty.clone(),
                                place: Place::Bytes(b),
                            }
                        }
                        _ => self,
                    }
                }
                _ => self,
            },
            _ => self,
        }
    }
}

impl Env<'_> {
    /// Parse `text` (typedef names from DWARF make casts) and evaluate it.
    /// An object in memory must be readable (its first 4 KiB), so that
    /// `p *(int *)0xfffffff0` is an error rather than an unreadable value.
    pub fn evaluate(&self, text: &str) -> Result<Val, ExprError> {
        let e = self.parse(text)?;
        let v = self.eval_expr(&e)?;
        if let Val::Obj {
            ty,
            place: place @ Place::Memory(_),
        } = &v
            && let Some(n) = ty.size()
            && n > 0
        {
            self.bytes(place, n.min(4096) as usize)?;
        }
        Ok(v)
    }

    pub fn parse(&self, text: &str) -> Result<Expr, ExprError> {
        let is_type = |n: &str| self.debug.is_some_and(|d| d.is_type_name(n));
        parse::parse_with(text, &is_type).map_err(|m| ExprError::new(ErrorKind::Syntax, m))
    }

    /// `text` as a type (`struct node`, `int *`, a typedef), for `ptype`
    /// and `whatis`; `None` when `text` is not a type name.
    pub fn type_named(&self, text: &str) -> Option<Result<Type, ExprError>> {
        let is_type = |n: &str| self.debug.is_some_and(|d| d.is_type_name(n));
        let t = parse::parse_type(text, &is_type)?;
        Some(self.resolve_type(&t))
    }

    pub fn eval_expr(&self, e: &Expr) -> Result<Val, ExprError> {
        self.eval(e, 0)
    }

    /// Truth of a value, for conditions.
    pub fn is_true(&self, v: &Val) -> Result<bool, ExprError> {
        self.truthy(v)
    }

    /// The value as a display tree (structs, arrays, strings, enumerators).
    pub fn var_value(&self, v: &Val) -> VarValue {
        show::to_var_value(self, v)
    }

    /// The value as a number: (integer bits or float, its C type).
    pub fn number(&self, v: &Val) -> Result<Number, ExprError> {
        let (n, s) = self.num(v)?;
        Ok(match n {
            eval::Num::I(i) => Number::Int(i, s),
            eval::Num::F(f) => Number::Float(f, s),
        })
    }

    /// `v` converted as C's assignment converts it, as the bytes of `ty`.
    pub fn bytes_as(&self, v: &Val, ty: &Type) -> Result<Vec<u8>, ExprError> {
        let converted = self.cast(v.clone(), ty.clone())?;
        match (&converted, ty.size()) {
            (Val::Obj { place, .. }, Some(n)) => self.bytes(place, n as usize),
            _ => Err(ExprError::new(
                ErrorKind::Type,
                format!("cannot assign to a `{}`", ty.name()),
            )),
        }
    }

    /// `x`'s address: an array's or a struct's own address, a pointer's
    /// target, an integer as is.
    pub fn address_of(&self, v: &Val) -> Result<u64, ExprError> {
        if let Val::Obj {
            ty,
            place: Place::Memory(a),
        } = v
            && matches!(ty.kind(), types::Kind::Array(..) | types::Kind::Record)
        {
            return Ok(*a);
        }
        match self.num(v)? {
            (eval::Num::I(a), _) => u32::try_from(a as i64 as u64 & 0xffff_ffff_ffff_ffff)
                .map(u64::from)
                .map_err(|_| {
                    ExprError::new(ErrorKind::Type, format!("{a:#x} is not a 32-bit address"))
                }),
            (eval::Num::F(_), _) => {
                Err(ExprError::new(ErrorKind::Type, "a float is not an address"))
            }
        }
    }
}

/// A value read as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Int(i128, Scalar),
    Float(f64, Scalar),
}

impl Number {
    /// As a wasm value of the same width (`i32` for 4 bytes and less).
    pub fn to_wasm(self) -> Value {
        match self {
            Number::Int(i, s) if s.size() <= 4 => Value::I32(i as i32),
            Number::Int(i, _) => Value::I64(i as i64),
            Number::Float(f, Scalar::Float) => Value::F32((f as f32).to_bits()),
            Number::Float(f, _) => Value::F64(f.to_bits()),
        }
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
