//! Who may start a session: the customer channel is anonymous (an `Origin` header is all it
//! takes), so without limits one client could take every session slot. Each source address
//! gets a few live sessions and a start rate of its own, and each site a start rate, so one
//! abusive address cannot keep another customer from starting.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Live sessions started from one address at most, by default (`--sessions-per-address`). A
/// household or an office behind one address rarely has more than one customer co-browsing
/// at a time; a mobile carrier's shared address may have a few.
pub const LIVE_PER_ADDRESS: usize = 5;
/// Starts from one address within [`WINDOW`] at most, per live session it may hold (a
/// customer who starts, ends and starts again a few times is well within it).
pub const STARTS_PER_LIVE: usize = 2;
/// Starts for one site within [`WINDOW`] at most, from all addresses: a contact center takes
/// a few calls a minute per agent, so this leaves room for a large one.
pub const STARTS_PER_ORIGIN: usize = 600;
/// The sliding window start rates are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Why a start is refused, in words the customer's page can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartRefusal {
    /// The server holds as many sessions as it may.
    ServerFull,
    /// The server cannot keep the sessions it has within the latency budget.
    Busy,
    /// Chromium is not installed on this node, so no replica can run.
    Unavailable,
    /// This address has as many live sessions as it may.
    AddressHasSessions,
    /// This address started as many sessions as it may within the last minute.
    AddressTooFast,
    /// The site started [`STARTS_PER_ORIGIN`] sessions within the last minute.
    SiteTooFast,
}

impl StartRefusal {
    /// The limit it counts under in `/metrics` (a full server is not one client's doing).
    pub fn limit(self) -> Option<crate::metrics::Limit> {
        use crate::metrics::Limit;
        match self {
            StartRefusal::ServerFull | StartRefusal::Busy | StartRefusal::Unavailable => None,
            StartRefusal::AddressHasSessions => Some(Limit::SessionsPerAddress),
            StartRefusal::AddressTooFast => Some(Limit::StartsPerAddress),
            StartRefusal::SiteTooFast => Some(Limit::StartsPerSite),
        }
    }

    /// The code the customer's widget reads: the node is busy, or the customer's network or
    /// site has started too many.
    pub fn code(self) -> crate::wire::ErrorCode {
        match self {
            StartRefusal::ServerFull | StartRefusal::Busy => crate::wire::ErrorCode::ServerBusy,
            StartRefusal::Unavailable => crate::wire::ErrorCode::Unavailable,
            _ => crate::wire::ErrorCode::TooManySessions,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            StartRefusal::ServerFull | StartRefusal::Busy => {
                "Co-browse is busy right now; please try again in a few minutes."
            }
            StartRefusal::Unavailable => "Co-browse is not available right now.",
            StartRefusal::AddressHasSessions => {
                "Too many co-browse sessions are open from your network; end one, or try again later."
            }
            StartRefusal::AddressTooFast => {
                "Too many co-browse sessions were started from your network; please try again in a minute."
            }
            StartRefusal::SiteTooFast => {
                "Too many co-browse sessions were started on this site just now; please try again in a minute."
            }
        }
    }
}

#[derive(Default)]
struct Address {
    starts: VecDeque<Instant>,
    /// IDs of the sessions started from this address (pruned to the live ones on each check).
    sessions: Vec<String>,
}

/// Recent starts by source address, and recent start times by site.
type Starts = (HashMap<IpAddr, Address>, HashMap<String, VecDeque<Instant>>);

/// Recent starts, by source address and by site.
pub struct StartLimit {
    live_per_address: usize,
    inner: Mutex<Starts>,
}

impl Default for StartLimit {
    fn default() -> StartLimit {
        StartLimit::new(LIVE_PER_ADDRESS)
    }
}

impl StartLimit {
    /// Limits for `live_per_address` live sessions per source address (at least one).
    pub fn new(live_per_address: usize) -> StartLimit {
        StartLimit { live_per_address: live_per_address.max(1), inner: Mutex::default() }
    }

    /// Whether `address` may start a session on `origin` now. `live` says whether a session ID
    /// is still live; `node` whether the server is at its limit or busy.
    pub fn check(
        &self,
        address: IpAddr,
        origin: &str,
        now: Instant,
        node: Result<(), StartRefusal>,
        live: impl Fn(&str) -> bool,
    ) -> Result<(), StartRefusal> {
        let mut inner = self.inner.lock().unwrap();
        let (addresses, origins) = &mut *inner;
        // Keep the maps small: addresses and sites with nothing recent or live are dropped.
        addresses.retain(|_, a| {
            forget_old(&mut a.starts, now);
            a.sessions.retain(|id| live(id));
            !a.starts.is_empty() || !a.sessions.is_empty()
        });
        origins.retain(|_, starts| {
            forget_old(starts, now);
            !starts.is_empty()
        });
        let from = addresses.get(&address);
        if from.is_some_and(|a| a.sessions.len() >= self.live_per_address) {
            return Err(StartRefusal::AddressHasSessions);
        }
        if from.is_some_and(|a| a.starts.len() >= self.live_per_address * STARTS_PER_LIVE) {
            return Err(StartRefusal::AddressTooFast);
        }
        if origins.get(origin).is_some_and(|s| s.len() >= STARTS_PER_ORIGIN) {
            return Err(StartRefusal::SiteTooFast);
        }
        node
    }

    /// Counts session `id`, started now from `address` on `origin`.
    pub fn started(&self, address: IpAddr, origin: &str, id: &str, now: Instant) {
        let mut inner = self.inner.lock().unwrap();
        let from = inner.0.entry(address).or_default();
        from.starts.push_back(now);
        from.sessions.push(id.to_string());
        inner.1.entry(origin.to_string()).or_default().push_back(now);
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "https://shop.example";

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn an_address_holds_a_few_live_sessions_and_others_still_start() {
        let limit = StartLimit::default();
        let now = Instant::now();
        let live = |_: &str| true;
        for i in 0..LIVE_PER_ADDRESS {
            assert_eq!(limit.check(ip(1), SITE, now, Ok(()), live), Ok(()), "session {i}");
            limit.started(ip(1), SITE, &format!("s{i}"), now);
        }
        assert_eq!(limit.check(ip(1), SITE, now, Ok(()), live), Err(StartRefusal::AddressHasSessions));
        assert_eq!(limit.check(ip(2), SITE, now, Ok(()), live), Ok(()), "another address starts");
        // Once its sessions end, the address may start again.
        assert_eq!(limit.check(ip(1), SITE, now, Ok(()), |id: &str| id != "s0"), Ok(()));
    }

    #[test]
    fn starts_are_rate_limited_per_address_and_per_site() {
        let limit = StartLimit::default();
        let start = Instant::now();
        let ended = |_: &str| false;
        for i in 0..LIVE_PER_ADDRESS * STARTS_PER_LIVE {
            let at = start + Duration::from_secs(i as u64);
            assert_eq!(limit.check(ip(1), SITE, at, Ok(()), ended), Ok(()), "start {i}");
            limit.started(ip(1), SITE, &format!("s{i}"), at);
        }
        let soon = start + Duration::from_secs(30);
        assert_eq!(limit.check(ip(1), SITE, soon, Ok(()), ended), Err(StartRefusal::AddressTooFast));
        assert_eq!(limit.check(ip(2), SITE, soon, Ok(()), ended), Ok(()));
        assert_eq!(limit.check(ip(1), SITE, start + WINDOW, Ok(()), ended), Ok(()), "the first start aged out");

        let site = StartLimit::default();
        for i in 0..STARTS_PER_ORIGIN {
            site.started(IpAddr::from([10, 1, (i / 250) as u8, (i % 250) as u8]), SITE, "x", start);
        }
        assert_eq!(site.check(ip(9), SITE, soon, Ok(()), ended), Err(StartRefusal::SiteTooFast));
        assert_eq!(site.check(ip(9), "https://other.example", soon, Ok(()), ended), Ok(()), "other sites start");
    }

    #[test]
    fn a_full_server_says_so_after_the_address_rules() {
        let limit = StartLimit::default();
        let now = Instant::now();
        assert_eq!(
            limit.check(ip(1), SITE, now, Err(StartRefusal::ServerFull), |_: &str| true),
            Err(StartRefusal::ServerFull)
        );
    }
}
