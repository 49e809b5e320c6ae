//! End to end: a real customer browser on the demo site, a real agent browser in the agent
//! view, and the server's replica between them.

pub mod support;

use support::*;

/// The part of the customer's viewport the widget never covers (it sits bottom right).
const PAGE_AREA: [f64; 4] = [0.0, 0.0, 480.0, 600.0];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_sees_the_customers_page_typing_and_scrolling() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/switch.html", timings()).await;
    let (customer, agent) = (&scene.customer, &scene.agent);

    // The agent's canvas is the customer's window size, and shows the same page.
    let size = agent.eval("[document.getElementById('screen').width, document.getElementById('screen').height]").await;
    assert_eq!(size, serde_json::json!([800, 600]));
    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "the agent's view matches only {ratio:.3} of the customer's page");

    // What the customer types appears in the agent's view of that field.
    let field = customer.eval("(() => { const r = document.getElementById('name').getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()").await;
    let field: [f64; 4] = serde_json::from_value(field).unwrap();
    // Inside the border: the customer's focused field has a focus ring the replica does not.
    let field = [field[0] + 4.0, field[1] + 4.0, field[2] - 8.0, field[3] - 8.0];
    let before = customer.screenshot().await;
    customer.click_element("document.getElementById('name')").await;
    customer.type_text("Ada Lovelace").await;
    let ratio = wait_for_match(customer, agent, field, 0.99).await;
    if std::env::var_os("COBROWSE_DUMP").is_some() {
        std::fs::write("/tmp/customer.txt", customer.screenshot().await).unwrap();
        std::fs::write(
            "/tmp/agent.txt",
            agent.eval("document.getElementById('screen').toDataURL('image/png')").await.as_str().unwrap(),
        )
        .unwrap();
    }
    assert!(ratio >= 0.99, "the typed name shows in only {ratio:.3} of the field's pixels");
    // A screenshot of the "Customer screen" element is the customer's screenshot.
    let element = element_screenshot(agent, "document.getElementById('screen')").await;
    let ratio = images_match(agent, &customer.screenshot().await, &element, PAGE_AREA).await;
    assert!(ratio >= 0.99, "the Customer screen element matches only {ratio:.3}");
    let unchanged = match_ratio(agent, &before, field).await;
    assert!(unchanged < 0.99, "the agent's field looks as it did before typing ({unchanged:.3})");

    // Following a link keeps the session; a scroll moves the agent's view.
    customer.goto(&format!("{}/guide.html", scene.server.demo)).await;
    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "after a page load the agent's view matches only {ratio:.3}");
    let top = customer.screenshot().await;
    customer.eval("window.scrollTo(0, 1400)").await;
    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "after scrolling the agent's view matches only {ratio:.3}");
    assert!(match_ratio(agent, &top, PAGE_AREA).await < 0.9, "the agent's view did not scroll");

    // An agent panel smaller than the customer's window scrolls; the screen keeps its size.
    agent.set_window(600, 400).await;
    let scrolls = agent.eval("(() => { const v = document.scrollingElement; return v.scrollWidth > v.clientWidth && v.scrollHeight > v.clientHeight; })()").await;
    assert_eq!(scrolls, true);
    assert_eq!(agent.eval("document.getElementById('screen').getBoundingClientRect().width").await, 800);
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_see_each_others_pointer_and_agent_clicks_show_a_red_circle() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/", timings()).await;
    let (customer, agent) = (&scene.customer, &scene.agent);

    // While a session is live, Cobrowse.start() from a page script returns it, never a second.
    let started = customer.eval("Cobrowse.start()").await;
    assert_eq!(started, serde_json::json!({ "id": scene.id, "startMessage": format!("{{start:{}}}", scene.id) }));
    assert_eq!(customer.eval("Cobrowse.state").await, "active");
    assert_eq!(scene.server.state.registry.len(), 1);

    // The agent clicks at (300, 200) of the customer screen.
    let origin = agent
        .eval("(() => { const r = document.getElementById('screen').getBoundingClientRect(); return [r.x, r.y]; })()")
        .await;
    let (ox, oy) = (origin[0].as_f64().unwrap(), origin[1].as_f64().unwrap());
    agent.move_mouse(ox + 300.0, oy + 200.0).await;
    agent.click(ox + 300.0, oy + 200.0).await;
    let circle = customer
        .wait_for("red circle", &format!("(() => {{ const c = {WIDGET}.querySelector('.click'); if (!c) return null; const r = c.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2, getComputedStyle(c).borderTopColor]; }})()"))
        .await;
    assert!(
        (circle[0].as_f64().unwrap() - 300.0).abs() <= 3.0 && (circle[1].as_f64().unwrap() - 200.0).abs() <= 3.0,
        "circle at {circle}"
    );
    assert_eq!(circle[2], "rgb(238, 0, 0)");
    // The agent's pointer shows on the customer's page.
    customer.wait_for("agent pointer", &format!("!{WIDGET}.querySelector('.pointer').hidden")).await;

    // The customer's pointer shows in the agent view.
    customer.move_mouse(120.0, 90.0).await;
    let pointer = agent
        .wait_for("customer pointer", "(() => { const p = document.getElementById('customer-pointer'); return p.hidden ? null : p.style.transform; })()")
        .await;
    assert_eq!(pointer, "translate(120px, 90px)");
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menus_inner_scroll_areas_script_changes_and_resizes_reach_the_agent() {
    let _serial = SERIAL.lock().await;
    let scene = Scene::new("/guide.html", timings()).await;
    let (customer, agent) = (&scene.customer, &scene.agent);

    // An inner scroll area scrolls in the agent's view too.
    customer.eval("document.getElementById('bill-notes').scrollIntoView({ block: 'start' })").await;
    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "page scrolled to the notes: {ratio:.3}");
    let before = customer.screenshot().await;
    customer.eval("document.getElementById('bill-notes').scrollTop = 600").await;
    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "inner scroll area: {ratio:.3}");
    assert!(match_ratio(agent, &before, PAGE_AREA).await < 0.99, "the inner scroll did not show");

    // The site's own menu, opened by the customer's click.
    customer.eval("window.scrollTo(0, 0)").await;
    customer.click_element("document.querySelector('[data-menu]')").await;
    assert_eq!(customer.eval("document.getElementById('help-menu').hidden").await, false);
    let ratio = wait_for_match(customer, agent, [200.0, 0.0, 600.0, 300.0], 0.99).await;
    assert!(ratio >= 0.99, "open menu: {ratio:.3}");

    // A page the site's script keeps changing.
    customer.goto(&format!("{}/prices.html", scene.server.demo)).await;
    let first = customer.eval("document.getElementById('clock').textContent").await;
    customer.wait_for("the clock ticks", &format!("document.getElementById('clock').textContent !== {first}")).await;
    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "script-changed page: {ratio:.3}");

    // The customer resizes the window: the agent's screen takes the new size.
    customer.set_window(640, 480).await;
    agent
        .wait_for(
            "resized",
            "document.getElementById('screen').width === 640 && document.getElementById('screen').height === 480",
        )
        .await;
    let ratio = wait_for_match(customer, agent, [0.0, 0.0, 340.0, 480.0], 0.99).await;
    assert!(ratio >= 0.99, "after the resize: {ratio:.3}");
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_richer_page_images_shadow_dom_iframes_and_editing_reaches_the_agent() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    customer.goto(&format!("{}/fixtures/rich.html", server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;

    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "rich page: {ratio:.3}");
    // Typing drives the page's own script (a result list); a select and contenteditable change.
    customer.click_element("document.getElementById('search')").await;
    customer.type_text("invoices").await;
    customer.eval("document.getElementById('country').value = 'Germany'").await;
    customer.click_element("document.getElementById('editor')").await;
    customer.type_text(" and more").await;
    customer.eval("document.getElementById('card').shadowRoot.getElementById('inner').textContent = 'updated'").await;
    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "after typing: {ratio:.3}");
    // Scrolled past the sticky header's start: the header stays, the content moves.
    customer.eval("window.scrollTo(0, 700)").await;
    let ratio = wait_for_match(customer, agent, PAGE_AREA, 0.99).await;
    assert!(ratio >= 0.99, "after scrolling: {ratio:.3}");
    cast.finish().await;
}
