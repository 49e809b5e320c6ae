//! A customer connection's budgets, met as a flooding client meets them: messages past the
//! size limit and bytes past the rate are refused with a reason the widget shows, counted in
//! `/metrics`, and the session goes on.

mod support;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A customer channel for a page of `origin`, with a session started and a page placed.
async fn customer(server: &TestServer) -> Socket {
    let mut request = format!("{}/ws/customer", server.server.replacen("http", "ws", 1)).into_client_request().unwrap();
    request.headers_mut().insert("Origin", server.demo.parse().unwrap());
    let (mut ws, _) = bounded("connect", tokio_tungstenite::connect_async(request)).await.unwrap();
    send(&mut ws, json!({ "type": "start" })).await;
    assert_eq!(next_of(&mut ws, "started").await["type"], "started");
    let page = json!({ "type": "page", "href": format!("{}/", server.demo), "width": 800, "height": 600 });
    send(&mut ws, page).await;
    ws
}

async fn send(ws: &mut Socket, message: Value) {
    bounded("send", ws.send(Message::text(message.to_string()))).await.unwrap();
}

/// An events message of about `bytes` (one custom event carrying padding).
fn events(bytes: usize) -> Message {
    let pad = "x".repeat(bytes);
    Message::binary(format!(r#"[{{"type":5,"timestamp":1,"data":{{"tag":"pad","payload":"{pad}"}}}}]"#).into_bytes())
}

/// The next text message of `kind` (others are skipped).
async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    bounded(&format!("a {kind} message"), async {
        loop {
            let message = ws.next().await.expect("the connection stays open").unwrap();
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == kind {
                    return value;
                }
            }
        }
    })
    .await
}

fn counted(metrics: &str, limit: &str) -> u64 {
    let prefix = format!("cobrowse_limit_refusals_total{{limit=\"{limit}\"}} ");
    metrics.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_cut_down_with_a_reason_and_the_session_goes_on() {
    let _serial = SERIAL.lock().await;
    let server = TestServer::start(timings()).await;
    let mut ws = customer(&server).await;

    // Past the size limit: refused with the reason, and the connection stays.
    bounded("send", ws.send(events(cobrowse::wire::MAX_EVENTS_MESSAGE + 1))).await.unwrap();
    let refused = next_of(&mut ws, "error").await;
    assert_eq!(refused["code"], "too_large", "{refused}");

    // Megabytes as fast as the socket takes them: past the burst, refused, and told once.
    for _ in 0..6 {
        bounded("send", ws.send(events(3 * 1024 * 1024))).await.unwrap();
    }
    let refused = next_of(&mut ws, "error").await;
    assert_eq!(refused["code"], "too_fast", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("catches up"), "{refused}");

    // The session is still there, and a message within the budget goes through.
    assert_eq!(server.state.registry.len(), 1, "the flooding customer's session goes on");
    send(&mut ws, json!({ "type": "pointer", "x": 3, "y": 4 })).await;
    let (_, metrics) = server.http("GET", "/metrics", None).await;
    assert_eq!(counted(&metrics, "message_size"), 1, "{metrics}");
    assert!(counted(&metrics, "bytes_per_second") >= 2, "{metrics}");
    drop(ws);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_outgrows_the_replica_shows_a_notice_and_the_session_goes_on() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    customer.goto(&format!("{}/fixtures/many.html", cast.server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    wait_for_frame_after(agent, 0).await;
    // Past 100,000 elements: the replica drops the page, the customer is told.
    for _ in 0..3 {
        customer.eval("window.grow()").await;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    }
    customer
        .wait_for(
            "the widget says the page is too large",
            &format!("{WIDGET}.querySelector('[role=status]').textContent.includes('too large to share')"),
        )
        .await;
    let (_, metrics) = cast.server.http("GET", "/metrics", None).await;
    assert_eq!(counted(&metrics, "page_nodes"), 1, "{metrics}");
    assert_eq!(cast.server.state.registry.len(), 1, "the session goes on");
    // Another page of the site shows again.
    let before = frames(agent).await;
    customer.goto(&format!("{}/fixtures/write.html", cast.server.fixtures)).await;
    wait_for_frame_after(agent, before).await;
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 300.0], 0.99).await;
    assert!(ratio >= 0.99, "the next page does not show ({ratio:.3})");
    cast.finish().await;
}
