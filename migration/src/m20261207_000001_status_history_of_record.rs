//! A partnership's status history as a record of fact (interchange
//! `partnership.statusHistory`): steps keep the order they were given in
//! (`position`, as undated steps have no date to sort by), and a step cites
//! any number of sources, like every other record.

use crate::dsl::foreign_key;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const STEP: &str = "partnership_status_change";
const CITATION: &str = "partnership_status_change_source";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(STEP)
                    .add_column(integer("position").default(0))
                    .to_owned(),
            )
            .await?;
        // Not `create_link_table`: a deleted source drops off a step's list
        // without blocking the delete, as the step's single `source_id`
        // (ON DELETE SET NULL) did before; steps are not records that a
        // refusal could name.
        manager
            .create_table(
                Table::create()
                    .table(CITATION)
                    .col(integer("status_change_id"))
                    .col(integer("source_id"))
                    .primary_key(Index::create().col("status_change_id").col("source_id"))
                    .foreign_key(&mut foreign_key(
                        CITATION,
                        "status_change_id",
                        STEP,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        CITATION,
                        "source_id",
                        "source",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::dsl::index(CITATION, &["source_id"]))
            .await?;
        // The single source of steps recorded so far becomes their citation.
        let copy = Query::insert()
            .into_table(CITATION)
            .columns(["status_change_id", "source_id"])
            .select_from(
                Query::select()
                    .columns(["id", "source_id"])
                    .from(STEP)
                    .and_where(Expr::col("source_id").is_not_null())
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(copy).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::dsl::drop_tables(manager, &[CITATION]).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(STEP)
                    .drop_column("position")
                    .to_owned(),
            )
            .await
    }
}
