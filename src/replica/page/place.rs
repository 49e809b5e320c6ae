//! Putting a new replica page in place: watching it for crashes and hangs, forwarding its
//! screencast frames, answering every document it asks for with the shell (or an empty page),
//! and loading the shell.

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
    EventScreencastFrame, FontFamilies, NavigateParams, ScreencastFrameAckParams, SetFontFamiliesParams,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{bounded, bounded_by, ReplicaPage, CALL_TIMEOUT};
use crate::replica::frames::{decode, instant_of_wall_clock, publish, SCREENCAST_DELAY_IF_UNKNOWN};
use crate::replica::ReplicaError;

impl ReplicaPage {
    /// Sets up a freshly opened page for `url`, in the order the module's comment gives; on an
    /// error [`ReplicaPage::open`] closes the page again, tasks and all.
    pub(super) async fn place(
        &mut self,
        url: &str,
        (generation, faults): (u64, mpsc::Sender<(u64, String)>),
    ) -> Result<(), ReplicaError> {
        let page = self.inner.page.clone();
        crate::replica::emulation::emulate(&page, &self.window, self.frame_ratio).await?;
        // A headless page is never the focused window: without it, focus rings never paint.
        bounded("Emulation.setFocusEmulationEnabled", page.execute(SetFocusEmulationEnabledParams::new(true))).await?;
        if self.inner.begin_frames {
            // The headless shell maps the generic `monospace` family to another font than
            // Chrome does here (Liberation Mono, where Chrome's preference "Monospace" gives
            // DejaVu Sans Mono): a page in monospace laid out a pixel taller per line.
            let families = FontFamilies { fixed: Some("Monospace".into()), ..Default::default() };
            bounded("Page.setFontFamilies", page.execute(SetFontFamiliesParams::new(families))).await?;
        }
        // A crashed renderer, or a target closed under us, both need a new page.
        let mut crashes =
            bounded("Inspector.targetCrashed", page.event_listener::<inspector::EventTargetCrashed>()).await?;
        let mut detached = bounded("Inspector.detached", page.event_listener::<inspector::EventDetached>()).await?;
        bounded("Inspector.enable", page.execute(inspector::EnableParams::default())).await?;
        self.tasks.push(crate::replica::late::watch(page.clone()).await?);
        // A renderer stuck in a loop (or stopped) answers nothing. A slow machine answers late,
        // and rebuilding a page there would only add work, so only a long silence counts.
        let (watched, heard) = (page.clone(), self.heard.clone());
        self.tasks.push(tokio::spawn(async move {
            let reason = tokio::select! {
                Some(_) = crashes.next() => "the replica page crashed".to_string(),
                Some(d) = detached.next() => format!("the replica page went away ({})", d.reason),
                silence = watchdog(watched, heard) => format!("the replica page does not answer ({silence})"),
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
                let bytes = AsRef::<str>::as_ref(&event.data).len();
                let newest = match decode(AsRef::<str>::as_ref(&event.data).to_string()).await {
                    Some(picture) => publish(&frames, &seq, Arc::new(picture), rendered),
                    None => {
                        tracing::warn!(bytes, "undecodable frame from chromium");
                        false
                    }
                };
                let asked = owed.settle();
                tracing::trace!(asked, newest, bytes, age = rendered.elapsed().as_micros() as u64, "screencast frame");
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

/// When the page last showed it is alive: a call its main thread answered. (Not a frame: a
/// renderer stuck in a script loop can still composite one.)
#[derive(Debug)]
pub(super) struct Heard {
    since: tokio::time::Instant,
    /// Milliseconds after `since`.
    at: std::sync::atomic::AtomicU64,
}

impl Heard {
    pub fn new() -> Heard {
        Heard { since: tokio::time::Instant::now(), at: Default::default() }
    }

    /// The page answered just now.
    pub fn now(&self) {
        let ms = self.since.elapsed().as_millis() as u64;
        self.at.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    fn last(&self) -> tokio::time::Instant {
        self.since + Duration::from_millis(self.at.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// Returns once the page stops answering: what it said, or that it said nothing in time. A
/// page that answered a call within [`PING_EVERY`] is not asked: a ping is a call on
/// the renderer's main thread, and one landing right after a change made that change's frame
/// two vsyncs late (in a real agent tab, every twelfth change of one every 250 ms arrived at
/// about 50 ms instead of 17; without the pings none did).
async fn watchdog(page: chromiumoxide::Page, heard: Arc<Heard>) -> String {
    loop {
        tokio::time::sleep_until(heard.last() + PING_EVERY).await;
        if heard.last().elapsed() < PING_EVERY {
            continue;
        }
        match bounded_by(HANG_LIMIT, "Runtime.evaluate", page.execute(EvaluateParams::new("1"))).await {
            Ok(_) => heard.now(),
            Err(e) => return e.to_string(),
        }
    }
}
