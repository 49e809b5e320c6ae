//! One budget of captured pixels per second for every replica page: each frame Chromium
//! captures costs CPU in proportion to its pixels, and all sessions share the machine. Frames
//! take turns (first come, first served) so that many busy sessions slow each other's frame
//! rate evenly instead of starving the replicas' event handling.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Pixels per second per CPU core the replicas may capture: about 20 frames a second of a
/// 1280×800 window, some 40% of a core of Chromium's time. Chromium has more to do than
/// capture (replaying changes, loading pages), and a frame budget above what the machine can
/// render only moves the queue from here, where changes merge, into Chromium, where every
/// call then waits (see `README.md`, Performance).
const PIXELS_PER_CORE_SECOND: f64 = 40_000_000.0;
/// Unused budget is kept this long, so a quiet session's first frames go out at once.
const BURST: Duration = Duration::from_millis(200);

/// The shared budget: a virtual clock of when the next frame may be captured.
#[derive(Debug)]
pub struct FramePacer {
    /// Pixels per second.
    rate: f64,
    /// The budget's clock: when the next frame's turn starts.
    next: Mutex<Instant>,
}

impl FramePacer {
    /// A budget sized to this machine's cores.
    pub fn for_this_machine() -> FramePacer {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        FramePacer::new(PIXELS_PER_CORE_SECOND * cores as f64)
    }

    /// A budget of `rate` pixels per second.
    pub fn new(rate: f64) -> FramePacer {
        FramePacer { rate, next: Mutex::new(Instant::now()) }
    }

    /// When a frame of `pixels` may be captured (now or later), charged to the budget.
    pub fn reserve(&self, pixels: u64, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let floor = now.checked_sub(BURST).unwrap_or(now);
        let start = (*next).max(floor);
        *next = start + Duration::from_secs_f64(pixels as f64 / self.rate);
        start.max(now)
    }

    /// Charges a frame of `pixels` to the budget only if nobody waits for it now: for frames
    /// that can be skipped (an animation's next step), which must not delay others' changes.
    pub fn reserve_if_spare(&self, pixels: u64, now: Instant) -> bool {
        let mut next = self.next.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if *next > now {
            return false;
        }
        let floor = now.checked_sub(BURST).unwrap_or(now);
        *next = (*next).max(floor) + Duration::from_secs_f64(pixels as f64 / self.rate);
        true
    }

    /// Waits for a frame's turn.
    pub async fn take(&self, pixels: u64) {
        let at = self.reserve(pixels, Instant::now());
        tokio::time::sleep_until(at.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_take_turns_once_the_burst_is_spent() {
        let pacer = FramePacer::new(1_000_000.0);
        let now = Instant::now() + Duration::from_secs(1);
        // 200 ms of budget is banked: two 100 ms frames go at once, the next ones wait their turn.
        let starts: Vec<Duration> =
            (0..4).map(|_| pacer.reserve(100_000, now).saturating_duration_since(now)).collect();
        assert_eq!(starts, [0, 0, 0, 100].map(Duration::from_millis));
    }

    #[test]
    fn spare_frames_go_only_while_nobody_waits() {
        let pacer = FramePacer::new(1_000_000.0);
        let now = Instant::now() + Duration::from_secs(1);
        // The burst is spare: two 100 ms frames of it, and a third that uses up to now; a
        // fourth would have to wait.
        assert!(pacer.reserve_if_spare(100_000, now));
        assert!(pacer.reserve_if_spare(100_000, now));
        assert!(pacer.reserve_if_spare(100_000, now));
        assert!(!pacer.reserve_if_spare(100_000, now));
        // A frame that must go waits its turn behind them; a spare one is refused until then.
        assert_eq!(pacer.reserve(100_000, now).saturating_duration_since(now), Duration::from_millis(100));
        assert!(!pacer.reserve_if_spare(100_000, now + Duration::from_millis(150)));
        assert!(pacer.reserve_if_spare(100_000, now + Duration::from_millis(200)));
    }

    #[test]
    fn a_quiet_budget_does_not_bank_more_than_the_burst() {
        let pacer = FramePacer::new(1_000_000.0);
        let later = Instant::now() + Duration::from_secs(60);
        let starts: Vec<Duration> =
            (0..5).map(|_| pacer.reserve(100_000, later).saturating_duration_since(later)).collect();
        assert_eq!(starts, [0, 0, 0, 100, 200].map(Duration::from_millis));
    }
}
