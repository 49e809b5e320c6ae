//! When a session's page may change: the customer's changes wait for the session's turn in
//! the machine's frame budget (at most one frame per [`MIN_FRAME_INTERVAL`]), animations advance
//! with those frames or on budget nobody else needs, and a settling frame makes sure the last
//! change shows.

use std::time::Duration;

use tokio::time::Instant;

use super::Driver;

/// Once the page has sent no frame and taken no change for this long, the agent's view is made
/// sure of: Chromium sends no frame for a change that paints nothing new, drops the frames a
/// page paints while three of its frames wait for their acks (a page whose stylesheets and
/// pictures load after a snapshot paints in several steps, and the last one went missing),
/// and keeps showing an old page until the new one's stylesheets are in. One more capture
/// of a quiet page costs the agent nothing: its tiles are unchanged.
const SETTLE_AFTER: Duration = Duration::from_millis(300);
/// The settling frame waits until no frame has arrived for this long.
const SETTLE_QUIET: Duration = Duration::from_millis(100);
/// A settling frame that never came is asked for again this many times.
const NUDGE_RETRIES: u32 = 2;
/// A session's page changes at most this often while an agent watches: 33 frames a second,
/// above the 30 that motion needs, and changes that come faster share a frame. More frames
/// only make each one later on a 2-core machine: Chromium spends about 25 ms of CPU on each.
const MIN_FRAME_INTERVAL: Duration = Duration::from_millis(30);
/// While no agent watches, the customer's changes go to the page at most this often (three
/// pages of 20,000 elements changing ten times a second, unwatched, took another session's
/// glass-to-glass from 48 to 104 ms when applied as they came).
const UNWATCHED_INTERVAL: Duration = Duration::from_millis(500);
/// Animations alone (no change from the customer) advance at most this often.
const ANIMATION_INTERVAL: Duration = Duration::from_millis(30);
/// An animation step that found no spare budget tries again after this long.
const ANIMATION_RETRY: Duration = Duration::from_millis(40);

/// A settling frame asked for: when, and the newest frame then.
#[derive(Debug, Clone, Copy)]
pub(super) struct Nudge {
    at: std::time::Instant,
    seq: u64,
    /// How many times in a row before this one no frame answered.
    unanswered: u32,
}

/// Whether the agent's view must be made sure of, given the newest frame's sequence number and
/// when it was rendered, the settling frame asked for last, and when the page last changed.
/// Returns the unanswered count for the nudge to send, or `None` when the view is settled.
pub(super) fn must_nudge(
    newest: Option<(u64, std::time::Instant)>,
    nudged: Option<Nudge>,
    changed: std::time::Instant,
) -> Option<u32> {
    let Some(nudge) = nudged.filter(|n| changed <= n.at) else { return Some(0) };
    match newest {
        // The settling frame is the only one since it was asked for: it shows the page as it is.
        Some((seq, rendered)) if seq == nudge.seq + 1 && rendered > nudge.at => None,
        // None came yet: ask again, a few times.
        Some((seq, _)) if seq == nudge.seq => (nudge.unanswered < NUDGE_RETRIES).then_some(nudge.unanswered + 1),
        None if nudge.seq == 0 => (nudge.unanswered < NUDGE_RETRIES).then_some(nudge.unanswered + 1),
        // The page drew more since: look again once it is quiet.
        _ => Some(0),
    }
}

impl Driver {
    /// A frame arrived: once the page has been quiet a while, make sure the view shows it.
    pub(super) fn frame_arrived(&mut self) {
        if self.streaming {
            self.settle_at = Some(Instant::now() + SETTLE_AFTER);
        }
    }

    /// Makes sure the agent's view shows the page as it is, once the page has been quiet for
    /// [`SETTLE_AFTER`]: a settling frame, unless the last one asked for is the newest frame.
    pub(super) async fn settle(&mut self) {
        if self.settle_at.take().is_none() || !self.streaming {
            return;
        }
        let newest = self.frames.borrow().as_ref().map(|f| (f.seq, f.rendered, f.arrived));
        // Frames are still coming in (a busy machine captures slowly): look again later.
        if newest.is_some_and(|(_, _, arrived)| arrived.elapsed() < SETTLE_QUIET) {
            self.settle_at = Some(Instant::now() + SETTLE_QUIET);
            return;
        }
        let newest = newest.map(|(seq, rendered, _)| (seq, rendered));
        let Some(unanswered) = must_nudge(newest, self.nudged, self.last_change.into_std()) else { return };
        let at = std::time::Instant::now();
        let failed = match &self.page {
            Some(page) => page.nudge().await.err(),
            None => None,
        };
        self.nudged = Some(Nudge { at, seq: newest.map_or(0, |(seq, _)| seq), unanswered });
        // Looked at again when its frame arrives, or after a while if none does.
        self.settle_at = Some(Instant::now() + SETTLE_AFTER);
        if let Some(e) = failed {
            self.failed(e).await;
        }
    }

    /// Pixels of one frame of this session's page: what it costs the machine to capture.
    pub(super) fn frame_pixels(&self) -> u64 {
        self.page.as_ref().map_or(0, |p| p.pixels())
    }

    /// Gives the waiting changes a frame: now if too much waits, within [`UNWATCHED_INTERVAL`]
    /// if nobody watches (no frames are captured), otherwise at this session's next turn.
    pub(super) async fn schedule(&mut self) {
        if self.waiting.is_full() {
            self.apply_waiting().await;
            return;
        }
        if self.frame_at.is_some() {
            return;
        }
        let now = Instant::now();
        if !self.streaming {
            // Nobody sees the page: its changes go in fewer, bigger batches, each costing one
            // layout and paint, so pages changing all the time before an agent joins leave the
            // machine to the sessions being watched. An agent joining gets them at once.
            self.frame_at = Some(now.max(self.last_change + UNWATCHED_INTERVAL));
            return;
        }
        let earliest = now.max(self.last_change + MIN_FRAME_INTERVAL);
        // The pointer alone changes the page only when it moves onto a hover style: that frame,
        // if any, is paid for when it arrives (see `page`).
        let turn = if self.waiting.has_events() {
            Instant::from_std(self.browser.pacer.reserve(self.frame_pixels(), now.into_std()))
        } else {
            now
        };
        self.frame_at = Some(earliest.max(turn));
        tracing::trace!(session = %self.session, wait = (earliest.max(turn) - now).as_millis() as u64, "frame scheduled");
    }

    /// Applies every waiting change to the page now (one frame), with the animations advanced.
    pub(super) async fn apply_waiting(&mut self) {
        self.frame_at = None;
        if self.waiting.is_empty() {
            return;
        }
        let had_events = self.waiting.has_events();
        let calls = self.waiting.take();
        let started = Instant::now();
        // The interval runs from when the change goes in, so changes that keep coming get
        // their 33 frames a second however long a call takes.
        self.last_change = started;
        let Some(page) = &self.page else { return };
        let mut outcome = Ok(false);
        let bytes = calls.iter().map(|(json, _)| json.len()).sum();
        let mut outgrew = None;
        for (json, pointer) in calls {
            outcome = match page.frame(&json, pointer).await {
                Ok(applied) => {
                    tracing::trace!(session = %self.session, bytes = json.len(), us = started.elapsed().as_micros() as u64, "events applied");
                    if applied.defects > 0 {
                        crate::replica::MASKING_DEFECTS
                            .fetch_add(applied.defects, std::sync::atomic::Ordering::Relaxed);
                        tracing::error!(session = %self.session, defects = applied.defects, "defect: masked content arrived unmasked from the customer's browser; the replica masked it before rendering");
                    }
                    if let Some(why) = applied.too_large {
                        outgrew = Some((why, applied.nodes));
                    }
                    Ok(applied.animating)
                }
                // The shell itself raised: the events were odd, the page is fine.
                Err(crate::replica::ReplicaError::Script(e)) => {
                    tracing::warn!(session = %self.session, error = ?e, "replica could not apply events");
                    Ok(false)
                }
                Err(e) => Err(e),
            };
            if outcome.is_err() {
                break;
            }
        }
        if let Some((why, nodes)) = outgrew {
            self.outgrown(why, nodes);
        }
        if had_events && outcome.is_ok() {
            self.check_memory(bytes).await;
        }
        let now = Instant::now();
        if had_events {
            self.settle_at = Some(now + SETTLE_AFTER);
        }
        match outcome {
            Ok(animating) => self.animate(animating, now),
            Err(e) => self.failed(e).await,
        }
    }

    /// Keeps the animations' clock going while any are and an agent watches.
    pub(super) fn animate(&mut self, animating: bool, now: Instant) {
        self.animating = animating;
        self.tick_at = (animating && self.streaming).then(|| now + ANIMATION_INTERVAL);
    }

    /// Advances the page's animations by a frame of their own, when the machine has a frame
    /// to spare; otherwise tries again a little later (a change of the customer's always
    /// advances them too).
    pub(super) async fn tick(&mut self) {
        let now = Instant::now();
        if !self.browser.pacer.reserve_if_spare(self.frame_pixels(), now.into_std()) {
            self.tick_at = Some(now + ANIMATION_RETRY);
            return;
        }
        let Some(page) = &self.page else {
            self.tick_at = None;
            return;
        };
        match page.frame("[]", None).await {
            Ok(applied) => {
                self.animate(applied.animating, Instant::now());
            }
            Err(crate::replica::ReplicaError::Script(e)) => {
                tracing::warn!(session = %self.session, error = %e, "replica could not advance its animations");
                self.tick_at = None;
            }
            Err(e) => self.failed(e).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{must_nudge, Nudge, NUDGE_RETRIES};
    use std::time::{Duration, Instant};

    #[test]
    fn the_view_is_settled_only_by_a_settling_frame_that_came_last() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // Asked for at 100 ms, when frame 7 was the newest; the page last changed at 50 ms.
        let nudged = Nudge { at: ms(100), seq: 7, unanswered: 0 };
        // What, the newest frame, the nudge asked for last, the page's last change, the answer.
        type Case = (&'static str, Option<(u64, Instant)>, Option<Nudge>, Instant, Option<u32>);
        let cases: &[Case] = &[
            ("a change and no settling frame yet", Some((3, ms(40))), None, ms(50), Some(0)),
            ("a change before any frame", None, None, ms(50), Some(0)),
            ("the settling frame is the newest", Some((8, ms(120))), Some(nudged), ms(50), None),
            ("the page changed after it was asked for", Some((8, ms(120))), Some(nudged), ms(110), Some(0)),
            ("the page drew two more frames since", Some((9, ms(130))), Some(nudged), ms(50), Some(0)),
            ("a frame drawn before the ask came instead", Some((8, ms(90))), Some(nudged), ms(50), Some(0)),
            ("no frame came: asked again", Some((7, ms(60))), Some(nudged), ms(50), Some(1)),
            (
                "no frame came, retries spent: given up until the page changes",
                Some((7, ms(60))),
                Some(Nudge { unanswered: NUDGE_RETRIES, ..nudged }),
                ms(50),
                None,
            ),
        ];
        for (what, newest, nudged, changed, expected) in cases {
            assert_eq!(must_nudge(*newest, *nudged, *changed), *expected, "{what}");
        }
    }
}
