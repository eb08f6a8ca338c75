//! Connecting to the database (SQLite or PostgreSQL, by URL) and migrating it.

use super::{Db, Txn};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DbErr};
use std::time::Duration;

/// The embedded default: a SQLite file in the working directory, created on
/// first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://twinning.db?mode=rwc";

/// The page cache of one SQLite connection, in KiB.
const SQLITE_CACHE_KIB: u32 = 512;

/// How much of a SQLite file its connections read through a memory map, in
/// MiB, unless told otherwise.
pub const DEFAULT_SQLITE_MMAP_MIB: u64 = 256;

/// Rows a SQLite connection's thread may read ahead of the request that
/// takes them.
const SQLITE_ROW_CHANNEL: usize = 4096;

/// The size, in bytes, SQLite cuts its write-ahead log back to when it
/// starts the log anew (64 MiB).
const SQLITE_WAL_LIMIT: u64 = 64 << 20;

/// How the server uses its database.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a request waits for a connection (or for the database to
    /// accept a new one) before it fails with `SERVICE_UNAVAILABLE`.
    pub acquire_timeout: Duration,
    /// On PostgreSQL, the longest one statement may run.
    pub statement_timeout: Option<Duration>,
    /// On SQLite, how much of the file is read through a memory map, in MiB
    /// (0: none, every page is copied in with a `read`).
    pub sqlite_mmap_mib: u64,
}

impl PoolSettings {
    /// The defaults for a database URL: its pool size (see
    /// [`default_max_connections`]) and the command-line tools' timeouts.
    pub fn for_url(url: &str) -> Self {
        Self::with_max(default_max_connections(url))
    }

    /// `max_connections` with the defaults of the command-line tools.
    pub fn with_max(max_connections: u32) -> Self {
        Self {
            max_connections,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: None,
            sqlite_mmap_mib: DEFAULT_SQLITE_MMAP_MIB,
        }
    }
}

/// The pool size unless told otherwise: 16 on PostgreSQL; on SQLite 4
/// per core. SQLite runs its reads on the connections' own threads, in this
/// process: past a few per core, more connections add memory (page caches,
/// prepared statements, the threads' heaps) and no speed. In a benchmark
/// A/B, 8 rather than 16 on 2 cores gave Q1 and Q3 12 % more requests and a
/// quarter less memory.
pub fn default_max_connections(url: &str) -> u32 {
    if url.starts_with("sqlite:") {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        u32::try_from(4 * cores).unwrap_or(u32::MAX).max(4)
    } else {
        16
    }
}

/// Opens a connection pool with the command-line tools' settings.
pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbErr> {
    connect_with(url, PoolSettings::with_max(max_connections)).await
}

/// Opens a connection pool. On SQLite the file uses write-ahead logging and a
/// busy timeout, so readers never block the writer and concurrent writers
/// wait for each other instead of failing with "database is locked"; foreign
/// keys are enforced; reads go through a memory map. On PostgreSQL every
/// session gets the statement timeout.
pub async fn connect_with(url: &str, settings: PoolSettings) -> Result<Db, DbErr> {
    Database::connect(options(url, settings)).await.map(Db::new)
}

/// Opens a replica's pool without connecting yet: a replica that is down
/// when the server starts is only out of rotation until it answers.
pub async fn connect_replica(url: &str, settings: PoolSettings) -> Result<Db, DbErr> {
    let mut options = options(url, settings);
    options.connect_lazy(true).min_connections(0);
    Database::connect(options).await.map(Db::new)
}

fn options(url: &str, settings: PoolSettings) -> ConnectOptions {
    let mmap_bytes = settings.sqlite_mmap_mib.saturating_mul(1 << 20);
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(settings.acquire_timeout)
        .acquire_timeout(settings.acquire_timeout)
        // sqlx pings every connection it hands out by default: one more
        // round trip per statement, a third of PostgreSQL's work in a small
        // query. A connection in use moments ago is alive; one idle for a
        // second may have been dropped (a restart, a proxy), so only that
        // one is pinged.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Each connection keeps its own page cache (2 MB by
                // default, times the pool). The operating system caches the
                // file anyway: with the memory map below, SQLite reads its
                // pages there without copying them.
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}")) // negative: KiB, not pages
                // Pages read through the map are the operating system's
                // cache of the file, shared by every connection, instead of
                // a `read` system call and a copy per page: Q3 (thousands of
                // pages per request) 300 -> 435 req/s, Q2 32 -> 37. They
                // count in the process's RSS as file pages, which the kernel
                // holds (and may drop) either way. Writes still go through
                // `write`.
                .pragma("mmap_size", mmap_bytes.to_string())
                // The log of one large transaction (an import) would stay
                // its size on disk after the checkpoint that empties it.
                .pragma("journal_size_limit", SQLITE_WAL_LIMIT.to_string())
                // A connection's thread hands each row over a channel. When
                // the channel is full (50 rows by default) it blocks until
                // the reader takes one: a thread switch per row for the
                // rest of a page.
                .row_buffer_size(SQLITE_ROW_CHANNEL)
        });
    let statement_timeout = settings
        .statement_timeout
        .map(|timeout| timeout.as_millis().to_string());
    let tls_chosen = sslmode_chosen(url, std::env::var_os("PGSSLMODE").is_some());
    let plan_cache_chosen = url.contains("plan_cache_mode");
    options.map_sqlx_postgres_opts(move |mut opts| {
        if let Some(milliseconds) = &statement_timeout {
            opts = opts.options([("statement_timeout", milliseconds.as_str())]);
        }
        // Every statement is prepared once per connection; PostgreSQL then
        // chooses, from the statistics of the last ANALYZE, between one plan
        // for all values and a new plan at every execution, which costs more
        // than running these small statements. Which one it chose for the
        // same statement swung with each import's sample: Q1 of the
        // benchmark 2,347 against 4,295 req/s on one database, Q2 50 against
        // 73, Q4 106 against 137, Q5 2,565 against 3,185. The values whose
        // count decides a plan (a date range) are written into the statement
        // instead (`store::filters`). A URL that sets `plan_cache_mode`
        // (`options=-c plan_cache_mode=auto`) keeps its own.
        if !plan_cache_chosen {
            opts = opts.options([("plan_cache_mode", "force_generic_plan")]);
        }
        if !tls_chosen && is_loopback(&opts) {
            opts = opts.ssl_mode(PgSslMode::Disable);
        }
        opts
    });
    options
}

/// Whether the URL (or `PGSSLMODE`) says how to use TLS. sqlx cannot tell
/// an `sslmode=prefer` written down from its default, so the URL is read
/// here.
fn sslmode_chosen(url: &str, in_environment: bool) -> bool {
    in_environment
        || url.split_once('?').is_some_and(|(_, query)| {
            query.split('&').any(|pair| {
                let name = pair.split_once('=').map_or(pair, |(name, _)| name);
                name == "sslmode" || name == "ssl-mode"
            })
        })
}

/// Whether the database is on this machine: a Unix socket or a loopback
/// address. Without an `sslmode`, such a connection is not encrypted,
/// where sqlx's default (`prefer`) would take TLS from any server that
/// offers it (Debian's does): on loopback that protects nothing and costs
/// both sides a record's encryption per message, a third of Q1's
/// throughput on PostgreSQL (see bench/README.md).
fn is_loopback(opts: &PgConnectOptions) -> bool {
    if opts.get_socket().is_some() {
        return true;
    }
    let host = opts.get_host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// What a database error means for a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The database cannot be reached (down, restarting, no connection
    /// free in time): the request may succeed if tried again shortly.
    Unavailable,
    /// A statement ran longer than the statement timeout.
    Timeout,
    /// Anything else: a bug or a broken invariant.
    Internal,
}

/// Classifies a database error.
pub fn failure(error: &DbErr) -> Failure {
    use sea_orm::{RuntimeErr, sqlx::Error};
    let sqlx = match error {
        DbErr::ConnectionAcquire(_) => return Failure::Unavailable,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return Failure::Internal,
    };
    match &**sqlx {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => Failure::Unavailable,
        Error::Database(database) => match database.code().as_deref() {
            // query_canceled: the statement timeout.
            Some("57014") => Failure::Timeout,
            // admin_shutdown, crash_shutdown, cannot_connect_now, and the
            // connection exceptions (class 08).
            Some("57P01" | "57P02" | "57P03") => Failure::Unavailable,
            Some(code) if code.starts_with("08") => Failure::Unavailable,
            _ => Failure::Internal,
        },
        _ => Failure::Internal,
    }
}

/// The reason a connection could not be secured with TLS (a certificate
/// that does not verify, a server without TLS under `sslmode=require`), or
/// `None` for any other failure.
pub fn tls_failure(error: &DbErr) -> Option<String> {
    use sea_orm::{RuntimeErr, sqlx::Error};
    let DbErr::Conn(RuntimeErr::SqlxError(sqlx)) = error else {
        return None;
    };
    match &**sqlx {
        Error::Tls(reason) => Some(reason.to_string()),
        _ => None,
    }
}

/// Whether the database answers and every migration is applied: what a
/// server needs to take traffic. The reason when not.
pub async fn readiness(db: &Db) -> Result<(), String> {
    let db = db.untraced();
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
pub fn pool_usage(db: &Db) -> (u64, u64) {
    let db = db.untraced();
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

/// Applies every pending migration, then fills the search index if a
/// migration left it empty (only the application can compute its words).
pub async fn migrate(db: &Db) -> Result<(), DbErr> {
    Migrator::up(db.untraced(), None).await?;
    super::search_index::rebuild_if_missing(db).await
}

/// Closes the pool after a large write, leaving a small database file
/// behind. SQLite: a transaction's pages stay in the write-ahead log until
/// a checkpoint copies them into the file, and a process that exits with
/// its connections open leaves the log as it is: after an import of the
/// scale-50,000 benchmark document, 1.8 GB of it, which the next process
/// must read through before its first statement (longer than the pool's
/// acquire timeout). `TRUNCATE` copies the log into the file and empties
/// it; PostgreSQL needs nothing.
pub async fn close_after_writes(db: Db) -> Result<(), DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend};
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    db.close().await
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy
/// timeout instead of failing when one commits under the other's snapshot;
/// PostgreSQL ignores the option.
pub async fn begin_write(db: &Db) -> Result<Txn, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A read-only transaction that sees one snapshot of the database from
/// its first statement on: `REPEATABLE READ` on PostgreSQL; on SQLite every
/// transaction reads one snapshot.
pub async fn begin_snapshot(db: &Db) -> Result<Txn, DbErr> {
    use sea_orm::{AccessMode, ConnectionTrait, DbBackend, IsolationLevel, TransactionTrait};
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
        }
        _ => db.begin().await,
    }
}

#[cfg(test)]
mod tests {
    use super::{PgConnectOptions, default_max_connections, is_loopback, sslmode_chosen};
    use std::str::FromStr;

    #[test]
    fn tls_is_chosen_by_the_url_or_the_environment() {
        assert!(!sslmode_chosen("postgres://p@127.0.0.1:5432/d", false));
        assert!(!sslmode_chosen(
            "postgres://p@h/d?application_name=x",
            false
        ));
        assert!(sslmode_chosen("postgres://p@h/d?sslmode=prefer", false));
        assert!(sslmode_chosen(
            "postgres://p@h/d?a=1&ssl-mode=require",
            false
        ));
        assert!(sslmode_chosen("postgres://p@127.0.0.1/d", true));
    }

    #[test]
    fn loopback_hosts_and_sockets_are_local() {
        let local = |url: &str| is_loopback(&PgConnectOptions::from_str(url).expect("a URL"));
        assert!(local("postgres://p@127.0.0.1:5432/d"));
        assert!(local("postgres://p@127.0.0.2/d"));
        assert!(local("postgres://p@localhost/d"));
        assert!(local("postgres://p@[::1]:5432/d"));
        assert!(local("postgres://p@%2Fvar%2Frun%2Fpostgresql/d"));
        assert!(!local("postgres://p@db.internal:5432/d"));
        assert!(!local("postgres://p@10.0.0.5/d"));
    }

    #[test]
    fn the_pool_size_defaults_by_database() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as u32;
        assert_eq!(
            default_max_connections("sqlite://t.db?mode=rwc"),
            4 * cores.max(1)
        );
        assert_eq!(default_max_connections("postgres://p@h:5432/d"), 16);
    }
}
