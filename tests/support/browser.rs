//! The people in a test: headless Chromium browsers, each with a tab, and what a tab is asked
//! to be (its window, a phone) and to do with pages (load, evaluate, wait, screenshot). What a
//! person does in a tab with mouse, finger and keyboard is in `input.rs`.

use std::path::PathBuf;
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::page::{CaptureScreenshotFormat, CaptureScreenshotParams};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::{Browser, Page};
use serde_json::Value;

use super::bounded;
use super::server::TempDir;
use super::wait::PATIENCE;

/// The Chromium the tests run: `COBROWSE_CHROMIUM`, or `/usr/bin/chromium`.
pub(super) fn chromium() -> PathBuf {
    std::env::var_os("COBROWSE_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into())
}

/// The headless shell the server's replicas run in, as the server's setting says
/// (`COBROWSE_HEADLESS_SHELL`; `off` for none).
pub(super) fn headless_shell() -> Option<PathBuf> {
    match std::env::var("COBROWSE_HEADLESS_SHELL") {
        Ok(off) if off == "off" => None,
        Ok(path) if !path.is_empty() => Some(path.into()),
        _ => Some(cobrowse::replica::browser::HEADLESS_SHELL.into()),
    }
}

/// A headless Chromium playing a person, with one tab open.
pub struct Person {
    browser: Browser,
    tab: Tab,
    process: cobrowse::replica::browser::ChromiumProcess,
    _dir: TempDir,
}

/// One browser tab, and what a person does in it.
pub struct Tab {
    pub page: Page,
}

impl std::ops::Deref for Person {
    type Target = Tab;
    fn deref(&self) -> &Tab {
        &self.tab
    }
}

impl Person {
    pub async fn launch(tag: &str) -> Person {
        Person::launch_with(tag, &[]).await
    }

    /// A person whose Chromium also runs with `flags` (such as `hide-scrollbars`).
    pub async fn launch_with(tag: &str, flags: &[&str]) -> Person {
        let dir = TempDir::new(tag);
        let launched = cobrowse::replica::browser::launch_chromium_with(&chromium(), &dir.0, flags)
            .await
            .expect("chromium launches");
        let page = bounded("new page", launched.browser.new_page("about:blank")).await.unwrap();
        let tab = Tab { page };
        tab.set_window(800, 600).await;
        Person { browser: launched.browser, tab, process: launched.process, _dir: dir }
    }

    /// Opens another tab (its own session storage, so its own co-browse session).
    pub async fn new_tab(&self) -> Tab {
        let page = bounded("new tab", self.browser.new_page("about:blank")).await.unwrap();
        let tab = Tab { page };
        tab.set_window(800, 600).await;
        tab
    }

    pub async fn close(mut self) {
        let _ = bounded("closing chromium", self.browser.close()).await;
        let _ = self.process.wait(std::time::Duration::from_secs(5)).await;
    }
}

impl Tab {
    pub async fn set_window(&self, width: i64, height: i64) {
        use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
        self.page.execute(SetDeviceMetricsOverrideParams::new(width, height, 0.0, false)).await.unwrap();
    }

    /// Makes this tab a phone's or tablet's browser: a `width` x `height` screen in CSS pixels
    /// at `ratio`, mobile layout (the viewport meta tag, overlay scrollbars), a touch screen and
    /// a mobile user agent, as Chromium's device emulation does.
    pub async fn emulate_phone(&self, width: i64, height: i64, ratio: f64) {
        let emulated = cobrowse::replica::browser::emulate_phone(&self.page, width as u32, height as u32, ratio);
        bounded("phone emulation", emulated).await.unwrap();
    }

    /// Makes this tab a desktop browser again ("request desktop site" on a phone): a window of
    /// `width` x `height` at ratio 1, no touch screen, a desktop user agent.
    pub async fn emulate_desktop(&self, width: i64, height: i64) {
        use chromiumoxide::cdp::browser_protocol::emulation::{
            SetTouchEmulationEnabledParams, SetUserAgentOverrideParams, UserAgentMetadata,
        };
        let agent =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        let metadata = UserAgentMetadata::builder()
            .platform("Linux")
            .platform_version("")
            .architecture("x86")
            .model("")
            .mobile(false)
            .build()
            .unwrap();
        let mut ua = SetUserAgentOverrideParams::new(agent);
        ua.user_agent_metadata = Some(metadata);
        bounded("user agent", self.page.execute(ua)).await.unwrap();
        bounded("touch", self.page.execute(SetTouchEmulationEnabledParams::new(false))).await.unwrap();
        self.set_window(width, height).await;
    }

    /// Pinch-zooms the page to `scale` screen pixels per CSS pixel, as a customer's two fingers
    /// do. `Input.synthesizePinchGesture` has no effect in headless Chromium here (measured);
    /// this sets the same page scale the gesture ends at.
    pub async fn pinch_to(&self, scale: f64) {
        use chromiumoxide::cdp::browser_protocol::emulation::SetPageScaleFactorParams;
        bounded("page scale", self.page.execute(SetPageScaleFactorParams::new(scale))).await.unwrap();
    }

    /// Loads `url` and waits for its `load` event. chromiumoxide's own wait for a navigation
    /// now and then never ended although the new page had loaded (1 corpus run in 8 here), so
    /// the old document is marked and the wait is for a new one that is complete.
    pub async fn goto(&self, url: &str) {
        use chromiumoxide::cdp::browser_protocol::page::NavigateParams;
        let what = format!("load {url}");
        self.try_eval("window.__cobrowseTestLeft = true").await;
        let navigated = bounded(&what, self.page.execute(NavigateParams::new(url)))
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .result;
        if let Some(error) = navigated.error_text {
            panic!("{what}: {error}");
        }
        // A fragment of the same page: no new document, no load event.
        if navigated.loader_id.is_none() {
            return;
        }
        let loaded = "!window.__cobrowseTestLeft && document.readyState === 'complete'";
        let waited = tokio::time::timeout(PATIENCE, async {
            while self.try_eval(loaded).await != Some(Value::Bool(true)) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        if waited.is_err() {
            let state = self
                .try_eval("JSON.stringify([location.href, document.readyState, performance.getEntriesByType('resource').filter((r) => !r.responseEnd).map((r) => r.name)])")
                .await;
            panic!("timed out after {PATIENCE:?}: {what} (address, state, unfinished requests: {state:?})");
        }
    }

    /// Evaluates `js` where a page may be between documents: `None` when it could not run.
    async fn try_eval(&self, js: &str) -> Option<Value> {
        let mut params = EvaluateParams::new(js);
        params.return_by_value = Some(true);
        let answer = tokio::time::timeout(Duration::from_secs(2), self.page.execute(params)).await.ok()?.ok()?;
        answer.result.exception_details.is_none().then(|| answer.result.result.value.unwrap_or(Value::Null))
    }

    /// Evaluates `js` (awaiting a promise) and returns its value.
    pub async fn eval(&self, js: &str) -> Value {
        let mut params = EvaluateParams::new(js);
        params.await_promise = Some(true);
        params.return_by_value = Some(true);
        let result = bounded(&format!("evaluate {js}"), self.page.execute(params)).await.unwrap().result;
        if let Some(e) = result.exception_details {
            panic!("{js} raised: {e:?}");
        }
        result.result.value.unwrap_or(Value::Null)
    }

    /// Polls `js` until it returns something truthy; returns that value.
    pub async fn wait_for(&self, what: &str, js: &str) -> Value {
        bounded(what, async {
            loop {
                let v = self.eval(js).await;
                let truthy = !matches!(&v, Value::Null | Value::Bool(false)) && v != 0 && v != "";
                if truthy {
                    return v;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
    }

    /// A PNG of the viewport as a data URL.
    pub async fn screenshot(&self) -> String {
        let params = CaptureScreenshotParams::builder().format(CaptureScreenshotFormat::Png).build();
        let shot = bounded("screenshot", self.page.execute(params)).await.unwrap();
        let data: String = shot.result.data.into();
        format!("data:image/png;base64,{data}")
    }
}
