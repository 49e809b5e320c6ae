//! The `cobrowse` binary as a new user meets it: `--help` everywhere, `--version`, errors that
//! say what is wrong and what is allowed, JSON log lines on request, and one clear line on a
//! machine without Chromium.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

fn cobrowse(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cobrowse"));
    command.args(args);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("COBROWSE_")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).output().expect("cobrowse runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_answers_at_every_level_and_the_version_at_the_top() {
    let version = cobrowse(&["--version"], &[]);
    assert!(version.status.success());
    assert_eq!(text(&version.stdout).trim(), format!("cobrowse {}", env!("CARGO_PKG_VERSION")));
    let help = cobrowse(&["--help"], &[]);
    assert!(help.status.success());
    for word in ["Usage: cobrowse", "token", "check-profiles", "bench", "--listen", "COBROWSE_LISTEN", "--log-format"] {
        assert!(text(&help.stdout).contains(word), "{word} not in --help:\n{}", text(&help.stdout));
    }
    for subcommand in ["token", "check-profiles", "drain", "bench", "soak"] {
        let help = cobrowse(&[subcommand, "--help"], &[]);
        assert!(help.status.success(), "{subcommand} --help: {}", text(&help.stderr));
        assert!(text(&help.stdout).contains("Usage: cobrowse"), "{subcommand} --help:\n{}", text(&help.stdout));
    }
    // `cobrowse help token` is `cobrowse token --help`.
    assert_eq!(text(&cobrowse(&["help", "token"], &[]).stdout), text(&cobrowse(&["token", "--help"], &[]).stdout));
    let help = cobrowse(&["token", "--help"], &[]);
    for word in ["--agent", "--ttl", "--role", "--sites", "COBROWSE_SECRET"] {
        assert!(text(&help.stdout).contains(word), "{word} not in token --help:\n{}", text(&help.stdout));
    }
}

/// Arguments, variables, and words the refusal must contain.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn a_bad_flag_or_value_is_refused_with_what_is_allowed() {
    let cases: &[Case] = &[
        (&["--colour"], &[], &["--colour"]),
        (&["--grace", "soon"], &[], &["--grace", "soon", "like 250ms"]),
        (&[], &[("COBROWSE_GRACE", "soon")], &["--grace", "COBROWSE_GRACE"]),
        (&["--log-format", "xml"], &[], &["text", "json"]),
        (&["token", "--agent", "a", "--role", "boss"], &[], &["agent, supervisor or integration"]),
        (&["bench", "--device", "fridge"], &[], &["laptop or phone"]),
        (&["--secret", "too-short"], &[], &["COBROWSE_SECRET", "16 characters"]),
    ];
    for (args, env, words) in cases {
        let run = cobrowse(args, env);
        assert_eq!(run.status.code(), Some(2), "{args:?} {env:?}");
        let stderr = text(&run.stderr);
        for word in *words {
            assert!(stderr.contains(word), "{args:?} {env:?}: {word:?} not in:\n{stderr}");
        }
        assert!(!stderr.contains("too-short"), "a secret is never echoed:\n{stderr}");
    }
}

/// Starts the server with `args` and `env` on loopback ports and returns the first lines it
/// writes to standard error (up to `lines`), then stops it.
fn first_log_lines(args: &[&str], env: &[(&str, &str)], lines: usize, until: &str) -> Vec<String> {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::SeqCst);
    let data = std::env::temp_dir().join(format!("cobrowse-command-line-{}-{run}", std::process::id()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_cobrowse"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("COBROWSE_") || name == "RUST_LOG") {
        command.env_remove(name);
    }
    command
        .args(["--listen", "127.0.0.1:0", "--demo-listen", "off", "--data"])
        .arg(&data)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("cobrowse starts");
    let mut seen = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines().take(lines) {
        let line = line.expect("stderr reads");
        let done = line.contains(until);
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    seen
}

#[test]
fn json_logs_are_one_object_a_line() {
    // Without COBROWSE_SECRET the server warns that no agent can sign in: a log line to read.
    let lines = first_log_lines(
        &["--chromium", "/nonexistent/chromium", "--headless-shell", "off"],
        &[("COBROWSE_LOG_FORMAT", "json")],
        20,
        "COBROWSE_SECRET is not set",
    );
    let logged: Vec<serde_json::Value> = lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let warning = logged
        .iter()
        .find(|l| {
            l["fields"]["message"].as_str().or(l["message"].as_str()).is_some_and(|m| m.contains("COBROWSE_SECRET"))
        })
        .unwrap_or_else(|| panic!("no JSON log line about the secret in {lines:#?}"));
    assert_eq!(warning["level"], "WARN", "{warning}");
    assert!(warning["timestamp"].is_string() && warning["target"].is_string(), "{warning}");
    assert_eq!(warning["message"].as_str().map(|m| m.contains("no agent can sign in")), Some(true), "{warning}");
    // The text format stays the default: the same line is not JSON.
    let lines = first_log_lines(
        &["--chromium", "/nonexistent/chromium", "--headless-shell", "off"],
        &[],
        20,
        "COBROWSE_SECRET is not set",
    );
    let line = lines.iter().find(|l| l.contains("COBROWSE_SECRET is not set")).expect("the warning, as text");
    assert!(serde_json::from_str::<serde_json::Value>(line).is_err(), "{line}");
}

#[test]
fn without_chromium_the_server_says_how_to_install_it_in_one_line() {
    let lines = first_log_lines(
        &["--chromium", "/nonexistent/chromium", "--headless-shell", "/nonexistent/shell"],
        &[("COBROWSE_SECRET", "a-deployment-secret-of-some-length")],
        20,
        "Chromium is not installed",
    );
    let line = lines.iter().find(|l| l.contains("Chromium is not installed")).unwrap_or_else(|| panic!("{lines:#?}"));
    for word in ["/nonexistent/chromium", "apt-get install chromium", "COBROWSE_CHROMIUM", "unavailable"] {
        assert!(line.contains(word), "{word} not in: {line}");
    }
}
