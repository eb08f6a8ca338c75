//! PostgreSQL: `stat_delta`'s rows carry the transaction that wrote them
//! (`tx`, indexed with the dimension), so that the fold at commit and a
//! reader of its own deltas go straight to that transaction's few rows.
//!
//! Every transaction deletes its deltas when it folds them, so the table
//! holds no row for long, but it keeps every deleted one until a vacuum:
//! after the benchmark's write load (Q6, a few thousand requests in half a
//! minute) it held 37,000 dead rows in 150 pages, and the fold's `GROUP BY`
//! and `DELETE` each read all of them, as did every statistic's reader
//! through the dimension's index. The fold is now one statement (`DELETE … RETURNING`
//! feeding the `INSERT`), and a reader that has written nothing asks for
//! the deltas of no transaction (`txid_current_if_assigned()` is null).
//!
//! SQLite gets the column for the entity's sake (its triggers add to
//! `stat_count` at once and write no deltas).

use crate::m20261207_000040_stat_counts::FOLD;
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const TABLE: &str = "stat_delta";
/// The index migration 40 made, and the one that replaces it (named after
/// their columns by `dsl::index`).
const BY_DIMENSION: [&str; 1] = ["dimension"];
const BY_TRANSACTION: [&str; 2] = ["tx", "dimension"];

/// The fold of `m20261207_000040_stat_counts`, reading this transaction's
/// deltas through the index, in one statement.
const FOLD_BY_TRANSACTION: &str = "CREATE OR REPLACE FUNCTION stat_fold() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN \
     IF current_setting('twinning.stat_folded', true) = 'on' THEN RETURN NULL; END IF; \
     PERFORM set_config('twinning.stat_folded', 'on', true); \
     WITH folded AS (DELETE FROM stat_delta WHERE tx = txid_current() \
     RETURNING dimension, key, delta) \
     INSERT INTO stat_count (dimension, key, count) \
     SELECT dimension, key, SUM(delta) FROM folded GROUP BY dimension, key \
     HAVING SUM(delta) <> 0 ORDER BY dimension, key \
     ON CONFLICT (dimension, key) DO UPDATE SET count = stat_count.count + excluded.count; \
     RETURN NULL; END $$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let tx = if postgres {
            big_integer("tx")
                .default(Expr::cust("txid_current()"))
                .to_owned()
        } else {
            big_integer("tx").default(0).to_owned()
        };
        manager
            .alter_table(Table::alter().table(TABLE).add_column(tx).to_owned())
            .await?;
        if !postgres {
            return Ok(());
        }
        manager
            .drop_index(crate::dsl::drop_index(TABLE, &BY_DIMENSION))
            .await?;
        manager
            .create_index(crate::dsl::index(TABLE, &BY_TRANSACTION))
            .await?;
        manager
            .get_connection()
            .execute_unprepared(FOLD_BY_TRANSACTION)
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let fold = FOLD[0].replacen("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1);
            manager.get_connection().execute_unprepared(&fold).await?;
            manager
                .drop_index(crate::dsl::drop_index(TABLE, &BY_TRANSACTION))
                .await?;
            manager
                .create_index(crate::dsl::index(TABLE, &BY_DIMENSION))
                .await?;
        }
        manager
            .alter_table(Table::alter().table(TABLE).drop_column("tx").to_owned())
            .await
    }
}
