//! The benchmark's figures and how they are shown: a markdown table, JSON, and an SVG plot of
//! latency against the number of sessions.

use serde::Serialize;

use super::agent::FrameSeen;

/// p50, p95 and p99 of a set of samples (milliseconds).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Spread {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub samples: usize,
}

impl Spread {
    /// Nearest-rank percentiles of `values`; all zero when there are none.
    pub fn of(mut values: Vec<f64>) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        values.sort_by(f64::total_cmp);
        let at = |p: f64| values[((values.len() as f64 * p).ceil() as usize).clamp(1, values.len()) - 1];
        Spread { p50: at(0.50), p95: at(0.95), p99: at(0.99), samples: values.len() }
    }
}

/// Glass-to-glass latency of each probe mark: from the change in the customer's page to the
/// first agent frame whose probe shows that number or a later one. Marks never shown (the
/// workload stopped before a frame carried them) are counted in `unseen`.
pub fn glass_to_glass(marks: &[(u32, f64)], frames: &[FrameSeen]) -> (Vec<f64>, usize) {
    let mut latencies = Vec::new();
    let mut unseen = 0;
    let mut next = 0;
    for &(seq, at) in marks {
        // Frames arrive in order and numbers only grow within a run, so one pass suffices.
        while next < frames.len() && frames[next].seq.is_none_or(|s| s < seq) {
            next += 1;
        }
        match frames.get(next) {
            Some(frame) => latencies.push((frame.at - at).max(0.0)),
            None => unseen += 1,
        }
    }
    (latencies, unseen)
}

/// What one workload on one session measured.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadFigures {
    pub workload: String,
    pub seconds: f64,
    pub latency_ms: Spread,
    /// Changes made whose frame never arrived before the run ended.
    pub unseen_changes: usize,
    pub frames_per_second: f64,
    /// Bytes per second to the agent (frames and messages).
    pub bytes_per_second: f64,
    /// Whole JPEG frames of the same pictures, per second, when measured.
    pub jpeg_bytes_per_second: Option<f64>,
    /// Whether the agent's last frame showed the customer's last change.
    pub newest_state_shown: bool,
    /// CPU of the server process and of its Chromium, percent of one core.
    pub server_cpu_percent: f64,
    pub chromium_cpu_percent: f64,
}

/// What N sessions at once measured.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleFigures {
    pub sessions: usize,
    /// Customers whose scripted visit failed part way (a page that did not load in time).
    pub failed_visits: usize,
    pub latency_ms: Spread,
    pub unseen_changes: usize,
    pub server_cpu_percent: f64,
    pub chromium_cpu_percent: f64,
    /// CPU of the load generator on the same machine: (customers' Chromium, simulated agents).
    pub load_generator_cpu_percent: (f64, f64),
    pub server_mb: f64,
    pub chromium_mb: f64,
    pub mb_per_session: f64,
    pub bytes_per_second_per_session: f64,
    /// Frames each agent received per second, on average.
    pub frames_per_second_per_session: f64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub machine: String,
    pub viewport: (u32, u32),
    /// Device pixels per CSS pixel of the customers' screens.
    pub pixel_ratio: f64,
    /// Whether the customers were phones (mobile emulation) rather than laptops.
    pub phone: bool,
    pub join_to_first_frame_ms: Spread,
    pub workloads: Vec<WorkloadFigures>,
    pub scale: Vec<ScaleFigures>,
    /// From an agent's action (a typed character) leaving the agent to its `input` event in
    /// the customer's page.
    pub write_mode_latency_ms: Spread,
    /// One session typing, with the other session on the server quiet and then flooding.
    pub isolation: Isolation,
}

/// The isolation scenario: the same typing session measured twice in one run.
#[derive(Debug, Clone, Serialize)]
pub struct Isolation {
    pub quiet: WorkloadFigures,
    pub flooded: WorkloadFigures,
    pub flood: super::flood::FloodCounts,
    /// While other sessions stay within their budgets with big pages changing all the time.
    pub at_the_edge: WorkloadFigures,
    pub edge_flood: super::flood::FloodCounts,
}

fn mbit(bytes_per_second: f64) -> f64 {
    bytes_per_second * 8.0 / 1_000_000.0
}

impl Report {
    /// The report as markdown tables.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "## cobrowse bench\n\n{} · customer {} {}×{} at pixel ratio {} · loopback\n\n",
            self.machine,
            if self.phone { "phone" } else { "viewport" },
            self.viewport.0,
            self.viewport.1,
            self.pixel_ratio
        );
        let j = &self.join_to_first_frame_ms;
        md += &format!(
            "Join to first frame: p50 **{:.0} ms**, p95 {:.0} ms, p99 {:.0} ms ({} joins)\n\n",
            j.p50, j.p95, j.p99, j.samples
        );
        md += "### One session, per workload\n\n| workload | glass-to-glass p50 / p95 / p99 | frames/s | to agent | full-frame JPEG q80, same frames | agent shows newest | CPU server / Chromium |\n|---|---|---|---|---|---|---|\n";
        for w in &self.workloads {
            let jpeg = match w.jpeg_bytes_per_second {
                Some(j) if j > 0.0 => format!("{:.2} Mbit/s (ours is {:.1}%)", mbit(j), w.bytes_per_second / j * 100.0),
                _ => "–".into(),
            };
            let latency = if w.latency_ms.samples == 0 {
                "–".to_string()
            } else {
                format!(
                    "{:.0} / {:.0} / {:.0} ms ({} changes)",
                    w.latency_ms.p50, w.latency_ms.p95, w.latency_ms.p99, w.latency_ms.samples
                )
            };
            md += &format!(
                "| {} | {} | {:.1} | {:.3} Mbit/s ({:.1} KB/s) | {} | {} | {:.0}% / {:.0}% |\n",
                w.workload,
                latency,
                w.frames_per_second,
                mbit(w.bytes_per_second),
                w.bytes_per_second / 1000.0,
                jpeg,
                if w.newest_state_shown { "yes" } else { "no" },
                w.server_cpu_percent,
                w.chromium_cpu_percent
            );
        }
        md += "\n### Sessions at once (each customer browsing: typing, scrolling, page loads, live page)\n\n| sessions | glass-to-glass p50 / p95 / p99 | CPU server / Chromium | memory server + Chromium | per session | to each agent | frames/s each | visits failed | CPU of the load: customers / agents |\n|---|---|---|---|---|---|---|---|---|\n";
        for s in &self.scale {
            md += &format!(
                "| {} | {:.0} / {:.0} / {:.0} ms | {:.0}% / {:.0}% | {:.0} + {:.0} MB | {:.0} MB | {:.3} Mbit/s | {:.1} | {} | {:.0}% / {:.0}% |\n",
                s.sessions,
                s.latency_ms.p50,
                s.latency_ms.p95,
                s.latency_ms.p99,
                s.server_cpu_percent,
                s.chromium_cpu_percent,
                s.server_mb,
                s.chromium_mb,
                s.mb_per_session,
                mbit(s.bytes_per_second_per_session),
                s.frames_per_second_per_session,
                s.failed_visits,
                s.load_generator_cpu_percent.0,
                s.load_generator_cpu_percent.1
            );
        }
        let (quiet, flooded, flood) = (&self.isolation.quiet, &self.isolation.flooded, &self.isolation.flood);
        md += &format!(
            "\n### Isolation: one session typing while another customer floods theirs\n\nThe flood: {} events messages ({:.0} MB, every {}th past the size limit) in {:.1} s, answered with {} errors.\n\n| the other session | glass-to-glass p50 / p95 | frames/s | ratio to quiet, p50 / p95 |\n|---|---|---|---|\n",
            flood.messages_sent, flood.megabytes_sent, 5, flood.seconds, flood.errors_received
        );
        for (name, w) in [("quiet", quiet), ("flooding", flooded), ("others at the edge", &self.isolation.at_the_edge)]
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
        let edge = &self.isolation.edge_flood;
        md += &format!(
            "\nOthers at the edge: 3 sessions, each a valid page of 20,000 elements whose texts change ten times a second, just within the byte rate: {} messages ({:.0} MB) in {:.1} s, answered with {} errors.\n",
            edge.messages_sent, edge.megabytes_sent, edge.seconds, edge.errors_received
        );
        let wm = &self.write_mode_latency_ms;
        md += &format!(
            "\nWrite-mode latency (agent action to customer page): p50 **{:.0} ms**, p95 {:.0} ms, p99 {:.0} ms ({} typed characters)\n",
            wm.p50, wm.p95, wm.p99, wm.samples
        );
        md
    }

    /// Latency p50/p95/p99 against sessions, as a small standalone SVG.
    pub fn svg(&self) -> String {
        let (w, h, left, bottom, top, right) = (560.0, 320.0, 56.0, 40.0, 24.0, 110.0);
        let max_n = self.scale.iter().map(|s| s.sessions).max().unwrap_or(1).max(1) as f64;
        let max_ms = self.scale.iter().map(|s| s.latency_ms.p99).fold(100.0, f64::max) * 1.1;
        let x = |n: f64| left + (w - left - right) * n / max_n;
        let y = |ms: f64| h - bottom - (h - bottom - top) * ms / max_ms;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n<text x=\"{left}\" y=\"16\">glass-to-glass latency (ms) against live sessions</text>\n<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#333\"/>\n",
            h - bottom, w - right, h - bottom, h - bottom
        );
        for tick in 0..=4 {
            let ms = max_ms * tick as f64 / 4.0;
            svg += &format!("<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{ms:.0}</text>\n", left - 6.0, y(ms) + 4.0);
        }
        for s in &self.scale {
            svg += &format!(
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                x(s.sessions as f64),
                h - bottom + 16.0,
                s.sessions
            );
        }
        svg += &format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">sessions</text>\n",
            (left + w - right) / 2.0,
            h - 6.0
        );
        type Series = (&'static str, &'static str, fn(&Spread) -> f64);
        let series: [Series; 3] =
            [("p50", "#2f8a5f", |s| s.p50), ("p95", "#e8a33d", |s| s.p95), ("p99", "#b42318", |s| s.p99)];
        for (i, (name, colour, pick)) in series.iter().enumerate() {
            let points: Vec<String> = self
                .scale
                .iter()
                .map(|s| format!("{:.1},{:.1}", x(s.sessions as f64), y(pick(&s.latency_ms))))
                .collect();
            svg += &format!(
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>\n",
                points.join(" ")
            );
            svg += &format!(
                "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{name}</text>\n",
                w - right + 12.0,
                top + 16.0 + 18.0 * i as f64
            );
        }
        svg + "</svg>\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(at: f64, seq: Option<u32>) -> FrameSeen {
        FrameSeen { at, seq, picture: None }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Spread::of((1..=100).map(f64::from).collect());
        assert_eq!((s.p50, s.p95, s.p99, s.samples), (50.0, 95.0, 99.0, 100));
        assert_eq!(Spread::of(vec![]).samples, 0);
    }

    #[test]
    fn a_change_counts_until_the_first_frame_showing_it_or_a_later_one() {
        let marks = [(1, 100.0), (2, 110.0), (3, 120.0), (4, 200.0)];
        // Frame without probe, then seq 1, then seq 3 (2 was coalesced into it), and no frame for 4.
        let frames = [frame(105.0, None), frame(130.0, Some(1)), frame(150.0, Some(3))];
        let (latencies, unseen) = glass_to_glass(&marks, &frames);
        assert_eq!(latencies, vec![30.0, 40.0, 30.0]);
        assert_eq!(unseen, 1);
    }
}
