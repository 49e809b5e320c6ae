//! Connections as a slow or greedy client holds them: request headers sent a byte at a time
//! are cut off, idle connections are closed, and one address gets only so many connections
//! while others still get in. Each is counted in `/metrics`.

pub mod support;

use std::net::SocketAddr;
use std::time::Duration;

use cobrowse::server::listen::ConnectionLimits;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const LIMITS: ConnectionLimits =
    ConnectionLimits { header_read: Duration::from_secs(1), idle: Duration::from_secs(2), per_address: 4 };

async fn server() -> TestServer {
    // No session starts here, so no replica Chromium either.
    TestServer::builder().replica_on_demand().configure(|state| state.with_connection_limits(LIMITS)).start().await
}

fn address(server: &TestServer) -> SocketAddr {
    server.server.trim_start_matches("http://").parse().unwrap()
}

/// A connection to the server from the loopback address `from`.
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    bounded("connecting", socket.connect(to)).await.unwrap()
}

/// Whether the server closes `stream` within `limit` (what it sent before, if anything).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|_| String::from_utf8_lossy(&received).to_string())
}

async fn health(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /healthz HTTP/1.1\r\nhost: cobrowse\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = bounded("the health answer", stream.read(&mut buf)).await.unwrap();
    String::from_utf8_lossy(&buf[..n]).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_closed() {
    let server = server().await;
    let to = address(&server);

    // Headers that never end: closed after the header deadline (1 s here).
    let mut slow = connect_from("127.0.0.1", to).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: cobrowse\r\nx-slow: ").await.unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(4)).await.is_some(),
        "a request whose headers never end is held open"
    );

    // A connection that answered a request and then sends no next one: closed after the header
    // deadline too (it runs while the server waits for the next request's headers).
    let mut idle = connect_from("127.0.0.1", to).await;
    assert!(health(&mut idle).await.starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut idle, Duration::from_secs(4)).await.is_some(), "an idle connection is held open");

    // A WebSocket that goes silent: closed after the idle deadline (2 s here; live ones ping
    // every 20 s, under the default 75 s).
    let mut socket = connect_from("127.0.0.1", to).await;
    let upgrade = format!(
        "GET /ws/customer HTTP/1.1\r\nhost: cobrowse\r\norigin: {}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
        server.demo
    );
    socket.write_all(upgrade.as_bytes()).await.unwrap();
    let mut buf = [0u8; 1024];
    let n = bounded("the upgrade", socket.read(&mut buf)).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&buf[..n]));
    assert!(closed_within(&mut socket, Duration::from_secs(6)).await.is_some(), "a silent WebSocket is held open");

    let (_, metrics) = server.http("GET", "/metrics", None).await;
    for limit in ["header_timeout", "idle_timeout"] {
        let counted = format!("cobrowse_limit_refusals_total{{limit=\"{limit}\"}} ");
        let line = metrics.lines().find(|l| l.starts_with(&counted)).unwrap_or_default();
        assert!(line.len() > counted.len() && !line.ends_with(" 0"), "{limit} is not counted: {metrics}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_gets_only_its_cap_of_connections_and_others_still_get_in() {
    let server = server().await;
    let to = address(&server);
    let mut held = Vec::new();
    for _ in 0..LIMITS.per_address {
        let mut stream = connect_from("127.0.0.3", to).await;
        assert!(health(&mut stream).await.starts_with("HTTP/1.1 200"));
        held.push(stream);
    }
    // One more from the same address is told why, and closed.
    let mut refused = connect_from("127.0.0.3", to).await;
    let answer = closed_within(&mut refused, Duration::from_secs(3)).await.expect("the refused connection is closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Too many connections from your address"), "{answer}");
    // Another address is not held back.
    let mut other = connect_from("127.0.0.4", to).await;
    assert!(health(&mut other).await.starts_with("HTTP/1.1 200"));
    // A connection closed gives its slot back.
    drop(held.pop());
    let mut again = None;
    for _ in 0..50 {
        let mut stream = connect_from("127.0.0.3", to).await;
        stream.write_all(b"GET /healthz HTTP/1.1\r\nhost: cobrowse\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 64];
        let n = bounded("an answer", stream.read(&mut buf)).await.unwrap_or(0);
        if buf[..n].starts_with(b"HTTP/1.1 200") {
            again = Some(stream);
            break;
        }
        // The server has not seen the close yet.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "the address never got its slot back");

    let (_, metrics) = server.http("GET", "/metrics", None).await;
    assert!(metrics.contains("cobrowse_limit_refusals_total{limit=\"connections_per_address\"}"), "{metrics}");
    assert!(!metrics.contains("cobrowse_limit_refusals_total{limit=\"connections_per_address\"} 0"), "{metrics}");
    server.stop().await;
}
