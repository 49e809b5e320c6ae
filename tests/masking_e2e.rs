//! End to end: what a profile masks never leaves the customer's browser (every byte its
//! WebSockets send is searched), and the agent sees asterisks, an empty box or a notice in its
//! place, while everything else stays visible. Every secret in the fixtures contains "SECRET".

pub mod support;

use support::*;

const RULES: &str = r##"
[masking]
masked = [".secret", "#editor"]
blocked = ["#private-box", "card-form"]
masked_pages = ["^/fixtures/statement"]
"##;

/// A rectangle (x, y, w, h) of the customer's viewport.
type Rect = [f64; 4];

/// The viewport rectangle of the element `js` evaluates to, shrunk by `inset` on each side.
async fn rect(tab: &Tab, js: &str, inset: f64) -> Rect {
    let r = tab
        .eval(&format!(
            "(() => {{ const r = ({js}).getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }})()"
        ))
        .await;
    let r: Rect = serde_json::from_value(r).unwrap();
    [r[0] + inset, r[1] + inset, r[2] - 2.0 * inset, r[3] - 2.0 * inset]
}

/// The rectangle of the text inside the element with this id (not the element's whole box).
async fn text_rect(tab: &Tab, id: &str) -> Rect {
    let js = format!("(() => {{ const r = document.createRange(); r.selectNodeContents(document.getElementById('{id}')); return r; }})()");
    rect(tab, &js, 0.0).await
}

/// A customer on the masked fixture, a session the agent joined and sees, and everything the
/// customer's browser sends from the session's first message on. `hook_sockets` keeps the
/// page's sockets reachable, for a test that plays a tampered snippet.
async fn masked_session(hook_sockets: bool) -> (Cast, SentCapture) {
    let cast = Cast::on(TestServer::builder().profile(RULES).start().await).await;
    if hook_sockets {
        capture_sockets(&cast.customer).await;
    }
    cast.customer.goto(&format!("{}/fixtures/masked.html", cast.server.fixtures)).await;
    let sent = SentCapture::start(&cast.customer).await;
    let id = start_session(&cast.customer).await;
    join(&cast.agent, &cast.server.server, &id).await;
    let open_text = text_rect(&cast.customer, "open-text").await;
    let ratio = wait_for_match(&cast.customer, &cast.agent, open_text, 0.99).await;
    assert!(ratio >= 0.99, "unmasked text shows in only {ratio:.3} of its pixels");
    (cast, sent)
}

/// The rectangle of an element inside the iframe `#frame`, in the top page's viewport.
async fn frame_rect(tab: &Tab, id: &str) -> Rect {
    let js = format!("(() => {{ const f = document.getElementById('frame'); const r = f.getBoundingClientRect(); const e = f.contentDocument.getElementById('{id}').getBoundingClientRect(); return [r.x + f.clientLeft + e.x + 1, r.y + f.clientTop + e.y + 1, e.width - 2, e.height - 2]; }})()");
    serde_json::from_value(tab.eval(&js).await).unwrap()
}

/// Waits until the agent's view of `rect` matches `shot` at least `at_least`; returns the ratio.
async fn wait_for_picture(agent: &Tab, shot: &str, rect: Rect, at_least: f64) -> f64 {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ratio = match_ratio(agent, shot, rect).await;
        if ratio >= at_least || tokio::time::Instant::now() > deadline {
            return ratio;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Masks `.secret` and `#editor` (in the page, its shadow root and its iframe) the way the
/// agent should see them: every visible character an asterisk.
const STAR_SECRETS: &str = "(() => {
    const stars = (t) => t.replace(/\\S/g, '*');
    const mask = (el) => {
        const walk = el.ownerDocument.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let n; (n = walk.nextNode());) n.data = stars(n.data);
        if ((el.tagName === 'INPUT' || el.tagName === 'TEXTAREA')) el.value = stars(el.value);
    };
    document.querySelectorAll('.secret, #editor').forEach(mask);
    document.getElementById('host').shadowRoot.querySelectorAll('.secret').forEach(mask);
    document.getElementById('frame').contentDocument.querySelectorAll('.secret').forEach(mask);
    // A masked select shows its first option, whatever the customer chose.
    document.getElementById('country').selectedIndex = 0;
    return true;
})()";

/// What a page script and the customer change after the agent joined, copied from the
/// customer's page into another (a reference rendering of what the agent should see).
const READ_STATE: &str = "(() => ({
    later: document.getElementById('later').textContent,
    card: document.getElementById('card').value,
    notes: document.getElementById('notes').value,
    editor: document.getElementById('editor').textContent,
    country: document.getElementById('country').value,
    shadow: document.getElementById('host').shadowRoot.getElementById('shadow-secret').textContent,
    frame: document.getElementById('frame').contentDocument.getElementById('frame-secret').textContent,
}))()";

fn write_state(state: &serde_json::Value) -> String {
    format!(
        "(() => {{ const s = {state};
            document.getElementById('later').textContent = s.later;
            document.getElementById('card').value = s.card;
            document.getElementById('notes').value = s.notes;
            document.getElementById('editor').textContent = s.editor;
            document.getElementById('country').value = s.country;
            document.getElementById('host').shadowRoot.getElementById('shadow-secret').textContent = s.shadow;
            document.getElementById('frame').contentDocument.getElementById('frame-secret').textContent = s.frame;
            return true; }})()"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_content_never_leaves_the_customers_browser_and_the_agent_sees_asterisks() {
    let _serial = SERIAL.lock().await;
    let (cast, sent) = masked_session(false).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    let open_text = text_rect(customer, "open-text").await;

    // After the agent joined: a page script changes masked text and values, in the page, its
    // shadow root and its iframe; the customer types into masked fields and picks an option.
    customer
        .eval("(() => {
            document.getElementById('later').textContent = 'SECRET-LATER-epsilon';
            document.getElementById('card').value = 'SECRET-SCRIPT-5500';
            document.getElementById('host').shadowRoot.getElementById('shadow-secret').textContent = 'SECRET-SHADOWLATER-kappa';
            document.getElementById('frame').contentDocument.getElementById('frame-secret').textContent = 'SECRET-FRAMELATER-iota';
            document.getElementById('country').value = 'SECRET-OPTVAL-de';
            // A value set on a field that is not on the page (a \"copy\" helper).
            document.createElement('textarea').value = 'SECRET-DETACHED-iban';
            // A blocked web component renders its form after the agent joined.
            document.getElementById('card-form').attachShadow({ mode: 'open' }).innerHTML = '<input value=\"SECRET-CARDFORM-mu\">';
            return true; })()")
        .await;
    customer.click_element("document.getElementById('card')").await;
    customer.eval("document.getElementById('card').select()").await;
    customer.type_text("SECRET-TYPEDCARD-5105").await;
    customer.click_element("document.getElementById('notes')").await;
    customer.eval("document.getElementById('notes').select()").await;
    customer.type_text("SECRET-TYPED-zeta").await;
    // The customer is told the agent cannot see what they type there.
    let told = customer.eval(&format!("{WIDGET}.querySelector('[role=status]').textContent")).await;
    assert_eq!(told, "The agent cannot see what you type in this field.");
    customer.click_element("document.getElementById('editor')").await;
    customer
        .eval("(() => { const r = document.createRange(); r.selectNodeContents(document.getElementById('editor')); r.collapse(false); getSelection().removeAllRanges(); getSelection().addRange(r); return true; })()")
        .await;
    customer.type_text(" SECRET-TYPEDEDIT-theta").await;
    customer.eval("document.activeElement.blur(), getSelection().removeAllRanges(), true").await;

    // A reference: the same page with the same values, masked as the agent should see it.
    let state = customer.eval(READ_STATE).await;
    let reference = customer.new_tab().await;
    reference.goto(&format!("{}/fixtures/masked.html", cast.server.fixtures)).await;
    reference
        .wait_for("iframe loaded", "!!document.getElementById('frame').contentDocument.getElementById('frame-secret')")
        .await;
    reference.eval(&write_state(&state)).await;
    reference.eval(STAR_SECRETS).await;
    let expected = reference.screenshot().await;
    let actual = customer.screenshot().await;

    let masked = [
        ("text input", rect(customer, "document.getElementById('card')", 3.0).await),
        ("textarea", rect(customer, "document.getElementById('notes')", 3.0).await),
        ("contenteditable", rect(customer, "document.getElementById('editor')", 2.0).await),
        ("select", rect(customer, "document.getElementById('country')", 3.0).await),
        ("text", rect(customer, "document.getElementById('balance')", 0.0).await),
        ("text set by script", rect(customer, "document.getElementById('later')", 0.0).await),
        (
            "shadow DOM text",
            rect(customer, "document.getElementById('host').shadowRoot.getElementById('shadow-secret')", 0.0).await,
        ),
        ("iframe text", frame_rect(customer, "frame-secret").await),
    ];
    for (what, area) in masked {
        let ratio = wait_for_picture(agent, &expected, area, 0.98).await;
        assert!(ratio >= 0.98, "{what}: the agent's view matches the asterisks in only {ratio:.3} of {area:?}");
        let secret = match_ratio(agent, &actual, area).await;
        assert!(secret < 0.97, "{what}: the agent's view looks like the customer's secret ({secret:.3} of {area:?})");
    }
    let open = [
        ("text", open_text),
        ("input", rect(customer, "document.getElementById('open-field')", 3.0).await),
        (
            "shadow DOM text",
            rect(customer, "document.getElementById('host').shadowRoot.getElementById('shadow-open')", 0.0).await,
        ),
        ("iframe text", frame_rect(customer, "frame-open").await),
    ];
    for (what, area) in open {
        let ratio = match_ratio(agent, &actual, area).await;
        assert!(ratio >= 0.99, "unmasked {what} shows in only {ratio:.3} of {area:?}");
    }

    // The blocked element is an empty, hatched grey box of the same size.
    let boxed = rect(customer, "document.getElementById('private-box')", 2.0).await;
    let ratio = match_ratio(agent, &actual, boxed).await;
    assert!(ratio < 0.2, "the blocked element still looks like the customer's ({ratio:.3})");
    let grey = agent
        .eval(&format!("(() => {{ const [x, y, w, h] = {boxed:?}.map(Math.round); const d = document.getElementById('screen').getContext('2d').getImageData(x, y, w, h).data; let grey = 0; for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) < 24 && d[i] > 140) grey++; return grey / (d.length / 4); }})()"))
        .await
        .as_f64()
        .unwrap();
    assert!(grey > 0.95, "the blocked element's box is only {grey:.3} placeholder grey");

    // The agent pointing at a masked field is told only the customer can fill it.
    let screen = rect(agent, "document.getElementById('screen')", 0.0).await;
    let card = rect(customer, "document.getElementById('card')", 0.0).await;
    agent.move_mouse(screen[0] + card[0] + card[2] / 2.0, screen[1] + card[1] + card[3] / 2.0).await;
    wait_for_status(agent, "Only the customer can fill this field.").await;
    agent.move_mouse(screen[0] + open_text[0] + 5.0, screen[1] + open_text[1] + 5.0).await;
    agent
        .wait_for(
            "the hint goes",
            "document.getElementById('status').textContent !== 'Only the customer can fill this field.'",
        )
        .await;

    // Not one byte the customer's browser sent holds a secret; the open content did go.
    assert!(sent.count() > 3, "the capture saw only {} messages", sent.count());
    let leaks = sent.containing("SECRET", 0);
    assert!(leaks.is_empty(), "masked content left the customer's browser: {:.300}", leaks.join(" | "));
    for open in ["OPENTEXT-visible-42", "OPENFIELD-hello", "OPENSHADOW-ok", "OPENFRAME-ok"] {
        assert!(!sent.containing(open, 0).is_empty(), "{open} never reached the server");
    }
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_masked_page_shows_the_agent_a_notice_and_sends_nothing_of_it() {
    let _serial = SERIAL.lock().await;
    let (cast, sent) = masked_session(false).await;
    let (customer, agent) = (&cast.customer, &cast.agent);

    // The customer follows a link to a statement page, which the profile masks whole.
    customer.goto(&format!("{}/fixtures/statement.html", cast.server.fixtures)).await;
    wait_for_status(agent, "The customer is on a private page; it is hidden from you.").await;
    // The agent's screen shows the notice, not the statement.
    let statement = customer.screenshot().await;
    let page = [0.0, 0.0, 480.0, 400.0];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut shown = 1.0;
    while tokio::time::Instant::now() < deadline {
        shown = match_ratio(agent, &statement, page).await;
        if shown < 0.5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown < 0.5, "the agent sees the private page ({shown:.3} alike)");
    customer.eval("document.body.insertAdjacentHTML('beforeend', '<p>SECRET-STATEMENT-later</p>'), true").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // Back on an ordinary page, the agent sees it again.
    customer.click_element("document.getElementById('back')").await;
    wait_for_status(agent, "The customer has left the private page.").await;
    let open_text = text_rect(customer, "open-text").await;
    let ratio = wait_for_match(customer, agent, open_text, 0.99).await;
    assert!(ratio >= 0.99, "after the private page the agent's view matches only {ratio:.3}");
    let leaks = sent.containing("SECRET-STATEMENT", 0);
    assert!(leaks.is_empty(), "the private page left the customer's browser: {:.300}", leaks.join(" | "));
    assert!(sent.count() > 0, "the capture saw nothing at all");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_edit_applies_to_a_running_session_and_a_bad_edit_changes_nothing() {
    let _serial = SERIAL.lock().await;
    let (cast, sent) = masked_session(false).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    let open_text = text_rect(customer, "open-text").await;
    let shown = customer.screenshot().await;

    // The admin masks the open text too; the running session follows within moments.
    let edited =
        RULES.replace("masked = [\".secret\", \"#editor\"]", "masked = [\".secret\", \"#editor\", \"#open-text\"]");
    let from = sent.count();
    cast.server.edit_profile(&edited);
    let reference = customer.new_tab().await;
    reference.goto(&format!("{}/fixtures/masked.html", cast.server.fixtures)).await;
    reference.eval("(() => { const e = document.getElementById('open-text'); e.textContent = e.textContent.replace(/\\S/g, '*'); return true; })()").await;
    let expected = reference.screenshot().await;
    let ratio = wait_for_picture(agent, &expected, open_text, 0.98).await;
    assert!(ratio >= 0.98, "after the edit the open text shows as asterisks in only {ratio:.3}");
    let still = match_ratio(agent, &shown, open_text).await;
    assert!(still < 0.9, "the agent still sees the text ({still:.3} alike)");
    // The page was sent again under the new rules, without the newly masked text.
    assert!(sent.count() > from, "nothing was sent after the edit");
    assert!(sent.containing("OPENTEXT-visible-42", from).is_empty(), "newly masked text left the browser");

    // A typo in the next edit is refused (the server has read it when `edit_profile`
    // returns); the last good profile stays in force.
    cast.server.edit_profile(&edited.replace("\"#open-text\"]", "\"#open-text[\"]"));
    let profile = cast.server.state.profiles.for_origin(&cast.server.fixtures).unwrap();
    assert_eq!(profile.masking.masked, vec![".secret", "#editor", "#open-text"]);
    assert!(match_ratio(agent, &expected, open_text).await >= 0.98, "the bad edit unmasked the text");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmasked_value_from_a_tampered_snippet_is_masked_by_the_replica_and_counted_as_a_defect() {
    let _serial = SERIAL.lock().await;
    let (cast, _) = masked_session(true).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    let defects = || async {
        let metrics = agent.eval("fetch('/metrics').then((r) => r.text())").await;
        let line = metrics
            .as_str()
            .unwrap()
            .lines()
            .find(|l| l.starts_with("cobrowse_masking_defects_total "))
            .map(String::from);
        line.and_then(|l| l.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok())).expect("the defect counter")
    };
    let before = defects().await;

    // A tampered snippet sends the balance's text unmasked, straight down its socket.
    customer
        .eval("(() => {
            const id = __cobrowseRrweb.record.mirror.getId(document.getElementById('balance').firstChild);
            const events = [{ type: 3, timestamp: Date.now(), data: { source: 0, texts: [{ id, value: 'LEAKED-9999-0000-1' }], attributes: [], removes: [], adds: [] } }];
            window.__sockets[window.__sockets.length - 1].send(new TextEncoder().encode(JSON.stringify(events)));
            return true; })()")
        .await;
    agent.wait_for("the defect counted", &format!("fetch('/metrics').then((r) => r.text()).then((t) => !t.includes('cobrowse_masking_defects_total {before}\\n'))")).await;
    assert!(defects().await > before);

    // The agent sees asterisks where the leaked text would be.
    let reference = customer.new_tab().await;
    reference.goto(&format!("{}/fixtures/masked.html", cast.server.fixtures)).await;
    reference
        .wait_for("iframe loaded", "!!document.getElementById('frame').contentDocument.getElementById('frame-secret')")
        .await;
    reference.eval("document.getElementById('balance').textContent = 'LEAKED-9999-0000-1', true").await;
    reference.eval(STAR_SECRETS).await;
    let expected = reference.screenshot().await;
    let balance = rect(&reference, "document.getElementById('balance')", 0.0).await;
    let ratio = wait_for_picture(agent, &expected, balance, 0.98).await;
    assert!(ratio >= 0.98, "the leaked value is not masked in the agent's view ({ratio:.3} like asterisks)");
    cast.finish().await;
}
