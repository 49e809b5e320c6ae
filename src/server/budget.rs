//! One customer connection's budget of page events, in bytes per second with a burst: a page
//! that behaves never meets it, a flood is cut down to what the replica can take without
//! starving other sessions. Free of I/O and clocks.
//!
//! Sized from measured pages (every events message of the compatibility corpus and the demo
//! site's end-to-end tests, 1,460 messages over 272 s): half are under 200 bytes, 99% under
//! 350 KB, the largest (a corpus page's full snapshot) 1.75 MB; at most 1.8 MB arrived in any
//! second and 2.7 MB in any ten. A flood of 20 MB messages raised another session's
//! change-to-frame latency from 25 ms to 1.45 s.

use std::time::{Duration, Instant};

/// Bytes a connection may send at once: about seven page loads of the largest measured page.
pub const BURST_BYTES: f64 = 12.0 * 1024.0 * 1024.0;
/// Bytes a second after the burst: that page's load every two seconds, forever.
pub const BYTES_PER_SECOND: f64 = 1024.0 * 1024.0;

/// What to do with one events message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// Pass it on. `resync`: messages were refused before it, so the replica has missed changes
    /// and needs a fresh snapshot.
    Accepted { resync: bool },
    /// Drop it. `first`: the first of a run of refusals (tell the customer once, not per message).
    Refused { first: bool },
}

/// A token bucket of bytes.
#[derive(Debug)]
pub struct EventBudget {
    tokens: f64,
    last: Instant,
    refusing: bool,
}

impl EventBudget {
    pub fn new(now: Instant) -> EventBudget {
        EventBudget { tokens: BURST_BYTES, last: now, refusing: false }
    }

    /// Judges a message of `bytes` arriving at `now`.
    pub fn spend(&mut self, now: Instant, bytes: usize) -> Spend {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * BYTES_PER_SECOND).min(BURST_BYTES);
        let cost = bytes as f64;
        if cost > self.tokens {
            let first = !self.refusing;
            self.refusing = true;
            return Spend::Refused { first };
        }
        self.tokens -= cost;
        Spend::Accepted { resync: std::mem::take(&mut self.refusing) }
    }

    /// How long until a message of `bytes` would pass.
    pub fn wait_for(&self, bytes: usize) -> Duration {
        let missing = (bytes as f64 - self.tokens).max(0.0);
        Duration::from_secs_f64(missing / BYTES_PER_SECOND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: usize = 1024 * 1024;

    #[test]
    fn browsing_never_meets_the_budget_and_a_flood_is_cut_and_resynced() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut budget = EventBudget::new(start);
        // A page load of a large page (3 MB), then 40 KB a second for a minute, then another.
        assert_eq!(budget.spend(at(0), 3 * MB), Spend::Accepted { resync: false });
        for s in 1..60 {
            assert_eq!(budget.spend(at(s * 1000), 40 * 1024), Spend::Accepted { resync: false }, "second {s}");
        }
        assert_eq!(budget.spend(at(60_000), 3 * MB), Spend::Accepted { resync: false });

        // A flood: 5 MB messages every 100 ms. Two fit the burst, then refusals (told once).
        let mut budget = EventBudget::new(start);
        let table: &[(u64, usize, Spend)] = &[
            (0, 5 * MB, Spend::Accepted { resync: false }),
            (100, 5 * MB, Spend::Accepted { resync: false }),
            (200, 5 * MB, Spend::Refused { first: true }),
            (300, 5 * MB, Spend::Refused { first: false }),
            (400, 5 * MB, Spend::Refused { first: false }),
            // Quiet for a while: the bucket refills, and the first message through asks for a
            // fresh snapshot, since the refused ones never reached the replica.
            (8_000, 100, Spend::Accepted { resync: true }),
            (8_100, 100, Spend::Accepted { resync: false }),
        ];
        for &(ms, bytes, expected) in table {
            assert_eq!(budget.spend(at(ms), bytes), expected, "at {ms} ms");
        }
        assert!(budget.wait_for(20 * MB) > Duration::from_secs(5));
        assert_eq!(budget.wait_for(100), Duration::ZERO);
    }
}
