//! The driver carrying out the session's orders: the page placed where the customer is, the
//! profile's rules, the whole-page view, and streaming for an agent.

use tokio::time::Instant;

use super::Driver;
use crate::profile::origin_of;
use crate::replica::{Placement, Window};
use crate::wire::Rules;

impl Driver {
    /// Follows the session's newest placement: a new page number is a new page (the same
    /// origin's replica page is kept and resized, another origin's replaced), the same number
    /// a window that changed.
    pub(super) async fn place(&mut self, placement: Option<Placement>) {
        let Some(placement) = placement else { return };
        // What the customer changed before sees the page as it was.
        self.apply_waiting().await;
        let new_page = self.placed.as_ref().is_none_or(|old| old.page != placement.page);
        let private_changed = placement.private != self.private;
        let same_origin = self.page.as_ref().is_some_and(|p| Some(p.origin()) == origin_of(&placement.url).as_deref());
        let window = self.shown(placement.window);
        self.private = placement.private;
        self.placed = Some(placement);
        let outcome = if new_page {
            self.too_large = false;
            self.fresh_page = true;
            match &mut self.page {
                Some(page) if same_origin => match page.set_window(window).await {
                    Ok(()) => page.set_private(self.private).await,
                    Err(e) => Err(e),
                },
                _ => self.open().await,
            }
        } else {
            match self.resize(window).await {
                Ok(()) if private_changed => match &self.page {
                    Some(page) => page.set_private(self.private).await,
                    None => Ok(()),
                },
                outcome => outcome,
            }
        };
        let outcome = match outcome {
            Ok(()) if private_changed => self.render(None).await,
            other => other,
        };
        if let Err(e) = outcome {
            self.failed(e).await;
        }
    }

    pub(super) async fn set_rules(&mut self, rules: Rules) {
        self.apply_waiting().await;
        self.rules = rules;
        let outcome = match &self.page {
            Some(page) => page.set_rules(&self.rules).await,
            None => Ok(()),
        };
        // Masking that changed shows at once, where frames are drawn on demand too.
        let outcome = match outcome {
            Ok(()) => self.render(None).await,
            failed => failed,
        };
        if let Err(e) = outcome {
            self.failed(e).await;
        }
    }

    pub(super) async fn show_whole_page(&mut self, whole: bool) {
        self.apply_waiting().await;
        self.whole_page = whole;
        let outcome = match self.placed.as_ref().map(|p| p.window) {
            Some(window) => self.resize(self.shown(window)).await,
            None => Ok(()),
        };
        if let Err(e) = outcome {
            self.failed(e).await;
        }
    }

    /// Starts or stops rendering frames for an agent.
    pub(super) async fn stream(&mut self, on: bool) {
        if self.schedule.streaming() == on {
            return;
        }
        if on {
            // The page an agent first sees has every change so far.
            self.apply_waiting().await;
        }
        self.schedule.stream(Instant::now(), on);
        if !on {
            // No frame will come for a look that waited for one.
            self.heap_look_due().await;
        }
        let outcome = match self.page.as_mut() {
            Some(page) if on => page.start_stream().await,
            Some(page) => page.stop_stream().await,
            None => Ok(()),
        };
        if let Err(e) = outcome {
            self.failed(e).await;
        }
    }

    /// The customer's window as the agent's screen shows it.
    pub(super) fn shown(&self, window: Window) -> Window {
        if self.whole_page {
            window.whole_page()
        } else {
            window
        }
    }

    pub(super) async fn resize(&mut self, window: Window) -> Result<(), crate::replica::ReplicaError> {
        match self.page.as_mut() {
            Some(page) => page.set_window(window).await,
            None => Ok(()),
        }
    }
}
