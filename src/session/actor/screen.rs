//! The session actor's view of what the customer sees: the layout viewport the page is laid
//! out in and, on a phone, the smaller region of it on the screen (`wire::VisualViewport`).
//! The agent's screen is that region, or on request the whole layout viewport with the region
//! outlined; points cross between the agent's screen and the page here.

use super::Actor;
use crate::replica::{Placement, Window};
use crate::session::PageSeen;
use crate::wire::{AgentAction, Display, Point, ToAgent, VisualViewport};

impl Actor {
    /// The customer opened a page: the replica goes there, masked whole if the profile says so.
    pub(super) fn open_page(&mut self, page: PageSeen) {
        let PageSeen { href, width, height, display, visual } = page;
        self.page_number += 1;
        self.href = Some(href);
        self.display = display;
        self.see(width, height, visual);
        self.decide_masking();
    }

    /// The customer's window changed: the replica's and the agents' screens follow.
    pub(super) fn resize(&mut self, width: u32, height: u32, display: Display, visual: Option<VisualViewport>) {
        self.display = display;
        self.see(width, height, visual);
        self.place_replica();
    }

    /// Decides whether the customer's page is masked whole (for the replica, the customer's
    /// connection and the agents alike), and places the replica accordingly.
    pub(super) fn decide_masking(&mut self) {
        let private = self.href.as_deref().is_some_and(|href| self.setup.profile.masks_page(href));
        self.masked_whole.send_replace(private);
        self.place_replica();
        if private != self.private {
            self.private = private;
            self.tell_all(ToAgent::PrivatePage { private });
        }
    }

    /// Where the replica should be: the customer's page at their window.
    fn place_replica(&self) {
        let Some(url) = self.href.clone() else { return };
        let (width, height) = self.viewport;
        let window = Window { width, height, display: self.display, visual: self.visual };
        let placement = Placement { page: self.page_number, url, window, private: *self.masked_whole.borrow() };
        // A profile edit that changes nothing here does not wake the replica.
        self.setup.replica.placement.send_if_modified(|placed| {
            let changed = placed.as_ref() != Some(&placement);
            if changed {
                *placed = Some(placement);
            }
            changed
        });
    }

    /// The customer's page now has this layout viewport and visible region: agents' screens
    /// take its size.
    fn see(&mut self, width: u32, height: u32, visual: Option<VisualViewport>) {
        self.viewport = (width, height);
        self.visual = visual;
        self.tell_all(self.viewport_message());
    }

    /// The agent asked for the whole layout viewport, or for what the customer sees again.
    pub(super) fn view_whole_page(&mut self, whole: bool) {
        if whole == self.whole_page {
            return;
        }
        self.whole_page = whole;
        // The replica's frames follow (see `replica::driver`).
        self.setup.replica.whole_page.send_replace(whole);
        self.tell_all(self.viewport_message());
    }

    /// What the agents' screens show: the customer's visible region, or the whole layout
    /// viewport when asked for and the region is only part of it.
    fn shown(&self) -> Option<VisualViewport> {
        match self.visual {
            Some(v) if self.whole_page && v.is_part_of(self.viewport) => Some(v.whole_page(self.viewport)),
            other => other,
        }
    }

    /// The agents' screen size, whether the customer sees only part of the page, and in the
    /// whole-page view where.
    pub(super) fn viewport_message(&self) -> ToAgent {
        let (width, height) = self.screen();
        let partial = self.visual.is_some_and(|v| v.is_part_of(self.viewport));
        let outline = match (self.visual, self.shown()) {
            (Some(seen), Some(shown)) if seen != shown => Some(seen.outline_on(&shown)),
            _ => None,
        };
        ToAgent::Viewport { width, height, partial, outline }
    }

    /// The agent's screen, in the customer's screen CSS pixels.
    pub(super) fn screen(&self) -> (u32, u32) {
        self.shown().map_or(self.viewport, |v| v.screen())
    }

    /// A point on the agent's screen, in the page's viewport.
    pub(super) fn on_page(&self, p: Point) -> Point {
        self.shown().map_or(p, |v| v.to_page(p))
    }

    /// A point in the page's viewport, on the agents' screens.
    pub(super) fn on_screen(&self, p: Point) -> Point {
        self.shown().map_or(p, |v| v.to_screen(p))
    }

    /// An action the agent aimed on their screen, aimed at the page.
    pub(super) fn aimed_at_page(&self, action: AgentAction) -> AgentAction {
        match self.shown() {
            Some(v) => v.action_to_page(action),
            None => action,
        }
    }
}
