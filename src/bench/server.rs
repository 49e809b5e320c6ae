//! The server under test: the `cobrowse` binary run as a child process on loopback ports with
//! a profile for its own demo site, so its CPU and memory (and its Chromium's) are its own.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

/// A running co-browse server and demo site.
pub struct ServerUnderTest {
    child: Child,
    /// `http://127.0.0.1:PORT` of the co-browse server.
    pub server: String,
    /// `http://127.0.0.1:PORT` of its demo site.
    pub demo: String,
    /// The server's process id.
    pub pid: u32,
    /// A signed-in agent's token for the simulated agents.
    pub agent_token: String,
    /// The server's stage trace (see [`crate::reporting::stages`]).
    pub stage_trace: PathBuf,
    /// Profiles and audit database of this run, removed at the end.
    profiles: PathBuf,
}

pub(super) fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl ServerUnderTest {
    /// Starts `exe` and waits until `/healthz` answers. Its profile lists its demo site and
    /// `other_sites` (origins).
    pub async fn start(exe: &Path, chromium: &Path, other_sites: &[String]) -> Result<ServerUnderTest, String> {
        let (port, demo_port) = (free_port()?, free_port()?);
        let demo = format!("http://127.0.0.1:{demo_port}");
        let profiles = std::env::temp_dir().join(format!("cobrowse-bench-profiles-{}", std::process::id()));
        std::fs::create_dir_all(&profiles).map_err(|e| e.to_string())?;
        let origins: Vec<String> = std::iter::once(&demo).chain(other_sites).map(|o| format!("{o:?}")).collect();
        let profile = format!("[site]\norigins = [{}]\n\n[write_mode]\nenabled = true\n", origins.join(", "));
        let stage_trace = profiles.join("stages.jsonl");
        std::fs::write(profiles.join("bench.toml"), profile).map_err(|e| e.to_string())?;
        let secret = crate::auth::Signer::generate_secret();
        let agent_token = crate::auth::Signer::new(&secret).issue(
            "bench-agent",
            "Bench Agent",
            crate::auth::Role::Agent,
            Duration::from_secs(24 * 3600),
            std::time::SystemTime::now(),
        );
        let child = Command::new(exe)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--demo-listen", &format!("127.0.0.1:{demo_port}")])
            .arg("--profiles")
            .arg(&profiles)
            .arg("--data")
            .arg(profiles.join("data"))
            .args(["--secret", &secret])
            .arg("--stage-trace")
            .arg(&stage_trace)
            // Every simulated customer comes from this machine's one address.
            .args(["--sessions-per-address", "1000"])
            .arg("--chromium")
            .arg(chromium)
            // The server's own warnings show; `COBROWSE_BENCH_LOG` (a `RUST_LOG` filter) shows more.
            .env(
                "RUST_LOG",
                std::env::var("COBROWSE_BENCH_LOG").unwrap_or_else(|_| "cobrowse=warn,chromiumoxide=off,warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let pid = child.id().ok_or("the server exited at once")?;
        let server = format!("http://127.0.0.1:{port}");
        let mut under_test = ServerUnderTest { child, server, demo, pid, agent_token, stage_trace, profiles };
        for _ in 0..200 {
            if under_test.healthy().await {
                return Ok(under_test);
            }
            if let Ok(Some(status)) = under_test.child.try_wait() {
                return Err(format!("the server exited: {status}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("the server did not answer /healthz within 10 s".into())
    }

    async fn healthy(&self) -> bool {
        healthy(&self.server).await
    }

    /// Asks the server to stop (SIGTERM) and waits; kills it after five seconds.
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.pid.to_string()]).status();
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
        let _ = std::fs::remove_dir_all(&self.profiles);
    }
}

/// Whether `/healthz` of `server` answers 200.
pub(super) async fn healthy(server: &str) -> bool {
    let addr = server.trim_start_matches("http://");
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return false };
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_string(&mut answer)).await;
    answer.starts_with("HTTP/1.1 200")
}
