//! The live sessions, by ID and by resume token, plus the IDs of recently ended ones.
//!
//! Only handles live here; each session's state is owned by its actor task.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::directory::token_digest;
use super::SessionHandle;

/// How long an ended ID is remembered, so a late join says "ended" and the ID is not reissued.
const TOMBSTONE_TTL: Duration = Duration::from_secs(24 * 3600);

/// What a lookup by ID found.
pub enum Lookup {
    Live(SessionHandle),
    Ended,
    Unknown,
}

#[derive(Default)]
struct Inner {
    /// Live sessions by ID.
    by_id: HashMap<String, SessionHandle>,
    /// Session IDs by the digest of their resume token, with the origin that started each: a
    /// token is good only there (another site's page, even one a profile lists, cannot take
    /// the session over).
    by_token: HashMap<String, (String, String)>,
    /// Ended IDs and when they ended.
    ended: HashMap<String, Instant>,
    /// Live session IDs by the contact center's interaction they are bound to.
    by_interaction: HashMap<String, Vec<String>>,
}

/// Shared index of sessions. The lock is held only for map operations, never across awaits.
#[derive(Default)]
pub struct Registry {
    inner: Mutex<Inner>,
    /// Held while a session is taken over from the directory (see `takeover`).
    pub(super) taking_over: tokio::sync::Mutex<()>,
}

impl Registry {
    /// Whether `id` is live or ended recently here (a fresh ID must be neither).
    pub fn knows(&self, id: &str) -> bool {
        let inner = self.inner.lock().unwrap();
        inner.by_id.contains_key(id) || inner.ended.contains_key(id)
    }

    /// Registers a session started (or taken over) here, resumed with the token whose digest
    /// is `token_digest` from pages of `origin`.
    pub fn insert(&self, handle: SessionHandle, token_digest: &str, origin: &str) {
        let mut inner = self.inner.lock().unwrap();
        inner.ended.remove(&handle.id);
        inner.by_token.insert(token_digest.to_string(), (handle.id.clone(), origin.to_string()));
        inner.by_id.insert(handle.id.clone(), handle);
    }

    /// Finds a session by the ID the agent typed.
    pub fn lookup(&self, id: &str) -> Lookup {
        let inner = self.inner.lock().unwrap();
        match inner.by_id.get(id) {
            Some(handle) => Lookup::Live(handle.clone()),
            None if inner.ended.contains_key(id) => Lookup::Ended,
            None => Lookup::Unknown,
        }
    }

    /// Finds a session by the customer's resume token, presented by a page of `origin`.
    pub fn by_token(&self, token: &str, origin: &str) -> Option<SessionHandle> {
        let inner = self.inner.lock().unwrap();
        match inner.by_token.get(&token_digest(token)) {
            Some((id, started)) if started == origin => inner.by_id.get(id).cloned(),
            _ => None,
        }
    }

    /// The origin of the page that started live session `id`: its site.
    pub fn origin(&self, id: &str) -> Option<String> {
        let inner = self.inner.lock().unwrap();
        inner.by_token.values().find(|(session, _)| session == id).map(|(_, origin)| origin.clone())
    }

    /// Binds session `id` to `interaction`, so ending the interaction ends it.
    pub fn bind(&self, interaction: &str, id: &str) {
        let mut inner = self.inner.lock().unwrap();
        let ids = inner.by_interaction.entry(interaction.to_string()).or_default();
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }

    /// Unbinds session `id` from `interaction` (it was bound to another since).
    pub fn unbind(&self, interaction: &str, id: &str) {
        let mut inner = self.inner.lock().unwrap();
        if let Some(ids) = inner.by_interaction.get_mut(interaction) {
            ids.retain(|i| i != id);
            if ids.is_empty() {
                inner.by_interaction.remove(interaction);
            }
        }
    }

    /// The live sessions bound to `interaction`.
    pub fn bound(&self, interaction: &str) -> Vec<SessionHandle> {
        let inner = self.inner.lock().unwrap();
        let ids = inner.by_interaction.get(interaction).map(Vec::as_slice).unwrap_or_default();
        ids.iter().filter_map(|id| inner.by_id.get(id)).cloned().collect()
    }

    /// Forgets a session that ended; its ID stays dead.
    pub fn remove(&self, id: &str) {
        self.forget(id);
        let mut inner = self.inner.lock().unwrap();
        let now = Instant::now();
        inner.ended.retain(|_, at| now.duration_since(*at) < TOMBSTONE_TTL);
        inner.ended.insert(id.to_string(), now);
    }

    /// Forgets a session another process runs now; it lives on there.
    pub fn forget(&self, id: &str) {
        let mut inner = self.inner.lock().unwrap();
        inner.by_id.remove(id);
        inner.by_token.retain(|_, (v, _)| v != id);
        inner.by_interaction.retain(|_, ids| {
            ids.retain(|i| i != id);
            !ids.is_empty()
        });
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().by_id.len()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Handles of every live session (for shutdown).
    pub fn all(&self) -> Vec<SessionHandle> {
        self.inner.lock().unwrap().by_id.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_token_is_good_only_on_the_origin_that_started_the_session() {
        let registry = Registry::default();
        let token = crate::session::id::new_token();
        let handle = SessionHandle { id: "123456789".into(), commands: tokio::sync::mpsc::channel(1).0 };
        registry.insert(handle.clone(), &token_digest(&token), "https://shop.example");
        let found = |origin: &str| registry.by_token(&token, origin).map(|h| h.id);
        assert_eq!(found("https://shop.example"), Some(handle.id.clone()));
        assert_eq!(found("https://other.example"), None, "another site's page");
        assert_eq!(found("http://shop.example"), None, "another scheme is another origin");
        assert_eq!(registry.by_token("not-a-token", "https://shop.example").map(|h| h.id), None);
        registry.remove(&handle.id);
        assert_eq!(found("https://shop.example"), None, "an ended session's token is dead");
    }
}
