//! Inlined frames, as gdb shows them: each `DW_TAG_inlined_subroutine` level
//! active at a frame's `code_offset` is a frame of its own in `bt`, with its
//! own variables, and the frame around it stands at the call site
//! (`DW_AT_call_file`/`DW_AT_call_line`).
//!
//! Frame numbers (`frame N`, `up`, `down`, the `selected` index) count these
//! virtual frames. At a stop the innermost inlined frames that begin exactly
//! at the pc may be *hidden*: the user is shown the call site in the outer
//! frame, as gdb does, so that `step` enters the inlined call (without
//! running anything) and `next` runs over all of it.

use std::collections::HashMap;

use wdb_engine::interp::{FrameInfo, PauseReason, RunOutcome};
use wdb_engine::module::Module;
use wdb_engine::value::FuncAddr;

use super::{FrameCx, Res, Session, Stop, frame_view};
use crate::api::{BreakLocation, SourceLoc, StopReason};
use crate::dwarf::InlineFrame;
use crate::error::{ErrorKind::*, err};
use crate::source::Source;

/// One frame as the user sees it: a wasm frame, or an inlined call in it.
#[derive(Debug, Clone)]
pub(super) struct VFrame {
    /// Index of the wasm frame (0 = innermost).
    pub phys: usize,
    pub info: FrameInfo,
    /// The inlined call this frame stands for; `None`: the function itself.
    pub inline: Option<InlineFrame>,
    /// The frame's number for [`crate::dwarf::DebugInfo::variables_in_frame`].
    pub level: usize,
    /// The line this frame is at: the pc's row for the innermost shown
    /// frame, the call site of the frame inside it otherwise.
    pub loc: Option<SourceLoc>,
    /// A component's canonical ABI boundary (`[canon lower ...]`), shown as
    /// a frame of its own beside the wasm frame `phys`.
    pub canon: Option<String>,
}

/// Inlined frames hidden at a stop: valid only while the innermost wasm
/// frame is still at this `code_offset` and depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hidden {
    pub code_offset: u32,
    pub depth: usize,
    pub count: usize,
}

fn api_loc(l: &crate::dwarf::SourceLoc) -> Option<SourceLoc> {
    (l.line != 0).then(|| SourceLoc {
        file: l.file.clone(),
        line: l.line,
        column: l.column,
    })
}

/// `(file, line)` to compare lines by.
type Line = Option<(String, u32)>;

fn line_of(l: &Option<SourceLoc>) -> Line {
    l.as_ref().map(|l| (l.file.clone(), l.line))
}

/// The virtual frames of one wasm frame, innermost first, skipping `hide`.
pub(super) fn expand(source: &Source, phys: usize, info: &FrameInfo, hide: usize) -> Vec<VFrame> {
    let inl = if source.available() {
        source.info.inline_frames(info.code_offset)
    } else {
        Vec::new()
    };
    let hide = hide.min(inl.len());
    (hide..=inl.len())
        .map(|j| VFrame {
            phys,
            info: info.clone(),
            inline: inl.get(j).cloned(),
            level: j,
            loc: if j == 0 {
                source.location(info.code_offset)
            } else {
                inl[j - 1].call_site.as_ref().and_then(api_loc)
            },
            canon: None,
        })
        .collect()
}

/// How many innermost frames of `now` (innermost first) are not in the
/// `visible` chain (ids, outermost first): the inlined calls entered since.
fn new_frames<'a>(visible: &[u64], now: &'a [InlineFrame]) -> (&'a [InlineFrame], bool) {
    let outer_first: Vec<u64> = now.iter().rev().map(|f| f.id).collect();
    let common = outer_first
        .iter()
        .zip(visible)
        .take_while(|(a, b)| a == b)
        .count();
    let left_visible = common < visible.len();
    (&now[..now.len() - common], left_visible)
}

/// gdb's name match for `break NAME` on an inlined frame.
fn frame_named(f: &InlineFrame, name: &str) -> bool {
    f.name == name || f.name.ends_with(&format!("::{name}"))
}

impl Session {
    /// Inlined calls at `code_offset`, innermost first (none without DWARF).
    pub(super) fn inline_stack(&self, code_offset: u32) -> Vec<InlineFrame> {
        match &self.loaded {
            Some(l) if l.source.available() => l.source.info.inline_frames(code_offset),
            _ => Vec::new(),
        }
    }

    /// Inlined frames hidden at the current stop.
    fn hidden_now(&self, top: &FrameInfo, depth: usize) -> usize {
        match self.hidden_inline {
            Some(h) if h.code_offset == top.code_offset && h.depth == depth => h.count,
            _ => 0,
        }
    }

    fn set_hidden(&mut self, count: usize) {
        self.hidden_inline = match (count, self.top_frame()) {
            (1.., Some(top)) => Some(Hidden {
                code_offset: top.code_offset,
                depth: self.depth(),
                count,
            }),
            _ => None,
        };
    }

    /// Every frame the user sees, innermost first.
    pub(super) fn vframes(&self) -> Res<Vec<VFrame>> {
        self.vframes_upto(usize::MAX)
    }

    /// The frames up to number `n` at least (all when there are fewer):
    /// only the wasm frames needed are looked up in the DWARF.
    pub(super) fn vframes_upto(&self, n: usize) -> Res<Vec<VFrame>> {
        let l = self.loaded()?;
        // Each wasm frame is at least one frame the user sees.
        let (frames, total) = self.frames_upto(n.saturating_add(1))?;
        // Hidden frames are kept by the interpreted depth (`set_hidden`):
        // JIT frames below do not count.
        let hide = self.hidden_now(&frames[0], self.interp_depth());
        let mut out = Vec::new();
        let (lower, lift) = self.canon_frames();
        let plain = |phys: usize, info: &FrameInfo, canon: Option<String>| VFrame {
            phys,
            info: info.clone(),
            inline: None,
            level: 0,
            loc: None,
            canon,
        };
        if let Some(c) = lower {
            out.push(plain(0, &frames[0], Some(c)));
        }
        // Recursion repeats its call sites: the DWARF of each is read once.
        let mut seen: HashMap<(FuncAddr, u32), Vec<VFrame>> = HashMap::new();
        for (i, f) in frames.iter().enumerate() {
            if out.len() > n {
                break;
            }
            if self.foreign_frame(f) {
                // Another core module of a component: no DWARF of its own.
                out.push(plain(i, f, None));
                continue;
            }
            if i == 0 {
                out.extend(expand(&l.source, i, f, hide));
                continue;
            }
            let same = seen
                .entry((f.func, f.code_offset))
                .or_insert_with(|| expand(&l.source, i, f, 0));
            out.extend(same.iter().map(|v| VFrame {
                phys: i,
                info: f.clone(),
                ..v.clone()
            }));
        }
        if let Some(c) = lift
            && frames.len() == total
            && out.len() <= n
        {
            let last = frames.len() - 1;
            out.push(plain(last, &frames[last], Some(c)));
        }
        Ok(out)
    }

    /// The selected frame (clamped to the outermost).
    pub(super) fn selected_vframe(&self) -> Res<VFrame> {
        let mut v = self.vframes_upto(self.selected)?;
        let i = self.selected.min(v.len() - 1);
        Ok(v.swap_remove(i))
    }

    /// The view of frame `n` (clamped to the outermost), without reading
    /// the variables of the others.
    pub(super) fn frame_view_at(&self, n: usize) -> Res<crate::api::FrameView> {
        let module = self.module()?;
        let l = self.loaded()?;
        let mut v = self.vframes_upto(n)?;
        let i = n.min(v.len() - 1);
        let vf = v.swap_remove(i);
        Ok(self.vframe_view(&module, &l.source, i, &vf))
    }

    /// One frame's view: variables read for interpreted frames (and a JIT
    /// frame whose locals the JIT spilled at an interrupt), none otherwise.
    fn vframe_view(
        &self,
        module: &Module,
        source: &Source,
        i: usize,
        vf: &VFrame,
    ) -> crate::api::FrameView {
        if let Some(c) = &vf.canon {
            return crate::api::FrameView {
                index: i,
                func_index: vf.info.func_index,
                func_name: c.clone(),
                code_offset: vf.info.code_offset,
                args: Vec::new(),
                locals: Vec::new(),
                source: None,
                inlined: false,
                jit: false,
                canon: true,
            };
        }
        if self.foreign_frame(&vf.info) {
            return self.foreign_frame_view(i, &vf.info);
        }
        let cx = FrameCx {
            module,
            rt: self.rt.as_ref(),
            frame: Some(vf.info.clone()),
            depth: vf.phys,
            not_live: self.not_live_locals(vf.phys),
            memory: None,
        };
        let mut v = frame_view(module, source, i, vf, &cx);
        v.jit = vf.phys >= self.interp_depth();
        if self.jit_frame_without_locals(vf.phys) {
            v.args.clear();
            v.locals.clear();
        }
        v
    }

    /// The wasm frame index of the selected frame.
    pub(super) fn selected_phys(&self) -> usize {
        self.selected_vframe().map_or(self.selected, |v| v.phys)
    }

    /// Views of every frame, the `full` innermost with their variables and
    /// the others with their function and line only (a trap thousands of
    /// frames deep is reported at once; `bt` reads them all).
    pub(super) fn frame_views_paged(&self, full: usize) -> Res<Vec<crate::api::FrameView>> {
        let module = self.module()?;
        let l = self.loaded()?;
        let interp = self.interp_depth();
        Ok(self
            .vframes()?
            .iter()
            .enumerate()
            .map(|(i, vf)| {
                if i < full || vf.canon.is_some() || self.foreign_frame(&vf.info) {
                    return self.vframe_view(&module, &l.source, i, vf);
                }
                crate::api::FrameView {
                    index: i,
                    func_index: vf.info.func_index,
                    func_name: frame_name(&module, vf),
                    code_offset: vf.info.code_offset,
                    args: Vec::new(),
                    locals: Vec::new(),
                    source: vf.loc.clone(),
                    inlined: vf.inline.is_some(),
                    jit: vf.phys >= interp,
                    canon: false,
                }
            })
            .collect())
    }

    /// Views of every frame, numbered as the user counts them.
    pub(super) fn frame_views(&self) -> Res<Vec<crate::api::FrameView>> {
        let module = self.module()?;
        let l = self.loaded()?;
        Ok(self
            .vframes()?
            .iter()
            .enumerate()
            .map(|(i, vf)| self.vframe_view(&module, &l.source, i, vf))
            .collect())
    }

    /// After a breakpoint stop: `break NAME` on an inlined function shows
    /// that function's frame, and any other breakpoint at the start of
    /// inlined calls shows the call site (the inlined frames are hidden).
    pub(super) fn hide_at_breakpoint(&mut self, number: u32) {
        let Some(top) = self.top_frame() else {
            self.hidden_inline = None;
            return;
        };
        let spec = self.bps.iter().find_map(|b| match &b.kind {
            super::BpKind::Code { spec, .. } if b.number == number => Some(spec.clone()),
            _ => None,
        });
        let stack = self.inline_stack(top.code_offset);
        let count = match spec {
            Some(crate::api::BreakSpec::Function(name)) => {
                match stack.iter().position(|f| frame_named(f, &name)) {
                    Some(i) => i,
                    None => stack
                        .iter()
                        .rev()
                        .take_while(|f| f.starts_at(top.code_offset))
                        .count(),
                }
            }
            _ => 0,
        };
        self.set_hidden(count);
    }

    /// One location of a code breakpoint, named as the user named it: for
    /// `break NAME` at an inlined copy of NAME, that inlined frame.
    pub(super) fn break_location(
        &self,
        func_index: u32,
        code_offset: u32,
        kind: &super::BpKind,
    ) -> BreakLocation {
        let in_func = self.loaded.as_ref().map_or_else(
            || format!("func[{func_index}]"),
            |l| l.module.display_func_name(func_index),
        );
        let source = |co| self.loaded.as_ref().and_then(|l| l.source.location(co));
        if let super::BpKind::Code {
            spec: crate::api::BreakSpec::Function(name),
            ..
        } = kind
        {
            let stack = self.inline_stack(code_offset);
            if let Some(i) = stack.iter().position(|f| frame_named(f, name)) {
                let loc = if i == 0 {
                    source(code_offset)
                } else {
                    stack[i - 1].call_site.as_ref().and_then(api_loc)
                };
                return BreakLocation {
                    code_offset,
                    enabled: true,
                    func_name: stack[i].name.clone(),
                    source: loc,
                    inlined: true,
                    in_func,
                };
            }
        }
        BreakLocation {
            code_offset,
            enabled: true,
            func_name: in_func.clone(),
            source: source(code_offset),
            inlined: false,
            in_func,
        }
    }

    /// `step`/`next`: by source line with DWARF, by instruction without.
    /// With inlining, a line belongs to the innermost frame shown: `next`
    /// runs over inlined calls, `step` stops at their call site and then
    /// enters them.
    pub(super) fn source_step(&mut self, over: bool) -> Res<Stop> {
        let start = self
            .top_frame()
            .ok_or_else(|| err(NotRunning, "no frame"))?;
        let d0 = self.depth();
        let deopts = self.deopt_count();
        let start_inl = self.inline_stack(start.code_offset);
        let h0 = self.hidden_now(&start, d0).min(start_inl.len());
        self.hidden_inline = None;
        // `step` at the call site of an inlined function enters it, as gdb
        // does: nothing runs, one hidden frame is shown.
        if !over && h0 > 0 {
            self.set_hidden(h0 - 1);
            return Ok(Stop::At(StopReason::Step));
        }
        let visible: Vec<u64> = start_inl[h0..].iter().rev().map(|f| f.id).collect();
        let line_at = |s: &Self, co: u32| {
            s.loaded
                .as_ref()
                .and_then(|l| l.source.location(co))
                .map(|l| (l.file, l.line))
        };
        let start_line = if h0 == 0 {
            line_at(self, start.code_offset)
        } else {
            line_of(&start_inl[h0 - 1].call_site.as_ref().and_then(api_loc))
        };
        loop {
            let before = self.depth();
            let mut stop = if over {
                self.next_instruction()?
            } else {
                Stop::from_step(self.engine_step())
            };
            // Stepping onto a user breakpoint stops there, as gdb reports it.
            if let Stop::Outcome(RunOutcome::Paused(PauseReason::Breakpoint { func, pc })) = stop {
                match self.breakpoint_hit(func, pc)? {
                    Some(s) => {
                        if let Some(n) = s.breakpoint_number() {
                            self.hide_at_breakpoint(n);
                        }
                        return Ok(s);
                    }
                    None => stop = Stop::At(StopReason::Step),
                }
            }
            if !matches!(stop, Stop::At(StopReason::Step)) || start_line.is_none() {
                return Ok(stop);
            }
            if self.interrupted() {
                return Ok(Stop::At(StopReason::Interrupted));
            }
            let mut f = self
                .top_frame()
                .ok_or_else(|| err(NotRunning, "no frame"))?;
            // `step` into a function without line information runs over it, as gdb does.
            if self.depth() > before && line_at(self, f.code_offset).is_none() {
                stop = self.run_until_depth(before)?;
                if !matches!(stop, Stop::At(StopReason::Step)) {
                    return Ok(stop);
                }
                f = self
                    .top_frame()
                    .ok_or_else(|| err(NotRunning, "no frame"))?;
            }
            let co = f.code_offset;
            let here = line_at(self, co);
            let boundary = self
                .loaded
                .as_ref()
                .is_some_and(|l| l.source.is_stmt_boundary(co));
            if self.depth() != d0 || self.deopt_count() != deopts {
                // Entered a function (`step`) or returned to the caller
                // (an interpreted one, or a JIT one that went on interpreted).
                if here.is_some() && boundary {
                    return Ok(stop);
                }
                continue;
            }
            let now = self.inline_stack(co);
            let (extra, left) = new_frames(&visible, &now);
            let Some(outer) = extra.last() else {
                // The frame we started in, or one around it.
                if here.is_some() && boundary && (here != start_line || left) {
                    return Ok(stop);
                }
                continue;
            };
            if outer.starts_at(co) {
                // The start of an inlined call: stop at its call site, or
                // (`step` from that very line) in it.
                let site = line_of(&outer.call_site.as_ref().and_then(api_loc));
                let same_line = site == start_line && !left;
                if !over && same_line {
                    self.set_hidden(extra.len() - 1);
                    return Ok(stop);
                }
                if !same_line && site.is_some() {
                    self.set_hidden(extra.len());
                    return Ok(stop);
                }
                continue;
            }
            // In the middle of an inlined call: `next` runs on; `step`
            // stops at a new line in it.
            if !over && here.is_some() && boundary && here != start_line {
                return Ok(stop);
            }
        }
    }

    /// `finish` with an inlined frame selected: run until the pc leaves
    /// that inlined call's code (in its wasm frame), as gdb does. `None`
    /// when the selected frame is not inlined.
    pub(super) fn finish_inline(
        &mut self,
        vf: &VFrame,
    ) -> Res<Option<(Stop, Option<(String, usize)>)>> {
        let Some(inl) = vf.inline.clone() else {
            return Ok(None);
        };
        self.hidden_inline = None;
        let d = self.depth();
        let target = d - vf.phys;
        if vf.phys > 0 {
            match self.run_until_depth(target)? {
                Stop::At(StopReason::Step) => {}
                other => return Ok(Some((other, None))),
            }
        }
        let visible: Vec<u64> = vf_chain(&self.inline_stack(vf.info.code_offset), &inl);
        loop {
            let f = self
                .top_frame()
                .ok_or_else(|| err(NotRunning, "no frame"))?;
            if self.depth() < target {
                return Ok(Some((Stop::At(StopReason::Location), None)));
            }
            if self.depth() == target && !inl.contains(f.code_offset) {
                // Landed at the start of another inlined call: show its call site.
                let now = self.inline_stack(f.code_offset);
                let (extra, _) = new_frames(&visible, &now);
                let hide = match extra.last() {
                    Some(o) if o.starts_at(f.code_offset) => extra.len(),
                    _ => 0,
                };
                self.set_hidden(hide);
                return Ok(Some((Stop::At(StopReason::Location), Some((inl.name, 0)))));
            }
            if self.interrupted() {
                return Ok(Some((Stop::At(StopReason::Interrupted), None)));
            }
            match self.next_instruction()? {
                Stop::At(StopReason::Step) => {}
                other => return Ok(Some((other, None))),
            }
        }
    }
}

/// Ids (outermost first) of the inlined frames around `inl`, without it.
fn vf_chain(stack: &[InlineFrame], inl: &InlineFrame) -> Vec<u64> {
    let pos = stack.iter().position(|f| f.id == inl.id).unwrap_or(0);
    stack[pos + 1..].iter().rev().map(|f| f.id).collect()
}

/// A frame's function name: the inlined function, or the wasm function.
pub(super) fn frame_name(module: &Module, vf: &VFrame) -> String {
    match &vf.inline {
        Some(i) => i.name.clone(),
        None => module.display_func_name(vf.info.func_index),
    }
}

impl Stop {
    /// True for a stop the user asked for at a breakpoint.
    pub(super) fn breakpoint_number(&self) -> Option<u32> {
        match self {
            Stop::At(StopReason::Breakpoint { number, .. }) => Some(*number),
            Stop::Warned(_, inner) => inner.breakpoint_number(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
