//! The settings' table: each flag, its environment variable, default and help, in the order
//! `--help` and the README list them.

/// One row of the settings table: flag, environment variable, default, help.
pub struct SettingSpec {
    pub flag: &'static str,
    pub env: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// Every setting, in the order `--help` and the README list them.
pub const SPECS: &[SettingSpec] = &[
    SettingSpec {
        flag: "--listen",
        env: "COBROWSE_LISTEN",
        default: "127.0.0.1:8080",
        help: "address of the co-browse server",
    },
    SettingSpec {
        flag: "--demo-listen",
        env: "COBROWSE_DEMO_LISTEN",
        default: "127.0.0.1:8081",
        help: "address of the demo company site; `off` disables it",
    },
    SettingSpec {
        flag: "--profiles",
        env: "COBROWSE_PROFILES",
        default: "browser-profiles",
        help: "folder of browser profiles (*.toml)",
    },
    SettingSpec {
        flag: "--chromium",
        env: "COBROWSE_CHROMIUM",
        default: "/usr/bin/chromium",
        help: "Chromium binary for the replicas",
    },
    SettingSpec {
        flag: "--headless-shell",
        env: "COBROWSE_HEADLESS_SHELL",
        default: "/usr/lib/chromium/chromium-headless-shell",
        help: "headless shell the replicas run in where installed (frames drawn on demand); `off` uses --chromium",
    },
    SettingSpec {
        flag: "--secret",
        env: "COBROWSE_SECRET",
        default: "(generated)",
        help: "secret that signs agent tokens",
    },
    SettingSpec {
        flag: "--data",
        env: "COBROWSE_DATA",
        default: "cobrowse-data",
        help: "folder for durable data (audit database)",
    },
    SettingSpec {
        flag: "--waiting-ttl",
        env: "COBROWSE_WAITING_TTL",
        default: "10m",
        help: "a session no agent joins expires after this",
    },
    SettingSpec {
        flag: "--grace",
        env: "COBROWSE_GRACE",
        default: "2m",
        help: "a joined session ends when its customer is gone this long",
    },
    SettingSpec {
        flag: "--reconnect-window",
        env: "COBROWSE_RECONNECT_WINDOW",
        default: "3s",
        help: "a customer gone longer than this (not a page load) pauses the session",
    },
    SettingSpec {
        flag: "--write-request-ttl",
        env: "COBROWSE_WRITE_REQUEST_TTL",
        default: "30s",
        help: "a write-mode request the customer does not answer lapses after this",
    },
    SettingSpec {
        flag: "--max-sessions",
        env: "COBROWSE_MAX_SESSIONS",
        default: "100",
        help: "live sessions at most (each holds a Chromium context)",
    },
    SettingSpec {
        flag: "--sessions-per-address",
        env: "COBROWSE_SESSIONS_PER_ADDRESS",
        default: "5",
        help: "live sessions one customer address may start (twice as many starts a minute); behind a reverse proxy every customer has the proxy's address, so raise it there",
    },
    SettingSpec {
        flag: "--connections-per-address",
        env: "COBROWSE_CONNECTIONS_PER_ADDRESS",
        default: "256",
        help: "open connections one source address may hold (a browser opens up to 6 and a WebSocket per tab; agents behind one NAT address share it); more are answered 503",
    },
    SettingSpec {
        flag: "--header-timeout",
        env: "COBROWSE_HEADER_TIMEOUT",
        default: "10s",
        help: "a connection that has not sent its request's headers in this time is closed",
    },
    SettingSpec {
        flag: "--idle-timeout",
        env: "COBROWSE_IDLE_TIMEOUT",
        default: "75s",
        help: "a connection with no traffic either way for this long is closed (live WebSockets ping every 20 s)",
    },
    SettingSpec {
        flag: "--agent-pixel-ratio",
        env: "COBROWSE_AGENT_PIXEL_RATIO",
        default: "3",
        help: "device pixels per CSS pixel at most in the frames agents get (1 to 3): a customer on a HiDPI screen (a phone at 3) is sent in device pixels up to this; 1 sends CSS pixels, for agents on standard screens, at a third of the latency",
    },
    SettingSpec {
        flag: "--replica-memory",
        env: "COBROWSE_REPLICA_MEMORY",
        default: "512",
        help: "megabytes one replica page may take (script and DOM heaps); a customer's page that needs more shows the agent a notice instead",
    },
    SettingSpec {
        flag: "--webhook-url",
        env: "COBROWSE_WEBHOOK_URL",
        default: "(none)",
        help: "http:// URL that session-started and session-ended are posted to",
    },
    SettingSpec {
        flag: "--webhook-secret",
        env: "COBROWSE_WEBHOOK_SECRET",
        default: "(none)",
        help: "signs webhook bodies (X-Cobrowse-Signature); required with --webhook-url",
    },
    SettingSpec {
        flag: "--metrics-token",
        env: "COBROWSE_METRICS_TOKEN",
        default: "(none: public)",
        help: "when set, /metrics answers only requests with Authorization: Bearer and this token (16 characters or more)",
    },
    SettingSpec {
        flag: "--trusted-proxies",
        env: "COBROWSE_TRUSTED_PROXIES",
        default: "(none)",
        help: "comma-separated IP addresses of reverse proxies whose X-Forwarded-For names the client (for per-address limits); their own connections are not capped",
    },
    SettingSpec {
        flag: "--latency-budget",
        env: "COBROWSE_LATENCY_BUDGET",
        default: "200ms",
        help: "p95 of a change's time in the server above which new sessions are refused as busy",
    },
    SettingSpec {
        flag: "--stage-trace",
        env: "COBROWSE_STAGE_TRACE",
        default: "(none)",
        help: "file to write each change's stage times to (for `cobrowse bench`)",
    },
    SettingSpec {
        flag: "--workspace-origins",
        env: "COBROWSE_WORKSPACE_ORIGINS",
        default: "(none)",
        help: "comma-separated origins of workspaces that may embed the agent view",
    },
];
