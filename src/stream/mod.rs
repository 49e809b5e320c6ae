//! Turning the replica's frames into what goes over the wire to one agent.

pub mod grid;
pub mod screen;
pub mod scroll;
pub mod tiles;
