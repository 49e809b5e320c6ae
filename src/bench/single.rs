//! One session at a time, each workload watched three ways in turn on the same work: by the
//! agent view in a real tab (ours, with the stage split), by the DOM-mirroring anchor and by
//! the screen-sharing anchor (see [`super::anchors`]).

use std::time::Duration;

use serde::Serialize;

use super::anchors::{Anchor, AnchorView, PictureFeed};
use super::customer::Customer;
use super::procfs::{CpuMeter, Group};
use super::report::{glass_to_glass, Spread};
use super::stages::{self, SessionTrace, Split};
use super::tab::AgentTab;
use super::workload::{self, Site, Step, Visit, Workload};
use super::{wall_ms, Rig};

/// How long the agent waits after the customer starts before joining: reading out nine digits
/// takes longer than this, so the replica is ready as it would be in real use.
pub const JOIN_AFTER: Duration = Duration::from_secs(1);
/// Frames still in flight when a workload stops are given this long to arrive.
pub const DRAIN: Duration = Duration::from_secs(1);

/// Who watched the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Watcher {
    /// The agent view in a real tab, fed by the co-browse server.
    Ours,
    /// rrweb's live mode (DOM mirroring).
    Mirror,
    /// Whole JPEG pictures of the customer's screen.
    Pictures,
}

/// What one workload measured, watched one way.
#[derive(Debug, Clone, Serialize)]
pub struct Watched {
    pub watcher: Watcher,
    pub seconds: f64,
    /// From each change in the customer's page to the agent's screen showing it.
    pub latency_ms: Spread,
    /// Changes made that the agent never saw before the run ended.
    pub unseen_changes: usize,
    /// Updates of the agent's screen a second: frames drawn (ours), changes applied to the
    /// mirror, pictures drawn.
    pub updates_per_second: f64,
    /// Bytes a second that reached the agent's browser.
    pub bytes_per_second: f64,
    /// Whether the agent's screen ended on the customer's last change.
    pub newest_state_shown: bool,
    /// CPU in percent of one core: the server, its Chromium, the customers' Chromium, the
    /// agents' Chromium.
    pub cpu_percent: [f64; 4],
}

/// One workload, watched three ways, with where our time went.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadRow {
    pub workload: String,
    pub site: Site,
    pub watched: Vec<Watched>,
    /// Stage by stage, for ours; `None` for a workload that makes no change (idle).
    pub split: Option<Split>,
}

impl WorkloadRow {
    pub fn by(&self, watcher: Watcher) -> Option<&Watched> {
        self.watched.iter().find(|w| w.watcher == watcher)
    }
}

/// What the agent's side is, for one run.
enum Screen<'a> {
    Tab(&'a mut AgentTab),
    Anchor(&'a mut AnchorView),
}

impl Screen<'_> {
    async fn collect(&mut self) -> Result<(), String> {
        match self {
            Screen::Tab(tab) => tab.collect().await,
            Screen::Anchor(view) => view.collect().await,
        }
    }

    /// Updates so far (where the next run's start).
    fn updates(&self) -> usize {
        match self {
            Screen::Tab(tab) => tab.frames.len(),
            Screen::Anchor(view) => view.draws.len(),
        }
    }

    /// Arrivals so far: (ms, bytes).
    fn arrivals(&self) -> Vec<(f64, usize)> {
        match self {
            Screen::Tab(tab) => {
                tab.frames.iter().map(|f| (f.arrived, f.bytes)).chain(tab.texts.iter().copied()).collect()
            }
            Screen::Anchor(view) => view.arrivals.clone(),
        }
    }
}

/// A session on `site` (its first page `first`), with the agent view joined in a real tab.
pub async fn session(rig: &Rig, site: Site, first: &str) -> Result<(Customer, AgentTab, String), String> {
    let mut customer = rig.customers.open(rig.options.screen()).await?;
    customer.open_page(&format!("{}{first}", rig.base(site))).await?;
    let id = customer.start_session().await?;
    tokio::time::sleep(JOIN_AFTER).await;
    let mut tab = AgentTab::join(&rig.agents, &rig.server.server, &rig.server.agent_token, &id).await?;
    tab.first_drawn(Duration::from_secs(10)).await?;
    customer.wait_active().await?;
    Ok((customer, tab, id))
}

/// Ends a session: the customer ends it and both windows close.
pub async fn end(rig: &Rig, customer: Customer, tab: AgentTab) {
    let _ = customer.eval("Cobrowse.end()").await;
    tab.close(&rig.agents).await;
    rig.customers.close(customer).await;
}

/// Every workload and visit of `site`, watched by `watcher`.
pub async fn watch_site(
    rig: &Rig,
    watcher: Watcher,
    site: Site,
    workloads: &[&Workload],
    visits: &[&Visit],
) -> Result<Vec<(String, Watched, Option<Split>)>, String> {
    let first = workloads
        .first()
        .map(|w| w.page)
        .or_else(|| visits.first().and_then(|v| v.steps.first()).and_then(|s| s.page))
        .unwrap_or("/");
    let mut rows = Vec::new();
    let seconds = rig.options.seconds;
    let runs = workloads
        .iter()
        .map(|w| (w.name, Some(w.page), vec![workload::single(w, seconds)]))
        .chain(visits.iter().map(|v| (v.name, None, v.steps.to_vec())));
    match watcher {
        Watcher::Ours => {
            let (mut customer, mut tab, id) = session(rig, site, first).await?;
            for (name, page, steps) in runs {
                eprintln!("bench: {name}, watched in the agent view");
                let (watched, split) =
                    timed(rig, watcher, site, &mut customer, &mut Screen::Tab(&mut tab), page, &steps, Some(&id))
                        .await?;
                rows.push((name.to_string(), watched, split));
            }
            end(rig, customer, tab).await;
        }
        Watcher::Mirror | Watcher::Pictures => {
            let anchor = if watcher == Watcher::Mirror { Anchor::Mirror } else { Anchor::Pictures };
            let mut view = AnchorView::open(&rig.agents, &rig.relay, anchor).await?;
            let mut customer = rig.customers.open(rig.options.screen()).await?;
            if anchor == Anchor::Mirror {
                customer.after_load = Some(rig.relay.recorder(&rig.server.server));
            }
            customer.open_page(&format!("{}{first}", rig.base(site))).await?;
            let feed = match anchor {
                Anchor::Pictures => Some(PictureFeed::start(customer.window(), &rig.relay).await?),
                Anchor::Mirror => None,
            };
            let mut outcome = Ok(());
            for (name, page, steps) in runs {
                eprintln!("bench: {name}, watched by the {anchor:?} anchor");
                match timed(rig, watcher, site, &mut customer, &mut Screen::Anchor(&mut view), page, &steps, None).await
                {
                    Ok((watched, split)) => rows.push((name.to_string(), watched, split)),
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            if let Some(feed) = feed {
                feed.stop().await;
            }
            view.close(&rig.agents).await;
            rig.customers.close(customer).await;
            outcome?;
        }
    }
    Ok(rows)
}

/// Runs `steps` (after opening `page`, if given) and measures what the agent's screen showed.
#[allow(clippy::too_many_arguments)]
async fn timed(
    rig: &Rig,
    watcher: Watcher,
    site: Site,
    customer: &mut Customer,
    screen: &mut Screen<'_>,
    page: Option<&str>,
    steps: &[Step],
    session: Option<&str>,
) -> Result<(Watched, Option<Split>), String> {
    if let Some(page) = page {
        customer.open_page(&format!("{}{page}", rig.base(site))).await?;
        tokio::time::sleep(DRAIN).await;
    }
    screen.collect().await?;
    let (marks_before, sends_before, updates_before) = (customer.marks.len(), customer.sends.len(), screen.updates());
    let cpu = rig.cpu_meter().await;
    let started = wall_ms();
    workload::perform(customer, &rig.base(site), steps).await?;
    let stopped = wall_ms();
    let cpu_percent = cpu.read();
    tokio::time::sleep(DRAIN).await;
    screen.collect().await?;

    let seconds = (stopped - started) / 1000.0;
    let marks = &customer.marks[marks_before..];
    let (seen, split) = match screen {
        Screen::Tab(tab) => {
            let frames = &tab.frames[updates_before.min(tab.frames.len())..];
            let split = match (session, marks.is_empty()) {
                (Some(id), false) => {
                    let records = crate::reporting::stages::read(&rig.server.stage_trace)
                        .map_err(|e| format!("the server's stage trace cannot be read: {e}"))?;
                    let trace = SessionTrace::of(&records, id);
                    Some(
                        stages::split(marks, &customer.sends[sends_before..], &trace, frames)
                            .map_err(|e| e.to_string())?,
                    )
                }
                _ => None,
            };
            (tab.seen(updates_before), split)
        }
        Screen::Anchor(view) => (view.seen(updates_before), None),
    };
    let (latencies, unseen) = glass_to_glass(marks, &seen);
    let updates = match screen {
        Screen::Tab(_) => seen.iter().filter(|f| (started..=stopped).contains(&f.at)).count(),
        Screen::Anchor(view) => {
            let arrived = view.arrivals.iter().filter(|(at, _)| (started..=stopped).contains(at)).count();
            if watcher == Watcher::Mirror {
                arrived
            } else {
                seen.iter().filter(|f| (started..=stopped).contains(&f.at)).count()
            }
        }
    };
    let bytes: usize = screen.arrivals().iter().filter(|(at, _)| (started..=stopped).contains(at)).map(|a| a.1).sum();
    let last_seq = seen.iter().rev().find_map(|f| f.seq);
    Ok((
        Watched {
            watcher,
            seconds,
            latency_ms: Spread::of(latencies),
            unseen_changes: unseen,
            updates_per_second: updates as f64 / seconds,
            bytes_per_second: bytes as f64 / seconds,
            newest_state_shown: marks.is_empty() || last_seq == Some(customer.seq()),
            cpu_percent: [0, 1, 2, 3].map(|i| cpu_percent.get(i).copied().unwrap_or_default()),
        },
        split,
    ))
}

/// Milliseconds from the agent's `join` to the first frame arriving in its tab and to its
/// drawing, over `joins` fresh sessions on the demo site.
pub async fn joins(rig: &Rig, joins: usize) -> Result<(Spread, Spread), String> {
    let (mut received, mut drawn) = (Vec::new(), Vec::new());
    for _ in 0..joins {
        let mut customer = rig.customers.open(rig.options.screen()).await?;
        customer.open_page(&format!("{}/", rig.base(Site::Demo))).await?;
        let id = customer.start_session().await?;
        tokio::time::sleep(JOIN_AFTER).await;
        let mut tab = AgentTab::join(&rig.agents, &rig.server.server, &rig.server.agent_token, &id).await?;
        let (r, d) = tab.first_drawn(Duration::from_secs(10)).await?;
        received.push(r);
        drawn.push(d);
        end(rig, customer, tab).await;
    }
    Ok((Spread::of(received), Spread::of(drawn)))
}

/// The CPU groups every single-session run measures, in [`Watched::cpu_percent`]'s order.
pub fn cpu_groups(server: u32, customers: u32, agents: u32) -> CpuMeter {
    CpuMeter::start(vec![Group::Alone(server), Group::Descendants(server), Group::Tree(customers), Group::Tree(agents)])
}
