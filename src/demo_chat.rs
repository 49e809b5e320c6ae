//! The demo's chat between the demo site's "Chat with us" page and the demo workspace: one room,
//! relayed by the server, so a newcomer can try co-browse starting from a chat by hand.
//!
//! The demo brings its own routes ([`routes`]), which the start-up adds to the server's state
//! when the demo site runs: the demo depends on the server, never the other way round.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::auth::{self, Role};
use crate::server::{AppError, AppState};

/// Messages kept for someone who opens the chat later.
const HISTORY: usize = 50;
/// Longest chat message.
const MAX_TEXT: usize = 2000;

/// The demo workspace: the chat beside the agent view in an iframe.
const WORKSPACE_HTML: &str = include_str!("../demo/workspace.html");

/// One chat line.
#[derive(Debug, Clone, Serialize)]
pub struct ChatLine {
    /// `customer` or `agent`.
    pub from: &'static str,
    /// The name shown: the agent's from their token, "Customer" for the site's visitor.
    pub name: String,
    pub text: String,
    /// Sent before this connection opened (the workspace does not act on old lines).
    pub history: bool,
}

/// The one chat room of the demo.
pub struct ChatRoom {
    lines: broadcast::Sender<ChatLine>,
    history: Mutex<VecDeque<ChatLine>>,
}

impl Default for ChatRoom {
    fn default() -> Self {
        ChatRoom { lines: broadcast::channel(64).0, history: Mutex::new(VecDeque::new()) }
    }
}

impl ChatRoom {
    fn say(&self, line: ChatLine) {
        let mut history = self.history.lock().unwrap();
        if history.len() == HISTORY {
            history.pop_front();
        }
        history.push_back(ChatLine { history: true, ..line.clone() });
        drop(history);
        let _ = self.lines.send(line);
    }
}

/// The demo's routes around a new chat room: the chat's WebSocket and the workspace page. Only
/// a server that runs the demo serves them (elsewhere the paths are not found).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/demo/chat", get(upgrade))
        .route("/demo/workspace", get(|| async { axum::response::Redirect::permanent("/demo/workspace/") }))
        .route("/demo/workspace/", get(workspace))
        // The room travels with these routes' requests, not in the server's state.
        .route_layer(Extension(Arc::new(ChatRoom::default())))
}

#[derive(Deserialize)]
pub struct Side {
    #[serde(rename = "as")]
    side: String,
}

/// `GET /demo/chat?as=customer|agent`: the chat's WebSocket. Customers come from a page of a
/// site with a profile; agents bring their token.
pub async fn upgrade(
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    State(state): State<AppState>,
    Extension(room): Extension<Arc<ChatRoom>>,
    Query(side): Query<Side>,
    headers: HeaderMap,
) -> Response {
    let (from, name) = match side.side.as_str() {
        "customer" => {
            let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).unwrap_or("");
            if state.profiles.for_origin(origin).is_none() {
                return AppError::OriginNotAllowed(origin.to_string()).into_response();
            }
            ("customer", "Customer".to_string())
        }
        "agent" => match auth::authorize(&state.signer, &headers, &[Role::Agent, Role::Supervisor]) {
            Ok(claims) => ("agent", claims.name),
            Err(cause) => return AppError::Unauthorized(cause).into_response(),
        },
        _ => return AppError::NotFound.into_response(),
    };
    let Ok(ws) = ws else { return AppError::NotWebSocket.into_response() };
    ws.protocols([auth::SUBPROTOCOL])
        .max_message_size(8 * 1024)
        .on_upgrade(move |socket| serve(socket, room, from, name))
}

async fn serve(socket: WebSocket, room: Arc<ChatRoom>, from: &'static str, name: String) {
    let (mut sink, mut stream) = socket.split();
    let mut lines = room.lines.subscribe();
    let history: Vec<ChatLine> = room.history.lock().unwrap().iter().cloned().collect();
    for line in history {
        if sink.send(Message::Text(serde_json::to_string(&line).unwrap_or_default().into())).await.is_err() {
            return;
        }
    }
    loop {
        tokio::select! {
            line = lines.recv() => match line {
                Ok(line) => {
                    if sink.send(Message::Text(serde_json::to_string(&line).unwrap_or_default().into())).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let text = text.trim();
                    if !text.is_empty() && text.len() <= MAX_TEXT {
                        room.say(ChatLine { from, name: name.clone(), text: text.to_string(), history: false });
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
}

/// `GET /demo/workspace/`: the demo's contact-center workspace.
pub async fn workspace() -> Response {
    use crate::server::page_headers::{inline_page_policy, secured};
    static POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    secured(POLICY.get_or_init(|| inline_page_policy(WORKSPACE_HTML)).clone(), WORKSPACE_HTML)
}
