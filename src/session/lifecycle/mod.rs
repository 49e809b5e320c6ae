//! The pure state machine of a session's lifecycle and mode; no I/O, no clocks.
//!
//! The session actor feeds it [`Input`]s (connections coming and going, timers firing, requests
//! to end) and carries out the [`Effect`]s it returns. Timers are named, not timed: the actor
//! turns `Arm(Timer::Grace)` into a deadline from its settings.

use crate::wire::{EndedBy, ErrorCode, Mode, PublicState};

/// Where the customer's connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// The snippet is connected from a page of the site.
    Connected,
    /// The connection dropped moments ago, as it does on every page load within the site.
    Reconnecting,
    /// Gone longer than a page load takes, or known to have left the site.
    Away,
}

/// Who controls the page: the agent only points, has asked to act, or acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Pointer,
    /// The agent asked for write mode; the customer has not answered yet.
    Asking,
    Write,
    /// The agent handed the session to another agent, who has not joined yet.
    Handover,
}

/// A session's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The customer has a session ID; no agent has joined (yet, or any more).
    Waiting { customer: Presence },
    /// An agent watches a customer who is on the site (or is loading the next page of it).
    Active { customer: Presence, control: Control },
    /// An agent is joined but the customer is not on the site.
    Paused,
    /// Over; the ID is dead.
    Ended { by: EndedBy },
}

/// Something that happened to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    AgentJoined,
    AgentLeft,
    CustomerConnected,
    CustomerDisconnected,
    /// The snippet announced a navigation outside the site.
    CustomerLeftSite,
    Elapsed(Timer),
    End(EndedBy),
    /// The agent asks for write mode (the profile allows it; the actor checked).
    RequestWrite,
    /// The customer answered the request.
    Consent {
        allow: bool,
    },
    /// Back to pointer mode, by either side.
    PointerMode {
        by: Side,
    },
    /// The agent hands the session to another agent (who is online; the actor checked).
    Transfer,
}

/// One of the two people in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Customer,
    Agent,
}

/// The session's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// A session no agent joins expires.
    Waiting,
    /// A customer not back within a page load's time is taken to be away.
    Reconnect,
    /// A joined session whose customer stays away ends.
    Grace,
    /// A write-mode request nobody answers lapses.
    Consent,
    /// An agent a session was transferred to and who does not join gives it back to waiting.
    Transfer,
}

/// What the session is told about a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    AgentJoined,
    AgentLeft,
    Paused,
    Resumed,
    Ended(EndedBy),
    /// The customer is asked whether the agent may act.
    WriteRequested,
    /// The question is off (it lapsed or the agent withdrew it).
    RequestWithdrawn,
    /// The agent's mode changed, by `Side`'s doing (or by the customer's answer).
    Mode(Mode),
    /// The customer said no.
    WriteDenied,
    /// Nobody answered in time.
    RequestLapsed,
    /// The session is being handed to another agent.
    Transferred,
}

/// Work the actor must do after a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    TellAgent(Notice),
    TellCustomer(Notice),
    Arm(Timer),
    Disarm(Timer),
    /// Forget the session: close connections, free the replica, kill the ID.
    Close,
}

/// Why an input was not accepted; the state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    AgentPresent,
    Ended,
    /// A write-mode request is already waiting for the customer.
    AlreadyAsked,
    /// Write mode holds already.
    AlreadyWrite,
    /// The customer is not on the page to be asked.
    CustomerAway,
    /// A transfer is under way; the next agent has not joined.
    Handover,
}

impl Refusal {
    /// The wire code clients receive.
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::AgentPresent => ErrorCode::AgentPresent,
            Refusal::Ended => ErrorCode::SessionEnded,
            Refusal::AlreadyAsked => ErrorCode::RequestPending,
            Refusal::AlreadyWrite => ErrorCode::Unexpected,
            Refusal::CustomerAway => ErrorCode::CustomerAway,
            Refusal::Handover => ErrorCode::Transferring,
        }
    }
}

impl State {
    /// A fresh session: the customer is connected and waits for an agent.
    pub fn new() -> (State, Vec<Effect>) {
        (State::Waiting { customer: Presence::Connected }, vec![Effect::Arm(Timer::Waiting)])
    }

    /// A session taken over from a process that is gone: nobody is connected yet. The customer
    /// and the agent reconnect in either order (an agent back first sees it paused), and the
    /// session waits as long as a new one would.
    pub fn taken_over() -> (State, Vec<Effect>) {
        (State::Waiting { customer: Presence::Away }, vec![Effect::Arm(Timer::Waiting)])
    }

    /// The state as the contract names it.
    pub fn public(self) -> PublicState {
        match self {
            State::Waiting { .. } => PublicState::Waiting,
            State::Active { .. } => PublicState::Active,
            State::Paused => PublicState::Paused,
            State::Ended { .. } => PublicState::Ended,
        }
    }

    /// The agent's mode (pointer unless write mode was granted and still holds).
    pub fn mode(self) -> Mode {
        match self {
            State::Active { control: Control::Write, .. } => Mode::Write,
            _ => Mode::Pointer,
        }
    }

    /// Whether a write-mode request waits for the customer's answer.
    pub fn asking(self) -> bool {
        matches!(self, State::Active { control: Control::Asking, .. })
    }

    /// Whether an agent is joined.
    pub fn has_agent(self) -> bool {
        matches!(self, State::Active { .. } | State::Paused)
    }

    /// Whether an agent's action on the page may go ahead. Only write mode, with the customer
    /// connected, lets one through; everything else is pointer mode.
    pub fn admits_action(self) -> Result<(), ErrorCode> {
        match self {
            State::Active { control: Control::Write, customer: Presence::Connected } => Ok(()),
            // Write mode holds, but the customer's next page is still loading.
            State::Active { control: Control::Write, .. } => Err(ErrorCode::CustomerAway),
            _ => Err(ErrorCode::PointerMode),
        }
    }

    /// The transition function.
    pub fn step(self, input: Input) -> Result<(State, Vec<Effect>), Refusal> {
        use Effect::*;
        use Input::*;
        use Presence::*;
        let ended = |by| {
            let mut effects = vec![TellCustomer(Notice::Ended(by))];
            if self.has_agent() {
                effects.push(TellAgent(Notice::Ended(by)));
            }
            effects.push(Close);
            (State::Ended { by }, effects)
        };
        Ok(match (self, input) {
            (State::Ended { .. }, _) => return Err(Refusal::Ended),
            (_, End(by)) => ended(by),

            (State::Waiting { customer: Away }, AgentJoined) => (
                State::Paused,
                vec![Disarm(Timer::Waiting), Disarm(Timer::Reconnect), Arm(Timer::Grace), TellAgent(Notice::Paused)],
            ),
            (State::Waiting { customer }, AgentJoined) => (
                State::Active { customer, control: Control::Pointer },
                vec![Disarm(Timer::Waiting), TellCustomer(Notice::AgentJoined)],
            ),
            // The agent the session was handed to arrives (the actor checked who it is).
            (State::Active { customer, control: Control::Handover }, AgentJoined) => (
                State::Active { customer, control: Control::Pointer },
                vec![Disarm(Timer::Transfer), TellCustomer(Notice::AgentJoined)],
            ),
            (State::Active { .. } | State::Paused, AgentJoined) => return Err(Refusal::AgentPresent),

            // Write mode never passes from one agent to the next: the customer grants it afresh.
            (State::Active { customer, control }, Transfer) if control != Control::Handover => {
                let mut effects = vec![Disarm(Timer::Consent), Arm(Timer::Transfer), TellCustomer(Notice::Transferred)];
                if control == Control::Asking {
                    effects.push(TellCustomer(Notice::RequestWithdrawn));
                }
                if control == Control::Write {
                    effects.push(TellCustomer(Notice::Mode(Mode::Pointer)));
                }
                (State::Active { customer, control: Control::Handover }, effects)
            }
            (State::Active { .. }, Transfer) => return Err(Refusal::Handover),
            (_, Transfer) => return Err(Refusal::CustomerAway),
            (State::Active { customer, control: Control::Handover }, Elapsed(Timer::Transfer)) => {
                (State::Waiting { customer }, vec![Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)])
            }
            // Nobody holds the session while it is handed over: a customer who leaves the site
            // leaves it waiting, for the next agent to join as to any waiting session.
            (State::Active { control: Control::Handover, .. }, CustomerLeftSite) => (
                State::Waiting { customer: Away },
                vec![Disarm(Timer::Transfer), Disarm(Timer::Reconnect), Arm(Timer::Waiting)],
            ),
            (State::Active { customer: Reconnecting, control: Control::Handover }, Elapsed(Timer::Reconnect)) => {
                (State::Waiting { customer: Away }, vec![Disarm(Timer::Transfer), Arm(Timer::Waiting)])
            }

            (State::Active { customer, .. }, AgentLeft) => (
                State::Waiting { customer },
                vec![Disarm(Timer::Consent), Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)],
            ),
            (State::Paused, AgentLeft) => (
                State::Waiting { customer: Away },
                vec![Disarm(Timer::Grace), Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)],
            ),
            (State::Waiting { .. }, AgentLeft) => (self, vec![]),

            (State::Waiting { .. }, CustomerConnected) => {
                (State::Waiting { customer: Connected }, vec![Disarm(Timer::Reconnect)])
            }
            // The next page of the site: write mode holds; a question still open is asked again.
            (State::Active { control, .. }, CustomerConnected) => {
                let mut effects = vec![Disarm(Timer::Reconnect)];
                if control == Control::Asking {
                    effects.push(TellCustomer(Notice::WriteRequested));
                }
                (State::Active { customer: Connected, control }, effects)
            }
            (State::Paused, CustomerConnected) => (
                State::Active { customer: Connected, control: Control::Pointer },
                vec![Disarm(Timer::Grace), TellAgent(Notice::Resumed), TellCustomer(Notice::Resumed)],
            ),

            (State::Waiting { customer: Connected }, CustomerDisconnected) => {
                (State::Waiting { customer: Reconnecting }, vec![Arm(Timer::Reconnect)])
            }
            (State::Active { customer: Connected, control }, CustomerDisconnected) => {
                (State::Active { customer: Reconnecting, control }, vec![Arm(Timer::Reconnect)])
            }
            (_, CustomerDisconnected) => (self, vec![]),

            // Leaving the site before an agent joined: the reconnect window runs (below).
            (State::Waiting { .. }, CustomerLeftSite) => {
                (State::Waiting { customer: Away }, vec![Arm(Timer::Reconnect)])
            }
            (State::Active { .. }, CustomerLeftSite) => pause(),
            (State::Paused, CustomerLeftSite) => (self, vec![]),

            // Nobody joined and the customer is gone past the window: the session ends, so a
            // connection opened and dropped (by a script, many times) holds no slot for long.
            (State::Waiting { customer: Reconnecting | Away }, Elapsed(Timer::Reconnect)) => ended(EndedBy::Timeout),
            (State::Active { customer: Reconnecting, .. }, Elapsed(Timer::Reconnect)) => pause(),
            (State::Waiting { .. }, Elapsed(Timer::Waiting)) => ended(EndedBy::Timeout),
            (State::Paused, Elapsed(Timer::Grace)) => ended(EndedBy::Timeout),
            (State::Active { customer, control: Control::Asking }, Elapsed(Timer::Consent)) => (
                State::Active { customer, control: Control::Pointer },
                vec![TellAgent(Notice::RequestLapsed), TellCustomer(Notice::RequestWithdrawn)],
            ),

            (State::Active { customer: Connected, control: Control::Pointer }, RequestWrite) => (
                State::Active { customer: Connected, control: Control::Asking },
                vec![Arm(Timer::Consent), TellCustomer(Notice::WriteRequested)],
            ),
            (State::Active { control: Control::Asking, .. }, RequestWrite) => return Err(Refusal::AlreadyAsked),
            (State::Active { control: Control::Write, .. }, RequestWrite) => return Err(Refusal::AlreadyWrite),
            (State::Active { control: Control::Handover, .. }, RequestWrite) => return Err(Refusal::Handover),
            (_, RequestWrite) => return Err(Refusal::CustomerAway),

            (State::Active { customer, control: Control::Asking }, Consent { allow: true }) => (
                State::Active { customer, control: Control::Write },
                vec![
                    Disarm(Timer::Consent),
                    TellAgent(Notice::Mode(Mode::Write)),
                    TellCustomer(Notice::Mode(Mode::Write)),
                ],
            ),
            (State::Active { customer, control: Control::Asking }, Consent { allow: false }) => (
                State::Active { customer, control: Control::Pointer },
                vec![Disarm(Timer::Consent), TellAgent(Notice::WriteDenied), TellCustomer(Notice::Mode(Mode::Pointer))],
            ),
            // An answer to a question no longer open (it lapsed, or the agent left).
            (_, Consent { .. }) => (self, vec![]),

            (State::Active { customer, control: Control::Write | Control::Asking }, PointerMode { .. }) => (
                State::Active { customer, control: Control::Pointer },
                vec![
                    Disarm(Timer::Consent),
                    TellAgent(Notice::Mode(Mode::Pointer)),
                    TellCustomer(Notice::Mode(Mode::Pointer)),
                ],
            ),
            (_, PointerMode { .. }) => (self, vec![]),
            // A timer that fired after the state it was armed for has passed: nothing to do.
            (_, Elapsed(_)) => (self, vec![]),
        })
    }
}

/// Agent joined, customer off the site: write mode (or a question about it) is dropped and the
/// grace period runs.
fn pause() -> (State, Vec<Effect>) {
    (
        State::Paused,
        vec![
            Effect::Disarm(Timer::Reconnect),
            Effect::Disarm(Timer::Consent),
            Effect::Arm(Timer::Grace),
            Effect::TellAgent(Notice::Paused),
        ],
    )
}

#[cfg(test)]
mod tests;
