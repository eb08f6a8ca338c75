//! `city` and `city_name`: cities with their names in other languages.

use crate::dsl::{create_indexes, foreign_key, index, record_table, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut city = record_table("city");
        city.col(text("name"))
            .col(text_null("native_name"))
            .col(char_len("country_code", 2))
            .col(text_null("region"))
            .col(big_integer_null("population"))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .col(text_null("timezone"))
            .col(string_len_null("wikidata_id", 20));
        manager
            .create_table(timestamps(&mut city).to_owned())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("city_name")
                    .col(integer("city_id"))
                    .col(string_len("lang", 35))
                    .col(text("name"))
                    .primary_key(Index::create().col("city_id").col("lang"))
                    // Translations are part of the city record.
                    .foreign_key(&mut foreign_key(
                        "city_name",
                        "city_id",
                        "city",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("city", &["country_code"]),
                index("city", &["name"]),
                index("city_name", &["name"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["city_name", "city"]).await
    }
}
