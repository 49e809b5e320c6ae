//! When a session's replica page may change, decided without I/O or a clock of its own: the
//! customer's changes wait for the session's turn in the machine's frame budget (at most one
//! frame per [`MIN_FRAME_INTERVAL`]), animations advance with those frames or on budget
//! nobody else needs, and a settling frame makes sure the last change shows. The driver
//! passes the time in, asks what is due and when to wake, and does the CDP calls.

use std::time::Duration;

use tokio::time::Instant;

use crate::replica::pacer::FramePacer;

/// Once the page has sent no frame and taken no change for this long, the agent's view is made
/// sure of: Chromium sends no frame for a change that paints nothing new, drops the frames a
/// page paints while three of its frames wait for their acks (a page whose stylesheets and
/// pictures load after a snapshot paints in several steps, and the last one went missing),
/// and keeps showing an old page until the new one's stylesheets are in. One more capture
/// of a quiet page costs the agent nothing: its tiles are unchanged.
pub(super) const SETTLE_AFTER: Duration = Duration::from_millis(300);
/// Where frames are drawn on demand, how often a frame is drawn to learn whether the page
/// repainted on its own (an image or font arriving, an animated picture): often while the
/// page has just changed or loaded, seldom once it has been quiet a while (every frame drawn
/// waits for every other page's: the headless shell draws one at a time).
pub(super) const LOOK_EVERY: Duration = Duration::from_millis(300);
pub(super) const LOOK_EVERY_QUIET: Duration = Duration::from_millis(2000);
/// A page this long past its last change is quiet.
pub(super) const QUIET_AFTER: Duration = Duration::from_secs(3);
/// The settling frame waits until no frame has arrived for this long.
pub(super) const SETTLE_QUIET: Duration = Duration::from_millis(100);
/// A settling frame that never came is asked for again this many times.
pub(super) const NUDGE_RETRIES: u32 = 2;
/// A session's page changes at most this often while an agent watches: 33 frames a second,
/// above the 30 that motion needs, and changes that come faster share a frame. More frames
/// only make each one later on a 2-core machine: Chromium spends about 25 ms of CPU on each.
pub(super) const MIN_FRAME_INTERVAL: Duration = Duration::from_millis(30);
/// While no agent watches, the customer's changes go to the page at most this often (three
/// pages of 20,000 elements changing ten times a second, unwatched, took another session's
/// glass-to-glass from 48 to 104 ms when applied as they came).
pub(super) const UNWATCHED_INTERVAL: Duration = Duration::from_millis(500);
/// Animations alone (no change from the customer) advance at most this often.
pub(super) const ANIMATION_INTERVAL: Duration = Duration::from_millis(30);
/// An animation step that found no spare budget tries again after this long.
pub(super) const ANIMATION_RETRY: Duration = Duration::from_millis(40);

/// What the driver should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Due {
    /// Apply the waiting changes (one frame).
    Apply,
    /// Advance the page's animations by a frame of their own.
    Tick,
    /// Look whether the agent's view shows the page as it is.
    Settle,
}

/// What arrived with the customer's latest change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    /// rrweb events: the page changes, so the frame is paid for in the machine's budget.
    Events,
    /// Only the customer's pointer moved: a frame only if it lands on a hover style, paid
    /// for when it arrives.
    Pointer,
    /// So much waits that it goes now, whatever the budget.
    Overflowing,
}

/// The newest frame, as the settling decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Newest {
    pub seq: u64,
    /// The page as of when the frame shows it.
    pub rendered: Instant,
    /// When it reached the server.
    pub arrived: Instant,
}

/// A settling frame asked for: when, and the newest frame then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Nudge {
    at: Instant,
    seq: u64,
    /// How many times in a row before this one no frame answered.
    unanswered: u32,
}

/// One session's frame schedule.
#[derive(Debug, Clone)]
pub(super) struct FrameSchedule {
    /// Whether an agent watches (frames are captured).
    streaming: bool,
    /// When the waiting changes are applied: the frame's turn, once it has one.
    frame_at: Option<Instant>,
    /// When the customer's changes last went to the page: they go at most once per
    /// [`MIN_FRAME_INTERVAL`] (an animation's own step does not count, so a change right
    /// after one need not wait).
    last_change: Instant,
    /// Whether the page has animations going (held, and advanced with each frame).
    animating: bool,
    /// When the animations next try to advance on their own, while any are going.
    tick_at: Option<Instant>,
    /// When to look whether the agent's view shows the page as it is.
    settle_at: Option<Instant>,
    /// The settling frame asked for last.
    nudged: Option<Nudge>,
}

impl FrameSchedule {
    /// A schedule for a page nobody watches yet, as of `now`.
    pub fn new(now: Instant) -> FrameSchedule {
        FrameSchedule {
            streaming: false,
            frame_at: None,
            last_change: now,
            animating: false,
            tick_at: None,
            settle_at: None,
            nudged: None,
        }
    }

    /// Whether an agent watches.
    pub fn streaming(&self) -> bool {
        self.streaming
    }

    /// What is due at `now`, most urgent first: the waiting changes, then animations (which
    /// the changes' frame advances anyway), then the settling look.
    pub fn due(&self, now: Instant) -> Option<Due> {
        let reached = |at: Option<Instant>| at.is_some_and(|at| at <= now);
        if reached(self.frame_at) {
            Some(Due::Apply)
        } else if self.frame_at.is_none() && reached(self.tick_at) {
            Some(Due::Tick)
        } else if reached(self.settle_at) {
            Some(Due::Settle)
        } else {
            None
        }
    }

    /// When something next falls due, if anything will.
    pub fn next_wake(&self) -> Option<Instant> {
        let tick = self.tick_at.filter(|_| self.frame_at.is_none());
        [self.frame_at, tick, self.settle_at].into_iter().flatten().min()
    }

    /// A change is waiting: gives it a frame now if too much waits, within
    /// [`UNWATCHED_INTERVAL`] if nobody watches, otherwise at the session's next turn in
    /// `pacer` for a frame of `pixels`. Returns whether the changes must go at once, before
    /// anything else is looked at.
    pub fn on_change(&mut self, now: Instant, change: Change, pacer: &FramePacer, pixels: u64) -> bool {
        if change == Change::Overflowing {
            self.frame_at = Some(now);
            return true;
        }
        if self.frame_at.is_some() {
            return false;
        }
        if !self.streaming {
            // Nobody sees the page: its changes go in fewer, bigger batches, each costing one
            // layout and paint, so pages changing all the time before an agent joins leave the
            // machine to the sessions being watched. An agent joining gets them at once.
            self.frame_at = Some(now.max(self.last_change + UNWATCHED_INTERVAL));
            return false;
        }
        let earliest = now.max(self.last_change + MIN_FRAME_INTERVAL);
        let turn = match change {
            Change::Events => Instant::from_std(pacer.reserve(pixels, now.into_std())),
            _ => now,
        };
        self.frame_at = Some(earliest.max(turn));
        false
    }

    /// The waiting changes go to the page, starting at `started`: the next ones wait their
    /// interval from here, however long the call takes.
    pub fn applying(&mut self, started: Instant) {
        self.frame_at = None;
        self.last_change = started;
    }

    /// The frame's turn came with nothing waiting: it is given back.
    pub fn applying_nothing(&mut self) {
        self.frame_at = None;
    }

    /// The waiting changes are in (at `now`, their frame begun at `began`); `changed_page`
    /// when they held events, and whether the page has animations going.
    pub fn applied(&mut self, now: Instant, began: Instant, changed_page: bool, animating: bool) {
        if changed_page {
            self.settle_at = Some(now + SETTLE_AFTER);
        }
        self.animate(began, animating);
    }

    /// Whether an animation step may take a frame now (a frame nobody else waits for):
    /// otherwise it tries again in a little while.
    pub fn tick_turn(&mut self, now: Instant, pacer: &FramePacer, pixels: u64) -> bool {
        if pacer.reserve_if_spare(pixels, now.into_std()) {
            return true;
        }
        self.tick_at = Some(now + ANIMATION_RETRY);
        false
    }

    /// Keeps the animations' clock going while any are and an agent watches: the next step
    /// [`ANIMATION_INTERVAL`] after the frame that advanced them began (`began`), so that the
    /// time a frame takes to draw and capture does not add to the interval (from its end,
    /// 30 ms plus 20 of capture made a 30-frame animation show at 27).
    pub fn animate(&mut self, began: Instant, animating: bool) {
        self.animating = animating;
        self.tick_at = (animating && self.streaming).then(|| began + ANIMATION_INTERVAL);
    }

    /// The animations could not advance: they wait for the next change.
    pub fn stop_ticking(&mut self) {
        self.tick_at = None;
    }

    /// An agent started or stopped watching. Returns whether that changed anything.
    pub fn stream(&mut self, now: Instant, on: bool) -> bool {
        if self.streaming == on {
            return false;
        }
        self.streaming = on;
        self.tick_at = (on && self.animating).then_some(now);
        true
    }

    /// A new page replaces the old: nothing waits, nothing animates.
    pub fn new_page(&mut self) {
        (self.frame_at, self.tick_at, self.animating) = (None, None, false);
    }

    /// A frame arrived: once the page has been quiet a while, the view is made sure of.
    pub fn on_frame(&mut self, now: Instant) {
        if self.streaming {
            self.settle_at = Some(now + SETTLE_AFTER);
        }
    }

    /// Whether the customer's changes stopped [`QUIET_AFTER`] or more before `now`.
    pub fn quiet(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_change) > QUIET_AFTER
    }

    /// Frames drawn on demand: the next look (at what repainted on its own) after `now`.
    pub fn look_again(&mut self, now: Instant) {
        if self.streaming {
            self.settle_at = Some(now + if self.quiet(now) { LOOK_EVERY_QUIET } else { LOOK_EVERY });
        }
    }

    /// The settling look at `now`, given the newest frame. Returns whether to ask Chromium for
    /// a settling frame: then it is taken as asked for now, and looked at again later.
    pub fn settle(&mut self, now: Instant, newest: Option<Newest>) -> bool {
        if self.settle_at.take().is_none() || !self.streaming {
            return false;
        }
        // Frames are still coming in (a busy machine captures slowly): look again later.
        if newest.is_some_and(|f| now < f.arrived + SETTLE_QUIET) {
            self.settle_at = Some(now + SETTLE_QUIET);
            return false;
        }
        let Some(unanswered) = must_nudge(newest, self.nudged, self.last_change) else { return false };
        self.nudged = Some(Nudge { at: now, seq: newest.map_or(0, |f| f.seq), unanswered });
        // Looked at again when its frame arrives, or after a while if none does.
        self.settle_at = Some(now + SETTLE_AFTER);
        true
    }
}

/// Whether the agent's view must be made sure of, given the newest frame, the settling frame
/// asked for last, and when the page last changed. Returns the unanswered count for the
/// nudge to send, or `None` when the view is settled.
fn must_nudge(newest: Option<Newest>, nudged: Option<Nudge>, changed: Instant) -> Option<u32> {
    let Some(nudge) = nudged.filter(|n| changed <= n.at) else { return Some(0) };
    match newest {
        // The settling frame is the only one since it was asked for: it shows the page as it is.
        Some(f) if f.seq == nudge.seq + 1 && f.rendered > nudge.at => None,
        // None came yet: ask again, a few times.
        Some(f) if f.seq == nudge.seq => (nudge.unanswered < NUDGE_RETRIES).then_some(nudge.unanswered + 1),
        None if nudge.seq == 0 => (nudge.unanswered < NUDGE_RETRIES).then_some(nudge.unanswered + 1),
        // The page drew more since: look again once it is quiet.
        _ => Some(0),
    }
}

#[cfg(test)]
mod tests;
