//! The benchmark's scenarios: timed joins, one session under each workload, and N sessions
//! browsing at once.

use std::time::Duration;

use super::agent::{jpeg_size, AgentClient};
use super::customer::{Customer, CustomerBrowser};
use super::flood::Flood;
use super::procfs::{memory, CpuMeter, Group};
use super::report::{glass_to_glass, Isolation, Report, ScaleFigures, Spread, WorkloadFigures};
use super::server::ServerUnderTest;
use super::{wall_ms, Options};

/// The simulated customers' window: a common laptop viewport.
pub const VIEWPORT: (u32, u32) = (1280, 800);
/// How long the agent waits after the customer starts before joining: reading out nine digits
/// takes longer than this, so the replica is ready as it would be in real use.
const JOIN_AFTER: Duration = Duration::from_secs(1);
/// Frames still in flight when a workload stops are given this long to arrive.
const DRAIN: Duration = Duration::from_secs(1);

/// One step of a scripted workload: load a page (or stay), start a probe workload (or idle),
/// let it run, stop it.
pub(super) struct Step {
    page: Option<&'static str>,
    call: Option<&'static str>,
    seconds: f64,
}

const fn step(page: Option<&'static str>, call: Option<&'static str>, seconds: f64) -> Step {
    Step { page, call, seconds }
}

/// A customer's visit at a human pace: the home page, reading and scrolling the guide, filling
/// in two fields of the form, a look at the live prices (the site's script and CSS animation),
/// and back home.
pub(super) const BROWSING: &[Step] = &[
    step(Some("/"), None, 2.0),
    step(Some("/guide.html"), Some("scrolling(120, 250)"), 3.0),
    step(None, None, 1.0),
    step(Some("/switch.html"), Some("typing('#name', 'Alex Morgan', 6)"), 2.0),
    step(None, Some("typing('#address', '12 Harbour Row, Bristol', 8)"), 3.0),
    step(Some("/prices.html"), Some("ticking(2)"), 4.0),
    step(Some("/"), None, 2.0),
];

/// Single-session workloads: name, page, probe call (none: idle).
const WORKLOADS: &[(&str, &str, Option<&str>)] = &[
    ("typing (10 keys/s)", "/switch.html", Some("typing('#address', '12 Harbour Row, Bristol BS1 4RN', 10)")),
    ("scrolling (100 px every 100 ms)", "/guide.html", Some("scrolling(100, 100)")),
    ("DOM churn (table rewritten every frame)", "/prices.html", Some("churn()")),
    ("CSS animation (site's live page)", "/prices.html", Some("ticking(10)")),
    ("charts (three still, one redrawn every frame)", "/usage.html", Some("ticking(2)")),
    ("idle", "/", None),
];

pub(super) async fn perform(customer: &mut Customer, demo: &str, steps: &[Step]) -> Result<(), String> {
    for s in steps {
        if let Some(page) = s.page {
            customer.open_page(&format!("{demo}{page}")).await?;
        }
        if let Some(call) = s.call {
            customer.run(call).await?;
        }
        tokio::time::sleep(Duration::from_secs_f64(s.seconds)).await;
        customer.stop().await;
    }
    Ok(())
}

/// `n` customers with live sessions, each watched by its own agent.
pub(super) async fn sessions(
    n: usize,
    server: &ServerUnderTest,
    customers: &CustomerBrowser,
    screen: super::Screen,
) -> Result<Vec<(Customer, AgentClient)>, String> {
    let mut started = Vec::new();
    for _ in 0..n {
        let mut customer = customers.open(screen).await?;
        customer.open_page(&format!("{}/", server.demo)).await?;
        let id = customer.start_session().await?;
        started.push((customer, id));
    }
    tokio::time::sleep(JOIN_AFTER).await;
    let mut watched = Vec::new();
    for (customer, id) in started {
        let agent = AgentClient::join(&server.server, &server.agent_token, &id).await?;
        agent.first_frame(Duration::from_secs(10)).await?;
        customer.wait_active().await?;
        watched.push((customer, agent));
    }
    Ok(watched)
}

async fn session(
    server: &ServerUnderTest,
    customers: &CustomerBrowser,
    screen: super::Screen,
) -> Result<(Customer, AgentClient), String> {
    sessions(1, server, customers, screen).await?.pop().ok_or_else(|| "no session".into())
}

pub(super) async fn end(customers: &CustomerBrowser, customer: Customer, agent: AgentClient) {
    agent.finish().await;
    let _ = customer.eval("Cobrowse.end()").await;
    customers.close(customer).await;
}

/// Runs every scenario.
pub async fn measure(
    options: &Options,
    server: &ServerUnderTest,
    customers: &CustomerBrowser,
) -> Result<Report, String> {
    eprintln!("bench: timing {} joins", options.joins);
    let mut joins = Vec::new();
    for _ in 0..options.joins {
        let (customer, agent) = session(server, customers, options.screen()).await?;
        joins.push(agent.log().join_to_first_frame.unwrap_or_default());
        end(customers, customer, agent).await;
    }

    let (mut customer, agent) = session(server, customers, options.screen()).await?;
    let mut workloads = Vec::new();
    for &(name, page, call) in WORKLOADS {
        eprintln!("bench: one session, {name}");
        customer.open_page(&format!("{}{page}", server.demo)).await?;
        tokio::time::sleep(DRAIN).await;
        let steps = [step(None, call, options.seconds)];
        workloads.push(timed(name, &mut customer, &agent, server, &steps, false).await?);
    }
    eprintln!("bench: one session, scripted browsing");
    workloads.push(timed("scripted browsing", &mut customer, &agent, server, BROWSING, true).await?);
    eprintln!("bench: one session, write mode");
    let write_mode = write_mode_latency(&mut customer, &agent, server).await?;
    let isolation = isolation(&mut customer, &agent, server, options.seconds).await?;
    end(customers, customer, agent).await;

    let mut scale = Vec::new();
    for &n in &options.sessions {
        eprintln!("bench: {n} sessions browsing at once");
        scale.push(at_once(n, server, customers, options.screen()).await?);
        // Closed contexts free their memory in the background; let them before the next round.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Ok(Report {
        machine: machine(),
        viewport: options.screen().size,
        pixel_ratio: options.screen().pixel_ratio,
        phone: options.phone,
        join_to_first_frame_ms: Spread::of(joins),
        workloads,
        scale,
        write_mode_latency_ms: write_mode,
        isolation,
    })
}

/// One session typing for `seconds` with the server otherwise quiet, then again while another
/// customer floods their session (see [`super::flood`]).
async fn isolation(
    customer: &mut Customer,
    agent: &AgentClient,
    server: &ServerUnderTest,
    seconds: f64,
) -> Result<Isolation, String> {
    let (_, page, call) = WORKLOADS[0];
    let steps = [step(None, call, seconds)];
    eprintln!("bench: one session typing, the server otherwise quiet");
    customer.open_page(&format!("{}{page}", server.demo)).await?;
    tokio::time::sleep(DRAIN).await;
    let quiet = timed("typing, others quiet", customer, agent, server, &steps, false).await?;
    eprintln!("bench: one session typing while another customer floods theirs");
    customer.open_page(&format!("{}{page}", server.demo)).await?;
    let flooder = super::flood::start(&server.server, &server.demo, Flood::PastTheLimits).await?;
    tokio::time::sleep(DRAIN).await;
    let flooded = timed("typing, another session flooding", customer, agent, server, &steps, false).await;
    let flood = flooder.stop().await;
    eprintln!("bench: one session typing while {EDGE_FLOODERS} other customers churn big pages at their budget's edge");
    customer.open_page(&format!("{}{page}", server.demo)).await?;
    let mut flooders = Vec::new();
    for _ in 0..EDGE_FLOODERS {
        flooders.push(super::flood::start(&server.server, &server.demo, Flood::AtTheEdge).await?);
    }
    tokio::time::sleep(DRAIN).await;
    let at_the_edge = timed("typing, others at their budget's edge", customer, agent, server, &steps, false).await;
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
async fn write_mode_latency(
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
    jpeg: bool,
) -> Result<WorkloadFigures, String> {
    let marks_before = customer.marks.len();
    let (frames_before, messages_before) = {
        let log = agent.log();
        (log.frames.len(), log.messages.len())
    };
    agent.compare_jpeg(jpeg);
    let cpu = server_cpu_meter(server);
    let started = wall_ms();
    perform(customer, &server.demo, steps).await?;
    let stopped = wall_ms();
    let (server_cpu, chromium_cpu) = two(cpu.read());
    tokio::time::sleep(DRAIN).await;
    agent.compare_jpeg(false);

    let mut log = agent.log();
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
    let jpeg_bytes: usize = during.clone().filter_map(|f| f.picture.as_deref()).map(jpeg_size).sum();
    Ok(WorkloadFigures {
        workload: name.to_string(),
        seconds,
        latency_ms: Spread::of(latencies),
        unseen_changes: unseen,
        frames_per_second: during.count() as f64 / seconds,
        bytes_per_second: bytes as f64 / seconds,
        jpeg_bytes_per_second: jpeg.then(|| jpeg_bytes as f64 / seconds),
        newest_state_shown: log.frames.last().and_then(|f| f.seq) == Some(customer.seq()),
        server_cpu_percent: server_cpu,
        chromium_cpu_percent: chromium_cpu,
    })
    .inspect(|_| log.frames.iter_mut().for_each(|f| f.picture = None))
}

/// `n` customers browsing at once, each watched by its own agent.
async fn at_once(
    n: usize,
    server: &ServerUnderTest,
    customers: &CustomerBrowser,
    screen: super::Screen,
) -> Result<ScaleFigures, String> {
    let mut sessions = sessions(n, server, customers, screen).await?;
    // The load generator's own share: the customers' Chromium, and this process (the agents).
    let customers_pid = customers.pid().await.unwrap_or(std::process::id());
    let load = CpuMeter::start(vec![Group::Tree(customers_pid), Group::Alone(std::process::id())]);
    let cpu = server_cpu_meter(server);
    let started = wall_ms();
    // Customers do not move in step: each starts a little after the one before.
    let runs = sessions.iter_mut().enumerate().map(|(i, (customer, _))| async move {
        tokio::time::sleep(Duration::from_millis((i * 2000 / n) as u64)).await;
        perform(customer, &server.demo, BROWSING).await
    });
    let outcomes = futures::future::join_all(runs).await;
    let stopped = wall_ms();
    let (server_cpu, chromium_cpu) = two(cpu.read());
    let (customers_cpu, agents_cpu) = two(load.read());
    let (server_mb, chromium_mb) = memory(server.pid);
    tokio::time::sleep(DRAIN).await;

    let mut latencies = Vec::new();
    let (mut unseen, mut bytes, mut frames) = (0, 0, 0);
    for (customer, agent) in &sessions {
        let log = agent.log();
        let (l, u) = glass_to_glass(&customer.marks, &log.frames);
        latencies.extend(l);
        unseen += u;
        bytes += log.messages.iter().filter(|(at, _)| (started..=stopped).contains(at)).map(|m| m.1).sum::<usize>();
        frames += log.frames.iter().filter(|f| (started..=stopped).contains(&f.at)).count();
    }
    for (customer, agent) in sessions {
        end(customers, customer, agent).await;
    }
    let failures: Vec<String> = outcomes.into_iter().filter_map(Result::err).collect();
    if let Some(first) = failures.first() {
        eprintln!("bench: {} of {n} customers could not finish their visit; the first: {first}", failures.len());
    }
    let seconds = (stopped - started) / 1000.0;
    Ok(ScaleFigures {
        sessions: n,
        failed_visits: failures.len(),
        latency_ms: Spread::of(latencies),
        unseen_changes: unseen,
        server_cpu_percent: server_cpu,
        chromium_cpu_percent: chromium_cpu,
        load_generator_cpu_percent: (customers_cpu, agents_cpu),
        server_mb,
        chromium_mb,
        mb_per_session: (server_mb + chromium_mb) / n as f64,
        bytes_per_second_per_session: bytes as f64 / seconds / n as f64,
        frames_per_second_per_session: frames as f64 / seconds / n as f64,
    })
}

/// Measures the server process alone and its Chromium (every process under it).
fn server_cpu_meter(server: &ServerUnderTest) -> CpuMeter {
    CpuMeter::start(vec![Group::Alone(server.pid), Group::Descendants(server.pid)])
}

fn two(read: Vec<f64>) -> (f64, f64) {
    (read.first().copied().unwrap_or_default(), read.get(1).copied().unwrap_or_default())
}

/// The CPU model, core count and memory, for the report's heading.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!("{model}, {cores} cores, {gib:.0} GiB")
}
