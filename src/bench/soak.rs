//! `cobrowse soak`: N sessions browsing for M minutes (each customer repeating the scripted
//! visit, each watched by an agent), sampling the server's and its Chromium's memory, open file
//! descriptors and process count; then every session ends and the figures must come back to
//! the idle baseline: no leaked contexts, descriptors or zombie processes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::agent::AgentClient;
use super::customer::Customer;
use super::customer::CustomerBrowser;
use super::procfs::{memory, processes};
use super::server::ServerUnderTest;
use super::single::JOIN_AFTER;
use super::workload::{perform, VISITS};

/// What to run: `cobrowse soak`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakOptions {
    /// Sessions open at once (1 to 100)
    #[arg(long, default_value = "10", value_parser = within(1..=100usize), value_name = "N")]
    pub sessions: usize,
    /// Minutes each round runs (0.1 to 1440)
    #[arg(long, default_value = "10", value_parser = within(0.1..=1440.0f64))]
    pub minutes: f64,
    /// Seconds between readings of memory, descriptors and processes (1 to 3600)
    #[arg(long = "every-seconds", default_value = "30", value_parser = seconds, value_name = "SECONDS")]
    pub every: Duration,
    /// Times the whole run repeats: a leak grows round after round, a cache does not (1 to 10)
    #[arg(long, default_value = "1", value_parser = within(1..=10usize), value_name = "N")]
    pub rounds: usize,
    /// The Chromium binary (for the server's replicas and for the customers)
    #[arg(long, env = "COBROWSE_CHROMIUM", default_value = "/usr/bin/chromium", value_name = "PATH")]
    pub chromium: PathBuf,
}

/// After the sessions end, closed contexts are given this long to go before the last sample.
const SETTLE: Duration = Duration::from_secs(15);

/// `--every-seconds`' value.
fn seconds(text: &str) -> Result<Duration, String> {
    within(1.0..=3600.0f64)(text).map(Duration::from_secs_f64)
}

use crate::settings::within;

/// One reading of the server and its Chromium.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at_s: f64,
    server_mb: f64,
    chromium_mb: f64,
    fds: usize,
    processes: usize,
    zombies: usize,
}

fn sample(server: u32, since: Instant) -> Sample {
    let (server_mb, chromium_mb) = memory(server);
    let tree = processes(server, true);
    let fds = tree.iter().filter_map(|p| std::fs::read_dir(format!("/proc/{p}/fd")).ok()).map(|d| d.count()).sum();
    let zombies = tree
        .iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
                .unwrap_or(false)
        })
        .count();
    Sample { at_s: since.elapsed().as_secs_f64(), server_mb, chromium_mb, fds, processes: tree.len() - 1, zombies }
}

fn row(label: &str, s: &Sample) -> String {
    let at = if s.at_s.is_nan() { "–".to_string() } else { format!("{:.0} s", s.at_s) };
    format!(
        "| {label} | {at} | {:.0} MB | {:.0} MB | {} | {} | {} |\n",
        s.server_mb, s.chromium_mb, s.fds, s.processes, s.zombies
    )
}

/// `cobrowse soak ARGS`, with `server_exe` the `cobrowse` binary to run as the server.
pub async fn main(args: &[String], server_exe: &Path) -> ExitCode {
    match crate::cli::parse_subcommand::<SoakOptions>("soak", args) {
        Ok(options) => execute(&options, server_exe).await,
        Err(code) => code,
    }
}

/// Runs the soak with `options` and prints its report.
pub async fn execute(options: &SoakOptions, server_exe: &Path) -> ExitCode {
    match run(options, server_exe).await {
        Ok((report, back)) => {
            println!("{report}");
            if back {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("cobrowse soak: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the soak; the report, and whether everything came back to the baseline.
async fn run(options: &SoakOptions, server_exe: &Path) -> Result<(String, bool), String> {
    let server = ServerUnderTest::start(server_exe, &options.chromium, &[]).await?;
    let customers =
        CustomerBrowser::launch(&options.chromium).await.map_err(|e| format!("customers' Chromium: {e}"))?;
    let result = soak(options, &server, &customers).await;
    customers.shutdown().await;
    server.stop().await;
    result
}

async fn soak(
    options: &SoakOptions,
    server: &ServerUnderTest,
    customers: &CustomerBrowser,
) -> Result<(String, bool), String> {
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let baseline = sample(server.pid, since);
    eprintln!(
        "soak: baseline {baseline:?}; {} round(s) of {} sessions for {} minutes",
        options.rounds, options.sessions, options.minutes
    );
    let mut md = format!(
        "## cobrowse soak\n\n{} round(s) of {} sessions for {} minutes, each customer repeating the scripted visit with an agent watching.\n\n| when | at | server | Chromium | open fds | Chromium processes | zombies |\n|---|---|---|---|---|---|---|\n",
        options.rounds, options.sessions, options.minutes
    );
    md += &row("idle, before", &baseline);
    let (mut visits, mut failed) = (0, 0);
    let mut after = baseline;
    let mut after_first = None;
    for round in 1..=options.rounds {
        let (samples, done, lost) = one_round(options, server, customers, since).await?;
        visits += done;
        failed += lost;
        tokio::time::sleep(SETTLE).await;
        after = sample(server.pid, since);
        after_first.get_or_insert(after);
        let peak = samples.iter().fold(baseline, |p, s| Sample {
            server_mb: p.server_mb.max(s.server_mb),
            chromium_mb: p.chromium_mb.max(s.chromium_mb),
            fds: p.fds.max(s.fds),
            processes: p.processes.max(s.processes),
            ..p
        });
        for s in &samples {
            md += &row(&format!("round {round}, running"), s);
        }
        md += &row(&format!("round {round}, peak"), &Sample { at_s: f64::NAN, ..peak });
        md += &row(&format!("round {round}, {} s after its end", SETTLE.as_secs()), &after);
    }
    // Back means: the same processes, no zombies, a handful of descriptors at most, Chromium's
    // memory within a fifth of the baseline, and the server's too; or, over several rounds,
    // the server's not growing after the first (the first session warms caches and thread
    // pools a cold start has not made yet; a leak grows round after round).
    let first = after_first.unwrap_or(baseline);
    let server_back = if options.rounds > 1 {
        after.server_mb <= first.server_mb * 1.05 + 5.0
    } else {
        after.server_mb <= baseline.server_mb * 1.2 + 20.0
    };
    let back = after.processes <= baseline.processes
        && after.zombies == 0
        && after.fds <= baseline.fds + 8
        && after.chromium_mb <= baseline.chromium_mb * 1.2 + 20.0
        && server_back;
    md += &format!(
        "\n{visits} visits, {failed} failed. Back to the idle baseline: **{}**\n",
        if back { "yes" } else { "no" }
    );
    Ok((md, back))
}

/// One round: the sessions start, browse until the time is up, and end. Its samples, visits
/// done and visits failed.
async fn one_round(
    options: &SoakOptions,
    server: &ServerUnderTest,
    customers: &CustomerBrowser,
    since: Instant,
) -> Result<(Vec<Sample>, usize, usize), String> {
    let mut watched = sessions(
        options.sessions,
        server,
        customers,
        super::Screen { size: super::workload::VIEWPORT, pixel_ratio: 1.0, phone: false },
    )
    .await?;
    let until = Instant::now() + Duration::from_secs_f64(options.minutes * 60.0);
    let visits = watched.iter_mut().enumerate().map(|(i, (customer, _))| async move {
        tokio::time::sleep(Duration::from_millis((i * 2000 / options.sessions.max(1)) as u64)).await;
        let (mut done, mut failed) = (0usize, 0usize);
        while Instant::now() < until {
            match perform(customer, &server.demo, VISITS[0].steps).await {
                Ok(()) => done += 1,
                Err(e) => {
                    failed += 1;
                    eprintln!("soak: a visit failed: {e}");
                }
            }
        }
        (done, failed)
    });
    let sampling = async {
        let mut samples = Vec::new();
        while Instant::now() < until {
            tokio::time::sleep(options.every.min(until.saturating_duration_since(Instant::now()))).await;
            let s = sample(server.pid, since);
            eprintln!("soak: {s:?}");
            samples.push(s);
        }
        samples
    };
    let (outcomes, samples) = futures::join!(futures::future::join_all(visits), sampling);
    for (customer, agent) in watched {
        end(customers, customer, agent).await;
    }
    let (done, failed) = outcomes.iter().fold((0, 0), |(v, f), (d, e)| (v + d, f + e));
    Ok((samples, done, failed))
}

/// `n` customers on the demo site with live sessions, each watched by a simulated agent.
async fn sessions(
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

async fn end(customers: &CustomerBrowser, customer: Customer, agent: AgentClient) {
    agent.finish().await;
    let _ = customer.eval("Cobrowse.end()").await;
    customers.close(customer).await;
}
