//! `event`: festivals, exhibitions, anniversaries and forums hosted by a city.

use crate::dsl::{create_indexes, foreign_key, index, partial_date, record_table, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = record_table("event");
        table
            .col(text("name"))
            .col(string_len("kind", 20))
            .col(integer("host_city_id"));
        partial_date(&mut table, "start_date", true);
        partial_date(&mut table, "end_date", false);
        table
            .col(text_null("description"))
            .foreign_key(&mut foreign_key(
                "event",
                "host_city_id",
                "city",
                ForeignKeyAction::Restrict,
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        create_indexes(
            manager,
            vec![
                index("event", &["host_city_id"]),
                index("event", &["start_date_start"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["event"]).await
    }
}
