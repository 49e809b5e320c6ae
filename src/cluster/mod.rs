//! Cluster mode: identical nodes that share one Redis. Each node beats there (where the others
//! reach it, how many sessions it runs, how many more it takes, whether it drains), places new
//! sessions on the node with the most headroom, and relays a connection that lands on it for a
//! session another node runs to that node (see [`relay`]).

pub mod nodes;
pub mod placement;
pub mod relay;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

pub use nodes::NodeBeat;
pub use placement::Placement;
pub use relay::Relay;

/// Why a node cannot join its cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot reach Redis at {url}: {cause}")]
    Unreachable { url: String, cause: redis::RedisError },
}

/// Where a connection comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    Direct,
    /// Relayed by another node for this client.
    Relayed(IpAddr),
    /// With a relay header this cluster did not sign, or from an address no node has: refused.
    Forged,
}

/// What a node can take on now, as it tells the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Load {
    /// Sessions it runs.
    pub sessions: usize,
    /// New sessions it takes before it is full (none while its replicas are over their
    /// latency budget, or Chromium is missing).
    pub headroom: usize,
}

/// This node's part in the cluster; cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    me: NodeBeat,
    /// Signs and checks relayed connections (derived from the shared secret).
    relay_key: [u8; 32],
    draining: AtomicBool,
    /// Left the cluster: no more beats.
    left: AtomicBool,
    /// Whether Redis answered this node's last beat.
    reachable: AtomicBool,
    /// The other nodes' last beats, fresh ones only.
    others: Mutex<Vec<NodeBeat>>,
    /// The other nodes' addresses by name (and the instance they were resolved for), from
    /// their advertised names: their relayed connections are not capped per address.
    peers: Mutex<HashMap<String, (String, Vec<IpAddr>)>>,
    /// Asked to drain (by `cobrowse drain`); the process drains as on SIGTERM.
    drain_asked: Notify,
    redis: redis::aio::ConnectionManager,
}

impl Cluster {
    /// Joins the cluster of every node using the Redis at `url`, as node `node` (process
    /// `instance`), reachable by the others at `advertise`. Fails if Redis does not answer.
    pub async fn join(
        url: &str,
        node: &str,
        instance: &str,
        advertise: &str,
        secret: &str,
    ) -> Result<Cluster, ClusterError> {
        let unreachable = |cause| ClusterError::Unreachable { url: nodes::redacted(url), cause };
        let redis = crate::session::directory::connect_redis(url).await.map_err(unreachable)?;
        let me = NodeBeat {
            node: node.to_string(),
            instance: instance.to_string(),
            advertise: advertise.to_string(),
            sessions: 0,
            headroom: 0,
            draining: false,
        };
        let inner = Inner {
            me,
            relay_key: relay::key(secret),
            draining: AtomicBool::new(false),
            left: AtomicBool::new(false),
            reachable: AtomicBool::new(true),
            others: Mutex::new(Vec::new()),
            peers: Mutex::new(HashMap::new()),
            drain_asked: Notify::new(),
            redis,
        };
        Ok(Cluster { inner: Arc::new(inner) })
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.inner.me.node
    }

    /// Beats every [`nodes::BEAT_EVERY`] with the load `load` reports, and reads the others'
    /// beats, until the process ends.
    pub fn spawn_heartbeat(&self, load: impl Fn() -> Load + Send + Sync + 'static) -> tokio::task::JoinHandle<()> {
        let cluster = self.clone();
        tokio::spawn(async move {
            let mut failing = false;
            while !cluster.inner.left.load(Ordering::Relaxed) {
                let beat = cluster.beat(load());
                match nodes::beat(&cluster.inner.redis, &beat).await {
                    Ok(others) => {
                        if failing {
                            tracing::info!("Redis answers again: taking new sessions");
                        }
                        failing = false;
                        cluster.resolve_peers(&others).await;
                        *cluster.inner.others.lock().unwrap_or_else(|p| p.into_inner()) = others;
                        cluster.inner.reachable.store(true, Ordering::Relaxed);
                    }
                    Err(e) => {
                        if !failing {
                            tracing::error!(error = %e, "Redis cannot be reached: live sessions go on, new ones are refused as busy until it answers");
                        }
                        failing = true;
                        cluster.inner.reachable.store(false, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(nodes::BEAT_EVERY).await;
            }
        })
    }

    /// Resolves the addresses of nodes not resolved before, or restarted since (a recreated
    /// container may have a new address).
    async fn resolve_peers(&self, others: &[NodeBeat]) {
        for node in others {
            let known = self.inner.peers.lock().unwrap_or_else(|p| p.into_inner()).get(&node.node).map(|p| p.0.clone());
            if known.as_ref() == Some(&node.instance) {
                continue;
            }
            let lookup = tokio::net::lookup_host(node.advertise.as_str());
            let resolved = tokio::time::timeout(Duration::from_millis(200), lookup).await.ok().and_then(Result::ok);
            if let Some(addresses) = resolved {
                let ips = addresses.map(|a| a.ip()).collect();
                self.inner
                    .peers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(node.node.clone(), (node.instance.clone(), ips));
            }
        }
    }

    /// Whether `ip` is another node's (its relays carry many clients).
    pub fn is_peer(&self, ip: IpAddr) -> bool {
        self.inner.peers.lock().unwrap_or_else(|p| p.into_inner()).values().any(|(_, ips)| ips.contains(&ip))
    }

    fn beat(&self, load: Load) -> NodeBeat {
        let draining = self.draining();
        let headroom = if draining { 0 } else { load.headroom };
        NodeBeat { sessions: load.sessions, headroom, draining, ..self.inner.me.clone() }
    }

    /// Another node by name, if it beat recently.
    pub fn other(&self, node: &str) -> Option<NodeBeat> {
        self.inner.others.lock().unwrap_or_else(|p| p.into_inner()).iter().find(|n| n.node == node).cloned()
    }

    /// Where a new session goes, this node having `load`.
    pub fn place(&self, load: Load) -> Placement {
        let here = self.beat(load);
        let mut others = self.inner.others.lock().unwrap_or_else(|p| p.into_inner());
        let placement = placement::place(&here, &others);
        if let Placement::There(chosen) = &placement {
            // Counted at once, so a burst of starts before the next beats spreads out.
            if let Some(node) = others.iter_mut().find(|n| n.node == chosen.node) {
                node.headroom = node.headroom.saturating_sub(1);
            }
        }
        placement
    }

    /// Stops taking sessions: new ones go to other nodes, `/healthz` answers 503.
    pub fn drain(&self) {
        if !self.inner.draining.swap(true, Ordering::Relaxed) {
            tracing::info!(node = %self.node(), "draining: new sessions go to other nodes, live ones are handed over");
        }
    }

    /// Asks the process to drain and exit (as SIGTERM does).
    pub fn ask_to_drain(&self) {
        self.inner.drain_asked.notify_one();
    }

    /// Completes when someone asked this node to drain.
    pub async fn drain_asked(&self) {
        self.inner.drain_asked.notified().await
    }

    pub fn draining(&self) -> bool {
        self.inner.draining.load(Ordering::Relaxed)
    }

    /// Whether Redis answered the last beat.
    pub fn reachable(&self) -> bool {
        self.inner.reachable.load(Ordering::Relaxed)
    }

    /// The header that vouches, to another node, for a connection to `path` relayed from
    /// `client`.
    pub fn relay_header(&self, client: IpAddr, path: &str) -> String {
        relay::sign(&self.inner.relay_key, client, self.node(), path, crate::session::directory::now_ms())
    }

    /// Who a connection to `path` from `peer` comes from: a client directly, or one another
    /// node relays (its header genuine, fresh and from a node of this cluster).
    pub fn arrival(&self, headers: &axum::http::HeaderMap, peer: IpAddr, path: &str) -> Arrival {
        let Some(header) = headers.get(relay::HEADER) else { return Arrival::Direct };
        let now = crate::session::directory::now_ms();
        match header.to_str().ok().and_then(|h| relay::verify(&self.inner.relay_key, h, path, now)) {
            Some(client) if self.is_peer(peer) => Arrival::Relayed(client),
            _ => Arrival::Forged,
        }
    }

    /// Opens `path` again on `node` for `client`, with the client's `Origin` and credentials
    /// from `headers`.
    pub async fn relay(
        &self,
        node: NodeBeat,
        path: &str,
        headers: &axum::http::HeaderMap,
        client: IpAddr,
    ) -> Result<Relay, relay::RelayError> {
        let header = self.relay_header(client, path);
        let upstream = relay::connect(&node.advertise, path, headers, &header).await?;
        Ok(Relay { upstream, node })
    }

    /// Whether `node` still beats as the same process (a relay to it is worth keeping).
    pub fn still_there(&self, node: &NodeBeat) -> bool {
        self.other(&node.node).is_some_and(|n| n.instance == node.instance)
    }

    /// Leaves the cluster: the others stop placing sessions here at once.
    pub async fn leave(&self) {
        self.inner.left.store(true, Ordering::Relaxed);
        let _ = tokio::time::timeout(Duration::from_secs(1), nodes::leave(&self.inner.redis, self.node())).await;
    }
}
