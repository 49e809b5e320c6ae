//! The integration API for the contact center's systems (integration token required), and the
//! agent view's configuration.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{AppError, AppState};
use crate::auth::{self, Role};
use crate::session::id::is_session_id;
use crate::session::Lookup;

/// Longest interaction id accepted.
const MAX_INTERACTION: usize = 256;

pub(super) fn integration(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    auth::authorize(&state.signer, headers, &[Role::Integration]).map(|_| ()).map_err(|cause| {
        state.services.metrics.unauthorized.inc();
        AppError::Unauthorized(cause)
    })
}

/// `POST /api/interactions/{id}/end`: ends every session bound to the interaction; both sides
/// are told it ended by `interaction`.
pub async fn end_interaction(
    State(state): State<AppState>,
    Path(interaction): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    integration(&state, &headers)?;
    if interaction.is_empty() || interaction.len() > MAX_INTERACTION {
        return Err(AppError::NotFound);
    }
    let sessions = state.registry.bound(&interaction);
    if sessions.is_empty() {
        tracing::info!(%interaction, "interaction end: no live session is bound to it");
        return Err(AppError::NotFound);
    }
    let ids: Vec<String> = sessions.iter().map(|s| s.id.clone()).collect();
    for session in &sessions {
        session.end_interaction().await;
    }
    tracing::info!(%interaction, ?ids, "interaction ended; its co-browse sessions end with it");
    Ok((StatusCode::OK, Json(json!({ "interaction": interaction, "ended": ids }))).into_response())
}

/// `GET /api/sessions/{id}`: the session as the directory has it: its state and mode, the
/// server that runs it and the agent in control.
pub async fn session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    integration(&state, &headers)?;
    if !is_session_id(&id) {
        return Err(AppError::NotFound);
    }
    let record = state.services.directory.get(&id).await.map_err(AppError::Directory)?.ok_or(AppError::NotFound)?;
    Ok(Json(json!({
        "id": record.id,
        "state": record.state,
        "mode": record.mode,
        "node": record.owner.node,
        "agent": record.agent.as_ref().map(|a| &a.id),
        "agent_name": record.agent.as_ref().map(|a| &a.name),
        "origin": record.origin,
        "interaction": record.interaction,
        "watchers": record.watchers,
        "created_at_ms": record.created_ms,
    }))
    .into_response())
}

/// `GET /api/sessions/{id}/events`: the session's audit trail, oldest first.
pub async fn session_events(
    State(state): State<AppState>,
    Path(session): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    integration(&state, &headers)?;
    if !is_session_id(&session) {
        return Err(AppError::NotFound);
    }
    let events = state.services.audit.events(&session).await.map_err(AppError::Audit)?;
    if events.is_empty()
        && matches!(state.registry.lookup(&session), Lookup::Unknown)
        && state.services.directory.get(&session).await.map_err(AppError::Directory)?.is_none()
    {
        return Err(AppError::NotFound);
    }
    Ok(Json(json!({ "session": session, "events": events })).into_response())
}

/// `GET /agent/config.json`: what the agent view needs before signing in (no secrets).
pub async fn agent_config(State(state): State<AppState>, _query: RawQuery) -> Response {
    Json(json!({ "workspace_origins": *state.workspace_origins })).into_response()
}
