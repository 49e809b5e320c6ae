//! The single-node directory: one SQLite table in `COBROWSE_DATA/sessions.sqlite3`, each
//! session a row whose owner columns make a claim atomic (an update that names the owner it
//! expects).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::OptionalExtension;

use super::{now_ms, DirectoryError, Owner, SessionRecord};

/// Ended sessions are remembered this long, so their IDs are not reissued and a late resume
/// or join is told the session ended.
const ENDED_KEPT: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct LocalStore {
    db: Arc<Mutex<rusqlite::Connection>>,
    name: Arc<str>,
}

impl LocalStore {
    pub fn open(path: &Path) -> Result<LocalStore, DirectoryError> {
        let name = path.display().to_string();
        let db = rusqlite::Connection::open(path).map_err(|e| DirectoryError::Database(name.clone(), e))?;
        LocalStore::start(db, name)
    }

    pub fn in_memory() -> LocalStore {
        let db = rusqlite::Connection::open_in_memory().expect("SQLite opens in memory");
        LocalStore::start(db, ":memory:".into()).expect("an in-memory database takes the schema")
    }

    fn start(db: rusqlite::Connection, name: String) -> Result<LocalStore, DirectoryError> {
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA busy_timeout = 250;
             CREATE TABLE IF NOT EXISTS sessions (
                 id TEXT PRIMARY KEY,
                 token_digest TEXT NOT NULL UNIQUE,
                 owner_node TEXT NOT NULL,
                 owner_instance TEXT NOT NULL,
                 state TEXT NOT NULL,
                 updated_ms INTEGER NOT NULL,
                 record TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS sessions_by_age ON sessions (state, updated_ms);",
        )
        .map_err(|e| DirectoryError::Database(name.clone(), e))?;
        Ok(LocalStore { db: Arc::new(Mutex::new(db)), name: name.into() })
    }

    /// Runs `work` on the database. In place, not on a blocking thread: each statement is one
    /// row by key in a WAL database that does not sync on commit (tens of microseconds), and
    /// tests on paused time stay deterministic. Only one server uses a data folder; were
    /// another to hold the file, a statement waits 250 ms at most (`busy_timeout`).
    async fn with_db<T>(
        &self,
        work: impl FnOnce(&rusqlite::Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, DirectoryError> {
        let db = self.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&db).map_err(|e| DirectoryError::Database(self.name.to_string(), e))
    }

    pub async fn insert(&self, record: SessionRecord) -> Result<bool, DirectoryError> {
        let json = serde_json::to_string(&record).map_err(DirectoryError::Record)?;
        self.with_db(move |db| {
            let forget_before = now_ms().saturating_sub(ENDED_KEPT.as_millis() as u64);
            db.execute("DELETE FROM sessions WHERE state = 'ended' AND updated_ms < ?1", [forget_before as i64])?;
            let added = db.execute(
                "INSERT OR IGNORE INTO sessions (id, token_digest, owner_node, owner_instance, state, updated_ms, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                (
                    &record.id,
                    &record.token_digest,
                    &record.owner.node,
                    &record.owner.instance,
                    record.stored_state(),
                    now_ms() as i64,
                    json,
                ),
            )?;
            Ok(added == 1)
        })
        .await
    }

    pub async fn get(&self, id: String) -> Result<Option<SessionRecord>, DirectoryError> {
        let json = self
            .with_db(move |db| {
                db.query_row("SELECT record FROM sessions WHERE id = ?1", [id], |row| row.get::<_, String>(0))
                    .optional()
            })
            .await?;
        json.map(|j| serde_json::from_str(&j).map_err(DirectoryError::Record)).transpose()
    }

    pub async fn by_token(&self, digest: String) -> Result<Option<SessionRecord>, DirectoryError> {
        let json = self
            .with_db(move |db| {
                db.query_row("SELECT record FROM sessions WHERE token_digest = ?1", [digest], |row| {
                    row.get::<_, String>(0)
                })
                .optional()
            })
            .await?;
        json.map(|j| serde_json::from_str(&j).map_err(DirectoryError::Record)).transpose()
    }

    /// Replaces the record of a live session if `expected` still owns it; whether it did.
    pub async fn replace_if_owned(&self, record: SessionRecord, expected: Owner) -> Result<bool, DirectoryError> {
        let json = serde_json::to_string(&record).map_err(DirectoryError::Record)?;
        self.with_db(move |db| {
            let changed = db.execute(
                "UPDATE sessions SET owner_node = ?1, owner_instance = ?2, state = ?3, updated_ms = ?4, record = ?5
                 WHERE id = ?6 AND owner_node = ?7 AND owner_instance = ?8 AND state != 'ended'",
                (
                    &record.owner.node,
                    &record.owner.instance,
                    record.stored_state(),
                    now_ms() as i64,
                    json,
                    &record.id,
                    &expected.node,
                    &expected.instance,
                ),
            )?;
            Ok(changed == 1)
        })
        .await
    }
}
