//! `call` for C-style APIs: string and byte-string arguments copied into
//! guest memory through the module's allocator, `&NAME` scratch cells whose
//! values are printed after the call, `call/s` (a pointer result as a C
//! string), and the instance's state saved before a call so that a trap
//! inside it can be undone (`set unwindonsignal`, as gdb).

use wasmparser::ValType;
use wdb_engine::Value;
use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
use wdb_engine::module::Module;
use wdb_engine::runtime::Store;

use super::{Res, Runtime, Session};
use crate::api::Event;
use crate::error::{ErrorKind::*, err};
use crate::format::format_c_string;

/// What `call` keeps between commands.
pub(super) struct CallState {
    /// `set allocator NAME`; `None`: `malloc`, else `cabi_realloc`.
    pub allocator: Option<String>,
    /// `set unwindonsignal`: restore the state from before a call that
    /// trapped (at the next `run` or `call`, after the frames were seen).
    pub unwind_on_signal: bool,
    /// The instance before the current call (while it runs or is paused).
    pub snapshot: Option<Snapshot>,
    /// A call trapped: `snapshot` goes back at the next `run`/`call`.
    pub restore_pending: bool,
    /// `&NAME` cells of the current call: (name, address).
    pub cells: Vec<(String, u32)>,
    /// `call/s`: show the result as a C string.
    pub as_string: bool,
    /// A `call` (not a `run`) is under way.
    pub in_call: bool,
}

impl CallState {
    /// A new instance replaced the one a saved state belongs to.
    pub(super) fn forget_instance(&mut self) {
        self.snapshot = None;
        self.restore_pending = false;
    }
}

impl Default for CallState {
    fn default() -> Self {
        CallState {
            allocator: None,
            unwind_on_signal: true,
            snapshot: None,
            restore_pending: false,
            cells: Vec::new(),
            as_string: false,
            in_call: false,
        }
    }
}

/// Memories, mutable globals and tables of one instance.
pub(super) struct Snapshot {
    memories: Vec<(u32, Vec<u8>)>,
    globals: Vec<(u32, Value)>,
    tables: Vec<(u32, Vec<u64>)>,
}

/// One textual `call` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallArg {
    /// A number, as `wdb run --invoke` takes it.
    Plain(String),
    /// `"text"` (copied with a NUL) or `b"bytes"` (copied as is).
    Bytes(Vec<u8>),
    /// `&NAME`: a zeroed 8-byte cell, printed after the call.
    Cell(String),
}

/// `"a\tb"`, `b"\x00\x01"`, `&out` or a plain value.
pub fn classify(arg: &str) -> Result<CallArg, String> {
    if let Some(name) = arg.strip_prefix('&')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Ok(CallArg::Cell(name.to_string()));
    }
    let (bytes_only, body) = match arg.strip_prefix("b\"") {
        Some(rest) => (true, rest),
        None => match arg.strip_prefix('"') {
            Some(rest) => (false, rest),
            None => return Ok(CallArg::Plain(arg.to_string())),
        },
    };
    let body = body
        .strip_suffix('"')
        .ok_or_else(|| format!("unterminated string {arg}: close it with \""))?;
    let mut out = unescape(body)?;
    if !bytes_only {
        out.push(0);
    }
    Ok(CallArg::Bytes(out))
}

/// C escapes: `\n \t \r \0 \\ \" \' \a \b \f \v \e \xHH \NNN`.
pub fn unescape(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&c) = b.get(i) else {
            return Err(format!("a string ends in a lone backslash: {s}"));
        };
        i += 1;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'e' => out.push(27),
            b'\\' | b'"' | b'\'' => out.push(c),
            b'x' => {
                let hex: String = s[i..]
                    .chars()
                    .take(2)
                    .take_while(char::is_ascii_hexdigit)
                    .collect();
                if hex.is_empty() {
                    return Err(format!("\\x without hex digits in {s}"));
                }
                i += hex.len();
                out.push(u8::from_str_radix(&hex, 16).expect("hex digits"));
            }
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push(u8::try_from(v).map_err(|_| format!("octal escape over 255 in {s}"))?);
            }
            other => return Err(format!("unknown escape \\{} in {s}", other as char)),
        }
    }
    Ok(out)
}

/// Check where strings and cells go: only to `i32` parameters (pointers
/// into a 32-bit memory). Returns the arguments with the special ones
/// replaced by `0`, for the usual type check, and the special ones.
pub(super) fn split(
    export: &str,
    params: &[ValType],
    args: &[String],
) -> Res<(Vec<String>, Vec<(usize, CallArg)>)> {
    let mut plain = Vec::with_capacity(args.len());
    let mut special = Vec::new();
    for (i, a) in args.iter().enumerate() {
        match classify(a)? {
            CallArg::Plain(p) => plain.push(p),
            other => {
                if let Some(&t) = params.get(i)
                    && t != ValType::I32
                {
                    return Err(err(
                        BadArgument,
                        format!(
                            "{export}: argument {} is a {}, but that parameter is {}: strings and &cells go to i32 pointer parameters",
                            i + 1,
                            if matches!(other, CallArg::Cell(_)) {
                                "&cell"
                            } else {
                                "string"
                            },
                            wdb_engine::value::valtype_name(t)
                        ),
                    ));
                }
                plain.push("0".into());
                special.push((i, other));
            }
        }
    }
    Ok((plain, special))
}

impl Snapshot {
    pub(super) fn take(rt: &Runtime) -> Snapshot {
        let module = rt.store.instance_module(rt.inst).clone();
        let memories = (0..module.memories.len() as u32)
            .map(|i| {
                let m = rt.store.instance_memory_at(rt.inst, i);
                (m, rt.store.memory(m).to_vec())
            })
            .collect();
        let globals = (0..module.globals.len() as u32)
            .map(|i| rt.store.instance_global(rt.inst, i))
            .filter(|&a| rt.store.global_type(a).mutable)
            .map(|a| (a, rt.store.global_get(a)))
            .collect();
        let tables = (0..module.tables.len() as u32)
            .map(|i| {
                let a = rt.store.instance_table(rt.inst, i);
                (a, rt.store.table_elements(a).to_vec())
            })
            .collect();
        Snapshot {
            memories,
            globals,
            tables,
        }
    }

    /// Put the saved state back. A memory or table that grew during the call
    /// keeps its size (the saved bytes go back, the new pages are zeroed).
    pub(super) fn restore(&self, store: &mut Store) {
        for (m, bytes) in &self.memories {
            let mem = store.memory_mut(*m);
            let n = bytes.len().min(mem.len());
            mem[..n].copy_from_slice(&bytes[..n]);
            mem[n..].fill(0);
        }
        for (a, v) in &self.globals {
            let _ = store.global_set(*a, *v);
        }
        for (a, elems) in &self.tables {
            store.table_restore(*a, elems);
        }
    }
}

impl Session {
    /// The export that allocates guest memory for string arguments, and
    /// whether it has `cabi_realloc`'s four parameters.
    fn allocator(&self, module: &Module) -> Res<(u32, bool)> {
        let names: Vec<&str> = match &self.call.allocator {
            Some(n) => vec![n.as_str()],
            None => vec!["malloc", "cabi_realloc"],
        };
        for name in &names {
            if let Some(f) = module.exported_func(name) {
                let ty = module.func_type(f);
                let realloc = match (ty.params(), ty.results()) {
                    ([ValType::I32], [ValType::I32]) => false,
                    ([ValType::I32, ValType::I32, ValType::I32, ValType::I32], [ValType::I32]) => {
                        true
                    }
                    _ => {
                        return Err(err(
                            BadArgument,
                            format!(
                                "the allocator `{name}` has the signature {}: it needs (param i32) (result i32) as malloc, or cabi_realloc's four i32",
                                wdb_engine::module::signature_string(ty)
                            ),
                        ));
                    }
                };
                return Ok((f, realloc));
            }
        }
        Err(err(NotFound, match &self.call.allocator {
            Some(n) => format!("no exported function `{n}` to allocate string arguments with"),
            None => "string arguments need an allocator, and the module exports neither `malloc` nor `cabi_realloc`: name one with `set allocator EXPORT`".into(),
        }))
    }

    /// Allocate and fill guest memory for the special arguments; returns
    /// the argument list with their addresses in place.
    pub(super) fn place_call_args(
        &mut self,
        mut plain: Vec<String>,
        special: Vec<(usize, CallArg)>,
    ) -> Res<Vec<String>> {
        self.call.cells.clear();
        if special.is_empty() {
            return Ok(plain);
        }
        let module = self.module()?;
        let (alloc, realloc) = self.allocator(&module)?;
        for (i, arg) in special {
            let (bytes, cell) = match arg {
                CallArg::Bytes(b) => (b, None),
                CallArg::Cell(name) => (vec![0u8; 8], Some(name)),
                CallArg::Plain(_) => unreachable!("split keeps plain arguments apart"),
            };
            let size = bytes.len().max(1) as i32;
            let args = if realloc {
                vec![
                    Value::I32(0),
                    Value::I32(0),
                    Value::I32(8),
                    Value::I32(size),
                ]
            } else {
                vec![Value::I32(size)]
            };
            let rt = self
                .rt
                .as_mut()
                .ok_or_else(|| err(NotRunning, "The module is not instantiated."))?;
            let addr = match run_quietly(rt, alloc, &args)?.as_slice() {
                [Value::I32(0)] => {
                    return Err(err(
                        Engine,
                        format!(
                            "the allocator {} returned NULL for {size} bytes",
                            module.display_func_name(alloc)
                        ),
                    ));
                }
                [Value::I32(a)] => *a as u32,
                other => return Err(err(Engine, format!("the allocator returned {other:?}"))),
            };
            self.write_memory(addr, &bytes)?;
            plain[i] = addr.to_string();
            if let Some(name) = cell {
                self.call.cells.push((name, addr));
            }
        }
        Ok(plain)
    }

    /// After a call returned: the values of its `&cells`, and the result as
    /// a C string for `call/s`.
    pub(super) fn call_results(&mut self, values: &mut [crate::api::ValueView]) -> Vec<Event> {
        let mut events = Vec::new();
        let as_string = std::mem::take(&mut self.call.as_string);
        let cells = std::mem::take(&mut self.call.cells);
        self.call.snapshot = None;
        self.call.in_call = false;
        let Ok((store, m)) = self.memory() else {
            return events;
        };
        let mem = store.memory(m);
        if as_string && let [v] = values {
            if v.ty == "i32" {
                let addr = v.bits as u32 as usize;
                if addr < mem.len() {
                    let end = (addr + 4096).min(mem.len());
                    // `0x11540 "Hello"`, as gdb prints a char *.
                    let s = format_c_string(addr as u32, &mem[addr..end]);
                    let quoted = s.split_once(":\t").map_or(s.as_str(), |(_, q)| q);
                    v.text = format!("{addr:#x} {quoted}");
                } else {
                    v.text =
                        format!("{addr:#x} <error: Cannot access memory at address {addr:#x}>");
                }
            } else {
                events.push(Event::Warning(format!(
                    "call/s: the result is a {}, not a pointer",
                    v.ty
                )));
            }
        }
        for (name, addr) in cells {
            let a = addr as usize;
            if let Some(b) = mem.get(a..a + 4) {
                let v = i32::from_le_bytes(b.try_into().expect("4 bytes"));
                // `len = 11`: a scratch cell, not a history value.
                events.push(Event::Text(format!("{name} = {v}")));
            }
        }
        events
    }

    /// Save the instance before a `call` (and undo a trapped one first).
    pub(super) fn before_call(&mut self) -> Vec<Event> {
        let events = self.restore_trapped_call();
        self.call.in_call = true;
        // Copying memory costs a little per call: only when a trap would
        // put it back.
        self.call.snapshot = self
            .rt
            .as_ref()
            .filter(|_| self.call.unwind_on_signal)
            .map(Snapshot::take);
        events
    }

    /// The saved state of a call that trapped goes back now (the next
    /// `run`/`call`).
    pub(super) fn restore_trapped_call(&mut self) -> Vec<Event> {
        if !std::mem::take(&mut self.call.restore_pending) {
            return Vec::new();
        }
        let Some(snap) = self.call.snapshot.take() else {
            return Vec::new();
        };
        let Some(rt) = self.rt.as_mut() else {
            return Vec::new();
        };
        rt.exec = None;
        snap.restore(&mut rt.store);
        vec![Event::Text(
            "[restored memory, globals and tables to their state before the call that trapped]"
                .into(),
        )]
    }

    /// What to say when a `call` traps, and what happens to its state.
    pub(super) fn call_trapped(&mut self) -> Option<Event> {
        self.call.cells.clear();
        self.call.as_string = false;
        if !std::mem::take(&mut self.call.in_call) {
            return None;
        }
        if self.call.snapshot.is_some() {
            self.call.restore_pending = true;
            // JIT code leaves no frames to look at once it trapped.
            let frames = if self.frames().is_ok() {
                "Its frames stay for inspection (`bt`, `frame`, `print`); the"
            } else {
                "The"
            };
            Some(Event::Text(format!(
                "The call trapped. {frames} next `run` or `call` first restores memory, globals (__stack_pointer too) and tables to their state before this call (`set unwindonsignal off` keeps what the trap left)."
            )))
        } else {
            self.call.snapshot = None;
            Some(Event::Text(
                "The call trapped. The instance keeps the state the trap left (unwindonsignal is off): a moved __stack_pointer or a held lock can break later calls; `restart` starts afresh.".into(),
            ))
        }
    }
}

/// Run an export to its end without stopping at breakpoints (the
/// allocator for string arguments): a patched breakpoint is stepped over.
fn run_quietly(rt: &mut Runtime, func_index: u32, args: &[Value]) -> Res<Vec<Value>> {
    let addr = rt.store.instance_func(rt.inst, func_index);
    let mut exec = Execution::new(&mut rt.store, addr, args).map_err(|e| e.to_string())?;
    let mut ctl = RunControl::default();
    loop {
        match exec.run(&mut rt.store, &mut ctl) {
            RunOutcome::Returned(v) => return Ok(v),
            RunOutcome::Paused(PauseReason::Breakpoint { .. }) => {
                match exec.step(&mut rt.store, &mut ctl) {
                    RunOutcome::Paused(PauseReason::Step) => {}
                    RunOutcome::Returned(v) => return Ok(v),
                    other => {
                        return Err(err(
                            Engine,
                            format!("the allocator did not return: {other:?}"),
                        ));
                    }
                }
            }
            RunOutcome::Trapped(t) => {
                return Err(err(Engine, format!("the allocator trapped: {t}")));
            }
            other => {
                return Err(err(
                    Engine,
                    format!("the allocator did not return: {other:?}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::SessionConfig;
    use super::*;
    use crate::api::{Command, Request};

    fn greet_session() -> Session {
        let path =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/greet.wasm");
        let mut s = Session::new(SessionConfig {
            capture_output: true,
            persist: false,
            inherit_stdin: false,
            ..Default::default()
        });
        let ev = run(&mut s, Command::Load { path, args: vec![] });
        assert!(matches!(ev.first(), Some(Event::Loaded(_))), "{ev:?}");
        s
    }

    fn run(s: &mut Session, command: Command) -> Vec<Event> {
        s.handle(Request { id: 1, command })
    }

    fn call(s: &mut Session, export: &str, args: &[&str], as_string: bool) -> Vec<Event> {
        let (export, args) = (
            export.to_string(),
            args.iter().map(|a| a.to_string()).collect(),
        );
        run(
            s,
            if as_string {
                Command::CallString { export, args }
            } else {
                Command::Call { export, args }
            },
        )
    }

    fn returned(ev: &[Event]) -> &crate::api::ValueView {
        ev.iter()
            .find_map(|e| match e {
                Event::Returned { values, .. } => values.first(),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no return in {ev:?}"))
    }

    fn stack_pointer(s: &Session) -> Value {
        let rt = s.rt.as_ref().expect("instantiated");
        rt.store.global_get(rt.store.instance_global(rt.inst, 0))
    }

    #[test]
    fn string_arguments_cells_and_dump_memory() {
        let mut s = greet_session();
        let ev = call(&mut s, "greet", &["\"Ada\"", "&len"], true);
        let v = returned(&ev);
        assert!(v.text.ends_with(" \"Hello, Ada!\""), "{ev:?}");
        assert!(
            ev.iter()
                .any(|e| matches!(e, Event::Text(t) if t == "len = 11")),
            "{ev:?}"
        );
        let addr = v.bits as u32;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hello.bin");
        let ev = run(
            &mut s,
            Command::DumpMemory {
                path: file.clone(),
                start: format!("{addr:#x}"),
                end: format!("{:#x}", addr + 11),
            },
        );
        assert!(
            matches!(ev.as_slice(), [Event::Text(t)] if t.starts_with("Wrote 11 bytes")),
            "{ev:?}"
        );
        assert_eq!(std::fs::read(&file).unwrap(), b"Hello, Ada!");
        // A byte string is copied as it is (here with its own NUL).
        let ev = call(&mut s, "count_vowels", &["b\"aeiz\\x00\""], false);
        assert_eq!(returned(&ev).text, "3");
    }

    /// Two memories, a mutable global and a table: `poke` changes them
    /// all, then traps.
    const TWO_MEMORIES: &str = r#"(module
        (memory 1) (memory $m1 1)
        (global $g (mut i32) (i32.const 5))
        (table 2 funcref)
        (func $f)
        (func (export "poke")
            (i32.store (i32.const 0) (i32.const 11))
            (i32.store $m1 (i32.const 0) (i32.const 22))
            (global.set $g (i32.const 99))
            (table.set (i32.const 1) (ref.func $f))
            unreachable)
        (func (export "peek") (result i32)
            (i32.add (i32.add (i32.load (i32.const 0)) (i32.load $m1 (i32.const 0)))
                     (i32.add (global.get $g)
                              (select (i32.const 0) (i32.const 1000)
                                      (ref.is_null (table.get (i32.const 1)))))))
        (elem declare func $f))"#;

    #[test]
    fn every_memory_global_and_table_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.wasm");
        std::fs::write(&path, wat::parse_str(TWO_MEMORIES).expect("valid wat")).unwrap();
        let mut s = Session::new(SessionConfig {
            capture_output: true,
            persist: false,
            inherit_stdin: false,
            ..Default::default()
        });
        let ev = run(&mut s, Command::Load { path, args: vec![] });
        assert!(matches!(ev.first(), Some(Event::Loaded(_))), "{ev:?}");
        assert_eq!(returned(&call(&mut s, "peek", &[], false)).text, "5");
        let ev = call(&mut s, "poke", &[], false);
        assert!(
            ev.iter().any(|e| matches!(e, Event::Trapped { .. })),
            "{ev:?}"
        );
        // Before the next call: 11 + 22 + 99 + 1000 would be left.
        assert_eq!(returned(&call(&mut s, "peek", &[], false)).text, "5");
    }

    #[test]
    fn a_trapped_call_is_undone_at_the_next_call() {
        let mut s = greet_session();
        returned(&call(&mut s, "greet_count", &[], false));
        let before = stack_pointer(&s);
        let ev = call(&mut s, "shout", &["\"\""], false);
        assert!(
            ev.iter().any(|e| matches!(e, Event::Trapped { .. })),
            "{ev:?}"
        );
        // The trap left the shadow stack moved; the frames are still there.
        assert_ne!(stack_pointer(&s), before);
        assert!(s.frames().is_ok());
        let ev = call(&mut s, "greet_count", &[], false);
        assert!(
            ev.iter()
                .any(|e| matches!(e, Event::Text(t) if t.starts_with("[restored memory"))),
            "{ev:?}"
        );
        assert_eq!(stack_pointer(&s), before);
        // With unwindonsignal off the trap's state stays.
        run(
            &mut s,
            Command::Set {
                name: "unwindonsignal".into(),
                value: "off".into(),
            },
        );
        call(&mut s, "shout", &["\"\""], false);
        let moved = stack_pointer(&s);
        assert_ne!(moved, before);
        call(&mut s, "greet_count", &[], false);
        assert_eq!(stack_pointer(&s), moved);
    }

    #[test]
    fn call_arguments_classify() {
        assert_eq!(classify("12").unwrap(), CallArg::Plain("12".into()));
        assert_eq!(classify("-0x1").unwrap(), CallArg::Plain("-0x1".into()));
        assert_eq!(
            classify("\"ab\"").unwrap(),
            CallArg::Bytes(b"ab\0".to_vec())
        );
        assert_eq!(
            classify("\"a\\tb\\n\\x41\\101\\\"\"").unwrap(),
            CallArg::Bytes(b"a\tb\nAA\"\0".to_vec())
        );
        assert_eq!(
            classify("b\"\\x00z\"").unwrap(),
            CallArg::Bytes(b"\0z".to_vec())
        );
        assert_eq!(classify("&out").unwrap(), CallArg::Cell("out".into()));
        assert!(classify("\"open").is_err());
        assert!(classify("\"bad \\q\"").is_err());
    }

    #[test]
    fn strings_go_only_to_i32_parameters() {
        let (plain, special) = split(
            "f",
            &[ValType::I32, ValType::I32, ValType::I64],
            &["\"x\"".into(), "&n".into(), "5".into()],
        )
        .unwrap();
        assert_eq!(plain, ["0", "0", "5"]);
        assert_eq!(special.len(), 2);
        let e = split("f", &[ValType::I64], &["\"x\"".into()]).unwrap_err();
        assert!(e.message.contains("i32 pointer parameters"), "{e}");
        assert_eq!(e.kind, crate::ErrorKind::BadArgument);
    }
}
