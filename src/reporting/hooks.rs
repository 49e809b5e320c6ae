//! Webhooks: `session-started` (the first agent joined) and `session-ended` posted as JSON to the
//! contact center's URL (https or http) by one worker, in order, retried with backoff, signed
//! with their own secret (`COBROWSE_WEBHOOK_SECRET`: whoever checks webhooks must not be able to
//! mint tokens). HTTPS verifies the receiver's certificate against the system's authorities and
//! any in `COBROWSE_WEBHOOK_CA`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use std::path::Path;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;

/// Tries per delivery; the waits between them double from [`FIRST_RETRY`].
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// One attempt (connect, TLS, send, answer) gives up after this.
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

/// Webhook settings that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(
        "COBROWSE_WEBHOOK_URL: {0:?} is not an https:// or http:// URL (like https://crm.example.com/hooks/cobrowse)"
    )]
    BadUrl(String),
    #[error("COBROWSE_WEBHOOK_CA: cannot read {path}: {reason}")]
    BadAuthorities { path: String, reason: String },
    #[error("webhooks: cannot set up the HTTPS client: {0}")]
    Client(String),
}

/// Where hooks go.
#[derive(Clone)]
pub struct Webhooks {
    url: reqwest::Url,
    client: reqwest::Client,
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
        // Only where: a receiver's URL may carry a token in its path or query.
        write!(f, "Webhooks({}://{})", self.url.scheme(), self.url.host_str().unwrap_or_default())
    }
}

impl Webhooks {
    /// Hooks to `url` (`https://` or `http://`), signed with `secret`; an HTTPS receiver's
    /// certificate may also be signed by an authority in the PEM file `authorities`.
    pub fn new(
        url: &str,
        secret: &str,
        authorities: Option<&Path>,
        metrics: Arc<Metrics>,
    ) -> Result<Webhooks, WebhookError> {
        let bad = || WebhookError::BadUrl(url.to_string());
        let parsed = reqwest::Url::parse(url).map_err(|_| bad())?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad());
        }
        // ring, not reqwest's default aws-lc: the same TLS 1.2 and 1.3 a receiver needs, built in
        // a fraction of the time; rustls marks it deprecated only for lacking post-quantum key
        // exchange. Installed once for the process, before any client.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            // A receiver's redirect would take the signed body somewhere nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if let Some(path) = authorities {
            let unreadable = |reason: String| WebhookError::BadAuthorities { path: path.display().to_string(), reason };
            let pem = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| unreadable(e.to_string()))?;
            if certificates.is_empty() {
                return Err(unreadable("no PEM certificate in it".into()));
            }
            client = client.tls_certs_merge(certificates);
        }
        let client = client.build().map_err(|e| WebhookError::Client(e.to_string()))?;
        let secret = secret.as_bytes().to_vec();
        Ok(Webhooks { url: parsed, client, secret, metrics, queue: Arc::default() })
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
            self.metrics.webhooks_failed.inc();
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
        self.metrics.webhooks_failed.inc();
        tracing::error!(event = hook.event, session = %hook.session, "webhook given up after {ATTEMPTS} attempts");
    }

    /// One POST; the HTTP status of the answer.
    async fn attempt(&self, body: &str) -> Result<u16, String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key");
        mac.update(body.as_bytes());
        let signature: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let answer = self
            .client
            .post(self.url.clone())
            .header("Content-Type", "application/json")
            .header("X-Cobrowse-Signature", format!("sha256={signature}"))
            .body(body.to_string())
            .send()
            .await
            // Without the URL: it may carry a token, and this text goes to the log.
            .map_err(|e| describe(&e.without_url()))?;
        Ok(answer.status().as_u16())
    }
}

/// An error with its causes, so a log line says "certificate unknown", not just "error sending
/// request".
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_or_refused_with_the_setting_named() {
        let metrics = Arc::new(Metrics::default());
        for good in ["https://crm.example.com/hooks/cobrowse", "http://127.0.0.1:9000/h", "http://crm.internal"] {
            assert!(Webhooks::new(good, "k", None, metrics.clone()).is_ok(), "{good}");
        }
        for bad in ["ftp://x", "http://:80/", "http://h:port/", "crm.example.com/hooks", "https://"] {
            let err = Webhooks::new(bad, "k", None, metrics.clone()).unwrap_err().to_string();
            assert!(err.contains("COBROWSE_WEBHOOK_URL"), "{err}");
        }
    }

    #[test]
    fn authorities_that_cannot_be_read_are_named() {
        let metrics = Arc::new(Metrics::default());
        let missing = Path::new("/nonexistent/ca.pem");
        let err = Webhooks::new("https://crm.example.com/h", "k", Some(missing), metrics.clone()).unwrap_err();
        assert!(err.to_string().contains("COBROWSE_WEBHOOK_CA") && err.to_string().contains("ca.pem"), "{err}");
        let not_pem = std::env::temp_dir().join(format!("cobrowse-not-pem-{}", std::process::id()));
        std::fs::write(&not_pem, "not a certificate").unwrap();
        let err = Webhooks::new("https://crm.example.com/h", "k", Some(&not_pem), metrics).unwrap_err();
        let _ = std::fs::remove_file(&not_pem);
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }
}
