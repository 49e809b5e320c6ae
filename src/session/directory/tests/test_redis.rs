//! A throwaway `redis-server` on a free loopback port, with no persistence, stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestRedis {
    child: Child,
    pub url: String,
}

impl TestRedis {
    /// Starts Debian's `redis-server` and waits (5 s at most) until it takes connections.
    pub fn start() -> TestRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
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
        TestRedis { child, url: format!("redis://127.0.0.1:{port}/0") }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
