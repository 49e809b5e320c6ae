//! What in the customer's browser shapes a page's layout and styles besides the window's size:
//! the snippet reports it with every page and viewport change, and the replica renders with the
//! same, so the agent's view wraps and styles text exactly as the customer's does.

use serde::{Deserialize, Serialize};

/// Scrollbar width of Chromium, Edge and Firefox on Linux and Windows: what a snippet that says
/// nothing is taken to have.
pub const CLASSIC_SCROLLBAR: u32 = 15;

/// The customer's display, as the snippet measures it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Display {
    /// Width in CSS pixels of a classic scrollbar, 0 where scrollbars overlay the page (macOS
    /// by default, phones and tablets, Chromium with `--hide-scrollbars`): a page taller than
    /// the window is that much narrower.
    pub scrollbar: u32,
    /// Device pixels per CSS pixel, browser zoom included: media queries on resolution,
    /// `srcset` and hairline borders follow it.
    pub pixel_ratio: f64,
    /// Whether the browser lays pages out in device pixels, rounding line heights and boxes to
    /// them (browsers on a real HiDPI screen), rather than in CSS pixels scaled afterwards
    /// (Chromium's device emulation, where phones are tried): the replica lays the page out
    /// the same way (see `replica::emulation`).
    pub device_pixel_layout: bool,
    pub color_scheme: ColorScheme,
    /// `prefers-reduced-motion: reduce`.
    pub reduced_motion: bool,
    pub contrast: Contrast,
    /// `forced-colors: active` (Windows high-contrast themes).
    pub forced_colors: bool,
    /// A touch screen is the primary pointer (`pointer: coarse`, `hover: none`): phones,
    /// tablets without a keyboard; pages show bigger controls and no hover-only content.
    pub touch: bool,
}

impl Default for Display {
    fn default() -> Self {
        Display {
            scrollbar: CLASSIC_SCROLLBAR,
            pixel_ratio: 1.0,
            device_pixel_layout: true,
            color_scheme: ColorScheme::Light,
            reduced_motion: false,
            contrast: Contrast::NoPreference,
            forced_colors: false,
            touch: false,
        }
    }
}

/// `prefers-color-scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ColorScheme {
    #[default]
    Light,
    Dark,
}

/// `prefers-contrast`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Contrast {
    #[default]
    NoPreference,
    More,
    Less,
    Custom,
}

/// Device pixel ratios a replica renders at: below this, or above the other, a report is taken
/// to be wrong (a replica at ratio 4 would raster 16 device pixels per CSS pixel).
pub const PIXEL_RATIO_RANGE: (f64, f64) = (0.25, 3.0);
/// Widest classic scrollbar a replica draws.
pub const WIDEST_SCROLLBAR: u32 = 40;

impl Display {
    /// Within what a replica can render: a ratio that is not a number counts as 1.
    pub fn clamped(self) -> Display {
        let ratio = if self.pixel_ratio.is_finite() { self.pixel_ratio } else { 1.0 };
        Display {
            pixel_ratio: ratio.clamp(PIXEL_RATIO_RANGE.0, PIXEL_RATIO_RANGE.1),
            scrollbar: self.scrollbar.min(WIDEST_SCROLLBAR),
            ..self
        }
    }

    /// The CSS media features a replica emulates, as (name, value) pairs.
    pub fn media_features(&self) -> [(&'static str, &'static str); 4] {
        [
            (
                "prefers-color-scheme",
                match self.color_scheme {
                    ColorScheme::Light => "light",
                    ColorScheme::Dark => "dark",
                },
            ),
            ("prefers-reduced-motion", if self.reduced_motion { "reduce" } else { "no-preference" }),
            (
                "prefers-contrast",
                match self.contrast {
                    Contrast::NoPreference => "no-preference",
                    Contrast::More => "more",
                    Contrast::Less => "less",
                    Contrast::Custom => "custom",
                },
            ),
            ("forced-colors", if self.forced_colors { "active" } else { "none" }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_that_says_nothing_has_a_classic_light_display() {
        let d: Display = serde_json::from_str("{}").unwrap();
        assert_eq!(d, Display::default());
        assert_eq!(d.scrollbar, 15);
        let d: Display =
            serde_json::from_str(r#"{"scrollbar":0,"pixel_ratio":2,"color_scheme":"dark","reduced_motion":true}"#)
                .unwrap();
        assert_eq!((d.scrollbar, d.pixel_ratio, d.color_scheme), (0, 2.0, ColorScheme::Dark));
        assert_eq!(d.media_features()[0], ("prefers-color-scheme", "dark"));
        assert_eq!(d.media_features()[1], ("prefers-reduced-motion", "reduce"));
        assert!(serde_json::from_str::<Display>(r#"{"zoom":2}"#).is_err(), "unknown fields are refused");
    }

    #[test]
    fn the_snippet_reports_every_field_and_no_other() {
        // web/viewport.js builds the report; its keys are this struct's fields.
        let keys = crate::wire::snippet_report_keys("display");
        let fields = serde_json::to_value(Display::default()).unwrap();
        let mut expected: Vec<&str> = fields.as_object().unwrap().keys().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }

    #[test]
    fn reports_out_of_range_are_clamped() {
        let table = [(0.0, 0.25), (1.25, 1.25), (9.0, 3.0), (f64::NAN, 1.0), (f64::INFINITY, 1.0)];
        for (given, used) in table {
            let d = Display { pixel_ratio: given, ..Display::default() }.clamped();
            assert_eq!(d.pixel_ratio, used, "ratio {given}");
        }
        assert_eq!(Display { scrollbar: 500, ..Display::default() }.clamped().scrollbar, 40);
    }
}
