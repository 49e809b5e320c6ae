//! The task that owns one session's replica page: it applies the customer's events in order,
//! streams frames while an agent watches, and rebuilds the page when it crashes or hangs.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::page::ReplicaPage;
use super::{ReplicaBrowser, ReplicaCommand, ReplicaHandle, ReplicaReport};
use crate::profile::origin_of;
use crate::wire::{ErrorCode, Hidden, Rules};

/// Commands queued for a replica; the customer's connection waits when the replica lags.
const QUEUE: usize = 256;
/// Attempts to rebuild a failed page before giving up until the next placement.
const REBUILD_ATTEMPTS: u32 = 3;
/// How often an idle page is checked for a hang (a busy one is checked by every call).
const PING_EVERY: Duration = Duration::from_secs(3);
/// Once the customer's changes pause this long, a frame is captured anyway. The screencast
/// now and then sends no frame for a change made just after a snapshot (seen with a scroll);
/// this settles the agent's view within a moment. An unchanged capture costs the agent nothing.
const SETTLE_AFTER: Duration = Duration::from_millis(300);
/// A frame swapped this long after a change was applied was drawn after it, so it shows it.
const FRAME_AFTER_CHANGE: Duration = Duration::from_millis(20);
/// Events merged into one replay call at most: a backlog is caught up in a few frames, not one
/// per message, while one call stays bounded.
const MERGE_AT_MOST: usize = 64;

/// Starts a replica task for a session; it reports faults and recoveries on `reports` and
/// ends when every command sender is dropped.
pub fn spawn(
    browser: Arc<ReplicaBrowser>,
    session: String,
    reports: mpsc::Sender<ReplicaReport>,
    rules: Rules,
) -> ReplicaHandle {
    let (commands, rx) = mpsc::channel(QUEUE);
    let (frames_tx, frames) = watch::channel(None);
    let (streaming, streaming_rx) = watch::channel(false);
    let driver = Driver {
        browser,
        session,
        reports,
        frames: frames_tx,
        seq: Arc::new(AtomicU64::new(0)),
        page: None,
        placed: None,
        streaming: false,
        settle_at: None,
        rules,
        private: false,
        pointer_over: None,
    };
    tokio::spawn(driver.run(rx, streaming_rx));
    ReplicaHandle { commands, streaming, frames }
}

struct Driver {
    browser: Arc<ReplicaBrowser>,
    /// Session ID, for logs.
    session: String,
    reports: mpsc::Sender<ReplicaReport>,
    frames: watch::Sender<Option<crate::replica::Frame>>,
    seq: Arc<AtomicU64>,
    page: Option<ReplicaPage>,
    /// Where the page was last placed and at what size: what a rebuild restores.
    placed: Option<(String, u32, u32)>,
    /// Whether an agent is watching.
    streaming: bool,
    /// When to capture a settling frame, if changes were applied since the last one.
    settle_at: Option<tokio::time::Instant>,
    /// The profile's masking, applied again to every page.
    rules: Rules,
    /// Whether the customer is on a page masked whole.
    private: bool,
    /// What hidden thing the agent's pointer was last found on.
    pointer_over: Option<Hidden>,
}

impl Driver {
    async fn run(mut self, mut commands: mpsc::Receiver<ReplicaCommand>, mut streaming: watch::Receiver<bool>) {
        let (faults_tx, mut faults) = mpsc::channel::<String>(4);
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => {
                        let mut next = Some(command);
                        while let Some(command) = next.take() {
                            let command = match command {
                                ReplicaCommand::Events(json) => {
                                    let (merged, after) = merge_queued_events(json, &mut commands);
                                    next = after;
                                    ReplicaCommand::Events(merged)
                                }
                                other => other,
                            };
                            self.handle(command, &faults_tx).await;
                        }
                    }
                    None => break,
                },
                Some(reason) = faults.recv() => self.rebuild(reason, &faults_tx).await,
                _ = tokio::time::sleep_until(self.settle_at.unwrap_or_else(tokio::time::Instant::now)), if self.settle_at.is_some() => {
                    let applied = self.settle_at.take().map(|at| at - SETTLE_AFTER);
                    // A frame rendered after the last change already shows it.
                    let shown = match (applied, self.frames.borrow().as_ref()) {
                        (Some(applied), Some(frame)) => frame.rendered > applied.into_std() + FRAME_AFTER_CHANGE,
                        _ => false,
                    };
                    let failed = match &self.page {
                        Some(page) if self.streaming && !shown => page.keyframe().await.err(),
                        _ => None,
                    };
                    match failed {
                        // A busy machine renders slowly; rebuilding would only add work. A page
                        // that really hangs fails its ping, and a crash is reported anyway.
                        Some(e @ super::ReplicaError::Timeout { .. }) => {
                            tracing::warn!(session = %self.session, error = %e, "settling frame skipped");
                        }
                        Some(e) => self.rebuild(e.to_string(), &faults_tx).await,
                        None => {}
                    }
                }
                Ok(()) = streaming.changed() => {
                    let on = *streaming.borrow_and_update();
                    self.stream(on, &faults_tx).await;
                }
                _ = ping.tick() => {
                    let hung = match &self.page {
                        Some(page) => page.ping().await.err(),
                        None => None,
                    };
                    if let Some(e) = hung {
                        self.rebuild(format!("the replica page does not answer: {e}"), &faults_tx).await;
                    }
                }
            }
        }
        if let Some(page) = self.page.take() {
            page.close(&self.browser).await;
        }
        tracing::debug!(session = %self.session, "replica closed");
    }

    async fn handle(&mut self, command: ReplicaCommand, faults: &mpsc::Sender<String>) {
        let outcome = match command {
            ReplicaCommand::Place { url, width, height, private } => {
                let same_origin = self.page.as_ref().is_some_and(|p| Some(p.origin()) == origin_of(&url).as_deref());
                self.placed = Some((url, width, height));
                self.private = private;
                match &mut self.page {
                    Some(page) if same_origin => match page.set_viewport(width, height).await {
                        Ok(()) => page.set_private(private).await,
                        Err(e) => Err(e),
                    },
                    _ => self.open(faults).await,
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
            ReplicaCommand::Events(json) => match &self.page {
                Some(page) => match page.apply(&json).await.map(|defects| {
                    tracing::debug!(session = %self.session, bytes = json.len(), "events applied");
                    if defects > 0 {
                        super::MASKING_DEFECTS.fetch_add(defects, std::sync::atomic::Ordering::Relaxed);
                        tracing::error!(session = %self.session, defects, "defect: masked content arrived unmasked from the customer's browser; the replica masked it before rendering");
                    }
                    self.settle_at = Some(tokio::time::Instant::now() + SETTLE_AFTER);
                }) {
                    // The shell itself raised: the events were odd, the page is fine.
                    Err(super::ReplicaError::Script(e)) => {
                        tracing::warn!(session = %self.session, error = %e, "replica could not apply events");
                        Ok(())
                    }
                    other => other,
                },
                None => Ok(()),
            },
            ReplicaCommand::Hover { x, y } => match &self.page {
                Some(page) => page.hover(x, y).await,
                None => Ok(()),
            },
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
            self.rebuild(e.to_string(), faults).await;
        }
    }

    /// Starts or stops rendering frames for an agent.
    async fn stream(&mut self, on: bool, faults: &mpsc::Sender<String>) {
        if self.streaming == on {
            return;
        }
        self.streaming = on;
        let outcome = match self.page.as_mut() {
            Some(page) if on => page.start_stream().await,
            Some(page) => page.stop_stream().await,
            None => Ok(()),
        };
        if let Err(e) = outcome {
            self.rebuild(e.to_string(), faults).await;
        }
    }

    async fn resize(&mut self, width: u32, height: u32) -> Result<(), super::ReplicaError> {
        match self.page.as_mut() {
            Some(page) => page.set_viewport(width, height).await,
            None => Ok(()),
        }
    }

    /// Opens a page where the customer is, replacing any old one.
    async fn open(&mut self, faults: &mpsc::Sender<String>) -> Result<(), super::ReplicaError> {
        if let Some(old) = self.page.take() {
            old.close(&self.browser).await;
        }
        let Some((url, width, height)) = self.placed.clone() else { return Ok(()) };
        let started = std::time::Instant::now();
        let mut page = ReplicaPage::open(
            &self.browser,
            &url,
            (width, height),
            self.frames.clone(),
            self.seq.clone(),
            faults.clone(),
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

    /// Replaces a failed page with a fresh one and asks for a full snapshot to fill it.
    async fn rebuild(&mut self, reason: String, faults: &mpsc::Sender<String>) {
        tracing::warn!(session = %self.session, %reason, "replica failed; rebuilding");
        let _ = self.reports.send(ReplicaReport::Restarting(reason)).await;
        for attempt in 1..=REBUILD_ATTEMPTS {
            match self.open(faults).await {
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

/// Takes the rrweb event arrays already queued behind `first` and joins them into one array,
/// so a replica that fell behind applies the backlog in one call and renders it in one frame.
/// Returns the merged array and the first queued command that is not events, if any.
fn merge_queued_events(
    first: String,
    commands: &mut mpsc::Receiver<ReplicaCommand>,
) -> (String, Option<ReplicaCommand>) {
    let mut parts = vec![first];
    let mut after = None;
    while parts.len() < MERGE_AT_MOST {
        match commands.try_recv() {
            Ok(ReplicaCommand::Events(json)) => parts.push(json),
            Ok(other) => {
                after = Some(other);
                break;
            }
            Err(_) => break,
        }
    }
    if parts.len() == 1 {
        return (parts.pop().unwrap_or_default(), after);
    }
    // Each part is a validated JSON array; its elements go into one.
    let inner: Vec<&str> = parts
        .iter()
        .filter_map(|p| p.trim().strip_prefix('[')?.strip_suffix(']'))
        .filter(|p| !p.trim().is_empty())
        .collect();
    (format!("[{}]", inner.join(",")), after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queued_event_arrays_merge_into_one_and_other_commands_keep_their_place() {
        let (tx, mut rx) = mpsc::channel(8);
        tx.send(ReplicaCommand::Events(" [{\"a\":1}] ".into())).await.unwrap();
        tx.send(ReplicaCommand::Events("[]".into())).await.unwrap();
        tx.send(ReplicaCommand::Hover { x: 1.0, y: 2.0 }).await.unwrap();
        tx.send(ReplicaCommand::Events("[3]".into())).await.unwrap();
        let (merged, after) = merge_queued_events("[0,{\"b\":[1,2]}]".into(), &mut rx);
        assert_eq!(merged, r#"[0,{"b":[1,2]},{"a":1}]"#);
        let parsed: serde_json::Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 3);
        assert!(matches!(after, Some(ReplicaCommand::Hover { .. })));
        assert!(matches!(rx.try_recv(), Ok(ReplicaCommand::Events(e)) if e == "[3]"));
        // Nothing queued: the array passes through untouched.
        assert_eq!(merge_queued_events("[7]".into(), &mut rx).0, "[7]");
    }
}
