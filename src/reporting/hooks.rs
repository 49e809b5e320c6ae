//! Webhooks: `session-started` (the first agent joined) and `session-ended` posted as JSON to the
//! contact center's URL by one worker, in order, retried with backoff, signed with their own
//! secret (`COBROWSE_WEBHOOK_SECRET`: whoever checks webhooks must not be able to mint tokens).

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;

/// Tries per delivery; the waits between them double from [`FIRST_RETRY`].
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// One attempt (connect, send, status line) gives up after this.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Hooks waiting for the worker; beyond this they are logged and counted as failed.
const QUEUE: usize = 4096;

/// What a webhook says about a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionHook {
    /// Unique per delivery and the same on every retry of it, so a receiver can drop repeats.
    pub id: String,
    /// `session-started` or `session-ended`.
    pub event: &'static str,
    pub session: String,
    /// The contact center's interaction the agent bound the session to.
    pub interaction: Option<String>,
    /// The agent's id.
    pub agent: Option<String>,
    /// When the first agent joined, in milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// From the first join to the end (`session-ended` only).
    pub duration_seconds: Option<f64>,
    /// Who ended it (`session-ended` only): customer, agent, timeout, interaction, server.
    pub ended_by: Option<crate::wire::EndedBy>,
}

/// A webhook URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("COBROWSE_WEBHOOK_URL: {0:?} is not an http://host:port/path URL (for https, post through a local TLS proxy)")]
pub struct BadUrl(pub String);

/// Where hooks go.
#[derive(Clone)]
pub struct Webhooks {
    host: String,
    port: u16,
    path: String,
    /// Signs each body (`X-Cobrowse-Signature: sha256=<hex HMAC>`), so the receiver can trust it.
    secret: Vec<u8>,
    metrics: Arc<Metrics>,
    /// The worker's queue, started with the first hook (inside the runtime).
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
}

enum Job {
    Post(SessionHook),
    /// Answered once every hook queued before it was delivered or given up.
    Flush(oneshot::Sender<()>),
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Webhooks(http://{}:{}{})", self.host, self.port, self.path)
    }
}

impl Webhooks {
    /// Hooks to `url` (`http://host[:port]/path`), signed with `secret`.
    pub fn new(url: &str, secret: &str, metrics: Arc<Metrics>) -> Result<Webhooks, BadUrl> {
        let bad = || BadUrl(url.to_string());
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
            None => (authority, 80),
        };
        if host.is_empty() || path.contains(char::is_whitespace) {
            return Err(bad());
        }
        let secret = secret.as_bytes().to_vec();
        Ok(Webhooks { host: host.into(), port, path: path.into(), secret, metrics, queue: Arc::default() })
    }

    fn queue(&self) -> &mpsc::Sender<Job> {
        self.queue.get_or_init(|| {
            let (tx, mut jobs) = mpsc::channel(QUEUE);
            let hooks = self.clone();
            tokio::spawn(async move {
                // One at a time, so a session's `ended` never overtakes its `started`.
                while let Some(job) = jobs.recv().await {
                    match job {
                        Job::Post(hook) => hooks.deliver(hook).await,
                        Job::Flush(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            });
            tx
        })
    }

    /// Queues `hook` for delivery, retried with backoff; never waits.
    pub fn post(&self, hook: SessionHook) {
        if self.queue().try_send(Job::Post(hook)).is_err() {
            self.metrics.webhooks_failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!("webhook dropped: {QUEUE} are waiting already");
        }
    }

    /// Waits until every hook queued so far was delivered or given up (at shutdown).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.queue().send(Job::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    async fn deliver(&self, hook: SessionHook) {
        let body = serde_json::to_string(&hook).expect("hooks serialise");
        let mut wait = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            match tokio::time::timeout(ATTEMPT_TIMEOUT, self.attempt(&body)).await {
                Ok(Ok(status)) if (200..300).contains(&status) => {
                    tracing::info!(event = hook.event, session = %hook.session, attempt, "webhook delivered");
                    return;
                }
                Ok(Ok(status)) => tracing::warn!(event = hook.event, status, attempt, "webhook refused; retrying"),
                Ok(Err(e)) => tracing::warn!(event = hook.event, error = %e, attempt, "webhook failed; retrying"),
                Err(_) => tracing::warn!(event = hook.event, attempt, "webhook timed out; retrying"),
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
        self.metrics.webhooks_failed.fetch_add(1, Ordering::Relaxed);
        tracing::error!(event = hook.event, session = %hook.session, "webhook given up after {ATTEMPTS} attempts");
    }

    /// One POST; the HTTP status of the answer.
    async fn attempt(&self, body: &str) -> std::io::Result<u16> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key");
        mac.update(body.as_bytes());
        let signature: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Cobrowse-Signature: sha256={signature}\r\nConnection: close\r\n\r\n{body}",
            self.path,
            self.host,
            self.port,
            body.len()
        );
        let mut stream = TcpStream::connect((self.host.as_str(), self.port)).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut buf = [0u8; 512];
        while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let line = String::from_utf8_lossy(&head);
        line.split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .filter(|_| line.starts_with("HTTP/1."))
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP answer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_or_refused_with_the_setting_named() {
        let metrics = Arc::new(Metrics::default());
        let hooks = Webhooks::new("http://127.0.0.1:9000/hooks/cobrowse", "k", metrics.clone()).unwrap();
        assert_eq!((hooks.host.as_str(), hooks.port, hooks.path.as_str()), ("127.0.0.1", 9000, "/hooks/cobrowse"));
        let hooks = Webhooks::new("http://crm.internal", "k", metrics.clone()).unwrap();
        assert_eq!((hooks.port, hooks.path.as_str()), (80, "/"));
        for bad in ["https://crm.example/x", "ftp://x", "http://:80/", "http://h:port/"] {
            let err = Webhooks::new(bad, "k", metrics.clone()).unwrap_err().to_string();
            assert!(err.contains("COBROWSE_WEBHOOK_URL"), "{err}");
        }
    }
}
