//! Session slots against an anonymous client: the customer channel needs only an `Origin`
//! header, so a script can open sessions as fast as it likes. One source address gets a few
//! live sessions, each refusal says why, a customer from another address still starts, and a
//! session whose customer connection is gone before anyone joined frees its slot.

pub mod support;

use cobrowse::server::AppState;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A customer channel opened from the loopback address `from`, for a page of `origin`.
async fn customer_socket(server: &str, origin: &str, from: &str) -> Socket {
    customer_socket_forwarded(server, origin, from, None).await
}

/// [`customer_socket`] with an `X-Forwarded-For` header, as a reverse proxy (or a liar) sends.
async fn customer_socket_forwarded(server: &str, origin: &str, from: &str, forwarded: Option<&str>) -> Socket {
    let addr: std::net::SocketAddr = server.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let stream = bounded("connect", socket.connect(addr)).await.unwrap();
    let mut request = format!("ws://{addr}/ws/customer").into_client_request().unwrap();
    request.headers_mut().insert("Origin", origin.parse().unwrap());
    if let Some(forwarded) = forwarded {
        request.headers_mut().insert("X-Forwarded-For", forwarded.parse().unwrap());
    }
    bounded("upgrade", tokio_tungstenite::client_async(request, stream)).await.unwrap().0
}

/// Sends `start` and returns the server's answer: `started` or `gone`.
async fn start(ws: &mut Socket) -> Value {
    bounded("send", ws.send(Message::text(json!({ "type": "start" }).to_string()))).await.unwrap();
    loop {
        let message = bounded("answer", ws.next()).await.expect("an answer").unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] == "started" || value["type"] == "gone" {
                return value;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_slot_and_says_why() {
    let _serial = SERIAL.lock().await;
    // Sessions of raw customer channels, which never send a page: no replica Chromium needed.
    let server = TestServer::builder()
        .replica_on_demand()
        .configure(|state| AppState { max_sessions: 8, ..state })
        .start()
        .await;
    let mut held = Vec::new();
    for i in 0..5 {
        let mut ws = customer_socket(&server.server, &server.demo, "127.0.0.1").await;
        assert_eq!(start(&mut ws).await["type"], "started", "session {i}");
        held.push(ws);
    }
    // The sixth from the same address is refused, with the reason.
    let mut ws = customer_socket(&server.server, &server.demo, "127.0.0.1").await;
    let refused = start(&mut ws).await;
    assert_eq!(refused["type"], "gone", "{refused}");
    assert_eq!(refused["code"], "too_many_sessions", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("from your network"), "{refused}");
    assert_eq!(server.state.registry.len(), 5);

    // A customer elsewhere starts while that address holds its five.
    let mut other = customer_socket(&server.server, &server.demo, "127.0.0.2").await;
    assert_eq!(start(&mut other).await["type"], "started");
    assert_eq!(server.state.registry.len(), 6);
    let (_, metrics) = server.http("GET", "/metrics", None).await;
    assert!(metrics.contains("cobrowse_limit_refusals_total{limit=\"sessions_per_address\"} 1\n"), "{metrics}");
    drop((held, other));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_customer_has_their_own_slots_and_nobody_else_can_claim_one() {
    let _serial = SERIAL.lock().await;
    let proxy: std::net::IpAddr = "127.0.0.8".parse().unwrap();
    let server = TestServer::builder()
        .replica_on_demand()
        .configure(|state| state.with_sessions_per_address(2).with_trusted_proxies(vec![proxy]))
        .start()
        .await;
    let (url, demo) = (server.server.clone(), server.demo.clone());
    let from_proxy = |client: &'static str| {
        let (url, demo) = (url.clone(), demo.clone());
        async move { customer_socket_forwarded(&url, &demo, "127.0.0.8", Some(client)).await }
    };
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut ws = from_proxy("198.51.100.1").await;
        assert_eq!(start(&mut ws).await["type"], "started");
        held.push(ws);
    }
    let mut third = from_proxy("198.51.100.1").await;
    assert_eq!(start(&mut third).await["type"], "gone", "the proxy's client 198.51.100.1 holds its two");
    let mut neighbour = from_proxy("203.0.113.5, 198.51.100.2").await;
    assert_eq!(start(&mut neighbour).await["type"], "started", "another client behind the proxy starts");
    held.push(neighbour);

    // A client that is not the proxy cannot pass as others by writing the header itself.
    for client in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        let mut ws = customer_socket_forwarded(&server.server, &server.demo, "127.0.0.9", Some(client)).await;
        let answer = start(&mut ws).await;
        held.push(ws);
        if client == "192.0.2.3" {
            assert_eq!(answer["type"], "gone", "the forged header counted");
        } else {
            assert_eq!(answer["type"], "started");
        }
    }
    drop(held);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_session_whose_customer_is_gone_frees_its_slot() {
    let _serial = SERIAL.lock().await;
    let server = TestServer::builder().start().await;
    let mut ws = customer_socket(&server.server, &server.demo, "127.0.0.3").await;
    assert_eq!(start(&mut ws).await["type"], "started");
    assert_eq!(server.state.registry.len(), 1);
    // A page load comes back within the reconnect window (2 s here); a script that drops its
    // connection does not, and its session ends instead of waiting ten minutes for an agent.
    drop(ws);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(8);
    while !server.state.registry.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(server.state.registry.is_empty(), "the session still holds its slot");
    server.stop().await;
}
