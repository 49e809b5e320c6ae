//! The agent view as a test reads it: the frames it has drawn, its status line, and the
//! messages on its socket (captured, and sent as the view never would).

use super::{bounded, Tab};

/// Frames the agent has drawn so far.
pub async fn frames(agent: &Tab) -> u64 {
    agent.eval("Number(document.getElementById('screen').dataset.frames || 0)").await.as_u64().unwrap_or(0)
}

/// Waits until the agent has drawn more than `before` frames.
pub async fn wait_for_frame_after(agent: &Tab, before: u64) {
    agent
        .wait_for("a new frame", &format!("Number(document.getElementById('screen').dataset.frames) > {before}"))
        .await;
}

/// Waits until the agent's status line reads `text` exactly.
pub async fn wait_for_status(agent: &Tab, text: &str) {
    agent
        .wait_for(
            &format!("agent status {text:?}"),
            &format!("document.getElementById('status').textContent === {text:?}"),
        )
        .await;
}

/// Waits until the agent's status line starts with `prefix`.
pub async fn wait_for_status_start(agent: &Tab, prefix: &str) {
    agent
        .wait_for(
            &format!("agent status {prefix:?}…"),
            &format!("document.getElementById('status').textContent.startsWith({prefix:?})"),
        )
        .await;
}

/// The agent's status line.
pub async fn agent_status(agent: &Tab) -> String {
    agent.eval("document.getElementById('status').textContent").await.as_str().unwrap_or("").to_string()
}

/// Installs a hook in the agent's page (before its scripts run) that keeps every WebSocket it
/// opens in `window.__sockets`, so a test can send what the agent view never would.
pub async fn capture_sockets(agent: &Tab) {
    use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
    let hook = "window.__sockets = []; const Real = window.WebSocket; window.WebSocket = class extends Real { constructor(...a) { super(...a); window.__sockets.push(this); this.addEventListener('message', (e) => { if (typeof e.data === 'string') (window.__received = window.__received || []).push(JSON.parse(e.data)); }); } };";
    bounded("add hook", agent.page.execute(AddScriptToEvaluateOnNewDocumentParams::new(hook))).await.unwrap();
}

/// Sends a raw text message on the agent view's socket.
pub async fn agent_sends(agent: &Tab, message: &str) {
    agent.eval(&format!("window.__sockets[window.__sockets.length - 1].send({message:?})")).await;
}

/// Waits for the agent's socket to receive a message of `kind` (with `code`, if given).
pub async fn agent_receives(agent: &Tab, kind: &str, code: Option<&str>) -> serde_json::Value {
    let code = code.map(|c| format!(" && m.code === {c:?}")).unwrap_or_default();
    agent
        .wait_for(
            &format!("agent receives {kind}"),
            &format!("(window.__received || []).find((m) => m.type === {kind:?}{code}) || null"),
        )
        .await
}
