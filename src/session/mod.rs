//! Co-browse sessions: one actor task per session owns its state; everyone else holds a
//! [`SessionHandle`] and sends it commands over a bounded channel.

mod actor;
pub mod directory;
mod feed;
pub mod gate;
pub mod id;
pub mod lifecycle;
mod memory;
pub mod registry;
mod replicas;
pub mod takeover;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use crate::audit::Audit;
use crate::metrics::Metrics;
use crate::profile::{Profile, ProfileStore};
use crate::stream::screen::AgentScreen;
use crate::wire::{AgentAction, Display, ErrorCode, Point, ToAgent, ToCustomer, VisualViewport};
use directory::{Directory, DirectoryError, SessionRecord};
pub use feed::{MaskedWhole, PageFeed};
pub use registry::{Lookup, Registry};
pub use replicas::Replicas;
pub use takeover::Found;

/// Commands waiting for a session actor.
const COMMAND_QUEUE: usize = 64;
/// Messages waiting for one client's writer. Pointer moves do not queue (see [`ClientLink`]),
/// so only a client that stopped reading fills this.
pub const CLIENT_QUEUE: usize = 64;

/// How a session reaches one client's writer task.
#[derive(Debug)]
pub struct ClientLink<T> {
    /// Notices and answers, in order.
    pub messages: mpsc::Sender<T>,
    /// The other side's pointer: only the newest position matters, so a moving mouse can
    /// never crowd out a notice such as "ended".
    pub pointer: Arc<watch::Sender<Option<Point>>>,
    /// Closes the connection without a last word, so the client connects again: the session
    /// goes on, in another process.
    pub hang_up: Arc<tokio::sync::Notify>,
}

impl<T> Clone for ClientLink<T> {
    fn clone(&self) -> Self {
        ClientLink { messages: self.messages.clone(), pointer: self.pointer.clone(), hang_up: self.hang_up.clone() }
    }
}

impl<T> ClientLink<T> {
    /// A link and the receiving ends its writer task needs.
    pub fn new() -> (ClientLink<T>, mpsc::Receiver<T>, watch::Receiver<Option<Point>>) {
        let (messages, rx) = mpsc::channel(CLIENT_QUEUE);
        let (pointer, pointer_rx) = watch::channel(None);
        let hang_up = Arc::new(tokio::sync::Notify::new());
        (ClientLink { messages, pointer: Arc::new(pointer), hang_up }, rx, pointer_rx)
    }
}

/// A session's timings, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub waiting_ttl: Duration,
    pub grace: Duration,
    pub reconnect_window: Duration,
    /// A write-mode request nobody answers lapses after this.
    pub write_request_ttl: Duration,
}

/// What sessions report to: the audit trail, the metrics, the contact center's webhooks, and
/// the directory another process takes them over from.
#[derive(Clone)]
pub struct Services {
    pub audit: Audit,
    pub metrics: Arc<Metrics>,
    pub hooks: Option<crate::hooks::Webhooks>,
    pub directory: Directory,
}

impl Services {
    /// Services that keep the audit trail and the directory in memory and post no webhooks.
    pub fn in_memory() -> Services {
        Services {
            audit: Audit::in_memory(),
            metrics: Arc::default(),
            hooks: None,
            directory: Directory::in_memory("local"),
        }
    }
}

/// A signed-in agent or supervisor, as their token names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The agent's id in the contact center.
    pub id: String,
    /// The name the customer is shown.
    pub name: String,
}

/// How an agent connection wants to join.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub member: Member,
    /// The contact center's interaction to bind the session to.
    pub interaction: Option<String>,
    /// Watch without control (supervisors; the handler checked the role).
    pub watch: bool,
}

/// A clone-able way to talk to a session's actor.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    /// The 9-digit ID.
    pub id: String,
    commands: mpsc::Sender<Command>,
}

/// What a customer connection gets when it attaches.
pub struct CustomerAttached {
    /// Identifies this connection to the actor.
    pub conn: u64,
    /// The way for the page's changes to the replica, and nothing else.
    pub feed: PageFeed,
}

/// What an agent connection gets when it joins (the `joined` message is already queued).
pub struct AgentAttached {
    pub conn: u64,
    /// The customer's screen, as bytes to send this agent.
    pub screen: AgentScreen,
}

/// The page the customer is on, as their connection checked it: on the session's origin, at a
/// size a replica can render.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSeen {
    pub href: String,
    pub width: u32,
    pub height: u32,
    pub display: Display,
    pub visual: Option<VisualViewport>,
}

/// A message from the customer's connection to its session.
#[derive(Debug)]
pub enum FromCustomerConn {
    /// The customer's window changed size (or zoom, or colour scheme).
    Viewport {
        width: u32,
        height: u32,
        display: Display,
        visual: Option<VisualViewport>,
    },
    Pointer(Point),
    LeavingSite,
    End,
    /// The customer's answer to a write-mode request.
    Consent {
        allow: bool,
    },
    /// The customer takes write mode back.
    PointerMode,
    /// The snippet refused an agent's action.
    Refused(ErrorCode),
    Gone,
}

/// A message from the agent's connection to its session.
#[derive(Debug)]
pub enum FromAgentConn {
    Pointer(Point),
    Click(Point),
    RequestWriteMode,
    PointerMode,
    Action(AgentAction),
    /// Show the whole layout viewport (`true`) or what the customer sees.
    View {
        whole: bool,
    },
    End,
    Gone,
}

enum Command {
    AttachCustomer {
        link: ClientLink<ToCustomer>,
        /// The resume token the page presented (none when it started the session).
        token: Option<String>,
        reply: oneshot::Sender<Result<CustomerAttached, ErrorCode>>,
    },
    Customer {
        conn: u64,
        message: FromCustomerConn,
    },
    /// The customer opened a page (or a single-page app changed its path); answered once the
    /// replica has its placement and the page's masking is decided.
    Page {
        conn: u64,
        page: PageSeen,
        reply: oneshot::Sender<()>,
    },
    JoinAgent {
        link: ClientLink<ToAgent>,
        request: JoinRequest,
        reply: oneshot::Sender<Result<AgentAttached, ErrorCode>>,
    },
    Agent {
        conn: u64,
        message: FromAgentConn,
    },
    /// The controlling agent `conn` hands the session to `to` (signed in and free).
    Transfer {
        conn: u64,
        to: Member,
        reply: oneshot::Sender<Result<(), ErrorCode>>,
    },
    /// The contact center ended the interaction the session is bound to.
    EndInteraction,
    Shutdown,
    /// This node drains: the session is handed to another node without ending.
    HandOff,
}

impl SessionHandle {
    /// Attaches a customer connection: the page that started the session, or one resuming it
    /// with `token`.
    pub async fn attach_customer(
        &self,
        link: ClientLink<ToCustomer>,
        token: Option<String>,
    ) -> Result<CustomerAttached, ErrorCode> {
        let (reply, answer) = oneshot::channel();
        self.ask(Command::AttachCustomer { link, token, reply }, answer).await
    }

    /// Joins an agent (or a watching supervisor) connection.
    pub async fn join_agent(
        &self,
        link: ClientLink<ToAgent>,
        request: JoinRequest,
    ) -> Result<AgentAttached, ErrorCode> {
        let (reply, answer) = oneshot::channel();
        self.ask(Command::JoinAgent { link, request, reply }, answer).await
    }

    /// Hands the session from the agent on connection `conn` to `to`.
    pub async fn transfer(&self, conn: u64, to: Member) -> Result<(), ErrorCode> {
        let (reply, answer) = oneshot::channel();
        self.ask(Command::Transfer { conn, to, reply }, answer).await
    }

    /// Ends the session because its interaction ended.
    pub async fn end_interaction(&self) {
        let _ = self.commands.send(Command::EndInteraction).await;
    }

    /// Tells the session the customer opened a page, and waits until it has decided where the
    /// replica goes and whether the page is masked whole: page data sent after this finds both.
    pub async fn page(&self, conn: u64, page: PageSeen) {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Page { conn, page, reply }).await.is_ok() {
            let _ = answer.await;
        }
    }

    /// Passes on a customer message; a session that has ended ignores it.
    pub async fn customer(&self, conn: u64, message: FromCustomerConn) {
        let _ = self.commands.send(Command::Customer { conn, message }).await;
    }

    /// Passes on an agent message; a session that has ended ignores it.
    pub async fn agent(&self, conn: u64, message: FromAgentConn) {
        let _ = self.commands.send(Command::Agent { conn, message }).await;
    }

    /// Hands the session to another node (this one drains); its people reconnect there.
    pub async fn hand_off(&self) {
        let _ = self.commands.send(Command::HandOff).await;
    }

    /// Completes when the session's actor has stopped (ended, or handed over and let go).
    pub async fn stopped(&self) {
        self.commands.closed().await
    }

    /// Ends the session because the server is stopping.
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown).await;
    }

    async fn ask<T>(&self, command: Command, answer: oneshot::Receiver<Result<T, ErrorCode>>) -> Result<T, ErrorCode> {
        if self.commands.send(command).await.is_err() {
            return Err(ErrorCode::SessionEnded);
        }
        answer.await.unwrap_or(Err(ErrorCode::SessionEnded))
    }
}

/// Where a new session comes from: the customer page's origin, and the profiles in force.
pub struct Origin<'a> {
    /// The origin of the page that started the session.
    pub origin: String,
    /// The profile covering it now.
    pub profile: Arc<Profile>,
    /// The live profiles, whose edits reach the running session.
    pub store: &'a ProfileStore,
}

/// Creates a session with a fresh ID (unique here and in the directory), starts its actor and
/// its replica, and registers it; returns it with the customer's resume token.
pub async fn create(
    registry: &Arc<Registry>,
    replicas: &Replicas,
    site: Origin<'_>,
    timings: Timings,
    services: &Services,
) -> Result<SessionHandle, DirectoryError> {
    let token = id::new_token();
    let record = loop {
        let id = id::new_session_id();
        if registry.knows(&id) {
            continue;
        }
        let record = services.directory.new_record(&id, &token, &site.origin);
        if services.directory.insert(record.clone()).await? {
            break record;
        }
    };
    Ok(start(registry, replicas, site, timings, services, record, Some(token), false))
}

/// Starts the actor and the replica of the session `record` describes, owned by this process
/// (a new one, or one `taken_over` from a process that is gone), and registers it.
#[allow(clippy::too_many_arguments)]
fn start(
    registry: &Arc<Registry>,
    replicas: &Replicas,
    site: Origin<'_>,
    timings: Timings,
    services: &Services,
    record: SessionRecord,
    token: Option<String>,
    taken_over: bool,
) -> SessionHandle {
    let id = record.id.clone();
    let (commands, rx) = mpsc::channel(COMMAND_QUEUE);
    let (reports_tx, reports) = mpsc::channel(8);
    let replica = replicas.spawn(id.clone(), reports_tx, site.profile.rules());
    let token_digest = record.token_digest.clone();
    let setup = actor::Setup {
        id: id.clone(),
        token,
        origin: site.origin.clone(),
        profile: site.profile,
        profiles: site.store.subscribe(),
        timings,
        registry: registry.clone(),
        replica,
        services: services.clone(),
        taken_over: taken_over.then(|| record.clone()),
        publisher: directory::spawn_publisher(services.directory.clone(), record),
    };
    // Registered before the actor runs, so an actor that stops at once unregisters it.
    let handle = SessionHandle { id, commands };
    registry.insert(handle.clone(), &token_digest, &site.origin);
    actor::Actor::spawn(setup, rx, reports);
    handle
}
