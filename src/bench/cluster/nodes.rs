//! The cluster under test: a `redis-server` of the bench's own, three `cobrowse` nodes on
//! loopback ports, a balancer in front, and the demo site with its snippet from the balancer.
//! Nodes can be killed and started again under the same name.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::super::server::{free_port, healthy};

/// A node of the cluster under test.
struct NodeProcess {
    child: Option<Child>,
    port: u16,
}

/// The running cluster.
pub struct ClusterUnderTest {
    redis: Child,
    nodes: Vec<NodeProcess>,
    balancer: tokio::task::JoinHandle<()>,
    site_task: tokio::task::JoinHandle<()>,
    /// `http://127.0.0.1:PORT` of the balancer, which customers' snippets and agents reach.
    pub front: String,
    /// The demo site, its snippet loaded from [`Self::front`].
    pub site: String,
    pub agent_token: String,
    integration_token: String,
    secret: String,
    redis_url: String,
    exe: PathBuf,
    chromium: PathBuf,
    /// Profiles and data of this run, removed at the end.
    folder: PathBuf,
}

impl ClusterUnderTest {
    /// Starts Redis, `nodes` nodes of `exe`, the balancer and the demo site; the profile lists
    /// the demo site and `other_sites` (origins).
    pub async fn start(
        exe: &Path,
        chromium: &Path,
        nodes: usize,
        other_sites: &[String],
    ) -> Result<ClusterUnderTest, String> {
        let folder = std::env::temp_dir().join(format!("cobrowse-bench-cluster-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(folder.join("profiles")).map_err(|e| e.to_string())?;
        let redis_port = free_port()?;
        let redis = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &redis_port.to_string(), "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start redis-server (Debian's redis-server package): {e}"))?;
        let redis_url = format!("redis://127.0.0.1:{redis_port}/0");
        let ports: Vec<u16> = (0..nodes).map(|_| free_port()).collect::<Result<_, _>>()?;
        let addresses = ports.iter().map(|p| std::net::SocketAddr::from(([127, 0, 0, 1], *p))).collect();
        let (front, balancer) = super::balancer::start(addresses).await?;
        let site_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let site = format!("http://{}", site_listener.local_addr().map_err(|e| e.to_string())?);
        let site_task = tokio::spawn({
            let front = front.clone();
            async move {
                let _ = crate::demo::serve(site_listener, front, std::future::pending()).await;
            }
        });
        let origins: Vec<String> = std::iter::once(&site).chain(other_sites).map(|o| format!("{o:?}")).collect();
        let profile = format!("[site]\norigins = [{}]\n\n[write_mode]\nenabled = true\n", origins.join(", "));
        std::fs::write(folder.join("profiles/bench.toml"), profile).map_err(|e| e.to_string())?;
        let secret = crate::auth::Signer::generate_secret();
        let signer = crate::auth::Signer::new(&secret);
        let issue = |role| {
            signer.issue(
                "bench-agent",
                "Bench Agent",
                role,
                Duration::from_secs(24 * 3600),
                std::time::SystemTime::now(),
            )
        };
        let (agent_token, integration_token) = (issue(crate::auth::Role::Agent), issue(crate::auth::Role::Integration));
        let nodes = ports.into_iter().map(|port| NodeProcess { child: None, port }).collect();
        let mut cluster = ClusterUnderTest {
            redis,
            nodes,
            balancer,
            site_task,
            front,
            site,
            agent_token,
            integration_token,
            secret,
            redis_url,
            exe: exe.to_path_buf(),
            chromium: chromium.to_path_buf(),
            folder,
        };
        for i in 0..cluster.nodes.len() {
            cluster.start_node(i).await?;
        }
        Ok(cluster)
    }

    /// Starts node `i` (again) and waits until it serves.
    pub async fn start_node(&mut self, i: usize) -> Result<(), String> {
        let port = self.nodes[i].port;
        let data = self.folder.join(format!("data-{i}"));
        let child = Command::new(&self.exe)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--demo-listen", "off"])
            .args(["--redis", &self.redis_url, "--node-id", &node_name(i), "--advertise", &format!("127.0.0.1:{port}")])
            .arg("--profiles")
            .arg(self.folder.join("profiles"))
            .arg("--data")
            .arg(data)
            .args(["--secret", &self.secret, "--sessions-per-address", "1000"])
            .arg("--chromium")
            .arg(&self.chromium)
            .env(
                "RUST_LOG",
                std::env::var("COBROWSE_BENCH_LOG").unwrap_or_else(|_| "cobrowse=error,chromiumoxide=off,error".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.exe.display()))?;
        self.nodes[i].child = Some(child);
        let url = self.url(i);
        for _ in 0..200 {
            if healthy(&url).await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("{} did not answer /healthz within 10 s", node_name(i)))
    }

    /// `kill -9` of node `i`.
    pub async fn kill_9(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    pub fn url(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[i].port)
    }

    /// Server process ids of the running nodes.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes.iter().filter_map(|n| n.child.as_ref()?.id()).collect()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The node that runs session `id` (and its state), by the session API through the front.
    pub async fn owner(&self, id: &str) -> Result<(usize, String), String> {
        let body = get(&self.front, &format!("/api/sessions/{id}"), &self.integration_token).await?;
        let session: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        let node = session["node"].as_str().unwrap_or_default();
        let i = (0..self.nodes.len()).find(|i| node_name(*i) == node).ok_or(format!("no such node: {body}"))?;
        Ok((i, session["state"].as_str().unwrap_or_default().to_string()))
    }

    pub async fn stop(mut self) {
        for i in 0..self.nodes.len() {
            if let Some(child) = self.nodes[i].child.as_ref().and_then(Child::id) {
                let _ = std::process::Command::new("kill").args(["-TERM", &child.to_string()]).status();
            }
        }
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                if tokio::time::timeout(Duration::from_secs(30), child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
            }
        }
        self.balancer.abort();
        self.site_task.abort();
        let _ = self.redis.kill().await;
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

fn node_name(i: usize) -> String {
    format!("node-{}", i + 1)
}

/// `GET path` on `server` with `token`: the body of a 200.
async fn get(server: &str, path: &str, token: &str) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
        .await
        .map_err(|_| format!("GET {path}: no answer"))?
        .map_err(|e| e.to_string())?;
    let (head, body) = answer.split_once("\r\n\r\n").ok_or("not HTTP")?;
    match head.starts_with("HTTP/1.1 200") {
        true => Ok(body.to_string()),
        false => Err(format!("GET {path}: {}", head.lines().next().unwrap_or_default())),
    }
}
