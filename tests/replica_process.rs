//! The replicas' Chromium as a local attacker and a crash meet it: it listens on no port (its
//! DevTools speak over a pipe only the server holds), it dies with a killed server, and a
//! starting server removes what a dead one left behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `cobrowse` on loopback with the demo site off; returns it once it has printed its
/// addresses (its Chromium starts meanwhile), with the folder of its data.
fn server() -> (Child, std::path::PathBuf) {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let data = std::env::temp_dir().join(format!("cobrowse-process-test-{}-{run}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_cobrowse"))
        .args(["--listen", "127.0.0.1:0", "--demo-listen", "off", "--data"])
        .arg(&data)
        .env("COBROWSE_SECRET", "a-secret-for-this-test-only")
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cobrowse starts");
    let stdout = child.stdout.take().unwrap();
    let started = BufReader::new(stdout).lines().any(|line| line.expect("stdout reads").starts_with("Agent view"));
    assert!(started, "the server did not start");
    (child, data)
}

/// Polls `check` every 100 ms for at most `limit`; whether it held.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    check()
}

fn stat_field(pid: u32, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.split_whitespace().nth(n).map(str::to_string)
}

/// Whether `pid` runs (a zombie waiting for its reaper does not).
fn alive(pid: u32) -> bool {
    stat_field(pid, 0).is_some_and(|state| state != "Z" && state != "X")
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc").unwrap().flatten().filter_map(|e| e.file_name().to_string_lossy().parse().ok()).collect()
}

/// Every process descending from `ancestor`.
fn descendants(ancestor: u32) -> Vec<u32> {
    let pids = all_pids();
    let parent = |pid: u32| stat_field(pid, 1).and_then(|p| p.parse::<u32>().ok());
    pids.into_iter()
        .filter(|&pid| {
            let mut at = pid;
            for _ in 0..16 {
                match parent(at) {
                    Some(p) if p == ancestor => return true,
                    Some(p) if p > 1 => at = p,
                    _ => return false,
                }
            }
            false
        })
        .collect()
}

fn cmdline(pid: u32) -> String {
    String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()).replace('\0', " ")
}

/// The inodes of TCP sockets in the LISTEN state (IPv4 and IPv6).
fn listening_inodes() -> Vec<String> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table).unwrap_or_default().lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) == Some(&"0A") {
                inodes.extend(fields.get(9).map(|s| s.to_string()));
            }
        }
    }
    inodes
}

/// The socket inodes `pid` holds open.
fn sockets_of(pid: u32) -> Vec<String> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy().to_string();
            t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')).map(str::to_string)
        })
        .collect()
}

#[test]
fn no_local_process_can_reach_the_replicas_and_they_die_with_the_server() {
    let (mut server, data) = server();
    let pid = server.id();
    let marker = format!("cobrowse-replica-{pid}-");
    let chromium = || descendants(pid).into_iter().filter(|&p| cmdline(p).contains(&marker)).collect::<Vec<_>>();
    assert!(eventually(Duration::from_secs(30), || !chromium().is_empty()), "the server's Chromium never started");
    // Renderers and helpers start with the browser; give them a moment to be there.
    std::thread::sleep(Duration::from_millis(500));
    // The browser's children, and its helpers that leave the tree (Chromium's crash handler
    // daemonizes) but name the profile folder.
    let mut tree = descendants(pid);
    let helpers: Vec<u32> =
        all_pids().into_iter().filter(|&p| cmdline(p).contains(&marker) && !tree.contains(&p)).collect();
    tree.extend(helpers);
    assert!(tree.len() >= 3, "the browser, its zygote and helpers: {tree:?}");
    for &p in &tree {
        let line = cmdline(p);
        assert!(!line.contains("--remote-debugging-port"), "a replica process opens a DevTools port: {line}");
    }
    let listening = listening_inodes();
    for &p in &tree {
        let open: Vec<String> = sockets_of(p).into_iter().filter(|i| listening.contains(i)).collect();
        assert!(open.is_empty(), "replica process {p} ({}) listens on TCP: {open:?}", cmdline(p));
    }

    // A crash of the server (nothing runs its shutdown): its Chromium goes with it.
    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    let _ = server.wait();
    let gone = eventually(Duration::from_secs(10), || tree.iter().all(|&p| !alive(p)));
    let left: Vec<String> = tree.iter().filter(|&&p| alive(p)).map(|&p| format!("{p}: {}", cmdline(p))).collect();
    assert!(gone, "after kill -9 of the server, its processes still run: {left:#?}");
    let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("{marker}0")));
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn a_starting_server_removes_what_a_dead_one_left() {
    // A server process that is gone, its replica folder, and a process still using it.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let folder = std::env::temp_dir().join(format!("cobrowse-replica-{dead}-0"));
    std::fs::create_dir_all(folder.join("Default")).unwrap();
    std::fs::write(folder.join("Default/Preferences"), "{}").unwrap();
    let mut orphan = Command::new("sh")
        .args(["-c", "while :; do sleep 1; done"])
        .arg(format!("--user-data-dir={}", folder.display()))
        .spawn()
        .unwrap();
    // Someone else's folder of the same kind, whose server runs (this test), stays.
    let live = std::env::temp_dir().join(format!("cobrowse-replica-{}-999", std::process::id()));
    std::fs::create_dir_all(&live).unwrap();

    let (mut server, data) = server();
    assert!(
        !folder.exists(),
        "the dead server's replica folder is still there (process {dead}: {:?})",
        std::fs::read_to_string(format!("/proc/{dead}/status")).map(|s| s
            .lines()
            .take(8)
            .collect::<Vec<_>>()
            .join("; "))
    );
    assert!(
        eventually(Duration::from_secs(5), || orphan.try_wait().unwrap().is_some()),
        "the process using the dead server's folder still runs"
    );
    assert!(live.exists(), "a running server's folder was removed");
    let _ = std::fs::remove_dir_all(&live);
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(data);
}
