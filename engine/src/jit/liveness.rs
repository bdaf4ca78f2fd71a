//! Which locals are live at a function's entry, at each loop header, right
//! after each call and before each compiled breakpoint check: the locals an
//! interrupt there spills for the debugger (see
//! `FuncTranslator::call_interrupt_hook`), those a frame hands to the
//! interpreter after a call (`translate/deopt.rs`), and those a breakpoint
//! check's stop saves (`translate/breakcheck.rs`: saving every local there
//! kept all of an `-O0` function's temporaries alive through its loops).
//!
//! Spilling every local at every loop header keeps dead ones (an `-O0`
//! build's many temporaries) alive through the whole loop, which made
//! debugger-compiled code of `pi-O0g` 1.8x slower than plain JIT code. A
//! local that is dead at a header is never read again before it is
//! written, so no later instruction depends on it; the debugger shows it
//! as not live there, as gdb shows a variable optimized out.
//!
//! A classic backward data-flow over the basic blocks of the structured
//! body: `live_in(b) = reads_before_writes(b) ∪ (live_out(b) - writes(b))`.

use std::collections::HashMap;

use wasmparser::Operator;

use crate::error::{Error, ErrorKind, Result};
use crate::module::Module;

/// A set of local indices, one bit each.
pub(crate) type LocalSet = Vec<u64>;

pub(crate) fn contains(set: &[u64], local: usize) -> bool {
    set.get(local / 64)
        .is_some_and(|w| w >> (local % 64) & 1 != 0)
}

/// The live locals of one function.
#[derive(Debug)]
pub(crate) struct Liveness {
    /// At entry, before the first instruction.
    pub entry: LocalSet,
    /// At each loop header, by the loop's `code_offset`.
    pub loops: HashMap<u32, LoopLocals>,
    /// Right after each call that returns here (`call`, `call_indirect`,
    /// `call_ref`), by the call's `code_offset`.
    pub after_calls: HashMap<u32, LocalSet>,
    /// Before the instruction at each `code_offset` asked for (`analyze`'s
    /// `sites`).
    pub at_sites: HashMap<u32, LocalSet>,
}

impl Liveness {
    /// How many local saves the loops cost: at each header, the locals its
    /// slow path saves and those saved on entering it.
    pub(crate) fn saves(&self) -> u32 {
        let count = |s: &[u64]| s.iter().map(|w| w.count_ones()).sum::<u32>();
        self.loops
            .values()
            .map(|l| count(&l.varying) + count(&l.save_on_entry))
            .sum()
    }
}

/// The live locals at one loop header, split by where code for the
/// debugger saves them: a local the loop never writes keeps the value it
/// had on entering the loop, so it is saved once there, and the slow path
/// of the header's interrupt check uses only the others (using a loop
/// invariant there kept it in a register for the whole loop).
#[derive(Debug, Clone)]
pub(crate) struct LoopLocals {
    pub live: LocalSet,
    /// Live and written in the loop: saved in the slow path.
    pub varying: LocalSet,
    /// Live, not written in the loop, and not saved on entering an
    /// enclosing loop already (where it is live and unwritten too): saved
    /// on entering this loop.
    pub save_on_entry: LocalSet,
}

struct Block {
    /// Read before any write in the block.
    reads: LocalSet,
    writes: LocalSet,
    succs: Vec<u32>,
}

/// A structured construct the body is in.
enum Frame {
    Block {
        end: u32,
    },
    Loop {
        header: u32,
        end: u32,
    },
    If {
        else_block: u32,
        end: u32,
        has_else: bool,
    },
}

impl Frame {
    fn end(&self) -> u32 {
        match self {
            Frame::Block { end } | Frame::Loop { end, .. } | Frame::If { end, .. } => *end,
        }
    }

    /// Where a branch to this construct goes.
    fn target(&self) -> u32 {
        match self {
            Frame::Loop { header, .. } => *header,
            f => f.end(),
        }
    }
}

struct Graph {
    words: usize,
    blocks: Vec<Block>,
}

impl Graph {
    fn new_block(&mut self) -> u32 {
        self.blocks.push(Block {
            reads: vec![0; self.words],
            writes: vec![0; self.words],
            succs: Vec::new(),
        });
        self.blocks.len() as u32 - 1
    }

    fn edge(&mut self, from: u32, to: u32) {
        self.blocks[from as usize].succs.push(to);
    }

    fn read(&mut self, b: u32, local: u32) {
        let (w, bit) = ((local / 64) as usize, 1u64 << (local % 64));
        let blk = &mut self.blocks[b as usize];
        if blk.writes[w] & bit == 0 {
            blk.reads[w] |= bit;
        }
    }

    fn write(&mut self, b: u32, local: u32) {
        let (w, bit) = ((local / 64) as usize, 1u64 << (local % 64));
        self.blocks[b as usize].writes[w] |= bit;
    }

    /// `live_in` of every block, iterated to the fixed point (blocks are
    /// numbered roughly in code order, so a backward sweep converges fast).
    fn solve(&self) -> Vec<LocalSet> {
        let mut live: Vec<LocalSet> = self.blocks.iter().map(|b| b.reads.clone()).collect();
        let mut out = vec![0u64; self.words];
        let mut changed = true;
        while changed {
            changed = false;
            for (i, b) in self.blocks.iter().enumerate().rev() {
                out.iter_mut().for_each(|w| *w = 0);
                for s in &b.succs {
                    for (o, l) in out.iter_mut().zip(&live[*s as usize]) {
                        *o |= l;
                    }
                }
                for (w, o) in out.iter().enumerate() {
                    let new = b.reads[w] | (o & !b.writes[w]);
                    if new != live[i][w] {
                        live[i][w] = new;
                        changed = true;
                    }
                }
            }
        }
        live
    }
}

/// The live locals of defined function `func_index` (a validated body);
/// `None` when it handles exceptions (edges from every throwing site to its
/// handlers, which this analysis does not follow). `sites`: the
/// `code_offset`s whose live set `Liveness::at_sites` gives.
pub(crate) fn analyze(module: &Module, func_index: u32, sites: &[u32]) -> Result<Option<Liveness>> {
    analyze_with(module, func_index, sites, Watched::default())
}

/// The memory accesses that are sites too (their live sets in
/// `Liveness::at_sites`): the ones code compiled with watch checks can stop
/// after, where the stop saves the locals live there.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Watched {
    pub stores: bool,
    pub loads: bool,
}

impl Watched {
    fn covers(self, op: &Operator<'_>) -> bool {
        match super::guard::memory_access(op) {
            Some(super::guard::Access::Store) => self.stores,
            Some(super::guard::Access::Load) => self.loads,
            None => false,
        }
    }
}

/// [`analyze`], with the accesses `watched` as sites too.
pub(crate) fn analyze_with(
    module: &Module,
    func_index: u32,
    sites: &[u32],
    watched: Watched,
) -> Result<Option<Liveness>> {
    let sites: std::collections::HashSet<u32> = sites.iter().copied().collect();
    let any_watched = watched.stores || watched.loads;
    let malformed = |e: wasmparser::BinaryReaderError| {
        Error::at(ErrorKind::Malformed, e.message(), e.offset() as usize)
    };
    let nlocals = module.local_types(func_index).len();
    let body = module
        .body(func_index)
        .expect("only defined functions are analyzed");
    let range = body.range.clone();
    let reader = wasmparser::BinaryReader::new(&module.bytes[range.clone()], range.start as u64);
    let mut ops = wasmparser::FunctionBody::new(reader)
        .get_operators_reader()
        .map_err(malformed)?;

    let mut g = Graph {
        words: nlocals.div_ceil(64),
        blocks: Vec::new(),
    };
    let entry = g.new_block();
    let exit = g.new_block();
    let mut ctrl = vec![Frame::Block { end: exit }];
    let mut cur = entry;
    // (code_offset, header block, enclosing loop) of each loop, the locals
    // each one writes (nested loops included), and the loops now open.
    let mut loops: Vec<(u32, u32, Option<usize>)> = Vec::new();
    let mut written: Vec<LocalSet> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    // (code_offset, the block that starts after it) of each call.
    let mut calls: Vec<(u32, u32)> = Vec::new();
    // (code_offset, the block that starts there) of each site.
    let mut at_sites: Vec<(u32, u32)> = Vec::new();
    let target = |ctrl: &[Frame], depth: u32| ctrl[ctrl.len() - 1 - depth as usize].target();
    while !ops.eof() {
        let (op, module_offset) = ops.read_with_offset().map_err(malformed)?;
        if !sites.is_empty() || any_watched {
            // A site starts a block of its own, whose live-in set is the
            // answer (splitting a block changes no other block's sets). A
            // memory access reads no local, so the set before it is also
            // the set after it, where a watch stop is.
            let code_offset = module.code_offset_from_module_offset(module_offset as usize);
            if sites.contains(&code_offset) || watched.covers(&op) {
                let next = g.new_block();
                g.edge(cur, next);
                cur = next;
                at_sites.push((code_offset, next));
            }
        }
        use Operator as O;
        match op {
            O::LocalGet { local_index } => g.read(cur, local_index),
            O::LocalSet { local_index } | O::LocalTee { local_index } => {
                g.write(cur, local_index);
                for &l in &open {
                    written[l][(local_index / 64) as usize] |= 1 << (local_index % 64);
                }
            }
            O::Block { .. } => {
                let end = g.new_block();
                ctrl.push(Frame::Block { end });
            }
            O::Loop { .. } => {
                let header = g.new_block();
                g.edge(cur, header);
                cur = header;
                loops.push((
                    module.code_offset_from_module_offset(module_offset as usize),
                    header,
                    open.last().copied(),
                ));
                written.push(vec![0; g.words]);
                open.push(loops.len() - 1);
                let end = g.new_block();
                ctrl.push(Frame::Loop { header, end });
            }
            O::If { .. } => {
                let then_block = g.new_block();
                let else_block = g.new_block();
                g.edge(cur, then_block);
                g.edge(cur, else_block);
                let end = g.new_block();
                ctrl.push(Frame::If {
                    else_block,
                    end,
                    has_else: false,
                });
                cur = then_block;
            }
            O::Else => {
                if let Some(Frame::If {
                    else_block,
                    end,
                    has_else,
                }) = ctrl.last_mut()
                {
                    let (e, end) = (*else_block, *end);
                    *has_else = true;
                    g.edge(cur, end);
                    cur = e;
                }
            }
            O::End => {
                let Some(f) = ctrl.pop() else { break };
                if let Frame::Loop { .. } = f {
                    open.pop();
                }
                if let Frame::If {
                    else_block,
                    end,
                    has_else: false,
                } = f
                {
                    g.edge(else_block, end);
                }
                g.edge(cur, f.end());
                cur = f.end();
            }
            O::Br { relative_depth } => {
                g.edge(cur, target(&ctrl, relative_depth));
                cur = g.new_block();
            }
            O::BrIf { relative_depth }
            | O::BrOnNull { relative_depth }
            | O::BrOnNonNull { relative_depth } => {
                g.edge(cur, target(&ctrl, relative_depth));
                let next = g.new_block();
                g.edge(cur, next);
                cur = next;
            }
            O::TryTable { .. }
            | O::Try { .. }
            | O::Catch { .. }
            | O::CatchAll
            | O::Delegate { .. } => return Ok(None),
            O::BrTable { targets } => {
                g.edge(cur, target(&ctrl, targets.default()));
                for t in targets.targets() {
                    g.edge(cur, target(&ctrl, t.map_err(malformed)?));
                }
                cur = g.new_block();
            }
            // A call ends a block, so the live set after it is a block's.
            O::Call { .. } | O::CallIndirect { .. } | O::CallRef { .. } => {
                let next = g.new_block();
                g.edge(cur, next);
                cur = next;
                calls.push((
                    module.code_offset_from_module_offset(module_offset as usize),
                    next,
                ));
            }
            O::Return
            | O::Unreachable
            | O::ReturnCall { .. }
            | O::ReturnCallIndirect { .. }
            | O::ReturnCallRef { .. } => cur = g.new_block(),
            _ => {}
        }
    }
    let live = g.solve();
    let unwritten_live = |l: usize| -> LocalSet {
        let h = loops[l].1 as usize;
        live[h]
            .iter()
            .zip(&written[l])
            .map(|(v, w)| v & !w)
            .collect()
    };
    Ok(Some(Liveness {
        entry: live[entry as usize].clone(),
        after_calls: calls
            .iter()
            .map(|&(code_offset, b)| (code_offset, live[b as usize].clone()))
            .collect(),
        at_sites: at_sites
            .iter()
            .map(|&(code_offset, b)| (code_offset, live[b as usize].clone()))
            .collect(),
        loops: (0..loops.len())
            .map(|l| {
                let (code_offset, h, parent) = loops[l];
                let live = live[h as usize].clone();
                let varying = live.iter().zip(&written[l]).map(|(v, w)| v & w).collect();
                let kept = unwritten_live(l);
                let save_on_entry = match parent {
                    Some(p) => kept
                        .iter()
                        .zip(unwritten_live(p))
                        .map(|(k, p)| k & !p)
                        .collect(),
                    None => kept,
                };
                let locals = LoopLocals {
                    live,
                    varying,
                    save_on_entry,
                };
                (code_offset, locals)
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(wat: &str) -> (Liveness, std::sync::Arc<Module>) {
        let bytes = wat::parse_str(wat).expect("valid wat");
        let m = std::sync::Arc::new(Module::new(bytes).expect("valid module"));
        let f = m.num_imported_funcs;
        (
            analyze(&m, f, &[])
                .expect("analyzes")
                .expect("no exceptions"),
            m,
        )
    }

    /// The `code_offset` of the first instruction of function `f` that
    /// `is` picks.
    fn first_offset(m: &Module, f: u32, is: impl Fn(&Operator<'_>) -> bool) -> u32 {
        let body = m.body(f).expect("defined");
        let reader =
            wasmparser::BinaryReader::new(&m.bytes[body.range.clone()], body.range.start as u64);
        let mut ops = wasmparser::FunctionBody::new(reader)
            .get_operators_reader()
            .expect("operators");
        loop {
            let (op, at) = ops.read_with_offset().expect("an op");
            if is(&op) {
                return m.code_offset_from_module_offset(at as usize);
            }
        }
    }

    fn set(s: &LocalSet, n: usize) -> Vec<usize> {
        (0..n).filter(|i| contains(s, *i)).collect()
    }

    fn only_loop(l: &Liveness) -> &LocalSet {
        assert_eq!(l.loops.len(), 1);
        &l.loops.values().next().expect("one loop").live
    }

    #[test]
    fn a_temporary_written_before_read_in_the_loop_is_dead_at_its_header() {
        // $t is set then read inside each iteration; $i and $acc carry over.
        let (l, _) = live(
            r#"(module (func (param $n i32) (result i32) (local $i i32) (local $acc i32) (local $t i32)
                (loop $top
                  (local.set $t (i32.mul (local.get $i) (i32.const 3)))
                  (local.set $acc (i32.add (local.get $acc) (local.get $t)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
                (local.get $acc)))"#,
        );
        assert_eq!(set(only_loop(&l), 4), vec![0, 1, 2]);
        // At entry: every local read before written (locals start at zero).
        assert_eq!(set(&l.entry, 4), vec![0, 1, 2]);
    }

    #[test]
    fn a_local_read_only_after_the_loop_is_live_through_it() {
        let (l, _) = live(
            r#"(module (func (param $n i32) (result i32) (local $keep i32) (local $i i32)
                (local.set $keep (i32.const 7))
                (loop $top
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
                (local.get $keep)))"#,
        );
        assert_eq!(set(only_loop(&l), 3), vec![0, 1, 2]);
        assert_eq!(set(&l.entry, 3), vec![0, 2]);
    }

    #[test]
    fn a_branch_out_of_the_loop_and_an_if_without_else_keep_their_paths() {
        // $x is read only on the path that leaves through `br $out`; $y is
        // written in the `if` arm and read after it, so live through the
        // arm-less path; $dead is written before every read.
        let (l, _) = live(
            r#"(module (func (param $c i32) (result i32) (local $x i32) (local $y i32) (local $dead i32)
                (block $out (result i32)
                  (loop $top
                    (local.set $dead (local.get $c))
                    (if (local.get $dead) (then (local.set $y (i32.const 1))))
                    (br_if $out (local.get $x) (local.get $y))
                    (drop)
                    (local.set $c (i32.sub (local.get $c) (i32.const 1)))
                    (br $top))
                  (unreachable))))"#,
        );
        assert_eq!(set(only_loop(&l), 4), vec![0, 1, 2]);
    }

    #[test]
    fn a_loop_saves_its_invariants_on_entry_and_only_what_it_writes_in_its_check() {
        // $base is written before both loops, $j only in the inner one, $i
        // in the outer one (and read in the inner one).
        let (l, _) = live(
            r#"(module (memory 1) (func (param $n i32) (local $base i32) (local $i i32) (local $j i32)
                (local.set $base (i32.const 64))
                (loop $outer
                  (local.set $j (i32.const 0))
                  (loop $inner
                    (i32.store (i32.add (local.get $base) (local.get $j)) (local.get $i))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br_if $inner (i32.lt_u (local.get $j) (i32.const 64))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))))"#,
        );
        assert_eq!(l.loops.len(), 2);
        let mut loops: Vec<_> = l.loops.iter().collect();
        loops.sort_by_key(|(offset, _)| **offset);
        let (outer, inner) = (loops[0].1, loops[1].1);
        // Outer: $n, $base, $i live; $j is written first in each iteration.
        assert_eq!(set(&outer.live, 4), vec![0, 1, 2]);
        assert_eq!(set(&outer.varying, 4), vec![2]);
        assert_eq!(set(&outer.save_on_entry, 4), vec![0, 1]);
        // Inner: $j varies; $i is unwritten here but written in the outer
        // loop, so saved on entering the inner one; $n and $base were saved
        // on entering the outer loop already.
        assert_eq!(set(&inner.live, 4), vec![0, 1, 2, 3]);
        assert_eq!(set(&inner.varying, 4), vec![3]);
        assert_eq!(set(&inner.save_on_entry, 4), vec![2]);
    }

    #[test]
    fn after_a_call_only_what_is_read_later_is_live() {
        // $a is read after the call, $t is written before its next read,
        // $dead is never read again.
        let (l, _) = live(
            r#"(module
                (func (param $a i32) (result i32) (local $t i32) (local $dead i32)
                (local.set $dead (local.get $a))
                (local.set $t (call $f))
                (local.set $t (i32.const 2))
                (i32.add (local.get $a) (local.get $t)))
                (func $f (result i32) (i32.const 1)))"#,
        );
        assert_eq!(l.after_calls.len(), 1);
        let after = l.after_calls.values().next().expect("one call");
        assert_eq!(set(after, 3), vec![0]);
    }

    #[test]
    fn at_a_breakpoint_site_only_what_is_read_later_is_live() {
        // At the `nop`: $t is read later; $dead is written before its next
        // read; $a is never read again.
        let bytes = wat::parse_str(
            r#"(module (func (param $a i32) (result i32) (local $t i32) (local $dead i32)
                (local.set $t (local.get $a))
                (local.set $dead (i32.const 5))
                (nop)
                (local.set $dead (local.get $t))
                (local.get $dead)))"#,
        )
        .expect("valid wat");
        let m = std::sync::Arc::new(Module::new(bytes).expect("valid module"));
        let f = m.num_imported_funcs;
        let nop = first_offset(&m, f, |op| matches!(op, Operator::Nop));
        let l = analyze(&m, f, &[nop])
            .expect("analyzes")
            .expect("no exceptions");
        assert_eq!(set(&l.at_sites[&nop], 3), vec![1]);
        // Asking for a site changes no other answer.
        let plain = analyze(&m, f, &[])
            .expect("analyzes")
            .expect("no exceptions");
        assert_eq!(plain.entry, l.entry);
        assert!(plain.at_sites.is_empty());
    }

    #[test]
    fn at_a_watched_store_only_what_is_read_later_is_live() {
        // At the store (where a watch stop saves the locals): $t is read
        // later, $dead is written before its next read, $a never read again.
        let bytes = wat::parse_str(
            r#"(module (memory 1) (func (param $a i32) (result i32) (local $t i32) (local $dead i32)
                (local.set $t (local.get $a))
                (local.set $dead (i32.const 5))
                (i32.store (i32.const 0) (i32.const 1))
                (local.set $dead (local.get $t))
                (local.get $dead)))"#,
        )
        .expect("valid wat");
        let m = std::sync::Arc::new(Module::new(bytes).expect("valid module"));
        let f = m.num_imported_funcs;
        let store = first_offset(&m, f, |op| matches!(op, Operator::I32Store { .. }));
        let watched = Watched {
            stores: true,
            loads: false,
        };
        let l = analyze_with(&m, f, &[], watched)
            .expect("analyzes")
            .expect("no exceptions");
        assert_eq!(set(&l.at_sites[&store], 3), vec![1]);
        let loads_only = Watched {
            stores: false,
            loads: true,
        };
        let plain = analyze_with(&m, f, &[], loads_only)
            .expect("analyzes")
            .expect("no exceptions");
        assert!(
            plain.at_sites.is_empty(),
            "a store is no site when only loads are watched"
        );
    }

    #[test]
    fn nothing_is_live_after_return_and_br_table_reaches_every_target() {
        // $a and $b are read on the paths out through `return`; $w is
        // written before the table in every iteration.
        let (l, _) = live(
            r#"(module (func (param $k i32) (result i32) (local $a i32) (local $b i32) (local $w i32)
                (loop $top
                  (local.set $w (local.get $k))
                  (block $one
                    (block $zero
                      (br_table $zero $one $top (local.get $k)))
                    (return (i32.add (local.get $a) (local.get $w))))
                  (return (local.get $b)))
                (unreachable)))"#,
        );
        assert_eq!(set(only_loop(&l), 4), vec![0, 1, 2]);
    }
}
