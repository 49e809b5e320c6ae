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
    let features: Vec<MediaFeature> =
        display.media_features().iter().map(|(name, value)| MediaFeature::new(*name, *value)).collect();
    let media = SetEmulatedMediaParams::builder().features(features).build();
    super::page::bounded("Emulation.setEmulatedMedia", page.execute(media)).await?;
    // A touch screen as the primary pointer is what `pointer: coarse` and `hover: none` ask
    // about; nothing else of touch matters to a page no script of which runs.
    let mut touch = SetTouchEmulationEnabledParams::new(display.touch);
    touch.max_touch_points = display.touch.then_some(TOUCH_POINTS);
    super::page::bounded("Emulation.setTouchEmulationEnabled", page.execute(touch)).await?;
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
