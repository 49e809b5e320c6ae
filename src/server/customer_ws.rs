//! `/ws/customer`: the snippet's channel. The page's `Origin` header picks the profile; a reader
//! task feeds the session and the replica, a writer task sends the session's messages.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::{AppError, AppState};
use crate::profile::{origin_of, Profile};
use crate::replica::ReplicaCommand;
use crate::session::{self, FromCustomerConn, SessionHandle, CLIENT_QUEUE};
use crate::wire::{self, ErrorCode, FromCustomer, Point, ToCustomer};

pub async fn upgrade(
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).unwrap_or("").to_string();
    let Some(profile) = state.profiles.for_origin(&origin) else {
        tracing::warn!(%origin, "refused a customer connection: no profile lists this origin");
        return AppError::OriginNotAllowed(origin).into_response();
    };
    let Ok(ws) = ws else { return AppError::NotWebSocket.into_response() };
    ws.max_message_size(wire::MAX_EVENTS_MESSAGE + 1024).on_upgrade(move |socket| serve(socket, state, profile, origin))
}

async fn serve(socket: WebSocket, state: AppState, profile: Arc<Profile>, origin: String) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<ToCustomer>(CLIENT_QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if sink.send(Message::Text(wire::to_text(&message).into())).await.is_err() {
                return;
            }
        }
        let _ = sink.send(Message::Close(None)).await;
    });

    let mut attached: Option<(SessionHandle, u64, mpsc::Sender<ReplicaCommand>)> = None;
    while let Some(Ok(message)) = stream.next().await {
        let error = match (message, &attached) {
            (Message::Text(text), None) => match wire::parse::<FromCustomer>(&text) {
                Ok(FromCustomer::Start) => {
                    let handle = session::create(&state.registry, &state.browser, profile.clone(), state.timings);
                    attach(handle, &tx, &mut attached).await
                }
                Ok(FromCustomer::Resume { token }) => match state.registry.by_token(&token) {
                    Some(handle) => attach(handle, &tx, &mut attached).await,
                    None => {
                        let message = "This co-browse session is over.".to_string();
                        let _ = tx.send(ToCustomer::Gone { code: ErrorCode::NoSuchSession, message }).await;
                        None
                    }
                },
                Ok(_) => Some((ErrorCode::Unexpected, "start or resume a session first".to_string())),
                Err(e) => Some(e),
            },
            (Message::Text(text), Some((handle, conn, replica))) => match wire::parse::<FromCustomer>(&text) {
                Ok(message) => on_message(message, handle, *conn, replica, &origin).await,
                Err(e) => Some(e),
            },
            (Message::Binary(bytes), Some((_, _, replica))) => match wire::validate_events(&bytes) {
                Ok(json) => {
                    let _ = replica.send(ReplicaCommand::Events(json.to_string())).await;
                    None
                }
                Err(e) => Some(e),
            },
            (Message::Binary(_), None) => {
                Some((ErrorCode::Unexpected, "events before the session started".to_string()))
            }
            (Message::Close(_), _) => break,
            (Message::Ping(_) | Message::Pong(_), _) => None,
        };
        if let Some((code, message)) = error {
            tracing::warn!(%origin, ?code, %message, "bad customer message");
            let _ = tx.try_send(ToCustomer::Error { code, message });
        }
    }
    if let Some((handle, conn, _)) = attached {
        handle.customer(conn, FromCustomerConn::Gone).await;
    }
    drop(tx);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
}

async fn attach(
    handle: SessionHandle,
    tx: &mpsc::Sender<ToCustomer>,
    attached: &mut Option<(SessionHandle, u64, mpsc::Sender<ReplicaCommand>)>,
) -> Option<(ErrorCode, String)> {
    match handle.attach_customer(tx.clone()).await {
        Ok(a) => {
            *attached = Some((handle, a.conn, a.replica));
            None
        }
        Err(code) => {
            let _ = tx.send(ToCustomer::Gone { code, message: "This co-browse session is over.".into() }).await;
            None
        }
    }
}

async fn on_message(
    message: FromCustomer,
    handle: &SessionHandle,
    conn: u64,
    replica: &mpsc::Sender<ReplicaCommand>,
    origin: &str,
) -> Option<(ErrorCode, String)> {
    match message {
        FromCustomer::Page { href, width, height } => {
            // The replica goes where the connection's own origin says, whatever the page claims.
            if origin_of(&href).as_deref() != Some(origin) {
                return Some((ErrorCode::WrongOrigin, format!("page {href} is not on {origin}")));
            }
            let (width, height) = clamp(width, height);
            let _ = replica.send(ReplicaCommand::Place { url: href, width, height }).await;
            handle.customer(conn, FromCustomerConn::Viewport { width, height }).await;
        }
        FromCustomer::Viewport { width, height } => {
            let (width, height) = clamp(width, height);
            let _ = replica.send(ReplicaCommand::Viewport { width, height }).await;
            handle.customer(conn, FromCustomerConn::Viewport { width, height }).await;
        }
        FromCustomer::Pointer { x, y } => {
            // Hover styles are a nicety: when the replica is busy, a pointer move is dropped.
            if x.is_finite() && y.is_finite() {
                let _ = replica.try_send(ReplicaCommand::Hover { x, y });
            }
            handle.customer(conn, FromCustomerConn::Pointer(Point { x, y })).await
        }
        FromCustomer::Leaving { .. } => handle.customer(conn, FromCustomerConn::LeavingSite).await,
        FromCustomer::End => handle.customer(conn, FromCustomerConn::End).await,
        FromCustomer::Start | FromCustomer::Resume { .. } => {
            return Some((ErrorCode::Unexpected, "this connection already has a session".to_string()))
        }
    }
    None
}

/// Keeps a reported window size within what a replica can render.
fn clamp(width: u32, height: u32) -> (u32, u32) {
    (width.clamp(200, 4096), height.clamp(150, 4096))
}
