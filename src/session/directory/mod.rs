//! The session directory: what a server needs to take a session over after the process that
//! ran it is gone (its ID, the digest of its resume token, its site, state, mode and people),
//! and which process owns it now, under a lease the owner renews.
//!
//! The single-node default keeps it in SQLite in `COBROWSE_DATA`, so `kill -9` of the server
//! and a restart on the same data folder resume the live sessions when their people reconnect.
//! A cluster keeps it in Redis, where every node sees every session.

mod local;
mod publisher;
mod redis;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use self::redis::connect as connect_redis;
use crate::wire::{Mode, PublicState};
pub use publisher::{spawn_publisher, Publisher};

/// Who runs a session: a node by name, and the process on it (a restarted node is a new
/// instance under the same name, and may take its own sessions back at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub node: String,
    pub instance: String,
}

/// The agent in control, as the directory keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedAgent {
    pub id: String,
    pub name: String,
}

/// One session as the directory keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The 9-digit ID.
    pub id: String,
    /// SHA-256 of the customer's resume token, hex: the directory never holds a token that
    /// would let its reader take a session over.
    pub token_digest: String,
    /// The origin of the page that started the session; its profile is looked up by it.
    pub origin: String,
    pub state: PublicState,
    pub mode: Mode,
    /// The agent in control, if one is joined.
    pub agent: Option<RecordedAgent>,
    /// The contact center's interaction the session is bound to.
    pub interaction: Option<String>,
    /// Supervisors watching.
    pub watchers: usize,
    /// When the session was created, in ms since the Unix epoch.
    pub created_ms: u64,
    /// When the first agent joined and the last agent in control (the webhooks name both).
    pub first_joined: Option<(u64, String)>,
    pub owner: Owner,
    /// Until when the owner holds the session unless it renews, in ms since the Unix epoch.
    pub lease_until_ms: u64,
}

impl SessionRecord {
    /// Whether the session is over.
    pub fn ended(&self) -> bool {
        self.state == PublicState::Ended
    }

    /// Whether the session is live or over, as both stores keep it beside the record (their
    /// owner-checked writes refuse to touch an ended session).
    fn stored_state(&self) -> &'static str {
        if self.ended() {
            "ended"
        } else {
            "live"
        }
    }
}

/// The answer to a claim on a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The session is now this instance's, as the record says.
    Won(Box<SessionRecord>),
    /// Another process owns it under a lease still running.
    Held(Owner),
    /// It ended (or lay unclaimed past the longest a session waits for its people).
    Ended,
    Unknown,
}

/// Why the directory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot create the data folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("session directory {0}: {1}")]
    Database(String, rusqlite::Error),
    #[error("session directory in Redis: {0}")]
    Redis(::redis::RedisError),
    #[error("a session record could not be read: {0}")]
    Record(serde_json::Error),
}

/// How long a claim lasts without renewal, and how often the owner renews it.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub length: Duration,
    pub renew_every: Duration,
}

/// On one node the lease only says "the process that wrote this is gone" after a while: the
/// restarted process takes its own sessions back at once, by instance.
const LOCAL_LEASE: Lease = Lease { length: Duration::from_secs(30), renew_every: Duration::from_secs(10) };

/// In a cluster the lease is how soon another node may take over from one that died: within
/// the 3 s a session may go dark, with three renewals in a lease for a node that is only slow.
const CLUSTER_LEASE: Lease = Lease { length: Duration::from_millis(1500), renew_every: Duration::from_millis(400) };

/// Where the records are kept.
#[derive(Clone)]
enum Store {
    Local(local::LocalStore),
    Redis(redis::RedisStore),
}

impl Store {
    async fn insert(&self, record: SessionRecord) -> Result<bool, DirectoryError> {
        match self {
            Store::Local(store) => store.insert(record).await,
            Store::Redis(store) => store.insert(record).await,
        }
    }

    async fn get(&self, id: String) -> Result<Option<SessionRecord>, DirectoryError> {
        match self {
            Store::Local(store) => store.get(id).await,
            Store::Redis(store) => store.get(id).await,
        }
    }

    async fn by_token(&self, digest: String) -> Result<Option<SessionRecord>, DirectoryError> {
        match self {
            Store::Local(store) => store.by_token(digest).await,
            Store::Redis(store) => store.by_token(digest).await,
        }
    }

    async fn replace_if_owned(&self, record: SessionRecord, expected: Owner) -> Result<bool, DirectoryError> {
        match self {
            Store::Local(store) => store.replace_if_owned(record, expected).await,
            Store::Redis(store) => store.replace_if_owned(record, expected).await,
        }
    }
}

/// A handle on the directory, as one process sees it; cheap to clone.
#[derive(Clone)]
pub struct Directory {
    me: Owner,
    lease: Lease,
    /// A session nobody claims for this long after its lease lapsed is over: no customer's
    /// snippet waits that long, and no agent is paused that long (the grace period).
    abandoned_after: Duration,
    /// Whether this is the only process that uses the directory (the single-node default): any
    /// other owner is then a process that is gone.
    alone: bool,
    store: Store,
}

impl Directory {
    /// Opens (creating if need be) `sessions.sqlite3` in `folder`, for node `node`.
    pub fn open(folder: &Path, node: &str, abandoned_after: Duration) -> Result<Directory, DirectoryError> {
        std::fs::create_dir_all(folder).map_err(|e| DirectoryError::Folder(folder.display().to_string(), e))?;
        let store = local::LocalStore::open(&folder.join("sessions.sqlite3"))?;
        Ok(Directory::with_store(Store::Local(store), node, abandoned_after))
    }

    /// A directory that lives in memory only (tests, and `cobrowse bench`'s throwaway servers).
    pub fn in_memory(node: &str) -> Directory {
        Directory::with_store(Store::Local(local::LocalStore::in_memory()), node, Duration::from_secs(3600))
    }

    /// The directory of the cluster that uses the Redis at `url`, for node `node`.
    pub async fn connect(url: &str, node: &str, abandoned_after: Duration) -> Result<Directory, DirectoryError> {
        let store = redis::RedisStore::connect(url).await?;
        Ok(Directory::with_store(Store::Redis(store), node, abandoned_after))
    }

    fn with_store(store: Store, node: &str, abandoned_after: Duration) -> Directory {
        let instance = crate::session::id::new_token();
        let alone = matches!(store, Store::Local(_));
        let lease = if alone { LOCAL_LEASE } else { CLUSTER_LEASE };
        Directory { me: Owner { node: node.to_string(), instance }, lease, abandoned_after, alone, store }
    }

    /// This process, as records name their owner.
    pub fn me(&self) -> &Owner {
        &self.me
    }

    /// The same directory as another process sees it (a restart, in tests).
    pub fn as_new_instance(&self) -> Directory {
        Directory { me: Owner { instance: crate::session::id::new_token(), ..self.me.clone() }, ..self.clone() }
    }

    /// A record for a new session owned by this process.
    pub fn new_record(&self, id: &str, token: &str, origin: &str) -> SessionRecord {
        SessionRecord {
            id: id.to_string(),
            token_digest: token_digest(token),
            origin: origin.to_string(),
            state: PublicState::Waiting,
            mode: Mode::Pointer,
            agent: None,
            interaction: None,
            watchers: 0,
            created_ms: now_ms(),
            first_joined: None,
            owner: self.me.clone(),
            lease_until_ms: now_ms() + self.lease.length.as_millis() as u64,
        }
    }

    /// Adds a new session's record; `false` if its ID is taken (by a live or an ended session).
    pub async fn insert(&self, record: SessionRecord) -> Result<bool, DirectoryError> {
        self.store.insert(record).await
    }

    /// The record of session `id`.
    pub async fn get(&self, id: &str) -> Result<Option<SessionRecord>, DirectoryError> {
        match self.store.get(id.to_string()).await? {
            Some(record) => Ok(Some(self.unless_abandoned(record).await?)),
            None => Ok(None),
        }
    }

    /// The record of the session resumed with `token`.
    pub async fn by_token(&self, token: &str) -> Result<Option<SessionRecord>, DirectoryError> {
        match self.store.by_token(token_digest(token)).await? {
            Some(record) => Ok(Some(self.unless_abandoned(record).await?)),
            None => Ok(None),
        }
    }

    /// The record, or the end of a session nobody took over within the longest it may wait
    /// for its people after its process was gone (so it is not reported live for ever).
    async fn unless_abandoned(&self, record: SessionRecord) -> Result<SessionRecord, DirectoryError> {
        let lapsed_for = now_ms().saturating_sub(record.lease_until_ms);
        if record.ended() || lapsed_for <= self.abandoned_after.as_millis() as u64 {
            return Ok(record);
        }
        let mut over = record;
        over.state = PublicState::Ended;
        if self.store.replace_if_owned(over.clone(), over.owner.clone()).await? {
            return Ok(over);
        }
        // Claimed (or ended) by another process in the meantime: as it is now.
        Ok(self.store.get(over.id.clone()).await?.unwrap_or(over))
    }

    /// Takes session `id` over if its owner is gone: its lease lapsed, or it was this node
    /// before a restart. Of two processes claiming at once, exactly one wins.
    pub async fn claim(&self, id: &str) -> Result<Claim, DirectoryError> {
        let now = now_ms();
        let Some(record) = self.get(id).await? else { return Ok(Claim::Unknown) };
        if record.ended() {
            return Ok(Claim::Ended);
        }
        let restarted = record.owner.instance != self.me.instance && (self.alone || record.owner.node == self.me.node);
        if record.owner == self.me {
            return Ok(Claim::Won(Box::new(record)));
        }
        if record.lease_until_ms > now && !restarted {
            return Ok(Claim::Held(record.owner));
        }
        let mut mine = record.clone();
        mine.owner = self.me.clone();
        mine.lease_until_ms = now + self.lease.length.as_millis() as u64;
        match self.store.replace_if_owned(mine.clone(), record.owner).await? {
            true => Ok(Claim::Won(Box::new(mine))),
            // Another process won the race: whoever it is holds it now.
            false => match self.get(id).await? {
                Some(r) if r.ended() => Ok(Claim::Ended),
                Some(r) => Ok(Claim::Held(r.owner)),
                None => Ok(Claim::Unknown),
            },
        }
    }

    /// Writes this process's record of a session it owns, renewing the lease; `false` if
    /// another process has taken the session over since.
    pub async fn publish(&self, mut record: SessionRecord) -> Result<bool, DirectoryError> {
        record.owner = self.me.clone();
        record.lease_until_ms = now_ms() + self.lease.length.as_millis() as u64;
        self.store.replace_if_owned(record, self.me.clone()).await
    }

    /// Lets go of a session this process owns without ending it (the node drains): its lease
    /// lapses now, so the next node its people reach takes it over at once.
    pub async fn release(&self, mut record: SessionRecord) -> Result<bool, DirectoryError> {
        record.owner = self.me.clone();
        record.lease_until_ms = now_ms();
        self.store.replace_if_owned(record, self.me.clone()).await
    }

    /// The lease this directory grants.
    pub fn lease(&self) -> Lease {
        self.lease
    }
}

/// The digest of a resume token, as the directory keeps it.
pub fn token_digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests;
