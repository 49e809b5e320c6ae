//! The server's counters and latency histograms, served at `/metrics` in Prometheus text format.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

use crate::wire::Mode;

/// Upper bounds of the latency histograms' buckets, in seconds.
const BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

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

/// Everything `/metrics` reports, in one registry of this server's own (tests run several
/// servers in one process). Live sessions and masking defects are read when served.
pub struct Metrics {
    registry: Registry,
    /// Sessions created.
    pub sessions_started: IntCounter,
    /// Agents (and supervisors) that joined a session.
    pub joins: IntCounter,
    /// Joins refused: wrong or dead ID, busy session, rate limit.
    pub joins_refused: IntCounter,
    /// New sessions refused because the node was busy (its live sessions over the latency
    /// budget), full (at its most sessions) or unable to run replicas (Chromium not installed).
    pub starts_refused_busy: IntCounter,
    pub starts_refused_full: IntCounter,
    pub starts_refused_unavailable: IntCounter,
    /// Connections refused for a missing, expired or forged token.
    pub unauthorized: IntCounter,
    /// Mode changes to pointer and to write mode.
    pub to_pointer: IntCounter,
    pub to_write: IntCounter,
    /// Agent actions and requests refused (pointer mode, the profile's filter, rate limit).
    pub actions_refused: IntCounter,
    /// Frames and bytes sent to agents.
    pub frames_sent: IntCounter,
    pub bytes_sent: IntCounter,
    /// Replica pages rebuilt after a crash or hang.
    pub replica_restarts: IntCounter,
    /// Sessions handed from one agent to another.
    pub transfers: IntCounter,
    /// Webhook deliveries that failed for good after their retries.
    pub webhooks_failed: IntCounter,
    /// From an agent's join to the first frame sent to it, in seconds.
    pub join_to_first_frame: Histogram,
    /// Turning one replica frame into an agent's tile update, in seconds.
    pub frame_encode: Histogram,
    /// Refusals and closed connections, by [`Limit`].
    limits: IntCounterVec,
    sessions_live: IntGauge,
    masking_defects: IntCounter,
    /// Two scrapes at once must not both add the same masking defects.
    serving: std::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let registry = Registry::new();
        // Names and help are fixed here, so registering cannot fail but by a typo a test catches.
        let counter = |name: &str, help: &str| {
            let counter = IntCounter::new(name, help).expect("a valid counter");
            registry.register(Box::new(counter.clone())).expect("registered once");
            counter
        };
        let labelled = |name: &str, help: &str, label: &str| {
            let family = IntCounterVec::new(Opts::new(name, help), &[label]).expect("a valid counter family");
            registry.register(Box::new(family.clone())).expect("registered once");
            family
        };
        let histogram = |name: &str, help: &str| {
            let histogram = Histogram::with_opts(HistogramOpts::new(name, help).buckets(BUCKETS.to_vec()))
                .expect("a valid histogram");
            registry.register(Box::new(histogram.clone())).expect("registered once");
            histogram
        };
        let sessions_live =
            IntGauge::new("cobrowse_sessions_live", "Co-browse sessions currently live.").expect("a valid gauge");
        registry.register(Box::new(sessions_live.clone())).expect("registered once");
        let starts_refused = labelled(
            "cobrowse_starts_refused_total",
            "New sessions refused by this node: busy (its sessions over the latency budget), full, or unavailable (no Chromium).",
            "reason",
        );
        let mode_changes = labelled("cobrowse_mode_changes_total", "Changes of the agent's mode.", "mode");
        let limits = labelled(
            "cobrowse_limit_refusals_total",
            "Refusals and closed connections by the limit a client ran into.",
            "limit",
        );
        // Every label's series is there from the start, at 0, for dashboards and alerts.
        for limit in Limit::ALL {
            limits.with_label_values(&[limit.name()]);
        }
        Metrics {
            sessions_started: counter("cobrowse_sessions_started_total", "Co-browse sessions created."),
            joins: counter("cobrowse_joins_total", "Agents and supervisors that joined a session."),
            joins_refused: counter(
                "cobrowse_joins_refused_total",
                "Joins refused (unknown or ended ID, agent present, rate limit).",
            ),
            starts_refused_busy: starts_refused.with_label_values(&["busy"]),
            starts_refused_full: starts_refused.with_label_values(&["full"]),
            starts_refused_unavailable: starts_refused.with_label_values(&["unavailable"]),
            unauthorized: counter(
                "cobrowse_unauthorized_total",
                "Requests refused for a missing, expired or forged token.",
            ),
            to_pointer: mode_changes.with_label_values(&["pointer"]),
            to_write: mode_changes.with_label_values(&["write"]),
            actions_refused: counter("cobrowse_actions_refused_total", "Agent actions and requests refused."),
            frames_sent: counter("cobrowse_frames_sent_total", "Frame updates sent to agents."),
            bytes_sent: counter("cobrowse_bytes_sent_total", "Bytes of frame updates sent to agents."),
            replica_restarts: counter(
                "cobrowse_replica_restarts_total",
                "Replica pages rebuilt after a crash or hang.",
            ),
            transfers: counter("cobrowse_transfers_total", "Sessions transferred from one agent to another."),
            webhooks_failed: counter(
                "cobrowse_webhooks_failed_total",
                "Webhook deliveries given up after their retries.",
            ),
            masking_defects: counter(
                "cobrowse_masking_defects_total",
                "Masked values that arrived unmasked from a customer's browser and were masked by the replica.",
            ),
            join_to_first_frame: histogram(
                "cobrowse_join_to_first_frame_seconds",
                "From an agent's join to the first frame sent to it.",
            ),
            frame_encode: histogram("cobrowse_frame_encode_seconds", "Turning a replica frame into an agent's update."),
            limits,
            sessions_live,
            serving: std::sync::Mutex::new(()),
            registry,
        }
    }
}

impl Metrics {
    pub fn mode_changed(&self, mode: Mode) {
        match mode {
            Mode::Pointer => self.to_pointer.inc(),
            Mode::Write => self.to_write.inc(),
        }
    }

    /// A client ran into `limit`.
    pub fn limit_hit(&self, limit: Limit) {
        self.limits.with_label_values(&[limit.name()]).inc();
    }

    /// An agent's request or action was refused (the code goes to the agent and the log).
    pub fn refused(&self) {
        self.actions_refused.inc();
    }

    /// The text `/metrics` answers with, given what other parts of the server count.
    pub fn render(&self, live_sessions: usize, masking_defects: u64) -> String {
        let _one_at_a_time = self.serving.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.sessions_live.set(live_sessions as i64);
        // The replicas count masking defects process-wide; the counter follows that total.
        let behind = masking_defects.saturating_sub(self.masking_defects.get());
        self.masking_defects.inc_by(behind);
        TextEncoder::new().encode_to_string(&self.registry.gather()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_count_everything() {
        let metrics = Metrics::default();
        for ms in [5, 20, 20, 700, 30_000] {
            metrics.join_to_first_frame.observe(ms as f64 / 1000.0);
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

    /// Dashboards and alerts are built on these names and labels: they stay.
    #[test]
    fn the_series_dashboards_rely_on_are_all_there() {
        let metrics = Metrics::default();
        metrics.limit_hit(Limit::PageMemory);
        metrics.starts_refused_unavailable.inc();
        let text = metrics.render(2, 7);
        let mut families: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
        families.sort();
        assert_eq!(
            families,
            [
                "cobrowse_actions_refused_total counter",
                "cobrowse_bytes_sent_total counter",
                "cobrowse_frame_encode_seconds histogram",
                "cobrowse_frames_sent_total counter",
                "cobrowse_join_to_first_frame_seconds histogram",
                "cobrowse_joins_refused_total counter",
                "cobrowse_joins_total counter",
                "cobrowse_limit_refusals_total counter",
                "cobrowse_masking_defects_total counter",
                "cobrowse_mode_changes_total counter",
                "cobrowse_replica_restarts_total counter",
                "cobrowse_sessions_live gauge",
                "cobrowse_sessions_started_total counter",
                "cobrowse_starts_refused_total counter",
                "cobrowse_transfers_total counter",
                "cobrowse_unauthorized_total counter",
                "cobrowse_webhooks_failed_total counter",
            ]
        );
        for line in [
            "cobrowse_sessions_live 2",
            "cobrowse_masking_defects_total 7",
            "cobrowse_limit_refusals_total{limit=\"page_memory\"} 1",
            "cobrowse_limit_refusals_total{limit=\"header_timeout\"} 0",
            "cobrowse_starts_refused_total{reason=\"unavailable\"} 1",
            "cobrowse_starts_refused_total{reason=\"busy\"} 0",
            "cobrowse_mode_changes_total{mode=\"write\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
        }
        // Served again, a total read from elsewhere is not added twice.
        assert!(metrics.render(2, 7).lines().any(|l| l == "cobrowse_masking_defects_total 7"));
    }
}
