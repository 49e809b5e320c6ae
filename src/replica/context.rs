//! A page in an incognito context of its own, as the replicas, the tests and the benchmark
//! open them: sized, loaded, clicked and read through Chromium's protocol.

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::Page;

use super::ReplicaError;

/// A page in its own incognito context, so sessions share no cookies, storage or renderer.
pub struct ContextPage {
    pub page: Page,
    pub context: chromiumoxide::cdp::browser_protocol::browser::BrowserContextId,
    /// Whether the page draws a frame only when asked (see [`super::browser::HEADLESS_SHELL`]).
    pub begin_frames: bool,
    /// Held while the page draws a frame, by it or another page of its process (see
    /// [`super::browser::ReplicaBrowser`]).
    pub drawing: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Which of the browser's processes hosts it.
    pub process: usize,
}

impl ContextPage {
    /// Sizes the page's viewport in CSS pixels, on a screen of `pixel_ratio` device pixels to one.
    pub async fn set_viewport(&self, width: u32, height: u32, pixel_ratio: f64) -> Result<(), ReplicaError> {
        let params = SetDeviceMetricsOverrideParams::new(width as i64, height as i64, pixel_ratio, false);
        self.page.execute(params).await.map(|_| ()).map_err(cdp("Emulation.setDeviceMetricsOverride"))
    }

    /// Makes the page a phone's browser (see [`emulate_phone`]).
    pub async fn set_phone(&self, width: u32, height: u32, pixel_ratio: f64) -> Result<(), ReplicaError> {
        emulate_phone(&self.page, width, height, pixel_ratio).await
    }

    /// Loads `url` and waits for its load event, at most `limit`.
    /// A person's (trusted) left click at a point of the viewport.
    pub async fn click(&self, x: f64, y: f64) -> Result<(), ReplicaError> {
        use chromiumoxide::cdp::browser_protocol::input::{
            DispatchMouseEventParams, DispatchMouseEventType, MouseButton,
        };
        for kind in [DispatchMouseEventType::MousePressed, DispatchMouseEventType::MouseReleased] {
            let mut event = DispatchMouseEventParams::new(kind, x, y);
            event.button = Some(MouseButton::Left);
            event.click_count = Some(1);
            self.page.execute(event).await.map_err(cdp("Input.dispatchMouseEvent"))?;
        }
        Ok(())
    }

    pub async fn goto(&self, url: &str, limit: Duration) -> Result<(), ReplicaError> {
        match tokio::time::timeout(limit, self.page.goto(url)).await {
            Ok(loaded) => loaded.map(|_| ()).map_err(cdp("Page.navigate")),
            Err(_) => Err(ReplicaError::Timeout { what: "Page.navigate", seconds: limit.as_secs() }),
        }
    }

    /// Evaluates `expression` in the page, awaiting a promise, and returns its JSON value.
    pub async fn evaluate(&self, expression: &str, limit: Duration) -> Result<serde_json::Value, ReplicaError> {
        let mut params = EvaluateParams::new(expression);
        params.await_promise = Some(true);
        params.return_by_value = Some(true);
        let result = match tokio::time::timeout(limit, self.page.execute(params)).await {
            Ok(answer) => answer.map_err(cdp("Runtime.evaluate"))?.result,
            Err(_) => return Err(ReplicaError::Timeout { what: "Runtime.evaluate", seconds: limit.as_secs() }),
        };
        if let Some(ex) = result.exception_details {
            return Err(ReplicaError::Script(ex.exception.and_then(|o| o.description).unwrap_or(ex.text)));
        }
        Ok(result.result.value.unwrap_or_default())
    }
}

fn cdp(what: &'static str) -> impl Fn(chromiumoxide::error::CdpError) -> ReplicaError {
    move |e| ReplicaError::Cdp { what, cause: e.to_string() }
}

/// Makes `page` a phone's browser: a `width` x `height` screen in CSS pixels at `pixel_ratio`,
/// mobile layout (the viewport tag, overlay scrollbars), a touch screen and a mobile user
/// agent, as Chromium's device emulation does. The bench's and the tests' phone customers.
pub async fn emulate_phone(page: &Page, width: u32, height: u32, pixel_ratio: f64) -> Result<(), ReplicaError> {
    use chromiumoxide::cdp::browser_protocol::emulation::{
        SetTouchEmulationEnabledParams, SetUserAgentOverrideParams, UserAgentMetadata,
    };
    const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36";
    let metadata = UserAgentMetadata::builder()
        .platform("Android")
        .platform_version("14")
        .architecture("")
        .model("Pixel 8")
        .mobile(true)
        .build()
        .map_err(|e| ReplicaError::Script(e.to_string()))?;
    let mut agent = SetUserAgentOverrideParams::new(PHONE);
    agent.user_agent_metadata = Some(metadata);
    page.execute(agent).await.map_err(cdp("Emulation.setUserAgentOverride"))?;
    let metrics = SetDeviceMetricsOverrideParams::new(width as i64, height as i64, pixel_ratio, true);
    page.execute(metrics).await.map_err(cdp("Emulation.setDeviceMetricsOverride"))?;
    let mut touch = SetTouchEmulationEnabledParams::new(true);
    touch.max_touch_points = Some(5);
    page.execute(touch).await.map(|_| ()).map_err(cdp("Emulation.setTouchEmulationEnabled"))
}
