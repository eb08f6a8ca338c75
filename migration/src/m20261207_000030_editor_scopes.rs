//! `api_key.scope` and `change_set.scope`: the cities a scoped editor may
//! change (comma-separated city keys; null for an unscoped key), and the
//! scope a write was made under, for the history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["api_key", "change_set"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(text_null("scope"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["change_set", "api_key"] {
            manager
                .alter_table(Table::alter().table(table).drop_column("scope").to_owned())
                .await?;
        }
        Ok(())
    }
}
