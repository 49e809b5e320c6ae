//! `/ws/agent`: the agent view's channel. The reader joins a session and passes pointer moves,
//! clicks and requests to it; the writer sends the session's messages and the newest frame.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};

use super::{AppError, AppState};
use crate::replica::Frame;
use crate::session::{id::is_session_id, FromAgentConn, Lookup, SessionHandle, CLIENT_QUEUE};
use crate::wire::{self, ErrorCode, FromAgent, Point, ToAgent};

pub async fn upgrade(
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    State(state): State<AppState>,
) -> Response {
    let Ok(ws) = ws else { return AppError::NotWebSocket.into_response() };
    ws.max_message_size(1024 * 1024).on_upgrade(move |socket| serve(socket, state))
}

async fn serve(socket: WebSocket, state: AppState) {
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::channel::<ToAgent>(CLIENT_QUEUE);
    let (frames_tx, frames_rx) = watch::channel::<Option<watch::Receiver<Option<Frame>>>>(None);
    let writer = tokio::spawn(write(sink, rx, frames_rx));

    let mut joined: Option<(SessionHandle, u64)> = None;
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                let _ = tx.try_send(ToAgent::Error {
                    code: ErrorCode::Malformed,
                    message: "binary messages are not accepted".into(),
                });
                continue;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let message = match wire::parse::<FromAgent>(&text) {
            Ok(m) => m,
            Err((code, message)) => {
                tracing::warn!(?code, %message, "bad agent message");
                let _ = tx.try_send(ToAgent::Error { code, message });
                continue;
            }
        };
        match (message, &joined) {
            (FromAgent::Join { session }, None) => match join(&state, &session, &tx).await {
                Ok((handle, conn, frames)) => {
                    let _ = frames_tx.send(Some(frames));
                    joined = Some((handle, conn));
                }
                Err((code, message)) => {
                    tracing::info!(?code, "join refused");
                    let _ = tx.send(ToAgent::JoinFailed { code, message }).await;
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
        if tx.is_closed() {
            break;
        }
    }
    if let Some((handle, conn)) = joined {
        handle.agent(conn, FromAgentConn::Gone).await;
    }
    drop(tx);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
}

type Joined = (SessionHandle, u64, watch::Receiver<Option<Frame>>);

async fn join(state: &AppState, session: &str, tx: &mpsc::Sender<ToAgent>) -> Result<Joined, (ErrorCode, String)> {
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
    match handle.join_agent(tx.clone()).await {
        Ok(attached) => {
            let _ = tx.send(attached.joined).await;
            Ok((handle, attached.conn, attached.frames))
        }
        Err(ErrorCode::AgentPresent) => {
            Err((ErrorCode::AgentPresent, "Another agent is already in this session.".into()))
        }
        Err(ErrorCode::SessionEnded) => Err((ErrorCode::SessionEnded, "This co-browse session has ended.".into())),
        Err(code) => Err((code, "The session could not be joined.".into())),
    }
}

/// Sends queued messages and, once joined, every new frame; a slow agent skips to the newest.
async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<ToAgent>,
    mut session_frames: watch::Receiver<Option<watch::Receiver<Option<Frame>>>>,
) {
    let mut frames: Option<watch::Receiver<Option<Frame>>> = None;
    loop {
        let next_frame = async {
            match frames.as_mut() {
                Some(f) => f.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            message = rx.recv() => match message {
                Some(message) => {
                    if sink.send(Message::Text(wire::to_text(&message).into())).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            Ok(()) = session_frames.changed() => {
                frames = session_frames.borrow_and_update().clone();
                if let Some(f) = frames.as_mut() {
                    f.mark_changed();
                }
            }
            alive = next_frame => {
                if !alive {
                    frames = None;
                    continue;
                }
                let frame = frames.as_mut().and_then(|f| f.borrow_and_update().clone());
                if let Some(frame) = frame {
                    if sink.send(Message::Binary(frame.png)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
    let _ = sink.send(Message::Close(None)).await;
}
