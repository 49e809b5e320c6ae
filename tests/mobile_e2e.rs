//! Customers on touch screens (phones, tablets), met in real Chromium: the replica styles the
//! page for the customer's primary pointer, follows a tablet whose keyboard and touchpad come
//! and go, and shows the agent the part of the page a phone shows, zoomed as the customer
//! zoomed it.

pub mod support;

use chromiumoxide::cdp::browser_protocol::emulation::SetTouchEmulationEnabledParams;
use support::fidelity::{wait_for_fidelity_in, wait_for_share, widget_area, Pixels};
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

    // The agent's wheel is a swipe: over the strip of cards the page takes the drag (it
    // cancels the touch events) and nothing scrolls; below it the page scrolls as under a
    // finger. No wheel event reaches a page on a touch screen.
    let (x, y) = agent_points_at(customer, agent, "document.getElementById('strip')").await;
    agent.wheel(x, y, 100.0).await;
    customer.wait_for("the cards swiped", "window.travel === 100").await;
    assert_eq!(customer.eval("scrollY").await, 0, "the page scrolled under a drag the strip took");
    let (x, y) = agent_points_at(customer, agent, "document.getElementById('below')").await;
    agent.wheel(x, y, 300.0).await;
    customer.wait_for("the page scrolled by the swipe", "scrollY === 300").await;
    assert_eq!(customer.eval("[window.wheels, window.touchmoves > 0]").await, serde_json::json!([0, true]));
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 360.0, 300.0], 0.99).await;
    assert!(ratio >= 0.99, "the agent's view differs after the swipes ({ratio:.3})");
    cast.finish().await;
}

/// The customer on a 390x844 phone at ratio 3 (their sockets captured) opens the older company
/// page without a viewport tag; the agent's desktop fits the phone's whole screen in the panel.
async fn on_a_phone_at_the_old_page(cast: &Cast) {
    let (customer, agent) = (&cast.customer, &cast.agent);
    customer.emulate_phone(390, 844, 3.0).await;
    capture_sockets(customer).await;
    agent.set_window(1240, 1000).await;
    customer.goto(&format!("{}/fixtures/old-page.html", cast.server.fixtures)).await;
}

/// The agent's "Customer screen" size in CSS pixels.
async fn screen_size(agent: &Tab) -> (i64, i64) {
    let size = agent.eval("(() => { const r = document.getElementById('screen').getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; })()").await;
    (size[0].as_i64().unwrap(), size[1].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_customer_on_a_page_without_a_viewport_tag_is_seen_as_on_the_phone() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    on_a_phone_at_the_old_page(&cast).await;
    let seen = customer.eval("[innerWidth, Math.round(visualViewport.width * visualViewport.scale)]").await;
    assert_eq!(seen, serde_json::json!([980, 390]), "the phone lays the page out 980 px wide, zoomed out");
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    wait_for_frame_after(agent, 0).await;

    // The agent's screen is the phone's, not the 980 px page, and shows what the phone shows.
    agent
        .wait_for("the phone's screen size", "document.getElementById('screen').getBoundingClientRect().width === 390")
        .await;
    assert_eq!(screen_size(agent).await, (390, 844));
    let loaded = wait_for_fidelity_in(customer, agent, 0.99, "phone-old-page-load", Pixels::Css).await;
    eprintln!("phone, page without a viewport tag, after load: {:.2}%", loaded * 100.0);
    // The whole page as the phone shows it zoomed out, for the agent's whole-page view later.
    let (zoomed_out, widget) = (customer.screenshot().await, widget_area(customer).await);
    let seen_part = "document.getElementById('whole')";
    assert_eq!(agent.eval(&format!("{seen_part}.hidden")).await, true, "the customer sees all of the page");

    // A visible region that cannot be true (zoomed 80 times, a negative width, taller than the
    // page): clamped to what a browser can show, within a replica's window; the session goes on.
    let crafted = r#"{"type":"viewport","width":980,"height":2121,"visual":{"left":-50,"top":99999,"width":-5,"height":3000,"scale":80}}"#;
    agent_sends(customer, crafted).await;
    agent
        .wait_for("the clamped screen", "document.getElementById('screen').getBoundingClientRect().height === 4096")
        .await;
    assert_eq!(screen_size(agent).await, (100, 4096), "zoom 10 at most, 100 to 4096 px a side");

    // The customer allows write mode (tapping the widget's button moves nothing), then pinches
    // in on the form and pans to the Send button: the agent follows.
    allow_write_mode(customer, agent).await;
    customer.pinch_to(1.5).await;
    // Panned so the button is near the top, clear of the widget in the lower corner.
    let pan = customer.eval("(document.getElementById('send').getBoundingClientRect().top - visualViewport.offsetTop - 80) * visualViewport.scale").await;
    customer.wheel(200.0, 400.0, pan.as_f64().unwrap()).await;
    let region = customer.wait_for("the pinch and pan", "visualViewport.scale === 1.5 && visualViewport.offsetTop > 0 && [visualViewport.offsetLeft, visualViewport.offsetTop]").await;
    eprintln!("customer's visible region after the pinch: {region}");
    let zoomed = wait_for_fidelity_in(customer, agent, 0.99, "phone-old-page-pinched", Pixels::Css).await;
    eprintln!("phone, page without a viewport tag, pinched: {:.2}%", zoomed * 100.0);
    assert_eq!(screen_size(agent).await, (390, 844), "the agent's screen stays the phone's");

    // In write mode the agent's tap lands where the agent aimed on the zoomed screen.
    agent_clicks_on(customer, agent, "document.getElementById('send')").await;
    customer.wait_for("the tap on Send", "window.sent === 1").await;

    // The agent asks for the whole page: the phone's screen zoomed all the way out, with the
    // part the customer sees outlined; the customer's view does not change.
    agent.wait_for("the whole-page button", &format!("!{seen_part}.hidden")).await;
    agent.click_element(seen_part).await;
    let whole = wait_for_agent_picture(agent, &zoomed_out, &widget).await;
    eprintln!("phone, whole-page view while pinched: {:.2}%", whole * 100.0);
    let overview = 390.0 / 980.0;
    let expected = region.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() * overview).collect::<Vec<_>>();
    let outline = agent
        .wait_for("the outline", "(() => { const o = document.getElementById('visible-outline'); return !o.hidden && [o.offsetLeft, o.offsetTop, o.offsetWidth, o.offsetHeight]; })()")
        .await;
    let outline: Vec<f64> = outline.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (w, h) = (390.0 / 1.5 * overview, 844.0 / 1.5 * overview);
    for (got, want) in outline.iter().zip([expected[0], expected[1], w, h]) {
        assert!((got - want).abs() <= 2.0, "the outline is at {outline:?}, the customer sees {expected:?} {w} x {h}");
    }
    assert_eq!(customer.eval("visualViewport.scale").await, 1.5, "the customer's zoom is theirs");
    // A tap aimed on the whole page lands there too.
    let send = customer.eval("(() => { const r = document.getElementById('send').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()").await;
    let screen = agent
        .eval("(() => { const r = document.getElementById('screen').getBoundingClientRect(); return [r.x, r.y]; })()")
        .await;
    let at = |i: usize| send[i].as_f64().unwrap() * overview + screen[i].as_f64().unwrap();
    agent.move_mouse(at(0), at(1)).await;
    agent.click(at(0), at(1)).await;
    customer.wait_for("the tap on Send in the whole-page view", "window.sent === 2").await;
    // Back to what the customer sees.
    agent.click_element(seen_part).await;
    agent.wait_for("the outline gone", "document.getElementById('visible-outline').hidden").await;
    let back = wait_for_fidelity_in(customer, agent, 0.99, "phone-old-page-seen-part", Pixels::Css).await;
    assert!(whole >= 0.99 && back >= 0.99, "whole-page view {whole:.4}, back to the seen part {back:.4}");
    assert!(
        loaded >= 0.99 && zoomed >= 0.99,
        "the agent's view differs from the phone's: {loaded:.4} loaded, {zoomed:.4} pinched"
    );
    cast.finish().await;
}

/// Waits (10 s at most) until the agent's screen matches `picture` (a customer's screenshot,
/// `widget` left out); returns the best match seen.
async fn wait_for_agent_picture(agent: &Tab, picture: &str, widget: &[[f64; 4]]) -> f64 {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut best = 0.0f64;
    while best < 0.99 && tokio::time::Instant::now() < deadline {
        best = best.max(support::fidelity::compare(agent, picture, widget, Pixels::Css).await);
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    best
}

/// Where the widget's element `selector` is on the customer's screen: its size in screen CSS
/// pixels, whether all of it is on screen, and whether it is clear of the page's bottom bar.
async fn on_phone_screen(customer: &Tab, selector: &str) -> (f64, f64, bool, bool) {
    let js = format!(
        "(() => {{ const v = visualViewport; const r = {WIDGET}.querySelector({selector:?}).getBoundingClientRect(); const bar = document.getElementById('bar').getBoundingClientRect(); return [r.width * v.scale, r.height * v.scale, r.left >= v.offsetLeft - 0.5 && r.right <= v.offsetLeft + v.width + 0.5 && r.top >= v.offsetTop - 0.5 && r.bottom <= v.offsetTop + v.height + 0.5, r.bottom <= bar.top + 0.5]; }})()"
    );
    let seen = customer.eval(&js).await;
    (seen[0].as_f64().unwrap(), seen[1].as_f64().unwrap(), seen[2] == true, seen[3] == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_widget_is_made_for_fingers_and_stays_on_screen() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    // The page is shown zoomed out to 40%: a widget at its desktop size would be a third as big.
    on_a_phone_at_the_old_page(&cast).await;
    customer.wait_for("the widget", &format!("{WIDGET} && {WIDGET}.querySelector('.start')")).await;
    let (_, height, inside, clear) = on_phone_screen(customer, ".start").await;
    assert!(height >= 44.0, "the Co-browse button is {height:.1} px tall on the phone's screen");
    assert!(inside && clear, "the Co-browse button is off screen ({inside}) or under the page's bar ({clear})");

    // The session ID is big enough to read out.
    let id = start_session(customer).await;
    let (_, sid_height, inside, _) = on_phone_screen(customer, ".sid").await;
    assert!(sid_height >= 30.0 && inside, "the session ID is {sid_height:.1} px tall on screen, on screen: {inside}");

    // Pinched in and panned, the panel stays in the corner of what the customer sees.
    join(agent, &cast.server.server, &id).await;
    customer.pinch_to(1.5).await;
    customer.wheel(200.0, 400.0, 300.0).await;
    customer.wait_for("the pinch and pan", "visualViewport.scale === 1.5 && visualViewport.offsetTop > 0").await;
    let end = customer
        .wait_for(
            "the panel in the visible corner",
            &format!("(() => {{ const v = visualViewport; const r = {WIDGET}.querySelector('.end').getBoundingClientRect(); return r.bottom <= v.offsetTop + v.height && r.top >= v.offsetTop && r.height * v.scale >= 44; }})()"),
        )
        .await;
    assert_eq!(end, true);
    let (width, height, inside, _) = on_phone_screen(customer, ".end").await;
    assert!(width >= 44.0 && height >= 44.0 && inside, "End session: {width:.1} x {height:.1} px, on screen {inside}");
    cast.finish().await;
}

/// Where the agent's screen is in the agent's window (its box), whether all of it is inside
/// the window, and its size in the customer's CSS pixels.
async fn screen_on_agent(agent: &Tab) -> ([f64; 4], bool, (f64, f64)) {
    let seen = agent
        .eval("(() => { const s = document.getElementById('screen'); const r = s.getBoundingClientRect(); const d = document.documentElement; return [r.x, r.y, r.width, r.height, r.left >= 0 && r.right <= d.clientWidth + 0.5 && r.bottom <= d.clientHeight + 0.5, parseFloat(s.style.width), parseFloat(s.style.height)]; })()")
        .await;
    let n = |i: usize| seen[i].as_f64().unwrap();
    ([n(0), n(1), n(2), n(3)], seen[4] == true, (n(5), n(6)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_fits_a_phones_screen_to_the_window_and_follows_it_turned() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    // A phone held upright; the agent's laptop window is not as tall as the phone's screen.
    customer.emulate_phone(390, 844, 3.0).await;
    agent.set_window(1000, 700).await;
    customer.goto(&format!("{}/fixtures/tap.html", cast.server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    wait_for_frame_after(agent, 0).await;
    let (box_, inside, css) = screen_on_agent(agent).await;
    assert_eq!(
        (box_[2], box_[3], css),
        (390.0, 844.0, (390.0, 844.0)),
        "at first the screen is at the customer's size"
    );
    assert!(!inside, "the phone's screen at 100% is taller than the agent's window");

    // Fit: the whole screen in the window, the phone's shape kept, the view as sharp as before.
    agent.click_element("document.getElementById('zoom')").await;
    assert_eq!(agent.eval("document.getElementById('zoom').getAttribute('aria-pressed')").await, "true");
    let (box_, inside, _) = screen_on_agent(agent).await;
    assert!(inside, "the fitted screen {box_:?} is not inside the agent's window");
    assert!((box_[2] / box_[3] - 390.0 / 844.0).abs() < 0.01, "the fitted screen {box_:?} is not the phone's shape");
    let fitted = wait_for_fidelity_in(customer, agent, 0.99, "phone-fitted", Pixels::Css).await;

    // In write mode a tap aimed on the fitted screen lands on what the agent aimed at.
    allow_write_mode(customer, agent).await;
    agent_clicks_on(customer, agent, "document.getElementById('plain')").await;
    customer.wait_for("the tap on the ordinary button", "window.clicks === 1").await;

    // The customer turns the phone: the agent's screen turns too, still fitted.
    customer.emulate_phone(844, 390, 3.0).await;
    agent
        .wait_for("the turned screen", "document.getElementById('screen').style.width === '844px' && document.getElementById('screen').style.height === '390px'")
        .await;
    let (box_, inside, _) = screen_on_agent(agent).await;
    assert!(inside && (box_[2] / box_[3] - 844.0 / 390.0).abs() < 0.01, "the turned screen is shown at {box_:?}");
    let turned = wait_for_fidelity_in(customer, agent, 0.99, "phone-turned", Pixels::Css).await;

    // Back to 100%: the customer's size again.
    agent.click_element("document.getElementById('zoom')").await;
    let (box_, _, _) = screen_on_agent(agent).await;
    assert_eq!((box_[2], box_[3]), (844.0, 390.0), "100% is the customer's size");
    assert!(fitted >= 0.99 && turned >= 0.99, "the agent's view differs: {fitted:.4} fitted, {turned:.4} turned");
    cast.finish().await;
}

/// Puts the on-screen keyboard up (`height` of the phone's screen left above it) or down.
/// Headless Chromium has no on-screen keyboard: this makes `visualViewport` report what a
/// phone's does with one up (its height shrinks, the layout viewport stays) and fire `resize`.
async fn keyboard(customer: &Tab, height: Option<f64>) {
    let js = match height {
        Some(h) => format!("Object.defineProperty(visualViewport, 'height', {{ configurable: true, get: () => {h} }}); visualViewport.dispatchEvent(new Event('resize'))"),
        None => "delete visualViewport.height; visualViewport.dispatchEvent(new Event('resize'))".to_string(),
    };
    customer.eval(&js).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_keyboard_up_the_agent_sees_what_is_above_it_and_so_does_the_widget() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    customer.emulate_phone(390, 844, 3.0).await;
    agent.set_window(1000, 1000).await;
    customer.goto(&format!("{}/fixtures/tap.html", cast.server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    wait_for_frame_after(agent, 0).await;
    let screen = "(() => { const s = document.getElementById('screen'); return [s.style.width, s.style.height]; })()";
    assert_eq!(agent.eval(screen).await, serde_json::json!(["390px", "844px"]));

    // The keyboard takes the lower 344 px: the agent's screen is what is left above it, and
    // the widget's panel moves up out of its way.
    keyboard(customer, Some(500.0)).await;
    agent
        .wait_for("the screen above the keyboard", &format!("JSON.stringify({screen}) === '[\"390px\",\"500px\"]'"))
        .await;
    let above = wait_for_fidelity_in(customer, agent, 0.99, "phone-keyboard-up", Pixels::Css).await;
    let dock = customer
        .wait_for("the widget above the keyboard", &format!("(() => {{ const r = {WIDGET}.querySelector('.end').getBoundingClientRect(); return r.bottom <= 500 && r.bottom; }})()"))
        .await;
    eprintln!("keyboard up: {:.2}% of the region above it matches; End session's bottom at {dock}", above * 100.0);

    // The whole page: the phone's whole screen, with the part above the keyboard outlined.
    let seen_part = "document.getElementById('whole')";
    agent.wait_for("the whole-page button", &format!("!{seen_part}.hidden")).await;
    agent.click_element(seen_part).await;
    agent.wait_for("the whole screen", &format!("JSON.stringify({screen}) === '[\"390px\",\"844px\"]'")).await;
    let outline = agent
        .wait_for("the outline", "(() => { const o = document.getElementById('visible-outline'); return !o.hidden && [o.offsetLeft, o.offsetTop, o.offsetWidth, o.offsetHeight]; })()")
        .await;
    assert_eq!(outline, serde_json::json!([0, 0, 390, 500]));

    // The keyboard down: the customer sees all of it again, and so does the agent.
    keyboard(customer, None).await;
    agent.wait_for("the outline gone", "document.getElementById('visible-outline').hidden").await;
    let down = wait_for_fidelity_in(customer, agent, 0.99, "phone-keyboard-down", Pixels::Css).await;
    assert_eq!(agent.eval(screen).await, serde_json::json!(["390px", "844px"]));
    assert!(above >= 0.99 && down >= 0.99, "the agent's view differs: {above:.4} keyboard up, {down:.4} down");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_customer_asking_for_the_desktop_site_is_followed_in_the_same_session() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    customer.emulate_phone(390, 844, 3.0).await;
    agent.set_window(1240, 1000).await;
    customer.goto(&format!("{}/fixtures/old-page.html", cast.server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    wait_for_frame_after(agent, 0).await;
    let screen = "(() => { const s = document.getElementById('screen'); return [s.style.width, s.style.height]; })()";
    assert_eq!(agent.eval(screen).await, serde_json::json!(["390px", "844px"]));
    let phone = wait_for_fidelity_in(customer, agent, 0.99, "phone-before-desktop-site", Pixels::Css).await;

    // "Request desktop site": a desktop browser's window, no touch screen; the page reloads.
    customer.emulate_desktop(1000, 700).await;
    customer.goto(&format!("{}/fixtures/old-page.html", cast.server.fixtures)).await;
    agent.wait_for("the desktop window", &format!("JSON.stringify({screen}) === '[\"1000px\",\"700px\"]'")).await;
    let desktop = wait_for_fidelity_in(customer, agent, 0.99, "desktop-site", Pixels::Css).await;
    assert_eq!(cast.server.state.registry.len(), 1, "the session goes on");
    assert!(phone >= 0.99 && desktop >= 0.99, "the agent's view differs: {phone:.4} phone, {desktop:.4} desktop site");
    cast.finish().await;
}
