//! Breakpoint conditions and ignore counts, evaluated where a patched
//! breakpoint fires, so a breakpoint whose condition does not hold (or that
//! is still being ignored) never leaves the executor.
//!
//! A condition is a [`Pred`]: a tiny stack bytecode over the frame's wasm
//! locals, the instance's globals, loads from memory 0 and constants, with
//! wasm's integer and float operators. The engine knows no source language:
//! the debugger compiles its expressions (and DWARF locations) into one, or
//! keeps evaluating a condition itself when it cannot.
//!
//! Values on the stack are raw 64-bit words: an integer the compiler keeps
//! extended to 64 bits by its type (see [`PredOp::Wrap`]), an `f32` in the
//! low 32 bits, an `f64` as its bits. `I32` operators read the low 32 bits
//! and leave their result sign-extended; comparisons leave 0 or 1.

use std::collections::HashMap;

use crate::ir::Op;
use crate::value::FuncAddr;

/// The operand type of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumTy {
    I32,
    I64,
    F32,
    F64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PredBin {
    Add,
    Sub,
    Mul,
    /// Division (signed for integers; an error when dividing by zero).
    DivS,
    DivU,
    RemS,
    RemU,
    And,
    Or,
    Xor,
    /// Shifts: an error when the count is negative or not below the width.
    Shl,
    ShrS,
    ShrU,
    Eq,
    Ne,
    /// Ordered comparisons (signed for integers; the only kind for floats).
    LtS,
    LtU,
    LeS,
    LeU,
    GtS,
    GtU,
    GeS,
    GeU,
}

impl PredBin {
    /// Whether the operator is defined on `f32`/`f64` operands (the signed
    /// forms stand for the float ones; bit operations and unsigned forms
    /// are integer-only).
    pub fn applies_to_floats(self) -> bool {
        matches!(
            self,
            PredBin::Add
                | PredBin::Sub
                | PredBin::Mul
                | PredBin::DivS
                | PredBin::Eq
                | PredBin::Ne
                | PredBin::LtS
                | PredBin::LeS
                | PredBin::GtS
                | PredBin::GeS
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PredUn {
    /// 1 when the value is zero (`0.0` or `-0.0` for floats), else 0.
    Eqz(NumTy),
    /// 1 when the value is not zero (NaN is not zero), else 0.
    Nez(NumTy),
    Neg(NumTy),
    /// Bitwise not (integers).
    Not(NumTy),
    /// An integer to a float, the 64-bit word read as signed or unsigned
    /// (to `f32` through `f64`, as C's evaluator in the debugger rounds).
    FromInt {
        to: NumTy,
        signed: bool,
    },
    /// A float to an integer: truncated toward zero, wrapped to 64 bits.
    Trunc {
        from: NumTy,
    },
    F32ToF64,
    F64ToF32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PredOp {
    /// Push raw bits.
    Const(u64),
    /// Push the slot of wasm local `index` (params first) of the frame.
    Local(u32),
    /// Push global `index` of the function's instance.
    Global(u32),
    /// Pop an address, push `width` (1, 2, 4 or 8) bytes of memory 0 at it
    /// (little-endian, sign- or zero-extended); out of bounds is an error.
    Load {
        width: u8,
        signed: bool,
    },
    /// Keep the low `bits` (1..=63) of the top, sign- or zero-extended.
    Wrap {
        bits: u8,
        signed: bool,
    },
    Bin(PredBin, NumTy),
    Un(PredUn),
    /// `&&`: when the top is 0 jump to `pc`, keeping it; else pop it.
    AndJump(u32),
    /// `||`: when the top is not 0 jump to `pc`, keeping it; else pop it.
    OrJump(u32),
    /// Pop; jump to `pc` when it was 0.
    JumpIfZero(u32),
    Jump(u32),
}

/// Deepest operand stack a predicate may use.
pub const MAX_PRED_STACK: usize = 32;
/// Most ops in a predicate.
pub const MAX_PRED_OPS: usize = 4096;

/// Why a predicate could not be evaluated: the breakpoint then pauses, and
/// the debugger evaluates the condition its own way (with its message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredError {
    Memory { addr: u64 },
    DivisionByZero,
    ShiftRange,
    NoSuchLocal(u32),
    NoSuchGlobal(u32),
}

/// A validated predicate: every jump goes forward, the stack never
/// underflows or passes [`MAX_PRED_STACK`], and it ends with one value.
#[derive(Debug, Clone, PartialEq)]
pub struct Pred {
    ops: Box<[PredOp]>,
}

impl Pred {
    /// Check `ops` (see [`Pred`]); the message says what is wrong.
    pub fn new(ops: Vec<PredOp>) -> Result<Pred, String> {
        if ops.is_empty() || ops.len() > MAX_PRED_OPS {
            return Err(format!(
                "a predicate has 1 to {MAX_PRED_OPS} ops, not {}",
                ops.len()
            ));
        }
        // Stack height before each op (forward jumps only, so one pass).
        let mut height: Vec<Option<usize>> = vec![None; ops.len() + 1];
        height[0] = Some(0);
        let join = |height: &mut Vec<Option<usize>>, at: usize, h: usize| match height[at] {
            Some(old) if old != h => Err(format!("stack heights {old} and {h} meet at op {at}")),
            _ => {
                height[at] = Some(h);
                Ok(())
            }
        };
        for (i, op) in ops.iter().enumerate() {
            let Some(h) = height[i] else {
                // Unreachable (after a jump): nothing flows in.
                continue;
            };
            let (pops, pushes) = match op {
                PredOp::Const(_) | PredOp::Local(_) | PredOp::Global(_) => (0, 1),
                PredOp::Load { width, .. } => {
                    if ![1, 2, 4, 8].contains(width) {
                        return Err(format!("load width {width} at op {i}"));
                    }
                    (1, 1)
                }
                PredOp::Wrap { bits, .. } => {
                    if !(1..=63).contains(bits) {
                        return Err(format!("wrap to {bits} bits at op {i}"));
                    }
                    (1, 1)
                }
                PredOp::Bin(b, t) => {
                    let int_only = !b.applies_to_floats();
                    if int_only && matches!(t, NumTy::F32 | NumTy::F64) {
                        return Err(format!("{b:?} on {t:?} at op {i}"));
                    }
                    (2, 1)
                }
                PredOp::Un(u) => {
                    match u {
                        PredUn::Not(NumTy::F32 | NumTy::F64)
                        | PredUn::FromInt {
                            to: NumTy::I32 | NumTy::I64,
                            ..
                        }
                        | PredUn::Trunc {
                            from: NumTy::I32 | NumTy::I64,
                        } => return Err(format!("{u:?} at op {i}")),
                        _ => {}
                    }
                    (1, 1)
                }
                PredOp::AndJump(t) | PredOp::OrJump(t) => {
                    if h < 1 {
                        return Err(format!("stack underflow at op {i}"));
                    }
                    let t = *t as usize;
                    if t <= i || t > ops.len() {
                        return Err(format!("jump from op {i} to {t}"));
                    }
                    join(&mut height, t, h)?;
                    (1, 0)
                }
                PredOp::JumpIfZero(t) => {
                    if h < 1 {
                        return Err(format!("stack underflow at op {i}"));
                    }
                    let t = *t as usize;
                    if t <= i || t > ops.len() {
                        return Err(format!("jump from op {i} to {t}"));
                    }
                    join(&mut height, t, h - 1)?;
                    (1, 0)
                }
                PredOp::Jump(t) => {
                    let t = *t as usize;
                    if t <= i || t > ops.len() {
                        return Err(format!("jump from op {i} to {t}"));
                    }
                    join(&mut height, t, h)?;
                    continue;
                }
            };
            if h < pops {
                return Err(format!("stack underflow at op {i}"));
            }
            let next = h - pops + pushes;
            if next > MAX_PRED_STACK {
                return Err(format!("more than {MAX_PRED_STACK} values at op {i}"));
            }
            join(&mut height, i + 1, next)?;
        }
        match height[ops.len()] {
            Some(1) => Ok(Pred { ops: ops.into() }),
            Some(h) => Err(format!("the predicate ends with {h} values, not 1")),
            None => Err("the predicate never ends".to_string()),
        }
    }

    pub fn ops(&self) -> &[PredOp] {
        &self.ops
    }

    /// Evaluate: whether the value left is not zero (all 64 bits).
    pub fn eval(&self, frame: &PredFrame<'_>) -> Result<bool, PredError> {
        let mut st = [0u64; MAX_PRED_STACK];
        let mut sp = 0usize;
        let mut pc = 0usize;
        let ops = &self.ops[..];
        macro_rules! pop {
            () => {{
                sp -= 1;
                st[sp]
            }};
        }
        macro_rules! push {
            ($v:expr) => {{
                let v: u64 = $v;
                st[sp] = v;
                sp += 1;
            }};
        }
        while pc < ops.len() {
            let op = ops[pc];
            pc += 1;
            match op {
                PredOp::Const(v) => push!(v),
                PredOp::Local(i) => push!(frame.local(i)?),
                PredOp::Global(i) => push!(frame.global(i)?),
                PredOp::Load { width, signed } => {
                    let addr = pop!();
                    let n = width as usize;
                    let bytes = usize::try_from(addr)
                        .ok()
                        .and_then(|a| frame.memory.get(a..a.checked_add(n)?))
                        .ok_or(PredError::Memory { addr })?;
                    let mut b = [0u8; 8];
                    b[..n].copy_from_slice(bytes);
                    let raw = u64::from_le_bytes(b);
                    push!(if signed && n < 8 {
                        let s = 64 - 8 * n as u32;
                        (((raw << s) as i64) >> s) as u64
                    } else {
                        raw
                    });
                }
                PredOp::Wrap { bits, signed } => {
                    let v = pop!();
                    let s = 64 - bits as u32;
                    push!(if signed {
                        (((v << s) as i64) >> s) as u64
                    } else {
                        (v << s) >> s
                    });
                }
                PredOp::Bin(b, t) => {
                    let y = pop!();
                    let x = pop!();
                    push!(bin(b, t, x, y)?);
                }
                PredOp::Un(u) => {
                    let x = pop!();
                    push!(un(u, x));
                }
                PredOp::AndJump(t) => {
                    if st[sp - 1] == 0 {
                        pc = t as usize;
                    } else {
                        sp -= 1;
                    }
                }
                PredOp::OrJump(t) => {
                    if st[sp - 1] != 0 {
                        pc = t as usize;
                    } else {
                        sp -= 1;
                    }
                }
                PredOp::JumpIfZero(t) => {
                    if pop!() == 0 {
                        pc = t as usize;
                    }
                }
                PredOp::Jump(t) => pc = t as usize,
            }
        }
        Ok(st[0] != 0)
    }
}

fn f32v(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
fn f64v(x: u64) -> f64 {
    f64::from_bits(x)
}
fn i32r(x: i32) -> u64 {
    x as i64 as u64
}

fn bin(b: PredBin, t: NumTy, x: u64, y: u64) -> Result<u64, PredError> {
    use PredBin::*;
    let bool_ = |c: bool| c as u64;
    Ok(match t {
        NumTy::I32 => {
            let (a, c) = (x as i32, y as i32);
            let (ua, uc) = (x as u32, y as u32);
            match b {
                Add => i32r(a.wrapping_add(c)),
                Sub => i32r(a.wrapping_sub(c)),
                Mul => i32r(a.wrapping_mul(c)),
                DivS | RemS | DivU | RemU if c == 0 => return Err(PredError::DivisionByZero),
                DivS => i32r(a.wrapping_div(c)),
                RemS => i32r(a.wrapping_rem(c)),
                DivU => i32r((ua / uc) as i32),
                RemU => i32r((ua % uc) as i32),
                And => i32r(a & c),
                Or => i32r(a | c),
                Xor => i32r(a ^ c),
                Shl | ShrS | ShrU => {
                    // The count is the whole (extended) word: 2^32 is out of range too.
                    let n = y as i64;
                    if !(0..32).contains(&n) {
                        return Err(PredError::ShiftRange);
                    }
                    match b {
                        Shl => i32r(a << n),
                        ShrS => i32r(a >> n),
                        _ => i32r((ua >> n) as i32),
                    }
                }
                Eq => bool_(a == c),
                Ne => bool_(a != c),
                LtS => bool_(a < c),
                LtU => bool_(ua < uc),
                LeS => bool_(a <= c),
                LeU => bool_(ua <= uc),
                GtS => bool_(a > c),
                GtU => bool_(ua > uc),
                GeS => bool_(a >= c),
                GeU => bool_(ua >= uc),
            }
        }
        NumTy::I64 => {
            let (a, c) = (x as i64, y as i64);
            match b {
                Add => x.wrapping_add(y),
                Sub => x.wrapping_sub(y),
                Mul => x.wrapping_mul(y),
                DivS | RemS | DivU | RemU if y == 0 => return Err(PredError::DivisionByZero),
                DivS => a.wrapping_div(c) as u64,
                RemS => a.wrapping_rem(c) as u64,
                DivU => x / y,
                RemU => x % y,
                And => x & y,
                Or => x | y,
                Xor => x ^ y,
                Shl | ShrS | ShrU => {
                    if !(0..64).contains(&c) {
                        return Err(PredError::ShiftRange);
                    }
                    match b {
                        Shl => x << c,
                        ShrS => (a >> c) as u64,
                        _ => x >> c,
                    }
                }
                Eq => bool_(x == y),
                Ne => bool_(x != y),
                LtS => bool_(a < c),
                LtU => bool_(x < y),
                LeS => bool_(a <= c),
                LeU => bool_(x <= y),
                GtS => bool_(a > c),
                GtU => bool_(x > y),
                GeS => bool_(a >= c),
                GeU => bool_(x >= y),
            }
        }
        NumTy::F32 => {
            let (a, c) = (f32v(x), f32v(y));
            let f = |v: f32| v.to_bits() as u64;
            match b {
                Add => f(a + c),
                Sub => f(a - c),
                Mul => f(a * c),
                DivS => f(a / c),
                Eq => bool_(a == c),
                Ne => bool_(a != c),
                LtS => bool_(a < c),
                LeS => bool_(a <= c),
                GtS => bool_(a > c),
                GeS => bool_(a >= c),
                _ => unreachable!("Pred::new refuses integer operators on floats"),
            }
        }
        NumTy::F64 => {
            let (a, c) = (f64v(x), f64v(y));
            let f = |v: f64| v.to_bits();
            match b {
                Add => f(a + c),
                Sub => f(a - c),
                Mul => f(a * c),
                DivS => f(a / c),
                Eq => bool_(a == c),
                Ne => bool_(a != c),
                LtS => bool_(a < c),
                LeS => bool_(a <= c),
                GtS => bool_(a > c),
                GeS => bool_(a >= c),
                _ => unreachable!("Pred::new refuses integer operators on floats"),
            }
        }
    })
}

fn un(u: PredUn, x: u64) -> u64 {
    match u {
        PredUn::Eqz(t) | PredUn::Nez(t) => {
            let zero = match t {
                NumTy::I32 => x as u32 == 0,
                NumTy::I64 => x == 0,
                NumTy::F32 => f32v(x) == 0.0,
                NumTy::F64 => f64v(x) == 0.0,
            };
            (zero == matches!(u, PredUn::Eqz(_))) as u64
        }
        PredUn::Neg(t) => match t {
            NumTy::I32 => i32r((x as i32).wrapping_neg()),
            NumTy::I64 => (x as i64).wrapping_neg() as u64,
            NumTy::F32 => (-f32v(x)).to_bits() as u64,
            NumTy::F64 => (-f64v(x)).to_bits(),
        },
        PredUn::Not(t) => match t {
            NumTy::I32 => i32r(!(x as i32)),
            _ => !x,
        },
        PredUn::FromInt { to, signed } => {
            let f = if signed { x as i64 as f64 } else { x as f64 };
            match to {
                NumTy::F32 => (f as f32).to_bits() as u64,
                _ => f.to_bits(),
            }
        }
        PredUn::Trunc { from } => {
            let f = match from {
                NumTy::F32 => f32v(x) as f64,
                _ => f64v(x),
            };
            f as i128 as u64
        }
        PredUn::F32ToF64 => (f32v(x) as f64).to_bits(),
        PredUn::F64ToF32 => (f64v(x) as f32).to_bits() as u64,
    }
}

/// What a predicate reads: the innermost frame's locals, the instance's
/// globals and its memory 0.
pub struct PredFrame<'a> {
    /// The frame's slots from its base (params, then locals, ...).
    pub slots: &'a [u64],
    /// Slot offset of each local (params first).
    pub local_offsets: &'a [u32],
    /// The value of each global of the instance, by index.
    pub globals: &'a dyn Fn(u32) -> Option<u64>,
    pub memory: &'a [u8],
}

impl PredFrame<'_> {
    fn local(&self, i: u32) -> Result<u64, PredError> {
        self.local_offsets
            .get(i as usize)
            .and_then(|&o| self.slots.get(o as usize))
            .copied()
            .ok_or(PredError::NoSuchLocal(i))
    }
    fn global(&self, i: u32) -> Result<u64, PredError> {
        (self.globals)(i).ok_or(PredError::NoSuchGlobal(i))
    }
}

/// A condition and an ignore count attached to a patched breakpoint. The
/// executor counts and decides there; [`BreakCheck::hits`] is exact.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakCheck {
    /// Pause only when this holds (`None`: always).
    pub pred: Option<Pred>,
    /// Hits (where the predicate held) still to pass over without pausing.
    pub ignore: u64,
    /// Hits where the predicate held, ignored ones included.
    pub hits: u64,
    /// Set when the executor paused here having counted the hit (the
    /// predicate held and nothing was left to ignore); left false when it
    /// paused because the predicate could not be evaluated, so the
    /// debugger decides that hit itself. The debugger clears it.
    pub counted: bool,
    /// The last evaluation's error, when it paused for one.
    pub error: Option<PredError>,
    /// Pass over (without evaluating or counting) a hit more than this
    /// many frames deep: the return site of a call that `next` or
    /// `finish` runs over, which recursion reaches in deeper frames first.
    pub max_depth: Option<usize>,
}

impl BreakCheck {
    pub fn new(pred: Option<Pred>, ignore: u64) -> BreakCheck {
        BreakCheck {
            pred,
            ignore,
            hits: 0,
            counted: false,
            error: None,
            max_depth: None,
        }
    }

    /// A check that pauses only at a depth of at most `max_depth` frames.
    pub fn at_depth(max_depth: usize) -> BreakCheck {
        BreakCheck {
            max_depth: Some(max_depth),
            ..BreakCheck::new(None, 0)
        }
    }

    /// Decide a hit: `true` to pause.
    pub fn hit(&mut self, frame: &PredFrame<'_>) -> bool {
        if let Some(p) = &self.pred {
            match p.eval(frame) {
                Ok(true) => {}
                Ok(false) => return false,
                Err(e) => {
                    self.error = Some(e);
                    self.counted = false;
                    return true;
                }
            }
        }
        self.hits += 1;
        if self.ignore > 0 {
            self.ignore -= 1;
            return false;
        }
        self.counted = true;
        self.error = None;
        true
    }
}

/// The checks of a store's breakpoints, by (function, pc), each with the op
/// its breakpoint patched over (so passing one costs no second lookup).
#[derive(Debug, Clone, Default)]
pub struct BreakChecks {
    pub(crate) map: HashMap<(FuncAddr, u32), (BreakCheck, Op)>,
}

impl BreakChecks {
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
