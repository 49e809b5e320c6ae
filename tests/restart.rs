//! The server killed (`kill -9`) and started again on the same data folder, with a customer
//! and an agent in a session in real Chromium: both reconnect by themselves, the session comes
//! back (the agent's view live again, the customer's next change seen, write mode back to
//! pointer mode with the customer told), and the session API and audit trail say what happened.

pub mod support;

use support::*;

/// The server on fixed loopback ports, so a restart is at the same address.
fn start_node(server: u16, demo: u16, data: &std::path::Path, profiles: &std::path::Path) -> Node {
    let demo = format!("127.0.0.1:{demo}");
    Node::start(server, &["--demo-listen", &demo, "--node-id", "node-1", "--reconnect-window", "3s"], data, profiles)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_survives_kill_9_of_the_server_and_a_restart_on_the_same_data_folder() {
    let _serial = SERIAL.lock().await;
    let (data, profiles) = (TempDir::new("restart-data"), TempDir::new("restart-profiles"));
    let (server_port, demo_port) = (free_port(), free_port());
    let (server, demo) = (format!("http://127.0.0.1:{server_port}"), format!("http://127.0.0.1:{demo_port}"));
    let profile = format!("[site]\norigins = [\"{demo}\"]\n[write_mode]\nenabled = true\n");
    std::fs::write(profiles.0.join("demo.toml"), profile).unwrap();

    let node = start_node(server_port, demo_port, &data.0, &profiles.0);
    let (customer, agent) = (Person::launch("customer").await, Person::launch("agent").await);
    customer.goto(&format!("{demo}/")).await;
    let id = start_session(&customer).await;
    join(&agent, &server, &id).await;
    allow_write_mode(&customer, &agent).await;
    // What the customer is told from here on.
    customer
        .eval(&format!(
            "window.__notices = []; const status = {WIDGET}.querySelector('[role=status]'); new MutationObserver(() => window.__notices.push(status.textContent)).observe(status, {{ childList: true, characterData: true, subtree: true }}); Cobrowse.on('mode-changed', (e) => window.__notices.push('mode:' + e.mode));"
        ))
        .await;

    node.kill_9();
    // The view sees the connection drop (and shows no stale picture) while no server runs.
    agent.wait_for("the view lost the session", "document.getElementById('screen').dataset.frames === '0'").await;
    let node = start_node(server_port, demo_port, &data.0, &profiles.0);

    // Nobody does anything: the agent's view joins again and shows the page.
    agent.wait_for("the view is back", "Number(document.getElementById('screen').dataset.frames || 0) > 0").await;
    agent.wait_for("pointer mode", "document.getElementById('mode').textContent === 'Pointer mode'").await;
    customer.wait_for("the customer is told", "window.__notices.includes('mode:pointer')").await;
    let notices = customer.eval("window.__notices").await;
    assert!(notices.to_string().contains("Back to pointer mode"), "the customer reads it: {notices}");
    assert_eq!(customer.eval("Cobrowse.state").await, "active");
    // The customer's next change reaches the agent.
    customer
        .eval("document.body.insertAdjacentHTML('beforeend', '<div id=after style=\"position:fixed;left:0;top:0;width:240px;height:160px;background:rgb(200,30,160);z-index:2147483646\"></div>')")
        .await;
    let share = support::fidelity::wait_for_share(&agent, [0.0, 0.0, 240.0, 160.0], [200, 30, 160], 0.95).await;
    assert!(share >= 0.95, "the change after the restart shows on only {share:.2} of its area");

    let session = api(&server, &format!("/api/sessions/{id}")).await;
    assert_eq!(session["state"], "active", "{session}");
    assert_eq!(session["mode"], "pointer", "{session}");
    assert_eq!(session["node"], "node-1", "{session}");
    assert_eq!(session["agent"], "a-1", "{session}");
    let events = api(&server, &format!("/api/sessions/{id}/events")).await;
    let kinds: Vec<&str> = events["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    let before = kinds.iter().position(|k| *k == "taken_over").unwrap_or_else(|| panic!("no take-over in {kinds:?}"));
    assert!(kinds[..before].contains(&"created") && kinds[..before].contains(&"agent_joined"), "{kinds:?}");
    assert!(kinds[before..].contains(&"agent_joined"), "the agent's return is recorded: {kinds:?}");

    // An ended session stays ended across a restart: its page is told so.
    customer.click_element(&format!("{WIDGET}.querySelector('button.end')")).await;
    wait_for_status(&agent, "The customer ended the session.").await;
    assert_eq!(api(&server, &format!("/api/sessions/{id}")).await["state"], "ended");

    customer.close().await;
    agent.close().await;
    node.terminate();
}
