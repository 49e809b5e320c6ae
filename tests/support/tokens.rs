//! Signing in as an agent: the test servers' secret, tokens, and the agent view with one.

use std::time::Duration;

use cobrowse::auth::{Role, Signer};

/// The secret every test server signs tokens with.
pub const TEST_SECRET: &str = "test-secret-not-for-production";

/// A token for `agent` (display name `name`) with `role`, valid for an hour on any test server.
pub fn token_for(agent: &str, name: &str, role: Role) -> String {
    Signer::new(TEST_SECRET).issue(agent, name, role, Duration::from_secs(3600), std::time::SystemTime::now())
}

/// The agent view at `server`, with `query` (such as `?session=...`), signed in as agent "a-1".
pub fn agent_page(server: &str, query: &str) -> String {
    format!("{server}/agent/{query}#token={}", token_for("a-1", "Alex Agent", Role::Agent))
}

/// JavaScript that opens `/ws/agent` at `server` (an `http://` URL) signed in as agent "a-1",
/// as the agent view does (the token as an offered subprotocol), for scripted clients in a page.
pub fn agent_socket_js(server: &str) -> String {
    agent_socket_js_as(server, "a-1")
}

/// The same, signed in as agent `agent`.
pub fn agent_socket_js_as(server: &str, agent: &str) -> String {
    format!(
        "new WebSocket('{}/ws/agent', ['cobrowse', 'cobrowse.token.{}'])",
        server.replacen("http", "ws", 1),
        token_for(agent, "Another Agent", Role::Agent)
    )
}
