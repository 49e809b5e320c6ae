//! `/ws/customer`: the snippet's channel. The page's `Origin` header picks the profile; a reader
//! feeds the session and the replica, a writer task sends the session's messages.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use super::budget::Spend;
use super::connection::Connection;
use super::route::{self, Forward, Route, Wanted};
use super::start_limit::StartRefusal;
use super::{AppError, AppState};
use crate::metrics::Limit;
use crate::profile::{origin_of, Profile};
use crate::reporting::stages::{self, StageRecord};
use crate::session::{self, ClientLink, FromCustomerConn, PageFeed, PageSeen, SessionHandle};
use crate::wire::{self, ErrorCode, FromCustomer, Point, ToCustomer, VisualViewport};

pub async fn upgrade(
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    State(state): State<AppState>,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).unwrap_or("").to_string();
    let Some(profile) = state.profiles.for_origin(&origin) else {
        tracing::warn!(%origin, "refused a customer connection: no profile lists this origin");
        return AppError::OriginNotAllowed(origin).into_response();
    };
    let Ok(ws) = ws else { return AppError::NotWebSocket.into_response() };
    let (peer, relayed) = match super::relay::arrival(&state, &headers, peer, "/ws/customer") {
        Ok(arrival) => arrival,
        Err(refused) => return refused.into_response(),
    };
    let arrival = Arrival { peer, headers, relayed };
    // A browser sends each message as one frame, so the frame limit is the message limit. It
    // lies well above the events limit, so a page too large to share is told so (and goes on)
    // rather than having its connection closed and reopened with the same snapshot.
    let limit = 4 * wire::MAX_EVENTS_MESSAGE;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(socket, state, profile, origin, arrival))
}

/// Where a connection comes from.
struct Arrival {
    /// The customer's address.
    peer: SocketAddr,
    headers: HeaderMap,
    /// Whether another node relayed it (it is never relayed again).
    relayed: bool,
}

/// Longest pause in reading from a customer past their events budget.
const FLOOD_PAUSE: std::time::Duration = std::time::Duration::from_millis(500);

/// The session this connection is attached to.
struct Attached {
    handle: SessionHandle,
    conn: u64,
    /// The page's changes to the replica (refused while the session says the page is masked
    /// whole).
    feed: PageFeed,
    /// Visual viewports that could not be true, logged at most once a minute.
    untrue_views: super::log_throttle::LogThrottle,
}

async fn serve(socket: WebSocket, state: AppState, profile: Arc<Profile>, origin: String, arrival: Arrival) {
    let peer = arrival.peer;
    let forward =
        Forward { path: "/ws/customer", headers: &arrival.headers, client: peer.ip(), relayed: arrival.relayed };
    let mut connection = Connection::<ToCustomer>::start(socket);
    let link = connection.link.clone();
    let tx = link.messages.clone();

    let mut attached: Option<Attached> = None;
    let mut complaints = super::log_throttle::LogThrottle::default();
    let mut budget = super::budget::EventBudget::new(std::time::Instant::now());
    let mut relay_to = None;
    while let Some(message) = connection.next().await {
        let error = match (message, &mut attached) {
            (Message::Text(text), None) => match wire::parse::<FromCustomer>(&text) {
                Ok(FromCustomer::Start) if !arrival.relayed && state.cluster.is_some() => {
                    match place(&state, &forward).await {
                        Placement::Relayed(relay) => {
                            relay_to = Some((relay, text.to_string()));
                            break;
                        }
                        Placement::Here => {
                            start_here(&state, &profile, &origin, peer, &link, &mut attached, &mut complaints).await
                        }
                        Placement::Nowhere => {
                            state.services.metrics.starts_refused_busy.inc();
                            let message = StartRefusal::Busy.message().to_string();
                            let _ = tx.send(ToCustomer::Gone { code: StartRefusal::Busy.code(), message }).await;
                            None
                        }
                    }
                }
                Ok(FromCustomer::Start) => {
                    start_here(&state, &profile, &origin, peer, &link, &mut attached, &mut complaints).await
                }
                Ok(FromCustomer::Resume { token }) => {
                    match route::find(&state, Wanted::Token { token: &token, origin: &origin }, &forward).await {
                        Ok(Route::Here(handle)) => attach(handle, &link, Some(token), &mut attached).await,
                        Ok(Route::There(relay)) => {
                            relay_to = Some((relay, text.to_string()));
                            break;
                        }
                        Ok(Route::Ended) => {
                            let message = "This session has ended.".to_string();
                            let _ = tx.send(ToCustomer::Gone { code: ErrorCode::SessionEnded, message }).await;
                            None
                        }
                        Ok(Route::Unknown) => {
                            let message = "This co-browse session is over.".to_string();
                            let _ = tx.send(ToCustomer::Gone { code: ErrorCode::NoSuchSession, message }).await;
                            None
                        }
                        // The page tries again in a moment, and finds the session then.
                        Err(e) => {
                            tracing::warn!(%origin, error = %e, "a resume found no server for its session; the page will retry");
                            break;
                        }
                    }
                }
                Ok(_) => Some((ErrorCode::Unexpected, "start or resume a session first".to_string())),
                Err(e) => Some(e),
            },
            (Message::Text(text), Some(a)) => match wire::parse::<FromCustomer>(&text) {
                Ok(message) => on_message(message, a, &origin).await,
                Err(e) => Some(e),
            },
            (Message::Binary(bytes), Some(a)) if a.feed.masked_whole() => {
                tracing::error!(session = %a.handle.id, bytes = bytes.len(), "defect: the customer's browser sent page content from a page masked whole; dropped");
                None
            }
            (Message::Binary(bytes), Some(a)) => {
                // Size and rate are judged before the bytes are even parsed, so a flood costs
                // the server next to nothing.
                let arrived = std::time::Instant::now();
                let spent = (bytes.len() <= wire::MAX_EVENTS_MESSAGE).then(|| budget.spend(arrived, bytes.len()));
                match spent {
                    Some(Spend::Accepted { resync }) => match wire::validate_events(&bytes) {
                        Ok(json) => {
                            if stages::on() {
                                let (session, at) = (a.handle.id.clone(), stages::wall_ms(arrived));
                                stages::record(StageRecord::Received { session, at, bytes: bytes.len() });
                            }
                            tracing::debug!(bytes = json.len(), "events received");
                            if a.feed.events(json.to_string()).await.is_err() {
                                tracing::error!(session = %a.handle.id, bytes = json.len(), "defect: the customer's browser sent page content from a page masked whole; dropped");
                            }
                            // Changes were dropped before these: the replica catches up from a
                            // fresh snapshot.
                            if resync {
                                let _ = tx.try_send(ToCustomer::Snapshot);
                            }
                            None
                        }
                        Err(e) => Some(e),
                    },
                    Some(Spend::Refused { first }) => {
                        state.services.metrics.limit_hit(Limit::BytesPerSecond);
                        // Reading slows down until the budget allows more, so the flood backs
                        // up in the sender's socket instead of the server's CPU.
                        tokio::time::sleep(budget.wait_for(bytes.len()).min(FLOOD_PAUSE)).await;
                        first.then(|| {
                            let message = "This page changes faster than co-browse can share; the agent's view catches up in a moment.";
                            (ErrorCode::TooFast, message.to_string())
                        })
                    }
                    None => {
                        state.services.metrics.limit_hit(Limit::MessageSize);
                        wire::validate_events(&bytes).err()
                    }
                }
            }
            (Message::Binary(_), None) => {
                Some((ErrorCode::Unexpected, "events before the session started".to_string()))
            }
            (Message::Close(_) | Message::Ping(_) | Message::Pong(_), _) => None,
        };
        if let Some((code, message)) = error {
            // The message may quote the client's bytes: logged escaped, and throttled.
            if let Some(held_back) = complaints.allow(tokio::time::Instant::now().into_std()) {
                tracing::warn!(%origin, ?code, ?message, held_back, "bad customer message");
            }
            let _ = tx.try_send(ToCustomer::Error { code, message });
        }
    }
    if let Some(a) = attached {
        a.handle.customer(a.conn, FromCustomerConn::Gone).await;
    }
    drop((tx, link));
    super::relay::pump_or_finish(connection, &state, relay_to).await;
}

/// Where a new session goes in a cluster: here, or relayed to the node with the most headroom
/// (here when that node cannot be reached and this one takes sessions).
enum Placement {
    Here,
    Relayed(crate::cluster::Relay),
    Nowhere,
}

async fn place(state: &AppState, forward: &Forward<'_>) -> Placement {
    let Some(cluster) = &state.cluster else { return Placement::Here };
    if !cluster.reachable() {
        // No session can be recorded, so none can start (live ones go on).
        return Placement::Nowhere;
    }
    match cluster.place(state.load()) {
        crate::cluster::Placement::Here => Placement::Here,
        crate::cluster::Placement::Nowhere => Placement::Nowhere,
        crate::cluster::Placement::There(node) => {
            let name = node.node.clone();
            match cluster.relay(node, forward.path, forward.headers, forward.client).await {
                Ok(relay) => Placement::Relayed(relay),
                Err(e) => {
                    tracing::warn!(node = %name, error = %e, "the node chosen for a new session cannot be reached");
                    if cluster.draining() {
                        Placement::Nowhere
                    } else {
                        Placement::Here
                    }
                }
            }
        }
    }
}

/// Starts a session here for the customer at `peer`, unless a limit says no (told with the
/// reason).
async fn start_here(
    state: &AppState,
    profile: &Arc<Profile>,
    origin: &str,
    peer: SocketAddr,
    link: &ClientLink<ToCustomer>,
    attached: &mut Option<Attached>,
    complaints: &mut super::log_throttle::LogThrottle,
) -> Option<(ErrorCode, String)> {
    let tx = &link.messages;
    if let Err(refusal) = may_start(state, peer, origin) {
        let metrics = &state.services.metrics;
        match refusal.limit() {
            Some(limit) => metrics.limit_hit(limit),
            None if refusal == StartRefusal::Unavailable => metrics.starts_refused_unavailable.inc(),
            None if refusal == StartRefusal::Busy => metrics.starts_refused_busy.inc(),
            None => metrics.starts_refused_full.inc(),
        }
        if let Some(held_back) = complaints.allow(tokio::time::Instant::now().into_std()) {
            tracing::warn!(%origin, %peer, ?refusal, held_back, "refused a new session");
        }
        let message = refusal.message().to_string();
        let _ = tx.send(ToCustomer::Gone { code: refusal.code(), message }).await;
        return None;
    }
    // The profile as it is now: an edit since this connection opened applies.
    let profile = state.profiles.for_origin(origin).unwrap_or_else(|| profile.clone());
    let site = session::Origin { origin: origin.to_string(), profile, store: &state.profiles };
    match session::create(&state.registry, &state.replicas, site, state.timings, &state.services).await {
        Ok(handle) => {
            let now = tokio::time::Instant::now().into_std();
            state.start_limit.started(peer.ip(), origin, &handle.id, now);
            attach(handle, link, None, attached).await
        }
        Err(e) => {
            tracing::error!(%origin, error = %e, "refused a new session: the session directory cannot be written");
            state.services.metrics.starts_refused_busy.inc();
            let message = StartRefusal::Busy.message().to_string();
            let _ = tx.send(ToCustomer::Gone { code: StartRefusal::Busy.code(), message }).await;
            None
        }
    }
}

/// Whether a customer at `peer` may start a session on `origin` now (see `start_limit`).
fn may_start(state: &AppState, peer: SocketAddr, origin: &str) -> Result<(), StartRefusal> {
    let node = if !state.replicas.installed() {
        Err(StartRefusal::Unavailable)
    } else if state.registry.len() >= state.max_sessions {
        Err(StartRefusal::ServerFull)
    } else if !state.replicas.admits() || state.cluster.as_ref().is_some_and(|c| c.draining()) {
        Err(StartRefusal::Busy)
    } else {
        Ok(())
    };
    let live = |id: &str| matches!(state.registry.lookup(id), session::Lookup::Live(_));
    state.start_limit.check(peer.ip(), origin, tokio::time::Instant::now().into_std(), node, live)
}

async fn attach(
    handle: SessionHandle,
    link: &ClientLink<ToCustomer>,
    token: Option<String>,
    attached: &mut Option<Attached>,
) -> Option<(ErrorCode, String)> {
    match handle.attach_customer(link.clone(), token).await {
        Ok(a) => {
            *attached = Some(Attached { handle, conn: a.conn, feed: a.feed, untrue_views: Default::default() });
            None
        }
        Err(code) => {
            let _ =
                link.messages.send(ToCustomer::Gone { code, message: "This co-browse session is over.".into() }).await;
            None
        }
    }
}

async fn on_message(message: FromCustomer, a: &mut Attached, origin: &str) -> Option<(ErrorCode, String)> {
    match message {
        FromCustomer::Page { href, width, height, display, visual } => {
            // The replica goes where the connection's own origin says, whatever the page claims.
            if origin_of(&href).as_deref() != Some(origin) {
                return Some((ErrorCode::WrongOrigin, format!("page {href} is not on {origin}")));
            }
            let (width, height) = clamp(width, height);
            let display = display.clamped();
            let visual = checked(visual, (width, height), a, origin);
            // Answered once the session has placed the replica and decided the page's masking,
            // so the page's first events find both.
            a.handle.page(a.conn, PageSeen { href, width, height, display, visual }).await;
        }
        FromCustomer::Viewport { width, height, display, visual } => {
            let (width, height) = clamp(width, height);
            let display = display.clamped();
            let visual = checked(visual, (width, height), a, origin);
            a.handle.customer(a.conn, FromCustomerConn::Viewport { width, height, display, visual }).await;
        }
        FromCustomer::Pointer { x, y } => {
            if !x.is_finite() || !y.is_finite() {
                return Some((ErrorCode::Malformed, "pointer coordinates must be numbers".to_string()));
            }
            a.feed.hover(x, y);
            a.handle.customer(a.conn, FromCustomerConn::Pointer(Point { x, y })).await
        }
        FromCustomer::Leaving { .. } => a.handle.customer(a.conn, FromCustomerConn::LeavingSite).await,
        FromCustomer::End => a.handle.customer(a.conn, FromCustomerConn::End).await,
        FromCustomer::Consent { allow } => a.handle.customer(a.conn, FromCustomerConn::Consent { allow }).await,
        FromCustomer::PointerMode => a.handle.customer(a.conn, FromCustomerConn::PointerMode).await,
        FromCustomer::Refused { code } => a.handle.customer(a.conn, FromCustomerConn::Refused(code)).await,
        FromCustomer::Start | FromCustomer::Resume { .. } => {
            return Some((ErrorCode::Unexpected, "this connection already has a session".to_string()))
        }
    }
    None
}

/// The visual viewport within what a browser can show in a layout viewport of `layout`; a
/// report that cannot be true is clamped (never passed on as it came) and logged.
fn checked(
    visual: Option<VisualViewport>,
    layout: (u32, u32),
    a: &mut Attached,
    origin: &str,
) -> Option<VisualViewport> {
    let (visual, wrong) = visual?.checked(layout);
    if let Some(wrong) = wrong {
        if let Some(held_back) = a.untrue_views.allow(std::time::Instant::now()) {
            tracing::warn!(%origin, wrong, held_back, "clamped a customer's visual viewport");
        }
    }
    Some(visual)
}

/// Keeps a reported window size within what a replica can render.
fn clamp(width: u32, height: u32) -> (u32, u32) {
    (width.clamp(200, 4096), height.clamp(150, 4096))
}
