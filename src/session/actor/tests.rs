//! The session actor on simulated time, against a fake replica: the waiting, reconnect, grace,
//! consent and transfer timers, and what each side is told when they fire.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::{Actor, Setup};
use crate::profile::{Profile, Profiles};
use crate::replica::{PageData, Placement, ReplicaHandle, ReplicaQuery, ReplicaReport};
use crate::session::{
    ClientLink, FromAgentConn, FromCustomerConn, JoinRequest, Member, PageFeed, PageSeen, Registry, Services,
    SessionHandle, Timings,
};
use crate::wire::{Display, EndedBy, ErrorCode, Mode, Rules, ToAgent, ToCustomer};

mod directory;

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
[masking]
masked_pages = ["^/account/"]
"#;

/// A session whose replica is a pair of channels the test reads and writes.
struct Scene {
    session: SessionHandle,
    registry: Arc<Registry>,
    services: Services,
    /// The page data that reached the replica.
    feed: mpsc::Receiver<PageData>,
    /// Questions the session asked the replica.
    queries: mpsc::Receiver<ReplicaQuery>,
    /// Where the session wants the replica, and with what masking.
    placement: watch::Receiver<Option<Placement>>,
    rules: watch::Receiver<Rules>,
    /// Whether the session wants frames.
    streaming: watch::Receiver<bool>,
    /// What the replica tells the session.
    reports: mpsc::Sender<ReplicaReport>,
    /// The profiles in force (a test edits them); held so the session sees them live.
    profiles_in_force: watch::Sender<Arc<Profiles>>,
    _frames: watch::Sender<Option<crate::replica::Frame>>,
}

async fn scene(timings: Timings) -> Scene {
    let profile = Arc::new(Profile::parse(Path::new("shop.toml"), PROFILE).expect("the profile parses"));
    let profiles = Arc::new(Profiles::from_profiles(vec![(*profile).clone()]).expect("one profile"));
    let (profiles_tx, profiles_rx) = watch::channel(profiles);
    let registry = Arc::new(Registry::default());
    let services = Services::in_memory();
    let (commands_tx, commands) = mpsc::channel(64);
    // As small as a busy replica's: page data backs up here, the session's orders do not.
    let (feed_tx, feed) = mpsc::channel(1);
    let (queries_tx, queries) = mpsc::channel(8);
    let (placement_tx, placement) = watch::channel(None);
    let (rules_tx, rules) = watch::channel(profile.rules());
    let (whole_page, _) = watch::channel(false);
    let (streaming_tx, streaming) = watch::channel(false);
    let (frames_tx, frames) = watch::channel(None);
    let (reports, reports_rx) = mpsc::channel(8);
    let handle = ReplicaHandle {
        feed: feed_tx,
        placement: placement_tx,
        rules: rules_tx,
        whole_page,
        streaming: streaming_tx,
        queries: queries_tx,
        frames,
    };
    let token = crate::session::id::new_token();
    let record = services.directory.new_record("123456789", &token, "https://shop.example");
    assert!(services.directory.insert(record.clone()).await.unwrap());
    let setup = Setup {
        id: record.id.clone(),
        token: Some(token.clone()),
        origin: "https://shop.example".into(),
        profile,
        profiles: profiles_rx,
        timings,
        registry: registry.clone(),
        replica: handle,
        services: services.clone(),
        taken_over: None,
        publisher: crate::session::directory::spawn_publisher(services.directory.clone(), record.clone()),
    };
    Actor::spawn(setup, commands, reports_rx);
    let session = SessionHandle { id: record.id.clone(), commands: commands_tx };
    registry.insert(session.clone(), &record.token_digest, "https://shop.example");
    Scene {
        session,
        registry,
        services,
        feed,
        queries,
        placement,
        rules,
        streaming,
        reports,
        profiles_in_force: profiles_tx,
        _frames: frames_tx,
    }
}

/// One side's connection as the session sees it: its connection number and what it is sent.
struct Client<T> {
    conn: u64,
    messages: mpsc::Receiver<T>,
    _pointer: watch::Receiver<Option<crate::wire::Point>>,
    /// A customer's way to the replica.
    feed: Option<PageFeed>,
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
    let attached = scene.session.attach_customer(link, None).await.expect("the customer attaches");
    let mut client = Client { conn: attached.conn, messages, _pointer: pointer, feed: Some(attached.feed) };
    assert!(matches!(client.next().await, ToCustomer::Started { .. }));
    client
}

async fn agent(scene: &Scene, id: &str) -> Client<ToAgent> {
    let (link, messages, pointer) = ClientLink::new();
    let member = Member { id: id.into(), name: format!("Agent {id}") };
    let request = JoinRequest { member, interaction: None, watch: false };
    let attached = scene.session.join_agent(link, request).await.expect("the agent joins");
    let mut client = Client { conn: attached.conn, messages, _pointer: pointer, feed: None };
    assert!(matches!(client.next().await, ToAgent::Joined { .. }));
    client
}

#[tokio::test(start_paused = true)]
async fn a_session_no_agent_joins_ends_when_its_waiting_time_is_up() {
    let scene = scene(TIMINGS).await;
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
    assert!(matches!(scene.session.attach_customer(link, None).await, Err(ErrorCode::SessionEnded)));
}

#[tokio::test(start_paused = true)]
async fn a_page_load_within_the_reconnect_window_goes_unnoticed_and_a_longer_absence_pauses() {
    let scene = scene(TIMINGS).await;
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
    let scene = scene(TIMINGS).await;
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
    let scene = scene(TIMINGS).await;
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
    let scene = scene(TIMINGS).await;
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
    let mut scene = scene(TIMINGS).await;
    let mut customer = customer(&scene).await;
    let mut agent = agent(&scene, "a1").await;
    scene.reports.send(ReplicaReport::Restarting("crashed".into())).await.expect("the session listens");
    agent.until(|m| matches!(m, ToAgent::ReplicaRestarting)).await;
    scene.reports.send(ReplicaReport::Ready).await.expect("the session listens");
    customer.until(|m| matches!(m, ToCustomer::Snapshot)).await;
    assert_eq!(scene.services.metrics.replica_restarts.get(), 1);
    // The agent leaving stops the frames; nothing else was asked of the replica.
    scene.session.agent(agent.conn, FromAgentConn::Gone).await;
    scene.streaming.wait_for(|on| !*on).await.expect("the session is alive");
    assert!(scene.queries.try_recv().is_err());
    assert!(scene.feed.try_recv().is_err());
}

#[tokio::test(start_paused = true)]
async fn every_step_of_an_ended_session_is_in_the_audit_trail() {
    let scene = scene(Timings { grace: Duration::from_secs(5), ..TIMINGS }).await;
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

fn page(href: &str, width: u32) -> PageSeen {
    PageSeen { href: href.into(), width, height: 700, display: Display::default(), visual: None }
}

#[tokio::test(start_paused = true)]
async fn the_session_places_the_replica_and_decides_which_pages_are_masked_whole() {
    let mut scene = scene(TIMINGS).await;
    let first = customer(&scene).await;
    let mut agent = agent(&scene, "a1").await;
    let feed = first.feed.as_ref().expect("a customer has a feed");

    // The answer to `page` comes once the placement is out: events after it find it.
    scene.session.page(first.conn, page("https://shop.example/basket", 1000)).await;
    let placed = scene.placement.borrow_and_update().clone().expect("placed");
    assert_eq!(
        (placed.page, placed.url.as_str(), placed.window.width, placed.private),
        (1, "https://shop.example/basket", 1000, false)
    );
    feed.events("[]".into()).await.expect("an ordinary page's changes go on");
    assert!(matches!(scene.feed.recv().await, Some(PageData::Events(_))));

    // A resize is the same page at another size.
    let resized = FromCustomerConn::Viewport { width: 800, height: 600, display: Display::default(), visual: None };
    scene.session.customer(first.conn, resized).await;
    scene.placement.changed().await.expect("the session is alive");
    let placed = scene.placement.borrow_and_update().clone().expect("placed");
    assert_eq!((placed.page, placed.window.width, placed.window.height), (1, 800, 600));

    // A page the profile masks whole: the replica shows a notice, the agent is told, and the
    // customer's connection can send none of it.
    scene.session.page(first.conn, page("https://shop.example/account/statements", 800)).await;
    let placed = scene.placement.borrow_and_update().clone().expect("placed");
    assert_eq!((placed.page, placed.private), (2, true));
    agent.until(|m| matches!(m, ToAgent::PrivatePage { private: true })).await;
    assert!(feed.masked_whole());
    assert!(feed.events("[]".into()).await.is_err(), "page data of a page masked whole is refused");
    feed.hover(10.0, 10.0);
    assert!(scene.feed.try_recv().is_err(), "nothing of it reached the replica");

    // A page from an older connection of the customer's (one that already unloaded) moves nothing.
    let newer = customer(&scene).await;
    scene.session.page(first.conn, page("https://shop.example/", 800)).await;
    assert_eq!(scene.placement.borrow().as_ref().map(|p| p.page), Some(2));
    scene.session.page(newer.conn, page("https://shop.example/", 800)).await;
    agent.until(|m| matches!(m, ToAgent::PrivatePage { private: false })).await;
    assert_eq!(scene.placement.borrow().as_ref().map(|p| (p.page, p.private)), Some((3, false)));
}

#[tokio::test(start_paused = true)]
async fn a_profile_edit_reaches_the_replica_ahead_of_page_data_that_waits() {
    let mut scene = scene(TIMINGS).await;
    let mut customer = customer(&scene).await;
    scene.session.page(customer.conn, page("https://shop.example/basket", 1000)).await;
    // The replica is busy: its feed is full, and a connection sending more would wait.
    let feed = customer.feed.clone().expect("a customer has a feed");
    feed.events("[1]".into()).await.expect("sent");
    let blocked = tokio::spawn(async move { feed.events("[2]".into()).await });
    tokio::task::yield_now().await;
    assert!(!blocked.is_finished(), "the feed is full");

    let edited =
        PROFILE.replace("masked_pages = [\"^/account/\"]", "masked = [\"#card\"]\nmasked_pages = [\"^/basket\"]");
    let profile = Profile::parse(Path::new("shop.toml"), &edited).expect("the edit parses");
    let profiles = Profiles::from_profiles(vec![profile]).expect("one profile");
    scene.profiles_in_force.send_replace(Arc::new(profiles));
    scene.rules.changed().await.expect("the session is alive");
    assert_eq!(scene.rules.borrow_and_update().masked, vec!["#card".to_string()]);
    // The customer records again under the new rules, and the page now masked whole is hidden.
    customer.until(|m| matches!(m, ToCustomer::Rules { .. })).await;
    scene.placement.changed().await.expect("the session is alive");
    assert!(scene.placement.borrow().as_ref().is_some_and(|p| p.private));
    // The page data that waited is still there, in order, behind the orders.
    assert!(matches!(scene.feed.recv().await, Some(PageData::Events(json)) if json == "[1]"));
    assert!(matches!(scene.feed.recv().await, Some(PageData::Events(json)) if json == "[2]"));
    assert!(blocked.await.expect("the sender finishes").is_ok());
}
