//! Test harness: a real server on port-0 listeners (with the demo site and an "outside" site),
//! and real headless Chromium browsers playing the customer and the agent.
//!
//! When a pixel comparison fails, `COBROWSE_DUMP=1` writes both images to
//! `/tmp/cobrowse-dump-{customer,agent}.png`; `COBROWSE_TRACE=1` prints every comparison, and
//! `RUST_LOG=cobrowse=debug` shows the server's side.
//!
//! Dead code. Every `tests/*.rs` is a crate of its own that compiles this module for itself and
//! uses only some of it, so the dead-code lint would flag, in each, whatever that one test does
//! not use (a socket-level test such as `connections.rs` uses no browser at all): with
//! targeted `allow`s that would be one on nearly every item. Instead every test declares
//! `pub mod support;`, which makes what this module exports that crate's public interface,
//! and the lint does not flag public items. So:
//!
//! - what a test may call is `pub` and reached from here (re-exported below, or in the public
//!   `corpus` and `fidelity` modules);
//! - what only the harness uses is `pub(super)` or private, and the lint still checks it;
//! - nothing here, or in the tests, needs `allow(dead_code)`.
//!
//! The price: a `pub` helper no test calls any more is not flagged; remove it with its last use.

pub mod corpus;
pub mod fidelity;
pub mod http;

mod agent;
mod browser;
mod capture;
mod fixtures;
mod input;
mod pixels;
mod processes;
mod raw_agent;
mod server;
mod session;
mod tokens;
mod wait;
mod write;

pub use agent::{
    agent_receives, agent_sends, agent_status, capture_sockets, frames, wait_for_frame_after, wait_for_status,
    wait_for_status_start,
};
pub use browser::{Person, Tab};
pub use capture::SentCapture;
pub use fixtures::FIXTURE_REQUESTS;
pub use pixels::{element_screenshot, images_match, match_ratio, wait_for_match};
pub use processes::{api, api_call, free_port, Nginx, Node, Redis};
pub use raw_agent::RawAgent;
pub use server::{timings, TempDir, TestServer, TestServerBuilder};
pub use session::{join, start_session, Cast, Scene, WIDGET};
pub use tokens::{agent_page, agent_socket_js, agent_socket_js_as, token_for, TEST_SECRET};
pub use wait::{bounded, SERIAL};
pub use write::{agent_clicks_on, agent_clicks_on_when_seen, agent_points_at, agent_sees, allow_write_mode};
