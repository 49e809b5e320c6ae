//! The HTTP server: router, shared state, and the run loop that tests call on a port-0 listener.

mod agent_ws;
mod connection;
mod customer_ws;
mod error;
pub mod join_limit;

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::assets;
use crate::profile::ProfileStore;
use crate::replica::ReplicaBrowser;
use crate::session::{Registry, Timings};
pub use error::AppError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Live sessions.
    pub registry: Arc<Registry>,
    /// Browser profiles by origin, kept current with their folder.
    pub profiles: Arc<ProfileStore>,
    /// The Chromium that hosts replicas.
    pub browser: Arc<ReplicaBrowser>,
    /// Session timings from the settings.
    pub timings: Timings,
    /// Failed joins by source address.
    pub join_limit: Arc<join_limit::JoinLimit>,
    /// Live sessions at most.
    pub max_sessions: usize,
}

impl AppState {
    /// State for a server with these profiles, this Chromium and these timings.
    pub fn new(profiles: ProfileStore, browser: Arc<ReplicaBrowser>, timings: Timings) -> AppState {
        AppState {
            registry: Arc::new(Registry::default()),
            profiles: Arc::new(profiles),
            browser,
            timings,
            join_limit: Arc::default(),
            max_sessions: 100,
        }
    }

    /// The same state with a different cap on live sessions.
    pub fn with_max_sessions(self, max_sessions: usize) -> AppState {
        AppState { max_sessions, ..self }
    }
}

/// The server's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/cobrowse.js", get(|| async { script(assets::snippet()) }))
        .route("/vendor/rrweb.min.js", get(|| async { script(assets::RRWEB) }))
        .route("/agent", get(|| async { axum::response::Redirect::permanent("/agent/") }))
        .route("/agent/", get(|| async { Html(assets::AGENT_HTML) }))
        .route("/agent/agent.js", get(|| async { script(assets::AGENT_JS) }))
        .route(
            "/agent/agent.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], assets::AGENT_CSS) }),
        )
        .route("/ws/customer", get(customer_ws::upgrade))
        .route("/ws/agent", get(agent_ws::upgrade))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
}

fn script(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response()
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let defects = crate::replica::MASKING_DEFECTS.load(std::sync::atomic::Ordering::Relaxed);
    let body = format!(
        "# HELP cobrowse_sessions_live Co-browse sessions currently live.\n# TYPE cobrowse_sessions_live gauge\ncobrowse_sessions_live {}\n\
         # HELP cobrowse_masking_defects_total Masked values that arrived unmasked from a customer's browser and were masked by the replica.\n# TYPE cobrowse_masking_defects_total counter\ncobrowse_masking_defects_total {defects}\n",
        state.registry.len()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

/// Serves the co-browse server on `listener` until `shutdown` completes, then ends every
/// session (telling both sides) and closes Chromium.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    state: AppState,
) -> std::io::Result<()> {
    let registry = state.registry.clone();
    let browser = state.browser.clone();
    let reloads = tokio::spawn(state.profiles.clone().watch(crate::profile::store::POLL_EVERY));
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            for session in registry.all() {
                session.shutdown().await;
            }
        })
        .await?;
    reloads.abort();
    browser.shutdown().await;
    Ok(())
}
