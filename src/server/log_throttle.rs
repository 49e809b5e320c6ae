//! How often one connection's repeated complaints reach the log: a client sending garbage in a
//! loop must not be able to fill the disk (a 7-byte bad frame wrote 250 bytes of log, each
//! time). The first is logged, then at most one per [`EVERY`], saying how many were held back.

use std::time::{Duration, Instant};

/// At most one line per connection this often, after the first.
pub const EVERY: Duration = Duration::from_secs(60);

/// One connection's log allowance for one kind of complaint.
#[derive(Debug, Default)]
pub struct LogThrottle {
    last: Option<Instant>,
    held_back: u64,
}

impl LogThrottle {
    /// Whether to log a complaint now; if so, how many were held back since the last line.
    pub fn allow(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < EVERY => {
                self.held_back += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.held_back))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_complaint_is_logged_then_one_a_minute_with_the_count_held_back() {
        let start = Instant::now();
        let mut throttle = LogThrottle::default();
        let table = [
            // seconds after the start, logged (with how many were held back)
            (0, Some(0)),
            (0, None),
            (1, None),
            (59, None),
            (60, Some(3)),
            (61, None),
            (200, Some(1)),
            (201, None),
            (261, Some(1)),
        ];
        for (at, logged) in table {
            assert_eq!(throttle.allow(start + Duration::from_secs(at)), logged, "at {at} s");
        }
    }
}
