//! What a customer's browser really sends: every WebSocket message, as Chromium reports it.

use std::sync::Arc;

use base64::Engine;

use super::{bounded, Tab};

/// Everything a tab sends on its WebSockets, as Chromium reports it (binary messages decoded):
/// what actually left the browser, whatever the page's scripts did.
pub struct SentCapture {
    sent: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SentCapture {
    pub async fn start(tab: &Tab) -> SentCapture {
        use chromiumoxide::cdp::browser_protocol::network::{EnableParams, EventWebSocketFrameSent};
        use futures::StreamExt;
        let mut events = bounded("listen", tab.page.event_listener::<EventWebSocketFrameSent>()).await.unwrap();
        bounded("network on", tab.page.execute(EnableParams::default())).await.unwrap();
        let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = sent.clone();
        let task = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                let frame = &event.response;
                let bytes = if frame.opcode == 1.0 {
                    frame.payload_data.as_bytes().to_vec()
                } else {
                    base64::engine::general_purpose::STANDARD.decode(&frame.payload_data).unwrap_or_default()
                };
                into.lock().unwrap().push(bytes);
            }
        });
        SentCapture { sent, task }
    }

    /// Messages sent so far.
    pub fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    /// The messages from the `from`-th on that contain `needle`, as text.
    pub fn containing(&self, needle: &str, from: usize) -> Vec<String> {
        let sent = self.sent.lock().unwrap();
        sent.iter().skip(from).map(|m| String::from_utf8_lossy(m).into_owned()).filter(|m| m.contains(needle)).collect()
    }
}

impl Drop for SentCapture {
    fn drop(&mut self) {
        self.task.abort();
    }
}
