//! Node-to-node relays. A connection that lands on a node for a session another node runs is
//! opened again on that node, at the same path with the same `Origin` and credentials, and the
//! landing node pumps messages both ways: the frames go node to node, never through Redis.
//! The landing node vouches for the client's address in a header signed with the cluster's
//! secret, so per-address limits see the client; a relayed connection is never relayed again.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The header a relaying node adds: `CLIENT-IP NODE MS SIGNATURE`, signed with the path it
/// opens.
pub const HEADER: &str = "x-cobrowse-relay";
/// A signature older than this is refused (nodes' clocks agree to well within it).
const FRESH_MS: u64 = 60_000;
/// The owner answers a relay within this, or counts as unreachable.
const CONNECT_WITHIN: Duration = Duration::from_secs(1);

/// The connection to the node that runs the session (boxed: it is large, and moves about).
pub type Upstream = Box<WebSocketStream<MaybeTlsStream<TcpStream>>>;

/// A client's connection opened again on the node that runs its session.
pub struct Relay {
    pub upstream: Upstream,
    /// That node, as it beat when the relay opened.
    pub node: super::NodeBeat,
}

/// Why a relay could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("{0} did not answer within a second")]
    Timeout(String),
    #[error("{0}: {1}")]
    Refused(String, Box<tokio_tungstenite::tungstenite::Error>),
}

/// The relay key, derived from the shared secret (never the secret itself on the wire).
pub fn key(secret: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"cobrowse relay\n");
    hash.update(secret.as_bytes());
    hash.finalize().into()
}

fn signature(key: &[u8; 32], signed: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(signed.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The header for a connection to `path` relayed from `client` by node `node` at `now_ms`.
pub fn sign(key: &[u8; 32], client: IpAddr, node: &str, path: &str, now_ms: u64) -> String {
    let signed = format!("{client} {node} {now_ms}");
    format!("{signed} {}", signature(key, &format!("{signed} {path}")))
}

/// The client of a connection to `path` relayed with `header`, if it is genuine and fresh.
pub fn verify(key: &[u8; 32], header: &str, path: &str, now_ms: u64) -> Option<IpAddr> {
    let (signed, given) = header.rsplit_once(' ')?;
    let mut parts = signed.split(' ');
    let (client, _node, at) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let at: u64 = at.parse().ok()?;
    if now_ms.abs_diff(at) > FRESH_MS {
        return None;
    }
    let expected = signature(key, &format!("{signed} {path}"));
    crate::auth::token::same_secret(expected.as_bytes(), given.as_bytes()).then_some(())?;
    client.parse().ok()
}

/// Opens `path` on the node at `advertise`, with the client's `Origin` and credentials from
/// `headers` and the relay header `relay`.
pub async fn connect(advertise: &str, path: &str, headers: &HeaderMap, relay: &str) -> Result<Upstream, RelayError> {
    let url = format!("ws://{advertise}{path}");
    let refused = |e| RelayError::Refused(advertise.to_string(), Box::new(e));
    let mut request = url.into_client_request().map_err(refused)?;
    for name in ["origin", "sec-websocket-protocol", "authorization", "user-agent"] {
        if let Some(value) = headers.get(name) {
            if let Ok(value) = value.to_str() {
                if let Ok(value) = value.parse() {
                    request.headers_mut().insert(name, value);
                }
            }
        }
    }
    if let Ok(value) = relay.parse() {
        request.headers_mut().insert(HEADER, value);
    }
    // Frames as large as a customer may send (the owner applies its own limits).
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    match tokio::time::timeout(
        CONNECT_WITHIN,
        tokio_tungstenite::connect_async_with_config(request, Some(config), true),
    )
    .await
    {
        Ok(Ok((upstream, _))) => Ok(Box::new(upstream)),
        Ok(Err(e)) => Err(refused(e)),
        Err(_) => Err(RelayError::Timeout(advertise.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_fresh_header_signed_with_the_cluster_secret_names_the_client() {
        let key = key("0123456789abcdef");
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let header = sign(&key, client, "node-1", "/ws/agent", 1_000_000);
        assert_eq!(verify(&key, &header, "/ws/agent", 1_000_500), Some(client));
        assert_eq!(verify(&key, &header, "/ws/customer", 1_000_500), None, "for its own path only");
        assert_eq!(verify(&key, &header, "/ws/agent", 1_000_000 + FRESH_MS + 1), None, "stale");
        assert_eq!(
            verify(&super::key("another-secret-0000"), &header, "/ws/agent", 1_000_500),
            None,
            "another cluster"
        );
        let forged = header.replace("203.0.113.7", "198.51.100.1");
        assert_eq!(verify(&key, &forged, "/ws/agent", 1_000_500), None, "a client cannot name another address");
        for junk in ["", "x", "1.2.3.4 node 5", "1.2.3.4 node 5 6 7"] {
            assert_eq!(verify(&key, junk, "/ws/agent", 5), None, "{junk:?}");
        }
    }
}
