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
//!
//! Here: the resource table and [`P2Ctx`], argument access, [`FUNCS`] and
//! [`P2Host`]. The handlers are in `cli` (`wasi:cli`, `wasi:clocks`,
//! `wasi:random`), `io` (`wasi:io`), `fs` and `net`.

mod cli;
mod fs;
mod io;
mod net;

use cli::*;
use io::*;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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
