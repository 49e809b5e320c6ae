//! What must never happen: an agent acting in pointer mode (crafted messages asking for clicks,
//! keys or navigation are refused by the server and change nothing), a page script pressing
//! the widget's buttons, a password value leaving the customer's browser.

mod support;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_scripts_cannot_press_the_widgets_buttons() {
    let _serial = SERIAL.lock().await;
    let server = TestServer::start(timings()).await;
    let customer = Person::launch("customer").await;
    customer.goto(&format!("{}/", server.demo)).await;
    customer.wait_for("widget", "!!document.querySelector('cobrowse-widget')").await;

    // A synthetic click on "Co-browse" starts nothing.
    customer.eval(&format!("{WIDGET}.querySelector('button.start').click()")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(customer.eval("Cobrowse.state").await, "idle");
    assert!(server.state.registry.is_empty());

    // A person's click does; then a synthetic click on "End session" ends nothing.
    start_session(&customer).await;
    customer.eval(&format!("{WIDGET}.querySelector('button.end').click()")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
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
