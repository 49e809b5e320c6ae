//! What the replica tells the session actor: a page rebuilt or given up, the agent's pointer
//! over something hidden, a page too large, and the answers to hit-tests of agent actions.

use super::control::refusal_text;
use super::Actor;
use crate::metrics::Limit;
use crate::replica::{Oversize, ReplicaReport};
use crate::wire::{PageAction, ToAgent, ToCustomer};

impl Actor {
    pub(super) fn replica_report(&mut self, report: ReplicaReport) {
        match report {
            ReplicaReport::Restarting(_) => {
                self.setup.services.metrics.replica_restarts.inc();
                self.tell_all(ToAgent::ReplicaRestarting)
            }
            ReplicaReport::Ready => self.tell_customer(ToCustomer::Snapshot),
            ReplicaReport::Unavailable => self.tell_all(ToAgent::ReplicaUnavailable),
            ReplicaReport::PointerOver(hidden) => self.tell_agent(ToAgent::PointerOver { hidden }),
            ReplicaReport::PageTooLarge(why) => {
                let (limit, message) = match why {
                    Oversize::Nodes => (
                        Limit::PageNodes,
                        "This page has more elements than co-browse can show; the agent sees a notice.",
                    ),
                    Oversize::Memory => (
                        Limit::PageMemory,
                        "This page needs more memory than co-browse can give it; the agent sees a notice.",
                    ),
                };
                self.setup.services.metrics.limit_hit(limit);
                let message = message.into();
                self.tell_customer(ToCustomer::Error { code: crate::wire::ErrorCode::TooLarge, message });
            }
            ReplicaReport::HitTested { seq, outcome } => {
                if self.state.admits_action().is_err() {
                    let dropped = self.gate.drop_pending();
                    tracing::info!(session = %self.setup.id, dropped, "agent actions dropped: pointer mode is back");
                    return;
                }
                let (outcome, control) = match outcome {
                    Ok(target) => (Ok(target.id), target.control),
                    Err(code) => (Err(code), None),
                };
                match self.gate.hit_tested(seq, outcome) {
                    Some(Ok(action)) => {
                        // A click on a select or a date field: the agent picks in a picker of
                        // their own, as the customer would in the browser's.
                        if let (PageAction::Click { x, y, .. }, Some(control)) = (&action, control) {
                            self.tell_agent(ToAgent::Control { x: *x, y: *y, control });
                        }
                        self.tell_customer(ToCustomer::Act { action })
                    }
                    Some(Err(code)) => {
                        tracing::info!(session = %self.setup.id, ?code, "agent action refused by the profile");
                        self.refuse(code, refusal_text(code));
                    }
                    None => {}
                }
            }
        }
    }
}
