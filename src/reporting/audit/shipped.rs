//! The cluster's audit trail in Redis: each session's events a list (`cobrowse:audit:{id}`),
//! appended in order by one writer task per node. Events that Redis does not take are kept and
//! sent again until it does (up to the queue's size), so a Redis restart loses none of a live
//! node's events.
//!
//! Redis rather than a second database: the cluster already depends on it for the session
//! directory, so the audit trail adds no service to run, back up or fail over. Run it with
//! `appendonly yes` (compose.yaml does) so an acknowledged event survives Redis's own restart.

use std::collections::VecDeque;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::mpsc;

use super::{AuditError, AuditEvent, Job, QUEUE};

/// A session's trail is kept this long after its last event (seconds): compliance exports
/// read it well within.
const KEPT_SECS: u64 = 400 * 24 * 3600;
/// How soon events Redis refused are sent again.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// The writer: sends events in batches, answers reads after every earlier event is sent.
pub(super) async fn ship(redis: ConnectionManager, mut jobs: mpsc::Receiver<Job>) {
    let mut unsent: VecDeque<AuditEvent> = VecDeque::new();
    let mut failing = false;
    loop {
        // `Some(None)`: time to send the unsent again; `None`: the process is ending.
        let first = if unsent.is_empty() {
            jobs.recv().await.map(Some)
        } else {
            tokio::time::timeout(RETRY_EVERY, jobs.recv()).await.map_or(Some(None), |job| job.map(Some))
        };
        let Some(first) = first else { break };
        let mut batch: Vec<Job> = first.into_iter().collect();
        while let Ok(job) = jobs.try_recv() {
            batch.push(job);
        }
        let mut answers = Vec::new();
        for job in batch {
            match job {
                Job::Append(event) => {
                    if unsent.len() >= QUEUE {
                        tracing::error!("audit event lost: Redis has not taken the trail for too long");
                        unsent.pop_front();
                    }
                    unsent.push_back(event);
                }
                other => answers.push(other),
            }
        }
        if !unsent.is_empty() {
            match send(&redis, unsent.make_contiguous()).await {
                Ok(()) => {
                    if failing {
                        tracing::info!("Redis takes the audit trail again");
                    }
                    failing = false;
                    unsent.clear();
                }
                Err(e) => {
                    if !failing {
                        tracing::error!(error = %e, waiting = unsent.len(), "the audit trail cannot be written to Redis; kept and sent again");
                    }
                    failing = true;
                }
            }
        }
        for job in answers {
            match job {
                Job::Append(_) => {}
                Job::Read { session, reply } => {
                    let _ = reply.send(read(&redis, &session).await);
                }
                Job::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    }
    // The process is ending: whatever is left gets one more try.
    if !unsent.is_empty() && send(&redis, unsent.make_contiguous()).await.is_err() {
        tracing::error!(lost = unsent.len(), "audit events lost: Redis did not take them before the process ended");
    }
}

async fn send(redis: &ConnectionManager, events: &[AuditEvent]) -> Result<(), redis::RedisError> {
    let mut pipe = redis::pipe();
    pipe.atomic();
    for event in events {
        let json = serde_json::to_string(event).expect("an audit event serializes");
        pipe.cmd("RPUSH").arg(key(&event.session)).arg(json).ignore();
        pipe.cmd("EXPIRE").arg(key(&event.session)).arg(KEPT_SECS).ignore();
    }
    pipe.query_async::<()>(&mut redis.clone()).await
}

async fn read(redis: &ConnectionManager, session: &str) -> Result<Vec<AuditEvent>, AuditError> {
    let events: Vec<String> = redis::cmd("LRANGE")
        .arg(key(session))
        .arg(0)
        .arg(-1)
        .query_async(&mut redis.clone())
        .await
        .map_err(|e| AuditError::Redis(e.to_string()))?;
    events.iter().map(|e| serde_json::from_str(e).map_err(|e| AuditError::Redis(format!("an event: {e}")))).collect()
}

fn key(session: &str) -> String {
    format!("cobrowse:audit:{session}")
}
