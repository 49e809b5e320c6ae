//! CPU time and memory of a process, or of a process and all its descendants, from `/proc`.

/// Clock ticks per second of `/proc/*/stat` times (`getconf CLK_TCK`; 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; every field after it is plain.
    Some(stat.rsplit_once(')')?.1.split_whitespace().map(String::from).collect())
}

/// `pid` and, with `tree`, every process descending from it.
pub fn processes(pid: u32, tree: bool) -> Vec<u32> {
    let mut all = vec![pid];
    if !tree {
        return all;
    }
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
                .filter_map(|p| Some((p, stat_fields(p)?.get(1)?.parse::<u32>().ok()?)))
                .collect()
        })
        .unwrap_or_default();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for &(child, _) in parents.iter().filter(|(_, ppid)| *ppid == parent) {
            all.push(child);
            frontier.push(child);
        }
    }
    all
}

/// CPU seconds (user + system) used so far by these processes.
pub fn cpu_seconds(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|&p| {
            let f = stat_fields(p)?;
            // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name.
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        })
        .sum::<f64>()
        / TICKS_PER_SECOND
}

/// Proportional set size in MB: shared pages split among their sharers, so a tree sums fairly.
pub fn pss_mb(pids: &[u32]) -> f64 {
    let kb: u64 = pids
        .iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
        .filter_map(|s| {
            s.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .sum();
    kb as f64 / 1024.0
}

/// CPU use of two process groups over a stretch of time, in percent of one core.
pub struct CpuMeter {
    server: u32,
    start: (f64, f64, std::time::Instant),
}

impl CpuMeter {
    /// Starts measuring the server process (alone) and its Chromium (its descendants).
    pub fn start(server: u32) -> CpuMeter {
        CpuMeter { server, start: (Self::server_cpu(server), Self::chromium_cpu(server), std::time::Instant::now()) }
    }

    fn server_cpu(server: u32) -> f64 {
        cpu_seconds(&[server])
    }

    fn chromium_cpu(server: u32) -> f64 {
        cpu_seconds(&processes(server, true)[1..])
    }

    /// Percent of one core used by (server, Chromium) since [`CpuMeter::start`].
    pub fn read(&self) -> (f64, f64) {
        let elapsed = self.start.2.elapsed().as_secs_f64().max(0.001);
        let server = Self::server_cpu(self.server) - self.start.0;
        let chromium = Self::chromium_cpu(self.server) - self.start.1;
        (server / elapsed * 100.0, chromium / elapsed * 100.0)
    }
}

/// Memory of the server process and of its Chromium, in MB (PSS).
pub fn memory(server: u32) -> (f64, f64) {
    let tree = processes(server, true);
    (pss_mb(&tree[..1]), pss_mb(&tree[1..]))
}

/// CPU use of the load generator itself over a stretch of time: the customers' Chromium (all
/// its processes) and this process (the simulated agents), in percent of one core.
pub struct LoadMeter {
    customers: u32,
    start: (f64, f64, std::time::Instant),
}

impl LoadMeter {
    /// Starts measuring the customers' Chromium (`customers` is its browser process).
    pub fn start(customers: u32) -> LoadMeter {
        LoadMeter {
            customers,
            start: (cpu_seconds(&processes(customers, true)), Self::own(), std::time::Instant::now()),
        }
    }

    fn own() -> f64 {
        cpu_seconds(&[std::process::id()])
    }

    /// Percent of one core used by (the customers' Chromium, the agents) since the start.
    pub fn read(&self) -> (f64, f64) {
        let elapsed = self.start.2.elapsed().as_secs_f64().max(0.001);
        let customers = cpu_seconds(&processes(self.customers, true)) - self.start.0;
        (customers / elapsed * 100.0, (Self::own() - self.start.1) / elapsed * 100.0)
    }
}
