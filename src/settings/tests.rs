//! The settings' parsing: flags over variables over defaults, every flag's variable, each bad
//! value refused with the setting named and what is allowed, and the README's table in step.

use clap::{CommandFactory, Parser};

use super::test_env::with_env;
use super::*;

/// The server's settings alone, as `cobrowse` with no subcommand parses them.
#[derive(Debug, Parser)]
#[command(name = "cobrowse")]
struct Serve {
    #[command(flatten)]
    settings: Settings,
}

/// Parses `args` with exactly `env` set; an error as the user reads it.
fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Settings, String> {
    let argv = std::iter::once("cobrowse").chain(args.iter().copied());
    let parsed = with_env(env, || {
        forget_empty_variables();
        Serve::try_parse_from(argv)
    });
    parsed.map_err(|e| e.render().to_string())?.settings.finish().map_err(|e| e.to_string())
}

#[test]
fn defaults_match_the_contract() {
    let s = parse(&[], &[]).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.demo_listen.on().unwrap().to_string(), "127.0.0.1:8081");
    assert_eq!(s.profiles, PathBuf::from("browser-profiles"));
    assert_eq!(s.chromium, PathBuf::from("/usr/bin/chromium"));
    assert_eq!(s.data, PathBuf::from("cobrowse-data"));
    assert_eq!(s.secret, None);
    assert_eq!(s.waiting_ttl, Duration::from_secs(600));
    assert_eq!(s.grace, Duration::from_secs(120));
    assert_eq!(s.reconnect_window, Duration::from_secs(3));
    assert_eq!(s.write_request_ttl, Duration::from_secs(30));
    assert_eq!(s.max_sessions, 100);
    assert_eq!(s.sessions_per_address, 5);
    assert_eq!(s.connections_per_address, 256);
    assert_eq!((s.header_timeout, s.idle_timeout), (Duration::from_secs(10), Duration::from_secs(75)));
    assert_eq!(s.agent_pixel_ratio, 3.0);
    assert_eq!(s.replica_memory_mb, 512);
    assert_eq!(s.latency_budget, Duration::from_millis(200));
    assert!(s.webhook_url.is_none() && s.webhook_ca.is_none() && s.metrics_token.is_none());
    assert!(s.trusted_proxies.0.is_empty() && s.workspace_origins.0.is_empty() && s.stage_trace.is_none());
    assert_eq!(s.log_format, LogFormat::Text);
    assert_eq!(
        s.headless_shell.on().map(PathBuf::as_path),
        Some(std::path::Path::new("/usr/lib/chromium/chromium-headless-shell"))
    );
}

/// Every setting, set by its environment variable alone, reaches the server.
#[test]
fn every_flag_reads_its_variable() {
    let env = [
        ("COBROWSE_LISTEN", "127.0.0.1:7000"),
        ("COBROWSE_DEMO_LISTEN", "off"),
        ("COBROWSE_PROFILES", "/etc/cobrowse/profiles"),
        ("COBROWSE_CHROMIUM", "/opt/chromium"),
        ("COBROWSE_HEADLESS_SHELL", "/opt/shell"),
        ("COBROWSE_SECRET", "0123456789abcdef"),
        ("COBROWSE_DATA", "/var/lib/cobrowse"),
        ("COBROWSE_WAITING_TTL", "5m"),
        ("COBROWSE_GRACE", "90s"),
        ("COBROWSE_RECONNECT_WINDOW", "4s"),
        ("COBROWSE_WRITE_REQUEST_TTL", "1m"),
        ("COBROWSE_MAX_SESSIONS", "12"),
        ("COBROWSE_SESSIONS_PER_ADDRESS", "50"),
        ("COBROWSE_CONNECTIONS_PER_ADDRESS", "1000"),
        ("COBROWSE_HEADER_TIMEOUT", "5s"),
        ("COBROWSE_IDLE_TIMEOUT", "2m"),
        ("COBROWSE_AGENT_PIXEL_RATIO", "1"),
        ("COBROWSE_REPLICA_MEMORY", "64"),
        ("COBROWSE_WEBHOOK_URL", "https://crm.example.com/hooks"),
        ("COBROWSE_WEBHOOK_SECRET", "fedcba9876543210"),
        ("COBROWSE_WEBHOOK_CA", "/etc/cobrowse/ca.pem"),
        ("COBROWSE_METRICS_TOKEN", "metrics-token-0123"),
        ("COBROWSE_TRUSTED_PROXIES", "10.0.0.2, ::1"),
        ("COBROWSE_LATENCY_BUDGET", "1s"),
        ("COBROWSE_STAGE_TRACE", "/tmp/stages.jsonl"),
        ("COBROWSE_WORKSPACE_ORIGINS", "https://crm.example.com, http://127.0.0.1:9000/"),
        ("COBROWSE_LOG_FORMAT", "json"),
        ("COBROWSE_NODE_ID", "node-2"),
        ("COBROWSE_REDIS", "redis://10.0.0.9:6379/0"),
        ("COBROWSE_ADVERTISE", "node-2.internal:8080"),
    ];
    let every = Serve::command().get_arguments().filter_map(|a| a.get_env()).count();
    assert_eq!(env.len(), every, "this test sets every setting's variable");
    let s = parse(&[], &env).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:7000");
    assert_eq!(s.demo_listen, OffOr::Off);
    assert_eq!(s.profiles, PathBuf::from("/etc/cobrowse/profiles"));
    assert_eq!(s.chromium, PathBuf::from("/opt/chromium"));
    assert_eq!(s.headless_shell, OffOr::On(PathBuf::from("/opt/shell")));
    assert_eq!(s.secret.as_deref(), Some("0123456789abcdef"));
    assert_eq!(s.data, PathBuf::from("/var/lib/cobrowse"));
    assert_eq!(s.waiting_ttl, Duration::from_secs(300));
    assert_eq!(s.grace, Duration::from_secs(90));
    assert_eq!(s.reconnect_window, Duration::from_secs(4));
    assert_eq!(s.write_request_ttl, Duration::from_secs(60));
    assert_eq!((s.max_sessions, s.sessions_per_address, s.connections_per_address), (12, 50, 1000));
    assert_eq!((s.header_timeout, s.idle_timeout), (Duration::from_secs(5), Duration::from_secs(120)));
    assert_eq!(s.agent_pixel_ratio, 1.0);
    assert_eq!(s.replica_memory_mb, 64);
    assert_eq!(s.webhook_url.as_deref(), Some("https://crm.example.com/hooks"));
    assert_eq!(s.webhook_secret.as_deref(), Some("fedcba9876543210"));
    assert_eq!(s.webhook_ca, Some(PathBuf::from("/etc/cobrowse/ca.pem")));
    assert_eq!(s.metrics_token.as_deref(), Some("metrics-token-0123"));
    assert_eq!(s.node_name(), "node-2");
    assert_eq!(s.redis.as_deref(), Some("redis://10.0.0.9:6379/0"));
    assert_eq!(s.advertised(), "node-2.internal:8080");
    let proxies: Vec<std::net::IpAddr> = s.trusted_proxies.0.iter().map(|p| p.0).collect();
    assert_eq!(proxies, ["10.0.0.2".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]);
    assert_eq!(s.latency_budget, Duration::from_secs(1));
    assert_eq!(s.stage_trace, Some(PathBuf::from("/tmp/stages.jsonl")));
    let origins: Vec<&str> = s.workspace_origins.0.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(origins, ["https://crm.example.com", "http://127.0.0.1:9000"]);
    assert_eq!(s.log_format, LogFormat::Json);
}

#[test]
fn flags_override_environment_and_empty_variables_count_as_unset() {
    let s = parse(
        &["--listen", "127.0.0.1:9000", "--grace=5s", "--log-format", "text"],
        &[("COBROWSE_LISTEN", "127.0.0.1:7000"), ("COBROWSE_LOG_FORMAT", "json"), ("COBROWSE_GRACE", "")],
    )
    .unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(s.grace, Duration::from_secs(5));
    assert_eq!(s.log_format, LogFormat::Text);
    let s = parse(&[], &[("COBROWSE_GRACE", ""), ("COBROWSE_SECRET", "")]).unwrap();
    assert_eq!((s.grace, s.secret), (Duration::from_secs(120), None));
}

/// Arguments, variables, and words the refusal must contain.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn bad_values_name_the_setting_and_what_is_allowed() {
    let cases: &[Case] = &[
        (&["--listen", "nowhere"], &[], &["--listen", "nowhere"]),
        (&[], &[("COBROWSE_GRACE", "soon")], &["--grace", "soon", "like 250ms, 90s"]),
        (&["--colour"], &[], &["--colour"]),
        (&["--max-sessions", "0"], &[], &["--max-sessions", "1 or more"]),
        (&["--sessions-per-address", "0"], &[], &["--sessions-per-address"]),
        (&["--trusted-proxies", "10.0.0.2,proxy.local"], &[], &["--trusted-proxies", "proxy.local", "IP address"]),
        (&["--listen"], &[], &["--listen"]),
        (&["--agent-pixel-ratio", "4"], &[], &["--agent-pixel-ratio", "1 to 3"]),
        (&["--agent-pixel-ratio", "sharp"], &[], &["--agent-pixel-ratio"]),
        (&["--replica-memory", "8"], &[], &["--replica-memory", "16 or more"]),
        (&["--replica-memory", "lots"], &[], &["--replica-memory", "lots"]),
        (&["--latency-budget", "soon"], &[], &["--latency-budget", "soon"]),
        (&["--log-format", "xml"], &[], &["--log-format", "text", "json"]),
        (&["--demo-listen", "elsewhere"], &[], &["--demo-listen", "off"]),
        (&[], &[("COBROWSE_WORKSPACE_ORIGINS", "https://crm.example.com/agent")], &["--workspace-origins", "origin"]),
    ];
    for (args, env, words) in cases {
        let err = parse(args, env).unwrap_err();
        for word in *words {
            assert!(err.contains(word), "{args:?} {env:?}: {word:?} not in {err}");
        }
    }
}

#[test]
fn secrets_must_be_real_are_never_echoed_and_webhooks_need_their_own() {
    let err = parse(&["--secret", ""], &[]).unwrap_err();
    assert!(err.contains("COBROWSE_SECRET") && err.contains("16 characters"), "{err}");
    let err = parse(&["--secret=short-one"], &[]).unwrap_err();
    assert!(!err.contains("short-one"), "the secret is not echoed: {err}");
    let err = parse(&["--metrics-token", "short-token"], &[]).unwrap_err();
    assert!(err.contains("COBROWSE_METRICS_TOKEN") && !err.contains("short-token"), "{err}");
    let err = parse(&["--webhook-url", "https://127.0.0.1:9/h"], &[]).unwrap_err();
    assert!(err.contains("COBROWSE_WEBHOOK_SECRET"), "{err}");
    assert!(!err.contains("https://"), "{err}");
    let s = parse(&["--webhook-url", "https://127.0.0.1:9/h", "--webhook-secret", "fedcba9876543210"], &[]).unwrap();
    assert_eq!(s.webhook_secret.as_deref(), Some("fedcba9876543210"));
    // `--help` shows which variable sets a secret, never its value.
    let help = with_env(&[("COBROWSE_SECRET", "do-not-print-me-0123")], || Serve::command().render_long_help());
    assert!(help.to_string().contains("COBROWSE_SECRET") && !help.to_string().contains("do-not-print-me"), "{help}");
}

#[test]
fn timeouts_have_a_floor() {
    let s = parse(&["--header-timeout", "0", "--idle-timeout", "100ms", "--latency-budget", "0"], &[]).unwrap();
    assert_eq!((s.header_timeout, s.idle_timeout), (Duration::from_secs(1), Duration::from_secs(1)));
    assert_eq!(s.latency_budget, Duration::from_millis(1));
}

#[test]
fn durations() {
    assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
    assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
    assert_eq!(parse_duration("soon"), None);
    assert_eq!(parse_duration("-5s"), None);
}

/// The README's Settings table lists every flag with its variable, and nothing else.
#[test]
fn the_readme_lists_every_setting() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table: Vec<&str> = readme
        .split("## Settings")
        .nth(1)
        .expect("a Settings section")
        .lines()
        .skip_while(|l| !l.starts_with("| flag"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let command = Serve::command();
    let settings: Vec<_> = command.get_arguments().filter(|a| a.get_long().is_some_and(|l| l != "help")).collect();
    assert_eq!(table.len(), settings.len(), "one row per setting");
    for arg in settings {
        let (flag, env) = (format!("`--{}`", arg.get_long().unwrap()), arg.get_env().unwrap().to_string_lossy());
        let row = table
            .iter()
            .find(|row| row.starts_with(&format!("| {flag} |")))
            .unwrap_or_else(|| panic!("{flag} not in the README"));
        assert!(row.contains(&format!("`{env}`")), "{flag}: {env} not in its README row: {row}");
    }
}

#[test]
fn a_cluster_needs_the_shared_secret_and_a_reachable_address() {
    let err = parse(&["--redis", "redis://127.0.0.1:6379/0"], &[]).unwrap_err();
    assert!(err.contains("COBROWSE_SECRET") && err.contains("same on every node"), "{err}");
    let s = parse(&["--redis", "redis://127.0.0.1:6379/0", "--secret", "0123456789abcdef"], &[]).unwrap();
    assert_eq!(s.advertised(), "127.0.0.1:8080", "the listen address by default");
    let s = parse(&["--listen", "0.0.0.0:9000", "--node-id", "web-3"], &[]).unwrap();
    assert_eq!(s.advertised(), "web-3:9000", "a wildcard listen address is reached by the node's name");
    for wrong in ["node-2", "node-2:", ":8080", "node-2:http", "node-2:0", "http://node-2:8080"] {
        let err = parse(&["--advertise", wrong], &[]).unwrap_err();
        assert!(err.contains("--advertise") && err.contains("HOST:PORT"), "{wrong}: {err}");
    }
}
