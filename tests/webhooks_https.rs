//! Webhooks over HTTPS: delivered to a loopback receiver whose self-signed certificate is
//! trusted through `COBROWSE_WEBHOOK_CA`, signed as over plain HTTP; refused (never sent in the
//! clear, counted as failed) when the certificate is not trusted.

pub mod support;

use std::sync::Arc;
use std::time::Duration;

use cobrowse::hooks::{SessionHook, Webhooks};
use cobrowse::metrics::Metrics;
use hmac::{Hmac, Mac};
use tokio::io::AsyncWriteExt;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CERTIFICATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/receiver.pem");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/receiver.key");
const SECRET: &str = "webhook-secret-for-tests";

/// A delivery the receiver accepted: its request line, signature header and body.
#[derive(Debug)]
struct Delivery {
    request_line: String,
    signature: String,
    body: String,
}

/// An HTTPS receiver on loopback with the fixture's self-signed certificate (for 127.0.0.1);
/// answers 200 to each request and passes it on, and tells of each TLS handshake that failed.
async fn https_receiver() -> (String, tokio::sync::mpsc::Receiver<Delivery>, tokio::sync::mpsc::UnboundedReceiver<()>) {
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certificates = CertificateDer::pem_file_iter(CERTIFICATE).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(KEY).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hooks/cobrowse", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let (handshakes_refused, refused) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut stream) = acceptor.accept(tcp).await else {
                let _ = handshakes_refused.send(());
                continue;
            };
            let (head, body) = support::http::read_request(&mut stream).await;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
            let _ = stream.shutdown().await;
            let request_line = head.lines().next().unwrap_or("").to_string();
            let _ = tx
                .send(Delivery {
                    request_line,
                    signature: support::http::header(&head, "x-cobrowse-signature").unwrap_or_default(),
                    body,
                })
                .await;
        }
    });
    (url, rx, refused)
}

fn hook() -> SessionHook {
    SessionHook {
        id: "hook-1".into(),
        event: "session-started",
        session: "123456789".into(),
        interaction: Some("crm-42".into()),
        agent: Some("a-1".into()),
        started_at_ms: 1_800_000_000_000,
        duration_seconds: None,
        ended_by: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_reaches_an_https_receiver_whose_certificate_is_given() {
    let (url, mut deliveries, _) = https_receiver().await;
    let metrics = Arc::new(Metrics::default());
    let hooks = Webhooks::new(&url, SECRET, Some(std::path::Path::new(CERTIFICATE)), metrics.clone()).unwrap();
    hooks.post(hook());
    let delivery = tokio::time::timeout(Duration::from_secs(30), deliveries.recv()).await.unwrap().unwrap();
    assert_eq!(delivery.request_line, "POST /hooks/cobrowse HTTP/1.1");
    let body: serde_json::Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!((body["event"].as_str(), body["session"].as_str()), (Some("session-started"), Some("123456789")));
    assert_eq!(body["interaction"], "crm-42");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(delivery.body.as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(delivery.signature, format!("sha256={expected}"), "the receiver can check the signature");
    tokio::time::timeout(Duration::from_secs(30), hooks.flush()).await.unwrap();
    assert_eq!(metrics.webhooks_failed.get(), 0);
}

/// Without the receiver's certificate among the trusted ones, nothing is sent: every attempt
/// fails at the handshake, and after the retries the hook counts as failed in `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused_and_the_hook_counted_as_failed() {
    let (url, mut deliveries, mut handshakes_refused) = https_receiver().await;
    let metrics = Arc::new(Metrics::default());
    let hooks = Webhooks::new(&url, SECRET, None, metrics.clone()).unwrap();
    hooks.post(hook());
    // Five attempts, 0.5 + 1 + 2 + 4 s apart.
    tokio::time::timeout(Duration::from_secs(60), hooks.flush()).await.unwrap();
    assert_eq!(metrics.webhooks_failed.get(), 1);
    assert!(deliveries.try_recv().is_err(), "no request crossed an untrusted connection");
    // The receiver may learn of the last refusal a moment after the sender gave up.
    for attempt in 1..=5 {
        let refused = tokio::time::timeout(Duration::from_secs(10), handshakes_refused.recv()).await;
        assert!(matches!(refused, Ok(Some(()))), "attempt {attempt} stopped at the handshake");
    }
    assert!(handshakes_refused.try_recv().is_err(), "five attempts, no more");
}
