//! `organization`: lyceums, universities, hospitals, administrations… in a city.

use crate::dsl::{create_indexes, foreign_key, index, record_table, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = record_table("organization");
        table
            .col(text("name"))
            .col(string_len("kind", 20))
            .col(integer("city_id"))
            .foreign_key(&mut foreign_key(
                "organization",
                "city_id",
                "city",
                ForeignKeyAction::Restrict,
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        create_indexes(manager, vec![index("organization", &["city_id"])]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["organization"]).await
    }
}
