//! The many-to-many links between records: topic tags, what a visit attended
//! and who took part, and the parties to a protocol.

use crate::dsl::{create_link_table, drop_tables, foreign_key, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// A column of a link table and the table it refers to.
type Column = (&'static str, &'static str);

/// (table, owner, target) for every plain link table.
const LINKS: [(&str, Column, Column); 6] = [
    (
        "partnership_topic",
        ("partnership_id", "partnership"),
        ("topic_id", "topic"),
    ),
    ("event_topic", ("event_id", "event"), ("topic_id", "topic")),
    ("visit_topic", ("visit_id", "visit"), ("topic_id", "topic")),
    ("visit_event", ("visit_id", "visit"), ("event_id", "event")),
    (
        "visit_organization",
        ("visit_id", "visit"),
        ("organization_id", "organization"),
    ),
    (
        "protocol_topic",
        ("protocol_id", "protocol"),
        ("topic_id", "topic"),
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, owner, target) in LINKS {
            create_link_table(manager, table, owner, target).await?;
        }
        // Parties keep their order: the first party is the one that signed first.
        manager
            .create_table(
                Table::create()
                    .table("protocol_party")
                    .col(integer("protocol_id"))
                    .col(integer("city_id"))
                    .col(small_integer("position"))
                    .primary_key(Index::create().col("protocol_id").col("city_id"))
                    .foreign_key(&mut foreign_key(
                        "protocol_party",
                        "protocol_id",
                        "protocol",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "protocol_party",
                        "city_id",
                        "city",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("protocol_party", &["city_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["protocol_party"]).await?;
        for (table, _, _) in LINKS.iter().rev() {
            drop_tables(manager, &[table]).await?;
        }
        Ok(())
    }
}
