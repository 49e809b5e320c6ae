//! `cobrowse drain`: asks a node of a cluster to drain (as SIGTERM does): it stops taking new
//! sessions, hands its live ones to the other nodes, then exits.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use crate::auth::{Role, Signer};
use crate::settings::MIN_SECRET;

/// `cobrowse drain`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct DrainArgs {
    /// The node to drain, by its own address (not the load balancer's)
    #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
    pub server: String,
    /// The cluster's secret (16 characters or more)
    #[arg(long, env = "COBROWSE_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
}

/// Asks the node; prints what it answered.
pub async fn drain(args: DrainArgs) -> ExitCode {
    let Some(secret) = args.secret.filter(|s| s.len() >= MIN_SECRET) else {
        eprintln!(
            "cobrowse drain: set COBROWSE_SECRET (the cluster's, {MIN_SECRET} characters or more) or pass --secret"
        );
        return ExitCode::from(2);
    };
    let token = Signer::new(&secret).issue(
        "cobrowse-drain",
        "cobrowse drain",
        Role::Integration,
        Duration::from_secs(60),
        SystemTime::now(),
    );
    let url = format!("{}/api/drain", args.server.trim_end_matches('/'));
    // As for webhooks: ring, installed before any client (deprecated only for post-quantum).
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("cobrowse drain: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.post(&url).bearer_auth(token).send().await {
        Ok(answer) if answer.status().is_success() => {
            println!("{}", answer.text().await.unwrap_or_default().trim());
            ExitCode::SUCCESS
        }
        Ok(answer) => {
            let status = answer.status();
            eprintln!("cobrowse drain: {url} answered {status}: {}", answer.text().await.unwrap_or_default().trim());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("cobrowse drain: cannot reach {url}: {e}");
            ExitCode::FAILURE
        }
    }
}
