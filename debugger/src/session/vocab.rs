//! gdb's vocabulary beyond the basic commands: counts on stepping,
//! `continue N`, `until`/`advance LOCATION`, `list` in all its forms,
//! `enable`/`disable` of everything, filtered `info functions|variables|types`,
//! `directory`, session settings (`set`/`show`) and `dump memory`.

use std::fmt::Write as _;

use wdb_engine::interp::RunOutcome;
use wdb_engine::module::ExternKind;

use super::{BpKind, InternalStop, Res, Session, Stop};
use crate::api::*;
use crate::disasm;
use crate::error::{ErrorKind::*, err};

/// Lines `list` shows unless `set listsize N` says otherwise (gdb's 10).
const LIST_LINES: u32 = 10;
/// `set listsize unlimited`.
const UNLIMITED_LINES: u32 = 1 << 24;

/// `list`'s state: where it was and how many lines it shows.
#[derive(Debug, Clone)]
pub(super) struct ListState {
    pub pos: Option<ListPos>,
    /// `set listsize N`.
    pub size: u32,
}

impl Default for ListState {
    fn default() -> Self {
        ListState {
            pos: None,
            size: LIST_LINES,
        }
    }
}

/// What `list` showed last, so `list` continues and `list -` goes back.
#[derive(Debug, Clone, Default)]
pub(super) struct ListPos {
    pub file: String,
    pub first: u32,
    pub last: u32,
    /// The stop location the listing was centred on: a new stop lists
    /// around the new location again.
    pub anchor: Option<(String, u32)>,
}

impl Session {
    /// `next 4`: the command `count` times; only the last stop is shown,
    /// and anything but a plain step ends the repetition.
    pub(super) fn repeat(&mut self, cmd: Command, count: u32) -> Res<Vec<Event>> {
        if !matches!(
            cmd,
            Command::Step
                | Command::Next
                | Command::StepInstruction
                | Command::NextInstruction
                | Command::Finish
        ) {
            return Err(err(BadArgument, format!("{cmd:?} takes no count")));
        }
        let mut events = Vec::new();
        for i in 0..count.max(1) {
            let evs = match self.dispatch(cmd.clone()) {
                Ok(evs) => evs,
                Err(e) if i == 0 => return Err(e),
                Err(e) => {
                    events.push(Event::Warning(e.message));
                    break;
                }
            };
            let plain_step = evs.iter().any(|e| {
                matches!(e, Event::Stopped(s) if matches!(s.reason, StopReason::Step | StopReason::Location))
            }) && !evs.iter().any(|e| {
                matches!(
                    e,
                    Event::Returned { .. } | Event::Trapped { .. } | Event::Exited { .. }
                )
            });
            let last = i + 1 == count || !plain_step || self.interrupted();
            events.extend(
                evs.into_iter()
                    .filter(|e| last || !matches!(e, Event::Stopped(_) | Event::Running)),
            );
            if last {
                break;
            }
        }
        Ok(events)
    }

    /// `enable|disable N.L`: one location of a breakpoint with several.
    pub(super) fn enable_location(
        &mut self,
        number: u32,
        location: u32,
        on: bool,
    ) -> Res<Vec<Event>> {
        let b = self.bp_mut(number)?;
        let count = b.kind.code_locations().len() as u32;
        if location == 0 || location > count {
            return Err(err(
                NotFound,
                match count {
                    0 => format!("Breakpoint {number} has no code locations."),
                    1 => format!(
                        "Bad breakpoint location number '{location}': breakpoint {number} has one location (use `{}able {number}`).",
                        if on { "en" } else { "dis" }
                    ),
                    n => format!(
                        "Bad breakpoint location number '{location}': breakpoint {number} has locations 1 to {n}."
                    ),
                },
            ));
        }
        let i = location as usize - 1;
        b.off.retain(|&x| x != i);
        if !on {
            b.off.push(i);
        }
        self.after_bp_change();
        Ok(vec![])
    }

    /// `continue N`: at a breakpoint, ignore it N-1 more times.
    pub(super) fn continue_ignoring(&mut self, n: u32) -> Res<Vec<Event>> {
        let mut events = Vec::new();
        match self.last_stop_bp {
            Some(b) if self.bps.get(b).is_some() => {
                let ignore = n.saturating_sub(1);
                self.bp_mut(b)?.ignore = ignore;
                self.after_bp_change();
                events.push(Event::Text(format!(
                    "Will ignore next {ignore} crossings of breakpoint {b}.  Continuing."
                )));
            }
            _ => events.push(Event::Text(
                "Not stopped at any breakpoint; argument ignored.".into(),
            )),
        }
        events.extend(self.dispatch(Command::Continue)?);
        Ok(events)
    }

    /// `until LOCATION` / `advance LOCATION`: run to the location (for
    /// `until`, only in this frame or a caller), or until this frame returns.
    pub(super) fn run_to(&mut self, spec: &BreakSpec, advance: bool) -> Res<Vec<Event>> {
        if self.jit_paused() && self.jit_pause_can_take_over() {
            // From a JIT loop header: the interpreter runs the rest of that call.
            self.take_over_jit_pause(false)?;
        }
        if self.jit_paused() {
            return Err(
                "Stopped in JIT code, which `until` and `advance` cannot follow: set a breakpoint there and `continue`."
                    .into(),
            );
        }
        self.live()?;
        let kind = self.resolve_spec(spec)?;
        let module = self.module()?;
        let d = self.depth();
        let rt = self.rt.as_mut().expect("live");
        let frames = rt.exec.as_ref().expect("live").frames_upto(&rt.store, 2);
        let mut stops = Vec::new();
        let mut kind_funcs = std::collections::HashSet::new();
        for (fi, co) in kind.code_locations() {
            let func = rt.store.instance_func(rt.inst, fi);
            kind_funcs.insert(func);
            if let Some(pc) = rt.store.pc_from_code_offset(func, co) {
                stops.push(InternalStop {
                    func,
                    pc,
                    max_depth: if advance { usize::MAX } else { d },
                });
            }
        }
        if stops.is_empty() {
            return Err(err(NotFound, format!("no code at {spec}")));
        }
        // The current frame returning: the instruction after its call site.
        if let Some(caller) = frames.get(1)
            && let Some(pc) = disasm::next_instruction(&module, caller.code_offset)
                .and_then(|co| rt.store.pc_from_code_offset(caller.func, co))
        {
            stops.push(InternalStop {
                func: caller.func,
                pc,
                max_depth: d - 1,
            });
        }
        self.clear_interrupt();
        self.selected = 0;
        self.extra_stops = stops;
        let deopt = self.can_deopt_caller();
        // JIT code (a native call, or the JIT callers) reaches the location
        // through the interpreter.
        self.set_jit_stop_funcs(kind_funcs);
        let mut stop = self.run_to_stop_calls_native(None);
        self.set_jit_stop_funcs(Default::default());
        // The current frame returned to a JIT caller that can run on
        // interpreted: stop there, as at an interpreted caller.
        if deopt
            && let Ok(Stop::Outcome(RunOutcome::Returned(values))) = &stop
            && self.can_deopt_caller()
        {
            stop = self.deopt_caller(values.clone()).map(|s| match s {
                Stop::At(StopReason::Step) => Stop::At(StopReason::Location),
                other => other,
            });
        }
        self.extra_stops.clear();
        self.sync_breakpoints();
        let mut events = vec![Event::Running];
        events.extend(self.report_stop(stop?)?);
        Ok(events)
    }

    /// The file `break LINE` and `list LINE` mean: the selected frame's,
    /// else the last one listed, else `main`'s.
    pub(super) fn default_file(&self) -> Res<String> {
        if let Ok(vf) = self.selected_vframe()
            && let Some(loc) = vf.loc
        {
            return Ok(loc.file);
        }
        if let Some(p) = &self.list.pos {
            return Ok(p.file.clone());
        }
        if let Some(l) = self.function_location("main") {
            return Ok(l.file);
        }
        // A library without `main`: the source of its first export that
        // has one, preferring one that can be read (`_initialize`'s crt1 is
        // seldom beside the module).
        let module = self.module()?;
        let src = &self.loaded()?.source;
        let files: Vec<String> = module
            .exports
            .iter()
            .filter(|e| e.kind == ExternKind::Func)
            .filter_map(|e| self.function_location(&e.name))
            .map(|l| l.file)
            .collect();
        files
            .iter()
            .find(|f| src.readable(f))
            .or(files.first())
            .cloned()
            .ok_or_else(|| err(NotFound, "No default source file: name one, as FILE:LINE."))
    }

    fn function_location(&self, name: &str) -> Option<SourceLoc> {
        let BpKind::Code { code_offset, .. } =
            self.resolve_spec(&BreakSpec::Function(name.into())).ok()?
        else {
            return None;
        };
        self.loaded().ok()?.source.location(code_offset)
    }

    /// `list`, `list -`, `list N`, `list A,B`, `list FUNC`, `list FILE:LINE`.
    pub(super) fn list(&mut self, around: Option<&str>) -> Res<Vec<Event>> {
        let l = self.loaded()?;
        if !l.source.available() {
            return Err(
                "No source: the module has no DWARF line information (use `disassemble`).".into(),
            );
        }
        let here = self.selected_vframe().ok().and_then(|vf| vf.loc);
        let size = self.list.size;
        // gdb's centring: 5 lines before LINE, 4 after (with 10 lines).
        let centred = |file: String, line: u32| {
            let first = line.saturating_sub(size / 2).max(1);
            (file, first, first + size - 1)
        };
        let (file, first, last, anchor) = match around.map(str::trim) {
            None | Some("") => {
                let at_new_stop = here.as_ref().is_some_and(|h| {
                    self.list.pos.as_ref().and_then(|p| p.anchor.clone())
                        != Some((h.file.clone(), h.line))
                });
                match (&here, &self.list.pos) {
                    (Some(h), _) if at_new_stop => {
                        let (f, a, b) = centred(h.file.clone(), h.line);
                        (f, a, b, Some((h.file.clone(), h.line)))
                    }
                    (_, Some(p)) => (p.file.clone(), p.last + 1, p.last + size, p.anchor.clone()),
                    (None, None) => {
                        let m = self.function_location("main").ok_or(
                            "No frame selected and no `main`: use `list FUNC` or `list FILE:LINE`.",
                        )?;
                        let (f, a, b) = centred(m.file, m.line);
                        (f, a, b, None)
                    }
                    (Some(_), None) => unreachable!("a new stop when nothing was listed"),
                }
            }
            Some("-") => {
                let p = self
                    .list
                    .pos
                    .clone()
                    .ok_or_else(|| err(NotFound, "No previous listing: `list` first."))?;
                if p.first <= 1 {
                    return Err(err(
                        BadArgument,
                        format!("Already at the start of {}.", p.file),
                    ));
                }
                let last = p.first - 1;
                (p.file, last.saturating_sub(size - 1).max(1), last, p.anchor)
            }
            Some(spec) if spec.contains(',') => {
                let (a, b) = spec.split_once(',').expect("contains ,");
                let (a, b) = (a.trim(), b.trim());
                let num = |s: &str| -> Res<u32> {
                    s.parse().map_err(|_| {
                        err(
                            BadArgument,
                            format!("`{s}` is not a line number (list A,B takes two)"),
                        )
                    })
                };
                let file = self.default_file()?;
                match (a.is_empty(), b.is_empty()) {
                    (false, false) => (file, num(a)?, num(b)?, None),
                    (false, true) => (file, num(a)?, num(a)? + size - 1, None),
                    (true, false) => (file, num(b)?.saturating_sub(size - 1).max(1), num(b)?, None),
                    (true, true) => return Err(err(BadArgument, "usage: list A,B")),
                }
            }
            Some(spec) => match BreakSpec::parse(spec)? {
                BreakSpec::Line(file, line) => {
                    let file = if file.is_empty() {
                        self.default_file()?
                    } else {
                        file
                    };
                    // The file as DWARF names it, when it has code.
                    let file = self
                        .loaded()?
                        .source
                        .info
                        .resolve_line(&file, line)
                        .map_or(file, |m| m.file);
                    let (f, a, b) = centred(file, line);
                    (f, a, b, None)
                }
                other => {
                    let BpKind::Code { code_offset, .. } = self.resolve_spec(&other)? else {
                        return Err(err(BadArgument, "not a code location"));
                    };
                    let src = &self.loaded()?.source;
                    let loc = src
                        .location(code_offset)
                        .ok_or_else(|| err(NotFound, "No source line for that location."))?;
                    // `list FUNC` centres on the function's declaration, as
                    // gdb (its first line after the prologue otherwise).
                    let decl = matches!(other, BreakSpec::Function(_))
                        .then(|| src.info.function_at(code_offset).and_then(|f| f.decl))
                        .flatten()
                        .filter(|d| d.file == loc.file);
                    let line = decl.map_or(loc.line, |d| d.line);
                    let (f, a, b) = centred(loc.file, line);
                    (f, a, b, None)
                }
            },
        };
        let l = self.loaded()?;
        let lines = l.source.file_lines(&file).map_err(|looked| {
            format!(
                "cannot read source file {file} (looked in: {}); use `directory DIR` or `set substitute-path FROM TO`",
                looked.join(", ")
            )
        })?;
        let n = lines.len() as u32;
        if first > n {
            return Err(err(
                BadArgument,
                format!("Line number {first} out of range; \"{file}\" has {n} lines."),
            ));
        }
        let last = last.min(n);
        if last < first {
            return Err(err(
                BadArgument,
                format!("no lines between {first} and {last}"),
            ));
        }
        let current = here.filter(|h| h.file == file).map(|h| h.line);
        self.list.pos = Some(ListPos {
            file: file.clone(),
            first,
            last,
            anchor,
        });
        Ok(vec![Event::Source(SourceView {
            language: source_language(&file),
            path: file,
            lines: (first..=last)
                .map(|i| (i, lines[i as usize - 1].clone()))
                .collect(),
            current,
        })])
    }

    /// `info functions|variables|types [REGEX]`.
    pub(super) fn info_matching(&mut self, what: InfoWhat, regex: Option<&str>) -> Res<Vec<Event>> {
        let re = regex
            .map(|r| regex::Regex::new(r).map_err(|e| format!("bad regular expression: {e}")))
            .transpose()?;
        let keep = |name: &str| re.as_ref().is_none_or(|re| re.is_match(name));
        let module = self.module()?;
        let mut out = String::new();
        let header = |what: &str| match regex {
            Some(r) => format!("All {what} matching regular expression \"{r}\":"),
            None => format!("All {what}:"),
        };
        match what {
            InfoWhat::Functions => {
                let mut v = super::module_view(&self.loaded()?.path, &module, false);
                v.functions.retain(|f| keep(&f.name));
                return Ok(vec![Event::Info(InfoView::Functions {
                    matching: regex.map(str::to_string),
                    functions: v.functions,
                })]);
            }
            InfoWhat::Variables => {
                let src = &self.loaded()?.source;
                if src.available() {
                    let _ = writeln!(out, "{}", header("defined variables"));
                    for (name, ty) in src.info.global_variables() {
                        if keep(&name) {
                            let _ = writeln!(out, "{ty} {name};");
                        }
                    }
                } else {
                    let _ = writeln!(out, "{} (no DWARF: the wasm globals)", header("globals"));
                    for i in 0..module.globals.len() as u32 {
                        let name = module
                            .names
                            .globals
                            .get(&i)
                            .cloned()
                            .unwrap_or_else(|| format!("$g{i}"));
                        if keep(&name) {
                            let g = &module.globals[i as usize];
                            let _ = writeln!(
                                out,
                                "$g{i} {name}: {}{}",
                                if g.mutable { "mut " } else { "" },
                                wdb_engine::value::valtype_name(g.content_type)
                            );
                        }
                    }
                }
            }
            InfoWhat::Types => {
                let src = &self.loaded()?.source;
                if !src.available() {
                    return Err(
                        "No types: the module has no DWARF (wasm has only i32, i64, f32, f64, v128 and references).".into(),
                    );
                }
                let _ = writeln!(out, "{}", header("defined types"));
                for t in src.info.type_names() {
                    if keep(&t) {
                        let _ = writeln!(out, "{t}");
                    }
                }
            }
            other => return self.info(other),
        }
        Ok(vec![Event::Text(out.trim_end().to_string())])
    }

    /// `set NAME VALUE` for the session's own settings.
    pub(super) fn set_setting(&mut self, name: &str, value: &str) -> Res<Vec<Event>> {
        let on_off = |v: &str| match v {
            "on" | "1" | "yes" | "enable" => Ok(true),
            "off" | "0" | "no" | "disable" => Ok(false),
            _ => Err(format!("\"on\" or \"off\" expected, not `{v}`")),
        };
        match name {
            "unwindonsignal" | "unwind-on-signal" => {
                self.call.unwind_on_signal = on_off(value)?;
                Ok(vec![])
            }
            "listsize" => {
                self.list.size = match value {
                    "unlimited" | "0" => UNLIMITED_LINES,
                    v => v
                        .parse::<u32>()
                        .ok()
                        .filter(|&n| n < UNLIMITED_LINES)
                        .ok_or_else(|| {
                            format!("`{v}`: the list size is a number of lines, or unlimited")
                        })?,
                };
                Ok(vec![])
            }
            "allocator" => {
                let module = self.module()?;
                if module.exported_func(value).is_none() {
                    let names: Vec<&str> = module
                        .exports
                        .iter()
                        .filter(|e| e.kind == ExternKind::Func)
                        .map(|e| e.name.as_str())
                        .collect();
                    return Err(err(
                        NotFound,
                        format!(
                            "no exported function `{value}`; exports: {}",
                            names.join(", ")
                        ),
                    ));
                }
                self.call.allocator = Some(value.to_string());
                Ok(vec![Event::Text(format!(
                    "String arguments of `call` are now allocated with {value}."
                ))])
            }
            other => Err(err(
                NotFound,
                format!("No setting \"{other}\" in the session."),
            )),
        }
    }

    /// `show NAME` for the session's own settings.
    pub(super) fn show_setting(&self, name: &str) -> Res<Vec<Event>> {
        let text = match name {
            "unwindonsignal" | "unwind-on-signal" => format!(
                "Unwinding of a call that traps is {}.",
                if self.call.unwind_on_signal { "on" } else { "off" }
            ),
            "listsize" => match self.list.size {
                UNLIMITED_LINES => "Number of source lines wdb will list by default is unlimited.".into(),
                n => format!("Number of source lines wdb will list by default is {n}."),
            },
            "allocator" => match &self.call.allocator {
                Some(a) => format!("String arguments of `call` are allocated with {a}."),
                None => "String arguments of `call` are allocated with malloc, else cabi_realloc (the module's exports).".into(),
            },
            "substitute-path" => {
                let rules = self.loaded()?.source.substitutions();
                if rules.is_empty() {
                    "List of all source path substitution rules: none.".into()
                } else {
                    let mut s = String::from("List of all source path substitution rules:");
                    for (f, t) in rules {
                        let _ = write!(s, "\n  `{f}' -> `{t}'.");
                    }
                    s
                }
            }
            "directories" | "directory" => {
                let dirs = self.loaded()?.source.directories();
                let mut parts: Vec<String> =
                    dirs.iter().map(|d| d.display().to_string()).collect();
                parts.push("$cdir".into());
                parts.push("$cwd".into());
                format!("Source directories searched: {}", parts.join(":"))
            }
            "mode" | "engine" => self.mode_text(),
            "args" => format!(
                "Argument list to give program being debugged when it is started is \"{}\".",
                self.program.args.join(" ")
            ),
            other => return Err(err(NotFound, format!("Undefined show command: \"{other}\".  Try \"help show\"."))),
        };
        Ok(vec![Event::Text(text)])
    }

    /// `directory DIR` (`None`: back to the default search).
    pub(super) fn directory(&mut self, dir: Option<&str>) -> Res<Vec<Event>> {
        let src = &self.loaded()?.source;
        match dir {
            None => {
                src.reset_directories();
                Ok(vec![Event::Text(
                    "Source directories searched: $cdir:$cwd".into(),
                )])
            }
            Some(list) => {
                // `directory A B` or `directory A:B`: A is searched first.
                let dirs: Vec<&str> = list
                    .split(|c: char| c == ':' || c.is_whitespace())
                    .filter(|d| !d.is_empty())
                    .collect();
                if let Some(d) = dirs.iter().find(|d| !std::path::Path::new(d).is_dir()) {
                    return Err(err(Io, format!("{d}: No such directory.")));
                }
                for d in dirs.iter().rev() {
                    src.add_directory(std::path::PathBuf::from(d));
                }
                self.show_setting("directories")
            }
        }
    }

    /// `dump memory FILE START END`.
    pub(super) fn dump_memory(
        &mut self,
        path: &std::path::Path,
        start: &str,
        end: &str,
    ) -> Res<Vec<Event>> {
        let a = self.eval_addr(start)?;
        let b = self.eval_addr(end)?;
        if b < a {
            return Err(err(
                BadArgument,
                format!("the end {b:#x} is before the start {a:#x}"),
            ));
        }
        let (store, m) = self.memory()?;
        let mem = store.memory(m);
        if b as usize > mem.len() {
            return Err(err(
                BadArgument,
                format!(
                    "Cannot access memory at address {:#x} (the memory has {:#x} bytes)",
                    mem.len().max(a as usize),
                    mem.len()
                ),
            ));
        }
        let bytes = &mem[a as usize..b as usize];
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(vec![Event::Text(format!(
            "Wrote {} bytes [{a:#x}, {b:#x}) to {}.",
            bytes.len(),
            path.display()
        ))])
    }

    /// `catch wasi NAME`: NAME must be a preview1 function.
    pub(super) fn check_wasi_name(name: &str) -> Res<()> {
        let names: Vec<&str> = wdb_engine::wasi::FUNCS.iter().map(|f| f.name).collect();
        if names.contains(&name) {
            return Ok(());
        }
        let best = names
            .iter()
            .map(|n| (strsim::levenshtein(name, n), *n))
            .min()
            .filter(|(d, n)| *d <= 3.max(n.len() / 3));
        Err(err(
            NotFound,
            match best {
                Some((_, n)) => {
                    format!("`{name}` is not a WASI preview1 function.  Did you mean \"{n}\"?")
                }
                None => format!(
                    "`{name}` is not a WASI preview1 function (e.g. fd_write, path_open, proc_exit)."
                ),
            },
        ))
    }

    /// `watch ADDR LEN`: inside the memory as it is now (or will be at
    /// instantiation).
    pub(super) fn check_watch_range(&self, memory: Option<u32>, addr: u32, len: u32) -> Res<()> {
        let module = self.module()?;
        let live = match memory {
            None => self.memory().map(|(store, m)| store.memory(m).len() as u64),
            Some(_) => self.memory_at(memory).map(|(m, _, _)| {
                self.rt
                    .as_ref()
                    .map_or(0, |rt| rt.store.memory(m).len() as u64)
            }),
        };
        let size = match live {
            Ok(n) => n,
            Err(_) => match module.memories.get(memory.unwrap_or(0) as usize) {
                Some(m) => m.initial * 65536,
                None => return Err(err(NotFound, "The module has no memory to watch.")),
            },
        };
        let end = u64::from(addr) + u64::from(len);
        if end > size {
            return Err(err(
                BadArgument,
                format!("Cannot watch [{addr:#x}, {end:#x}): the memory has {size:#x} bytes"),
            ));
        }
        Ok(())
    }

    /// `EXPR` breakpoints resolve against the default file for a bare line.
    pub(super) fn with_default_file(&self, spec: &BreakSpec) -> Res<BreakSpec> {
        Ok(match spec {
            BreakSpec::Line(f, line) if f.is_empty() => {
                BreakSpec::Line(self.default_file()?, *line)
            }
            other => other.clone(),
        })
    }
}
