//! `partnership`: the relation between two cities, one per unordered pair and kind.

use crate::dsl::{create_indexes, foreign_key, index, partial_date, record_table, timestamps};
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = record_table("partnership");
        // The cities keep the order they were given in (the founding city
        // first, as sources tell it); uniqueness ignores that order below.
        table
            .col(integer("city_a_id"))
            .col(integer("city_b_id"))
            .col(string_len("kind", 20))
            .col(string_len("status", 20));
        partial_date(&mut table, "proposed_on", false);
        partial_date(&mut table, "established_on", false);
        partial_date(&mut table, "ended_on", false);
        table
            .col(text_null("notes"))
            .check(Expr::col("city_a_id").ne(Expr::col("city_b_id")))
            .foreign_key(&mut foreign_key(
                "partnership",
                "city_a_id",
                "city",
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut foreign_key(
                "partnership",
                "city_b_id",
                "city",
                ForeignKeyAction::Restrict,
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        create_indexes(
            manager,
            vec![
                index("partnership", &["city_a_id"]),
                index("partnership", &["city_b_id"]),
                index("partnership", &["established_on_start"]),
            ],
        )
        .await?;

        // One partnership per unordered pair of cities and kind. The DSL has no
        // expression indexes, and the two backends spell min/max differently.
        let (low, high) = match manager.get_database_backend() {
            DbBackend::Postgres => ("LEAST", "GREATEST"),
            _ => ("min", "max"),
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_partnership_pair_kind ON partnership \
                 ({low}(city_a_id, city_b_id), {high}(city_a_id, city_b_id), kind)"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["partnership"]).await
    }
}
