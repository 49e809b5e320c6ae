//! Every message between the server and its clients; `web/cobrowse.js` and `web/agent/agent.js`
//! mirror these names.
//!
//! Text WebSocket messages are JSON objects tagged by `type`. Two bulky kinds travel as binary
//! instead: rrweb events from the customer (a UTF-8 JSON array, which the server only
//! validates) and frames to the agent (the tiles that changed, see `crate::stream::tiles`).

use serde::{Deserialize, Serialize};

/// Largest control message either client may send; anything bigger is answered with an error.
pub const MAX_CONTROL_MESSAGE: usize = 16 * 1024;
/// Largest batch of rrweb events: the largest message measured on real pages (1.75 MB, a
/// full snapshot with its stylesheets inlined; see `server::budget`) over four times. A 30 MB
/// snapshot of 150,000 nodes took the replicas' Chromium from 665 MB to 1.4 GB.
pub const MAX_EVENTS_MESSAGE: usize = 8 * 1024 * 1024;

/// Where a session's end came from; the contract's `session-ended` event carries it as `by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndedBy {
    Customer,
    Agent,
    Timeout,
    Interaction,
    Server,
}

/// What the agent may do on the customer's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Pointer,
    Write,
}

/// A session's state as clients see it (`Cobrowse.state` minus `idle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicState {
    Waiting,
    Active,
    Paused,
    Ended,
}

/// A point in the customer's viewport, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// What the snippet and the replica hide from the agent: the session's profile's `[masking]`.
/// Password fields are always masked, whatever the rules say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Rules {
    /// CSS selectors whose text and values travel as asterisks.
    pub masked: Vec<String>,
    /// CSS selectors that travel as an empty box of the same size.
    pub blocked: Vec<String>,
    /// Regular expressions on the path of pages that are not sent at all.
    pub masked_pages: Vec<String>,
    /// The site's origins: an agent's action that would leave them is refused.
    pub origins: Vec<String>,
    /// CSS selectors the agent can never click or type into.
    pub disabled: Vec<String>,
    /// Whether submit controls are out of the agent's reach.
    pub disable_submit: bool,
    /// Regular expressions on the path of addresses the agent may never navigate to.
    pub forbidden_paths: Vec<String>,
}

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

/// A message to a client: whether the connection has nothing more to say after it, and how
/// the other side's pointer is put.
pub trait Outgoing: Serialize {
    fn is_final(&self) -> bool;
    fn pointer(at: Point) -> Self;
}

impl Outgoing for ToCustomer {
    fn is_final(&self) -> bool {
        matches!(self, ToCustomer::Ended { .. } | ToCustomer::Gone { .. } | ToCustomer::Superseded)
    }
    fn pointer(at: Point) -> Self {
        ToCustomer::AgentPointer { x: at.x, y: at.y }
    }
}

impl Outgoing for ToAgent {
    fn is_final(&self) -> bool {
        matches!(self, ToAgent::Ended { .. } | ToAgent::TransferredAway { .. })
    }
    fn pointer(at: Point) -> Self {
        ToAgent::CustomerPointer { x: at.x, y: at.y }
    }
}

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

mod actions;
mod codes;
mod display;
mod role;
mod visual;
pub use actions::{AgentAction, Choice, Control, PageAction, Target, MAX_OPTIONS};
pub use codes::ErrorCode;
pub use display::{ColorScheme, Contrast, Display, CLASSIC_SCROLLBAR};
pub use role::Role;
pub use visual::{VisualViewport, SCALE_RANGE};

/// Parses a text message, or says why it cannot.
pub fn parse<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, (ErrorCode, String)> {
    if text.len() > MAX_CONTROL_MESSAGE {
        return Err((
            ErrorCode::TooLarge,
            format!("message of {} bytes exceeds the limit of {MAX_CONTROL_MESSAGE}", text.len()),
        ));
    }
    serde_json::from_str(text).map_err(|e| (ErrorCode::Malformed, format!("malformed message: {e}")))
}

/// Serialises a message; our own enums always serialise.
pub fn to_text<T: Serialize>(message: &T) -> String {
    serde_json::to_string(message).expect("wire messages serialise")
}

/// Checks that a binary events message is a JSON array of values, so it can be handed to the
/// replica as a JavaScript literal without any chance of code injection.
pub fn validate_events(bytes: &[u8]) -> Result<&str, (ErrorCode, String)> {
    if bytes.len() > MAX_EVENTS_MESSAGE {
        return Err((
            ErrorCode::TooLarge,
            format!("events message of {} bytes exceeds the limit of {MAX_EVENTS_MESSAGE}", bytes.len()),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| (ErrorCode::Malformed, "events are not UTF-8".to_string()))?;
    serde_json::from_str::<Vec<serde::de::IgnoredAny>>(text)
        .map_err(|e| (ErrorCode::Malformed, format!("events are not a JSON array: {e}")))?;
    Ok(text)
}

#[cfg(test)]
mod tests;

/// The keys of the object literal that `function {name}()` in `web/viewport.js` returns, sorted:
/// the snippet's copy of a report's fields, which tests hold to the Rust struct's.
#[cfg(test)]
fn snippet_report_keys(name: &str) -> Vec<&'static str> {
    let js = include_str!("../../web/viewport.js");
    let body = &js[js.find(&format!("function {name}()")).unwrap()..];
    let body = &body[..body.find("\n  }\n").unwrap()];
    let mut keys: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k))
        .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    keys.sort_unstable();
    keys
}
