//! The contact center's side end to end: interactions that end their sessions, supervisors who
//! watch, agents who transfer, the audit trail across a restart, `/metrics`, and webhooks.

pub mod support;

use std::sync::Arc;

use cobrowse::auth::Role;
use serde_json::{json, Value};
use support::*;

fn integration() -> String {
    token_for("crm", "CRM", Role::Integration)
}

/// The session's audit trail as the integration API returns it.
async fn audit_kinds(server: &TestServer, id: &str) -> Vec<(String, Option<String>)> {
    let (status, body) = server.http("GET", &format!("/api/sessions/{id}/events"), Some(&integration())).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_string(), e["agent"].as_str().map(String::from)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_the_interaction_ends_its_session_on_both_sides() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(customer).await;
    customer.eval("window.__ended = null; Cobrowse.on('session-ended', (e) => { window.__ended = e.by; })").await;
    agent.goto(&agent_page(&server.server, &format!("?session={id}&interaction=call-42"))).await;
    agent.wait_for("first frame", "Number(document.getElementById('screen').dataset.frames || 0) > 0").await;

    // Unknown interactions and missing tokens change nothing.
    assert_eq!(server.http("POST", "/api/interactions/call-41/end", Some(&integration())).await.0, 404);
    assert_eq!(server.http("POST", "/api/interactions/call-42/end", None).await.0, 401);
    assert_eq!(customer.eval("Cobrowse.state").await, "active");

    let (status, body) = server.http("POST", "/api/interactions/call-42/end", Some(&integration())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["ended"], json!([id]));
    customer.wait_for("customer told", "window.__ended === 'interaction'").await;
    assert_eq!(customer.eval("Cobrowse.state").await, "ended");
    wait_for_status(agent, "The interaction ended, and with it the session.").await;
    // Ended once: a second call finds nothing bound any more.
    assert_eq!(server.http("POST", "/api/interactions/call-42/end", Some(&integration())).await.0, 404);
    let kinds = audit_kinds(server, &id).await;
    assert_eq!(kinds.last().unwrap().0, "ended");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_watches_and_the_agent_transfers_to_a_colleague() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/", timings()).await;
    let (server, customer, agent) = (&scene.server, &scene.customer, &scene.agent);
    customer.eval("window.__modes = []; Cobrowse.on('mode-changed', (e) => window.__modes.push(e.mode))").await;
    // Every notice the customer is shown, since one may follow another within a frame.
    customer
        .eval(&format!(
            "window.__notices = []; const s = {WIDGET}.querySelector('[role=status]'); new MutationObserver(() => window.__notices.push(s.textContent)).observe(s, {{ childList: true, characterData: true, subtree: true }})"
        ))
        .await;

    // An agent cannot watch; a supervisor can, and sees frames but cannot act.
    let mut pretender =
        RawAgent::connect(&server.server, Some(&token_for("a-3", "Ari", Role::Agent)), "127.0.0.1").await.unwrap();
    pretender.send(json!({ "type": "join", "session": scene.id, "watch": true })).await;
    assert_eq!(pretender.wait_for("join_failed").await["code"], "not_allowed");
    let supervisor_token = token_for("s-1", "Sam Supervisor", Role::Supervisor);
    let mut supervisor = RawAgent::connect(&server.server, Some(&supervisor_token), "127.0.0.1").await.unwrap();
    supervisor.send(json!({ "type": "join", "session": scene.id, "watch": true })).await;
    let joined = supervisor.wait_for("joined").await;
    assert_eq!((joined["watching"].as_bool(), joined["write_mode_allowed"].as_bool()), (Some(true), Some(false)));
    supervisor.wait_for_frame().await;
    customer
        .wait_for(
            "customer told of the supervisor",
            "window.__notices.some((n) => n.startsWith('Someone else (a supervisor) is also watching'))",
        )
        .await;
    wait_for_status(agent, "A supervisor is watching.").await;
    supervisor.send(json!({ "type": "action", "action": { "kind": "click", "x": 10, "y": 10 } })).await;
    assert_eq!(supervisor.wait_for("refused").await["code"], "not_allowed");
    supervisor.send(json!({ "type": "request_write_mode" })).await;
    assert_eq!(supervisor.wait_for("refused").await["code"], "not_allowed");

    // Write mode for the first agent, then a transfer: to nobody (refused), then to a colleague
    // whose agent view is open.
    agent.click_element("document.getElementById('request-write')").await;
    customer.wait_for("asked", &format!("!{WIDGET}.querySelector('[role=alertdialog]').hidden")).await;
    customer.click_element(&format!("{WIDGET}.querySelector('.allow')")).await;
    wait_for_status(agent, "Write mode: you can act on the customer’s page.").await;
    agent.click_element("document.getElementById('transfer-to')").await;
    agent.type_text("nobody").await;
    agent.click_element("document.getElementById('transfer')").await;
    wait_for_status(agent, "No agent with that ID is signed in and free.").await;

    let colleague = agent.new_tab().await;
    let colleague_token = token_for("b-2", "Blake Agent", Role::Agent);
    colleague.goto(&format!("{}/agent/#token={colleague_token}", server.server)).await;
    colleague.wait_for("signed in", "document.getElementById('who').textContent === 'Signed in as Blake Agent'").await;
    agent.eval("document.getElementById('transfer-to').value = 'b-2'").await;
    agent.click_element("document.getElementById('transfer')").await;
    wait_for_status(agent, "You transferred the session to Blake Agent.").await;
    customer
        .wait_for(
            "customer told of the transfer",
            "window.__notices.includes('Your session was transferred to Blake Agent; write mode has ended.')",
        )
        .await;
    colleague
        .wait_for("the colleague sees the page", "Number(document.getElementById('screen').dataset.frames || 0) > 0")
        .await;
    assert_eq!(customer.eval("window.__modes").await, json!(["write", "pointer"]));
    assert_eq!(colleague.eval("document.getElementById('mode').textContent").await, "Pointer mode");
    assert_eq!(colleague.eval("document.getElementById('request-write').hidden").await, false, "asks afresh");
    customer
        .wait_for(
            "customer told who took over",
            "window.__notices.some((n) => n.includes('Blake Agent can now see this page'))",
        )
        .await;

    let kinds = audit_kinds(server, &scene.id).await;
    let expected: &[(&str, Option<&str>)] = &[
        ("watcher_joined", Some("s-1")),
        ("action_refused", Some("s-1")),
        ("write_requested", Some("a-1")),
        ("write_answered", None),
        ("mode_changed", Some("a-1")),
        // Write mode ends with the transfer.
        ("mode_changed", Some("a-1")),
        ("transferred", Some("a-1")),
        ("agent_joined", Some("b-2")),
    ];
    let mut rest = kinds.iter();
    for (kind, agent) in expected {
        assert!(rest.any(|(k, a)| k == kind && a.as_deref() == *agent), "no {kind} by {agent:?} in order in {kinds:?}");
    }
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_survives_a_restart_and_metrics_follow_the_session() {
    let _serial = SERIAL.lock().await;
    let data = TempDir::new("audit");
    let services = |dir: &std::path::Path| cobrowse::session::Services {
        audit: cobrowse::audit::Audit::open(dir).unwrap(),
        metrics: Arc::default(),
        hooks: None,
        directory: cobrowse::session::directory::Directory::open(dir, "test", std::time::Duration::from_secs(600))
            .unwrap(),
    };
    let first = services(&data.0);
    let server = TestServer::builder().configure(|state| state.with_services(first)).start().await;
    let metric = |text: &str, name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name}"))
            .parse()
            .unwrap()
    };
    let before = server.http("GET", "/metrics", None).await.1;
    assert_eq!(metric(&before, "cobrowse_sessions_live"), 0.0);
    assert_eq!(metric(&before, "cobrowse_joins_total"), 0.0);

    let cast = Cast::on(server).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(customer).await;
    capture_sockets(agent).await;
    join(agent, &server.server, &id).await;
    let during = server.http("GET", "/metrics", None).await.1;
    assert_eq!(metric(&during, "cobrowse_sessions_live"), 1.0);
    assert_eq!(metric(&during, "cobrowse_sessions_started_total"), 1.0);
    assert_eq!(metric(&during, "cobrowse_joins_total"), 1.0);
    assert!(metric(&during, "cobrowse_frames_sent_total") >= 1.0, "{during}");
    assert!(metric(&during, "cobrowse_bytes_sent_total") > 1000.0, "{during}");
    assert_eq!(metric(&during, "cobrowse_join_to_first_frame_seconds_count"), 1.0);

    // Pointer mode refuses a crafted action: counted and audited with its reason.
    agent_sends(agent, r#"{"type":"action","action":{"kind":"click","x":5,"y":5}}"#).await;
    agent_receives(agent, "refused", Some("pointer_mode")).await;
    customer.click_element(&format!("{WIDGET}.querySelector('button.end')")).await;
    wait_for_status(agent, "The customer ended the session.").await;
    let after = server.http("GET", "/metrics", None).await.1;
    assert_eq!(metric(&after, "cobrowse_sessions_live"), 0.0);
    assert_eq!(metric(&after, "cobrowse_actions_refused_total"), 1.0);

    // Restart on the same data folder: the rows are still there.
    let Cast { server, customer, agent } = cast;
    customer.close().await;
    agent.close().await;
    server.stop_and_wait().await;
    let second = services(&data.0);
    let restarted =
        TestServer::builder().without_replica_chromium().configure(|state| state.with_services(second)).start().await;
    let (status, body) = restarted.http("GET", &format!("/api/sessions/{id}/events"), Some(&integration())).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let events = body["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "agent_joined", "action_refused", "ended"], "{body}");
    assert_eq!(events[1]["agent"], "a-1");
    assert_eq!(events[2]["detail"]["reason"], "pointer_mode");
    assert_eq!(events[3]["detail"]["by"], "customer");
    assert!(events.windows(2).all(|w| w[0]["at_ms"].as_u64() <= w[1]["at_ms"].as_u64()));
    assert_eq!(restarted.http("GET", "/api/sessions/999999999/events", Some(&integration())).await.0, 404);
    restarted.stop().await;
}

/// A webhook receiver on loopback that answers 500 to its first delivery and 200 after; it
/// passes on each delivery it accepted (the signature header and the body).
async fn receiver() -> (String, tokio::sync::mpsc::Receiver<(String, String)>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/cobrowse", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        let mut attempts = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            attempts += 1;
            let (head, body) = support::http::read_request(&mut stream).await;
            let status = if attempts == 1 { "500 Internal Server Error" } else { "200 OK" };
            let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(answer.as_bytes()).await;
            if attempts > 1 {
                let signature = support::http::header(&head, "x-cobrowse-signature").unwrap_or_default();
                let _ = tx.send((signature, body)).await;
            }
        }
    });
    (url, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_webhooks_reach_the_contact_center_after_a_retry() {
    let _serial = SERIAL.lock().await;
    use hmac::Mac;
    let (url, mut deliveries) = receiver().await;
    let metrics = Arc::new(cobrowse::metrics::Metrics::default());
    // Webhooks have their own secret: whoever checks them cannot mint tokens with it.
    const WEBHOOK_SECRET: &str = "webhook-secret-for-tests";
    let hooks = cobrowse::hooks::Webhooks::new(&url, WEBHOOK_SECRET, None, metrics.clone()).unwrap();
    let services =
        cobrowse::session::Services { hooks: Some(hooks), metrics, ..cobrowse::session::Services::in_memory() };
    let cast = Cast::on(TestServer::builder().configure(|state| state.with_services(services)).start().await).await;
    let (server, customer) = (&cast.server, &cast.customer);
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(customer).await;
    let mut agent = RawAgent::connect(&server.server, Some(&token_for("a-1", "Alex Agent", Role::Agent)), "127.0.0.1")
        .await
        .unwrap();
    agent.send(json!({ "type": "join", "session": id, "interaction": "call-7" })).await;
    agent.wait_for("joined").await;

    // The first attempt got a 500; the retry is delivered, signed with the server's secret.
    let (signature, body) = bounded("session-started delivered", deliveries.recv()).await.unwrap();
    let started: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(started["event"], "session-started");
    assert_eq!(started["id"], format!("{id}-session-started"));
    assert_eq!((started["session"].as_str(), started["interaction"].as_str()), (Some(id.as_str()), Some("call-7")));
    assert_eq!(started["agent"], "a-1");
    assert!(started["started_at_ms"].as_u64().unwrap() > 0);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(signature, format!("sha256={expected}"));

    customer.click_element(&format!("{WIDGET}.querySelector('button.end')")).await;
    let (_, body) = bounded("session-ended delivered", deliveries.recv()).await.unwrap();
    let ended: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((ended["event"].as_str(), ended["ended_by"].as_str()), (Some("session-ended"), Some("customer")));
    assert_eq!(ended["interaction"], "call-7");
    assert!(ended["duration_seconds"].as_f64().unwrap() > 0.0);
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transferred_session_follows_the_new_agents_interaction() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer) = (&cast.server, &cast.customer);
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(customer).await;
    let mut first =
        RawAgent::connect(&server.server, Some(&token_for("a-1", "Alex", Role::Agent)), "127.0.0.1").await.unwrap();
    first.send(json!({ "type": "join", "session": id, "interaction": "call-1" })).await;
    first.wait_for("joined").await;
    let mut second =
        RawAgent::connect(&server.server, Some(&token_for("b-2", "Blake", Role::Agent)), "127.0.0.1").await.unwrap();
    second.wait_for("hello").await;

    first.send(json!({ "type": "transfer", "to": "b-2" })).await;
    assert_eq!(first.wait_for("transferred_away").await["to"], "Blake");
    let offer = second.wait_for("transfer_offered").await;
    assert_eq!((offer["session"].as_str(), offer["from"].as_str()), (Some(id.as_str()), Some("Alex")));
    // While it is handed over, nobody else may take it.
    let mut third =
        RawAgent::connect(&server.server, Some(&token_for("c-3", "Cleo", Role::Agent)), "127.0.0.1").await.unwrap();
    third.send(json!({ "type": "join", "session": id })).await;
    assert_eq!(third.wait_for("join_failed").await["code"], "transferring");
    second.send(json!({ "type": "join", "session": id, "interaction": "call-2" })).await;
    second.wait_for("joined").await;

    // The first agent's interaction no longer concerns the session; the second's ends it.
    assert_eq!(server.http("POST", "/api/interactions/call-1/end", Some(&integration())).await.0, 404);
    assert_eq!(customer.eval("Cobrowse.state").await, "active");
    assert_eq!(server.http("POST", "/api/interactions/call-2/end", Some(&integration())).await.0, 200);
    assert_eq!(second.wait_for("ended").await["by"], "interaction");
    customer.wait_for("ended", "Cobrowse.state === 'ended'").await;
    cast.finish().await;
}
