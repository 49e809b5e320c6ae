//! The agent's frames from the page: the screencast started and stopped, and a keyframe
//! captured on demand.

use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, StartScreencastFormat, StartScreencastParams,
    StopScreencastParams,
};

use super::{bounded, ReplicaPage};
use crate::replica::emulation::Geometry;
use crate::replica::frames::{decode, publish};
use crate::replica::ReplicaError;

impl ReplicaPage {
    /// Sends a keyframe now, then a frame on every change (see [`ReplicaPage::place`]). Frames
    /// come in device pixels (see [`ReplicaPage::frame_scale`]).
    pub async fn start_stream(&mut self) -> Result<(), ReplicaError> {
        self.streaming = true;
        if self.draws_on_demand() {
            // Drawn and captured whole now, then after each change (see `super::capture`).
            return self.render(None).await;
        }
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
        if self.draws_on_demand() {
            return Ok(());
        }
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
        match decode(AsRef::<str>::as_ref(&shot.result.data).to_string()).await {
            Some(picture) => {
                publish(&self.frames, &self.seq, std::sync::Arc::new(picture), requested);
            }
            None => tracing::warn!("undecodable keyframe from chromium"),
        }
        Ok(())
    }
}
