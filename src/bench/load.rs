//! Sessions at once, at a real customer's pace: recorded visits replayed by light clients
//! ([`super::replay`]), each session watched by a simulated agent (a WebSocket client that
//! rebuilds every frame as the agent view does and reads the probe from its pixels), so the
//! machine's cores go to the server and its replicas.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use tokio::time::Instant;

use super::agent::{AgentClient, FrameSeen};
use super::procfs::{memory, CpuMeter, Group};
use super::replay::{LightCustomer, Pass, Recording};
use super::report::{glass_to_glass, Spread};
use super::single::{DRAIN, JOIN_AFTER};
use super::Rig;

use crate::reporting::stages::wall_ms;

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

/// A change's glass-to-glass budget at the 95th percentile for sessions at once.
pub const BUDGET_MS: f64 = 250.0;

impl LoadFigures {
    /// The sessions served at once within [`BUDGET_MS`] at p95, if this run kept to it: those
    /// the server admitted, as a "busy" answer serves nobody.
    pub fn served_within_budget(&self) -> Option<usize> {
        let kept = self.latency_ms.samples > 0 && self.latency_ms.p95 <= BUDGET_MS && self.failed == 0;
        kept.then(|| self.sessions - self.refused_busy)
    }
}

/// Where a load goes: the address customers and agents connect to, and the server processes
/// whose CPU and memory count (one, or a cluster's nodes).
pub struct LoadTarget<'a> {
    pub server: &'a str,
    pub agent_token: &'a str,
    pub pids: Vec<u32>,
}

/// `n` sessions replaying `recordings` on the rig's server (see [`at_once_on`]).
pub async fn at_once(rig: &Rig, n: usize, recordings: &[Recording]) -> Result<LoadFigures, String> {
    let target =
        LoadTarget { server: &rig.server.server, agent_token: &rig.server.agent_token, pids: vec![rig.server.pid] };
    at_once_on(&target, n, recordings).await
}

/// `n` sessions replaying `recordings` in turn, all at once, in steady state.
///
/// A contact center's customers are each at their own point of a visit: they start one after
/// another, spread over one pass of the longest visit, and each replays its visit pass after
/// pass. The figures count the window of one such pass that begins once the last session has
/// started, when all `n` are live at once.
pub async fn at_once_on(target: &LoadTarget<'_>, n: usize, recordings: &[Recording]) -> Result<LoadFigures, String> {
    let (server, token) = (target.server, target.agent_token);
    let longest = recordings.iter().map(Recording::seconds).fold(1.0, f64::max);
    let period = Duration::from_secs_f64(longest);
    let spread = |i: usize| period.mul_f64(i as f64 / n.max(1) as f64);
    // The last session's start, agent and first page, then one pass of the longest visit.
    let began = Instant::now();
    let window_from = began + spread(n.saturating_sub(1)) + JOIN_AFTER + SETTLE;
    let window_to = window_from + period;
    let sessions = (0..n).map(|i| {
        let recording = &recordings[i % recordings.len()];
        async move {
            tokio::time::sleep_until(began + spread(i)).await;
            let Some(customer) = LightCustomer::start(server, &recording.origin).await? else {
                return Ok(None);
            };
            tokio::time::sleep(JOIN_AFTER).await;
            let agent = AgentClient::join(server, token, &customer.session).await?;
            let replayed = customer.replay(recording, window_to).await;
            Ok::<_, String>(Some((replayed, agent)))
        }
    });
    let peak = Arc::new(Mutex::new((0.0, 0.0)));
    let sampler = tokio::spawn(sample_memory(target.pids.clone(), peak.clone()));
    let meter = async {
        tokio::time::sleep_until(window_from).await;
        let servers = target.pids.iter().flat_map(|&pid| [Group::Alone(pid), Group::Descendants(pid)]);
        let cpu = CpuMeter::start(servers.chain([Group::Alone(std::process::id())]).collect());
        tokio::time::sleep_until(window_to).await;
        // Each server's process and its Chromium, summed over the servers; then this process.
        let read = cpu.read();
        let sum = |from: usize| read.iter().take(2 * target.pids.len()).skip(from).step_by(2).sum::<f64>();
        [sum(0), sum(1), read.last().copied().unwrap_or_default()]
    };
    let (sessions, cpu_percent) = futures::future::join(futures::future::join_all(sessions), meter).await;
    sampler.abort();
    let (server_mb, chromium_mb) = *peak.lock().unwrap_or_else(|p| p.into_inner());
    tokio::time::sleep(DRAIN).await;

    let window = (wall_ms(window_from.into_std()), wall_ms(window_to.into_std()));
    let (mut latencies, mut unseen, mut frames, mut bytes, mut changes, mut failed, mut refused_busy, mut live) =
        (Vec::new(), 0, 0, 0, 0, 0, 0, 0);
    for session in sessions {
        let (replayed, agent) = match session? {
            Some(session) => session,
            None => {
                refused_busy += 1;
                continue;
            }
        };
        live += 1;
        let log = agent.finish().await;
        // The replay ends its session when done, which the agent hears as the end.
        let agent_failure = log.failure.as_ref().filter(|f| !f.contains(r#""by":"customer""#));
        if let Some(failure) = replayed.failure.as_ref().or(agent_failure) {
            failed += 1;
            eprintln!("bench: a replayed session failed: {failure}");
        }
        let within = |at: &f64| (window.0..=window.1).contains(at);
        let (l, u) = passes_glass_to_glass(&replayed.passes, &log.frames, within);
        latencies.extend(l);
        unseen += u;
        changes += replayed.passes.iter().flat_map(|p| &p.marks).filter(|m| within(&m.1)).count();
        frames += log.frames.iter().filter(|f| within(&f.at)).count();
        bytes += log.messages.iter().filter(|(at, _)| within(at)).map(|m| m.1).sum::<usize>();
    }
    let seconds = (window.1 - window.0) / 1000.0;
    let live = f64::from(live.max(1));
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

/// After the last session starts, its agent joins and its first page is built before the
/// window opens.
const SETTLE: Duration = Duration::from_secs(2);

/// Glass-to-glass of the changes `counted` among a session's passes. Every pass shows the same
/// numbers again, so a pass is matched only with its own frames: from the first frame drawn
/// after it began whose number lies below the middle of the pass before's (the visit's first
/// page again, not a late frame of the pass before), to the next pass's first.
fn passes_glass_to_glass(passes: &[Pass], frames: &[FrameSeen], counted: impl Fn(&f64) -> bool) -> (Vec<f64>, usize) {
    let mut starts = vec![0];
    for pair in passes.windows(2) {
        let (before, pass) = (&pair[0], &pair[1]);
        let from = *starts.last().unwrap_or(&0);
        let middle = match (before.marks.iter().map(|m| m.0).min(), before.marks.iter().map(|m| m.0).max()) {
            (Some(low), Some(high)) => ((u64::from(low) + u64::from(high)) / 2) as u32,
            _ => u32::MAX,
        };
        let first = frames[from..]
            .iter()
            .position(|f| f.at >= pass.began && f.seq.is_some_and(|s| s < middle))
            .map_or(frames.len(), |p| from + p);
        starts.push(first);
    }
    starts.push(frames.len());
    let (mut latencies, mut unseen) = (Vec::new(), 0);
    for (pass, bounds) in passes.iter().zip(starts.windows(2)) {
        let marks: Vec<(u32, f64)> = pass.marks.iter().copied().filter(|m| counted(&m.1)).collect();
        let (l, u) = glass_to_glass(&marks, &frames[bounds[0]..bounds[1]]);
        latencies.extend(l);
        unseen += u;
    }
    (latencies, unseen)
}

/// Keeps the servers' and their Chromium's memory (summed) at their highest in `peak`, sampled
/// every two seconds until aborted.
async fn sample_memory(servers: Vec<u32>, peak: Arc<Mutex<(f64, f64)>>) {
    loop {
        let (s, c) = servers.iter().map(|&pid| memory(pid)).fold((0.0, 0.0), |(s, c), (a, b)| (s + a, c + b));
        {
            let mut peak = peak.lock().unwrap_or_else(|p| p.into_inner());
            *peak = (peak.0.max(s), peak.1.max(c));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(at: f64, seq: u32) -> FrameSeen {
        FrameSeen { at, seq: Some(seq) }
    }

    #[test]
    fn each_pass_is_matched_with_its_own_frames_only() {
        // The visit's page shows 10, its changes 11 to 13; the second pass shows them again.
        let passes = [
            Pass { began: 0.0, marks: vec![(11, 100.0), (12, 200.0), (13, 300.0)] },
            Pass { began: 1000.0, marks: vec![(11, 1100.0), (12, 1200.0), (13, 1300.0)] },
        ];
        let frames = [
            frame(130.0, 11),
            frame(250.0, 12),
            // 13 of the first pass drawn late, after the second began: still the first pass's.
            frame(1050.0, 13),
            // The second pass's first page, then its changes; 12 never drawn, 13 covers it.
            frame(1080.0, 10),
            frame(1150.0, 11),
            frame(1340.0, 13),
        ];
        let (latencies, unseen) = passes_glass_to_glass(&passes, &frames, |_| true);
        assert_eq!(latencies, vec![30.0, 50.0, 750.0, 50.0, 140.0, 40.0]);
        assert_eq!(unseen, 0);

        // Only the changes sent within the window count; a pass whose page never came is unseen.
        let (latencies, unseen) = passes_glass_to_glass(&passes, &frames[..3], |at| *at >= 1000.0);
        assert_eq!((latencies, unseen), (vec![], 3));
    }

    #[test]
    fn sessions_refused_busy_are_not_counted_as_served() {
        let run = |sessions, refused_busy, p95, failed| LoadFigures {
            sessions,
            refused_busy,
            failed,
            latency_ms: Spread { p50: p95 / 2.0, p95, p99: p95, samples: 100 },
            unseen_changes: 0,
            changes_per_second_per_session: 3.0,
            frames_per_second_per_session: 3.0,
            bytes_per_second_per_session: 0.0,
            server_cpu_percent: 0.0,
            chromium_cpu_percent: 0.0,
            load_generator_cpu_percent: 0.0,
            server_mb: 0.0,
            chromium_mb: 0.0,
            mb_per_session: 0.0,
        };
        assert_eq!(run(10, 0, 240.0, 0).served_within_budget(), Some(10));
        assert_eq!(run(25, 12, 240.0, 0).served_within_budget(), Some(13));
        assert_eq!(run(25, 0, 260.0, 0).served_within_budget(), None);
        assert_eq!(run(5, 0, 100.0, 1).served_within_budget(), None);
    }
}
