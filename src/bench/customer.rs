//! Simulated customers: real Chromium pages, one incognito context each (so every one is a
//! visible window with its own session storage), on the demo site's pages with the snippet,
//! driven by the probe script's workloads.

use std::path::Path;
use std::time::Duration;

use crate::replica::browser::ContextPage;
use crate::replica::ReplicaBrowser;

/// The probe and workloads, injected into every page the customers open.
const PROBE: &str = include_str!("probe.js");
/// Notes the snippet's sends, added to every document before the page's own scripts.
const HOOK: &str = include_str!("hook.js");

/// A message the snippet sent, kept whole for replaying the visit (see [`super::replay`]).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct SentMessage {
    /// Wall-clock milliseconds.
    pub at: f64,
    /// `text` (a control message) or `events` (a batch of rrweb events).
    pub kind: String,
    pub body: String,
    /// The probe's number when it was sent (-1 before the probe was on the page).
    pub seq: i64,
}

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
    /// Every events message the snippet sent so far.
    pub sends: Vec<super::stages::Send>,
    /// Every message the snippet sent, whole, when the window records (see
    /// [`CustomerBrowser::open_recording`]).
    pub messages: Vec<SentMessage>,
    /// A script run on every page after the probe (the mirroring anchor's recorder).
    pub after_load: Option<String>,
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
        self.open_with(screen, false).await
    }

    /// Opens a customer's window that keeps every message the snippet sends, whole.
    pub async fn open_recording(&self, screen: super::Screen) -> Result<Customer, String> {
        self.open_with(screen, true).await
    }

    async fn open_with(&self, screen: super::Screen, record: bool) -> Result<Customer, String> {
        let page = self.browser.open_page().await.map_err(|e| e.to_string())?;
        let hook = HOOK.replace("/*RECORD*/false", if record { "true" } else { "false" });
        page.add_script_on_load(&hook).await.map_err(|e| e.to_string())?;
        let (width, height) = screen.size;
        let sized = if screen.phone {
            page.set_phone(width, height, screen.pixel_ratio).await
        } else {
            page.set_viewport(width, height, screen.pixel_ratio).await
        };
        sized.map_err(|e| e.to_string())?;
        Ok(Customer { page, seq: 0, marks: Vec::new(), sends: Vec::new(), messages: Vec::new(), after_load: None })
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
                if let Some(script) = &self.after_load {
                    self.eval(script).await?;
                }
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

    /// Starts co-browsing through the JS API and returns the session ID. A node that says it
    /// is busy (the workload before left it out of breath) is asked again for half a minute.
    pub async fn start_session(&self) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match self.eval("Cobrowse.start().then((s) => s.id)").await {
                Ok(started) => {
                    return started.as_str().map(String::from).ok_or_else(|| format!("Cobrowse.start() gave {started}"))
                }
                Err(e) if e.contains("busy") && tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                Err(e) => return Err(e),
            }
        }
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
        let sends = taken.get("sends").and_then(|m| m.as_array()).cloned().unwrap_or_default();
        self.sends.extend(sends.iter().filter_map(|s| {
            Some(super::stages::Send {
                at: s.get(0)?.as_f64()?,
                bytes: s.get(1)?.as_u64()? as usize,
                seq: s.get(2)?.as_i64()?,
            })
        }));
        let messages = taken.get("messages").and_then(|m| m.as_array()).cloned().unwrap_or_default();
        self.messages.extend(messages.iter().filter_map(|m| {
            let (at, kind, body, seq) = serde_json::from_value::<(f64, String, String, i64)>(m.clone()).ok()?;
            Some(SentMessage { at, kind, body, seq })
        }));
    }

    /// Types `text` through Chromium's input at `per_second` keys a second (`'\n'` is Enter),
    /// each key marked by the probe in the task that changes the page.
    pub async fn type_keys(&self, text: &str, per_second: f64) -> Result<(), String> {
        self.run("markInput()").await?;
        let every = Duration::from_secs_f64(1.0 / per_second);
        let mut next = tokio::time::Instant::now();
        for key in text.chars() {
            self.page.press(key).await.map_err(|e| e.to_string())?;
            next += every;
            tokio::time::sleep_until(next).await;
        }
        Ok(())
    }

    /// Focuses the element `js` evaluates to (a click's worth, without a frame of its own).
    pub async fn focus(&self, js: &str) -> Result<(), String> {
        let focused = self
            .eval(&format!("(() => {{ const e = ({js}); if (!e) return false; e.focus(); return true; }})()"))
            .await?;
        if focused != serde_json::Value::Bool(true) {
            return Err(format!("nothing to focus: {js}"));
        }
        Ok(())
    }

    /// The customer's window, for the screen-sharing anchor.
    pub fn window(&self) -> &ContextPage {
        &self.page
    }
}
