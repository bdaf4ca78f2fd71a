//! `wasi:sockets/ip-name-lookup`: the host's resolver, IP literals, and
//! the stream of resolved addresses.

use super::*;

/// A `resolve-address-stream`.
pub(crate) struct Resolved(VecDeque<IpAddr>);

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
}
