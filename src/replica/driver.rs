//! The task that owns one session's replica page: it applies the customer's changes in order,
//! one frame's worth at a time while an agent watches, and rebuilds the page when it crashes
//! or hangs.
//!
//! Chromium captures every frame the page renders (about 20 ms of CPU each), so this task
//! decides when the page may change: the customer's events wait for the session's next frame
//! (at most 33 a second, and in turn with every other session's frames in the machine's
//! [`super::pacer`] budget), and the page's animations advance only with those frames or on
//! budget nobody else needs ([`pacing`]).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::batch::Batch;

mod budget;
mod orders;
mod pacing;
mod queries;
mod schedule;
use super::page::ReplicaPage;
use super::{PageData, Placement, ReplicaBrowser, ReplicaHandle, ReplicaQuery, ReplicaReport};
use crate::wire::{Hidden, Rules};

/// Page data queued for a replica; the customer's connection waits when the replica lags.
const QUEUE: usize = 256;
/// Questions queued for a replica: a pointer probed ten times a second and rate-limited
/// actions never come near it, so a full queue means a page that stopped answering.
const QUERIES: usize = 32;
/// Attempts to rebuild a failed page before giving up until the next placement.
const REBUILD_ATTEMPTS: u32 = 3;

/// What a replica task reads: page data in order, and the session's orders beside it.
struct Orders {
    feed: mpsc::Receiver<PageData>,
    queries: mpsc::Receiver<ReplicaQuery>,
    placement: watch::Receiver<Option<Placement>>,
    rules: watch::Receiver<Rules>,
    whole_page: watch::Receiver<bool>,
    streaming: watch::Receiver<bool>,
}

/// Starts a replica task for a session; it reports faults and recoveries on `reports` and
/// ends when the handle is dropped.
pub fn spawn(
    browser: Arc<ReplicaBrowser>,
    session: String,
    reports: mpsc::Sender<ReplicaReport>,
    rules: Rules,
) -> ReplicaHandle {
    let (feed, feed_rx) = mpsc::channel(QUEUE);
    let (queries, queries_rx) = mpsc::channel(QUERIES);
    let (placement, placement_rx) = watch::channel(None);
    let (rules_tx, rules_rx) = watch::channel(rules.clone());
    let (whole_page, whole_page_rx) = watch::channel(false);
    let (streaming, streaming_rx) = watch::channel(false);
    let (faults, faults_rx) = mpsc::channel(4);
    let (frames_tx, frames) = watch::channel(None);
    let browser_budget = browser.memory_budget;
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
        schedule: schedule::FrameSchedule::new(Instant::now()),
        whole_page: false,
        rules,
        private: false,
        pointer_over: None,
        waiting: Batch::default(),
        too_large: false,
        memory: super::memory::MemoryWatch::new(browser_budget),
        heap_look: None,
        waiting_since: None,
        judging: None,
        fresh_page: true,
    };
    let orders = Orders {
        feed: feed_rx,
        queries: queries_rx,
        placement: placement_rx,
        rules: rules_rx,
        whole_page: whole_page_rx,
        streaming: streaming_rx,
    };
    tokio::spawn(driver.run(orders, faults_rx));
    ReplicaHandle { feed, placement, rules: rules_tx, whole_page, streaming, queries, frames }
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
    placed: Option<Placement>,
    /// When the page may change, whether an agent watches, and when to look again.
    schedule: schedule::FrameSchedule,
    /// Whether the agent asked for the whole layout viewport (see [`Window::whole_page`]).
    whole_page: bool,
    /// The profile's masking, applied again to every page.
    rules: Rules,
    /// Whether the customer is on a page masked whole.
    private: bool,
    /// What hidden thing the agent's pointer was last found on.
    pointer_over: Option<Hidden>,
    /// The customer's changes waiting for this session's next frame.
    waiting: Batch,
    /// Whether the customer's page outgrew the replica's budget (told once per page).
    too_large: bool,
    /// When to look at the page's heaps, and how much they may hold.
    memory: super::memory::MemoryWatch,
    /// Bytes of events applied since the last look, while the look waits for their frame.
    heap_look: Option<usize>,
    /// Since when the customer's oldest waiting change has waited.
    waiting_since: Option<Instant>,
    /// The last change applied while an agent watches (since when it waited, when it went in),
    /// until its frame arrives: its time in the node (see [`super::admission`]).
    judging: Option<(Instant, Instant)>,
    /// Whether the page is new and its first change (the snapshot) not applied yet: a page
    /// load is not judged.
    fresh_page: bool,
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Driver {
    async fn run(mut self, mut orders: Orders, mut faults: mpsc::Receiver<(u64, String)>) {
        let mut arrivals = self.frames.subscribe();
        loop {
            // The session's orders go first: they never wait behind page data, and page data
            // that came after a placement finds the page placed.
            tokio::select! {
                biased;
                changed = orders.placement.changed() => match changed {
                    Ok(()) => {
                        let placement = orders.placement.borrow_and_update().clone();
                        self.place(placement).await;
                    }
                    Err(_) => break,
                },
                Ok(()) = orders.rules.changed() => {
                    let rules = orders.rules.borrow_and_update().clone();
                    self.set_rules(rules).await;
                }
                Ok(()) = orders.whole_page.changed() => {
                    let whole = *orders.whole_page.borrow_and_update();
                    self.show_whole_page(whole).await;
                }
                Ok(()) = orders.streaming.changed() => {
                    let on = *orders.streaming.borrow_and_update();
                    self.stream(on).await;
                }
                query = orders.queries.recv() => match query {
                    Some(query) => self.answer(query).await,
                    None => break,
                },
                Some((generation, reason)) = faults.recv() => {
                    if generation == self.generation {
                        self.rebuild(reason).await;
                    }
                }
                Ok(()) = arrivals.changed() => {
                    let frame = arrivals.borrow_and_update().as_ref().map(|f| (f.rendered, f.arrived));
                    self.judge(frame);
                    self.schedule.on_frame(Instant::now());
                    self.heap_look_due().await;
                }
                Some(data) = orders.feed.recv() => {
                    match data {
                        PageData::Events(json) => {
                            self.waiting_since.get_or_insert_with(Instant::now);
                            self.waiting.push_events(json)
                        }
                        PageData::Hover { x, y } => self.waiting.move_pointer(x, y),
                    }
                    self.schedule().await;
                }
                // Last: what falls due is often due at once (an animation's step on a busy page),
                // and must not keep the customer's changes out.
                _ = until(self.schedule.next_wake()) => match self.schedule.due(Instant::now()) {
                    Some(schedule::Due::Apply) => self.apply_waiting().await,
                    Some(schedule::Due::Tick) => self.tick().await,
                    Some(schedule::Due::Settle) => {
                        // A change that painted nothing sent no frame: its heap look is now.
                        self.heap_look_due().await;
                        self.settle().await;
                    }
                    None => {}
                },
            }
        }
        if let Some(page) = self.page.take() {
            page.close(&self.browser).await;
        }
        tracing::debug!(session = %self.session, "replica closed");
    }

    /// A frame (rendered, arrived) came: if it shows the change being judged, that change's
    /// time in the node counts towards whether the node takes more sessions.
    fn judge(&mut self, frame: Option<(std::time::Instant, std::time::Instant)>) {
        let (Some((since, applied)), Some((rendered, arrived))) = (self.judging, frame) else { return };
        if rendered >= applied.into_std() {
            self.browser.change_took(arrived.saturating_duration_since(since.into_std()));
            self.judging = None;
        }
    }

    /// Opens a page where the customer is, replacing any old one.
    async fn open(&mut self) -> Result<(), super::ReplicaError> {
        if let Some(old) = self.page.take() {
            old.close(&self.browser).await;
        }
        // What waited was for the old page; the new one starts from a fresh snapshot.
        self.waiting = Batch::default();
        self.heap_look = None;
        (self.waiting_since, self.judging) = (None, None);
        self.schedule.new_page();
        let Some(Placement { url, window, .. }) = self.placed.clone() else { return Ok(()) };
        let window = self.shown(window);
        let started = std::time::Instant::now();
        self.generation += 1;
        let mut page = ReplicaPage::open(
            &self.browser,
            &url,
            window,
            self.frames.clone(),
            self.seq.clone(),
            (self.generation, self.faults.clone()),
        )
        .await?;
        page.set_rules(&self.rules).await?;
        page.set_private(self.private).await?;
        if self.schedule.streaming() {
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
