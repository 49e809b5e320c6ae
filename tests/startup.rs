//! What `cobrowse` prints when it starts, as a container's log keeps it: demo credentials (a
//! valid agent token) only when the demo site runs with a secret made up for this process;
//! a deployment with its own secret, or without the demo site, logs no token and no secret.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const SECRET: &str = "a-deployment-secret-of-some-length";

/// Starts the server with `args` and `secret` (none: generated) on loopback ports, reads what it
/// prints up to its "Agent view" line, and stops it.
fn start_up(args: &[&str], secret: Option<&str>) -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::SeqCst);
    let data = std::env::temp_dir().join(format!("cobrowse-startup-{}-{run}", std::process::id()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_cobrowse"));
    command
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .args(args)
        .env_remove("COBROWSE_SECRET")
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(secret) = secret {
        command.env("COBROWSE_SECRET", secret);
    }
    let mut child = command.spawn().expect("cobrowse starts");
    let mut printed = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.expect("stdout reads");
        printed += &line;
        printed.push('\n');
        if line.starts_with("Agent view") {
            break;
        }
    }
    // Stopped as a container runtime stops it, so its Chromium goes with it.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    printed
}

#[test]
fn the_demo_prints_credentials_to_try_it() {
    let printed = start_up(&["--demo-listen", "127.0.0.1:0"], None);
    assert!(printed.contains("Customer (demo site"), "{printed}");
    assert!(printed.contains("/agent/#token="), "the demo's agent view signs in by itself:\n{printed}");
    assert!(printed.contains("Token secret (generated"), "{printed}");
}

#[test]
fn a_deployment_logs_no_token_and_no_secret() {
    for (args, secret) in [
        (&["--demo-listen", "off"][..], Some(SECRET)),
        (&["--demo-listen", "127.0.0.1:0"], Some(SECRET)),
        (&["--demo-listen", "off"], None),
    ] {
        let printed = start_up(args, secret);
        assert!(printed.contains("Co-browse server:"), "{args:?}: {printed}");
        assert!(printed.contains("Agent view"), "{args:?}: the agent view's address is printed:\n{printed}");
        assert!(!printed.contains("#token="), "{args:?} with secret {secret:?}: a token is printed:\n{printed}");
        assert!(
            !printed.contains(SECRET) && !printed.contains("Token secret"),
            "{args:?}: the secret is printed:\n{printed}"
        );
    }
}

#[test]
fn a_node_told_to_join_a_cluster_never_runs_alone() {
    // Nothing listens on port 1 of this machine: the node says so and exits.
    let run = Command::new(env!("CARGO_BIN_EXE_cobrowse"))
        .args(["--listen", "127.0.0.1:0", "--demo-listen", "off", "--redis", "redis://:hunter2@127.0.0.1:1/0"])
        .env("COBROWSE_SECRET", SECRET)
        .env("RUST_LOG", "off")
        .output()
        .expect("cobrowse runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot reach Redis at redis://…@127.0.0.1:1/0"), "names where: {stderr}");
    assert!(stderr.contains("unset COBROWSE_REDIS"), "says what to do: {stderr}");
    assert!(!stderr.contains("hunter2"), "never prints the password: {stderr}");
    assert!(String::from_utf8_lossy(&run.stdout).is_empty(), "it never served");
}
