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

/// A compose mapping with its `<<` merge keys folded in (the YAML reader keeps them as keys).
fn merged(yaml: &Yaml) -> BTreeMap<String, Yaml> {
    let mut map = BTreeMap::new();
    for (key, value) in yaml.as_hash().expect("a mapping") {
        let key = key.as_str().expect("string keys");
        if key == "<<" {
            for (k, v) in merged(value) {
                map.entry(k).or_insert(v);
            }
        } else {
            map.insert(key.to_string(), value.clone());
        }
    }
    map
}

#[test]
fn the_cluster_runs_three_nodes_on_one_redis_behind_nginx_without_stickiness() {
    let text = std::fs::read_to_string(format!("{ROOT}/deploy/cluster/compose.yaml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).expect("deploy/cluster/compose.yaml is YAML");
    let services = merged(&docs[0]["services"]);
    let image_env = environment(&dockerfile_stages()[1]);
    let port = image_env["COBROWSE_LISTEN"].rsplit(':').next().unwrap().to_string();
    let known = settings_variables();

    let nodes: Vec<&String> = services.keys().filter(|name| name.starts_with("node-")).collect();
    assert_eq!(nodes.len(), 3, "three nodes: {nodes:?}");
    let mut names = Vec::new();
    let mut proxies = Vec::new();
    for name in &nodes {
        let node = merged(&services[*name]);
        assert_eq!(node["build"].as_str(), Some("../.."), "{name} is built from this repository");
        let env = merged(&node["environment"]);
        for (variable, value) in &env {
            assert!(known.contains(variable), "{name}: environment {variable} is not a setting");
            if variable == "COBROWSE_SECRET" {
                assert!(value.as_str().unwrap().contains(":?"), "compose refuses to start without the shared secret");
            }
        }
        let redis = env["COBROWSE_REDIS"].as_str().unwrap();
        assert!(redis.starts_with("redis://redis:6379"), "{name} uses the redis service: {redis}");
        assert_eq!(env["COBROWSE_ADVERTISE"].as_str(), Some(format!("{name}:{port}").as_str()), "{name}");
        names.push(env["COBROWSE_NODE_ID"].as_str().unwrap().to_string());
        proxies.push(env["COBROWSE_TRUSTED_PROXIES"].as_str().unwrap().to_string());
        let grace = node["stop_grace_period"].as_str().unwrap();
        let grace = cobrowse::settings::parse_duration(grace).unwrap();
        assert!(grace >= std::time::Duration::from_secs(30), "{name}: a drain takes up to 30 s: {grace:?}");
        let health: Vec<&str> = node["healthcheck"]["test"].as_vec().unwrap().iter().filter_map(Yaml::as_str).collect();
        assert!(health.iter().any(|h| h.contains(&format!(":{port}/healthz"))), "{health:?}");
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 3, "each node has its own name");

    let redis = merged(&services["redis"]);
    let command: Vec<&str> = redis["command"].as_vec().unwrap().iter().filter_map(Yaml::as_str).collect();
    assert!(command.windows(2).any(|w| w == ["--appendonly", "yes"]), "Redis keeps what it acknowledged: {command:?}");

    let lb = merged(&services["lb"]);
    let volumes: Vec<&str> = lb["volumes"].as_vec().unwrap().iter().filter_map(Yaml::as_str).collect();
    assert!(volumes.iter().any(|v| v.starts_with("./nginx.conf:/etc/nginx/nginx.conf")), "{volumes:?}");
    let address = lb["networks"]["default"]["ipv4_address"].as_str().expect("nginx has a fixed address");
    for trusted in &proxies {
        assert!(trusted.split(',').any(|p| p.trim() == address), "the nodes trust nginx's X-Forwarded-For: {trusted}");
    }

    let nginx = std::fs::read_to_string(format!("{ROOT}/deploy/cluster/nginx.conf")).unwrap();
    let lines: Vec<&str> = nginx.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    let servers: Vec<&str> = lines.iter().filter(|l| l.starts_with("server node-")).copied().collect();
    for name in &nodes {
        assert!(servers.iter().any(|s| s.starts_with(&format!("server {name}:{port}"))), "nginx sends to {name}");
    }
    assert_eq!(servers.len(), 3, "{servers:?}");
    for sticky in ["ip_hash", "sticky", "hash ", "least_conn"] {
        assert!(
            !lines.iter().any(|l| l.starts_with(sticky)),
            "no stickiness ({sticky}): any node serves any connection"
        );
    }
    for needed in [
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_next_upstream error timeout;",
    ] {
        assert!(lines.contains(&needed), "nginx.conf needs `{needed}`");
    }
    let read_timeout = lines.iter().find_map(|l| l.strip_prefix("proxy_read_timeout ")).expect("a read timeout");
    let read_timeout = cobrowse::settings::parse_duration(read_timeout.trim_end_matches(';')).unwrap();
    assert!(
        read_timeout > std::time::Duration::from_secs(20),
        "longer than the WebSockets' 20 s pings: {read_timeout:?}"
    );
}
