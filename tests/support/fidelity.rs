//! How much of the customer's viewport the agent's "Customer screen" shows as the customer
//! sees it: the customer's own screenshot against the agent's canvas, pixel by pixel, with the
//! customer's co-browse widget left out (the agent never sees it).

use std::time::Duration;

use base64::Engine;

use super::{Tab, WIDGET};

/// What the co-browse widget draws on the customer's screen (CSS pixels of the screen, which on
/// a zoomed phone are not the page's): its panel, with its shadow, and the agent's pointer when
/// it shows.
pub async fn widget_area(customer: &Tab) -> Vec<[f64; 4]> {
    let js = format!(
        "(() => {{ const root = {WIDGET}; if (!root) return []; const v = visualViewport; return [...root.querySelectorAll('.dock, .pointer:not([hidden]), .click')].map((e) => {{ const r = e.getBoundingClientRect(); return [(r.x - v.offsetLeft) * v.scale - 14, (r.y - v.offsetTop) * v.scale - 14, r.width * v.scale + 28, r.height * v.scale + 28]; }}); }})()"
    );
    serde_json::from_value(customer.eval(&js).await).unwrap_or_default()
}

/// Where two pictures are compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pixels {
    /// In the agent's frame pixels: the customer's screenshot is first reduced to their size.
    Frame,
    /// In the customer's CSS pixels (both reduced by averaging): how much of what the customer
    /// sees the agent sees, whatever pixels the frames come in (a phone at ratio 3 gets frames
    /// at twice its CSS size).
    Css,
}

/// The fraction of the agent's screen, outside `exclude` (CSS pixels), whose pixels match the
/// customer's `screenshot` within 8 levels per channel, compared in `pixels`. A screenshot
/// bigger than the agent's screen (a customer whose frames are capped) is reduced by averaging.
pub async fn compare(agent: &Tab, screenshot: &str, exclude: &[[f64; 4]], pixels: Pixels) -> f64 {
    let css = pixels == Pixels::Css;
    let js = format!(
        "(async () => {{
            const img = new Image(); img.src = {screenshot:?}; await img.decode();
            const screen = document.getElementById('screen');
            const box = screen.getBoundingClientRect();
            // The customer's CSS size is the screen's aspect at the customer's own ratio.
            // (Its style's width: the box is scaled when the agent fits the screen to the window.)
            const cssWidth = Math.round(parseFloat(screen.style.width) || box.width);
            const [w, h] = {css} ? [cssWidth, Math.round(screen.height * cssWidth / screen.width)] : [screen.width, screen.height];
            const pixels = (source, width, height) => {{
                const c = document.createElement('canvas'); c.width = width; c.height = height;
                const cx = c.getContext('2d'); cx.drawImage(source, 0, 0);
                return cx.getImageData(0, 0, width, height).data;
            }};
            // A picture `width` wide reduced to w x h (box filter over ratio x ratio).
            const reduced = (raw, width) => {{
                const ratio = Math.max(1, Math.round(width / w));
                const out = new Float32Array(w * h * 3);
                for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) {{
                    let sum = 0;
                    for (let dy = 0; dy < ratio; dy++) for (let dx = 0; dx < ratio; dx++) sum += raw[((y * ratio + dy) * width + x * ratio + dx) * 4 + k];
                    out[(y * w + x) * 3 + k] = sum / (ratio * ratio);
                }}
                return out;
            }};
            const a = reduced(pixels(img, img.width, img.height), img.width);
            const b = reduced(pixels(screen, screen.width, screen.height), screen.width);
            // The widget's area is in CSS pixels; the compared pictures may hold more.
            const scale = w / cssWidth;
            const out = {exclude:?}.map((r) => r.map((v) => v * scale));
            let same = 0, all = 0;
            for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {{
                if (out.some(([ex, ey, ew, eh]) => x >= ex && x < ex + ew && y >= ey && y < ey + eh)) continue;
                const i = (y * w + x) * 3;
                all++;
                if (Math.abs(a[i] - b[i]) <= 8 && Math.abs(a[i + 1] - b[i + 1]) <= 8 && Math.abs(a[i + 2] - b[i + 2]) <= 8) same++;
            }}
            return all ? same / all : 0;
        }})()"
    );
    agent.eval(&js).await.as_f64().unwrap_or(0.0)
}

/// Waits (10 s at most) until the agent's screen matches the customer's viewport at least
/// `at_least` (see [`compare`]); returns the best fraction seen, which the test asserts on.
/// `COBROWSE_DUMP=1` writes both pictures of a miss to `/tmp/cobrowse-dump-{tag}-*.png`.
pub async fn wait_for_fidelity(customer: &Tab, agent: &Tab, at_least: f64, tag: &str) -> f64 {
    wait_for_fidelity_in(customer, agent, at_least, tag, Pixels::Frame).await
}

/// [`wait_for_fidelity`], compared in `pixels`.
pub async fn wait_for_fidelity_in(customer: &Tab, agent: &Tab, at_least: f64, tag: &str, pixels: Pixels) -> f64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut best = 0.0f64;
    loop {
        let exclude = widget_area(customer).await;
        let shot = customer.screenshot().await;
        let ratio = compare(agent, &shot, &exclude, pixels).await;
        best = best.max(ratio);
        if best >= at_least {
            return best;
        }
        if tokio::time::Instant::now() > deadline {
            if std::env::var_os("COBROWSE_DUMP").is_some() {
                let agent_png = agent.eval("document.getElementById('screen').toDataURL('image/png')").await;
                for (name, url) in [("customer", shot.as_str()), ("agent", agent_png.as_str().unwrap_or(""))] {
                    let data = url.split_once(',').map(|(_, d)| d).unwrap_or("");
                    let bytes = base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_default();
                    let file = format!("/tmp/cobrowse-dump-{}-{name}.png", tag.replace(['/', ' '], "_"));
                    let _ = std::fs::write(file, bytes);
                }
            }
            return best;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The fraction of the agent's screen in `rect` within 6 levels of the colour `rgb`.
pub async fn share_of_colour(agent: &Tab, rect: [f64; 4], rgb: [u8; 3]) -> f64 {
    let js = format!(
        "(() => {{ const [x, y, w, h] = {rect:?}.map(Math.round); const d = document.getElementById('screen').getContext('2d').getImageData(x, y, w, h).data; const [r, g, b] = {rgb:?}; let n = 0; for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) <= 6 && Math.abs(d[i + 1] - g) <= 6 && Math.abs(d[i + 2] - b) <= 6) n++; return n / (d.length / 4); }})()"
    );
    agent.eval(&js).await.as_f64().unwrap()
}

/// Waits (10 s at most) until `rgb` covers at least `share` of `rect` on the agent's screen;
/// returns the share last seen.
pub async fn wait_for_share(agent: &Tab, rect: [f64; 4], rgb: [u8; 3], share: f64) -> f64 {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let seen = share_of_colour(agent, rect, rgb).await;
        if seen >= share || tokio::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
