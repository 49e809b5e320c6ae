//! The customer connection's narrow way to the replica: it can send the page's changes and
//! nothing else, and it reads the session's decision whether the page may be shared at all.

use tokio::sync::{mpsc, watch};

use crate::replica::PageData;

/// The page is masked whole by the profile: no page data may leave the customer's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskedWhole;

/// Page data from one customer connection to the session's replica.
#[derive(Debug, Clone)]
pub struct PageFeed {
    data: mpsc::Sender<PageData>,
    /// Whether the page the customer is on is masked whole: the session actor decides and
    /// publishes it before it answers the connection's `page`.
    masked_whole: watch::Receiver<bool>,
}

impl PageFeed {
    pub(super) fn new(data: mpsc::Sender<PageData>, masked_whole: watch::Receiver<bool>) -> PageFeed {
        PageFeed { data, masked_whole }
    }

    /// Whether the page the customer is on is masked whole.
    pub fn masked_whole(&self) -> bool {
        *self.masked_whole.borrow()
    }

    /// Sends validated rrweb events on, in order; waits while the replica lags. Refused for a
    /// page masked whole.
    pub async fn events(&self, json: String) -> Result<(), MaskedWhole> {
        if self.masked_whole() {
            return Err(MaskedWhole);
        }
        let _ = self.data.send(PageData::Events(json)).await;
        Ok(())
    }

    /// The customer's pointer, for `:hover` styles: a nicety, dropped when the replica is busy.
    pub fn hover(&self, x: f64, y: f64) {
        if !self.masked_whole() {
            let _ = self.data.try_send(PageData::Hover { x, y });
        }
    }
}
