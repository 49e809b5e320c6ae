//! `/ws/agent`: the agent view's channel, for signed-in agents only. The reader joins a session
//! (or watches one) and passes pointer moves, clicks, requests and transfers to it; the writer
//! sends the session's messages and the newest frame.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::connection::Connection;
use super::join_limit;
use super::route::{self, Forward, Route, Wanted};
use super::{AppError, AppState};
use crate::auth::{self, Claims, Role};
use crate::session::{id::is_session_id, AgentAttached, ClientLink, FromAgentConn, JoinRequest, Member, SessionHandle};
use crate::wire::{self, ErrorCode, FromAgent, Point, ToAgent};

/// Failed joins one connection may make before it is closed.
const FAILURES_PER_CONNECTION: u32 = 5;
/// Longest interaction id a join may bind.
const MAX_INTERACTION: usize = 256;

pub async fn upgrade(
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Response {
    // Checked before the upgrade: without a valid token the answer is 401 and nothing else.
    let claims = match auth::authorize(&state.signer, &headers, &[Role::Agent, Role::Supervisor]) {
        Ok(claims) => claims,
        Err(cause) => {
            state.services.metrics.unauthorized.inc();
            tracing::warn!(%peer, "agent connection refused");
            return AppError::Unauthorized(cause).into_response();
        }
    };
    let Ok(ws) = ws else { return AppError::NotWebSocket.into_response() };
    let (peer, relayed) = match super::relay::arrival(&state, &headers, peer, "/ws/agent") {
        Ok(arrival) => arrival,
        Err(refused) => return refused.into_response(),
    };
    ws.protocols([auth::SUBPROTOCOL])
        .max_message_size(1024 * 1024)
        .on_upgrade(move |socket| serve(socket, state, peer, claims, headers, relayed))
}

async fn serve(
    socket: WebSocket,
    state: AppState,
    peer: SocketAddr,
    claims: Claims,
    headers: HeaderMap,
    relayed: bool,
) {
    let mut connection = Connection::<ToAgent>::start(socket);
    let link = connection.link.clone();
    let tx = link.messages.clone();
    let member = Member { id: claims.sub.clone(), name: claims.name.clone() };
    // A relayed connection's agent was greeted by the node they reached.
    if !relayed {
        let _ = tx.try_send(ToAgent::Hello { agent: claims.sub.clone(), name: claims.name.clone(), role: claims.role });
    }
    let forward = Forward { path: "/ws/agent", headers: &headers, client: peer.ip(), relayed };
    let mut relay_to = None;
    let seat = state.agents.sign_in(&member.id, &member.name, tx.clone());

    let mut joined: Option<(SessionHandle, u64)> = None;
    let mut failures = 0;
    let mut complaints = super::log_throttle::LogThrottle::default();
    // A token is good until its `exp`, on an open connection too: then the connection ends as
    // if it closed, and the view's reconnect is refused with 401 ("sign in again").
    let expiry = tokio::time::sleep(until_expiry(claims.exp));
    tokio::pin!(expiry);
    while let Some(message) = tokio::select! {
        message = connection.next() => message,
        () = &mut expiry => {
            tracing::info!(agent = %member.id, "the agent's sign-in expired; connection closed");
            None
        }
    } {
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
                if let Some(held_back) = complaints.allow(tokio::time::Instant::now().into_std()) {
                    tracing::warn!(%peer, agent = %member.id, ?code, ?message, held_back, "bad agent message");
                }
                let _ = tx.try_send(ToAgent::Error { code, message });
                continue;
            }
        };
        match (message, &joined) {
            (FromAgent::Join { session, interaction, watch }, None) => {
                let request = JoinRequest { member: member.clone(), interaction, watch };
                match join(&state, &forward, &claims, &session, request, &link).await {
                    Ok(Joined::There(relay)) => {
                        seat.set_busy(true);
                        relay_to = Some((relay, text.to_string()));
                        break;
                    }
                    Ok(Joined::Here(handle, attached)) => {
                        let _ = connection.screen.send(attached.screen).await;
                        seat.set_busy(true);
                        joined = Some((handle, attached.conn));
                    }
                    Err((code, message)) => {
                        // Free for transfers again (a transfer's reservation ends here too).
                        seat.set_busy(false);
                        failures += 1;
                        state.services.metrics.joins_refused.inc();
                        let _ = tx.send(ToAgent::JoinFailed { code, message }).await;
                        // Over a relay, the next join may be for a session on a third node: the
                        // view reconnects, and its landing node finds it.
                        if relayed {
                            break;
                        }
                        if failures >= FAILURES_PER_CONNECTION {
                            tracing::warn!(%peer, agent = %member.id, "closing an agent connection after {failures} failed joins");
                            break;
                        }
                    }
                }
            }
            (FromAgent::Join { .. }, Some(_)) => {
                let _ = tx.try_send(ToAgent::Error { code: ErrorCode::Unexpected, message: "already joined".into() });
            }
            (FromAgent::Transfer { to }, Some((handle, conn))) => {
                if let Err(code) = transfer(&state, &member, handle, *conn, &to).await {
                    let message = match code {
                        ErrorCode::UnknownAgent => "No agent with that ID is signed in and free.",
                        ErrorCode::Transferring => "The session is already being transferred.",
                        ErrorCode::CustomerAway => "The customer is not on the page right now.",
                        _ => "The session could not be transferred.",
                    };
                    let _ = tx.try_send(ToAgent::Refused { code, message: message.into() });
                }
            }
            (other, Some((handle, conn))) => {
                let message = match other {
                    FromAgent::Pointer { x, y } => FromAgentConn::Pointer(Point { x, y }),
                    FromAgent::Click { x, y } => FromAgentConn::Click(Point { x, y }),
                    FromAgent::RequestWriteMode => FromAgentConn::RequestWriteMode,
                    FromAgent::PointerMode => FromAgentConn::PointerMode,
                    FromAgent::Action { action } => FromAgentConn::Action(action),
                    FromAgent::View { whole } => FromAgentConn::View { whole },
                    FromAgent::End => FromAgentConn::End,
                    FromAgent::Join { .. } | FromAgent::Transfer { .. } => unreachable!("matched above"),
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
    // The seat holds a way to the writer: gone first, so the writer closes when done.
    drop(seat);
    drop((tx, link));
    super::relay::pump_or_finish(connection, &state, relay_to).await;
}

/// Where an agent joined.
enum Joined {
    Here(SessionHandle, Box<AgentAttached>),
    /// The session runs on another node: the connection is relayed there.
    There(crate::cluster::Relay),
}

/// Hands the session to agent `to` if they are signed in and free, then offers it to them.
async fn transfer(
    state: &AppState,
    from: &Member,
    handle: &SessionHandle,
    conn: u64,
    to: &str,
) -> Result<(), ErrorCode> {
    let Some((seat, name)) = state.agents.reserve(to) else {
        tracing::warn!(session = %handle.id, from = %from.id, ?to, "transfer refused: that agent is not signed in and free");
        return Err(ErrorCode::UnknownAgent);
    };
    if let Err(code) = handle.transfer(conn, Member { id: to.to_string(), name }).await {
        state.agents.release(to, seat);
        return Err(code);
    }
    if !state.agents.offer(to, seat, &handle.id, &from.name) {
        tracing::warn!(session = %handle.id, ?to, "the agent the session was transferred to signed out; it waits for them a minute");
    }
    Ok(())
}

async fn join(
    state: &AppState,
    forward: &Forward<'_>,
    claims: &Claims,
    session: &str,
    request: JoinRequest,
    link: &ClientLink<ToAgent>,
) -> Result<Joined, (ErrorCode, String)> {
    let peer = forward.client;
    let (by_addr, by_agent) = (format!("addr:{peer}"), format!("agent:{}", claims.sub));
    let now = Instant::now();
    // The agent's own failures first; the address has a ceiling many agents' worth high, so
    // one agent guessing behind a shared NAT or proxy does not lock the others out.
    let allowed = state.join_limit.allows(&by_agent, now, join_limit::MAX_FAILURES)
        && state.join_limit.allows(&by_addr, now, join_limit::MAX_ADDRESS_FAILURES);
    if !allowed {
        tracing::warn!(%peer, agent = %claims.sub, "join refused: too many failed joins");
        return Err((ErrorCode::TooManyAttempts, "Too many attempts; wait a minute and try again.".into()));
    }
    if request.watch && claims.role != Role::Supervisor {
        tracing::warn!(%peer, agent = %claims.sub, "join refused: only supervisors may watch");
        return Err((ErrorCode::NotAllowed, "Only supervisors can watch a session.".into()));
    }
    if request.interaction.as_ref().is_some_and(|i| i.is_empty() || i.len() > MAX_INTERACTION) {
        return Err((ErrorCode::Malformed, "The interaction ID is empty or too long.".into()));
    }
    let result = lookup_and_join(state, forward, claims, session, request, link).await;
    if let Err((code, _)) = &result {
        tracing::info!(%peer, agent = %claims.sub, ?code, "join refused");
        // A session on a site the agent does not serve counts as a guess: IDs of other
        // companies' sessions cannot be found by trying.
        if matches!(code, ErrorCode::NoSuchSession | ErrorCode::SessionEnded | ErrorCode::NotAllowed) {
            state.join_limit.failed(&by_addr, now);
            state.join_limit.failed(&by_agent, now);
        }
    }
    result
}

async fn lookup_and_join(
    state: &AppState,
    forward: &Forward<'_>,
    claims: &Claims,
    session: &str,
    request: JoinRequest,
    link: &ClientLink<ToAgent>,
) -> Result<Joined, (ErrorCode, String)> {
    let session = session.trim().replace([' ', '-'], "");
    let no_such = || (ErrorCode::NoSuchSession, "There is no co-browse session with this ID.".to_string());
    if !is_session_id(&session) {
        return Err(no_such());
    }
    if claims.sites.is_some() {
        // Checked before a session run by a process that is gone is taken over for this agent.
        let origin = match state.registry.origin(&session) {
            Some(origin) => Some(origin),
            None => state.services.directory.get(&session).await.ok().flatten().map(|record| record.origin),
        };
        // An ID no session has had is answered as such below.
        if let Some(origin) = origin {
            let profile = state.profiles.for_origin(&origin);
            let name = |p: &crate::profile::Profile| p.file.file_stem().map(|s| s.to_string_lossy().to_string());
            if !profile.is_some_and(|p| claims.serves(&name(&p).unwrap_or_default(), &p.site.origins)) {
                return Err((ErrorCode::NotAllowed, "This session is on a site you do not serve.".into()));
            }
        }
    }
    let handle = match route::find(state, Wanted::Id(&session), forward).await {
        Ok(Route::Here(handle)) => handle,
        Ok(Route::There(relay)) => return Ok(Joined::There(relay)),
        Ok(Route::Ended) => return Err((ErrorCode::SessionEnded, "This co-browse session has ended.".into())),
        Ok(Route::Unknown) => return Err(no_such()),
        Err(e) => {
            tracing::warn!(session = %session, error = %e, "join refused: the session cannot be reached");
            return Err((
                ErrorCode::ServerBusy,
                "The session cannot be reached right now; try again in a moment.".into(),
            ));
        }
    };
    match handle.join_agent(link.clone(), request).await {
        Ok(attached) => Ok(Joined::Here(handle, Box::new(attached))),
        Err(ErrorCode::AgentPresent) => {
            Err((ErrorCode::AgentPresent, "Another agent is already in this session.".into()))
        }
        Err(ErrorCode::Transferring) => {
            Err((ErrorCode::Transferring, "This session is being transferred to another agent.".into()))
        }
        Err(ErrorCode::SessionEnded) => Err((ErrorCode::SessionEnded, "This co-browse session has ended.".into())),
        Err(code) => Err((code, "The session could not be joined.".into())),
    }
}

/// How long until `exp` (seconds since the Unix epoch).
fn until_expiry(exp: u64) -> std::time::Duration {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    std::time::Duration::from_secs(exp).saturating_sub(now)
}
