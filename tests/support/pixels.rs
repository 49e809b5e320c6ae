//! Pixels compared: screenshots of a tab or an element, and how much of the agent's "Customer
//! screen" matches the customer's viewport. `COBROWSE_DUMP=1` writes both pictures of a miss
//! to `/tmp/cobrowse-dump-{customer,agent}.png`; `COBROWSE_TRACE=1` prints every comparison.

use std::time::Duration;

use base64::Engine;
use chromiumoxide::cdp::browser_protocol::page::{CaptureScreenshotFormat, CaptureScreenshotParams};

use super::{bounded, frames, Tab};

/// A screenshot (data URL) of the element `js` evaluates to, as a screenshot tool takes one:
/// whatever is drawn over it included, even where it lies beyond the window.
pub async fn element_screenshot(tab: &Tab, js: &str) -> String {
    let rect = tab
        .eval(&format!("(() => {{ const r = {js}.getBoundingClientRect(); return [r.x + scrollX, r.y + scrollY, r.width, r.height]; }})()"))
        .await;
    let r: [f64; 4] = serde_json::from_value(rect).unwrap();
    let clip = chromiumoxide::cdp::browser_protocol::page::Viewport {
        x: r[0],
        y: r[1],
        width: r[2],
        height: r[3],
        scale: 1.0,
    };
    let params = CaptureScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .clip(clip)
        .capture_beyond_viewport(true)
        .build();
    let shot = bounded("element screenshot", tab.page.execute(params)).await.unwrap();
    let data: String = shot.result.data.into();
    format!("data:image/png;base64,{data}")
}

/// Fraction of pixels in `rect` (x, y, w, h) that match between two PNG data URLs, computed in
/// `tab`'s page.
pub async fn images_match(tab: &Tab, a: &str, b: &str, rect: [f64; 4]) -> f64 {
    let js = format!(
        "(async () => {{
            const load = async (src) => {{ const img = new Image(); img.src = src; await img.decode(); const c = document.createElement('canvas'); c.width = img.width; c.height = img.height; const cx = c.getContext('2d'); cx.drawImage(img, 0, 0); return cx; }};
            const [x, y, w, h] = {rect:?}.map(Math.round);
            const a = (await load({a:?})).getImageData(x, y, w, h).data;
            const b = (await load({b:?})).getImageData(x, y, w, h).data;
            let same = 0;
            for (let i = 0; i < a.length; i += 4) {{
                const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
                if (d <= 8) same++;
            }}
            return same / (a.length / 4);
        }})()"
    );
    tab.eval(&js).await.as_f64().unwrap()
}

/// Fraction of pixels in `rect` (x, y, w, h) of the agent's "Customer screen" that match
/// `screenshot` (a data URL of the customer's viewport) within a small tolerance.
pub async fn match_ratio(agent: &Tab, screenshot: &str, rect: [f64; 4]) -> f64 {
    let js = format!(
        "(async () => {{
            const img = new Image(); img.src = {shot:?}; await img.decode();
            const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
            const cx = c.getContext('2d'); cx.drawImage(img, 0, 0);
            const [x, y, w, h] = {rect:?}.map(Math.round);
            const a = cx.getImageData(x, y, w, h).data;
            const b = document.getElementById('screen').getContext('2d').getImageData(x, y, w, h).data;
            let same = 0;
            for (let i = 0; i < a.length; i += 4) {{
                const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
                if (d <= 8) same++;
            }}
            return same / (a.length / 4);
        }})()",
        shot = screenshot,
        rect = rect
    );
    agent.eval(&js).await.as_f64().unwrap()
}

/// Waits until the agent's view of `rect` matches the customer's viewport at least `at_least`;
/// returns the last ratio seen (the test asserts on it).
pub async fn wait_for_match(customer: &Tab, agent: &Tab, rect: [f64; 4], at_least: f64) -> f64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let shot = customer.screenshot().await;
        let ratio = match_ratio(agent, &shot, rect).await;
        if std::env::var_os("COBROWSE_TRACE").is_some() {
            eprintln!("match {ratio:.4} frames {}", frames(agent).await);
        }
        if ratio >= at_least || tokio::time::Instant::now() > deadline {
            if ratio < at_least && std::env::var_os("COBROWSE_DUMP").is_some() {
                let agent_png = agent.eval("document.getElementById('screen').toDataURL('image/png')").await;
                for (name, url) in [("customer", shot.as_str()), ("agent", agent_png.as_str().unwrap_or(""))] {
                    let data = url.split_once(',').map(|(_, d)| d).unwrap_or("");
                    let bytes = base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_default();
                    std::fs::write(format!("/tmp/cobrowse-dump-{name}.png"), bytes).unwrap();
                }
            }
            return ratio;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
