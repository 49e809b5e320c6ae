//! The load mode: customers' visits recorded once from real Chromium customers (every message
//! the snippet sent, with its time and the probe's number), then sent again at their original
//! pace by light clients over `/ws/customer`, many sessions at once, each watched by a
//! simulated agent. The machine under test then runs only the server and its replicas, as in
//! production, where customers' browsers run on customers' machines.

use std::time::Duration;

use tokio::time::Instant;

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::customer::SentMessage;
use super::single::JOIN_AFTER;
use super::workload::{self, Visit};
use super::Rig;

/// One recorded visit: every message the snippet sent, in order, times from its first.
#[derive(Debug, Clone)]
pub struct Recording {
    pub name: &'static str,
    /// The site's origin (where the replayed connection says it comes from).
    pub origin: String,
    pub messages: Vec<SentMessage>,
}

impl Recording {
    /// Seconds from the first message to the last.
    pub fn seconds(&self) -> f64 {
        match (self.messages.first(), self.messages.last()) {
            (Some(first), Some(last)) => (last.at - first.at) / 1000.0,
            _ => 0.0,
        }
    }

    /// Changes a second the visit makes on average (probe marks).
    pub fn changes_per_second(&self) -> f64 {
        let mut last = -1;
        let changes = self
            .messages
            .iter()
            .filter(|m| {
                m.kind == "events" && m.seq > last && {
                    last = m.seq;
                    true
                }
            })
            .count();
        changes as f64 / self.seconds().max(0.001)
    }
}

/// Records `visit` as a real customer in the customers' Chromium makes it (a session started,
/// no agent needed: the snippet records from the start).
pub async fn record(rig: &Rig, visit: &Visit) -> Result<Recording, String> {
    let base = rig.base(visit.site);
    let mut customer = rig.customers.open_recording(rig.options.screen()).await?;
    let mut steps = visit.steps.to_vec();
    let first = steps.first_mut().and_then(|s| s.page.take()).unwrap_or("/");
    customer.open_page(&format!("{base}{first}")).await?;
    let outcome = match customer.start_session().await {
        Ok(_) => workload::perform(&mut customer, &base, &steps).await,
        Err(e) => Err(e),
    };
    let _ = customer.eval("Cobrowse.end()").await;
    customer.stop().await;
    let messages = std::mem::take(&mut customer.messages);
    rig.customers.close(customer).await;
    outcome?;
    let start = messages.first().map_or(0.0, |m| m.at);
    let messages = messages.into_iter().map(|m| SentMessage { at: m.at - start, ..m }).collect::<Vec<_>>();
    if !messages.iter().any(|m| m.kind == "events") {
        return Err(format!("recording {}: the snippet sent no events", visit.name));
    }
    Ok(Recording { name: visit.name, origin: base, messages })
}

/// One pass through a recording: when it began (wall-clock ms), and (probe number, wall-clock
/// ms sent) for each change. Every pass shows the same numbers again.
#[derive(Debug, Default)]
pub struct Pass {
    pub began: f64,
    pub marks: Vec<(u32, f64)>,
}

/// What one replayed session did, pass after pass, and why it stopped early, if it did.
#[derive(Debug, Default)]
pub struct Replayed {
    pub passes: Vec<Pass>,
    pub failure: Option<String>,
}

/// Between two passes the customer reads for this long before opening the visit's first page
/// again.
const BETWEEN_PASSES: Duration = Duration::from_secs(2);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A customer's connection that replays a recording.
pub struct LightCustomer {
    socket: Socket,
    pub session: String,
}

impl LightCustomer {
    /// Connects from `origin` and starts a session. `Ok(None)` when the server is busy.
    pub async fn start(server: &str, origin: &str) -> Result<Option<LightCustomer>, String> {
        let url = format!("{}/ws/customer", server.replacen("http", "ws", 1));
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        request.headers_mut().insert("Origin", origin.parse().map_err(|_| "bad origin".to_string())?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| e.to_string())?;
        socket.send(Message::text(r#"{"type":"start"}"#)).await.map_err(|e| e.to_string())?;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
                .await
                .map_err(|_| "the server did not answer the start".to_string())?;
            let Some(Ok(Message::Text(text))) = message else {
                return Err("the server closed the customer's connection".into());
            };
            let answer: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            match answer["type"].as_str() {
                Some("started") => {
                    let session = answer["id"].as_str().unwrap_or_default().to_string();
                    return Ok(Some(LightCustomer { socket, session }));
                }
                Some("gone") if answer["code"] == "server_busy" => return Ok(None),
                Some("gone") => return Err(format!("the start was refused: {text}")),
                _ => {}
            }
        }
    }

    /// Waits for the agent, then sends the recording's messages at their pace (from its first
    /// page on), pass after pass with a reading pause between, until `until`; then ends the
    /// session. A request for a snapshot is answered with the current page's messages again.
    pub async fn replay(mut self, recording: &Recording, until: Instant) -> Replayed {
        let mut replayed = Replayed::default();
        if let Err(e) = self.wait_for_agent().await {
            replayed.failure = Some(e);
            return replayed;
        }
        let messages: Vec<&SentMessage> = recording
            .messages
            .iter()
            .filter(|m| {
                // This connection's own start stands for every start, resume and end recorded.
                let own = ["start", "resume", "end"].iter().any(|t| m.body.contains(&format!(r#""type":"{t}""#)));
                !(m.kind == "text" && own)
            })
            .collect();
        while Instant::now() < until {
            let mut pass = Pass { began: super::wall_ms(), marks: Vec::new() };
            let outcome = self.pass(&messages, &mut pass, until).await;
            replayed.passes.push(pass);
            let pause = match outcome {
                Ok(last_page) => self.wait_until((Instant::now() + BETWEEN_PASSES).min(until), last_page).await,
                Err(e) => Err(e),
            };
            if let Err(e) = pause {
                replayed.failure = Some(e);
                return replayed;
            }
        }
        let _ = self.socket.send(Message::text(r#"{"type":"end"}"#)).await;
        let _ = self.socket.close(None).await;
        replayed
    }

    /// Sends `messages` once at their pace, or until `until`, noting each change in `pass`.
    /// Returns the last page's messages sent, for a snapshot asked for after the pass.
    async fn pass<'m>(
        &mut self,
        messages: &'m [&'m SentMessage],
        pass: &mut Pass,
        until: Instant,
    ) -> Result<&'m [&'m SentMessage], String> {
        let began = Instant::now();
        let mut page_from = 0;
        let mut last_seq = -1;
        for (i, message) in messages.iter().enumerate() {
            let due = began + Duration::from_secs_f64(message.at / 1000.0);
            if due > until {
                return Ok(&messages[page_from..i]);
            }
            self.wait_until(due, &messages[page_from..i]).await?;
            if message.kind == "text" && message.body.contains(r#""type":"page""#) {
                page_from = i;
            }
            let sent = super::wall_ms();
            self.send(message).await?;
            if message.kind == "events" && message.seq > last_seq {
                last_seq = message.seq;
                pass.marks.push((message.seq as u32, sent));
            }
        }
        Ok(&messages[page_from..])
    }

    /// Reads while waiting until `due`: pings are answered, and a snapshot asked for is answered
    /// with `page` (the current page's messages so far) again.
    async fn wait_until(&mut self, due: Instant, page: &[&SentMessage]) -> Result<(), String> {
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(due) => return Ok(()),
                incoming = self.socket.next() => match incoming {
                    Some(Ok(Message::Text(text))) if text.contains(r#""type":"snapshot""#) => {
                        for again in page {
                            self.send(again).await?;
                        }
                    }
                    Some(Ok(Message::Text(text))) if text.contains(r#""type":"ended""#) || text.contains(r#""type":"gone""#) => {
                        return Err(format!("the session ended: {text}"));
                    }
                    Some(Ok(_)) => {}
                    _ => return Err("the server closed the customer's connection".into()),
                },
            }
        }
    }

    async fn send(&mut self, message: &SentMessage) -> Result<(), String> {
        let frame = match message.kind.as_str() {
            "events" => Message::binary(message.body.clone().into_bytes()),
            _ => Message::text(message.body.clone()),
        };
        self.socket.send(frame).await.map_err(|e| format!("the customer's connection failed: {e}"))
    }

    async fn wait_for_agent(&mut self) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + JOIN_AFTER + Duration::from_secs(20);
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| "no agent joined".to_string())?;
            match message {
                Some(Ok(Message::Text(text))) if text.contains(r#""type":"agent_joined""#) => return Ok(()),
                Some(Ok(_)) => {}
                _ => return Err("the server closed the customer's connection".into()),
            }
        }
    }
}
