//! Visits' start-date index in the whole order that lists them by start
//! date (`start_date_start`, then `start_date_end` descending, then `key`),
//! replacing the index on `start_date_start` alone. A date filter that
//! overlaps a year reads from the year before (a visit that began in it
//! may end inside the range): with the end date in the index, the visits
//! of that year that ended too early are passed over in the index instead
//! of being read one by one from the table, and the page needs no sort.
//! Their number grows with the data, so without it a filtered page of
//! visits by date grew with the table too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const OLD: &str = "ix_visit_start_date_start";
const NEW: &str = "ix_visit_start_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NEW)
                    .table("visit")
                    .col("start_date_start")
                    .col(("start_date_end", IndexOrder::Desc))
                    .col("key")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(OLD).table("visit").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table("visit")
                    .col("start_date_start")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(NEW).table("visit").to_owned())
            .await
    }
}
