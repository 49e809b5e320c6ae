//! A customer's page that outgrows its replica's budget (elements, canvas pictures, heap) is
//! given up for a notice, told once per page, until the customer opens another.

use tokio::time::Instant;

use super::Driver;
use crate::replica::{Oversize, ReplicaReport};

impl Driver {
    /// Tells the session, once per page, that the page is too large for its replica.
    pub(super) fn outgrown(&mut self, why: Oversize, nodes: u64) {
        if self.too_large {
            return;
        }
        self.too_large = true;
        match why {
            Oversize::Nodes => {
                tracing::warn!(session = %self.session, nodes, "the customer's page has more elements than a replica may hold; the agent sees a notice")
            }
            Oversize::Memory => {
                tracing::warn!(session = %self.session, "the customer's page needs more memory than a replica may hold; the agent sees a notice")
            }
        }
        let _ = self.reports.try_send(ReplicaReport::PageTooLarge(why));
    }

    /// `bytes` of events went in: the heaps are looked at once the change's frame is out, or
    /// at once when nobody watches. `Runtime.getHeapUsage` holds the page's renderer: asked
    /// right after a change, it made every look's frame two vsyncs late (glass-to-glass in a
    /// real agent tab, a colour change every 250 ms: 10 of 40 changes at 49-62 ms instead of
    /// 17, against 2 of 40 without the look).
    pub(super) async fn heap_look_after(&mut self, bytes: usize) {
        let waiting = self.heap_look.unwrap_or(0) + bytes;
        if self.schedule.streaming() {
            self.heap_look = Some(waiting);
        } else {
            self.heap_look = None;
            self.check_memory(waiting).await;
        }
    }

    /// A frame went out (or the page settled): the heap look that waited for it, if any.
    pub(super) async fn heap_look_due(&mut self) {
        if let Some(bytes) = self.heap_look.take() {
            self.check_memory(bytes).await;
        }
    }

    /// Looks at the page's heaps when due, after `bytes` of events were applied, and gives the
    /// page up when it holds more than its budget.
    async fn check_memory(&mut self, bytes: usize) {
        if self.too_large || !self.memory.due(Instant::now(), bytes) {
            return;
        }
        let Some(page) = &self.page else { return };
        // A page that cannot say is judged at the next look; its faults are the watchers' to find.
        let Ok(usage) = page.heap_usage().await else { return };
        tracing::debug!(session = %self.session, script = usage.script, dom = usage.dom, buffers = usage.buffers, "replica heap");
        if !self.memory.over(usage) {
            return;
        }
        tracing::warn!(session = %self.session, megabytes = usage.total() >> 20, "replica page over its memory budget");
        if page.give_up(Oversize::Memory).await.is_ok() {
            self.outgrown(Oversize::Memory, 0);
        }
    }
}
