//! Citations: which sources each record cites, one link table per kind of
//! record so that every citation has real foreign keys at both ends.

use crate::dsl::{create_link_table, drop_tables};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// (table, citing record's column and table) for every kind of record that
/// cites sources.
const CITATIONS: [(&str, (&str, &str)); 6] = [
    ("city_source", ("city_id", "city")),
    ("organization_source", ("organization_id", "organization")),
    ("partnership_source", ("partnership_id", "partnership")),
    ("event_source", ("event_id", "event")),
    ("visit_source", ("visit_id", "visit")),
    ("protocol_source", ("protocol_id", "protocol")),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, citing) in CITATIONS {
            create_link_table(manager, table, citing, ("source_id", "source")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, _) in CITATIONS.iter().rev() {
            drop_tables(manager, &[table]).await?;
        }
        Ok(())
    }
}
