//! The task that owns one session's replica page: it applies the customer's changes in order,
//! one frame's worth at a time while an agent watches, and rebuilds the page when it crashes
//! or hangs.
//!
//! Chromium captures every frame the page renders (about 20 ms of CPU each), so this task
//! decides when the page may change: the customer's events wait for the session's next frame
//! (at most one per [`MIN_FRAME_INTERVAL`], and in turn with every other session's frames in
//! the machine's [`super::pacer`] budget), and the page's animations advance only with those
//! frames or on budget nobody else needs.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::batch::Batch;
use super::page::ReplicaPage;
use super::{ReplicaBrowser, ReplicaCommand, ReplicaHandle, ReplicaReport};
use crate::profile::origin_of;
use crate::wire::{ErrorCode, Hidden, Rules};

/// Commands queued for a replica; the customer's connection waits when the replica lags.
const QUEUE: usize = 256;
/// Attempts to rebuild a failed page before giving up until the next placement.
const REBUILD_ATTEMPTS: u32 = 3;
/// Once the customer's changes pause this long, a frame is captured anyway if none showed the
/// last change (Chromium sends none for a change that paints nothing new, and now and then
/// none for one made just after a snapshot). An unchanged capture costs the agent nothing.
const SETTLE_AFTER: Duration = Duration::from_millis(300);
/// The settling frame waits until no frame has arrived for this long.
const SETTLE_QUIET: Duration = Duration::from_millis(100);
/// A frame swapped this long after a change was applied was drawn after it, so it shows it.
const FRAME_AFTER_CHANGE: Duration = Duration::from_millis(20);
/// A session's page changes at most this often while an agent watches: 40 frames a second,
/// above the 30 that motion needs, and changes that come faster share a frame.
const MIN_FRAME_INTERVAL: Duration = Duration::from_millis(25);
/// Animations alone (no change from the customer) advance at most this often.
const ANIMATION_INTERVAL: Duration = Duration::from_millis(25);
/// An animation step that found no spare budget tries again after this long.
const ANIMATION_RETRY: Duration = Duration::from_millis(40);

/// Starts a replica task for a session; it reports faults and recoveries on `reports` and
/// ends when every command sender is dropped.
pub fn spawn(
    browser: Arc<ReplicaBrowser>,
    session: String,
    reports: mpsc::Sender<ReplicaReport>,
    rules: Rules,
) -> ReplicaHandle {
    let (commands, rx) = mpsc::channel(QUEUE);
    let (faults, faults_rx) = mpsc::channel(4);
    let (frames_tx, frames) = watch::channel(None);
    let (streaming, streaming_rx) = watch::channel(false);
    let driver = Driver {
        browser,
        session,
        reports,
        faults,
        generation: 0,
        frames: frames_tx,
        seq: Arc::new(AtomicU64::new(0)),
        page: None,
        placed: None,
        streaming: false,
        settle_at: None,
        rules,
        private: false,
        pointer_over: None,
        waiting: Batch::default(),
        frame_at: None,
        last_frame: Instant::now(),
        animating: false,
        tick_at: None,
    };
    tokio::spawn(driver.run(rx, faults_rx, streaming_rx));
    ReplicaHandle { commands, streaming, frames }
}

struct Driver {
    browser: Arc<ReplicaBrowser>,
    /// Session ID, for logs.
    session: String,
    reports: mpsc::Sender<ReplicaReport>,
    /// Where a page reports that it crashed, went away or hangs, with its generation.
    faults: mpsc::Sender<(u64, String)>,
    /// How many pages this session has opened: a fault from an older one is stale.
    generation: u64,
    frames: watch::Sender<Option<crate::replica::Frame>>,
    seq: Arc<AtomicU64>,
    page: Option<ReplicaPage>,
    /// Where the page was last placed and at what size: what a rebuild restores.
    placed: Option<(String, u32, u32)>,
    /// Whether an agent is watching.
    streaming: bool,
    /// When to capture a settling frame, if changes were applied since the last one.
    settle_at: Option<Instant>,
    /// The profile's masking, applied again to every page.
    rules: Rules,
    /// Whether the customer is on a page masked whole.
    private: bool,
    /// What hidden thing the agent's pointer was last found on.
    pointer_over: Option<Hidden>,
    /// The customer's changes waiting for this session's next frame.
    waiting: Batch,
    /// When the waiting changes are applied: the frame's turn, once it has one.
    frame_at: Option<Instant>,
    /// When the page last changed (frames are at least [`MIN_FRAME_INTERVAL`] apart).
    last_frame: Instant,
    /// Whether the page has animations going (held, and advanced with each frame).
    animating: bool,
    /// When the page's animations next try to advance on their own, while any are going.
    tick_at: Option<Instant>,
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Driver {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<ReplicaCommand>,
        mut faults: mpsc::Receiver<(u64, String)>,
        mut streaming: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                _ = until(self.frame_at) => self.apply_waiting().await,
                _ = until(self.tick_at), if self.frame_at.is_none() => self.tick().await,
                Some((generation, reason)) = faults.recv() => {
                    if generation == self.generation {
                        self.rebuild(reason).await;
                    }
                }
                _ = until(self.settle_at) => self.settle().await,
                Ok(()) = streaming.changed() => {
                    let on = *streaming.borrow_and_update();
                    self.stream(on).await;
                }
            }
        }
        if let Some(page) = self.page.take() {
            page.close(&self.browser).await;
        }
        tracing::debug!(session = %self.session, "replica closed");
    }

    /// Makes sure the agent's view shows the last change: Chromium sends no frame for a change
    /// that paints nothing new, and now and then none for one made just after a snapshot.
    async fn settle(&mut self) {
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
    fn frame_pixels(&self) -> u64 {
        self.page.as_ref().map_or(0, |p| p.pixels())
    }

    /// Gives the waiting changes a frame: now if nobody watches (no frames are captured) or
    /// too much waits, otherwise at this session's next turn.
    async fn schedule(&mut self) {
        if !self.streaming || self.waiting.is_full() {
            self.apply_waiting().await;
            return;
        }
        if self.frame_at.is_some() {
            return;
        }
        let now = Instant::now();
        let earliest = now.max(self.last_frame + MIN_FRAME_INTERVAL);
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
    async fn apply_waiting(&mut self) {
        self.frame_at = None;
        if self.waiting.is_empty() {
            return;
        }
        let had_events = self.waiting.has_events();
        let calls = self.waiting.take();
        let started = Instant::now();
        let Some(page) = &self.page else { return };
        let mut outcome = Ok(false);
        for (json, pointer) in calls {
            outcome = match page.frame(&json, pointer).await {
                Ok(applied) => {
                    tracing::trace!(session = %self.session, bytes = json.len(), ms = started.elapsed().as_millis() as u64, "events applied");
                    if applied.defects > 0 {
                        super::MASKING_DEFECTS.fetch_add(applied.defects, std::sync::atomic::Ordering::Relaxed);
                        tracing::error!(session = %self.session, defects = applied.defects, "defect: masked content arrived unmasked from the customer's browser; the replica masked it before rendering");
                    }
                    Ok(applied.animating)
                }
                // The shell itself raised: the events were odd, the page is fine.
                Err(super::ReplicaError::Script(e)) => {
                    tracing::warn!(session = %self.session, error = %e, "replica could not apply events");
                    Ok(false)
                }
                Err(e) => Err(e),
            };
            if outcome.is_err() {
                break;
            }
        }
        let now = Instant::now();
        self.last_frame = now;
        if had_events {
            self.settle_at = Some(now + SETTLE_AFTER);
        }
        match outcome {
            Ok(animating) => self.animate(animating, now),
            Err(e) => self.failed(e).await,
        }
    }

    /// Keeps the animations' clock going while any are and an agent watches.
    fn animate(&mut self, animating: bool, now: Instant) {
        self.animating = animating;
        self.tick_at = (animating && self.streaming).then(|| now + ANIMATION_INTERVAL);
    }

    /// Advances the page's animations by a frame of their own, when the machine has a frame
    /// to spare; otherwise tries again a little later (a change of the customer's always
    /// advances them too).
    async fn tick(&mut self) {
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
                self.last_frame = Instant::now();
                self.animate(applied.animating, self.last_frame);
            }
            Err(super::ReplicaError::Script(e)) => {
                tracing::warn!(session = %self.session, error = %e, "replica could not advance its animations");
                self.tick_at = None;
            }
            Err(e) => self.failed(e).await,
        }
    }

    async fn handle(&mut self, command: ReplicaCommand) {
        let command = match command {
            ReplicaCommand::Events(json) => {
                self.waiting.push_events(json);
                return self.schedule().await;
            }
            ReplicaCommand::Hover { x, y } => {
                self.waiting.move_pointer(x, y);
                return self.schedule().await;
            }
            // Anything else sees (and keeps its place after) every change sent before it.
            other => {
                self.apply_waiting().await;
                other
            }
        };
        let outcome = match command {
            ReplicaCommand::Events(_) | ReplicaCommand::Hover { .. } => Ok(()),
            ReplicaCommand::Place { url, width, height, private } => {
                let same_origin = self.page.as_ref().is_some_and(|p| Some(p.origin()) == origin_of(&url).as_deref());
                self.placed = Some((url, width, height));
                self.private = private;
                match &mut self.page {
                    Some(page) if same_origin => match page.set_viewport(width, height).await {
                        Ok(()) => page.set_private(private).await,
                        Err(e) => Err(e),
                    },
                    _ => self.open().await,
                }
            }
            ReplicaCommand::Rules(rules) => {
                self.rules = rules;
                match &self.page {
                    Some(page) => page.set_rules(&self.rules).await,
                    None => Ok(()),
                }
            }
            ReplicaCommand::Viewport { width, height } => {
                if let Some(placed) = self.placed.as_mut() {
                    (placed.1, placed.2) = (width, height);
                }
                self.resize(width, height).await
            }
            ReplicaCommand::HitTest { seq, action } => {
                let outcome = match &self.page {
                    Some(page) => match page.hit_test(&action).await {
                        Ok(outcome) => Ok(outcome),
                        Err(super::ReplicaError::Script(e)) => {
                            tracing::warn!(session = %self.session, error = %e, "replica could not hit-test an action");
                            Ok(Err(ErrorCode::NoTarget))
                        }
                        Err(e) => Err(e),
                    },
                    None => Ok(Err(ErrorCode::NoTarget)),
                };
                // Every hit-test is answered, even when the page failed, so no action waits forever.
                let answer = outcome.as_ref().map(|o| *o).unwrap_or(Err(ErrorCode::NoTarget));
                let _ = self.reports.send(ReplicaReport::HitTested { seq, outcome: answer }).await;
                outcome.map(|_| ())
            }
            ReplicaCommand::Probe { x, y } => match &self.page {
                Some(page) => match page.probe(x, y).await {
                    Ok(found) => {
                        if found != self.pointer_over {
                            self.pointer_over = found;
                            let _ = self.reports.try_send(ReplicaReport::PointerOver(found));
                        }
                        Ok(())
                    }
                    Err(super::ReplicaError::Script(e)) => {
                        tracing::warn!(session = %self.session, error = %e, "replica could not hit-test");
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                None => Ok(()),
            },
        };
        if let Err(e) = outcome {
            self.failed(e).await;
        }
    }

    /// Starts or stops rendering frames for an agent.
    async fn stream(&mut self, on: bool) {
        if self.streaming == on {
            return;
        }
        self.streaming = on;
        self.tick_at = (on && self.animating).then(Instant::now);
        let outcome = match self.page.as_mut() {
            Some(page) if on => page.start_stream().await,
            Some(page) => page.stop_stream().await,
            None => Ok(()),
        };
        if let Err(e) = outcome {
            self.failed(e).await;
        }
    }

    async fn resize(&mut self, width: u32, height: u32) -> Result<(), super::ReplicaError> {
        match self.page.as_mut() {
            Some(page) => page.set_viewport(width, height).await,
            None => Ok(()),
        }
    }

    /// Opens a page where the customer is, replacing any old one.
    async fn open(&mut self) -> Result<(), super::ReplicaError> {
        if let Some(old) = self.page.take() {
            old.close(&self.browser).await;
        }
        // What waited was for the old page; the new one starts from a fresh snapshot.
        self.waiting = Batch::default();
        (self.frame_at, self.tick_at, self.animating) = (None, None, false);
        let Some((url, width, height)) = self.placed.clone() else { return Ok(()) };
        let started = std::time::Instant::now();
        self.generation += 1;
        let mut page = ReplicaPage::open(
            &self.browser,
            &url,
            (width, height),
            self.frames.clone(),
            self.seq.clone(),
            (self.generation, self.faults.clone()),
        )
        .await?;
        page.set_rules(&self.rules).await?;
        page.set_private(self.private).await?;
        if self.streaming {
            page.start_stream().await?;
        }
        tracing::info!(session = %self.session, ms = started.elapsed().as_millis() as u64, origin = page.origin(), "replica placed");
        self.page = Some(page);
        Ok(())
    }

    /// What a failed call to the page means. A page that answered too late is on a busy
    /// machine (its call still runs, in order, and a page that really hangs is caught by the
    /// watchdog); any other failure, or a page that could not be opened, means a new page.
    async fn failed(&mut self, error: super::ReplicaError) {
        match error {
            super::ReplicaError::Timeout { .. } if self.page.is_some() => {
                tracing::warn!(session = %self.session, %error, "the replica page is slow to answer");
            }
            error => self.rebuild(error.to_string()).await,
        }
    }

    /// Replaces a failed page with a fresh one and asks for a full snapshot to fill it.
    async fn rebuild(&mut self, reason: String) {
        tracing::warn!(session = %self.session, %reason, "replica failed; rebuilding");
        let _ = self.reports.send(ReplicaReport::Restarting(reason)).await;
        for attempt in 1..=REBUILD_ATTEMPTS {
            match self.open().await {
                Ok(()) => {
                    let _ = self.reports.send(ReplicaReport::Ready).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(session = %self.session, attempt, error = %e, "replica rebuild failed");
                    tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
                }
            }
        }
        tracing::error!(session = %self.session, "replica could not be rebuilt; waiting for the next page");
        let _ = self.reports.send(ReplicaReport::Unavailable).await;
    }
}
