//! Node heartbeats in Redis: each node writes its beat under a key that expires unless renewed,
//! and names itself in a set the others read; a node that stops beating drops out of the
//! others' view within [`BEAT_TTL`].

use std::time::Duration;

use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

/// How often a node beats.
pub const BEAT_EVERY: Duration = Duration::from_millis(500);
/// A beat not renewed for this long is gone: four beats missed.
pub const BEAT_TTL: Duration = Duration::from_millis(2000);

const NODES: &str = "cobrowse:nodes";

/// One node as it tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeBeat {
    pub node: String,
    /// The process (a restarted node is a new one under the same name).
    pub instance: String,
    /// HOST:PORT where the others reach it.
    pub advertise: String,
    pub sessions: usize,
    pub headroom: usize,
    pub draining: bool,
}

/// Writes `beat` and reads the other nodes' fresh beats (forgetting the names of the gone).
pub async fn beat(redis: &ConnectionManager, beat: &NodeBeat) -> Result<Vec<NodeBeat>, redis::RedisError> {
    let mut redis = redis.clone();
    let json = serde_json::to_string(beat).expect("a beat serializes");
    redis::pipe()
        .cmd("SET")
        .arg(node_key(&beat.node))
        .arg(json)
        .arg("PX")
        .arg(BEAT_TTL.as_millis() as u64)
        .ignore()
        .cmd("SADD")
        .arg(NODES)
        .arg(&beat.node)
        .ignore()
        .query_async::<()>(&mut redis)
        .await?;
    let names: Vec<String> = redis::cmd("SMEMBERS").arg(NODES).query_async(&mut redis).await?;
    let names: Vec<String> = names.into_iter().filter(|n| *n != beat.node).collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = names.iter().map(|n| node_key(n)).collect();
    let beats: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(&mut redis).await?;
    let mut others = Vec::new();
    for (name, beat) in names.iter().zip(beats) {
        match beat.and_then(|b| serde_json::from_str::<NodeBeat>(&b).ok()) {
            Some(beat) => others.push(beat),
            None => {
                // Gone (or unreadable): no longer a member.
                let _: Result<(), _> = redis::cmd("SREM").arg(NODES).arg(name).query_async(&mut redis).await;
            }
        }
    }
    Ok(others)
}

/// Removes this node's beat, so the others stop sending it anything at once.
pub async fn leave(redis: &ConnectionManager, node: &str) {
    let mut redis = redis.clone();
    let _: Result<(), _> = redis::pipe()
        .cmd("DEL")
        .arg(node_key(node))
        .ignore()
        .cmd("SREM")
        .arg(NODES)
        .arg(node)
        .ignore()
        .query_async(&mut redis)
        .await;
}

fn node_key(node: &str) -> String {
    format!("cobrowse:node:{node}")
}

/// A Redis URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(super::redacted("redis://:hunter2@10.0.0.9:6379/0"), "redis://…@10.0.0.9:6379/0");
        assert_eq!(super::redacted("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
    }
}
