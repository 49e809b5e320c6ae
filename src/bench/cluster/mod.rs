//! Cluster mode, measured in the same run as the rest: three nodes on one Redis behind a
//! balancer ([`nodes`]), the customer in the customers' Chromium and the agent view in a real
//! tab. It reports
//!
//! - glass-to-glass of the same typing session watched from the node that runs it and from
//!   another node (relayed there), alternated so both see the same machine;
//! - from `kill -9` of the node that runs a session to the agent's tab drawing a frame again
//!   (from the node that took it over), over several kills, each node started again after;
//! - sessions per node within the load's budget, with one node and with three, on the same
//!   replayed visits at the same numbers at once. On one machine the three share its cores (and
//!   the balancer runs in the bench's process): the figure says what a node costs, not how a
//!   cluster of machines scales.

mod balancer;
mod nodes;

use std::time::Duration;

use serde::Serialize;

use super::load::{self, LoadFigures, LoadTarget};
use super::replay::Recording;
use super::report::{glass_to_glass, Spread};
use super::single::{DRAIN, JOIN_AFTER};
use super::tab::AgentTab;
use super::workload::{self, WORKLOADS};
use super::{wall_ms, Rig};
use nodes::ClusterUnderTest;

/// Nodes in the cluster under test.
pub const NODES: usize = 3;
/// Kills timed.
pub const KILLS: usize = 5;
/// Rounds of (owner, relayed) for the relay's cost.
const ROUNDS: usize = 2;
/// A frame drawn this long after the kill cannot have come from the killed node.
const AFTER_KILL_MS: f64 = 100.0;

/// What the cluster part measured.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterFigures {
    pub nodes: usize,
    /// The workload watched from both nodes.
    pub workload: String,
    /// Glass-to-glass with the agent on the node that runs the session, and on another one.
    pub owner_latency_ms: Spread,
    pub relayed_latency_ms: Spread,
    /// From `kill -9` of the session's node to the agent's tab drawing a frame again.
    pub kill_to_live_ms: Spread,
    /// Kills after which the view did not come back within 15 s.
    pub kills_not_back: usize,
    /// The same replayed sessions at once (each number of `--sessions`) on one node and on the
    /// cluster.
    pub one_node: Vec<LoadFigures>,
    pub cluster: Vec<LoadFigures>,
}

impl ClusterFigures {
    /// Sessions served within the load's budget, per node: with one node, with the cluster.
    pub fn sessions_per_node(&self) -> (Option<f64>, Option<f64>) {
        let per = |runs: &[LoadFigures], nodes: usize| {
            runs.iter().filter_map(LoadFigures::served_within_budget).max().map(|n| n as f64 / nodes as f64)
        };
        (per(&self.one_node, 1), per(&self.cluster, self.nodes))
    }
}

/// Runs the cluster part; when `recordings` are given, each number of replayed sessions at
/// once that `one_node` measured on one node is measured on the cluster too.
pub async fn measure(
    rig: &Rig,
    exe: &std::path::Path,
    recordings: &[Recording],
    one_node: Vec<LoadFigures>,
) -> Result<ClusterFigures, String> {
    let origins = [rig.server.demo.clone(), rig.corpus.clone()];
    let mut cluster = ClusterUnderTest::start(exe, &rig.options.chromium, NODES, &origins).await?;
    let outcome = measure_on(rig, &mut cluster, recordings, one_node).await;
    cluster.stop().await;
    outcome
}

async fn measure_on(
    rig: &Rig,
    cluster: &mut ClusterUnderTest,
    recordings: &[Recording],
    one_node: Vec<LoadFigures>,
) -> Result<ClusterFigures, String> {
    // Every node has heard of the others before the first session.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let typing = WORKLOADS.iter().find(|w| w.name.starts_with("typing")).ok_or("no typing workload")?;
    let steps = [workload::single(typing, rig.options.seconds)];
    let mut customer = rig.customers.open(rig.options.screen()).await?;
    customer.open_page(&format!("{}{}", cluster.site, typing.page)).await?;
    let id = customer.start_session().await?;
    tokio::time::sleep(JOIN_AFTER).await;

    eprintln!("bench: cluster: {} from the session's node and from another", typing.name);
    let (mut owner_latencies, mut relayed_latencies) = (Vec::new(), Vec::new());
    // A first round not counted: the new replica's first seconds are slower, whoever watches.
    for round in 0..=2 * ROUNDS {
        // (warm-up), owner, relayed, relayed, owner, ...: drift over the run falls on both alike.
        let relayed = round % 4 == 2 || round % 4 == 3;
        let (owner, _) = cluster.owner(&id).await?;
        let node = if relayed { (owner + 1) % cluster.len() } else { owner };
        let mut tab = AgentTab::join(&rig.agents, &cluster.url(node), &cluster.agent_token, &id).await?;
        tab.first_drawn(Duration::from_secs(10)).await?;
        customer.wait_active().await?;
        tokio::time::sleep(DRAIN).await;
        tab.collect().await?;
        let (marks_before, frames_before) = (customer.marks.len(), tab.frames.len());
        workload::perform(&mut customer, &cluster.site, &steps).await?;
        tokio::time::sleep(DRAIN).await;
        tab.collect().await?;
        let (latencies, _) = glass_to_glass(&customer.marks[marks_before..], &tab.seen(frames_before));
        match (round, relayed) {
            (0, _) => {}
            (_, true) => relayed_latencies.extend(latencies),
            (_, false) => owner_latencies.extend(latencies),
        }
        tab.close(&rig.agents).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    eprintln!("bench: cluster: {KILLS} kills of the session's node");
    let mut tab = AgentTab::join(&rig.agents, &cluster.front, &cluster.agent_token, &id).await?;
    tab.first_drawn(Duration::from_secs(10)).await?;
    let (mut kill_to_live, mut kills_not_back) = (Vec::new(), 0);
    for _ in 0..KILLS {
        let owner = wait_for_owner(cluster, &id).await?;
        tab.collect().await?;
        let seen_before = tab.frames.len();
        cluster.kill_9(owner).await;
        let killed = wall_ms();
        match back_live(&mut tab, seen_before, killed).await? {
            Some(at) => kill_to_live.push(at - killed),
            None => kills_not_back += 1,
        }
        cluster.start_node(owner).await?;
        // The restarted node is heard of again before the next kill.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tab.close(&rig.agents).await;
    let _ = customer.eval("Cobrowse.end()").await;
    rig.customers.close(customer).await;

    let mut cluster_load = Vec::new();
    for n in one_node.iter().map(|l| l.sessions).filter(|_| !recordings.is_empty()) {
        eprintln!("bench: cluster: {n} replayed sessions at once on {NODES} nodes");
        let target = LoadTarget { server: &cluster.front, agent_token: &cluster.agent_token, pids: cluster.pids() };
        cluster_load.push(load::at_once_on(&target, n, recordings).await?);
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Ok(ClusterFigures {
        nodes: cluster.len(),
        workload: typing.name.to_string(),
        owner_latency_ms: Spread::of(owner_latencies),
        relayed_latency_ms: Spread::of(relayed_latencies),
        kill_to_live_ms: Spread::of(kill_to_live),
        kills_not_back,
        one_node,
        cluster: cluster_load,
    })
}

/// The session's node once the session is active (after a take-over, its people are back).
async fn wait_for_owner(cluster: &ClusterUnderTest, id: &str) -> Result<usize, String> {
    for _ in 0..150 {
        if let Ok((owner, state)) = cluster.owner(id).await {
            if state == "active" {
                return Ok(owner);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("session {id} did not become active again within 15 s"))
}

/// When the tab drew its first frame after the kill at `killed` (from the node that took the
/// session over), or `None` if none within 15 s.
async fn back_live(tab: &mut AgentTab, seen_before: usize, killed: f64) -> Result<Option<f64>, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        tab.collect().await?;
        let drawn = tab.frames[seen_before.min(tab.frames.len())..]
            .iter()
            .filter_map(|f| f.drawn)
            .find(|drawn| *drawn > killed + AFTER_KILL_MS);
        if drawn.is_some() {
            return Ok(drawn);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(None)
}
