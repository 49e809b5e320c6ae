//! Subresources that arrive after the change they belong to was drawn: the replica loads the
//! site's images, fonts and stylesheets itself, often after the snapshot's frame went out.
//!
//! Chromium now and then sends no screencast frame for what such a load paints (seen on the
//! corpus: in about one visit in three over its 25 pages, a TodoMVC page's background image
//! was missing from the agent's view for the whole 10 s the test waits), and no change of the
//! customer's follows to make one. So once the page's loads go quiet, the shell is nudged into a frame
//! of the page as it is; when Chromium did send one, the nudge costs the agent nothing (the
//! stream sends only changed tiles).

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::network::{EventLoadingFailed, EventLoadingFinished};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::Page;
use futures::StreamExt;
use tokio::task::JoinHandle;

/// Loads that finish within this of each other are painted by one frame.
const QUIET: Duration = Duration::from_millis(150);
/// A page that keeps loading (a gallery) still gets a frame this often.
const AT_LEAST_EVERY: Duration = Duration::from_secs(1);

/// Watches `page`'s loads and nudges its shell into a frame after each burst of them.
pub(super) async fn watch(page: Page) -> Result<JoinHandle<()>, super::ReplicaError> {
    let finished = super::page::bounded("Network.loadingFinished", page.event_listener::<EventLoadingFinished>());
    let failed = super::page::bounded("Network.loadingFailed", page.event_listener::<EventLoadingFailed>());
    let (finished, failed) = (finished.await?, failed.await?);
    // A failed load paints too (a broken-image icon, a fallback font).
    let mut loads = futures::stream::select(finished.map(|_| ()), failed.map(|_| ()));
    Ok(tokio::spawn(async move {
        while loads.next().await.is_some() {
            let burst = tokio::time::Instant::now();
            loop {
                let left = AT_LEAST_EVERY.saturating_sub(burst.elapsed());
                match tokio::time::timeout(QUIET.min(left), loads.next()).await {
                    Ok(Some(())) if !left.is_zero() => continue,
                    Ok(None) => return,
                    _ => break,
                }
            }
            let mut nudge = EvaluateParams::new("window.__replica && window.__replica.nudge()");
            nudge.return_by_value = Some(true);
            if let Err(e) = super::page::bounded("Runtime.evaluate", page.execute(nudge)).await {
                tracing::debug!(error = %e, "could not nudge the replica after a late load");
            }
        }
    }))
}
