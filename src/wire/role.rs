//! Who an agent is allowed to be: the role a signed token gives its bearer, told to the agent
//! view in its first message and checked by the server before each kind of request.

use serde::{Deserialize, Serialize};

/// What a token lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Joins sessions, asks for write mode, transfers.
    #[default]
    Agent,
    /// Also watches other agents' sessions (view only).
    Supervisor,
    /// The contact center's systems: the `/api/` endpoints, not the agent view.
    Integration,
}

impl Role {
    /// Parses a role as `cobrowse token --role` takes it.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "agent" => Some(Role::Agent),
            "supervisor" => Some(Role::Supervisor),
            "integration" => Some(Role::Integration),
            _ => None,
        }
    }
}
