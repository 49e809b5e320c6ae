//! Where a change's time goes inside the server, for `cobrowse bench`: one JSON line per stage
//! a change passes (its events received from the customer, applied in the replica, its frame
//! sent to an agent), appended to the file `--stage-trace` names. Off unless that is set, and
//! then a record costs a lock and one short write. Times are wall-clock milliseconds since the
//! Unix epoch, the clock the customer's and the agent's pages stamp their own stages with.

use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// One stage of one change, as the trace file holds it (one JSON object a line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum StageRecord {
    /// A message of the customer's events arrived (its size matches the customer's send).
    Received { session: String, at: f64, bytes: usize },
    /// Waiting events went into the replica page: the call started and returned.
    Applied { session: String, started: f64, done: f64, bytes: usize },
    /// A frame went to an agent: the `index`th binary message of that agent's screen, showing
    /// replica frame `frame`, which Chromium rendered, the server received, began to encode and
    /// handed to the agent's connection at these times.
    Sent {
        session: String,
        index: u64,
        frame: u64,
        rendered: f64,
        arrived: f64,
        encoding: f64,
        sent: f64,
        bytes: usize,
    },
}

static TRACE: OnceLock<Mutex<std::fs::File>> = OnceLock::new();

/// Starts tracing to `path` (created or truncated). Only the first call takes effect.
pub fn open(path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let _ = TRACE.set(Mutex::new(file));
    Ok(())
}

/// Whether stages are traced: callers skip gathering what a record needs when not.
pub fn on() -> bool {
    TRACE.get().is_some()
}

/// Appends `record` when tracing is on.
pub fn record(record: StageRecord) {
    let Some(file) = TRACE.get() else { return };
    let Ok(mut line) = serde_json::to_vec(&record) else { return };
    line.push(b'\n');
    let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // One write per line: the file is read after the run, and a failed write only loses a record.
    let _ = file.write_all(&line);
}

/// Wall-clock milliseconds since the Unix epoch, now.
pub fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

/// Wall-clock milliseconds of a monotonic instant.
pub fn wall_ms(at: Instant) -> f64 {
    let now = now_ms();
    let now_instant = Instant::now();
    if at <= now_instant {
        now - now_instant.duration_since(at).as_secs_f64() * 1000.0
    } else {
        now + at.duration_since(now_instant).as_secs_f64() * 1000.0
    }
}

/// Reads a trace file back: every record that parses, in order.
pub fn read(path: &Path) -> std::io::Result<Vec<StageRecord>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_written() {
        let records = vec![
            StageRecord::Received { session: "123456789".into(), at: 1.5, bytes: 10 },
            StageRecord::Applied { session: "123456789".into(), started: 2.0, done: 3.25, bytes: 10 },
            StageRecord::Sent {
                session: "123456789".into(),
                index: 1,
                frame: 7,
                rendered: 4.0,
                arrived: 5.0,
                encoding: 5.5,
                sent: 6.0,
                bytes: 900,
            },
        ];
        let text: String = records.iter().map(|r| serde_json::to_string(r).unwrap() + "\n").collect();
        let path = std::env::temp_dir().join(format!("cobrowse-stages-{}.jsonl", std::process::id()));
        std::fs::write(&path, text + "not json\n").unwrap();
        assert_eq!(read(&path).unwrap(), records, "a torn or foreign line is skipped");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn wall_clock_follows_the_monotonic_clock() {
        let earlier = Instant::now() - std::time::Duration::from_millis(250);
        let gap = wall_ms(Instant::now()) - wall_ms(earlier);
        assert!((249.0..300.0).contains(&gap), "{gap}");
    }
}
