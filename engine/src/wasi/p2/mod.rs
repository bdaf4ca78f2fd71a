//! A WASI 0.2 host of our own for components: `wasi:cli`, `wasi:io`,
//! `wasi:clocks`, `wasi:random`, `wasi:filesystem` and `wasi:sockets`
//! (`net`: denied unless `--inherit-network`), with wasmtime's
//! behaviour as the reference. The filesystem follows preview1's sandbox
//! (`super::fs::resolve`: paths resolved a component at a time, symlinks
//! followed by us, no escape) and `--dir` spellings.
//!
//! Declarative, as preview1's table is: [`FUNCS`] has one entry per
//! function (interface without version, name, handler), bound once when a
//! component is linked; handlers take lifted [`Val`]s and return one.
//! Resources the host makes (streams, descriptors, pollables...) live in
//! one table here, their `rep` an index into it.

mod fs;
mod net;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Output, Stdin, TraceSink, WasiConfig};
use crate::component::types::wave;
use crate::component::{ComponentHost, FuncTy, HostFn, Val};
use crate::error::Result;
use crate::runtime::HostError;

/// A resource the host made.
pub(crate) enum Res {
    Input(InStream),
    Output(OutStream),
    /// A timer (`None`: ready now).
    Pollable(Option<Instant>),
    /// Ready when the resource with this rep is (a socket, a socket's
    /// stream): see `net::wait`.
    IoPollable(u32),
    Error(String),
    TerminalInput,
    TerminalOutput,
    Descriptor(fs::Desc),
    DirStream(VecDeque<(String, u8)>),
    Network,
    Tcp(net::Tcp),
    Udp(net::Udp),
    DatagramsIn(net::Datagrams),
    DatagramsOut(net::Datagrams),
    Resolved(net::Resolved),
}

pub(crate) enum InStream {
    Stdin,
    File { file: Arc<std::fs::File>, pos: u64 },
    Tcp(Arc<std::net::TcpStream>),
}

pub(crate) enum OutStream {
    Stdout,
    Stderr,
    File { file: Arc<std::fs::File>, pos: u64 },
    Append(Arc<std::fs::File>),
    Tcp(Box<net::TcpOut>),
}

/// One guest's WASI 0.2 state.
pub struct P2Ctx {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// (canonical host path, guest name).
    pub(crate) preopens: Vec<(PathBuf, String)>,
    stdin: Stdin,
    stdin_pos: usize,
    stdout: Output,
    stderr: Output,
    res: Vec<Option<Res>>,
    free: Vec<u32>,
    created: Instant,
    trace: Option<TraceSink>,
    /// Trace lines (with `trace` and no sink).
    pub trace_lines: Vec<String>,
    trace_on: bool,
    /// `--inherit-network`: without it every socket operation is
    /// `access-denied`.
    network: bool,
    /// The store's interrupt flag (see [`P2Host::interruptible`]).
    interrupt: Option<crate::runtime::InterruptHandle>,
}

type R = std::result::Result<Option<Val>, HostError>;
type Handler = fn(&mut P2Ctx, &[Val]) -> R;

impl P2Ctx {
    /// Check the preopens (as preview1 does) and set up the context.
    pub fn new(cfg: WasiConfig) -> Result<P2Ctx> {
        let mut preopens = Vec::new();
        for p in &cfg.preopens {
            preopens.push((p.canonical_host()?, p.guest.clone()));
        }
        Ok(P2Ctx {
            args: cfg.args,
            env: cfg.env,
            preopens,
            stdin: cfg.stdin,
            stdin_pos: 0,
            stdout: cfg.stdout,
            stderr: cfg.stderr,
            res: vec![None],
            free: Vec::new(),
            created: Instant::now(),
            trace_on: cfg.trace,
            trace: cfg.trace_sink,
            trace_lines: Vec::new(),
            network: cfg.inherit_network,
            interrupt: None,
        })
    }

    pub(crate) fn add(&mut self, r: Res) -> u32 {
        if let Some(i) = self.free.pop() {
            self.res[i as usize] = Some(r);
            i
        } else {
            self.res.push(Some(r));
            (self.res.len() - 1) as u32
        }
    }

    pub(crate) fn get(&mut self, rep: u32) -> std::result::Result<&mut Res, HostError> {
        match self.res.get_mut(rep as usize) {
            Some(Some(r)) => Ok(r),
            _ => trap(format!("no host resource {rep}")),
        }
    }

    fn drop_rep(&mut self, rep: u32) {
        if let Some(slot) = self.res.get_mut(rep as usize)
            && let Some(r) = slot.take()
        {
            // What the guest wrote to a connection still reaches the peer
            // (best effort: a connection that fails loses it).
            if let Res::Output(OutStream::Tcp(mut o)) = r {
                let stop = self.interrupt.clone();
                let _ = o.flush_blocking(stop.as_deref());
            }
            self.free.push(rep);
        }
    }

    /// Live host resources (streams, descriptors, pollables...).
    pub fn live_resources(&self) -> usize {
        self.res.iter().flatten().count()
    }

    fn write_out(&mut self, which: &OutStream, data: &[u8]) -> std::io::Result<()> {
        let out = match which {
            OutStream::Stdout => &self.stdout,
            _ => &self.stderr,
        };
        match out {
            Output::Sink(s) => {
                s(data);
                Ok(())
            }
            Output::Inherit => {
                if matches!(which, OutStream::Stdout) {
                    let mut o = std::io::stdout().lock();
                    o.write_all(data)?;
                    o.flush()
                } else {
                    std::io::stderr().lock().write_all(data)
                }
            }
        }
    }

    fn read_stdin(&mut self, len: usize) -> std::io::Result<Vec<u8>> {
        match &mut self.stdin {
            Stdin::Null => Ok(Vec::new()),
            Stdin::Bytes(b) => {
                let start = self.stdin_pos.min(b.len());
                let end = (start + len).min(b.len());
                self.stdin_pos = end;
                Ok(b[start..end].to_vec())
            }
            Stdin::Shared(q) => {
                let mut q = q.lock().unwrap_or_else(|e| e.into_inner());
                let n = len.min(q.len());
                Ok(q.drain(..n).collect())
            }
            Stdin::Inherit => {
                let mut buf = vec![0; len.min(1 << 16)];
                let n = std::io::stdin().lock().read(&mut buf)?;
                buf.truncate(n);
                Ok(buf)
            }
        }
    }
}

pub(crate) fn trap<T>(m: impl Into<String>) -> std::result::Result<T, HostError> {
    Err(HostError::Trap(m.into()))
}

// ---- argument access ----------------------------------------------------

pub(crate) fn rep(a: &[Val], i: usize) -> std::result::Result<u32, HostError> {
    match a.get(i) {
        Some(Val::Borrow(r) | Val::Own(r)) => Ok(*r),
        _ => trap(format!("argument {i}: a resource handle was expected")),
    }
}

pub(crate) fn u64a(a: &[Val], i: usize) -> std::result::Result<u64, HostError> {
    match a.get(i) {
        Some(Val::U64(v)) => Ok(*v),
        _ => trap(format!("argument {i}: a u64 was expected")),
    }
}

pub(crate) fn flags(a: &[Val], i: usize) -> std::result::Result<u32, HostError> {
    match a.get(i) {
        Some(Val::Flags(v)) => Ok(*v),
        _ => trap(format!("argument {i}: flags were expected")),
    }
}

pub(crate) fn string(a: &[Val], i: usize) -> std::result::Result<&str, HostError> {
    match a.get(i) {
        Some(Val::String(s)) => Ok(s),
        _ => trap(format!("argument {i}: a string was expected")),
    }
}

fn bytes(a: &[Val], i: usize) -> std::result::Result<&[u8], HostError> {
    match a.get(i) {
        Some(Val::Bytes(b)) => Ok(b),
        _ => trap(format!("argument {i}: a list<u8> was expected")),
    }
}

// ---- wasi:cli ------------------------------------------------------------

fn get_environment(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::List(
        c.env
            .iter()
            .map(|(k, v)| Val::Tuple(vec![Val::String(k.clone()), Val::String(v.clone())]))
            .collect(),
    )))
}

fn get_arguments(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::List(
        c.args.iter().map(|a| Val::String(a.clone())).collect(),
    )))
}

fn initial_cwd(_: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Option(None)))
}

fn exit(_: &mut P2Ctx, a: &[Val]) -> R {
    match a.first() {
        Some(Val::Result(Ok(_))) => Err(HostError::Exit(0)),
        _ => Err(HostError::Exit(1)),
    }
}

fn exit_with_code(_: &mut P2Ctx, a: &[Val]) -> R {
    match a.first() {
        Some(Val::U8(c)) => Err(HostError::Exit(*c as i32)),
        _ => Err(HostError::Exit(1)),
    }
}

fn get_stdin(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Own(c.add(Res::Input(InStream::Stdin)))))
}

fn get_stdout(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Own(c.add(Res::Output(OutStream::Stdout)))))
}

fn get_stderr(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Own(c.add(Res::Output(OutStream::Stderr)))))
}

fn is_tty(fd: i32) -> bool {
    use std::io::IsTerminal;
    match fd {
        0 => std::io::stdin().is_terminal(),
        1 => std::io::stdout().is_terminal(),
        _ => std::io::stderr().is_terminal(),
    }
}

fn get_terminal_stdin(c: &mut P2Ctx, _: &[Val]) -> R {
    let tty = matches!(c.stdin, Stdin::Inherit) && is_tty(0);
    Ok(Some(Val::Option(
        tty.then(|| Box::new(Val::Own(c.add(Res::TerminalInput)))),
    )))
}

fn get_terminal_stdout(c: &mut P2Ctx, _: &[Val]) -> R {
    let tty = matches!(c.stdout, Output::Inherit) && is_tty(1);
    Ok(Some(Val::Option(
        tty.then(|| Box::new(Val::Own(c.add(Res::TerminalOutput)))),
    )))
}

fn get_terminal_stderr(c: &mut P2Ctx, _: &[Val]) -> R {
    let tty = matches!(c.stderr, Output::Inherit) && is_tty(2);
    Ok(Some(Val::Option(
        tty.then(|| Box::new(Val::Own(c.add(Res::TerminalOutput)))),
    )))
}

// ---- wasi:io ---------------------------------------------------------------

fn error_to_debug_string(c: &mut P2Ctx, a: &[Val]) -> R {
    match c.get(rep(a, 0)?)? {
        Res::Error(s) => Ok(Some(Val::String(s.clone()))),
        _ => trap("not an error resource"),
    }
}

fn pollable_ready(c: &mut P2Ctx, a: &[Val]) -> R {
    Ok(Some(Val::Bool(net::ready_now(c, rep(a, 0)?)?)))
}

fn pollable_block(c: &mut P2Ctx, a: &[Val]) -> R {
    net::wait(c, &[rep(a, 0)?])?;
    Ok(None)
}

fn poll(c: &mut P2Ctx, a: &[Val]) -> R {
    let Some(Val::List(items)) = a.first() else {
        return trap("poll: a list of pollables was expected");
    };
    if items.is_empty() {
        return trap("poll: an empty list of pollables");
    }
    let mut reps = Vec::with_capacity(items.len());
    for it in items {
        match it {
            Val::Borrow(r) | Val::Own(r) => reps.push(*r),
            _ => return trap("poll: not a pollable"),
        }
    }
    let ready = net::wait(c, &reps)?;
    Ok(Some(Val::List(ready.into_iter().map(Val::U32).collect())))
}

fn stream_err(c: &mut P2Ctx, e: std::io::Error) -> Val {
    let r = c.add(Res::Error(e.to_string()));
    Val::err(Some(Val::Variant(0, Some(Box::new(Val::Own(r))))))
}

fn closed() -> Val {
    Val::err(Some(Val::Variant(1, None)))
}

fn input_read(c: &mut P2Ctx, a: &[Val]) -> R {
    read(c, a, false)
}

fn input_blocking_read(c: &mut P2Ctx, a: &[Val]) -> R {
    read(c, a, true)
}

fn read(c: &mut P2Ctx, a: &[Val], blocking: bool) -> R {
    let len = u64a(a, 1)?.min(1 << 20) as usize;
    let r = rep(a, 0)?;
    let stop = c.interrupt.clone();
    let got = match c.get(r)? {
        // Empty: nothing yet (a file's or stdin's empty read is its end).
        Res::Input(InStream::Tcp(s)) => match net::tcp_read(s, len, blocking, stop.as_deref()) {
            Ok(Some(b)) => return Ok(Some(Val::ok(Some(Val::Bytes(b))))),
            Ok(None) => return Ok(Some(closed())),
            Err(e) => Err(e),
        },
        Res::Input(InStream::Stdin) => c.read_stdin(len),
        Res::Input(InStream::File { file, pos }) => {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0; len];
            match file.read_at(&mut buf, *pos) {
                Ok(n) => {
                    buf.truncate(n);
                    *pos += n as u64;
                    Ok(buf)
                }
                Err(e) => Err(e),
            }
        }
        _ => return trap("not an input-stream"),
    };
    Ok(Some(match got {
        Ok(b) if b.is_empty() && len > 0 => closed(),
        Ok(b) => Val::ok(Some(Val::Bytes(b))),
        Err(e) => stream_err(c, e),
    }))
}

fn input_skip(c: &mut P2Ctx, a: &[Val]) -> R {
    skip(c, a, false)
}

fn input_blocking_skip(c: &mut P2Ctx, a: &[Val]) -> R {
    skip(c, a, true)
}

fn skip(c: &mut P2Ctx, a: &[Val], blocking: bool) -> R {
    let r = read(c, a, blocking)?;
    Ok(r.map(|v| match v {
        Val::Result(Ok(Some(b))) => match *b {
            Val::Bytes(b) => Val::ok(Some(Val::U64(b.len() as u64))),
            other => Val::ok(Some(other)),
        },
        other => other,
    }))
}

/// A stream's pollable: a connection's is ready when the socket is; the
/// others always are.
fn subscribe_stream(c: &mut P2Ctx, a: &[Val]) -> R {
    let r = rep(a, 0)?;
    let p = match c.get(r)? {
        Res::Input(InStream::Tcp(_)) | Res::Output(OutStream::Tcp(_)) => Res::IoPollable(r),
        _ => Res::Pollable(None),
    };
    Ok(Some(Val::Own(c.add(p))))
}

fn output_check_write(c: &mut P2Ctx, a: &[Val]) -> R {
    let res = match c.get(rep(a, 0)?)? {
        Res::Output(OutStream::Tcp(o)) => net::tcp_check_write(o),
        Res::Output(_) => Ok(1 << 20),
        _ => return trap("not an output-stream"),
    };
    Ok(Some(match res {
        Ok(n) => Val::ok(Some(Val::U64(n))),
        Err(e) => stream_err(c, e),
    }))
}

fn output_write(c: &mut P2Ctx, a: &[Val]) -> R {
    write(c, a, false)
}

fn output_blocking_write(c: &mut P2Ctx, a: &[Val]) -> R {
    write(c, a, true)
}

fn write(c: &mut P2Ctx, a: &[Val], flush: bool) -> R {
    let data = bytes(a, 1)?;
    let r = rep(a, 0)?;
    let stop = c.interrupt.clone();
    let res = match c.get(r)? {
        Res::Output(OutStream::Tcp(o)) => net::tcp_write(o, data, flush, stop.as_deref()),
        Res::Output(OutStream::File { file, pos }) => {
            use std::os::unix::fs::FileExt;
            let r = file.write_all_at(data, *pos);
            if r.is_ok() {
                *pos += data.len() as u64;
            }
            r
        }
        Res::Output(OutStream::Append(file)) => (&**file).write_all(data),
        Res::Output(OutStream::Stdout) => c.write_out(&OutStream::Stdout, data),
        Res::Output(OutStream::Stderr) => c.write_out(&OutStream::Stderr, data),
        _ => return trap("not an output-stream"),
    };
    Ok(Some(match res {
        Ok(()) => Val::ok(None),
        Err(e) => stream_err(c, e),
    }))
}

fn output_write_zeroes(c: &mut P2Ctx, a: &[Val]) -> R {
    let n = u64a(a, 1)?.min(1 << 24) as usize;
    write(c, &[a[0].clone(), Val::Bytes(vec![0; n])], false)
}

fn output_blocking_write_zeroes(c: &mut P2Ctx, a: &[Val]) -> R {
    let n = u64a(a, 1)?.min(1 << 24) as usize;
    write(c, &[a[0].clone(), Val::Bytes(vec![0; n])], true)
}

fn output_flush(c: &mut P2Ctx, a: &[Val]) -> R {
    flush(c, a, false)
}

fn output_blocking_flush(c: &mut P2Ctx, a: &[Val]) -> R {
    flush(c, a, true)
}

fn flush(c: &mut P2Ctx, a: &[Val], blocking: bool) -> R {
    let stop = c.interrupt.clone();
    let res = match c.get(rep(a, 0)?)? {
        Res::Output(OutStream::Tcp(o)) => net::tcp_flush(o, blocking, stop.as_deref()),
        Res::Output(_) => Ok(()),
        _ => return trap("not an output-stream"),
    };
    Ok(Some(match res {
        Ok(()) => Val::ok(None),
        Err(e) => stream_err(c, e),
    }))
}

// ---- wasi:clocks, wasi:random ------------------------------------------

fn wall_now(_: &mut P2Ctx, _: &[Val]) -> R {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Ok(Some(datetime(d)))
}

pub(crate) fn datetime(d: Duration) -> Val {
    Val::Record(vec![Val::U64(d.as_secs()), Val::U32(d.subsec_nanos())])
}

fn wall_resolution(_: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(datetime(Duration::from_nanos(1))))
}

fn mono_now(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::U64(c.created.elapsed().as_nanos() as u64)))
}

fn mono_resolution(_: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::U64(1)))
}

fn subscribe_instant(c: &mut P2Ctx, a: &[Val]) -> R {
    let at = c.created + Duration::from_nanos(u64a(a, 0)?);
    Ok(Some(Val::Own(c.add(Res::Pollable(Some(at))))))
}

fn subscribe_duration(c: &mut P2Ctx, a: &[Val]) -> R {
    let at = Instant::now().checked_add(Duration::from_nanos(u64a(a, 0)?));
    Ok(Some(Val::Own(c.add(Res::Pollable(at)))))
}

fn random_bytes(n: usize) -> std::result::Result<Vec<u8>, HostError> {
    let mut buf = vec![0; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .or_else(|e| trap(format!("random: {e}")))?;
    Ok(buf)
}

fn get_random_bytes(_: &mut P2Ctx, a: &[Val]) -> R {
    let n = u64a(a, 0)?;
    if n > 1 << 26 {
        return trap("get-random-bytes: too many bytes asked for");
    }
    Ok(Some(Val::Bytes(random_bytes(n as usize)?)))
}

fn get_random_u64(_: &mut P2Ctx, _: &[Val]) -> R {
    let b = random_bytes(8)?;
    Ok(Some(Val::U64(u64::from_le_bytes(
        b.try_into().unwrap_or_default(),
    ))))
}

fn insecure_seed(_: &mut P2Ctx, _: &[Val]) -> R {
    let b = random_bytes(16)?;
    let lo = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
    let hi = u64::from_le_bytes(b[8..].try_into().unwrap_or_default());
    Ok(Some(Val::Tuple(vec![Val::U64(lo), Val::U64(hi)])))
}

/// One function of the host.
pub struct Func {
    /// Without version (`wasi:cli/stdout`).
    pub interface: &'static str,
    pub name: &'static str,
    /// Takes the lifted arguments, returns the result to lower. The
    /// parameter and result types are the component's (its WIT), so the
    /// entry does not repeat them.
    pub(crate) call: Handler,
}

/// `"interface" { "name" => handler, ... }` becomes one [`Func`] per name.
macro_rules! p2_funcs {
    ($( $iface:literal { $( $name:literal => $call:path ),* $(,)? } )*) => {
        /// Every function of the host, grouped by interface.
        pub static FUNCS: &[Func] = &[$($(
            Func { interface: $iface, name: $name, call: $call },
        )*)*];
    };
}

p2_funcs! {
    "wasi:cli/environment" {
        "get-environment" => get_environment,
        "get-arguments" => get_arguments,
        "initial-cwd" => initial_cwd,
    }
    "wasi:cli/exit" {
        "exit" => exit,
        "exit-with-code" => exit_with_code,
    }
    "wasi:cli/stdin" {
        "get-stdin" => get_stdin,
    }
    "wasi:cli/stdout" {
        "get-stdout" => get_stdout,
    }
    "wasi:cli/stderr" {
        "get-stderr" => get_stderr,
    }
    "wasi:cli/terminal-stdin" {
        "get-terminal-stdin" => get_terminal_stdin,
    }
    "wasi:cli/terminal-stdout" {
        "get-terminal-stdout" => get_terminal_stdout,
    }
    "wasi:cli/terminal-stderr" {
        "get-terminal-stderr" => get_terminal_stderr,
    }
    "wasi:io/error" {
        "[method]error.to-debug-string" => error_to_debug_string,
    }
    "wasi:io/poll" {
        "[method]pollable.ready" => pollable_ready,
        "[method]pollable.block" => pollable_block,
        "poll" => poll,
    }
    "wasi:io/streams" {
        "[method]input-stream.read" => input_read,
        "[method]input-stream.blocking-read" => input_blocking_read,
        "[method]input-stream.skip" => input_skip,
        "[method]input-stream.blocking-skip" => input_blocking_skip,
        "[method]input-stream.subscribe" => subscribe_stream,
        "[method]output-stream.check-write" => output_check_write,
        "[method]output-stream.write" => output_write,
        "[method]output-stream.blocking-write-and-flush" => output_blocking_write,
        "[method]output-stream.write-zeroes" => output_write_zeroes,
        "[method]output-stream.blocking-write-zeroes-and-flush" => output_blocking_write_zeroes,
        "[method]output-stream.flush" => output_flush,
        "[method]output-stream.blocking-flush" => output_blocking_flush,
        "[method]output-stream.subscribe" => subscribe_stream,
    }
    "wasi:clocks/wall-clock" {
        "now" => wall_now,
        "resolution" => wall_resolution,
    }
    "wasi:clocks/monotonic-clock" {
        "now" => mono_now,
        "resolution" => mono_resolution,
        "subscribe-instant" => subscribe_instant,
        "subscribe-duration" => subscribe_duration,
    }
    "wasi:random/random" {
        "get-random-bytes" => get_random_bytes,
        "get-random-u64" => get_random_u64,
    }
    "wasi:random/insecure" {
        "get-insecure-random-bytes" => get_random_bytes,
        "get-insecure-random-u64" => get_random_u64,
    }
    "wasi:random/insecure-seed" {
        "insecure-seed" => insecure_seed,
    }
    "wasi:filesystem/preopens" {
        "get-directories" => fs::get_directories,
    }
    "wasi:filesystem/types" {
        "[method]descriptor.read-via-stream" => fs::read_via_stream,
        "[method]descriptor.write-via-stream" => fs::write_via_stream,
        "[method]descriptor.append-via-stream" => fs::append_via_stream,
        "[method]descriptor.get-flags" => fs::get_flags,
        "[method]descriptor.get-type" => fs::get_type,
        "[method]descriptor.stat" => fs::stat,
        "[method]descriptor.stat-at" => fs::stat_at,
        "[method]descriptor.open-at" => fs::open_at,
        "[method]descriptor.read-directory" => fs::read_directory,
        "[method]descriptor.create-directory-at" => fs::create_directory_at,
        "[method]descriptor.remove-directory-at" => fs::remove_directory_at,
        "[method]descriptor.unlink-file-at" => fs::unlink_file_at,
        "[method]descriptor.rename-at" => fs::rename_at,
        "[method]descriptor.metadata-hash" => fs::metadata_hash,
        "[method]descriptor.metadata-hash-at" => fs::metadata_hash_at,
        "[method]descriptor.read" => fs::read,
        "[method]descriptor.write" => fs::write,
        "[method]descriptor.set-size" => fs::set_size,
        "[method]descriptor.sync" => fs::sync,
        "[method]descriptor.sync-data" => fs::sync,
        "[method]descriptor.readlink-at" => fs::readlink_at,
        "[method]descriptor.is-same-object" => fs::is_same_object,
        "[method]directory-entry-stream.read-directory-entry" => fs::read_directory_entry,
        "filesystem-error-code" => fs::filesystem_error_code,
    }
    "wasi:sockets/instance-network" {
        "instance-network" => net::instance_network,
    }
    "wasi:sockets/tcp-create-socket" {
        "create-tcp-socket" => net::create_tcp_socket,
    }
    "wasi:sockets/tcp" {
        "[method]tcp-socket.start-bind" => net::tcp_start_bind,
        "[method]tcp-socket.finish-bind" => net::tcp_finish_bind,
        "[method]tcp-socket.start-connect" => net::tcp_start_connect,
        "[method]tcp-socket.finish-connect" => net::tcp_finish_connect,
        "[method]tcp-socket.start-listen" => net::tcp_start_listen,
        "[method]tcp-socket.finish-listen" => net::tcp_finish_listen,
        "[method]tcp-socket.accept" => net::tcp_accept,
        "[method]tcp-socket.local-address" => net::tcp_local_address,
        "[method]tcp-socket.remote-address" => net::tcp_remote_address,
        "[method]tcp-socket.is-listening" => net::tcp_is_listening,
        "[method]tcp-socket.address-family" => net::tcp_address_family,
        "[method]tcp-socket.set-listen-backlog-size" => net::tcp_set_listen_backlog_size,
        "[method]tcp-socket.keep-alive-enabled" => net::tcp_keep_alive_enabled,
        "[method]tcp-socket.set-keep-alive-enabled" => net::tcp_set_keep_alive_enabled,
        "[method]tcp-socket.keep-alive-idle-time" => net::tcp_keep_alive_idle_time,
        "[method]tcp-socket.set-keep-alive-idle-time" => net::tcp_set_keep_alive_idle_time,
        "[method]tcp-socket.keep-alive-interval" => net::tcp_keep_alive_interval,
        "[method]tcp-socket.set-keep-alive-interval" => net::tcp_set_keep_alive_interval,
        "[method]tcp-socket.keep-alive-count" => net::tcp_keep_alive_count,
        "[method]tcp-socket.set-keep-alive-count" => net::tcp_set_keep_alive_count,
        "[method]tcp-socket.hop-limit" => net::tcp_hop_limit,
        "[method]tcp-socket.set-hop-limit" => net::tcp_set_hop_limit,
        "[method]tcp-socket.receive-buffer-size" => net::tcp_receive_buffer_size,
        "[method]tcp-socket.set-receive-buffer-size" => net::tcp_set_receive_buffer_size,
        "[method]tcp-socket.send-buffer-size" => net::tcp_send_buffer_size,
        "[method]tcp-socket.set-send-buffer-size" => net::tcp_set_send_buffer_size,
        "[method]tcp-socket.subscribe" => net::subscribe,
        "[method]tcp-socket.shutdown" => net::tcp_shutdown,
    }
    "wasi:sockets/udp-create-socket" {
        "create-udp-socket" => net::create_udp_socket,
    }
    "wasi:sockets/udp" {
        "[method]udp-socket.start-bind" => net::udp_start_bind,
        "[method]udp-socket.finish-bind" => net::udp_finish_bind,
        "[method]udp-socket.stream" => net::udp_stream,
        "[method]udp-socket.local-address" => net::udp_local_address,
        "[method]udp-socket.remote-address" => net::udp_remote_address,
        "[method]udp-socket.address-family" => net::udp_address_family,
        "[method]udp-socket.unicast-hop-limit" => net::udp_unicast_hop_limit,
        "[method]udp-socket.set-unicast-hop-limit" => net::udp_set_unicast_hop_limit,
        "[method]udp-socket.receive-buffer-size" => net::udp_receive_buffer_size,
        "[method]udp-socket.set-receive-buffer-size" => net::udp_set_receive_buffer_size,
        "[method]udp-socket.send-buffer-size" => net::udp_send_buffer_size,
        "[method]udp-socket.set-send-buffer-size" => net::udp_set_send_buffer_size,
        "[method]udp-socket.subscribe" => net::subscribe,
        "[method]incoming-datagram-stream.receive" => net::udp_receive,
        "[method]incoming-datagram-stream.subscribe" => net::subscribe,
        "[method]outgoing-datagram-stream.check-send" => net::udp_check_send,
        "[method]outgoing-datagram-stream.send" => net::udp_send,
        "[method]outgoing-datagram-stream.subscribe" => net::subscribe,
    }
    "wasi:sockets/ip-name-lookup" {
        "resolve-addresses" => net::resolve_addresses,
        "[method]resolve-address-stream.resolve-next-address" => net::resolve_next_address,
        "[method]resolve-address-stream.subscribe" => net::subscribe,
    }
}

/// The WASI 0.2 host: a [`ComponentHost`] over a shared [`P2Ctx`].
#[derive(Clone)]
pub struct P2Host {
    pub ctx: Arc<Mutex<P2Ctx>>,
}

impl P2Host {
    pub fn new(cfg: WasiConfig) -> Result<P2Host> {
        Ok(P2Host {
            ctx: Arc::new(Mutex::new(P2Ctx::new(cfg)?)),
        })
    }

    /// A guest waiting in the host (`poll`, a blocking socket read) stops
    /// waiting when `flag` goes up (`--timeout`, Ctrl-C): it looks at the
    /// flag every 100 ms while it waits.
    pub fn interruptible(&self, flag: crate::runtime::InterruptHandle) {
        self.ctx.lock().unwrap_or_else(|e| e.into_inner()).interrupt = Some(flag);
    }
}

/// `wasi:cli/stdout@0.2.6` -> `wasi:cli/stdout`, for versions 0.2.x.
fn unversioned(iface: &str) -> Option<&str> {
    match iface.split_once('@') {
        Some((i, v)) if v.starts_with("0.2.") => Some(i),
        Some(_) => None,
        None => Some(iface),
    }
}

impl ComponentHost for P2Host {
    fn func(&self, interface: &str, name: &str, ty: &FuncTy) -> Option<HostFn> {
        let iface = unversioned(interface)?;
        let h = FUNCS
            .iter()
            .find(|f| f.interface == iface && f.name == name)?
            .call;
        let ctx = self.ctx.clone();
        // `wasi:io/streams.output-stream.write`: the method's resource and name.
        let short = name
            .strip_prefix("[method]")
            .or_else(|| name.strip_prefix("[static]"))
            .unwrap_or(name);
        let label = format!("{iface}.{short}");
        let ty = ty.clone();
        Some(Arc::new(move |args: Vec<Val>| {
            let mut c = ctx.lock().unwrap_or_else(|e| e.into_inner());
            let r = h(&mut c, &args);
            if c.trace_on {
                let a: Vec<String> = args
                    .iter()
                    .zip(&ty.params)
                    .map(|(v, (_, t))| wave(v, t))
                    .collect();
                let res = match (&r, &ty.result) {
                    (Ok(Some(v)), Some(t)) => format!(" -> {}", wave(v, t)),
                    (Ok(Some(v)), None) => format!(" -> {v}"),
                    (Ok(None), _) => String::new(),
                    (Err(HostError::Exit(code)), _) => format!(" -> exit({code})"),
                    (Err(HostError::Trap(m)), _) => format!(" -> trap: {m}"),
                };
                let line = format!("{label}({}){res}", a.join(", "));
                match &c.trace {
                    Some(s) => (s.0)(&line),
                    None => c.trace_lines.push(line),
                }
            }
            r
        }))
    }

    fn drop_resource(&self, rep: u32) -> std::result::Result<(), HostError> {
        self.ctx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drop_rep(rep);
        Ok(())
    }
}
