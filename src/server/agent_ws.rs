//! `/ws/agent`: the agent view's channel. The reader joins a session and passes pointer moves,
//! clicks and requests to it; the writer sends the session's messages and the newest frame.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};

use super::connection::Connection;
use super::{AppError, AppState};
use crate::session::{id::is_session_id, AgentAttached, ClientLink, FromAgentConn, Lookup, SessionHandle};
use crate::wire::{self, ErrorCode, FromAgent, Point, ToAgent};

/// Failed joins one connection may make before it is closed.
const FAILURES_PER_CONNECTION: u32 = 5;

pub async fn upgrade(
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    State(state): State<AppState>,
) -> Response {
    let Ok(ws) = ws else { return AppError::NotWebSocket.into_response() };
    ws.max_message_size(1024 * 1024).on_upgrade(move |socket| serve(socket, state, peer))
}

async fn serve(socket: WebSocket, state: AppState, peer: SocketAddr) {
    let mut connection = Connection::<ToAgent>::start(socket);
    let link = connection.link.clone();
    let tx = link.messages.clone();

    let mut joined: Option<(SessionHandle, u64)> = None;
    let mut failures = 0;
    while let Some(message) = connection.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                let _ = tx.try_send(ToAgent::Error {
                    code: ErrorCode::Malformed,
                    message: "binary messages are not accepted".into(),
                });
                continue;
            }
            Message::Close(_) | Message::Ping(_) | Message::Pong(_) => continue,
        };
        let message = match wire::parse::<FromAgent>(&text) {
            Ok(m) => m,
            Err((code, message)) => {
                tracing::warn!(%peer, ?code, %message, "bad agent message");
                let _ = tx.try_send(ToAgent::Error { code, message });
                continue;
            }
        };
        match (message, &joined) {
            (FromAgent::Join { session }, None) => match join(&state, peer, &session, &link).await {
                Ok((handle, attached)) => {
                    let _ = connection.frames.send(Some(attached.frames));
                    joined = Some((handle, attached.conn));
                }
                Err((code, message)) => {
                    failures += 1;
                    let _ = tx.send(ToAgent::JoinFailed { code, message }).await;
                    if failures >= FAILURES_PER_CONNECTION {
                        tracing::warn!(%peer, "closing an agent connection after {failures} failed joins");
                        break;
                    }
                }
            },
            (FromAgent::Join { .. }, Some(_)) => {
                let _ = tx.try_send(ToAgent::Error { code: ErrorCode::Unexpected, message: "already joined".into() });
            }
            (other, Some((handle, conn))) => {
                let message = match other {
                    FromAgent::Pointer { x, y } => FromAgentConn::Pointer(Point { x, y }),
                    FromAgent::Click { x, y } => FromAgentConn::Click(Point { x, y }),
                    FromAgent::RequestWriteMode => FromAgentConn::RequestWriteMode,
                    FromAgent::PointerMode => FromAgentConn::PointerMode,
                    FromAgent::Action { action } => FromAgentConn::Action(action),
                    FromAgent::End => FromAgentConn::End,
                    FromAgent::Join { .. } => unreachable!("matched above"),
                };
                handle.agent(*conn, message).await;
            }
            (_, None) => {
                let _ =
                    tx.try_send(ToAgent::Error { code: ErrorCode::Unexpected, message: "join a session first".into() });
            }
        }
    }
    if let Some((handle, conn)) = joined {
        handle.agent(conn, FromAgentConn::Gone).await;
    }
    drop((tx, link));
    connection.finish().await;
}

async fn join(
    state: &AppState,
    peer: SocketAddr,
    session: &str,
    link: &ClientLink<ToAgent>,
) -> Result<(SessionHandle, AgentAttached), (ErrorCode, String)> {
    if !state.join_limit.allows(peer.ip(), Instant::now()) {
        tracing::warn!(%peer, "join refused: too many failed joins from this address");
        return Err((ErrorCode::TooManyAttempts, "Too many attempts; wait a minute and try again.".into()));
    }
    let result = lookup_and_join(state, session, link).await;
    if let Err((code, _)) = &result {
        tracing::info!(%peer, ?code, "join refused");
        if matches!(code, ErrorCode::NoSuchSession | ErrorCode::SessionEnded) {
            state.join_limit.failed(peer.ip(), Instant::now());
        }
    }
    result
}

async fn lookup_and_join(
    state: &AppState,
    session: &str,
    link: &ClientLink<ToAgent>,
) -> Result<(SessionHandle, AgentAttached), (ErrorCode, String)> {
    let session = session.trim().replace([' ', '-'], "");
    let no_such = || (ErrorCode::NoSuchSession, "There is no co-browse session with this ID.".to_string());
    if !is_session_id(&session) {
        return Err(no_such());
    }
    let handle = match state.registry.lookup(&session) {
        Lookup::Live(handle) => handle,
        Lookup::Ended => return Err((ErrorCode::SessionEnded, "This co-browse session has ended.".into())),
        Lookup::Unknown => return Err(no_such()),
    };
    match handle.join_agent(link.clone()).await {
        Ok(attached) => Ok((handle, attached)),
        Err(ErrorCode::AgentPresent) => {
            Err((ErrorCode::AgentPresent, "Another agent is already in this session.".into()))
        }
        Err(ErrorCode::SessionEnded) => Err((ErrorCode::SessionEnded, "This co-browse session has ended.".into())),
        Err(code) => Err((code, "The session could not be joined.".into())),
    }
}
