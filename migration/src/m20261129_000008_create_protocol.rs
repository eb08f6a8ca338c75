//! `protocol`: a signed document (protocol of intentions, agreement…).

use crate::dsl::{create_indexes, foreign_key, index, partial_date, record_table, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = record_table("protocol");
        table.col(string_len("kind", 30)).col(text("title"));
        partial_date(&mut table, "signed_on", false);
        table
            .col(integer_null("signed_in_id"))
            .col(integer_null("partnership_id"))
            .col(integer_null("visit_id"))
            .col(integer_null("event_id"))
            .col(text_null("summary"))
            .foreign_key(&mut foreign_key(
                "protocol",
                "signed_in_id",
                "city",
                ForeignKeyAction::Restrict,
            ))
            // The document stays signed if the records it came from are removed.
            .foreign_key(&mut foreign_key(
                "protocol",
                "partnership_id",
                "partnership",
                ForeignKeyAction::SetNull,
            ))
            .foreign_key(&mut foreign_key(
                "protocol",
                "visit_id",
                "visit",
                ForeignKeyAction::SetNull,
            ))
            .foreign_key(&mut foreign_key(
                "protocol",
                "event_id",
                "event",
                ForeignKeyAction::SetNull,
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        create_indexes(
            manager,
            vec![
                index("protocol", &["signed_in_id"]),
                index("protocol", &["partnership_id"]),
                index("protocol", &["visit_id"]),
                index("protocol", &["event_id"]),
                index("protocol", &["signed_on_start"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["protocol"]).await
    }
}
