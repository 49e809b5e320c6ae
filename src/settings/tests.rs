//! The settings' parsing: flags over variables over defaults, and each bad value named.

use super::*;

fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::parse(&args, |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
}

#[test]
fn defaults_match_the_contract() {
    let s = parse(&[], &[]).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.demo_listen.unwrap().to_string(), "127.0.0.1:8081");
    assert_eq!(s.chromium, PathBuf::from("/usr/bin/chromium"));
    assert_eq!(s.waiting_ttl, Duration::from_secs(600));
    assert_eq!(s.grace, Duration::from_secs(120));
    assert_eq!(s.max_sessions, 100);
    assert_eq!(s.agent_pixel_ratio, 3.0);
    assert_eq!(s.replica_memory_mb, 512);
    assert_eq!(s.sessions_per_address, 5);
}

#[test]
fn flags_override_environment() {
    let s = parse(
        &["--listen", "127.0.0.1:9000", "--grace=5s"],
        &[("COBROWSE_LISTEN", "127.0.0.1:7000"), ("COBROWSE_DEMO_LISTEN", "off")],
    )
    .unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(s.grace, Duration::from_secs(5));
    assert!(s.demo_listen.is_none());
}

#[test]
fn bad_values_name_the_setting() {
    let err = parse(&["--listen", "nowhere"], &[]).unwrap_err().to_string();
    assert!(err.contains("COBROWSE_LISTEN") && err.contains("nowhere"), "{err}");
    let err = parse(&[], &[("COBROWSE_GRACE", "soon")]).unwrap_err().to_string();
    assert!(err.contains("COBROWSE_GRACE"), "{err}");
    assert!(matches!(parse(&["--colour"], &[]), Err(SettingsError::Unknown(_))));
    assert!(parse(&["--max-sessions", "0"], &[]).unwrap_err().to_string().contains("COBROWSE_MAX_SESSIONS"));
    let proxies = parse(&["--trusted-proxies", "10.0.0.2, ::1"], &[]).unwrap().trusted_proxies;
    assert_eq!(proxies, vec!["10.0.0.2".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]);
    let err = parse(&["--trusted-proxies", "10.0.0.2,proxy.local"], &[]).unwrap_err().to_string();
    assert!(err.contains("COBROWSE_TRUSTED_PROXIES") && err.contains("proxy.local"), "{err}");
    let err = parse(&["--metrics-token", "short"], &[]).unwrap_err().to_string();
    assert!(err.contains("COBROWSE_METRICS_TOKEN"), "{err}");
    let err = parse(&["--sessions-per-address", "0"], &[]).unwrap_err().to_string();
    assert!(err.contains("COBROWSE_SESSIONS_PER_ADDRESS"), "{err}");
    assert!(matches!(parse(&["--listen"], &[]), Err(SettingsError::MissingValue(_))));
    for ratio in ["4", "0.5", "sharp"] {
        let err = parse(&["--agent-pixel-ratio", ratio], &[]).unwrap_err().to_string();
        assert!(err.contains("COBROWSE_AGENT_PIXEL_RATIO"), "{ratio}: {err}");
    }
    assert_eq!(parse(&[], &[("COBROWSE_AGENT_PIXEL_RATIO", "1")]).unwrap().agent_pixel_ratio, 1.0);
    for memory in ["8", "-1", "lots"] {
        let err = parse(&["--replica-memory", memory], &[]).unwrap_err().to_string();
        assert!(err.contains("COBROWSE_REPLICA_MEMORY") && err.contains(memory), "{memory}: {err}");
    }
    assert_eq!(parse(&["--replica-memory", "64"], &[]).unwrap().replica_memory_mb, 64);
}

#[test]
fn workspace_origins_are_a_list_of_origins() {
    let s = parse(&["--workspace-origins", "https://crm.example.com, http://127.0.0.1:9000/"], &[]).unwrap();
    assert_eq!(s.workspace_origins, ["https://crm.example.com", "http://127.0.0.1:9000"]);
    let err = parse(&[], &[("COBROWSE_WORKSPACE_ORIGINS", "https://crm.example.com/agent")]).unwrap_err();
    assert!(err.to_string().contains("COBROWSE_WORKSPACE_ORIGINS"), "{err}");
    assert!(parse(&[], &[]).unwrap().webhook_url.is_none());
}

#[test]
fn secrets_must_be_real_and_webhooks_need_their_own() {
    assert!(parse(&["--secret", ""], &[]).unwrap_err().to_string().contains("COBROWSE_SECRET"));
    assert!(parse(&["--secret=short"], &[]).is_err());
    let err = parse(&[], &[("COBROWSE_SECRET", "0123456789abcdef")]);
    assert_eq!(err.unwrap().secret.as_deref(), Some("0123456789abcdef"));
    let err = parse(&["--webhook-url", "http://127.0.0.1:9/h"], &[]).unwrap_err().to_string();
    assert!(err.contains("COBROWSE_WEBHOOK_SECRET"), "{err}");
    assert!(!err.contains("http://"), "{err}");
    let s = parse(&["--webhook-url", "http://127.0.0.1:9/h", "--webhook-secret", "fedcba9876543210"], &[]).unwrap();
    assert_eq!(s.webhook_secret.as_deref(), Some("fedcba9876543210"));
}

#[test]
fn durations() {
    assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
    assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(parse_duration("1 week"), None);
}

#[test]
fn the_latency_budget_and_the_stage_trace_are_settings() {
    let defaults = parse(&[], &[]).unwrap();
    assert_eq!(defaults.latency_budget, Duration::from_millis(200));
    assert!(defaults.stage_trace.is_none());
    let s = parse(&["--latency-budget", "350ms"], &[("COBROWSE_STAGE_TRACE", "/tmp/stages.jsonl")]).unwrap();
    assert_eq!(s.latency_budget, Duration::from_millis(350));
    assert_eq!(s.stage_trace.as_deref(), Some(std::path::Path::new("/tmp/stages.jsonl")));
    let env = parse(&[], &[("COBROWSE_LATENCY_BUDGET", "1s")]).unwrap();
    assert_eq!(env.latency_budget, Duration::from_secs(1));
    let err = parse(&["--latency-budget", "soon"], &[]).unwrap_err().to_string();
    assert!(err.contains("COBROWSE_LATENCY_BUDGET") && err.contains("soon"), "{err}");
}

#[test]
fn the_headless_shell_is_used_where_installed_unless_off() {
    let defaults = parse(&[], &[]).unwrap();
    assert_eq!(
        defaults.headless_shell.as_deref(),
        Some(std::path::Path::new("/usr/lib/chromium/chromium-headless-shell"))
    );
    assert_eq!(parse(&["--headless-shell", "off"], &[]).unwrap().headless_shell, None);
    let env = parse(&[], &[("COBROWSE_HEADLESS_SHELL", "/opt/shell")]).unwrap();
    assert_eq!(env.headless_shell.as_deref(), Some(std::path::Path::new("/opt/shell")));
}
