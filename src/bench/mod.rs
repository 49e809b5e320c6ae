//! `cobrowse bench`: runs the server as a child process, simulated customers in their own
//! Chromium and simulated agents over WebSocket, all on loopback, and reports glass-to-glass
//! latency, frame rate, bandwidth, CPU, memory and join time.
//!
//! Latency is read from the pixels: the probe script (`probe.js`) in each customer page spells
//! a sequence number in a strip of cells and notes when each number appeared, in the same task
//! as the change it stands for; each agent rebuilds its frames and decodes the number.

mod agent;
mod customer;
mod edge;
mod flood;
mod procfs;
mod report;
mod server;
pub mod soak;
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use report::Report;

/// Wall-clock milliseconds since the Unix epoch, the clock both the pages and the agents use.
pub fn wall_ms() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Numbers of sessions to run at once.
    pub sessions: Vec<usize>,
    /// Seconds each single-session workload runs.
    pub seconds: f64,
    /// Joins to time.
    pub joins: usize,
    /// Where the report files go.
    pub out: PathBuf,
    /// The Chromium binary (for the server's replicas and for the customers).
    pub chromium: PathBuf,
    /// Device pixels per CSS pixel of the customers' screens (a phone's 3 unless given).
    pub pixel_ratio: Option<f64>,
    /// Customers on phones (390x844, mobile emulation) rather than laptops (1280x800).
    pub phone: bool,
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

const USAGE: &str =
    "Usage: cobrowse bench [--sessions 1,5,10,25] [--seconds 8] [--joins 10] [--out target/bench] [--chromium PATH]\n                      [--pixel-ratio 1] [--device laptop|phone]\n";

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let chromium = std::env::var("COBROWSE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut options = Options {
            sessions: vec![1, 5, 10, 25],
            seconds: 8.0,
            joins: 10,
            out: PathBuf::from("target/bench"),
            chromium: PathBuf::from(chromium),
            pixel_ratio: None,
            phone: false,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let bad = |what: &str| format!("{flag} {value}: {what}");
            match flag.as_str() {
                "--sessions" => {
                    options.sessions = value
                        .split(',')
                        .map(|n| n.trim().parse::<usize>().ok().filter(|n| (1..=100).contains(n)))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| bad("expected numbers from 1 to 100, separated by commas"))?;
                }
                "--seconds" => {
                    options.seconds = value
                        .parse()
                        .ok()
                        .filter(|s: &f64| (0.5..=600.0).contains(s))
                        .ok_or_else(|| bad("expected 0.5 to 600"))?;
                }
                "--joins" => {
                    options.joins = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| bad("expected 1 to 1000"))?;
                }
                "--pixel-ratio" => {
                    options.pixel_ratio = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|r: &f64| (0.5..=4.0).contains(r))
                            .ok_or_else(|| bad("expected 0.5 to 4"))?,
                    );
                }
                "--device" => {
                    options.phone = match value.as_str() {
                        "laptop" => false,
                        "phone" => true,
                        _ => return Err(bad("expected laptop or phone")),
                    };
                }
                "--out" => options.out = PathBuf::from(value),
                "--chromium" => options.chromium = PathBuf::from(value),
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        Ok(options)
    }
}

/// `cobrowse bench ARGS`, with `server_exe` the `cobrowse` binary to run as the server.
pub async fn main(args: &[String], server_exe: &Path) -> ExitCode {
    let options = match Options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cobrowse bench: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let report = match run(&options, server_exe).await {
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

/// Runs the whole benchmark and returns its report.
pub async fn run(options: &Options, server_exe: &Path) -> Result<Report, String> {
    let server = server::ServerUnderTest::start(server_exe, &options.chromium).await?;
    let customers = match customer::CustomerBrowser::launch(&options.chromium).await {
        Ok(c) => c,
        Err(e) => {
            server.stop().await;
            return Err(format!("cannot launch the customers' Chromium: {e}"));
        }
    };
    let result = workload::measure(options, &server, &customers).await;
    customers.shutdown().await;
    server.stop().await;
    result
}
