//! Limits failed joins per agent and per source address, so session IDs cannot be found by
//! guessing from many addresses with one token, or from one address with many tokens. An
//! agent's own failures are held to [`MAX_FAILURES`]; an address's to a ceiling many agents
//! high, since a contact center's agents often share one (a NAT, a proxy).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed joins allowed per agent within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
/// Failed joins allowed per source address within [`WINDOW`]: ten agents' worth.
pub const MAX_ADDRESS_FAILURES: usize = 100;
/// The sliding window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Recent failed joins by who made them (`addr:...` or `agent:...`).
#[derive(Default)]
pub struct JoinLimit {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl JoinLimit {
    /// Whether `who` may try to join now, allowed `max` failures in the window.
    pub fn allows(&self, who: &str, now: Instant, max: usize) -> bool {
        let mut failures = self.failures.lock().unwrap();
        match failures.get_mut(who) {
            Some(times) => {
                forget_old(times, now);
                times.len() < max
            }
            None => true,
        }
    }

    /// Counts a failed join by `who`.
    pub fn failed(&self, who: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap();
        // Keep the map small: addresses whose failures all aged out are dropped.
        failures.retain(|_, times| {
            forget_old(times, now);
            !times.is_empty()
        });
        failures.entry(who.to_string()).or_default().push_back(now);
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_a_minute_then_refused_until_they_age_out() {
        let limit = JoinLimit::default();
        let (a, b) = ("addr:10.0.0.1", "agent:a-2");
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(limit.allows(a, start, MAX_FAILURES), "attempt {i}");
            limit.failed(a, start + Duration::from_secs(i as u64));
        }
        assert!(!limit.allows(a, start + Duration::from_secs(30), MAX_FAILURES));
        assert!(limit.allows(b, start + Duration::from_secs(30), MAX_FAILURES), "other addresses are not affected");
        assert!(limit.allows(a, start + WINDOW + Duration::from_secs(1), MAX_FAILURES), "the oldest failure aged out");
    }
}
