//! End to end: in write mode, an address the agent types is judged as strictly as a click on
//! the link or form that leads there, and `forbidden_paths` hold against every way there.

pub mod support;

use support::*;

const RULES: &str = "[write_mode]\ndisabled = [\".danger\"]\nforbidden_paths = [\"^/fixtures/closing\"]\n";
const WRITE_STATUS: &str = "Write mode: you can act on the customer’s page.";

/// The agent types `address` into the Address field and presses Enter.
async fn agent_goes_to(agent: &Tab, address: &str) {
    agent.eval("document.getElementById('address').value = ''").await;
    agent.click_element("document.getElementById('address')").await;
    agent.type_text(address).await;
    agent.press_key("Enter").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_are_refused_where_the_click_that_leads_there_would_be() {
    let _serial = SERIAL.lock().await;
    let cast = Cast::on(TestServer::builder().profile(RULES).start().await).await;
    let (customer, agent) = (&cast.customer, &cast.agent);
    customer.goto(&format!("{}/fixtures/navigate.html", cast.server.fixtures)).await;
    let id = start_session(customer).await;
    join(agent, &cast.server.server, &id).await;
    allow_write_mode(customer, agent).await;
    wait_for_status(agent, WRITE_STATUS).await;
    let path = || async { customer.eval("location.pathname + location.search").await.as_str().unwrap().to_string() };
    let here = "/fixtures/navigate.html";

    // A disabled link's address, typed: refused as the click on the link is.
    agent_goes_to(agent, "/fixtures/rich.html?tab=danger").await;
    wait_for_status(agent, "That is out of your reach on this site.").await;
    // A GET form's address with its fields as the query: a submission, which disable_submit keeps
    // from the agent.
    agent_goes_to(agent, &format!("{}/fixtures/statement.html?q=1234", cast.server.fixtures)).await;
    wait_for_status(agent, "Only the customer can submit.").await;
    // A forbidden path: not by address (with any query), not by its link.
    agent_goes_to(agent, "/fixtures/closing.html?confirm=yes").await;
    wait_for_status(agent, "That is out of your reach on this site.").await;
    agent.eval("document.getElementById('status').textContent = ''").await;
    agent_clicks_on(customer, agent, "document.getElementById('closing')").await;
    wait_for_status(agent, "That is out of your reach on this site.").await;
    // The agent's next click, on the same page, lands: the refused one went ahead of it.
    agent_clicks_on(customer, agent, "document.getElementById('q')").await;
    customer.wait_for("the agent's next click lands", "document.activeElement.id === 'q'").await;
    assert_eq!(path().await, here, "the customer stayed on the page");
    assert_eq!(customer.eval("window.closingClicks").await, 0, "the forbidden link was not clicked");

    // An address nothing forbids goes through.
    agent_goes_to(agent, "/fixtures/write-next.html").await;
    customer.wait_for("the customer is on the next page", "location.pathname === '/fixtures/write-next.html'").await;
    cast.finish().await;
}
