//! `cobrowse` with no subcommand: the co-browse server and the demo site, until Ctrl-C or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;

use crate::audit::Audit;
use crate::auth::Role;
use crate::auth::Signer;
use crate::cluster::Cluster;
use crate::profile::ProfileStore;
use crate::replica::ReplicaBrowser;
use crate::server::AppState;
use crate::session::directory::Directory;
use crate::session::{Services, Timings};
use crate::settings::Settings;

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> ExitCode {
    super::logging::init(settings.log_format);

    if let Some(path) = &settings.stage_trace {
        if let Err(e) = crate::reporting::stages::open(path) {
            eprintln!("cobrowse: cannot write the stage trace to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let profiles = match ProfileStore::load(&settings.profiles) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cobrowse: bad browser profile: {e}");
            return ExitCode::FAILURE;
        }
    };
    let node = settings.node_name();
    let stores = match &settings.redis {
        None => local_stores(&settings, &node),
        Some(url) => cluster_stores(&settings, url, &node).await,
    };
    let Some((audit, directory, cluster)) = stores else { return ExitCode::FAILURE };
    let (secret, generated) = match &settings.secret {
        Some(secret) => (secret.clone(), false),
        None => (Signer::generate_secret(), true),
    };
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let webhook_secret = settings.webhook_secret.clone().unwrap_or_default();
    let hooks =
        match settings.webhook_url.as_deref().map(|url| {
            crate::hooks::Webhooks::new(url, &webhook_secret, settings.webhook_ca.as_deref(), metrics.clone())
        }) {
            Some(Ok(hooks)) => Some(hooks),
            Some(Err(e)) => {
                eprintln!("cobrowse: {e}");
                return ExitCode::from(2);
            }
            None => None,
        };
    let listener = match TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cobrowse: cannot listen on {}: {e}", settings.listen);
            return ExitCode::FAILURE;
        }
    };
    let server_url = format!("http://{}", listener.local_addr().map(|a| a.to_string()).unwrap_or_default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };

    let mut demo_task = None;
    let mut demo_url = None;
    if let Some(&addr) = settings.demo_listen.on() {
        match TcpListener::bind(addr).await {
            Ok(demo) => {
                demo_url = Some(format!("http://{}/", demo.local_addr().map(|a| a.to_string()).unwrap_or_default()));
                demo_task = Some(tokio::spawn(crate::demo::serve(demo, server_url.clone(), stopped())));
            }
            Err(e) => {
                eprintln!("cobrowse: cannot listen on {addr} for the demo site: {e}");
                return ExitCode::FAILURE;
            }
        }
    }

    let state = AppState::new(
        profiles,
        Arc::new(
            ReplicaBrowser::new(settings.chromium.clone())
                .with_headless_shell(settings.headless_shell.on().cloned())
                .with_frame_ratio(settings.agent_pixel_ratio)
                .with_memory_budget(settings.replica_memory_mb)
                .with_latency_budget(settings.latency_budget),
        ),
        Timings {
            waiting_ttl: settings.waiting_ttl,
            grace: settings.grace,
            reconnect_window: settings.reconnect_window,
            write_request_ttl: settings.write_request_ttl,
        },
    )
    .with_max_sessions(settings.max_sessions)
    .with_sessions_per_address(settings.sessions_per_address)
    .with_connection_limits(crate::server::listen::ConnectionLimits {
        header_read: settings.header_timeout,
        idle: settings.idle_timeout,
        per_address: settings.connections_per_address,
    })
    .with_secret(&secret)
    .with_services(Services { audit, metrics, hooks, directory })
    .with_workspace_origins(settings.workspace_origins.0.iter().map(|o| o.0.clone()).collect())
    .with_metrics_token(settings.metrics_token.clone())
    .with_trusted_proxies(settings.trusted_proxies.0.iter().map(|p| p.0).collect());
    let state = if demo_url.is_some() { state.with_routes(crate::demo_chat::routes()) } else { state };
    let state = match cluster {
        Some(cluster) => {
            let here = state.clone();
            cluster.spawn_heartbeat(move || here.load());
            state.with_cluster(cluster)
        }
        None => state,
    };
    // Before this server's own Chromium starts: a server killed before it left its own behind.
    crate::replica::leftovers::clean_up();
    let browser = state.replicas.browser().clone();
    if browser.installed() {
        tokio::spawn(async move {
            if let Err(e) = browser.start().await {
                tracing::error!(error = %e, "Chromium could not start; sessions will retry when they need it");
            }
        });
    } else {
        // One line a new user cannot miss. Customers are told co-browse is unavailable until
        // Chromium is installed; it is looked for again at each new session, so no restart.
        eprintln!("{}", super::first_run::missing_chromium(&settings.chromium));
    }

    println!("Co-browse server:  {server_url}");
    if let Some(url) = &demo_url {
        println!("Customer (demo site, click \"Co-browse\"):  {url}");
    }
    // Demo credentials are for trying the product on one machine: printed only when the demo
    // site runs with a secret made up for this process. A deployment (its own secret, or no
    // demo site) must not find a valid agent token in its logs.
    if generated && demo_url.is_some() {
        println!("Token secret (generated; set COBROWSE_SECRET to keep tokens valid across restarts):  {secret}");
        let demo_token = state.signer.issue(
            "demo-agent",
            "Demo Agent",
            Role::Agent,
            Duration::from_secs(12 * 3600),
            SystemTime::now(),
        );
        println!("Agent view (signed in as Demo Agent for 12 h; enter the customer's session ID):  {server_url}/agent/#token={demo_token}");
        println!("Demo workspace (chat with the demo site; co-browse starts from the chat):  {server_url}/demo/workspace/#token={demo_token}");
    } else {
        if generated {
            tracing::warn!("COBROWSE_SECRET is not set: a secret made up for this process signs tokens, so no agent can sign in; set it");
        }
        println!("Agent view (agents sign in with a token signed with COBROWSE_SECRET; see `cobrowse token`):  {server_url}/agent/");
    }
    let draining = state.clone();
    tokio::spawn(async move {
        // Ctrl-C by hand, SIGTERM from a container runtime: one node ends its sessions cleanly; a
        // node of a cluster drains (as `cobrowse drain` asks) and its sessions go on elsewhere.
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminated = async {
            match terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        let drain_asked = async {
            match &draining.cluster {
                Some(cluster) => cluster.drain_asked().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminated => {}
            _ = drain_asked => {}
        }
        if let Some(cluster) = &draining.cluster {
            drain(cluster, &draining).await;
        }
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    });
    let result = crate::server::run(listener, stopped(), state).await;
    if let Some(task) = demo_task {
        let _ = task.await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cobrowse: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The single node's audit trail and session directory, in `--data`.
fn local_stores(settings: &Settings, node: &str) -> Option<(Audit, Directory, Option<Cluster>)> {
    let audit = Audit::open(&settings.data).map_err(|e| eprintln!("cobrowse: {e}")).ok()?;
    let directory = Directory::open(&settings.data, node, abandoned_after(settings))
        .map_err(|e| eprintln!("cobrowse: {e}"))
        .ok()?;
    Some((audit, directory, None))
}

/// The cluster's audit trail and session directory in Redis, and this node's place in it. A
/// node told to join a cluster never runs alone: an unreachable Redis stops it.
async fn cluster_stores(settings: &Settings, url: &str, node: &str) -> Option<(Audit, Directory, Option<Cluster>)> {
    let unreachable = |e: &dyn std::fmt::Display| {
        eprintln!(
            "cobrowse: cannot reach Redis at {} (--redis, COBROWSE_REDIS): {e}\n\
             A node of a cluster does not run without it: start Redis, or unset COBROWSE_REDIS to run one node alone.",
            crate::cluster::nodes::redacted(url)
        );
    };
    let directory = Directory::connect(url, node, abandoned_after(settings)).await.map_err(|e| unreachable(&e)).ok()?;
    let audit = Audit::connect(url).await.map_err(|e| unreachable(&e)).ok()?;
    let secret = settings.secret.as_deref().unwrap_or_default();
    let instance = directory.me().instance.clone();
    let cluster =
        Cluster::join(url, node, &instance, &settings.advertised(), secret).await.map_err(|e| unreachable(&e)).ok()?;
    tracing::info!(node, advertise = %settings.advertised(), "joined the cluster");
    Some((audit, directory, Some(cluster)))
}

/// A session nobody comes back to within the longest it may wait for its people is over.
fn abandoned_after(settings: &Settings) -> Duration {
    settings.grace.max(settings.waiting_ttl)
}

/// Drains this node: no new sessions, each live one handed to another node (its people
/// reconnect there) within 8 s, so the whole exit keeps within the 30 s a container runtime
/// gives; whatever is left then ends as on one node.
async fn drain(cluster: &Cluster, state: &AppState) {
    cluster.drain();
    let handed = async {
        // Again while any is left: a start relayed here just before the others heard of the drain.
        while !state.registry.is_empty() {
            let sessions = state.registry.all();
            tracing::info!(sessions = sessions.len(), "draining: handing the live sessions to other nodes");
            for session in &sessions {
                session.hand_off().await;
            }
            // Each lets go of its lease before this node leaves.
            for session in &sessions {
                session.stopped().await;
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(8), handed).await.is_err() {
        tracing::warn!(left = state.registry.len(), "drained for 8 s with sessions left; they end");
    }
    // Gone from the others' view before the listener closes.
    cluster.leave().await;
}
