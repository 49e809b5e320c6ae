//! Admission: a node that cannot keep its live sessions within the latency budget answers new
//! sessions "busy" (the widget says so, `/metrics` counts it), and the live session goes on.
//! The budget here is 1 ms, which no change can keep, so the node is busy as soon as it has
//! judged enough changes to go by (twenty), whatever the machine. A node without Chromium
//! installed answers new sessions "unavailable".

pub mod support;

use std::time::Duration;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_over_its_latency_budget_answers_new_customers_busy() {
    let _serial = SERIAL.lock().await;
    let server =
        TestServer::builder().replica(|browser| browser.with_latency_budget(Duration::from_millis(1))).start().await;
    let cast = Cast::on(server).await;
    let (customer, agent, server) = (&cast.customer, &cast.agent, &cast.server);

    // A fresh node has judged nothing: it takes the session.
    customer.goto(&format!("{}/switch.html", server.demo)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;
    // The customer types: each change's time in the node is judged against the budget. (No
    // spaces: a space at the end of a field's text changes no pixel, so sends no frame.)
    customer.click_element("document.getElementById('name')").await;
    for key in "AlexMorganHarbourRowBristol".chars() {
        let before = frames(agent).await;
        customer.type_text(&key.to_string()).await;
        wait_for_frame_after(agent, before).await;
    }

    // Another customer is answered busy, by the widget in their language's words...
    let other = customer.new_tab().await;
    other.goto(&format!("{}/", server.demo)).await;
    let refused = other.eval("Cobrowse.start().then(() => 'started', (e) => 'refused: ' + e.message)").await;
    assert_eq!(refused, "refused: Co-browse is busy right now; please try again in a few minutes.");
    other
        .wait_for(
            "the widget says busy",
            &format!("{WIDGET}.querySelector('[role=status]').textContent.includes('busy right now')"),
        )
        .await;
    assert_eq!(other.eval("Cobrowse.state").await, "idle");
    // ...and counted.
    let (_, metrics) = server.http("GET", "/metrics", None).await;
    assert!(metrics.contains("cobrowse_starts_refused_total{reason=\"busy\"} 1"), "{metrics}");

    // The live session goes on: the agent still sees the customer's changes.
    let before = frames(agent).await;
    customer.type_text("!").await;
    wait_for_frame_after(agent, before).await;
    assert_eq!(customer.eval("Cobrowse.state").await, "active");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_chromium_tells_customers_co_browse_is_unavailable() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::on(TestServer::builder().without_chromium_installed().start().await).await;
    let (customer, server) = (&cast.customer, &cast.server);
    customer.goto(&format!("{}/", server.demo)).await;
    let refused = customer.eval("Cobrowse.start().then(() => 'started', (e) => 'refused: ' + e.message)").await;
    assert_eq!(refused, "refused: Co-browse is not available right now.");
    customer
        .wait_for(
            "the widget says unavailable",
            &format!("{WIDGET}.querySelector('[role=status]').textContent.includes('not available right now')"),
        )
        .await;
    assert_eq!(customer.eval("Cobrowse.state").await, "idle");
    let (_, metrics) = server.http("GET", "/metrics", None).await;
    assert!(metrics.contains("cobrowse_starts_refused_total{reason=\"unavailable\"} 1"), "{metrics}");
    cast.finish().await;
}
