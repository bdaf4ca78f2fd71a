//! Conditions and ignore counts handed to the engine: for each breakpoint
//! location that one user breakpoint owns, its condition compiled once into
//! an engine predicate ([`crate::expr::compile`]) and its ignore count are
//! attached to the patched op (`Store::set_break_check`), so hits that do
//! not stop never leave the executor. A condition that does not compile
//! (and a location shared by several breakpoints, a breakpoint with several
//! locations, or an internal stop) keeps the session's evaluation at each
//! hit. Hit counts stay exact: the engine's are added to the breakpoint's
//! each time the checks are synced (before and after every run).

use std::collections::HashMap;

use wdb_engine::ValType;
use wdb_engine::interp::{BreakCheck, Pred};
use wdb_engine::value::FuncAddr;

use super::Session;
use super::breakpoints::BpKind;

#[cfg(test)]
mod tests;
use crate::expr::compile::{CompileCx, compile_condition};

/// The checks attached to the engine's breakpoints.
#[derive(Default)]
pub(super) struct Checks {
    /// Location -> the breakpoint number whose check is attached there,
    /// and the ignore count it was given.
    installed: HashMap<(FuncAddr, u32), (u32, u64)>,
    /// Compiled conditions by (text, function, pc); `None`: not compilable.
    compiled: HashMap<(String, FuncAddr, u32), Option<Pred>>,
}

impl Checks {
    /// Forget everything (a new runtime: other function addresses).
    pub(super) fn reset(&mut self) {
        self.installed.clear();
        self.compiled.clear();
    }
}

impl Session {
    /// Take the engine's counts back into the breakpoints, then attach a
    /// check to every location that can have one (see the module docs).
    pub(super) fn sync_break_checks(&mut self) {
        let Some(rt) = self.rt.as_mut() else {
            self.checks.installed.clear();
            return;
        };
        for ((func, pc), (n, ignore)) in self.checks.installed.drain() {
            if let Some(c) = rt.store.take_break_check(func, pc)
                && let Ok(b) = self.bps.get_mut(n)
            {
                b.hits = b.hits.saturating_add(c.hits.min(u32::MAX as u64) as u32);
                // What the engine passed over (`ignore N` may have changed
                // the count since, while nothing ran).
                let passed = ignore.saturating_sub(c.ignore);
                b.ignore = b.ignore.saturating_sub(passed.min(u32::MAX as u64) as u32);
            }
        }
        // Locations owned by exactly one breakpoint, and no internal stop.
        let mut owners: HashMap<(FuncAddr, u32), Vec<u32>> = HashMap::new();
        for b in self.bps.iter() {
            for (func_index, code_offset) in b.live_locations() {
                let func = rt.store.instance_func(rt.inst, func_index);
                if let Some(pc) = rt.store.pc_from_code_offset(func, code_offset) {
                    owners.entry((func, pc)).or_default().push(b.number);
                }
            }
        }
        for s in self.internal.iter().chain(&self.extra_stops) {
            owners.remove(&(s.func, s.pc));
        }
        let debug = self
            .loaded
            .as_ref()
            .filter(|l| l.source.available())
            .map(|l| &l.source.info);
        let module = self.loaded.as_ref().map(|l| l.module.clone());
        for ((func, pc), who) in owners {
            let [n] = who[..] else { continue };
            let Some(b) = self.bps.get(n) else { continue };
            if b.condition.is_none() && b.ignore == 0 {
                continue;
            }
            if !matches!(b.kind, BpKind::Code { .. }) || b.live_locations().len() != 1 {
                continue;
            }
            let pred = match &b.condition {
                None => None,
                Some(text) => {
                    let key = (text.clone(), func, pc);
                    if !self.checks.compiled.contains_key(&key) {
                        let code = rt.store.translated_code(func).ok();
                        let local_types: Vec<ValType> =
                            code.as_ref().map_or(Vec::new(), |c| c.local_types.clone());
                        let global_types: Vec<ValType> = module.as_ref().map_or(Vec::new(), |m| {
                            m.globals.iter().map(|g| g.content_type).collect()
                        });
                        let compiled =
                            rt.store
                                .code_offset_from_pc(func, pc)
                                .and_then(|code_offset| {
                                    let cx = CompileCx {
                                        debug,
                                        code_offset,
                                        local_types: &local_types,
                                        global_types: &global_types,
                                    };
                                    compile_condition(text, &cx).ok()
                                });
                        self.checks.compiled.insert(key.clone(), compiled);
                    }
                    match &self.checks.compiled[&key] {
                        Some(p) => Some(p.clone()),
                        // The session evaluates this one at each hit.
                        None => continue,
                    }
                }
            };
            let check = BreakCheck::new(pred, b.ignore as u64);
            if rt.store.set_break_check(func, pc, check).is_ok() {
                self.checks
                    .installed
                    .insert((func, pc), (b.number, b.ignore as u64));
            }
        }
    }

    /// Whether the engine already decided and counted this pause of
    /// breakpoint `number` at (`func`, `pc`): its condition held and no
    /// ignore count was left. `false` when there is no check there or the
    /// engine could not evaluate it: the session decides as before.
    pub(super) fn engine_counted(&mut self, number: u32, func: FuncAddr, pc: u32) -> bool {
        if self.checks.installed.get(&(func, pc)).map(|i| i.0) != Some(number) {
            return false;
        }
        let Some(rt) = self.rt.as_mut() else {
            return false;
        };
        match rt.store.break_check_mut(func, pc) {
            Some(c) if c.counted => {
                c.counted = false;
                true
            }
            _ => false,
        }
    }

    /// Whether a condition is evaluated in the engine at every location
    /// of breakpoint `number` (for `info breakpoints`-style reports, tests).
    #[cfg(test)]
    pub(super) fn condition_in_engine(&self, number: u32) -> bool {
        self.checks.installed.values().any(|&(n, _)| n == number)
    }
}
