//! Compatibility, what the corpus has too little of: a page that frames its own pages (each
//! with the snippet) and another site's; canvases drawn before the session, masked, tainted,
//! WebGL and live; inputs a person works with a native picker, a paste, an input method, and
//! what synthetic input cannot do (a file picker, a native dialog), refused with a reason; a
//! HiDPI customer where the deployment sends CSS pixels.

pub mod support;

use chromiumoxide::cdp::browser_protocol::page::{EventJavascriptDialogOpening, HandleJavaScriptDialogParams};
use futures::StreamExt;
use support::fidelity::{share_of_colour, wait_for_share};
use support::*;

/// The customer's element `js` as a rectangle of the viewport, `inset` pixels inside its edge.
async fn rect_of(customer: &Tab, js: &str, inset: f64) -> [f64; 4] {
    let r = customer
        .eval(&format!(
            "(() => {{ const r = ({js}).getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }})()"
        ))
        .await;
    let r: [f64; 4] = serde_json::from_value(r).unwrap();
    [r[0] + inset, r[1] + inset, r[2] - 2.0 * inset, r[3] - 2.0 * inset]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_frames_its_own_pages_and_another_sites_keeps_one_session() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    capture_sockets(customer).await;
    customer.goto(&format!("{}/fixtures/frames.html", server.fixtures)).await;
    customer
        .wait_for("the framed page", "!!document.getElementById('own').contentDocument.getElementById('inside')")
        .await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;

    // The snippet twice in the page and once in its frame: one connection, one session, and
    // the frame's `Cobrowse` is the page's.
    assert_eq!(customer.eval("window.__sockets.length").await, 1);
    assert_eq!(customer.eval("document.getElementById('own').contentWindow.__sockets.length").await, 0);
    assert_eq!(customer.eval("document.getElementById('own').contentWindow.Cobrowse.state").await, "active");
    assert_eq!(customer.eval("document.querySelectorAll('cobrowse-widget').length").await, 1);
    assert_eq!(server.state.registry.len(), 1);

    // The agent sees the page, the framed page in it, and what follows the frames.
    let own = rect_of(customer, "document.getElementById('own')", 2.0).await;
    let seen = wait_for_match(customer, agent, own, 0.99).await;
    assert!(seen >= 0.99, "the framed page shows for the agent only {seen:.3}");
    let after = rect_of(customer, "document.getElementById('after')", 0.0).await;
    assert!(wait_for_match(customer, agent, after, 0.99).await >= 0.99, "the layout after the frames differs");
    // The other site's frame is a same-size box naming its origin, not its content.
    let other = rect_of(customer, "document.getElementById('other')", 2.0).await;
    let placeholder = wait_for_share(agent, other, [0xf3, 0xf5, 0xf8], 0.8).await;
    assert!(placeholder > 0.8, "the other site's frame is {placeholder:.2} placeholder");
    assert!(
        match_ratio(agent, &customer.screenshot().await, other).await < 0.5,
        "the agent sees the other site's page"
    );
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canvases_reach_the_agent_masked_ones_never_leave_and_unreadable_ones_are_boxes() {
    let _serial = SERIAL.lock().await;
    let server = TestServer::builder().profile("[masking]\nmasked = [\".secret\"]\n").start().await;
    let cast = Cast::on(server).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    let sent = SentCapture::start(customer).await;
    customer.goto(&format!("{}/fixtures/canvas.html", server.fixtures)).await;
    customer.wait_for("the tainted canvas is drawn", "window.tainted === true").await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;

    // Drawn before the session, and WebGL: the agent sees them as the customer does.
    for canvas in ["bars", "gl"] {
        let rect = rect_of(customer, &format!("document.getElementById('{canvas}')"), 1.0).await;
        let seen = wait_for_match(customer, agent, rect, 0.99).await;
        assert!(seen >= 0.99, "the {canvas} canvas shows for the agent only {seen:.3}");
    }
    let node = |canvas: &str| format!("__cobrowseRrweb.record.mirror.getId(document.getElementById('{canvas}'))");
    // A masked canvas sends no pixels, only that it is hidden; the agent sees a hatched box.
    let secret = customer.eval(&node("secret-chart")).await;
    let hidden = format!("\"payload\":{{\"id\":{secret},\"hidden\":true}}");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while sent.containing(&hidden, 0).is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!sent.containing(&hidden, 0).is_empty(), "the masked canvas was not announced as hidden");
    assert!(
        sent.containing(&format!("\"payload\":{{\"id\":{secret},\"width\""), 0).is_empty(),
        "masked pixels left the browser"
    );
    let rect = rect_of(customer, "document.getElementById('secret-chart')", 1.0).await;
    assert_eq!(share_of_colour(agent, rect, [0xcc, 0x00, 0x00]).await, 0.0, "the agent sees the masked chart");
    // A tainted canvas, which not even the page may read, is a box for the agent.
    let tainted = customer.eval(&node("tainted")).await;
    assert!(!sent.containing(&format!("\"payload\":{{\"id\":{tainted},\"unreadable\":true}}"), 0).is_empty());
    let rect = rect_of(customer, "document.getElementById('tainted')", 1.0).await;
    let hatched = wait_for_share(agent, rect, [0xec, 0xef, 0xf3], 0.3).await;
    assert!(hatched > 0.3, "no placeholder where the tainted canvas is ({hatched:.2})");
    // A live chart keeps changing for the agent.
    let rect = rect_of(customer, "document.getElementById('live')", 1.0).await;
    let before = agent.eval("document.getElementById('screen').toDataURL()").await;
    let mut changed = false;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = agent.eval("document.getElementById('screen').toDataURL()").await;
        if images_match(agent, before.as_str().unwrap(), now.as_str().unwrap(), rect).await < 0.99 {
            changed = true;
            break;
        }
    }
    assert!(changed, "the live chart did not move for the agent");
    cast.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pickers_pastes_and_input_methods_work_and_file_pickers_and_dialogs_are_explained() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    // The customer answers native dialogs (as a person would, by clicking OK).
    let mut dialogs = customer.page.event_listener::<EventJavascriptDialogOpening>().await.unwrap();
    let page = customer.page.clone();
    tokio::spawn(async move {
        while dialogs.next().await.is_some() {
            let _ = page.execute(HandleJavaScriptDialogParams::new(true)).await;
        }
    });
    customer.goto(&format!("{}/fixtures/inputs.html", server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &server.server, &id).await;
    allow_write_mode(customer, agent).await;

    // Date, range and colour fields: the agent's click opens a picker of the agent view's.
    for (field, kind, value) in [("day", "date", "2027-03-15"), ("volume", "range", "7"), ("tint", "color", "#ff8800")]
    {
        agent_clicks_on(customer, agent, &format!("document.getElementById('{field}')")).await;
        agent
            .wait_for(
                &format!("the {kind} picker"),
                &format!("(document.querySelector('.picker input') || {{}}).type === '{kind}'"),
            )
            .await;
        agent
            .eval(&format!("(() => {{ const f = document.querySelector('.picker input'); f.value = '{value}'; f.form.requestSubmit(); return true; }})()"))
            .await;
        customer
            .wait_for(
                &format!("the {field} is set"),
                &format!("document.getElementById('{field}').value === '{value}' && window.changes.some(([id, v]) => id === '{field}' && v === '{value}')"),
            )
            .await;
    }

    // A paste: the page's paste handler sees the text, and the text lands.
    agent_clicks_on(customer, agent, "document.getElementById('reference')").await;
    customer.wait_for("the field has focus", "document.activeElement.id === 'reference'").await;
    agent
        .eval("(() => { const data = new DataTransfer(); data.setData('text/plain', 'ABC-123'); document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })); return true; })()")
        .await;
    customer
        .wait_for(
            "the paste lands",
            "window.pasted === 'ABC-123' && document.getElementById('reference').value === 'ABC-123'",
        )
        .await;
    // Text from the agent's input method.
    {
        use chromiumoxide::cdp::browser_protocol::input::{ImeSetCompositionParams, InsertTextParams};
        agent.page.execute(ImeSetCompositionParams::new("é", 1, 1)).await.unwrap();
        agent.page.execute(InsertTextParams::new("é")).await.unwrap();
    }
    customer.wait_for("the composed text lands", "document.getElementById('reference').value === 'ABC-123é'").await;

    // A file input opens a picker only the customer may use.
    agent_clicks_on(customer, agent, "document.getElementById('letter')").await;
    wait_for_status(agent, "Only the customer can choose files to upload.").await;
    // A click that opens a native dialog: the agent is told only the customer can answer it.
    agent_clicks_on(customer, agent, "document.getElementById('cancel')").await;
    wait_for_status(agent, "A dialog opened on the customer’s screen; only the customer can answer it.").await;
    customer.wait_for("the customer answered", "window.answer === true").await;
    cast.finish().await;
}

/// A deployment whose agents have standard screens (`--agent-pixel-ratio 1`): a customer at
/// pixel ratio 2 is sent in CSS pixels, and the replica still styles the page for ratio 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidpi_customer_is_sent_in_css_pixels_where_the_deployment_asks() {
    let _serial = SERIAL.lock().await;
    let server = TestServer::builder().replica(|browser| browser.with_frame_ratio(1.0)).start().await;
    let customer = Person::launch_with("customer", &["force-device-scale-factor=2"]).await;
    let agent = Person::launch("agent").await;
    customer.set_window(800, 600).await;
    agent.set_window(1240, 860).await;
    customer.goto(&format!("{}/fixtures/hidpi.html", server.fixtures)).await;
    assert_eq!(customer.eval("devicePixelRatio").await, 2);
    let id = start_session(&customer).await;
    join(&agent, &server.server, &id).await;

    // The agent's screen is the customer's viewport in CSS pixels, not twice that.
    agent.wait_for("a frame of the CSS size", "document.getElementById('screen').width === 800").await;
    assert_eq!(agent.eval("document.getElementById('screen').height").await, 600);
    // The page's ratio-2 style applies in the replica as on the customer's screen.
    let green = wait_for_share(&agent, [10.0, 10.0, 300.0, 180.0], [30, 160, 60], 0.95).await;
    assert!(green >= 0.95, "the agent sees the ratio-1 style: {green:.2} of the box is green");
    agent.close().await;
    customer.close().await;
    server.stop().await;
}
