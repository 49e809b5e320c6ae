//! Who a connection comes from: the peer's address, or, when the peer is a reverse proxy the
//! operator named as trusted, the client address the proxy wrote into `X-Forwarded-For`. An
//! untrusted peer's `X-Forwarded-For` is ignored: anyone can write one.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The client behind `peer`: `peer` itself unless it is one of `trusted`, else the rightmost
/// address in `X-Forwarded-For` that is not a trusted proxy (proxies append the address they
/// saw, so everything left of that could have been written by the client).
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> SocketAddr {
    if !trusted.contains(&peer.ip()) {
        return peer;
    }
    let hops: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| hop.trim().parse().ok())
        .collect();
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) if trusted.contains(ip) => continue,
            // An address the proxies vouch for; or garbage, which is where trust stops.
            Some(ip) => return SocketAddr::new(*ip, peer.port()),
            None => break,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let inner: IpAddr = "10.0.0.3".parse().unwrap();
        let trusted = [proxy, inner];
        let from = |ip: &str| SocketAddr::new(ip.parse().unwrap(), 5000);
        let table: &[(&str, &[&str], &str)] = &[
            // peer, X-Forwarded-For headers, the client
            ("203.0.113.9", &["198.51.100.1"], "203.0.113.9"),
            ("10.0.0.2", &[], "10.0.0.2"),
            ("10.0.0.2", &["198.51.100.1"], "198.51.100.1"),
            ("10.0.0.2", &["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
            ("10.0.0.2", &["6.6.6.6", "198.51.100.1, 10.0.0.3"], "198.51.100.1"),
            ("10.0.0.2", &["198.51.100.1, junk"], "10.0.0.2"),
            ("10.0.0.2", &["2001:db8::7"], "[2001:db8::7]"),
        ];
        for (peer, forwarded, client) in table {
            let mut headers = HeaderMap::new();
            for value in *forwarded {
                headers.append("x-forwarded-for", value.parse().unwrap());
            }
            let found = client_address(from(peer), &headers, &trusted);
            let expected: IpAddr = client.trim_matches(['[', ']']).parse().unwrap();
            assert_eq!(found.ip(), expected, "peer {peer}, forwarded {forwarded:?}");
        }
    }
}
