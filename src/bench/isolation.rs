//! The isolation scenario and write-mode latency, with simulated agents (WebSocket clients that
//! rebuild every frame as the agent view does; see [`super::agent`]): one session typing while
//! other customers flood their own sessions, and an agent typing into the customer's page.

use std::time::Duration;

use super::agent::AgentClient;
use super::customer::Customer;
use super::flood::Flood;
use super::procfs::{CpuMeter, Group};
use super::report::{glass_to_glass, Isolation, Spread, WorkloadFigures};
use super::server::ServerUnderTest;
use super::single::{DRAIN, JOIN_AFTER};
use super::workload::{self, Act, Step};
use super::{wall_ms, Rig};

/// The isolation scenario's typing: the demo form's address field, 10 keys a second.
const TYPING: Act = Act::Type {
    field: "document.getElementById('address')",
    text: "12 Harbour Row, Bristol BS1 4RN. Flat 3, second floor, blue door. ",
    per_second: 10.0,
};

/// A session on the demo site's form, watched by a simulated agent.
pub async fn session(rig: &Rig) -> Result<(Customer, AgentClient), String> {
    let server = &rig.server;
    let mut customer = rig.customers.open(rig.options.screen()).await?;
    customer.open_page(&format!("{}/switch.html", server.demo)).await?;
    let id = customer.start_session().await?;
    tokio::time::sleep(JOIN_AFTER).await;
    let agent = AgentClient::join(&server.server, &server.agent_token, &id).await?;
    agent.first_frame(Duration::from_secs(10)).await?;
    customer.wait_active().await?;
    Ok((customer, agent))
}

pub async fn end(rig: &Rig, customer: Customer, agent: AgentClient) {
    agent.finish().await;
    let _ = customer.eval("Cobrowse.end()").await;
    rig.customers.close(customer).await;
}

/// One session typing for `seconds` with the server otherwise quiet, then again while another
/// customer floods their session (see [`super::flood`]).
pub async fn isolation(
    customer: &mut Customer,
    agent: &AgentClient,
    server: &ServerUnderTest,
    seconds: f64,
) -> Result<Isolation, String> {
    let page = "/switch.html";
    let steps = [workload::single(
        &workload::Workload { name: "typing", site: workload::Site::Demo, page, act: TYPING },
        seconds,
    )];
    eprintln!("bench: one session typing, the server otherwise quiet");
    customer.open_page(&format!("{}{page}", server.demo)).await?;
    tokio::time::sleep(DRAIN).await;
    let quiet = timed("typing, others quiet", customer, agent, server, &steps).await?;
    eprintln!("bench: one session typing while another customer floods theirs");
    customer.open_page(&format!("{}{page}", server.demo)).await?;
    let flooder = super::flood::start(&server.server, &server.demo, Flood::PastTheLimits).await?;
    tokio::time::sleep(DRAIN).await;
    let flooded = timed("typing, another session flooding", customer, agent, server, &steps).await;
    let flood = flooder.stop().await;
    eprintln!("bench: one session typing while {EDGE_FLOODERS} other customers churn big pages at their budget's edge");
    customer.open_page(&format!("{}{page}", server.demo)).await?;
    let mut flooders = Vec::new();
    for _ in 0..EDGE_FLOODERS {
        flooders.push(super::flood::start(&server.server, &server.demo, Flood::AtTheEdge).await?);
    }
    tokio::time::sleep(DRAIN).await;
    let at_the_edge = timed("typing, others at their budget's edge", customer, agent, server, &steps).await;
    let mut edge_flood = super::flood::FloodCounts::default();
    for flooder in flooders {
        edge_flood.add(flooder.stop().await);
    }
    Ok(Isolation { quiet, flooded: flooded?, flood, at_the_edge: at_the_edge?, edge_flood })
}

/// Sessions churning at their budget's edge in the isolation scenario's last part.
const EDGE_FLOODERS: usize = 3;

/// Characters the agent types in write mode, one action each.
const WRITE_MODE_KEYS: usize = 50;

/// The agent asks for write mode, the customer allows it, and the agent types into a field:
/// from each action leaving the agent to its `input` event in the customer's page.
pub async fn write_mode_latency(
    customer: &mut Customer,
    agent: &AgentClient,
    server: &ServerUnderTest,
) -> Result<Spread, String> {
    customer.open_page(&format!("{}/switch.html", server.demo)).await?;
    tokio::time::sleep(DRAIN).await;
    agent.send(serde_json::json!({ "type": "request_write_mode" })).await?;
    let widget = "document.querySelector('cobrowse-widget').shadowRoot";
    wait(|| async { Ok(customer.eval(&format!("!{widget}.querySelector('.ask').hidden")).await? == true) }).await?;
    customer.click(&format!("{widget}.querySelector('.allow')")).await?;
    wait(|| async { Ok(agent.log().mode == "write") }).await?;
    let (x, y) = customer.centre("document.getElementById('name')").await?;
    agent.send(serde_json::json!({ "type": "action", "action": { "kind": "click", "x": x, "y": y } })).await?;
    wait(|| async { Ok(customer.eval("document.activeElement.id === 'name'").await? == true) }).await?;
    customer.eval("window.__inputs = [], document.getElementById('name').addEventListener('input', () => __inputs.push(Date.now())), true").await?;
    let mut sent = Vec::new();
    for _ in 0..WRITE_MODE_KEYS {
        sent.push(wall_ms());
        agent.send(serde_json::json!({ "type": "action", "action": { "kind": "text", "text": "a" } })).await?;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    wait(|| async { Ok(customer.eval("__inputs.length").await?.as_u64() == Some(WRITE_MODE_KEYS as u64)) }).await?;
    let arrived = customer.eval("__inputs").await?;
    let arrived: Vec<f64> =
        arrived.as_array().map(|a| a.iter().filter_map(|t| t.as_f64()).collect()).unwrap_or_default();
    agent.send(serde_json::json!({ "type": "pointer_mode" })).await?;
    Ok(Spread::of(sent.iter().zip(&arrived).map(|(s, a)| a - s).collect()))
}

/// Polls `check` for up to ten seconds.
async fn wait<F, Fut>(check: F) -> Result<(), String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<bool, String>>,
{
    for _ in 0..1000 {
        if check().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("the write-mode step did not happen within ten seconds".into())
}

/// Runs `steps` on one session and measures it.
async fn timed(
    name: &str,
    customer: &mut Customer,
    agent: &AgentClient,
    server: &ServerUnderTest,
    steps: &[Step],
) -> Result<WorkloadFigures, String> {
    let marks_before = customer.marks.len();
    let (frames_before, messages_before) = {
        let log = agent.log();
        (log.frames.len(), log.messages.len())
    };
    let cpu = server_cpu_meter(server);
    let started = wall_ms();
    workload::perform(customer, &server.demo, steps).await?;
    let stopped = wall_ms();
    let (server_cpu, chromium_cpu) = two(cpu.read());
    tokio::time::sleep(DRAIN).await;

    let log = agent.log();
    if let Some(failure) = &log.failure {
        return Err(format!("the agent's connection failed: {failure}"));
    }
    let seconds = (stopped - started) / 1000.0;
    let frames = &log.frames[frames_before..];
    let (latencies, unseen) = glass_to_glass(&customer.marks[marks_before..], frames);
    if std::env::var_os("COBROWSE_BENCH_TRACE").is_some() {
        let marks = &customer.marks[marks_before..];
        for (mark, latency) in marks.iter().zip(&latencies).filter(|(_, l)| **l > 300.0) {
            eprintln!("slow: seq {} at +{:.0} ms took {latency:.0} ms", mark.0, mark.1 - started);
        }
        let seqs: Vec<String> = frames.iter().map(|f| format!("{:.0}:{:?}", f.at - started, f.seq)).collect();
        eprintln!("frames: {}", seqs.join(" "));
        let all: Vec<String> = marks.iter().map(|m| format!("{}@{:.0}", m.0, m.1 - started)).collect();
        eprintln!("marks: {}", all.join(" "));
        eprintln!("customer's last number: {}", customer.seq());
    }
    let during = frames.iter().filter(|f| f.at <= stopped);
    let bytes: usize = log.messages[messages_before..].iter().filter(|(at, _)| *at <= stopped).map(|m| m.1).sum();
    // The comparison's encoding runs now, after the timed run, on the pictures kept.
    Ok(WorkloadFigures {
        workload: name.to_string(),
        seconds,
        latency_ms: Spread::of(latencies),
        unseen_changes: unseen,
        frames_per_second: during.count() as f64 / seconds,
        bytes_per_second: bytes as f64 / seconds,
        jpeg_bytes_per_second: None,
        newest_state_shown: log.frames.last().and_then(|f| f.seq) == Some(customer.seq()),
        server_cpu_percent: server_cpu,
        chromium_cpu_percent: chromium_cpu,
    })
}

/// Measures the server process alone and its Chromium (every process under it).
fn server_cpu_meter(server: &ServerUnderTest) -> CpuMeter {
    CpuMeter::start(vec![Group::Alone(server.pid), Group::Descendants(server.pid)])
}

fn two(read: Vec<f64>) -> (f64, f64) {
    (read.first().copied().unwrap_or_default(), read.get(1).copied().unwrap_or_default())
}
