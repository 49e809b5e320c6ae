//! The session actor's people: the agent joining in control, supervisors watching, a transfer
//! from one agent to another, and what each change leaves in the audit trail and webhooks.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::{Actor, AgentLink};
use crate::audit::AuditEvent;
use crate::hooks::SessionHook;
use crate::session::lifecycle::{Control, Input, State};
use crate::session::{AgentAttached, ClientLink, FromAgentConn, JoinRequest, Member};
use crate::stream::screen::AgentScreen;
use crate::wire::{EndedBy, ErrorCode, ToAgent, ToCustomer};

/// An agent a session is handed to has this long to join it before it goes back to waiting.
pub const TRANSFER_TTL: Duration = Duration::from_secs(60);

impl Actor {
    /// Joins an agent in control, or a supervisor to watch.
    pub(super) fn join_agent(
        &mut self,
        link: ClientLink<ToAgent>,
        request: JoinRequest,
    ) -> Result<AgentAttached, ErrorCode> {
        if let State::Ended { .. } = self.state {
            return Err(ErrorCode::SessionEnded);
        }
        if request.watch {
            return Ok(self.join_watcher(link, request.member));
        }
        if let State::Active { control: Control::Handover, .. } = self.state {
            if self.handover_to.as_ref().is_some_and(|to| to.id != request.member.id) {
                return Err(ErrorCode::Transferring);
            }
        }
        // Checked before anything changes: a refused join leaves the session as it was.
        let (next, _) = self.state.step(Input::AgentJoined).map_err(|r| r.code())?;
        self.next_conn += 1;
        let conn = self.next_conn;
        let _ = link.messages.try_send(self.joined_message(false, next));
        let _ = link.messages.try_send(self.viewport_message());
        if self.private {
            let _ = link.messages.try_send(ToAgent::PrivatePage { private: true });
        }
        if !self.watchers.is_empty() {
            let _ = link.messages.try_send(ToAgent::Watchers { count: self.watchers.len() });
        }
        let member = request.member;
        self.agent = Some(AgentLink { conn, link, member: member.clone() });
        self.handover_to = None;
        if let Some(interaction) = request.interaction {
            // One interaction at a time: the one the session was handed over with replaces the
            // one before, whose end no longer concerns it.
            if let Some(old) = self.interaction.as_ref().filter(|old| **old != interaction) {
                self.setup.registry.unbind(old, &self.setup.id);
            }
            self.setup.registry.bind(&interaction, &self.setup.id);
            self.interaction = Some(interaction);
        }
        // `joined` went first, so that notices the transition brings (paused) follow it.
        self.input(Input::AgentJoined);
        self.setup.replica.streaming.send_replace(true);
        self.setup.services.metrics.joins.inc();
        self.audit("agent_joined", Some(&member.id), json!({ "name": member.name, "interaction": self.interaction }));
        tracing::info!(session = %self.setup.id, agent = %member.id, "agent joined");
        match &mut self.started {
            None => {
                self.started = Some((SystemTime::now(), member.id.clone()));
                self.hook("session-started", None);
            }
            // The webhook at the end names the last agent in control.
            Some((_, agent)) => agent.clone_from(&member.id),
        }
        Ok(AgentAttached { conn, screen: self.screen_for_agent() })
    }

    fn join_watcher(&mut self, link: ClientLink<ToAgent>, member: Member) -> AgentAttached {
        self.next_conn += 1;
        let conn = self.next_conn;
        let _ = link.messages.try_send(self.joined_message(true, self.state));
        let _ = link.messages.try_send(self.viewport_message());
        if self.private {
            let _ = link.messages.try_send(ToAgent::PrivatePage { private: true });
        }
        self.watchers.push(AgentLink { conn, link, member: member.clone() });
        self.watchers_changed();
        self.setup.replica.streaming.send_replace(true);
        self.setup.services.metrics.joins.inc();
        self.audit("watcher_joined", Some(&member.id), json!({ "name": member.name }));
        tracing::info!(session = %self.setup.id, supervisor = %member.id, "supervisor watching");
        AgentAttached { conn, screen: self.screen_for_agent() }
    }

    /// The customer's screen for one more agent: the replica's frames, encoded for them.
    fn screen_for_agent(&self) -> AgentScreen {
        AgentScreen::new(self.setup.replica.frames.clone(), self.setup.services.metrics.clone(), &self.setup.id)
    }

    fn joined_message(&self, watching: bool, state: State) -> ToAgent {
        let (width, height) = self.screen();
        ToAgent::Joined {
            session: self.setup.id.clone(),
            width,
            height,
            state: state.public(),
            mode: state.mode(),
            write_mode_allowed: self.setup.profile.write_mode.enabled && !watching,
            origin: self.setup.origin.clone(),
            watching,
        }
    }

    /// A watching supervisor may only look; anything else is refused, and logged.
    pub(super) fn on_watcher(&mut self, conn: u64, message: FromAgentConn) {
        match message {
            FromAgentConn::Gone => {
                if let Some(i) = self.watchers.iter().position(|w| w.conn == conn) {
                    let gone = self.watchers.remove(i);
                    self.audit("watcher_left", Some(&gone.member.id), json!({}));
                    self.watchers_changed();
                    self.stream_if_watched();
                }
            }
            FromAgentConn::Pointer(_) => {}
            other => {
                let watcher = self.watchers.iter().find(|w| w.conn == conn).expect("matched by the caller");
                tracing::warn!(session = %self.setup.id, supervisor = %watcher.member.id, ?other, "refused: a watching supervisor cannot act");
                let refusal = ToAgent::Refused {
                    code: ErrorCode::NotAllowed,
                    message: "Watching only: a supervisor cannot act on the customer's page.".into(),
                };
                let _ = watcher.link.messages.try_send(refusal);
                let id = watcher.member.id.clone();
                self.setup.services.metrics.refused();
                self.audit("action_refused", Some(&id), json!({ "reason": ErrorCode::NotAllowed, "watching": true }));
            }
        }
    }

    /// The customer and the agent learn how many supervisors watch.
    fn watchers_changed(&self) {
        let count = self.watchers.len();
        self.tell_customer(ToCustomer::Watchers { count });
        self.tell_agent(ToAgent::Watchers { count });
    }

    /// Frames are made only while someone looks at them.
    pub(super) fn stream_if_watched(&self) {
        let watched = self.agent.is_some() || !self.watchers.is_empty();
        self.setup.replica.streaming.send_replace(watched);
    }

    /// The agent on `conn` hands the session to `to`, who is signed in and free (the handler
    /// checked); write mode ends and the customer is told who takes over.
    pub(super) fn transfer(&mut self, conn: u64, to: Member) -> Result<(), ErrorCode> {
        let Some(from) = self.agent.as_ref().filter(|a| a.conn == conn).map(|a| a.member.clone()) else {
            return Err(ErrorCode::Unexpected);
        };
        if from.id == to.id {
            return Err(ErrorCode::UnknownAgent);
        }
        self.handover_to = Some(to.clone());
        if let Err(refusal) = self.try_input(Input::Transfer) {
            self.handover_to = None;
            return Err(refusal.code());
        }
        if let Some(old) = self.agent.take() {
            let _ = old.link.messages.try_send(ToAgent::TransferredAway { to: to.name.clone() });
        }
        self.stream_if_watched();
        self.setup.services.metrics.transfers.inc();
        self.audit("transferred", Some(&from.id), json!({ "to": to.id, "to_name": to.name }));
        tracing::info!(session = %self.setup.id, from = %from.id, to = %to.id, "session transferred");
        Ok(())
    }

    /// The id of the agent in control, if any.
    pub(super) fn agent_id(&self) -> Option<String> {
        self.agent.as_ref().map(|a| a.member.id.clone())
    }

    /// Appends an event about this session to the audit trail.
    pub(super) fn audit(&self, kind: &str, agent: Option<&str>, detail: serde_json::Value) {
        self.setup.services.audit.record(AuditEvent::new(&self.setup.id, kind, agent, detail));
    }

    /// What a transition leaves in the audit trail and the metrics: mode changes, pauses, the end.
    pub(super) fn audit_transition(&mut self, before: State, input: Input) {
        let (after, agent) = (self.state, self.agent_id());
        if after.mode() != before.mode() {
            let by = match input {
                Input::PointerMode { by } => json!(format!("{by:?}").to_lowercase()),
                Input::Consent { .. } => json!("customer"),
                Input::Transfer => json!("transfer"),
                _ => json!("server"),
            };
            self.setup.services.metrics.mode_changed(after.mode());
            self.audit("mode_changed", agent.as_deref(), json!({ "mode": after.mode(), "by": by }));
        }
        if let (State::Active { control: Control::Handover, .. }, State::Waiting { .. }) = (before, after) {
            let to = self.handover_to.take().map(|m| m.id);
            self.audit("transfer_lapsed", None, json!({ "to": to }));
        }
        match (before, after) {
            (State::Paused, State::Paused) => {}
            (_, State::Paused) => self.audit("paused", agent.as_deref(), json!({})),
            (State::Paused, State::Active { .. }) => self.audit("resumed", agent.as_deref(), json!({})),
            _ => {}
        }
    }

    /// The session ended: watchers are told, the trail and the webhook record who ended it.
    pub(super) fn closed(&mut self) {
        let State::Ended { by } = self.state else { return };
        self.tell_watchers(ToAgent::Ended { by });
        let agent = if by == EndedBy::Agent { self.ended_by_agent.clone() } else { None };
        self.audit("ended", agent.as_deref(), json!({ "by": by }));
        if self.started.is_some() {
            self.hook("session-ended", Some(by));
        }
    }

    fn hook(&self, event: &'static str, ended_by: Option<EndedBy>) {
        let (Some(hooks), Some((started, agent))) = (&self.setup.services.hooks, &self.started) else { return };
        let started_at_ms = started.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        hooks.post(SessionHook {
            id: format!("{}-{event}", self.setup.id),
            event,
            session: self.setup.id.clone(),
            interaction: self.interaction.clone(),
            agent: Some(agent.clone()),
            started_at_ms,
            duration_seconds: ended_by.map(|_| started.elapsed().map(|d| d.as_secs_f64()).unwrap_or(0.0)),
            ended_by,
        });
    }
}
