//! `api_key`: who may write. Only a SHA-256 hash of each key is stored; the
//! short public prefix finds the row, the hash is compared in constant time.

use crate::dsl::timestamps;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table("api_key")
            .col(pk_auto("id"))
            .col(string_len_uniq("name", 120))
            .col(string_len("role", 20))
            .col(string_len_uniq("prefix", 16))
            .col(string_len("hash", 64))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .col(timestamp_with_time_zone_null("last_used_at"));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["api_key"]).await
    }
}
