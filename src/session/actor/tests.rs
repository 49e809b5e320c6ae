//! The session actor on simulated time, against a fake replica: the waiting, reconnect, grace,
//! consent and transfer timers, and what each side is told when they fire.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::{Actor, Setup};
use crate::profile::{Profile, Profiles};
use crate::replica::{ReplicaCommand, ReplicaHandle, ReplicaReport};
use crate::session::{
    ClientLink, FromAgentConn, FromCustomerConn, JoinRequest, Member, Registry, Services, SessionHandle, Timings,
};
use crate::wire::{EndedBy, ErrorCode, Mode, ToAgent, ToCustomer};

const TIMINGS: Timings = Timings {
    waiting_ttl: Duration::from_secs(600),
    grace: Duration::from_secs(120),
    reconnect_window: Duration::from_secs(10),
    write_request_ttl: Duration::from_secs(30),
};

const PROFILE: &str = r#"
[site]
origins = ["https://shop.example"]
[write_mode]
enabled = true
"#;

/// A session whose replica is a pair of channels the test reads and writes.
struct Scene {
    session: SessionHandle,
    registry: Arc<Registry>,
    services: Services,
    /// What the session ordered its replica to do.
    replica: mpsc::Receiver<ReplicaCommand>,
    /// Whether the session wants frames.
    streaming: watch::Receiver<bool>,
    /// What the replica tells the session.
    reports: mpsc::Sender<ReplicaReport>,
    /// Held so the session sees live profiles and a live frame source.
    _profiles: watch::Sender<Arc<Profiles>>,
    _frames: watch::Sender<Option<crate::replica::Frame>>,
}

fn scene(timings: Timings) -> Scene {
    let profile = Arc::new(Profile::parse(Path::new("shop.toml"), PROFILE).expect("the profile parses"));
    let profiles = Arc::new(Profiles::from_profiles(vec![(*profile).clone()]).expect("one profile"));
    let (profiles_tx, profiles_rx) = watch::channel(profiles);
    let registry = Arc::new(Registry::default());
    let services = Services::in_memory();
    let (commands_tx, commands) = mpsc::channel(64);
    let (replica_tx, replica) = mpsc::channel(64);
    let (streaming_tx, streaming) = watch::channel(false);
    let (frames_tx, frames) = watch::channel(None);
    let (reports, reports_rx) = mpsc::channel(8);
    let handle = ReplicaHandle { commands: replica_tx, streaming: streaming_tx, frames };
    let session = registry.create("https://shop.example", |id, token| {
        let setup = Setup {
            id: id.clone(),
            token,
            origin: "https://shop.example".into(),
            profile,
            profiles: profiles_rx,
            timings,
            registry: registry.clone(),
            replica: handle,
            services: services.clone(),
        };
        Actor::spawn(setup, commands, reports_rx);
        SessionHandle { id, commands: commands_tx }
    });
    Scene { session, registry, services, replica, streaming, reports, _profiles: profiles_tx, _frames: frames_tx }
}

/// One side's connection as the session sees it: its connection number and what it is sent.
struct Client<T> {
    conn: u64,
    messages: mpsc::Receiver<T>,
    _pointer: watch::Receiver<Option<crate::wire::Point>>,
}

impl<T: std::fmt::Debug> Client<T> {
    /// The next message, however long the session takes (time runs on while nothing happens).
    async fn next(&mut self) -> T {
        self.messages.recv().await.expect("the session is still sending")
    }

    /// Messages until one `matches`, returned with the time it came; the others are skipped.
    async fn until(&mut self, matches: impl Fn(&T) -> bool) -> (T, Instant) {
        loop {
            let message = self.next().await;
            if matches(&message) {
                return (message, Instant::now());
            }
        }
    }

    /// Asserts nothing matching comes within `within`.
    async fn nothing_like(&mut self, within: Duration, matches: impl Fn(&T) -> bool, what: &str) {
        let deadline = Instant::now() + within;
        while let Ok(Some(message)) = tokio::time::timeout_at(deadline, self.messages.recv()).await {
            assert!(!matches(&message), "{what}: {message:?} came too early");
        }
    }
}

async fn customer(scene: &Scene) -> Client<ToCustomer> {
    let (link, messages, pointer) = ClientLink::new();
    let attached = scene.session.attach_customer(link).await.expect("the customer attaches");
    let mut client = Client { conn: attached.conn, messages, _pointer: pointer };
    assert!(matches!(client.next().await, ToCustomer::Started { .. }));
    client
}

async fn agent(scene: &Scene, id: &str) -> Client<ToAgent> {
    let (link, messages, pointer) = ClientLink::new();
    let member = Member { id: id.into(), name: format!("Agent {id}") };
    let request = JoinRequest { member, interaction: None, watch: false };
    let attached = scene.session.join_agent(link, request).await.expect("the agent joins");
    let mut client = Client { conn: attached.conn, messages, _pointer: pointer };
    assert!(matches!(client.next().await, ToAgent::Joined { .. }));
    client
}

#[tokio::test(start_paused = true)]
async fn a_session_no_agent_joins_ends_when_its_waiting_time_is_up() {
    let scene = scene(TIMINGS);
    let started = Instant::now();
    let mut customer = customer(&scene).await;
    let ended = |m: &ToCustomer| matches!(m, ToCustomer::Ended { .. });
    customer.nothing_like(TIMINGS.waiting_ttl - Duration::from_millis(1), ended, "the waiting session").await;
    let (message, at) = customer.until(ended).await;
    assert!(matches!(message, ToCustomer::Ended { by: EndedBy::Timeout }), "{message:?}");
    assert_eq!(at - started, TIMINGS.waiting_ttl);
    assert!(matches!(scene.registry.lookup(&scene.session.id), crate::session::Lookup::Ended));
    // Its ID is dead: a new connection is told so.
    let (link, _messages, _pointer) = ClientLink::new();
    assert!(matches!(scene.session.attach_customer(link).await, Err(ErrorCode::SessionEnded)));
}

#[tokio::test(start_paused = true)]
async fn a_page_load_within_the_reconnect_window_goes_unnoticed_and_a_longer_absence_pauses() {
    let scene = scene(TIMINGS);
    let first = customer(&scene).await;
    let mut agent = agent(&scene, "a1").await;
    assert!(*scene.streaming.borrow(), "an agent watching asks the replica for frames");
    let paused = |m: &ToAgent| matches!(m, ToAgent::Paused);

    // The customer's page unloads and the next one connects 9 s later (a slow page load).
    scene.session.customer(first.conn, FromCustomerConn::Gone).await;
    tokio::time::sleep(TIMINGS.reconnect_window - Duration::from_secs(1)).await;
    let second = customer(&scene).await;
    agent.nothing_like(Duration::from_secs(30), paused, "a page load").await;

    // Gone for good: paused once the window is up, then ended when the grace period is.
    let gone = Instant::now();
    scene.session.customer(second.conn, FromCustomerConn::Gone).await;
    let (_, at) = agent.until(paused).await;
    assert_eq!(at - gone, TIMINGS.reconnect_window);
    let (message, at) = agent.until(|m| matches!(m, ToAgent::Ended { .. })).await;
    assert!(matches!(message, ToAgent::Ended { by: EndedBy::Timeout }), "{message:?}");
    assert_eq!(at - gone, TIMINGS.reconnect_window + TIMINGS.grace);
}

#[tokio::test(start_paused = true)]
async fn a_customer_back_within_the_grace_period_resumes_the_session() {
    let scene = scene(TIMINGS);
    let first = customer(&scene).await;
    let mut agent = agent(&scene, "a1").await;
    scene.session.customer(first.conn, FromCustomerConn::LeavingSite).await;
    agent.until(|m| matches!(m, ToAgent::Paused)).await;
    scene.session.customer(first.conn, FromCustomerConn::Gone).await;
    tokio::time::sleep(TIMINGS.grace - Duration::from_secs(1)).await;
    let mut back = customer(&scene).await;
    back.until(|m| matches!(m, ToCustomer::Resumed)).await;
    agent.until(|m| matches!(m, ToAgent::Resumed)).await;
    agent.nothing_like(TIMINGS.grace * 2, |m| matches!(m, ToAgent::Ended { .. }), "a resumed session").await;
}

#[tokio::test(start_paused = true)]
async fn a_write_mode_request_nobody_answers_lapses_back_to_pointer_mode() {
    let scene = scene(TIMINGS);
    let mut customer = customer(&scene).await;
    let mut agent = agent(&scene, "a1").await;
    scene.session.agent(agent.conn, FromAgentConn::RequestWriteMode).await;
    let (_, asked) = customer.until(|m| matches!(m, ToCustomer::WriteRequested)).await;
    // A second request while the first waits is refused at once.
    scene.session.agent(agent.conn, FromAgentConn::RequestWriteMode).await;
    let (message, _) = agent.until(|m| matches!(m, ToAgent::Refused { .. })).await;
    assert!(matches!(message, ToAgent::Refused { code: ErrorCode::RequestPending, .. }), "{message:?}");
    let (message, at) = agent.until(|m| matches!(m, ToAgent::Refused { .. })).await;
    assert!(matches!(message, ToAgent::Refused { code: ErrorCode::RequestLapsed, .. }), "{message:?}");
    assert_eq!(at - asked, TIMINGS.write_request_ttl);
    customer.until(|m| matches!(m, ToCustomer::RequestWithdrawn)).await;
    // An answer after the request lapsed changes nothing.
    scene.session.customer(customer.conn, FromCustomerConn::Consent { allow: true }).await;
    let write = |m: &ToAgent| matches!(m, ToAgent::ModeChanged { mode: Mode::Write });
    agent.nothing_like(Duration::from_secs(5), write, "a late answer").await;
}

#[tokio::test(start_paused = true)]
async fn a_session_handed_to_an_agent_who_never_joins_goes_back_to_waiting() {
    let scene = scene(TIMINGS);
    let mut customer = customer(&scene).await;
    let mut first = agent(&scene, "a1").await;
    let to = Member { id: "a2".into(), name: "Agent a2".into() };
    scene.session.transfer(first.conn, to).await.expect("the transfer is taken");
    let (message, _) = first.until(|m| matches!(m, ToAgent::TransferredAway { .. })).await;
    assert!(matches!(message, ToAgent::TransferredAway { ref to } if to == "Agent a2"), "{message:?}");
    let (_, handed) = customer.until(|m| matches!(m, ToCustomer::Transferred { .. })).await;
    assert!(!*scene.streaming.borrow(), "nobody watches during the handover: no frames");
    // Another agent may not take it meanwhile.
    let (link, _messages, _pointer) = ClientLink::new();
    let other = JoinRequest { member: Member { id: "a3".into(), name: "a3".into() }, interaction: None, watch: false };
    assert!(matches!(scene.session.join_agent(link, other).await, Err(ErrorCode::Transferring)));
    let (_, at) = customer.until(|m| matches!(m, ToCustomer::AgentLeft)).await;
    assert_eq!(at - handed, super::members::TRANSFER_TTL);
    // Waiting again: any agent may join, and the waiting time runs anew.
    let _third = agent(&scene, "a3").await;
    customer.until(|m| matches!(m, ToCustomer::AgentJoined { .. })).await;
}

#[tokio::test(start_paused = true)]
async fn a_rebuilt_replica_asks_the_customer_for_a_snapshot_and_the_agent_is_told() {
    let mut scene = scene(TIMINGS);
    let mut customer = customer(&scene).await;
    let mut agent = agent(&scene, "a1").await;
    scene.reports.send(ReplicaReport::Restarting("crashed".into())).await.expect("the session listens");
    agent.until(|m| matches!(m, ToAgent::ReplicaRestarting)).await;
    scene.reports.send(ReplicaReport::Ready).await.expect("the session listens");
    customer.until(|m| matches!(m, ToCustomer::Snapshot)).await;
    assert_eq!(scene.services.metrics.replica_restarts.load(std::sync::atomic::Ordering::Relaxed), 1);
    // The agent leaving stops the frames; nothing else was asked of the replica.
    scene.session.agent(agent.conn, FromAgentConn::Gone).await;
    scene.streaming.wait_for(|on| !*on).await.expect("the session is alive");
    assert!(scene.replica.try_recv().is_err());
}

#[tokio::test(start_paused = true)]
async fn every_step_of_an_ended_session_is_in_the_audit_trail() {
    let scene = scene(Timings { grace: Duration::from_secs(5), ..TIMINGS });
    let customer = customer(&scene).await;
    let mut agent = agent(&scene, "a1").await;
    scene.session.customer(customer.conn, FromCustomerConn::LeavingSite).await;
    agent.until(|m| matches!(m, ToAgent::Ended { .. })).await;
    // The session has no timers left, so reading the trail cannot move time on.
    scene.services.audit.flush().await;
    let kinds: Vec<String> =
        scene.services.audit.events(&scene.session.id).await.expect("readable").into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds.first().map(String::as_str), Some("created"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "agent_joined"), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("ended"), "{kinds:?}");
}
