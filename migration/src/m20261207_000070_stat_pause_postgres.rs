//! PostgreSQL: the pause and recount that SQLite's import has had since
//! `m20261207_000041_stat_partnership_statements`, for an import that
//! writes about as many records as there are.
//!
//! The link triggers' statement (each owner's topics and those above,
//! before and after) is planned once per session by PL/pgSQL and kept. In
//! an import the link tables start (nearly) empty inside one transaction,
//! so the kept plan reads the whole link table (a hash join over a
//! sequential scan): every 1,000-link statement read every link written
//! before it, and the import grew with the square of its size (scale
//! 2,000 → 8,000: the visit_topic trigger 1.8 → 25.9 s). Paused, the
//! import's triggers return at once and one recount at its end adds the
//! difference between the fresh counts and the kept ones as deltas, which
//! the fold adds at commit like any other.
//!
//! The pause is a setting local to the transaction
//! (`twinning.stat_pause`), so no other transaction's writes pass
//! uncounted. The recount reads tables, `stat_count` and the transaction's
//! own deltas in one snapshot (one statement per statistic): a write that
//! commits after it folds its own deltas on top, so the counts stay exact
//! (see `store::stats::recount`).

use crate::m20261207_000040_stat_counts::triggers::{Trigger, triggers};
use crate::m20261207_000040_stat_counts::{PARTNERSHIP, TOPICS, recount};
use crate::m20261207_000041_stat_partnership_statements::{REPLACED, partnership_triggers};
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// What every kept-count trigger function runs first.
pub(crate) const GUARD: &str =
    "IF current_setting('twinning.stat_pause', true) = 'on' THEN RETURN NULL; END IF; ";

/// The kept-count triggers PostgreSQL has after migration 41.
fn current() -> Vec<Trigger> {
    let backend = DbBackend::Postgres;
    triggers(backend)
        .into_iter()
        .filter(|trigger| !REPLACED.contains(&trigger.name()))
        .chain(partnership_triggers(backend))
        .collect()
}

/// `stat_recount()`: adds, as deltas, what each statistic lacks from its
/// fresh count (nothing for the keys that are right).
fn recount_function() -> String {
    let body: String = PARTNERSHIP
        .iter()
        .chain(&TOPICS)
        .map(|dimension| {
            format!(
                "INSERT INTO stat_delta (dimension, key, delta) \
                 SELECT '{dimension}', k, SUM(d) FROM ({}) s WHERE k IS NOT NULL \
                 GROUP BY k HAVING SUM(d) <> 0;\n",
                recount(dimension)
            )
        })
        .collect();
    format!(
        "CREATE FUNCTION stat_recount() RETURNS void LANGUAGE plpgsql AS $$ BEGIN {body} END $$"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for trigger in current() {
            db.execute_unprepared(&trigger.replace_function(GUARD))
                .await?;
        }
        db.execute_unprepared(&recount_function()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP FUNCTION IF EXISTS stat_recount()")
            .await?;
        for trigger in current() {
            db.execute_unprepared(&trigger.replace_function("")).await?;
        }
        Ok(())
    }
}
