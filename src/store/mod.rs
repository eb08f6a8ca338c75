//! The data layer: every SQL statement of the product, behind typed
//! functions, on SQLite and PostgreSQL alike.

pub mod api_keys;
pub mod changes;
pub mod connection;
pub mod filters;
pub mod nested;
pub mod notify;
pub mod orderings;
pub mod pages;
pub mod record;
pub mod relations;
pub mod rows;
pub mod search;
pub mod sql;
pub mod stats;
mod topic_tree;

pub use record::Record;
pub use sql::Sql;
