//! Events to text, gdb-style. Output is stable enough to diff: no timings,
//! no absolute paths unless the user gave them.

use std::fmt::Write as _;

use wdb_debugger::api::{
    BreakLocation, BreakpointView, DisasmLine, Event, FrameView, NamedValue, SourceView,
    StopReason, StopView, ValueView,
};

use crate::highlight::Highlighter;

mod info;
pub mod profile;

/// Frames shown with a trap message (deep recursion would flood the screen).
const TRAP_FRAMES: usize = 12;

/// Terminal styling, on when [`crate::color::stdout`] says so.
pub struct Style {
    pub color: bool,
    pub highlighter: Option<Highlighter>,
}

impl Style {
    pub fn plain() -> Style {
        Style {
            color: false,
            highlighter: None,
        }
    }

    fn func(&self, s: &str) -> String {
        crate::color::paint(self.color, crate::color::FUNC, s)
    }

    fn addr(&self, s: &str) -> String {
        crate::color::paint(self.color, crate::color::ADDR, s)
    }

    fn err(&self, s: &str) -> String {
        crate::color::paint(self.color, crate::color::ERROR, s)
    }

    fn wat(&self, s: &str) -> String {
        match &self.highlighter {
            Some(h) if self.color => h.highlight_line(s),
            _ => s.to_string(),
        }
    }
}

/// Renders events; remembers the last stop so `stepi` within one function
/// prints just the instruction.
pub struct Renderer {
    pub style: Style,
    /// The function of the last stop (wasm index and shown name).
    last_func: Option<(u32, String)>,
}

impl Renderer {
    pub fn new(style: Style) -> Renderer {
        Renderer {
            style,
            last_func: None,
        }
    }

    /// Text for one event; `failed` is set for a `CommandFailed`.
    pub fn render(&mut self, ev: &Event, out: &mut String, failed: &mut bool) {
        match ev {
            Event::Loaded(m) if m.component.is_some() => {
                let g = m.component.as_ref().expect("checked");
                let _ = writeln!(
                    out,
                    "Reading {}: {}, {} bytes, {} core module{}; main core module {}: {} functions, {} exports{}",
                    m.path,
                    m.kind,
                    m.size,
                    g.core_modules.len(),
                    if g.core_modules.len() == 1 { "" } else { "s" },
                    g.core_modules
                        .get(g.main_module)
                        .map_or("", |c| c.name.as_str()),
                    m.functions.len(),
                    m.exports.len(),
                    if m.has_dwarf { ", with DWARF" } else { "" }
                );
            }
            Event::Loaded(m) => {
                let _ = writeln!(
                    out,
                    "Reading {}: {} module, {} bytes, {} functions, {} exports{}",
                    m.path,
                    m.kind,
                    m.size,
                    m.functions.len(),
                    m.exports.len(),
                    if m.has_dwarf { ", with DWARF" } else { "" }
                );
            }
            // The REPL keeps it for `set args` and `show args`.
            Event::Running | Event::Done { .. } | Event::Program(_) => {}
            Event::Stopped(s) => self.stopped(s, out),
            Event::Returned { func, values } => {
                self.last_func = None;
                if values.is_empty() {
                    let _ = writeln!(out, "[{func} returned]");
                } else {
                    let _ = writeln!(out, "[{func} returned {}]", join_values(values));
                }
            }
            Event::FinishReturned {
                func,
                values,
                history,
            } => {
                let _ = writeln!(out, "Run till exit from {}", self.style.func(func));
                match history {
                    // gdb's words.
                    Some(n) => {
                        let _ = writeln!(out, "Value returned is ${n} = {}", join_values(values));
                    }
                    None if !values.is_empty() => {
                        let _ = writeln!(out, "Value returned: {}", join_values(values));
                    }
                    None => {}
                }
            }
            Event::Trapped { message, backtrace } => {
                self.last_func = None;
                let _ = writeln!(
                    out,
                    "{}",
                    self.style.err(&format!("Program trapped: {message}"))
                );
                for f in backtrace.iter().take(TRAP_FRAMES) {
                    let _ = writeln!(out, "{}", self.frame_line(f));
                }
                if backtrace.len() > TRAP_FRAMES {
                    let _ = writeln!(
                        out,
                        "(... {} more frames: `bt` shows them all)",
                        backtrace.len() - TRAP_FRAMES
                    );
                }
            }
            Event::Exited { code } => {
                self.last_func = None;
                let _ = writeln!(out, "[exited with code {code}]");
            }
            Event::Output { bytes, .. } => out.push_str(&String::from_utf8_lossy(bytes)),
            Event::BreakpointSet(b) => {
                let _ = writeln!(out, "{}", bp_set_line(b));
            }
            Event::Breakpoints(bs) => {
                if bs.is_empty() {
                    let _ = writeln!(out, "No breakpoints or watchpoints.");
                    return;
                }
                let _ = writeln!(out, "Num  Type             Disp Enb Hits What");
                for b in bs {
                    let _ = writeln!(
                        out,
                        "{:<4} {:<16} {:<4} {:<3} {:<4} {}",
                        b.number,
                        b.kind,
                        if b.temporary { "del" } else { "keep" },
                        if b.enabled { "y" } else { "n" },
                        b.hits,
                        bp_where(b)
                    );
                    if b.locations.len() > 1 {
                        for (i, l) in b.locations.iter().enumerate() {
                            let _ = writeln!(
                                out,
                                "{:<26} {:<3}      {}",
                                format!("{}.{}", b.number, i + 1),
                                if l.enabled { "y" } else { "n" },
                                location_where(l)
                            );
                        }
                    }
                    if let Some(c) = &b.condition {
                        let _ = writeln!(out, "\tstop only if {c}");
                    }
                    if b.ignore_count > 0 {
                        let _ = writeln!(out, "\tignore next {} hits", b.ignore_count);
                    }
                }
            }
            Event::Frames { frames, .. } => {
                for f in frames {
                    let _ = writeln!(out, "{}", self.frame_line(f));
                }
            }
            Event::FrameSelected(f) => {
                let _ = writeln!(out, "{}", self.frame_line(f));
            }
            Event::Values { kind, values } => {
                let title = kind.title();
                if values.is_empty() {
                    let _ = writeln!(
                        out,
                        "{}",
                        match title {
                            "locals" => "No locals.",
                            "args" => "No arguments.",
                            "globals" => "No globals.",
                            _ => "Operand stack is empty.",
                        }
                    );
                }
                if title.starts_with("operand stack") && !values.is_empty() {
                    let _ = writeln!(out, "Operand stack (top first):");
                }
                for v in values {
                    let _ = writeln!(
                        out,
                        "{} = {}",
                        v.name,
                        value_text(&v.value, title == "globals")
                    );
                }
            }
            // gdb numbers each printed value: `$1 = 10`.
            Event::Printed { text, history, .. } => {
                let _ = writeln!(out, "${history} = {text}");
            }
            Event::Displayed {
                number,
                expr,
                format,
                text,
            } => {
                let f = format_letter(*format)
                    .map(|c| format!("/{c} "))
                    .unwrap_or_default();
                let _ = writeln!(out, "{number}: {f}{expr} = {text}");
            }
            Event::Memory(m) => {
                for l in &m.lines {
                    let _ = writeln!(out, "{l}");
                }
            }
            Event::Disassembly(lines) => {
                for l in lines {
                    let _ = writeln!(out, "{}", self.disasm_line(l));
                }
            }
            Event::WasiCalls(calls) => {
                if calls.is_empty() {
                    let _ = writeln!(out, "No WASI calls yet.");
                }
                for c in calls {
                    let _ = writeln!(out, "{}", c.line);
                }
            }
            // The GUI's code view asks for this; the REPL uses `disassemble`.
            Event::ModuleWat(funcs) => {
                for l in funcs.iter().flat_map(|f| &f.lines) {
                    let _ = writeln!(out, "{}", self.disasm_line(l));
                }
            }
            // The GUI's source view asks for these; the REPL uses `list`.
            Event::SourceFiles(files) => {
                for f in files {
                    let _ = writeln!(out, "{f}");
                }
            }
            Event::SourceText(src) => match &src.error {
                Some(e) => {
                    let _ = writeln!(out, "{e}");
                }
                None => {
                    for (n, l) in src.lines.iter().enumerate() {
                        let _ = writeln!(out, "{:>4}\t{l}", n + 1);
                    }
                }
            },
            Event::Source(v) => {
                for line in self.source_lines(v) {
                    let _ = writeln!(out, "{line}");
                }
            }
            Event::Info(v) => info::info(v, out),
            Event::BreakpointNote(n) => {
                let _ = writeln!(out, "{}", info::note(n));
            }
            Event::Text(t) => {
                for l in t.lines() {
                    let _ = writeln!(out, "{}", l.trim_end());
                }
            }
            Event::Profile(report) => out.push_str(&profile::table(report, self.style.color)),
            Event::Warning(w) => {
                let _ = writeln!(out, "warning: {w}");
            }
            Event::CommandFailed { message, .. } => {
                *failed = true;
                let _ = writeln!(out, "{}", self.style.err(&format!("error: {message}")));
            }
        }
    }

    fn stopped(&mut self, s: &StopView, out: &mut String) {
        let f = &s.frame;
        // An inlined frame is a function of its own: same wasm function,
        // different name.
        let key = (f.func_index, f.func_name.clone());
        let same_func = self.last_func.as_ref() == Some(&key);
        self.last_func = Some(key);
        match &s.reason {
            StopReason::Breakpoint { number, temporary } => {
                let kind = if *temporary {
                    "Temporary breakpoint"
                } else {
                    "Breakpoint"
                };
                let _ = writeln!(out, "{kind} {number}, {}", self.frame_desc(f));
            }
            StopReason::Interrupted => {
                let _ = writeln!(out, "Program interrupted.");
                let _ = writeln!(out, "{}", self.frame_desc(f));
            }
            StopReason::Watchpoint {
                number,
                addr,
                write,
                old,
                new,
            } => {
                let _ = writeln!(
                    out,
                    "Watchpoint {number}: {} at {addr:#x}",
                    if *write { "write" } else { "read" }
                );
                if *write {
                    let _ = writeln!(out, "Old value = {}", hex_bytes(old));
                    let _ = writeln!(out, "New value = {}", hex_bytes(new));
                } else {
                    let _ = writeln!(out, "Value = {}", hex_bytes(new));
                }
                let _ = writeln!(out, "{}", self.frame_desc(f));
            }
            StopReason::WasiCall { number, name } => {
                let _ = writeln!(
                    out,
                    "Catchpoint {number} (returned from wasi {name}), {}",
                    self.frame_desc(f)
                );
            }
            StopReason::WasiCallBefore { number, name } => {
                let _ = writeln!(
                    out,
                    "Catchpoint {number} (call to wasi {name}), {}",
                    self.frame_desc(f)
                );
            }
            StopReason::Step | StopReason::Location => {
                if !same_func || matches!(s.reason, StopReason::Location) {
                    let _ = writeln!(out, "{}", self.frame_desc(f));
                }
            }
        }
        if let Some(v) = &s.source {
            for (n, text) in v.lines.iter().zip(self.coloured(v)) {
                let _ = writeln!(out, "{}\t{text}", n.0);
            }
        } else if let Some(src) = &s.source_line {
            let _ = writeln!(out, "{src}");
        }
        if let Some(i) = &s.instruction {
            let _ = writeln!(out, "{}", self.disasm_line(i));
        }
    }

    /// The text of a listing's lines, coloured by language when colour is on.
    fn coloured(&self, v: &SourceView) -> Vec<String> {
        let plain = || v.lines.iter().map(|l| l.1.clone()).collect();
        match (&self.style.highlighter, &v.language) {
            (Some(h), Some(lang)) if self.style.color => {
                let texts: Vec<&str> = v.lines.iter().map(|l| l.1.as_str()).collect();
                h.highlight_source(lang, &texts).unwrap_or_else(plain)
            }
            _ => plain(),
        }
    }

    /// `list` output: `=>  12\tTEXT` for the current line, `    13\tTEXT` else.
    fn source_lines(&self, v: &SourceView) -> Vec<String> {
        v.lines
            .iter()
            .zip(self.coloured(v))
            .map(|((n, _), text)| {
                let current = v.current == Some(*n);
                let mark = if current { "=>" } else { "  " };
                let num = format!("{mark}{n:>4}");
                let num = if current {
                    crate::color::paint(self.style.color, crate::color::CURRENT_LINE, &num)
                } else {
                    num
                };
                format!("{num}\t{text}").trim_end().to_string()
            })
            .collect()
    }

    fn disasm_line(&self, l: &DisasmLine) -> String {
        let off = l
            .code_offset
            .map_or_else(String::new, |o| format!("{o:#x}:"));
        let mark = if l.current { "=> " } else { "   " };
        format!(
            "{mark}{} {}",
            self.style.addr(&format!("{off:<8}")),
            self.style.wat(&l.text)
        )
    }

    /// `fibArray (n=10) at src/fib.c:7` or `... at code_offset 0x1a3`.
    fn frame_desc(&self, f: &FrameView) -> String {
        if f.canon {
            return self.style.func(&f.func_name).to_string();
        }
        let args: Vec<String> = f
            .args
            .iter()
            .map(|a| format!("{}={}", a.name, frame_arg_text(&a.value)))
            .collect();
        let at = match &f.source {
            Some(s) => format!("{}:{}", s.file, s.line),
            None => format!("code_offset {:#x}", f.code_offset),
        };
        if f.jit {
            // Native frames: arguments only when the JIT spilled them.
            let args = if args.is_empty() {
                String::new()
            } else {
                format!(" ({})", args.join(", "))
            };
            return format!(
                "{}{args} [JIT] at {}",
                self.style.func(&f.func_name),
                self.style.addr(&at)
            );
        }
        format!(
            "{} ({}) at {}",
            self.style.func(&f.func_name),
            args.join(", "),
            self.style.addr(&at)
        )
    }

    fn frame_line(&self, f: &FrameView) -> String {
        let inlined = if f.inlined { " [inlined]" } else { "" };
        format!("#{:<2} {}{inlined}", f.index, self.frame_desc(f))
    }
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn join_values(v: &[ValueView]) -> String {
    v.iter()
        .map(|v| v.text.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An argument in a frame line: a GC struct or array by its type only,
/// `(ref $shape) {...}`, as gdb shows aggregates there (`print
/// frame-arguments scalars`); `info args` and `print` show it all.
fn frame_arg_text(v: &ValueView) -> String {
    if v.text.starts_with("(ref ") && !v.children.is_empty() {
        let cut = [" {", " ["]
            .iter()
            .filter_map(|p| v.text.find(p))
            .min()
            .unwrap_or(v.text.len());
        return format!("{} {{...}}", &v.text[..cut]);
    }
    v.text.clone()
}

fn value_text(v: &ValueView, with_type: bool) -> String {
    // A reference's text begins with its type: `(ref $point) {x = 1, y = 2}`.
    if with_type && !v.text.starts_with("(ref ") {
        format!("{} ({})", v.text, v.ty)
    } else {
        v.text.clone()
    }
}

/// `mix at dwarf/inline.c:16 (inlined in compute, code_offset 0x3e)`.
fn location_where(l: &BreakLocation) -> String {
    let mut s = l.func_name.clone();
    if let Some(src) = &l.source {
        let _ = write!(s, " at {}:{}", src.file, src.line);
    }
    if l.inlined {
        let _ = write!(
            s,
            " (inlined in {}, code_offset {:#x})",
            l.in_func, l.code_offset
        );
    } else {
        let _ = write!(s, " (code_offset {:#x})", l.code_offset);
    }
    s
}

fn bp_where(b: &BreakpointView) -> String {
    if b.locations.len() > 1 {
        return format!("<{} locations>", b.locations.len());
    }
    let mut s = String::new();
    if let Some(f) = &b.func_name {
        s.push_str(f);
    }
    if let Some(src) = &b.source {
        let _ = write!(s, " at {}:{}", src.file, src.line);
    } else if let Some(co) = b.code_offset {
        let _ = write!(s, " at code_offset {co:#x}");
    }
    if s.is_empty() { b.spec.clone() } else { s }
}

fn bp_set_line(b: &BreakpointView) -> String {
    match b.kind.as_str() {
        "breakpoint" => {
            let mut s = format!(
                "{} {}",
                if b.temporary {
                    "Temporary breakpoint"
                } else {
                    "Breakpoint"
                },
                b.number
            );
            if let Some(co) = b.code_offset {
                let _ = write!(s, " at code_offset {co:#x}");
            }
            if let Some(f) = &b.func_name {
                let _ = write!(s, ": {f}");
            }
            if let Some(src) = &b.source {
                let _ = write!(s, ", {}:{}", src.file, src.line);
            }
            match b.locations.as_slice() {
                [one] if one.inlined => {
                    let _ = write!(s, " (inlined in {})", one.in_func);
                }
                [_, _, ..] => {
                    let _ = write!(s, " ({} locations)", b.locations.len());
                }
                _ => {}
            }
            s
        }
        "catchpoint" => format!("Catchpoint {} ({})", b.number, b.spec),
        "read watchpoint" => format!("Read watchpoint {}: {}", b.number, b.spec),
        "acc watchpoint" => format!("Access watchpoint {}: {}", b.number, b.spec),
        _ => format!("Watchpoint {}: {}", b.number, b.spec),
    }
}

#[allow(dead_code)]
fn named(v: &NamedValue) -> String {
    format!("{}={}", v.name, v.value.text)
}

/// The letter of a print format (`None` for the natural one).
fn format_letter(f: wdb_debugger::api::Format) -> Option<char> {
    use wdb_debugger::api::Format;
    Some(match f {
        Format::Natural => return None,
        Format::Hex => 'x',
        Format::Signed => 'd',
        Format::Unsigned => 'u',
        Format::Binary => 't',
        Format::Float => 'f',
        Format::Char => 'c',
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wdb_debugger::api::SourceLoc;

    fn frame(src: bool) -> FrameView {
        FrameView {
            index: 0,
            func_index: 3,
            func_name: "fibArray".into(),
            code_offset: 0x1a3,
            args: vec![NamedValue {
                name: "n".into(),
                value: ValueView {
                    ty: "i32".into(),
                    text: "10".into(),
                    bits: 10,
                    children: Vec::new(),
                },
            }],
            locals: vec![],
            source: src.then(|| SourceLoc {
                file: "src/fib.c".into(),
                line: 7,
                column: 0,
            }),
            inlined: false,
            jit: false,
            canon: false,
        }
    }

    fn render(ev: Event) -> String {
        let mut r = Renderer::new(Style::plain());
        let mut s = String::new();
        let mut failed = false;
        r.render(&ev, &mut s, &mut failed);
        s
    }

    #[test]
    fn breakpoint_stop_is_one_line_then_the_instruction() {
        let ev = Event::Stopped(StopView {
            reason: StopReason::Breakpoint {
                number: 1,
                temporary: false,
            },
            frame: frame(false),
            instruction: Some(DisasmLine {
                code_offset: Some(0x1a3),
                text: "local.get 0".into(),
                current: true,
            }),
            source_line: None,
            source: None,
        });
        assert_eq!(
            render(ev),
            "Breakpoint 1, fibArray (n=10) at code_offset 0x1a3\n=> 0x1a3:   local.get 0\n"
        );
    }

    #[test]
    fn source_listing_is_plain_without_colour_and_highlighted_with_it() {
        let v = SourceView {
            path: "dwarf/inline.c".into(),
            language: Some("c".into()),
            lines: vec![(11, "    int r = v * k; // c".into()), (12, "".into())],
            current: Some(11),
        };
        assert_eq!(
            render(Event::Source(v.clone())),
            "=>  11\t    int r = v * k; // c\n    12\n"
        );
        let mut r = Renderer::new(Style {
            color: true,
            highlighter: Some(Highlighter::new().expect("grammars")),
        });
        let (mut s, mut failed) = (String::new(), false);
        r.render(&Event::Source(v), &mut s, &mut failed);
        let first = s.lines().next().expect("a line");
        // The current line's number is bold yellow, then reset.
        assert!(
            first.starts_with("\x1b[1m\x1b[33m=>  11\x1b[0m\t"),
            "{first:?}"
        );
        assert!(first.matches("\x1b[38;2;").count() >= 3, "{first:?}");
    }

    #[test]
    fn source_locations_and_exit() {
        let ev = Event::Frames {
            frames: vec![frame(true)],
            selected: 0,
        };
        assert_eq!(render(ev), "#0  fibArray (n=10) at src/fib.c:7\n");
        assert_eq!(render(Event::Exited { code: 3 }), "[exited with code 3]\n");
        let mut r = Renderer::new(Style::plain());
        let (mut s, mut failed) = (String::new(), false);
        r.render(
            &Event::CommandFailed {
                id: 1,
                kind: wdb_debugger::ErrorKind::NotFound,
                message: "nope".into(),
            },
            &mut s,
            &mut failed,
        );
        assert!(failed);
        assert_eq!(s, "error: nope\n");
    }
}
