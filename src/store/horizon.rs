//! Which change sets are settled: the horizon below which every change-set
//! id is committed or rolled back for good, so that a reader of `id >
//! cursor` (the change feed, an export's cursor, the webhook outbox's
//! order) never passes an id that commits later.
//!
//! PostgreSQL hands out a sequence's ids at insert, not at commit: a writer
//! can take id 7, a second take 8 and commit first, and a reader who moved
//! its cursor past 8 would never look back for 7. Writers are not put in a
//! line for that (one lock for all writes halved Q6's throughput); the
//! reader finds the smallest id still in flight instead:
//!
//! - A writer takes a shared transaction-level advisory lock `(WRITERS, 0)`
//!   (the mark) before it takes its id, and `(WRITERS, id)` once it has it,
//!   all in the statement that inserts its change set (one round trip).
//!   Shared locks never wait for each other,
//!   and both go at commit or rollback. Unlike rows, locks are seen by
//!   every session at once (`pg_locks`), before the writer commits.
//! - A reader reads the sequence's last id `L`, then the locks. A writer
//!   it sees with a published id holds the horizon at that id. A writer it
//!   sees marked but not yet published is between the two locks: the
//!   reader waits (milliseconds) until it has published or ended. A writer
//!   it does not see has ended (and is in any snapshot taken afterwards)
//!   or marked itself after the reader read `L`, so its id is above `L`.
//!   So every id below `min(L + 1, the published ids)` is settled, as is
//!   everything in a snapshot taken after the reading.
//!
//! This assumes the sequence hands ids out in time order (its `CACHE` is
//! 1, as the migration leaves it). Ids then also follow each record's
//! writes: a writer takes its id after writing its records, under their
//! row locks, so two writers of one record take ids in the order they
//! wrote it, and replaying change sets in id order rebuilds the data.
//! SQLite has one writer at a time: every committed id is settled.
//!
//! Advisory locks live in the primary's memory only: a replica's `pg_locks`
//! shows none of them, so the horizon is read on the primary, and a
//! replica answers only once it has replayed what the primary had written
//! then ([`settled_reader`]).

use super::wal;
use entity::change_set;
use sea_orm::sea_query::{Expr, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The first key of the writers' advisory locks: "twin" in ASCII.
const WRITERS: i32 = 0x7477_696e;

/// How long a reader waits for a marked writer to publish its id.
const PUBLISH_WAIT: Duration = Duration::from_secs(2);

/// Marks this transaction as a change-set writer about to take its id: a
/// row source for the change set's `INSERT … SELECT` (PostgreSQL). The
/// subquery's volatile call keeps PostgreSQL from folding it into the
/// insert's row, so it runs before the row's default takes the id: mark,
/// id and [`publish_id`] are one statement, in that order.
pub(super) fn mark_writer() -> SelectStatement {
    Query::select().expr(lock(Expr::val(0))).to_owned()
}

/// Publishes the id just taken, for the change set insert's `RETURNING`
/// (PostgreSQL): the id and its lock come from one statement.
pub(super) fn publish_id() -> SimpleExpr {
    lock(Expr::col(change_set::Column::Id))
}

fn lock(key: Expr) -> SimpleExpr {
    Func::cust("pg_advisory_xact_lock_shared")
        .arg(WRITERS)
        .arg(key)
        .into()
}

/// The change sets' horizon: every change set with a smaller id is settled
/// (see the module's comment). Read it on the primary; `i32::MAX` on
/// SQLite.
pub async fn find_horizon(primary: &impl ConnectionTrait) -> Result<i32, DbErr> {
    if primary.get_database_backend() != DbBackend::Postgres {
        return Ok(i32::MAX);
    }
    let last = last_id(primary).await?;
    let mut writers = find_writers(primary).await?;
    let mut published: Vec<i64> = writers.values().flatten().copied().collect();
    let deadline = Instant::now() + PUBLISH_WAIT;
    let mut pause = Duration::from_millis(1);
    loop {
        writers.retain(|_, id| id.is_none());
        if writers.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            return Err(DbErr::Custom(format!(
                "{} change-set writer(s) took no id within {PUBLISH_WAIT:?}",
                writers.len()
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(20));
        // Only the writers seen at first count; one that ended is settled.
        let now = find_writers(primary).await?;
        for (writer, id) in writers.iter_mut() {
            match now.get(writer) {
                None => *id = Some(i64::MAX),
                Some(Some(taken)) => {
                    published.push(*taken);
                    *id = Some(*taken);
                }
                Some(None) => {}
            }
        }
    }
    let below = published.into_iter().fold(last + 1, i64::min);
    Ok(i32::try_from(below).unwrap_or(i32::MAX))
}

/// The last id the change sets' sequence handed out (0 before the first).
async fn last_id(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let select = Statement::from_string(
        DbBackend::Postgres,
        "SELECT pg_sequence_last_value(pg_get_serial_sequence('change_set', 'id')::regclass)",
    );
    let row = db
        .query_one_raw(select)
        .await?
        .ok_or_else(|| DbErr::Custom("no row from pg_sequence_last_value".into()))?;
    Ok(row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0))
}

/// The marked writers in flight, by virtual transaction, each with the
/// smallest id it published (`None`: marked, no id yet). One read of
/// `pg_locks`, which sees the whole lock table at one instant.
async fn find_writers(db: &impl ConnectionTrait) -> Result<HashMap<String, Option<i64>>, DbErr> {
    // Two-key advisory locks show their keys as classid and objid, with
    // objsubid 2; pg_locks lists every database of the server.
    let select = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT mark.virtualtransaction, min(id.objid::bigint) \
         FROM pg_locks mark \
         LEFT JOIN pg_locks id ON id.virtualtransaction = mark.virtualtransaction \
           AND id.locktype = 'advisory' AND id.classid = $1::oid \
           AND id.objsubid = 2 AND id.objid <> 0 AND id.granted \
         WHERE mark.locktype = 'advisory' AND mark.classid = $1::oid \
           AND mark.objsubid = 2 AND mark.objid = 0 AND mark.granted \
           AND mark.database = \
             (SELECT oid FROM pg_database WHERE datname = current_database()) \
         GROUP BY mark.virtualtransaction",
        [i64::from(WRITERS).into()],
    );
    db.query_all_raw(select)
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// Where to read change sets below a horizon just read on `primary`: `read`
/// itself unless it is a replica that has not yet replayed what the
/// primary had written by now (then the primary).
pub async fn settled_reader<'a>(
    primary: &'a super::Db,
    read: &'a super::Db,
) -> Result<&'a super::Db, DbErr> {
    if read.get_database_backend() != DbBackend::Postgres {
        return Ok(read);
    }
    // A primary replays nothing: it has everything.
    if wal::replayed(read).await?.is_none() {
        return Ok(read);
    }
    let written = wal::inserted(primary).await?;
    Ok(match wal::replayed(read).await? {
        Some(replayed) if replayed >= written => read,
        _ => primary,
    })
}
