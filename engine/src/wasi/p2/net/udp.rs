//! `wasi:sockets/udp` and `udp-create-socket`: sockets and the incoming and
//! outgoing datagram streams.

use super::*;

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
    pub(super) sock: Arc<UdpSocket>,
    remote: Option<SocketAddr>,
    /// outgoing: datagrams `check-send` allowed.
    permit: u64,
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
