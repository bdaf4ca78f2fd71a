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

// ---- addresses ---------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn of(a: &Val) -> std::result::Result<Family, HostError> {
        match a {
            Val::Enum(0) => Ok(Family::V4),
            Val::Enum(1) => Ok(Family::V6),
            _ => trap("an ip-address-family was expected"),
        }
    }

    fn matches(self, a: &SocketAddr) -> bool {
        matches!(
            (self, a),
            (Family::V4, SocketAddr::V4(_)) | (Family::V6, SocketAddr::V6(_))
        )
    }

    fn raw(self) -> AddressFamily {
        match self {
            Family::V4 => AddressFamily::INET,
            Family::V6 => AddressFamily::INET6,
        }
    }
}

fn tuple_of<T: Copy>(
    v: &Val,
    n: usize,
    f: impl Fn(&Val) -> Option<T>,
) -> std::result::Result<Vec<T>, HostError> {
    match v {
        Val::Tuple(xs) if xs.len() == n => xs
            .iter()
            .map(|x| f(x).map_or_else(|| trap("a bad ip address"), Ok))
            .collect(),
        _ => trap("a bad ip address"),
    }
}

fn ip_of(v: &Val) -> std::result::Result<IpAddr, HostError> {
    match v {
        Val::Variant(0, Some(t)) => {
            let b = tuple_of(t, 4, |x| match x {
                Val::U8(b) => Some(*b),
                _ => None,
            })?;
            Ok(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
        }
        Val::Variant(1, Some(t)) => {
            let s = tuple_of(t, 8, |x| match x {
                Val::U16(s) => Some(*s),
                _ => None,
            })?;
            Ok(IpAddr::V6(Ipv6Addr::new(
                s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
            )))
        }
        _ => trap("an ip-address was expected"),
    }
}

fn ip_val(ip: IpAddr) -> Val {
    match ip {
        IpAddr::V4(a) => Val::Variant(
            0,
            Some(Box::new(Val::Tuple(
                a.octets().iter().map(|b| Val::U8(*b)).collect(),
            ))),
        ),
        IpAddr::V6(a) => Val::Variant(
            1,
            Some(Box::new(Val::Tuple(
                a.segments().iter().map(|s| Val::U16(*s)).collect(),
            ))),
        ),
    }
}

fn sockaddr_of(v: &Val) -> std::result::Result<SocketAddr, HostError> {
    let bad = || trap("an ip-socket-address was expected");
    match v {
        Val::Variant(0, Some(r)) => match &**r {
            Val::Record(f) if f.len() == 2 => {
                let (Val::U16(port), IpAddr::V4(ip)) = (
                    &f[0],
                    ip_of(&Val::Variant(0, Some(Box::new(f[1].clone()))))?,
                ) else {
                    return bad();
                };
                Ok(SocketAddr::V4(SocketAddrV4::new(ip, *port)))
            }
            _ => bad(),
        },
        Val::Variant(1, Some(r)) => match &**r {
            Val::Record(f) if f.len() == 4 => {
                let (Val::U16(port), Val::U32(flow), IpAddr::V6(ip), Val::U32(scope)) = (
                    &f[0],
                    &f[1],
                    ip_of(&Val::Variant(1, Some(Box::new(f[2].clone()))))?,
                    &f[3],
                ) else {
                    return bad();
                };
                Ok(SocketAddr::V6(SocketAddrV6::new(ip, *port, *flow, *scope)))
            }
            _ => bad(),
        },
        _ => bad(),
    }
}

fn sockaddr_val(a: SocketAddr) -> Val {
    let ip = |ip: IpAddr| match ip_val(ip) {
        Val::Variant(_, Some(t)) => *t,
        other => other,
    };
    match a {
        SocketAddr::V4(a) => Val::Variant(
            0,
            Some(Box::new(Val::Record(vec![
                Val::U16(a.port()),
                ip(IpAddr::V4(*a.ip())),
            ]))),
        ),
        SocketAddr::V6(a) => Val::Variant(
            1,
            Some(Box::new(Val::Record(vec![
                Val::U16(a.port()),
                Val::U32(a.flowinfo()),
                ip(IpAddr::V6(*a.ip())),
                Val::U32(a.scope_id()),
            ]))),
        ),
    }
}

fn is_v4_mapped(a: &SocketAddr) -> bool {
    matches!(a, SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some())
}

/// wasmtime's checks of a local address: the socket's family, no
/// IPv4-mapped IPv6 address.
fn check_local(fam: Family, a: &SocketAddr) -> NetResult<()> {
    if !fam.matches(a) || is_v4_mapped(a) {
        return Err(INVALID_ARGUMENT);
    }
    Ok(())
}

/// wasmtime's checks of a remote address: the family, a port, a specified
/// unicast address.
fn check_remote(fam: Family, a: &SocketAddr) -> NetResult<()> {
    check_local(fam, a)?;
    let ip = a.ip();
    if a.port() == 0 || ip.is_unspecified() || ip.is_multicast() {
        return Err(INVALID_ARGUMENT);
    }
    if let IpAddr::V4(v4) = ip
        && v4.is_broadcast()
    {
        return Err(INVALID_ARGUMENT);
    }
    Ok(())
}

fn new_socket(fam: Family, ty: SocketType) -> NetResult<std::os::fd::OwnedFd> {
    let fd = rio(rustix::net::socket_with(
        fam.raw(),
        ty,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    ))?;
    if fam == Family::V6 {
        // As wasmtime: a WASI IPv6 socket never takes IPv4 traffic.
        rio(sockopt::set_ipv6_v6only(&fd, true))?;
    }
    Ok(fd)
}

// ---- resources -----------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TcpState {
    Default,
    BindStarted,
    Bound,
    ListenStarted,
    Listening,
    Connecting,
    Connected,
    Closed,
}

/// A `tcp-socket`. The host socket is a [`TcpStream`] in every state (a
/// listener or an unconnected socket too: it is only an fd to rustix).
pub(crate) struct Tcp {
    sock: Arc<TcpStream>,
    family: Family,
    state: TcpState,
    backlog: i32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum UdpState {
    Default,
    BindStarted,
    Bound,
    Connected(SocketAddr),
}

/// A `udp-socket`.
pub(crate) struct Udp {
    sock: Arc<UdpSocket>,
    family: Family,
    state: UdpState,
}

/// An `incoming-datagram-stream` or `outgoing-datagram-stream`: the socket
/// and the remote address it was streamed to (`None`: any).
pub(crate) struct Datagrams {
    sock: Arc<UdpSocket>,
    remote: Option<SocketAddr>,
    /// outgoing: datagrams `check-send` allowed.
    permit: u64,
}

/// The output side of a TCP connection: what the guest wrote and the
/// kernel has not taken yet.
pub(crate) struct TcpOut {
    pub sock: Arc<TcpStream>,
    pending: Vec<u8>,
}

impl TcpOut {
    /// Hand pending bytes to the kernel without blocking.
    fn push(&mut self) -> std::io::Result<()> {
        while !self.pending.is_empty() {
            match (&*self.sock).write(&self.pending) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Hand every pending byte to the kernel, waiting for room.
    pub(crate) fn flush_blocking(&mut self, stop: Option<&AtomicBool>) -> std::io::Result<()> {
        loop {
            self.push()?;
            if self.pending.is_empty() {
                return Ok(());
            }
            if !wait_fd(self.sock.as_fd(), PollFlags::OUT, stop) {
                return Ok(());
            }
        }
    }
}

/// A `resolve-address-stream`.
pub(crate) struct Resolved(VecDeque<IpAddr>);

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

// ---- tcp-create-socket, tcp ----------------------------------------------------

pub(crate) fn create_tcp_socket(c: &mut P2Ctx, a: &[Val]) -> R {
    let family = Family::of(arg(a, 0)?)?;
    if !c.network {
        return done(Err(ACCESS_DENIED));
    }
    let r = new_socket(family, SocketType::STREAM).map(|fd| {
        let t = Tcp {
            sock: Arc::new(TcpStream::from(fd)),
            family,
            state: TcpState::Default,
            backlog: 128,
        };
        Some(Val::Own(c.add(Res::Tcp(t))))
    });
    done(r)
}

pub(crate) fn tcp_start_bind(c: &mut P2Ctx, a: &[Val]) -> R {
    network(c, a, 1)?;
    let addr = sockaddr_of(arg(a, 2)?)?;
    let t = tcp(c, a)?;
    let r = (|| {
        if t.state != TcpState::Default {
            return Err(INVALID_STATE);
        }
        check_local(t.family, &addr)?;
        // As wasmtime on Unix: a server can listen again at once on the
        // address of one that just closed.
        rio(sockopt::set_socket_reuseaddr(&*t.sock, true))?;
        rio(rustix::net::bind(&*t.sock, &addr))?;
        t.state = TcpState::BindStarted;
        Ok(None)
    })();
    done(r)
}

pub(crate) fn tcp_finish_bind(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    done(if t.state == TcpState::BindStarted {
        t.state = TcpState::Bound;
        Ok(None)
    } else {
        Err(NOT_IN_PROGRESS)
    })
}

pub(crate) fn tcp_start_connect(c: &mut P2Ctx, a: &[Val]) -> R {
    network(c, a, 1)?;
    let addr = sockaddr_of(arg(a, 2)?)?;
    let t = tcp(c, a)?;
    let r = (|| {
        match t.state {
            TcpState::Default | TcpState::Bound => {}
            TcpState::Connecting => return Err(CONCURRENCY_CONFLICT),
            _ => return Err(INVALID_STATE),
        }
        check_remote(t.family, &addr)?;
        match rustix::net::connect(&*t.sock, &addr) {
            Ok(()) | Err(rustix::io::Errno::INPROGRESS) => {
                t.state = TcpState::Connecting;
                Ok(None)
            }
            Err(e) => Err(code(&rx(e))),
        }
    })();
    done(r)
}

pub(crate) fn tcp_finish_connect(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    if t.state != TcpState::Connecting {
        return done(Err(NOT_IN_PROGRESS));
    }
    if !fd_ready(t.sock.as_fd(), PollFlags::OUT) {
        return done(Err(WOULD_BLOCK));
    }
    match sockopt::socket_error(&*t.sock) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            t.state = TcpState::Closed;
            return done(Err(code(&rx(e))));
        }
        Err(e) => {
            t.state = TcpState::Closed;
            return done(Err(code(&rx(e))));
        }
    }
    t.state = TcpState::Connected;
    let sock = t.sock.clone();
    done(Ok(Some(streams(c, sock))))
}

/// (input-stream, output-stream) of a connection.
fn streams(c: &mut P2Ctx, sock: Arc<TcpStream>) -> Val {
    let i = c.add(Res::Input(InStream::Tcp(sock.clone())));
    let o = c.add(Res::Output(OutStream::Tcp(Box::new(TcpOut {
        sock,
        pending: Vec::new(),
    }))));
    Val::Tuple(vec![Val::Own(i), Val::Own(o)])
}

pub(crate) fn tcp_start_listen(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    let r = match t.state {
        TcpState::Bound => rio(rustix::net::listen(&*t.sock, t.backlog)).map(|()| {
            t.state = TcpState::ListenStarted;
            None
        }),
        TcpState::ListenStarted => Err(CONCURRENCY_CONFLICT),
        _ => Err(INVALID_STATE),
    };
    done(r)
}

pub(crate) fn tcp_finish_listen(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    done(if t.state == TcpState::ListenStarted {
        t.state = TcpState::Listening;
        Ok(None)
    } else {
        Err(NOT_IN_PROGRESS)
    })
}

pub(crate) fn tcp_accept(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    if t.state != TcpState::Listening {
        return done(Err(INVALID_STATE));
    }
    let (family, backlog) = (t.family, t.backlog);
    let fd = loop {
        match rustix::net::accept_with(&*t.sock, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC) {
            Ok(fd) => break fd,
            Err(rustix::io::Errno::INTR) => {}
            // As wasmtime: a connection that went away before it was
            // accepted is skipped.
            Err(rustix::io::Errno::CONNABORTED) => {}
            Err(e) => return done(Err(code(&rx(e)))),
        }
    };
    let sock = Arc::new(TcpStream::from(fd));
    let s = c.add(Res::Tcp(Tcp {
        sock: sock.clone(),
        family,
        state: TcpState::Connected,
        backlog,
    }));
    let Val::Tuple(mut io) = streams(c, sock) else {
        return trap("accept: streams");
    };
    io.insert(0, Val::Own(s));
    done(Ok(Some(Val::Tuple(io))))
}

pub(crate) fn tcp_local_address(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    done(match t.state {
        TcpState::Default | TcpState::BindStarted => Err(INVALID_STATE),
        _ => io(t.sock.local_addr()).map(|a| Some(sockaddr_val(a))),
    })
}

pub(crate) fn tcp_remote_address(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    done(match t.state {
        TcpState::Connected => io(t.sock.peer_addr()).map(|a| Some(sockaddr_val(a))),
        _ => Err(INVALID_STATE),
    })
}

pub(crate) fn tcp_is_listening(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    Ok(Some(Val::Bool(t.state == TcpState::Listening)))
}

pub(crate) fn tcp_address_family(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    Ok(Some(Val::Enum(t.family as u32)))
}

pub(crate) fn tcp_set_listen_backlog_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u64a(a, 1)?;
    let t = tcp(c, a)?;
    if v == 0 {
        return done(Err(INVALID_ARGUMENT));
    }
    let v = v.min(i32::MAX as u64) as i32;
    done(match t.state {
        TcpState::Default | TcpState::BindStarted | TcpState::Bound => {
            t.backlog = v;
            Ok(None)
        }
        TcpState::ListenStarted | TcpState::Listening => {
            rio(rustix::net::listen(&*t.sock, v)).map(|()| {
                t.backlog = v;
                None
            })
        }
        _ => Err(INVALID_STATE),
    })
}

pub(crate) fn tcp_keep_alive_enabled(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    done(rio(sockopt::socket_keepalive(&*t.sock)).map(|v| Some(Val::Bool(v))))
}

pub(crate) fn tcp_set_keep_alive_enabled(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = boola(a, 1)?;
    let t = tcp(c, a)?;
    done(rio(sockopt::set_socket_keepalive(&*t.sock, v)).map(|()| None))
}

/// A keep-alive duration in whole seconds (rounded up, as wasmtime does).
fn secs(nanos: u64) -> NetResult<Duration> {
    if nanos == 0 {
        return Err(INVALID_ARGUMENT);
    }
    Ok(Duration::from_secs(
        nanos.div_ceil(1_000_000_000).min(i16::MAX as u64),
    ))
}

pub(crate) fn tcp_keep_alive_idle_time(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    done(rio(sockopt::tcp_keepidle(&*t.sock)).map(|d| Some(Val::U64(d.as_nanos() as u64))))
}

pub(crate) fn tcp_set_keep_alive_idle_time(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u64a(a, 1)?;
    let t = tcp(c, a)?;
    done(secs(v).and_then(|d| rio(sockopt::set_tcp_keepidle(&*t.sock, d)).map(|()| None)))
}

pub(crate) fn tcp_keep_alive_interval(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    done(rio(sockopt::tcp_keepintvl(&*t.sock)).map(|d| Some(Val::U64(d.as_nanos() as u64))))
}

pub(crate) fn tcp_set_keep_alive_interval(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u64a(a, 1)?;
    let t = tcp(c, a)?;
    done(secs(v).and_then(|d| rio(sockopt::set_tcp_keepintvl(&*t.sock, d)).map(|()| None)))
}

pub(crate) fn tcp_keep_alive_count(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    done(rio(sockopt::tcp_keepcnt(&*t.sock)).map(|v| Some(Val::U32(v))))
}

pub(crate) fn tcp_set_keep_alive_count(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u32a(a, 1)?;
    let t = tcp(c, a)?;
    if v == 0 {
        return done(Err(INVALID_ARGUMENT));
    }
    done(rio(sockopt::set_tcp_keepcnt(&*t.sock, v.min(127))).map(|()| None))
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

pub(crate) fn tcp_hop_limit(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    hop_limit(t.sock.as_fd(), t.family)
}

pub(crate) fn tcp_set_hop_limit(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u8a(a, 1)?;
    let t = tcp(c, a)?;
    set_hop_limit(t.sock.as_fd(), t.family, v)
}

pub(crate) fn tcp_receive_buffer_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    buffer_size(t.sock.as_fd(), true)
}

pub(crate) fn tcp_set_receive_buffer_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u64a(a, 1)?;
    let t = tcp(c, a)?;
    set_buffer_size(t.sock.as_fd(), true, v)
}

pub(crate) fn tcp_send_buffer_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let t = tcp(c, a)?;
    buffer_size(t.sock.as_fd(), false)
}

pub(crate) fn tcp_set_send_buffer_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u64a(a, 1)?;
    let t = tcp(c, a)?;
    set_buffer_size(t.sock.as_fd(), false, v)
}

/// `subscribe` of any socket or datagram stream: ready as [`readiness`] says.
pub(crate) fn subscribe(c: &mut P2Ctx, a: &[Val]) -> R {
    let of = rep(a, 0)?;
    c.get(of)?;
    Ok(Some(Val::Own(c.add(Res::IoPollable(of)))))
}

pub(crate) fn tcp_shutdown(c: &mut P2Ctx, a: &[Val]) -> R {
    let how = match arg(a, 1)? {
        Val::Enum(0) => std::net::Shutdown::Read,
        Val::Enum(1) => std::net::Shutdown::Write,
        Val::Enum(2) => std::net::Shutdown::Both,
        _ => return trap("a shutdown-type was expected"),
    };
    let t = tcp(c, a)?;
    if t.state != TcpState::Connected {
        return done(Err(INVALID_STATE));
    }
    done(io(t.sock.shutdown(how)).map(|()| None))
}

// ---- TCP streams (wasi:io/streams over a connection) -------------------------

/// `read` of a connection's input-stream: what the kernel has now (empty
/// when nothing came yet), `closed` at the end.
pub(crate) fn tcp_read(
    sock: &TcpStream,
    len: usize,
    blocking: bool,
    stop: Option<&AtomicBool>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = vec![0; len];
    loop {
        match (&*sock).read(&mut buf) {
            Ok(0) if len > 0 => return Ok(None),
            Ok(n) => {
                buf.truncate(n);
                return Ok(Some(buf));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if !blocking || len == 0 {
                    return Ok(Some(Vec::new()));
                }
                if !wait_fd(sock.as_fd(), PollFlags::IN, stop) {
                    return Ok(Some(Vec::new()));
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // As wasmtime: a connection the peer reset or shut reads
            // `closed` after its data.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// The room `check-write` reports for a connection.
pub(crate) fn tcp_check_write(o: &mut TcpOut) -> std::io::Result<u64> {
    o.push()?;
    Ok(if o.pending.is_empty() { 1 << 16 } else { 0 })
}

pub(crate) fn tcp_write(
    o: &mut TcpOut,
    data: &[u8],
    flush: bool,
    stop: Option<&AtomicBool>,
) -> std::io::Result<()> {
    o.pending.extend_from_slice(data);
    if flush {
        o.flush_blocking(stop)
    } else {
        o.push()
    }
}

pub(crate) fn tcp_flush(
    o: &mut TcpOut,
    blocking: bool,
    stop: Option<&AtomicBool>,
) -> std::io::Result<()> {
    if blocking {
        o.flush_blocking(stop)
    } else {
        o.push()
    }
}

// ---- udp-create-socket, udp --------------------------------------------------

pub(crate) fn create_udp_socket(c: &mut P2Ctx, a: &[Val]) -> R {
    let family = Family::of(arg(a, 0)?)?;
    if !c.network {
        return done(Err(ACCESS_DENIED));
    }
    let r = new_socket(family, SocketType::DGRAM).map(|fd| {
        let u = Udp {
            sock: Arc::new(UdpSocket::from(fd)),
            family,
            state: UdpState::Default,
        };
        Some(Val::Own(c.add(Res::Udp(u))))
    });
    done(r)
}

pub(crate) fn udp_start_bind(c: &mut P2Ctx, a: &[Val]) -> R {
    network(c, a, 1)?;
    let addr = sockaddr_of(arg(a, 2)?)?;
    let u = udp(c, a)?;
    let r = (|| {
        if u.state != UdpState::Default {
            return Err(INVALID_STATE);
        }
        check_local(u.family, &addr)?;
        rio(rustix::net::bind(&*u.sock, &addr))?;
        u.state = UdpState::BindStarted;
        Ok(None)
    })();
    done(r)
}

pub(crate) fn udp_finish_bind(c: &mut P2Ctx, a: &[Val]) -> R {
    let u = udp(c, a)?;
    done(if u.state == UdpState::BindStarted {
        u.state = UdpState::Bound;
        Ok(None)
    } else {
        Err(NOT_IN_PROGRESS)
    })
}

pub(crate) fn udp_stream(c: &mut P2Ctx, a: &[Val]) -> R {
    let remote = match arg(a, 1)? {
        Val::Option(None) => None,
        Val::Option(Some(v)) => Some(sockaddr_of(v)?),
        _ => return trap("an option<ip-socket-address> was expected"),
    };
    let u = udp(c, a)?;
    let r = (|| {
        match u.state {
            UdpState::Bound => {}
            UdpState::Connected(_) => {
                rio(rustix::net::connect_unspec(&*u.sock))?;
                u.state = UdpState::Bound;
            }
            _ => return Err(INVALID_STATE),
        }
        if let Some(r) = remote {
            check_remote(u.family, &r)?;
            rio(rustix::net::connect(&*u.sock, &r))?;
            u.state = UdpState::Connected(r);
        }
        Ok(u.sock.clone())
    })();
    let sock = match r {
        Ok(s) => s,
        Err(e) => return done(Err(e)),
    };
    let i = c.add(Res::DatagramsIn(Datagrams {
        sock: sock.clone(),
        remote,
        permit: 0,
    }));
    let o = c.add(Res::DatagramsOut(Datagrams {
        sock,
        remote,
        permit: 0,
    }));
    done(Ok(Some(Val::Tuple(vec![Val::Own(i), Val::Own(o)]))))
}

pub(crate) fn udp_local_address(c: &mut P2Ctx, a: &[Val]) -> R {
    let u = udp(c, a)?;
    done(match u.state {
        UdpState::Default | UdpState::BindStarted => Err(INVALID_STATE),
        _ => io(u.sock.local_addr()).map(|a| Some(sockaddr_val(a))),
    })
}

pub(crate) fn udp_remote_address(c: &mut P2Ctx, a: &[Val]) -> R {
    let u = udp(c, a)?;
    done(match u.state {
        UdpState::Connected(r) => Ok(Some(sockaddr_val(r))),
        _ => Err(INVALID_STATE),
    })
}

pub(crate) fn udp_address_family(c: &mut P2Ctx, a: &[Val]) -> R {
    let u = udp(c, a)?;
    Ok(Some(Val::Enum(u.family as u32)))
}

pub(crate) fn udp_unicast_hop_limit(c: &mut P2Ctx, a: &[Val]) -> R {
    let u = udp(c, a)?;
    hop_limit(u.sock.as_fd(), u.family)
}

pub(crate) fn udp_set_unicast_hop_limit(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u8a(a, 1)?;
    let u = udp(c, a)?;
    set_hop_limit(u.sock.as_fd(), u.family, v)
}

pub(crate) fn udp_receive_buffer_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let u = udp(c, a)?;
    buffer_size(u.sock.as_fd(), true)
}

pub(crate) fn udp_set_receive_buffer_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u64a(a, 1)?;
    let u = udp(c, a)?;
    set_buffer_size(u.sock.as_fd(), true, v)
}

pub(crate) fn udp_send_buffer_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let u = udp(c, a)?;
    buffer_size(u.sock.as_fd(), false)
}

pub(crate) fn udp_set_send_buffer_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let v = u64a(a, 1)?;
    let u = udp(c, a)?;
    set_buffer_size(u.sock.as_fd(), false, v)
}

fn datagrams<'c>(
    c: &'c mut P2Ctx,
    a: &[Val],
    out: bool,
) -> std::result::Result<&'c mut Datagrams, HostError> {
    match (c.get(rep(a, 0)?)?, out) {
        (Res::DatagramsIn(d), false) | (Res::DatagramsOut(d), true) => Ok(d),
        _ => trap(if out {
            "not an outgoing-datagram-stream"
        } else {
            "not an incoming-datagram-stream"
        }),
    }
}

/// The most datagrams one `receive` or `check-send` deals with.
const BATCH: u64 = 64;

pub(crate) fn udp_receive(c: &mut P2Ctx, a: &[Val]) -> R {
    let max = u64a(a, 1)?.min(BATCH);
    let d = datagrams(c, a, false)?;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    while (got.len() as u64) < max {
        match d.sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                if d.remote.is_some_and(|r| r != from) {
                    continue;
                }
                got.push(Val::Record(vec![
                    Val::Bytes(buf[..n].to_vec()),
                    sockaddr_val(from),
                ]));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if got.is_empty() => return done(Err(code(&e))),
            Err(_) => break,
        }
    }
    done(Ok(Some(Val::List(got))))
}

pub(crate) fn udp_check_send(c: &mut P2Ctx, a: &[Val]) -> R {
    let d = datagrams(c, a, true)?;
    d.permit = if fd_ready(d.sock.as_fd(), PollFlags::OUT) {
        BATCH
    } else {
        0
    };
    done(Ok(Some(Val::U64(d.permit))))
}

pub(crate) fn udp_send(c: &mut P2Ctx, a: &[Val]) -> R {
    let Some(Val::List(items)) = a.get(1) else {
        return trap("send: a list of outgoing-datagram was expected");
    };
    let mut dgrams = Vec::with_capacity(items.len());
    for it in items {
        let Val::Record(f) = it else {
            return trap("send: an outgoing-datagram was expected");
        };
        let (Some(Val::Bytes(data)), Some(Val::Option(to))) = (f.first(), f.get(1)) else {
            return trap("send: an outgoing-datagram was expected");
        };
        let to = match to {
            Some(v) => Some(sockaddr_of(v)?),
            None => None,
        };
        dgrams.push((data, to));
    }
    let fam = udp_family_of_stream(c, a)?;
    let d = datagrams(c, a, true)?;
    if dgrams.len() as u64 > d.permit {
        return trap("send: more datagrams than check-send permitted");
    }
    let mut sent = 0u64;
    for (data, to) in dgrams {
        let r = match (d.remote, to) {
            (Some(_), None) => d.sock.send(data).map_err(|e| code(&e)),
            (Some(r), Some(t)) if r == t => d.sock.send(data).map_err(|e| code(&e)),
            (Some(_), Some(_)) | (None, None) => Err(INVALID_ARGUMENT),
            (None, Some(t)) => {
                check_remote(fam, &t).and_then(|()| d.sock.send_to(data, t).map_err(|e| code(&e)))
            }
        };
        match r {
            Ok(_) => sent += 1,
            Err(WOULD_BLOCK) => break,
            Err(e) if sent == 0 => {
                d.permit = 0;
                return done(Err(e));
            }
            Err(_) => break,
        }
    }
    d.permit -= sent;
    done(Ok(Some(Val::U64(sent))))
}

/// The family of the socket an outgoing stream sends on.
fn udp_family_of_stream(c: &mut P2Ctx, a: &[Val]) -> std::result::Result<Family, HostError> {
    let d = datagrams(c, a, true)?;
    Ok(match d.sock.local_addr() {
        Ok(SocketAddr::V6(_)) => Family::V6,
        _ => Family::V4,
    })
}

// ---- ip-name-lookup ---------------------------------------------------------

/// An IP literal (`127.0.0.1`, `::1`, `[::1]`).
fn literal(name: &str) -> Option<IpAddr> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    bare.parse().ok()
}

fn valid_domain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

pub(crate) fn resolve_addresses(c: &mut P2Ctx, a: &[Val]) -> R {
    network(c, a, 0)?;
    let name = string(a, 1)?.to_string();
    if !c.network {
        return done(Err(ACCESS_DENIED));
    }
    let r = if let Some(ip) = literal(&name) {
        Ok(VecDeque::from([ip]))
    } else if !valid_domain(&name) {
        Err(INVALID_ARGUMENT)
    } else {
        match (name.as_str(), 0).to_socket_addrs() {
            Ok(addrs) => {
                let mut ips: VecDeque<IpAddr> = VecDeque::new();
                for a in addrs {
                    // As wasmtime: never an IPv4-mapped IPv6 address.
                    let ip = match a.ip() {
                        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
                        ip => ip,
                    };
                    if !ips.contains(&ip) {
                        ips.push_back(ip);
                    }
                }
                if ips.is_empty() {
                    Err(NAME_UNRESOLVABLE)
                } else {
                    Ok(ips)
                }
            }
            Err(_) => Err(NAME_UNRESOLVABLE),
        }
    };
    done(r.map(|ips| Some(Val::Own(c.add(Res::Resolved(Resolved(ips)))))))
}

pub(crate) fn resolve_next_address(c: &mut P2Ctx, a: &[Val]) -> R {
    match c.get(rep(a, 0)?)? {
        Res::Resolved(r) => done(Ok(Some(Val::Option(
            r.0.pop_front().map(|ip| Box::new(ip_val(ip))),
        )))),
        _ => trap("not a resolve-address-stream"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_round_trip_through_wit_values() {
        for a in ["127.0.0.1:8080", "[::1]:9", "[fe80::1%3]:443", "0.0.0.0:0"] {
            let a: SocketAddr = a.parse().unwrap();
            assert_eq!(sockaddr_of(&sockaddr_val(a)).ok(), Some(a), "{a}");
        }
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(ip_of(&ip_val(ip)).ok(), Some(ip));
        assert!(sockaddr_of(&Val::U32(1)).is_err());
    }

    #[test]
    fn addresses_are_checked_as_wasmtime_does() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:80".parse().unwrap();
        assert_eq!(check_remote(Family::V4, &v4), Ok(()));
        assert_eq!(check_remote(Family::V6, &v4), Err(INVALID_ARGUMENT));
        assert_eq!(check_local(Family::V6, &mapped), Err(INVALID_ARGUMENT));
        for bad in [
            "127.0.0.1:0",
            "0.0.0.0:80",
            "255.255.255.255:80",
            "224.0.0.1:80",
        ] {
            let a: SocketAddr = bad.parse().unwrap();
            assert_eq!(check_remote(Family::V4, &a), Err(INVALID_ARGUMENT), "{bad}");
        }
    }

    #[test]
    fn names_and_literals_for_lookup() {
        assert_eq!(literal("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(literal("127.0.0.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(literal("localhost"), None);
        assert!(valid_domain("localhost"));
        assert!(valid_domain("a-b.example.org"));
        for bad in ["", "a..b", "has space", "x/y"] {
            assert!(!valid_domain(bad), "{bad:?}");
        }
    }

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
