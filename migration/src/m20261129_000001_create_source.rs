//! `source`: where a fact comes from. Every other record may cite sources.

use crate::dsl::{partial_date, record_table, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = record_table("source");
        table
            .col(text("title"))
            .col(text_null("url"))
            .col(text_null("publisher"));
        partial_date(&mut table, "published_on", false);
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["source"]).await
    }
}
