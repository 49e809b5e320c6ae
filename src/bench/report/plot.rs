//! The report's plot: glass-to-glass latency against replayed sessions at once, and each
//! workload's p50 for ours and the anchors, as one standalone SVG.

use super::{Report, Spread};
use crate::bench::single::Watcher;

const OURS: &str = "#2f6fb0";
const MIRROR: &str = "#2f8a5f";
const PICTURES: &str = "#b42318";

impl Report {
    /// The plot as a small standalone SVG.
    pub fn svg(&self) -> String {
        let rows: Vec<_> =
            self.workloads.iter().filter(|r| r.by(Watcher::Ours).is_some_and(|w| w.latency_ms.samples > 0)).collect();
        let bars_height = 30.0 + rows.len() as f64 * 34.0 + 30.0;
        let (w, load_h) = (760.0, 320.0);
        let h = load_h + bars_height;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        );
        svg += &self.load_plot(w, load_h);
        svg += &bars(&rows, w, load_h);
        svg + "</svg>\n"
    }

    fn load_plot(&self, w: f64, h: f64) -> String {
        let (left, bottom, top, right) = (56.0, 40.0, 30.0, 110.0);
        let max_n = self.load.iter().map(|s| s.sessions).max().unwrap_or(1).max(1) as f64;
        let max_ms = self.load.iter().map(|s| s.latency_ms.p99).fold(300.0, f64::max) * 1.1;
        let x = |n: f64| left + (w - left - right) * n / max_n;
        let y = |ms: f64| h - bottom - (h - bottom - top) * ms / max_ms;
        let mut svg = format!(
            "<text x=\"{left}\" y=\"18\">glass-to-glass latency (ms) against replayed sessions at once (simulated agents)</text>\n<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#333\"/>\n<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{0}\" stroke=\"#333\"/>\n",
            h - bottom,
            w - right
        );
        svg += &format!(
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/><text x=\"{2}\" y=\"{3:.1}\" fill=\"#666\">p95 target 250</text>\n",
            y(250.0),
            w - right,
            w - right + 6.0,
            y(250.0) + 4.0
        );
        for tick in 0..=4 {
            let ms = max_ms * tick as f64 / 4.0;
            svg += &format!("<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{ms:.0}</text>\n", left - 6.0, y(ms) + 4.0);
        }
        for s in &self.load {
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
            h - 8.0
        );
        type Series = (&'static str, &'static str, fn(&Spread) -> f64);
        let series: [Series; 3] =
            [("p50", "#2f8a5f", |s| s.p50), ("p95", "#e8a33d", |s| s.p95), ("p99", "#b42318", |s| s.p99)];
        for (i, (name, colour, pick)) in series.iter().enumerate() {
            let points: Vec<String> = self
                .load
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
                top + 36.0 + 18.0 * i as f64
            );
        }
        svg
    }
}

/// Each workload's glass-to-glass p50 for ours and the anchors, as bars, from `top` down.
fn bars(rows: &[&crate::bench::single::WorkloadRow], w: f64, top: f64) -> String {
    let (left, right) = (300.0, 60.0);
    let max_ms = rows.iter().flat_map(|r| r.watched.iter().map(|w| w.latency_ms.p50)).fold(50.0, f64::max) * 1.05;
    let x = |ms: f64| left + (w - left - right) * ms / max_ms;
    let mut svg = format!(
        "<text x=\"16\" y=\"{:.0}\">glass-to-glass p50 (ms) per workload: <tspan fill=\"{OURS}\">ours</tspan>, <tspan fill=\"{MIRROR}\">DOM mirror</tspan>, <tspan fill=\"{PICTURES}\">JPEG stream</tspan></text>\n",
        top + 20.0
    );
    for (i, row) in rows.iter().enumerate() {
        let y0 = top + 34.0 + 34.0 * i as f64;
        let name: String = row.workload.chars().take(48).collect();
        svg += &format!(
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            left - 8.0,
            y0 + 16.0,
            escape(&name)
        );
        for (j, (watcher, colour)) in
            [(Watcher::Ours, OURS), (Watcher::Mirror, MIRROR), (Watcher::Pictures, PICTURES)].iter().enumerate()
        {
            let Some(watched) = row.by(*watcher) else { continue };
            let ms = watched.latency_ms.p50;
            let y = y0 + 9.0 * j as f64;
            svg += &format!(
                "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"8\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\">{ms:.0}</text>\n",
                x(ms) - left,
                x(ms) + 4.0,
                y + 8.0
            );
        }
    }
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
