//! What must never happen: an agent acting in pointer mode (crafted messages asking for clicks,
//! keys or navigation are refused by the server and change nothing), a page script pressing
//! the widget's buttons, a password value leaving the customer's browser, a customer's crafted
//! page running script in the replica.

pub mod support;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_actions_change_nothing_in_pointer_mode() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    capture_sockets(agent).await;
    customer.goto(&format!("{}/switch.html", server.demo)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;

    let checkbox = customer.eval("(() => { const r = document.getElementById('smart').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()").await;
    let (x, y) = (checkbox[0].as_f64().unwrap(), checkbox[1].as_f64().unwrap());
    let page_before = customer.eval("location.href").await;
    let crafted = [
        format!(r#"{{"type":"action","action":{{"kind":"click","x":{x},"y":{y}}}}}"#),
        format!(r#"{{"type":"action","action":{{"kind":"double_click","x":{x},"y":{y}}}}}"#),
        r#"{"type":"action","action":{"kind":"text","text":"pwned"}}"#.to_string(),
        r#"{"type":"action","action":{"kind":"key","key":"Enter"}}"#.to_string(),
        format!(r#"{{"type":"action","action":{{"kind":"navigate","url":"{}/prices.html"}}}}"#, server.demo),
        r#"{"type":"action","action":{"kind":"back"}}"#.to_string(),
    ];
    customer.eval("document.getElementById('name').focus()").await;
    for message in &crafted {
        agent_sends(agent, message).await;
    }
    // Each one is answered with a refusal the agent sees...
    agent
        .wait_for(
            "all refused",
            &format!("(window.__received || []).filter((m) => m.type === 'refused').length >= {}", crafted.len()),
        )
        .await;
    agent_receives(agent, "refused", Some("pointer_mode")).await;
    let status = agent_status(agent).await;
    assert!(status.contains("Pointer mode"), "status: {status}");
    // ...and the customer's page is as it was.
    assert_eq!(customer.eval("document.getElementById('smart').checked").await, false);
    assert_eq!(customer.eval("document.getElementById('name').value").await, "");
    assert_eq!(customer.eval("location.href").await, page_before);
    // Pointer-mode clicks still only draw a circle: the checkbox under it stays unticked.
    agent_sends(agent, &format!(r#"{{"type":"click","x":{x},"y":{y}}}"#)).await;
    customer.wait_for("red circle", &format!("!!{WIDGET}.querySelector('.click')")).await;
    assert_eq!(customer.eval("document.getElementById('smart').checked").await, false);

    cast.finish().await;
}

/// JS for a page script's click on the widget's `button`: how many of the page's own click
/// listeners on it heard the click (the widget's ran as well, in the same dispatch).
fn synthetic_click(button: &str) -> String {
    format!("(() => {{ const b = {WIDGET}.querySelector({button:?}); let heard = 0; b.addEventListener('click', () => heard++); b.click(); return heard; }})()")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_scripts_cannot_press_the_widgets_buttons() {
    let _serial = SERIAL.lock().await;
    let server = TestServer::builder().start().await;
    let customer = Person::launch("customer").await;
    // Every connection the page opens is kept in `window.__sockets`.
    capture_sockets(&customer).await;
    customer.goto(&format!("{}/", server.demo)).await;
    customer.wait_for("widget", "!!document.querySelector('cobrowse-widget')").await;
    let connections = "window.__sockets.filter((s) => s.url.includes('/ws/customer')).length";

    // A synthetic click on "Co-browse" reaches the button and starts nothing. The widget
    // decides while the click is dispatched: a start would have opened its connection then.
    assert_eq!(customer.eval(&synthetic_click("button.start")).await, 1, "the script's click reached the button");
    assert_eq!(customer.eval(connections).await, 0, "the script's click opened a connection");
    assert_eq!(customer.eval("Cobrowse.state").await, "idle");
    assert!(server.state.registry.is_empty());

    // A person's click does; then a synthetic click on "End session" ends nothing (ending
    // ends the session on the page at once, as it tells the server).
    start_session(&customer).await;
    assert_eq!(customer.eval(connections).await, 1, "the person's click opened one connection");
    assert_eq!(customer.eval(&synthetic_click("button.end")).await, 1, "the script's click reached the button");
    assert_eq!(customer.eval("Cobrowse.state").await, "waiting");
    assert_eq!(server.state.registry.len(), 1);
    customer.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_values_never_leave_the_customers_browser() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    // Record every byte the page sends over WebSockets.
    use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
    let hook = "window.__sent = []; const send = WebSocket.prototype.send; WebSocket.prototype.send = function (data) { window.__sent.push(typeof data === 'string' ? data : new TextDecoder().decode(data)); return send.call(this, data); };";
    customer.page.execute(AddScriptToEvaluateOnNewDocumentParams::new(hook)).await.unwrap();
    customer.goto(&format!("{}/switch.html", server.demo)).await;
    customer.eval("document.getElementById('password').value = 'preset-Secret-1'").await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;
    customer.click_element("document.getElementById('password')").await;
    customer.type_text("typed-Secret-2").await;
    customer.click_element("document.getElementById('name')").await;
    customer.type_text("Visible Name").await;
    // The name reaching the agent shows the recorder ran after the password was typed.
    customer.wait_for("name sent", "window.__sent.some((m) => m.includes('Visible Name'))").await;
    let leaked = customer.eval("window.__sent.filter((m) => m.includes('Secret')).length").await;
    assert_eq!(leaked, 0, "a password value was sent");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_pages_run_no_script_in_the_replica() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    capture_sockets(customer).await;
    customer.goto(&format!("{}/fixtures/write.html", server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;
    let frames_before = frames(agent).await;

    // A tampered snippet adds to the page everything that runs script in a browser: a script,
    // event handler attributes, a javascript: address, a frame with a script in its srcdoc or a
    // data: address, an SVG with a handler, a refresh to a javascript: address, an object. Any
    // of it that ran would ask the site for a tripwire address (as an image: no CORS in the way).
    let trap = format!("{}/fixtures/tripwire", server.fixtures);
    let call = |tag: &str| format!("new Image().src = '{trap}-{tag}'");
    let script_text = call("script");
    let nodes = serde_json::json!([
        { "type": 2, "tagName": "script", "attributes": {}, "childNodes": [{ "type": 3, "textContent": script_text, "id": 90002 }], "id": 90001 },
        { "type": 2, "tagName": "img", "attributes": { "src": "data:,x", "onerror": call("onerror") }, "childNodes": [], "id": 90003 },
        { "type": 2, "tagName": "div", "attributes": { "style": "width:10px;height:10px", "onmouseover": call("hover") }, "childNodes": [], "id": 90004 },
        { "type": 2, "tagName": "iframe", "attributes": { "srcdoc": format!("<script>{}</script>", call("srcdoc")) }, "childNodes": [], "id": 90005 },
        { "type": 2, "tagName": "iframe", "attributes": { "src": format!("data:text/html,<script>{}</script>", call("data")) }, "childNodes": [], "id": 90006 },
        { "type": 2, "tagName": "iframe", "attributes": { "src": format!("javascript:{}", call("javascript")) }, "childNodes": [], "id": 90007 },
        { "type": 2, "tagName": "svg", "isSVG": true, "attributes": { "onload": call("svg") }, "childNodes": [], "id": 90008 },
        { "type": 2, "tagName": "meta", "attributes": { "http-equiv": "refresh", "content": format!("0;url=javascript:{}", call("refresh")) }, "childNodes": [], "id": 90009 },
        { "type": 2, "tagName": "object", "attributes": { "data": format!("data:text/html,<script>{}</script>", call("object")) }, "childNodes": [], "id": 90010 },
    ]);
    let tamper = format!(
        "(() => {{
            const mirror = __cobrowseRrweb.record.mirror;
            const parentId = mirror.getId(document.body);
            const adds = {nodes}.map((node) => ({{ parentId, nextId: null, node }}));
            const events = [{{ type: 3, timestamp: Date.now(), data: {{ source: 0, adds, removes: [], texts: [], attributes: [] }} }}];
            window.__sockets[window.__sockets.length - 1].send(new TextEncoder().encode(JSON.stringify(events)));
            return true;
        }})()"
    );
    customer.eval(&tamper).await;
    // The replica takes the change (a frame shows it) and, two seconds on, no script has run.
    wait_for_frame_after(agent, frames_before).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let tripped: Vec<String> =
        FIXTURE_REQUESTS.lock().unwrap().iter().filter(|p| p.contains("tripwire")).cloned().collect();
    assert_eq!(tripped, Vec::<String>::new(), "script ran in the replica");
    // The session goes on: the customer's own changes still reach the agent.
    let before = frames(agent).await;
    customer.click_element("document.getElementById('name')").await;
    customer.type_text("still here").await;
    wait_for_frame_after(agent, before).await;
    cast.finish().await;
}
