//! The bench's load balancer in front of a cluster: round robin over the nodes at the TCP level
//! (WebSockets pass through untouched), a node that refuses the connection skipped for the
//! next, as nginx's `proxy_next_upstream error` does. No stickiness.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Balances connections to `nodes`; returns its address and the task (abort to stop).
pub async fn start(nodes: Vec<SocketAddr>) -> Result<(String, tokio::task::JoinHandle<()>), String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let nodes = Arc::new(nodes);
    let next = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (nodes, first) = (nodes.clone(), next.fetch_add(1, Ordering::Relaxed));
            tokio::spawn(async move {
                for i in 0..nodes.len() {
                    let node = nodes[(first + i) % nodes.len()];
                    let connected = tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(node)).await;
                    if let Ok(Ok(mut upstream)) = connected {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                        return;
                    }
                }
            });
        }
    });
    Ok((url, task))
}
