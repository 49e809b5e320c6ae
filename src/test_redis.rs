//! A throwaway `redis-server` on a free loopback port, with no persistence, stopped on drop
//! (unit tests of what the cluster keeps in Redis).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestRedis {
    child: Child,
    port: u16,
    pub url: String,
}

impl TestRedis {
    /// Starts Debian's `redis-server` and waits (5 s at most) until it takes connections.
    pub fn start() -> TestRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        TestRedis { child: run(port), port, url: format!("redis://127.0.0.1:{port}/0") }
    }

    /// Kills it and starts a new, empty one on the same port once `away` has passed.
    pub fn restart_after(&mut self, away: Duration) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(away);
        self.child = run(self.port);
    }
}

fn run(port: u16) -> Child {
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server runs (Debian's redis-server package; scripts/install-debian-packages --tests)");
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not take connections within 5 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
