//! How the server's connections are set up, read back from the database.

use crate::helpers::TestDb;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use twinning::store::connection::{PoolSettings, connect_with};

#[tokio::test]
async fn sqlite_reads_through_a_memory_map_of_the_size_asked_for() {
    let test_db = TestDb::new().await;
    if !test_db.url.starts_with("sqlite") {
        return; // a SQLite setting; PostgreSQL has its own buffers.
    }
    for mib in [0, 8, twinning::store::connection::DEFAULT_SQLITE_MMAP_MIB] {
        let settings = PoolSettings {
            sqlite_mmap_mib: mib,
            ..PoolSettings::with_max(1)
        };
        let db = connect_with(&test_db.url, settings).await.expect("connect");
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA mmap_size",
            ))
            .await
            .expect("PRAGMA mmap_size")
            .expect("a row");
        let bytes: i64 = row.try_get("", "mmap_size").expect("mmap_size");
        assert_eq!(bytes, i64::try_from(mib << 20).unwrap(), "{mib} MiB");
        db.close().await.expect("close");
    }
}

#[tokio::test]
async fn bundled_sqlite_keeps_no_memory_statistics() {
    // `.cargo/config.toml` builds SQLite with DEFAULT_MEMSTATUS=0: the
    // statistics' global mutex serialised every allocation of every
    // connection. Lost, the server still works, only slower; this says so.
    let test_db = TestDb::new().await;
    if !test_db.url.starts_with("sqlite") {
        return;
    }
    let db = connect_with(&test_db.url, PoolSettings::with_max(1))
        .await
        .expect("connect");
    let options: Vec<String> = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT compile_options FROM pragma_compile_options",
        ))
        .await
        .expect("pragma_compile_options")
        .iter()
        .map(|row| row.try_get("", "compile_options").expect("an option"))
        .collect();
    assert!(
        options.iter().any(|option| option == "DEFAULT_MEMSTATUS=0"),
        "SQLite was built without LIBSQLITE3_FLAGS of .cargo/config.toml: {options:?}"
    );
    db.close().await.expect("close");
}

#[tokio::test]
async fn postgresql_plans_each_statement_once_unless_the_url_says_otherwise() {
    let test_db = TestDb::new().await;
    if test_db.url.starts_with("sqlite") {
        return; // PostgreSQL's plan cache; SQLite plans a statement once.
    }
    let mode = |url: String| async move {
        let db = connect_with(&url, PoolSettings::with_max(1))
            .await
            .expect("connect");
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SHOW plan_cache_mode",
            ))
            .await
            .expect("SHOW plan_cache_mode")
            .expect("a row");
        let mode: String = row.try_get("", "plan_cache_mode").expect("the mode");
        db.close().await.expect("close");
        mode
    };
    assert_eq!(mode(test_db.url.clone()).await, "force_generic_plan");
    let separator = if test_db.url.contains('?') { '&' } else { '?' };
    let chosen = format!(
        "{}{separator}options=-c%20plan_cache_mode%3Dauto",
        test_db.url
    );
    assert_eq!(mode(chosen).await, "auto");
}
