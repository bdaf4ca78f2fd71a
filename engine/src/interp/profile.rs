//! A call-stack-aware profile for the DEBUG executor: a calling-context tree
//! (one node per distinct stack of functions), with exact calls and
//! self-instruction counts per node, optional per-`pc` counts, and sampled
//! wall time.
//!
//! The executor touches it in four places only (entry, call, return, each
//! instruction), and only when `RunControl::stacks` is `Some`, so the plain
//! path is unchanged and the DEBUG path pays one branch when it is off.

use std::time::Instant;

use crate::value::FuncAddr;

/// The root node: no function, the stack of nothing.
pub const ROOT: u32 = 0;

/// One calling context: `func` called from the context `parent`.
#[derive(Debug, Clone, Default)]
pub struct StackNode {
    pub func: FuncAddr,
    pub parent: u32,
    /// Child contexts as (callee, node index); few per node, so a vector.
    pub children: Vec<(FuncAddr, u32)>,
    /// Times this context was entered (exact).
    pub calls: u64,
    /// Instructions executed with this context innermost (exact).
    pub self_instructions: u64,
    /// Samples taken with this context innermost.
    pub samples: u64,
    /// Wall time charged by those samples.
    pub self_nanos: u64,
}

/// The calling-context tree; see the module docs.
#[derive(Debug, Clone)]
pub struct StackProfile {
    /// `nodes[ROOT]` is the root.
    pub nodes: Vec<StackNode>,
    /// The innermost context now.
    pub current: u32,
    /// Take a time sample every this many instructions (0 = never).
    pub sample_every: u32,
    /// Count instructions per `(func, pc)` into `pc_counts`.
    pub count_pcs: bool,
    /// Per function address, per `pc`: instructions executed there.
    pub pc_counts: Vec<Vec<u64>>,
    until_sample: u32,
    last_sample: Option<Instant>,
}

impl Default for StackProfile {
    fn default() -> Self {
        StackProfile::new(4096, false)
    }
}

impl StackProfile {
    pub fn new(sample_every: u32, count_pcs: bool) -> StackProfile {
        StackProfile {
            nodes: vec![StackNode::default()],
            current: ROOT,
            sample_every,
            count_pcs,
            pc_counts: Vec::new(),
            until_sample: sample_every,
            last_sample: None,
        }
    }

    /// A fresh computation starts at the root (a trapped one may have left
    /// `current` deep in the tree).
    pub(crate) fn reset_stack(&mut self) {
        self.current = ROOT;
        self.last_sample = Some(Instant::now());
    }

    /// `func` was called from the current context.
    #[inline]
    pub(crate) fn enter(&mut self, func: FuncAddr) {
        let cur = self.current as usize;
        let next = match self.nodes[cur].children.iter().find(|c| c.0 == func) {
            Some(&(_, n)) => n,
            None => {
                let n = self.nodes.len() as u32;
                self.nodes.push(StackNode {
                    func,
                    parent: self.current,
                    ..StackNode::default()
                });
                self.nodes[cur].children.push((func, n));
                n
            }
        };
        self.nodes[next as usize].calls += 1;
        self.current = next;
    }

    /// The current context returned to its caller.
    #[inline]
    pub(crate) fn leave(&mut self) {
        self.current = self.nodes[self.current as usize].parent;
    }

    /// One instruction at `pc` of `func` is about to run.
    #[inline]
    pub(crate) fn instruction(&mut self, func: FuncAddr, pc: usize) {
        let cur = self.current as usize;
        self.nodes[cur].self_instructions += 1;
        if self.count_pcs {
            let f = func as usize;
            if self.pc_counts.len() <= f {
                self.pc_counts.resize(f + 1, Vec::new());
            }
            let v = &mut self.pc_counts[f];
            if v.len() <= pc {
                v.resize(pc + 1, 0);
            }
            v[pc] += 1;
        }
        if self.sample_every != 0 {
            // `<= 1`, not `== 0` after decrementing: `sample_every` is public
            // and may be changed after construction.
            if self.until_sample <= 1 {
                self.until_sample = self.sample_every;
                self.sample();
            } else {
                self.until_sample -= 1;
            }
        }
    }

    /// Charge the wall time since the previous sample to the current context.
    pub fn sample(&mut self) {
        let now = Instant::now();
        let last = self.last_sample.replace(now).unwrap_or(now);
        let node = &mut self.nodes[self.current as usize];
        node.samples += 1;
        node.self_nanos += now.duration_since(last).as_nanos() as u64;
    }

    /// The functions of node `n`'s stack, outermost first.
    pub fn stack_of(&self, mut n: u32) -> Vec<FuncAddr> {
        let mut out = Vec::new();
        while n != ROOT {
            let node = &self.nodes[n as usize];
            out.push(node.func);
            n = node.parent;
        }
        out.reverse();
        out
    }
}
