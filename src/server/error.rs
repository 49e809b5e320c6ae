//! The one place that maps errors to HTTP statuses; causes are logged, never sent to clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Errors an HTTP handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no such page")]
    NotFound,
    #[error("co-browse is not enabled for origin {0}")]
    OriginNotAllowed(String),
    #[error("a WebSocket connection is required here")]
    NotWebSocket,
    /// The cause is logged; the client only hears that it must sign in.
    #[error("sign-in required")]
    Unauthorized(crate::auth::TokenError),
    #[error("the audit trail cannot be read")]
    Audit(crate::audit::AuditError),
    #[error("the session directory cannot be read")]
    Directory(crate::session::directory::DirectoryError),
    #[error("this connection's relay header was not signed by a node of this cluster")]
    ForgedRelay,
    #[error("this server is not part of a cluster (no --redis): there is no other node to hand its sessions to")]
    NotInCluster,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            AppError::NotWebSocket => StatusCode::UPGRADE_REQUIRED,
            AppError::Unauthorized(ref cause) => {
                tracing::warn!(%cause, "refused a request without a valid token");
                StatusCode::UNAUTHORIZED
            }
            AppError::Audit(ref cause) => {
                tracing::error!(%cause, "audit trail read failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            AppError::Directory(ref cause) => {
                tracing::error!(%cause, "session directory read failed");
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::NotInCluster => StatusCode::CONFLICT,
            AppError::ForgedRelay => StatusCode::FORBIDDEN,
        };
        (status, format!("{self}\n")).into_response()
    }
}
