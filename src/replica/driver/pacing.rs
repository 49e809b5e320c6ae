//! When a session's page may change: the customer's changes wait for the session's turn in
//! the machine's frame budget (at most one frame per [`MIN_FRAME_INTERVAL`]), animations advance
//! with those frames or on budget nobody else needs, and a settling frame makes sure the last
//! change shows.

use std::time::Duration;

use tokio::time::Instant;

use super::Driver;

/// Once the customer's changes pause this long, a frame is captured anyway if none showed the
/// last change (Chromium sends none for a change that paints nothing new, and now and then
/// none for one made just after a snapshot). An unchanged capture costs the agent nothing.
const SETTLE_AFTER: Duration = Duration::from_millis(300);
/// The settling frame waits until no frame has arrived for this long.
const SETTLE_QUIET: Duration = Duration::from_millis(100);
/// A frame swapped this long after a change was applied was drawn after it, so it shows it.
const FRAME_AFTER_CHANGE: Duration = Duration::from_millis(20);
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

impl Driver {
    /// Makes sure the agent's view shows the last change: Chromium sends no frame for a change
    /// that paints nothing new, and now and then none for one made just after a snapshot.
    pub(super) async fn settle(&mut self) {
        let Some(due) = self.settle_at.take() else { return };
        let applied = (due - SETTLE_AFTER).into_std();
        let newest = self.frames.borrow().as_ref().map(|f| (f.rendered, f.arrived));
        match newest {
            // A frame rendered after the last change already shows it.
            Some((rendered, _)) if rendered > applied + FRAME_AFTER_CHANGE => return,
            // Frames are still coming in (a busy machine captures slowly): look again later,
            // rather than ask for one more.
            Some((_, arrived)) if arrived.elapsed() < SETTLE_QUIET => {
                self.settle_at = Some(Instant::now() + SETTLE_QUIET);
                return;
            }
            _ => {}
        }
        let failed = match &self.page {
            Some(page) if self.streaming => page.nudge().await.err(),
            _ => None,
        };
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
