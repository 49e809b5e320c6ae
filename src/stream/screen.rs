//! One agent's view of the customer's screen: the replica's newest frame, encoded as what
//! changed since the last one this agent got. The agent's connection asks for the next bytes
//! and writes them; it knows nothing of frames or tiles.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

use super::tiles::TileEncoder;
use crate::metrics::Metrics;
use crate::replica::Frame;
use crate::reporting::stages::{self, StageRecord};

/// The screen as one agent sees it.
pub struct AgentScreen {
    frames: watch::Receiver<Option<Frame>>,
    /// What this agent's screen shows, so only what changed since is sent.
    tiles: TileEncoder,
    /// When the agent joined, until their first frame goes out.
    joined: Option<Instant>,
    metrics: Arc<Metrics>,
    /// The session's ID and the frame messages sent so far, for the stage trace.
    session: String,
    sent: u64,
}

impl AgentScreen {
    /// The screen of the replica whose frames these are, for an agent joining now: the
    /// newest frame is theirs at once.
    pub fn new(mut frames: watch::Receiver<Option<Frame>>, metrics: Arc<Metrics>, session: &str) -> AgentScreen {
        frames.mark_changed();
        let (tiles, joined, session) = (TileEncoder::default(), Some(Instant::now()), session.to_string());
        AgentScreen { frames, tiles, joined, metrics, session, sent: 0 }
    }

    /// Waits until there is a newer frame than the agent has; `false` once the replica is
    /// gone. Cancel-safe: nothing is lost when another event comes first.
    pub async fn changed(&mut self) -> bool {
        self.frames.changed().await.is_ok()
    }

    /// The newest frame as bytes for this agent: only the tiles that changed. `None` when
    /// nothing did (or a frame could not be decoded: it is skipped and logged).
    pub async fn next_bytes(&mut self) -> Option<Vec<u8>> {
        let frame = self.frames.borrow_and_update().clone()?;
        let started = Instant::now();
        let waited = frame.arrived.elapsed();
        let (encoder, delta) = std::mem::take(&mut self.tiles).encode_off_thread(frame.picture.clone()).await;
        self.tiles = encoder;
        tracing::trace!(
            waited = waited.as_micros() as u64,
            encode = started.elapsed().as_micros() as u64,
            "frame encoded"
        );
        self.metrics.frame_encode.observe(started.elapsed().as_secs_f64());
        match delta {
            Ok(Some(delta)) => {
                self.metrics.frames_sent.inc();
                self.metrics.bytes_sent.inc_by(delta.len() as u64);
                if let Some(at) = self.joined.take() {
                    self.metrics.join_to_first_frame.observe(at.elapsed().as_secs_f64());
                }
                self.sent += 1;
                if stages::on() {
                    stages::record(StageRecord::Sent {
                        session: self.session.clone(),
                        index: self.sent,
                        frame: frame.seq,
                        rendered: stages::wall_ms(frame.rendered),
                        arrived: stages::wall_ms(frame.arrived),
                        encoding: stages::wall_ms(started),
                        sent: stages::wall_ms(Instant::now()),
                        bytes: delta.len(),
                    });
                }
                Some(delta)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "a frame could not be encoded; skipped");
                None
            }
        }
    }
}
