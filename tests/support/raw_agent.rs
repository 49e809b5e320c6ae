//! A scripted agent client speaking `/ws/agent` directly: what a crafted client (or an agent
//! view from another address) sends, without a browser.

use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::bounded;
use futures::{SinkExt, StreamExt};

pub struct RawAgent {
    ws: WebSocketStream<TcpStream>,
}

impl RawAgent {
    /// Connects to `server` (`http://host:port`) with `token` (none: no token at all), from the
    /// loopback address `from` (such as `127.0.0.2`). The HTTP status when the upgrade is refused.
    pub async fn connect(server: &str, token: Option<&str>, from: &str) -> Result<RawAgent, u16> {
        let addr: std::net::SocketAddr = server.trim_start_matches("http://").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        let stream = bounded("connect", socket.connect(addr)).await.unwrap();
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/ws/agent").into_client_request().unwrap();
        if let Some(token) = token {
            request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        match bounded("upgrade", tokio_tungstenite::client_async(request, stream)).await {
            Ok((ws, _)) => Ok(RawAgent { ws }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(e) => panic!("upgrade failed: {e}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        bounded("send", self.ws.send(Message::text(message.to_string()))).await.unwrap();
    }

    /// The next text message of type `kind` (others, and frames, are skipped).
    pub async fn wait_for(&mut self, kind: &str) -> Value {
        bounded(&format!("agent receives {kind}"), async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let message: Value = serde_json::from_str(&text).unwrap();
                        if message["type"] == kind {
                            return message;
                        }
                    }
                    Some(Ok(_)) => {}
                    other => panic!("the connection ended waiting for {kind}: {other:?}"),
                }
            }
        })
        .await
    }

    /// Waits (up to `limit`) until the server closes the connection; whether it did.
    pub async fn closed_within(&mut self, limit: std::time::Duration) -> bool {
        tokio::time::timeout(limit, async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await
        .is_ok()
    }

    /// Waits for the first frame (a binary message).
    pub async fn wait_for_frame(&mut self) {
        bounded("a frame", async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Binary(_))) => return,
                    Some(Ok(_)) => {}
                    other => panic!("the connection ended waiting for a frame: {other:?}"),
                }
            }
        })
        .await
    }
}
