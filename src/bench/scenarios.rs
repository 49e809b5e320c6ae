//! The benchmark's scenarios in the order they run: joins, every workload watched by ours and
//! by each anchor, write mode and isolation, then visits recorded and replayed at once, then
//! the cluster.

use super::report::{markdown, RecordingFigures, Report};
use super::single::{self, Watcher, WorkloadRow};
use super::workload::{Site, Visit, VISITS, WORKLOADS};
use super::{cluster, isolation, load, replay, Rig};

/// Runs every scenario.
pub async fn measure(rig: &Rig) -> Result<Report, String> {
    let options = &rig.options;
    let (join_to_received_ms, join_to_drawn_ms) = if options.runs("joins") {
        eprintln!("bench: timing {} joins in the agent view", options.joins);
        single::joins(rig, options.joins).await?
    } else {
        Default::default()
    };
    let chosen = |name: &str| options.only.as_ref().is_none_or(|only| name.contains(only.as_str()));

    let visits: Vec<Visit> = VISITS
        .iter()
        .map(|v| Visit {
            name: v.name,
            site: v.site,
            steps: if options.quick { &v.steps[..v.steps.len().min(3)] } else { v.steps },
        })
        .filter(|v| chosen(v.name))
        .collect();
    let mut workloads: Vec<WorkloadRow> = Vec::new();
    let watchers: &[Watcher] =
        if options.runs("anchors") { &[Watcher::Ours, Watcher::Mirror, Watcher::Pictures] } else { &[Watcher::Ours] };
    for &watcher in watchers {
        for site in [Site::Demo, Site::Corpus] {
            let on_site: Vec<_> = WORKLOADS.iter().filter(|w| w.site == site && chosen(w.name)).collect();
            let visits_on_site: Vec<_> = visits.iter().filter(|v| v.site == site).collect();
            if on_site.is_empty() && visits_on_site.is_empty() {
                continue;
            }
            for (name, watched, split) in single::watch_site(rig, watcher, site, &on_site, &visits_on_site).await? {
                match workloads.iter_mut().find(|r| r.workload == name) {
                    Some(row) => {
                        row.watched.push(watched);
                        row.split = row.split.take().or(split);
                    }
                    None => workloads.push(WorkloadRow { workload: name, site, watched: vec![watched], split }),
                }
            }
        }
    }

    let (write_mode_latency_ms, isolation) = if options.runs("isolation") {
        eprintln!("bench: write mode and isolation, with a simulated agent");
        let (mut customer, agent) = isolation::session(rig).await?;
        let write_mode = isolation::write_mode_latency(&mut customer, &agent, &rig.server).await?;
        let isolation = isolation::isolation(&mut customer, &agent, &rig.server, options.seconds).await?;
        isolation::end(rig, customer, agent).await;
        (write_mode, Some(isolation))
    } else {
        (Default::default(), None)
    };

    let mut recordings = Vec::new();
    let mut load = Vec::new();
    let replayed = if options.runs("load") { &visits[..] } else { &[] };
    for visit in replayed {
        eprintln!("bench: recording a customer's visit to replay: {}", visit.name);
        recordings.push(replay::record(rig, visit).await?);
    }
    for &n in options.sessions.iter().filter(|_| !recordings.is_empty()) {
        eprintln!("bench: {n} replayed sessions at once");
        load.push(load::at_once(rig, n, &recordings).await?);
        // Closed contexts free their memory in the background; let them before the next round.
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    let cluster = if options.runs("cluster") {
        Some(cluster::measure(rig, &rig.exe, &recordings, load.clone()).await?)
    } else {
        None
    };
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    let sessions_per_core = load.iter().filter_map(|l| l.served_within_budget()).max().map(|n| n as f64 / cores);
    let mut report = Report {
        machine: machine(),
        viewport: options.screen().size,
        pixel_ratio: options.screen().pixel_ratio,
        phone: options.phone,
        join_to_received_ms,
        join_to_drawn_ms,
        workloads,
        recordings: recordings
            .iter()
            .map(|r| RecordingFigures {
                visit: r.name.to_string(),
                seconds: r.seconds(),
                messages: r.messages.len(),
                changes_per_second: r.changes_per_second(),
            })
            .collect(),
        load,
        sessions_per_core,
        write_mode_latency_ms,
        isolation,
        cluster,
        targets: Vec::new(),
    };
    report.targets = markdown::targets(&report);
    Ok(report)
}

/// The CPU model, core count and memory, for the report's heading.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!("{model}, {cores} cores, {gib:.0} GiB")
}
