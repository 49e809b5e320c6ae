//! The agents signed in right now (an open agent view), so a session can be transferred to an
//! agent by id. The lock is held only for map operations.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::mpsc;

use crate::wire::ToAgent;

/// One signed-in agent view.
struct Seat {
    /// Identifies the connection.
    conn: u64,
    /// The agent's display name.
    name: String,
    /// The connection's writer.
    messages: mpsc::Sender<ToAgent>,
    /// Whether the view is in a session already (it cannot take another).
    busy: bool,
}

/// Signed-in agents by id.
#[derive(Default)]
pub struct Directory {
    seats: Mutex<HashMap<String, Vec<Seat>>>,
    next: AtomicU64,
}

/// An agent view's place in the directory; leaving it (dropping) signs the view out.
pub struct Presence<'a> {
    directory: &'a Directory,
    agent: String,
    conn: u64,
}

impl Directory {
    /// Signs in one agent view.
    pub fn sign_in(&self, agent: &str, name: &str, messages: mpsc::Sender<ToAgent>) -> Presence<'_> {
        let conn = self.next.fetch_add(1, Ordering::Relaxed);
        let seat = Seat { conn, name: name.to_string(), messages, busy: false };
        self.seats.lock().unwrap().entry(agent.to_string()).or_default().push(seat);
        Presence { directory: self, agent: agent.to_string(), conn }
    }

    /// Reserves a free view of `agent` for a session being handed over (so it cannot join
    /// another meanwhile); its id and the agent's display name, or `None` if none is free.
    pub fn reserve(&self, agent: &str) -> Option<(u64, String)> {
        let mut seats = self.seats.lock().unwrap();
        let seat = seats.get_mut(agent)?.iter_mut().find(|s| !s.busy)?;
        seat.busy = true;
        Some((seat.conn, seat.name.clone()))
    }

    /// Frees a view reserved for a transfer that did not go ahead.
    pub fn release(&self, agent: &str, conn: u64) {
        let mut seats = self.seats.lock().unwrap();
        if let Some(seat) = seats.get_mut(agent).and_then(|v| v.iter_mut().find(|s| s.conn == conn)) {
            seat.busy = false;
        }
    }

    /// Offers the reserved view `conn` of `agent` the session `session` from `from`; false if
    /// that view has gone.
    pub fn offer(&self, agent: &str, conn: u64, session: &str, from: &str) -> bool {
        let seats = self.seats.lock().unwrap();
        let Some(seat) = seats.get(agent).and_then(|v| v.iter().find(|s| s.conn == conn)) else { return false };
        let offer = ToAgent::TransferOffered { session: session.to_string(), from: from.to_string() };
        seat.messages.try_send(offer).is_ok()
    }
}

impl Presence<'_> {
    /// Marks the view as in a session (or free again).
    pub fn set_busy(&self, busy: bool) {
        let mut seats = self.directory.seats.lock().unwrap();
        if let Some(seat) = seats.get_mut(&self.agent).and_then(|v| v.iter_mut().find(|s| s.conn == self.conn)) {
            seat.busy = busy;
        }
    }
}

impl Drop for Presence<'_> {
    fn drop(&mut self) {
        let mut seats = self.directory.seats.lock().unwrap();
        if let Some(views) = seats.get_mut(&self.agent) {
            views.retain(|s| s.conn != self.conn);
            if views.is_empty() {
                seats.remove(&self.agent);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_free_signed_in_views_are_reserved_and_offered_a_session() {
        let directory = Directory::default();
        let (tx, mut rx) = mpsc::channel(4);
        assert_eq!(directory.reserve("bob"), None, "nobody signed in");
        let bob = directory.sign_in("bob", "Bob", tx);
        bob.set_busy(true);
        assert_eq!(directory.reserve("bob"), None, "busy in another session");
        bob.set_busy(false);
        let (seat, name) = directory.reserve("bob").unwrap();
        assert_eq!(name, "Bob");
        assert_eq!(directory.reserve("bob"), None, "reserved for the first transfer");
        directory.release("bob", seat);
        let (seat, _) = directory.reserve("bob").unwrap();
        assert!(directory.offer("bob", seat, "123456789", "Alice"));
        assert!(matches!(rx.try_recv(), Ok(ToAgent::TransferOffered { session, .. }) if session == "123456789"));
        drop(bob);
        assert!(!directory.offer("bob", seat, "123456789", "Alice"), "signed out when the view closed");
        assert_eq!(directory.reserve("bob"), None);
    }
}
