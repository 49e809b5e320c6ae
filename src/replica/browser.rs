//! Launches the one Chromium that hosts every replica, keeps its event loop polled, and
//! relaunches it when it dies.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::target::{
    CloseTargetParams, CreateBrowserContextParams, CreateTargetParams, DisposeBrowserContextParams, GetTargetsParams,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;
use tokio::sync::Mutex;

use super::ReplicaError;

/// Flags for a headless Chromium that does not phone home, keeps scrollbars (customers have
/// them, so the layout width must match), and opens no extra windows per context.
pub fn chromium_flags() -> Vec<&'static str> {
    vec![
        "headless=new",
        "no-sandbox",
        "disable-gpu",
        "disable-quic",
        "no-first-run",
        "no-default-browser-check",
        "disable-background-networking",
        "disable-component-update",
        "disable-sync",
        "disable-extensions",
        "disable-default-apps",
        "disable-dev-shm-usage",
        "disable-hang-monitor",
        "disable-popup-blocking",
        "disable-prompt-on-repost",
        "disable-breakpad",
        "disable-client-side-phishing-detection",
        "disable-renderer-backgrounding",
        "disable-background-timer-throttling",
        "disable-backgrounding-occluded-windows",
        "metrics-recording-only",
        "mute-audio",
        "password-store=basic",
        "use-mock-keychain",
        "remote-debugging-port=0",
        "disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,PreloadTopChromeWebUI,Translate,MediaRouter,OptimizationHints",
    ]
}

/// Launches a Chromium with [`chromium_flags`] and its own fresh profile folder, and polls its
/// event loop until it exits. Returns the browser and a flag that turns false when it is gone.
pub async fn launch_chromium(chromium: &Path, profile_dir: &Path) -> Result<(Browser, Arc<AtomicBool>), ReplicaError> {
    launch_chromium_with(chromium, profile_dir, &[]).await
}

/// [`launch_chromium`] with `extra` flags besides [`chromium_flags`] (tests and the benchmark
/// play customers whose browsers differ: overlay scrollbars, another pixel ratio, dark mode).
pub async fn launch_chromium_with(
    chromium: &Path,
    profile_dir: &Path,
    extra: &[&str],
) -> Result<(Browser, Arc<AtomicBool>), ReplicaError> {
    let failed = |cause: String| ReplicaError::Launch { path: chromium.display().to_string(), cause };
    let _ = std::fs::remove_dir_all(profile_dir);
    std::fs::create_dir_all(profile_dir).map_err(|e| failed(e.to_string()))?;
    let config = BrowserConfig::builder()
        .chrome_executable(chromium)
        .disable_default_args()
        .with_head() // the headless flag is in our own list; this keeps the builder from adding hide-scrollbars
        .viewport(None)
        .user_data_dir(profile_dir)
        .launch_timeout(Duration::from_secs(20))
        .request_timeout(Duration::from_secs(10))
        .args(chromium_flags().into_iter().chain(extra.iter().copied()))
        .build()
        .map_err(failed)?;
    let (browser, mut handler) = Browser::launch(config).await.map_err(|e| failed(e.to_string()))?;
    let alive = Arc::new(AtomicBool::new(true));
    let flag = alive.clone();
    tokio::spawn(async move {
        // Chromium speaks a newer protocol than chromiumoxide knows, so some events fail to
        // parse; those are harmless and stopping here would kill every page.
        while let Some(item) = handler.next().await {
            if let Err(e) = item {
                tracing::debug!(error = %e, "chromium event loop");
            }
        }
        flag.store(false, Ordering::SeqCst);
        // Expected at shutdown; after a crash, the next page to open relaunches it (and says so).
        tracing::info!("chromium exited");
    });
    // Headless Chromium opens a default tab that costs memory and nothing else.
    if let Ok(targets) = browser.execute(GetTargetsParams::default()).await {
        for t in targets.result.target_infos.iter().filter(|t| t.r#type == "page") {
            let _ = browser.execute(CloseTargetParams::new(t.target_id.clone())).await;
        }
    }
    Ok((browser, alive))
}

struct Running {
    browser: Browser,
    alive: Arc<AtomicBool>,
}

/// The shared Chromium. Opening a page locks it briefly; pages then work on their own.
pub struct ReplicaBrowser {
    /// The frame budget every page of this browser shares.
    pub pacer: Arc<super::pacer::FramePacer>,
    /// Device pixels per CSS pixel at most in frames (see [`super::emulation::Geometry`]).
    pub frame_ratio: f64,
    chromium: PathBuf,
    profile_dir: PathBuf,
    running: Mutex<Option<Running>>,
}

/// A page in its own incognito context, so sessions share no cookies, storage or renderer.
pub struct ContextPage {
    pub page: Page,
    pub context: chromiumoxide::cdp::browser_protocol::browser::BrowserContextId,
}

impl ContextPage {
    /// Sizes the page's viewport in CSS pixels, on a screen of `pixel_ratio` device pixels to one.
    pub async fn set_viewport(&self, width: u32, height: u32, pixel_ratio: f64) -> Result<(), ReplicaError> {
        let params = SetDeviceMetricsOverrideParams::new(width as i64, height as i64, pixel_ratio, false);
        self.page.execute(params).await.map(|_| ()).map_err(cdp("Emulation.setDeviceMetricsOverride"))
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

static NEXT_BROWSER: AtomicU64 = AtomicU64::new(0);

impl ReplicaBrowser {
    /// A browser that launches on first use (or now, with [`ReplicaBrowser::start`]).
    pub fn new(chromium: PathBuf) -> ReplicaBrowser {
        let n = NEXT_BROWSER.fetch_add(1, Ordering::SeqCst);
        let profile_dir = std::env::temp_dir().join(format!("cobrowse-replica-{}-{n}", std::process::id()));
        let pacer = Arc::new(super::pacer::FramePacer::for_this_machine());
        let frame_ratio = super::emulation::MAX_ZOOM;
        ReplicaBrowser { pacer, frame_ratio, chromium, profile_dir, running: Mutex::new(None) }
    }

    /// Frames at most `ratio` device pixels per CSS pixel (clamped to 1 to [`super::emulation::MAX_ZOOM`]).
    pub fn with_frame_ratio(self, ratio: f64) -> ReplicaBrowser {
        ReplicaBrowser { frame_ratio: ratio.clamp(1.0, super::emulation::MAX_ZOOM), ..self }
    }

    /// Launches Chromium now, so the first session does not wait for it.
    pub async fn start(&self) -> Result<(), ReplicaError> {
        let mut running = self.running.lock().await;
        self.ensure(&mut running).await.map(|_| ())
    }

    async fn ensure<'a>(&self, running: &'a mut Option<Running>) -> Result<&'a Browser, ReplicaError> {
        if running.as_ref().is_some_and(|r| !r.alive.load(Ordering::SeqCst)) {
            tracing::warn!("chromium died; relaunching");
            if let Some(mut old) = running.take() {
                let _ = old.browser.kill().await;
            }
        }
        if running.is_none() {
            let started = std::time::Instant::now();
            let (browser, alive) = launch_chromium(&self.chromium, &self.profile_dir).await?;
            tracing::info!(ms = started.elapsed().as_millis() as u64, "chromium launched");
            *running = Some(Running { browser, alive });
        }
        Ok(&running.as_ref().expect("set above").browser)
    }

    /// Opens a blank page in a new incognito context.
    pub async fn open_page(&self) -> Result<ContextPage, ReplicaError> {
        let mut running = self.running.lock().await;
        let browser = self.ensure(&mut running).await?;
        let cdp = |what| move |e: chromiumoxide::error::CdpError| ReplicaError::Cdp { what, cause: e.to_string() };
        let context = browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .map_err(cdp("Target.createBrowserContext"))?;
        let params = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context.clone())
            .build()
            .map_err(|e| ReplicaError::Cdp { what: "Target.createTarget", cause: e })?;
        match browser.new_page(params).await {
            Ok(page) => Ok(ContextPage { page, context }),
            Err(e) => {
                let _ = browser.execute(DisposeBrowserContextParams::new(context)).await;
                Err(cdp("Target.createTarget")(e))
            }
        }
    }

    /// Closes a page and frees its context (and with it the renderer process).
    pub async fn close_page(&self, page: ContextPage) {
        let target = page.page.target_id().clone();
        let running = self.running.lock().await;
        if let Some(r) = running.as_ref() {
            let close = async {
                let _ = r.browser.execute(CloseTargetParams::new(target)).await;
                let _ = r.browser.execute(DisposeBrowserContextParams::new(page.context)).await;
            };
            if tokio::time::timeout(Duration::from_secs(5), close).await.is_err() {
                tracing::warn!("closing a replica page timed out");
            }
        }
    }

    /// Closes Chromium and waits for it to exit; its profile folder is removed.
    pub async fn shutdown(&self) {
        if let Some(mut r) = self.running.lock().await.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), r.browser.close()).await;
            let _ = tokio::time::timeout(Duration::from_secs(5), r.browser.wait()).await;
            let _ = r.browser.kill().await;
        }
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }

    /// The DevTools address of the running Chromium, for operators' debugging and fault tests.
    pub async fn debugger_url(&self) -> Option<String> {
        self.running.lock().await.as_ref().map(|r| r.browser.websocket_address().clone())
    }

    /// The Chromium process id, for memory figures.
    pub async fn pid(&self) -> Option<u32> {
        let mut running = self.running.lock().await;
        running.as_mut().and_then(|r| r.browser.get_mut_child()).and_then(|c| c.as_mut_inner().id())
    }
}
