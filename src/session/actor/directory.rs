//! The session actor and the directory: the record it keeps current there, taking a session
//! over from a process that is gone, and letting one go that another process took over.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

use super::{Actor, RecordedAgent, SessionRecord};
use crate::wire::Mode;

impl Actor {
    /// Picks up where the process that ran the session left it: its interaction, when it
    /// started and with whom. Connections come back by themselves; write mode does not (the
    /// customer grants it afresh, and is told).
    pub(super) fn resume_from(&mut self, record: SessionRecord) {
        let me = self.setup.services.directory.me().node.clone();
        tracing::info!(session = %self.setup.id, from = %record.owner.node, state = ?record.state, "session taken over");
        if let Some(interaction) = &record.interaction {
            self.setup.registry.bind(interaction, &self.setup.id);
        }
        self.interaction = record.interaction.clone();
        self.started =
            record.first_joined.clone().map(|(at_ms, agent)| (UNIX_EPOCH + Duration::from_millis(at_ms), agent));
        self.audit(
            "taken_over",
            None,
            json!({ "from": record.owner.node, "node": me, "state": record.state, "mode": record.mode }),
        );
        if record.mode == Mode::Write {
            self.write_lost = true;
            let agent = record.agent.as_ref().map(|a| a.id.as_str());
            self.setup.services.metrics.mode_changed(Mode::Pointer);
            self.audit("mode_changed", agent, json!({ "mode": Mode::Pointer, "by": "takeover" }));
        }
    }

    /// Sets the directory's record to the session as it is now (written if it changed).
    pub(super) fn publish(&self) {
        let (state, mode) = (self.state.public(), self.state.mode());
        let agent = self.agent.as_ref().map(|a| RecordedAgent { id: a.member.id.clone(), name: a.member.name.clone() });
        let first_joined = self.started.as_ref().map(|(at, agent)| {
            let at_ms = at.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
            (at_ms, agent.clone())
        });
        let interaction = self.interaction.clone();
        let watchers = self.watchers.len();
        self.setup.publisher.set(|record| {
            record.state = state;
            record.mode = mode;
            record.agent = agent;
            record.interaction = interaction;
            record.watchers = watchers;
            record.first_joined = first_joined;
        });
    }

    /// This node drains: the session goes on elsewhere. Its connections here close, so they
    /// reconnect and reach another node, which takes it over (released on the way out).
    pub(super) fn hand_off(&mut self) {
        let me = self.setup.services.directory.me().node.clone();
        tracing::info!(session = %self.setup.id, "handing the session to another node; closing its connections here");
        self.audit("handed_off", None, json!({ "node": me }));
        // Gone from this node's sessions first: a reconnect landing here at once is sent on to
        // the node that takes the session over, never attached to an actor about to stop.
        self.setup.registry.forget(&self.setup.id);
        self.close_connections();
        self.handed_off = true;
    }

    /// Another process owns the session now (this one's lease lapsed while it stalled): its
    /// connections here close without a word, so they reconnect and reach that process.
    pub(super) fn let_go(&mut self) {
        tracing::warn!(session = %self.setup.id, "another server runs this session now; closing its connections here");
        self.close_connections();
    }

    /// Closes the session's connections here without a word, and stops running it.
    fn close_connections(&mut self) {
        for link in self
            .customer
            .take()
            .map(|c| c.link.hang_up)
            .into_iter()
            .chain(self.agent.take().into_iter().chain(self.watchers.drain(..)).map(|a| a.link.hang_up))
        {
            link.notify_one();
        }
        self.moved = true;
    }
}
