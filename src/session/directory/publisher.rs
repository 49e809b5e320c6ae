//! Keeps one session's record in the directory current: the session's actor sets the record,
//! this task writes each change in order (the newest wins) and renews the lease between them,
//! and says when another process has taken the session over.

use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::{Directory, SessionRecord};

/// The actor's end of its session's publisher.
pub struct Publisher {
    record: watch::Sender<SessionRecord>,
    /// Fires when another process owns the session now.
    pub lost: oneshot::Receiver<()>,
    task: JoinHandle<()>,
    directory: Directory,
}

impl Publisher {
    /// Sets the record to publish; writes only if something changed.
    pub fn set(&self, change: impl FnOnce(&mut SessionRecord)) {
        self.record.send_if_modified(|record| {
            let before = record.clone();
            change(record);
            *record != before
        });
    }

    /// The record as last set.
    pub fn record(&self) -> SessionRecord {
        self.record.borrow().clone()
    }

    /// Waits (a little, at most) until the last record set is written: a session that ended
    /// is written as ended before its process may exit.
    pub async fn finish(self) {
        drop(self.record);
        if tokio::time::timeout(Duration::from_secs(3), self.task).await.is_err() {
            tracing::warn!("the session directory did not take a session's last record in time");
        }
    }

    /// Writes the last record with the session's lease let go (see [`Directory::release`]).
    pub async fn release(self) {
        let (directory, record) = (self.directory.clone(), self.record());
        // Written once, released: not renewed first (which would hold the next node off).
        self.task.abort();
        let _ = self.task.await;
        match tokio::time::timeout(Duration::from_secs(3), directory.release(record.clone())).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => tracing::info!(session = %record.id, "a session handed over was already taken"),
            Ok(Err(e)) => {
                tracing::error!(session = %record.id, error = %e, "a session's lease could not be released; another node takes it when the lease lapses")
            }
            Err(_) => {
                tracing::error!(session = %record.id, "the session directory did not release a lease in time; another node takes it when the lease lapses")
            }
        }
    }
}

/// Starts publishing `record`, which the directory already holds as this process's.
pub fn spawn_publisher(directory: Directory, record: SessionRecord) -> Publisher {
    let (tx, mut rx) = watch::channel(record);
    let (lost_tx, lost) = oneshot::channel();
    let handle = directory.clone();
    let task = tokio::spawn(async move {
        let renew_every = directory.lease().renew_every;
        let mut failing = false;
        loop {
            let closing = tokio::select! {
                changed = rx.changed() => changed.is_err(),
                () = tokio::time::sleep(renew_every) => false,
            };
            let record = rx.borrow_and_update().clone();
            if closing || record.ended() {
                write_last(&directory, record).await;
                return;
            }
            match directory.publish(record.clone()).await {
                Ok(true) => failing = false,
                Ok(false) => {
                    tracing::warn!(session = %record.id, "another server took this session over; letting it go");
                    let _ = lost_tx.send(());
                    return;
                }
                Err(e) => {
                    if !failing {
                        tracing::error!(session = %record.id, error = %e, "the session directory could not be written");
                    }
                    failing = true;
                }
            }
        }
    });
    Publisher { record: tx, lost, task, directory: handle }
}

/// Writes a session's last record. Its end must not be lost (the session would come back when
/// its people reconnect), so it is tried again every 200 ms until taken; the actor's `finish`
/// bounds how long anyone waits for it.
async fn write_last(directory: &Directory, record: SessionRecord) {
    let mut logged = false;
    while let Err(e) = directory.publish(record.clone()).await {
        if !logged {
            tracing::error!(session = %record.id, error = %e, "the session directory could not be written");
            logged = true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
