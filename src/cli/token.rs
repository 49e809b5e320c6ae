//! `cobrowse token`: prints an agent token signed with the server's secret.

use std::time::{Duration, SystemTime};

use crate::auth::{Role, Signer};
use crate::settings::{parse_duration, CommaList, MIN_SECRET};

/// `cobrowse token`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// The agent's ID, as the contact center's systems know the agent
    #[arg(long, value_name = "ID")]
    pub agent: String,
    /// The name the customer sees [default: the ID]
    #[arg(long)]
    pub name: Option<String>,
    /// How long the token signs the agent in
    #[arg(long, default_value = "12h", value_parser = lifetime, value_name = "DURATION")]
    pub ttl: Duration,
    /// What the bearer may do: agent, supervisor (also watches other agents' sessions) or
    /// integration (the /api/ endpoints)
    #[arg(long, default_value = "agent", value_parser = role, value_name = "ROLE")]
    pub role: Role,
    /// Limits the agent to these profiles, comma-separated, by file name (without .toml) or origin
    #[arg(long, value_name = "NAME,...")]
    pub sites: Option<CommaList<String>>,
    /// The server's secret (16 characters or more)
    #[arg(long, env = "COBROWSE_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
}

fn lifetime(text: &str) -> Result<Duration, String> {
    parse_duration(text).filter(|d| !d.is_zero()).ok_or_else(|| "not a duration like 30m or 12h".into())
}

fn role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| "expected agent, supervisor or integration".into())
}

/// The signed token `args` ask for, or what is wrong with them.
pub fn token(args: TokenArgs) -> Result<String, String> {
    let agent = Some(args.agent).filter(|a| !a.trim().is_empty()).ok_or("--agent: the ID must not be blank")?;
    let name = args.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| agent.clone());
    let secret = args
        .secret
        .filter(|s| !s.is_empty())
        .ok_or("no secret: set COBROWSE_SECRET (the server's) or pass --secret")?;
    if secret.len() < MIN_SECRET {
        return Err(format!("the secret must have {MIN_SECRET} characters or more"));
    }
    let (signer, now) = (Signer::new(&secret), SystemTime::now());
    Ok(match args.sites {
        Some(CommaList(sites)) if sites.is_empty() => {
            return Err("--sites: name at least one profile (its file name without .toml) or origin".into())
        }
        Some(CommaList(sites)) => signer.issue_for_sites(&agent, &name, args.role, args.ttl, now, sites),
        None => signer.issue(&agent, &name, args.role, args.ttl, now),
    })
}
