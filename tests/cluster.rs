//! Cluster mode as a contact center runs it: a real `redis-server`, three `cobrowse` nodes and
//! nginx with the shipped configuration in front (no stickiness), a customer and an agent in
//! real Chromium. The customer's page loads the snippet from the load balancer.
//!
//! - The customer and the agent on different nodes: the agent's connection is relayed to the
//!   node that runs the session, and the session works as on one node.
//! - `kill -9` of that node mid-session: another node takes the session over by itself, the
//!   agent's view is live again, write mode falls back to pointer mode (the customer is told),
//!   the customer's next change is seen, and the audit trail, read from a surviving node, holds
//!   every event from before the kill and the move.
//! - `cobrowse drain` of the node that runs the session: `/healthz` says 503 at once, the
//!   session moves to another node without ending, and the drained node exits.
//! - Redis restarted mid-session: the session goes on streaming while it is down, new sessions
//!   are refused as busy and `/healthz` says degraded; once it is back, all is as before.

pub mod support;

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use support::*;

/// Redis, three nodes, nginx, and the company's site (the demo site, its snippet from nginx).
struct TestCluster {
    redis: Redis,
    nodes: Vec<Option<Node>>,
    nginx: Nginx,
    site: String,
    _dirs: Vec<TempDir>,
}

impl TestCluster {
    async fn start() -> TestCluster {
        let redis = Redis::start();
        let profiles = TempDir::new("cluster-profiles");
        let lb_port = free_port();
        let lb = format!("http://127.0.0.1:{lb_port}");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(cobrowse::demo::serve(listener, lb.clone(), std::future::pending()));
        let profile = format!("[site]\norigins = [\"{site}\"]\n[write_mode]\nenabled = true\n");
        std::fs::write(profiles.0.join("demo.toml"), profile).unwrap();
        let mut dirs = vec![];
        let mut nodes = vec![];
        let mut ports = vec![];
        for n in 1..=3 {
            let (port, data) = (free_port(), TempDir::new("cluster-data"));
            let (name, advertise) = (format!("node-{n}"), format!("127.0.0.1:{port}"));
            let args = [
                "--demo-listen",
                "off",
                "--redis",
                &redis.url,
                "--node-id",
                &name,
                "--advertise",
                &advertise,
                "--reconnect-window",
                "3s",
            ];
            nodes.push(Some(Node::start(port, &args, &data.0, &profiles.0)));
            ports.push(port);
            dirs.push(data);
        }
        dirs.push(profiles);
        let nginx = Nginx::start(lb_port, &ports);
        TestCluster { redis, nodes, nginx, site, _dirs: dirs }
    }

    fn url(&self, n: usize) -> String {
        self.nodes[n].as_ref().expect("a node still running").url.clone()
    }

    /// The index of the node that runs session `id`, by the session API.
    async fn owner(&self, id: &str) -> usize {
        let session = api(&self.nginx.url, &format!("/api/sessions/{id}")).await;
        let node = session["node"].as_str().unwrap_or_else(|| panic!("no owner: {session}"));
        node.strip_prefix("node-").and_then(|n| n.parse::<usize>().ok()).expect("node-N") - 1
    }

    /// A node other than `not` that still runs.
    fn other_than(&self, not: usize) -> usize {
        (0..3).find(|n| *n != not && self.nodes[*n].is_some()).expect("another node")
    }
}

async fn healthz(server: &str) -> u16 {
    api_call(server, "GET", "/healthz").await.0
}

/// Waits (10 s at most) until `/healthz` of `server` answers `status`.
async fn wait_for_health(server: &str, status: u16) {
    bounded("/healthz", async {
        while healthz(server).await != status {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

/// The customer adds a block of colour `rgb`; the agent sees it.
async fn customer_change_is_seen(customer: &Tab, agent: &Tab, id: &str, rgb: [u8; 3]) {
    let [r, g, b] = rgb;
    customer
        .eval(&format!("document.getElementById('{id}')?.remove(); document.body.insertAdjacentHTML('beforeend', '<div id={id} style=\"position:fixed;left:0;top:0;width:240px;height:160px;background:rgb({r},{g},{b});z-index:2147483646\"></div>')"))
        .await;
    let share = support::fidelity::wait_for_share(agent, [0.0, 0.0, 240.0, 160.0], rgb, 0.95).await;
    assert!(share >= 0.95, "the customer's change ({id}) shows on only {share:.2} of its area");
}

/// What the customer is told from here on, collected in the page.
async fn collect_notices(customer: &Tab) {
    customer
        .eval(&format!(
            "window.__notices = []; const status = {WIDGET}.querySelector('[role=status]'); new MutationObserver(() => window.__notices.push(status.textContent)).observe(status, {{ childList: true, characterData: true, subtree: true }}); Cobrowse.on('mode-changed', (e) => window.__notices.push('mode:' + e.mode));"
        ))
        .await;
}

fn kinds(events: &serde_json::Value) -> Vec<String> {
    events["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_on_another_node_then_the_owner_killed_the_session_goes_on() {
    let _serial = SERIAL.lock().await;
    let mut cluster = TestCluster::start().await;
    let (customer, agent) = (Person::launch("customer").await, Person::launch("agent").await);
    customer.goto(&format!("{}/", cluster.site)).await;
    let id = start_session(&customer).await;
    let owner = cluster.owner(&id).await;
    let landing = cluster.other_than(owner);
    // The agent's view is served by, and connected to, a node that does not run the session.
    join(&agent, &cluster.url(landing), &id).await;
    allow_write_mode(&customer, &agent).await;
    customer_change_is_seen(&customer, &agent, "relayed", [30, 160, 200]).await;
    let session = api(&cluster.url(landing), &format!("/api/sessions/{id}")).await;
    assert_eq!((session["state"].as_str(), session["mode"].as_str()), (Some("active"), Some("write")), "{session}");
    assert_eq!(session["node"], format!("node-{}", owner + 1), "any node answers for any session: {session}");
    let before = api(&cluster.nginx.url, &format!("/api/sessions/{id}/events")).await;
    collect_notices(&customer).await;

    cluster.nodes[owner].take().unwrap().kill_9();
    let killed = Instant::now();
    agent.wait_for("the view lost the session", "document.getElementById('screen').dataset.frames === '0'").await;
    agent.wait_for("the view is back", "Number(document.getElementById('screen').dataset.frames || 0) > 0").await;
    eprintln!("kill -9 to the agent's view live again: {} ms", killed.elapsed().as_millis());
    agent.wait_for("pointer mode", "document.getElementById('mode').textContent === 'Pointer mode'").await;
    customer.wait_for("the customer is told", "window.__notices.includes('mode:pointer')").await;
    assert_eq!(customer.eval("Cobrowse.state").await, "active");
    customer_change_is_seen(&customer, &agent, "after-kill", [200, 30, 160]).await;

    let survivor = cluster.url(cluster.other_than(owner));
    let session = api(&survivor, &format!("/api/sessions/{id}")).await;
    assert_eq!((session["state"].as_str(), session["mode"].as_str()), (Some("active"), Some("pointer")), "{session}");
    assert_ne!(session["node"], format!("node-{}", owner + 1), "a survivor runs it: {session}");
    assert_eq!(session["agent"], "a-1", "{session}");
    let after = kinds(&api(&survivor, &format!("/api/sessions/{id}/events")).await);
    let before = kinds(&before);
    assert_eq!(after[..before.len()], before[..], "nothing recorded before the kill is lost");
    let moved = &after[before.len()..];
    assert!(moved.contains(&"taken_over".to_string()), "the move is recorded: {moved:?}");
    assert!(moved.contains(&"mode_changed".to_string()), "the fall back to pointer mode is recorded: {moved:?}");
    assert!(before.contains(&"created".to_string()) && before.contains(&"agent_joined".to_string()), "{before:?}");

    // The end reaches the agent, relayed or not, and every node says so; the page's resume
    // token, presented to any node, is told the session has ended.
    let token = customer.eval("JSON.parse(sessionStorage.getItem('cobrowse.session')).token").await;
    let resume = serde_json::json!({ "type": "resume", "token": token }).to_string();
    customer.click_element(&format!("{WIDGET}.querySelector('button.end')")).await;
    wait_for_status(&agent, "The customer ended the session.").await;
    assert_eq!(api(&survivor, &format!("/api/sessions/{id}")).await["state"], "ended");
    for node in cluster.nodes.iter().flatten() {
        let answer = raw_first(&node.url, &cluster.site, &resume).await;
        assert!(answer.contains("session_ended") && answer.contains("This session has ended."), "{answer}");
    }

    customer.close().await;
    agent.close().await;
    drop(cluster.redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_node_hands_its_session_over_and_redis_may_restart() {
    let _serial = SERIAL.lock().await;
    let mut cluster = TestCluster::start().await;
    let (customer, agent) = (Person::launch("customer").await, Person::launch("agent").await);
    customer.goto(&format!("{}/", cluster.site)).await;
    let id = start_session(&customer).await;
    // Both through nginx, as a contact center's people are.
    join(&agent, &cluster.nginx.url, &id).await;
    customer_change_is_seen(&customer, &agent, "before-drain", [30, 160, 200]).await;
    let owner = cluster.owner(&id).await;
    let drained_url = cluster.url(owner);

    let drain = std::process::Command::new(env!("CARGO_BIN_EXE_cobrowse"))
        .args(["drain", "--server", &drained_url])
        .env("COBROWSE_SECRET", TEST_SECRET)
        .output()
        .expect("cobrowse drain runs");
    assert!(drain.status.success(), "cobrowse drain: {}", String::from_utf8_lossy(&drain.stderr));
    let answer = String::from_utf8_lossy(&drain.stdout);
    assert!(answer.contains("\"draining\":true"), "{answer}");
    let drained = cluster.nodes[owner].as_mut().unwrap();
    let status = drained.exited(Duration::from_secs(30)).expect("a drained node exits within 30 s");
    assert!(status.success(), "the drained node exits cleanly: {status}");
    cluster.nodes[owner] = None;

    // The session went on elsewhere, with its people.
    let survivor = cluster.url(cluster.other_than(owner));
    let session = bounded("the session on another node", async {
        loop {
            let session = api(&survivor, &format!("/api/sessions/{id}")).await;
            if session["node"] != format!("node-{}", owner + 1) && session["state"] == "active" {
                return session;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(session["agent"], "a-1", "{session}");
    agent.wait_for("the view is back", "Number(document.getElementById('screen').dataset.frames || 0) > 0").await;
    customer_change_is_seen(&customer, &agent, "after-drain", [200, 30, 160]).await;
    let events = kinds(&api(&survivor, &format!("/api/sessions/{id}/events")).await);
    assert!(events.contains(&"handed_off".to_string()) && events.contains(&"taken_over".to_string()), "{events:?}");
    assert!(!events.contains(&"ended".to_string()), "a drain does not end the session: {events:?}");

    // Redis goes away: the session streams on, nobody may start one, the nodes say degraded.
    cluster.redis.stop();
    wait_for_health(&survivor, 503).await;
    customer_change_is_seen(&customer, &agent, "without-redis", [160, 200, 30]).await;
    let refusal = raw_first(&survivor, &cluster.site, r#"{"type":"start"}"#).await;
    assert!(refusal.contains("server_busy") && refusal.contains("busy"), "a new session is refused as busy: {refusal}");
    cluster.redis.restart();
    for node in cluster.nodes.iter().flatten() {
        wait_for_health(&node.url, 200).await;
    }
    customer_change_is_seen(&customer, &agent, "redis-back", [30, 30, 200]).await;
    // Each node's connections come back within a second or so; until then the API says 503.
    let session = bounded("the session API answers again", async {
        loop {
            match api_call(&cluster.nginx.url, "GET", &format!("/api/sessions/{id}")).await {
                (200, body) => return serde_json::from_str::<serde_json::Value>(&body).unwrap(),
                (503, _) => tokio::time::sleep(Duration::from_millis(100)).await,
                (status, body) => panic!("GET /api/sessions/{id}: {status} {body}"),
            }
        }
    })
    .await;
    assert_eq!(session["state"], "active", "{session}");

    customer.close().await;
    agent.close().await;
}

/// A page of `site` sends `first` (a start or a resume) to `server` over a bare WebSocket; what
/// it is told.
async fn raw_first(server: &str, site: &str, first: &str) -> String {
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
    let mut request = format!("{}/ws/customer", server.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("origin", site.parse().unwrap());
    let (mut socket, _) = bounded("connect", tokio_tungstenite::connect_async(request)).await.expect("connects");
    socket.send(Message::Text(first.into())).await.unwrap();
    bounded("an answer", async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message {
                if text.contains("\"gone\"") || text.contains("\"started\"") {
                    return text.to_string();
                }
            }
        }
        panic!("closed without an answer");
    })
    .await
}
