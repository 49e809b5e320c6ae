//! The replica's memory budget: how much heap one customer's page may take in the shared
//! Chromium, and when to look.
//!
//! Elements are counted as they arrive (web/replica/replica.js) and canvas pictures within
//! their own budget (web/replica/looks.js); what else a page can grow (long texts, many
//! attributes, styles) shows in its heaps, which Chromium reports per page: script objects,
//! the rebuilt DOM (Blink's garbage-collected heap) and array buffers. A page over budget is
//! given up for a notice until the customer opens another.

use std::time::Duration;

use tokio::time::Instant;

/// Heap one replica page may hold unless the deployment says otherwise (`--replica-memory`).
pub const DEFAULT_BUDGET: u64 = 512 << 20;

/// Heaps are read at most this often while changes arrive (a CDP call of about a millisecond).
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// A frame's changes of this many bytes of events or more are looked at straight away: a page
/// grows most by its full snapshots and big insertions.
pub const LARGE_CHANGE: usize = 1 << 20;

/// What one look at a replica page's heaps found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeapUsage {
    /// Script objects in use.
    pub script: u64,
    /// Blink's garbage-collected heap: the DOM and what hangs off it.
    pub dom: u64,
    /// Array buffers and strings kept outside the script heap.
    pub buffers: u64,
}

impl HeapUsage {
    pub fn total(&self) -> u64 {
        self.script.saturating_add(self.dom).saturating_add(self.buffers)
    }
}

/// Decides when a session's replica page is looked at and whether it is over budget.
#[derive(Debug, Clone)]
pub struct MemoryWatch {
    budget: u64,
    last_look: Option<Instant>,
}

impl MemoryWatch {
    pub fn new(budget: u64) -> MemoryWatch {
        MemoryWatch { budget, last_look: None }
    }

    /// Whether to look now, after `bytes` of events were applied: after a large change always,
    /// otherwise once per [`CHECK_EVERY`].
    pub fn due(&mut self, now: Instant, bytes: usize) -> bool {
        let due = bytes >= LARGE_CHANGE || self.last_look.is_none_or(|at| now.duration_since(at) >= CHECK_EVERY);
        if due {
            self.last_look = Some(now);
        }
        due
    }

    /// Whether a page holding `usage` must be given up.
    pub fn over(&self, usage: HeapUsage) -> bool {
        usage.total() > self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_after_a_large_change_and_otherwise_once_a_second() {
        let start = Instant::now();
        let ms = |n| start + Duration::from_millis(n);
        let mut watch = MemoryWatch::new(DEFAULT_BUDGET);
        // (when changes were applied, their bytes, looked)
        let table = [
            (0, 200, true),
            (300, 5_000, false),
            (600, LARGE_CHANGE, true),
            (1_200, LARGE_CHANGE - 1, false),
            (1_600, 10, true),
            (2_599, 10, false),
            (2_600, 10, true),
            (2_601, 8 << 20, true),
        ];
        for (at, bytes, looked) in table {
            assert_eq!(watch.due(ms(at), bytes), looked, "at {at} ms, {bytes} bytes");
        }
    }

    #[test]
    fn a_page_is_over_budget_only_past_it_counting_every_heap() {
        let watch = MemoryWatch::new(100);
        let usage = |script, dom, buffers| HeapUsage { script, dom, buffers };
        let table = [
            (usage(0, 0, 0), false),
            (usage(100, 0, 0), false),
            (usage(40, 40, 20), false),
            (usage(40, 40, 21), true),
            (usage(0, 101, 0), true),
            (usage(u64::MAX, u64::MAX, 0), true),
        ];
        for (usage, over) in table {
            assert_eq!(watch.over(usage), over, "{usage:?}");
        }
    }
}
