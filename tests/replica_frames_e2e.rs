//! End to end: the replica renders a frame when the page changes and only then. CSS
//! animations and transitions still move for the agent (the replica advances them with each
//! frame it is granted), a page at rest sends nothing, and a site's smooth scrolling does not
//! delay where the agent's view lands.

pub mod support;

use std::time::Duration;

use support::*;

/// The animated bar's area, where the agent must see motion.
const BAR: [f64; 4] = [20.0, 40.0, 400.0, 40.0];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn css_animations_move_for_the_agent_and_a_page_at_rest_sends_no_frames() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    customer.goto(&format!("{}/fixtures/animated.html", server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;

    // The bar grows across two seconds, over and over: the agent keeps getting frames, and
    // two moments of its view differ where the bar is.
    let before = frames(agent).await;
    let first = agent.eval("document.getElementById('screen').toDataURL('image/png')").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let moving = frames(agent).await - before;
    assert!(moving >= 10, "only {moving} frames in 0.7 s of animation");
    let first = first.as_str().unwrap().to_string();
    let still = match_ratio(agent, &first, BAR).await;
    assert!(still < 0.95, "the agent's bar did not move ({still:.3} unchanged)");

    // A transition started by the page (a class change) plays out, then the page rests.
    customer.eval("document.getElementById('bar').classList.remove('moving'); document.getElementById('fade').classList.add('gone')").await;
    let gone = [20.0, 120.0, 200.0, 40.0];
    let ratio = wait_for_match(customer, agent, gone, 0.99).await;
    assert!(ratio >= 0.99, "the faded box: {ratio:.3}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let resting = frames(agent).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(frames(agent).await, resting, "a page at rest sent frames");
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 600.0], 0.99).await;
    assert!(ratio >= 0.99, "the page at rest: {ratio:.3}");

    // The site asks for smooth scrolling, but the customer's jump is a jump in the agent's
    // view too: one frame, not a quarter second of them on the way.
    let before = frames(agent).await;
    customer.eval("window.scrollTo({ top: 3000, behavior: 'instant' })").await;
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 600.0], 0.99).await;
    assert!(ratio >= 0.99, "after the jump: {ratio:.3}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let jump = frames(agent).await - before;
    assert!(jump <= 3, "the jump took {jump} frames");
    cast.finish().await;
}

/// Where the headless shell is not installed (or `COBROWSE_HEADLESS_SHELL=off`), replicas run
/// in Chromium with its screencast, and the agent still sees the customer's page and typing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_headless_shell_the_screencast_carries_the_page() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::on(TestServer::builder().screencast().start().await).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    customer.goto(&format!("{}/switch.html", server.demo)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;
    let page = [0.0, 0.0, 480.0, 600.0];
    let ratio = wait_for_match(customer, agent, page, 0.99).await;
    assert!(ratio >= 0.99, "the page: {ratio:.3}");
    customer.click_element("document.getElementById('name')").await;
    customer.type_text("Alex Morgan").await;
    let ratio = wait_for_match(customer, agent, page, 0.99).await;
    assert!(ratio >= 0.99, "after typing: {ratio:.3}");
    cast.finish().await;
}
