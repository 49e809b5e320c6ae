//! The cluster's directory in Redis: each session a hash (its owner, whether it is live, its
//! record as JSON) and the digest of its resume token a key naming it. Adding a session and
//! replacing its record are Lua scripts that check the owner they expect, so of two servers
//! claiming one session exactly one wins.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::{DirectoryError, Owner, SessionRecord};

/// Ended sessions are remembered this long (seconds), as on one node.
const ENDED_KEPT_SECS: u64 = 24 * 3600;

/// Adds a session unless its ID is taken: KEYS session, token; ARGV owner, state, record, id.
const INSERT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'state', ARGV[2], 'record', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4])
return 1
";

/// Replaces a live session's record if the expected owner still holds it: KEYS session, token;
/// ARGV expected owner, new owner, state, record, seconds an ended session is kept.
const REPLACE_IF_OWNED: &str = r"
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'live' then
  return 0
end
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'state', ARGV[3], 'record', ARGV[4])
if ARGV[3] == 'ended' then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
return 1
";

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    scripts: Arc<(Script, Script)>,
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`), failing if Redis does not answer.
    pub async fn connect(url: &str) -> Result<RedisStore, DirectoryError> {
        let connection = connect(url).await.map_err(DirectoryError::Redis)?;
        Ok(RedisStore { connection, scripts: Arc::new((Script::new(INSERT), Script::new(REPLACE_IF_OWNED))) })
    }

    pub async fn insert(&self, record: SessionRecord) -> Result<bool, DirectoryError> {
        let json = serde_json::to_string(&record).map_err(DirectoryError::Record)?;
        let added: i64 = self
            .scripts
            .0
            .key(session_key(&record.id))
            .key(token_key(&record.token_digest))
            .arg(owner_name(&record.owner))
            .arg(record.stored_state())
            .arg(json)
            .arg(&record.id)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(DirectoryError::Redis)?;
        Ok(added == 1)
    }

    pub async fn get(&self, id: String) -> Result<Option<SessionRecord>, DirectoryError> {
        let json: Option<String> = redis::cmd("HGET")
            .arg(session_key(&id))
            .arg("record")
            .query_async(&mut self.connection.clone())
            .await
            .map_err(DirectoryError::Redis)?;
        json.map(|j| serde_json::from_str(&j).map_err(DirectoryError::Record)).transpose()
    }

    pub async fn by_token(&self, digest: String) -> Result<Option<SessionRecord>, DirectoryError> {
        let id: Option<String> = redis::cmd("GET")
            .arg(token_key(&digest))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(DirectoryError::Redis)?;
        match id {
            Some(id) => self.get(id).await,
            None => Ok(None),
        }
    }

    pub async fn replace_if_owned(&self, record: SessionRecord, expected: Owner) -> Result<bool, DirectoryError> {
        let json = serde_json::to_string(&record).map_err(DirectoryError::Record)?;
        let replaced: i64 = self
            .scripts
            .1
            .key(session_key(&record.id))
            .key(token_key(&record.token_digest))
            .arg(owner_name(&expected))
            .arg(owner_name(&record.owner))
            .arg(record.stored_state())
            .arg(json)
            .arg(ENDED_KEPT_SECS)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(DirectoryError::Redis)?;
        Ok(replaced == 1)
    }
}

/// A connection to the Redis at `url`, answering now. Every use of the cluster's Redis (the
/// directory, heartbeats, the audit trail) connects this way: a Redis that stops answering
/// fails each call within a second, so a session goes on streaming while its record waits,
/// and the connection is made again in the background.
pub async fn connect(url: &str) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(1)))
        .set_max_delay(Duration::from_secs(1));
    let mut connection = ConnectionManager::new_with_config(client, config).await?;
    redis::cmd("PING").query_async::<String>(&mut connection).await?;
    Ok(connection)
}

fn session_key(id: &str) -> String {
    format!("cobrowse:session:{id}")
}

fn token_key(digest: &str) -> String {
    format!("cobrowse:token:{digest}")
}

/// An owner as one string: node names have no blanks, so a newline parts the two.
fn owner_name(owner: &Owner) -> String {
    format!("{}\n{}", owner.node, owner.instance)
}
