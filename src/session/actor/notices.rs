//! The session actor's messages: lifecycle effects turned into notices for the customer, the
//! agent and watching supervisors, armed timers, and the writers each message goes to.

use tokio::time::Instant;

use super::refusal_text;
use super::{members, Actor};
use crate::session::lifecycle::{Effect, Notice, Timer};
use crate::wire::{ErrorCode, Point, ToAgent, ToCustomer};

impl Actor {
    pub(super) fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::TellAgent(notice) => self.tell_agent(match notice {
                    Notice::Paused => {
                        self.tell_watchers(ToAgent::Paused);
                        ToAgent::Paused
                    }
                    Notice::Resumed => {
                        self.tell_watchers(ToAgent::Resumed);
                        ToAgent::Resumed
                    }
                    Notice::Ended(by) => ToAgent::Ended { by },
                    Notice::Mode(mode) => {
                        self.tell_watchers(ToAgent::ModeChanged { mode });
                        ToAgent::ModeChanged { mode }
                    }
                    Notice::WriteDenied => ToAgent::Refused {
                        code: ErrorCode::WriteModeDenied,
                        message: refusal_text(ErrorCode::WriteModeDenied).into(),
                    },
                    Notice::RequestLapsed => ToAgent::Refused {
                        code: ErrorCode::RequestLapsed,
                        message: refusal_text(ErrorCode::RequestLapsed).into(),
                    },
                    Notice::AgentJoined
                    | Notice::AgentLeft
                    | Notice::WriteRequested
                    | Notice::RequestWithdrawn
                    | Notice::Transferred => continue,
                }),
                Effect::TellCustomer(notice) => self.tell_customer(match notice {
                    Notice::AgentJoined => ToCustomer::AgentJoined {
                        name: self.agent.as_ref().map(|a| a.member.name.clone()).unwrap_or_default(),
                    },
                    Notice::Transferred => ToCustomer::Transferred {
                        name: self.handover_to.as_ref().map(|m| m.name.clone()).unwrap_or_default(),
                    },
                    Notice::AgentLeft => ToCustomer::AgentLeft,
                    Notice::Resumed => ToCustomer::Resumed,
                    Notice::Ended(by) => ToCustomer::Ended { by },
                    Notice::WriteRequested => ToCustomer::WriteRequested,
                    Notice::RequestWithdrawn => ToCustomer::RequestWithdrawn,
                    Notice::Mode(mode) => ToCustomer::ModeChanged { mode },
                    Notice::Paused | Notice::WriteDenied | Notice::RequestLapsed => continue,
                }),
                Effect::Arm(timer) => {
                    let t = &self.setup.timings;
                    let after = match timer {
                        Timer::Waiting => t.waiting_ttl,
                        Timer::Reconnect => t.reconnect_window,
                        Timer::Grace => t.grace,
                        Timer::Consent => t.write_request_ttl,
                        Timer::Transfer => members::TRANSFER_TTL,
                    };
                    self.deadlines.insert(timer, Instant::now() + after);
                }
                Effect::Disarm(timer) => {
                    self.deadlines.remove(&timer);
                }
                Effect::Close => {
                    tracing::info!(session = %self.setup.id, "session ended");
                    self.closed();
                }
            }
        }
    }

    pub(super) fn point_for_customer(&self, p: Point) {
        if let Some(customer) = &self.customer {
            customer.link.pointer.send_replace(Some(p));
        }
    }

    // A full queue means the client stopped reading; its connection will time out.
    pub(super) fn tell_agent(&self, message: ToAgent) {
        if let Some(agent) = &self.agent {
            if agent.link.messages.try_send(message).is_err() {
                tracing::warn!(session = %self.setup.id, "agent is not reading; a message was dropped");
            }
        }
    }

    /// Tells the watching supervisors.
    pub(super) fn tell_watchers(&self, message: ToAgent) {
        for watcher in &self.watchers {
            if watcher.link.messages.try_send(message.clone()).is_err() {
                tracing::warn!(session = %self.setup.id, "a supervisor is not reading; a message was dropped");
            }
        }
    }

    /// Tells the agent and the watching supervisors.
    pub(super) fn tell_all(&self, message: ToAgent) {
        self.tell_watchers(message.clone());
        self.tell_agent(message);
    }

    pub(super) fn tell_customer(&self, message: ToCustomer) {
        if let Some(customer) = &self.customer {
            if customer.link.messages.try_send(message).is_err() {
                tracing::warn!(session = %self.setup.id, "customer is not reading; a message was dropped");
            }
        }
    }
}
