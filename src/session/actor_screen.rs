//! The session actor's view of what the customer sees: the layout viewport the page is laid
//! out in and, on a phone, the smaller region of it on the screen (`wire::VisualViewport`).
//! The agent's screen is that region; points cross between the two here.

use super::Actor;
use crate::wire::{AgentAction, Point, ToAgent, VisualViewport};

impl Actor {
    /// The customer's page now has this layout viewport and visible region: agents' screens
    /// take its size.
    pub(super) fn see(&mut self, width: u32, height: u32, visual: Option<VisualViewport>) {
        self.viewport = (width, height);
        self.visual = visual;
        let (width, height) = self.screen();
        self.tell_all(ToAgent::Viewport { width, height });
    }

    /// The agent's screen, in the customer's screen CSS pixels.
    pub(super) fn screen(&self) -> (u32, u32) {
        self.visual.map_or(self.viewport, |v| v.screen())
    }

    /// A point on the agent's screen, in the page's viewport.
    pub(super) fn on_page(&self, p: Point) -> Point {
        self.visual.map_or(p, |v| v.to_page(p))
    }

    /// A point in the page's viewport, on the agents' screens.
    pub(super) fn on_screen(&self, p: Point) -> Point {
        self.visual.map_or(p, |v| v.to_screen(p))
    }

    /// An action the agent aimed on their screen, aimed at the page.
    pub(super) fn aimed_at_page(&self, action: AgentAction) -> AgentAction {
        match self.visual {
            Some(v) => v.action_to_page(action),
            None => action,
        }
    }
}
