//! Server settings: each one is a command-line flag and an environment variable (flag wins).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server needs to know before it starts.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address of the co-browse server (`--listen`, `COBROWSE_LISTEN`).
    pub listen: SocketAddr,
    /// Address of the demo company site, or `None` when disabled with `off`
    /// (`--demo-listen`, `COBROWSE_DEMO_LISTEN`).
    pub demo_listen: Option<SocketAddr>,
    /// Folder of browser profiles (`--profiles`, `COBROWSE_PROFILES`).
    pub profiles: PathBuf,
    /// Chromium binary used for replicas (`--chromium`, `COBROWSE_CHROMIUM`).
    pub chromium: PathBuf,
    /// Debian's headless shell, run for replicas instead where it is installed: frames drawn on
    /// demand, only their damaged part captured; `None` (`off`) keeps `chromium`
    /// (`--headless-shell`, `COBROWSE_HEADLESS_SHELL`).
    pub headless_shell: Option<PathBuf>,
    /// Secret that signs agent tokens; generated at start when unset (`--secret`, `COBROWSE_SECRET`).
    pub secret: Option<String>,
    /// Folder for durable data such as the audit database (`--data`, `COBROWSE_DATA`).
    pub data: PathBuf,
    /// How long a session with no agent stays joinable (`--waiting-ttl`, `COBROWSE_WAITING_TTL`).
    pub waiting_ttl: Duration,
    /// How long a joined session survives its customer's absence (`--grace`, `COBROWSE_GRACE`).
    pub grace: Duration,
    /// How long a customer may be disconnected (a page load) before the agent sees a pause
    /// (`--reconnect-window`, `COBROWSE_RECONNECT_WINDOW`).
    pub reconnect_window: Duration,
    /// How long a write-mode request waits for the customer's answer
    /// (`--write-request-ttl`, `COBROWSE_WRITE_REQUEST_TTL`).
    pub write_request_ttl: Duration,
    /// Live sessions at most; each holds a Chromium context (`--max-sessions`, `COBROWSE_MAX_SESSIONS`).
    pub max_sessions: usize,
    /// Live sessions one source address may start (`--sessions-per-address`,
    /// `COBROWSE_SESSIONS_PER_ADDRESS`).
    pub sessions_per_address: usize,
    /// Open connections one source address may hold (`--connections-per-address`,
    /// `COBROWSE_CONNECTIONS_PER_ADDRESS`).
    pub connections_per_address: usize,
    /// A connection that has not sent a request's headers in this time is closed
    /// (`--header-timeout`, `COBROWSE_HEADER_TIMEOUT`).
    pub header_timeout: Duration,
    /// A connection with no traffic either way for this long is closed (`--idle-timeout`,
    /// `COBROWSE_IDLE_TIMEOUT`).
    pub idle_timeout: Duration,
    /// Device pixels per CSS pixel at most in the agents' frames (`--agent-pixel-ratio`,
    /// `COBROWSE_AGENT_PIXEL_RATIO`, 1 to 3).
    pub agent_pixel_ratio: f64,
    /// Memory one replica page may take, in megabytes: its script and DOM heaps and array
    /// buffers (`--replica-memory`, `COBROWSE_REPLICA_MEMORY`).
    pub replica_memory_mb: u64,
    /// Where session-started and session-ended are posted, if anywhere (`--webhook-url`,
    /// `COBROWSE_WEBHOOK_URL`).
    pub webhook_url: Option<String>,
    /// Signs webhook bodies; its own secret, since whoever checks webhooks must not be able to
    /// mint tokens (`--webhook-secret`, `COBROWSE_WEBHOOK_SECRET`; required with a webhook URL).
    pub webhook_secret: Option<String>,
    /// Origins of workspaces that may embed the agent view and send it chat messages
    /// (`--workspace-origins`, `COBROWSE_WORKSPACE_ORIGINS`, comma-separated).
    pub workspace_origins: Vec<String>,
    /// When set, `/metrics` answers only requests bearing it (`--metrics-token`,
    /// `COBROWSE_METRICS_TOKEN`).
    pub metrics_token: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxies`,
    /// `COBROWSE_TRUSTED_PROXIES`, comma-separated IP addresses).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A change's time in the server (its events reaching the replica to its frame), at the
    /// 95th percentile over the last ten seconds, above which new sessions are refused as busy
    /// (`--latency-budget`, `COBROWSE_LATENCY_BUDGET`).
    pub latency_budget: Duration,
    /// Where to append the stage trace `cobrowse bench` reads, if anywhere (`--stage-trace`,
    /// `COBROWSE_STAGE_TRACE`; see [`crate::reporting::stages`]).
    pub stage_trace: Option<PathBuf>,
}

/// Shortest secret accepted.
pub const MIN_SECRET: usize = 16;

/// A setting that could not be understood; names the flag and the value.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{name}: {value:?} is not a valid {what}")]
    Invalid { name: &'static str, value: String, what: &'static str },
    #[error("unknown option {0:?} (try --help)")]
    Unknown(String),
    #[error("option {0} needs a value")]
    MissingValue(String),
}

mod specs;
pub use specs::{SettingSpec, SPECS};

impl Settings {
    /// Reads flags from `args`, falling back to `env` (a lookup such as `std::env::var`), then defaults.
    pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let mut given: Vec<(&'static str, String)> = Vec::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let spec = SPECS.iter().find(|s| s.flag == flag).ok_or_else(|| SettingsError::Unknown(arg.clone()))?;
            let value = match inline {
                Some(v) => v,
                None => it.next().cloned().ok_or_else(|| SettingsError::MissingValue(flag.to_string()))?,
            };
            given.push((spec.env, value));
        }
        let get = |name: &'static str| -> Option<String> {
            given
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| env(name).filter(|v| !v.is_empty()))
        };
        let value = |name: &'static str| -> String {
            get(name).unwrap_or_else(|| {
                SPECS.iter().find(|s| s.env == name).map(|s| s.default).unwrap_or_default().to_string()
            })
        };
        let addr = |name: &'static str| -> Result<SocketAddr, SettingsError> {
            let v = value(name);
            v.parse().map_err(|_| SettingsError::Invalid { name, value: v, what: "address (host:port)" })
        };
        let duration = |name: &'static str| -> Result<Duration, SettingsError> {
            let v = value(name);
            parse_duration(&v).ok_or(SettingsError::Invalid { name, value: v, what: "duration (like 90s, 10m, 1h)" })
        };
        let positive = |name: &'static str| -> Result<usize, SettingsError> {
            let v = value(name);
            v.parse().ok().filter(|n| *n > 0).ok_or(SettingsError::Invalid { name, value: v, what: "positive number" })
        };
        // A secret given must be one: an empty or short key would let anyone sign.
        let secret = |name: &'static str| -> Result<Option<String>, SettingsError> {
            match get(name) {
                Some(v) if v.len() < MIN_SECRET => Err(SettingsError::Invalid {
                    name,
                    value: "(hidden)".into(),
                    what: "secret of 16 characters or more",
                }),
                other => Ok(other),
            }
        };
        let demo_listen = match value("COBROWSE_DEMO_LISTEN").as_str() {
            "off" => None,
            _ => Some(addr("COBROWSE_DEMO_LISTEN")?),
        };
        Ok(Settings {
            listen: addr("COBROWSE_LISTEN")?,
            demo_listen,
            profiles: PathBuf::from(value("COBROWSE_PROFILES")),
            chromium: PathBuf::from(value("COBROWSE_CHROMIUM")),
            headless_shell: match value("COBROWSE_HEADLESS_SHELL").as_str() {
                "off" => None,
                path => Some(PathBuf::from(path)),
            },
            secret: secret("COBROWSE_SECRET")?,
            data: PathBuf::from(value("COBROWSE_DATA")),
            waiting_ttl: duration("COBROWSE_WAITING_TTL")?,
            grace: duration("COBROWSE_GRACE")?,
            reconnect_window: duration("COBROWSE_RECONNECT_WINDOW")?,
            write_request_ttl: duration("COBROWSE_WRITE_REQUEST_TTL")?,
            max_sessions: positive("COBROWSE_MAX_SESSIONS")?,
            sessions_per_address: positive("COBROWSE_SESSIONS_PER_ADDRESS")?,
            connections_per_address: positive("COBROWSE_CONNECTIONS_PER_ADDRESS")?,
            header_timeout: duration("COBROWSE_HEADER_TIMEOUT")?.max(Duration::from_secs(1)),
            idle_timeout: duration("COBROWSE_IDLE_TIMEOUT")?.max(Duration::from_secs(1)),
            agent_pixel_ratio: {
                let v = value("COBROWSE_AGENT_PIXEL_RATIO");
                v.parse().ok().filter(|r| (1.0..=3.0).contains(r)).ok_or(SettingsError::Invalid {
                    name: "COBROWSE_AGENT_PIXEL_RATIO",
                    value: v,
                    what: "pixel ratio from 1 to 3",
                })?
            },
            replica_memory_mb: {
                let v = value("COBROWSE_REPLICA_MEMORY");
                v.parse().ok().filter(|mb| *mb >= 16).ok_or(SettingsError::Invalid {
                    name: "COBROWSE_REPLICA_MEMORY",
                    value: v,
                    what: "number of megabytes, 16 or more",
                })?
            },
            webhook_url: get("COBROWSE_WEBHOOK_URL"),
            webhook_secret: match (get("COBROWSE_WEBHOOK_URL"), secret("COBROWSE_WEBHOOK_SECRET")?) {
                (Some(_), None) => {
                    return Err(SettingsError::Invalid {
                        name: "COBROWSE_WEBHOOK_SECRET",
                        value: String::new(),
                        what: "secret (required with COBROWSE_WEBHOOK_URL)",
                    })
                }
                (_, secret) => secret,
            },
            metrics_token: secret("COBROWSE_METRICS_TOKEN")?,
            trusted_proxies: match get("COBROWSE_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        p.parse().map_err(|_| SettingsError::Invalid {
                            name: "COBROWSE_TRUSTED_PROXIES",
                            value: p.to_string(),
                            what: "IP address (like 10.0.0.2)",
                        })
                    })
                    .collect::<Result<_, _>>()?,
            },
            latency_budget: duration("COBROWSE_LATENCY_BUDGET")?.max(Duration::from_millis(1)),
            stage_trace: get("COBROWSE_STAGE_TRACE").map(PathBuf::from),
            workspace_origins: match get("COBROWSE_WORKSPACE_ORIGINS") {
                None => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .map(|o| match crate::profile::origin_of(&o) {
                        Some(origin) if origin == o => Ok(o),
                        _ => Err(SettingsError::Invalid {
                            name: "COBROWSE_WORKSPACE_ORIGINS",
                            value: o,
                            what: "origin (scheme://host[:port])",
                        }),
                    })
                    .collect::<Result<_, _>>()?,
            },
        })
    }
}

/// Parses `250ms`, `90s`, `10m`, `1h`; a bare number means seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n * 60)),
        "h" => Some(Duration::from_secs(n * 3600)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
