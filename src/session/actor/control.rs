//! The session actor's side of control: agent actions in write mode (the gate and the
//! replica's hit-test), the agent's pointer probed for masked fields, and profile edits reaching
//! a running session.

use tokio::time::Instant;

use super::{Actor, PROBE_EVERY};
use crate::profile::Profiles;
use crate::replica::ReplicaQuery;
use crate::session::gate::Verdict;
use crate::wire::{AgentAction, ErrorCode, Point, ToCustomer};

impl Actor {
    /// An agent's action: only in write mode, through the gate and the replica's hit-test.
    pub(super) fn act(&mut self, action: AgentAction) {
        if let Err(code) = self.state.admits_action() {
            tracing::warn!(session = %self.setup.id, ?action, ?code, "refused an agent action in pointer mode");
            self.refuse(code, refusal_text(code));
            return;
        }
        // The session's one clock (tokio's, which tests pause) for the gate's rate limit too.
        let now = Instant::now().into_std();
        match self.gate.admit(now, action, self.viewport, &self.setup.profile) {
            Verdict::Perform(action) => self.tell_customer(ToCustomer::Act { action }),
            Verdict::HitTest(seq, action) => {
                if self.setup.replica.queries.try_send(ReplicaQuery::HitTest { seq, action }).is_err() {
                    let _ = self.gate.hit_tested(seq, Err(ErrorCode::TooFast));
                    self.refuse(ErrorCode::TooFast, refusal_text(ErrorCode::TooFast));
                }
            }
            Verdict::Refused(code, message) => {
                tracing::info!(session = %self.setup.id, ?code, "agent action refused");
                self.refuse(code, message);
            }
        }
    }

    /// Hit-tests the agent's pointer in the replica, at most every [`PROBE_EVERY`]; a pointer
    /// that moves on in between is tested where it ends up.
    pub(super) fn probe(&mut self, at: Point) {
        let now = Instant::now();
        if self.probe_due.is_some() || now < self.last_probe + PROBE_EVERY {
            self.probe_at = Some(at);
            self.probe_due.get_or_insert(self.last_probe + PROBE_EVERY);
            return;
        }
        self.last_probe = now;
        // A busy replica skips a hit-test; the next pointer move asks again.
        let _ = self.setup.replica.queries.try_send(ReplicaQuery::Probe { x: at.x, y: at.y });
    }

    /// An admin edited the profiles: a changed profile for this site applies at once, in the
    /// replica and in the customer's browser (which records the page again under it).
    pub(super) fn profiles_changed(&mut self, profiles: &Profiles) {
        let Some(profile) = profiles.for_origin(&self.setup.origin) else {
            tracing::warn!(session = %self.setup.id, origin = %self.setup.origin, "no profile covers this session's site any more; it keeps its last rules");
            return;
        };
        let same = profile.same_rules(&self.setup.profile);
        let rules = profile.rules();
        self.setup.profile = profile;
        if same {
            return;
        }
        tracing::info!(session = %self.setup.id, file = %self.setup.profile.file.display(), "profile edited; the session follows it");
        // Read by the replica before any page data that waits, however long its queue.
        self.setup.replica.rules.send_replace(rules.clone());
        self.tell_customer(ToCustomer::Rules { rules });
        // A page the edit masks whole (or no longer does) is hidden (or shown) at once.
        self.decide_masking();
    }
}

/// What the agent is told when something is refused (the agent view translates by code).
pub(super) fn refusal_text(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::PointerMode => "Pointer mode: the agent can only point.",
        ErrorCode::WriteModeUnavailable => "Write mode is not available on this site.",
        ErrorCode::RequestPending => "A write-mode request is already waiting for the customer's answer.",
        ErrorCode::WriteModeDenied => "The customer declined write mode.",
        ErrorCode::RequestLapsed => "The customer did not answer the write-mode request.",
        ErrorCode::CustomerAway => "The customer is not on the page right now.",
        ErrorCode::Disabled => "That is out of the agent's reach on this site.",
        ErrorCode::Submit => "Only the customer can submit.",
        ErrorCode::Masked => "Only the customer can fill this field.",
        ErrorCode::OutsideSite => "That would leave the customer's site.",
        ErrorCode::NoTarget => "There is nothing to act on there.",
        ErrorCode::TooFast => "Too many actions at once; slow down.",
        ErrorCode::FileInput => "Only the customer can choose files to upload.",
        ErrorCode::Dialog => "A dialog opened on the customer's screen; only the customer can answer it.",
        _ => "That was refused.",
    }
}
