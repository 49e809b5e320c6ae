//! Where a connection's session runs: here (perhaps just taken over from a node that is gone),
//! or on another node of the cluster, reached over a relay. A node that died holds its
//! sessions until their leases lapse; a connection for one of them waits that out here, then
//! this node takes the session over.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::HeaderMap;

use super::AppState;
use crate::cluster::relay::{self, Upstream};
use crate::cluster::Placement;
use crate::session::directory::DirectoryError;
use crate::session::{takeover, Found, SessionHandle};

/// Where a session was found.
pub enum Route {
    Here(SessionHandle),
    /// Run by another node: the connection is relayed there.
    There(Upstream),
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
        if let (Some(cluster), Some(node), false) = (&state.cluster, node, forward.relayed) {
            let header = cluster.relay_header(forward.client);
            match relay::connect(&node.advertise, forward.path, forward.headers, &header).await {
                Ok(upstream) => return Ok(Route::There(upstream)),
                Err(e) => {
                    tracing::warn!(owner = %owner, error = %e, "the session's node cannot be reached; waiting for its lease to lapse")
                }
            }
        }
        if state.cluster.is_none() || forward.relayed || tokio::time::Instant::now() >= give_up {
            return Err(RouteError::Unreachable(owner));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
