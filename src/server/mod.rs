//! The HTTP server: router, shared state, and the run loop that tests call on a port-0 listener.

mod agent_ws;
mod api;
pub mod budget;
pub mod client_address;
mod connection;
mod customer_ws;
mod error;
mod health;
pub mod join_limit;
pub mod listen;
mod log_throttle;
pub mod page_headers;
mod relay;
mod route;
pub mod start_limit;

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::assets;
use crate::auth::{Directory, Signer};
use crate::profile::ProfileStore;
use crate::session::{Registry, Replicas, Services, Timings};
pub use error::AppError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Live sessions.
    pub registry: Arc<Registry>,
    /// Browser profiles by origin, kept current with their folder.
    pub profiles: Arc<ProfileStore>,
    /// The Chromium that hosts replicas.
    pub replicas: Replicas,
    /// Session timings from the settings.
    pub timings: Timings,
    /// Failed joins by source address and by agent.
    pub join_limit: Arc<join_limit::JoinLimit>,
    /// Session starts by source address and by site.
    pub start_limit: Arc<start_limit::StartLimit>,
    /// Live sessions at most.
    pub max_sessions: usize,
    /// Checks agent and integration tokens.
    pub signer: Signer,
    /// Agents signed in now, for transfers.
    pub agents: Arc<Directory>,
    /// Audit trail, metrics, webhooks.
    pub services: Services,
    /// Origins of contact-center workspaces that may embed the agent view and send it chat
    /// messages (besides the server's own origin).
    pub workspace_origins: Arc<Vec<String>>,
    /// Routes served beside the server's own, each with what it needs (the demo's chat and
    /// workspace, when the demo site runs): the server mounts them without knowing them, so
    /// nothing here depends on the demo.
    pub extra_routes: Router<AppState>,
    /// Deadlines of connections and how many one address may hold.
    pub connection_limits: listen::ConnectionLimits,
    /// The bearer token `/metrics` asks for, if any.
    pub metrics_token: Option<Arc<str>>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (and whose connections are
    /// not capped per address: every client comes through them).
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// This node's cluster, in cluster mode.
    pub cluster: Option<crate::cluster::Cluster>,
}

impl AppState {
    /// State for a server with these profiles, this Chromium and these timings.
    pub fn new(profiles: ProfileStore, replicas: impl Into<Replicas>, timings: Timings) -> AppState {
        AppState {
            registry: Arc::new(Registry::default()),
            profiles: Arc::new(profiles),
            replicas: replicas.into(),
            timings,
            join_limit: Arc::default(),
            start_limit: Arc::default(),
            max_sessions: 100,
            signer: Signer::new(&Signer::generate_secret()),
            agents: Arc::default(),
            services: Services::in_memory(),
            workspace_origins: Arc::default(),
            extra_routes: Router::new(),
            connection_limits: listen::ConnectionLimits::default(),
            metrics_token: None,
            trusted_proxies: Arc::default(),
            cluster: None,
        }
    }

    /// Where sessions are looked up, and taken over from a process that is gone.
    pub fn here(&self) -> crate::session::takeover::Here<'_> {
        crate::session::takeover::Here {
            registry: &self.registry,
            replicas: &self.replicas,
            profiles: &self.profiles,
            timings: self.timings,
            services: &self.services,
            may_claim: !self.cluster.as_ref().is_some_and(|c| c.draining()),
        }
    }

    /// What this node can take on now, as it tells the cluster.
    pub fn load(&self) -> crate::cluster::Load {
        let sessions = self.registry.len();
        let room = self.replicas.installed() && self.replicas.admits();
        let headroom = if room { self.max_sessions.saturating_sub(sessions) } else { 0 };
        crate::cluster::Load { sessions, headroom }
    }

    /// The same state as a node of `cluster`.
    pub fn with_cluster(self, cluster: crate::cluster::Cluster) -> AppState {
        AppState { cluster: Some(cluster), ..self }
    }

    /// The same state taking client addresses from these proxies' `X-Forwarded-For`.
    pub fn with_trusted_proxies(self, proxies: Vec<std::net::IpAddr>) -> AppState {
        AppState { trusted_proxies: Arc::new(proxies), ..self }
    }

    /// The same state serving `/metrics` only to requests bearing `token`.
    pub fn with_metrics_token(self, token: Option<String>) -> AppState {
        AppState { metrics_token: token.map(Arc::from), ..self }
    }

    /// The same state with other connection deadlines and cap.
    pub fn with_connection_limits(self, connection_limits: listen::ConnectionLimits) -> AppState {
        AppState { connection_limits, ..self }
    }

    /// The same state serving `routes` too (such as `demo_chat::routes()`), beside the server's
    /// own and any added before; a path may be routed once only.
    pub fn with_routes(self, routes: Router<AppState>) -> AppState {
        AppState { extra_routes: self.extra_routes.merge(routes), ..self }
    }

    /// The same state signing and checking tokens with `secret`.
    pub fn with_secret(self, secret: &str) -> AppState {
        AppState { signer: Signer::new(secret), ..self }
    }

    /// The same state reporting to `services`.
    pub fn with_services(self, services: Services) -> AppState {
        AppState { services, ..self }
    }

    /// The same state letting workspaces on `origins` embed the agent view.
    pub fn with_workspace_origins(self, origins: Vec<String>) -> AppState {
        AppState { workspace_origins: Arc::new(origins), ..self }
    }

    /// The same state with a different cap on live sessions.
    pub fn with_max_sessions(self, max_sessions: usize) -> AppState {
        AppState { max_sessions, ..self }
    }

    /// The same state with `per_address` live sessions per customer address (see `start_limit`).
    pub fn with_sessions_per_address(self, per_address: usize) -> AppState {
        AppState { start_limit: Arc::new(start_limit::StartLimit::new(per_address)), ..self }
    }
}

/// The server's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/cobrowse.js", get(|| async { script(assets::snippet()) }))
        .route("/vendor/rrweb.min.js", get(|| async { script(assets::recorder()) }))
        .route("/agent", get(|| async { axum::response::Redirect::permanent("/agent/") }))
        .route("/agent/", get(page_headers::agent_view))
        // The agent view's ES modules: the page loads agent.js, which imports the others.
        .route("/agent/agent.js", get(|| async { script(assets::AGENT_JS) }))
        .route("/agent/state.js", get(|| async { script(assets::AGENT_STATE_JS) }))
        .route("/agent/text.js", get(|| async { script(assets::AGENT_TEXT_JS) }))
        .route("/agent/view.js", get(|| async { script(assets::AGENT_VIEW_JS) }))
        .route("/agent/connection.js", get(|| async { script(assets::AGENT_CONNECTION_JS) }))
        .route("/agent/messages.js", get(|| async { script(assets::AGENT_MESSAGES_JS) }))
        .route("/agent/screen.js", get(|| async { script(assets::AGENT_SCREEN_JS) }))
        .route("/agent/frames.js", get(|| async { script(assets::AGENT_FRAMES_JS) }))
        .route("/agent/input.js", get(|| async { script(assets::AGENT_INPUT_JS) }))
        .route("/agent/zoom.js", get(|| async { script(assets::AGENT_ZOOM_JS) }))
        .route("/agent/toolbar.js", get(|| async { script(assets::AGENT_TOOLBAR_JS) }))
        .route("/agent/embedding.js", get(|| async { script(assets::AGENT_EMBEDDING_JS) }))
        .route("/agent/config.json", get(api::agent_config))
        .route(
            "/agent/agent.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], assets::AGENT_CSS) }),
        )
        .route("/ws/customer", get(customer_ws::upgrade))
        .route("/ws/agent", get(agent_ws::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/api/drain", axum::routing::post(health::drain))
        .route("/metrics", get(metrics))
        .route("/api/interactions/{id}/end", axum::routing::post(api::end_interaction))
        .route("/api/sessions/{id}", get(api::session))
        .route("/api/sessions/{id}/events", get(api::session_events))
        .merge(state.extra_routes.clone())
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
}

fn script(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response()
}

async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(expected) = &state.metrics_token {
        let given = crate::auth::bearer(&headers).unwrap_or_default();
        if !crate::auth::token::same_secret(given.as_bytes(), expected.as_bytes()) {
            return AppError::Unauthorized(crate::auth::TokenError::Missing).into_response();
        }
    }
    let defects = state.replicas.masking_defects();
    let body = state.services.metrics.render(state.registry.len(), defects);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Serves the co-browse server on `listener` until `shutdown` completes, then ends every
/// session (telling both sides) and closes Chromium.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    state: AppState,
) -> std::io::Result<()> {
    let registry = state.registry.clone();
    let replicas = state.replicas.clone();
    let audit = state.services.audit.clone();
    let hooks = state.services.hooks.clone();
    let reloads = tokio::spawn(state.profiles.clone().watch(crate::profile::store::POLL_EVERY));
    let (limits, metrics) = (state.connection_limits, state.services.metrics.clone());
    let (proxies, cluster) = (state.trusted_proxies.clone(), state.cluster.clone());
    let uncapped = move |ip| proxies.contains(&ip) || cluster.as_ref().is_some_and(|c| c.is_peer(ip));
    listen::serve(listener, router(state), limits, uncapped, metrics, async move {
        shutdown.await;
        for session in registry.all() {
            session.shutdown().await;
        }
        // Each session writes its end to the audit trail as it closes.
        let closed = async {
            while !registry.is_empty() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), closed).await;
    })
    .await?;
    audit.flush().await;
    if let Some(hooks) = &hooks {
        // The sessions' last webhooks go out before the process does (retries included).
        if tokio::time::timeout(std::time::Duration::from_secs(15), hooks.flush()).await.is_err() {
            tracing::warn!("shutting down with webhooks still undelivered");
        }
    }
    reloads.abort();
    replicas.shutdown().await;
    Ok(())
}
