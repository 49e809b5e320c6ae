//! The report as markdown: every figure of ours beside the anchors' on the same work, the
//! split of our time per stage, sessions at once, and the targets.

use super::{mbit, Report, Spread};
use crate::bench::single::{Watched, Watcher, WorkloadRow};
use crate::bench::stages::STAGES;

fn latency(s: &Spread) -> String {
    if s.samples == 0 {
        "–".into()
    } else {
        format!("{:.0} / {:.0}", s.p50, s.p95)
    }
}

fn ratio(ours: f64, anchor: f64) -> String {
    if anchor > 0.0 {
        format!("{:.2}", ours / anchor)
    } else {
        "–".into()
    }
}

fn cell(w: Option<&Watched>, f: impl Fn(&Watched) -> String) -> String {
    w.map_or_else(|| "–".into(), f)
}

impl Report {
    /// The report as markdown tables.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "## cobrowse bench\n\n{} · customer {} {}×{} at pixel ratio {} · loopback · agents in real agent-view tabs unless said\n\n",
            self.machine,
            if self.phone { "phone" } else { "viewport" },
            self.viewport.0,
            self.viewport.1,
            self.pixel_ratio
        );
        let (r, d) = (&self.join_to_received_ms, &self.join_to_drawn_ms);
        md += &format!(
            "Join (the agent view's `join` to the first frame in its tab): received p50 **{:.0} ms**, p95 {:.0} ms; drawn p50 **{:.0} ms**, p95 {:.0} ms ({} joins)\n\n",
            r.p50, r.p95, d.p50, d.p95, d.samples
        );
        md += &self.against_anchors();
        md += &self.split_table();
        md += &self.load_table();
        md += &self.targets_table();
        md += &self.isolation_table();
        md += &self.cluster_table();
        let wm = &self.write_mode_latency_ms;
        if wm.samples > 0 {
            md += &format!(
            "\nWrite-mode latency (a simulated agent's typed character to its `input` event in the customer's page): p50 **{:.0} ms**, p95 {:.0} ms, p99 {:.0} ms ({} characters)\n",
                wm.p50, wm.p95, wm.p99, wm.samples
            );
        }
        md
    }

    fn against_anchors(&self) -> String {
        let mut md = String::from(
            "### One session per workload: ours against the anchors, same work, same run\n\nGlass-to-glass p50 / p95 in ms, from the change in the customer's page to the agent's screen showing it. Anchors: **DOM mirror** (rrweb live mode, what most co-browse products ship) and **JPEG stream** (Chromium's screencast of the customer's page, whole pictures at quality 70, a naive screen share). Ratios are ours ÷ the DOM mirror's.\n\n| workload | ours | DOM mirror | JPEG stream | ratio p50 | updates/s ours / mirror / JPEG | to agent, Mbit/s: ours / mirror / JPEG | ratio bytes | newest shown | CPU %: server / replicas / agent's browser |\n|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for row in &self.workloads {
            let (ours, mirror, jpeg) = (row.by(Watcher::Ours), row.by(Watcher::Mirror), row.by(Watcher::Pictures));
            let missed = |w: &Watched| {
                if w.unseen_changes > 0 {
                    format!(" ({} missed)", w.unseen_changes)
                } else {
                    String::new()
                }
            };
            md += &format!(
                "| {} | {} | {} | {} | {} | {} / {} / {} | {} / {} / {} | {} | {} | {} |\n",
                row.workload,
                cell(ours, |w| latency(&w.latency_ms) + &missed(w)),
                cell(mirror, |w| latency(&w.latency_ms) + &missed(w)),
                cell(jpeg, |w| latency(&w.latency_ms) + &missed(w)),
                match (ours, mirror) {
                    (Some(o), Some(m)) if o.latency_ms.samples > 0 => ratio(o.latency_ms.p50, m.latency_ms.p50),
                    _ => "–".into(),
                },
                cell(ours, |w| format!("{:.1}", w.updates_per_second)),
                cell(mirror, |w| format!("{:.1}", w.updates_per_second)),
                cell(jpeg, |w| format!("{:.1}", w.updates_per_second)),
                cell(ours, |w| format!("{:.3}", mbit(w.bytes_per_second))),
                cell(mirror, |w| format!("{:.3}", mbit(w.bytes_per_second))),
                cell(jpeg, |w| format!("{:.2}", mbit(w.bytes_per_second))),
                match (ours, mirror) {
                    (Some(o), Some(m)) => ratio(o.bytes_per_second, m.bytes_per_second),
                    _ => "–".into(),
                },
                cell(ours, |w| if w.newest_state_shown { "yes".into() } else { "no".into() }),
                cell(ours, |w| format!("{:.0} / {:.0} / {:.0}", w.cpu_percent[0], w.cpu_percent[1], w.cpu_percent[3])),
            );
        }
        md
    }

    fn split_table(&self) -> String {
        let mut md = String::from("\n### Where our time goes: p50 per stage, ms\n\n| workload | ");
        md += &STAGES.join(" | ");
        md += " | changes followed |\n|---|";
        md += &"---|".repeat(STAGES.len() + 1);
        md += "\n";
        for row in &self.workloads {
            let Some(split) = &row.split else { continue };
            md += &format!("| {} |", row.workload);
            for (_, s) in &split.stages {
                md += &format!(" {:.1} |", s.p50);
            }
            md += &format!(" {} |\n", split.followed);
        }
        md
    }

    fn load_table(&self) -> String {
        let mut md = String::from(
            "\n### Sessions at once: recorded visits replayed at their pace\n\nEach session is a visit recorded once from a real Chromium customer, sent again at its original pace by a light client; each is watched by a simulated agent (a WebSocket client that rebuilds every frame as the agent view does), so the machine's cores go to the server and its replicas.\n\n",
        );
        for r in &self.recordings {
            md += &format!(
                "- {}: {:.0} s, {} messages, {:.1} changes a second\n",
                r.visit, r.seconds, r.messages, r.changes_per_second
            );
        }
        md += "\n| sessions | glass-to-glass p50 / p95 / p99 | refused busy | failed | frames/s each | to each agent | CPU % server / Chromium / load generator | memory server + Chromium (peak) | per session |\n|---|---|---|---|---|---|---|---|---|\n";
        for s in &self.load {
            md += &format!(
                "| {} | {:.0} / {:.0} / {:.0} ms{} | {} | {} | {:.1} | {:.3} Mbit/s | {:.0} / {:.0} / {:.0} | {:.0} + {:.0} MB | {:.0} MB |\n",
                s.sessions,
                s.latency_ms.p50,
                s.latency_ms.p95,
                s.latency_ms.p99,
                if s.unseen_changes > 0 { format!(" ({} missed)", s.unseen_changes) } else { String::new() },
                s.refused_busy,
                s.failed,
                s.frames_per_second_per_session,
                mbit(s.bytes_per_second_per_session),
                s.server_cpu_percent,
                s.chromium_cpu_percent,
                s.load_generator_cpu_percent,
                s.server_mb,
                s.chromium_mb,
                s.mb_per_session
            );
        }
        if let Some(per_core) = self.sessions_per_core {
            md += &format!("\nSessions per core within p95 250 ms: **{per_core:.1}**\n");
        }
        md
    }

    fn targets_table(&self) -> String {
        let mut md = String::from("\n### Targets\n\n| target | asked | measured | met |\n|---|---|---|---|\n");
        for t in &self.targets {
            md +=
                &format!("| {} | {} | {} | {} |\n", t.what, t.target, t.measured, if t.met { "yes" } else { "**no**" });
        }
        md
    }

    fn cluster_table(&self) -> String {
        let Some(c) = &self.cluster else { return String::new() };
        let (owner, relayed, kill) = (&c.owner_latency_ms, &c.relayed_latency_ms, &c.kill_to_live_ms);
        let mut md = format!(
            "\n### Cluster: {} nodes on one Redis behind a round-robin balancer, on this one machine\n\n",
            c.nodes
        );
        md += &format!(
            "| measure | p50 | p95 | samples |\n|---|---|---|---|\n| glass-to-glass, agent on the session's node ({}) | {:.0} ms | {:.0} ms | {} |\n| glass-to-glass, agent on another node (relayed) | {:.0} ms | {:.0} ms | {} |\n| `kill -9` of the session's node to the agent's tab drawing again | {:.0} ms | {:.0} ms | {} (not back within 15 s: {}) |\n",
            c.workload, owner.p50, owner.p95, owner.samples, relayed.p50, relayed.p95, relayed.samples, kill.p50, kill.p95, kill.samples, c.kills_not_back
        );
        md += &format!(
            "\nThe relay costs {:+.0} ms at p50 ({:.2}× the owner's), {:+.0} ms at p95.\n",
            relayed.p50 - owner.p50,
            relayed.p50 / owner.p50.max(1.0),
            relayed.p95 - owner.p95
        );
        let (one, three) = c.sessions_per_node();
        let show = |n: Option<f64>| n.map_or("none within budget".to_string(), |n| format!("{n:.1}"));
        md += "\n| replayed sessions at once | nodes | glass-to-glass p50 / p95 | refused busy | failed |\n|---|---|---|---|---|\n";
        for (runs, nodes) in [(&c.one_node, 1), (&c.cluster, c.nodes)] {
            for l in runs {
                md += &format!(
                    "| {} | {nodes} | {:.0} / {:.0} ms | {} | {} |\n",
                    l.sessions, l.latency_ms.p50, l.latency_ms.p95, l.refused_busy, l.failed
                );
            }
        }
        md += &format!(
            "\nSessions per node within p95 250 ms: **{}** with one node, **{}** with {} nodes (on this one machine).\n",
            show(one),
            show(three),
            c.nodes
        );
        md
    }

    fn isolation_table(&self) -> String {
        let Some(isolation) = &self.isolation else { return String::new() };
        let (quiet, flood) = (&isolation.quiet, &isolation.flood);
        let mut md = format!(
            "\n### Isolation: one session typing while other customers flood theirs (simulated agent)\n\nThe flood: {} events messages ({:.0} MB, every 5th past the size limit) in {:.1} s, answered with {} errors.\n\n| the other sessions | glass-to-glass p50 / p95 | frames/s | ratio to quiet, p50 / p95 |\n|---|---|---|---|\n",
            flood.messages_sent, flood.megabytes_sent, flood.seconds, flood.errors_received
        );
        for (name, w) in
            [("quiet", quiet), ("flooding", &isolation.flooded), ("others at the edge", &isolation.at_the_edge)]
        {
            md += &format!(
                "| {name} | {:.0} / {:.0} ms ({} changes) | {:.1} | {:.2} / {:.2} |\n",
                w.latency_ms.p50,
                w.latency_ms.p95,
                w.latency_ms.samples,
                w.frames_per_second,
                w.latency_ms.p50 / quiet.latency_ms.p50.max(1.0),
                w.latency_ms.p95 / quiet.latency_ms.p95.max(1.0)
            );
        }
        let edge = &isolation.edge_flood;
        md += &format!(
            "\nOthers at the edge: 3 sessions, each a valid page of 20,000 elements whose texts change ten times a second, just within the byte rate: {} messages ({:.0} MB) in {:.1} s, answered with {} errors.\n",
            edge.messages_sent, edge.megabytes_sent, edge.seconds, edge.errors_received
        );
        md
    }
}

/// The targets of the speed work, judged on `workloads`, the joins and the load.
pub fn targets(report: &Report) -> Vec<super::Target> {
    let ours = |row: &WorkloadRow| row.by(Watcher::Ours).cloned();
    let worst = |pick: &dyn Fn(&str) -> bool, value: &dyn Fn(&Watched) -> f64| {
        report
            .workloads
            .iter()
            .filter(|r| pick(&r.workload))
            .filter_map(|r| ours(r).map(|w| (r.workload.clone(), value(&w))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    };
    let least = |pick: &dyn Fn(&str) -> bool, value: &dyn Fn(&Watched) -> f64| {
        report
            .workloads
            .iter()
            .filter(|r| pick(&r.workload))
            .filter_map(|r| ours(r).map(|w| (r.workload.clone(), value(&w))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    };
    let typing = |n: &str| n.contains("typing") || n.contains("adding items");
    let scrolling = |n: &str| n.contains("scrolling");
    let continuous = |n: &str| n.starts_with("DOM churn") || n.starts_with("CSS animation");
    let browsing = |n: &str| n.starts_with("scripted browsing");
    let mut targets = Vec::new();
    let mut add = |what: &str, target: &str, found: Option<(String, f64)>, unit: &str, met: &dyn Fn(f64) -> bool| {
        if let Some((workload, value)) = found {
            targets.push(super::Target {
                what: what.into(),
                target: target.into(),
                measured: format!("{value:.2}{unit} ({workload})"),
                met: met(value),
            });
        }
    };
    add("typing, glass-to-glass p50 (worst)", "<= 40 ms", worst(&typing, &|w| w.latency_ms.p50), " ms", &|v| v <= 40.0);
    add("typing, glass-to-glass p95 (worst)", "<= 70 ms", worst(&typing, &|w| w.latency_ms.p95), " ms", &|v| v <= 70.0);
    add("scrolling, glass-to-glass p50 (worst)", "<= 50 ms", worst(&scrolling, &|w| w.latency_ms.p50), " ms", &|v| {
        v <= 50.0
    });
    add("continuous change, frames/s (least)", ">= 30", least(&continuous, &|w| w.updates_per_second), "", &|v| {
        v >= 30.0
    });
    add(
        "scripted browsing, to agent (most)",
        "<= 0.30 Mbit/s",
        worst(&browsing, &|w| mbit(w.bytes_per_second)),
        " Mbit/s",
        &|v| v <= 0.30,
    );
    let join = report.join_to_drawn_ms;
    if join.samples > 0 {
        targets.push(super::Target {
            what: "join to drawn, p95".into(),
            target: "<= 300 ms".into(),
            measured: format!("{:.0} ms (p50 {:.0} ms)", join.p95, join.p50),
            met: join.p95 <= 300.0,
        });
    }
    let within: Option<usize> = report.load.iter().filter_map(|l| l.served_within_budget()).max();
    if !report.load.is_empty() {
        targets.push(super::Target {
            what: "replayed sessions at once within p95 250 ms".into(),
            target: ">= 25".into(),
            measured: within.map_or("none".into(), |n| n.to_string()),
            met: within.is_some_and(|n| n >= 25),
        });
    }
    targets
}
