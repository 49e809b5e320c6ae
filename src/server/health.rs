//! `/healthz` for load balancers (503 while the node drains or cannot reach Redis, so they
//! send new customers elsewhere) and `POST /api/drain`, which `cobrowse drain` calls.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{AppError, AppState};

pub async fn healthz(State(state): State<AppState>) -> Response {
    match &state.cluster {
        Some(cluster) if cluster.draining() => {
            (StatusCode::SERVICE_UNAVAILABLE, "draining: this node hands its sessions to the others\n").into_response()
        }
        Some(cluster) if !cluster.reachable() => (
            StatusCode::SERVICE_UNAVAILABLE,
            "degraded: Redis cannot be reached; live sessions go on, new ones are refused\n",
        )
            .into_response(),
        _ => "ok\n".into_response(),
    }
}

/// Drains this node as SIGTERM does: no new sessions, live ones handed to other nodes, then
/// the process exits. Integration token required; 409 on a server that is not in a cluster.
pub async fn drain(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    super::api::integration(&state, &headers)?;
    let cluster = state.cluster.as_ref().ok_or(AppError::NotInCluster)?;
    cluster.ask_to_drain();
    let body = json!({ "node": cluster.node(), "draining": true, "sessions": state.registry.len() });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}
