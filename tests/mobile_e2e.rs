//! Customers on touch screens (phones, tablets), met in real Chromium: the replica styles the
//! page for the customer's primary pointer, and follows a tablet whose keyboard and touchpad
//! come and go.

mod support;

use chromiumoxide::cdp::browser_protocol::emulation::SetTouchEmulationEnabledParams;
use support::fidelity::wait_for_share;
use support::*;

/// Makes a touch screen the customer's primary pointer, or takes it away again.
async fn touch_screen(customer: &Tab, on: bool) {
    let mut touch = SetTouchEmulationEnabledParams::new(on);
    touch.max_touch_points = on.then_some(5);
    bounded("touch emulation", customer.page.execute(touch)).await.unwrap();
    let coarse = customer.eval("matchMedia('(pointer: coarse)').matches && matchMedia('(hover: none)').matches").await;
    assert_eq!(coarse, on, "the customer's browser has a touch screen: {on}");
}

/// A touch-screen customer on the fixture `page`, in a session the agent has joined and sees.
async fn joined_on_a_touch_screen(cast: &Cast, page: &str) {
    let (customer, agent) = (&cast.customer, &cast.agent);
    touch_screen(customer, true).await;
    customer.goto(&format!("{}/fixtures/{page}", cast.server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    wait_for_frame_after(agent, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replica_styles_the_page_for_the_customers_touch_screen() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    joined_on_a_touch_screen(&cast, "touch.html").await;

    // Touch styles: big controls, hover-only hints hidden, the box green; the view matches.
    let green = wait_for_share(agent, [10.0, 10.0, 300.0, 100.0], [30, 160, 60], 0.95).await;
    assert!(green >= 0.95, "the agent sees the mouse style: {green:.2} of the box is green");
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 300.0], 0.99).await;
    assert!(ratio >= 0.99, "the agent's view differs from the touch customer's ({ratio:.3})");

    // The keyboard and touchpad attached: the mouse styles, without a new session.
    touch_screen(customer, false).await;
    let red = wait_for_share(agent, [10.0, 10.0, 300.0, 100.0], [200, 30, 30], 0.95).await;
    assert!(red >= 0.95, "the agent still sees the touch style: {red:.2} of the box is red");
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 480.0, 300.0], 0.99).await;
    assert!(ratio >= 0.99, "the agent's view differs from the mouse customer's ({ratio:.3})");
    assert_eq!(cast.server.state.registry.len(), 1, "the session goes on");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_write_mode_the_agents_click_is_a_tap_on_a_touch_screen() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    joined_on_a_touch_screen(&cast, "tap.html").await;
    allow_write_mode(customer, agent).await;

    // The page acts on touchend only, and cancels it: the tap counts, no mouse event follows.
    agent_clicks_on(customer, agent, "document.getElementById('add')").await;
    customer.wait_for("the tap counted", "window.taps === 1").await;
    assert_eq!(customer.eval("window.kinds").await, serde_json::json!(["touch"]));
    assert_eq!(customer.eval("window.mouse").await, 0, "mouse events followed a cancelled touch");
    // An ordinary button gets its click after the tap's touch and mouse events.
    agent_clicks_on(customer, agent, "document.getElementById('plain')").await;
    customer.wait_for("the click after the tap", "window.clicks === 1").await;
    // And the agent sees what it did.
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 360.0, 120.0], 0.99).await;
    assert!(ratio >= 0.99, "the agent's view differs after the tap ({ratio:.3})");
    cast.finish().await;
}
