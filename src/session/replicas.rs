//! Where sessions get their replicas: the one Chromium that hosts them, behind a handle that
//! keeps the transport free of replica types.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::replica::{ReplicaBrowser, ReplicaHandle, ReplicaReport};
use crate::wire::Rules;

/// The Chromium that hosts every session's replica page.
#[derive(Clone)]
pub struct Replicas {
    browser: Arc<ReplicaBrowser>,
}

impl From<Arc<ReplicaBrowser>> for Replicas {
    fn from(browser: Arc<ReplicaBrowser>) -> Replicas {
        Replicas { browser }
    }
}

impl Replicas {
    /// Starts a session's replica, masking with `rules` from its first page.
    pub(super) fn spawn(&self, session: String, reports: mpsc::Sender<ReplicaReport>, rules: Rules) -> ReplicaHandle {
        crate::replica::spawn(self.browser.clone(), session, reports, rules)
    }

    /// The Chromium itself, for whoever starts the server (and tests that kill it).
    pub fn browser(&self) -> &Arc<ReplicaBrowser> {
        &self.browser
    }

    /// Whether a replica can run on this node at all (Chromium is installed).
    pub fn installed(&self) -> bool {
        self.browser.installed()
    }

    /// Whether the node takes another session: not while its replicas cannot keep the live
    /// ones within the latency budget (see [`crate::replica::admission`]).
    pub fn admits(&self) -> bool {
        self.browser.admits()
    }

    /// Masked values that arrived unmasked from customers' browsers since the server started
    /// (each a defect in a snippet; the replicas masked them before rendering).
    pub fn masking_defects(&self) -> u64 {
        crate::replica::MASKING_DEFECTS.load(Ordering::Relaxed)
    }

    /// Closes Chromium, once every session has ended.
    pub async fn shutdown(&self) {
        self.browser.shutdown().await;
    }
}
