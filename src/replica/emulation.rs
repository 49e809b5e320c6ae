//! How a replica page reproduces the customer's window: its size, pixel ratio, scrollbars and
//! media features, so the page lays out and styles exactly as in the customer's browser, and
//! frames come in the customer's device pixels.
//!
//! Chromium's screencast sends frames in the page's CSS pixels whatever its emulated device
//! scale (measured: a 500x300 page at ratio 2 gives 500x300 frames, scaled down). So the shell
//! page is sized in device pixels at ratio 1, and the frame rrweb rebuilds the page in is zoomed
//! by the customer's ratio (CSS `zoom` on the shell): inside it the page has the customer's
//! `innerWidth`, `devicePixelRatio`, resolution queries and `srcset` picks, and is rastered at
//! the customer's ratio.

use chromiumoxide::cdp::browser_protocol::emulation::{
    MediaFeature, SetDeviceMetricsOverrideParams, SetEmulatedMediaParams, SetScrollbarsHiddenParams,
    SetTouchEmulationEnabledParams,
};
use chromiumoxide::Page;

use super::Window;

/// Largest zoom of the rebuilt page, and so device pixels per CSS pixel in a frame: a phone at
/// ratio 3 would cost 9 times a desktop's pixels per frame, so above 2 the rest of the ratio is
/// emulated on the shell and frames stay at twice the CSS size. A deployment may choose less
/// (`--agent-pixel-ratio`): at 1 a HiDPI customer's frames come in CSS pixels, still laid out
/// and styled at the customer's ratio (measured with `cobrowse bench --pixel-ratio 2`: scripted
/// browsing p50 148 ms and 0.96 Mbit/s at 2, 41 ms and 0.52 Mbit/s at 1).
pub const MAX_ZOOM: f64 = 2.0;

/// Touch points of an emulated touch screen (phones and tablets report 5 or 10).
const TOUCH_POINTS: i64 = 5;

/// How often the pointer is read back after touch emulation before the replica goes on with
/// what it has, and how long Chromium gets between reads.
const TOUCH_ATTEMPTS: u32 = 10;
const TOUCH_SETTLE: std::time::Duration = std::time::Duration::from_millis(20);

/// The shell page's geometry for a customer's window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// The shell's viewport, and every frame, in device pixels.
    pub width: u32,
    pub height: u32,
    /// The device scale emulated on the shell (1 unless the customer's ratio is above
    /// [`MAX_ZOOM`]).
    pub shell_ratio: f64,
    /// The zoom of the rebuilt page.
    pub zoom: f64,
}

impl Geometry {
    /// For `window`, with frames at most `max_zoom` device pixels per CSS pixel.
    pub fn of(window: &Window, max_zoom: f64) -> Geometry {
        let ratio = window.display.pixel_ratio;
        let zoom = ratio.min(max_zoom.clamp(1.0, MAX_ZOOM));
        Geometry {
            width: (window.width as f64 * zoom).round().max(1.0) as u32,
            height: (window.height as f64 * zoom).round().max(1.0) as u32,
            shell_ratio: ratio / zoom,
            zoom,
        }
    }
}

/// Emulates `window` on the shell page `page` (the zoom itself is the shell's to apply).
pub async fn emulate(page: &Page, window: &Window, max_zoom: f64) -> Result<(), super::ReplicaError> {
    let geometry = Geometry::of(window, max_zoom);
    let display = window.display;
    let metrics =
        SetDeviceMetricsOverrideParams::new(geometry.width as i64, geometry.height as i64, geometry.shell_ratio, false);
    super::page::bounded("Emulation.setDeviceMetricsOverride", page.execute(metrics)).await?;
    let hidden = SetScrollbarsHiddenParams::new(display.scrollbar == 0);
    super::page::bounded("Emulation.setScrollbarsHidden", page.execute(hidden)).await?;
    emulate_touch(page, display.touch).await?;
    // Last: setting the media features makes every frame of the page evaluate its style
    // sheets' media queries again, with the pointer as it is now (see `emulate_touch`).
    let features: Vec<MediaFeature> =
        display.media_features().iter().map(|(name, value)| MediaFeature::new(*name, *value)).collect();
    let media = SetEmulatedMediaParams::builder().features(features).build();
    super::page::bounded("Emulation.setEmulatedMedia", page.execute(media)).await?;
    Ok(())
}

/// Makes a touch screen the page's primary pointer, or a mouse. That is what `pointer: coarse`
/// and `hover: none` ask about; nothing else of touch matters to a page no script of which runs.
///
/// Chromium applies touch emulation asynchronously, and under load the rebuilt page (an
/// iframe of the shell) can keep the old pointer's styles: seen in one run in five on 2 busy
/// cores, the agent kept the touch styles after the customer's keyboard came back, or the box
/// turned but the buttons kept their touch size. So the pointer queries are read back in that
/// frame until they answer as asked, and the caller then has the style sheets evaluated again.
async fn emulate_touch(page: &Page, on: bool) -> Result<(), super::ReplicaError> {
    const QUERY: &str = "(() => { const frame = document.querySelector('iframe'); const w = (frame && frame.contentWindow) || window; return [w.matchMedia('(pointer: coarse)').matches, w.matchMedia('(hover: none)').matches]; })()";
    let mut touch = SetTouchEmulationEnabledParams::new(on);
    touch.max_touch_points = on.then_some(TOUCH_POINTS);
    super::page::bounded("Emulation.setTouchEmulationEnabled", page.execute(touch)).await?;
    for attempt in 1..=TOUCH_ATTEMPTS {
        let answer = super::page::bounded("the pointer queries", page.evaluate(QUERY)).await?;
        let answer = answer.into_value::<[bool; 2]>().ok();
        // Off, `hover` is Chromium's own (headless Chromium answers `hover: none` without touch).
        if matches!(answer, Some([coarse, no_hover]) if coarse == on && (no_hover || !on)) {
            return Ok(());
        }
        tracing::debug!(attempt, touch = on, ?answer, "the replica's pointer has not changed yet");
        tokio::time::sleep(TOUCH_SETTLE).await;
    }
    tracing::warn!(touch = on, "the replica's pointer did not follow touch emulation");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Display;

    #[test]
    fn frames_are_in_the_customers_device_pixels_up_to_twice_the_css_size() {
        let window = |ratio: f64| Window {
            width: 1000,
            height: 700,
            display: Display { pixel_ratio: ratio, ..Display::default() },
        };
        let table = [
            // ratio, most device pixels per CSS pixel allowed, frame size, shell ratio, zoom
            (1.0, 2.0, (1000, 700), 1.0, 1.0),
            (1.25, 2.0, (1250, 875), 1.0, 1.25),
            (2.0, 2.0, (2000, 1400), 1.0, 2.0),
            (3.0, 2.0, (2000, 1400), 1.5, 2.0),
            (0.5, 2.0, (500, 350), 1.0, 0.5),
            // A deployment that sends CSS pixels: the ratio is all emulated on the shell.
            (2.0, 1.0, (1000, 700), 2.0, 1.0),
            (1.5, 1.0, (1000, 700), 1.5, 1.0),
            (1.0, 1.0, (1000, 700), 1.0, 1.0),
            (3.0, 1.5, (1500, 1050), 2.0, 1.5),
            // Out of range asks are held to 1 to 2.
            (3.0, 9.0, (2000, 1400), 1.5, 2.0),
            (2.0, 0.0, (1000, 700), 2.0, 1.0),
        ];
        for (ratio, max_zoom, (width, height), shell_ratio, zoom) in table {
            let g = Geometry::of(&window(ratio), max_zoom);
            assert_eq!(
                (g.width, g.height, g.shell_ratio, g.zoom),
                (width, height, shell_ratio, zoom),
                "ratio {ratio} at most {max_zoom}"
            );
        }
    }
}
