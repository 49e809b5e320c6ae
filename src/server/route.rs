//! Where a connection's session runs: here (perhaps just taken over from a node that is gone),
//! or on another node of the cluster, reached over a relay. A session whose node still beats
//! is relayed there before any claim is tried, so a live node never loses a session to a
//! lease that lapsed while Redis stalled. A node that died holds its sessions until their
//! leases lapse; a connection for one of them waits that out here, then this node takes the
//! session over.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::HeaderMap;

use super::AppState;
use crate::cluster::{NodeBeat, Placement, Relay};
use crate::session::directory::{DirectoryError, SessionRecord};
use crate::session::{takeover, Found, Lookup, SessionHandle};

/// Where a session was found.
pub enum Route {
    Here(SessionHandle),
    /// Run by another node: the connection is relayed there.
    There(Relay),
    Ended,
    Unknown,
}

/// Why a session could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error("{0} runs the session and cannot be reached")]
    Unreachable(String),
}

/// What a connection looks for.
#[derive(Clone, Copy)]
pub enum Wanted<'a> {
    /// The session an agent typed.
    Id(&'a str),
    /// The session a customer's page of `origin` resumes with `token`.
    Token { token: &'a str, origin: &'a str },
}

/// How the connection is opened again on another node.
pub struct Forward<'a> {
    /// `/ws/customer` or `/ws/agent`.
    pub path: &'static str,
    /// The client's headers (its `Origin` and credentials go along).
    pub headers: &'a HeaderMap,
    pub client: IpAddr,
    /// Whether the connection came over a relay itself: it is never relayed again.
    pub relayed: bool,
}

/// Finds the session `wanted` names, here or on another node.
pub async fn find(state: &AppState, wanted: Wanted<'_>, forward: &Forward<'_>) -> Result<Route, RouteError> {
    if let Some(relay) = to_live_owner(state, wanted, forward).await? {
        return Ok(Route::There(relay));
    }
    // A dead owner's lease lapses within its length; then this node's claim wins.
    let give_up = tokio::time::Instant::now() + state.services.directory.lease().length + Duration::from_secs(1);
    loop {
        let found = match wanted {
            Wanted::Id(id) => takeover::by_id(state.here(), id).await?,
            Wanted::Token { token, origin } => takeover::by_token(state.here(), token, origin).await?,
        };
        let (owner, node) = match found {
            Found::Live(handle) => return Ok(Route::Here(handle)),
            Found::Ended => return Ok(Route::Ended),
            Found::Unknown => return Ok(Route::Unknown),
            Found::Elsewhere(owner) => {
                let node = state.cluster.as_ref().and_then(|c| c.other(&owner.node));
                (owner.node, node)
            }
            // This node drains: the node that would take a new session takes this one over.
            Found::Unclaimed => match state.cluster.as_ref().map(|c| c.place(state.load())) {
                Some(Placement::There(node)) => (node.node.clone(), Some(node)),
                _ => ("another node".to_string(), None),
            },
        };
        if let Some(relay) = open(state, node, forward).await {
            return Ok(Route::There(relay));
        }
        if state.cluster.is_none() || forward.relayed || tokio::time::Instant::now() >= give_up {
            return Err(RouteError::Unreachable(owner));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A relay to the session's node, when another node runs it and still beats as the process
/// the directory names.
async fn to_live_owner(
    state: &AppState,
    wanted: Wanted<'_>,
    forward: &Forward<'_>,
) -> Result<Option<Relay>, RouteError> {
    let Some(cluster) = state.cluster.as_ref().filter(|_| !forward.relayed) else { return Ok(None) };
    let directory = &state.services.directory;
    let record: Option<SessionRecord> = match wanted {
        Wanted::Id(id) => match state.registry.lookup(id) {
            Lookup::Unknown => directory.get(id).await?,
            _ => None,
        },
        Wanted::Token { token, origin } => match state.registry.by_token(token, origin) {
            None => directory.by_token(token).await?.filter(|r| r.origin == origin),
            Some(_) => None,
        },
    };
    let Some(record) = record.filter(|r| !r.ended() && r.owner.node != directory.me().node) else { return Ok(None) };
    let node = cluster.other(&record.owner.node).filter(|n| n.instance == record.owner.instance);
    Ok(open(state, node, forward).await)
}

/// The connection opened again on `node`, if it answers.
async fn open(state: &AppState, node: Option<NodeBeat>, forward: &Forward<'_>) -> Option<Relay> {
    let (Some(cluster), Some(node), false) = (&state.cluster, node, forward.relayed) else { return None };
    let name = node.node.clone();
    match cluster.relay(node, forward.path, forward.headers, forward.client).await {
        Ok(relay) => Some(relay),
        Err(e) => {
            tracing::warn!(node = %name, error = %e, "the session's node cannot be reached; waiting for its lease to lapse");
            None
        }
    }
}
