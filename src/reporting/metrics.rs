//! The server's counters and latency histograms, served at `/metrics` in Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::wire::Mode;

/// Upper bounds of the latency histograms' buckets, in seconds.
const BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A Prometheus histogram of durations.
#[derive(Default)]
pub struct Histogram {
    /// Observations at or below each bound of [`BUCKETS`] (not cumulative; summed when served).
    buckets: [AtomicU64; BUCKETS.len()],
    /// Observations above the last bound.
    over: AtomicU64,
    /// Sum of all observations, in microseconds.
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        match BUCKETS.iter().position(|bound| seconds <= *bound) {
            Some(i) => self.buckets[i].fetch_add(1, Relaxed),
            None => self.over.fetch_add(1, Relaxed),
        };
        self.sum_us.fetch_add(took.as_micros() as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut count = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            count += n.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        count += self.over.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_us.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// The limits that protect the server from one client; each refusal is counted by its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    ConnectionsPerAddress,
    HeaderTimeout,
    IdleTimeout,
    SessionsPerAddress,
    StartsPerAddress,
    StartsPerSite,
    MessageSize,
    BytesPerSecond,
    PageNodes,
    PageMemory,
}

impl Limit {
    pub const ALL: [Limit; 10] = [
        Limit::ConnectionsPerAddress,
        Limit::HeaderTimeout,
        Limit::IdleTimeout,
        Limit::SessionsPerAddress,
        Limit::StartsPerAddress,
        Limit::StartsPerSite,
        Limit::MessageSize,
        Limit::BytesPerSecond,
        Limit::PageNodes,
        Limit::PageMemory,
    ];

    /// Its label in `/metrics`.
    pub fn name(self) -> &'static str {
        match self {
            Limit::ConnectionsPerAddress => "connections_per_address",
            Limit::HeaderTimeout => "header_timeout",
            Limit::IdleTimeout => "idle_timeout",
            Limit::SessionsPerAddress => "sessions_per_address",
            Limit::StartsPerAddress => "starts_per_address",
            Limit::StartsPerSite => "starts_per_site",
            Limit::MessageSize => "message_size",
            Limit::BytesPerSecond => "bytes_per_second",
            Limit::PageNodes => "page_nodes",
            Limit::PageMemory => "page_memory",
        }
    }
}

/// Everything `/metrics` reports besides live sessions (which the registry knows).
#[derive(Default)]
pub struct Metrics {
    /// Sessions created.
    pub sessions_started: AtomicU64,
    /// Agents (and supervisors) that joined a session.
    pub joins: AtomicU64,
    /// Joins refused: wrong or dead ID, busy session, rate limit.
    pub joins_refused: AtomicU64,
    /// New sessions refused because the node was busy (its live sessions over the latency
    /// budget), full (at its most sessions) or unable to run replicas (Chromium not installed).
    pub starts_refused_busy: AtomicU64,
    pub starts_refused_full: AtomicU64,
    pub starts_refused_unavailable: AtomicU64,
    /// Connections refused for a missing, expired or forged token.
    pub unauthorized: AtomicU64,
    /// Mode changes to pointer and to write mode.
    pub to_pointer: AtomicU64,
    pub to_write: AtomicU64,
    /// Agent actions and requests refused (pointer mode, the profile's filter, rate limit).
    pub actions_refused: AtomicU64,
    /// Frames and bytes sent to agents.
    pub frames_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    /// Replica pages rebuilt after a crash or hang.
    pub replica_restarts: AtomicU64,
    /// Sessions handed from one agent to another.
    pub transfers: AtomicU64,
    /// Webhook deliveries that failed for good after their retries.
    pub webhooks_failed: AtomicU64,
    /// From an agent's join to the first frame sent to it.
    pub join_to_first_frame: Histogram,
    /// Turning one replica frame into an agent's tile update.
    pub frame_encode: Histogram,
    /// Refusals and closed connections, by [`Limit`] (in the order of [`Limit::ALL`]).
    limits: [AtomicU64; Limit::ALL.len()],
}

impl Metrics {
    pub fn mode_changed(&self, mode: Mode) {
        match mode {
            Mode::Pointer => self.to_pointer.fetch_add(1, Relaxed),
            Mode::Write => self.to_write.fetch_add(1, Relaxed),
        };
    }

    /// A client ran into `limit`.
    pub fn limit_hit(&self, limit: Limit) {
        self.limits[limit as usize].fetch_add(1, Relaxed);
    }

    /// An agent's request or action was refused (the code goes to the agent and the log).
    pub fn refused(&self) {
        self.actions_refused.fetch_add(1, Relaxed);
    }

    /// The text `/metrics` answers with.
    pub fn render(&self, live_sessions: usize, masking_defects: u64) -> String {
        let mut out = String::new();
        let out_ = &mut out;
        let mut line = |name: &str, kind: &str, help: &str, value: String| series(out_, name, kind, help, value);
        let n = |counter: &AtomicU64| counter.load(Relaxed).to_string();
        line("cobrowse_sessions_live", "gauge", "Co-browse sessions currently live.", live_sessions.to_string());
        line("cobrowse_sessions_started_total", "counter", "Co-browse sessions created.", n(&self.sessions_started));
        line("cobrowse_joins_total", "counter", "Agents and supervisors that joined a session.", n(&self.joins));
        line(
            "cobrowse_joins_refused_total",
            "counter",
            "Joins refused (unknown or ended ID, agent present, rate limit).",
            n(&self.joins_refused),
        );
        line(
            "cobrowse_starts_refused_total",
            "counter",
            "New sessions refused by this node: busy (its sessions over the latency budget), full, or unavailable (no Chromium).",
            format!(
                "{{reason=\"busy\"}} {}\ncobrowse_starts_refused_total{{reason=\"full\"}} {}\ncobrowse_starts_refused_total{{reason=\"unavailable\"}} {}",
                n(&self.starts_refused_busy),
                n(&self.starts_refused_full),
                n(&self.starts_refused_unavailable)
            ),
        );
        line(
            "cobrowse_unauthorized_total",
            "counter",
            "Requests refused for a missing, expired or forged token.",
            n(&self.unauthorized),
        );
        line(
            "cobrowse_mode_changes_total",
            "counter",
            "Changes of the agent's mode.",
            format!(
                "{{mode=\"pointer\"}} {}\ncobrowse_mode_changes_total{{mode=\"write\"}} {}",
                n(&self.to_pointer),
                n(&self.to_write)
            ),
        );
        line(
            "cobrowse_actions_refused_total",
            "counter",
            "Agent actions and requests refused.",
            n(&self.actions_refused),
        );
        line("cobrowse_frames_sent_total", "counter", "Frame updates sent to agents.", n(&self.frames_sent));
        line("cobrowse_bytes_sent_total", "counter", "Bytes of frame updates sent to agents.", n(&self.bytes_sent));
        line(
            "cobrowse_replica_restarts_total",
            "counter",
            "Replica pages rebuilt after a crash or hang.",
            n(&self.replica_restarts),
        );
        line(
            "cobrowse_transfers_total",
            "counter",
            "Sessions transferred from one agent to another.",
            n(&self.transfers),
        );
        line(
            "cobrowse_webhooks_failed_total",
            "counter",
            "Webhook deliveries given up after their retries.",
            n(&self.webhooks_failed),
        );
        line(
            "cobrowse_masking_defects_total",
            "counter",
            "Masked values that arrived unmasked from a customer's browser and were masked by the replica.",
            masking_defects.to_string(),
        );
        let _ = writeln!(
            out,
            "# HELP cobrowse_limit_refusals_total Refusals and closed connections by the limit a client ran into.\n# TYPE cobrowse_limit_refusals_total counter"
        );
        for limit in Limit::ALL {
            let _ = writeln!(
                out,
                "cobrowse_limit_refusals_total{{limit=\"{}\"}} {}",
                limit.name(),
                n(&self.limits[limit as usize])
            );
        }
        self.join_to_first_frame.render(
            &mut out,
            "cobrowse_join_to_first_frame_seconds",
            "From an agent's join to the first frame sent to it.",
        );
        self.frame_encode.render(
            &mut out,
            "cobrowse_frame_encode_seconds",
            "Turning a replica frame into an agent's update.",
        );
        out
    }
}

/// One series with its HELP and TYPE lines; `value` may start with labels.
fn series(out: &mut String, name: &str, kind: &str, help: &str, value: String) {
    let gap = if value.starts_with('{') { "" } else { " " };
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{gap}{value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_count_everything() {
        let metrics = Metrics::default();
        for ms in [5, 20, 20, 700, 30_000] {
            metrics.join_to_first_frame.observe(Duration::from_millis(ms));
        }
        let text = metrics.render(3, 0);
        assert!(text.contains("cobrowse_sessions_live 3\n"), "{text}");
        assert!(text.contains("cobrowse_join_to_first_frame_seconds_bucket{le=\"0.01\"} 1\n"), "{text}");
        assert!(text.contains("cobrowse_join_to_first_frame_seconds_bucket{le=\"0.025\"} 3\n"), "{text}");
        assert!(text.contains("cobrowse_join_to_first_frame_seconds_bucket{le=\"1\"} 4\n"), "{text}");
        assert!(text.contains("cobrowse_join_to_first_frame_seconds_bucket{le=\"+Inf\"} 5\n"), "{text}");
        assert!(text.contains("cobrowse_join_to_first_frame_seconds_count 5\n"), "{text}");
        assert!(text.contains("cobrowse_join_to_first_frame_seconds_sum 30.745\n"), "{text}");
    }

    #[test]
    fn every_series_has_help_and_type() {
        let text = Metrics::default().render(0, 0);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            let family = name.trim_end_matches("_bucket").trim_end_matches("_sum").trim_end_matches("_count");
            assert!(text.contains(&format!("# TYPE {family} ")), "{family} has no TYPE");
        }
    }
}
