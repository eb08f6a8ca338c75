//! Connecting to the database (SQLite or PostgreSQL, by URL) and migrating it.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// The embedded default: a SQLite file in the working directory, created on
/// first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://twinning.db?mode=rwc";

/// Opens a connection pool. On SQLite the file uses write-ahead logging and a
/// busy timeout, so readers never block the writer and concurrent writers
/// wait for each other instead of failing with "database is locked"; foreign
/// keys are enforced.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Whether the database answers and every migration is applied: what a
/// server needs to take traffic. The reason when not.
pub async fn readiness(db: &DatabaseConnection) -> Result<(), String> {
    db.ping()
        .await
        .map_err(|e| format!("the database does not answer: {e}"))?;
    let pending = Migrator::get_pending_migrations(db)
        .await
        .map_err(|e| format!("cannot read the migrations: {e}"))?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(format!("{} migrations are pending", pending.len()))
    }
}

/// Connections of the pool: (idle, in use).
pub fn pool_usage(db: &DatabaseConnection) -> (u64, u64) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    let idle = idle as u64;
    (idle, u64::from(size).saturating_sub(idle))
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy
/// timeout instead of failing when one commits under the other's snapshot;
/// PostgreSQL ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
