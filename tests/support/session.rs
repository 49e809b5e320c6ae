//! A session as people start it: the customer clicks "Co-browse", the agent types the ID and
//! joins; and the casts tests start from, a server with a customer and an agent (a [`Cast`]),
//! and the same with the customer on a demo page in a session the agent joined (a [`Scene`]).

use cobrowse::session::Timings;

use super::{agent_page, Person, Tab, TestServer};

/// JS for the customer's widget (its shadow root).
pub const WIDGET: &str = "document.querySelector('cobrowse-widget').shadowRoot";

/// The customer clicks "Co-browse" and reads the session ID off the widget.
pub async fn start_session(customer: &Tab) -> String {
    customer.wait_for("snippet loaded", "!!document.querySelector('cobrowse-widget')").await;
    customer.click_element(&format!("{WIDGET}.querySelector('button.start')")).await;
    let id = customer.wait_for("session ID shown", &format!("{WIDGET}.querySelector('.sid').textContent")).await;
    id.as_str().unwrap().to_string()
}

/// The agent types the ID into "Session ID", clicks "Join" and waits for the first frame.
pub async fn join(agent: &Tab, server: &str, id: &str) {
    // A fresh load even when the view is open already (the same URL would only change its fragment).
    agent.goto("about:blank").await;
    agent.goto(&agent_page(server, "")).await;
    agent.click_element("document.getElementById('session-id')").await;
    agent.type_text(id).await;
    agent.click_element("document.querySelector('button[aria-label=Join]')").await;
    agent.wait_for("first frame", "Number(document.getElementById('screen').dataset.frames || 0) > 0").await;
}

/// A server and two people, a customer and an agent, each in their own browser.
pub struct Cast {
    pub server: TestServer,
    pub customer: Person,
    pub agent: Person,
}

impl Cast {
    /// A cast on a server with these timings, as [`TestServer::builder`] starts it otherwise.
    pub async fn new(timings: Timings) -> Cast {
        Cast::on(TestServer::builder().timings(timings).start().await).await
    }

    /// The two people, for a server started some other way.
    pub async fn on(server: TestServer) -> Cast {
        let customer = Person::launch("customer").await;
        let agent = Person::launch("agent").await;
        Cast { server, customer, agent }
    }

    pub async fn finish(self) {
        self.customer.close().await;
        self.agent.close().await;
        self.server.stop().await;
    }
}

/// A [`Cast`] with the customer on `path` of the demo site, a session started, and the agent
/// joined.
pub struct Scene {
    cast: Cast,
    pub id: String,
}

impl std::ops::Deref for Scene {
    type Target = Cast;
    fn deref(&self) -> &Cast {
        &self.cast
    }
}

impl Scene {
    pub async fn new(path: &str, timings: Timings) -> Scene {
        let cast = Cast::new(timings).await;
        cast.customer.goto(&format!("{}{path}", cast.server.demo)).await;
        let id = start_session(&cast.customer).await;
        join(&cast.agent, &cast.server.server, &id).await;
        Scene { cast, id }
    }

    pub async fn finish(self) {
        self.cast.finish().await;
    }
}
