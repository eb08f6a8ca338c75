//! The data layer: every SQL statement of the product, behind typed
//! functions, on SQLite and PostgreSQL alike.

pub mod api_keys;
pub mod batched;
pub mod cascade;
pub mod changes;
pub mod city_names;
pub mod connection;
pub mod feed;
pub mod filters;
pub mod horizon;
pub mod joined_cities;
pub mod links;
pub mod lookup;
pub mod nested;
pub mod notify;
pub mod orderings;
pub mod outbox;
pub mod pages;
pub mod partnership_pairs;
pub mod planner_statistics;
pub mod record;
pub mod relations;
mod replica_health;
pub mod replicas;
pub mod rows;
pub mod search;
pub mod search_index;
pub mod search_texts;
pub mod stats;
pub mod status_changes;
mod topic_tree;
pub mod traced;
pub mod wal;
pub mod webhooks;
pub mod write;

pub use record::Record;
pub use traced::{Db, Txn};

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryTrait, Select, Statement};

/// Rows (or keys) per multi-row statement: well under SQLite's and
/// PostgreSQL's limits on bound parameters.
pub const CHUNK: usize = 1000;

/// `select` with `LIMIT limit` written into its text rather than bound.
///
/// sea-query always binds a LIMIT as a parameter, and SQLite plans with a
/// bound LIMIT's value: it marks the statement as depending on that
/// parameter and prepares it again every time the parameter is bound, so a
/// cached `… LIMIT ?` is re-prepared at each execution (a sixth of Q1's CPU
/// on SQLite). With the number in the text, each distinct limit (a page size
/// plus one) is prepared once per connection, on both backends alike.
/// `select` must have no LIMIT, OFFSET or locking clause of its own.
fn limited(backend: DbBackend, select: &SelectStatement, limit: u64) -> Statement {
    let mut statement = backend.build(select);
    statement.sql.push_str(" LIMIT ");
    statement.sql.push_str(&limit.to_string());
    statement
}

/// The first row `select` finds, as its entity's model: sea-orm's `one()`
/// with `LIMIT 1` in the statement's text. `one()` binds its LIMIT, which
/// SQLite re-prepares at every execution (see [`limited`]).
async fn first<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
) -> Result<Option<E::Model>, DbErr> {
    let statement = limited(db.get_database_backend(), select.as_query(), 1);
    E::find().from_raw_sql(statement).one(db).await
}

/// A statement sea-query refused to build (a row with more or fewer values
/// than columns): a bug, reported as a database error rather than a panic.
fn built(error: sea_orm::sea_query::error::Error) -> sea_orm::DbErr {
    sea_orm::DbErr::Custom(format!("cannot build a statement: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

    #[test]
    fn a_limit_is_written_into_the_text_and_not_bound() {
        let select = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("city"))
            .and_where(Expr::col(Alias::new("key")).eq("murmansk"))
            .to_owned();
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let statement = limited(backend, &select, 101);
            assert!(statement.sql.ends_with(" LIMIT 101"), "{}", statement.sql);
            let values = statement.values.expect("the key is bound");
            assert_eq!(values.0.len(), 1, "only the key is bound: {values:?}");
        }
    }
}
