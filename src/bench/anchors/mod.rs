//! The anchors every figure is set against, measured in the same run on the same work: DOM
//! mirroring (rrweb recording the customer's page and rrweb's Replayer in live mode showing it
//! to the agent, what most co-browse products ship) and a naive pixel stream (Chromium's
//! screencast of the customer's page as whole JPEG pictures at quality 70, what a screen share
//! sends). A relay on loopback carries the customer's side to a view in the agents' Chromium;
//! neither anchor touches the co-browse server.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast;

use super::agent::FrameSeen;
use super::tab::AgentBrowser;
use crate::replica::browser::ContextPage;
use crate::replica::visitor::Screencast;

const RECORD_JS: &str = include_str!("record.js");
const MIRROR_HTML: &str = include_str!("mirror.html");
const PICTURES_HTML: &str = include_str!("pictures.html");
/// JPEG quality of the screen-sharing anchor.
pub const JPEG_QUALITY: u8 = 70;

/// Which anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// rrweb live mode: the customer's DOM mirrored in the agent's browser.
    Mirror,
    /// Whole JPEG pictures of the customer's screen.
    Pictures,
}

impl Anchor {
    fn page(self) -> &'static str {
        match self {
            Anchor::Mirror => "/mirror.html",
            Anchor::Pictures => "/pictures.html",
        }
    }
}

/// The relay: what the customer's side publishes on `/feed` (or [`Relay::publish`]) goes to
/// every view connected on `/view`. A view too slow to take it loses the oldest, as a live
/// stream does.
pub struct Relay {
    pub url: String,
    feed: broadcast::Sender<bytes::Bytes>,
    task: tokio::task::JoinHandle<()>,
}

async fn feed(ws: WebSocketUpgrade, State(feed): State<broadcast::Sender<bytes::Bytes>>) -> impl IntoResponse {
    ws.max_message_size(64 << 20).on_upgrade(move |mut socket: WebSocket| async move {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Binary(bytes) = message {
                let _ = feed.send(bytes);
            }
        }
    })
}

async fn view(ws: WebSocketUpgrade, State(feed): State<broadcast::Sender<bytes::Bytes>>) -> impl IntoResponse {
    let mut published = feed.subscribe();
    ws.on_upgrade(move |socket: WebSocket| async move {
        let (mut to_view, mut from_view) = socket.split();
        loop {
            tokio::select! {
                item = published.recv() => match item {
                    Ok(bytes) => if to_view.send(Message::Binary(bytes)).await.is_err() { break },
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                closed = from_view.next() => if closed.is_none_or(|m| m.is_err()) { break },
            }
        }
    })
}

impl Relay {
    pub async fn start() -> Result<Relay, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        let (feed_tx, _) = broadcast::channel(256);
        let app = axum::Router::new()
            .route("/rrweb.js", get(|| async { ([("content-type", "text/javascript")], crate::assets::recorder()) }))
            .route("/mirror.html", get(|| async { Html(MIRROR_HTML) }))
            .route("/pictures.html", get(|| async { Html(PICTURES_HTML) }))
            .route("/feed", get(feed))
            .route("/view", get(view))
            .with_state(feed_tx.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Relay { url, feed: feed_tx, task })
    }

    /// Sends `bytes` to every view.
    pub fn publish(&self, bytes: Vec<u8>) {
        let _ = self.feed.send(bytes.into());
    }

    /// The script that records a customer's page for the mirror (run after each page load).
    pub fn recorder(&self, server: &str) -> String {
        RECORD_JS.replace("/*RELAY*/", &self.url).replace("/*SERVER*/", server)
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

/// What an anchor's view noted since it was last asked.
#[derive(Debug, Default, Deserialize)]
struct Taken {
    /// (ms, bytes)
    arrivals: Vec<(f64, usize)>,
    /// (ms, probe number once the change was on screen)
    draws: Vec<(f64, Option<u32>)>,
}

/// An anchor's agent view, open in the agents' Chromium.
pub struct AnchorView {
    page: ContextPage,
    pub arrivals: Vec<(f64, usize)>,
    pub draws: Vec<(f64, Option<u32>)>,
}

impl AnchorView {
    pub async fn open(agents: &AgentBrowser, relay: &Relay, anchor: Anchor) -> Result<AnchorView, String> {
        let page = agents.open("").await?;
        let url = format!("{}{}", relay.url, anchor.page());
        page.goto(&url, Duration::from_secs(30)).await.map_err(|e| format!("the {anchor:?} view did not load: {e}"))?;
        let view = AnchorView { page, arrivals: Vec::new(), draws: Vec::new() };
        // Ready once its socket is open (the relay passes on only what comes after).
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(view)
    }

    pub async fn collect(&mut self) -> Result<(), String> {
        let value = self
            .page
            .evaluate("window.__benchView.take()", Duration::from_secs(15))
            .await
            .map_err(|e| format!("an anchor's view cannot be read: {e}"))?;
        let taken: Taken = serde_json::from_value(value).map_err(|e| e.to_string())?;
        self.arrivals.extend(taken.arrivals);
        self.draws.extend(taken.draws);
        Ok(())
    }

    /// What the view showed from draw `from` on, as the latency measure reads it.
    pub fn seen(&self, from: usize) -> Vec<FrameSeen> {
        self.draws[from.min(self.draws.len())..].iter().map(|&(at, seq)| FrameSeen { at, seq }).collect()
    }

    pub async fn close(self, agents: &AgentBrowser) {
        agents.close(self.page).await;
    }
}

/// The screen-sharing anchor's sender: the customer page's screencast, every picture passed to
/// the relay as it comes.
pub struct PictureFeed {
    screencast: Option<Screencast>,
    task: tokio::task::JoinHandle<()>,
}

impl PictureFeed {
    pub async fn start(customer: &ContextPage, relay: &Relay) -> Result<PictureFeed, String> {
        let mut screencast = customer.screencast_jpeg(JPEG_QUALITY).await.map_err(|e| e.to_string())?;
        let mut pictures = std::mem::replace(&mut screencast.pictures, tokio::sync::mpsc::channel(1).1);
        let feed = relay.feed.clone();
        let task = tokio::spawn(async move {
            while let Some(picture) = pictures.recv().await {
                let _ = feed.send(picture.bytes.into());
            }
        });
        Ok(PictureFeed { screencast: Some(screencast), task })
    }

    pub async fn stop(mut self) {
        if let Some(screencast) = self.screencast.take() {
            screencast.stop().await;
        }
        self.task.abort();
    }
}
