//! The command line, parsed by clap: `cobrowse` serves; `cobrowse token` prints a signed agent
//! token; `cobrowse check-profiles [DIR]` validates profiles; `cobrowse drain` drains a node; `cobrowse bench` and `cobrowse soak`
//! measure a server. Every flag of the server reads its environment variable (see
//! [`crate::settings`]); `--help` works at every level and `--version` at the top.

mod drain;
mod first_run;
mod logging;
mod serve;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::profile::Profiles;
use crate::settings::Settings;
pub use first_run::DEBIAN_PACKAGES;
pub use logging::DEFAULT_FILTER;

/// `cobrowse`: with no subcommand it serves.
#[derive(Debug, Parser)]
#[command(
    name = "cobrowse",
    version,
    about = "Co-browse server: a customer shares a live, masked rendering of a company's web page with a contact-center agent.",
    args_conflicts_with_subcommands = true,
    // As before clap: a flag given twice takes the last value (wrappers add their own).
    args_override_self = true,
    after_help = "With no subcommand, serves the co-browse server (and the demo site) until Ctrl-C or SIGTERM."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

/// What `cobrowse` does instead of serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a signed agent token (the server's COBROWSE_SECRET signs it)
    Token(token::TokenArgs),
    /// Validate browser profiles without starting the server
    CheckProfiles(CheckProfiles),
    /// Drain a node of a cluster: no new sessions, live ones handed to the other nodes, then it
    /// exits (as on SIGTERM)
    Drain(drain::DrainArgs),
    /// Run the benchmark: latency, frame rate, bandwidth and sessions at once, beside the anchors
    /// (see the README, Performance)
    #[cfg(feature = "bench")]
    Bench(crate::bench::Options),
    /// N sessions for M minutes: do memory, descriptors and processes come back to idle?
    #[cfg(feature = "bench")]
    Soak(crate::bench::soak::SoakOptions),
    /// (left out of this build: built with --no-default-features)
    #[cfg(not(feature = "bench"))]
    Bench(LeftOut),
    /// (left out of this build: built with --no-default-features)
    #[cfg(not(feature = "bench"))]
    Soak(LeftOut),
}

/// `cobrowse check-profiles`' arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckProfiles {
    /// Folder of browser profiles (*.toml)
    #[arg(env = "COBROWSE_PROFILES", default_value = "browser-profiles")]
    pub dir: PathBuf,
}

/// The arguments of a subcommand this build leaves out, whatever they are.
#[cfg(not(feature = "bench"))]
#[derive(Debug, Clone, clap::Args)]
pub struct LeftOut {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Runs the command named by `args` (without the program name).
pub async fn main(args: Vec<String>) -> ExitCode {
    let argv = std::iter::once("cobrowse".to_string()).chain(args.iter().cloned());
    let cli = match command_for(&args).try_get_matches_from(argv).and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => return refuse(e, &args),
    };
    match cli.command {
        None => match cli.settings.finish() {
            Ok(settings) => serve::serve(settings).await,
            Err(e) => {
                eprintln!("cobrowse: {e}\n\nFor more information, try '--help'.");
                ExitCode::from(2)
            }
        },
        Some(Command::Token(args)) => match token::token(args) {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cobrowse token: {e}\n\nFor more information, try 'cobrowse token --help'.");
                ExitCode::from(2)
            }
        },
        Some(Command::CheckProfiles(args)) => check_profiles(&args.dir),
        Some(Command::Drain(args)) => drain::drain(args).await,
        #[cfg(feature = "bench")]
        Some(Command::Bench(options)) => match std::env::current_exe() {
            Ok(exe) => crate::bench::execute(&options, &exe).await,
            Err(e) => {
                eprintln!("cobrowse bench: cannot find this program's path: {e}");
                ExitCode::FAILURE
            }
        },
        #[cfg(feature = "bench")]
        Some(Command::Soak(options)) => match std::env::current_exe() {
            Ok(exe) => crate::bench::soak::execute(&options, &exe).await,
            Err(e) => {
                eprintln!("cobrowse soak: cannot find this program's path: {e}");
                ExitCode::FAILURE
            }
        },
        #[cfg(not(feature = "bench"))]
        Some(Command::Bench(_) | Command::Soak(_)) => {
            eprintln!(
                "cobrowse: this build leaves the benchmark out (built with --no-default-features); \
                 build with the default features to run it"
            );
            ExitCode::from(2)
        }
    }
}

/// Parses `args` as those of the subcommand `name` (for `cargo bench`, which passes the
/// benchmark's arguments alone); a refusal is printed and its exit code returned.
pub fn parse_subcommand<T: FromArgMatches>(name: &str, args: &[String]) -> Result<T, ExitCode> {
    let argv: Vec<String> = ["cobrowse", name].into_iter().map(String::from).chain(args.iter().cloned()).collect();
    let parsed = command_for(&argv[1..]).try_get_matches_from(&argv).and_then(|matches| match matches.subcommand() {
        Some((_, matches)) => T::from_arg_matches(matches),
        None => Err(clap::Error::new(ErrorKind::MissingSubcommand)),
    });
    parsed.map_err(|e| refuse(e, &argv[1..]))
}

/// clap's command for `args`. When they name a subcommand, the server's settings do not read
/// their variables: a bad server setting in the environment must not stop `cobrowse token`.
fn command_for(args: &[String]) -> clap::Command {
    let command = Cli::command();
    let subcommand = args.first().is_some_and(|first| first == "help" || command.find_subcommand(first).is_some());
    match subcommand {
        true => command.mut_args(|arg| arg.env(None::<&'static str>)),
        false => command,
    }
}

/// Prints clap's answer (help, version or an error) and returns its exit code. An invalid value
/// that came from an environment variable rather than the command line is named as such, since
/// clap names only the flag.
fn refuse(error: clap::Error, args: &[String]) -> ExitCode {
    let _ = error.print();
    if matches!(error.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue) {
        if let Some(variable) = variable_behind(&error, args) {
            eprintln!("(the value came from the environment variable {variable})");
        }
    }
    ExitCode::from(error.exit_code().clamp(0, 255) as u8)
}

/// The environment variable an invalid value came from, when its flag was not given.
fn variable_behind(error: &clap::Error, args: &[String]) -> Option<String> {
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else { return None };
    let flag = arg.split_whitespace().next()?;
    let given = args.iter().any(|a| a == flag || a.strip_prefix(flag).is_some_and(|rest| rest.starts_with('=')));
    let command = Cli::command();
    let every = command.get_arguments().chain(command.get_subcommands().flat_map(|c| c.get_arguments()));
    let env = every
        .filter(|a| a.get_long().is_some_and(|long| flag.strip_prefix("--") == Some(long)))
        .find_map(|a| a.get_env())?;
    let variable = env.to_string_lossy().into_owned();
    (!given && std::env::var_os(&variable).is_some()).then_some(variable)
}

fn check_profiles(dir: &std::path::Path) -> ExitCode {
    match Profiles::check(dir) {
        Ok(count) => {
            println!("{}: {count} profile(s), all valid", dir.display());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            eprintln!(
                "{}: {} problem(s); co-browse would not start with these profiles",
                dir.display(),
                problems.len()
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests;
