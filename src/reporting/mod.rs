//! What sessions report, and to whom: the durable audit trail of session events ([`audit`]),
//! the counters and histograms `/metrics` serves ([`metrics`]), and the contact center's
//! webhooks ([`hooks`]).

pub mod audit;
pub mod hooks;
pub mod metrics;
