//! Whether this node takes another session, decided without I/O or a clock of its own: while
//! the replicas cannot keep the sessions they have within the latency budget, a new session is
//! refused as busy (the customer's widget says so, `/metrics` counts it), so that the sessions
//! already live do not all slow down together. The measure is what the node adds to each
//! change: from the customer's events reaching the replica to the frame showing them arriving
//! from Chromium, over the last [`WINDOW`], at its 95th percentile. A new page's first
//! frame does not count: loading a page takes what it takes on any node.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How far back the node's recent changes are judged.
pub const WINDOW: Duration = Duration::from_secs(10);
/// Fewer changes than this in the window say nothing about the node: it admits (a few slow
/// changes of one session are that session's pages, not a node out of breath).
pub const MIN_CHANGES: usize = 20;
/// Once busy, the node admits again only when its p95 is back under this share of the budget,
/// so it does not flap on the edge.
const RECOVER_SHARE: f64 = 0.8;

/// The node's recent changes and whether it is busy.
#[derive(Debug, Clone)]
pub struct Admission {
    /// The p95 of a change's time in the node above which it is busy.
    budget: Duration,
    /// (when, how long) of each recent change.
    recent: VecDeque<(Instant, Duration)>,
    busy: bool,
}

impl Admission {
    /// A node whose changes may take `budget` at the 95th percentile.
    pub fn new(budget: Duration) -> Admission {
        Admission { budget, recent: VecDeque::new(), busy: false }
    }

    /// A change took `took` in the node, its frame arriving at `now`.
    pub fn observe(&mut self, now: Instant, took: Duration) {
        self.recent.push_back((now, took));
        self.forget(now);
        // A burst of many sessions' frames: enough to judge by, bounded either way.
        while self.recent.len() > 4096 {
            self.recent.pop_front();
        }
    }

    fn forget(&mut self, now: Instant) {
        while self.recent.front().is_some_and(|(at, _)| now.saturating_duration_since(*at) > WINDOW) {
            self.recent.pop_front();
        }
    }

    /// The 95th percentile of the recent changes, if there are enough to judge by.
    pub fn p95(&mut self, now: Instant) -> Option<Duration> {
        self.forget(now);
        if self.recent.len() < MIN_CHANGES {
            return None;
        }
        let mut times: Vec<Duration> = self.recent.iter().map(|(_, took)| *took).collect();
        times.sort();
        let rank = ((times.len() as f64 * 0.95).ceil() as usize).clamp(1, times.len());
        Some(times[rank - 1])
    }

    /// Whether the node takes a new session now.
    pub fn admits(&mut self, now: Instant) -> bool {
        let p95 = self.p95(now);
        self.busy = match p95 {
            None => false,
            Some(p95) if self.busy => p95 > self.budget.mul_f64(RECOVER_SHARE),
            Some(p95) => p95 > self.budget,
        };
        !self.busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn the_node_is_busy_while_its_recent_p95_is_over_budget() {
        let t0 = Instant::now();
        // (seconds after t0, changes seen then, each taking ms) → admits
        let table: &[(u64, usize, u64, bool)] = &[
            (0, 0, 0, true),     // nothing seen: admits
            (1, 19, 400, true),  // slow changes, but too few to judge by
            (1, 1, 400, false),  // the twentieth: busy
            (2, 2, 50, false),   // the p95 is still the slow ones
            (12, 0, 0, true),    // they left the window: nothing to judge, admits
            (13, 20, 150, true), // twenty within budget
            (14, 1, 900, true),  // one slow change among them
            (15, 2, 900, false), // three of 23: over the 95th percentile
        ];
        let mut admission = Admission::new(MS(200));
        for (i, &(at, count, took, admits)) in table.iter().enumerate() {
            let now = t0 + Duration::from_secs(at);
            for _ in 0..count {
                admission.observe(now, MS(took));
            }
            assert_eq!(admission.admits(now), admits, "row {i}: {:?}", table[i]);
        }
    }

    #[test]
    fn a_busy_node_admits_again_only_well_under_budget() {
        let t0 = Instant::now();
        let mut admission = Admission::new(MS(200));
        for _ in 0..MIN_CHANGES {
            admission.observe(t0, MS(300));
        }
        assert!(!admission.admits(t0));
        // Ten seconds later the slow ones are gone; changes just under budget do not end it...
        let later = t0 + WINDOW + MS(1);
        for _ in 0..MIN_CHANGES {
            admission.observe(later, MS(190));
        }
        assert!(!admission.admits(later), "190 ms is over 80% of 200 ms");
        // ...changes well under it do.
        let much_later = later + WINDOW + MS(1);
        for _ in 0..MIN_CHANGES {
            admission.observe(much_later, MS(120));
        }
        assert!(admission.admits(much_later));
        // And a fresh node goes busy only past the budget itself.
        let mut fresh = Admission::new(MS(200));
        for _ in 0..MIN_CHANGES {
            fresh.observe(t0, MS(190));
        }
        assert!(fresh.admits(t0));
    }
}
