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

/// A session's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The customer has a session ID; no agent has joined (yet, or any more).
    Waiting { customer: Presence },
    /// An agent watches a customer who is on the site (or is loading the next page of it).
    Active { customer: Presence, mode: Mode },
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
}

/// What the session is told about a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    AgentJoined,
    AgentLeft,
    Paused,
    Resumed,
    Ended(EndedBy),
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
}

impl Refusal {
    /// The wire code clients receive.
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::AgentPresent => ErrorCode::AgentPresent,
            Refusal::Ended => ErrorCode::SessionEnded,
        }
    }
}

impl State {
    /// A fresh session: the customer is connected and waits for an agent.
    pub fn new() -> (State, Vec<Effect>) {
        (State::Waiting { customer: Presence::Connected }, vec![Effect::Arm(Timer::Waiting)])
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
            State::Active { mode, .. } => mode,
            _ => Mode::Pointer,
        }
    }

    /// Whether an agent is joined.
    pub fn has_agent(self) -> bool {
        matches!(self, State::Active { .. } | State::Paused)
    }

    /// Whether an agent's action on the page may go ahead. Only write mode, with the customer
    /// connected, lets one through; everything else is pointer mode.
    pub fn admits_action(self) -> Result<(), ErrorCode> {
        match self {
            State::Active { mode: Mode::Write, customer: Presence::Connected } => Ok(()),
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
                State::Active { customer, mode: Mode::Pointer },
                vec![Disarm(Timer::Waiting), TellCustomer(Notice::AgentJoined)],
            ),
            (State::Active { .. } | State::Paused, AgentJoined) => return Err(Refusal::AgentPresent),

            (State::Active { customer, .. }, AgentLeft) => {
                (State::Waiting { customer }, vec![Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)])
            }
            (State::Paused, AgentLeft) => (
                State::Waiting { customer: Away },
                vec![Disarm(Timer::Grace), Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)],
            ),
            (State::Waiting { .. }, AgentLeft) => (self, vec![]),

            (State::Waiting { .. }, CustomerConnected) => {
                (State::Waiting { customer: Connected }, vec![Disarm(Timer::Reconnect)])
            }
            (State::Active { mode, .. }, CustomerConnected) => {
                (State::Active { customer: Connected, mode }, vec![Disarm(Timer::Reconnect)])
            }
            (State::Paused, CustomerConnected) => (
                State::Active { customer: Connected, mode: Mode::Pointer },
                vec![Disarm(Timer::Grace), TellAgent(Notice::Resumed), TellCustomer(Notice::Resumed)],
            ),

            (State::Waiting { customer: Connected }, CustomerDisconnected) => {
                (State::Waiting { customer: Reconnecting }, vec![Arm(Timer::Reconnect)])
            }
            (State::Active { customer: Connected, mode }, CustomerDisconnected) => {
                (State::Active { customer: Reconnecting, mode }, vec![Arm(Timer::Reconnect)])
            }
            (_, CustomerDisconnected) => (self, vec![]),

            (State::Waiting { .. }, CustomerLeftSite) => {
                (State::Waiting { customer: Away }, vec![Disarm(Timer::Reconnect)])
            }
            (State::Active { .. }, CustomerLeftSite) => pause(),
            (State::Paused, CustomerLeftSite) => (self, vec![]),

            (State::Waiting { customer: Reconnecting }, Elapsed(Timer::Reconnect)) => {
                (State::Waiting { customer: Away }, vec![])
            }
            (State::Active { customer: Reconnecting, .. }, Elapsed(Timer::Reconnect)) => pause(),
            (State::Waiting { .. }, Elapsed(Timer::Waiting)) => ended(EndedBy::Timeout),
            (State::Paused, Elapsed(Timer::Grace)) => ended(EndedBy::Timeout),
            // A timer that fired after the state it was armed for has passed: nothing to do.
            (_, Elapsed(_)) => (self, vec![]),
        })
    }
}

/// Agent joined, customer off the site: write mode is dropped and the grace period runs.
fn pause() -> (State, Vec<Effect>) {
    (
        State::Paused,
        vec![Effect::Disarm(Timer::Reconnect), Effect::Arm(Timer::Grace), Effect::TellAgent(Notice::Paused)],
    )
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
