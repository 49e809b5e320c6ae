//! The isolation scenario's attackers: customer connections that flood their own sessions
//! while the bench measures another session. One sends oversized and rapid events messages as
//! fast as the server reads them; others stay just within their budgets with a valid page of
//! 20,000 elements whose texts all change ten times a second, which the replica must apply.
//! What they sent and how often they were refused goes in the report.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Each flood message: a few megabytes, the size of a big page's snapshot.
const FLOOD_BYTES: usize = 4 * 1024 * 1024;
/// Every so many messages, one past the size limit.
const OVERSIZED_EVERY: u64 = 5;

/// What the flood did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct FloodCounts {
    pub messages_sent: u64,
    pub megabytes_sent: f64,
    /// Error answers from the server (each run of refusals is answered once).
    pub errors_received: u64,
    pub seconds: f64,
}

impl FloodCounts {
    /// Adds another flooder's counts (seconds: the longest).
    pub fn add(&mut self, other: FloodCounts) {
        self.messages_sent += other.messages_sent;
        self.megabytes_sent += other.megabytes_sent;
        self.errors_received += other.errors_received;
        self.seconds = self.seconds.max(other.seconds);
    }
}

/// A flood under way.
pub struct Flooder {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<FloodCounts>,
}

/// How a flooder floods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flood {
    /// Oversized and rapid messages, past every limit.
    PastTheLimits,
    /// A big valid page changing at just under the byte rate allowed.
    AtTheEdge,
}

/// Starts a session as a customer of `demo` on `server` and floods it.
pub async fn start(server: &str, demo: &str, kind: Flood) -> Result<Flooder, String> {
    let url = format!("{}/ws/customer", server.replacen("http", "ws", 1));
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert("Origin", demo.parse().map_err(|_| "bad origin".to_string())?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| e.to_string())?;
    ws.send(Message::text(r#"{"type":"start"}"#)).await.map_err(|e| e.to_string())?;
    let page = serde_json::json!({ "type": "page", "href": format!("{demo}/"), "width": 1280, "height": 800 });
    ws.send(Message::text(page.to_string())).await.map_err(|e| e.to_string())?;
    let (stop, stopped) = watch::channel(false);
    let task = match kind {
        Flood::PastTheLimits => tokio::spawn(flood(ws, stopped)),
        Flood::AtTheEdge => tokio::spawn(super::edge::churn(ws, format!("{demo}/"), stopped)),
    };
    Ok(Flooder { stop, task })
}

impl Flooder {
    /// Ends the flood; what it did.
    pub async fn stop(self) -> FloodCounts {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

fn events(bytes: usize) -> Message {
    let pad = "x".repeat(bytes);
    Message::binary(format!(r#"[{{"type":5,"timestamp":1,"data":{{"tag":"flood","payload":"{pad}"}}}}]"#).into_bytes())
}

pub(super) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Counts the error answers a flooder's connection receives, until stopped.
pub(super) struct ErrorCount {
    count: Arc<AtomicU64>,
    reader: tokio::task::JoinHandle<()>,
}

impl ErrorCount {
    pub(super) fn of(mut stream: futures::stream::SplitStream<Socket>) -> ErrorCount {
        let count = Arc::new(AtomicU64::new(0));
        let counted = count.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                if matches!(&message, Message::Text(text) if text.contains(r#""type":"error""#)) {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        ErrorCount { count, reader }
    }

    /// Stops reading; how many errors came.
    pub(super) fn stop(self) -> u64 {
        self.reader.abort();
        self.count.load(Ordering::Relaxed)
    }
}

async fn flood(ws: Socket, stopped: watch::Receiver<bool>) -> FloodCounts {
    let started = std::time::Instant::now();
    let (mut sink, stream) = ws.split();
    let errors = ErrorCount::of(stream);
    let (normal, oversized) = (events(FLOOD_BYTES), events(crate::wire::MAX_EVENTS_MESSAGE + 1024));
    let mut counts = FloodCounts::default();
    // A send is never cut short (half a frame would leave the connection unreadable); the
    // server slows its reading down, so each may take a while.
    while !*stopped.borrow() {
        let message = if counts.messages_sent % OVERSIZED_EVERY == OVERSIZED_EVERY - 1 { &oversized } else { &normal };
        let bytes = message.len();
        if sink.send(message.clone()).await.is_err() {
            break;
        }
        counts.messages_sent += 1;
        counts.megabytes_sent += bytes as f64 / 1e6;
    }
    counts.seconds = started.elapsed().as_secs_f64();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), sink.close()).await;
    counts.errors_received = errors.stop();
    counts
}
