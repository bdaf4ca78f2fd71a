//! Addresses between WIT values and `std::net`: `ip-address`,
//! `ip-socket-address`, `ip-address-family`, and wasmtime's checks of
//! local and remote addresses.

use super::*;

// ---- addresses ---------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    V4,
    V6,
}

impl Family {
    pub(super) fn of(a: &Val) -> std::result::Result<Family, HostError> {
        match a {
            Val::Enum(0) => Ok(Family::V4),
            Val::Enum(1) => Ok(Family::V6),
            _ => trap("an ip-address-family was expected"),
        }
    }

    pub(super) fn matches(self, a: &SocketAddr) -> bool {
        matches!(
            (self, a),
            (Family::V4, SocketAddr::V4(_)) | (Family::V6, SocketAddr::V6(_))
        )
    }

    pub(super) fn raw(self) -> AddressFamily {
        match self {
            Family::V4 => AddressFamily::INET,
            Family::V6 => AddressFamily::INET6,
        }
    }
}

pub(super) fn tuple_of<T: Copy>(
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

pub(super) fn ip_of(v: &Val) -> std::result::Result<IpAddr, HostError> {
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

pub(super) fn ip_val(ip: IpAddr) -> Val {
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

pub(super) fn sockaddr_of(v: &Val) -> std::result::Result<SocketAddr, HostError> {
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

pub(super) fn sockaddr_val(a: SocketAddr) -> Val {
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

pub(super) fn is_v4_mapped(a: &SocketAddr) -> bool {
    matches!(a, SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some())
}

/// wasmtime's checks of a local address: the socket's family, no
/// IPv4-mapped IPv6 address.
pub(super) fn check_local(fam: Family, a: &SocketAddr) -> NetResult<()> {
    if !fam.matches(a) || is_v4_mapped(a) {
        return Err(INVALID_ARGUMENT);
    }
    Ok(())
}

/// wasmtime's checks of a remote address: the family, a port, a specified
/// unicast address.
pub(super) fn check_remote(fam: Family, a: &SocketAddr) -> NetResult<()> {
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

pub(super) fn new_socket(fam: Family, ty: SocketType) -> NetResult<std::os::fd::OwnedFd> {
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
}
