//! Compatibility, fidelity: on every page of the third-party corpus (`tests/corpus`, installed
//! from npm), the agent's "Customer screen" shows the customer's viewport pixel for pixel after
//! the page loads, after the customer scrolls and after they type, for customers whose browsers
//! differ: classic scrollbars, overlay scrollbars, pixel ratio 2 and dark mode.

mod support;

use support::corpus::{self, CorpusPage, PAGES};
use support::fidelity::wait_for_fidelity;
use support::*;

/// A kind of customer browser.
struct Kind {
    name: &'static str,
    /// Chromium flags that make it that kind.
    flags: &'static [&'static str],
    /// The fraction of pixels that must match on every page.
    at_least: f64,
}

/// Fidelity of one page: after load, after scrolling, after typing (if it has a field).
struct Row {
    page: CorpusPage,
    load: f64,
    scrolled: f64,
    typed: Option<f64>,
}

async fn visit_every_page(kind: Kind) {
    let _serial = SERIAL.lock().await;
    corpus::ensure_installed();
    let server = TestServer::start(timings()).await;
    let customer = Person::launch_with("customer", kind.flags).await;
    let agent = Person::launch("agent").await;
    customer.set_window(1000, 700).await;
    agent.set_window(1240, 860).await;
    customer.goto(&format!("{}{}", server.corpus, PAGES[0].path)).await;
    let id = start_session(&customer).await;
    join(&agent, &server.server, &id).await;
    let reported = customer.eval("[devicePixelRatio, innerWidth - document.documentElement.clientWidth, matchMedia('(prefers-color-scheme: dark)').matches]").await;
    eprintln!("{} customer: pixel ratio, scrollbar, dark: {reported}", kind.name);

    let mut rows = Vec::new();
    // COBROWSE_CORPUS_ONLY=jquery-ui visits only the pages whose path has that in it.
    let only = std::env::var("COBROWSE_CORPUS_ONLY").unwrap_or_default();
    for page in PAGES.iter().filter(|p| p.path.contains(&only)) {
        let tag = format!("{}-{}", kind.name, page.path);
        customer.goto(&format!("{}{}", server.corpus, page.path)).await;
        let load = wait_for_fidelity(&customer, &agent, kind.at_least, &format!("{tag}-load")).await;
        // The customer scrolls with the mouse wheel, as a person does.
        customer.move_mouse(520.0, 420.0).await;
        customer.wheel(520.0, 420.0, 640.0).await;
        let scrolled = wait_for_fidelity(&customer, &agent, kind.at_least, &format!("{tag}-scroll")).await;
        let typed = match page.field {
            Some(field) => {
                customer.click_element(field).await;
                customer.press_keys("Hello agent 42").await;
                Some(wait_for_fidelity(&customer, &agent, kind.at_least, &format!("{tag}-typed")).await)
            }
            None => None,
        };
        rows.push(Row { page: *page, load, scrolled, typed });
    }

    let mut report =
        format!("\n| page ({}) | after load | after scrolling | after typing |\n|---|---|---|---|\n", kind.name);
    for row in &rows {
        let typed = row.typed.map_or("–".to_string(), |t| format!("{:.2}%", t * 100.0));
        report += &format!(
            "| {} (`{}`) | {:.2}% | {:.2}% | {} |\n",
            row.page.what,
            row.page.path,
            row.load * 100.0,
            row.scrolled * 100.0,
            typed
        );
    }
    eprintln!("{report}");
    let misses: Vec<&Row> = rows
        .iter()
        .filter(|r| r.load < kind.at_least || r.scrolled < kind.at_least || r.typed.is_some_and(|t| t < kind.at_least))
        .collect();
    assert!(misses.is_empty(), "the agent's view falls short of {} on {} pages:{report}", kind.at_least, misses.len());
    customer.close().await;
    agent.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_with_classic_scrollbars_are_seen_pixel_for_pixel() {
    visit_every_page(Kind { name: "classic scrollbars", flags: &[], at_least: 0.99 }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_with_overlay_scrollbars_are_seen_pixel_for_pixel() {
    // macOS, phones and tablets draw scrollbars over the page; so does Chromium with this flag.
    visit_every_page(Kind { name: "overlay scrollbars", flags: &["hide-scrollbars"], at_least: 0.99 }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_at_pixel_ratio_2_are_seen_pixel_for_pixel() {
    // The replica renders at the customer's ratio (so layout, resolution queries and srcset
    // pick as theirs do) and the agent gets its device pixels, not a copy scaled down (see the
    // README's Compatibility section). The rebuilt page is zoomed rather than scaled, and
    // Chromium hints and positions glyphs differently at a device scale above 1, so text
    // edges differ: 97.5% (the Agency page scrolled to its most text) to 100% of pixels match,
    // photos and flat areas exactly.
    visit_every_page(Kind { name: "pixel ratio 2", flags: &["force-device-scale-factor=2"], at_least: 0.97 }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_in_dark_mode_are_seen_pixel_for_pixel() {
    visit_every_page(Kind { name: "dark mode", flags: &["force-dark-mode"], at_least: 0.99 }).await;
}
