//! What sessions report, and to whom: the durable audit trail of session events ([`audit`]),
//! the counters and histograms `/metrics` serves ([`metrics`]), and the contact center's
//! webhooks ([`hooks`]), and the stage trace `cobrowse bench` reads ([`stages`]).

pub mod audit;
pub mod hooks;
pub mod metrics;
pub mod stages;
