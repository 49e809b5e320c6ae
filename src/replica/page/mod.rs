//! One session's replica page: placed on the company's origin through Fetch interception,
//! rebuilt from rrweb events, sized like the customer's window, and screencast for the agent.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chromiumoxide::cdp::browser_protocol::emulation::SetFocusEmulationEnabledParams;
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, EventRequestPaused, FulfillRequestParams, HeaderEntry, RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::inspector;
use chromiumoxide::cdp::browser_protocol::network::ResourceType;
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, EventScreencastFrame, NavigateParams, ScreencastFrameAckParams,
    StartScreencastFormat, StartScreencastParams, StopScreencastParams,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::browser::{ContextPage, ReplicaBrowser};
use super::emulation::Geometry;
use super::frames::{instant_of_wall_clock, publish, Owed, SCREENCAST_DELAY_IF_UNKNOWN};
use super::{Frame, ReplicaError, Window};
use crate::profile::origin_of;
use crate::wire::{AgentAction, ErrorCode, Hidden, Rules, Target};

mod memory;

/// Chromium calls are bounded: a crashed page answers nothing, ever.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What one frame's change did to the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Masked values that arrived unmasked (and were masked before rendering).
    pub defects: u64,
    /// Whether animations are still going, so the page needs ticks to show them.
    pub animating: bool,
    /// What the page outgrew the replica's budget of, if it did (the shell shows a notice).
    pub too_large: Option<super::Oversize>,
    /// How many nodes the page held then.
    pub nodes: u64,
}

/// A live replica page and the tasks that serve it.
pub struct ReplicaPage {
    inner: ContextPage,
    pacer: Arc<super::pacer::FramePacer>,
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
        let (tasks, streaming) = (Vec::new(), false);
        let mut page = ReplicaPage { inner, pacer, origin, window, frame_ratio, tasks, frames, seq, streaming, owed };
        match page.place(url, faults).await {
            Ok(()) => Ok(page),
            Err(e) => {
                page.close(browser).await;
                Err(e)
            }
        }
    }

    async fn place(
        &mut self,
        url: &str,
        (generation, faults): (u64, mpsc::Sender<(u64, String)>),
    ) -> Result<(), ReplicaError> {
        let page = self.inner.page.clone();
        super::emulation::emulate(&page, &self.window, self.frame_ratio).await?;
        // A headless page is never the focused window: without it, focus rings never paint.
        bounded("Emulation.setFocusEmulationEnabled", page.execute(SetFocusEmulationEnabledParams::new(true))).await?;
        // A crashed renderer, or a target closed under us, both need a new page.
        let mut crashes =
            bounded("Inspector.targetCrashed", page.event_listener::<inspector::EventTargetCrashed>()).await?;
        let mut detached = bounded("Inspector.detached", page.event_listener::<inspector::EventDetached>()).await?;
        bounded("Inspector.enable", page.execute(inspector::EnableParams::default())).await?;
        self.tasks.push(super::late::watch(page.clone()).await?);
        // A renderer stuck in a loop (or stopped) answers nothing. A slow machine answers late,
        // and rebuilding a page there would only add work, so only a long silence counts.
        let watched = page.clone();
        self.tasks.push(tokio::spawn(async move {
            let reason = tokio::select! {
                Some(_) = crashes.next() => "the replica page crashed".to_string(),
                Some(d) = detached.next() => format!("the replica page went away ({})", d.reason),
                silence = watchdog(watched) => format!("the replica page does not answer ({silence})"),
            };
            let _ = faults.send((generation, reason)).await;
        }));

        // Frames, while a screencast runs. Chromium captures every frame the page renders, acked
        // or not, so what paces frames is when the session changes the page (see `driver`).
        // The first frame after such a change is acknowledged at once. Any other frame was drawn
        // by the page itself (a video, an animated image, a late font): it pays for itself in
        // the machine's budget before its ack, which is the most holding back can save.
        let mut screencast = bounded("Page.screencastFrame", page.event_listener::<EventScreencastFrame>()).await?;
        let (frames, seq, ack_page, pacer) = (self.frames.clone(), self.seq.clone(), page.clone(), self.pacer.clone());
        let owed = self.owed.clone();
        self.tasks.push(tokio::spawn(async move {
            while let Some(event) = screencast.next().await {
                // Frames arrive tens of milliseconds after their swap (encoding, transport); what
                // a frame shows is decided by the swap time, when Chromium says it.
                let rendered = event.metadata.timestamp.as_ref().map_or_else(
                    || std::time::Instant::now() - SCREENCAST_DELAY_IF_UNKNOWN,
                    |swap| instant_of_wall_clock(*swap.inner()),
                );
                let newest = publish(&frames, &seq, event.data.as_ref(), rendered);
                let asked = owed.settle();
                tracing::trace!(
                    asked,
                    newest,
                    bytes = AsRef::<str>::as_ref(&event.data).len(),
                    age = rendered.elapsed().as_micros() as u64,
                    "screencast frame"
                );
                if !asked {
                    let pixels = event.metadata.device_width * event.metadata.device_height;
                    pacer.take(pixels.max(1.0) as u64).await;
                }
                let _ = ack_page.execute(ScreencastFrameAckParams::new(event.session_id)).await;
            }
        }));

        // Every document this page asks for is answered by us: the main frame gets the shell,
        // any other frame an empty document. The site's own pages and scripts never load, and
        // none of what the customer's events build ever runs: the shell's policy allows only
        // scripts with its nonce (a fresh one per page), the frame rrweb rebuilds the page in
        // inherits that policy, and every other document gets one that allows no script.
        let mut paused = bounded("Fetch.requestPaused", page.event_listener::<EventRequestPaused>()).await?;
        let pattern = RequestPattern::builder()
            .url_pattern("*")
            .resource_type(ResourceType::Document)
            .request_stage(RequestStage::Request)
            .build();
        bounded("Fetch.enable", page.execute(fetch::EnableParams::builder().pattern(pattern).build())).await?;
        let main_frame = bounded("Page.getFrameTree", page.mainframe()).await?;
        let fetch_page = page.clone();
        self.tasks.push(tokio::spawn(async move {
            while let Some(event) = paused.next().await {
                let (body, policy) = if Some(&event.frame_id) == main_frame.as_ref() {
                    let nonce = nonce();
                    (crate::assets::replica_shell(&nonce), format!("script-src 'nonce-{nonce}'; object-src 'none'"))
                } else {
                    ("<!doctype html>".to_string(), "script-src 'none'; object-src 'none'".to_string())
                };
                let mut fulfil = FulfillRequestParams::new(event.request_id.clone(), 200);
                fulfil.response_headers = Some(vec![
                    HeaderEntry::new("Content-Type", "text/html; charset=utf-8"),
                    HeaderEntry::new("Cache-Control", "no-store"),
                    HeaderEntry::new("Content-Security-Policy", policy),
                ]);
                fulfil.body = Some(base64::engine::general_purpose::STANDARD.encode(body).into());
                if let Err(e) = fetch_page.execute(fulfil).await {
                    tracing::warn!(error = %e, "could not answer a replica document request");
                }
            }
        }));
        bounded("Page.navigate", page.execute(NavigateParams::new(url))).await?;
        // The shell announces itself once its scripts ran; poll briefly rather than trusting load events.
        let deadline = tokio::time::Instant::now() + CALL_TIMEOUT;
        loop {
            if self.evaluate("typeof window.__replica === 'object'".to_string()).await? == serde_json::Value::Bool(true)
            {
                return self.tell_display().await;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(ReplicaError::Timeout { what: "replica shell load", seconds: CALL_TIMEOUT.as_secs() });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Device pixels Chromium rasters for a frame of this page: what capturing one costs.
    pub fn pixels(&self) -> u64 {
        let ratio = self.window.display.pixel_ratio;
        let (width, height) = self.window.screen();
        (width as f64 * height as f64 * ratio * ratio) as u64
    }

    /// The origin the page sits on.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    async fn evaluate(&self, expression: String) -> Result<serde_json::Value, ReplicaError> {
        self.evaluate_within(CALL_TIMEOUT, expression).await
    }

    async fn evaluate_within(&self, limit: Duration, expression: String) -> Result<serde_json::Value, ReplicaError> {
        let mut params = EvaluateParams::new(expression);
        params.return_by_value = Some(true);
        // The shell's `add` resolves once the replayer has applied the events.
        params.await_promise = Some(true);
        let result = bounded_by(limit, "Runtime.evaluate", self.inner.page.execute(params)).await?.result;
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
        let pointer = pointer.map_or_else(|| "null".to_string(), |(x, y)| format!("[{x}, {y}]"));
        let events = if events_json.len() > super::pieces::PIECE {
            for piece in super::pieces::pieces(events_json, super::pieces::PIECE) {
                // A JSON string is a JavaScript string literal: nothing in it can run.
                self.evaluate(format!("window.__replica.receive({})", crate::wire::to_text(&piece))).await?;
            }
            "window.__replica.delivered()"
        } else {
            events_json
        };
        self.owed.ask();
        let answer = self.evaluate_within(limit, format!("window.__replica.frame({events}, {pointer})")).await?;
        Ok(Applied {
            defects: answer.get("defects").and_then(|d| d.as_u64()).unwrap_or(0),
            animating: answer.get("animating").and_then(|a| a.as_bool()).unwrap_or(false),
            too_large: answer.get("too_large").and_then(|a| serde_json::from_value(a.clone()).ok()),
            nodes: answer.get("nodes").and_then(|n| n.as_u64()).unwrap_or(0),
        })
    }

    /// Makes Chromium render and send a frame of the page as it is (the settling frame).
    pub async fn nudge(&self) -> Result<(), ReplicaError> {
        self.owed.ask();
        self.evaluate("window.__replica.nudge()".to_string()).await.map(|_| ())
    }

    /// Masks (again) what the profile says, from now on.
    pub async fn set_rules(&self, rules: &Rules) -> Result<(), ReplicaError> {
        self.evaluate(format!("window.__replica.rules({})", crate::wire::to_text(rules))).await.map(|_| ())
    }

    /// Shows a notice instead of the page while the customer is on a page masked whole.
    pub async fn set_private(&self, private: bool) -> Result<(), ReplicaError> {
        self.evaluate(format!("window.__replica.setPrivate({private})")).await.map(|_| ())
    }

    /// What hidden thing, if any, lies at this point of the viewport.
    pub async fn probe(&self, x: f64, y: f64) -> Result<Option<Hidden>, ReplicaError> {
        let found = self.evaluate(format!("window.__replica.probe({x}, {y})")).await?;
        Ok(serde_json::from_value(found).unwrap_or(None))
    }

    /// Hit-tests an agent's action against the profile's write-mode rules.
    pub async fn hit_test(&self, action: &AgentAction) -> Result<Result<Target, ErrorCode>, ReplicaError> {
        let answer = self.evaluate(format!("window.__replica.check({})", crate::wire::to_text(action))).await?;
        #[derive(serde::Deserialize)]
        struct Answer {
            refused: Option<ErrorCode>,
            #[serde(flatten)]
            target: Target,
        }
        let answer: Answer = serde_json::from_value(answer)
            .map_err(|e| ReplicaError::Script(format!("the shell's hit-test answered {e}")))?;
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
        }
        Ok(())
    }

    /// Tells the shell what it does itself: the zoom of the rebuilt page, scrollbars Chromium
    /// does not draw as the customer's browser does, and the part of the page the customer sees.
    async fn tell_display(&self) -> Result<(), ReplicaError> {
        let Geometry { zoom, transform, .. } = Geometry::of(&self.window, self.frame_ratio);
        let display = crate::wire::to_text(&self.window.display);
        let visual = crate::wire::to_text(&self.window.visual);
        self.evaluate(format!("window.__replica.display({display}, {zoom}, {transform}, {visual})")).await.map(|_| ())
    }

    /// Sends a keyframe now, then a frame on every change (see [`ReplicaPage::place`]). Frames
    /// come in device pixels (see [`ReplicaPage::frame_scale`]).
    pub async fn start_stream(&mut self) -> Result<(), ReplicaError> {
        self.streaming = true;
        self.keyframe().await?;
        let geometry = Geometry::of(&self.window, self.frame_ratio);
        let params = StartScreencastParams::builder()
            .format(StartScreencastFormat::Png)
            .max_width(geometry.width as i64)
            .max_height(geometry.height as i64)
            .every_nth_frame(1)
            .build();
        bounded("Page.startScreencast", self.inner.page.execute(params)).await.map(|_| ())
    }

    /// Stops streaming frames.
    pub async fn stop_stream(&mut self) -> Result<(), ReplicaError> {
        self.streaming = false;
        bounded("Page.stopScreencast", self.inner.page.execute(StopScreencastParams::default())).await.map(|_| ())
    }

    /// Renders the viewport now; the screencast's first frame can be stale.
    pub async fn keyframe(&self) -> Result<(), ReplicaError> {
        self.pacer.take(self.pixels()).await;
        let requested = std::time::Instant::now();
        // Fast compression: about a third of the CPU of the default, for a somewhat larger PNG.
        // At the screencast's scale.
        let geometry = Geometry::of(&self.window, self.frame_ratio);
        let clip = chromiumoxide::cdp::browser_protocol::page::Viewport {
            x: 0.0,
            y: 0.0,
            width: geometry.width as f64,
            height: geometry.height as f64,
            scale: 1.0 / geometry.shell_ratio,
        };
        let params = CaptureScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .optimize_for_speed(true)
            .clip(clip)
            .build();
        let shot = bounded("Page.captureScreenshot", self.inner.page.execute(params)).await?;
        publish(&self.frames, &self.seq, shot.result.data.as_ref(), requested);
        Ok(())
    }

    /// Closes the page and its context.
    pub async fn close(self, browser: &ReplicaBrowser) {
        for task in &self.tasks {
            task.abort();
        }
        browser.close_page(self.inner).await;
    }
}

/// A fresh nonce for the shell's scripts: 128 random bits, hex.
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system has randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How often the watchdog asks the page whether it is alive.
const PING_EVERY: Duration = Duration::from_secs(3);
/// A page that has not answered for this long hangs (an idle one answers in well under a
/// millisecond, one on a saturated machine in a few seconds).
const HANG_LIMIT: Duration = Duration::from_secs(10);

/// Returns once the page stops answering: what it said, or that it said nothing in time.
async fn watchdog(page: chromiumoxide::Page) -> String {
    loop {
        tokio::time::sleep(PING_EVERY).await;
        match bounded_by(HANG_LIMIT, "Runtime.evaluate", page.execute(EvaluateParams::new("1"))).await {
            Ok(_) => {}
            Err(e) => return e.to_string(),
        }
    }
}
