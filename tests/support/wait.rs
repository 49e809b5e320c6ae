//! Time and turns: every wait in a test is bounded, and browser tests take turns.

use std::future::Future;
use std::time::Duration;

/// Every wait in a test is bounded by this.
pub(super) const PATIENCE: Duration = Duration::from_secs(20);

/// Bounds a future by [`PATIENCE`], failing the test with `what` when it takes longer.
pub async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(PATIENCE, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {PATIENCE:?}: {what}"),
    }
}

/// Browser tests share two cores: one at a time.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
