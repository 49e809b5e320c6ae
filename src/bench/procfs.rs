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

/// A set of processes whose CPU time is measured together.
#[derive(Debug, Clone, Copy)]
pub enum Group {
    /// One process.
    Alone(u32),
    /// Every process descending from this one, not itself.
    Descendants(u32),
    /// This process and every process descending from it.
    Tree(u32),
}

impl Group {
    /// The processes in the group now.
    fn pids(self) -> Vec<u32> {
        match self {
            Group::Alone(pid) => vec![pid],
            Group::Descendants(pid) => processes(pid, true).split_off(1),
            Group::Tree(pid) => processes(pid, true),
        }
    }
}

/// How often the meter looks: a process that exits between two looks loses only what it used
/// since the last (a replica's renderer exits when its session ends, before the meter is read).
const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

#[derive(Default)]
struct Sampled {
    /// CPU seconds each process had at its last look, by group.
    last: Vec<std::collections::HashMap<u32, f64>>,
    /// CPU seconds each group used since the start.
    used: Vec<f64>,
}

impl Sampled {
    fn look(&mut self, groups: &[Group], first: bool) {
        for (i, group) in groups.iter().enumerate() {
            for pid in group.pids() {
                let now = cpu_seconds(&[pid]);
                // A process first seen after the start was born during the run: all of its
                // time counts.
                let before = self.last[i].insert(pid, now).unwrap_or(if first { now } else { 0.0 });
                self.used[i] += (now - before).max(0.0);
            }
        }
    }
}

/// CPU use of process groups over a stretch of time, in percent of one core each, counting
/// processes that start or exit meanwhile.
pub struct CpuMeter {
    groups: Vec<Group>,
    sampled: std::sync::Arc<std::sync::Mutex<Sampled>>,
    task: tokio::task::JoinHandle<()>,
    since: std::time::Instant,
}

impl CpuMeter {
    /// Starts measuring `groups`.
    pub fn start(groups: Vec<Group>) -> CpuMeter {
        let mut sampled = Sampled { last: vec![Default::default(); groups.len()], used: vec![0.0; groups.len()] };
        sampled.look(&groups, true);
        let sampled = std::sync::Arc::new(std::sync::Mutex::new(sampled));
        let (looking, watched) = (sampled.clone(), groups.clone());
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(SAMPLE_EVERY).await;
                looking.lock().unwrap_or_else(|p| p.into_inner()).look(&watched, false);
            }
        });
        CpuMeter { groups, sampled, task, since: std::time::Instant::now() }
    }

    /// Percent of one core each group used since [`CpuMeter::start`], in the order given.
    pub fn read(&self) -> Vec<f64> {
        let elapsed = self.since.elapsed().as_secs_f64().max(0.001);
        let mut sampled = self.sampled.lock().unwrap_or_else(|p| p.into_inner());
        sampled.look(&self.groups, false);
        sampled.used.iter().map(|used| used / elapsed * 100.0).collect()
    }
}

impl Drop for CpuMeter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Memory of the server process and of its Chromium, in MB (PSS).
pub fn memory(server: u32) -> (f64, f64) {
    let tree = processes(server, true);
    (pss_mb(&tree[..1]), pss_mb(&tree[1..]))
}
