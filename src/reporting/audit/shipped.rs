//! The cluster's audit trail in Redis: each session's events a list (`cobrowse:audit:{id}`),
//! appended in order by one writer task per node and read back in time order. Events that
//! Redis does not take are kept and sent again until it does (up to the queue's size), so a
//! Redis restart loses none of a live node's events; a flush (the process ending) waits up to
//! two seconds for them.
//!
//! Redis rather than a second database: the cluster already depends on it for the session
//! directory, so the audit trail adds no service to run, back up or fail over. Run it with
//! `appendonly yes` (compose.yaml does) so an acknowledged event survives Redis's own restart.

use std::collections::VecDeque;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

use super::{AuditError, AuditEvent, Job, QUEUE};

/// A session's trail is kept this long after its last event (seconds): compliance exports
/// read it well within.
const KEPT_SECS: u64 = 400 * 24 * 3600;
/// The longest a flush waits for Redis to take what came before it.
const FLUSH_WITHIN: Duration = Duration::from_secs(2);
/// How soon events Redis refused are sent again.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// The writer: sends events in batches, answers reads after every earlier event is sent.
pub(super) async fn ship(redis: ConnectionManager, mut jobs: mpsc::Receiver<Job>) {
    let mut unsent: VecDeque<AuditEvent> = VecDeque::new();
    let mut flushes: Vec<(oneshot::Sender<()>, tokio::time::Instant)> = Vec::new();
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
        let mut reads = Vec::new();
        for job in batch {
            match job {
                Job::Flush(done) => flushes.push((done, tokio::time::Instant::now() + FLUSH_WITHIN)),
                Job::Append(event) => {
                    if unsent.len() >= QUEUE {
                        tracing::error!("audit event lost: Redis has not taken the trail for too long");
                        unsent.pop_front();
                    }
                    unsent.push_back(event);
                }
                other => reads.push(other),
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
        for job in reads {
            if let Job::Read { session, reply } = job {
                let _ = reply.send(read(&redis, &session).await);
            }
        }
        // A flush is answered once everything before it is in Redis, or after a while anyway.
        let now = tokio::time::Instant::now();
        let (answered, waiting) =
            std::mem::take(&mut flushes).into_iter().partition(|(_, until)| unsent.is_empty() || *until <= now);
        flushes = waiting;
        for (done, _) in answered {
            let _ = done.send(());
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
    let mut events: Vec<AuditEvent> = events
        .iter()
        .map(|e| serde_json::from_str(e).map_err(|e| AuditError::Redis(format!("an event: {e}"))))
        .collect::<Result<_, _>>()?;
    // In time order: a node's events sent again after Redis came back may follow another's.
    events.sort_by_key(|e| e.at_ms);
    Ok(events)
}

fn key(session: &str) -> String {
    format!("cobrowse:audit:{session}")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::super::{Audit, AuditEvent};
    use crate::test_redis::TestRedis;

    fn kinds(events: &[AuditEvent]) -> Vec<&str> {
        events.iter().map(|e| e.kind.as_str()).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_node_reads_the_whole_trail_in_order_and_redis_away_loses_nothing_new() {
        let mut redis = TestRedis::start();
        let (one, two) = (Audit::connect(&redis.url).await.unwrap(), Audit::connect(&redis.url).await.unwrap());
        one.record(AuditEvent::new("111111111", "created", None, json!({ "origin": "https://shop.example" })));
        one.record(AuditEvent::new("111111111", "agent_joined", Some("a-1"), json!({ "watch": false })));
        one.record(AuditEvent::new("222222222", "created", None, json!({})));
        one.flush().await;
        // Another node took the session over: its events follow, and either node reads them all.
        two.record(AuditEvent::new("111111111", "taken_over", None, json!({ "from": "node-1" })));
        two.flush().await;
        for node in [&one, &two] {
            let events = node.events("111111111").await.unwrap();
            assert_eq!(kinds(&events), ["created", "agent_joined", "taken_over"]);
            assert_eq!(events[1].agent.as_deref(), Some("a-1"));
            assert_eq!(events[0].detail["origin"], "https://shop.example");
            assert!(node.events("999999999").await.unwrap().is_empty());
        }

        // Redis goes away (and comes back empty: this one keeps nothing on disk). An event
        // recorded meanwhile is kept and written once it answers.
        let restarting = tokio::task::spawn_blocking(move || {
            redis.restart_after(Duration::from_millis(1500));
            redis
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(two.events("111111111").await.is_err(), "a read while Redis is away fails, clearly");
        one.record(AuditEvent::new("111111111", "ended", None, json!({ "by": "customer" })));
        one.flush().await;
        let _redis = restarting.await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(events) = two.events("111111111").await {
                if kinds(&events) == ["ended"] {
                    break;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "the event recorded while Redis was away never arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
