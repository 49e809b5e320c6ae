//! The part of the page a customer actually sees (`window.visualViewport`): on a phone it is
//! smaller than the layout viewport the page is laid out in (a page without a viewport meta tag
//! is laid out 980 px wide and shown zoomed out; pinch zoom and the on-screen keyboard shrink it
//! further). The agent's screen is this region at the customer's zoom, and points on it are
//! mapped to the page's coordinates here, in one place.

use serde::{Deserialize, Serialize};

use super::{AgentAction, Point};

/// Page zoom a browser allows (the viewport meta tag's `minimum-scale` and `maximum-scale`
/// are clamped to this range): a report outside it cannot be true.
pub const SCALE_RANGE: (f64, f64) = (0.1, 10.0);

/// Shortest and longest side of the agent's screen, in screen CSS pixels, whatever a report
/// says (the longest is a replica window's).
pub const SCREEN_SIDE: (f64, f64) = (100.0, 4096.0);

/// The visual viewport, as the snippet reads it: its offset within the layout viewport and its
/// size, in the page's CSS pixels, and the zoom (screen pixels per CSS pixel).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisualViewport {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub scale: f64,
}

impl VisualViewport {
    /// The whole layout viewport at zoom 1: what a desktop browser shows.
    pub fn whole(layout: (u32, u32)) -> VisualViewport {
        VisualViewport { left: 0.0, top: 0.0, width: layout.0 as f64, height: layout.1 as f64, scale: 1.0 }
    }

    /// Within what a browser can show for a layout viewport of `layout` CSS pixels: the zoom in
    /// [`SCALE_RANGE`], the region inside the layout viewport, its screen within [`SCREEN_SIDE`].
    /// Returns the region and, when the report could not be true, what was wrong with it.
    pub fn checked(self, layout: (u32, u32)) -> (VisualViewport, Option<&'static str>) {
        let (lw, lh) = (layout.0 as f64, layout.1 as f64);
        let numbers = [self.left, self.top, self.width, self.height, self.scale].iter().all(|v| v.is_finite());
        if !numbers {
            return (VisualViewport::whole(layout), Some("not numbers"));
        }
        let scale = self.scale.clamp(SCALE_RANGE.0, SCALE_RANGE.1);
        // The agent's screen stays within what a replica renders for a window.
        let (least, most) = (SCREEN_SIDE.0 / scale, SCREEN_SIDE.1 / scale);
        // Browsers report sizes to a fraction of a pixel beyond the layout viewport.
        let width = self.width.clamp(least.min(lw), most.min(lw));
        let height = self.height.clamp(least.min(lh), most.min(lh));
        let left = self.left.clamp(0.0, lw - width);
        let top = self.top.clamp(0.0, lh - height);
        let checked = VisualViewport { left, top, width, height, scale };
        let slack = |a: f64, b: f64| (a - b).abs() <= 1.0;
        let true_report = scale == self.scale
            && slack(width, self.width)
            && slack(height, self.height)
            && slack(left, self.left)
            && slack(top, self.top);
        (checked, (!true_report).then_some("outside the page or the browser's zoom"))
    }

    /// The agent's screen, in the customer's screen CSS pixels: this region at its zoom.
    pub fn screen(&self) -> (u32, u32) {
        let side = |v: f64| ((v * self.scale).round() as u32).max(1);
        (side(self.width), side(self.height))
    }

    /// A point on the agent's screen, in the page's viewport coordinates (`clientX`).
    pub fn to_page(&self, p: Point) -> Point {
        Point { x: p.x / self.scale + self.left, y: p.y / self.scale + self.top }
    }

    /// An action the agent aimed on their screen, aimed at the page: its point mapped, a wheel's
    /// turn in the page's pixels.
    pub fn action_to_page(&self, action: AgentAction) -> AgentAction {
        let at = |x: f64, y: f64| self.to_page(Point { x, y });
        match action {
            AgentAction::Click { x, y } => {
                let p = at(x, y);
                AgentAction::Click { x: p.x, y: p.y }
            }
            AgentAction::DoubleClick { x, y } => {
                let p = at(x, y);
                AgentAction::DoubleClick { x: p.x, y: p.y }
            }
            AgentAction::Scroll { x, y, dx, dy } => {
                let p = at(x, y);
                AgentAction::Scroll { x: p.x, y: p.y, dx: dx / self.scale, dy: dy / self.scale }
            }
            AgentAction::Choose { x, y, index } => {
                let p = at(x, y);
                AgentAction::Choose { x: p.x, y: p.y, index }
            }
            AgentAction::SetValue { x, y, value } => {
                let p = at(x, y);
                AgentAction::SetValue { x: p.x, y: p.y, value }
            }
            other => other,
        }
    }

    /// A point of the page's viewport, on the agent's screen.
    pub fn to_screen(&self, p: Point) -> Point {
        Point { x: (p.x - self.left) * self.scale, y: (p.y - self.top) * self.scale }
    }

    /// Whether this region is only part of a layout viewport of `layout` CSS pixels (a pinched
    /// or keyboard-shrunk phone): only then does a whole-page view show more.
    pub fn is_part_of(&self, layout: (u32, u32)) -> bool {
        self.width < layout.0 as f64 - 1.0 || self.height < layout.1 as f64 - 1.0
    }

    /// The agent's whole-page view of the layout viewport `layout`: all of it, as wide on the
    /// agent's screen as this region (the phone's screen zoomed out to the whole page).
    pub fn whole_page(&self, layout: (u32, u32)) -> VisualViewport {
        let scale = (self.width * self.scale / layout.0.max(1) as f64).clamp(SCALE_RANGE.0, SCALE_RANGE.1);
        let most = SCREEN_SIDE.1 / scale;
        VisualViewport {
            left: 0.0,
            top: 0.0,
            width: (layout.0 as f64).min(most),
            height: (layout.1 as f64).min(most),
            scale,
        }
    }

    /// Where this region lies on the screen of the `view` shown instead (the whole page):
    /// left, top, width and height in the agent's screen CSS pixels.
    pub fn outline_on(&self, view: &VisualViewport) -> [f64; 4] {
        let at = view.to_screen(Point { x: self.left, y: self.top });
        [at.x, at.y, self.width * view.scale, self.height * view.scale]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE_OLD_PAGE: VisualViewport =
        VisualViewport { left: 0.0, top: 0.0, width: 980.0, height: 2121.0, scale: 390.0 / 980.0 };

    #[test]
    fn a_phone_on_a_page_without_a_viewport_tag_shows_the_agent_the_phones_screen() {
        assert_eq!(PHONE_OLD_PAGE.screen(), (390, 844));
        let zoomed = VisualViewport { left: 100.0, top: 300.0, width: 195.0, height: 422.0, scale: 2.0 };
        assert_eq!(zoomed.screen(), (390, 844));
        // The keyboard takes the lower half of the screen.
        let typing = VisualViewport { left: 0.0, top: 0.0, width: 390.0, height: 500.0, scale: 1.0 };
        assert_eq!(typing.screen(), (390, 500));
    }

    #[test]
    fn the_whole_page_view_shows_the_layout_viewport_with_the_visible_region_outlined() {
        let layout = (980, 2121);
        // Pinched in on the old page: the phone shows a 195 x 422 region at zoom 2.
        let pinched = VisualViewport { left: 100.0, top: 300.0, width: 195.0, height: 422.0, scale: 2.0 };
        assert!(pinched.is_part_of(layout));
        let whole = pinched.whole_page(layout);
        // The whole page at the phone's width: the customer's screen zoomed all the way out.
        assert_eq!(whole, PHONE_OLD_PAGE);
        assert_eq!(whole.screen(), (390, 844));
        let [x, y, w, h] = pinched.outline_on(&whole);
        let near = |a: f64, b: f64| (a - b).abs() < 0.01;
        assert!(near(x, 100.0 * 390.0 / 980.0) && near(y, 300.0 * 390.0 / 980.0), "outline at {x}, {y}");
        assert!(near(w, 195.0 * 390.0 / 980.0) && near(h, 422.0 * 390.0 / 980.0), "outline {w} x {h}");
        // Zoomed all the way out the customer sees all of it: nothing more to show.
        assert!(!PHONE_OLD_PAGE.is_part_of(layout));
        // The keyboard up on a responsive page: the region is shorter than the layout viewport.
        let typing = VisualViewport { left: 0.0, top: 0.0, width: 390.0, height: 500.0, scale: 1.0 };
        assert!(typing.is_part_of((390, 844)));
        assert_eq!(typing.whole_page((390, 844)).screen(), (390, 844));
        // A layout viewport taller than a replica's window is cut to what one can show.
        let tall = typing.whole_page((390, 9000));
        assert_eq!(tall.screen(), (390, 4096));
    }

    #[test]
    fn points_map_between_the_agents_screen_and_the_page() {
        let zoomed = VisualViewport { left: 100.0, top: 300.0, width: 195.0, height: 422.0, scale: 2.0 };
        let table = [
            // on the agent's screen, in the page's viewport
            ((0.0, 0.0), (100.0, 300.0)),
            ((390.0, 844.0), (295.0, 722.0)),
            ((50.0, 10.0), (125.0, 305.0)),
        ];
        for ((sx, sy), (px, py)) in table {
            let page = zoomed.to_page(Point { x: sx, y: sy });
            assert_eq!((page.x, page.y), (px, py), "screen ({sx}, {sy})");
            let back = zoomed.to_screen(page);
            assert_eq!((back.x, back.y), (sx, sy));
        }
        let p = PHONE_OLD_PAGE.to_page(Point { x: 195.0, y: 0.0 });
        assert!((p.x - 490.0).abs() < 1e-9);
    }

    #[test]
    fn the_agents_actions_land_where_the_agent_aimed() {
        let zoomed = VisualViewport { left: 100.0, top: 300.0, width: 195.0, height: 422.0, scale: 2.0 };
        let table = [
            (AgentAction::Click { x: 50.0, y: 10.0 }, AgentAction::Click { x: 125.0, y: 305.0 }),
            (AgentAction::DoubleClick { x: 0.0, y: 0.0 }, AgentAction::DoubleClick { x: 100.0, y: 300.0 }),
            (
                AgentAction::Scroll { x: 50.0, y: 10.0, dx: 0.0, dy: 200.0 },
                AgentAction::Scroll { x: 125.0, y: 305.0, dx: 0.0, dy: 100.0 },
            ),
            (AgentAction::Choose { x: 50.0, y: 10.0, index: 3 }, AgentAction::Choose { x: 125.0, y: 305.0, index: 3 }),
            (
                AgentAction::SetValue { x: 50.0, y: 10.0, value: "5".into() },
                AgentAction::SetValue { x: 125.0, y: 305.0, value: "5".into() },
            ),
            (AgentAction::Text { text: "hi".into() }, AgentAction::Text { text: "hi".into() }),
            (AgentAction::Back, AgentAction::Back),
        ];
        for (aimed, lands) in table {
            assert_eq!(zoomed.action_to_page(aimed.clone()), lands, "{aimed:?}");
        }
    }

    #[test]
    fn reports_that_cannot_be_true_are_clamped_and_named() {
        let layout = (980, 2121);
        let (same, wrong) = PHONE_OLD_PAGE.checked(layout);
        assert_eq!((same, wrong), (PHONE_OLD_PAGE, None), "a true report passes unchanged");
        // A fraction of a pixel beyond the layout viewport is how browsers round.
        let rounded = VisualViewport { height: 2121.4, ..PHONE_OLD_PAGE };
        assert_eq!(rounded.checked(layout).1, None);
        let table = [
            // report, what the replica and the agent get
            (
                VisualViewport { width: -5.0, ..PHONE_OLD_PAGE },
                VisualViewport { width: 98000.0 / 390.0, ..PHONE_OLD_PAGE },
            ),
            (
                VisualViewport { scale: 80.0, width: 1.0, height: 3000.0, ..PHONE_OLD_PAGE },
                VisualViewport { scale: 10.0, width: 10.0, height: 409.6, ..PHONE_OLD_PAGE },
            ),
            (
                VisualViewport { left: 5000.0, top: -3.0, width: 200.0, height: 400.0, scale: 2.0 },
                VisualViewport { left: 780.0, top: 0.0, width: 200.0, height: 400.0, scale: 2.0 },
            ),
            (VisualViewport { width: 4000.0, ..PHONE_OLD_PAGE }, PHONE_OLD_PAGE),
            (VisualViewport { scale: f64::NAN, ..PHONE_OLD_PAGE }, VisualViewport::whole(layout)),
        ];
        for (report, used) in table {
            let (checked, wrong) = report.checked(layout);
            assert!(wrong.is_some(), "{report:?} passed as true");
            assert!((checked.width - used.width).abs() < 0.01, "{report:?} gave {checked:?}");
            assert!((checked.height - used.height).abs() < 0.01, "{report:?} gave {checked:?}");
            assert_eq!((checked.left, checked.top, checked.scale), (used.left, used.top, used.scale));
            let (w, h) = checked.screen();
            assert!((100..=4096).contains(&w) && (100..=4096).contains(&h), "{report:?}: a {w}x{h} screen");
        }
    }

    #[test]
    fn the_snippet_reports_every_field_and_no_other() {
        let keys = crate::wire::snippet_report_keys("visual");
        assert_eq!(keys, ["height", "left", "scale", "top", "width"]);
    }
}
