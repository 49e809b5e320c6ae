//! How much heap a replica page holds, and giving a page up that holds too much
//! (see [`crate::replica::memory`]).

use chromiumoxide::cdp::js_protocol::runtime::GetHeapUsageParams;

use serde::de::IgnoredAny;

use super::shell::{Method, ShellCall};
use super::{bounded, ReplicaPage};
use crate::replica::memory::HeapUsage;
use crate::replica::{Oversize, ReplicaError};

impl ReplicaPage {
    /// The page's heaps now, as its renderer counts them.
    pub async fn heap_usage(&self) -> Result<HeapUsage, ReplicaError> {
        let usage = bounded("Runtime.getHeapUsage", self.inner.page.execute(GetHeapUsageParams::default())).await?;
        let bytes = |b: f64| if b.is_finite() && b > 0.0 { b as u64 } else { 0 };
        Ok(HeapUsage {
            script: bytes(usage.used_size),
            dom: bytes(usage.embedder_heap_used_size),
            buffers: bytes(usage.backing_storage_size),
        })
    }

    /// Drops the rebuilt page for the shell's too-large notice, until the customer opens another.
    pub async fn give_up(&self, why: Oversize) -> Result<(), ReplicaError> {
        self.call::<IgnoredAny>(ShellCall::new(Method::GiveUp).arg(&why)).await.map(|_| ())
    }
}
