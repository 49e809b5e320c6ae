//! The session actor: the one task that owns a session's state, its two connections, its
//! replica and its timers, and turns lifecycle effects into messages.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::directory::{Publisher, RecordedAgent, SessionRecord};
use super::gate::ActionGate;
use super::lifecycle::{Input, Presence, Refusal, Side, State, Timer};
use super::{
    ClientLink, Command, CustomerAttached, FromAgentConn, FromCustomerConn, Member, PageFeed, Registry, Services,
    Timings,
};
use crate::profile::{Profile, Profiles};
use crate::replica::{ReplicaHandle, ReplicaReport};
use crate::wire::{Display, EndedBy, ErrorCode, Point, ToAgent, ToCustomer, VisualViewport};

/// Everything a new actor starts from.
pub struct Setup {
    pub id: String,
    /// The customer's resume token; unknown in a session taken over from a process that is
    /// gone until the customer's page resumes with it.
    pub token: Option<String>,
    /// The origin of the page that started the session: its profile is looked up by it.
    pub origin: String,
    /// The profile in force; replaced when an admin edits it.
    pub profile: Arc<Profile>,
    /// The live profiles.
    pub profiles: watch::Receiver<Arc<Profiles>>,
    pub timings: Timings,
    pub registry: Arc<Registry>,
    pub replica: ReplicaHandle,
    /// Audit trail, metrics, webhooks, directory.
    pub services: Services,
    /// The directory's record of a session taken over from a process that is gone.
    pub taken_over: Option<SessionRecord>,
    /// Keeps the session's record in the directory current.
    pub publisher: Publisher,
}

/// One attached client: its connection number and the way to its writer.
struct Link<T> {
    conn: u64,
    link: ClientLink<T>,
}

/// A joined agent or watching supervisor.
struct AgentLink {
    conn: u64,
    link: ClientLink<ToAgent>,
    member: Member,
}

pub struct Actor {
    setup: Setup,
    state: State,
    customer: Option<Link<ToCustomer>>,
    /// The agent in control.
    agent: Option<AgentLink>,
    /// Supervisors watching, view only.
    watchers: Vec<AgentLink>,
    /// The agent the session is being handed to, while a transfer is under way.
    handover_to: Option<Member>,
    /// The contact center's interaction the session was last bound to.
    interaction: Option<String>,
    /// When the first agent joined, and who (for the webhooks).
    started: Option<(std::time::SystemTime, String)>,
    /// The customer's layout viewport (`innerWidth`, `innerHeight`), and the part of it they
    /// see where that is not all of it (a phone): the agent's screen.
    viewport: (u32, u32),
    visual: Option<VisualViewport>,
    /// What else shapes the customer's layout (zoom, colour scheme, scrollbars).
    display: Display,
    /// The page the customer is on, and how many they have opened: the replica's placement.
    href: Option<String>,
    page_number: u64,
    /// Whether that page is masked whole, for the customer's connection to read: it then
    /// sends no page data on.
    masked_whole: watch::Sender<bool>,
    /// Whether the agent asked for the whole layout viewport rather than what the customer sees.
    whole_page: bool,
    deadlines: HashMap<Timer, Instant>,
    next_conn: u64,
    /// Whether the customer is on a page the profile masks whole.
    private: bool,
    /// The agent's pointer, waiting to be hit-tested in the replica.
    probe_at: Option<Point>,
    /// When the waiting pointer is hit-tested.
    probe_due: Option<Instant>,
    /// When the pointer was last hit-tested.
    last_probe: Instant,
    /// Agent actions in write mode: rate limit and hit-tests in flight.
    gate: ActionGate,
    /// The agent who ended the session, for the audit trail.
    ended_by_agent: Option<String>,
    /// Taken over in write mode: the customer is told it fell back to pointer mode.
    write_lost: bool,
    /// Another process took the session over; this one lets go without ending it.
    moved: bool,
    /// This node drains and hands the session to another: its lease is released on the way out.
    handed_off: bool,
}

/// The agent's pointer is hit-tested (to say when it rests on a masked field) at most this often.
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

mod control;
use control::refusal_text;
mod directory;
mod members;
mod notices;
mod reports;
mod screen;
#[cfg(test)]
mod tests;

impl Actor {
    pub fn spawn(setup: Setup, commands: mpsc::Receiver<Command>, reports: mpsc::Receiver<ReplicaReport>) {
        let (state, effects) = if setup.taken_over.is_some() { State::taken_over() } else { State::new() };
        let mut actor = Actor {
            setup,
            state,
            customer: None,
            agent: None,
            watchers: Vec::new(),
            handover_to: None,
            interaction: None,
            started: None,
            viewport: (0, 0),
            visual: None,
            display: Display::default(),
            href: None,
            page_number: 0,
            masked_whole: watch::channel(false).0,
            whole_page: false,
            deadlines: HashMap::new(),
            next_conn: 0,
            private: false,
            probe_at: None,
            probe_due: None,
            last_probe: Instant::now(),
            gate: ActionGate::new(std::time::Instant::now()),
            ended_by_agent: None,
            write_lost: false,
            moved: false,
            handed_off: false,
        };
        match actor.setup.taken_over.take() {
            Some(record) => actor.resume_from(record),
            None => {
                tracing::info!(session = %actor.setup.id, "session created");
                actor.setup.services.metrics.sessions_started.inc();
                actor.audit("created", None, serde_json::json!({ "origin": actor.setup.origin }));
            }
        }
        actor.apply(effects);
        actor.publish();
        tokio::spawn(actor.run(commands, reports));
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>, mut reports: mpsc::Receiver<ReplicaReport>) {
        let mut profiles = self.setup.profiles.clone();
        while !matches!(self.state, State::Ended { .. }) && !self.moved {
            let next = self.deadlines.iter().min_by_key(|(_, at)| **at).map(|(t, at)| (*t, *at));
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                Some(report) = reports.recv() => self.replica_report(report),
                _ = tokio::time::sleep_until(next.map(|n| n.1).unwrap_or_else(Instant::now)), if next.is_some() => {
                    let timer = next.expect("guarded").0;
                    self.deadlines.remove(&timer);
                    self.input(Input::Elapsed(timer));
                }
                _ = tokio::time::sleep_until(self.probe_due.unwrap_or_else(Instant::now)), if self.probe_due.is_some() => {
                    self.probe_due = None;
                    if let Some(at) = self.probe_at.take() {
                        self.probe(at);
                    }
                }
                Ok(()) = profiles.changed() => {
                    let set = profiles.borrow_and_update().clone();
                    self.profiles_changed(&set);
                }
                Ok(()) = &mut self.setup.publisher.lost => self.let_go(),
            }
            self.publish();
        }
        let Actor { setup, moved, handed_off, .. } = self;
        // Written as ended before anyone may look it up again.
        if handed_off {
            setup.publisher.release().await;
        } else {
            setup.publisher.finish().await;
        }
        if moved {
            setup.registry.forget(&setup.id);
            return;
        }
        setup.registry.remove(&setup.id);
        tracing::info!(session = %setup.id, "session closed");
        if setup.registry.is_empty() {
            super::memory::release_when_idle(setup.registry.clone());
        }
        // Dropping the links lets both writers flush their last message and close.
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::AttachCustomer { link, token, reply } => {
                if self.setup.token.is_none() {
                    self.setup.token = token;
                }
                let _ = reply.send(self.attach_customer(link));
            }
            Command::JoinAgent { link, request, reply } => {
                let _ = reply.send(self.join_agent(link, request));
            }
            Command::Customer { conn, message } if self.customer.as_ref().is_some_and(|c| c.conn == conn) => {
                self.on_customer(message)
            }
            Command::Page { conn, page, reply } => {
                if self.customer.as_ref().is_some_and(|c| c.conn == conn) {
                    self.open_page(page);
                }
                let _ = reply.send(());
            }
            Command::Agent { conn, message } if self.agent.as_ref().is_some_and(|a| a.conn == conn) => {
                self.on_agent(message)
            }
            Command::Agent { conn, message } if self.watchers.iter().any(|w| w.conn == conn) => {
                self.on_watcher(conn, message)
            }
            // From a connection that has since been replaced: a page that already unloaded.
            Command::Customer { .. } | Command::Agent { .. } => {}
            Command::Transfer { conn, to, reply } => {
                let _ = reply.send(self.transfer(conn, to));
            }
            Command::EndInteraction => self.input(Input::End(EndedBy::Interaction)),
            Command::Shutdown => self.input(Input::End(EndedBy::Server)),
            Command::HandOff => self.hand_off(),
        }
    }

    fn attach_customer(&mut self, link: ClientLink<ToCustomer>) -> Result<CustomerAttached, ErrorCode> {
        if let State::Ended { .. } = self.state {
            return Err(ErrorCode::SessionEnded);
        }
        self.next_conn += 1;
        let conn = self.next_conn;
        // A newer page of the same tab takes over; the old connection's writer closes.
        let (state, effects) = self.state.step(Input::CustomerConnected).map_err(|r| r.code())?;
        self.state = state;
        // `started` goes first, so that notices the transition brings (resumed) follow it.
        if std::mem::take(&mut self.write_lost) {
            // Before `started`: the page still believes it is in write mode, and says so.
            let _ = link.messages.try_send(ToCustomer::ModeChanged { mode: crate::wire::Mode::Pointer });
        }
        let started = ToCustomer::Started {
            id: self.setup.id.clone(),
            token: self.setup.token.clone().unwrap_or_default(),
            origins: self.setup.profile.site.origins.clone(),
            state: self.state.public(),
            mode: self.state.mode(),
            rules: self.setup.profile.rules(),
        };
        let _ = link.messages.try_send(started);
        if !self.watchers.is_empty() {
            let _ = link.messages.try_send(ToCustomer::Watchers { count: self.watchers.len() });
        }
        // The newest page takes over. An older one still connected is a duplicated tab (a page
        // that unloaded has already closed): tell it, so the two do not take turns.
        if let Some(old) = self.customer.replace(Link { conn, link }) {
            let _ = old.link.messages.try_send(ToCustomer::Superseded);
        }
        self.apply(effects);
        let feed = PageFeed::new(self.setup.replica.feed.clone(), self.masked_whole.subscribe());
        Ok(CustomerAttached { conn, feed })
    }

    fn on_customer(&mut self, message: FromCustomerConn) {
        match message {
            FromCustomerConn::Viewport { width, height, display, visual } => {
                self.resize(width, height, display, visual)
            }
            FromCustomerConn::Pointer(p) => {
                let p = self.on_screen(p);
                for agent in self.agent.iter().chain(&self.watchers) {
                    agent.link.pointer.send_replace(Some(p));
                }
            }
            FromCustomerConn::LeavingSite => self.input(Input::CustomerLeftSite),
            FromCustomerConn::Consent { allow } => {
                tracing::info!(session = %self.setup.id, allow, "customer answered the write-mode request");
                if self.state.asking() {
                    self.audit("write_answered", None, serde_json::json!({ "allow": allow }));
                }
                self.input(Input::Consent { allow });
            }
            FromCustomerConn::PointerMode => self.input(Input::PointerMode { by: Side::Customer }),
            // Not a refusal: the action went ahead and the page opened a dialog.
            FromCustomerConn::Refused(ErrorCode::Dialog) => {
                tracing::info!(session = %self.setup.id, "an agent action opened a dialog on the customer's page");
                self.audit("dialog_opened", self.agent_id().as_deref(), serde_json::json!({}));
                let message = refusal_text(ErrorCode::Dialog).to_string();
                self.tell_agent(ToAgent::Refused { code: ErrorCode::Dialog, message });
            }
            FromCustomerConn::Refused(code) => {
                tracing::info!(session = %self.setup.id, ?code, "the customer's page refused an agent action");
                self.refuse(code, refusal_text(code));
            }
            FromCustomerConn::End => self.input(Input::End(EndedBy::Customer)),
            FromCustomerConn::Gone => {
                self.customer = None;
                self.input(Input::CustomerDisconnected);
            }
        }
    }

    fn on_agent(&mut self, message: FromAgentConn) {
        let customer_here = matches!(self.state, State::Active { customer: Presence::Connected, .. });
        match message {
            FromAgentConn::Pointer(p) if customer_here => {
                let p = self.on_page(p);
                self.point_for_customer(p);
                self.probe(p);
            }
            FromAgentConn::Click(p) if customer_here => {
                let p = self.on_page(p);
                self.point_for_customer(p);
                self.tell_customer(ToCustomer::AgentClick { x: p.x, y: p.y });
            }
            FromAgentConn::Pointer(_) | FromAgentConn::Click(_) => {}
            FromAgentConn::RequestWriteMode if !self.setup.profile.write_mode.enabled => {
                tracing::warn!(session = %self.setup.id, "refused a write-mode request: the site's profile does not offer write mode");
                self.refuse(ErrorCode::WriteModeUnavailable, "Write mode is not available on this site.");
            }
            FromAgentConn::RequestWriteMode => match self.try_input(Input::RequestWrite) {
                Ok(()) => {
                    tracing::info!(session = %self.setup.id, "agent asked for write mode");
                    self.audit("write_requested", self.agent_id().as_deref(), serde_json::json!({}));
                }
                Err(refusal) => self.refuse(refusal.code(), refusal_text(refusal.code())),
            },
            FromAgentConn::PointerMode => self.input(Input::PointerMode { by: Side::Agent }),
            FromAgentConn::Action(action) => self.act(self.aimed_at_page(action)),
            FromAgentConn::View { whole } => self.view_whole_page(whole),
            FromAgentConn::End => {
                self.ended_by_agent = self.agent_id();
                self.input(Input::End(EndedBy::Agent))
            }
            FromAgentConn::Gone => {
                let gone = self.agent.take().map(|a| a.member.id);
                self.stream_if_watched();
                self.input(Input::AgentLeft);
                self.audit("agent_left", gone.as_deref(), serde_json::json!({}));
                tracing::info!(session = %self.setup.id, "agent left");
            }
        }
    }

    fn refuse(&self, code: ErrorCode, message: &str) {
        self.setup.services.metrics.refused();
        self.audit("action_refused", self.agent_id().as_deref(), serde_json::json!({ "reason": code }));
        self.tell_agent(ToAgent::Refused { code, message: message.to_string() });
    }

    /// Feeds the state machine; an input it refuses changes nothing.
    fn input(&mut self, input: Input) {
        if let Err(refusal) = self.try_input(input) {
            tracing::debug!(session = %self.setup.id, ?input, ?refusal, "input refused");
        }
    }

    /// Feeds the state machine and says why it refused, if it did.
    fn try_input(&mut self, input: Input) -> Result<(), Refusal> {
        let (state, effects) = self.state.step(input)?;
        if state != self.state {
            tracing::debug!(session = %self.setup.id, from = ?self.state, to = ?state, ?input, "transition");
        }
        let before = self.state;
        self.state = state;
        self.audit_transition(before, input);
        self.apply(effects);
        if self.state.admits_action().is_err() {
            self.gate.drop_pending();
        }
        Ok(())
    }
}
