//! Where a change's glass-to-glass time goes, stage by stage: from the customer's page (the
//! probe's mark, the snippet's send), through the server's stage trace (events received,
//! applied in the replica, the frame rendered, received from Chromium, encoded and sent), to
//! the agent's tab (the frame arrived, drawn). Each mark is followed along by what the stages
//! have in common: the size of the customer's message, the order of applies, and the number
//! of the frame message on the agent's socket.

use serde::Serialize;

use super::report::Spread;
use super::tab::TabFrame;
use crate::reporting::stages::StageRecord;

/// One events message the customer's page sent: when, its bytes, and the probe's number then.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Send {
    pub at: f64,
    pub bytes: usize,
    pub seq: i64,
}

/// The stages, in order, as the report names them.
pub const STAGES: [&str; 9] = [
    "customer: change to send",
    "to the server",
    "waiting for the frame's turn",
    "applied in the replica",
    "rendered",
    "captured (Chromium to server)",
    "encoded and sent (server)",
    "to the agent's tab",
    "decoded and drawn (agent's tab)",
];

/// Milliseconds spent in each of [`STAGES`], over the changes followed through all of them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Split {
    /// Per stage, in the order of [`STAGES`].
    pub stages: Vec<(String, Spread)>,
    /// Changes followed from the customer's page to the agent's canvas.
    pub followed: usize,
}

/// Why a split cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stage {stage:?} was never observed ({why})")]
pub struct Unobserved {
    pub stage: &'static str,
    pub why: &'static str,
}

/// The trace records of one session: the server's stages of its changes.
#[derive(Debug, Default)]
pub struct SessionTrace {
    /// (at, bytes)
    received: Vec<(f64, usize)>,
    /// (started, done)
    applied: Vec<(f64, f64)>,
    /// By frame message number: (rendered, arrived, encoding, sent).
    sent: std::collections::HashMap<u64, (f64, f64, f64, f64)>,
}

impl SessionTrace {
    /// The records of `session` among `records`.
    pub fn of(records: &[StageRecord], session: &str) -> SessionTrace {
        let mut trace = SessionTrace::default();
        for record in records {
            match record {
                StageRecord::Received { session: s, at, bytes } if s == session => trace.received.push((*at, *bytes)),
                StageRecord::Applied { session: s, started, done, .. } if s == session => {
                    trace.applied.push((*started, *done))
                }
                StageRecord::Sent { session: s, index, rendered, arrived, encoding, sent, .. } if s == session => {
                    trace.sent.insert(*index, (*rendered, *arrived, *encoding, *sent));
                }
                _ => {}
            }
        }
        trace
    }
}

/// Follows each mark `(seq, at)` through every stage. A mark the agent never saw is skipped
/// (the latency figure counts it as missed); a stage that no mark could be followed through
/// is an error, so a figure never stands on a stage that was not measured.
pub fn split(
    marks: &[(u32, f64)],
    sends: &[Send],
    trace: &SessionTrace,
    frames: &[TabFrame],
) -> Result<Split, Unobserved> {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); STAGES.len()];
    let mut followed = 0;
    for &(seq, changed) in marks {
        // The first frame on the agent's canvas that shows this change or a later one.
        let Some(frame) = frames.iter().find(|f| f.drawn.is_some() && f.seq.is_some_and(|s| s >= seq)) else {
            continue;
        };
        let Some(send) = sends.iter().find(|s| s.at >= changed && s.seq >= seq as i64) else { continue };
        // Loopback keeps order: the first message of the same size after the send is it.
        let Some(&(received, _)) =
            trace.received.iter().find(|(at, bytes)| *at >= send.at - 1.0 && *bytes == send.bytes)
        else {
            continue;
        };
        let Some(&(started, done)) = trace.applied.iter().find(|(started, _)| *started >= received - 0.5) else {
            continue;
        };
        let Some(&(rendered, arrived, _, sent)) = trace.sent.get(&frame.index) else { continue };
        let drawn = frame.drawn.unwrap_or(frame.arrived);
        let points = [changed, send.at, received, started, done, rendered, arrived, sent, frame.arrived, drawn];
        for (i, pair) in points.windows(2).enumerate() {
            times[i].push(pair[1] - pair[0]);
        }
        followed += 1;
    }
    if followed == 0 {
        let (stage, why) = if sends.is_empty() {
            (STAGES[0], "the customer's page sent no events")
        } else if trace.received.is_empty() {
            (STAGES[1], "the server's stage trace has no events received for the session")
        } else if trace.applied.is_empty() {
            (STAGES[3], "the server's stage trace has no events applied for the session")
        } else if trace.sent.is_empty() {
            (STAGES[6], "the server's stage trace has no frames sent for the session")
        } else if frames.iter().all(|f| f.drawn.is_none()) {
            (STAGES[8], "the agent's tab drew no frame")
        } else {
            (STAGES[8], "no change could be followed from the customer's page to the agent's canvas")
        };
        return Err(Unobserved { stage, why });
    }
    let stages = STAGES.iter().zip(times).map(|(name, t)| (name.to_string(), Spread::of(t))).collect();
    Ok(Split { stages, followed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(index: u64, arrived: f64, drawn: f64, seq: u32) -> TabFrame {
        TabFrame { index, bytes: 100, arrived, drawn: Some(drawn), seq: Some(seq) }
    }

    fn trace() -> SessionTrace {
        let records = vec![
            StageRecord::Received { session: "1".into(), at: 3.0, bytes: 50 },
            StageRecord::Received { session: "2".into(), at: 3.0, bytes: 70 },
            StageRecord::Applied { session: "1".into(), started: 10.0, done: 12.0, bytes: 50 },
            StageRecord::Sent {
                session: "1".into(),
                index: 2,
                frame: 9,
                rendered: 20.0,
                arrived: 25.0,
                encoding: 26.0,
                sent: 30.0,
                bytes: 100,
            },
        ];
        SessionTrace::of(&records, "1")
    }

    #[test]
    fn a_change_is_followed_through_every_stage() {
        let sends = [Send { at: 2.0, bytes: 50, seq: 5 }];
        let frames = [frame(1, 5.0, 6.0, 4), frame(2, 31.0, 40.0, 5)];
        let split = split(&[(5, 1.0)], &sends, &trace(), &frames).unwrap();
        assert_eq!(split.followed, 1);
        let p50: Vec<f64> = split.stages.iter().map(|(_, s)| s.p50).collect();
        // change 1 → send 2 → received 3 → applying 10 → applied 12 → rendered 20 → at the
        // server 25 → sent 30 → at the tab 31 → drawn 40.
        assert_eq!(p50, [1.0, 1.0, 7.0, 2.0, 8.0, 5.0, 5.0, 1.0, 9.0]);
        assert_eq!(p50.iter().sum::<f64>(), 39.0, "the stages add up to glass-to-glass");
    }

    #[test]
    fn a_missing_stage_is_named_not_reported_as_fast() {
        let frames = [frame(2, 31.0, 40.0, 5)];
        let no_sends = split(&[(5, 1.0)], &[], &trace(), &frames).unwrap_err();
        assert_eq!(no_sends.stage, STAGES[0]);
        let sends = [Send { at: 2.0, bytes: 50, seq: 5 }];
        let untraced = split(&[(5, 1.0)], &sends, &SessionTrace::default(), &frames).unwrap_err();
        assert_eq!(untraced.stage, STAGES[1]);
        // A message of another size is another message: nothing to follow.
        let other = [Send { at: 2.0, bytes: 51, seq: 5 }];
        assert!(split(&[(5, 1.0)], &other, &trace(), &frames).is_err());
    }
}
