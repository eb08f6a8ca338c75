//! `webhook_delivery.trace_context`: the W3C trace context of the write
//! that queued the delivery (its `traceparent`, then a space and its
//! `tracestate` when there is one), so that the delivery's span joins that
//! write's trace. Null when the write was not traced.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("webhook_delivery")
                    .add_column(text_null("trace_context"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("webhook_delivery")
                    .drop_column("trace_context")
                    .to_owned(),
            )
            .await
    }
}
