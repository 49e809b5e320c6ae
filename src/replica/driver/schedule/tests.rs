//! The frame schedule on simulated time: when changes, animations and settling frames go.

use std::time::Duration;

use tokio::time::Instant;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A moment well after any pacer in the test was made, so its burst is whole.
fn start() -> Instant {
    Instant::now() + Duration::from_secs(1)
}

/// One frame of 100,000 pixels takes 100 ms of this budget.
fn pacer() -> FramePacer {
    FramePacer::new(1_000_000.0)
}
const PIXELS: u64 = 100_000;

/// A watched schedule whose last change went in `ago` before `now`.
fn watched(now: Instant, ago: Duration) -> FrameSchedule {
    let mut schedule = FrameSchedule::new(now - ago);
    schedule.stream(now - ago, true);
    schedule
}

#[test]
fn a_change_waits_for_its_frame_interval_and_its_turn_in_the_budget() {
    // What; whether watched; how long ago the last change went in; frames other sessions
    // took from the budget just now; the change; when it goes (after now).
    type Case = (&'static str, bool, u64, u32, Change, Duration);
    let cases: &[Case] = &[
        ("a quiet watched page: at once", true, 1000, 0, Change::Events, ms(0)),
        ("10 ms after the last change: at the frame interval", true, 10, 0, Change::Events, ms(20)),
        ("the budget's burst spent by others: at the session's turn", true, 1000, 3, Change::Events, ms(100)),
        ("turn and interval: the later of the two", true, 10, 4, Change::Events, ms(200)),
        ("the pointer alone asks no budget", true, 1000, 3, Change::Pointer, ms(0)),
        ("nobody watches: half a second after the last change", false, 100, 0, Change::Events, ms(400)),
        ("nobody watches, long quiet: at once", false, 1000, 3, Change::Events, ms(0)),
        ("too much waits: at once, whatever the budget", true, 10, 4, Change::Overflowing, ms(0)),
    ];
    for (what, streaming, ago, taken, change, expected) in cases {
        let now = start();
        let pacer = pacer();
        for _ in 0..*taken {
            pacer.reserve(PIXELS, now.into_std());
        }
        let mut schedule = if *streaming { watched(now, ms(*ago)) } else { FrameSchedule::new(now - ms(*ago)) };
        let at_once = schedule.on_change(now, *change, &pacer, PIXELS);
        assert_eq!(at_once, *change == Change::Overflowing, "{what}");
        assert_eq!(schedule.next_wake(), Some(now + *expected), "{what}");
        assert_eq!(schedule.due(now + *expected), Some(Due::Apply), "{what}");
        if !expected.is_zero() {
            assert_eq!(schedule.due(now + *expected - ms(1)), None, "{what}: not before");
        }
    }
}

#[test]
fn a_change_that_has_its_frame_keeps_it() {
    let now = start();
    let pacer = pacer();
    let mut schedule = watched(now, ms(10));
    schedule.on_change(now, Change::Events, &pacer, PIXELS);
    // Later changes share the frame already scheduled, and take no more budget.
    schedule.on_change(now + ms(5), Change::Events, &pacer, PIXELS);
    schedule.on_change(now + ms(6), Change::Pointer, &pacer, PIXELS);
    assert_eq!(schedule.next_wake(), Some(now + ms(20)));
    assert!(pacer.reserve_if_spare(PIXELS, now.into_std()), "one frame charged, the burst is not spent");
}

#[test]
fn what_falls_due_first() {
    let now = start();
    // What; frame, tick and settle deadlines after now (none: not set); what is due at
    // now + 50 ms; when the schedule wakes.
    type Case = (&'static str, Option<u64>, Option<u64>, Option<u64>, Option<Due>, Option<u64>);
    let cases: &[Case] = &[
        ("nothing waits", None, None, None, None, None),
        ("the waiting changes", Some(10), None, None, Some(Due::Apply), Some(10)),
        ("changes before animations", Some(40), Some(10), None, Some(Due::Apply), Some(40)),
        ("animations wait while a frame is scheduled", Some(90), Some(10), None, None, Some(90)),
        ("animations on their own", None, Some(10), Some(20), Some(Due::Tick), Some(10)),
        ("the settling look last", None, None, Some(20), Some(Due::Settle), Some(20)),
        ("a settling look not yet due", None, None, Some(80), None, Some(80)),
    ];
    for (what, frame, tick, settle, due, wake) in cases {
        let at = |n: &Option<u64>| n.map(|n| now + ms(n));
        let schedule =
            FrameSchedule { frame_at: at(frame), tick_at: at(tick), settle_at: at(settle), ..watched(now, ms(1000)) };
        assert_eq!(schedule.due(now + ms(50)), *due, "{what}");
        assert_eq!(schedule.next_wake(), at(wake), "{what}");
    }
}

#[test]
fn animations_advance_while_watched_and_on_spare_budget_only() {
    let now = start();
    let pacer = pacer();
    let mut schedule = FrameSchedule::new(now);
    schedule.animate(now, true);
    assert_eq!(schedule.next_wake(), None, "nobody watches: animations are held");
    schedule.stream(now, true);
    assert_eq!(schedule.due(now), Some(Due::Tick), "an agent joining sees them move at once");
    assert!(schedule.tick_turn(now, &pacer, PIXELS));
    schedule.animate(now, true);
    assert_eq!(schedule.next_wake(), Some(now + ANIMATION_INTERVAL));
    // Other sessions' changes hold the budget: the step waits and tries again.
    let later = now + ANIMATION_INTERVAL;
    for _ in 0..4 {
        pacer.reserve(PIXELS, later.into_std());
    }
    assert!(!schedule.tick_turn(later, &pacer, PIXELS));
    assert_eq!(schedule.next_wake(), Some(later + ANIMATION_RETRY));
    // The animations ended: no more steps.
    schedule.animate(later, false);
    assert_eq!(schedule.next_wake(), None);
}

#[test]
fn animation_steps_keep_their_pace_however_long_a_frame_takes() {
    let now = start();
    let mut schedule = FrameSchedule::new(now);
    schedule.stream(now, true);
    // A step begun at `now` whose frame took 20 ms: the next is due 30 ms after it began,
    // not 30 ms after it ended.
    schedule.animate(now, true);
    assert_eq!(schedule.next_wake(), Some(now + ANIMATION_INTERVAL));
    // The customer's change advanced them too, its frame begun at `began` and done 25 ms later.
    let began = now + ms(40);
    schedule.applying(began);
    schedule.applied(began + ms(25), began, true, true);
    assert_eq!(schedule.next_wake(), Some(began + ANIMATION_INTERVAL));
    // A frame longer than the interval: the next step is due at once.
    let slow = now + ms(100);
    schedule.animate(slow, true);
    assert_eq!(schedule.due(slow + ms(45)), Some(Due::Tick));
}

#[test]
fn the_view_is_settled_only_by_a_settling_frame_that_came_last() {
    let t0 = start();
    let at = |n: u64| t0 + ms(n);
    let frame = |seq: u64, rendered: u64| Some(Newest { seq, rendered: at(rendered), arrived: at(rendered) });
    // Asked for at 100 ms, when frame 7 was the newest.
    let nudged = Nudge { at: at(100), seq: 7, unanswered: 0 };
    // What; the newest frame; the nudge asked for last; when the page last changed; whether
    // to nudge (looking at 500 ms, long after the last frame).
    type Case = (&'static str, Option<Newest>, Option<Nudge>, u64, bool);
    let cases: &[Case] = &[
        ("a change and no settling frame yet", frame(3, 40), None, 50, true),
        ("a change before any frame", None, None, 50, true),
        ("the settling frame is the newest", frame(8, 120), Some(nudged), 50, false),
        ("the page changed after it was asked for", frame(8, 120), Some(nudged), 110, true),
        ("the page drew two more frames since", frame(9, 130), Some(nudged), 50, true),
        ("a frame drawn before the ask came instead", frame(8, 90), Some(nudged), 50, true),
        ("no frame came: asked again", frame(7, 60), Some(nudged), 50, true),
        (
            "no frame came, retries spent: given up until the page changes",
            frame(7, 60),
            Some(Nudge { unanswered: NUDGE_RETRIES, ..nudged }),
            50,
            false,
        ),
    ];
    for (what, newest, nudged, changed, expected) in cases {
        let mut schedule = FrameSchedule { nudged: *nudged, settle_at: Some(at(500)), ..watched(at(*changed), ms(0)) };
        assert_eq!(schedule.settle(at(500), *newest), *expected, "{what}");
        let again = schedule.next_wake();
        assert_eq!(again, expected.then(|| at(500) + SETTLE_AFTER), "{what}: looked at again");
    }
}

#[test]
fn the_settling_look_waits_for_frames_to_stop_coming() {
    let now = start();
    let mut schedule = FrameSchedule { settle_at: Some(now), ..watched(now, ms(1000)) };
    let busy = Newest { seq: 4, rendered: now - ms(60), arrived: now - ms(40) };
    assert!(!schedule.settle(now, Some(busy)));
    assert_eq!(schedule.next_wake(), Some(now + SETTLE_QUIET));
    // Nobody watching: no settling frames at all.
    let mut unwatched = FrameSchedule { settle_at: Some(now), ..FrameSchedule::new(now) };
    assert!(!unwatched.settle(now, None));
    assert_eq!(unwatched.next_wake(), None);
}

/// Runs a watched page on simulated time: the customer changes it every `every` for `for_`,
/// Chromium answers each applied change with a frame 20 ms later. Returns when changes went in.
fn simulate(every: Duration, for_: Duration) -> Vec<Duration> {
    let t0 = start();
    let pacer = FramePacer::new(100_000_000.0);
    let mut schedule = watched(t0, ms(1000));
    let mut applied = Vec::new();
    let mut frames = Vec::new();
    let mut next_change = Some(t0);
    let mut now = t0;
    while now < t0 + for_ + Duration::from_secs(1) {
        let wake = [next_change, schedule.next_wake(), frames.first().copied()].into_iter().flatten().min();
        let Some(wake) = wake else { break };
        now = wake;
        if next_change == Some(now) {
            schedule.on_change(now, Change::Events, &pacer, PIXELS);
            next_change = Some(now + every).filter(|at| *at < t0 + for_);
        }
        if frames.first() == Some(&now) {
            frames.remove(0);
            schedule.on_frame(now);
        }
        match schedule.due(now) {
            Some(Due::Apply) => {
                schedule.applying(now);
                schedule.applied(now, now, true, false);
                applied.push(now - t0);
                frames.push(now + ms(20));
            }
            Some(Due::Settle) => {
                let newest = Newest { seq: applied.len() as u64, rendered: now - ms(300), arrived: now - ms(300) };
                schedule.settle(now, Some(newest));
            }
            Some(Due::Tick) | None => {}
        }
    }
    applied
}

#[test]
fn changes_faster_than_frames_share_them_at_33_a_second() {
    // A change every 5 ms for 300 ms: a frame every 30 ms, the first at once, the last for the
    // changes after the one before.
    let applied = simulate(ms(5), ms(300));
    let expected: Vec<Duration> = (0..=10).map(|n| ms(30 * n)).collect();
    assert_eq!(applied, expected);
    // Slower changes each get their own frame, when they come.
    let applied = simulate(ms(50), ms(300));
    let expected: Vec<Duration> = (0..6).map(|n| ms(50 * n)).collect();
    assert_eq!(applied, expected);
}

#[test]
fn looks_come_often_after_a_change_and_seldom_once_the_page_is_quiet() {
    // What; how long ago the last change went in; whether the page is quiet (the look then
    // captures the whole screen once more); when the next look comes.
    type Case = (&'static str, u64, bool, Duration);
    let cases: &[Case] = &[
        ("just changed", 10, false, LOOK_EVERY),
        ("a second after", 1000, false, LOOK_EVERY),
        ("at the edge of quiet", QUIET_AFTER.as_millis() as u64, false, LOOK_EVERY),
        ("past it", QUIET_AFTER.as_millis() as u64 + 1, true, LOOK_EVERY_QUIET),
        ("long past it", 60_000, true, LOOK_EVERY_QUIET),
    ];
    for &(what, ago, quiet, next) in cases {
        let now = start();
        let mut schedule = watched(now, ms(ago));
        assert_eq!(schedule.quiet(now), quiet, "{what}: quiet");
        schedule.look_again(now);
        assert_eq!(schedule.next_wake(), Some(now + next), "{what}: next look");
        assert_eq!(schedule.due(now + next), Some(Due::Settle), "{what}: due");
    }
    // A new change makes the page busy again; nobody watching, nothing is looked at.
    let now = start();
    let mut schedule = watched(now, ms(60_000));
    schedule.applying(now);
    assert!(!schedule.quiet(now + ms(100)), "a change just went in");
    let mut unwatched = FrameSchedule::new(now);
    unwatched.look_again(now);
    assert_eq!(unwatched.next_wake(), None, "nobody watches");
}
