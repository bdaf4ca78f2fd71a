//! Fused adapters: a `canon lower` of another component's `canon lift`ed
//! export (two components composed into one graph) that copies arguments
//! and results straight from one linear memory to the other, without
//! lifting them into [`Val`]s and lowering them again.
//!
//! [`Fused::plan`] turns the function type into a [`Plan`] per parameter
//! and for the result once, when the graph is instantiated: flat scalars
//! pass through (with the canonical ABI's conversion: a `bool` becomes 0 or
//! 1, a `char` is checked), a string or list is one `realloc` in the
//! destination and one copy between the memories (a list of numbers in one
//! go), records, tuples and variants by their layout. The plan covers every
//! type but resources, and UTF-8 strings on both sides; anything else keeps
//! the [`Val`] path (`instance.rs`). Traps, bounds and alignment checks
//! are the [`Val`] path's, with its messages, and `realloc`s happen in the
//! same order, so both paths leave the same memories behind (the tests
//! below compare them byte for byte).

use std::sync::Arc;

use wasmparser::ValType;

use super::StringEncoding;
use super::abi::{
    self, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, align, align_to, call_wasm, cases, char_of, disc_size,
    fields, flags_size, mask, size, trap,
};
use super::lifted::Lifted;
use super::types::{FuncTy, Ty};
use crate::runtime::{HostError, Store};
use crate::value::{FuncAddr, Value};

type R<T> = std::result::Result<T, HostError>;

/// A scalar: how one value converts (flat and in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sc {
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
}

impl Sc {
    fn size(self) -> u32 {
        match self {
            Sc::Bool | Sc::S8 | Sc::U8 => 1,
            Sc::S16 | Sc::U16 => 2,
            Sc::S32 | Sc::U32 | Sc::F32 | Sc::Char => 4,
            Sc::S64 | Sc::U64 | Sc::F64 => 8,
        }
    }

    /// A flat value as lifting then lowering it leaves it.
    fn flat(self, x: u64) -> R<u64> {
        Ok(match self {
            Sc::Bool => (x as u32 != 0) as u64,
            Sc::S8 => x as i8 as i32 as u32 as u64,
            Sc::U8 => x as u8 as u64,
            Sc::S16 => x as i16 as i32 as u32 as u64,
            Sc::U16 => x as u16 as u64,
            Sc::S32 | Sc::U32 | Sc::F32 => x as u32 as u64,
            Sc::S64 | Sc::U64 | Sc::F64 => x,
            Sc::Char => char_of(x as u32)? as u64,
        })
    }

    /// A value loaded from memory (`size` bytes) as it is stored again.
    fn mem(self, x: u64) -> R<u64> {
        Ok(match self {
            Sc::Bool => (x != 0) as u64,
            Sc::Char => char_of(x as u32)? as u64,
            _ => x,
        })
    }
}

/// How one value of a type is copied.
#[derive(Debug)]
enum Plan {
    Scalar(Sc),
    String,
    List {
        elem: Box<Plan>,
        size: u32,
        align: u32,
        /// The elements are numbers: the list is copied as bytes.
        raw: bool,
    },
    /// A record or tuple: each field at its offset.
    Fields(Vec<(u32, Plan)>),
    /// A variant, enum, option or result: the discriminant's size, the
    /// payload's offset, the cases, and the payload's flat slots.
    Variant {
        disc: u32,
        off: u32,
        cases: Vec<Option<Plan>>,
        flat: usize,
    },
    /// Flags: size in memory (0: none, and no flat value) and mask.
    Flags(u32, u32),
}

/// The plan for `t`, or `None` when it holds a resource handle.
fn plan(t: &Ty) -> Option<Plan> {
    let sc = |s| Some(Plan::Scalar(s));
    match t {
        Ty::Bool => sc(Sc::Bool),
        Ty::S8 => sc(Sc::S8),
        Ty::U8 => sc(Sc::U8),
        Ty::S16 => sc(Sc::S16),
        Ty::U16 => sc(Sc::U16),
        Ty::S32 => sc(Sc::S32),
        Ty::U32 => sc(Sc::U32),
        Ty::S64 => sc(Sc::S64),
        Ty::U64 => sc(Sc::U64),
        Ty::F32 => sc(Sc::F32),
        Ty::F64 => sc(Sc::F64),
        Ty::Char => sc(Sc::Char),
        Ty::String => Some(Plan::String),
        Ty::List(e) => {
            let elem = plan(e)?;
            let raw = matches!(&elem, Plan::Scalar(s) if !matches!(s, Sc::Bool | Sc::Char));
            Some(Plan::List {
                elem: Box::new(elem),
                size: size(e),
                align: align(e),
                raw,
            })
        }
        Ty::Record(_) | Ty::Tuple(_) => {
            let mut off = 0;
            let mut out = Vec::new();
            for f in fields(t) {
                off = align_to(off, align(f));
                out.push((off, plan(f)?));
                off += size(f);
            }
            Some(Plan::Fields(out))
        }
        Ty::Flags(n) => Some(Plan::Flags(flags_size(n.len()), mask(n.len()))),
        Ty::Own(_) | Ty::Borrow(_) => None,
        Ty::Variant(_) | Ty::Enum(_) | Ty::Option(_) | Ty::Result(..) => {
            let c = cases(t)?;
            let disc = disc_size(c.len());
            let pa = c.iter().flatten().map(|t| align(t)).max().unwrap_or(1);
            let mut planned = Vec::with_capacity(c.len());
            for ct in &c {
                planned.push(match ct {
                    Some(ct) => Some(plan(ct)?),
                    None => None,
                });
            }
            Some(Plan::Variant {
                disc,
                off: align_to(disc, pa),
                cases: planned,
                flat: abi::flat_count(t) - 1,
            })
        }
    }
}

/// One side of the copy: a component instance's `memory` and `realloc`.
#[derive(Debug, Clone, Copy)]
struct Side {
    memory: Option<u32>,
    realloc: Option<FuncAddr>,
}

fn no_memory<T>() -> R<T> {
    trap("canonical ABI: a string or list crosses without a `memory` option")
}

impl Side {
    fn mem<'s>(&self, store: &'s Store) -> R<&'s [u8]> {
        match self.memory {
            Some(m) => Ok(store.memory(m)),
            None => no_memory(),
        }
    }

    /// `len` bytes at `ptr`, checked as the [`Val`] path's lifting does.
    fn check(&self, store: &Store, ptr: u32, len: u64) -> R<()> {
        let n = self.mem(store)?.len();
        if ptr as u64 + len > n as u64 {
            return trap(format!(
                "canonical ABI: {len} bytes at {ptr:#x} are out of bounds of linear memory ({n} bytes)"
            ));
        }
        Ok(())
    }

    fn load(&self, store: &Store, ptr: u32, n: u32) -> R<u64> {
        self.check(store, ptr, n as u64)?;
        let m = self.mem(store)?;
        let mut v = [0u8; 8];
        v[..n as usize].copy_from_slice(&m[ptr as usize..(ptr + n) as usize]);
        Ok(u64::from_le_bytes(v))
    }

    fn store(&self, store: &mut Store, ptr: u32, n: u32, v: u64) -> R<()> {
        let Some(m) = self.memory else {
            return no_memory();
        };
        let mem = store.memory_mut(m);
        let end = ptr as u64 + n as u64;
        if end > mem.len() as u64 {
            return trap(format!(
                "canonical ABI: a store of {n} bytes at {ptr:#x} is out of bounds"
            ));
        }
        mem[ptr as usize..end as usize].copy_from_slice(&v.to_le_bytes()[..n as usize]);
        Ok(())
    }

    fn alloc(&self, store: &mut Store, align: u32, size: u32) -> R<u32> {
        abi::alloc(store, self.realloc, self.memory, align, size)
    }
}

/// Copy `len` bytes from `sp` in `from`'s memory to `dp` in `to`'s (both
/// already checked to be in bounds).
fn copy_bytes(store: &mut Store, from: u32, sp: u32, to: u32, dp: u32, len: u32) {
    let (s, d, n) = (sp as usize, dp as usize, len as usize);
    if from == to {
        store.memory_mut(to).copy_within(s..s + n, d);
        return;
    }
    let (lo, hi) = (from.min(to) as usize, from.max(to) as usize);
    let (a, b) = store.memories.split_at_mut(hi);
    let (low, high) = (&mut a[lo].data, &mut b[0].data);
    if from < to {
        high[d..d + n].copy_from_slice(&low[s..s + n]);
    } else {
        low[d..d + n].copy_from_slice(&high[s..s + n]);
    }
}

/// A copy between two sides.
struct Copy {
    from: Side,
    to: Side,
}

impl Copy {
    /// A string `(ptr, len)` in `from`: checked and copied; where it is in `to`.
    fn string(&self, store: &mut Store, p: u32, l: u32) -> R<(u32, u32)> {
        self.from.check(store, p, l as u64)?;
        let bytes = &self.from.mem(store)?[p as usize..(p + l) as usize];
        if let Err(e) = std::str::from_utf8(bytes) {
            return trap(format!(
                "canonical ABI: invalid UTF-8 in a string at {p:#x}: {e}"
            ));
        }
        if l >= 1 << 31 {
            return trap("canonical ABI: string too long");
        }
        let np = self.to.alloc(store, 1, l)?;
        let (Some(f), Some(t)) = (self.from.memory, self.to.memory) else {
            return no_memory();
        };
        copy_bytes(store, f, p, t, np, l);
        Ok((np, l))
    }

    fn list(
        &self,
        store: &mut Store,
        e: &Plan,
        (s, a, raw): (u32, u32, bool),
        p: u32,
        l: u32,
    ) -> R<u32> {
        if !p.is_multiple_of(a) {
            return trap(format!(
                "canonical ABI: list at {p:#x} is not aligned to {a}"
            ));
        }
        let total = l as u64 * s as u64;
        self.from.check(store, p, total)?;
        if total >= 1 << 32 {
            return trap("canonical ABI: list too long");
        }
        let np = self.to.alloc(store, a, total as u32)?;
        if raw {
            let (Some(f), Some(t)) = (self.from.memory, self.to.memory) else {
                return no_memory();
            };
            copy_bytes(store, f, p, t, np, total as u32);
        } else {
            for i in 0..l {
                self.mem(store, e, p + i * s, np + i * s)?;
            }
        }
        Ok(np)
    }

    /// Copy the flat values of one value from `it` to `out`.
    fn flat(
        &self,
        store: &mut Store,
        plan: &Plan,
        it: &mut std::slice::Iter<'_, u64>,
        out: &mut Vec<u64>,
    ) -> R<()> {
        let mut next = || it.next().copied().unwrap_or(0);
        match plan {
            Plan::Scalar(s) => out.push(s.flat(next())?),
            Plan::String => {
                let (p, l) = (next() as u32, next() as u32);
                let (np, nl) = self.string(store, p, l)?;
                out.extend([np as u64, nl as u64]);
            }
            Plan::List {
                elem,
                size,
                align,
                raw,
            } => {
                let (p, l) = (next() as u32, next() as u32);
                let np = self.list(store, elem, (*size, *align, *raw), p, l)?;
                out.extend([np as u64, l as u64]);
            }
            Plan::Fields(fs) => {
                for (_, f) in fs {
                    self.flat(store, f, it, out)?;
                }
            }
            Plan::Flags(size, m) => {
                if *size != 0 {
                    out.push((next() as u32 & m) as u64);
                }
            }
            Plan::Variant { cases, flat, .. } => {
                let d = next() as u32;
                let rest: Vec<u64> = (0..*flat).map(|_| next()).collect();
                let Some(case) = cases.get(d as usize) else {
                    return trap(format!(
                        "canonical ABI: case {d} of a type with {} cases",
                        cases.len()
                    ));
                };
                out.push(d as u64);
                let start = out.len();
                if let Some(cp) = case {
                    self.flat(store, cp, &mut rest.iter(), out)?;
                }
                out.resize(start + flat, 0);
            }
        }
        Ok(())
    }

    /// Copy one value stored at `sp` in `from` to `dp` in `to`.
    fn mem(&self, store: &mut Store, plan: &Plan, sp: u32, dp: u32) -> R<()> {
        match plan {
            Plan::Scalar(s) => {
                let n = s.size();
                let v = s.mem(self.from.load(store, sp, n)?)?;
                self.to.store(store, dp, n, v)
            }
            Plan::String => {
                let p = self.from.load(store, sp, 4)? as u32;
                let l = self.from.load(store, sp + 4, 4)? as u32;
                let (np, nl) = self.string(store, p, l)?;
                self.to.store(store, dp, 4, np as u64)?;
                self.to.store(store, dp + 4, 4, nl as u64)
            }
            Plan::List {
                elem,
                size,
                align,
                raw,
            } => {
                let p = self.from.load(store, sp, 4)? as u32;
                let l = self.from.load(store, sp + 4, 4)? as u32;
                let np = self.list(store, elem, (*size, *align, *raw), p, l)?;
                self.to.store(store, dp, 4, np as u64)?;
                self.to.store(store, dp + 4, 4, l as u64)
            }
            Plan::Fields(fs) => {
                for (off, f) in fs {
                    self.mem(store, f, sp + off, dp + off)?;
                }
                Ok(())
            }
            Plan::Flags(size, m) => {
                let v = self.from.load(store, sp, *size)? as u32 & m;
                self.to.store(store, dp, *size, v as u64)
            }
            Plan::Variant {
                disc, off, cases, ..
            } => {
                let d = self.from.load(store, sp, *disc)? as u32;
                let Some(case) = cases.get(d as usize) else {
                    return trap(format!(
                        "canonical ABI: case {d} of a type with {} cases",
                        cases.len()
                    ));
                };
                self.to.store(store, dp, *disc, d as u64)?;
                match case {
                    Some(cp) => self.mem(store, cp, sp + off, dp + off),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A top-level pointer's alignment, checked as loading and storing do.
fn aligned(ptr: u32, a: u32) -> R<()> {
    if !ptr.is_multiple_of(a) {
        return trap(format!(
            "canonical ABI: pointer {ptr:#x} not aligned to {a}"
        ));
    }
    Ok(())
}

/// A `canon lower` of a lifted export, planned once.
pub(super) struct Fused {
    callee: Arc<Lifted>,
    /// Caller to callee, and back.
    args: Copy,
    results: Copy,
    /// One plan per parameter, and the parameters as one tuple (passed by
    /// pointer when they flatten to more than `MAX_FLAT_PARAMS` values).
    params: Vec<Plan>,
    params_flat: bool,
    tuple: Plan,
    tuple_size: u32,
    tuple_align: u32,
    /// The result: its plan, whether it is one flat value (else it is
    /// returned by pointer), its core type, size and alignment.
    result: Option<(Plan, bool, ValType, u32, u32)>,
}

impl Fused {
    /// The adapter for a `canon lower` (type `ty`, caller's `memory`,
    /// `realloc` and string encoding) of `callee`, when the plan covers it:
    /// the same type on both sides, UTF-8 strings, no resources.
    pub(super) fn plan(
        ty: &FuncTy,
        (memory, realloc, encoding): (Option<u32>, Option<FuncAddr>, StringEncoding),
        callee: &Arc<Lifted>,
    ) -> Option<Fused> {
        if *ty != callee.ty
            || encoding != StringEncoding::Utf8
            || callee.encoding != StringEncoding::Utf8
        {
            return None;
        }
        let params = ty
            .params
            .iter()
            .map(|(_, t)| plan(t))
            .collect::<Option<Vec<_>>>()?;
        let tuple_ty = Ty::Tuple(ty.params.iter().map(|(_, t)| t.clone()).collect());
        let tuple = plan(&tuple_ty)?;
        let result = match &ty.result {
            None => None,
            Some(t) => {
                let mut flat = Vec::new();
                abi::flatten(t, &mut flat);
                let one = flat.len() <= MAX_FLAT_RESULTS;
                let core = flat.first().copied().unwrap_or(ValType::I32);
                Some((plan(t)?, one, core, size(t), align(t)))
            }
        };
        let caller = Side { memory, realloc };
        let dst = Side {
            memory: callee.memory,
            realloc: callee.realloc,
        };
        Some(Fused {
            callee: callee.clone(),
            args: Copy {
                from: caller,
                to: dst,
            },
            results: Copy {
                from: dst,
                to: caller,
            },
            params,
            params_flat: callee.flat_params.len() <= MAX_FLAT_PARAMS,
            tuple,
            tuple_size: size(&tuple_ty),
            tuple_align: align(&tuple_ty),
            result,
        })
    }

    /// The lowered function's body: core arguments `a` of the caller, its
    /// results into `r`.
    pub(super) fn call(&self, store: &mut Store, a: &[Value], r: &mut [Value]) -> R<()> {
        // At most MAX_FLAT_PARAMS flat values and a return pointer: on the stack.
        let mut buf = [0u64; MAX_FLAT_PARAMS + 1];
        for (b, v) in buf.iter_mut().zip(a) {
            *b = abi::value_to_bits(v);
        }
        let bits = &buf[..a.len().min(buf.len())];
        let mut args_buf = [Value::I32(0); MAX_FLAT_PARAMS];
        let core_args: &[Value] = if self.params_flat {
            let mut out = Vec::with_capacity(self.callee.flat_params.len());
            let mut it = bits.iter();
            for p in &self.params {
                self.args.flat(store, p, &mut it, &mut out)?;
            }
            for ((c, t), b) in args_buf.iter_mut().zip(&self.callee.flat_params).zip(out) {
                *c = abi::bits_to_value(*t, b);
            }
            &args_buf[..self.callee.flat_params.len()]
        } else {
            let sp = bits.first().copied().unwrap_or(0) as u32;
            aligned(sp, self.tuple_align)?;
            self.args.from.check(store, sp, self.tuple_size as u64)?;
            let dp = self
                .args
                .to
                .alloc(store, self.tuple_align, self.tuple_size)?;
            self.args.mem(store, &self.tuple, sp, dp)?;
            args_buf[0] = Value::I32(dp as i32);
            &args_buf[..1]
        };
        let results = call_wasm(store, self.callee.core, core_args)?;
        if let Some((p, one, core, size, align)) = &self.result {
            let rb = [results.first().map_or(0, abi::value_to_bits)];
            if *one {
                let mut out = Vec::with_capacity(1);
                self.results.flat(store, p, &mut rb.iter(), &mut out)?;
                if let (Some(slot), Some(b)) = (r.first_mut(), out.first()) {
                    *slot = abi::bits_to_value(*core, *b);
                }
            } else {
                let sp = rb.first().copied().unwrap_or(0) as u32;
                aligned(sp, *align)?;
                self.results.from.check(store, sp, *size as u64)?;
                let dp = bits.last().copied().unwrap_or(0) as u32;
                aligned(dp, *align)?;
                self.results.mem(store, p, sp, dp)?;
            }
        }
        if let Some(pr) = self.callee.post_return {
            call_wasm(store, pr, &results)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
