//! Schema migrations of the Twinning database.
//!
//! Written with the SeaORM migration DSL rather than generated from the
//! entities, so an applied migration never changes when an entity does, and
//! the same steps run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod dsl;
mod m20261129_000001_create_source;
mod m20261129_000002_create_topic;
mod m20261129_000003_create_city;
mod m20261129_000004_create_organization;
mod m20261129_000005_create_partnership;
mod m20261129_000006_create_event;
mod m20261129_000007_create_visit;
mod m20261129_000008_create_protocol;
mod m20261129_000009_create_partnership_status_change;
mod m20261129_000010_create_links;
mod m20261129_000011_create_citations;
mod m20261129_000012_create_search;
mod m20261129_000013_create_api_key;
mod m20261129_000014_create_change_history;
mod m20261129_000015_api_key_trusted_documents_only;
mod m20261207_000001_status_history_of_record;
mod m20261207_000016_search_terms;
mod m20261207_000021_create_webhooks;
mod m20261207_000030_editor_scopes;
mod m20261207_000040_stat_counts;
mod m20261207_000041_stat_partnership_statements;
mod m20261207_000050_webhook_trace_context;
mod m20261207_000060_visit_start_order;
mod m20261207_000070_stat_pause_postgres;
mod m20261207_000080_stat_delta_by_transaction;
mod m20261207_000090_stat_write_fast_paths;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_source::Migration),
            Box::new(m20261129_000002_create_topic::Migration),
            Box::new(m20261129_000003_create_city::Migration),
            Box::new(m20261129_000004_create_organization::Migration),
            Box::new(m20261129_000005_create_partnership::Migration),
            Box::new(m20261129_000006_create_event::Migration),
            Box::new(m20261129_000007_create_visit::Migration),
            Box::new(m20261129_000008_create_protocol::Migration),
            Box::new(m20261129_000009_create_partnership_status_change::Migration),
            Box::new(m20261129_000010_create_links::Migration),
            Box::new(m20261129_000011_create_citations::Migration),
            Box::new(m20261129_000012_create_search::Migration),
            Box::new(m20261129_000013_create_api_key::Migration),
            Box::new(m20261129_000014_create_change_history::Migration),
            Box::new(m20261129_000015_api_key_trusted_documents_only::Migration),
            Box::new(m20261207_000001_status_history_of_record::Migration),
            Box::new(m20261207_000016_search_terms::Migration),
            Box::new(m20261207_000021_create_webhooks::Migration),
            Box::new(m20261207_000030_editor_scopes::Migration),
            Box::new(m20261207_000040_stat_counts::Migration),
            Box::new(m20261207_000041_stat_partnership_statements::Migration),
            Box::new(m20261207_000050_webhook_trace_context::Migration),
            Box::new(m20261207_000060_visit_start_order::Migration),
            Box::new(m20261207_000070_stat_pause_postgres::Migration),
            Box::new(m20261207_000080_stat_delta_by_transaction::Migration),
            Box::new(m20261207_000090_stat_write_fast_paths::Migration),
        ]
    }
}
