//! The UI speaks German to a browser whose language is German, with the terms of Genesys'
//! German guide, and English otherwise.

pub mod support;

use chromiumoxide::cdp::browser_protocol::emulation::SetUserAgentOverrideParams;
use support::*;

async fn speak_german(tab: &Tab) {
    let agent = tab.eval("navigator.userAgent").await.as_str().unwrap().to_string();
    let mut params = SetUserAgentOverrideParams::new(agent);
    params.accept_language = Some("de-DE".into());
    tab.page.execute(params).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn german_browsers_get_the_german_ui() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::new(timings()).await;
    let (server, customer, agent) = (&cast.server, &cast.customer, &cast.agent);
    speak_german(customer).await;
    speak_german(agent).await;

    customer.goto(&format!("{}/", server.demo)).await;
    assert_eq!(customer.eval("navigator.language").await, "de-DE");
    customer.wait_for("widget", "!!document.querySelector('cobrowse-widget')").await;
    assert_eq!(
        customer.eval(&format!("{WIDGET}.querySelector('button.start').textContent")).await,
        "Gemeinsames Browsen"
    );
    let id = start_session(customer).await;
    assert_eq!(customer.eval(&format!("{WIDGET}.querySelector('button.end').textContent")).await, "Sitzung beenden");

    agent.goto(&support::agent_page(&server.server, "")).await;
    assert_eq!(agent.eval("document.querySelector('label[for=session-id]').textContent").await, "Sitzungs-ID");
    assert_eq!(agent.eval("document.getElementById('end').textContent").await, "Sitzung beenden");
    assert_eq!(
        agent.eval("document.getElementById('screen').getAttribute('aria-label')").await,
        "Bildschirm des Kunden"
    );
    agent.click_element("document.getElementById('session-id')").await;
    agent.type_text(&id).await;
    agent.click_element("document.querySelector('button[aria-label=Beitreten]')").await;
    agent.wait_for("first frame", "Number(document.getElementById('screen').dataset.frames || 0) > 0").await;
    assert_eq!(agent.eval("document.querySelector('.mode').textContent").await, "Zeigermodus");
    customer
        .wait_for("German notice", &format!("{WIDGET}.querySelector('[role=status]').textContent.startsWith('Die Sitzung für gemeinsames Browsen hat begonnen')"))
        .await;

    cast.finish().await;
}
