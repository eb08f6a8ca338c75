//! Migrations run up, all the way down, and up again on the test database.

use crate::helpers::TestDb;
use migration::{Migrator, MigratorTrait, SchemaManager};

/// Every table the migrations create.
const TABLES: [&str; 31] = [
    "source",
    "topic",
    "city",
    "city_name",
    "organization",
    "partnership",
    "event",
    "visit",
    "protocol",
    "partnership_status_change",
    "partnership_topic",
    "event_topic",
    "visit_topic",
    "visit_event",
    "visit_organization",
    "protocol_topic",
    "protocol_party",
    "city_source",
    "organization_source",
    "partnership_source",
    "event_source",
    "visit_source",
    "protocol_source",
    "city_search_name",
    "search_term",
    "api_key",
    "change_set",
    "change",
    "stat_count",
    "stat_delta",
    "seaql_migrations",
];

async fn existing_tables(manager: &SchemaManager<'_>) -> Vec<&'static str> {
    let mut existing = Vec::new();
    for table in TABLES {
        if manager.has_table(table).await.expect("inspect the schema") {
            existing.push(table);
        }
    }
    existing
}

#[tokio::test]
async fn migrations_run_up_down_and_up_again() {
    let test_db = TestDb::new().await;
    let traced = test_db.connect().await;
    let db = traced.untraced();
    let manager = SchemaManager::new(db);

    Migrator::up(db, None).await.expect("first up");
    assert_eq!(existing_tables(&manager).await, TABLES.to_vec());
    assert!(
        Migrator::get_pending_migrations(db)
            .await
            .expect("status")
            .is_empty()
    );

    Migrator::down(db, None).await.expect("down to nothing");
    assert_eq!(existing_tables(&manager).await, vec!["seaql_migrations"]);
    assert_eq!(
        Migrator::get_pending_migrations(db)
            .await
            .expect("status")
            .len(),
        Migrator::migrations().len()
    );

    Migrator::up(db, None).await.expect("second up");
    assert_eq!(existing_tables(&manager).await, TABLES.to_vec());
}
