//! The replica: a headless Chromium page per session, on the company's origin, that rebuilds the
//! customer's page from rrweb events and renders the frames the agent sees.
//!
//! Every raw CDP call lives in this module (the benchmark's simulated customers, in
//! [`crate::bench`], use [`browser::ContextPage`]'s helpers): [`browser`] launches and supervises
//! the one Chromium (DevTools over a pipe: [`devtools`]; after a crash, [`leftovers`]),
//! [`page`] drives one session's page, [`driver`] is the task that owns a
//! session's page, decides when it may change and rebuilds it after faults, [`batch`] holds the
//! changes waiting for a frame, [`pacer`] shares the machine's frame budget, [`admission`]
//! judges whether the node takes another session, and [`visitor`]
//! drives the benchmark's own pages as a person would.

pub mod admission;
mod batch;
pub mod browser;
mod context;
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
pub mod visitor;

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
    /// The whole screen as the replica shows it, decoded (lossless: the agent sees the
    /// customer's pixels, not compression noise). Shared, never copied, by every agent.
    pub picture: std::sync::Arc<image::RgbImage>,
    /// Increases with every frame of a session.
    pub seq: u64,
    /// The page as of when this frame shows it (the compositor's swap, or the capture request):
    /// changes applied before this instant are in the frame.
    pub rendered: std::time::Instant,
    /// When the frame reached the server.
    pub arrived: std::time::Instant,
}

/// Where the session wants its replica: the page the customer is on (whose origin the server
/// has checked), numbered, at the customer's window; a `private` page (masked whole by the
/// profile) shows only a notice. The replica follows the newest placement.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Increases with every page the customer opens (or path a single-page app goes to):
    /// a new number is a new page, the same number with another window a resize.
    pub page: u64,
    pub url: String,
    pub window: Window,
    pub private: bool,
}

/// The customer's page, as it changes: what their connection sends on, in order.
#[derive(Debug)]
pub enum PageData {
    /// rrweb events: a JSON array already validated by [`crate::wire::validate_events`].
    Events(String),
    /// The customer's pointer is here: `:hover` styles (menus that open on hover) follow it.
    Hover { x: f64, y: f64 },
}

/// Questions the session asks its replica about the page as it is.
#[derive(Debug)]
pub enum ReplicaQuery {
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

/// A session's way to its replica: the page data in order, and the session's orders on ways of
/// their own that page data never holds up. Dropping the handle closes the page.
#[derive(Debug)]
pub struct ReplicaHandle {
    /// The customer's page data, in the order it came (see [`PageData`]).
    pub feed: mpsc::Sender<PageData>,
    /// Where the page should be. A `watch`: the session never waits on a replica that is
    /// busy with a long queue of events, and the replica reads it before any page data.
    pub placement: watch::Sender<Option<Placement>>,
    /// The profile's masking, applied again to everything the replica shows.
    pub rules: watch::Sender<Rules>,
    /// Frames of the whole layout viewport (`true`), or of the region the customer sees.
    pub whole_page: watch::Sender<bool>,
    /// Whether an agent is watching, so frames are rendered.
    pub streaming: watch::Sender<bool>,
    /// Questions about the page; the replica answers them before page data that waits.
    pub queries: mpsc::Sender<ReplicaQuery>,
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
