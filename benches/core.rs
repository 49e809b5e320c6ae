//! `cargo bench`: the co-browse core's figures, measured with real browsers on loopback:
//! Join to first frame, customer keystroke to agent frame, and memory with 1 and 5 sessions.
//! Prints medians; it asserts nothing about speed.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
use support::*;

/// Records, in the agent's page, when each join started and each frame was drawn (wall-clock ms).
const AGENT_HOOK: &str = "window.__joins = []; window.__draws = []; const now = () => performance.timeOrigin + performance.now();
window.__bytes = 0; const RealWS = window.WebSocket; window.WebSocket = class extends RealWS { constructor(...a) { window.__joins.push(now()); super(...a); this.addEventListener('message', (e) => { if (typeof e.data !== 'string') window.__bytes += e.data.byteLength; }); } };
const draw = CanvasRenderingContext2D.prototype.drawImage; CanvasRenderingContext2D.prototype.drawImage = function (...a) { window.__draws.push(now()); return draw.apply(this, a); };";

fn wall_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Proportional set size, in MB, of `pid` and (with `tree`) every process descending from it.
fn pss_mb(pid: u32, tree: bool) -> f64 {
    let mut pids = vec![pid];
    if tree {
        let mut frontier = vec![pid];
        while let Some(parent) = frontier.pop() {
            for entry in std::fs::read_dir("/proc").unwrap().flatten() {
                let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
                let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
                let ppid = stat
                    .rsplit(')')
                    .next()
                    .and_then(|r| r.split_whitespace().nth(1))
                    .and_then(|p| p.parse::<u32>().ok());
                if ppid == Some(parent) {
                    pids.push(child);
                    frontier.push(child);
                }
            }
        }
    }
    let kb: u64 = pids
        .iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
        .filter_map(|s| {
            s.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .sum();
    kb as f64 / 1024.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let server = TestServer::start(timings()).await;
    let customer = Person::launch("bench-customer").await;
    let agent = Person::launch("bench-agent").await;
    agent.page.execute(AddScriptToEvaluateOnNewDocumentParams::new(AGENT_HOOK)).await.unwrap();

    // Join to first frame, over fresh sessions.
    let mut joins = Vec::new();
    for _ in 0..10 {
        customer.goto(&format!("{}/switch.html", server.demo)).await;
        customer.eval("sessionStorage.clear()").await;
        customer.goto(&format!("{}/switch.html", server.demo)).await;
        let id = start_session(&customer).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        join(&agent, &server.server, &id).await;
        let t = agent.eval("window.__draws[0] - window.__joins[window.__joins.length - 1]").await.as_f64().unwrap();
        joins.push(t);
        agent.click_element("document.getElementById('end')").await;
        agent.wait_for("ended", "!document.querySelector('form.join').hidden").await;
    }

    // Keystroke to agent frame, 50 times.
    customer.goto(&format!("{}/switch.html", server.demo)).await;
    let id = start_session(&customer).await;
    join(&agent, &server.server, &id).await;
    customer.click_element("document.getElementById('address')").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut keys = Vec::new();
    let bytes_before = agent.eval("window.__bytes").await.as_f64().unwrap();
    for i in 0..50 {
        let seen = agent.eval("window.__draws.length").await.as_u64().unwrap();
        let t0 = wall_ms();
        customer.type_text(if i % 2 == 0 { "a" } else { "b" }).await;
        let drawn = agent
            .wait_for(
                "frame after keystroke",
                &format!("window.__draws.length > {seen} ? window.__draws[{seen}] : null"),
            )
            .await;
        keys.push(drawn.as_f64().unwrap() - t0);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    let key_bytes = (agent.eval("window.__bytes").await.as_f64().unwrap() - bytes_before) / 50.0;
    let whole_frame = customer.screenshot().await.len() as f64 * 3.0 / 4.0;

    // Memory: the server process and the replica Chromium (all its processes), 1 then 5 sessions.
    let chromium = server.state.browser.pid().await.unwrap();
    let own = std::process::id();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let one = (pss_mb(own, false), pss_mb(chromium, true));
    let mut extra = Vec::new();
    for _ in 0..4 {
        let tab = customer.new_tab().await;
        tab.goto(&format!("{}/guide.html", server.demo)).await;
        let id = start_session(&tab).await;
        let watcher = agent.new_tab().await;
        join(&watcher, &server.server, &id).await;
        extra.push((tab, watcher));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let five = (pss_mb(own, false), pss_mb(chromium, true));

    println!("## Co-browse core figures (loopback, this machine, one run)\n");
    println!("| figure | median | p95 | samples |\n|---|---|---|---|");
    println!(
        "| Join to first frame | {:.0} ms | {:.0} ms | {} |",
        median(joins.clone()),
        percentile(joins.clone(), 0.95),
        joins.len()
    );
    println!(
        "| customer keystroke to agent frame | {:.0} ms | {:.0} ms | {} |",
        median(keys.clone()),
        percentile(keys.clone(), 0.95),
        keys.len()
    );
    println!("\nbytes to the agent per keystroke: {key_bytes:.0} (one whole 800x600 PNG frame: {whole_frame:.0})");
    println!(
        "\n| sessions | server process (PSS) | replica Chromium (PSS, all processes) | total |\n|---|---|---|---|"
    );
    println!("| 1 | {:.0} MB | {:.0} MB | {:.0} MB |", one.0, one.1, one.0 + one.1);
    println!("| 5 | {:.0} MB | {:.0} MB | {:.0} MB |", five.0, five.1, five.0 + five.1);
    println!("\nper extra session: {:.0} MB", ((five.0 + five.1) - (one.0 + one.1)) / 4.0);
    println!("(the server process here also hosts the benchmark's browser clients)");

    drop(extra);
    customer.close().await;
    agent.close().await;
    server.stop().await;
}
