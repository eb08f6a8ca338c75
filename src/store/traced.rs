//! Every statement the store runs, each in a span of its own: the SQL text
//! with its parameters left as placeholders (their values are never
//! recorded), the database's role and the rows returned or changed.
//!
//! sea-orm's `tracing-spans` feature opens a span per statement too, but
//! inside the call, closed before the call returns: it can record neither
//! the rows nor which database ran the statement, and the caller cannot
//! add them. So the store calls these instead of `ConnectionTrait`'s
//! methods. The spans are at DEBUG: with no trace export they are off at
//! their call sites and the statement text is never formatted.

use super::wal::DbRole;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, Statement, StatementBuilder,
};
use tracing::Instrument;

tokio::task_local! {
    /// The database a request reads from, as its statements' spans name
    /// it: a pool cannot tell whether it reaches a replica, the request's
    /// routing can.
    static ROLE: DbRole;
}

/// Runs `future` with its statements named as run on `role`'s database.
pub async fn in_role<F: std::future::Future>(role: DbRole, future: F) -> F::Output {
    ROLE.scope(role, future).await
}

/// The role of the database the current request reads from, if it set one
/// (for a DataLoader's batch, which runs in a task of its own).
pub fn current_role() -> Option<DbRole> {
    ROLE.try_with(|role| *role).ok()
}

/// Which database a statement runs on: the request's read database, or
/// the primary for everything outside a routed request (writes, workers).
fn role() -> &'static str {
    current_role().unwrap_or(DbRole::Primary).as_str()
}

fn span(db: &impl ConnectionTrait, statement: &Statement) -> tracing::Span {
    let system = match db.get_database_backend() {
        DbBackend::Postgres => "postgresql",
        DbBackend::Sqlite => "sqlite",
        _ => "other_sql",
    };
    tracing::debug_span!(
        "db.statement",
        otel.kind = "client",
        db.system = system,
        db.statement = statement.sql.as_str(),
        db.role = role(),
        db.rows = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// Records how a statement ended on its span.
fn ended<T>(span: &tracing::Span, result: &Result<T, DbErr>, rows: impl FnOnce(&T) -> u64) {
    match result {
        // As i64: OpenTelemetry has no unsigned integers (a u64 would
        // become a string).
        Ok(value) => span.record("db.rows", i64::try_from(rows(value)).unwrap_or(i64::MAX)),
        Err(_) => span.record("otel.status_code", "ERROR"),
    };
}

/// All rows of a query.
pub async fn all(
    db: &impl ConnectionTrait,
    query: &impl StatementBuilder,
) -> Result<Vec<QueryResult>, DbErr> {
    all_raw(db, db.get_database_backend().build(query)).await
}

/// All rows of a statement already built.
pub async fn all_raw(
    db: &impl ConnectionTrait,
    statement: Statement,
) -> Result<Vec<QueryResult>, DbErr> {
    let span = span(db, &statement);
    let result = db.query_all_raw(statement).instrument(span.clone()).await;
    ended(&span, &result, |rows| rows.len() as u64);
    result
}

/// The first row of a query, if any.
pub async fn one(
    db: &impl ConnectionTrait,
    query: &impl StatementBuilder,
) -> Result<Option<QueryResult>, DbErr> {
    let statement = db.get_database_backend().build(query);
    let span = span(db, &statement);
    let result = db.query_one_raw(statement).instrument(span.clone()).await;
    ended(&span, &result, |row| u64::from(row.is_some()));
    result
}

/// A statement that changes rows; the span counts those it changed.
pub async fn execute(
    db: &impl ConnectionTrait,
    query: &impl StatementBuilder,
) -> Result<ExecResult, DbErr> {
    let statement = db.get_database_backend().build(query);
    let span = span(db, &statement);
    let result = db.execute_raw(statement).instrument(span.clone()).await;
    ended(&span, &result, ExecResult::rows_affected);
    result
}
