//! One session's replica page: placed on the company's origin through Fetch interception,
//! rebuilt from rrweb events, sized like the customer's window, and screencast for the agent.

use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::browser::{ContextPage, ReplicaBrowser};
use super::emulation::Geometry;
use super::frames::Owed;
use super::{Frame, ReplicaError, Window};
use crate::profile::origin_of;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::wire::{AgentAction, ErrorCode, Hidden, Rules, Target};

mod capture;
mod memory;
mod place;
mod shell;
mod stream;
pub use shell::Applied;
use shell::{Method, ShellCall};

/// Chromium calls are bounded: a crashed page answers nothing, ever.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A live replica page and the tasks that serve it.
pub struct ReplicaPage {
    inner: ContextPage,
    pacer: Arc<super::pacer::FramePacer>,
    /// Held while this page draws a frame (see [`ReplicaBrowser::drawing`]).
    drawing: Arc<tokio::sync::Mutex<()>>,
    origin: String,
    /// The customer's window as the page now reproduces it.
    window: Window,
    /// Device pixels per CSS pixel at most in frames (the deployment's choice).
    frame_ratio: f64,
    tasks: Vec<JoinHandle<()>>,
    frames: watch::Sender<Option<Frame>>,
    seq: Arc<std::sync::atomic::AtomicU64>,
    /// Whether the screencast runs.
    streaming: bool,
    /// Frames the session's changes asked for (and paid for) and have not had yet: a frame
    /// while none is owed was drawn by the page itself.
    owed: Owed,
    /// When the page last answered a call (the watchdog pings only a silent page).
    heard: Arc<place::Heard>,
    /// The whole screen as last captured, where frames are drawn on demand (see [`capture`]).
    picture: Option<Arc<image::RgbImage>>,
    /// Whether the picture may hold only part of what changed: parts of the screen were
    /// captured since the whole of it was, or the page changed again after a capture.
    partial: bool,
    /// Whether anything was captured since the page, quiet, was last captured whole.
    unconfirmed: bool,
}

pub(super) async fn bounded<T>(
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, chromiumoxide::error::CdpError>>,
) -> Result<T, ReplicaError> {
    bounded_by(CALL_TIMEOUT, what, fut).await
}

async fn bounded_by<T>(
    limit: Duration,
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, chromiumoxide::error::CdpError>>,
) -> Result<T, ReplicaError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ReplicaError::Cdp { what, cause: e.to_string() }),
        Err(_) => Err(ReplicaError::Timeout { what, seconds: limit.as_secs() }),
    }
}

impl ReplicaPage {
    /// Opens a page, answers its navigation to `url` with the replica shell, and waits until the
    /// shell is ready for events. `faults` hears (with this page's generation) when the page
    /// crashes, goes away or stops answering.
    pub async fn open(
        browser: &ReplicaBrowser,
        url: &str,
        window: Window,
        frames: watch::Sender<Option<Frame>>,
        seq: Arc<std::sync::atomic::AtomicU64>,
        faults: (u64, mpsc::Sender<(u64, String)>),
    ) -> Result<ReplicaPage, ReplicaError> {
        let origin = origin_of(url).ok_or(ReplicaError::Script(format!("not an http(s) URL: {url}")))?;
        let inner = browser.open_page().await?;
        let (pacer, frame_ratio, owed) = (browser.pacer.clone(), browser.frame_ratio, Owed::default());
        let drawing = inner.drawing.clone();
        let (tasks, streaming) = (Vec::new(), false);
        let heard = Arc::new(place::Heard::new());
        let (picture, partial, unconfirmed) = (None, false, false);
        let mut page = ReplicaPage {
            inner,
            pacer,
            drawing,
            origin,
            window,
            frame_ratio,
            tasks,
            frames,
            seq,
            streaming,
            owed,
            heard,
            picture,
            partial,
            unconfirmed,
        };
        match page.place(url, faults).await {
            Ok(()) => Ok(page),
            Err(e) => {
                page.close(browser).await;
                Err(e)
            }
        }
    }

    /// What a frame of this page costs the machine, as the device pixels a screencast frame of
    /// it captures. A frame drawn on demand captures only its damage, and costs about half a
    /// screencast's for a small change (11 against 25 ms of Chromium's CPU at 1280×800).
    pub fn pixels(&self) -> u64 {
        let ratio = self.window.display.pixel_ratio;
        let (width, height) = self.window.screen();
        let whole = (width as f64 * height as f64 * ratio * ratio) as u64;
        if self.draws_on_demand() {
            whole / 2
        } else {
            whole
        }
    }

    /// The origin the page sits on.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    async fn evaluate(&self, expression: String) -> Result<serde_json::Value, ReplicaError> {
        self.evaluate_within(CALL_TIMEOUT, expression).await
    }

    /// Calls the shell and reads its answer as `T` (an [`IgnoredAny`] where nothing matters
    /// but that it did not raise).
    async fn call<T: DeserializeOwned>(&self, call: ShellCall) -> Result<T, ReplicaError> {
        self.call_within(CALL_TIMEOUT, call).await
    }

    async fn call_within<T: DeserializeOwned>(&self, limit: Duration, call: ShellCall) -> Result<T, ReplicaError> {
        let answer = self.evaluate_within(limit, call.expression()).await?;
        call.answer(answer)
    }

    async fn evaluate_within(&self, limit: Duration, expression: String) -> Result<serde_json::Value, ReplicaError> {
        let mut params = EvaluateParams::new(expression);
        params.return_by_value = Some(true);
        // The shell's `add` resolves once the replayer has applied the events.
        params.await_promise = Some(true);
        let result = bounded_by(limit, "Runtime.evaluate", self.inner.page.execute(params)).await?.result;
        self.heard.now();
        if let Some(ex) = result.exception_details {
            let text = ex.exception.and_then(|o| o.description).unwrap_or(ex.text);
            return Err(ReplicaError::Script(text));
        }
        Ok(result.result.value.unwrap_or_default())
    }

    /// Makes one frame's worth of change: replays a validated JSON array of rrweb events, moves
    /// `:hover` under the customer's pointer, and advances the page's animations to now. A big
    /// snapshot gets longer than the usual call timeout (a second per megabyte more), so a slow
    /// machine is not taken for a hung page.
    pub async fn frame(&self, events_json: &str, pointer: Option<(f64, f64)>) -> Result<Applied, ReplicaError> {
        let limit = CALL_TIMEOUT + Duration::from_secs((events_json.len() / 1_000_000) as u64);
        let in_pieces = events_json.len() > super::pieces::PIECE;
        if in_pieces {
            for piece in super::pieces::pieces(events_json, super::pieces::PIECE) {
                self.call::<IgnoredAny>(ShellCall::new(Method::Receive).arg(&piece)).await?;
            }
        }
        let call = ShellCall::new(Method::Frame)
            .events((!in_pieces).then_some(events_json))
            .arg(&pointer.map(|(x, y)| [x, y]));
        self.owed.ask();
        self.call_within(limit, call).await
    }

    /// Makes Chromium render and send a frame of the page as it is (the settling frame).
    pub async fn nudge(&self) -> Result<(), ReplicaError> {
        self.owed.ask();
        self.call::<IgnoredAny>(ShellCall::new(Method::Nudge)).await.map(|_| ())
    }

    /// Masks (again) what the profile says, from now on.
    pub async fn set_rules(&self, rules: &Rules) -> Result<(), ReplicaError> {
        self.call::<IgnoredAny>(ShellCall::new(Method::Rules).arg(rules)).await.map(|_| ())
    }

    /// Shows a notice instead of the page while the customer is on a page masked whole.
    pub async fn set_private(&self, private: bool) -> Result<(), ReplicaError> {
        self.call::<IgnoredAny>(ShellCall::new(Method::SetPrivate).arg(&private)).await.map(|_| ())
    }

    /// What hidden thing, if any, lies at this point of the viewport.
    pub async fn probe(&self, x: f64, y: f64) -> Result<Option<Hidden>, ReplicaError> {
        self.call(ShellCall::new(Method::Probe).arg(&x).arg(&y)).await
    }

    /// Hit-tests an agent's action against the profile's write-mode rules.
    pub async fn hit_test(&self, action: &AgentAction) -> Result<Result<Target, ErrorCode>, ReplicaError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            refused: Option<ErrorCode>,
            #[serde(flatten)]
            target: Target,
        }
        let answer: Answer = self.call(ShellCall::new(Method::Check).arg(action)).await?;
        Ok(match answer.refused {
            Some(code) => Err(code),
            None => Ok(Target { control: answer.target.control.map(|c| c.bounded()), ..answer.target }),
        })
    }

    /// Makes the page the customer's window again (see [`super::emulation`]). A stream running
    /// at another size restarts at the new one.
    pub async fn set_window(&mut self, window: Window) -> Result<(), ReplicaError> {
        if window == self.window {
            return Ok(());
        }
        let resized =
            (window.screen(), window.display.pixel_ratio) != (self.window.screen(), self.window.display.pixel_ratio);
        // A pinch or a pan moves only the visible region, many times a second: the shell
        // shows another part of the page, with nothing to emulate again.
        let moved_only = !resized
            && (window.width, window.height, window.display)
                == (self.window.width, self.window.height, self.window.display);
        if !moved_only {
            super::emulation::emulate(&self.inner.page, &window, self.frame_ratio).await?;
        }
        self.window = window;
        self.tell_display().await?;
        if resized && self.streaming {
            self.start_stream().await?;
        } else if self.draws_on_demand() {
            // A pinch or a pan draws nothing by itself here.
            self.render(None).await?;
        }
        Ok(())
    }

    /// Tells the shell what it does itself: the zoom of the rebuilt page, scrollbars Chromium
    /// does not draw as the customer's browser does, and the part of the page the customer sees.
    async fn tell_display(&self) -> Result<(), ReplicaError> {
        let Geometry { zoom, transform, .. } = Geometry::of(&self.window, self.frame_ratio);
        let call = ShellCall::new(Method::Display).arg(&self.window.display).arg(&zoom).arg(&transform);
        self.call::<IgnoredAny>(call.arg(&self.window.visual)).await.map(|_| ())
    }

    /// Closes the page and its context.
    pub async fn close(self, browser: &ReplicaBrowser) {
        for task in &self.tasks {
            task.abort();
        }
        browser.close_page(self.inner).await;
    }
}
