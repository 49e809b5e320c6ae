//! How a replica page reproduces the customer's window: its size, pixel ratio, scrollbars and
//! media features, so the page lays out and styles exactly as in the customer's browser, and
//! frames come in the customer's device pixels.
//!
//! Chromium's screencast sends frames in the page's CSS pixels whatever its emulated device
//! scale (measured: a 500x300 page at ratio 2 gives 500x300 frames, scaled down). So the shell
//! page is sized in device pixels, and the frame rrweb rebuilds the page in is scaled up by the
//! customer's ratio on the shell, in one of two ways, as the customer's browser lays pages out
//! (`Display::device_pixel_layout`, measured by the snippet):
//!
//! - A browser on a real HiDPI screen lays the page out in device pixels: line heights and
//!   boxes round to them. So does a CSS `zoom` on the shell, and inside it the page also has
//!   the customer's `devicePixelRatio`, resolution queries and `srcset` picks.
//! - Chromium's device emulation (where phones and tablets are tried) lays the page out in CSS
//!   pixels and scales the result. So does a CSS transform; a zoom there drifted a pixel every
//!   few lines (a phone at ratio 3: 89.7% of a page of text matched, 100% with the transform).
//!   Chromium renders text differently at a device scale of exactly 1 (hinted, glyphs on whole
//!   pixels) than above it, so the shell's own device scale is then a hair above 1
//!   ([`HIDPI_TEXT`]; the screencast's scaling by 1.0001 is invisible: 100% matched).
use chromiumoxide::cdp::browser_protocol::emulation::{
    MediaFeature, SetDeviceMetricsOverrideParams, SetEmulatedMediaParams, SetScrollbarsHiddenParams,
    SetTouchEmulationEnabledParams,
};
use chromiumoxide::Page;

use super::Window;

/// Largest scale of the rebuilt page, and so device pixels per CSS pixel in a frame: a phone at
/// ratio 3 (1170x2532 device pixels) costs what a desktop window at ratio 2 does (2000x1400);
/// above that the rest of the ratio is emulated on the shell. A deployment may choose less
/// (`--agent-pixel-ratio`): at 1 a HiDPI customer's frames come in CSS pixels, still laid out
/// and styled at the customer's ratio (measured with `cobrowse bench --pixel-ratio 2`: scripted
/// browsing p50 148 ms and 0.96 Mbit/s at 2, 41 ms and 0.52 Mbit/s at 1).
pub const MAX_ZOOM: f64 = 3.0;

/// The shell's device scale for a customer above ratio 1 whose frames carry all of it: text is
/// rendered as on a HiDPI screen (see the module's header).
pub const HIDPI_TEXT: f64 = 1.0001;

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
    /// The device scale emulated on the shell: the part of the customer's ratio the frames do
    /// not carry, at least [`HIDPI_TEXT`] for a customer above ratio 1.
    pub shell_ratio: f64,
    /// The scale of the rebuilt page: device pixels per CSS pixel in a frame.
    pub zoom: f64,
    /// Whether the shell scales the rebuilt page with a transform (a layout in CSS pixels)
    /// rather than a CSS zoom (a layout in device pixels).
    pub transform: bool,
}

impl Geometry {
    /// For `window`, with frames at most `max_zoom` device pixels per CSS pixel.
    pub fn of(window: &Window, max_zoom: f64) -> Geometry {
        let ratio = window.display.pixel_ratio;
        let zoom = ratio.min(max_zoom.clamp(1.0, MAX_ZOOM));
        let (width, height) = window.screen();
        let transform = ratio > 1.0 && !window.display.device_pixel_layout;
        Geometry {
            width: (width as f64 * zoom).round().max(1.0) as u32,
            height: (height as f64 * zoom).round().max(1.0) as u32,
            shell_ratio: if transform { (ratio / zoom).max(HIDPI_TEXT) } else { ratio / zoom },
            zoom,
            transform,
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
    fn frames_are_in_the_customers_device_pixels_up_to_three_times_the_css_size() {
        let window = |ratio: f64, device_pixel_layout: bool| Window {
            width: 1000,
            height: 700,
            display: Display { pixel_ratio: ratio, device_pixel_layout, ..Display::default() },
            visual: None,
        };
        // Which layout the customer's browser uses, ratio, most device pixels per CSS pixel
        // allowed: frame size, shell ratio, zoom, whether by a transform.
        let table = [
            // A browser on a real screen: a CSS zoom, the rest of the ratio on the shell.
            (true, 1.0, 3.0, (1000, 700), 1.0, 1.0, false),
            (true, 1.25, 3.0, (1250, 875), 1.0, 1.25, false),
            (true, 2.0, 3.0, (2000, 1400), 1.0, 2.0, false),
            (true, 3.0, 3.0, (3000, 2100), 1.0, 3.0, false),
            (true, 3.0, 2.0, (2000, 1400), 1.5, 2.0, false),
            (true, 0.5, 3.0, (500, 350), 1.0, 0.5, false),
            // Device emulation: a transform, text as at a device scale above 1.
            (false, 1.0, 3.0, (1000, 700), 1.0, 1.0, false),
            (false, 1.25, 3.0, (1250, 875), HIDPI_TEXT, 1.25, true),
            (false, 2.0, 3.0, (2000, 1400), HIDPI_TEXT, 2.0, true),
            (false, 3.0, 3.0, (3000, 2100), HIDPI_TEXT, 3.0, true),
            (false, 3.0, 2.0, (2000, 1400), 1.5, 2.0, true),
            (false, 0.5, 3.0, (500, 350), 1.0, 0.5, false),
            // A deployment that sends CSS pixels: the ratio is all emulated on the shell.
            (true, 2.0, 1.0, (1000, 700), 2.0, 1.0, false),
            (true, 1.5, 1.0, (1000, 700), 1.5, 1.0, false),
            (false, 2.0, 1.0, (1000, 700), 2.0, 1.0, true),
            (true, 1.0, 1.0, (1000, 700), 1.0, 1.0, false),
            (true, 3.0, 1.5, (1500, 1050), 2.0, 1.5, false),
            // Out of range asks are held to 1 to 3.
            (true, 3.0, 9.0, (3000, 2100), 1.0, 3.0, false),
            (true, 2.0, 0.0, (1000, 700), 2.0, 1.0, false),
        ];
        for (device_pixel_layout, ratio, max_zoom, (width, height), shell_ratio, zoom, transform) in table {
            let g = Geometry::of(&window(ratio, device_pixel_layout), max_zoom);
            assert_eq!(
                (g.width, g.height, g.shell_ratio, g.zoom, g.transform),
                (width, height, shell_ratio, zoom, transform),
                "ratio {ratio} at most {max_zoom}, device pixel layout {device_pixel_layout}"
            );
        }
    }

    #[test]
    fn a_phone_gets_frames_of_its_visible_region() {
        let phone = Window {
            width: 980,
            height: 2121,
            display: Display { pixel_ratio: 3.0, device_pixel_layout: false, scrollbar: 0, ..Display::default() },
            visual: Some(crate::wire::VisualViewport {
                left: 0.0,
                top: 0.0,
                width: 980.0,
                height: 2121.0,
                scale: 390.0 / 980.0,
            }),
        };
        let g = Geometry::of(&phone, MAX_ZOOM);
        assert_eq!((g.width, g.height, g.zoom, g.transform), (1170, 2532, 3.0, true));
    }
}
