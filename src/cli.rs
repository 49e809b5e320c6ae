//! The command line: `cobrowse` serves; `cobrowse token` prints a signed agent token;
//! `cobrowse check-profiles [DIR]` validates profiles; `cobrowse bench` runs the benchmark.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;

use crate::audit::Audit;
use crate::auth::{Role, Signer};
use crate::profile::{ProfileStore, Profiles};
use crate::replica::ReplicaBrowser;
use crate::server::AppState;
use crate::session::{Services, Timings};
use crate::settings::{parse_duration, Settings, SPECS};

/// Runs the command named by `args` (without the program name).
pub async fn main(args: Vec<String>) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("check-profiles") => check_profiles(args.get(1).map(String::as_str)),
        Some("token") => match token(&args[1..], |name| std::env::var(name).ok()) {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cobrowse token: {e}\n\n{TOKEN_USAGE}");
                ExitCode::from(2)
            }
        },
        #[cfg(feature = "bench")]
        Some("bench") => match std::env::current_exe() {
            Ok(exe) => crate::bench::main(&args[1..], &exe).await,
            Err(e) => {
                eprintln!("cobrowse bench: cannot find this program's path: {e}");
                ExitCode::FAILURE
            }
        },
        #[cfg(feature = "bench")]
        Some("soak") => match std::env::current_exe() {
            Ok(exe) => crate::bench::soak::main(&args[1..], &exe).await,
            Err(e) => {
                eprintln!("cobrowse soak: cannot find this program's path: {e}");
                ExitCode::FAILURE
            }
        },
        #[cfg(not(feature = "bench"))]
        Some(command @ ("bench" | "soak")) => {
            eprintln!(
                "cobrowse {command}: this build leaves the benchmark out (built with --no-default-features); \
                 build with the default features to run it"
            );
            ExitCode::from(2)
        }
        Some("help" | "--help" | "-h") => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        _ => match Settings::parse(&args, |name| std::env::var(name).ok()) {
            Ok(settings) => serve(settings).await,
            Err(e) => {
                eprintln!("cobrowse: {e}\n\n{}", usage());
                ExitCode::from(2)
            }
        },
    }
}

const TOKEN_USAGE: &str = "Usage: cobrowse token --agent ID --name NAME [--ttl 12h] [--role agent|supervisor|integration] [--sites NAME,...] [--secret SECRET]\n(the secret defaults to COBROWSE_SECRET; it must be the server's; --sites limits the agent to those profiles, by file name or origin)";

/// A signed token from `cobrowse token`'s arguments.
fn token(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let (mut agent, mut name, mut ttl, mut role, mut secret) = (None, None, "12h".to_string(), Role::Agent, None);
    let mut sites: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--agent" => agent = Some(value()?),
            "--name" => name = Some(value()?),
            "--ttl" => ttl = value()?,
            "--role" => {
                let v = value()?;
                role = Role::parse(&v).ok_or(format!("--role: {v:?} is not agent, supervisor or integration"))?;
            }
            "--secret" => secret = Some(value()?),
            "--sites" => {
                let list: Vec<String> =
                    value()?.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                if list.is_empty() {
                    return Err("--sites: name at least one profile (its file name without .toml) or origin".into());
                }
                sites = Some(list);
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let agent = agent.filter(|a| !a.trim().is_empty()).ok_or("--agent ID is required")?;
    let name = name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| agent.clone());
    let ttl = parse_duration(&ttl)
        .filter(|d| !d.is_zero())
        .ok_or(format!("--ttl: {ttl:?} is not a duration like 30m or 12h"))?;
    let secret = secret
        .or_else(|| env("COBROWSE_SECRET").filter(|s| !s.is_empty()))
        .ok_or("no secret: set COBROWSE_SECRET (the server's) or pass --secret")?;
    if secret.len() < crate::settings::MIN_SECRET {
        return Err(format!("the secret must have {} characters or more", crate::settings::MIN_SECRET));
    }
    let (signer, now) = (Signer::new(&secret), std::time::SystemTime::now());
    Ok(match sites {
        Some(sites) => signer.issue_for_sites(&agent, &name, role, ttl, now, sites),
        None => signer.issue(&agent, &name, role, ttl, now),
    })
}

fn usage() -> String {
    let mut text = String::from(
        "Usage:\n  cobrowse [OPTIONS]              serve the co-browse server (and the demo site)\n  cobrowse token --agent ID --name NAME [--ttl 12h] [--role agent|supervisor|integration] [--sites NAME,...]\n                                  print a signed agent token (COBROWSE_SECRET signs it)\n  cobrowse check-profiles [DIR]   validate browser profiles without starting\n  cobrowse bench [OPTIONS]        run the benchmark (see README, Performance)\n  cobrowse soak [OPTIONS]         N sessions for M minutes; memory, descriptors and processes back to idle?\n\nOptions (each also an environment variable):\n",
    );
    for s in SPECS {
        text.push_str(&format!("  {:<20} {:<26} {} (default {})\n", s.flag, s.env, s.help, s.default));
    }
    text
}

fn check_profiles(dir: Option<&str>) -> ExitCode {
    let dir = dir
        .map(String::from)
        .or_else(|| std::env::var("COBROWSE_PROFILES").ok())
        .unwrap_or_else(|| "browser-profiles".into());
    match Profiles::check(std::path::Path::new(&dir)) {
        Ok(count) => {
            println!("{dir}: {count} profile(s), all valid");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            eprintln!("{dir}: {} problem(s); co-browse would not start with these profiles", problems.len());
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "cobrowse=info,chromiumoxide=off,warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();

    if let Some(path) = &settings.stage_trace {
        if let Err(e) = crate::reporting::stages::open(path) {
            eprintln!("cobrowse: cannot write the stage trace to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let profiles = match ProfileStore::load(&settings.profiles) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cobrowse: bad browser profile: {e}");
            return ExitCode::FAILURE;
        }
    };
    let audit = match Audit::open(&settings.data) {
        Ok(audit) => audit,
        Err(e) => {
            eprintln!("cobrowse: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (secret, generated) = match &settings.secret {
        Some(secret) => (secret.clone(), false),
        None => (Signer::generate_secret(), true),
    };
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let webhook_secret = settings.webhook_secret.clone().unwrap_or_default();
    let hooks = match settings
        .webhook_url
        .as_deref()
        .map(|url| crate::hooks::Webhooks::new(url, &webhook_secret, metrics.clone()))
    {
        Some(Ok(hooks)) => Some(hooks),
        Some(Err(e)) => {
            eprintln!("cobrowse: {e}");
            return ExitCode::from(2);
        }
        None => None,
    };
    let listener = match TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cobrowse: cannot listen on {}: {e}", settings.listen);
            return ExitCode::FAILURE;
        }
    };
    let server_url = format!("http://{}", listener.local_addr().map(|a| a.to_string()).unwrap_or_default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };

    let mut demo_task = None;
    let mut demo_url = None;
    if let Some(addr) = settings.demo_listen {
        match TcpListener::bind(addr).await {
            Ok(demo) => {
                demo_url = Some(format!("http://{}/", demo.local_addr().map(|a| a.to_string()).unwrap_or_default()));
                demo_task = Some(tokio::spawn(crate::demo::serve(demo, server_url.clone(), stopped())));
            }
            Err(e) => {
                eprintln!("cobrowse: cannot listen on {addr} for the demo site: {e}");
                return ExitCode::FAILURE;
            }
        }
    }

    let state = AppState::new(
        profiles,
        Arc::new(
            ReplicaBrowser::new(settings.chromium.clone())
                .with_headless_shell(settings.headless_shell.clone())
                .with_frame_ratio(settings.agent_pixel_ratio)
                .with_memory_budget(settings.replica_memory_mb)
                .with_latency_budget(settings.latency_budget),
        ),
        Timings {
            waiting_ttl: settings.waiting_ttl,
            grace: settings.grace,
            reconnect_window: settings.reconnect_window,
            write_request_ttl: settings.write_request_ttl,
        },
    )
    .with_max_sessions(settings.max_sessions)
    .with_sessions_per_address(settings.sessions_per_address)
    .with_connection_limits(crate::server::listen::ConnectionLimits {
        header_read: settings.header_timeout,
        idle: settings.idle_timeout,
        per_address: settings.connections_per_address,
    })
    .with_secret(&secret)
    .with_services(Services { audit, metrics, hooks })
    .with_workspace_origins(settings.workspace_origins.clone())
    .with_metrics_token(settings.metrics_token.clone())
    .with_trusted_proxies(settings.trusted_proxies.clone());
    let state = if demo_url.is_some() { state.with_routes(crate::demo_chat::routes()) } else { state };
    // Before this server's own Chromium starts: a server killed before it left its own behind.
    crate::replica::leftovers::clean_up();
    let browser = state.replicas.browser().clone();
    tokio::spawn(async move {
        if let Err(e) = browser.start().await {
            tracing::error!(error = %e, "Chromium could not start; sessions will retry when they need it");
        }
    });

    println!("Co-browse server:  {server_url}");
    if let Some(url) = &demo_url {
        println!("Customer (demo site, click \"Co-browse\"):  {url}");
    }
    // Demo credentials are for trying the product on one machine: printed only when the demo
    // site runs with a secret made up for this process. A deployment (its own secret, or no
    // demo site) must not find a valid agent token in its logs.
    if generated && demo_url.is_some() {
        println!("Token secret (generated; set COBROWSE_SECRET to keep tokens valid across restarts):  {secret}");
        let demo_token = state.signer.issue(
            "demo-agent",
            "Demo Agent",
            Role::Agent,
            Duration::from_secs(12 * 3600),
            SystemTime::now(),
        );
        println!("Agent view (signed in as Demo Agent for 12 h; enter the customer's session ID):  {server_url}/agent/#token={demo_token}");
        println!("Demo workspace (chat with the demo site; co-browse starts from the chat):  {server_url}/demo/workspace/#token={demo_token}");
    } else {
        if generated {
            tracing::warn!("COBROWSE_SECRET is not set: a secret made up for this process signs tokens, so no agent can sign in; set it");
        }
        println!("Agent view (agents sign in with a token signed with COBROWSE_SECRET; see `cobrowse token`):  {server_url}/agent/");
    }
    tokio::spawn(async move {
        // Ctrl-C by hand, SIGTERM from a container runtime: either ends sessions cleanly.
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminated = async {
            match terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminated => {}
        }
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    });
    let result = crate::server::run(listener, stopped(), state).await;
    if let Some(task) = demo_task {
        let _ = task.await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cobrowse: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn token_signs_with_the_server_secret() {
        let env = |name: &str| (name == "COBROWSE_SECRET").then(|| "s3cret-of-16-chars".to_string());
        let signed = token(&args(&["--agent", "a-1", "--name", "Ann", "--ttl", "30m"]), env).unwrap();
        let claims = Signer::new("s3cret-of-16-chars").verify(&signed, SystemTime::now()).unwrap();
        assert_eq!((claims.sub.as_str(), claims.name.as_str(), claims.role), ("a-1", "Ann", Role::Agent));
        assert!(Signer::new("s3cret-of-16-chars")
            .verify(&signed, SystemTime::now() + Duration::from_secs(31 * 60))
            .is_err());
        let limited = token(&args(&["--agent", "o-1", "--sites", "bank, https://shop.example"]), env).unwrap();
        let claims = Signer::new("s3cret-of-16-chars").verify(&limited, SystemTime::now()).unwrap();
        assert_eq!(claims.sites, Some(vec!["bank".to_string(), "https://shop.example".to_string()]));
        assert!(token(&args(&["--agent", "o-1", "--sites", " , "]), env).unwrap_err().contains("--sites"));
        let supervisor = token(&args(&["--agent", "s", "--role", "supervisor"]), env).unwrap();
        assert_eq!(
            Signer::new("s3cret-of-16-chars").verify(&supervisor, SystemTime::now()).unwrap().role,
            Role::Supervisor
        );
    }

    #[test]
    fn token_says_what_is_missing() {
        let none = |_: &str| None;
        assert!(token(&args(&["--name", "Ann"]), none).unwrap_err().contains("--agent"));
        assert!(token(&args(&["--agent", "a"]), none).unwrap_err().contains("COBROWSE_SECRET"));
        assert!(token(&args(&["--agent", "a", "--secret", "k", "--ttl", "soon"]), none).unwrap_err().contains("--ttl"));
        assert!(token(&args(&["--agent", "a", "--secret", "k", "--role", "boss"]), none)
            .unwrap_err()
            .contains("--role"));
    }
}
