//! A client's connection relayed to the node that runs its session: the first message (the
//! start, resume or join the landing node read to find the session) goes first, then messages
//! pass both ways as they come until either side closes, that node stops beating, or it is
//! silent past its pings (a machine gone without a word). The client then reconnects, and
//! finds the session wherever it runs by then.

use std::time::Duration;

use axum::extract::ws::Message;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as Relayed;

use super::connection::Connection;
use crate::cluster::{Arrival, Cluster, Relay};
use crate::wire::Outgoing;

/// The owner pings every 20 s: silence this long means it is gone.
const SILENT_OWNER: Duration = Duration::from_secs(45);
/// How often the relay checks that the owner still beats.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// A send to the owner that takes longer than this means it is stalled.
const SEND_WITHIN: Duration = Duration::from_secs(10);

/// Pumps `connection` to and from the relay, `first` sent first, then closes both.
pub async fn pump<T: Outgoing + Send + 'static>(
    mut connection: Connection<T>,
    cluster: &Cluster,
    relay: Relay,
    first: String,
) {
    let (mut to_owner, mut from_owner) = relay.upstream.split();
    let mut check = tokio::time::interval(CHECK_EVERY);
    let mut heard = tokio::time::Instant::now();
    let sent = tokio::time::timeout(SEND_WITHIN, to_owner.send(Relayed::Text(first.into()))).await;
    if matches!(sent, Ok(Ok(()))) {
        loop {
            tokio::select! {
                _ = check.tick() => {
                    if !cluster.still_there(&relay.node) || heard.elapsed() > SILENT_OWNER {
                        tracing::info!(node = %relay.node.node, "a relay's node stopped beating or went silent; closing the relay");
                        break;
                    }
                }
                message = connection.next() => match message.and_then(upward) {
                    Some(Some(message)) => {
                        if !matches!(tokio::time::timeout(SEND_WITHIN, to_owner.send(message)).await, Ok(Ok(()))) {
                            break;
                        }
                    }
                    Some(None) => {}
                    None => break,
                },
                message = from_owner.next() => match message {
                    Some(Ok(message)) => match downward(message) {
                        Some(Some(message)) => {
                            heard = tokio::time::Instant::now();
                            if connection.relayed.send(message).await.is_err() {
                                break;
                            }
                        }
                        // A ping: the owner is there.
                        Some(None) => heard = tokio::time::Instant::now(),
                        None => break,
                    },
                    _ => break,
                },
            }
        }
    }
    let closing = async {
        let _ = to_owner.send(Relayed::Close(None)).await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), closing).await;
    connection.finish().await;
}

/// Relays `connection` when its reader found the session on another node (with the message it
/// read first), else lets it finish.
pub async fn pump_or_finish<T: Outgoing + Send + 'static>(
    connection: Connection<T>,
    state: &super::AppState,
    relay_to: Option<(Relay, String)>,
) {
    match (relay_to, &state.cluster) {
        (Some((relay, first)), Some(cluster)) => pump(connection, cluster, relay, first).await,
        _ => connection.finish().await,
    }
}

/// A client's message as the owner gets it: `Some(None)` for what each hop answers itself
/// (pings), `None` when the client closed.
fn upward(message: Message) -> Option<Option<Relayed>> {
    match message {
        Message::Text(text) => Some(Some(Relayed::Text(text.as_str().into()))),
        Message::Binary(bytes) => Some(Some(Relayed::Binary(bytes))),
        Message::Ping(_) | Message::Pong(_) => Some(None),
        Message::Close(_) => None,
    }
}

/// The owner's message as the client gets it.
fn downward(message: Relayed) -> Option<Option<Message>> {
    match message {
        Relayed::Text(text) => Some(Some(Message::Text(text.as_str().into()))),
        Relayed::Binary(bytes) => Some(Some(Message::Binary(bytes))),
        Relayed::Ping(_) | Relayed::Pong(_) | Relayed::Frame(_) => Some(None),
        Relayed::Close(_) => None,
    }
}

/// Who a connection to `path` from `peer` comes from, and whether another node relays it: the
/// client's address (a relayed one's as its node vouches, else as `X-Forwarded-For` from a
/// trusted proxy says). A relay header this cluster did not sign is refused.
pub fn arrival(
    state: &super::AppState,
    headers: &axum::http::HeaderMap,
    peer: std::net::SocketAddr,
    path: &str,
) -> Result<(std::net::SocketAddr, bool), super::AppError> {
    let arrival = state.cluster.as_ref().map_or(Arrival::Direct, |c| c.arrival(headers, peer.ip(), path));
    match arrival {
        Arrival::Relayed(client) => Ok((std::net::SocketAddr::new(client, peer.port()), true)),
        Arrival::Direct => Ok((super::client_address::client_address(peer, headers, &state.trusted_proxies), false)),
        Arrival::Forged => {
            tracing::warn!(%peer, "refused a connection with a relay header no node of this cluster signed");
            Err(super::AppError::ForgedRelay)
        }
    }
}
