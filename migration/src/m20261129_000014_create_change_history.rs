//! `change_set` and `change`: every write, who made it and when, and the
//! before/after of each record it touched. An import is one change set.

use crate::dsl::{create_indexes, foreign_key, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("change_set")
                    .col(pk_auto("id"))
                    // The key's name, or "cli" for the command line.
                    .col(string_len("actor", 120))
                    .col(string_len("operation", 60))
                    .col(timestamp_with_time_zone_default_now("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("change")
                    .col(pk_auto("id"))
                    .col(integer("change_set_id"))
                    .col(string_len("record_type", 30))
                    .col(string_len("record_key", 120))
                    .col(string_len("action", 10))
                    .col(text_null("before"))
                    .col(text_null("after"))
                    .foreign_key(&mut foreign_key(
                        "change",
                        "change_set_id",
                        "change_set",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("change", &["change_set_id"]),
                index("change", &["record_type", "record_key"]),
                index("change_set", &["created_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["change", "change_set"]).await
    }
}
