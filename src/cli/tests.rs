//! The command line: `--help` at every level, `--version`, `cobrowse token`, and errors that
//! say what is wrong and what is allowed.

use std::time::{Duration, SystemTime};

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser};

use super::*;
use crate::auth::{Role, Signer};
use crate::settings::test_env::with_env;

const SECRET: &str = "s3cret-of-16-chars";

fn cli(args: &[&str], env: &[(&str, &str)]) -> Result<Cli, clap::Error> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let argv = std::iter::once("cobrowse".to_string()).chain(args.iter().cloned());
    with_env(env, || command_for(&args).try_get_matches_from(argv).and_then(|m| Cli::from_arg_matches(&m)))
}

fn token_of(args: &[&str], env: &[(&str, &str)]) -> Result<String, String> {
    match cli(&[&["token"], args].concat(), env).map_err(|e| e.render().to_string())?.command {
        Some(Command::Token(args)) => token::token(args),
        other => panic!("not the token command: {other:?}"),
    }
}

#[test]
fn the_command_line_is_well_formed() {
    Cli::command().debug_assert();
}

#[test]
fn every_subcommand_answers_help_and_the_top_its_version() {
    let mut subcommands: Vec<String> = Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
    subcommands.sort();
    let mut expected = vec!["check-profiles", "drain", "token"];
    if cfg!(feature = "bench") {
        expected.extend(["bench", "soak"]);
    }
    expected.sort();
    assert_eq!(subcommands, expected);
    for name in &subcommands {
        let err = cli(&[name, "--help"], &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DisplayHelp, "{name}");
        assert!(err.render().to_string().contains(&format!("Usage: cobrowse {name}")), "{name}: {}", err.render());
    }
    let help = cli(&["--help"], &[]).unwrap_err().render().to_string();
    for word in ["token", "check-profiles", "--listen", "COBROWSE_LISTEN", "--version"] {
        assert!(help.contains(word), "{word} not in --help: {help}");
    }
    let version = cli(&["--version"], &[]).unwrap_err();
    assert_eq!(version.kind(), ErrorKind::DisplayVersion);
    assert_eq!(version.render().to_string().trim(), format!("cobrowse {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_flag_given_twice_takes_the_last_value() {
    let cli = cli(&["--listen", "127.0.0.1:7000", "--listen", "127.0.0.1:9000"], &[]).unwrap();
    assert_eq!(cli.settings.listen.to_string(), "127.0.0.1:9000");
}

#[test]
fn a_subcommand_ignores_the_servers_variables() {
    // A bad server setting in the environment must not stop an admin from minting a token.
    let signed = token_of(&["--agent", "a-1", "--secret", SECRET], &[("COBROWSE_LISTEN", "nowhere")]).unwrap();
    assert!(Signer::new(SECRET).verify(&signed, SystemTime::now()).is_ok());
}

#[test]
fn token_signs_with_the_server_secret() {
    let env = [("COBROWSE_SECRET", SECRET)];
    let signed = token_of(&["--agent", "a-1", "--name", "Ann", "--ttl", "30m"], &env).unwrap();
    let claims = Signer::new(SECRET).verify(&signed, SystemTime::now()).unwrap();
    assert_eq!((claims.sub.as_str(), claims.name.as_str(), claims.role), ("a-1", "Ann", Role::Agent));
    assert!(Signer::new(SECRET).verify(&signed, SystemTime::now() + Duration::from_secs(31 * 60)).is_err());
    let limited = token_of(&["--agent", "o-1", "--sites", "bank, https://shop.example"], &env).unwrap();
    let claims = Signer::new(SECRET).verify(&limited, SystemTime::now()).unwrap();
    assert_eq!(claims.sites, Some(vec!["bank".to_string(), "https://shop.example".to_string()]));
    assert!(token_of(&["--agent", "o-1", "--sites", " , "], &env).unwrap_err().contains("--sites"));
    let supervisor = token_of(&["--agent", "s", "--role", "supervisor"], &env).unwrap();
    assert_eq!(Signer::new(SECRET).verify(&supervisor, SystemTime::now()).unwrap().role, Role::Supervisor);
}

#[test]
fn token_says_what_is_missing_and_what_is_allowed() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--name", "Ann"], &["--agent"]),
        (&["--agent", "a"], &["COBROWSE_SECRET"]),
        (&["--agent", "a", "--secret", "k"], &["16 characters"]),
        (&["--agent", "a", "--secret", SECRET, "--ttl", "soon"], &["--ttl", "like 30m"]),
        (&["--agent", "a", "--secret", SECRET, "--ttl", "0s"], &["--ttl"]),
        (&["--agent", "a", "--secret", SECRET, "--role", "boss"], &["--role", "agent, supervisor or integration"]),
        (&["--agent", " ", "--secret", SECRET], &["--agent"]),
        (&["--agent", "a", "--colour", "red"], &["--colour"]),
    ];
    for (args, words) in cases {
        let err = token_of(args, &[]).unwrap_err();
        for word in *words {
            assert!(err.contains(word), "{args:?}: {word:?} not in {err}");
        }
    }
}

#[test]
fn a_bad_value_from_a_variable_names_the_variable() {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (named, not_named) = with_env(&[("COBROWSE_GRACE", "soon")], || {
        let from_env = Cli::try_parse_from(["cobrowse"]).unwrap_err();
        let from_flag = Cli::try_parse_from(["cobrowse", "--grace", "later"]).unwrap_err();
        (variable_behind(&from_env, &[]), variable_behind(&from_flag, &args(&["--grace", "later"])))
    });
    assert_eq!(named.as_deref(), Some("COBROWSE_GRACE"));
    assert_eq!(not_named, None);
}

#[test]
fn check_profiles_reads_its_folder_from_the_argument_or_the_variable() {
    let folder = |args: &[&str], env: &[(&str, &str)]| match cli(args, env).unwrap().command {
        Some(Command::CheckProfiles(c)) => c.dir,
        other => panic!("{other:?}"),
    };
    assert_eq!(folder(&["check-profiles"], &[]), PathBuf::from("browser-profiles"));
    assert_eq!(folder(&["check-profiles"], &[("COBROWSE_PROFILES", "/etc/p")]), PathBuf::from("/etc/p"));
    assert_eq!(folder(&["check-profiles", "mine"], &[("COBROWSE_PROFILES", "/etc/p")]), PathBuf::from("mine"));
}

#[cfg(feature = "bench")]
#[test]
fn the_soak_reads_its_options_and_the_chromium_variable() {
    let soak = |args: &[&str], env: &[(&str, &str)]| match cli(&[&["soak"], args].concat(), env) {
        Ok(Cli { command: Some(Command::Soak(o)), .. }) => Ok(o),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.render().to_string()),
    };
    let defaults = soak(&[], &[]).unwrap();
    assert_eq!((defaults.sessions, defaults.minutes, defaults.rounds), (10, 10.0, 1));
    assert_eq!(defaults.every, Duration::from_secs(30));
    let given = soak(&["--sessions", "3", "--every-seconds", "5"], &[("COBROWSE_CHROMIUM", "/opt/c")]).unwrap();
    assert_eq!((given.sessions, given.every, given.chromium), (3, Duration::from_secs(5), PathBuf::from("/opt/c")));
    assert!(soak(&["--rounds", "11"], &[]).unwrap_err().contains("1 to 10"));
}

#[cfg(feature = "bench")]
#[test]
fn the_benchmark_options_keep_their_meaning() {
    let options = |args: &[&str]| match cli(&[&["bench"], args].concat(), &[]) {
        Ok(Cli { command: Some(Command::Bench(o)), .. }) => Ok(o),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.render().to_string()),
    };
    let defaults = options(&[]).unwrap();
    assert_eq!((defaults.sessions, defaults.seconds, defaults.joins), (vec![1, 5, 10, 25], 8.0, 10));
    assert!(!defaults.phone && !defaults.quick && defaults.skip.is_empty());
    let given = options(&["--sessions", "2,10", "--device", "phone", "--skip", "joins,load", "--quick"]).unwrap();
    assert_eq!((given.sessions, given.phone, given.quick), (vec![2, 10], true, true));
    assert_eq!(given.skip, ["joins", "load"]);
    assert!(options(&["--sessions", "0"]).unwrap_err().contains("1 to 100"));
    // The benchmark runs the server's Chromium: the same variable names it.
    let chromium = |env: &[(&str, &str)]| match cli(&["bench"], env) {
        Ok(Cli { command: Some(Command::Bench(o)), .. }) => o.chromium,
        other => panic!("{other:?}"),
    };
    assert_eq!(chromium(&[]), PathBuf::from("/usr/bin/chromium"));
    assert_eq!(chromium(&[("COBROWSE_CHROMIUM", "/opt/chromium")]), PathBuf::from("/opt/chromium"));
    assert!(options(&["--skip", "everything"]).unwrap_err().contains("anchors"));
    assert_eq!(options(&["--skip", "joins, anchors"]).unwrap().skip, ["joins", "anchors"]);
    assert!(options(&["--device", "fridge"]).unwrap_err().contains("laptop or phone"));
}
