//! A client's connection relayed to the node that runs its session: the first message (the
//! start, resume or join the landing node read to find the session) goes first, then messages
//! pass both ways as they come until either side closes. The client then reconnects, and finds
//! the session wherever it runs by then.

use axum::extract::ws::Message;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as Relayed;

use super::connection::Connection;
use crate::cluster::relay::Upstream;
use crate::wire::Outgoing;

/// Pumps `connection` to and from `upstream`, `first` sent first, then closes both.
pub async fn pump<T: Outgoing + Send + 'static>(mut connection: Connection<T>, upstream: Upstream, first: String) {
    let (mut to_owner, mut from_owner) = upstream.split();
    if to_owner.send(Relayed::Text(first.into())).await.is_ok() {
        loop {
            tokio::select! {
                message = connection.next() => match message.and_then(upward) {
                    Some(Some(message)) => {
                        if to_owner.send(message).await.is_err() {
                            break;
                        }
                    }
                    Some(None) => {}
                    None => break,
                },
                message = from_owner.next() => match message {
                    Some(Ok(message)) => match downward(message) {
                        Some(Some(message)) => {
                            if connection.relayed.send(message).await.is_err() {
                                break;
                            }
                        }
                        Some(None) => {}
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
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), closing).await;
    connection.finish().await;
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
