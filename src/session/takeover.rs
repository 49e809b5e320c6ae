//! Finding a session by the ID an agent typed or the token a customer's page resumes with:
//! live here, or in the directory, taken over when the process that ran it is gone (killed,
//! or this same node before a restart).

use std::sync::Arc;

use super::directory::{Claim, DirectoryError, Owner};
use super::{start, Lookup, Origin, Registry, Replicas, Services, SessionHandle, Timings};
use crate::profile::ProfileStore;

/// What a search for a session found.
#[derive(Debug)]
pub enum Found {
    /// Live in this process (perhaps just taken over).
    Live(SessionHandle),
    /// Run by another process whose lease still holds.
    Elsewhere(Owner),
    /// Live, but nobody holds it and this process may not take it (it drains): another node
    /// must.
    Unclaimed,
    Ended,
    Unknown,
}

/// Everything a session is started with here.
#[derive(Clone, Copy)]
pub struct Here<'a> {
    pub registry: &'a Arc<Registry>,
    pub replicas: &'a Replicas,
    pub profiles: &'a ProfileStore,
    pub timings: Timings,
    pub services: &'a Services,
    /// Whether sessions may be taken over here (not while this node drains).
    pub may_claim: bool,
}

/// The session with ID `id`.
pub async fn by_id(here: Here<'_>, id: &str) -> Result<Found, DirectoryError> {
    match here.registry.lookup(id) {
        Lookup::Live(handle) => Ok(Found::Live(handle)),
        Lookup::Ended => Ok(Found::Ended),
        Lookup::Unknown => take_over(here, id, None).await,
    }
}

/// The session a page of `origin` resumes with `token`; a token is good only on the origin
/// that started its session.
pub async fn by_token(here: Here<'_>, token: &str, origin: &str) -> Result<Found, DirectoryError> {
    if let Some(handle) = here.registry.by_token(token, origin) {
        return Ok(Found::Live(handle));
    }
    match here.services.directory.by_token(token).await? {
        Some(record) if record.origin == origin => take_over(here, &record.id, Some(token.to_string())).await,
        _ => Ok(Found::Unknown),
    }
}

async fn take_over(here: Here<'_>, id: &str, token: Option<String>) -> Result<Found, DirectoryError> {
    // One take-over at a time in this process: the customer's and the agent's connections
    // coming back together must find one session, not start two.
    let _one_at_a_time = here.registry.taking_over.lock().await;
    match here.registry.lookup(id) {
        Lookup::Live(handle) => return Ok(Found::Live(handle)),
        // Ended here: final, whatever the directory says (its last write may have failed).
        Lookup::Ended => return Ok(Found::Ended),
        Lookup::Unknown => {}
    }
    let directory = &here.services.directory;
    if !here.may_claim {
        return match directory.get(id).await? {
            None => Ok(Found::Unknown),
            Some(record) if record.ended() => Ok(Found::Ended),
            Some(record) if record.lease_until_ms > super::directory::now_ms() && record.owner != *directory.me() => {
                Ok(Found::Elsewhere(record.owner))
            }
            Some(_) => Ok(Found::Unclaimed),
        };
    }
    let record = match directory.claim(id).await? {
        Claim::Won(record) => *record,
        Claim::Held(owner) => return Ok(Found::Elsewhere(owner)),
        Claim::Ended => return Ok(Found::Ended),
        Claim::Unknown => return Ok(Found::Unknown),
    };
    let Some(profile) = here.profiles.for_origin(&record.origin) else {
        // An admin removed the site's profile while the session had no server: it cannot go on.
        tracing::warn!(session = %id, origin = %record.origin, "a session to take over has no profile any more; it ends");
        let mut over = record;
        over.state = crate::wire::PublicState::Ended;
        directory.publish(over).await?;
        return Ok(Found::Ended);
    };
    let from = record.owner.clone();
    tracing::info!(session = %id, from = %from.node, "taking over a session whose server is gone");
    let site = Origin { origin: record.origin.clone(), profile, store: here.profiles };
    let handle = start(here.registry, here.replicas, site, here.timings, here.services, record, token, true);
    Ok(Found::Live(handle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::directory::Directory;

    #[tokio::test]
    async fn a_session_that_ended_here_stays_ended_whatever_the_directory_says() {
        let profiles_dir = std::env::temp_dir().join(format!("cobrowse-takeover-{}", std::process::id()));
        std::fs::create_dir_all(&profiles_dir).unwrap();
        std::fs::write(profiles_dir.join("shop.toml"), "[site]\norigins = [\"https://shop.example\"]\n").unwrap();
        let profiles = ProfileStore::load(&profiles_dir).unwrap();
        let replicas = Replicas::from(Arc::new(crate::replica::ReplicaBrowser::new("/bin/false".into())));
        let services = Services { directory: Directory::in_memory("node-1"), ..Services::in_memory() };
        let registry = Arc::new(Registry::default());
        // The directory never heard of the end (its last write failed), and a restart of this
        // node would take the session back; in this process it ended, and that is final.
        let record = services.directory.new_record("123456789", "token", "https://shop.example");
        services.directory.insert(record).await.unwrap();
        registry.insert(SessionHandle { id: "123456789".into(), commands: tokio::sync::mpsc::channel(1).0 }, "d", "o");
        registry.remove("123456789");
        let timings = Timings {
            waiting_ttl: std::time::Duration::from_secs(60),
            grace: std::time::Duration::from_secs(60),
            reconnect_window: std::time::Duration::from_secs(3),
            write_request_ttl: std::time::Duration::from_secs(30),
        };
        let here = Here {
            registry: &registry,
            replicas: &replicas,
            profiles: &profiles,
            timings,
            services: &services,
            may_claim: true,
        };
        assert!(matches!(by_id(here, "123456789").await.unwrap(), Found::Ended));
        assert!(matches!(by_token(here, "token", "https://shop.example").await.unwrap(), Found::Ended));
        assert!(matches!(by_token(here, "token", "https://other.example").await.unwrap(), Found::Unknown));
        let _ = std::fs::remove_dir_all(&profiles_dir);
    }
}
