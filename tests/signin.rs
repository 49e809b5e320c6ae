//! Agent sign-in end to end: only valid tokens reach `/ws/agent` and the integration API, joins
//! are rate-limited per agent as well as per address, and an agent view embedded in a workspace
//! joins by itself when the chat carries a start message from a configured origin.

pub mod support;

use std::time::{Duration, SystemTime};

use cobrowse::auth::{Role, Signer};
use serde_json::json;
use support::*;

/// A server whose replicas never start: sign-in is checked before any session is involved.
async fn server_without_replicas() -> TestServer {
    TestServer::builder().without_replica_chromium().start().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_valid_token_opens_the_agent_channel_and_the_api() {
    let server = server_without_replicas().await;
    let now = SystemTime::now();
    let valid = token_for("a-1", "Alex Agent", Role::Agent);
    let expired = Signer::new(TEST_SECRET).issue(
        "a-1",
        "Alex",
        Role::Agent,
        Duration::from_secs(60),
        now - Duration::from_secs(120),
    );
    let forged = Signer::new("someone else's secret").issue("a-1", "Alex", Role::Agent, Duration::from_secs(3600), now);
    let (head, _, signature) = {
        let mut parts = valid.split('.');
        (parts.next().unwrap().to_string(), parts.next().unwrap().to_string(), parts.next().unwrap().to_string())
    };
    // A supervisor's payload under an agent's signature.
    let supervisor = token_for("a-1", "Alex Agent", Role::Supervisor);
    let altered = format!("{head}.{}.{signature}", supervisor.split('.').nth(1).unwrap());

    // Missing, expired, forged or altered: 401, before any session is looked at.
    assert_eq!(RawAgent::connect(&server.server, None, "127.0.0.1").await.err(), Some(401));
    for (what, token) in
        [("expired", &expired), ("forged", &forged), ("altered", &altered), ("junk", &"abc.def".to_string())]
    {
        assert_eq!(RawAgent::connect(&server.server, Some(token), "127.0.0.1").await.err(), Some(401), "{what}");
    }
    let (status, body) = server.http("GET", "/ws/agent", None).await;
    assert_eq!((status, body.as_str()), (401, "sign-in required\n"), "nothing else is said");

    // A valid token: the channel opens and says who it is.
    let mut agent = RawAgent::connect(&server.server, Some(&valid), "127.0.0.1").await.expect("valid token accepted");
    let hello = agent.wait_for("hello").await;
    assert_eq!(
        (hello["agent"].as_str(), hello["name"].as_str(), hello["role"].as_str()),
        (Some("a-1"), Some("Alex Agent"), Some("agent"))
    );

    // The integration API takes integration tokens only.
    let integration = token_for("crm", "CRM", Role::Integration);
    assert_eq!(server.http("GET", "/api/sessions/123456789/events", None).await.0, 401);
    assert_eq!(server.http("GET", "/api/sessions/123456789/events", Some(&valid)).await.0, 401);
    assert_eq!(server.http("GET", "/api/sessions/123456789/events", Some(&expired)).await.0, 401);
    assert_eq!(server.http("GET", "/api/sessions/123456789/events", Some(&integration)).await.0, 404);
    assert_eq!(server.http("POST", "/api/interactions/nope/end", Some(&forged)).await.0, 401);
    assert_eq!(server.http("POST", "/api/interactions/nope/end", Some(&integration)).await.0, 404);
    // An integration token does not open the agent channel.
    assert_eq!(RawAgent::connect(&server.server, Some(&integration), "127.0.0.1").await.err(), Some(401));

    let metrics = server.http("GET", "/metrics", None).await.1;
    assert!(metrics.contains("cobrowse_unauthorized_total 11\n"), "{metrics}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_agent_guessing_ids_is_cut_off_from_every_address() {
    let server = server_without_replicas().await;
    let guesser = token_for("a-9", "Guessing Agent", Role::Agent);
    // Ten wrong IDs from 127.0.0.2, two connections (each closes after five failures).
    for _ in 0..2 {
        let mut agent = RawAgent::connect(&server.server, Some(&guesser), "127.0.0.2").await.unwrap();
        for guess in 0..5 {
            agent.send(json!({ "type": "join", "session": format!("{:09}", 100_000_000 + guess) })).await;
            assert_eq!(agent.wait_for("join_failed").await["code"], "no_such_session");
        }
    }
    // The same agent from a fresh address is refused too; another agent from the guesser's
    // own address (colleagues behind one NAT) is not affected.
    let mut elsewhere = RawAgent::connect(&server.server, Some(&guesser), "127.0.0.3").await.unwrap();
    elsewhere.send(json!({ "type": "join", "session": "100000099" })).await;
    assert_eq!(elsewhere.wait_for("join_failed").await["code"], "too_many_attempts");
    let other = token_for("a-10", "Other Agent", Role::Agent);
    let mut honest = RawAgent::connect(&server.server, Some(&other), "127.0.0.2").await.unwrap();
    honest.send(json!({ "type": "join", "session": "100000099" })).await;
    assert_eq!(honest.wait_for("join_failed").await["code"], "no_such_session");
    let metrics = server.http("GET", "/metrics", None).await.1;
    assert!(metrics.contains("cobrowse_joins_refused_total 12\n"), "{metrics}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_message_in_the_workspace_chat_joins_the_embedded_agent_view() {
    let _serial = SERIAL.lock().await;
    // The test server's workspace is the fixtures site as 127.0.0.1; as localhost it is a
    // foreign origin.
    let cast = Cast::new(timings()).await;
    let workspace = cast.server.fixtures.clone();
    let foreign = workspace.replace("127.0.0.1", "localhost");

    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);

    // Without a token, or with an expired one, the agent view says so and cannot join.
    agent.goto(&format!("{}/agent/", cast.server.server)).await;
    wait_for_status(
        agent,
        "Sign-in required: open the agent view from your workspace, or with a link that carries your token.",
    )
    .await;
    let expired = Signer::new(TEST_SECRET).issue(
        "a-1",
        "Alex",
        Role::Agent,
        Duration::from_secs(60),
        SystemTime::now() - Duration::from_secs(120),
    );
    agent.goto("about:blank").await;
    agent.goto(&format!("{}/agent/#token={expired}", cast.server.server)).await;
    wait_for_status(agent, "Your sign-in is missing or has expired; please sign in again.").await;
    assert_eq!(agent.eval("document.getElementById('join').disabled").await, true);
    assert_eq!(agent.eval("location.hash").await, "", "the token is taken off the address bar");

    customer.goto(&format!("{}/", server.demo)).await;
    customer.wait_for("snippet", "!!window.Cobrowse").await;
    let started = customer.eval("Cobrowse.start()").await;
    let id = started["id"].as_str().unwrap().to_string();
    assert_eq!(started["startMessage"], format!("{{start:{id}}}"));

    // A workspace on an origin nobody configured posts the start message: ignored.
    let stranger = agent.new_tab().await;
    let token = token_for("stranger", "Stranger", Role::Agent);
    stranger.goto(&format!("{foreign}/fixtures/workspace.html#token={token}")).await;
    stranger.wait_for("view loaded", "window.viewLoaded").await;
    stranger.eval(&format!("say('Here you go: {{start:{id}}}')")).await;

    // The configured workspace passes the chat line on: the view joins by itself.
    let token = token_for("a-1", "Alex Agent", Role::Agent);
    agent.goto(&format!("{workspace}/fixtures/workspace.html#token={token}")).await;
    agent.wait_for("view loaded", "window.viewLoaded").await;
    agent.eval(&format!("say('Here you go: {}', 'chat-77')", started["startMessage"].as_str().unwrap())).await;
    customer.wait_for("agent joined from the chat", "Cobrowse.state === 'active'").await;

    let events = server
        .http("GET", &format!("/api/sessions/{id}/events"), Some(&token_for("crm", "CRM", Role::Integration)))
        .await;
    let events: serde_json::Value = serde_json::from_str(&events.1).unwrap();
    let joins: Vec<_> = events["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "agent_joined").collect();
    assert_eq!(joins.len(), 1, "{events}");
    assert_eq!(joins[0]["agent"], "a-1", "the foreign workspace's message was not acted on");
    assert_eq!(joins[0]["detail"]["interaction"], "chat-77");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_chat_carries_the_start_message_to_the_demo_workspace() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::on(
        TestServer::builder().configure(|state| state.with_routes(cobrowse::demo_chat::routes())).start().await,
    )
    .await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    let token = token_for("a-1", "Alex Agent", Role::Agent);
    agent.goto(&format!("{}/demo/workspace/#token={token}", server.server)).await;
    customer.goto(&format!("{}/chat.html", server.demo)).await;
    customer.wait_for("snippet", "!!window.Cobrowse").await;

    // A chat line each way, relayed by the server.
    customer.eval("document.getElementById('chat-message').value = 'Hello, my bill looks wrong'").await;
    customer.click_element("document.querySelector('#chat-form button[type=submit]')").await;
    agent
        .wait_for(
            "line reaches the workspace",
            "document.getElementById('log').textContent.includes('my bill looks wrong')",
        )
        .await;
    agent.eval("document.getElementById('message').value = 'Let us look at it together'").await;
    agent.click_element("document.querySelector('#say button')").await;
    customer
        .wait_for("reply reaches the site", "document.getElementById('chat-log').textContent.includes('Alex Agent')")
        .await;

    // "Share my screen": the start message goes into the chat and the embedded view joins.
    customer.click_element("document.getElementById('chat-share')").await;
    customer.wait_for("agent joined from the chat", "Cobrowse.state === 'active'").await;
    let line = agent.eval("document.getElementById('log').textContent").await;
    assert!(line.as_str().unwrap().contains("{start:"), "{line}");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_view_may_be_framed_only_by_configured_workspaces() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::builder().start().await;
    let addr = server.server.trim_start_matches("http://").to_string();
    let mut stream = bounded("connect", tokio::net::TcpStream::connect(&addr)).await.unwrap();
    let request = format!("GET /agent/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    bounded("answer", stream.read_to_string(&mut answer)).await.unwrap();
    let head = answer.split_once("\r\n\r\n").map(|(h, _)| h.to_ascii_lowercase()).unwrap_or_default();
    let header = |name: &str| {
        head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string)).unwrap_or_default()
    };
    // A site that is not a workspace cannot frame the view and trick an agent into clicking.
    let policy = header("content-security-policy");
    let ancestors = format!("frame-ancestors 'self' {}", server.fixtures.to_ascii_lowercase());
    assert!(policy.contains(&ancestors), "{policy}");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "no-referrer");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_ends_when_its_token_expires() {
    let server = TestServer::builder().start().await;
    let short = Signer::new(TEST_SECRET).issue("a-1", "Alex", Role::Agent, Duration::from_secs(2), SystemTime::now());
    let mut agent = RawAgent::connect(&server.server, Some(&short), "127.0.0.1").await.expect("accepted while valid");
    agent.wait_for("hello").await;
    // Until `exp` it stays open; at `exp` (two seconds, give or take the second `exp` counts
    // in) the server closes it, and a reconnect with the same token is refused.
    assert!(!agent.closed_within(Duration::from_millis(600)).await, "closed while the token was valid");
    assert!(agent.closed_within(Duration::from_secs(5)).await, "still open after the token expired");
    assert_eq!(RawAgent::connect(&server.server, Some(&short), "127.0.0.1").await.err(), Some(401));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_views_token_never_travels_in_a_url() {
    let server = server_without_replicas().await;
    let agent = Person::launch("token-url-agent").await;
    capture_sockets(&agent).await;
    agent.goto(&agent_page(&server.server, "")).await;
    agent.wait_for("the view is signed in", "(window.__received || []).some((m) => m.type === 'hello')").await;
    let sockets = agent.eval("window.__sockets.map((s) => [s.url, s.protocol])").await;
    let token = token_for("a-1", "Alex Agent", Role::Agent);
    for socket in sockets.as_array().unwrap() {
        let url = socket[0].as_str().unwrap();
        assert!(!url.contains(&token) && !url.contains("token="), "the token is in the socket's URL: {url}");
        assert_eq!(socket[1], "cobrowse", "the server speaks the view's subprotocol");
    }
    // The old form, a token in the query string (kept by proxies' access logs), is not taken.
    let url = format!("{}/ws/agent?token={token}", server.server.replacen("http", "ws", 1));
    match bounded("the query form", tokio_tungstenite::connect_async(url.as_str())).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 401),
        other => panic!("a token in the URL was answered {:?}", other.map(|(_, r)| r.status())),
    }
    agent.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_serves_only_the_sites_their_token_names() {
    let server = server_without_replicas().await;
    let customer = Person::launch("sites-customer").await;
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(&customer).await;
    let issue = |sites: &[&str]| {
        let sites = sites.iter().map(|s| s.to_string()).collect();
        Signer::new(TEST_SECRET).issue_for_sites(
            "o-1",
            "Olga",
            Role::Agent,
            Duration::from_secs(3600),
            SystemTime::now(),
            sites,
        )
    };
    // An outsourcer's agent for another company: refused, and told why.
    let mut other = RawAgent::connect(&server.server, Some(&issue(&["another-company"])), "127.0.0.5").await.unwrap();
    other.send(json!({"type": "join", "session": id})).await;
    let refused = other.wait_for("join_failed").await;
    assert_eq!(refused["code"], "not_allowed", "{refused}");
    assert_eq!(refused["message"], "This session is on a site you do not serve.");
    // The same agent's token for this site (the profile's file name) joins.
    let mut agent = RawAgent::connect(&server.server, Some(&issue(&["demo"])), "127.0.0.5").await.unwrap();
    agent.send(json!({"type": "join", "session": id})).await;
    agent.wait_for("joined").await;
    customer.close().await;
    server.stop().await;
}
