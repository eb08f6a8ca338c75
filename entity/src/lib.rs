//! SeaORM entities of the Twinning database: one module per table.
//!
//! Records (cities, partnerships, visits…) carry an integer `id` for joins and
//! a unique `key` for the outside world. A date of reduced precision is stored
//! as its text plus the first and last day of the span it covers (see the
//! `migration` crate's `dsl` module). Link tables connect records.

pub mod enums;
pub mod links;
pub mod prelude;

pub mod api_key;
pub mod change;
pub mod change_set;
pub mod city;
pub mod city_name;
pub mod event;
pub mod organization;
pub mod partnership;
pub mod partnership_status_change;
pub mod protocol;
pub mod protocol_party;
pub mod source;
pub mod stat_count;
pub mod stat_delta;
pub mod topic;
pub mod visit;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
