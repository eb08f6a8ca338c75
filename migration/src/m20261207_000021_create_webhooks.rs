//! Webhooks: partner endpoints, the outbox of deliveries written in the
//! same transaction as each change set, and the log of every attempt.

use crate::dsl::{create_indexes, foreign_key, index, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut webhook = Table::create();
        webhook
            .table("webhook")
            .col(pk_auto("id"))
            .col(string_len("url", 2000))
            .col(text("description"))
            // A JSON array of `Type.ACTION` filters; empty for every change.
            .col(text("events"))
            // `whsec_` + base64: kept as is, since it must sign.
            .col(string_len("secret", 100))
            .col(boolean("enabled"))
            // The first failed attempt since the last success.
            .col(timestamp_with_time_zone_null("failing_since"))
            .col(timestamp_with_time_zone_null("disabled_at"))
            // Which server sends its deliveries until when: one at a time,
            // so that they go out in change-set order.
            .col(timestamp_with_time_zone_null("lease_until"));
        manager
            .create_table(timestamps(&mut webhook).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_delivery")
                    .col(pk_auto("id"))
                    .col(integer("webhook_id"))
                    .col(integer("change_set_id"))
                    // The `webhook-id` header: the same on every attempt.
                    .col(string_len("message_id", 40))
                    // `PENDING`, `DELIVERED` or `FAILED`.
                    .col(string_len("status", 10))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(integer_null("last_status_code"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .foreign_key(&mut foreign_key(
                        "webhook_delivery",
                        "webhook_id",
                        "webhook",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "webhook_delivery",
                        "change_set_id",
                        "change_set",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_attempt")
                    .col(pk_auto("id"))
                    .col(integer("delivery_id"))
                    .col(timestamp_with_time_zone("attempted_at"))
                    .col(integer_null("status_code"))
                    .col(text_null("error"))
                    .col(integer("duration_ms"))
                    .foreign_key(&mut foreign_key(
                        "webhook_attempt",
                        "delivery_id",
                        "webhook_delivery",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("webhook_delivery", &["webhook_id", "status", "id"]),
                index("webhook_delivery", &["status", "next_attempt_at"]),
                index("webhook_attempt", &["delivery_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["webhook_attempt", "webhook_delivery", "webhook"]).await
    }
}
