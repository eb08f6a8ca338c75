//! Reading records for the API: SQL built by hand where the shape matters
//! (keyset pages, nested pages in one statement per level, filters), with
//! bound values, on SQLite and PostgreSQL alike.

pub mod search;
pub mod sql;
pub mod table;

pub use sql::Sql;
pub use table::Table;
