//! `stat_count`: the unfiltered statistics kept up to date by triggers, so
//! that `stats` without a filter reads a few rows instead of grouping whole
//! tables; `stat_delta`: on PostgreSQL, a transaction's changes to them until
//! it commits.
//!
//! Triggers rather than the application's write path: they see every row
//! change (creates, updates, status steps, imports, cascades, link changes)
//! in the transaction that makes it, so the counts cannot miss a path. The
//! DSL has no triggers, and the two backends spell them differently.
//!
//! On SQLite (one writer at a time) a trigger adds to `stat_count` at once.
//! On PostgreSQL, adding at once would lock a hot row (a kind, a country)
//! until commit, in the order the writes come, so two imports could
//! deadlock; instead triggers append to `stat_delta`, and a deferred trigger
//! folds a transaction's deltas into `stat_count` at commit, in key order,
//! so row locks are short and always taken in the same order. Readers add
//! the deltas they can see (only their own transaction's).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

pub(crate) mod triggers;
use triggers::triggers;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Each statistic: its dimension name and the `SELECT k, d` that computes it
/// from scratch over the tables.
fn fresh(dimension: &str) -> String {
    match dimension {
        "partnership_country" => "SELECT c.country_code AS k, COUNT(DISTINCT p.id) AS d \
             FROM partnership p JOIN city c ON c.id IN (p.city_a_id, p.city_b_id) \
             GROUP BY c.country_code"
            .into(),
        "partnership_kind" => {
            "SELECT kind AS k, COUNT(*) AS d FROM partnership GROUP BY kind".into()
        }
        "partnership_status" => {
            "SELECT status AS k, COUNT(*) AS d FROM partnership GROUP BY status".into()
        }
        "partnership_year" => "SELECT SUBSTR(established_on, 1, 4) AS k, COUNT(*) AS d \
             FROM partnership WHERE established_on IS NOT NULL \
             GROUP BY SUBSTR(established_on, 1, 4)"
            .into(),
        topics => {
            let (link, owner) = link_of(topics);
            format!(
                "SELECT * FROM (WITH RECURSIVE tree(root, id) AS (\
                 SELECT id, id FROM topic UNION ALL \
                 SELECT tree.root, c.id FROM topic c JOIN tree ON c.parent_id = tree.id) \
                 SELECT r.key AS k, COUNT(DISTINCT l.{owner}) AS d FROM tree \
                 JOIN topic r ON r.id = tree.root JOIN {link} l ON l.topic_id = tree.id \
                 GROUP BY r.key) f"
            )
        }
    }
}

pub(crate) const PARTNERSHIP: [&str; 4] = [
    "partnership_country",
    "partnership_kind",
    "partnership_status",
    "partnership_year",
];
pub(crate) const TOPICS: [&str; 2] = ["visit_topic", "protocol_topic"];

/// The link table and owner column of a topic statistic.
pub(crate) fn link_of(dimension: &str) -> (&'static str, &'static str) {
    match dimension {
        "visit_topic" => ("visit_topic", "visit_id"),
        _ => ("protocol_topic", "protocol_id"),
    }
}

/// The statement that adds the `(k, d)` rows of `select` to a dimension.
pub(crate) fn add(backend: DbBackend, dimension: &str, select: &str) -> String {
    let sum =
        format!("SELECT '{dimension}', k, SUM(d) FROM ({select}) s WHERE k IS NOT NULL GROUP BY k");
    match backend {
        DbBackend::Postgres => format!("INSERT INTO stat_delta (dimension, key, delta) {sum}"),
        _ => format!(
            "INSERT INTO stat_count (dimension, key, count) {sum} \
             ON CONFLICT (dimension, key) DO UPDATE SET count = stat_count.count + excluded.count"
        ),
    }
}

/// A partnership row's part in one statistic, `sign` 1 or -1.
fn partnership_part(dimension: &str, row: &str, sign: i32) -> String {
    match dimension {
        "partnership_country" => format!(
            "SELECT DISTINCT country_code AS k, {sign} AS d FROM city \
             WHERE id IN ({row}.city_a_id, {row}.city_b_id)"
        ),
        "partnership_kind" => format!("SELECT {row}.kind AS k, {sign} AS d"),
        "partnership_status" => format!("SELECT {row}.status AS k, {sign} AS d"),
        _ => format!("SELECT SUBSTR({row}.established_on, 1, 4) AS k, {sign} AS d"),
    }
}

/// A link row's part in a topic statistic: its topic and the topics above,
/// less those the owner's other links already count it under.
fn link_part(dimension: &str, row: &str, sign: i32) -> String {
    let (link, owner) = link_of(dimension);
    format!(
        "SELECT * FROM (WITH RECURSIVE up(id) AS (SELECT {row}.topic_id UNION \
         SELECT t.parent_id FROM topic t JOIN up ON t.id = up.id WHERE t.parent_id IS NOT NULL), \
         others(id) AS (SELECT topic_id FROM {link} \
         WHERE {owner} = {row}.{owner} AND topic_id <> {row}.topic_id UNION \
         SELECT t.parent_id FROM topic t JOIN others ON t.id = others.id \
         WHERE t.parent_id IS NOT NULL) \
         SELECT t.key AS k, {sign} AS d FROM topic t \
         WHERE t.id IN (SELECT id FROM up) AND t.id NOT IN (SELECT id FROM others)) f"
    )
}

/// PostgreSQL fires row triggers after the whole statement, so a row's
/// trigger would see the links written beside it: there, a statement
/// trigger compares each owner's topics (with those above) before and after
/// the statement, through its transition table `rows`.
pub(crate) fn links_part(dimension: &str, inserted: bool) -> String {
    let (link, owner) = link_of(dimension);
    let (sign, before, after) = if inserted {
        (
            1,
            format!(
                "SELECT l.{owner}, l.topic_id FROM {link} l JOIN owners ON l.{owner} = owners.o \
                 WHERE NOT EXISTS (SELECT 1 FROM rows n \
                 WHERE n.{owner} = l.{owner} AND n.topic_id = l.topic_id)"
            ),
            format!(
                "SELECT l.{owner}, l.topic_id FROM {link} l JOIN owners ON l.{owner} = owners.o"
            ),
        )
    } else {
        (
            -1,
            format!(
                "SELECT l.{owner}, l.topic_id FROM {link} l JOIN owners ON l.{owner} = owners.o \
                 UNION SELECT {owner}, topic_id FROM rows"
            ),
            format!(
                "SELECT l.{owner}, l.topic_id FROM {link} l JOIN owners ON l.{owner} = owners.o"
            ),
        )
    };
    let up = |name: &str, base: &str| {
        format!(
            "{name}_base(o, id) AS ({base}), {name}(o, id) AS (SELECT o, id FROM {name}_base \
             UNION SELECT {name}.o, t.parent_id FROM topic t JOIN {name} ON t.id = {name}.id \
             WHERE t.parent_id IS NOT NULL)"
        )
    };
    let (gained, lost) = if inserted {
        ("after_links", "before_links")
    } else {
        ("before_links", "after_links")
    };
    format!(
        "SELECT * FROM (WITH RECURSIVE owners(o) AS (SELECT DISTINCT {owner} FROM rows), \
         {}, {} SELECT t.key AS k, {sign} AS d FROM \
         (SELECT o, id FROM {gained} EXCEPT SELECT o, id FROM {lost}) x \
         JOIN topic t ON t.id = x.id) f",
        up("before_links", &before),
        up("after_links", &after),
    )
}

/// Counts a dimension anew: takes away what is counted, adds what is there.
pub(crate) fn recount(dimension: &str) -> String {
    format!(
        "SELECT key AS k, -count AS d FROM stat_count WHERE dimension = '{dimension}' \
         UNION ALL SELECT key, -delta FROM stat_delta WHERE dimension = '{dimension}' \
         UNION ALL {}",
        fresh(dimension)
    )
}

/// PostgreSQL: at commit, the transaction's deltas go into `stat_count` in
/// key order (once: the deferred trigger fires for every delta row, the
/// first does the work and marks the transaction done).
pub(crate) const FOLD: [&str; 2] = [
    "CREATE FUNCTION stat_fold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
     IF current_setting('twinning.stat_folded', true) = 'on' THEN RETURN NULL; END IF; \
     PERFORM set_config('twinning.stat_folded', 'on', true); \
     INSERT INTO stat_count (dimension, key, count) \
     SELECT dimension, key, SUM(delta) FROM stat_delta GROUP BY dimension, key \
     HAVING SUM(delta) <> 0 ORDER BY dimension, key \
     ON CONFLICT (dimension, key) DO UPDATE SET count = stat_count.count + excluded.count; \
     DELETE FROM stat_delta; RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER stat_fold AFTER INSERT ON stat_delta \
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stat_fold()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("stat_count")
                    .col(string_len("dimension", 40))
                    .col(string("key"))
                    .col(big_integer("count"))
                    .primary_key(Index::create().col("dimension").col("key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("stat_delta")
                    .col(big_pk_auto("id"))
                    .col(string_len("dimension", 40))
                    .col(string("key"))
                    .col(big_integer("delta"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_stat_delta_dimension")
                    .table("stat_delta")
                    .col("dimension")
                    .to_owned(),
            )
            .await?;
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        if backend == DbBackend::Postgres {
            for statement in FOLD {
                db.execute_unprepared(statement).await?;
            }
        }
        for trigger in triggers(backend) {
            for statement in trigger.create(backend) {
                db.execute_unprepared(&statement).await?;
            }
        }
        for dimension in PARTNERSHIP.iter().chain(&TOPICS) {
            db.execute_unprepared(&add(backend, dimension, &fresh(dimension)))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for trigger in triggers(backend) {
            for statement in trigger.drop(backend) {
                db.execute_unprepared(&statement).await?;
            }
        }
        if backend == DbBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS stat_fold ON stat_delta")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS stat_fold()")
                .await?;
        }
        crate::dsl::drop_tables(manager, &["stat_delta", "stat_count"]).await
    }
}
