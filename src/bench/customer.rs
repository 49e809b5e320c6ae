//! Simulated customers: real Chromium pages, one incognito context each (so every one is a
//! visible window with its own session storage), on the demo site's pages with the snippet,
//! driven by the probe script's workloads.

use std::path::Path;
use std::time::Duration;

use crate::replica::browser::ContextPage;
use crate::replica::ReplicaBrowser;

/// The probe and workloads, injected into every page the customers open.
const PROBE: &str = include_str!("probe.js");

/// The customers' own Chromium (separate from the server's replica Chromium).
pub struct CustomerBrowser {
    browser: ReplicaBrowser,
}

/// One customer's window.
pub struct Customer {
    page: ContextPage,
    /// The probe's number, carried from page to page.
    seq: u32,
    /// Every probe mark so far: (number, wall-clock ms of the change).
    pub marks: Vec<(u32, f64)>,
}

impl CustomerBrowser {
    /// Launches Chromium for the customers.
    pub async fn launch(chromium: &Path) -> Result<CustomerBrowser, String> {
        let browser = ReplicaBrowser::new(chromium.to_path_buf());
        browser.start().await.map_err(|e| e.to_string())?;
        // Customers' pages render on the customers' own machines, not on the server's: here
        // they run at a lower priority, so they do not crowd out what is measured (yet still
        // load their pages when the server is saturated). Renderers started later come from
        // these processes and keep their priority.
        if let Some(pid) = browser.pid().await {
            for process in super::procfs::processes(pid, true) {
                let _ = std::process::Command::new("renice").args(["-n", "10", "-p", &process.to_string()]).output();
            }
        }
        Ok(CustomerBrowser { browser })
    }

    /// Opens a customer's window on `screen`.
    pub async fn open(&self, screen: super::Screen) -> Result<Customer, String> {
        let page = self.browser.open_page().await.map_err(|e| e.to_string())?;
        let (width, height) = screen.size;
        let sized = if screen.phone {
            page.set_phone(width, height, screen.pixel_ratio).await
        } else {
            page.set_viewport(width, height, screen.pixel_ratio).await
        };
        sized.map_err(|e| e.to_string())?;
        Ok(Customer { page, seq: 0, marks: Vec::new() })
    }

    /// The customers' Chromium browser process.
    pub async fn pid(&self) -> Option<u32> {
        self.browser.pid().await
    }

    /// Closes a customer's window.
    pub async fn close(&self, customer: Customer) {
        self.browser.close_page(customer.page).await;
    }

    /// Closes the customers' Chromium.
    pub async fn shutdown(&self) {
        self.browser.shutdown().await;
    }
}

impl Customer {
    /// The probe's newest number.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// Evaluates `expression` (awaiting a promise) and returns its JSON value.
    pub async fn eval(&self, expression: &str) -> Result<serde_json::Value, String> {
        self.page.evaluate(expression, Duration::from_secs(15)).await.map_err(|e| e.to_string())
    }

    /// Loads `url`, waits for the snippet, and puts the probe on the page.
    pub async fn open_page(&mut self, url: &str) -> Result<(), String> {
        self.take_marks().await;
        self.page.goto(url, Duration::from_secs(30)).await.map_err(|e| format!("{url} did not load: {e}"))?;
        for _ in 0..300 {
            if self.eval("!!window.Cobrowse").await? == serde_json::Value::Bool(true) {
                self.eval(PROBE).await?;
                self.eval(&format!("window.__bench.begin({})", self.seq)).await?;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(format!("the snippet did not load on {url}"))
    }

    /// The centre of the element `js` evaluates to, in the viewport.
    pub async fn centre(&self, js: &str) -> Result<(f64, f64), String> {
        let at = self
            .eval(&format!("(() => {{ const r = ({js}).getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"))
            .await?;
        Ok((at[0].as_f64().unwrap_or(0.0), at[1].as_f64().unwrap_or(0.0)))
    }

    /// Clicks, as the customer, the centre of the element `js` evaluates to.
    pub async fn click(&self, js: &str) -> Result<(), String> {
        let (x, y) = self.centre(js).await?;
        self.page.click(x, y).await.map_err(|e| e.to_string())
    }

    /// Starts co-browsing through the JS API and returns the session ID.
    pub async fn start_session(&self) -> Result<String, String> {
        let started = self.eval("Cobrowse.start().then((s) => s.id)").await?;
        started.as_str().map(String::from).ok_or_else(|| format!("Cobrowse.start() gave {started}"))
    }

    /// Waits until the snippet says the agent is in (so events now reach a streaming replica).
    pub async fn wait_active(&self) -> Result<(), String> {
        for _ in 0..500 {
            if self.eval("Cobrowse.state").await? == serde_json::Value::String("active".into()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err("the session did not become active".into())
    }

    /// Runs a workload call of the probe script (such as `typing('#name', 'abc', 8)`).
    pub async fn run(&self, workload: &str) -> Result<(), String> {
        self.eval(&format!("window.__bench.{workload}")).await.map(|_| ())
    }

    /// Stops the page's workloads and collects their marks.
    pub async fn stop(&mut self) {
        let _ = self.eval("window.__bench && window.__bench.stop()").await;
        self.take_marks().await;
    }

    async fn take_marks(&mut self) {
        let Ok(taken) = self.eval("window.__bench ? window.__bench.take() : null").await else { return };
        if let Some(seq) = taken.get("seq").and_then(|s| s.as_u64()) {
            self.seq = seq as u32;
        }
        let marks = taken.get("marks").and_then(|m| m.as_array()).cloned().unwrap_or_default();
        self.marks.extend(marks.iter().filter_map(|m| Some((m.get(0)?.as_u64()? as u32, m.get(1)?.as_f64()?))));
    }
}
