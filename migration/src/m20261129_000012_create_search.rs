//! Search: `city_search_name` holds every name of a city (English, native,
//! translations) case-folded, for prefix filters in any script; and
//! `search_index` is the full-text index behind `search(query:)`: FTS5 on
//! SQLite, a weighted `tsvector` with a GIN index on PostgreSQL.

use crate::dsl::{create_indexes, drop_tables, foreign_key, index};
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("city_search_name")
                    .col(integer("city_id"))
                    .col(text("name_folded"))
                    .primary_key(Index::create().col("city_id").col("name_folded"))
                    .foreign_key(&mut foreign_key(
                        "city_search_name",
                        "city_id",
                        "city",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, vec![index("city_search_name", &["name_folded"])]).await?;

        // Full-text search has no portable DSL: each backend gets its own
        // index of the same columns (kind and id of the record, its name,
        // and the rest of its text).
        let sql: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &[
                "CREATE TABLE search_index (record_kind SMALLINT NOT NULL, record_id INTEGER NOT NULL, \
                 name TEXT NOT NULL, body TEXT NOT NULL, \
                 document tsvector GENERATED ALWAYS AS \
                 (setweight(to_tsvector('simple', name), 'A') || setweight(to_tsvector('simple', body), 'B')) STORED, \
                 PRIMARY KEY (record_kind, record_id))",
                "CREATE INDEX ix_search_index_document ON search_index USING GIN (document)",
            ],
            _ => &[
                "CREATE VIRTUAL TABLE search_index USING fts5(record_kind UNINDEXED, record_id UNINDEXED, name, body, \
                 tokenize = 'unicode61 remove_diacritics 2')",
            ],
        };
        for statement in sql {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE search_index")
            .await?;
        drop_tables(manager, &["city_search_name"]).await
    }
}
