//! What the benchmark's customers do: single-session workloads on the demo site and on
//! third-party apps of the compatibility corpus, and scripted visits at a person's pace. Keys
//! go through Chromium's own input (trusted events, as from a keyboard); scrolling, churn and
//! steady marks are the probe's (`probe.js`).

use std::time::Duration;

use serde::Serialize;

use super::customer::Customer;

/// The simulated customers' window: a common laptop viewport.
pub const VIEWPORT: (u32, u32) = (1280, 800);

/// Which site a workload runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Site {
    /// The demo company site the server serves beside itself.
    Demo,
    /// The third-party pages of the compatibility corpus (`tests/corpus/`).
    Corpus,
}

/// What a step does once its page is open.
#[derive(Debug, Clone, Copy)]
pub enum Act {
    /// Nothing: the customer reads.
    Idle,
    /// A probe workload running in the page (`probe.js`), such as `scrolling(100, 100)`.
    Probe(&'static str),
    /// Keys typed into the field `field` (JavaScript) at `per_second`; `'\n'` is Enter,
    /// `'\u{8}'` Backspace. A single-session workload types as much of `text` as its time allows.
    Type { field: &'static str, text: &'static str, per_second: f64 },
}

/// One step of a workload: open a page (or stay), act, let it run, stop.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub page: Option<&'static str>,
    pub act: Act,
    /// How long the step runs after its keys (if any) are typed.
    pub seconds: f64,
}

const fn step(page: Option<&'static str>, act: Act, seconds: f64) -> Step {
    Step { page, act, seconds }
}

/// A single-session workload: a page and what the customer does on it.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub name: &'static str,
    pub site: Site,
    pub page: &'static str,
    pub act: Act,
}

const TODO_FIELD: &str = "document.querySelector('.new-todo, #new-todo')";

/// The single-session workloads, the demo site's first.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "typing (10 keys/s)",
        site: Site::Demo,
        page: "/switch.html",
        act: Act::Type {
            field: "document.getElementById('address')",
            text: "12 Harbour Row, Bristol BS1 4RN. Flat 3, second floor, blue door. ",
            per_second: 10.0,
        },
    },
    Workload {
        name: "scrolling (100 px every 100 ms)",
        site: Site::Demo,
        page: "/guide.html",
        act: Act::Probe("scrolling(100, 100)"),
    },
    Workload {
        name: "DOM churn (table rewritten every frame)",
        site: Site::Demo,
        page: "/prices.html",
        act: Act::Probe("churn()"),
    },
    Workload {
        name: "CSS animation (site's live page)",
        site: Site::Demo,
        page: "/prices.html",
        act: Act::Probe("ticking(10)"),
    },
    Workload {
        name: "charts (three still, one redrawn every frame)",
        site: Site::Demo,
        page: "/usage.html",
        act: Act::Probe("ticking(2)"),
    },
    Workload { name: "idle", site: Site::Demo, page: "/", act: Act::Idle },
    Workload {
        name: "to-do app, adding items (TodoMVC React, 8 keys/s)",
        site: Site::Corpus,
        page: "/todomvc/examples/react/index.html",
        act: Act::Type {
            field: TODO_FIELD,
            text: "Buy milk\nCall the bank\nBook a table\nPay the gas bill\nWater the plants\nReturn the books\nFix the bike\nPlan the trip\n",
            per_second: 8.0,
        },
    },
    Workload {
        name: "long page, scrolling (Agency landing page, 100 px every 100 ms)",
        site: Site::Corpus,
        page: "/startbootstrap-agency/dist/index.html",
        act: Act::Probe("scrolling(100, 100)"),
    },
    Workload {
        name: "data table, typing a filter (SB Admin 2 DataTables, 5 keys/s)",
        site: Site::Corpus,
        page: "/startbootstrap-sb-admin-2/tables.html",
        act: Act::Type {
            field: "document.querySelector('#dataTable_filter input')",
            text: "Lon\u{8}\u{8}\u{8}Tok\u{8}\u{8}\u{8}San\u{8}\u{8}\u{8}Edin\u{8}\u{8}\u{8}\u{8}New\u{8}\u{8}\u{8}",
            per_second: 5.0,
        },
    },
];

/// A scripted visit: a name, its site and its steps.
pub struct Visit {
    pub name: &'static str,
    pub site: Site,
    pub steps: &'static [Step],
}

/// The demo site at a person's pace: the home page, reading and scrolling the guide, filling
/// in two fields of the form, a look at the live prices (the site's script and CSS
/// animation), and back home.
const DEMO_VISIT: &[Step] = &[
    step(Some("/"), Act::Idle, 2.0),
    step(Some("/guide.html"), Act::Probe("scrolling(120, 250)"), 3.0),
    step(None, Act::Idle, 1.0),
    step(
        Some("/switch.html"),
        Act::Type { field: "document.getElementById('name')", text: "Alex Morgan", per_second: 6.0 },
        0.5,
    ),
    step(
        None,
        Act::Type { field: "document.getElementById('address')", text: "12 Harbour Row, Bristol", per_second: 8.0 },
        0.5,
    ),
    step(Some("/prices.html"), Act::Probe("ticking(2)"), 4.0),
    step(Some("/"), Act::Idle, 2.0),
];

/// Third-party apps at a person's pace, about a minute: eight items added to a to-do list, a
/// long article (a blog post under a photograph) read and scrolled a screen at a time, a data
/// table filtered.
const CORPUS_VISIT: &[Step] = &[
    step(Some("/todomvc/examples/react/index.html"), Act::Idle, 2.0),
    step(
        None,
        Act::Type {
            field: TODO_FIELD,
            text: "Milk\nBread\nEggs\nCall Sam\nPay rent\nGym\nBooks\nTrip\n",
            per_second: 4.0,
        },
        2.0,
    ),
    step(Some("/startbootstrap-clean-blog/dist/post.html"), Act::Idle, 4.0),
    step(None, Act::Probe("scrolling(120, 250)"), 1.0),
    step(None, Act::Idle, 5.0),
    step(None, Act::Probe("scrolling(120, 250)"), 1.0),
    step(None, Act::Idle, 5.0),
    step(None, Act::Probe("scrolling(120, 250)"), 1.0),
    step(None, Act::Idle, 4.0),
    step(Some("/startbootstrap-sb-admin-2/tables.html"), Act::Idle, 2.0),
    step(
        None,
        Act::Type { field: "document.querySelector('#dataTable_filter input')", text: "Lond", per_second: 3.0 },
        3.0,
    ),
];

/// The scripted visits, one per site.
pub const VISITS: &[Visit] = &[
    Visit { name: "scripted browsing (demo site)", site: Site::Demo, steps: DEMO_VISIT },
    Visit { name: "scripted browsing (third-party apps)", site: Site::Corpus, steps: CORPUS_VISIT },
];

/// The steps of a single-session workload that runs `seconds`.
pub fn single(workload: &Workload, seconds: f64) -> Step {
    let act = match workload.act {
        // As many keys as the time allows: the text is long enough for a minute.
        Act::Type { field, text, per_second } => {
            let keys = ((seconds * per_second) as usize).clamp(1, text.chars().count());
            let end = text.char_indices().nth(keys).map_or(text.len(), |(i, _)| i);
            Act::Type { field, text: &text[..end], per_second }
        }
        other => other,
    };
    let typing = match act {
        Act::Type { text, per_second, .. } => text.chars().count() as f64 / per_second,
        _ => 0.0,
    };
    Step { page: None, act, seconds: (seconds - typing).max(0.0) }
}

/// Walks `customer` through `steps` on the site at `base`.
pub async fn perform(customer: &mut Customer, base: &str, steps: &[Step]) -> Result<(), String> {
    for s in steps {
        if let Some(page) = s.page {
            customer.open_page(&format!("{base}{page}")).await?;
        }
        match s.act {
            Act::Idle => {}
            Act::Probe(call) => customer.run(call).await?,
            Act::Type { field, text, per_second } => {
                customer.focus(field).await?;
                customer.type_keys(text, per_second).await?;
            }
        }
        tokio::time::sleep(Duration::from_secs_f64(s.seconds)).await;
        customer.stop().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typing_workload_types_what_its_time_allows() {
        let typing = &WORKLOADS[0];
        let step = single(typing, 2.0);
        let Act::Type { text, .. } = step.act else { panic!("{step:?}") };
        assert_eq!(text, "12 Harbour Row, Bris");
        assert!(step.seconds >= 0.0 && step.seconds < 0.2, "{}", step.seconds);
        // A long run types the whole text, then waits out the rest.
        let long = single(typing, 60.0);
        assert!(long.seconds > 50.0, "{}", long.seconds);
        // Other workloads run their whole time.
        assert_eq!(single(&WORKLOADS[1], 8.0).seconds, 8.0);
    }
}
