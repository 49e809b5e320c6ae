//! Bad input gets a clear answer and loses nothing: wrong IDs, a second agent, malformed and
//! oversized messages, pages from unlisted origins, and a replica that crashes.

pub mod support;

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_ids_second_agents_and_malformed_messages_are_refused_without_harm() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    capture_sockets(agent).await;
    capture_sockets(customer).await;

    // A wrong ID: the agent view says there is no such session.
    agent.goto(&support::agent_page(&server.server, "?session=000000000")).await;
    wait_for_status(agent, "There is no session with this ID.").await;
    agent.goto(&support::agent_page(&server.server, "?session=not-an-id")).await;
    wait_for_status(agent, "There is no session with this ID.").await;

    customer.goto(&format!("{}/switch.html", server.demo)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;

    // Malformed and oversized messages get an error back; the session goes on.
    agent_sends(agent, "this is not json").await;
    agent_receives(agent, "error", Some("malformed")).await;
    agent_sends(agent, r#"{"type":"teleport"}"#).await;
    agent_sends(agent, &format!(r#"{{"type":"pointer","x":1,"y":2,"pad":"{}"}}"#, "x".repeat(20_000))).await;
    agent_receives(agent, "error", Some("too_large")).await;
    agent_sends(agent, r#"{"type":"join","session":"123456789"}"#).await;
    agent_receives(agent, "error", Some("unexpected")).await;

    // A second agent is refused with a clear message; the first keeps the session.
    let second = agent
        .eval(&format!(
            "new Promise((resolve) => {{ const ws = {}; ws.onopen = () => ws.send(JSON.stringify({{type: 'join', session: '{id}'}})); ws.onmessage = (e) => {{ const m = JSON.parse(e.data); if (m.type === 'hello') return; resolve(m); ws.close(); }}; }})",
            support::agent_socket_js_as(&server.server, "a-2")
        ))
        .await;
    assert_eq!(second["type"], "join_failed");
    assert_eq!(second["code"], "agent_present");

    // A customer sending garbage gets an error back; the page still reaches the agent.
    customer
        .eval("window.__sockets[window.__sockets.length - 1].send(new TextEncoder().encode('[1,2]; alert(1)'))")
        .await;
    customer
        .wait_for(
            "customer error",
            "(window.__received || []).some((m) => m.type === 'error' && m.code === 'malformed')",
        )
        .await;
    customer.eval("window.__sockets[window.__sockets.length - 1].send('{\"type\":\"resume\",\"token\":\"x\"}')").await;
    customer
        .wait_for(
            "customer error",
            "(window.__received || []).some((m) => m.type === 'error' && m.code === 'unexpected')",
        )
        .await;
    let frames_before = frames(agent).await;
    customer.click_element("document.getElementById('address')").await;
    customer.type_text("1 Harbour Row").await;
    wait_for_frame_after(agent, frames_before).await;
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 600.0], 0.99).await;
    assert!(ratio >= 0.99, "after bad messages the agent's view matches only {ratio:.3}");

    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_connections_from_unlisted_origins_are_forbidden() {
    let _serial = SERIAL.lock().await;
    let server = TestServer::builder().start().await;
    let addr = server.server.trim_start_matches("http://").to_string();
    for origin in ["http://evil.example", "null", ""] {
        let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let origin_header = if origin.is_empty() { String::new() } else { format!("Origin: {origin}\r\n") };
        let request = format!(
            "GET /ws/customer HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{origin_header}\r\n"
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut response = vec![0u8; 512];
        let n = bounded("response", tcp.read(&mut response)).await.unwrap();
        let response = String::from_utf8_lossy(&response[..n]);
        assert!(response.starts_with("HTTP/1.1 403"), "origin {origin:?} got: {response}");
    }
    // The outside site's own snippet cannot start a session: the customer is told.
    let customer = Person::launch("customer").await;
    customer.goto(&format!("{}/", server.outside)).await;
    customer.wait_for("snippet", "!!document.querySelector('cobrowse-widget')").await;
    customer.click_element(&format!("{WIDGET}.querySelector('button.start')")).await;
    customer
        .wait_for(
            "told",
            &format!("{WIDGET}.querySelector('[role=status]').textContent === 'Co-browse is not available right now.'"),
        )
        .await;
    assert_eq!(customer.eval("Cobrowse.state").await, "idle");
    assert!(server.state.registry.is_empty());
    customer.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_replica_is_rebuilt_and_the_agent_keeps_watching() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/switch.html", timings()).await;
    let (customer, agent) = (&scene.customer, &scene.agent);

    // Kill the replica's renderer processes, as a crash would.
    let pid = scene.server.state.replicas.browser().pid().await.expect("replica chromium runs");
    let killed = kill_renderers(pid);
    assert!(killed > 0, "no renderer found under chromium {pid}");

    rebuilt_and_streaming(customer, agent, "email", "ada@example.com").await;
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_browser_is_relaunched_and_every_session_rebuilt() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/switch.html", timings()).await;
    let (customer, agent) = (&scene.customer, &scene.agent);
    let other_customer = customer.new_tab().await;
    other_customer.goto(&format!("{}/switch.html", scene.server.demo)).await;
    let other_id = start_session(&other_customer).await;
    let other_agent = agent.new_tab().await;
    join(&other_agent, &scene.server.server, &other_id).await;

    // The whole browser dies (an OOM kill), every process of it: every session's replica is
    // gone at once.
    let pids = scene.server.state.replicas.browser().pids().await;
    assert!(!pids.is_empty(), "replica chromium runs");
    for pid in &pids {
        let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }

    rebuilt_and_streaming(customer, agent, "email", "ada@example.com").await;
    // The other session was rebuilt too (its notice may be over by now).
    other_customer.click_element("document.getElementById('email')").await;
    other_customer.type_text("grace@example.com").await;
    let ratio = wait_for_match(&other_customer, &other_agent, [0.0, 0.0, 480.0, 600.0], 0.99).await;
    assert!(ratio >= 0.99, "the other session's agent sees only {ratio:.3} of its page");
    let relaunched = scene.server.state.replicas.browser().pids().await;
    assert!(!relaunched.is_empty(), "a new chromium runs");
    assert!(
        relaunched.iter().all(|pid| !pids.contains(pid)),
        "the browser was relaunched: {pids:?} then {relaunched:?}"
    );
    assert_eq!(scene.server.state.registry.len(), 2, "no session ended");
    scene.finish().await;
}

/// The agent is told the replica is being rebuilt; then the rebuilt replica, filled from a
/// fresh snapshot, shows what the customer types into the field `field`.
async fn rebuilt_and_streaming(customer: &Tab, agent: &Tab, field: &str, text: &str) {
    wait_for_status_start(agent, "Rebuilding").await;
    let before = frames(agent).await;
    customer.click_element(&format!("document.getElementById('{field}')")).await;
    customer.type_text(text).await;
    wait_for_frame_after(agent, before).await;
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 600.0], 0.99).await;
    assert!(ratio >= 0.99, "after the rebuild the agent's view matches only {ratio:.3}");
}

/// Sends SIGKILL to every renderer process descending from `pid`; returns how many.
fn kill_renderers(pid: u32) -> usize {
    let found = renderers(pid);
    for (renderer, _) in &found {
        let _ = std::process::Command::new("kill").args(["-KILL", &renderer.to_string()]).status();
    }
    found.len()
}

/// Renderer processes descending from `pid`, with their start times (clock ticks after boot).
fn renderers(pid: u32) -> Vec<(u32, u64)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains("--type=renderer") && descends_from(child, pid) {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            let started =
                stat.rsplit(')').next().and_then(|r| r.split_whitespace().nth(19)).and_then(|t| t.parse().ok());
            found.push((child, started.unwrap_or(u64::MAX)));
        }
    }
    found
}

fn descends_from(mut pid: u32, ancestor: u32) -> bool {
    for _ in 0..16 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let Some(ppid) =
            stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1)).and_then(|p| p.parse().ok())
        else {
            return false;
        };
        if ppid == ancestor {
            return true;
        }
        if ppid <= 1 {
            return false;
        }
        pid = ppid;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_replica_is_replaced_and_other_sessions_keep_streaming() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/switch.html", timings()).await;
    let (customer, agent) = (&scene.customer, &scene.agent);
    // A second session, on the prices page whose script changes it every second.
    let other_customer = customer.new_tab().await;
    other_customer.goto(&format!("{}/prices.html", scene.server.demo)).await;
    let other_id = start_session(&other_customer).await;
    let other_agent = agent.new_tab().await;
    join(&other_agent, &scene.server.server, &other_id).await;

    // Hang the first session's replica page: freeze its renderer (the oldest one; each
    // session's context has its own).
    let pid = scene.server.state.replicas.browser().pid().await.expect("replica chromium runs");
    let renderer = renderers(pid).into_iter().min_by_key(|(_, started)| *started).expect("a renderer").0;
    let _ = std::process::Command::new("kill").args(["-STOP", &renderer.to_string()]).status();

    rebuilt_and_streaming(customer, agent, "name", "still here").await;
    // The other session never stopped.
    wait_for_frame_after(&other_agent, frames(&other_agent).await).await;
    let _ = std::process::Command::new("kill").args(["-KILL", &renderer.to_string()]).status();
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_working_chromium_the_agent_is_told_and_the_session_survives() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::on(TestServer::builder().without_replica_chromium().start().await).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(customer).await;
    agent.goto(&support::agent_page(&server.server, &format!("?session={id}"))).await;
    wait_for_status_start(agent, "The customer’s page cannot be shown right now").await;
    // Pointing still works, and the session is still there to end.
    assert_eq!(customer.eval("Cobrowse.state").await, "active");
    agent.click_element("document.getElementById('end')").await;
    customer.wait_for("ended", "Cobrowse.state === 'ended'").await;
    cast.finish().await;
}

/// JS that opens a raw agent socket and sends `join` for `id`. It resolves with the
/// `type:code` of each message received (frames count as "frame"): after the first message
/// (then closes), or with `until_closed` once the server closes the socket.
fn raw_agent_join(server: &str, id: &str, until_closed: bool) -> String {
    let socket = support::agent_socket_js(server);
    format!(
        "new Promise((resolve) => {{ const ws = {socket}; const got = []; ws.onopen = () => ws.send(JSON.stringify({{type: 'join', session: '{id}'}})); ws.onmessage = (e) => {{ if (typeof e.data === 'string' && JSON.parse(e.data).type === 'hello') return; got.push(typeof e.data === 'string' ? JSON.parse(e.data).type + ':' + (JSON.parse(e.data).code || '') : 'frame'); if (!{until_closed}) {{ resolve(got); ws.close(); }} }}; ws.onclose = () => resolve(got); }})"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_session_ids_is_cut_off_after_ten_failures_a_minute() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(customer).await;
    agent.goto(&support::agent_page(&server.server, "")).await;

    // A connection that keeps guessing is closed after five failures; the address is refused
    // after ten, even for the right ID.
    let mut answers = Vec::new();
    for guess in 0..11 {
        let wrong = format!("{:09}", 100_000_000 + guess);
        let got = agent.eval(&raw_agent_join(&server.server, &wrong, false)).await;
        answers.push(got[0].as_str().unwrap().to_string());
    }
    assert!(answers[..10].iter().all(|a| a == "join_failed:no_such_session"), "{answers:?}");
    assert_eq!(answers[10], "join_failed:too_many_attempts");
    let got = agent.eval(&raw_agent_join(&server.server, &id, false)).await;
    assert_eq!(got[0], "join_failed:too_many_attempts");
    let closed_after = agent
        .eval(&format!(
            "new Promise((resolve) => {{ const ws = {}; let n = 0; ws.onopen = () => {{ for (let i = 0; i < 8; i++) ws.send(JSON.stringify({{type: 'join', session: '00000000' + i}})); }}; ws.onmessage = (e) => {{ if (JSON.parse(e.data).type !== 'hello') n++; }}; ws.onclose = () => resolve(n); }})",
            support::agent_socket_js(&server.server)
        ))
        .await;
    assert!(closed_after.as_u64().unwrap() <= 5, "the connection stayed open after {closed_after} failures");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_a_session_ends_the_server_closes_both_connections() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(customer).await;
    agent.goto(&support::agent_page(&server.server, "")).await;
    // A raw agent connection that would never close by itself.
    agent.eval(&format!("window.__closed = {}; true", raw_agent_join(&server.server, &id, true))).await;
    customer.wait_for("agent joined", "Cobrowse.state === 'active'").await;
    customer.click_element(&format!("{WIDGET}.querySelector('button.end')")).await;
    let got = bounded("closed by the server", async { agent.eval("window.__closed").await }).await;
    let got: Vec<String> = serde_json::from_value(got).unwrap();
    assert_eq!(got.first().map(String::as_str), Some("joined:"), "{got:?}");
    assert_eq!(got.last().map(String::as_str), Some("ended:"), "{got:?}");
    assert!(server.state.registry.is_empty());
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_at_its_session_limit_turns_new_customers_away_politely() {
    let _serial = SERIAL.lock().await;
    let server = TestServer::builder().configure(|state| state.with_max_sessions(1)).start().await;
    let customer = Person::launch("customer").await;
    customer.goto(&format!("{}/", server.demo)).await;
    start_session(&customer).await;
    let second = customer.new_tab().await;
    second.goto(&format!("{}/", server.demo)).await;
    second.wait_for("widget", "!!document.querySelector('cobrowse-widget')").await;
    let refused = second.eval("Cobrowse.start().then(() => 'started', (e) => e.message)").await;
    assert_eq!(refused, "Co-browse is busy right now; please try again in a few minutes.");
    assert_eq!(second.eval("Cobrowse.state").await, "idle");
    second
        .wait_for(
            "the widget says busy",
            &format!("{WIDGET}.querySelector('[role=status]').textContent.includes('busy right now')"),
        )
        .await;
    assert_eq!(server.state.registry.len(), 1);
    let (_, metrics) = server.http("GET", "/metrics", None).await;
    assert!(metrics.contains("cobrowse_starts_refused_total{reason=\"full\"} 1"), "{metrics}");
    customer.close().await;
    server.stop().await;
}
