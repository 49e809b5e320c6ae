//! The driver's side of the frame schedule ([`super::schedule`]): it asks the schedule what is
//! due and makes the calls to the page that follow, the customer's changes in one frame, an
//! animation's step, a settling frame.

use tokio::time::Instant;

use super::schedule::{Change, Newest};
use super::Driver;

impl Driver {
    /// Makes sure the agent's view shows the page as it is, once the page has been quiet for a
    /// while: a settling frame, unless the last one asked for is the newest frame.
    pub(super) async fn settle(&mut self) {
        if let Some(page) = self.page.as_mut().filter(|p| p.draws_on_demand()) {
            // Frames drawn on demand: the whole screen once changes pause and once more when
            // the page is quiet, and a look now and then for what repainted on its own (see
            // `crate::replica::page::capture`).
            let outcome = page.settle_or_look(self.schedule.quiet(Instant::now())).await;
            self.schedule.look_again(Instant::now());
            if let Err(e) = outcome {
                self.failed(e).await;
            }
            return;
        }
        let newest = self.frames.borrow().as_ref().map(|f| Newest {
            seq: f.seq,
            rendered: Instant::from_std(f.rendered),
            arrived: Instant::from_std(f.arrived),
        });
        if !self.schedule.settle(Instant::now(), newest) {
            return;
        }
        let failed = match &self.page {
            Some(page) => page.nudge().await.err(),
            None => None,
        };
        if let Some(e) = failed {
            self.failed(e).await;
        }
    }

    /// Pixels of one frame of this session's page: what it costs the machine to capture.
    pub(super) fn frame_pixels(&self) -> u64 {
        self.page.as_ref().map_or(0, |p| p.pixels())
    }

    /// Gives the waiting changes a frame (see [`super::schedule::FrameSchedule::on_change`]).
    pub(super) async fn schedule(&mut self) {
        let change = if self.waiting.is_full() {
            Change::Overflowing
        } else if self.waiting.has_events() {
            Change::Events
        } else {
            // The pointer alone changes the page only when it moves onto a hover style: that
            // frame, if any, is paid for when it arrives (see `page`).
            Change::Pointer
        };
        let now = Instant::now();
        let pixels = self.frame_pixels();
        if self.schedule.on_change(now, change, &self.browser.pacer, pixels) {
            return self.apply_waiting().await;
        }
        let wait = self.schedule.next_wake().map(|at| at.saturating_duration_since(now).as_millis() as u64);
        tracing::trace!(session = %self.session, ?wait, "frame scheduled");
    }

    /// Applies every waiting change to the page now (one frame), with the animations advanced.
    pub(super) async fn apply_waiting(&mut self) {
        let started = Instant::now();
        if self.waiting.is_empty() {
            // Nothing to apply: only the frame's turn is given back.
            self.schedule.applying_nothing();
            return;
        }
        let had_events = self.waiting.has_events();
        let calls = self.waiting.take();
        let waited_since = self.waiting_since.take();
        if self.schedule.streaming() && !std::mem::take(&mut self.fresh_page) {
            self.judging = waited_since.map(|since| (since, started)).or(self.judging);
        }
        // The interval runs from when the change goes in, so changes that keep coming get
        // their 33 frames a second however long a call takes.
        self.schedule.applying(started);
        let Some(page) = &self.page else { return };
        let mut outcome = Ok(false);
        let bytes = calls.iter().map(|(json, _)| json.len()).sum();
        let mut outgrew = None;
        // What the calls repainted, together (`None`: the whole screen).
        let mut damage: Option<Vec<[f64; 4]>> = Some(Vec::new());
        for (json, pointer) in calls {
            outcome = match page.frame(&json, pointer).await {
                Ok(applied) => {
                    damage = match (damage, &applied.damage) {
                        (Some(mut all), Some(rects)) => {
                            all.extend_from_slice(rects);
                            Some(all)
                        }
                        _ => None,
                    };
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
        let applied_at = std::time::Instant::now();
        if outcome.is_ok() {
            outcome = match self.render(damage).await {
                Ok(()) => outcome,
                Err(e) => Err(e),
            };
        }
        if had_events && outcome.is_ok() {
            if crate::reporting::stages::on() {
                use crate::reporting::stages::{self, StageRecord};
                let (started, done) = (stages::wall_ms(started.into_std()), stages::wall_ms(applied_at));
                stages::record(StageRecord::Applied { session: self.session.clone(), started, done, bytes });
            }
            self.heap_look_after(bytes).await;
        }
        match outcome {
            Ok(animating) => self.schedule.applied(Instant::now(), started, had_events, animating),
            Err(e) => self.failed(e).await,
        }
    }

    /// Advances the page's animations by a frame of their own, when the machine has a frame
    /// to spare; otherwise tries again a little later (a change of the customer's always
    /// advances them too).
    pub(super) async fn tick(&mut self) {
        let pixels = self.frame_pixels();
        if !self.schedule.tick_turn(Instant::now(), &self.browser.pacer, pixels) {
            return;
        }
        let Some(page) = &self.page else {
            self.schedule.stop_ticking();
            return;
        };
        let began = Instant::now();
        match page.frame("[]", None).await {
            Ok(applied) => {
                self.schedule.animate(began, applied.animating);
                if let Err(e) = self.render(applied.damage).await {
                    self.failed(e).await;
                }
            }
            Err(crate::replica::ReplicaError::Script(e)) => {
                tracing::warn!(session = %self.session, error = %e, "replica could not advance its animations");
                self.schedule.stop_ticking();
            }
            Err(e) => self.failed(e).await,
        }
    }

    /// Where frames are drawn on demand, draws and captures what a change repainted.
    pub(super) async fn render(&mut self, damage: Option<Vec<[f64; 4]>>) -> Result<(), crate::replica::ReplicaError> {
        match self.page.as_mut().filter(|p| p.draws_on_demand()) {
            Some(page) => page.render(damage.as_deref()).await,
            None => Ok(()),
        }
    }
}
