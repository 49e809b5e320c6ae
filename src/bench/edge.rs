//! A flooder that stays within its budgets (see [`super::flood`]): a page of 20,000 elements
//! whose texts all change, in turn, ten times a second, at just under the 1 MB/s allowed.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::flood::{ErrorCount, FloodCounts, Socket};

/// Elements of the page.
const ROWS: u64 = 20_000;
/// Texts changed per message, ten messages a second: about 90 KB each.
const CHANGED: u64 = 1_000;
const EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The id of row `n`'s element; its text node is the next id.
fn row_id(n: u64) -> u64 {
    10 + 2 * n
}

fn snapshot(href: &str) -> Value {
    let rows: Vec<Value> = (0..ROWS)
        .map(|n| {
            json!({ "type": 2, "tagName": "div", "attributes": {}, "id": row_id(n),
                    "childNodes": [{ "type": 3, "textContent": format!("row {n}"), "id": row_id(n) + 1 }] })
        })
        .collect();
    let body = json!({ "type": 2, "tagName": "body", "attributes": {}, "childNodes": rows, "id": 5 });
    let head = json!({ "type": 2, "tagName": "head", "attributes": {}, "childNodes": [], "id": 4 });
    let html = json!({ "type": 2, "tagName": "html", "attributes": {}, "childNodes": [head, body], "id": 3 });
    let doctype = json!({ "type": 1, "name": "html", "publicId": "", "systemId": "", "id": 2 });
    json!([
        { "type": 4, "timestamp": 1, "data": { "href": href, "width": 1280, "height": 800 } },
        { "type": 2, "timestamp": 1, "data": { "node": { "type": 0, "childNodes": [doctype, html], "id": 1 },
                                               "initialOffset": { "left": 0, "top": 0 } } },
    ])
}

/// Round `round`'s change: the next `CHANGED` rows get a new text.
fn change(round: u64) -> Value {
    let texts: Vec<Value> = (0..CHANGED)
        .map(|i| {
            let n = (round * CHANGED + i) % ROWS;
            json!({ "id": row_id(n) + 1, "value": format!("row {n}, changed in round {round}: the quick brown fox") })
        })
        .collect();
    json!([{ "type": 3, "timestamp": 2 + round, "data": { "source": 0, "texts": texts, "attributes": [], "removes": [], "adds": [] } }])
}

pub(super) async fn churn(ws: Socket, href: String, stopped: watch::Receiver<bool>) -> FloodCounts {
    let started = std::time::Instant::now();
    let (mut sink, stream) = ws.split();
    let errors = ErrorCount::of(stream);
    let mut counts = FloodCounts::default();
    let mut tick = tokio::time::interval(EVERY);
    let mut round = 0;
    let mut message = snapshot(&href);
    while !*stopped.borrow() {
        let bytes = message.to_string().into_bytes();
        counts.megabytes_sent += bytes.len() as f64 / 1e6;
        if sink.send(Message::binary(bytes)).await.is_err() {
            break;
        }
        counts.messages_sent += 1;
        tick.tick().await;
        message = change(round);
        round += 1;
    }
    counts.seconds = started.elapsed().as_secs_f64();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), sink.close()).await;
    counts.errors_received = errors.stop();
    counts
}
