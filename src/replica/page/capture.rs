//! Frames drawn on demand, in the headless shell under begin-frame control: after each change
//! of the session's the page is drawn once and only what the change repainted is captured (the
//! shell says where, web/replica/damage.js), where a screencast would copy and encode the whole
//! screen for every frame. Measured on this project's 2-core machine: about 11 ms of Chromium's
//! CPU for a small change against 25 ms, and the change on screen in 12 ms against 22. The
//! server keeps the whole picture and pastes each captured part into it.
//!
//! What no change of the session's explains (an image or font arriving late, an animated
//! picture) is found by drawing a frame now and then and asking Chromium whether it had damage;
//! once changes pause, the whole screen is captured again if only parts were, so anything the
//! shell's damage missed is corrected within a fraction of a second; and once the page is
//! quiet, it is captured whole once more, so that no late change a frame's damage failed to
//! tell (one drawn in the same frame as a capture's own damage) outlives a few seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use chromiumoxide::cdp::browser_protocol::headless_experimental::{
    BeginFrameParams, ScreenshotParams, ScreenshotParamsFormat,
};
use chromiumoxide::cdp::browser_protocol::page::{CaptureScreenshotFormat, CaptureScreenshotParams, Viewport};

use super::{bounded, ReplicaPage};
use crate::replica::emulation::Geometry;
use crate::replica::frames::{decode, publish};
use crate::replica::ReplicaError;

/// A damage larger than this share of the screen is captured whole (one call either way).
const WHOLE_SHARE: f64 = 0.5;
/// Frames drawn, at most, for one capture to be taken (it usually takes two or three).
const MAX_DRAWS: u32 = 12;
/// How long a capture may take after its frames were drawn.
const CAPTURE_WITHIN: Duration = Duration::from_secs(5);
/// Between two frames drawn for a capture, the capture gets this long to arrive first.
const CAPTURE_GRACE: Duration = Duration::from_millis(1);

/// The interval each drawn frame announces, in ms: a 60 Hz display's.
const FRAME_INTERVAL_MS: f64 = 1000.0 / 60.0;

/// A rectangle of the screen in device pixels: x, y, width, height.
pub type Area = (u32, u32, u32, u32);

/// The smallest rectangle of whole pixels holding `rects` (CSS pixels of the shell, which are
/// the frame's pixels when it is drawn unscaled), within a `size` screen; `None` when nothing
/// of them is on the screen.
pub fn area_of(rects: &[[f64; 4]], size: (u32, u32)) -> Option<Area> {
    let (width, height) = (size.0 as f64, size.1 as f64);
    let (mut left, mut top, mut right, mut bottom) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &[x, y, w, h] in rects.iter().filter(|r| r.iter().all(|v| v.is_finite()) && r[2] > 0.0 && r[3] > 0.0) {
        left = left.min(x.max(0.0));
        top = top.min(y.max(0.0));
        right = right.max((x + w).min(width));
        bottom = bottom.max((y + h).min(height));
    }
    if right <= left || bottom <= top {
        return None;
    }
    let (x, y) = (left.floor() as u32, top.floor() as u32);
    Some((x, y, right.ceil() as u32 - x, bottom.ceil() as u32 - y))
}

/// Width and height of a base64 PNG, read from its header.
fn png_size(base64_png: &str) -> Option<(u32, u32)> {
    let head = base64::engine::general_purpose::STANDARD.decode(base64_png.get(..32)?).ok()?;
    let field = |at: usize| Some(u32::from_be_bytes(head.get(at..at + 4)?.try_into().ok()?));
    (head.get(12..16)? == b"IHDR").then_some(())?;
    Some((field(16)?, field(20)?))
}

impl ReplicaPage {
    /// Whether this page draws a frame only when asked (the headless shell).
    pub fn draws_on_demand(&self) -> bool {
        self.inner.begin_frames
    }

    /// Draws the page and captures what `damage` says repainted (`None`: the whole screen; no
    /// rectangle on screen: nothing to capture), while an agent watches.
    pub async fn render(&mut self, damage: Option<&[[f64; 4]]>) -> Result<(), ReplicaError> {
        if !self.streaming {
            return Ok(());
        }
        let geometry = Geometry::of(&self.window, self.frame_ratio);
        let size = (geometry.width, geometry.height);
        let unscaled = geometry.shell_ratio == 1.0 && geometry.zoom == 1.0 && !geometry.transform;
        let fits = self.picture.as_ref().is_some_and(|p| p.dimensions() == size);
        let part = match damage {
            Some(rects) if unscaled && fits => match area_of(rects, size) {
                // The change repainted nothing on screen; the settling capture makes sure.
                None => {
                    self.partial = true;
                    return Ok(());
                }
                Some(area) if (area.2 * area.3) as f64 <= WHOLE_SHARE * (size.0 * size.1) as f64 => Some(area),
                Some(_) => None,
            },
            _ => None,
        };
        let rendered = Instant::now();
        tracing::trace!(?part, rects = damage.map(|d| d.len()), area = ?damage.and_then(|r| area_of(r, size)), ?size, picture = ?self.picture.as_ref().map(|p| p.dimensions()), "render");
        let picture = match part {
            Some(area) => {
                let clip = Viewport {
                    x: area.0 as f64,
                    y: area.1 as f64,
                    width: area.2 as f64,
                    height: area.3 as f64,
                    scale: 1.0,
                };
                let Some(captured) = decode(self.capture(clip).await?).await else {
                    return Err(ReplicaError::Script("Chromium captured no picture".into()));
                };
                let mut picture = self.picture.clone().unwrap_or_default();
                image::imageops::replace(Arc::make_mut(&mut picture), &captured, area.0 as i64, area.1 as i64);
                self.partial = true;
                picture
            }
            None => {
                let Some(whole) = decode(self.capture_whole(&geometry).await?).await else {
                    return Err(ReplicaError::Script("Chromium captured no picture".into()));
                };
                self.partial = false;
                Arc::new(whole)
            }
        };
        self.picture = Some(picture.clone());
        publish(&self.frames, &self.seq, picture, rendered);
        self.unconfirmed = true;
        // Chromium's capture damages three frames, and may answer before the third is drawn:
        // drawn now, that one cannot hide a late change from the next look (a look that drew
        // it and ignored its damage missed scrolls and canvases for good: TodoMVC's list, scrolled
        // on a tablet, stayed at 89% of pixels). A second damaged frame is the page's own change.
        if self.begin_frame().await? && self.begin_frame().await? {
            self.partial = true;
        }
        Ok(())
    }

    /// Once changes pause: the whole screen again if only parts were captured since it last
    /// was, or, once the page is `quiet`, if anything was captured since the last such look;
    /// otherwise a frame drawn to learn whether anything repainted on its own.
    pub async fn settle_or_look(&mut self, quiet: bool) -> Result<(), ReplicaError> {
        if !self.streaming {
            return Ok(());
        }
        if quiet && self.unconfirmed {
            self.render(None).await?;
            self.unconfirmed = false;
            return Ok(());
        }
        if self.partial || self.picture.is_none() {
            return self.render(None).await;
        }
        if self.begin_frame().await? {
            return self.render(None).await;
        }
        Ok(())
    }

    /// The whole screen at the frames' scale. Where the shell is unscaled, the frame is drawn
    /// and captured in one call: a `Page.captureScreenshot` changes the page's emulated
    /// viewport and waits for the frames that apply it, three or four drawn where one would
    /// do. The one call holds the shell's drawing turn while Chromium encodes the picture,
    /// and still costs less: measured in turn on this machine, 24 to 29 ms against 33 to 40,
    /// demo scrolling 45 to 49 ms p50 against 53 to 62, the Agency landing page 69 to 72
    /// against 90 to 92 (`cobrowse bench --only scroll --skip joins,anchors,isolation,load`).
    async fn capture_whole(&self, geometry: &Geometry) -> Result<String, ReplicaError> {
        if geometry.shell_ratio == 1.0 {
            match self.draw_and_capture().await? {
                Some(shot) if png_size(&shot) == Some((geometry.width, geometry.height)) => return Ok(shot),
                // Not the frames' size (the shell not yet resized) or no picture: captured at
                // the frames' size instead.
                shot => tracing::debug!(size = ?shot.as_deref().map(png_size), "frame drawn without a usable picture"),
            }
        }
        let clip = Viewport {
            x: 0.0,
            y: 0.0,
            width: geometry.width as f64,
            height: geometry.height as f64,
            scale: 1.0 / geometry.shell_ratio,
        };
        self.capture(clip).await
    }

    /// Draws one frame, in turn with every other page, and captures it whole (base64 PNG).
    async fn draw_and_capture(&self) -> Result<Option<String>, ReplicaError> {
        let _one_at_a_time = self.drawing.lock().await;
        let picture = ScreenshotParams::builder().format(ScreenshotParamsFormat::Png).optimize_for_speed(true).build();
        let params = BeginFrameParams::builder().interval(FRAME_INTERVAL_MS).screenshot(picture).build();
        let asked = Instant::now();
        let drawn = bounded("HeadlessExperimental.beginFrame", self.inner.page.execute(params)).await?.result;
        tracing::trace!(us = asked.elapsed().as_micros() as u64, damage = drawn.has_damage, "frame drawn and captured");
        Ok(drawn.screenshot_data.map(|data| AsRef::<str>::as_ref(&data).to_string()))
    }

    /// Captures `clip`: the capture waits for a frame to be drawn, so frames are drawn until it
    /// comes; then one more, which the capture itself damaged. One clip per capture, one
    /// capture at a time: Chromium takes a clip by changing the page's emulated viewport for a
    /// frame, and two clips asked for at once came back with each other's pixels (a scroll's
    /// uncovered band and its scrollbar, tried in turn instead, took 50 ms against 37 for the
    /// whole screen).
    async fn capture(&self, clip: Viewport) -> Result<String, ReplicaError> {
        let params = CaptureScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .optimize_for_speed(true)
            .from_surface(true)
            .capture_beyond_viewport(false)
            .clip(clip)
            .build();
        let started = Instant::now();
        let shot = self.inner.page.execute(params);
        tokio::pin!(shot);
        // Polled once, the capture is on its way to Chromium before the first frame is asked for.
        if let std::task::Poll::Ready(done) = futures::poll!(shot.as_mut()) {
            return self.captured(done.map(|answer| answer.result)).await;
        }
        for drawn in 0..MAX_DRAWS {
            // Each frame in turn with the other pages': holding the turn for the whole capture
            // would keep them waiting while Chromium encodes this one's picture.
            self.begin_frame().await?;
            if let Ok(done) = tokio::time::timeout(CAPTURE_GRACE, shot.as_mut()).await {
                tracing::trace!(drawn, us = started.elapsed().as_micros() as u64, "captured");
                return self.captured(done.map(|answer| answer.result)).await;
            }
        }
        match tokio::time::timeout(CAPTURE_WITHIN, shot.as_mut()).await {
            Ok(done) => self.captured(done.map(|answer| answer.result)).await,
            Err(_) => Err(ReplicaError::Timeout { what: "Page.captureScreenshot", seconds: CAPTURE_WITHIN.as_secs() }),
        }
    }

    async fn captured(
        &self,
        done: Result<
            chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotReturns,
            chromiumoxide::error::CdpError,
        >,
    ) -> Result<String, ReplicaError> {
        let shot = done.map_err(|e| ReplicaError::Cdp { what: "Page.captureScreenshot", cause: e.to_string() })?;
        Ok(AsRef::<str>::as_ref(&shot.data).to_string())
    }

    /// Draws one frame, in turn with every other page; whether it had damage.
    async fn begin_frame(&self) -> Result<bool, ReplicaError> {
        let _one_at_a_time = self.drawing.lock().await;
        self.draw().await
    }

    /// Draws one frame; the caller holds [`ReplicaPage::drawing`].
    async fn draw(&self) -> Result<bool, ReplicaError> {
        let params = BeginFrameParams::builder().interval(FRAME_INTERVAL_MS).build();
        let asked = Instant::now();
        let drawn = bounded("HeadlessExperimental.beginFrame", self.inner.page.execute(params)).await?.result;
        tracing::trace!(us = asked.elapsed().as_micros() as u64, damage = drawn.has_damage, "begin frame");
        Ok(drawn.has_damage)
    }
}

#[cfg(test)]
mod tests {
    use super::{area_of, png_size};
    use base64::Engine;

    #[test]
    fn a_pictures_size_is_read_from_its_png_header() {
        let mut png = Vec::new();
        image::RgbImage::new(1280, 800).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&png);
        assert_eq!(png_size(&encoded), Some((1280, 800)));
        // Not a PNG, or too short to say: no size, so the picture is not used.
        let jpeg_like = base64::engine::general_purpose::STANDARD.encode([0xffu8; 40]);
        assert_eq!(png_size(&jpeg_like), None);
        assert_eq!(png_size("iVBORw0K"), None);
        assert_eq!(png_size("not base64 at all, not base64 at all!!"), None);
    }

    #[test]
    fn damage_becomes_one_rectangle_of_whole_pixels_on_screen() {
        let size = (1280, 800);
        assert_eq!(area_of(&[[10.5, 20.25, 100.0, 30.0]], size), Some((10, 20, 101, 31)));
        // Two boxes: the rectangle holding both.
        assert_eq!(area_of(&[[0.0, 0.0, 10.0, 10.0], [100.0, 50.0, 10.0, 10.0]], size), Some((0, 0, 110, 60)));
        // Cut to the screen; a box off screen or empty counts for nothing.
        assert_eq!(area_of(&[[-8.0, 790.0, 30.0, 40.0]], size), Some((0, 790, 22, 10)));
        assert_eq!(area_of(&[[10.0, 900.0, 30.0, 40.0]], size), None);
        assert_eq!(area_of(&[[10.0, 10.0, 0.0, 40.0], [f64::NAN, 0.0, 5.0, 5.0]], size), None);
        assert_eq!(area_of(&[], size), None);
    }
}
