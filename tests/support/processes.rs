//! Real processes on fixed loopback ports, for tests that kill, restart or drain them: the
//! `cobrowse` binary as a node, a throwaway `redis-server` that can be restarted on its data,
//! and nginx with the cluster's shipped configuration pointed at the nodes. Each is killed on
//! drop, so a failing test leaves nothing behind.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cobrowse::auth::Role;

use super::{token_for, TempDir, TEST_SECRET};

/// A free loopback port (bound and let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `cobrowse` process serving on `127.0.0.1:port`.
pub struct Node {
    child: Child,
    pub port: u16,
    pub url: String,
}

impl Node {
    /// Starts the server with `args` beside `--listen` (and the test secret), and waits until it
    /// prints its agent view's address (it is serving).
    pub fn start(port: u16, args: &[&str], data: &Path, profiles: &Path) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cobrowse"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .arg("--data")
            .arg(data)
            .arg("--profiles")
            .arg(profiles)
            .env("COBROWSE_SECRET", TEST_SECRET)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::piped())
            .spawn()
            .expect("cobrowse starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("Agent view") => break,
                Some(Ok(_)) => {}
                _ => panic!("cobrowse stopped before serving"),
            }
        }
        Node { child, port, url: format!("http://127.0.0.1:{port}") }
    }

    pub fn kill_9(self) {
        self.signal("-KILL");
    }

    /// SIGTERM.
    pub fn terminate(&self) {
        self.signal("-TERM");
    }

    /// Waits (bounded) for the process to exit by itself; `None` if it did not in `within`.
    pub fn exited(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill").args([signal, &self.child.id().to_string()]).status();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.signal("-KILL");
        }
        let _ = self.child.wait();
    }
}

/// `method path` with an integration token: the status and the body.
pub async fn api_call(server: &str, method: &str, path: &str) -> (u16, String) {
    let token = token_for("crm", "CRM", Role::Integration);
    let addr = server.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("the server answers");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}

/// `GET path` with an integration token, as the contact center's systems call it; 200 expected.
pub async fn api(server: &str, path: &str) -> serde_json::Value {
    let (status, body) = api_call(server, "GET", path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// A `redis-server` on a free loopback port, its append-only file in a folder of its own, so a
/// restart finds what it held.
pub struct Redis {
    child: Option<Child>,
    dir: TempDir,
    pub port: u16,
    pub url: String,
}

impl Redis {
    pub fn start() -> Redis {
        let port = free_port();
        let mut redis =
            Redis { child: None, dir: TempDir::new("redis"), port, url: format!("redis://127.0.0.1:{port}/0") };
        redis.run();
        redis
    }

    fn run(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
            .arg(&self.dir.0)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (Debian's redis-server package; scripts/install-debian-packages --tests)");
        self.child = Some(child);
        wait_for_port(self.port, "redis-server");
    }

    /// Stops Redis (SIGTERM: it writes what it holds) and returns once it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// nginx on `127.0.0.1:port` with `deploy/cluster/nginx.conf`, its upstream the given nodes.
pub struct Nginx {
    child: Child,
    _dir: TempDir,
    pub url: String,
}

impl Nginx {
    pub fn start(port: u16, nodes: &[u16]) -> Nginx {
        let shipped =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/cluster/nginx.conf")).unwrap();
        let mut config = String::new();
        let mut servers_written = false;
        for line in shipped.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("server node-") {
                if !servers_written {
                    for node in nodes {
                        config.push_str(&format!("        server 127.0.0.1:{node} max_fails=1 fail_timeout=5s;\n"));
                    }
                    servers_written = true;
                }
            } else if trimmed == "listen 8080;" {
                config.push_str(&format!("        listen 127.0.0.1:{port};\n"));
            } else {
                config.push_str(line);
                config.push('\n');
            }
        }
        assert!(servers_written, "the shipped nginx.conf names the nodes as `server node-N:8080`");
        let dir = TempDir::new("nginx");
        std::fs::write(dir.0.join("nginx.conf"), config).unwrap();
        let globals = format!("daemon off; pid {0}/nginx.pid; error_log {0}/error.log;", dir.0.display());
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&dir.0)
            .arg("-c")
            .arg(dir.0.join("nginx.conf"))
            .args(["-g", &globals])
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx runs (Debian's nginx-light; scripts/install-debian-packages --tests)");
        wait_for_port(port, "nginx");
        Nginx { child, _dir: dir, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers too (SIGKILL would leave them serving).
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not take connections within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}
