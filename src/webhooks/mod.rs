//! Webhooks: change sets sent to partner endpoints from the durable outbox
//! ([`crate::store::outbox`]), signed per Standard Webhooks 1.0, only to
//! addresses they may reach.

pub mod sign;
pub mod target;
pub mod worker;

pub use worker::Worker;
