//! Every statement the server runs, each in a span of its own: the SQL
//! text with its parameters left as placeholders (their values are never
//! recorded), the database's role and the rows returned or changed; and
//! each transaction's `BEGIN`, `COMMIT` and `ROLLBACK`.
//!
//! The server holds its pools only as [`Db`], and a transaction begun on
//! one is a [`Txn`]: both implement sea-orm's `ConnectionTrait` and
//! `TransactionTrait` by wrapping the call in a span, so entity queries,
//! `ActiveModel` writes and sea-query statements alike are traced, and no
//! call site can forget to. (sea-orm's `tracing-spans` feature closes its
//! span inside the call, where neither the rows nor the database's role
//! can be recorded; its metric callback sees neither `BEGIN` nor rows.)
//!
//! The spans are at DEBUG: with no trace export they are off at their call
//! sites, no field is computed and the statement runs as it would unwrapped.

use super::wal::DbRole;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, IsolationLevel, QueryResult, Statement, TransactionError, TransactionOptions,
    TransactionSession, TransactionTrait,
};
use std::future::Future;
use std::pin::Pin;
use tracing::Instrument;

tokio::task_local! {
    /// The database a request reads from, as its statements' spans name
    /// it: a pool cannot tell whether it reaches a replica, the request's
    /// routing can.
    static ROLE: DbRole;
}

/// Runs `future` with its statements named as run on `role`'s database.
pub async fn in_role<F: Future>(role: DbRole, future: F) -> F::Output {
    ROLE.scope(role, future).await
}

/// The role of the database the current request reads from, if it set one
/// (for a DataLoader's batch, which runs in a task of its own).
pub fn current_role() -> Option<DbRole> {
    ROLE.try_with(|role| *role).ok()
}

/// A connection (a pool or a transaction) whose statements are traced.
#[derive(Clone, Debug)]
pub struct Traced<C>(C);

/// A traced pool: how the server holds its databases.
pub type Db = Traced<DatabaseConnection>;

/// A traced transaction, begun on a [`Db`].
pub type Txn = Traced<DatabaseTransaction>;

impl<C> Traced<C> {
    /// Traces `connection`'s statements from now on.
    pub fn new(connection: C) -> Self {
        Traced(connection)
    }

    /// The connection itself, for what is not a statement of the product
    /// (the pool's gauges, pings, migrations, `LISTEN`).
    pub fn untraced(&self) -> &C {
        &self.0
    }
}

impl Db {
    /// Calls `callback` after each statement the pool runs (sea-orm's
    /// metric callback, which counts statements for `/metrics`).
    pub fn set_metric_callback<F>(&mut self, callback: F)
    where
        F: Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    {
        self.0.set_metric_callback(callback);
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.0.close().await
    }
}

/// Commits and rolls back without importing sea-orm's `TransactionSession`,
/// as sea-orm's own transaction does.
impl Txn {
    pub async fn commit(self) -> Result<(), DbErr> {
        TransactionSession::commit(self).await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        TransactionSession::rollback(self).await
    }
}

fn system(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "postgresql",
        DbBackend::Sqlite => "sqlite",
        _ => "other_sql",
    }
}

/// A statement's span. Which database runs it: the request's read
/// database, or the primary for everything outside a routed request
/// (writes, workers). The arguments are only evaluated when the span is
/// enabled.
///
/// A statement outside any span (the webhook worker's polls, the replica
/// checker's) gets none: it would be a trace of one span, several a second.
fn span(backend: DbBackend, sql: &str) -> tracing::Span {
    if !tracing::span_enabled!(tracing::Level::DEBUG) || tracing::Span::current().is_none() {
        return tracing::Span::none();
    }
    tracing::debug_span!(
        "db.statement",
        otel.kind = "client",
        db.system = system(backend),
        db.statement = sql,
        db.role = current_role().unwrap_or(DbRole::Primary).as_str(),
        db.rows = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// Runs `call` in `span`, recording how it ended (`rows` counts what it
/// returned or changed, `None` when that is not known).
async fn traced<T>(
    span: tracing::Span,
    call: impl Future<Output = Result<T, DbErr>>,
    rows: impl FnOnce(&T) -> Option<u64>,
) -> Result<T, DbErr> {
    if span.is_disabled() {
        return call.await;
    }
    let result = call.instrument(span.clone()).await;
    match &result {
        // As i64: OpenTelemetry has no unsigned integers (a u64 would
        // become a string).
        Ok(value) => {
            if let Some(rows) = rows(value) {
                span.record("db.rows", i64::try_from(rows).unwrap_or(i64::MAX));
            }
        }
        Err(_) => {
            span.record("otel.status_code", "ERROR");
        }
    }
    result
}

#[async_trait::async_trait]
impl<C: ConnectionTrait + Send> ConnectionTrait for Traced<C> {
    fn get_database_backend(&self) -> DbBackend {
        self.0.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        let span = span(self.get_database_backend(), &statement.sql);
        let call = self.0.execute_raw(statement);
        traced(span, call, |done| Some(done.rows_affected())).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let span = span(self.get_database_backend(), sql);
        let call = self.0.execute_unprepared(sql);
        traced(span, call, |done| Some(done.rows_affected())).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        let span = span(self.get_database_backend(), &statement.sql);
        let call = self.0.query_one_raw(statement);
        traced(span, call, |row| Some(u64::from(row.is_some()))).await
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let span = span(self.get_database_backend(), &statement.sql);
        let call = self.0.query_all_raw(statement);
        traced(span, call, |rows| Some(rows.len() as u64)).await
    }

    fn support_returning(&self) -> bool {
        self.0.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.0.is_mock_connection()
    }
}

impl<C: ConnectionTrait + TransactionTrait + Send> Traced<C> {
    /// A transaction `begin` begins, in a `BEGIN` span.
    async fn begun(
        &self,
        begin: impl Future<Output = Result<C::Transaction, DbErr>>,
    ) -> Result<Traced<C::Transaction>, DbErr> {
        let span = span(self.get_database_backend(), "BEGIN");
        traced(span, begin, |_| None).await.map(Traced)
    }
}

/// Runs `callback` in `txn`, then commits it, or rolls it back when the
/// callback failed (as sea-orm's own `transaction` does).
async fn run_in<X, F, T, E>(txn: Traced<X>, callback: F) -> Result<T, TransactionError<E>>
where
    X: ConnectionTrait + TransactionSession + Send,
    F: for<'c> FnOnce(&'c Traced<X>) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
        + Send,
    T: Send,
    E: std::fmt::Display + std::fmt::Debug + Send,
{
    let result = callback(&txn).await.map_err(TransactionError::Transaction);
    if result.is_ok() {
        txn.commit().await.map_err(TransactionError::Connection)?;
    } else {
        txn.rollback().await.map_err(TransactionError::Connection)?;
    }
    result
}

#[async_trait::async_trait]
impl<C: ConnectionTrait + TransactionTrait + Send> TransactionTrait for Traced<C> {
    type Transaction = Traced<C::Transaction>;

    async fn begin(&self) -> Result<Self::Transaction, DbErr> {
        self.begun(self.0.begin()).await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<Self::Transaction, DbErr> {
        self.begun(self.0.begin_with_config(isolation_level, access_mode))
            .await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<Self::Transaction, DbErr> {
        self.begun(self.0.begin_with_options(options)).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c Self::Transaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.transaction_with_config(callback, None, None).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c Self::Transaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        let txn = self
            .begin_with_config(isolation_level, access_mode)
            .await
            .map_err(TransactionError::Connection)?;
        run_in(txn, callback).await
    }
}

#[async_trait::async_trait]
impl<C: ConnectionTrait + TransactionSession + Send> TransactionSession for Traced<C> {
    async fn commit(self) -> Result<(), DbErr> {
        let span = span(self.get_database_backend(), "COMMIT");
        traced(span, self.0.commit(), |_| None).await
    }

    async fn rollback(self) -> Result<(), DbErr> {
        let span = span(self.get_database_backend(), "ROLLBACK");
        traced(span, self.0.rollback(), |_| None).await
    }
}
