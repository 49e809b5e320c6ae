//! The accept loop: every connection is served by hyper's HTTP/1 with a deadline for its request
//! headers and an idle deadline, and one source address holds so many connections at most;
//! axum's router answers the requests. (`axum::serve` sets neither deadline: a client sending
//! its headers a byte at a time held its connection for as long as it liked, and one address
//! could open 300 of them.)

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tower_service::Service;

use super::log_throttle::LogThrottle;
use crate::metrics::{Limit, Metrics};

/// How long connections may take and how many one address may hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionLimits {
    /// From a connection's start (or the end of its last response) to the end of a request's
    /// headers. Browsers send them at once; 10 s is for a slow mobile link.
    pub header_read: Duration,
    /// Without a byte either way. WebSockets here ping every 20 s, so a live one never idles
    /// this long; browsers reopen a closed keep-alive connection by themselves.
    pub idle: Duration,
    /// Open connections from one source address. A browser opens at most 6 per server plus a
    /// WebSocket per tab; a contact center behind one NAT address needs about 3 per agent.
    pub per_address: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { header_read: Duration::from_secs(10), idle: Duration::from_secs(75), per_address: 256 }
    }
}

/// What an address over its limit is told, before its connection closes.
const TOO_MANY: &str = "Too many connections from your address; close some and try again.\n";

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish.
/// Addresses `uncapped` says so of (trusted reverse proxies and the cluster's other nodes,
/// which carry many clients) have no cap.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    uncapped: impl Fn(IpAddr) -> bool,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let open = Arc::new(OpenConnections::default());
    let (closing_tx, closing_rx) = watch::channel(false);
    // Each connection's task holds a sender; all of them gone means all connections are done.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let complaints = Mutex::new(LogThrottle::default());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: let some close instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let cap = if uncapped(peer.ip()) { usize::MAX } else { limits.per_address };
        let Some(slot) = open.admit(peer.ip(), cap) else {
            metrics.limit_hit(Limit::ConnectionsPerAddress);
            complain(&complaints, peer, "refused a connection: too many open from this address");
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Guarded::new(stream, limits.idle, metrics.clone(), slot));
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { router.call(request).await }
        });
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(limits.header_read).keep_alive(true);
        let connection = http.serve_connection(io, service).with_upgrades();
        let (mut closing, done, metrics) = (closing_rx.clone(), done_tx.clone(), metrics.clone());
        tokio::spawn(async move {
            let mut connection = pin!(connection);
            let closed = async move {
                let _ = closing.wait_for(|closing| *closing).await;
            };
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = closed => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                if e.is_timeout() {
                    // Mostly browsers' speculative connections that were never used: counted,
                    // not worth a warning.
                    metrics.limit_hit(Limit::HeaderTimeout);
                    tracing::debug!(%peer, "closed a connection that did not send its request headers in time");
                } else {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            }
            drop(done);
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    drop(done_tx);
    let _ = done_rx.recv().await;
    Ok(())
}

/// Logs a complaint about connections at most once a minute (with how many were held back):
/// a flood of them is one attacker, not news each time.
fn complain(throttle: &Mutex<LogThrottle>, peer: SocketAddr, what: &str) {
    let allowed = throttle.lock().map(|mut t| t.allow(std::time::Instant::now())).unwrap_or(None);
    if let Some(held_back) = allowed {
        tracing::warn!(address = %peer.ip(), held_back, "{what}");
    }
}

/// Answers a connection over its address's limit with a 503 that says why, and closes it.
async fn refuse(mut stream: TcpStream) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 10\r\n\r\n{TOO_MANY}",
        TOO_MANY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(response.as_bytes())).await;
    let _ = stream.shutdown().await;
}

/// Open connections by source address.
#[derive(Default)]
struct OpenConnections(Mutex<HashMap<IpAddr, usize>>);

impl OpenConnections {
    /// A slot for one more connection from `ip`, unless it holds `cap` already.
    fn admit(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut open = self.0.lock().ok()?;
        let count = open.entry(ip).or_default();
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(Slot { open: self.clone(), ip })
    }
}

/// One open connection's place in its address's count, given back when it closes.
struct Slot {
    open: Arc<OpenConnections>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.0.lock() {
            if let Some(count) = open.get_mut(&self.ip) {
                *count -= 1;
                if *count == 0 {
                    open.remove(&self.ip);
                }
            }
        }
    }
}

/// A connection that fails its reads once nothing went either way for `idle` (also after a
/// WebSocket upgrade, which keeps this stream), and holds its address's slot while open.
struct Guarded {
    stream: TcpStream,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    metrics: Arc<Metrics>,
    _slot: Slot,
}

impl Guarded {
    fn new(stream: TcpStream, idle: Duration, metrics: Arc<Metrics>, slot: Slot) -> Guarded {
        let deadline = Box::pin(tokio::time::sleep(idle));
        Guarded { stream, idle, deadline, metrics, _slot: slot }
    }

    fn active(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }
}

impl AsyncRead for Guarded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                self.active();
                Poll::Ready(result)
            }
            Poll::Pending => {
                if self.deadline.as_mut().poll(cx).is_ready() {
                    self.metrics.limit_hit(Limit::IdleTimeout);
                    // Once: the next read must not count (or fail) again before a new deadline.
                    self.active();
                    return Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "idle connection")));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        if written.is_ready() {
            self.active();
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if written.is_ready() {
            self.active();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_its_cap_of_connections_and_gets_slots_back_as_they_close() {
        let open = Arc::new(OpenConnections::default());
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = open.admit(a, 2).expect("first");
        let second = open.admit(a, 2).expect("second");
        assert!(open.admit(a, 2).is_none(), "a third from the same address");
        assert!(open.admit(b, 2).is_some(), "another address is not held back");
        drop(first);
        let third = open.admit(a, 2).expect("a slot came back");
        drop((second, third));
        assert!(open.0.lock().unwrap().get(&a).is_none(), "no entry is kept for an address with none open");
    }
}
