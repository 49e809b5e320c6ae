//! The machine-readable reasons in wire messages (`code`), which the clients translate.

use serde::{Deserialize, Serialize};

/// Machine-readable reasons, which the clients translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No live session has that ID.
    NoSuchSession,
    /// The session has ended; its ID is dead.
    SessionEnded,
    /// Another agent already has this session.
    AgentPresent,
    /// The message was not understood.
    Malformed,
    /// The message was bigger than allowed.
    TooLarge,
    /// The message came out of order (for example input before joining).
    Unexpected,
    /// Pointer mode: the agent may only point.
    PointerMode,
    /// Write mode is not offered for this site.
    WriteModeUnavailable,
    /// The page is not on this site's origins.
    WrongOrigin,
    /// A write-mode request is already waiting for the customer's answer.
    RequestPending,
    /// The customer said no to write mode.
    WriteModeDenied,
    /// The customer did not answer the write-mode request in time.
    RequestLapsed,
    /// The customer is not on the page (loading the next one, or away).
    CustomerAway,
    /// The action's target is out of the agent's reach (`write_mode.disabled`).
    Disabled,
    /// Submit controls are out of the agent's reach.
    Submit,
    /// The target is masked or blocked: only the customer can fill it.
    Masked,
    /// It would leave the site.
    OutsideSite,
    /// Nothing there to act on (outside the page, or the page changed under the pointer).
    NoTarget,
    /// Too many actions too fast.
    TooFast,
    /// A file input: only the customer can choose their files.
    FileInput,
    /// The agent's action opened a native dialog (alert, confirm, print) on the customer's
    /// screen, which only the customer can answer.
    Dialog,
    /// Too many failed joins from this address; try again in a minute.
    TooManyAttempts,
    /// The server is at its limit of live sessions, or too busy to keep another within the
    /// latency budget.
    ServerBusy,
    /// Co-browse cannot run on the server now (its Chromium is not installed).
    Unavailable,
    /// The customer's network or site started as many sessions as it may for now.
    TooManySessions,
    /// The session is being handed to another agent; only that agent may join it now.
    Transferring,
    /// No agent with that id is signed in and free to take the session.
    UnknownAgent,
    /// The bearer's role does not allow this (a watching supervisor, or an agent asking to watch).
    NotAllowed,
}
