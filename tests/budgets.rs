//! A customer connection's budgets, met as a flooding client meets them: messages past the
//! size limit and bytes past the rate are refused with a reason the widget shows, counted in
//! `/metrics`, and the session goes on.

pub mod support;

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
    let server = TestServer::builder().start().await;
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

/// After a page was given up for being too large: the widget says so, `limit` counted it once,
/// the session goes on, and the customer's next page (`next`, of the fixtures) shows again.
/// The metrics then.
async fn given_up_then_next_page_shows(cast: &Cast, limit: &str, next: &str) -> String {
    let (customer, agent) = (&cast.customer, &cast.agent);
    customer
        .wait_for(
            "the widget says the page is too large",
            &format!("{WIDGET}.querySelector('[role=status]').textContent.includes('too large to share')"),
        )
        .await;
    let (_, metrics) = cast.server.http("GET", "/metrics", None).await;
    assert_eq!(counted(&metrics, limit), 1, "{metrics}");
    assert_eq!(cast.server.state.registry.len(), 1, "the session goes on");
    let before = frames(agent).await;
    customer.goto(&format!("{}/fixtures/{next}", cast.server.fixtures)).await;
    wait_for_frame_after(agent, before).await;
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 300.0], 0.99).await;
    assert!(ratio >= 0.99, "the next page does not show ({ratio:.3})");
    metrics
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
    given_up_then_next_page_shows(&cast, "page_nodes", "write.html").await;
    cast.finish().await;
}

/// A 1x1 red PNG, base64: what a crafted canvas picture carries. It decodes to almost nothing;
/// the canvas it is painted on holds the picture's stated size in memory.
const RED_PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQD3A0FDAAAAAElFTkSuQmCC";
/// A 300x200 red PNG, base64.
const RED_BOX: &str = "iVBORw0KGgoAAAANSUhEUgAAASwAAADICAIAAADdvUsCAAABrElEQVR42u3TQQkAAAjAwPUvrTF8eHAJBmsKOCQBmBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAgmlABMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBEwIJgRMCCYETAgmBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAiYEEwImBBMCJgQTAhKACcGEgAnBhIAJ4akFT+KDSJWA/YAAAAAASUVORK5CYII=";

/// Sends crafted rrweb events through the customer's own channel, as a tampered snippet would:
/// `adds` are added to the body, then `pictures` (cobrowse-canvas payloads) follow.
fn tamper(adds: Value, pictures: Value) -> String {
    format!(
        "(() => {{
            const parentId = __cobrowseRrweb.record.mirror.getId(document.body);
            const adds = {adds}.map((node) => ({{ parentId, nextId: null, node }}));
            const now = Date.now();
            const events = [{{ type: 3, timestamp: now, data: {{ source: 0, adds, removes: [], texts: [], attributes: [] }} }}]
                .concat({pictures}.map((payload) => ({{ type: 5, timestamp: now, data: {{ tag: 'cobrowse-canvas', payload }} }})));
            window.__sockets[window.__sockets.length - 1].send(new TextEncoder().encode(JSON.stringify(events)));
            return true;
        }})()"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canvas_pictures_cannot_take_the_replicas_memory() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    capture_sockets(customer).await;
    customer.goto(&format!("{}/fixtures/write.html", cast.server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    wait_for_frame_after(agent, 0).await;

    // A canvas with a picture of its own (`rr_dataURL`), which rrweb would paint at the size
    // the event gives the canvas (16384 x 16384 is a 1 GB buffer) and the snippet never sends:
    // the replica drops it, so the agent's view still matches the customer's page, which has
    // no such canvas.
    let boxed = format!("data:image/png;base64,{RED_BOX}");
    let style = "position:absolute;left:0;top:0;width:300px;height:200px";
    let canvas = json!([{ "type": 2, "tagName": "canvas", "attributes": { "width": "300", "height": "200", "style": style, "rr_dataURL": boxed }, "childNodes": [], "id": 91001 }]);
    customer.eval(&tamper(canvas, json!([]))).await;
    // What the customer types next follows the crafted canvas down the same channel: once the
    // agent sees it, the replica has taken the canvas, and a picture painted on it would show.
    let name = customer.eval("(() => { const r = document.getElementById('name').getBoundingClientRect(); return [r.x + 4, r.y + 4, r.width - 8, r.height - 8]; })()").await;
    let name: [f64; 4] = serde_json::from_value(name).unwrap();
    customer.click_element("document.getElementById('name')").await;
    customer.type_text("Ada Lovelace").await;
    // Unfocused, so no focus ring (which the replica does not draw) sets the views apart.
    customer.eval("document.activeElement.blur(), true").await;
    let typed = wait_for_match(customer, agent, name, 0.99).await;
    assert!(typed >= 0.99, "the typing after the crafted canvas matches only {typed:.3} (its picture shows?)");
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 300.0], 0.99).await;
    assert!(ratio >= 0.99, "the crafted picture shows ({ratio:.3})");
    let (_, metrics) = cast.server.http("GET", "/metrics", None).await;
    assert_eq!(counted(&metrics, "page_memory"), 0, "nothing is over budget yet: {metrics}");

    // Five pictures of 4000 x 4000 (16 Mpx each, 320 MB of canvas in all): past the pictures'
    // budget, the replica gives the page up and the customer is told why.
    let canvases: Vec<Value> = (0..5)
        .map(|n| json!({ "type": 2, "tagName": "canvas", "attributes": { "width": "10", "height": "10" }, "childNodes": [], "id": 91100 + n }))
        .collect();
    let pictures: Vec<Value> =
        (0..5).map(|n| json!({ "id": 91100 + n, "width": 4000, "height": 4000, "png": RED_PIXEL })).collect();
    customer.eval(&tamper(json!(canvases), json!(pictures))).await;
    let metrics = given_up_then_next_page_shows(&cast, "page_memory", "write.html?next").await;
    assert_eq!(counted(&metrics, "page_nodes"), 0, "{metrics}");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_past_the_replicas_memory_budget_shows_a_notice_and_the_session_goes_on() {
    let _serial = SERIAL.lock().await;
    // 64 MB (`--replica-memory 64`) for a page of 60,000 elements: within the element budget,
    // but its rebuilt DOM takes about 110 MB of heap (250 MB before garbage is collected).
    let server = TestServer::builder().replica(|browser| browser.with_memory_budget(64)).start().await;
    let cast = Cast::on(server).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    customer.goto(&format!("{}/fixtures/many.html", cast.server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    let metrics = given_up_then_next_page_shows(&cast, "page_memory", "write.html").await;
    assert_eq!(counted(&metrics, "page_nodes"), 0, "{metrics}");
    cast.finish().await;
}
