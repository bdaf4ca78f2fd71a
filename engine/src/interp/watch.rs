//! Watchpoints on the plain executor: patch, don't test.
//!
//! While a run watches memory ([`super::RunControl::watch`]), the memory
//! ops of translated code are patched into [`Op::Watched`] (the original
//! stays in `Code::unfused`, as every op does): stores for `watch`, loads
//! too for `rwatch`/`awatch`. A superinstruction that contains such an
//! access is put back to its first unfused op, so no access runs unchecked.
//! `Op::Watched` checks its access against the watched ranges and runs the
//! original op; on a hit the one-instruction debug executor runs it and
//! pauses right after it with the old and new bytes. Code with no memory
//! ops, and every run without watchpoints, pays nothing; the patches follow
//! the watch list at the start of each run ([`Store::sync_watch`]) and on
//! every function translated later ([`Store::code`]).

use crate::ir::{Code, Op, StoreKind};
use crate::runtime::Store;
use crate::runtime::store::FuncKind;

use super::WatchRange;

/// Which memory ops are patched: stores (any watch), loads (a read watch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WatchPatch {
    pub loads: bool,
    pub stores: bool,
}

impl WatchPatch {
    fn of(watch: &[WatchRange]) -> WatchPatch {
        WatchPatch {
            loads: watch.iter().any(|w| w.on_read),
            stores: watch.iter().any(|w| w.on_write),
        }
    }

    fn any(self) -> bool {
        self.loads || self.stores
    }

    /// Whether the unfused op `op` is patched: it reads (`loads`) or writes
    /// (`stores`) linear memory.
    fn covers(self, code: &Code, op: Op) -> bool {
        let (reads, writes) = touches(code, op);
        (self.loads && reads) || (self.stores && writes)
    }
}

/// Whether the unfused op `op` reads and whether it writes linear memory.
fn touches(code: &Code, op: Op) -> (bool, bool) {
    match op {
        Op::I32Load(_)
        | Op::I64Load(_)
        | Op::I32Load8S(_)
        | Op::I32Load8U(_)
        | Op::I32Load16S(_)
        | Op::I32Load16U(_)
        | Op::I64Load8S(_)
        | Op::I64Load8U(_)
        | Op::I64Load16S(_)
        | Op::I64Load16U(_)
        | Op::I64Load32S(_)
        | Op::I64Load32U(_) => (true, false),
        Op::I32Store(_)
        | Op::I64Store(_)
        | Op::I32Store8(_)
        | Op::I32Store16(_)
        | Op::I64Store8(_)
        | Op::I64Store16(_)
        | Op::I64Store32(_)
        | Op::MemoryFill
        | Op::MemoryInit(_) => (false, true),
        Op::MemoryCopy => (true, true),
        Op::Simd(s) => match s.mem_access() {
            Some((_, _, write)) => (!write, write),
            None => (false, false),
        },
        Op::MemX(i) => match code.mem_ops.get(i as usize) {
            Some(x) => touches(code, x.op),
            None => (false, false),
        },
        _ => (false, false),
    }
}

/// One memory access of an op about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Access {
    /// Store address of the memory.
    pub memory: u32,
    pub addr: u64,
    pub len: u64,
    pub write: bool,
}

/// The accesses the unfused op `op` of `code` is about to make, with its
/// operands at the top of `stack[..sp]` (at most two: `memory.copy`).
pub(super) fn accesses(
    store: &Store,
    code: &Code,
    op: Op,
    stack: &[u64],
    sp: usize,
) -> [Option<Access>; 2] {
    let m0 = code.memory.unwrap_or(u32::MAX);
    let scalar = |memory: u32, depth: usize, offset: u64, len: u64, write: bool, is64: bool| {
        let base = stack[sp - depth];
        let base = if is64 { base } else { base as u32 as u64 };
        Some(Access {
            memory,
            addr: base.saturating_add(offset),
            len,
            write,
        })
    };
    let bulk = |memory: u32, src: u32, is64: bool, src64: bool, op: Op| -> [Option<Access>; 2] {
        let width = |v: u64, wide: bool| if wide { v } else { v as u32 as u64 };
        let dst = width(stack[sp - 3], is64);
        match op {
            Op::MemoryFill => [
                Some(Access {
                    memory,
                    addr: dst,
                    len: width(stack[sp - 1], is64),
                    write: true,
                }),
                None,
            ],
            Op::MemoryInit(_) => [
                Some(Access {
                    memory,
                    addr: dst,
                    len: stack[sp - 1] as u32 as u64,
                    write: true,
                }),
                None,
            ],
            _ => {
                let n = width(stack[sp - 1], is64 && src64);
                [
                    Some(Access {
                        memory: src,
                        addr: width(stack[sp - 2], src64),
                        len: n,
                        write: false,
                    }),
                    Some(Access {
                        memory,
                        addr: dst,
                        len: n,
                        write: true,
                    }),
                ]
            }
        }
    };
    let one = |a: Option<Access>| [a, None];
    match op {
        Op::MemoryFill | Op::MemoryInit(_) | Op::MemoryCopy => bulk(m0, m0, false, false, op),
        Op::MemX(i) => {
            let x = code.mem_ops[i as usize];
            let is64 = store.memories[x.mem as usize].ty.memory64;
            match x.op {
                Op::MemoryFill | Op::MemoryInit(_) | Op::MemoryCopy => {
                    let src64 = store.memories[x.src as usize].ty.memory64;
                    bulk(x.mem, x.src, is64, src64, x.op)
                }
                Op::Simd(s) => match s.mem_access() {
                    Some((_, len, write)) => one(scalar(
                        x.mem,
                        s.stack_slots().0,
                        x.offset,
                        len as u64,
                        write,
                        is64,
                    )),
                    None => [None, None],
                },
                inner => match scalar_access(inner) {
                    Some((depth, len, write)) => {
                        one(scalar(x.mem, depth, x.offset, len, write, is64))
                    }
                    None => [None, None],
                },
            }
        }
        Op::Simd(s) => match s.mem_access() {
            Some((offset, len, write)) => one(scalar(
                m0,
                s.stack_slots().0,
                offset as u64,
                len as u64,
                write,
                false,
            )),
            None => [None, None],
        },
        _ => match (scalar_access(op), static_offset(op)) {
            (Some((depth, len, write)), Some(offset)) => {
                one(scalar(m0, depth, offset as u64, len, write, false))
            }
            _ => [None, None],
        },
    }
}

/// `memory.fill`, `memory.copy` or `memory.init` (of any memory).
fn is_bulk(code: &Code, op: Op) -> bool {
    let op = match op {
        Op::MemX(i) => code.mem_ops[i as usize].op,
        op => op,
    };
    matches!(op, Op::MemoryFill | Op::MemoryInit(_) | Op::MemoryCopy)
}

/// A scalar load or store: (address operand depth, bytes, write).
#[inline(always)]
fn scalar_access(op: Op) -> Option<(usize, u64, bool)> {
    Some(match op {
        Op::I32Load8S(_) | Op::I32Load8U(_) | Op::I64Load8S(_) | Op::I64Load8U(_) => (1, 1, false),
        Op::I32Load16S(_) | Op::I32Load16U(_) | Op::I64Load16S(_) | Op::I64Load16U(_) => {
            (1, 2, false)
        }
        Op::I32Load(_) | Op::I64Load32S(_) | Op::I64Load32U(_) => (1, 4, false),
        Op::I64Load(_) => (1, 8, false),
        Op::I32Store8(_) | Op::I64Store8(_) => (2, 1, true),
        Op::I32Store16(_) | Op::I64Store16(_) => (2, 2, true),
        Op::I32Store(_) | Op::I64Store32(_) => (2, 4, true),
        Op::I64Store(_) => (2, 8, true),
        _ => return None,
    })
}

/// A memory-0 scalar load or store: (address operand depth, bytes, write,
/// static offset), for the executor's inline check.
#[inline(always)]
pub(super) fn scalar(op: Op) -> Option<(usize, u64, bool, u32)> {
    let (depth, len, write) = scalar_access(op)?;
    Some((depth, len, write, static_offset(op)?))
}

/// The addresses any watched range covers, `lo..hi` over every memory
/// (empty for none): the executor's inline check; [`hit`] is exact.
pub(super) fn bounding_box(watch: &[WatchRange]) -> (u64, u64) {
    let lo = watch.iter().map(|w| w.addr as u64).min();
    let hi = watch.iter().map(|w| w.addr as u64 + w.len as u64).max();
    match (lo, hi) {
        (Some(lo), Some(hi)) => (lo, hi),
        _ => (0, 0),
    }
}

/// The static offset of a memory-0 scalar load or store.
#[inline(always)]
fn static_offset(op: Op) -> Option<u32> {
    match op {
        Op::I32Load(o)
        | Op::I64Load(o)
        | Op::I32Load8S(o)
        | Op::I32Load8U(o)
        | Op::I32Load16S(o)
        | Op::I32Load16U(o)
        | Op::I64Load8S(o)
        | Op::I64Load8U(o)
        | Op::I64Load16S(o)
        | Op::I64Load16U(o)
        | Op::I64Load32S(o)
        | Op::I64Load32U(o)
        | Op::I32Store(o)
        | Op::I64Store(o)
        | Op::I32Store8(o)
        | Op::I32Store16(o)
        | Op::I64Store8(o)
        | Op::I64Store16(o)
        | Op::I64Store32(o) => Some(o),
        _ => None,
    }
}

/// A watched access: which watch, and the bytes to report (the access
/// itself, or for a bulk op the part of it inside the watched range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hit {
    pub index: usize,
    pub memory: u32,
    pub addr: u32,
    pub len: u32,
    pub write: bool,
}

/// The first watch that `op`'s access hits, if the access is in bounds
/// (`mem_len` gives a memory's current size in bytes: an access that traps
/// changes nothing and is reported as the trap).
pub(super) fn hit(
    watch: &[WatchRange],
    store: &Store,
    code: &Code,
    op: Op,
    stack: &[u64],
    sp: usize,
    mem_len: impl Fn(u32) -> usize,
) -> Option<Hit> {
    for a in accesses(store, code, op, stack, sp).into_iter().flatten() {
        let end = a.addr.checked_add(a.len)?;
        if a.len == 0 || end > mem_len(a.memory) as u64 {
            continue;
        }
        for (index, w) in watch.iter().enumerate() {
            let (lo, hi) = (w.addr as u64, w.addr as u64 + w.len as u64);
            let kind = if a.write { w.on_write } else { w.on_read };
            if kind && w.memory == a.memory && a.addr < hi && lo < end {
                let (addr, len) = if is_bulk(code, op) {
                    (a.addr.max(lo), end.min(hi) - a.addr.max(lo))
                } else {
                    (a.addr, a.len)
                };
                return Some(Hit {
                    index,
                    memory: a.memory,
                    addr: addr as u32,
                    len: len as u32,
                    write: a.write,
                });
            }
        }
    }
    None
}

/// Patch the memory ops `p` covers in `code` (whose ops carry no watch
/// patches): superinstructions containing one go back to their first op,
/// remembered in `Code::watch_fused`.
fn patch(code: &mut Code, p: WatchPatch) {
    if !p.any() {
        return;
    }
    let n = code.ops.len();
    let mut i = 0;
    while i < n {
        let op = code.ops[i];
        let span = op.span();
        if span > 1 && (i..(i + span).min(n)).any(|j| p.covers(code, code.unfused[j])) {
            code.watch_fused.push((i as u32, op));
            code.ops[i] = code.unfused[i];
        }
        i += 1;
    }
    for pc in 0..n {
        let orig = code.unfused[pc];
        if !p.covers(code, orig) {
            continue;
        }
        // A scalar store to memory 0 is checked inline.
        let patch = match StoreKind::of_any(orig) {
            Some((k, off)) => Op::WatchedStore { k, off },
            None => Op::Watched,
        };
        match code.ops[pc] {
            // A breakpoint keeps its place; resuming it runs the check.
            Op::Breakpoint => {
                code.patched.insert(pc as u32, patch);
            }
            _ => code.ops[pc] = patch,
        }
    }
}

/// Undo [`patch`]: the originals back, and the superinstructions too
/// unless a breakpoint (which unfuses its function) is set meanwhile.
fn unpatch(code: &mut Code) {
    for pc in 0..code.ops.len() {
        if code.ops[pc].is_watch_patch() {
            code.ops[pc] = code.unfused[pc];
        } else if code.ops[pc] == Op::Breakpoint
            && code
                .patched
                .get(&(pc as u32))
                .is_some_and(|op| op.is_watch_patch())
        {
            code.patched.insert(pc as u32, code.unfused[pc]);
        }
    }
    let fused = std::mem::take(&mut code.watch_fused);
    if code.patched.is_empty() {
        for (pc, op) in fused {
            code.ops[pc as usize] = op;
        }
    }
}

impl Store {
    /// Make the patches of translated code follow `watch` (the run's
    /// watched ranges): called when a run starts or resumes.
    pub(crate) fn sync_watch(&mut self, watch: &[WatchRange]) {
        let want = WatchPatch::of(watch);
        if want == self.watch_patch {
            return;
        }
        // The fuel patch goes on top of the watch patch (`fuel.rs`).
        let fuel = self.fuel_blocks;
        self.sync_fuel(false);
        for f in &mut self.funcs {
            if let FuncKind::Wasm { code: Some(c), .. } = &mut f.kind {
                let code = std::sync::Arc::make_mut(c);
                unpatch(code);
                patch(code, want);
            }
        }
        self.watch_patch = want;
        self.sync_fuel(fuel);
    }

    /// Patch code just translated for the watchpoints in force (and the
    /// fuel blocks, `fuel.rs`).
    pub(crate) fn patch_new_code(&self, code: &mut Code) {
        patch(code, self.watch_patch);
        if self.fuel_blocks {
            super::fuel::patch(code);
        }
    }
}
