//! Every request's way through the server before and around its
//! resolvers: who is asking, trusted documents and persisted queries,
//! limits and cost, the rate-limit budget, taking turns with other heavy
//! operations, and a panic failing only its own request.

pub mod admission;
pub mod batches;
pub mod budgets;
mod callers;
mod concurrency;
pub mod consistency;
pub mod cost;
mod executor;
mod int_range;
pub mod persisted;
pub mod rate_limit;
pub(crate) mod request_data;

pub use admission::{Client, CostLedger, CostReport, QueryLimits, Transport, did_not_run};
pub use executor::{Api, ApiOptions, Caller, Executed, RateLimits, Refusal};
pub use persisted::{TrustPolicy, TrustedDocuments, document_hash};
pub use request_data::DEFAULT_BATCH_DELAY_MS;
