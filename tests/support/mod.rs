//! Test harness: a real server on port-0 listeners (with the demo site and an "outside" site),
//! and real headless Chromium browsers playing the customer and the agent.
//!
//! When a pixel comparison fails, `COBROWSE_DUMP=1` writes both images to
//! `/tmp/cobrowse-dump-{customer,agent}.png`; `COBROWSE_TRACE=1` prints every comparison, and
//! `RUST_LOG=cobrowse=debug` shows the server's side.

#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchMouseEventParams, DispatchMouseEventType, InsertTextParams, MouseButton,
};
use chromiumoxide::cdp::browser_protocol::page::{CaptureScreenshotFormat, CaptureScreenshotParams};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::{Browser, Page};
use cobrowse::profile::ProfileStore;
use cobrowse::replica::ReplicaBrowser;
use cobrowse::server::AppState;
use cobrowse::session::Timings;
use serde_json::Value;
use tokio::net::TcpListener;

mod capture;
pub mod corpus;
pub mod fidelity;
mod write;
#[allow(unused_imports)]
pub use write::{agent_clicks_on, agent_points_at, allow_write_mode};
mod raw_agent;
#[allow(unused_imports)]
pub use capture::SentCapture;
#[allow(unused_imports)]
pub use raw_agent::RawAgent;

/// Every wait in a test is bounded by this.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn chromium() -> PathBuf {
    std::env::var_os("COBROWSE_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into())
}

/// Bounds a future by [`PATIENCE`], failing the test with `what` when it takes longer.
pub async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(PATIENCE, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {PATIENCE:?}: {what}"),
    }
}

/// `Input.dispatchTouchEvent` lifting every finger: chromiumoxide leaves out an empty list of
/// touch points, which Chromium requires (and refuses as invalid parameters without).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct TouchEnd {
    r#type: &'static str,
    touch_points: Vec<()>,
}

impl Default for TouchEnd {
    fn default() -> Self {
        TouchEnd { r#type: "touchEnd", touch_points: Vec::new() }
    }
}

impl chromiumoxide::types::Method for TouchEnd {
    fn identifier(&self) -> chromiumoxide::types::MethodId {
        "Input.dispatchTouchEvent".into()
    }
}

impl chromiumoxide::types::Command for TouchEnd {
    type Response = chromiumoxide::cdp::browser_protocol::input::DispatchTouchEventReturns;
}

/// A running co-browse server with its demo site and a site outside every profile.
pub struct TestServer {
    /// e.g. `http://127.0.0.1:40123`
    pub server: String,
    /// The demo site (listed in the profile).
    pub demo: String,
    /// The same demo pages on an origin no profile lists.
    pub outside: String,
    /// The pages of `tests/fixtures/` (listed in the profile).
    pub fixtures: String,
    /// The third-party pages of `tests/corpus/` (listed in the profile; see [`corpus`]).
    pub corpus: String,
    pub state: AppState,
    stop: tokio::sync::watch::Sender<bool>,
    /// The server's run loop, which ends after shutdown (sessions ended, audit trail flushed).
    run: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The profiles folder the server reads (and watches for edits).
    pub profiles: TempDir,
    /// The profile's `[site]` section.
    site: String,
}

pub struct TempDir(pub PathBuf);
impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("cobrowse-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every path asked of a fixtures site of this test binary, in order (a replica's requests too).
pub static FIXTURE_REQUESTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Serves `tests/fixtures/` under `/fixtures/`, with `{{COBROWSE}}` replaced by the server and
/// `{{OUTSIDE}}` by a site no profile lists.
async fn serve_fixtures(listener: TcpListener, cobrowse: String, outside: String) {
    use axum::http::{header, StatusCode, Uri};
    use axum::response::IntoResponse;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let (dir, cobrowse, outside) = (dir.clone(), cobrowse.clone(), outside.clone());
        FIXTURE_REQUESTS.lock().unwrap().push(uri.path().to_string());
        async move {
            let name = uri.path().trim_start_matches("/fixtures/");
            if name.contains("..") || name.contains('/') {
                return StatusCode::NOT_FOUND.into_response();
            }
            let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let kind = match name.rsplit('.').next() {
                Some("css") => "text/css",
                Some("svg") => "image/svg+xml",
                Some("js") => "text/javascript",
                _ => "text/html; charset=utf-8",
            };
            let text = text.replace("{{COBROWSE}}", &cobrowse).replace("{{OUTSIDE}}", &outside);
            ([(header::CONTENT_TYPE, kind)], text).into_response()
        }
    });
    let _ = axum::serve(listener, app).await;
}

/// The secret every test server signs tokens with.
pub const TEST_SECRET: &str = "test-secret-not-for-production";

/// A token for `agent` (display name `name`) with `role`, valid for an hour on any test server.
pub fn token_for(agent: &str, name: &str, role: cobrowse::auth::Role) -> String {
    cobrowse::auth::Signer::new(TEST_SECRET).issue(
        agent,
        name,
        role,
        Duration::from_secs(3600),
        std::time::SystemTime::now(),
    )
}

/// The agent view at `server`, with `query` (such as `?session=...`), signed in as agent "a-1".
pub fn agent_page(server: &str, query: &str) -> String {
    format!("{server}/agent/{query}#token={}", token_for("a-1", "Alex Agent", cobrowse::auth::Role::Agent))
}

/// JavaScript that opens `/ws/agent` at `server` (an `http://` URL) signed in as agent "a-1",
/// as the agent view does (the token as an offered subprotocol), for scripted clients in a page.
pub fn agent_socket_js(server: &str) -> String {
    format!(
        "new WebSocket('{}/ws/agent', ['cobrowse', 'cobrowse.token.{}'])",
        server.replacen("http", "ws", 1),
        token_for("a-1", "Alex Agent", cobrowse::auth::Role::Agent)
    )
}

/// An HTTP/1.1 request to `base` (`http://host:port`): the status and the body.
pub async fn http(base: &str, method: &str, path: &str, bearer: Option<&str>) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = bounded("connect", tokio::net::TcpStream::connect(addr)).await.unwrap();
    let auth = bearer.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    bounded("answer", stream.read_to_string(&mut answer)).await.unwrap();
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

pub fn timings() -> Timings {
    Timings {
        waiting_ttl: Duration::from_secs(600),
        grace: Duration::from_secs(120),
        reconnect_window: Duration::from_secs(2),
        write_request_ttl: Duration::from_secs(30),
    }
}

impl TestServer {
    pub async fn start(timings: Timings) -> TestServer {
        TestServer::start_profiled(timings, "").await
    }

    /// A server whose profile for the demo and fixture sites has `rules` after its `[site]`.
    pub async fn start_profiled(timings: Timings, rules: &str) -> TestServer {
        let server = TestServer::start_inner(timings, chromium(), rules, |state| state).await;
        server.state.replicas.browser().start().await.expect("the replica Chromium starts");
        server
    }

    /// A server whose replicas use `replica_chromium` (which need not work), with its state
    /// adjusted by `configure`.
    pub async fn start_with(
        timings: Timings,
        replica_chromium: PathBuf,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestServer {
        TestServer::start_inner(timings, replica_chromium, "", configure).await
    }

    async fn start_inner(
        timings: Timings,
        replica_chromium: PathBuf,
        rules: &str,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestServer {
        // RUST_LOG=cobrowse=debug shows the server's side of a failing test.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let demo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let outside = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fixtures = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fixtures_url = format!("http://{}", fixtures.local_addr().unwrap());
        let corpus = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let corpus_url = format!("http://{}", corpus.local_addr().unwrap());
        let server = format!("http://{}", listener.local_addr().unwrap());
        let demo_url = format!("http://{}", demo.local_addr().unwrap());
        let outside_url = format!("http://{}", outside.local_addr().unwrap());
        let profiles = TempDir::new("profiles");
        let site = format!("[site]\norigins = [\"{demo_url}\", \"{fixtures_url}\", \"{corpus_url}\"]\n");
        std::fs::write(profiles.0.join("demo.toml"), format!("{site}{rules}")).unwrap();
        let state = configure(
            AppState::new(
                ProfileStore::load(&profiles.0).unwrap(),
                Arc::new(ReplicaBrowser::new(replica_chromium)),
                timings,
            )
            .with_secret(TEST_SECRET)
            // The fixtures site (as 127.0.0.1; as localhost it is another origin) is a workspace.
            .with_workspace_origins(vec![fixtures_url.clone()]),
        );
        let (stop, rx) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut rx = rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let run = tokio::spawn(cobrowse::run(listener, stopped(), state.clone()));
        tokio::spawn(cobrowse::demo::serve(demo, server.clone(), stopped()));
        tokio::spawn(cobrowse::demo::serve(outside, server.clone(), stopped()));
        tokio::spawn(serve_fixtures(fixtures, server.clone(), outside_url.clone()));
        tokio::spawn(corpus::serve(corpus, server.clone()));
        TestServer {
            server,
            demo: demo_url,
            outside: outside_url,
            fixtures: fixtures_url,
            corpus: corpus_url,
            state,
            stop,
            run,
            profiles,
            site,
        }
    }

    /// Rewrites the profile, as an admin editing the file would: `[site]` as before, then `rules`.
    pub fn edit_profile(&self, rules: &str) {
        std::fs::write(self.profiles.0.join("demo.toml"), format!("{}{rules}", self.site)).unwrap();
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.state.replicas.browser().shutdown().await;
    }

    /// Stops the server as SIGTERM would and waits until its run loop has finished (every
    /// session ended, the audit trail flushed); its clients must have closed.
    pub async fn stop_and_wait(self) {
        let _ = self.stop.send(true);
        let finished = bounded("server stops", self.run).await;
        assert!(matches!(finished, Ok(Ok(()))), "the server stopped with {finished:?}");
        self.state.replicas.browser().shutdown().await;
    }

    /// A server with the real Chromium whose state is adjusted by `configure`.
    pub async fn start_configured(timings: Timings, configure: impl FnOnce(AppState) -> AppState) -> TestServer {
        let server = TestServer::start_inner(timings, chromium(), "", configure).await;
        server.state.replicas.browser().start().await.expect("the replica Chromium starts");
        server
    }

    /// An HTTP request to this server: the status and the body.
    pub async fn http(&self, method: &str, path: &str, bearer: Option<&str>) -> (u16, String) {
        http(&self.server, method, path, bearer).await
    }
}

/// A headless Chromium playing a person, with one tab open.
pub struct Person {
    pub browser: Browser,
    pub tab: Tab,
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

    /// A real (trusted) mouse click at viewport coordinates.
    pub async fn click(&self, x: f64, y: f64) {
        for kind in [
            DispatchMouseEventType::MouseMoved,
            DispatchMouseEventType::MousePressed,
            DispatchMouseEventType::MouseReleased,
        ] {
            let mut e = DispatchMouseEventParams::new(kind.clone(), x, y);
            if kind != DispatchMouseEventType::MouseMoved {
                e.button = Some(MouseButton::Left);
                e.click_count = Some(1);
            }
            bounded("mouse", self.page.execute(e)).await.unwrap();
        }
    }

    /// Turns the mouse wheel at a point.
    pub async fn wheel(&self, x: f64, y: f64, delta_y: f64) {
        let mut e = DispatchMouseEventParams::new(DispatchMouseEventType::MouseWheel, x, y);
        e.delta_x = Some(0.0);
        e.delta_y = Some(delta_y);
        bounded("wheel", self.page.execute(e)).await.unwrap();
    }

    /// A finger on a touch screen: down at (x, y), moved by `dy` upwards in steps (the page
    /// scrolls down by about as much), lifted. Points as for [`Tab::click`].
    pub async fn swipe(&self, x: f64, y: f64, dy: f64) {
        use chromiumoxide::cdp::browser_protocol::input::{
            DispatchTouchEventParams, DispatchTouchEventType, TouchPoint,
        };
        const STEPS: u32 = 8;
        let touch = |kind: DispatchTouchEventType, points: Vec<TouchPoint>| DispatchTouchEventParams::new(kind, points);
        bounded(
            "touch start",
            self.page.execute(touch(DispatchTouchEventType::TouchStart, vec![TouchPoint::new(x, y)])),
        )
        .await
        .unwrap();
        for i in 1..=STEPS {
            let at = TouchPoint::new(x, y - dy * f64::from(i) / f64::from(STEPS));
            bounded("touch move", self.page.execute(touch(DispatchTouchEventType::TouchMove, vec![at]))).await.unwrap();
        }
        bounded("touch end", self.page.execute(TouchEnd::default())).await.unwrap();
    }

    /// A finger's tap at (x, y) on a touch screen.
    pub async fn tap(&self, x: f64, y: f64) {
        use chromiumoxide::cdp::browser_protocol::input::{
            DispatchTouchEventParams, DispatchTouchEventType, TouchPoint,
        };
        let start = DispatchTouchEventParams::new(DispatchTouchEventType::TouchStart, vec![TouchPoint::new(x, y)]);
        bounded("touch start", self.page.execute(start)).await.unwrap();
        bounded("touch end", self.page.execute(TouchEnd::default())).await.unwrap();
    }

    /// Taps the centre of the element `js` evaluates to, where the screen shows it.
    pub async fn tap_element(&self, js: &str) {
        let rect = self.wait_for(&format!("element {js}"), &format!("(() => {{ const e = {js}; if (!e) return null; e.scrollIntoView({{ block: 'nearest', inline: 'nearest', behavior: 'instant' }}); const r = e.getBoundingClientRect(); const v = visualViewport; return r.width ? [r.x + r.width / 2 - v.offsetLeft, r.y + r.height / 2 - v.offsetTop] : null; }})()")).await;
        self.tap(rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap()).await;
    }

    pub async fn move_mouse(&self, x: f64, y: f64) {
        bounded("mouse", self.page.execute(DispatchMouseEventParams::new(DispatchMouseEventType::MouseMoved, x, y)))
            .await
            .unwrap();
    }

    /// Clicks the centre of the element `js` evaluates to, where the screen shows it. DevTools
    /// takes the point in the page's CSS pixels from the visible region's corner (measured on a
    /// pinch-zoomed phone), which a zoomed phone has moved within the page's viewport.
    pub async fn click_element(&self, js: &str) {
        let rect = self.wait_for(&format!("element {js}"), &format!("(() => {{ const e = {js}; if (!e) return null; e.scrollIntoView({{ block: 'nearest', inline: 'nearest', behavior: 'instant' }}); const r = e.getBoundingClientRect(); const v = visualViewport; return r.width ? [r.x + r.width / 2 - v.offsetLeft, r.y + r.height / 2 - v.offsetTop] : null; }})()")).await;
        self.click(rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap()).await;
    }

    /// Types text into the focused element, as an input method would.
    pub async fn type_text(&self, text: &str) {
        bounded("insert text", self.page.execute(InsertTextParams::new(text))).await.unwrap();
    }

    /// Presses keys as a person on a keyboard does: each character a keydown with its text and
    /// a keyup (what a page's key handlers see, unlike `type_text`).
    pub async fn press_keys(&self, text: &str) {
        use chromiumoxide::cdp::browser_protocol::input::{DispatchKeyEventParams, DispatchKeyEventType};
        for ch in text.chars() {
            let mut down = DispatchKeyEventParams::new(DispatchKeyEventType::KeyDown);
            down.key = Some(ch.to_string());
            down.text = Some(ch.to_string());
            bounded("key down", self.page.execute(down)).await.unwrap();
            let mut up = DispatchKeyEventParams::new(DispatchKeyEventType::KeyUp);
            up.key = Some(ch.to_string());
            bounded("key up", self.page.execute(up)).await.unwrap();
        }
    }

    /// Presses one named key (Enter, Tab, Backspace, ...).
    pub async fn press_key(&self, key: &str) {
        use chromiumoxide::cdp::browser_protocol::input::{DispatchKeyEventParams, DispatchKeyEventType};
        for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
            let down = kind == DispatchKeyEventType::KeyDown;
            let mut event = DispatchKeyEventParams::new(kind);
            event.key = Some(key.to_string());
            event.code = Some(key.to_string());
            // Enter carries its text, so a form field's Enter submits the form as a person's does.
            if key == "Enter" && down {
                event.text = Some("\r".to_string());
            }
            event.windows_virtual_key_code = match key {
                "Enter" => Some(13),
                "Backspace" => Some(8),
                "Tab" => Some(9),
                _ => None,
            };
            bounded("key", self.page.execute(event)).await.unwrap();
        }
    }

    /// A PNG of the viewport as a data URL.
    pub async fn screenshot(&self) -> String {
        let params = CaptureScreenshotParams::builder().format(CaptureScreenshotFormat::Png).build();
        let shot = bounded("screenshot", self.page.execute(params)).await.unwrap();
        let data: String = shot.result.data.into();
        format!("data:image/png;base64,{data}")
    }
}

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

/// Frames the agent has drawn so far.
pub async fn frames(agent: &Tab) -> u64 {
    agent.eval("Number(document.getElementById('screen').dataset.frames || 0)").await.as_u64().unwrap_or(0)
}

/// Waits until the agent has drawn more than `before` frames.
pub async fn wait_for_frame_after(agent: &Tab, before: u64) {
    agent
        .wait_for("a new frame", &format!("Number(document.getElementById('screen').dataset.frames) > {before}"))
        .await;
}

/// Waits until the agent's status line reads `text` exactly.
pub async fn wait_for_status(agent: &Tab, text: &str) {
    agent
        .wait_for(
            &format!("agent status {text:?}"),
            &format!("document.getElementById('status').textContent === {text:?}"),
        )
        .await;
}

/// Waits until the agent's status line starts with `prefix`.
pub async fn wait_for_status_start(agent: &Tab, prefix: &str) {
    agent
        .wait_for(
            &format!("agent status {prefix:?}…"),
            &format!("document.getElementById('status').textContent.startsWith({prefix:?})"),
        )
        .await;
}

/// The agent's status line.
pub async fn agent_status(agent: &Tab) -> String {
    agent.eval("document.getElementById('status').textContent").await.as_str().unwrap_or("").to_string()
}

/// A screenshot (data URL) of the element `js` evaluates to, as a screenshot tool takes one:
/// whatever is drawn over it included, even where it lies beyond the window.
pub async fn element_screenshot(tab: &Tab, js: &str) -> String {
    let rect = tab
        .eval(&format!("(() => {{ const r = {js}.getBoundingClientRect(); return [r.x + scrollX, r.y + scrollY, r.width, r.height]; }})()"))
        .await;
    let r: [f64; 4] = serde_json::from_value(rect).unwrap();
    let clip = chromiumoxide::cdp::browser_protocol::page::Viewport {
        x: r[0],
        y: r[1],
        width: r[2],
        height: r[3],
        scale: 1.0,
    };
    let params = CaptureScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .clip(clip)
        .capture_beyond_viewport(true)
        .build();
    let shot = bounded("element screenshot", tab.page.execute(params)).await.unwrap();
    let data: String = shot.result.data.into();
    format!("data:image/png;base64,{data}")
}

/// Fraction of pixels in `rect` (x, y, w, h) that match between two PNG data URLs, computed in
/// `tab`'s page.
pub async fn images_match(tab: &Tab, a: &str, b: &str, rect: [f64; 4]) -> f64 {
    let js = format!(
        "(async () => {{
            const load = async (src) => {{ const img = new Image(); img.src = src; await img.decode(); const c = document.createElement('canvas'); c.width = img.width; c.height = img.height; const cx = c.getContext('2d'); cx.drawImage(img, 0, 0); return cx; }};
            const [x, y, w, h] = {rect:?}.map(Math.round);
            const a = (await load({a:?})).getImageData(x, y, w, h).data;
            const b = (await load({b:?})).getImageData(x, y, w, h).data;
            let same = 0;
            for (let i = 0; i < a.length; i += 4) {{
                const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
                if (d <= 8) same++;
            }}
            return same / (a.length / 4);
        }})()"
    );
    tab.eval(&js).await.as_f64().unwrap()
}

/// Fraction of pixels in `rect` (x, y, w, h) of the agent's "Customer screen" that match
/// `screenshot` (a data URL of the customer's viewport) within a small tolerance.
pub async fn match_ratio(agent: &Tab, screenshot: &str, rect: [f64; 4]) -> f64 {
    let js = format!(
        "(async () => {{
            const img = new Image(); img.src = {shot:?}; await img.decode();
            const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
            const cx = c.getContext('2d'); cx.drawImage(img, 0, 0);
            const [x, y, w, h] = {rect:?}.map(Math.round);
            const a = cx.getImageData(x, y, w, h).data;
            const b = document.getElementById('screen').getContext('2d').getImageData(x, y, w, h).data;
            let same = 0;
            for (let i = 0; i < a.length; i += 4) {{
                const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
                if (d <= 8) same++;
            }}
            return same / (a.length / 4);
        }})()",
        shot = screenshot,
        rect = rect
    );
    agent.eval(&js).await.as_f64().unwrap()
}

/// Waits until the agent's view of `rect` matches the customer's viewport at least `at_least`;
/// returns the last ratio seen (the test asserts on it).
pub async fn wait_for_match(customer: &Tab, agent: &Tab, rect: [f64; 4], at_least: f64) -> f64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let shot = customer.screenshot().await;
        let ratio = match_ratio(agent, &shot, rect).await;
        if std::env::var_os("COBROWSE_TRACE").is_some() {
            eprintln!("match {ratio:.4} frames {}", frames(agent).await);
        }
        if ratio >= at_least || tokio::time::Instant::now() > deadline {
            if ratio < at_least && std::env::var_os("COBROWSE_DUMP").is_some() {
                let agent_png = agent.eval("document.getElementById('screen').toDataURL('image/png')").await;
                for (name, url) in [("customer", shot.as_str()), ("agent", agent_png.as_str().unwrap_or(""))] {
                    let data = url.split_once(',').map(|(_, d)| d).unwrap_or("");
                    let bytes = base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_default();
                    std::fs::write(format!("/tmp/cobrowse-dump-{name}.png"), bytes).unwrap();
                }
            }
            return ratio;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Browser tests share two cores: one at a time.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A server and two people, a customer and an agent, each in their own browser.
pub struct Cast {
    pub server: TestServer,
    pub customer: Person,
    pub agent: Person,
}

impl Cast {
    pub async fn new(timings: Timings) -> Cast {
        Cast::on(TestServer::start(timings).await).await
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
    pub cast: Cast,
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

/// Installs a hook in the agent's page (before its scripts run) that keeps every WebSocket it
/// opens in `window.__sockets`, so a test can send what the agent view never would.
pub async fn capture_sockets(agent: &Tab) {
    use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
    let hook = "window.__sockets = []; const Real = window.WebSocket; window.WebSocket = class extends Real { constructor(...a) { super(...a); window.__sockets.push(this); this.addEventListener('message', (e) => { if (typeof e.data === 'string') (window.__received = window.__received || []).push(JSON.parse(e.data)); }); } };";
    bounded("add hook", agent.page.execute(AddScriptToEvaluateOnNewDocumentParams::new(hook))).await.unwrap();
}

/// Sends a raw text message on the agent view's socket.
pub async fn agent_sends(agent: &Tab, message: &str) {
    agent.eval(&format!("window.__sockets[window.__sockets.length - 1].send({message:?})")).await;
}

/// Waits for the agent's socket to receive a message of `kind` (with `code`, if given).
pub async fn agent_receives(agent: &Tab, kind: &str, code: Option<&str>) -> serde_json::Value {
    let code = code.map(|c| format!(" && m.code === {c:?}")).unwrap_or_default();
    agent
        .wait_for(
            &format!("agent receives {kind}"),
            &format!("(window.__received || []).find((m) => m.type === {kind:?}{code}) || null"),
        )
        .await
}
