//! Real agents: the agent view (`/agent/`) in a Chromium of its own, as a person opens it, with
//! `tab.js` noting when frames arrive on its socket and reading the probe's number off the
//! "Customer screen" canvas right after each frame is drawn. What it measures runs to the
//! pixel on the agent's canvas, through the view's own decoding and drawing.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::agent::FrameSeen;
use crate::replica::browser::ContextPage;
use crate::replica::ReplicaBrowser;

const TAB_JS: &str = include_str!("tab.js");
/// The agent's window: room for a 1280×800 customer screen beside the toolbar.
const WINDOW: (u32, u32) = (1600, 1000);

/// The agents' Chromium, apart from the customers' and the server's.
pub struct AgentBrowser {
    browser: ReplicaBrowser,
}

impl AgentBrowser {
    pub async fn launch(chromium: &Path) -> Result<AgentBrowser, String> {
        let browser = ReplicaBrowser::new(chromium.to_path_buf());
        browser.start().await.map_err(|e| format!("cannot launch the agents' Chromium: {e}"))?;
        Ok(AgentBrowser { browser })
    }

    /// Opens a window of its own (an incognito context) with `script` added to every document.
    pub(super) async fn open(&self, script: &str) -> Result<ContextPage, String> {
        let page = self.browser.open_page().await.map_err(|e| e.to_string())?;
        page.set_viewport(WINDOW.0, WINDOW.1, 1.0).await.map_err(|e| e.to_string())?;
        page.add_script_on_load(script).await.map_err(|e| e.to_string())?;
        Ok(page)
    }

    pub(super) async fn close(&self, page: ContextPage) {
        self.browser.close_page(page).await;
    }

    pub async fn pid(&self) -> Option<u32> {
        self.browser.pid().await
    }

    pub async fn shutdown(&self) {
        self.browser.shutdown().await;
    }
}

/// What the tab noted since it was last asked.
#[derive(Debug, Default, Deserialize)]
struct Taken {
    #[serde(rename = "joinSent")]
    join_sent: Option<f64>,
    /// (arrival ms, bytes, frame message number from 1, or 0 for a text message)
    arrivals: Vec<(f64, usize, u64)>,
    /// (drawn ms, frames drawn so far, probe number)
    draws: Vec<(f64, u64, Option<u32>)>,
}

/// One frame message as the agent's tab saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TabFrame {
    /// Its number on the socket, from 1 (the server numbers what it sends the same way).
    pub index: u64,
    pub bytes: usize,
    pub arrived: f64,
    /// When it was on the canvas, and the probe's number there then.
    pub drawn: Option<f64>,
    pub seq: Option<u32>,
}

/// An agent view joined to a session.
pub struct AgentTab {
    page: ContextPage,
    pub join_sent: Option<f64>,
    /// Every frame message so far, in order.
    pub frames: Vec<TabFrame>,
    /// Every text message so far: (arrival ms, bytes).
    pub texts: Vec<(f64, usize)>,
}

impl AgentTab {
    /// Opens the agent view signed in with `token` and joins `session` at once (the
    /// `?session=` address a workspace opens).
    pub async fn join(agents: &AgentBrowser, server: &str, token: &str, session: &str) -> Result<AgentTab, String> {
        let page = agents.open(TAB_JS).await?;
        let url = format!("{server}/agent/?session={session}#token={token}");
        page.goto(&url, Duration::from_secs(30)).await.map_err(|e| format!("the agent view did not load: {e}"))?;
        Ok(AgentTab { page, join_sent: None, frames: Vec::new(), texts: Vec::new() })
    }

    /// Takes what the tab noted into [`AgentTab::frames`].
    pub async fn collect(&mut self) -> Result<(), String> {
        let value = self
            .page
            .evaluate("window.__benchTab.take()", Duration::from_secs(15))
            .await
            .map_err(|e| format!("the agent view cannot be read: {e}"))?;
        let taken: Taken = serde_json::from_value(value).map_err(|e| format!("the agent view's notes: {e}"))?;
        self.join_sent = self.join_sent.or(taken.join_sent);
        for (arrived, bytes, index) in taken.arrivals {
            match index {
                0 => self.texts.push((arrived, bytes)),
                _ => self.frames.push(TabFrame { index, bytes, arrived, drawn: None, seq: None }),
            }
        }
        for (drawn, count, seq) in taken.draws {
            // The view draws every frame, in order: the nth drawn is the nth that arrived.
            if let Some(frame) = self.frames.iter_mut().rev().find(|f| f.index == count) {
                frame.drawn = Some(drawn);
                frame.seq = seq;
            }
        }
        Ok(())
    }

    /// Waits up to `limit` for the first frame on the canvas; returns the milliseconds from
    /// sending `join` to its arrival and to its drawing.
    pub async fn first_drawn(&mut self, limit: Duration) -> Result<(f64, f64), String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            self.collect().await?;
            if let (Some(sent), Some(first)) = (self.join_sent, self.frames.first()) {
                if let Some(drawn) = first.drawn {
                    return Ok((first.arrived - sent, drawn - sent));
                }
            }
            if tokio::time::Instant::now() > deadline {
                let status = self
                    .page
                    .evaluate("document.getElementById('status').textContent", Duration::from_secs(5))
                    .await
                    .unwrap_or_default();
                return Err(format!("the agent view drew no frame within {limit:?} (its status: {status})"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Frames drawn, as the latency measure reads them.
    pub fn seen(&self, from: usize) -> Vec<FrameSeen> {
        self.frames[from.min(self.frames.len())..]
            .iter()
            .filter_map(|f| Some(FrameSeen { at: f.drawn?, seq: f.seq }))
            .collect()
    }

    /// Leaves the session by closing the view.
    pub async fn close(self, agents: &AgentBrowser) {
        agents.close(self.page).await;
    }
}
