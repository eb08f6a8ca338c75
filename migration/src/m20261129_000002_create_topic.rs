//! `topic`: the tree of cooperation topics (education → language exchange…).

use crate::dsl::{create_indexes, foreign_key, index, record_table, timestamps};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = record_table("topic");
        table
            .col(text("name"))
            .col(integer_null("parent_id"))
            .col(text_null("description"))
            // A topic with subtopics cannot be deleted out from under them.
            .foreign_key(&mut foreign_key(
                "topic",
                "parent_id",
                "topic",
                ForeignKeyAction::Restrict,
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        create_indexes(manager, vec![index("topic", &["parent_id"])]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &["topic"]).await
    }
}
