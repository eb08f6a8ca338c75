//! `visit`: a delegation from one city to another.

use crate::dsl::{create_indexes, foreign_key, index, partial_date, record_table, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = record_table("visit");
        table
            .col(integer("from_city_id"))
            .col(integer("to_city_id"));
        partial_date(&mut table, "start_date", true);
        partial_date(&mut table, "end_date", false);
        table
            .col(integer_null("partnership_id"))
            .col(text_null("head_of_delegation"))
            .col(text_null("purpose"))
            .col(text_null("summary"))
            .foreign_key(&mut foreign_key(
                "visit",
                "from_city_id",
                "city",
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut foreign_key(
                "visit",
                "to_city_id",
                "city",
                ForeignKeyAction::Restrict,
            ))
            // A visit happened whether or not the partnership record survives.
            .foreign_key(&mut foreign_key(
                "visit",
                "partnership_id",
                "partnership",
                ForeignKeyAction::SetNull,
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        create_indexes(
            manager,
            vec![
                index("visit", &["from_city_id"]),
                index("visit", &["to_city_id"]),
                index("visit", &["partnership_id"]),
                index("visit", &["start_date_start"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["visit"]).await
    }
}
