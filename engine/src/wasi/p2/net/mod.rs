//! `wasi:sockets` for the WASI 0.2 host: TCP and UDP over the host's
//! non-blocking sockets (made with rustix, used as `std::net` sockets),
//! `ip-name-lookup` with the host's resolver, and the readiness that
//! `wasi:io/poll` waits on (one `poll(2)` over every socket and the
//! earliest timer, never a busy loop).
//!
//! Every operation that would reach the network (creating a socket,
//! resolving a name) is `access-denied` unless the run was given
//! `--inherit-network` ([`crate::wasi::WasiConfig::inherit_network`]).
//! Behaviour follows wasmtime's: the same socket states, the same checks of
//! addresses and option values, the same error codes.
//!
//! Here: the error codes, the readiness of pollables and the wait over them,
//! argument access and the options TCP and UDP share. [`tcp`] and [`udp`]
//! hold the sockets, [`lookup`] the resolver, [`addr`] the conversion of
//! WIT addresses. The submodules take this module's imports with
//! `use super::*`.

mod addr;
mod lookup;
mod tcp;
mod udp;

use addr::*;
pub(crate) use lookup::*;
pub(crate) use tcp::*;
pub(crate) use udp::*;

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, TcpStream, ToSocketAddrs,
    UdpSocket,
};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::net::{AddressFamily, SocketFlags, SocketType, sockopt};

use super::{InStream, OutStream, P2Ctx, R, Res, rep, string, trap, u64a};
use crate::component::Val;
use crate::runtime::HostError;

// ---- error-code (wasi:sockets/network) ------------------------------------

const UNKNOWN: u32 = 0;
const ACCESS_DENIED: u32 = 1;
const NOT_SUPPORTED: u32 = 2;
const INVALID_ARGUMENT: u32 = 3;
const OUT_OF_MEMORY: u32 = 4;
const TIMEOUT: u32 = 5;
const CONCURRENCY_CONFLICT: u32 = 6;
const NOT_IN_PROGRESS: u32 = 7;
const WOULD_BLOCK: u32 = 8;
const INVALID_STATE: u32 = 9;
const NEW_SOCKET_LIMIT: u32 = 10;
const ADDRESS_NOT_BINDABLE: u32 = 11;
const ADDRESS_IN_USE: u32 = 12;
const REMOTE_UNREACHABLE: u32 = 13;
const CONNECTION_REFUSED: u32 = 14;
const CONNECTION_RESET: u32 = 15;
const CONNECTION_ABORTED: u32 = 16;
const DATAGRAM_TOO_LARGE: u32 = 17;
const NAME_UNRESOLVABLE: u32 = 18;

/// The `error-code` of a host socket error.
fn code(e: &std::io::Error) -> u32 {
    let Some(n) = e.raw_os_error() else {
        return match e.kind() {
            ErrorKind::WouldBlock => WOULD_BLOCK,
            ErrorKind::PermissionDenied => ACCESS_DENIED,
            ErrorKind::InvalidInput => INVALID_ARGUMENT,
            _ => UNKNOWN,
        };
    };
    match n {
        libc::EACCES | libc::EPERM => ACCESS_DENIED,
        libc::EOPNOTSUPP | libc::EPROTONOSUPPORT => NOT_SUPPORTED,
        libc::EINVAL | libc::EAFNOSUPPORT | libc::EDESTADDRREQ => INVALID_ARGUMENT,
        libc::ENOMEM | libc::ENOBUFS => OUT_OF_MEMORY,
        libc::ETIMEDOUT => TIMEOUT,
        libc::EALREADY => CONCURRENCY_CONFLICT,
        libc::EAGAIN | libc::EINPROGRESS => WOULD_BLOCK,
        libc::EISCONN | libc::ENOTCONN => INVALID_STATE,
        libc::EMFILE | libc::ENFILE => NEW_SOCKET_LIMIT,
        libc::EADDRNOTAVAIL => ADDRESS_NOT_BINDABLE,
        libc::EADDRINUSE => ADDRESS_IN_USE,
        libc::EHOSTUNREACH | libc::ENETUNREACH | libc::ENETDOWN | libc::EHOSTDOWN => {
            REMOTE_UNREACHABLE
        }
        libc::ECONNREFUSED => CONNECTION_REFUSED,
        libc::ECONNRESET | libc::EPIPE => CONNECTION_RESET,
        libc::ECONNABORTED => CONNECTION_ABORTED,
        libc::EMSGSIZE => DATAGRAM_TOO_LARGE,
        _ => UNKNOWN,
    }
}

fn rx(e: rustix::io::Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(e.raw_os_error())
}

type NetResult<T> = std::result::Result<T, u32>;

fn io<T>(r: std::io::Result<T>) -> NetResult<T> {
    r.map_err(|e| code(&e))
}

fn rio<T>(r: rustix::io::Result<T>) -> NetResult<T> {
    r.map_err(|e| code(&rx(e)))
}

/// `result<T, error-code>`.
fn done(r: NetResult<Option<Val>>) -> R {
    Ok(Some(match r {
        Ok(v) => Val::ok(v),
        Err(e) => Val::err(Some(Val::Enum(e))),
    }))
}

/// The host socket behind a pollable (kept alive while `poll` waits).
#[derive(Clone)]
enum Src {
    Tcp(Arc<TcpStream>),
    Udp(Arc<UdpSocket>),
}

impl Src {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Src::Tcp(s) => s.as_fd(),
            Src::Udp(s) => s.as_fd(),
        }
    }
}

/// When a pollable is ready.
enum Ready {
    Now,
    At(Instant),
    Fd(Src, PollFlags),
}

/// A pollable's readiness: a timer's instant, or the socket event that
/// makes the resource it was subscribed from ready.
fn readiness(c: &mut P2Ctx, pollable: u32) -> std::result::Result<Ready, HostError> {
    let of = match c.get(pollable)? {
        Res::Pollable(None) => return Ok(Ready::Now),
        Res::Pollable(Some(at)) => return Ok(Ready::At(*at)),
        Res::IoPollable(of) => *of,
        _ => return trap("not a pollable"),
    };
    // The resource a pollable was subscribed from outlives it (WASI's
    // child-resource rule); a missing one is simply ready.
    let Some(Some(r)) = c.res.get(of as usize) else {
        return Ok(Ready::Now);
    };
    Ok(match r {
        Res::Tcp(t) => match t.state {
            TcpState::Connecting => Ready::Fd(Src::Tcp(t.sock.clone()), PollFlags::OUT),
            TcpState::Listening => Ready::Fd(Src::Tcp(t.sock.clone()), PollFlags::IN),
            _ => Ready::Now,
        },
        Res::Input(InStream::Tcp(s)) => Ready::Fd(Src::Tcp(s.clone()), PollFlags::IN),
        Res::Output(OutStream::Tcp(o)) if !o.pending.is_empty() => {
            Ready::Fd(Src::Tcp(o.sock.clone()), PollFlags::OUT)
        }
        Res::DatagramsIn(d) => Ready::Fd(Src::Udp(d.sock.clone()), PollFlags::IN),
        Res::DatagramsOut(d) => Ready::Fd(Src::Udp(d.sock.clone()), PollFlags::OUT),
        _ => Ready::Now,
    })
}

/// How long one wait lasts when the run can be interrupted (`--timeout`,
/// Ctrl-C): the flag is looked at between waits.
const SLICE: Duration = Duration::from_millis(100);

fn interrupted(stop: Option<&AtomicBool>) -> bool {
    stop.is_some_and(|s| s.load(Ordering::Relaxed))
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as _,
        tv_nsec: d.subsec_nanos() as _,
    }
}

/// Block until `fd` has one of `events` (or an error or hangup): false
/// when the run was interrupted first.
fn wait_fd(fd: BorrowedFd<'_>, events: PollFlags, stop: Option<&AtomicBool>) -> bool {
    let mut p = [PollFd::from_borrowed_fd(fd, events)];
    let slice = stop.map(|_| timespec(SLICE));
    loop {
        if interrupted(stop) {
            return false;
        }
        match rustix::event::poll(&mut p, slice.as_ref()) {
            Ok(0) | Err(rustix::io::Errno::INTR) => continue,
            _ => return true,
        }
    }
}

/// Which of `pollables` are ready: at least one, waiting for the first
/// (sockets and timers in one `poll(2)`) when none is.
///
/// When the run is interrupted while it waits, none may be: the guest
/// gets back an empty list and stops at its next instruction.
pub(crate) fn wait(c: &mut P2Ctx, pollables: &[u32]) -> std::result::Result<Vec<u32>, HostError> {
    let stop = c.interrupt.clone();
    let stop = stop.as_deref();
    let mut ready = Vec::with_capacity(pollables.len());
    for &p in pollables {
        ready.push(readiness(c, p)?);
    }
    let socks: Vec<(usize, Src, PollFlags)> = ready
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Ready::Fd(s, ev) => Some((i, s.clone(), *ev)),
            _ => None,
        })
        .collect();
    loop {
        let now = Instant::now();
        let mut out: Vec<u32> = Vec::new();
        let mut first: Option<Instant> = None;
        for (i, r) in ready.iter().enumerate() {
            match r {
                Ready::Now => out.push(i as u32),
                Ready::At(t) if *t <= now => out.push(i as u32),
                Ready::At(t) => first = Some(first.map_or(*t, |f| f.min(*t))),
                Ready::Fd(..) => {}
            }
        }
        // Something is ready: only look at the sockets; else wait for a
        // socket or the first timer.
        let mut timeout = if out.is_empty() {
            first.map(|t| t.saturating_duration_since(now))
        } else {
            Some(Duration::ZERO)
        };
        if stop.is_some() {
            timeout = Some(timeout.map_or(SLICE, |d| d.min(SLICE)));
        }
        if socks.is_empty() {
            match timeout {
                _ if !out.is_empty() || interrupted(stop) => return Ok(out),
                Some(d) => std::thread::sleep(d),
                None => return trap("poll: nothing to wait for"),
            }
            continue;
        }
        let mut fds: Vec<PollFd<'_>> = socks
            .iter()
            .map(|(_, s, ev)| PollFd::from_borrowed_fd(s.fd(), *ev))
            .collect();
        let ts = timeout.map(timespec);
        match rustix::event::poll(&mut fds, ts.as_ref()) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return trap(format!("poll: {}", rx(e))),
        }
        for (k, (i, _, _)) in socks.iter().enumerate() {
            if !fds[k].revents().is_empty() {
                out.push(*i as u32);
            }
        }
        if !out.is_empty() || interrupted(stop) {
            out.sort_unstable();
            return Ok(out);
        }
    }
}

/// Whether one pollable is ready now.
pub(crate) fn ready_now(c: &mut P2Ctx, pollable: u32) -> std::result::Result<bool, HostError> {
    let r = readiness(c, pollable)?;
    Ok(match r {
        Ready::Now => true,
        Ready::At(t) => Instant::now() >= t,
        Ready::Fd(s, ev) => fd_ready(s.fd(), ev),
    })
}

fn fd_ready(fd: BorrowedFd<'_>, events: PollFlags) -> bool {
    let mut p = [PollFd::from_borrowed_fd(fd, events)];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(rustix::event::poll(&mut p, Some(&zero)), Ok(n) if n > 0)
}

// ---- argument access ----------------------------------------------------------

fn tcp<'c>(c: &'c mut P2Ctx, a: &[Val]) -> std::result::Result<&'c mut Tcp, HostError> {
    match c.get(rep(a, 0)?)? {
        Res::Tcp(t) => Ok(t),
        _ => trap("not a tcp-socket"),
    }
}

fn udp<'c>(c: &'c mut P2Ctx, a: &[Val]) -> std::result::Result<&'c mut Udp, HostError> {
    match c.get(rep(a, 0)?)? {
        Res::Udp(u) => Ok(u),
        _ => trap("not a udp-socket"),
    }
}

fn network(c: &mut P2Ctx, a: &[Val], i: usize) -> std::result::Result<(), HostError> {
    match c.get(rep(a, i)?)? {
        Res::Network => Ok(()),
        _ => trap("not a network"),
    }
}

fn arg(a: &[Val], i: usize) -> std::result::Result<&Val, HostError> {
    a.get(i)
        .map_or_else(|| trap(format!("argument {i} is missing")), Ok)
}

fn u8a(a: &[Val], i: usize) -> std::result::Result<u8, HostError> {
    match a.get(i) {
        Some(Val::U8(v)) => Ok(*v),
        _ => trap(format!("argument {i}: a u8 was expected")),
    }
}

fn u32a(a: &[Val], i: usize) -> std::result::Result<u32, HostError> {
    match a.get(i) {
        Some(Val::U32(v)) => Ok(*v),
        _ => trap(format!("argument {i}: a u32 was expected")),
    }
}

fn boola(a: &[Val], i: usize) -> std::result::Result<bool, HostError> {
    match a.get(i) {
        Some(Val::Bool(v)) => Ok(*v),
        _ => trap(format!("argument {i}: a bool was expected")),
    }
}

// ---- network, instance-network -----------------------------------------------

pub(crate) fn instance_network(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Own(c.add(Res::Network))))
}

fn hop_limit(fd: BorrowedFd<'_>, fam: Family) -> R {
    done(match fam {
        Family::V4 => rio(sockopt::ip_ttl(fd)).map(|v| Some(Val::U8(v.min(255) as u8))),
        Family::V6 => rio(sockopt::ipv6_unicast_hops(fd)).map(|v| Some(Val::U8(v))),
    })
}

fn set_hop_limit(fd: BorrowedFd<'_>, fam: Family, v: u8) -> R {
    if v == 0 {
        return done(Err(INVALID_ARGUMENT));
    }
    done(
        match fam {
            Family::V4 => rio(sockopt::set_ip_ttl(fd, v as u32)),
            Family::V6 => rio(sockopt::set_ipv6_unicast_hops(fd, Some(v))),
        }
        .map(|()| None),
    )
}

fn buffer_size(fd: BorrowedFd<'_>, recv: bool) -> R {
    let r = if recv {
        sockopt::socket_recv_buffer_size(fd)
    } else {
        sockopt::socket_send_buffer_size(fd)
    };
    done(rio(r).map(|v| Some(Val::U64(v as u64))))
}

fn set_buffer_size(fd: BorrowedFd<'_>, recv: bool, v: u64) -> R {
    if v == 0 {
        return done(Err(INVALID_ARGUMENT));
    }
    let v = v.min(i32::MAX as u64) as usize;
    let r = if recv {
        sockopt::set_socket_recv_buffer_size(fd, v)
    } else {
        sockopt::set_socket_send_buffer_size(fd, v)
    };
    done(rio(r).map(|()| None))
}

/// `subscribe` of any socket or datagram stream: ready as [`readiness`] says.
pub(crate) fn subscribe(c: &mut P2Ctx, a: &[Val]) -> R {
    let of = rep(a, 0)?;
    c.get(of)?;
    Ok(Some(Val::Own(c.add(Res::IoPollable(of)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_map_to_error_codes() {
        let e = |n| code(&std::io::Error::from_raw_os_error(n));
        assert_eq!(e(libc::ECONNREFUSED), CONNECTION_REFUSED);
        assert_eq!(e(libc::EADDRINUSE), ADDRESS_IN_USE);
        assert_eq!(e(libc::EAGAIN), WOULD_BLOCK);
        assert_eq!(e(libc::EACCES), ACCESS_DENIED);
        assert_eq!(e(libc::ENOTCONN), INVALID_STATE);
    }
}
