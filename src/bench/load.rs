//! Sessions at once, at a real customer's pace: recorded visits replayed by light clients
//! ([`super::replay`]), each session watched by a simulated agent (a WebSocket client that
//! rebuilds every frame as the agent view does and reads the probe from its pixels), so the
//! machine's cores go to the server and its replicas.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use super::agent::AgentClient;
use super::procfs::{memory, CpuMeter, Group};
use super::replay::{LightCustomer, Recording, Replayed};
use super::report::{glass_to_glass, Spread};
use super::single::{DRAIN, JOIN_AFTER};
use super::{wall_ms, Rig};

/// Customers start within this long of each other, not in step.
const STAGGER: Duration = Duration::from_secs(5);

/// What N replayed sessions at once measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoadFigures {
    pub sessions: usize,
    /// Starts the server answered "busy" (admission), and sessions whose replay failed.
    pub refused_busy: usize,
    pub failed: usize,
    pub latency_ms: Spread,
    pub unseen_changes: usize,
    /// Changes each customer made a second, on average (the recorded visits' pace).
    pub changes_per_second_per_session: f64,
    pub frames_per_second_per_session: f64,
    pub bytes_per_second_per_session: f64,
    /// Percent of one core: the server process, its Chromium, and this load generator.
    pub server_cpu_percent: f64,
    pub chromium_cpu_percent: f64,
    pub load_generator_cpu_percent: f64,
    /// Peak memory (PSS) during the run.
    pub server_mb: f64,
    pub chromium_mb: f64,
    pub mb_per_session: f64,
}

/// `n` sessions replaying `recordings` in turn, all at once.
pub async fn at_once(rig: &Rig, n: usize, recordings: &[Recording]) -> Result<LoadFigures, String> {
    let server = &rig.server;
    let mut started = Vec::new();
    let mut refused_busy = 0;
    for i in 0..n {
        let recording = &recordings[i % recordings.len()];
        match LightCustomer::start(&server.server, &recording.origin).await? {
            Some(customer) => started.push((customer, recording)),
            None => refused_busy += 1,
        }
    }
    tokio::time::sleep(JOIN_AFTER).await;
    let mut agents = Vec::new();
    for (customer, _) in &started {
        agents.push(AgentClient::join(&server.server, &server.agent_token, &customer.session).await?);
    }
    let cpu = CpuMeter::start(vec![
        Group::Alone(server.pid),
        Group::Descendants(server.pid),
        Group::Alone(std::process::id()),
    ]);
    let peak = Arc::new(Mutex::new((0.0, 0.0)));
    let sampler = tokio::spawn(sample_memory(server.pid, peak.clone()));
    let began = wall_ms();
    let count = started.len().max(1);
    let runs = started.into_iter().enumerate().map(|(i, (customer, recording))| async move {
        tokio::time::sleep(STAGGER.mul_f64(i as f64 / count as f64)).await;
        customer.replay(recording).await
    });
    let replays: Vec<Replayed> = futures::future::join_all(runs).await;
    let ended = wall_ms();
    let cpu_percent = cpu.read();
    sampler.abort();
    let (server_mb, chromium_mb) = *peak.lock().unwrap_or_else(|p| p.into_inner());
    tokio::time::sleep(DRAIN).await;

    let (mut latencies, mut unseen, mut frames, mut bytes, mut changes, mut failed) = (Vec::new(), 0, 0, 0, 0, 0);
    for (replayed, agent) in replays.iter().zip(agents) {
        let log = agent.finish().await;
        // The replay ends its session when done, which the agent hears as the end.
        let agent_failure = log.failure.as_ref().filter(|f| !f.contains(r#""by":"customer""#));
        if let Some(failure) = replayed.failure.as_ref().or(agent_failure) {
            failed += 1;
            eprintln!("bench: a replayed session failed: {failure}");
        }
        let (l, u) = glass_to_glass(&replayed.marks, &log.frames);
        latencies.extend(l);
        unseen += u;
        changes += replayed.marks.len();
        frames += log.frames.iter().filter(|f| (began..=ended).contains(&f.at)).count();
        bytes += log.messages.iter().filter(|(at, _)| (began..=ended).contains(at)).map(|m| m.1).sum::<usize>();
    }
    let seconds = (ended - began) / 1000.0;
    let live = replays.len().max(1) as f64;
    Ok(LoadFigures {
        sessions: n,
        refused_busy,
        failed,
        latency_ms: Spread::of(latencies),
        unseen_changes: unseen,
        changes_per_second_per_session: changes as f64 / seconds / live,
        frames_per_second_per_session: frames as f64 / seconds / live,
        bytes_per_second_per_session: bytes as f64 / seconds / live,
        server_cpu_percent: cpu_percent[0],
        chromium_cpu_percent: cpu_percent[1],
        load_generator_cpu_percent: cpu_percent[2],
        server_mb,
        chromium_mb,
        mb_per_session: (server_mb + chromium_mb) / live,
    })
}

/// Keeps the server's and its Chromium's memory at their highest in `peak`, sampled every two
/// seconds until aborted.
async fn sample_memory(server: u32, peak: Arc<Mutex<(f64, f64)>>) {
    loop {
        let (s, c) = memory(server);
        {
            let mut peak = peak.lock().unwrap_or_else(|p| p.into_inner());
            *peak = (peak.0.max(s), peak.1.max(c));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
