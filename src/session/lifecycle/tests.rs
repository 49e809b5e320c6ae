//! Table-driven tests of the lifecycle state machine.

use super::*;
use Effect::*;
use Input::*;
use Presence::*;

const W_CONN: State = State::Waiting { customer: Connected };
const W_RECON: State = State::Waiting { customer: Reconnecting };
const W_AWAY: State = State::Waiting { customer: Away };
const A_CONN: State = State::Active { customer: Connected, control: Control::Pointer };
const A_RECON: State = State::Active { customer: Reconnecting, control: Control::Pointer };
const A_WRITE: State = State::Active { customer: Connected, control: Control::Write };
const A_ASKING: State = State::Active { customer: Connected, control: Control::Asking };
const A_WRITE_RECON: State = State::Active { customer: Reconnecting, control: Control::Write };
const A_HANDOVER: State = State::Active { customer: Connected, control: Control::Handover };
const A_HANDOVER_RECON: State = State::Active { customer: Reconnecting, control: Control::Handover };

#[test]
fn transitions() {
    let table: &[(State, Input, State, &[Effect])] = &[
        // An agent joins a waiting customer; the customer is told.
        (W_CONN, AgentJoined, A_CONN, &[Disarm(Timer::Waiting), TellCustomer(Notice::AgentJoined)]),
        // Mid page load the join still counts; the page arrives in a moment.
        (W_RECON, AgentJoined, A_RECON, &[Disarm(Timer::Waiting), TellCustomer(Notice::AgentJoined)]),
        // Joining a customer who left the site shows the agent a paused session.
        (
            W_AWAY,
            AgentJoined,
            State::Paused,
            &[Disarm(Timer::Waiting), Disarm(Timer::Reconnect), Arm(Timer::Grace), TellAgent(Notice::Paused)],
        ),
        // The agent leaves: back to waiting, joinable again.
        (A_CONN, AgentLeft, W_CONN, &[Disarm(Timer::Consent), Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)]),
        (A_WRITE, AgentLeft, W_CONN, &[Disarm(Timer::Consent), Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)]),
        (
            State::Paused,
            AgentLeft,
            W_AWAY,
            &[Disarm(Timer::Grace), Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)],
        ),
        // A page load: disconnected, then connected again before the window elapses.
        (A_CONN, CustomerDisconnected, A_RECON, &[Arm(Timer::Reconnect)]),
        (A_RECON, CustomerConnected, A_CONN, &[Disarm(Timer::Reconnect)]),
        (W_CONN, CustomerDisconnected, W_RECON, &[Arm(Timer::Reconnect)]),
        (W_RECON, CustomerConnected, W_CONN, &[Disarm(Timer::Reconnect)]),
        // Not back in time: the agent sees a pause, write mode is gone.
        (
            A_RECON,
            Elapsed(Timer::Reconnect),
            State::Paused,
            &[Disarm(Timer::Reconnect), Disarm(Timer::Consent), Arm(Timer::Grace), TellAgent(Notice::Paused)],
        ),
        // Nobody joined and the customer is gone past the window: ended, holding no slot.
        (
            W_RECON,
            Elapsed(Timer::Reconnect),
            State::Ended { by: EndedBy::Timeout },
            &[TellCustomer(Notice::Ended(EndedBy::Timeout)), Close],
        ),
        (
            W_AWAY,
            Elapsed(Timer::Reconnect),
            State::Ended { by: EndedBy::Timeout },
            &[TellCustomer(Notice::Ended(EndedBy::Timeout)), Close],
        ),
        // A link outside the site pauses at once.
        (
            A_CONN,
            CustomerLeftSite,
            State::Paused,
            &[Disarm(Timer::Reconnect), Disarm(Timer::Consent), Arm(Timer::Grace), TellAgent(Notice::Paused)],
        ),
        (
            A_WRITE,
            CustomerLeftSite,
            State::Paused,
            &[Disarm(Timer::Reconnect), Disarm(Timer::Consent), Arm(Timer::Grace), TellAgent(Notice::Paused)],
        ),
        // Before anyone joined: the reconnect window runs; back in time, it goes on.
        (W_CONN, CustomerLeftSite, W_AWAY, &[Arm(Timer::Reconnect)]),
        (W_AWAY, CustomerConnected, W_CONN, &[Disarm(Timer::Reconnect)]),
        // Back on the site: resumed, in pointer mode.
        (
            State::Paused,
            CustomerConnected,
            A_CONN,
            &[Disarm(Timer::Grace), TellAgent(Notice::Resumed), TellCustomer(Notice::Resumed)],
        ),
        // Timeouts end the session and tell whoever is there.
        (
            W_CONN,
            Elapsed(Timer::Waiting),
            State::Ended { by: EndedBy::Timeout },
            &[TellCustomer(Notice::Ended(EndedBy::Timeout)), Close],
        ),
        (
            State::Paused,
            Elapsed(Timer::Grace),
            State::Ended { by: EndedBy::Timeout },
            &[TellCustomer(Notice::Ended(EndedBy::Timeout)), TellAgent(Notice::Ended(EndedBy::Timeout)), Close],
        ),
        // Stale timers change nothing.
        (A_CONN, Elapsed(Timer::Waiting), A_CONN, &[]),
        (A_CONN, Elapsed(Timer::Grace), A_CONN, &[]),
        (A_CONN, Elapsed(Timer::Reconnect), A_CONN, &[]),
        (State::Paused, CustomerDisconnected, State::Paused, &[]),
        // Write mode: the agent asks, the customer answers; either side takes it back.
        (A_CONN, RequestWrite, A_ASKING, &[Arm(Timer::Consent), TellCustomer(Notice::WriteRequested)]),
        (
            A_ASKING,
            Consent { allow: true },
            A_WRITE,
            &[Disarm(Timer::Consent), TellAgent(Notice::Mode(Mode::Write)), TellCustomer(Notice::Mode(Mode::Write))],
        ),
        (
            A_ASKING,
            Consent { allow: false },
            A_CONN,
            &[Disarm(Timer::Consent), TellAgent(Notice::WriteDenied), TellCustomer(Notice::Mode(Mode::Pointer))],
        ),
        (
            A_ASKING,
            Elapsed(Timer::Consent),
            A_CONN,
            &[TellAgent(Notice::RequestLapsed), TellCustomer(Notice::RequestWithdrawn)],
        ),
        // An answer after the question lapsed, or a stray timer, changes nothing.
        (A_CONN, Consent { allow: true }, A_CONN, &[]),
        (A_WRITE, Elapsed(Timer::Consent), A_WRITE, &[]),
        (W_CONN, Consent { allow: true }, W_CONN, &[]),
        (
            A_WRITE,
            PointerMode { by: Side::Customer },
            A_CONN,
            &[
                Disarm(Timer::Consent),
                TellAgent(Notice::Mode(Mode::Pointer)),
                TellCustomer(Notice::Mode(Mode::Pointer)),
            ],
        ),
        (
            A_WRITE,
            PointerMode { by: Side::Agent },
            A_CONN,
            &[
                Disarm(Timer::Consent),
                TellAgent(Notice::Mode(Mode::Pointer)),
                TellCustomer(Notice::Mode(Mode::Pointer)),
            ],
        ),
        (
            A_ASKING,
            PointerMode { by: Side::Agent },
            A_CONN,
            &[
                Disarm(Timer::Consent),
                TellAgent(Notice::Mode(Mode::Pointer)),
                TellCustomer(Notice::Mode(Mode::Pointer)),
            ],
        ),
        (A_CONN, PointerMode { by: Side::Customer }, A_CONN, &[]),
        // Write mode holds across a page load of the site; an open question is asked again.
        (A_WRITE, CustomerDisconnected, A_WRITE_RECON, &[Arm(Timer::Reconnect)]),
        (A_WRITE_RECON, CustomerConnected, A_WRITE, &[Disarm(Timer::Reconnect)]),
        (
            State::Active { customer: Reconnecting, control: Control::Asking },
            CustomerConnected,
            A_ASKING,
            &[Disarm(Timer::Reconnect), TellCustomer(Notice::WriteRequested)],
        ),
        // Either side ends; the other is told.
        (
            A_CONN,
            End(EndedBy::Customer),
            State::Ended { by: EndedBy::Customer },
            &[TellCustomer(Notice::Ended(EndedBy::Customer)), TellAgent(Notice::Ended(EndedBy::Customer)), Close],
        ),
        (
            A_CONN,
            End(EndedBy::Agent),
            State::Ended { by: EndedBy::Agent },
            &[TellCustomer(Notice::Ended(EndedBy::Agent)), TellAgent(Notice::Ended(EndedBy::Agent)), Close],
        ),
        (
            W_CONN,
            End(EndedBy::Customer),
            State::Ended { by: EndedBy::Customer },
            &[TellCustomer(Notice::Ended(EndedBy::Customer)), Close],
        ),
        // A transfer: write mode ends there (the next agent needs fresh consent), the customer
        // is told who takes over, and the slot is kept for that agent a while.
        (
            A_CONN,
            Transfer,
            A_HANDOVER,
            &[Disarm(Timer::Consent), Arm(Timer::Transfer), TellCustomer(Notice::Transferred)],
        ),
        (
            A_WRITE,
            Transfer,
            A_HANDOVER,
            &[
                Disarm(Timer::Consent),
                Arm(Timer::Transfer),
                TellCustomer(Notice::Transferred),
                TellCustomer(Notice::Mode(Mode::Pointer)),
            ],
        ),
        (
            A_ASKING,
            Transfer,
            A_HANDOVER,
            &[
                Disarm(Timer::Consent),
                Arm(Timer::Transfer),
                TellCustomer(Notice::Transferred),
                TellCustomer(Notice::RequestWithdrawn),
            ],
        ),
        (A_HANDOVER, AgentJoined, A_CONN, &[Disarm(Timer::Transfer), TellCustomer(Notice::AgentJoined)]),
        // The next agent never comes: the session waits for any agent, as when one leaves.
        (A_HANDOVER, Elapsed(Timer::Transfer), W_CONN, &[Arm(Timer::Waiting), TellCustomer(Notice::AgentLeft)]),
        // A page load during the handover keeps it; leaving the site leaves the session waiting.
        (A_HANDOVER, CustomerDisconnected, A_HANDOVER_RECON, &[Arm(Timer::Reconnect)]),
        (A_HANDOVER_RECON, CustomerConnected, A_HANDOVER, &[Disarm(Timer::Reconnect)]),
        (
            A_HANDOVER,
            CustomerLeftSite,
            W_AWAY,
            &[Disarm(Timer::Transfer), Disarm(Timer::Reconnect), Arm(Timer::Waiting)],
        ),
        (A_HANDOVER_RECON, Elapsed(Timer::Reconnect), W_AWAY, &[Disarm(Timer::Transfer), Arm(Timer::Waiting)]),
        (
            A_HANDOVER,
            End(EndedBy::Interaction),
            State::Ended { by: EndedBy::Interaction },
            &[TellCustomer(Notice::Ended(EndedBy::Interaction)), TellAgent(Notice::Ended(EndedBy::Interaction)), Close],
        ),
    ];
    for (from, input, to, effects) in table {
        let (state, got) = from.step(*input).unwrap_or_else(|r| panic!("{from:?} + {input:?} refused: {r:?}"));
        assert_eq!((state, got.as_slice()), (*to, *effects), "{from:?} + {input:?}");
    }
}

#[test]
fn refusals() {
    let table: &[(State, Input, Refusal)] = &[
        (A_CONN, AgentJoined, Refusal::AgentPresent),
        (State::Paused, AgentJoined, Refusal::AgentPresent),
        (State::Ended { by: EndedBy::Agent }, AgentJoined, Refusal::Ended),
        (State::Ended { by: EndedBy::Agent }, CustomerConnected, Refusal::Ended),
        (State::Ended { by: EndedBy::Agent }, End(EndedBy::Customer), Refusal::Ended),
        // One request at a time; none while the customer is away or loading a page.
        (A_ASKING, RequestWrite, Refusal::AlreadyAsked),
        (A_WRITE, RequestWrite, Refusal::AlreadyWrite),
        (A_RECON, RequestWrite, Refusal::CustomerAway),
        (State::Paused, RequestWrite, Refusal::CustomerAway),
        (W_CONN, RequestWrite, Refusal::CustomerAway),
        // One transfer at a time, and only with the customer on the site.
        (A_HANDOVER, Transfer, Refusal::Handover),
        (A_HANDOVER, RequestWrite, Refusal::Handover),
        (State::Paused, Transfer, Refusal::CustomerAway),
        (W_CONN, Transfer, Refusal::CustomerAway),
    ];
    for (from, input, refusal) in table {
        assert_eq!(from.step(*input), Err(*refusal), "{from:?} + {input:?}");
    }
}

#[test]
fn only_write_mode_with_the_customer_present_admits_actions() {
    let table: &[(State, Result<(), ErrorCode>)] = &[
        (W_CONN, Err(ErrorCode::PointerMode)),
        (A_CONN, Err(ErrorCode::PointerMode)),
        (A_RECON, Err(ErrorCode::PointerMode)),
        (State::Paused, Err(ErrorCode::PointerMode)),
        (A_WRITE_RECON, Err(ErrorCode::CustomerAway)),
        (A_ASKING, Err(ErrorCode::PointerMode)),
        (A_HANDOVER, Err(ErrorCode::PointerMode)),
        (A_WRITE, Ok(())),
    ];
    for (state, expected) in table {
        assert_eq!(state.admits_action(), *expected, "{state:?}");
    }
}

#[test]
fn public_states_follow_the_contract() {
    assert_eq!(W_AWAY.public(), PublicState::Waiting);
    assert_eq!(A_RECON.public(), PublicState::Active);
    assert_eq!(State::Paused.public(), PublicState::Paused);
    assert_eq!(State::new().0, W_CONN);
    assert_eq!(State::new().1, vec![Arm(Timer::Waiting)]);
}

#[test]
fn a_session_taken_over_comes_back_whoever_reconnects_first() {
    let (start, effects) = State::taken_over();
    assert_eq!((start, effects), (W_AWAY, vec![Arm(Timer::Waiting)]), "in pointer mode, nobody connected");
    // The agent first: paused until the customer's page is back, then both are told.
    let (paused, _) = start.step(AgentJoined).unwrap();
    assert_eq!(paused, State::Paused);
    let (back, effects) = paused.step(CustomerConnected).unwrap();
    assert_eq!(back, A_CONN);
    assert!(effects.contains(&TellAgent(Notice::Resumed)) && effects.contains(&TellCustomer(Notice::Resumed)));
    // The customer first: waiting for the agent, who joins as usual.
    let (waiting, _) = start.step(CustomerConnected).unwrap();
    assert_eq!(waiting.step(AgentJoined).unwrap().0, A_CONN);
}
