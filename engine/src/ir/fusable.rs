//! The operators superinstructions fuse, each listed once with its
//! semantics, in [`for_each_fusable!`]. From this one list come:
//! - the plain [`Op`](super::Op) variant of each operator and one variant
//!   per operator and operand shape (`I32AddLLS { a, b, d }`: `local.get a;
//!   local.get b; i32.add; local.set d`), so the interpreter dispatches a
//!   fused op once, with the operator folded in;
//! - [`sem`]: the semantics over untyped slots, one function per operator;
//! - the kinds the fuser works with ([`Bin`], [`Div`], [`Un`], [`Load`],
//!   [`Store`]) and their shape constructors;
//! - the interpreter's arms (`interp/exec.rs` expands the same list).
//!
//! Shapes (`L` a local slot offset, `I` an immediate sign-extended to 64
//! bits, `S` the result to a local, `T` to a local and the stack, `BrNez` /
//! `BrEqz` then `br_if` / `if`; each op's fields are named in that order):
//!
//! | shape | fields | wasm |
//! |---|---|---|
//! | `LL` | `a, b` | `local.get a; local.get b; op` |
//! | `LI` | `a, imm` | `local.get a; const imm; op` |
//! | `LLS`/`LLT` | `a, b, d` | `... op; local.set/tee d` |
//! | `LIS`/`LIT` | `a, imm, d` | `... op; local.set/tee d` |
//! | `S`/`T` | `d` | `op; local.set/tee d` |
//! | `L` | `b` | `local.get b; op` (the left operand on the stack) |
//! | `I` | `imm` | `const imm; op` |
//! | `LS` | `b, d` | `local.get b; op; local.set d` |
//! | `IS` | `imm, d` | `const imm; op; local.set d` |
//! | `*BrNez`/`*BrEqz` | `.., t` | the shape, then `br_if t` / `if` (compares and `i32.and` only) |
//!
//! Division and remainder (they trap): `L {b}`, `LL {a, b}`, `LLS {a, b, d}`.
//! Unary: `L {a}` (`local.get a; op`), `LS {a, d}`. Loads: `L {a, off}`,
//! `LS {a, off, d}`, `LI {a, imm, off}` (address `local + imm`, the add
//! wrapping at 32 bits), `GetL {a, b, off}` (`local.get a; local.get b;
//! load`: pushes both). Stores: `LL {a, b, off}` (address, value),
//! `LI {a, imm, off}`, `Tee {d, off}` (`local.tee d; store`).

/// Calls `$m! { { $pre } bin { rows } cmp { names } div { rows } un { rows }
/// load { rows } store { rows } }` with the table of fusable operators.
/// `bin` has every binary operator (the compares too); `cmp` names those whose
/// result a branch tests (they also get the `Br` shapes).
macro_rules! for_each_fusable {
    ($m:ident ! { $($pre:tt)* }) => {
        $crate::ir::fusable::fusable_table! { $m { $($pre)* }
        cmp {
            I32Eq(a, b) => (a as u32 == b as u32) as u64;
            I32Ne(a, b) => (a as u32 != b as u32) as u64;
            I32LtS(a, b) => ((a as i32) < (b as i32)) as u64;
            I32LtU(a, b) => ((a as u32) < (b as u32)) as u64;
            I32GtS(a, b) => ((a as i32) > (b as i32)) as u64;
            I32GtU(a, b) => ((a as u32) > (b as u32)) as u64;
            I32LeS(a, b) => ((a as i32) <= (b as i32)) as u64;
            I32LeU(a, b) => ((a as u32) <= (b as u32)) as u64;
            I32GeS(a, b) => ((a as i32) >= (b as i32)) as u64;
            I32GeU(a, b) => ((a as u32) >= (b as u32)) as u64;
            I32And(a, b) => (a as u32 & b as u32) as u64;
            I64Eq(a, b) => (a == b) as u64;
            I64Ne(a, b) => (a != b) as u64;
            I64LtS(a, b) => ((a as i64) < (b as i64)) as u64;
            I64LtU(a, b) => (a < b) as u64;
            I64GtS(a, b) => ((a as i64) > (b as i64)) as u64;
            I64GtU(a, b) => (a > b) as u64;
            I64LeS(a, b) => ((a as i64) <= (b as i64)) as u64;
            I64LeU(a, b) => (a <= b) as u64;
            I64GeS(a, b) => ((a as i64) >= (b as i64)) as u64;
            I64GeU(a, b) => (a >= b) as u64;
            F32Eq(a, b) => (f32::from_bits(a as u32) == f32::from_bits(b as u32)) as u64;
            F32Ne(a, b) => (f32::from_bits(a as u32) != f32::from_bits(b as u32)) as u64;
            F32Lt(a, b) => (f32::from_bits(a as u32) < f32::from_bits(b as u32)) as u64;
            F32Gt(a, b) => (f32::from_bits(a as u32) > f32::from_bits(b as u32)) as u64;
            F32Le(a, b) => (f32::from_bits(a as u32) <= f32::from_bits(b as u32)) as u64;
            F32Ge(a, b) => (f32::from_bits(a as u32) >= f32::from_bits(b as u32)) as u64;
            F64Eq(a, b) => (f64::from_bits(a) == f64::from_bits(b)) as u64;
            F64Ne(a, b) => (f64::from_bits(a) != f64::from_bits(b)) as u64;
            F64Lt(a, b) => (f64::from_bits(a) < f64::from_bits(b)) as u64;
            F64Gt(a, b) => (f64::from_bits(a) > f64::from_bits(b)) as u64;
            F64Le(a, b) => (f64::from_bits(a) <= f64::from_bits(b)) as u64;
            F64Ge(a, b) => (f64::from_bits(a) >= f64::from_bits(b)) as u64;
        }
        arith {
            I32Add(a, b) => (a as u32).wrapping_add(b as u32) as u64;
            I32Sub(a, b) => (a as u32).wrapping_sub(b as u32) as u64;
            I32Mul(a, b) => (a as u32).wrapping_mul(b as u32) as u64;
            I32Or(a, b) => (a as u32 | b as u32) as u64;
            I32Xor(a, b) => (a as u32 ^ b as u32) as u64;
            I32Shl(a, b) => (a as u32).wrapping_shl(b as u32) as u64;
            I32ShrS(a, b) => (a as i32).wrapping_shr(b as u32) as u32 as u64;
            I32ShrU(a, b) => (a as u32).wrapping_shr(b as u32) as u64;
            I32Rotl(a, b) => (a as u32).rotate_left(b as u32 % 32) as u64;
            I32Rotr(a, b) => (a as u32).rotate_right(b as u32 % 32) as u64;
            I64Add(a, b) => a.wrapping_add(b);
            I64Sub(a, b) => a.wrapping_sub(b);
            I64Mul(a, b) => a.wrapping_mul(b);
            I64And(a, b) => a & b;
            I64Or(a, b) => a | b;
            I64Xor(a, b) => a ^ b;
            I64Shl(a, b) => a.wrapping_shl(b as u32);
            I64ShrS(a, b) => (a as i64).wrapping_shr(b as u32) as u64;
            I64ShrU(a, b) => a.wrapping_shr(b as u32);
            I64Rotl(a, b) => a.rotate_left((b % 64) as u32);
            I64Rotr(a, b) => a.rotate_right((b % 64) as u32);
            F32Add(a, b) => (f32::from_bits(a as u32) + f32::from_bits(b as u32)).to_bits() as u64;
            F32Sub(a, b) => (f32::from_bits(a as u32) - f32::from_bits(b as u32)).to_bits() as u64;
            F32Mul(a, b) => (f32::from_bits(a as u32) * f32::from_bits(b as u32)).to_bits() as u64;
            F32Div(a, b) => (f32::from_bits(a as u32) / f32::from_bits(b as u32)).to_bits() as u64;
            F64Add(a, b) => (f64::from_bits(a) + f64::from_bits(b)).to_bits();
            F64Sub(a, b) => (f64::from_bits(a) - f64::from_bits(b)).to_bits();
            F64Mul(a, b) => (f64::from_bits(a) * f64::from_bits(b)).to_bits();
            F64Div(a, b) => (f64::from_bits(a) / f64::from_bits(b)).to_bits();
        }
        div {
            I32DivS(a, b) => match (a as i32, b as i32) {
                (_, 0) => Err(TrapCode::IntegerDivideByZero),
                (i32::MIN, -1) => Err(TrapCode::IntegerOverflow),
                (x, y) => Ok(x.wrapping_div(y) as u32 as u64),
            };
            I32DivU(a, b) => match (a as u32, b as u32) {
                (_, 0) => Err(TrapCode::IntegerDivideByZero),
                (x, y) => Ok((x / y) as u64),
            };
            I32RemS(a, b) => match (a as i32, b as i32) {
                (_, 0) => Err(TrapCode::IntegerDivideByZero),
                (x, y) => Ok(x.wrapping_rem(y) as u32 as u64),
            };
            I32RemU(a, b) => match (a as u32, b as u32) {
                (_, 0) => Err(TrapCode::IntegerDivideByZero),
                (x, y) => Ok((x % y) as u64),
            };
            I64DivS(a, b) => match (a as i64, b as i64) {
                (_, 0) => Err(TrapCode::IntegerDivideByZero),
                (i64::MIN, -1) => Err(TrapCode::IntegerOverflow),
                (x, y) => Ok(x.wrapping_div(y) as u64),
            };
            I64DivU(a, b) => match b {
                0 => Err(TrapCode::IntegerDivideByZero),
                y => Ok(a / y),
            };
            I64RemS(a, b) => match (a as i64, b as i64) {
                (_, 0) => Err(TrapCode::IntegerDivideByZero),
                (x, y) => Ok(x.wrapping_rem(y) as u64),
            };
            I64RemU(a, b) => match b {
                0 => Err(TrapCode::IntegerDivideByZero),
                y => Ok(a % y),
            };
        }
        un {
            I32Eqz(a) => (a as u32 == 0) as u64;
            I64Eqz(a) => (a == 0) as u64;
            I32Clz(a) => (a as u32).leading_zeros() as u64;
            I32Ctz(a) => (a as u32).trailing_zeros() as u64;
            I32Popcnt(a) => (a as u32).count_ones() as u64;
            I64Clz(a) => a.leading_zeros() as u64;
            I64Ctz(a) => a.trailing_zeros() as u64;
            I64Popcnt(a) => a.count_ones() as u64;
            I32WrapI64(a) => a as u32 as u64;
            I64ExtendI32S(a) => a as u32 as i32 as i64 as u64;
            I64ExtendI32U(a) => a as u32 as u64;
            I32Extend8S(a) => a as u8 as i8 as i32 as u32 as u64;
            I32Extend16S(a) => a as u16 as i16 as i32 as u32 as u64;
            I64Extend8S(a) => a as u8 as i8 as i64 as u64;
            I64Extend16S(a) => a as u16 as i16 as i64 as u64;
            I64Extend32S(a) => a as u32 as i32 as i64 as u64;
            F32Abs(a) => (a as u32 & 0x7fff_ffff) as u64;
            F32Neg(a) => (a as u32 ^ 0x8000_0000) as u64;
            F64Abs(a) => a & 0x7fff_ffff_ffff_ffff;
            F64Neg(a) => a ^ 0x8000_0000_0000_0000;
            F32Sqrt(a) => f32::from_bits(a as u32).sqrt().to_bits() as u64;
            F64Sqrt(a) => f64::from_bits(a).sqrt().to_bits();
            F32ConvertI32S(a) => (a as u32 as i32 as f32).to_bits() as u64;
            F32ConvertI32U(a) => (a as u32 as f32).to_bits() as u64;
            F32ConvertI64S(a) => (a as i64 as f32).to_bits() as u64;
            F32ConvertI64U(a) => (a as f32).to_bits() as u64;
            F64ConvertI32S(a) => (a as u32 as i32 as f64).to_bits();
            F64ConvertI32U(a) => (a as u32 as f64).to_bits();
            F64ConvertI64S(a) => (a as i64 as f64).to_bits();
            F64ConvertI64U(a) => (a as f64).to_bits();
            F32DemoteF64(a) => (f64::from_bits(a) as f32).to_bits() as u64;
            F64PromoteF32(a) => (f32::from_bits(a as u32) as f64).to_bits();
            I32TruncSatF32S(a) => f32::from_bits(a as u32) as i32 as u32 as u64;
            I32TruncSatF32U(a) => f32::from_bits(a as u32) as u32 as u64;
            I32TruncSatF64S(a) => f64::from_bits(a) as i32 as u32 as u64;
            I32TruncSatF64U(a) => f64::from_bits(a) as u32 as u64;
            I64TruncSatF32S(a) => f32::from_bits(a as u32) as i64 as u64;
            I64TruncSatF32U(a) => f32::from_bits(a as u32) as u64;
            I64TruncSatF64S(a) => f64::from_bits(a) as i64 as u64;
            I64TruncSatF64U(a) => f64::from_bits(a) as u64;
        }
        load {
            I32Load[4](b) => u32::from_le_bytes(b) as u64;
            I64Load[8](b) => u64::from_le_bytes(b);
            I32Load8S[1](b) => b[0] as i8 as i32 as u32 as u64;
            I32Load8U[1](b) => b[0] as u64;
            I32Load16S[2](b) => i16::from_le_bytes(b) as i32 as u32 as u64;
            I32Load16U[2](b) => u16::from_le_bytes(b) as u64;
            I64Load8S[1](b) => b[0] as i8 as i64 as u64;
            I64Load8U[1](b) => b[0] as u64;
            I64Load16S[2](b) => i16::from_le_bytes(b) as i64 as u64;
            I64Load16U[2](b) => u16::from_le_bytes(b) as u64;
            I64Load32S[4](b) => i32::from_le_bytes(b) as i64 as u64;
            I64Load32U[4](b) => u32::from_le_bytes(b) as u64;
        }
        store {
            I32Store[4](v) => (v as u32).to_le_bytes();
            I64Store[8](v) => v.to_le_bytes();
            I32Store8[1](v) => [v as u8];
            I32Store16[2](v) => (v as u16).to_le_bytes();
            I64Store8[1](v) => [v as u8];
            I64Store16[2](v) => (v as u16).to_le_bytes();
            I64Store32[4](v) => (v as u32).to_le_bytes();
        }
        }
    };
}
pub(crate) use for_each_fusable;

/// Second step of [`for_each_fusable!`]: lists the compares both in `bin`
/// (every binary operator) and by name in `cmp`.
macro_rules! fusable_table {
    (
        $m:ident { $($pre:tt)* }
        cmp { $($c:ident($ca:ident, $cb:ident) => $ce:expr;)* }
        arith { $($r:ident($ra:ident, $rb:ident) => $re:expr;)* }
        $($rest:tt)*
    ) => {
        $m! {
            { $($pre)* }
            bin {
                $($c($ca, $cb) => $ce;)*
                $($r($ra, $rb) => $re;)*
            }
            cmp { $($c)* }
            $($rest)*
        }
    };
}
pub(crate) use fusable_table;

/// Defines [`sem`], the fusable variants of [`Op`](super::Op) (around the
/// hand-written ones passed in `$pre`) and the fuser's kinds.
macro_rules! define_fusable {
    (
        { $(#[$attr:meta])* pub enum Op { $($hand:tt)* } }
        bin { $($b:ident($ba:ident, $bb:ident) => $be:expr;)* }
        cmp { $($c:ident)* }
        div { $($dv:ident($da:ident, $db:ident) => $de:expr;)* }
        un { $($u:ident($ua:ident) => $ue:expr;)* }
        load { $($l:ident[$ln:literal]($lb:ident) => $le:expr;)* }
        store { $($s:ident[$sn:literal]($sv:ident) => $se:expr;)* }
    ) => { paste::paste! {
        /// The semantics of each fusable operator over untyped slots (i32
        /// results zero-extended, booleans 0/1); the only copy, used by the
        /// plain and the fused ops alike.
        #[allow(non_snake_case, clippy::cast_lossless, clippy::unnecessary_cast)]
        pub mod sem {
            use crate::trap::TrapCode;
            $(#[inline(always)] pub fn $b($ba: u64, $bb: u64) -> u64 { $be })*
            $(#[inline(always)] pub fn $dv($da: u64, $db: u64) -> Result<u64, TrapCode> { $de })*
            $(#[inline(always)] pub fn $u($ua: u64) -> u64 { $ue })*
            $(#[inline(always)] pub fn $l($lb: [u8; $ln]) -> u64 { $le })*
            $(#[inline(always)] pub fn $s($sv: u64) -> [u8; $sn] { $se })*
        }

        $(#[$attr])*
        pub enum Op {
            $($hand)*
            $(
                $b,
                [<$b LL>] { a: u32, b: u32 },
                [<$b LI>] { a: u32, imm: u32 },
                [<$b LLS>] { a: u32, b: u32, d: u32 },
                [<$b LIS>] { a: u32, imm: u32, d: u32 },
                [<$b LLT>] { a: u32, b: u32, d: u32 },
                [<$b LIT>] { a: u32, imm: u32, d: u32 },
                [<$b S>] { d: u32 },
                [<$b T>] { d: u32 },
                [<$b L>] { b: u32 },
                [<$b I>] { imm: u32 },
                [<$b LS>] { b: u32, d: u32 },
                [<$b IS>] { imm: u32, d: u32 },
            )*
            $(
                [<$c LLBrNez>] { a: u32, b: u32, t: u32 },
                [<$c LLBrEqz>] { a: u32, b: u32, t: u32 },
                [<$c LIBrNez>] { a: u32, imm: u32, t: u32 },
                [<$c LIBrEqz>] { a: u32, imm: u32, t: u32 },
                [<$c BrNez>] { t: u32 },
                [<$c BrEqz>] { t: u32 },
                [<$c LBrNez>] { b: u32, t: u32 },
                [<$c LBrEqz>] { b: u32, t: u32 },
                [<$c IBrNez>] { imm: u32, t: u32 },
                [<$c IBrEqz>] { imm: u32, t: u32 },
            )*
            $(
                $dv,
                [<$dv L>] { b: u32 },
                [<$dv LL>] { a: u32, b: u32 },
                [<$dv LLS>] { a: u32, b: u32, d: u32 },
            )*
            $(
                $u,
                [<$u L>] { a: u32 },
                [<$u LS>] { a: u32, d: u32 },
            )*
            $(
                $l(u32),
                [<$l L>] { a: u32, off: u32 },
                [<$l LS>] { a: u32, off: u32, d: u32 },
                [<$l LI>] { a: u32, imm: u32, off: u32 },
                [<$l GetL>] { a: u32, b: u32, off: u32 },
            )*
            $(
                $s(u32),
                [<$s LL>] { a: u32, b: u32, off: u32 },
                [<$s LI>] { a: u32, imm: u32, off: u32 },
                [<$s Tee>] { d: u32, off: u32 },
            )*
        }

        /// A fusable binary operator (translation time only: the fused op
        /// it makes has the operator in its variant).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Bin { $($b,)* }

        impl Bin {
            /// The fusable binary operator `op` is, if any.
            pub fn of(op: Op) -> Option<Bin> {
                match op {
                    $(Op::$b => Some(Bin::$b),)*
                    _ => None,
                }
            }
            /// Whether a branch may test the result (the `Br` shapes).
            pub fn is_cmp(self) -> bool {
                matches!(self, $(Bin::$c)|*)
            }
            pub fn ll(self, a: u32, b: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b LL>] { a, b },)* }
            }
            pub fn li(self, a: u32, imm: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b LI>] { a, imm },)* }
            }
            pub fn lls(self, a: u32, b: u32, d: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b LLS>] { a, b, d },)* }
            }
            pub fn lis(self, a: u32, imm: u32, d: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b LIS>] { a, imm, d },)* }
            }
            pub fn llt(self, a: u32, b: u32, d: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b LLT>] { a, b, d },)* }
            }
            pub fn lit(self, a: u32, imm: u32, d: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b LIT>] { a, imm, d },)* }
            }
            pub fn s(self, d: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b S>] { d },)* }
            }
            pub fn t(self, d: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b T>] { d },)* }
            }
            pub fn l(self, b: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b L>] { b },)* }
            }
            pub fn i(self, imm: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b I>] { imm },)* }
            }
            pub fn ls(self, b: u32, d: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b LS>] { b, d },)* }
            }
            pub fn is(self, imm: u32, d: u32) -> Op {
                match self { $(Bin::$b => Op::[<$b IS>] { imm, d },)* }
            }
            /// The shape followed by `br_if t` (`nez`) or `if` (else), for
            /// a compare: `ll`, `li`, `l`, `i` or none (`Shape`).
            pub fn br(self, shape: BrShape, nez: bool, t: u32) -> Option<Op> {
                Some(match (self, shape, nez) {
                    $(
                        (Bin::$c, BrShape::LL { a, b }, true) => Op::[<$c LLBrNez>] { a, b, t },
                        (Bin::$c, BrShape::LL { a, b }, false) => Op::[<$c LLBrEqz>] { a, b, t },
                        (Bin::$c, BrShape::LI { a, imm }, true) => Op::[<$c LIBrNez>] { a, imm, t },
                        (Bin::$c, BrShape::LI { a, imm }, false) => Op::[<$c LIBrEqz>] { a, imm, t },
                        (Bin::$c, BrShape::Stack, true) => Op::[<$c BrNez>] { t },
                        (Bin::$c, BrShape::Stack, false) => Op::[<$c BrEqz>] { t },
                        (Bin::$c, BrShape::L { b }, true) => Op::[<$c LBrNez>] { b, t },
                        (Bin::$c, BrShape::L { b }, false) => Op::[<$c LBrEqz>] { b, t },
                        (Bin::$c, BrShape::I { imm }, true) => Op::[<$c IBrNez>] { imm, t },
                        (Bin::$c, BrShape::I { imm }, false) => Op::[<$c IBrEqz>] { imm, t },
                    )*
                    _ => return None,
                })
            }
        }

        /// A fusable division or remainder (they trap).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Div { $($dv,)* }

        impl Div {
            pub fn of(op: Op) -> Option<Div> {
                match op {
                    $(Op::$dv => Some(Div::$dv),)*
                    _ => None,
                }
            }
            pub fn l(self, b: u32) -> Op {
                match self { $(Div::$dv => Op::[<$dv L>] { b },)* }
            }
            pub fn ll(self, a: u32, b: u32) -> Op {
                match self { $(Div::$dv => Op::[<$dv LL>] { a, b },)* }
            }
            pub fn lls(self, a: u32, b: u32, d: u32) -> Op {
                match self { $(Div::$dv => Op::[<$dv LLS>] { a, b, d },)* }
            }
        }

        /// A fusable unary operator.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Un { $($u,)* }

        impl Un {
            pub fn of(op: Op) -> Option<Un> {
                match op {
                    $(Op::$u => Some(Un::$u),)*
                    _ => None,
                }
            }
            pub fn l(self, a: u32) -> Op {
                match self { $(Un::$u => Op::[<$u L>] { a },)* }
            }
            pub fn ls(self, a: u32, d: u32) -> Op {
                match self { $(Un::$u => Op::[<$u LS>] { a, d },)* }
            }
        }

        /// A load from memory 0.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Load { $($l,)* }

        impl Load {
            /// The load `op` is, with its static offset.
            pub fn of(op: Op) -> Option<(Load, u32)> {
                match op {
                    $(Op::$l(o) => Some((Load::$l, o)),)*
                    _ => None,
                }
            }
            pub fn l(self, a: u32, off: u32) -> Op {
                match self { $(Load::$l => Op::[<$l L>] { a, off },)* }
            }
            pub fn ls(self, a: u32, off: u32, d: u32) -> Op {
                match self { $(Load::$l => Op::[<$l LS>] { a, off, d },)* }
            }
            pub fn li(self, a: u32, imm: u32, off: u32) -> Op {
                match self { $(Load::$l => Op::[<$l LI>] { a, imm, off },)* }
            }
            pub fn get_l(self, a: u32, b: u32, off: u32) -> Op {
                match self { $(Load::$l => Op::[<$l GetL>] { a, b, off },)* }
            }
        }

        /// A scalar store to memory 0.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Store { $($s,)* }

        impl Store {
            /// The store `op` is, with its static offset.
            pub fn of(op: Op) -> Option<(Store, u32)> {
                match op {
                    $(Op::$s(o) => Some((Store::$s, o)),)*
                    _ => None,
                }
            }
            pub fn ll(self, a: u32, b: u32, off: u32) -> Op {
                match self { $(Store::$s => Op::[<$s LL>] { a, b, off },)* }
            }
            pub fn li(self, a: u32, imm: u32, off: u32) -> Op {
                match self { $(Store::$s => Op::[<$s LI>] { a, imm, off },)* }
            }
            pub fn tee(self, d: u32, off: u32) -> Op {
                match self { $(Store::$s => Op::[<$s Tee>] { d, off },)* }
            }
        }

        impl Op {
            /// How many original ops a generated superinstruction stands
            /// for (0: not one).
            fn fused_span(self) -> usize {
                match self {
                    $(
                        Op::[<$b LLS>] { .. } | Op::[<$b LIS>] { .. }
                        | Op::[<$b LLT>] { .. } | Op::[<$b LIT>] { .. } => 4,
                        Op::[<$b LL>] { .. } | Op::[<$b LI>] { .. }
                        | Op::[<$b LS>] { .. } | Op::[<$b IS>] { .. } => 3,
                        Op::[<$b S>] { .. } | Op::[<$b T>] { .. }
                        | Op::[<$b L>] { .. } | Op::[<$b I>] { .. } => 2,
                    )*
                    $(
                        Op::[<$c LLBrNez>] { .. } | Op::[<$c LLBrEqz>] { .. }
                        | Op::[<$c LIBrNez>] { .. } | Op::[<$c LIBrEqz>] { .. } => 4,
                        Op::[<$c LBrNez>] { .. } | Op::[<$c LBrEqz>] { .. }
                        | Op::[<$c IBrNez>] { .. } | Op::[<$c IBrEqz>] { .. } => 3,
                        Op::[<$c BrNez>] { .. } | Op::[<$c BrEqz>] { .. } => 2,
                    )*
                    $(
                        Op::[<$dv LLS>] { .. } => 4,
                        Op::[<$dv LL>] { .. } => 3,
                        Op::[<$dv L>] { .. } => 2,
                    )*
                    $(
                        Op::[<$u LS>] { .. } => 3,
                        Op::[<$u L>] { .. } => 2,
                    )*
                    $(
                        Op::[<$l LI>] { .. } => 4,
                        Op::[<$l LS>] { .. } | Op::[<$l GetL>] { .. } => 3,
                        Op::[<$l L>] { .. } => 2,
                    )*
                    $(
                        Op::[<$s LL>] { .. } | Op::[<$s LI>] { .. } => 3,
                        Op::[<$s Tee>] { .. } => 2,
                    )*
                    _ => 0,
                }
            }
        }
    }};
}
pub(crate) use define_fusable;

/// The operand shape of a branch-fused compare (see [`Bin::br`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrShape {
    LL {
        a: u32,
        b: u32,
    },
    LI {
        a: u32,
        imm: u32,
    },
    /// Both operands on the stack.
    Stack,
    L {
        b: u32,
    },
    I {
        imm: u32,
    },
}
