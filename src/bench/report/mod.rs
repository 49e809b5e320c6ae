//! The benchmark's figures and how they are shown: a markdown table, JSON, and an SVG plot of
//! latency against the number of sessions.

use serde::Serialize;

use super::agent::FrameSeen;

/// p50, p95 and p99 of a set of samples (milliseconds).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Spread {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub samples: usize,
}

impl Spread {
    /// Nearest-rank percentiles of `values`; all zero when there are none.
    pub fn of(mut values: Vec<f64>) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        values.sort_by(f64::total_cmp);
        let at = |p: f64| values[((values.len() as f64 * p).ceil() as usize).clamp(1, values.len()) - 1];
        Spread { p50: at(0.50), p95: at(0.95), p99: at(0.99), samples: values.len() }
    }
}

/// Glass-to-glass latency of each probe mark: from the change in the customer's page to the
/// first agent frame whose probe shows that number or a later one. Marks never shown (the
/// workload stopped before a frame carried them) are counted in `unseen`.
pub fn glass_to_glass(marks: &[(u32, f64)], frames: &[FrameSeen]) -> (Vec<f64>, usize) {
    let mut latencies = Vec::new();
    let mut unseen = 0;
    let mut next = 0;
    for &(seq, at) in marks {
        // Frames arrive in order and numbers only grow within a run, so one pass suffices.
        while next < frames.len() && frames[next].seq.is_none_or(|s| s < seq) {
            next += 1;
        }
        match frames.get(next) {
            Some(frame) => latencies.push((frame.at - at).max(0.0)),
            None => unseen += 1,
        }
    }
    (latencies, unseen)
}

/// What one workload measured with a simulated agent (the isolation scenario).
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadFigures {
    pub workload: String,
    pub seconds: f64,
    pub latency_ms: Spread,
    /// Changes made whose frame never arrived before the run ended.
    pub unseen_changes: usize,
    pub frames_per_second: f64,
    /// Bytes per second to the agent (frames and messages).
    pub bytes_per_second: f64,
    /// Whole JPEG frames of the same pictures, per second, when measured.
    pub jpeg_bytes_per_second: Option<f64>,
    /// Whether the agent's last frame showed the customer's last change.
    pub newest_state_shown: bool,
    /// CPU of the server process and of its Chromium, percent of one core.
    pub server_cpu_percent: f64,
    pub chromium_cpu_percent: f64,
}

/// A recorded visit the load mode replays.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingFigures {
    pub visit: String,
    pub seconds: f64,
    pub messages: usize,
    /// Changes a second on average: the pace the load replays.
    pub changes_per_second: f64,
}

/// A target of the speed work and what this run measured against it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub what: String,
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub machine: String,
    pub viewport: (u32, u32),
    /// Device pixels per CSS pixel of the customers' screens.
    pub pixel_ratio: f64,
    /// Whether the customers were phones (mobile emulation) rather than laptops.
    pub phone: bool,
    /// From the agent view's `join` to the first frame arriving in its tab, and drawn.
    pub join_to_received_ms: Spread,
    pub join_to_drawn_ms: Spread,
    pub workloads: Vec<super::single::WorkloadRow>,
    pub recordings: Vec<RecordingFigures>,
    pub load: Vec<super::load::LoadFigures>,
    /// The most replayed sessions within p95 250 ms, per core of this machine.
    pub sessions_per_core: Option<f64>,
    /// From an agent's action (a typed character) leaving a simulated agent to its `input`
    /// event in the customer's page.
    pub write_mode_latency_ms: Spread,
    /// One session typing, with the other session on the server quiet and then flooding.
    pub isolation: Option<Isolation>,
    /// Three nodes on one Redis: the relay's cost, kill to live again, sessions per node.
    pub cluster: Option<super::cluster::ClusterFigures>,
    pub targets: Vec<Target>,
}

/// The isolation scenario: the same typing session measured twice in one run.
#[derive(Debug, Clone, Serialize)]
pub struct Isolation {
    pub quiet: WorkloadFigures,
    pub flooded: WorkloadFigures,
    pub flood: super::flood::FloodCounts,
    /// While other sessions stay within their budgets with big pages changing all the time.
    pub at_the_edge: WorkloadFigures,
    pub edge_flood: super::flood::FloodCounts,
}

fn mbit(bytes_per_second: f64) -> f64 {
    bytes_per_second * 8.0 / 1_000_000.0
}

pub mod markdown;
mod plot;

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(at: f64, seq: Option<u32>) -> FrameSeen {
        FrameSeen { at, seq }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Spread::of((1..=100).map(f64::from).collect());
        assert_eq!((s.p50, s.p95, s.p99, s.samples), (50.0, 95.0, 99.0, 100));
        assert_eq!(Spread::of(vec![]).samples, 0);
    }

    #[test]
    fn a_change_counts_until_the_first_frame_showing_it_or_a_later_one() {
        let marks = [(1, 100.0), (2, 110.0), (3, 120.0), (4, 200.0)];
        // Frame without probe, then seq 1, then seq 3 (2 was coalesced into it), and no frame for 4.
        let frames = [frame(105.0, None), frame(130.0, Some(1)), frame(150.0, Some(3))];
        let (latencies, unseen) = glass_to_glass(&marks, &frames);
        assert_eq!(latencies, vec![30.0, 40.0, 30.0]);
        assert_eq!(unseen, 1);
    }
}
