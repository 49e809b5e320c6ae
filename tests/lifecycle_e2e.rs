//! Session lifecycle end to end: leaving the site pauses, returning resumes, either side ends,
//! ended IDs stay dead, and unattended sessions time out.

pub mod support;

use std::time::Duration;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_the_site_pauses_and_coming_back_resumes() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/", timings()).await;
    let (customer, agent, server) = (&scene.customer, &scene.agent, &scene.server);

    // A page outside the profile's origins (here, loaded directly): paused once the page load
    // window passes without the customer coming back.
    customer.goto(&format!("{}/", server.outside)).await;
    wait_for_status_start(agent, "Paused").await;
    assert_eq!(agent.eval("document.getElementById('paused-cover').hidden").await, false);

    // Back to the site in the same tab: the session resumes by itself, with a fresh snapshot.
    customer.goto(&format!("{}/prices.html", server.demo)).await;
    wait_for_status_start(agent, "Resumed").await;
    assert_eq!(customer.eval("Cobrowse.state").await, "active");
    customer
        .wait_for(
            "customer told",
            &format!("{WIDGET}.querySelector('[role=status]').textContent.startsWith('Co-browse continues')"),
        )
        .await;
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 600.0], 0.99).await;
    assert!(ratio >= 0.99, "after resuming the agent's view matches only {ratio:.3}");

    // A link off the site pauses at once (the snippet says where it is going).
    customer.eval("document.querySelector('a[href*=partner]').click()").await;
    wait_for_status_start(agent, "Paused").await;
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_from_either_side_tells_the_other_and_kills_the_id() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/", timings()).await;
    let (customer, agent, server) = (&scene.customer, &scene.agent, &scene.server);

    // The customer ends: the agent is told, and the ID cannot be joined again.
    customer.click_element(&format!("{WIDGET}.querySelector('button.end')")).await;
    wait_for_status(agent, "The customer ended the session.").await;
    assert_eq!(customer.eval("Cobrowse.state").await, "ended");
    agent.click_element("document.getElementById('session-id')").await;
    agent.eval("document.getElementById('session-id').value = ''").await;
    agent.type_text(&scene.id).await;
    agent.click_element("document.querySelector('button[aria-label=Join]')").await;
    wait_for_status(agent, "This session has ended.").await;

    // A new session; this time the agent ends it and the customer is told.
    customer.goto(&format!("{}/", server.demo)).await;
    customer.eval("window.__ended = null; Cobrowse.on('session-ended', (e) => { window.__ended = e.by; })").await;
    let id = start_session(customer).await;
    assert_ne!(id, scene.id);
    join(agent, &server.server, &id).await;
    assert_eq!(customer.eval("Cobrowse.state").await, "active");
    agent.click_element("document.getElementById('end')").await;
    customer.wait_for("customer told", "window.__ended === 'agent'").await;
    assert_eq!(customer.eval("Cobrowse.state").await, "ended");
    let notice = customer.eval(&format!("{WIDGET}.querySelector('[role=status]').textContent")).await;
    assert_eq!(notice, "The co-browse session has ended.");
    agent.wait_for("agent back at the join form", "!document.querySelector('form.join').hidden").await;
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattended_sessions_time_out() {
    let _serial = SERIAL.lock().await;
    let timings = cobrowse::session::Timings {
        waiting_ttl: Duration::from_millis(1500),
        grace: Duration::from_millis(1500),
        reconnect_window: Duration::from_millis(300),
        write_request_ttl: Duration::from_secs(30),
    };
    let cast = Cast::new(timings).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);

    // No agent joins: the session expires and the customer is told why.
    customer.goto(&format!("{}/", server.demo)).await;
    customer.wait_for("snippet", "!!window.Cobrowse").await;
    customer.eval("window.__ended = null; Cobrowse.on('session-ended', (e) => { window.__ended = e.by; })").await;
    let id = start_session(customer).await;
    customer.wait_for("expired", "window.__ended === 'timeout'").await;
    agent.goto(&support::agent_page(&server.server, &format!("?session={id}"))).await;
    wait_for_status(agent, "This session has ended.").await;

    // The customer leaves while an agent watches and does not come back within the grace period.
    customer.goto(&format!("{}/", server.demo)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;
    customer.goto(&format!("{}/", server.outside)).await;
    wait_for_status_start(agent, "Paused").await;
    wait_for_status(agent, "The session timed out.").await;

    cast.finish().await;
}
