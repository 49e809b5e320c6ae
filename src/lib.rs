//! Co-browse engine: a customer shares a live, masked rendering of a company web page with an agent.
//!
//! Layout, following the architecture and contract of the project's design document
//! (`shared/design.md`, kept beside this repository). Each decision has one owner; the layers
//! below it carry bytes:
//!
//! - [`cli`] and [`settings`]: the command line, flags and environment variables.
//! - [`server`]: the transport. The HTTP router, its shared [`server::AppState`], the two
//!   WebSocket channels (which parse, check and forward; they name no replica type and encode no
//!   frame) and the one place that maps errors to HTTP statuses.
//! - [`session`]: one actor task per co-browse session owns its state and decides the profile,
//!   the masking of whole pages and the replica's placement, publishing them to the replica;
//!   the [`session::registry`] of live sessions; the pure [`session::lifecycle`] state machine.
//!   The customer's connection reaches the replica only through a [`session::PageFeed`].
//! - [`replica`]: the headless Chromium that rebuilds each customer's page; every raw CDP call
//!   lives here, the frame schedule is a pure state machine, the shell is called through a
//!   typed bridge.
//! - [`stream`]: the frame format's encoder and decoder, and each agent's
//!   [`stream::screen::AgentScreen`] (only the tiles that changed).
//! - [`wire`]: every message exchanged with the customer snippet and the agent view, defined
//!   once and checked against the JavaScript clients.
//! - [`profile`]: browser profiles (`browser-profiles/*.toml`), chosen by the page's origin.
//! - [`reporting`]: the durable [`audit`] trail, [`metrics`] for `/metrics`, [`hooks`] for webhooks.
//! - [`cluster`]: cluster mode on Redis: node heartbeats, placement of new sessions, and
//!   node-to-node relays of connections that land beside their session's node.
//! - [`auth`]: signed agent tokens and the directory of signed-in agents.
//! - [`demo`]: the small demo company site served beside the server; [`demo_chat`]: its chat
//!   with the demo workspace (it mounts its own routes).
//! - `bench` (the `bench` feature, on by default): `cobrowse bench` and `cobrowse soak`.
//! - [`corpus`]: the third-party pages the compatibility tests and the bench visit (installed
//!   from npm at pinned versions), served with the snippet added.
//! - [`assets`]: the web files (snippet, agent view, replica shell) compiled into the binary.

pub mod assets;
pub mod auth;
#[cfg(feature = "bench")]
pub mod bench;
pub mod cli;
pub mod cluster;
pub mod corpus;
pub mod demo;
pub mod demo_chat;
pub mod profile;
pub mod replica;
pub mod reporting;
pub mod server;
pub mod session;
pub mod settings;
pub mod stream;
#[cfg(test)]
mod test_redis;
pub mod wire;

pub use reporting::{audit, hooks, metrics};
pub use server::run;
