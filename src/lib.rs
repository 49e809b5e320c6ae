//! Co-browse engine: a customer shares a live, masked rendering of a company web page with an agent.
//!
//! Layout, following the architecture and contract of the project's design document
//! (`shared/design.md`, kept beside this repository):
//!
//! - [`cli`] and [`settings`]: the command line, flags and environment variables.
//! - [`server`]: the HTTP router, its shared [`server::AppState`], the two WebSocket channels and
//!   the one place that maps errors to HTTP statuses.
//! - [`session`]: one actor task per co-browse session, the [`session::registry`] of live
//!   sessions, and the pure [`session::lifecycle`] state machine for lifecycle and mode.
//! - [`replica`]: the headless Chromium that rebuilds each customer's page; every raw CDP call
//!   lives here (the benchmark's simulated customers use its page helpers too).
//! - [`profile`]: browser profiles (`browser-profiles/*.toml`), chosen by the page's origin.
//! - [`stream`]: frame deltas for each agent (only the tiles that changed).
//! - [`wire`]: every message exchanged with the customer snippet and the agent view.
//! - [`demo`]: the small demo company site served beside the server; [`demo_chat`]: its chat
//!   with the demo workspace, where co-browse starts from a chat message.
//! - [`bench`]: `cobrowse bench`, the benchmark (simulated customers and agents on loopback).
//! - [`auth`]: signed agent tokens and the directory of signed-in agents; [`audit`]: the
//!   durable trail of session events; [`metrics`]: `/metrics`; [`hooks`]: webhooks.
//! - [`assets`]: the web files (snippet, agent view, replica shell) compiled into the binary.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod demo;
pub mod demo_chat;
pub mod hooks;
pub mod metrics;
pub mod profile;
pub mod replica;
pub mod server;
pub mod session;
pub mod settings;
pub mod stream;
pub mod wire;

pub use server::run;
