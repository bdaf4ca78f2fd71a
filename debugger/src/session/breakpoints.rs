//! Breakpoints, watchpoints and catchpoints: the [`Breakpoints`] list and
//! keeping the store's patched breakpoints equal to the enabled ones;
//! `resolve.rs` turns a location into code offsets.

use std::collections::HashSet;

use wdb_engine::interp::WatchRange;
use wdb_engine::module::{ExternKind, Module};
use wdb_engine::wasi::BreakOn;

use super::{Res, Session};
use crate::api::*;
use crate::disasm;
use crate::error::{ErrorKind::*, err};
use crate::state::SavedBreakpoint;

#[derive(Debug, Clone)]
pub(super) enum BpKind {
    Code {
        spec: BreakSpec,
        func_index: u32,
        code_offset: u32,
        /// More locations as (func_index, code_offset): every inlined copy
        /// of a function (`break FUNC`).
        more: Vec<(u32, u32)>,
    },
    Watch {
        /// The module's memory index (`watch 1:0x10`); `None`: the default
        /// memory (exported `memory`, else memory 0).
        memory: Option<u32>,
        addr: u32,
        len: u32,
        kind: WatchKind,
    },
    CatchWasi(Option<String>),
    /// `catch throw [TAG]` / `catch catch [TAG]`.
    CatchException {
        caught: bool,
        tag: Option<String>,
    },
}

impl BpKind {
    /// Every (func_index, code_offset) a code breakpoint stops at.
    pub(super) fn code_locations(&self) -> Vec<(u32, u32)> {
        match self {
            BpKind::Code {
                func_index,
                code_offset,
                more,
                ..
            } => std::iter::once((*func_index, *code_offset))
                .chain(more.iter().copied())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// How the state file spells this breakpoint: the spec the user typed,
    /// `watch:ADDR:LEN:w|r|a` or `catch:NAME`.
    fn saved_spec(&self) -> String {
        match self {
            BpKind::Code { spec, .. } => spec.to_string(),
            BpKind::Watch {
                memory,
                addr,
                len,
                kind,
            } => format!(
                "watch:{}{addr:#x}:{len}:{}",
                memory.map_or(String::new(), |m| format!("{m}:")),
                match kind {
                    WatchKind::Read => "r",
                    WatchKind::Access => "a",
                    WatchKind::Write => "w",
                }
            ),
            BpKind::CatchWasi(n) => format!("catch:{}", n.clone().unwrap_or_default()),
            BpKind::CatchException { caught, tag } => format!(
                "catch-{}:{}",
                if *caught { "catch" } else { "throw" },
                tag.clone().unwrap_or_default()
            ),
        }
    }

    /// A watchpoint or catchpoint from its [`saved_spec`](Self::saved_spec);
    /// `None` for a code location, which must be resolved in the module.
    fn from_saved_spec(spec: &str) -> Option<Res<BpKind>> {
        if let Some(w) = spec.strip_prefix("watch:") {
            let parts: Vec<&str> = w.split(':').collect();
            let (memory, parts) = match parts.as_slice() {
                [m, rest @ ..] if rest.len() == 3 => (parse_u32(m).map(Some), rest),
                all => (Some(None), all),
            };
            Some(match (memory, parts) {
                (Some(memory), [a, l, k]) => {
                    let kind = match *k {
                        "r" => WatchKind::Read,
                        "a" => WatchKind::Access,
                        _ => WatchKind::Write,
                    };
                    match (parse_u32(a), parse_u32(l)) {
                        (Some(addr), Some(len)) => Ok(BpKind::Watch {
                            memory,
                            addr,
                            len,
                            kind,
                        }),
                        _ => Err(err(BadArgument, "bad watchpoint")),
                    }
                }
                _ => Err(err(BadArgument, "bad watchpoint")),
            })
        } else if let Some(t) = spec.strip_prefix("catch-throw:") {
            Some(Ok(BpKind::CatchException {
                caught: false,
                tag: (!t.is_empty()).then(|| t.to_string()),
            }))
        } else if let Some(t) = spec.strip_prefix("catch-catch:") {
            Some(Ok(BpKind::CatchException {
                caught: true,
                tag: (!t.is_empty()).then(|| t.to_string()),
            }))
        } else {
            spec.strip_prefix("catch:")
                .map(|c| Ok(BpKind::CatchWasi((!c.is_empty()).then(|| c.to_string()))))
        }
    }

    /// The same code location (for `break` set twice).
    fn same_code_location(&self, other: &BpKind) -> bool {
        matches!((self, other), (
            BpKind::Code { func_index: f1, code_offset: c1, .. },
            BpKind::Code { func_index: f2, code_offset: c2, .. },
        ) if f1 == f2 && c1 == c2)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Breakpoint {
    pub(super) number: u32,
    pub(super) kind: BpKind,
    pub(super) enabled: bool,
    pub(super) temporary: bool,
    pub(super) condition: Option<String>,
    pub(super) ignore: u32,
    pub(super) hits: u32,
    /// Locations turned off by `disable N.L` (indices into
    /// `kind.code_locations()`).
    pub(super) off: Vec<usize>,
}

impl Breakpoint {
    /// The code locations this breakpoint stops at: none when disabled,
    /// else those not turned off one by one.
    pub(super) fn live_locations(&self) -> Vec<(u32, u32)> {
        if !self.enabled {
            return Vec::new();
        }
        let mut v = self.kind.code_locations();
        let mut i = 0;
        v.retain(|_| {
            i += 1;
            !self.off.contains(&(i - 1))
        });
        v
    }
}

/// The user's breakpoints, watchpoints and catchpoints, in the order they
/// were set. Numbers start at 1 for each loaded module and are never reused.
#[derive(Debug, Clone)]
pub(super) struct Breakpoints {
    list: Vec<Breakpoint>,
    next: u32,
}

impl Default for Breakpoints {
    fn default() -> Self {
        Breakpoints {
            list: Vec::new(),
            next: 1,
        }
    }
}

impl<'a> IntoIterator for &'a Breakpoints {
    type Item = &'a Breakpoint;
    type IntoIter = std::slice::Iter<'a, Breakpoint>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl Breakpoints {
    pub(super) fn iter(&self) -> std::slice::Iter<'_, Breakpoint> {
        self.list.iter()
    }

    pub(super) fn iter_mut(&mut self) -> std::slice::IterMut<'_, Breakpoint> {
        self.list.iter_mut()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// None left, numbering from 1 again (a new module).
    pub(super) fn reset(&mut self) {
        *self = Breakpoints::default();
    }

    /// A new enabled breakpoint with the next number.
    pub(super) fn add(
        &mut self,
        kind: BpKind,
        temporary: bool,
        condition: Option<String>,
    ) -> &mut Breakpoint {
        let n = self.next;
        self.next += 1;
        self.list.push(Breakpoint {
            number: n,
            kind,
            enabled: true,
            temporary,
            condition,
            ignore: 0,
            hits: 0,
            off: Vec::new(),
        });
        self.list.last_mut().expect("just pushed")
    }

    pub(super) fn get(&self, n: u32) -> Option<&Breakpoint> {
        self.list.iter().find(|b| b.number == n)
    }

    pub(super) fn get_mut(&mut self, n: u32) -> Res<&mut Breakpoint> {
        self.list
            .iter_mut()
            .find(|b| b.number == n)
            .ok_or_else(|| err(NotFound, format!("No breakpoint number {n}.")))
    }

    /// `delete N`, or `delete` (all of them).
    pub(super) fn delete(&mut self, n: Option<u32>) -> Res<()> {
        match n {
            None => self.list.clear(),
            Some(n) => {
                let before = self.list.len();
                self.list.retain(|b| b.number != n);
                if self.list.len() == before {
                    return Err(err(NotFound, format!("No breakpoint number {n}.")));
                }
            }
        }
        Ok(())
    }

    /// Drop these (temporary breakpoints that were hit).
    pub(super) fn remove(&mut self, numbers: &[u32]) {
        self.list.retain(|b| !numbers.contains(&b.number));
    }

    pub(super) fn set_all_enabled(&mut self, on: bool) {
        for b in &mut self.list {
            b.enabled = on;
        }
    }

    /// The permanent breakpoint already at `kind`'s code location with this
    /// condition: `break` set again (a script run twice) reuses it.
    pub(super) fn same_as(
        &mut self,
        kind: &BpKind,
        temporary: bool,
        condition: &Option<String>,
    ) -> Option<&mut Breakpoint> {
        if temporary {
            return None;
        }
        self.list
            .iter_mut()
            .find(|b| !b.temporary && b.condition == *condition && b.kind.same_code_location(kind))
    }

    /// The WASI calls the enabled catchpoints stop at.
    pub(super) fn break_on(&self) -> Option<BreakOn> {
        let mut names = Vec::new();
        let mut all = false;
        for b in &self.list {
            if let (true, BpKind::CatchWasi(n)) = (b.enabled, &b.kind) {
                match n {
                    Some(n) => names.push(n.clone()),
                    None => all = true,
                }
            }
        }
        if all {
            Some(BreakOn::All)
        } else if names.is_empty() {
            None
        } else {
            Some(BreakOn::Names(names))
        }
    }

    /// What the state file keeps: every breakpoint but the temporary ones.
    pub(super) fn saved(&self) -> Vec<SavedBreakpoint> {
        self.list
            .iter()
            .filter(|b| !b.temporary)
            .map(|b| SavedBreakpoint {
                spec: b.kind.saved_spec(),
                enabled: b.enabled,
                temporary: b.temporary,
                condition: b.condition.clone(),
                ignore_count: b.ignore,
                hits: b.hits,
            })
            .collect()
    }

    /// Saved breakpoints back, each kept once (state written before `break`
    /// reused an identical breakpoint may hold many copies of one); `resolve`
    /// turns a code spec into its location. Returns how many came back and a
    /// warning for each that did not.
    pub(super) fn restore(
        &mut self,
        saved: Vec<SavedBreakpoint>,
        resolve: impl Fn(&str) -> Res<BpKind>,
    ) -> (usize, Vec<String>) {
        let mut restored = 0;
        let mut warnings = Vec::new();
        let mut seen = HashSet::new();
        for sb in saved {
            if !seen.insert((sb.spec.clone(), sb.condition.clone(), sb.temporary)) {
                continue;
            }
            let kind = BpKind::from_saved_spec(&sb.spec).unwrap_or_else(|| resolve(&sb.spec));
            match kind {
                Ok(kind) => {
                    let b = self.add(kind, sb.temporary, sb.condition);
                    b.enabled = sb.enabled;
                    b.ignore = sb.ignore_count;
                    b.hits = sb.hits;
                    restored += 1;
                }
                Err(e) => warnings.push(format!("saved breakpoint `{}` dropped: {e}", sb.spec)),
            }
        }
        (restored, warnings)
    }
}

impl Session {
    /// `break`/`tbreak`: a new breakpoint, or the identical one already set.
    pub(super) fn set_breakpoint(
        &mut self,
        spec: BreakSpec,
        temporary: bool,
        condition: Option<String>,
    ) -> Res<Vec<Event>> {
        let kind = self.resolve_spec(&spec)?;
        if let Some(c) = &condition {
            self.check_condition(c)?;
        }
        let mut events = Vec::new();
        // A line with no code moves to the next one that has some; say so,
        // as gdb does, so the user is not surprised where it stops.
        if let BreakSpec::Line(file, line) = &spec
            && let Ok(m) = self.loaded()?.source.info.resolve_line(file, *line)
            && m.line != m.requested_line
        {
            events.push(Event::BreakpointNote(BreakpointNote::LineMoved {
                file: file.clone(),
                requested: m.requested_line,
                line: m.line,
            }));
        }
        // The same breakpoint again (a script run twice: breakpoints
        // are remembered between sessions) is the one already there,
        // enabled, not a second copy.
        if let Some(b) = self.bps.same_as(&kind, temporary, &condition) {
            let was = b.enabled;
            b.enabled = true;
            let n = b.number;
            if !was {
                self.after_bp_change();
            }
            events.push(Event::BreakpointNote(BreakpointNote::AlreadySet {
                number: n,
                enabled: !was,
            }));
            return Ok(events);
        }
        let bp = self.add_bp(kind, temporary, condition);
        self.after_bp_change();
        events.push(Event::BreakpointSet(bp));
        Ok(events)
    }

    pub(super) fn add_bp(
        &mut self,
        kind: BpKind,
        temporary: bool,
        condition: Option<String>,
    ) -> BreakpointView {
        let bp = self.bps.add(kind, temporary, condition).clone();
        self.bp_view(&bp)
    }

    pub(super) fn bp_mut(&mut self, n: u32) -> Res<&mut Breakpoint> {
        self.bps.get_mut(n)
    }

    pub(super) fn after_bp_change(&mut self) {
        self.sync_breakpoints();
        let _ = self.save_state();
    }

    pub(super) fn bp_view(&self, b: &Breakpoint) -> BreakpointView {
        let module = self.loaded.as_ref().map(|l| l.module.clone());
        let (kind, spec, func_name, code_offset) = match &b.kind {
            BpKind::Code {
                spec,
                func_index,
                code_offset,
                ..
            } => (
                BreakpointKind::Breakpoint,
                spec.to_string(),
                module.as_ref().map(|m| m.display_func_name(*func_index)),
                Some(*code_offset),
            ),
            BpKind::Watch {
                memory,
                addr,
                len,
                kind,
            } => (
                match kind {
                    WatchKind::Write => BreakpointKind::Watchpoint,
                    WatchKind::Read => BreakpointKind::ReadWatchpoint,
                    WatchKind::Access => BreakpointKind::AccessWatchpoint,
                },
                format!(
                    "{}{addr:#x} ({len} byte{})",
                    memory.map_or(String::new(), |m| format!("{m}:")),
                    if *len == 1 { "" } else { "s" }
                ),
                None,
                None,
            ),
            BpKind::CatchWasi(n) => (
                BreakpointKind::Catchpoint,
                format!("wasi {}", n.as_deref().unwrap_or("(any)")),
                None,
                None,
            ),
            // gdb: `Catchpoint 1 (throw)`.
            BpKind::CatchException { caught, tag } => (
                BreakpointKind::Catchpoint,
                format!(
                    "{}{}",
                    if *caught { "catch" } else { "throw" },
                    tag.as_deref().map(|t| format!(" {t}")).unwrap_or_default()
                ),
                None,
                None,
            ),
        };
        let locations: Vec<BreakLocation> = b
            .kind
            .code_locations()
            .into_iter()
            .enumerate()
            .map(|(i, (f, co))| BreakLocation {
                enabled: !b.off.contains(&i),
                ..self.break_location(f, co, &b.kind)
            })
            .collect();
        // The first location names the breakpoint (an inlined function's
        // frame, not the wasm function it was inlined into).
        let (func_name, source) = match locations.first() {
            Some(l) => (Some(l.func_name.clone()), l.source.clone()),
            None => (func_name, None),
        };
        BreakpointView {
            number: b.number,
            kind,
            spec,
            enabled: b.enabled,
            temporary: b.temporary,
            func_name,
            code_offset,
            source,
            condition: b.condition.clone(),
            ignore_count: b.ignore,
            hits: b.hits,
            locations,
        }
    }

    /// Make the store's patched breakpoints equal the enabled ones plus the
    /// debugger's own internal stop, and the watch list equal the watchpoints.
    pub(super) fn sync_breakpoints(&mut self) {
        let Some(rt) = self.rt.as_mut() else { return };
        let mut want = HashSet::new();
        for b in &self.bps {
            for (func_index, code_offset) in b.live_locations() {
                let func = rt.store.instance_func(rt.inst, func_index);
                if let Some(pc) = rt.store.pc_from_code_offset(func, code_offset) {
                    want.insert((func, pc));
                }
            }
        }
        for s in self.internal.iter().chain(&self.extra_stops) {
            want.insert((s.func, s.pc));
        }
        let old: Vec<_> = rt.patched.difference(&want).copied().collect();
        for (f, pc) in old {
            rt.store.clear_breakpoint(f, pc);
            rt.patched.remove(&(f, pc));
        }
        let new: Vec<_> = want.difference(&rt.patched).copied().collect();
        for (f, pc) in new {
            if rt.store.set_breakpoint(f, pc).is_ok() {
                rt.patched.insert((f, pc));
            }
        }
        if let Ok(mut ctx) = rt.wasi.lock() {
            ctx.break_on = self.bps.break_on();
        }
        // Exception catchpoints: every tag (an empty list) unless each one
        // names its tag.
        let catches = |caught: bool| {
            let (mut names, mut any, mut some) = (Vec::new(), false, false);
            for b in &self.bps {
                if let (true, BpKind::CatchException { caught: c, tag }) = (b.enabled, &b.kind)
                    && *c == caught
                {
                    some = true;
                    match tag {
                        Some(t) => names.push(t.clone()),
                        None => any = true,
                    }
                }
            }
            some.then(|| if any { Vec::new() } else { names })
        };
        rt.ctl.catch_throw = catches(false);
        rt.ctl.catch_catch = catches(true);
        let default_mem = rt.store.instance_memory(rt.inst);
        let memories = rt.store.instance_module(rt.inst).memories.len() as u32;
        rt.ctl.watch.clear();
        rt.watch_numbers.clear();
        for b in &self.bps {
            if let (
                true,
                BpKind::Watch {
                    memory,
                    addr,
                    len,
                    kind,
                },
            ) = (b.enabled, &b.kind)
            {
                let memory = match memory {
                    Some(i) if *i < memories => Some(rt.store.instance_memory_at(rt.inst, *i)),
                    Some(_) => None,
                    None => default_mem,
                };
                let Some(memory) = memory else { continue };
                rt.ctl.watch.push(WatchRange {
                    memory,
                    addr: *addr,
                    len: *len,
                    on_read: *kind != WatchKind::Write,
                    on_write: *kind != WatchKind::Read,
                });
                rt.watch_numbers.push(b.number);
            }
        }
        self.sync_break_checks();
        self.sync_component_gate();
    }
}

mod resolve;
#[cfg(test)]
mod tests;
