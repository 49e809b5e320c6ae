//! `cobrowse bench`: runs the server as a child process on loopback ports, customers in their
//! own Chromium on the demo site and on third-party apps of the compatibility corpus, and the
//! agent view in real tabs of a third Chromium, and reports glass-to-glass latency (with the
//! split per stage), frame rate, bandwidth, CPU and join time, each beside the same figure of
//! two anchors measured in the same run on the same work: DOM mirroring (rrweb live mode) and
//! a JPEG screencast ([`anchors`]). Sessions at once replay recorded visits with light clients
//! and simulated agents ([`load`]), so the machine's cores go to the server.
//!
//! Latency is read from the pixels: the probe script (`probe.js`) in each customer page spells
//! a sequence number in a strip of cells and notes when each number appeared, in the same task
//! as the change it stands for; the agent's tab reads the number off its canvas after drawing
//! each frame (`tab.js`), a simulated agent off the frames it rebuilds.

mod agent;
mod anchors;
mod cluster;
mod customer;
mod edge;
mod flood;
mod isolation;
mod load;
mod procfs;
mod replay;
mod report;
mod scenarios;
mod server;
mod single;
pub mod soak;
mod stages;
mod tab;
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use report::Report;

/// Wall-clock milliseconds since the Unix epoch, the clock both the pages and the agents use.
pub fn wall_ms() -> f64 {
    crate::reporting::stages::now_ms()
}

/// What to run: `cobrowse bench`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Numbers of replayed sessions to run at once, comma-separated (1 to 100 each)
    #[arg(long, value_delimiter = ',', default_value = "1,5,10,25", value_parser = within(1..=100usize), value_name = "N,...")]
    pub sessions: Vec<usize>,
    /// Seconds each single-session workload runs (0.5 to 600)
    #[arg(long, default_value = "8", value_parser = within(0.5..=600.0f64))]
    pub seconds: f64,
    /// Joins to time (1 to 1000)
    #[arg(long, default_value = "10", value_parser = within(1..=1000usize), value_name = "N")]
    pub joins: usize,
    /// Where the report files go
    #[arg(long, default_value = "target/bench", value_name = "DIR")]
    pub out: PathBuf,
    /// The Chromium binary (for the server's replicas and for the customers)
    #[arg(long, env = "COBROWSE_CHROMIUM", default_value = "/usr/bin/chromium", value_name = "PATH")]
    pub chromium: PathBuf,
    /// Device pixels per CSS pixel of the customers' screens (0.5 to 4) [default: 1 on a laptop,
    /// 3 on a phone]
    #[arg(long, value_parser = within(0.5..=4.0f64), value_name = "RATIO")]
    pub pixel_ratio: Option<f64>,
    /// The customers' device: laptop (1280x800) or phone (390x844, mobile emulation)
    #[arg(long = "device", default_value = "laptop", value_parser = device, action = clap::ArgAction::Set, value_name = "laptop|phone")]
    pub phone: bool,
    /// Visits cut to their first steps, for a quick check that every figure comes out
    #[arg(long)]
    pub quick: bool,
    /// Only the workloads and visits whose names contain this
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
    /// Parts left out, comma-separated: joins, anchors, isolation, load, cluster
    #[arg(long, value_delimiter = ',', value_parser = part, value_name = "PART,...")]
    pub skip: Vec<String>,
}

/// One of `--skip`'s parts, blanks around it forgiven.
fn part(text: &str) -> Result<String, String> {
    let part = text.trim();
    match PARTS.contains(&part) {
        true => Ok(part.to_string()),
        false => Err(format!("expected one of {}", PARTS.join(", "))),
    }
}

/// `--device`'s value: whether the customers are on phones.
fn device(text: &str) -> Result<bool, String> {
    match text {
        "laptop" => Ok(false),
        "phone" => Ok(true),
        _ => Err("expected laptop or phone".into()),
    }
}

use crate::settings::within;

/// Parts of the run `--skip` may leave out.
const PARTS: &[&str] = &["joins", "anchors", "isolation", "load", "cluster"];

impl Options {
    /// Whether the run includes `part` (one of [`PARTS`]).
    pub fn runs(&self, part: &str) -> bool {
        !self.skip.iter().any(|s| s == part)
    }
}

/// The simulated customers' screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Screen {
    /// In CSS pixels.
    pub size: (u32, u32),
    pub pixel_ratio: f64,
    /// A phone's browser: mobile layout, a touch screen, a mobile user agent.
    pub phone: bool,
}

impl Options {
    /// The customers' screen: a common laptop viewport, or a common phone's.
    pub fn screen(&self) -> Screen {
        if self.phone {
            Screen { size: (390, 844), pixel_ratio: self.pixel_ratio.unwrap_or(3.0), phone: true }
        } else {
            Screen { size: workload::VIEWPORT, pixel_ratio: self.pixel_ratio.unwrap_or(1.0), phone: false }
        }
    }
}

/// `cobrowse bench ARGS`, with `server_exe` the `cobrowse` binary to run as the server.
pub async fn main(args: &[String], server_exe: &Path) -> ExitCode {
    match crate::cli::parse_subcommand::<Options>("bench", args) {
        Ok(options) => execute(&options, server_exe).await,
        Err(code) => code,
    }
}

/// Runs the benchmark with `options` and writes its report.
pub async fn execute(options: &Options, server_exe: &Path) -> ExitCode {
    let report = match run(options, server_exe).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cobrowse bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let markdown = report.markdown();
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    println!("{markdown}\n```json\n{json}\n```");
    let written = std::fs::create_dir_all(&options.out)
        .and_then(|_| std::fs::write(options.out.join("bench.md"), &markdown))
        .and_then(|_| std::fs::write(options.out.join("bench.json"), &json))
        .and_then(|_| std::fs::write(options.out.join("latency.svg"), report.svg()));
    match written {
        Ok(()) => {
            println!("\nWritten: {0}/bench.md, {0}/bench.json, {0}/latency.svg", options.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cobrowse bench: cannot write to {}: {e}", options.out.display());
            ExitCode::FAILURE
        }
    }
}

/// What every scenario works with: the server under test, the customers' and the agents'
/// browsers, the anchors' relay and the corpus site.
pub struct Rig {
    pub options: Options,
    pub server: server::ServerUnderTest,
    pub customers: customer::CustomerBrowser,
    pub agents: tab::AgentBrowser,
    pub relay: anchors::Relay,
    /// `http://127.0.0.1:PORT` of the corpus site.
    pub corpus: String,
    /// The `cobrowse` binary (the cluster part starts nodes of its own).
    pub exe: PathBuf,
}

impl Rig {
    /// Where `site`'s pages are.
    pub fn base(&self, site: workload::Site) -> String {
        match site {
            workload::Site::Demo => self.server.demo.clone(),
            workload::Site::Corpus => self.corpus.clone(),
        }
    }

    /// Starts measuring CPU: the server, its Chromium, the customers' and the agents' Chromium.
    pub async fn cpu_meter(&self) -> procfs::CpuMeter {
        let customers = self.customers.pid().await.unwrap_or(0);
        let agents = self.agents.pid().await.unwrap_or(0);
        single::cpu_groups(self.server.pid, customers, agents)
    }

    async fn shutdown(self) {
        // The server's stage trace stays with the report, for a closer look.
        if std::fs::create_dir_all(&self.options.out).is_ok() {
            let _ = std::fs::copy(&self.server.stage_trace, self.options.out.join("stages.jsonl"));
        }
        self.customers.shutdown().await;
        self.agents.shutdown().await;
        self.relay.stop();
        self.server.stop().await;
    }
}

/// Runs the whole benchmark and returns its report.
pub async fn run(options: &Options, server_exe: &Path) -> Result<Report, String> {
    tokio::task::spawn_blocking(crate::corpus::ensure_installed).await.map_err(|_| {
        "the corpus could not be installed (npm ci in tests/corpus failed; is npm installed?)".to_string()
    })?;
    let corpus_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let corpus = format!("http://{}", corpus_listener.local_addr().map_err(|e| e.to_string())?);
    let server = server::ServerUnderTest::start(server_exe, &options.chromium, std::slice::from_ref(&corpus)).await?;
    tokio::spawn(crate::corpus::serve(corpus_listener, server.server.clone()));
    let customers = match customer::CustomerBrowser::launch(&options.chromium).await {
        Ok(c) => c,
        Err(e) => {
            server.stop().await;
            return Err(format!("cannot launch the customers' Chromium: {e}"));
        }
    };
    let agents = match tab::AgentBrowser::launch(&options.chromium).await {
        Ok(a) => a,
        Err(e) => {
            customers.shutdown().await;
            server.stop().await;
            return Err(e);
        }
    };
    let relay = anchors::Relay::start().await?;
    let rig = Rig { options: options.clone(), server, customers, agents, relay, corpus, exe: server_exe.to_path_buf() };
    let result = scenarios::measure(&rig).await;
    rig.shutdown().await;
    result
}
