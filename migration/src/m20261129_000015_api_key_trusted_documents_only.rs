//! `api_key.trusted_documents_only`: a key that may run only the server's
//! trusted documents (`twinning serve --trusted-documents DIR`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_key")
                    .add_column(boolean("trusted_documents_only").default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_key")
                    .drop_column("trusted_documents_only")
                    .to_owned(),
            )
            .await
    }
}
