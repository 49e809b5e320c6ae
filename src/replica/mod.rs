//! The replica: a headless Chromium page per session, on the company's origin, that rebuilds the
//! customer's page from rrweb events and renders the frames the agent sees.
//!
//! Every raw CDP call lives in this module (the benchmark's simulated customers, in
//! [`crate::bench`], use [`browser::ContextPage`]'s helpers): [`browser`] launches and supervises
//! the one Chromium (DevTools over a pipe: [`devtools`]; after a crash, [`leftovers`]),
//! [`page`] drives one session's page, [`driver`] is the task that owns a
//! session's page, decides when it may change and rebuilds it after faults, [`batch`] holds the
//! changes waiting for a frame, [`pacer`] shares the machine's frame budget.

mod batch;
pub mod browser;
mod devtools;
mod driver;
mod emulation;
mod frames;
mod late;
pub mod leftovers;
mod memory;
pub mod pacer;
mod page;
mod pieces;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use crate::wire::{AgentAction, Display, ErrorCode, Hidden, Rules, Target, VisualViewport};

pub use browser::ReplicaBrowser;
pub use driver::spawn;

/// Masked values that arrived unmasked from customers' browsers (and were masked by a replica
/// before rendering), since the server started: each one is a defect in a snippet.
pub static MASKING_DEFECTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The customer's window as a replica reproduces it: its size in CSS pixels (the layout
/// viewport), what else shapes the layout, and the part of it the customer sees where that is
/// not all of it (a phone).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub width: u32,
    pub height: u32,
    pub display: Display,
    pub visual: Option<VisualViewport>,
}

impl Window {
    /// What the customer's screen shows, in their screen's CSS pixels: the replica's frames.
    pub fn screen(&self) -> (u32, u32) {
        self.visual.map_or((self.width, self.height), |v| v.screen())
    }

    /// This window as the agent's whole-page view shows it, where the customer sees only part
    /// of the layout viewport (the session actor's screen follows the same rule).
    pub fn whole_page(self) -> Window {
        let layout = (self.width, self.height);
        match self.visual {
            Some(v) if v.is_part_of(layout) => Window { visual: Some(v.whole_page(layout)), ..self },
            _ => self,
        }
    }
}

/// One rendered image of the replica's viewport.
#[derive(Debug, Clone)]
pub struct Frame {
    /// PNG bytes: lossless, so the agent sees the customer's pixels, not compression noise.
    pub png: Bytes,
    /// Increases with every frame of a session.
    pub seq: u64,
    /// The page as of when this frame shows it (the compositor's swap, or the capture request):
    /// changes applied before this instant are in the frame.
    pub rendered: std::time::Instant,
    /// When the frame reached the server.
    pub arrived: std::time::Instant,
}

/// Orders for a session's replica, processed in the order sent.
#[derive(Debug)]
pub enum ReplicaCommand {
    /// Put the replica on the page at `url` (whose origin the server has checked) at this size
    /// and display; a `private` page (masked whole by the profile) shows only a notice.
    Place { url: String, width: u32, height: u32, display: Display, visual: Option<VisualViewport>, private: bool },
    /// The profile's masking, applied again to everything the replica shows.
    Rules(Rules),
    /// The customer's window changed size (or zoom, or colour scheme).
    Viewport { width: u32, height: u32, display: Display, visual: Option<VisualViewport> },
    /// Frames of the whole layout viewport (`true`), or of the region the customer sees.
    WholePage(bool),
    /// rrweb events: a JSON array already validated by [`crate::wire::validate_events`].
    Events(String),
    /// The customer's pointer is here: `:hover` styles (menus that open on hover) follow it.
    Hover { x: f64, y: f64 },
    /// Find out whether the agent's pointer rests on something hidden from the agent.
    Probe { x: f64, y: f64 },
    /// Hit-test an agent's action against the profile (answered as [`ReplicaReport::HitTested`]).
    HitTest { seq: u64, action: AgentAction },
}

/// What a replica tells its session.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplicaReport {
    /// The page failed (crash, hang, closed target) and is being rebuilt.
    Restarting(String),
    /// A rebuilt page is ready and needs a full snapshot from the customer.
    Ready,
    /// The page could not be rebuilt; the next page the customer opens tries again.
    Unavailable,
    /// The agent's pointer moved onto (or off) something hidden from the agent.
    PointerOver(Option<Hidden>),
    /// The customer's page needs more than a replica may hold; a notice shows instead.
    PageTooLarge(Oversize),
    /// The answer to hit-test `seq`: what the action lands on (no node for keys and text,
    /// which go to the focused element), or why it may not.
    HitTested { seq: u64, outcome: Result<Target, ErrorCode> },
}

/// What a customer's page needed more of than its replica may hold (named as the shell names
/// it, web/replica/replica.js).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Oversize {
    /// Elements (web/replica/replica.js counts them as they arrive).
    Nodes,
    /// Memory: its heaps ([`memory`]) or its canvas pictures (web/replica/looks.js).
    Memory,
}

/// A session's way to its replica. Dropping every sender closes the page.
#[derive(Debug)]
pub struct ReplicaHandle {
    /// Orders to the replica's task.
    pub commands: mpsc::Sender<ReplicaCommand>,
    /// Whether an agent is watching, so frames are rendered. A `watch`, so the session never
    /// waits on a replica that is busy with a long queue of events.
    pub streaming: watch::Sender<bool>,
    /// The newest frame; a slow agent skips the ones it missed.
    pub frames: watch::Receiver<Option<Frame>>,
}

/// Errors from Chromium or from the replica page.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error("could not launch Chromium at {path}: {cause}")]
    Launch { path: String, cause: String },
    #[error("Chromium command {what} failed: {cause}")]
    Cdp { what: &'static str, cause: String },
    #[error("Chromium did not answer {what} within {seconds} s")]
    Timeout { what: &'static str, seconds: u64 },
    #[error("the replica shell raised: {0}")]
    Script(String),
}
