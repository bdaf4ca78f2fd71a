//! `wasi:sockets/tcp` and `tcp-create-socket`: the socket's states, its
//! options, and the `wasi:io` streams over a connection.

use super::*;

// ---- resources -----------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum TcpState {
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
    pub(super) sock: Arc<TcpStream>,
    family: Family,
    pub(super) state: TcpState,
    backlog: i32,
}

/// The output side of a TCP connection: what the guest wrote and the
/// kernel has not taken yet.
pub(crate) struct TcpOut {
    pub sock: Arc<TcpStream>,
    pub(super) pending: Vec<u8>,
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
