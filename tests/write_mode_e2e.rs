//! End to end: the agent asks for write mode, the customer answers, and the agent's clicks,
//! typing and navigation reach the customer's page through the profile's filter.

pub mod support;

use std::time::Duration;

use support::*;

const RULES: &str = "[write_mode]\ndisabled = [\".danger\"]\n";
const WRITE_STATUS: &str = "Write mode: you can act on the customer’s page.";

/// A customer on the order fixture and a joined agent who sees it.
async fn order_session(timings: cobrowse::session::Timings) -> Cast {
    let cast = Cast::on(TestServer::builder().timings(timings).profile(RULES).start().await).await;
    cast.customer.goto(&format!("{}/fixtures/write.html", cast.server.fixtures)).await;
    let id = start_session(&cast.customer).await;
    join(&cast.agent, &cast.server.server, &id).await;
    cast
}

/// The agent clicks, on the customer screen, the centre of the customer's element `js`.
async fn agent_clicks(cast: &Cast, js: &str) {
    let at = cast
        .customer
        .eval(&format!(
            "(() => {{ const r = ({js}).getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ))
        .await;
    let screen = cast
        .agent
        .eval("(() => { const r = document.getElementById('screen').getBoundingClientRect(); return [r.x, r.y]; })()")
        .await;
    let (x, y) =
        (at[0].as_f64().unwrap() + screen[0].as_f64().unwrap(), at[1].as_f64().unwrap() + screen[1].as_f64().unwrap());
    cast.agent.click(x, y).await;
}

/// Whether the customer's write-mode question is on screen.
fn asked() -> String {
    format!("!{WIDGET}.querySelector('[role=alertdialog]').hidden")
}

/// The agent asks; the customer sees the question and answers it.
async fn ask_and_answer(cast: &Cast, allow: bool) {
    cast.agent.click_element("document.getElementById('request-write')").await;
    cast.customer.wait_for("the customer is asked", &asked()).await;
    let button = if allow { "allow" } else { "deny" };
    cast.customer.click_element(&format!("{WIDGET}.querySelector('.{button}')")).await;
}

/// Write mode again, and the agent types "ok" into the customer's field `id`; returns the
/// field's value once that typing has landed. What the agent typed before, in pointer mode,
/// would have gone the same way ahead of it, so the value also shows whether any of that did.
async fn typing_lands_again(cast: &Cast, id: &str) -> String {
    ask_and_answer(cast, true).await;
    wait_for_status(&cast.agent, WRITE_STATUS).await;
    let field = format!("document.getElementById('{id}')");
    agent_clicks(cast, &field).await;
    cast.customer.wait_for(&format!("{id} has focus"), &format!("document.activeElement === {field}")).await;
    cast.agent.press_keys("ok").await;
    let landed = format!("{field}.value.includes('ok') && {field}.value");
    let value = cast.customer.wait_for(&format!("the typing lands in {id} again"), &landed).await;
    value.as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_allow_the_agent_types_and_clicks_within_the_profiles_rules() {
    let _serial = SERIAL.lock().await;
    let cast = order_session(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);

    // Pointer mode: the agent's typing does nothing (and when write mode comes, what the agent
    // types then lands alone: none of this was held back to land later).
    agent_clicks(&cast, "document.getElementById('name')").await;
    agent.press_keys("nope").await;
    assert_eq!(customer.eval("document.getElementById('name').value").await, "");

    ask_and_answer(&cast, true).await;
    wait_for_status(agent, WRITE_STATUS).await;
    customer
        .wait_for(
            "the widget shows write mode",
            &format!("{WIDGET}.querySelector('.mode').textContent === 'Write mode: the agent can act on this page.'"),
        )
        .await;
    assert_eq!(customer.eval(&format!("!{WIDGET}.querySelector('.to-pointer').hidden")).await, true);

    // The agent's click focuses the field and the typing lands in it, keystroke by keystroke.
    agent_clicks(&cast, "document.getElementById('name')").await;
    customer.wait_for("the field has focus", "document.activeElement.id === 'name'").await;
    agent.eval("(() => { const s = window.__sentAt = []; const real = WebSocket.prototype.send; WebSocket.prototype.send = function (m) { if (typeof m === 'string' && m.includes('\"text\"')) s.push(Date.now()); return real.call(this, m); }; return true; })()").await;
    let typed = "Ada Lovelace and Charles Babbage at the engine 1843";
    for ch in typed.chars() {
        agent.press_keys(&ch.to_string()).await;
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let landed = customer
        .wait_for(
            "the agent's typing arrives",
            &format!(
                "document.getElementById('name').value.includes({typed:?}) && document.getElementById('name').value"
            ),
        )
        .await;
    assert_eq!(landed, typed, "the agent's typing in pointer mode landed too");
    // Agent action to customer page: each keystroke's send against its input event there.
    let sent = agent.eval("window.__sentAt").await;
    let arrived = customer.eval("window.inputTimes").await;
    let (sent, arrived) = (sent.as_array().unwrap().clone(), arrived.as_array().unwrap().clone());
    if sent.len() == arrived.len() {
        let mut gaps: Vec<i64> =
            sent.iter().zip(&arrived).map(|(s, a)| a.as_i64().unwrap() - s.as_i64().unwrap()).collect();
        gaps.sort();
        eprintln!("agent action to customer page: median {} ms over {} keystrokes", gaps[gaps.len() / 2], gaps.len());
    }
    agent.press_key("Backspace").await;
    customer
        .wait_for("Backspace", &format!("document.getElementById('name').value === {:?}", &typed[..typed.len() - 1]))
        .await;

    // A field a framework controls updates the framework's state.
    agent_clicks(&cast, "document.getElementById('vue-field')").await;
    customer.wait_for("the Vue field has focus", "document.activeElement.id === 'vue-field'").await;
    agent.press_keys("Berlin").await;
    customer.wait_for("Vue's state follows", "document.getElementById('vue-echo').textContent === 'Berlin'").await;

    // A checkbox ticks; a select takes the next option from the keyboard.
    agent_clicks(&cast, "document.getElementById('gift')").await;
    customer.wait_for("the box is ticked", "document.getElementById('gift').checked").await;
    agent_clicks(&cast, "document.getElementById('size')").await;
    customer.wait_for("the select has focus", "document.activeElement.id === 'size'").await;
    // The agent picks from the select's options in a list of the agent view's, as the customer
    // would from the browser's; the arrow keys work on the focused select too.
    let options = agent
        .wait_for("the agent's picker", "(() => { const l = document.querySelector('.picker select'); return l ? [...l.options].map((o) => o.text) : null; })()")
        .await;
    assert_eq!(options, serde_json::json!(["Small", "Medium", "Large"]));
    agent.click_element("[...document.querySelectorAll('.picker option')].find((o) => o.text === 'Large')").await;
    customer.wait_for("the agent's pick", "document.getElementById('size').value === 'Large'").await;
    assert_eq!(agent.eval("!!document.querySelector('.picker')").await, false, "the picker closes");
    agent.press_key("ArrowUp").await;
    customer.wait_for("the option before", "document.getElementById('size').value === 'Medium'").await;

    // The wheel over an inner scroll area scrolls it.
    let terms = customer
        .eval("(() => { const r = document.getElementById('terms').getBoundingClientRect(); return [r.x + 40, r.y + 20]; })()")
        .await;
    let screen = agent
        .eval("(() => { const r = document.getElementById('screen').getBoundingClientRect(); return [r.x, r.y]; })()")
        .await;
    let (x, y) = (
        terms[0].as_f64().unwrap() + screen[0].as_f64().unwrap(),
        terms[1].as_f64().unwrap() + screen[1].as_f64().unwrap(),
    );
    agent.move_mouse(x, y).await;
    agent.wheel(x, y, 60.0).await;
    customer.wait_for("the terms scroll", "document.getElementById('terms').scrollTop > 0").await;
    assert_eq!(customer.eval("scrollY").await, 0, "the page scrolled instead of the inner area");

    // The submit button is out of the agent's reach, but not the customer's.
    agent_clicks(&cast, "document.getElementById('submit')").await;
    wait_for_status(agent, "Only the customer can submit.").await;
    agent_clicks(&cast, "document.getElementById('name')").await;
    agent.press_key("Enter").await;
    wait_for_status(agent, "Only the customer can submit.").await;
    assert_eq!(customer.eval("window.submits").await, 0);
    customer.click_element("document.getElementById('submit')").await;
    customer.wait_for("the customer submits", "window.submits === 1").await;

    // So is what the profile disables.
    agent_clicks(&cast, "document.getElementById('close')").await;
    wait_for_status(agent, "That is out of your reach on this site.").await;
    assert_eq!(customer.eval("window.closeClicks").await, 0);
    // Nor through its label: a click on the text would tick the disabled box.
    agent.eval("document.getElementById('status').textContent = ''").await;
    agent_clicks(&cast, "document.getElementById('close-text')").await;
    wait_for_status(agent, "That is out of your reach on this site.").await;
    assert_eq!(customer.eval("document.getElementById('close-box').checked").await, false);

    // The customer goes back to pointer mode: the agent's input stops at once.
    customer.click_element(&format!("{WIDGET}.querySelector('.to-pointer')")).await;
    wait_for_status(agent, "Pointer mode: you can only point.").await;
    assert_eq!(agent.eval("document.getElementById('request-write').hidden").await, false);
    let before = customer.eval("document.getElementById('vue-field').value").await;
    agent_clicks(&cast, "document.getElementById('vue-field')").await;
    agent.press_keys("xyz").await;
    assert_eq!(customer.eval("document.getElementById('vue-field').value").await, before);
    // Allowed again, the agent's typing lands again, and only that.
    let now = typing_lands_again(&cast, "vue-field").await;
    assert_eq!(now.replacen("ok", "", 1), before.as_str().unwrap(), "the agent's typing in pointer mode landed");

    // Then the agent goes back to pointer mode themselves.
    agent.click_element("document.getElementById('to-pointer')").await;
    customer
        .wait_for(
            "the widget shows pointer mode",
            &format!("{WIDGET}.querySelector('.mode').textContent === 'Pointer mode'"),
        )
        .await;
    agent_clicks(&cast, "document.getElementById('name')").await;
    agent.press_keys("xyz").await;
    assert!(!customer.eval("document.getElementById('name').value").await.as_str().unwrap().contains("xyz"));
    let now = typing_lands_again(&cast, "name").await;
    assert!(!now.contains("xyz"), "the agent's typing in pointer mode landed: {now:?}");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_or_unanswered_request_leaves_pointer_mode_and_the_agent_is_told() {
    let _serial = SERIAL.lock().await;
    let mut quick = timings();
    quick.write_request_ttl = Duration::from_millis(1500);
    let cast = Cast::on(TestServer::builder().timings(quick).profile(RULES).start().await).await;
    capture_sockets(&cast.agent).await;
    cast.customer.goto(&format!("{}/fixtures/write.html", cast.server.fixtures)).await;
    let id = start_session(&cast.customer).await;
    join(&cast.agent, &cast.server.server, &id).await;
    let (customer, agent) = (&cast.customer, &cast.agent);

    ask_and_answer(&cast, false).await;
    wait_for_status(agent, "The customer declined write mode.").await;
    assert_eq!(agent.eval("document.getElementById('to-pointer').hidden").await, true);

    // While a request is open the agent cannot stack another; unanswered, it lapses.
    agent.click_element("document.getElementById('request-write')").await;
    customer.wait_for("the customer is asked", &asked()).await;
    agent_sends(agent, r#"{"type":"request_write_mode"}"#).await;
    agent_receives(agent, "refused", Some("request_pending")).await;
    wait_for_status(agent, "The customer did not answer the write-mode request.").await;
    customer.wait_for("the question goes away", &format!("!({})", asked())).await;

    // An action crafted in pointer mode is refused and changes nothing.
    agent_sends(agent, r#"{"type":"action","action":{"kind":"text","text":"sneaky"}}"#).await;
    agent_receives(agent, "refused", Some("pointer_mode")).await;
    assert_eq!(customer.eval("document.getElementById('name').value").await, "");
    cast.finish().await;
}

/// After a page load: the session is back and the agent sees the new page.
async fn settled(cast: &Cast, path: &str) {
    let js = format!("location.pathname === {path:?} && !!window.Cobrowse && Cobrowse.state === 'active'");
    cast.customer.wait_for(&format!("the session resumes on {path}"), &js).await;
    let ratio = wait_for_match(&cast.customer, &cast.agent, [0.0, 0.0, 400.0, 150.0], 0.99).await;
    assert!(ratio >= 0.99, "the agent does not see {path} ({ratio:.3})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_forward_address_and_reload_work_inside_the_site_and_are_refused_outside() {
    let _serial = SERIAL.lock().await;
    let cast = order_session(timings()).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    ask_and_answer(&cast, true).await;
    wait_for_status(agent, WRITE_STATUS).await;
    let path = || async { customer.eval("location.pathname").await.as_str().unwrap().to_string() };

    // The address field, inside the site.
    agent.click_element("document.getElementById('address')").await;
    agent.type_text("/fixtures/write-next.html").await;
    agent.press_key("Enter").await;
    settled(&cast, "/fixtures/write-next.html").await;
    // Write mode holds across the page load; Back and Forward.
    assert_eq!(agent.eval("document.getElementById('back').disabled").await, false);
    agent.click_element("document.getElementById('back')").await;
    settled(&cast, "/fixtures/write.html").await;
    agent.click_element("document.getElementById('forward')").await;
    settled(&cast, "/fixtures/write-next.html").await;

    // Reload: the page loads again (a mark left on it is gone).
    customer.eval("window.mark = 1").await;
    agent.click_element("document.getElementById('reload')").await;
    customer.wait_for("reloaded", "window.mark === undefined").await;
    settled(&cast, "/fixtures/write-next.html").await;

    // Outside the site: refused, the customer stays.
    agent.eval("document.getElementById('address').value = ''").await;
    agent.click_element("document.getElementById('address')").await;
    agent.type_text("https://outside.example/").await;
    agent.press_key("Enter").await;
    wait_for_status(agent, "That would leave the customer’s site.").await;
    assert_eq!(path().await, "/fixtures/write-next.html");
    agent.click_element("document.getElementById('back')").await;
    settled(&cast, "/fixtures/write.html").await;
    customer.eval("window.awayClicks = 0; document.getElementById('away').addEventListener('click', () => window.awayClicks++); true").await;
    agent_clicks(&cast, "document.getElementById('away')").await;
    wait_for_status(agent, "That would leave the customer’s site.").await;
    // The agent's next click, on the same page, lands: the refused one went ahead of it.
    agent_clicks(&cast, "document.getElementById('gift')").await;
    customer.wait_for("the agent's next click lands", "document.getElementById('gift').checked").await;
    assert_eq!(customer.eval("window.awayClicks").await, 0, "the link off the site was clicked");
    assert_eq!(path().await, "/fixtures/write.html");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_the_profile_turns_write_mode_off_there_is_no_pencil_and_requests_are_refused() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::on(TestServer::builder().profile("[write_mode]\nenabled = false\n").start().await).await;
    capture_sockets(&cast.agent).await;
    cast.customer.goto(&format!("{}/fixtures/write.html", cast.server.fixtures)).await;
    let id = start_session(&cast.customer).await;
    join(&cast.agent, &cast.server.server, &id).await;
    assert_eq!(cast.agent.eval("document.getElementById('request-write').hidden").await, true);
    agent_sends(&cast.agent, r#"{"type":"request_write_mode"}"#).await;
    agent_receives(&cast.agent, "refused", Some("write_mode_unavailable")).await;
    // The agent's click after the request reaches the customer (as a red circle): the request
    // went ahead of it.
    agent_clicks(&cast, "document.getElementById('name')").await;
    cast.customer.wait_for("the agent's click shows", &format!("!!{WIDGET}.querySelector('.click')")).await;
    assert_eq!(cast.customer.eval(&format!("({})", asked())).await, false, "the customer was asked");
    cast.finish().await;
}
