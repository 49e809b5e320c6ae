//! The agent view's side of the wire: what `web/agent/agent.js` sends and what it is sent.

use serde::{Deserialize, Serialize};

use super::{AgentAction, Control, EndedBy, ErrorCode, Mode, PublicState, Role};

/// Messages the agent view sends (text frames).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromAgent {
    /// Take control of a session, or with `watch` (supervisors only) watch it without control.
    /// `interaction` binds it to the contact center's interaction, which can end it.
    Join {
        session: String,
        #[serde(default)]
        interaction: Option<String>,
        #[serde(default)]
        watch: bool,
    },
    /// Hand the session to the signed-in agent with this id.
    Transfer {
        to: String,
    },
    Pointer {
        x: f64,
        y: f64,
    },
    /// A click in pointer mode: shown to the customer as a red circle, never performed.
    Click {
        x: f64,
        y: f64,
    },
    /// Ask the customer for write mode.
    RequestWriteMode,
    /// Give write mode back (or withdraw the request).
    PointerMode,
    /// An action on the customer's page; only ever performed in write mode.
    Action {
        action: AgentAction,
    },
    /// Show the customer's whole layout viewport, with what they see outlined, or (`false`)
    /// just what they see. Matters where they see part of it (a pinched phone).
    View {
        whole: bool,
    },
    End,
}

/// Messages the server sends the agent view (text frames; frames themselves are binary).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToAgent {
    /// Sent first on every connection: who the token says this is.
    Hello {
        agent: String,
        name: String,
        role: Role,
    },
    /// Another agent hands this agent a session; the agent view joins it.
    TransferOffered {
        session: String,
        from: String,
    },
    /// This agent handed the session over; the connection is done with it.
    TransferredAway {
        to: String,
    },
    /// How many supervisors watch the session besides its agent.
    Watchers {
        count: usize,
    },
    Joined {
        session: String,
        width: u32,
        height: u32,
        state: PublicState,
        mode: Mode,
        write_mode_allowed: bool,
        /// The customer's site (the origin of the page that started the session): addresses
        /// the agent types are read against it.
        origin: String,
        /// Joined to watch (a supervisor): frames and notices, never control.
        watching: bool,
    },
    /// The agent's mode changed (the customer allowed write mode, or either side went back).
    ModeChanged {
        mode: Mode,
    },
    /// What the customer sees has a new size, in their screen's CSS pixels: the window, or on a
    /// phone the visual viewport at its zoom.
    Viewport {
        width: u32,
        height: u32,
        /// The customer sees only part of their layout viewport: a whole-page view shows more.
        partial: bool,
        /// In the whole-page view, the region the customer sees on this screen: left, top,
        /// width, height.
        #[serde(skip_serializing_if = "Option::is_none")]
        outline: Option<[f64; 4]>,
    },
    CustomerPointer {
        x: f64,
        y: f64,
    },
    /// The customer left the site (or closed the tab); frames stop until they return.
    Paused,
    /// The customer is back on the site; a fresh snapshot follows.
    Resumed,
    /// The customer is on a page the profile masks whole (`private`), or has left it.
    PrivatePage {
        private: bool,
    },
    /// The agent clicked a control that a person works with a native picker (a `<select>`'s
    /// list, a date or colour picker): the agent view shows one of its own at the point, and
    /// the agent's choice comes back as `choose` or `set_value`.
    Control {
        x: f64,
        y: f64,
        control: Control,
    },
    /// What the agent's pointer rests on, when it is hidden from the agent (`None` otherwise).
    PointerOver {
        hidden: Option<Hidden>,
    },
    /// The replica is being rebuilt after a fault; frames resume by themselves.
    ReplicaRestarting,
    /// The replica could not be rebuilt; it is tried again when the customer opens a page.
    ReplicaUnavailable,
    /// An input or request was refused; `code` says why.
    Refused {
        code: ErrorCode,
        message: String,
    },
    Ended {
        by: EndedBy,
    },
    /// The join failed; nothing about any session is revealed beyond `code`.
    JoinFailed {
        code: ErrorCode,
        message: String,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
}

/// Why the agent cannot see what their pointer rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hidden {
    /// A masked form field (or password): only the customer can fill it.
    MaskedField,
    /// Masked text.
    Masked,
    /// A blocked element.
    Blocked,
}
