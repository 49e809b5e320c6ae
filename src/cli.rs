//! The command line: `cobrowse` serves; `cobrowse check-profiles [DIR]` validates profiles;
//! `cobrowse bench` runs the benchmark.

use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::profile::{ProfileStore, Profiles};
use crate::replica::ReplicaBrowser;
use crate::server::AppState;
use crate::session::Timings;
use crate::settings::{Settings, SPECS};

/// Runs the command named by `args` (without the program name).
pub async fn main(args: Vec<String>) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("check-profiles") => check_profiles(args.get(1).map(String::as_str)),
        Some("bench") => match std::env::current_exe() {
            Ok(exe) => crate::bench::main(&args[1..], &exe).await,
            Err(e) => {
                eprintln!("cobrowse bench: cannot find this program's path: {e}");
                ExitCode::FAILURE
            }
        },
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

fn usage() -> String {
    let mut text = String::from(
        "Usage:\n  cobrowse [OPTIONS]              serve the co-browse server (and the demo site)\n  cobrowse check-profiles [DIR]   validate browser profiles without starting\n  cobrowse bench [OPTIONS]        run the benchmark (see README, Performance)\n\nOptions (each also an environment variable):\n",
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

    let profiles = match ProfileStore::load(&settings.profiles) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cobrowse: bad browser profile: {e}");
            return ExitCode::FAILURE;
        }
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
        Arc::new(ReplicaBrowser::new(settings.chromium.clone())),
        Timings {
            waiting_ttl: settings.waiting_ttl,
            grace: settings.grace,
            reconnect_window: settings.reconnect_window,
            write_request_ttl: settings.write_request_ttl,
        },
    )
    .with_max_sessions(settings.max_sessions);
    let browser = state.browser.clone();
    tokio::spawn(async move {
        if let Err(e) = browser.start().await {
            tracing::error!(error = %e, "Chromium could not start; sessions will retry when they need it");
        }
    });

    println!("Co-browse server:  {server_url}");
    if let Some(url) = &demo_url {
        println!("Customer (demo site, click \"Co-browse\"):  {url}");
    }
    println!("Agent view (enter the customer's session ID):  {server_url}/agent/");
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
