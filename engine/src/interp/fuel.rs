//! Fuel and instruction counts per basic block on the plain executor.
//!
//! While a run counts fuel or instructions (`RunControl::fuel`,
//! `count_instructions`, and nothing that needs the debug executor), the
//! first op of every basic block of translated code is patched into
//! `Op::Fuel { len, orig }`: it charges the block's `len` ops at once and
//! runs the original (`FuelBlocks::orig[orig]`). A block ends after every
//! op that can leave straight-line order (branches, calls, returns,
//! throws), and begins at pc 0, at every branch and catch target, and after
//! such an op, so a block that starts runs to its end unless it traps or
//! pauses. When the fuel left is less than a block's length, the run goes
//! on in the debug executor, which counts one op at a time and stops at the
//! exact instruction: the same `pc` and fuel as counting every op.
//!
//! The count stays exact at every stop: a run that leaves the plain loop in
//! the middle of a block (a trap, a breakpoint, a watchpoint) gives back
//! what it charged for the ops that did not run (`refund`), and a run that
//! resumes in the middle of one charges the rest of it first (`enter`).
//! Plain runs carry no patch and pay nothing; the patch goes away when a
//! run without fuel starts (`Store::sync_fuel`).

use super::{Execution, RunControl, RunOutcome};
use crate::ir::{Code, FuelBlocks, HandlerKind, Op};
use crate::runtime::Store;
use crate::runtime::store::FuncKind;

impl RunControl {
    /// Whether the plain executor can serve this run with per-block counts:
    /// fuel or an instruction count, and nothing that needs every op seen.
    pub(crate) fn block_counting(&self) -> bool {
        (self.fuel.is_some() || self.count_instructions)
            && self.profile.is_none()
            && self.stacks.is_none()
            && self.catch_throw.is_none()
            && self.catch_catch.is_none()
    }

    /// Charge `n` ops: false (and nothing charged) when the fuel left is
    /// less than that.
    #[inline(always)]
    pub(super) fn charge_block(&mut self, n: u64) -> bool {
        if let Some(f) = self.fuel {
            if f < n {
                return false;
            }
            self.fuel = Some(f - n);
        }
        if self.count_instructions {
            self.instructions += n;
        }
        true
    }

    /// Give back `n` ops charged but not run.
    fn refund(&mut self, n: u64) {
        if let Some(f) = &mut self.fuel {
            *f += n;
        }
        if self.count_instructions {
            self.instructions -= n;
        }
    }
}

/// Whether `op` (an original op, from `Code::unfused`) may continue
/// anywhere but at the next pc, or runs other code first.
fn ends_block(op: Op) -> bool {
    matches!(
        op,
        Op::Unreachable
            | Op::Br(_)
            | Op::BrDrop { .. }
            | Op::BrIfNez(_)
            | Op::BrIfEqz(_)
            | Op::BrIfNezDrop { .. }
            | Op::BrTable { .. }
            | Op::Return { .. }
            | Op::Call(_)
            | Op::CallIndirect { .. }
            | Op::CallIndirect64 { .. }
            | Op::CallRef
            | Op::ReturnCall(_)
            | Op::ReturnCallIndirect { .. }
            | Op::ReturnCallRef
            | Op::Throw(_)
            | Op::ThrowRef
            | Op::Rethrow(_)
            | Op::BrOnNull { .. }
            | Op::BrOnNonNull { .. }
    )
}

/// Where `op` may branch to, if it is a branch.
fn branch_target(op: Op) -> Option<u32> {
    match op {
        Op::Br(t) | Op::BrIfNez(t) | Op::BrIfEqz(t) => Some(t),
        Op::BrDrop { target, .. }
        | Op::BrIfNezDrop { target, .. }
        | Op::BrOnNull { target, .. }
        | Op::BrOnNonNull { target, .. } => Some(target),
        _ => None,
    }
}

/// The first pc of each basic block of `code`, ascending.
pub(crate) fn block_starts(code: &Code) -> Vec<u32> {
    let n = code.unfused.len();
    let mut start = vec![false; n + 1];
    if n == 0 {
        return Vec::new();
    }
    start[0] = true;
    for (p, &op) in code.unfused.iter().enumerate() {
        if let Some(t) = branch_target(op) {
            start[(t as usize).min(n)] = true;
        }
        if ends_block(op) {
            start[p + 1] = true;
        }
    }
    for h in &code.handlers {
        if let HandlerKind::Catches(cs) = &h.kind {
            for c in cs {
                start[(c.target as usize).min(n)] = true;
            }
        }
    }
    (0..n).filter(|&p| start[p]).map(|p| p as u32).collect()
}

impl FuelBlocks {
    /// Whether a block begins at `pc`.
    fn is_start(&self, pc: u32) -> bool {
        self.starts.binary_search(&pc).is_ok()
    }

    /// The end (exclusive) of the block containing `pc`, in a function of
    /// `n` ops.
    fn end_of(&self, pc: u32, n: usize) -> u32 {
        let i = self.starts.partition_point(|&s| s <= pc);
        self.starts.get(i).copied().unwrap_or(n as u32)
    }
}

/// The op slot at a block start: under a breakpoint, the op it patched over.
fn slot(code: &mut Code, pc: u32) -> &mut Op {
    if code.ops[pc as usize] == Op::Breakpoint
        && let Some(op) = code.patched.get_mut(&pc)
    {
        return op;
    }
    &mut code.ops[pc as usize]
}

/// Patch `Op::Fuel` over the first op of every block of `code`.
pub(crate) fn patch(code: &mut Code) {
    if code.fuel.is_some() || code.ops.is_empty() {
        return;
    }
    let starts = block_starts(code);
    let n = code.ops.len();
    let mut is_start = vec![false; n];
    for &s in &starts {
        is_start[s as usize] = true;
    }
    let mut fb = FuelBlocks {
        starts,
        orig: Vec::new(),
        fused: Vec::new(),
    };
    // No superinstruction may run over the start of another block.
    for p in 0..n {
        let op = code.ops[p];
        let span = op.span();
        if span > 1 && (p + 1..(p + span).min(n)).any(|j| is_start[j]) {
            fb.fused.push((p as u32, op));
            code.ops[p] = code.unfused[p];
        }
    }
    for i in 0..fb.starts.len() {
        let s = fb.starts[i];
        let end = fb.starts.get(i + 1).copied().unwrap_or(n as u32);
        let at = slot(code, s);
        fb.orig.push(*at);
        *at = Op::Fuel {
            len: end - s,
            orig: i as u32,
        };
    }
    code.fuel = Some(Box::new(fb));
}

/// Undo [`patch`].
pub(crate) fn unpatch(code: &mut Code) {
    let Some(fb) = code.fuel.take() else {
        return;
    };
    for &s in &fb.starts {
        let at = slot(code, s);
        if let Op::Fuel { orig, .. } = *at {
            *at = fb.orig[orig as usize];
        }
    }
    for &(p, op) in fb.fused.iter().rev() {
        let span = op.span() as u32;
        // Unless a breakpoint was set in its span meanwhile.
        if code.ops[p as usize] == code.unfused[p as usize]
            && (p..p + span).all(|j| !code.patched.contains_key(&j))
        {
            code.ops[p as usize] = op;
        }
    }
}

impl Store {
    /// Put the per-block fuel patch on every translated function (`on`) or
    /// take it off: called when a run starts or resumes.
    pub(crate) fn sync_fuel(&mut self, on: bool) {
        if on == self.fuel_blocks {
            return;
        }
        for f in &mut self.funcs {
            if let FuncKind::Wasm { code: Some(c), .. } = &mut f.kind {
                let code = std::sync::Arc::make_mut(c);
                if on {
                    patch(code);
                } else {
                    unpatch(code);
                }
            }
        }
        self.fuel_blocks = on;
        // A breakpoint's check keeps the op it runs when it does not
        // stop: the one patched over now.
        let Store {
            break_checks,
            funcs,
            ..
        } = self;
        for (&(func, pc), (_, orig)) in break_checks.map.iter_mut() {
            if let Some(FuncKind::Wasm { code: Some(c), .. }) =
                funcs.get(func as usize).map(|f| &f.kind)
                && let Some(&op) = c.patched.get(&pc)
            {
                *orig = op;
            }
        }
    }
}

impl Execution {
    /// Where the innermost frame stands in its function's fuel blocks:
    /// its pc, whether a block starts there, and that block's end.
    fn fuel_frame(&self, store: &Store) -> Option<(u32, bool, u32)> {
        let f = self.frames.last()?;
        let code = store.compiled(f.func)?;
        let fb = code.fuel.as_ref()?;
        Some((f.pc, fb.is_start(f.pc), fb.end_of(f.pc, code.ops.len())))
    }

    /// Before the plain executor resumes a run that counts per block:
    /// charge the rest of the block the innermost frame stands in, unless
    /// it stands at a block's start (whose `Op::Fuel` charges it). False
    /// when the fuel left does not cover it: then the debug executor must
    /// count this block one op at a time.
    pub(super) fn fuel_enter(&self, store: &Store, ctl: &mut RunControl) -> bool {
        match self.fuel_frame(store) {
            Some((pc, false, end)) => ctl.charge_block((end - pc) as u64),
            _ => true,
        }
    }

    /// After the plain executor left a run that counts per block: give back
    /// what the block it stopped in was charged for ops that did not run.
    pub(super) fn fuel_leave(&self, store: &Store, ctl: &mut RunControl, out: &RunOutcome) {
        let Some((pc, start, end)) = self.fuel_frame(store) else {
            return;
        };
        let unrun = match out {
            // The op at `pc` trapped: it ran.
            RunOutcome::Trapped(_) => end - pc - 1,
            // A pause at a block's start comes before its `Op::Fuel`.
            RunOutcome::Paused(_) if !start => end - pc,
            _ => 0,
        };
        ctl.refund(unrun as u64);
    }

    /// The `Op::Watched` hit at `pc` goes to the debug executor, which
    /// counts it again: give back the rest of its block.
    pub(super) fn fuel_before_debug(&self, store: &Store, ctl: &mut RunControl) {
        if let Some((pc, _, end)) = self.fuel_frame(store) {
            ctl.refund((end - pc) as u64);
        }
    }
}
