//! `partnership_status_change`: the dated history of a partnership's status.
//!
//! A current status alone loses facts: Akureyri's council ended its twinning
//! with Murmansk a month before Murmansk's did, so a step may name the side
//! (`city_id`) that took it, and the document or source that proves it.

use crate::dsl::{create_indexes, foreign_key, index, partial_date, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        const TABLE: &str = "partnership_status_change";
        let mut table = Table::create();
        table
            .table(TABLE)
            .col(pk_auto("id"))
            .col(integer("partnership_id"))
            .col(string_len("status", 20));
        partial_date(&mut table, "occurred_on", false);
        table
            .col(integer_null("city_id"))
            .col(integer_null("protocol_id"))
            .col(integer_null("source_id"))
            .col(text_null("note"))
            // Steps derived from the partnership's own dates on import are
            // rebuilt on every import; recorded steps are kept.
            .col(boolean("derived").default(false))
            .foreign_key(&mut foreign_key(
                TABLE,
                "partnership_id",
                "partnership",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut foreign_key(
                TABLE,
                "city_id",
                "city",
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut foreign_key(
                TABLE,
                "protocol_id",
                "protocol",
                ForeignKeyAction::SetNull,
            ))
            .foreign_key(&mut foreign_key(
                TABLE,
                "source_id",
                "source",
                ForeignKeyAction::SetNull,
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        create_indexes(
            manager,
            vec![
                index(TABLE, &["partnership_id"]),
                index(TABLE, &["city_id"]),
                index(TABLE, &["protocol_id"]),
                index(TABLE, &["source_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["partnership_status_change"]).await
    }
}
