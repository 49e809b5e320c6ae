//! The container files, parsed and checked against the code, since no Docker engine runs here:
//! the Dockerfile builds from files that exist and runs as a non-root user with Debian's
//! Chromium and a health check on its own listen port; `compose.yaml` sets only real settings,
//! requires the secret, and keeps the data where the image says it lives.

use std::collections::BTreeMap;

use clap::CommandFactory;
use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The Dockerfile's instructions per stage: (instruction, arguments), continuations joined and
/// comments dropped.
fn dockerfile_stages() -> Vec<Vec<(String, String)>> {
    let text = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).unwrap();
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        match line.strip_suffix('\\') {
            Some(head) => current.push_str(&format!("{head} ")),
            None => {
                current.push_str(line);
                if !current.trim().is_empty() {
                    logical.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    let mut stages: Vec<Vec<(String, String)>> = Vec::new();
    for line in logical {
        let (instruction, arguments) = line.split_once(' ').unwrap_or((&line, ""));
        let instruction = instruction.to_ascii_uppercase();
        if instruction == "FROM" {
            stages.push(Vec::new());
        }
        stages.last_mut().expect("FROM first").push((instruction, arguments.trim().to_string()));
    }
    stages
}

fn all<'a>(stage: &'a [(String, String)], instruction: &str) -> Vec<&'a str> {
    stage.iter().filter(|(i, _)| i == instruction).map(|(_, a)| a.as_str()).collect()
}

/// `KEY=value` pairs of a stage's ENV instructions.
fn environment(stage: &[(String, String)]) -> BTreeMap<String, String> {
    all(stage, "ENV")
        .iter()
        .flat_map(|line| line.split_whitespace())
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every environment variable the server reads as a setting.
fn settings_variables() -> Vec<String> {
    let command = cobrowse::cli::Cli::command();
    command.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_string_lossy().into_owned()).collect()
}

#[test]
fn the_image_builds_from_files_that_exist_and_runs_chromium_unprivileged_with_a_health_check() {
    let stages = dockerfile_stages();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build, runtime) = (&stages[0], &stages[1]);
    assert!(build[0].1.ends_with("AS build"), "{:?}", build[0]);
    for copy in all(build, "COPY") {
        let sources: Vec<&str> = copy.split_whitespace().collect();
        for source in &sources[..sources.len() - 1] {
            assert!(std::path::Path::new(&format!("{ROOT}/{source}")).exists(), "COPY {source}: not in the repository");
        }
    }
    assert!(
        all(build, "RUN").iter().any(|r| r.contains("cargo build --release --locked") && r.contains("--bin cobrowse")),
        "the build stage builds the release binary from the lock file"
    );

    assert!(runtime[0].1.starts_with("debian:"), "Debian's Chromium: {:?}", runtime[0]);
    // Chromium, its headless shell and the fonts come from the README's own install step.
    let copies = all(runtime, "COPY");
    assert!(copies.iter().any(|c| c.starts_with("scripts/install-debian-packages ")), "{copies:?}");
    let runs = all(runtime, "RUN").join(" && ");
    assert!(runs.contains("install-debian-packages") && runs.contains("tini"), "{runs}");
    assert!(copies.iter().any(|c| c.contains("--from=build") && c.contains("target/release/cobrowse")));

    let user = all(runtime, "USER");
    assert_eq!(user.len(), 1, "one USER");
    assert!(user[0] != "root" && user[0] != "0", "runs unprivileged: {user:?}");
    assert!(runs.contains("useradd --system") && runs.contains(user[0]), "the user is created: {runs}");

    let env = environment(runtime);
    let known = settings_variables();
    for name in env.keys() {
        assert!(known.contains(name), "ENV {name} is not a setting");
    }
    let listen = &env["COBROWSE_LISTEN"];
    let port = listen.rsplit(':').next().unwrap();
    assert!(listen.starts_with("0.0.0.0:"), "reachable from outside the container: {listen}");
    assert_eq!(all(runtime, "EXPOSE"), [port]);
    let health = all(runtime, "HEALTHCHECK");
    assert_eq!(health.len(), 1);
    assert!(health[0].contains(&format!("127.0.0.1:{port}/healthz")), "{health:?}");
    let data = env["COBROWSE_DATA"].as_str();
    assert!(all(runtime, "VOLUME").contains(&data), "the data folder is a volume");
    // A new named volume takes its owner from the image's folder: the user must own it.
    assert!(
        runs.contains(&format!("mkdir -p {data}")) && runs.contains(&format!("chown {0}:{0} {data}", user[0])),
        "the data folder is created and owned by {}: {runs}",
        user[0]
    );
    let entrypoint = all(runtime, "ENTRYPOINT");
    assert!(entrypoint[0].contains("tini") && entrypoint[0].contains("/usr/local/bin/cobrowse"), "{entrypoint:?}");
}

#[test]
fn compose_runs_the_image_with_real_settings_and_the_secret_required() {
    let text = std::fs::read_to_string(format!("{ROOT}/compose.yaml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).expect("compose.yaml is YAML");
    let service = &docs[0]["services"]["cobrowse"];
    assert_eq!(service["build"].as_str(), Some("."), "built from this repository's Dockerfile");

    let runtime = &dockerfile_stages()[1];
    let image_env = environment(runtime);
    let port = image_env["COBROWSE_LISTEN"].rsplit(':').next().unwrap().to_string();
    let ports: Vec<&str> = service["ports"].as_vec().unwrap().iter().filter_map(Yaml::as_str).collect();
    assert!(ports.iter().any(|p| p.ends_with(&format!(":{port}"))), "publishes the listen port: {ports:?}");

    let known = settings_variables();
    let env = service["environment"].as_hash().expect("environment as a map");
    for (name, value) in env {
        let name = name.as_str().unwrap();
        assert!(known.iter().any(|k| k == name), "environment {name} is not a setting");
        if name == "COBROWSE_SECRET" {
            assert!(value.as_str().unwrap().contains(":?"), "compose refuses to start without a secret");
        }
    }
    assert!(env.contains_key(&Yaml::String("COBROWSE_SECRET".into())), "the secret is set");

    let data = &image_env["COBROWSE_DATA"];
    let volumes: Vec<&str> = service["volumes"].as_vec().unwrap().iter().filter_map(Yaml::as_str).collect();
    let named = volumes.iter().find(|v| v.ends_with(&format!(":{data}"))).expect("a volume on the data folder");
    let volume = named.split(':').next().unwrap();
    assert!(!docs[0]["volumes"][volume].is_badvalue(), "the volume {volume} is declared");

    let health: Vec<&str> = service["healthcheck"]["test"].as_vec().unwrap().iter().filter_map(Yaml::as_str).collect();
    assert!(health.iter().any(|h| h.contains(&format!(":{port}/healthz"))), "{health:?}");
    assert!(service["shm_size"].as_str().is_some(), "Chromium gets more shared memory than Docker's 64 MB");
}
