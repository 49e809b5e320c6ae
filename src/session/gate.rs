//! The gate agent actions pass in write mode, before the replica's hit-test and the customer's
//! snippet see them: a rate limit, plain checks (coordinates, keys, addresses), and the
//! bookkeeping of actions waiting for their hit-test. Free of I/O and clocks.

use std::collections::VecDeque;
use std::time::Instant;

use crate::profile::{origin_of, Profile};
use crate::wire::{AgentAction, ErrorCode, PageAction};

/// Actions a session may send in a burst, and per second after it.
const BURST: f64 = 40.0;
const PER_SECOND: f64 = 20.0;
/// Hit-tests in flight at most; an agent further ahead is flooding.
const IN_FLIGHT: usize = 32;
/// The keys an agent may press (besides typing text).
pub const KEYS: &[&str] = &[
    "Backspace",
    "Delete",
    "Enter",
    "Tab",
    "Shift+Tab",
    "ArrowLeft",
    "ArrowRight",
    "ArrowUp",
    "ArrowDown",
    "Home",
    "End",
    "PageUp",
    "PageDown",
    "Escape",
    "SelectAll",
];
/// Longest text one action may type.
const MAX_TEXT: usize = 1000;
/// Longest text one paste may bring (an address, a reference, a paragraph).
const MAX_PASTE: usize = 4000;
/// Longest value a picker may set (`2024-05-01T10:30`, `#aabbcc`).
const MAX_VALUE: usize = 64;

/// What to do with an agent's action.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Send it to the customer as it is (history and reload, checked by the snippet).
    Perform(PageAction),
    /// Hit-test it in the replica first, under this number.
    HitTest(u64, AgentAction),
    Refused(ErrorCode, &'static str),
}

/// One session's gate.
#[derive(Debug)]
pub struct ActionGate {
    tokens: f64,
    last: Instant,
    next: u64,
    /// Actions sent for a hit-test, oldest first.
    pending: VecDeque<(u64, AgentAction)>,
}

impl ActionGate {
    pub fn new(now: Instant) -> ActionGate {
        ActionGate { tokens: BURST, last: now, next: 0, pending: VecDeque::new() }
    }

    /// Judges an action from an agent in write mode; `viewport` is the customer's window and
    /// `profile` the site's.
    pub fn admit(&mut self, now: Instant, action: AgentAction, viewport: (u32, u32), profile: &Profile) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * PER_SECOND).min(BURST);
        if self.tokens < 1.0 || self.pending.len() >= IN_FLIGHT {
            return Verdict::Refused(ErrorCode::TooFast, "Too many actions at once; slow down.");
        }
        self.tokens -= 1.0;
        let inside = |x: f64, y: f64| {
            x.is_finite() && y.is_finite() && x >= 0.0 && y >= 0.0 && x < viewport.0 as f64 && y < viewport.1 as f64
        };
        match &action {
            AgentAction::Click { x, y } | AgentAction::DoubleClick { x, y } if !inside(*x, *y) => {
                return Verdict::Refused(ErrorCode::NoTarget, "That point is outside the customer's page.");
            }
            AgentAction::Scroll { x, y, dx, dy } if !inside(*x, *y) || !dx.is_finite() || !dy.is_finite() => {
                return Verdict::Refused(ErrorCode::NoTarget, "That point is outside the customer's page.");
            }
            AgentAction::Choose { x, y, .. } | AgentAction::SetValue { x, y, .. } if !inside(*x, *y) => {
                return Verdict::Refused(ErrorCode::NoTarget, "That point is outside the customer's page.");
            }
            AgentAction::Choose { index, .. } if *index as usize >= crate::wire::MAX_OPTIONS => {
                return Verdict::Refused(ErrorCode::Malformed, "There is no such option.");
            }
            AgentAction::SetValue { value, .. } if value.chars().count() > MAX_VALUE => {
                return Verdict::Refused(ErrorCode::Malformed, "That value is too long for a picker.");
            }
            AgentAction::Compose { text } if text.is_empty() || text.chars().count() > MAX_TEXT => {
                return Verdict::Refused(ErrorCode::Malformed, "Type between 1 and 1000 characters at a time.");
            }
            AgentAction::Paste { text } if text.is_empty() || text.chars().count() > MAX_PASTE => {
                return Verdict::Refused(ErrorCode::Malformed, "Paste between 1 and 4000 characters at a time.");
            }
            AgentAction::Key { key } if !KEYS.contains(&key.as_str()) => {
                return Verdict::Refused(ErrorCode::Malformed, "That key cannot be pressed for the customer.");
            }
            AgentAction::Text { text } if text.is_empty() || text.chars().count() > MAX_TEXT => {
                return Verdict::Refused(ErrorCode::Malformed, "Type between 1 and 1000 characters at a time.");
            }
            // Then the replica judges it as a click on the page's links and forms to that address.
            AgentAction::Navigate { url } => match origin_of(url) {
                Some(origin) if profile.site.origins.contains(&origin) => {
                    if profile.forbids_path(url) {
                        return Verdict::Refused(
                            ErrorCode::Disabled,
                            "That page is out of the agent's reach on this site.",
                        );
                    }
                }
                _ => return Verdict::Refused(ErrorCode::OutsideSite, "That address is outside the customer's site."),
            },
            AgentAction::Back => return Verdict::Perform(PageAction::Back),
            AgentAction::Forward => return Verdict::Perform(PageAction::Forward),
            AgentAction::Reload => return Verdict::Perform(PageAction::Reload),
            _ => {}
        }
        self.next += 1;
        self.pending.push_back((self.next, action.clone()));
        Verdict::HitTest(self.next, action)
    }

    /// The replica's answer for hit-test `seq`: the node the action lands on (`None` for text
    /// and keys, which go to the focused element), or why not. Returns the action for the
    /// customer, or the refusal; `None` when the action is no longer waiting (pointer mode
    /// came back meanwhile, which dropped it).
    pub fn hit_tested(
        &mut self,
        seq: u64,
        outcome: Result<Option<u64>, ErrorCode>,
    ) -> Option<Result<PageAction, ErrorCode>> {
        let at = self.pending.iter().position(|(s, _)| *s == seq)?;
        let (_, action) = self.pending.remove(at)?;
        let id = match outcome {
            Ok(id) => id.unwrap_or(0),
            Err(code) => return Some(Err(code)),
        };
        Some(Ok(match action {
            AgentAction::Click { x, y } => PageAction::Click { id, x, y },
            AgentAction::DoubleClick { x, y } => PageAction::DoubleClick { id, x, y },
            AgentAction::Scroll { x, y, dx, dy } => PageAction::Scroll { id, x, y, dx, dy },
            AgentAction::Text { text } => PageAction::Text { text },
            AgentAction::Compose { text } => PageAction::Compose { text },
            AgentAction::Paste { text } => PageAction::Paste { text },
            AgentAction::Choose { x, y, index } => PageAction::Choose { id, x, y, index },
            AgentAction::SetValue { x, y, value } => PageAction::SetValue { id, x, y, value },
            AgentAction::Key { key } => PageAction::Key { key },
            AgentAction::Navigate { url } => PageAction::Navigate { url },
            AgentAction::Back => PageAction::Back,
            AgentAction::Forward => PageAction::Forward,
            AgentAction::Reload => PageAction::Reload,
        }))
    }

    /// Pointer mode is back: every action still waiting is dropped.
    pub fn drop_pending(&mut self) -> usize {
        let dropped = self.pending.len();
        self.pending.clear();
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const VIEW: (u32, u32) = (800, 600);

    fn profile() -> Profile {
        let text =
            "[site]\norigins = [\"https://shop.example\"]\n[write_mode]\nforbidden_paths = [\"^/account/close\"]\n";
        Profile::parse(std::path::Path::new("shop.toml"), text).expect("valid profile")
    }

    #[test]
    fn actions_are_judged() {
        let now = Instant::now();
        let mut gate = ActionGate::new(now);
        type Expect = fn(&Verdict) -> bool;
        let table: &[(AgentAction, Expect)] = &[
            (AgentAction::Click { x: 10.0, y: 10.0 }, |v| matches!(v, Verdict::HitTest(..))),
            (AgentAction::Click { x: 800.0, y: 10.0 }, |v| matches!(v, Verdict::Refused(ErrorCode::NoTarget, _))),
            (AgentAction::Click { x: f64::NAN, y: 1.0 }, |v| matches!(v, Verdict::Refused(ErrorCode::NoTarget, _))),
            (AgentAction::Scroll { x: 1.0, y: 1.0, dx: 0.0, dy: f64::INFINITY }, |v| {
                matches!(v, Verdict::Refused(ErrorCode::NoTarget, _))
            }),
            (AgentAction::Key { key: "Enter".into() }, |v| matches!(v, Verdict::HitTest(..))),
            (AgentAction::Key { key: "F5".into() }, |v| matches!(v, Verdict::Refused(ErrorCode::Malformed, _))),
            (AgentAction::Text { text: String::new() }, |v| matches!(v, Verdict::Refused(ErrorCode::Malformed, _))),
            (AgentAction::Navigate { url: "https://shop.example/cart".into() }, |v| {
                matches!(v, Verdict::HitTest(_, AgentAction::Navigate { .. }))
            }),
            (AgentAction::Navigate { url: "https://shop.example/account/close?now=1".into() }, |v| {
                matches!(v, Verdict::Refused(ErrorCode::Disabled, _))
            }),
            (AgentAction::Navigate { url: "https://shop.example/help/account/close".into() }, |v| {
                matches!(v, Verdict::HitTest(..))
            }),
            (AgentAction::Navigate { url: "https://evil.example/".into() }, |v| {
                matches!(v, Verdict::Refused(ErrorCode::OutsideSite, _))
            }),
            (AgentAction::Navigate { url: "javascript:alert(1)".into() }, |v| {
                matches!(v, Verdict::Refused(ErrorCode::OutsideSite, _))
            }),
            (AgentAction::Back, |v| matches!(v, Verdict::Perform(PageAction::Back))),
        ];
        for (action, expected) in table {
            let verdict = gate.admit(now, action.clone(), VIEW, &profile());
            assert!(expected(&verdict), "{action:?} gave {verdict:?}");
        }
    }

    #[test]
    fn hit_tested_actions_become_page_actions_in_order_and_pointer_mode_drops_them() {
        let now = Instant::now();
        let mut gate = ActionGate::new(now);
        let Verdict::HitTest(a, _) = gate.admit(now, AgentAction::Click { x: 5.0, y: 6.0 }, VIEW, &profile()) else {
            panic!()
        };
        let Verdict::HitTest(b, _) = gate.admit(now, AgentAction::Text { text: "hi".into() }, VIEW, &profile()) else {
            panic!()
        };
        assert_eq!(gate.hit_tested(a, Ok(Some(42))), Some(Ok(PageAction::Click { id: 42, x: 5.0, y: 6.0 })));
        assert_eq!(gate.hit_tested(a, Ok(Some(42))), None, "answered twice");
        assert_eq!(gate.hit_tested(b, Err(ErrorCode::Masked)), Some(Err(ErrorCode::Masked)));
        let Verdict::HitTest(c, _) = gate.admit(now, AgentAction::Key { key: "Tab".into() }, VIEW, &profile()) else {
            panic!()
        };
        assert_eq!(gate.drop_pending(), 1);
        assert_eq!(gate.hit_tested(c, Ok(None)), None);
    }

    #[test]
    fn a_flood_is_cut_off_and_the_rate_comes_back() {
        let now = Instant::now();
        let mut gate = ActionGate::new(now);
        let mut refused = 0;
        for _ in 0..100 {
            if let Verdict::Refused(ErrorCode::TooFast, _) = gate.admit(now, AgentAction::Back, VIEW, &profile()) {
                refused += 1;
            }
        }
        assert_eq!(refused, 100 - BURST as usize);
        // Two seconds at 20 a second refill the whole burst of 40.
        let later = now + Duration::from_secs(2);
        assert!(matches!(gate.admit(later, AgentAction::Back, VIEW, &profile()), Verdict::Perform(_)));
    }
}
