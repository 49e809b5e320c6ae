//! Every message between the server and its clients; `web/cobrowse.js` and the agent view's modules
//! (`web/agent/messages.js` has a handler per `ToAgent` tag) mirror these names.
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

mod actions;
mod agent;
mod codes;
mod customer;
mod display;
mod role;
mod visual;
pub use actions::{AgentAction, Choice, Control, PageAction, Target, MAX_OPTIONS};
pub use agent::{FromAgent, Hidden, ToAgent};
pub use codes::ErrorCode;
pub use customer::{FromCustomer, ToCustomer};
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
mod mirror;
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
