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

const BY_DIMENSION: &str = "ix_stat_delta_dimension";
const BY_TRANSACTION: &str = "ix_stat_delta_tx";

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

/// An index of `stat_delta` on these columns.
fn index(name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table("stat_delta");
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

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
            .alter_table(Table::alter().table("stat_delta").add_column(tx).to_owned())
            .await?;
        if !postgres {
            return Ok(());
        }
        manager
            .drop_index(
                Index::drop()
                    .name(BY_DIMENSION)
                    .table("stat_delta")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(BY_TRANSACTION, &["tx", "dimension"]))
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
                .drop_index(
                    Index::drop()
                        .name(BY_TRANSACTION)
                        .table("stat_delta")
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(index(BY_DIMENSION, &["dimension"]))
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("stat_delta")
                    .drop_column("tx")
                    .to_owned(),
            )
            .await
    }
}
