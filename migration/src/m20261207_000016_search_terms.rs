//! Search: one word index of plain tables on both backends, replacing the
//! FTS5 table (SQLite) and `tsvector` table (PostgreSQL) of
//! `m20261129_000012`. The two engines split, fold and rank text each their
//! own way, so the same data was found and ordered differently on each;
//! the application now splits text into words itself and stores them here.
//!
//! `search_term` holds the distinct words (their folded form) of each
//! record, with the tier of the best field each occurs in (0 for a name or
//! title) and the record's key (which orders results of equal rank, read
//! here so that a search needs no join). `entry_id` is the kind's search
//! code in the high 32 bits and the record's id in the low ones, so a kind
//! is a range of entries. Words and keys are bytes (UTF-8) because both
//! databases compare bytes byte by byte, whatever the collation: a word's
//! prefixes are then one range of the primary key, on both.
//!
//! The application fills the table when it starts on a database where it
//! is empty (see `store::search_index::rebuild_if_missing`).

use crate::dsl::drop_tables;
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("search_index").to_owned())
            .await?;
        let mut terms = Table::create();
        terms
            .table("search_term")
            .col(ColumnDef::new("term").blob().not_null())
            .col(big_integer("entry_id"))
            .col(small_integer("tier"))
            .col(ColumnDef::new("record_key").blob().not_null())
            // Every column is in the key so that a search reads the key
            // alone (an index-only scan on PostgreSQL).
            .primary_key(
                Index::create()
                    .col("term")
                    .col("entry_id")
                    .col("tier")
                    .col("record_key"),
            );
        if manager.get_database_backend() == DbBackend::Sqlite {
            // Stored in key order: a prefix is one contiguous run of rows.
            terms.extra("WITHOUT ROWID");
        }
        manager.create_table(terms).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_search_term_entry_id")
                    .table("search_term")
                    .col("entry_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["search_term"]).await?;
        // The index as m20261129_000012 created it (empty: the application
        // of that time filled it on import).
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
}
