//! The customer snippet's side of the wire: what `web/cobrowse.js` sends and what it is sent.

use serde::{Deserialize, Serialize};

use super::{Display, EndedBy, ErrorCode, Mode, PageAction, PublicState, Rules, VisualViewport};

/// Messages the customer snippet sends (text frames).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromCustomer {
    /// Open a new session (the "Co-browse" button or `Cobrowse.start()`).
    Start,
    /// Continue the session whose token this tab kept across a page load.
    Resume { token: String },
    /// The page the events that follow belong to, its window size and what else shapes its
    /// layout.
    Page {
        href: String,
        width: u32,
        height: u32,
        #[serde(default)]
        display: Display,
        /// The part of the window the customer sees, where it is not all of it (a phone).
        #[serde(default)]
        visual: Option<VisualViewport>,
    },
    /// The window was resized, or something else that shapes the layout changed (zoom, dark
    /// mode), or the customer zoomed, panned or opened the on-screen keyboard.
    Viewport {
        width: u32,
        height: u32,
        #[serde(default)]
        display: Display,
        #[serde(default)]
        visual: Option<VisualViewport>,
    },
    /// The customer's mouse pointer moved.
    Pointer { x: f64, y: f64 },
    /// The customer is following a link to `href`, outside the site.
    Leaving { href: String },
    /// The customer ends the session.
    End,
    /// The customer's answer to the agent's write-mode request ("Allow" or "Deny").
    Consent { allow: bool },
    /// The customer takes write mode back.
    PointerMode,
    /// The snippet's own check refused an agent's action; the agent is told why.
    Refused { code: ErrorCode },
}

/// Messages the server sends the customer snippet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToCustomer {
    /// The session exists; `token` lets this tab resume it after a page load.
    Started {
        id: String,
        token: String,
        origins: Vec<String>,
        state: PublicState,
        mode: Mode,
        /// What to hide from the agent on this site; the snippet masks before it sends.
        rules: Rules,
    },
    /// An admin changed the site's profile: record the page again under these rules.
    Rules {
        rules: Rules,
    },
    /// Send a full snapshot of the page now.
    Snapshot,
    AgentJoined {
        /// The agent's display name, from their sign-in.
        name: String,
    },
    /// The agent handed the session to the agent named `name`; write mode ended with it.
    Transferred {
        name: String,
    },
    /// How many supervisors watch besides the agent (the customer is told when it changes).
    Watchers {
        count: usize,
    },
    /// The customer is back on the site after a pause; the agent is watching again.
    Resumed,
    /// Another tab of the same browser took this session over (a duplicated tab shares its
    /// session storage); this one stops without reconnecting.
    Superseded,
    AgentLeft,
    AgentPointer {
        x: f64,
        y: f64,
    },
    /// The agent clicked: draw a red circle here.
    AgentClick {
        x: f64,
        y: f64,
    },
    Ended {
        by: EndedBy,
    },
    /// The session could not be started or resumed; the snippet forgets its token.
    Gone {
        code: ErrorCode,
        message: String,
    },
    /// A message was refused; the session goes on.
    Error {
        code: ErrorCode,
        message: String,
    },
    /// The agent asks for write mode: ask the customer ("Allow" or "Deny").
    WriteRequested,
    /// The request lapsed or was withdrawn: close the question.
    RequestWithdrawn,
    /// The agent's mode changed.
    ModeChanged {
        mode: Mode,
    },
    /// Perform this agent action (the server checked it; check it again).
    Act {
        action: PageAction,
    },
}
