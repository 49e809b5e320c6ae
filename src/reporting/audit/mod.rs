//! The audit trail: every session event appended, in order, to a durable store by one writer,
//! so it survives restarts and never holds up a session. One node keeps it in SQLite
//! (`COBROWSE_DATA/audit.sqlite3`, a writer thread); a cluster keeps it in its Redis (see
//! [`shipped`]), where any node reads any session's trail and no node's loss loses it.

mod shipped;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// Events waiting for the writer; a burst beyond this is logged and dropped rather than
/// stalling a session.
const QUEUE: usize = 16 * 1024;

/// One session event, as stored and as `GET /api/sessions/{id}/events` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The session's 9-digit ID.
    pub session: String,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened: `created`, `agent_joined`, `mode_changed`, `action_refused`, `ended`, ...
    pub kind: String,
    /// The agent it concerns (who joined, asked, was refused), if any.
    pub agent: Option<String>,
    /// The rest, as a JSON object (reason, mode, by whom).
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(session: &str, kind: &str, agent: Option<&str>, detail: serde_json::Value) -> AuditEvent {
        let at_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        AuditEvent { session: session.into(), at_ms, kind: kind.into(), agent: agent.map(String::from), detail }
    }
}

/// Why the audit store could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot create the data folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("audit database {0}: {1}")]
    Database(String, rusqlite::Error),
    #[error("the audit writer has stopped")]
    Stopped,
    #[error("audit trail in Redis: {0}")]
    Redis(String),
}

enum Job {
    Append(AuditEvent),
    Read { session: String, reply: oneshot::Sender<Result<Vec<AuditEvent>, AuditError>> },
    Flush(oneshot::Sender<()>),
}

/// A handle on the audit store; cheap to clone.
#[derive(Clone)]
pub struct Audit {
    jobs: mpsc::Sender<Job>,
}

impl Audit {
    /// Opens (creating if need be) `audit.sqlite3` in `folder` and starts its writer.
    pub fn open(folder: &Path) -> Result<Audit, AuditError> {
        std::fs::create_dir_all(folder).map_err(|e| AuditError::Folder(folder.display().to_string(), e))?;
        let path = folder.join("audit.sqlite3");
        let name = path.display().to_string();
        let db = rusqlite::Connection::open(&path).map_err(|e| AuditError::Database(name.clone(), e))?;
        Audit::start(db).map_err(|e| AuditError::Database(name, e))
    }

    /// A store that lives in memory only (tests, and `cobrowse bench`'s throwaway servers).
    pub fn in_memory() -> Audit {
        let db = rusqlite::Connection::open_in_memory().expect("SQLite opens in memory");
        Audit::start(db).expect("an in-memory database takes the schema")
    }

    fn start(db: rusqlite::Connection) -> Result<Audit, rusqlite::Error> {
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS events (
                 id INTEGER PRIMARY KEY,
                 session TEXT NOT NULL,
                 at_ms INTEGER NOT NULL,
                 kind TEXT NOT NULL,
                 agent TEXT,
                 detail TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS events_by_session ON events (session, id);",
        )?;
        let (jobs, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new().name("audit".into()).spawn(move || write(db, rx)).expect("the audit thread starts");
        Ok(Audit { jobs })
    }

    /// The audit trail of the cluster that uses the Redis at `url`.
    pub async fn connect(url: &str) -> Result<Audit, AuditError> {
        let redis = crate::session::directory::connect_redis(url)
            .await
            .map_err(|e| AuditError::Redis(format!("{}: {e}", crate::cluster::nodes::redacted(url))))?;
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(shipped::ship(redis, rx));
        Ok(Audit { jobs })
    }

    /// Appends an event; never waits.
    pub fn record(&self, event: AuditEvent) {
        if let Err(e) = self.jobs.try_send(Job::Append(event)) {
            tracing::error!(
                "audit event lost: the writer is {}",
                match e {
                    mpsc::error::TrySendError::Full(_) => "behind",
                    mpsc::error::TrySendError::Closed(_) => "stopped",
                }
            );
        }
    }

    /// Every event of `session`, oldest first (after every event recorded before this call).
    pub async fn events(&self, session: &str) -> Result<Vec<AuditEvent>, AuditError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Read { session: session.into(), reply }).await.map_err(|_| AuditError::Stopped)?;
        answer.await.map_err(|_| AuditError::Stopped)?
    }

    /// Waits until every event recorded so far is committed.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.jobs.send(Job::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// The writer thread: appends in transactions of whatever has queued up, answers reads in order.
fn write(mut db: rusqlite::Connection, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while let Ok(job) = jobs.try_recv() {
            batch.push(job);
        }
        let appends: Vec<&AuditEvent> =
            batch.iter().filter_map(|j| if let Job::Append(e) = j { Some(e) } else { None }).collect();
        if !appends.is_empty() {
            if let Err(e) = append(&mut db, &appends) {
                tracing::error!(error = %e, lost = appends.len(), "audit events could not be written");
            }
        }
        for job in batch {
            match job {
                Job::Append(_) => {}
                Job::Read { session, reply } => {
                    let _ = reply.send(read(&db, &session).map_err(|e| AuditError::Database("read".into(), e)));
                }
                Job::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    }
}

fn append(db: &mut rusqlite::Connection, events: &[&AuditEvent]) -> Result<(), rusqlite::Error> {
    let tx = db.transaction()?;
    {
        let mut insert =
            tx.prepare_cached("INSERT INTO events (session, at_ms, kind, agent, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for e in events {
            insert.execute((&e.session, e.at_ms as i64, &e.kind, &e.agent, e.detail.to_string()))?;
        }
    }
    tx.commit()
}

fn read(db: &rusqlite::Connection, session: &str) -> Result<Vec<AuditEvent>, rusqlite::Error> {
    let mut select =
        db.prepare_cached("SELECT session, at_ms, kind, agent, detail FROM events WHERE session = ?1 ORDER BY id")?;
    let rows = select.query_map([session], |row| {
        let detail: String = row.get(4)?;
        Ok(AuditEvent {
            session: row.get(0)?,
            at_ms: row.get::<_, i64>(1)? as u64,
            kind: row.get(2)?,
            agent: row.get(3)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_survive_reopening_the_store() {
        let dir = std::env::temp_dir().join(format!("cobrowse-audit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let audit = Audit::open(&dir).unwrap();
            audit.record(AuditEvent::new("111111111", "created", None, serde_json::json!({})));
            audit.record(AuditEvent::new("222222222", "created", None, serde_json::json!({})));
            audit.record(AuditEvent::new(
                "111111111",
                "agent_joined",
                Some("a-1"),
                serde_json::json!({"watch": false}),
            ));
            audit.flush().await;
        }
        let audit = Audit::open(&dir).unwrap();
        let events = audit.events("111111111").await.unwrap();
        let kinds: Vec<_> = events.iter().map(|e| (e.kind.as_str(), e.agent.as_deref())).collect();
        assert_eq!(kinds, [("created", None), ("agent_joined", Some("a-1"))]);
        assert_eq!(events[1].detail["watch"], false);
        assert!(audit.events("999999999").await.unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_named() {
        let err = Audit::open(Path::new("/proc/no-such/audit")).err().unwrap().to_string();
        assert!(err.contains("/proc/no-such/audit"), "{err}");
    }
}
