//! Server settings: each one is a command-line flag and an environment variable (flag wins),
//! parsed by clap from the table in [`Settings`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server needs to know before it starts. Each field is a flag and an environment
/// variable (the flag wins); `--help` lists them in this order, and the README's Settings table
/// is checked against them.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Server settings (each flag also reads the environment variable shown)")]
pub struct Settings {
    /// Address of the co-browse server
    #[arg(long, env = "COBROWSE_LISTEN", default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub listen: SocketAddr,
    /// Address of the demo company site; `off` disables it
    #[arg(long, env = "COBROWSE_DEMO_LISTEN", default_value = "127.0.0.1:8081", value_name = "HOST:PORT|off")]
    pub demo_listen: OffOr<SocketAddr>,
    /// Folder of browser profiles (*.toml)
    #[arg(long, env = "COBROWSE_PROFILES", default_value = "browser-profiles", value_name = "DIR")]
    pub profiles: PathBuf,
    /// Chromium binary for the replicas where the headless shell is not installed
    #[arg(long, env = "COBROWSE_CHROMIUM", default_value = "/usr/bin/chromium", value_name = "PATH")]
    pub chromium: PathBuf,
    /// Debian's headless shell, which the replicas run in where it is installed (frames drawn on
    /// demand, only their damaged part captured); `off` uses --chromium
    #[arg(
        long,
        env = "COBROWSE_HEADLESS_SHELL",
        default_value = "/usr/lib/chromium/chromium-headless-shell",
        value_name = "PATH|off"
    )]
    pub headless_shell: OffOr<PathBuf>,
    /// Secret that signs agent tokens, 16 characters or more [default: generated at start]
    #[arg(long, env = "COBROWSE_SECRET", hide_env_values = true, value_name = "SECRET")]
    pub secret: Option<String>,
    /// Folder for durable data (audit database)
    #[arg(long, env = "COBROWSE_DATA", default_value = "cobrowse-data", value_name = "DIR")]
    pub data: PathBuf,
    /// A session no agent joins expires after this
    #[arg(long, env = "COBROWSE_WAITING_TTL", default_value = "10m", value_parser = duration, value_name = "DURATION")]
    pub waiting_ttl: Duration,
    /// A joined session ends when its customer is gone this long
    #[arg(long, env = "COBROWSE_GRACE", default_value = "2m", value_parser = duration, value_name = "DURATION")]
    pub grace: Duration,
    /// A customer gone longer than this (not a page load) pauses the session
    #[arg(long, env = "COBROWSE_RECONNECT_WINDOW", default_value = "3s", value_parser = duration, value_name = "DURATION")]
    pub reconnect_window: Duration,
    /// A write-mode request the customer does not answer lapses after this
    #[arg(long, env = "COBROWSE_WRITE_REQUEST_TTL", default_value = "30s", value_parser = duration, value_name = "DURATION")]
    pub write_request_ttl: Duration,
    /// Live sessions at most (each holds a Chromium context)
    #[arg(long, env = "COBROWSE_MAX_SESSIONS", default_value = "100", value_parser = positive, value_name = "N")]
    pub max_sessions: usize,
    /// Live sessions one customer address may start (twice as many starts a minute); behind a
    /// reverse proxy every customer has the proxy's address, so raise it there
    #[arg(long, env = "COBROWSE_SESSIONS_PER_ADDRESS", default_value = "5", value_parser = positive, value_name = "N")]
    pub sessions_per_address: usize,
    /// Open connections one source address may hold (a browser opens up to 6 and a WebSocket per
    /// tab; agents behind one NAT address share it); more are answered 503
    #[arg(long, env = "COBROWSE_CONNECTIONS_PER_ADDRESS", default_value = "256", value_parser = positive, value_name = "N")]
    pub connections_per_address: usize,
    /// A connection that has not sent its request's headers in this time is closed (1 s at least)
    #[arg(long, env = "COBROWSE_HEADER_TIMEOUT", default_value = "10s", value_parser = duration, value_name = "DURATION")]
    pub header_timeout: Duration,
    /// A connection with no traffic either way for this long is closed (live WebSockets ping
    /// every 20 s; 1 s at least)
    #[arg(long, env = "COBROWSE_IDLE_TIMEOUT", default_value = "75s", value_parser = duration, value_name = "DURATION")]
    pub idle_timeout: Duration,
    /// Device pixels per CSS pixel at most in the frames agents get (1 to 3); 1 sends CSS pixels,
    /// for agents on standard screens, at a third of the latency
    #[arg(long, env = "COBROWSE_AGENT_PIXEL_RATIO", default_value = "3", value_parser = pixel_ratio, value_name = "RATIO")]
    pub agent_pixel_ratio: f64,
    /// Megabytes one replica page may take (script and DOM heaps, 16 or more); a customer's page
    /// that needs more shows the agent a notice instead
    #[arg(long = "replica-memory", env = "COBROWSE_REPLICA_MEMORY", default_value = "512", value_parser = megabytes, value_name = "MB")]
    pub replica_memory_mb: u64,
    /// URL (https:// or http://) that session-started and session-ended are posted to
    #[arg(long, env = "COBROWSE_WEBHOOK_URL", hide_env_values = true, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// Signs webhook bodies (X-Cobrowse-Signature), 16 characters or more; required with
    /// --webhook-url
    #[arg(long, env = "COBROWSE_WEBHOOK_SECRET", hide_env_values = true, value_name = "SECRET")]
    pub webhook_secret: Option<String>,
    /// PEM file of certificate authorities the webhook receiver's certificate may also be signed
    /// by (a private CA, a self-signed receiver); the system's are always trusted
    #[arg(long, env = "COBROWSE_WEBHOOK_CA", value_name = "FILE")]
    pub webhook_ca: Option<PathBuf>,
    /// When set, /metrics answers only requests with Authorization: Bearer and this token (16
    /// characters or more) [default: public]
    #[arg(long, env = "COBROWSE_METRICS_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub metrics_token: Option<String>,
    /// Comma-separated IP addresses of reverse proxies whose X-Forwarded-For names the client (for
    /// per-address limits); their own connections are not capped
    #[arg(
        long,
        env = "COBROWSE_TRUSTED_PROXIES",
        default_value = "",
        hide_default_value = true,
        value_name = "IP,..."
    )]
    pub trusted_proxies: CommaList<IpAddress>,
    /// 95th percentile of a change's time in the server (over ten seconds) above which new
    /// sessions are refused as busy
    #[arg(long, env = "COBROWSE_LATENCY_BUDGET", default_value = "200ms", value_parser = duration, value_name = "DURATION")]
    pub latency_budget: Duration,
    /// File to append each change's stage times to (for `cobrowse bench`)
    #[arg(long, env = "COBROWSE_STAGE_TRACE", value_name = "FILE")]
    pub stage_trace: Option<PathBuf>,
    /// Comma-separated origins of workspaces that may embed the agent view
    #[arg(
        long,
        env = "COBROWSE_WORKSPACE_ORIGINS",
        default_value = "",
        hide_default_value = true,
        value_name = "ORIGIN,..."
    )]
    pub workspace_origins: CommaList<Origin>,
    /// This server's name in the session directory, the logs and the session API [default:
    /// HOSTNAME:PORT]
    #[arg(long, env = "COBROWSE_NODE_ID", value_name = "NAME", value_parser = node_id)]
    pub node_id: Option<String>,
    /// Redis URL of the cluster's session directory, such as redis://127.0.0.1:6379/0; every node
    /// with the same Redis (and the same --secret and profiles) joins one cluster [default: one
    /// node, its directory in --data]
    #[arg(long, env = "COBROWSE_REDIS", hide_env_values = true, value_name = "URL")]
    pub redis: Option<String>,
    /// HOST:PORT where the other nodes of the cluster reach this one [default: the listen
    /// address]
    #[arg(long, env = "COBROWSE_ADVERTISE", value_name = "HOST:PORT", value_parser = host_port)]
    pub advertise: Option<String>,
    /// How log lines are written to standard error: text for people, json (one object a line)
    /// for log pipelines
    #[arg(long, env = "COBROWSE_LOG_FORMAT", default_value = "text", value_name = "FORMAT")]
    pub log_format: LogFormat,
}

/// How the server writes its log lines.
#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Shortest secret accepted.
pub const MIN_SECRET: usize = 16;

/// A setting that is wrong in a way a flag's own parser cannot see, or must not echo (secrets).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SettingsError {
    #[error("{flag} ({env}): a secret needs {MIN_SECRET} characters or more")]
    ShortSecret { flag: &'static str, env: &'static str },
    #[error(
        "--webhook-secret (COBROWSE_WEBHOOK_SECRET) is required with --webhook-url: receivers check the signature"
    )]
    UnsignedWebhooks,
    #[error("--redis (COBROWSE_REDIS) needs --secret (COBROWSE_SECRET), the same on every node: nodes check each other's tokens and relayed connections with it")]
    ClusterWithoutSecret,
}

mod values;
pub use values::{duration, parse_duration, within, CommaList, IpAddress, OffOr, Origin};
use values::{megabytes, pixel_ratio, positive};

/// Removes the `COBROWSE_` variables set to nothing, so they count as unset (clap would take
/// the empty text as the value; a container's `COBROWSE_SECRET=` means "none"). Called before
/// any other thread runs.
pub fn forget_empty_variables() {
    for (name, value) in std::env::vars_os() {
        if value.is_empty() && name.to_string_lossy().starts_with("COBROWSE_") {
            std::env::remove_var(name);
        }
    }
}

impl Settings {
    /// The node's name: as set, or `HOSTNAME:PORT` of the listen address.
    pub fn node_name(&self) -> String {
        if let Some(name) = &self.node_id {
            return name.clone();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "localhost".into());
        format!("{host}:{}", self.listen.port())
    }

    /// Where the other nodes reach this one: as set, or the listen address (an unspecified
    /// address such as 0.0.0.0 stands for this host's name).
    pub fn advertised(&self) -> String {
        if let Some(address) = &self.advertise {
            return address.clone();
        }
        if self.listen.ip().is_unspecified() {
            let host = self.node_name();
            let host = host.rsplit_once(':').map(|(h, _)| h.to_string()).unwrap_or(host);
            return format!("{host}:{}", self.listen.port());
        }
        self.listen.to_string()
    }

    /// Checks what the flags' parsers cannot (secrets' length, without echoing them; a webhook
    /// URL needs its secret) and brings timeouts up to their floor.
    pub fn finish(mut self) -> Result<Settings, SettingsError> {
        let secrets = [
            ("--secret", "COBROWSE_SECRET", &self.secret),
            ("--webhook-secret", "COBROWSE_WEBHOOK_SECRET", &self.webhook_secret),
            ("--metrics-token", "COBROWSE_METRICS_TOKEN", &self.metrics_token),
        ];
        for (flag, env, value) in secrets {
            if value.as_ref().is_some_and(|v| v.len() < MIN_SECRET) {
                return Err(SettingsError::ShortSecret { flag, env });
            }
        }
        if self.webhook_url.is_some() && self.webhook_secret.is_none() {
            return Err(SettingsError::UnsignedWebhooks);
        }
        if self.redis.is_some() && self.secret.is_none() {
            return Err(SettingsError::ClusterWithoutSecret);
        }
        self.header_timeout = self.header_timeout.max(Duration::from_secs(1));
        self.idle_timeout = self.idle_timeout.max(Duration::from_secs(1));
        self.latency_budget = self.latency_budget.max(Duration::from_millis(1));
        Ok(self)
    }
}

#[cfg(test)]
pub mod test_env;
#[cfg(test)]
mod tests;

/// A node's name: printable, short, no blanks (it goes in logs and JSON).
fn node_id(text: &str) -> Result<String, String> {
    let ok = !text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| text.to_string())
        .ok_or_else(|| "1 to 128 printable characters without spaces, such as node-1 or host:8080".into())
}

/// Where a node is reached: HOST:PORT, the port a number.
fn host_port(text: &str) -> Result<String, String> {
    let ok = text.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && host.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
            && port.parse::<u16>().is_ok_and(|p| p > 0)
    });
    ok.then(|| text.to_string()).ok_or_else(|| "HOST:PORT, such as 10.0.0.5:8080 or node-2:8080".into())
}
