//! WASI preview1 (`wasi_snapshot_preview1`): the context a guest runs in
//! (args, env, preopened directories, stdio), every host function of the
//! snapshot, and a record of each call for tracing and the debugger's
//! `catch wasi`.
//!
//! [`FUNCS`] (in `table.rs`) is the one list of the functions: each entry
//! gives a function's name, typed parameters and result, from which its
//! wasm type, argument decoding, trace and dispatch follow; `host/` has the
//! implementations.
//!
//! The guest sees only its preopened directories: see [`fs`] for how paths
//! are confined. Host functions never panic or trap on bad guest input: an
//! out-of-bounds pointer is `EFAULT`, an unknown fd `EBADF`, something the
//! host cannot do `ENOSYS`/`ENOTSUP`.

pub mod abi;
pub mod fs;
mod host;
pub mod mem;
pub mod p2;
mod sys;
mod table;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::runtime::{Caller, HostError, Linker, Store};
use crate::value::Value;

pub use abi::{Errno, errno_name};
use table::{Args, Outcome};
pub use table::{FUNCS, Func, Param, ResultKind, lookup};

/// The import module name of preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// A host directory the guest may use, and the name it sees it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    pub host: PathBuf,
    pub guest: String,
}

impl Preopen {
    /// The host directory made canonical (the sandbox compares resolved
    /// paths against it), or an error naming it when it is missing or not
    /// a directory. Both hosts (preview1 and 0.2) check their preopens so.
    pub(crate) fn canonical_host(&self) -> Result<PathBuf> {
        let fail = |why: String| {
            Error::new(
                ErrorKind::Other,
                format!("cannot preopen {}: {why}", self.host.display()),
            )
        };
        let host = std::fs::canonicalize(&self.host).map_err(|e| fail(e.to_string()))?;
        if !host.is_dir() {
            return Err(fail("not a directory".into()));
        }
        Ok(host)
    }
}

/// Where the guest's stdin comes from.
#[derive(Debug, Clone, Default)]
pub enum Stdin {
    /// The host process's stdin.
    Inherit,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// Always at end of file.
    #[default]
    Null,
    /// A buffer another thread appends to (a GUI console's input line). A
    /// read takes what is there; an empty buffer reads as end of file, so a
    /// guest never blocks the thread that runs it.
    Shared(SharedStdin),
}

/// The buffer behind [`Stdin::Shared`]: bytes not yet read, oldest first.
pub type SharedStdin = Arc<Mutex<VecDeque<u8>>>;

/// A byte sink for guest output (the GUI's console, a test's buffer).
pub type Sink = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// Where guest stdout/stderr go. Writes go through immediately: a trap or
/// exit loses nothing.
#[derive(Clone, Default)]
pub enum Output {
    #[default]
    Inherit,
    Sink(Sink),
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Inherit => write!(f, "Inherit"),
            Output::Sink(_) => write!(f, "Sink(..)"),
        }
    }
}

/// How a guest is run: everything it can see of the host.
#[derive(Debug, Clone, Default)]
pub struct WasiConfig {
    /// `argv`; `argv[0]` is the program name.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub preopens: Vec<Preopen>,
    pub stdin: Stdin,
    pub stdout: Output,
    pub stderr: Output,
    /// Keep an strace-like line per call (see [`WasiCtx::trace_lines`] and
    /// [`WasiConfig::trace_sink`]).
    pub trace: bool,
    /// With `trace`: receives each line as it happens (the CLI prints it to
    /// stderr). Without a sink the lines collect in [`WasiCtx::trace_lines`].
    pub trace_sink: Option<TraceSink>,
    /// `--inherit-network`: WASI 0.2 sockets and name lookups reach the
    /// host's network (without it each is `access-denied`).
    pub inherit_network: bool,
}

/// Receives strace-like lines.
#[derive(Clone)]
pub struct TraceSink(pub Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for TraceSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TraceSink(..)")
    }
}

/// Which calls pause the guest (the debugger's `catch wasi [NAMES]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakOn {
    All,
    Names(Vec<String>),
}

impl BreakOn {
    pub fn matches(&self, func: &str) -> bool {
        match self {
            BreakOn::All => true,
            BreakOn::Names(n) => n.iter().any(|x| x == func),
        }
    }
}

/// One host call as it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct WasiCall {
    /// 0-based position among all calls of this context (dropped ones included).
    pub seq: u64,
    pub func: &'static str,
    /// Decoded arguments: strings and paths read from guest memory, iovec
    /// lengths, flags by name.
    pub args: Vec<(&'static str, String)>,
    pub errno: u16,
    pub errno_name: &'static str,
    /// Bytes read or written, when the call moves data.
    pub bytes: Option<u64>,
    /// Since the context was created.
    pub start: Duration,
    pub duration: Duration,
}

impl WasiCall {
    /// `fd_write(fd=1, iovs=[14]) = 14 bytes (ESUCCESS) <0.000012s>`
    pub fn strace_line(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let exits = lookup(self.func).is_some_and(|f| f.result == ResultKind::Exit);
        let result = if exits {
            "?".to_string()
        } else if self.errno != 0 {
            format!("-1 {} ({})", self.errno_name, self.errno)
        } else if let Some(b) = self.bytes {
            format!("{b} bytes ({})", self.errno_name)
        } else {
            format!("0 ({})", self.errno_name)
        };
        format!(
            "{}({}) = {} <{:.6}s>",
            self.func,
            args.join(", "),
            result,
            self.duration.as_secs_f64()
        )
    }
}

/// The most calls kept in [`WasiCtx::log`]; older ones are dropped and counted.
pub const LOG_CAP: usize = 100_000;

/// An open file descriptor.
pub(crate) struct FdEntry {
    pub kind: FdKind,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    pub flags: u16,
}

pub(crate) enum FdKind {
    Stdin,
    Stdout,
    Stderr,
    File {
        file: std::fs::File,
    },
    Dir {
        host: PathBuf,
        /// The preopen this directory lies in (renames and links stay inside one).
        root: usize,
        /// The guest name, for preopens (`fd_prestat_get`).
        preopen: Option<String>,
        /// Entries listed at the last `fd_readdir` with cookie 0.
        listing: Option<Vec<fs::DirEntry>>,
    },
}

/// The state of one WASI guest. Shared with the host functions through an
/// `Arc<Mutex<_>>`; the debugger reads `log` and sets `break_on`.
pub struct WasiCtx {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub(crate) fds: BTreeMap<u32, FdEntry>,
    pub(crate) stdin: Stdin,
    pub(crate) stdin_pos: usize,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
    pub(crate) created: Instant,
    /// The last [`LOG_CAP`] calls, oldest first.
    pub log: VecDeque<WasiCall>,
    /// Calls dropped from the front of `log`.
    pub log_dropped: u64,
    pub(crate) next_seq: u64,
    /// Pause the guest after these calls (`catch wasi`).
    pub break_on: Option<BreakOn>,
    /// Set by `proc_exit`.
    pub exit_code: Option<i32>,
    pub trace: bool,
    pub trace_sink: Option<TraceSink>,
    /// Trace lines not yet taken (only with `trace` and no sink).
    pub trace_lines: Vec<String>,
    pub(crate) interrupt: Option<crate::runtime::InterruptHandle>,
}

impl std::fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.args)
            .field("fds", &self.fds.keys().collect::<Vec<_>>())
            .field("log", &self.log.len())
            .field("exit_code", &self.exit_code)
            .finish_non_exhaustive()
    }
}

impl WasiCtx {
    /// Check the preopens exist and set up fds 0-2 and 3.. (one per preopen).
    pub fn new(cfg: WasiConfig) -> Result<WasiCtx> {
        let mut fds = BTreeMap::new();
        for (n, kind) in [(0, FdKind::Stdin), (1, FdKind::Stdout), (2, FdKind::Stderr)] {
            fds.insert(
                n,
                FdEntry {
                    kind,
                    rights_base: abi::RIGHTS_TTY,
                    rights_inheriting: 0,
                    flags: 0,
                },
            );
        }
        for (i, p) in cfg.preopens.iter().enumerate() {
            let host = p.canonical_host()?;
            fds.insert(
                3 + i as u32,
                FdEntry {
                    kind: FdKind::Dir {
                        host,
                        root: i,
                        preopen: Some(p.guest.clone()),
                        listing: None,
                    },
                    rights_base: abi::RIGHTS_DIR,
                    rights_inheriting: abi::RIGHTS_DIR | abi::RIGHTS_FILE,
                    flags: 0,
                },
            );
        }
        Ok(WasiCtx {
            args: cfg.args,
            env: cfg.env,
            fds,
            stdin: cfg.stdin,
            stdin_pos: 0,
            stdout: cfg.stdout,
            stderr: cfg.stderr,
            created: Instant::now(),
            log: VecDeque::new(),
            log_dropped: 0,
            next_seq: 0,
            break_on: None,
            exit_code: None,
            trace: cfg.trace,
            trace_sink: cfg.trace_sink,
            trace_lines: Vec::new(),
            interrupt: None,
        })
    }

    /// Take the trace lines collected so far (with `trace` and no sink).
    pub fn take_trace_lines(&mut self) -> Vec<String> {
        std::mem::take(&mut self.trace_lines)
    }

    fn record(&mut self, mut call: WasiCall) {
        call.seq = self.next_seq;
        self.next_seq += 1;
        if self.trace {
            let line = call.strace_line();
            match &self.trace_sink {
                Some(s) => (s.0)(&line),
                None => self.trace_lines.push(line),
            }
        }
        if self.log.len() >= LOG_CAP {
            self.log.pop_front();
            self.log_dropped += 1;
        }
        self.log.push_back(call);
    }
}

/// The wasm type of a preview1 function, or `None` if it is not one.
pub fn func_type(name: &str) -> Option<wasmparser::FuncType> {
    lookup(name).map(Func::wasm_type)
}

/// The most wasm parameters a preview1 function has (`path_open`).
const MAX_PARAMS: usize = 9;

/// Define every preview1 function in `linker`, sharing `ctx`.
pub fn add_to_linker(
    linker: &mut Linker,
    store: &mut Store,
    ctx: Arc<Mutex<WasiCtx>>,
) -> Result<()> {
    {
        let mut c = ctx
            .lock()
            .map_err(|_| Error::new(ErrorKind::Other, "WASI context lock poisoned"))?;
        c.interrupt = Some(store.interrupt_handle());
    }
    for func in FUNCS {
        let ctx = ctx.clone();
        let f: crate::runtime::HostFunc = Arc::new(
            move |caller: &mut Caller<'_>, params: &[Value], results: &mut [Value]| {
                call_host(&ctx, func, caller, params, results)
            },
        );
        linker.func(store, MODULE, func.name, func.wasm_type(), f);
    }
    Ok(())
}

/// One call of `func`: decode, run, record, and pause if `catch wasi` asks.
fn call_host(
    ctx: &Mutex<WasiCtx>,
    func: &'static Func,
    caller: &mut Caller<'_>,
    params: &[Value],
    results: &mut [Value],
) -> std::result::Result<(), HostError> {
    let mut raw = [0u64; MAX_PARAMS];
    for (r, v) in raw.iter_mut().zip(params) {
        *r = match *v {
            Value::I32(x) => x as u32 as u64,
            Value::I64(x) => x as u64,
            _ => 0,
        };
    }
    let raw = &raw[..params.len().min(MAX_PARAMS)];
    let mut ctx = ctx
        .lock()
        .map_err(|_| HostError::Trap("WASI context lock poisoned".into()))?;
    let t0 = Instant::now();
    let start = t0.duration_since(ctx.created);
    let mut args: Args = Vec::new();
    let mut empty: [u8; 0] = [];
    let memory: &mut [u8] = match caller.memory_mut() {
        Some(m) => m,
        None => &mut empty,
    };
    let mut mem = mem::GuestMem::new(memory);
    let outcome = (func.call)(&mut ctx, &mut mem, raw, &mut args);
    let duration = t0.elapsed();
    let (errno, bytes, exit) = match outcome {
        Outcome::Ok(bytes) => (0, bytes, None),
        Outcome::Err(e) => (e, None, None),
        Outcome::Exit(code) => (0, None, Some(code)),
    };
    ctx.record(WasiCall {
        seq: 0,
        func: func.name,
        args,
        errno,
        errno_name: errno_name(errno),
        bytes,
        start,
        duration,
    });
    if let Some(code) = exit {
        ctx.exit_code = Some(code);
        return Err(HostError::Exit(code));
    }
    if let Some(r) = results.first_mut() {
        *r = Value::I32(errno as i32);
    }
    let pause = ctx.break_on.as_ref().is_some_and(|b| b.matches(func.name));
    drop(ctx);
    if pause {
        caller.request_pause();
    }
    Ok(())
}
