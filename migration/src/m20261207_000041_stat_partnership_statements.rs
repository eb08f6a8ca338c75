//! Cheaper upkeep of the kept statistics (`stat_count`, see
//! `m20261207_000040_stat_counts`) on partnership writes, which are most of
//! the writes: a partnership's four statistics in one statement instead of
//! four, and nothing written for a statistic whose value a write kept.
//!
//! On PostgreSQL the three partnership triggers become statement triggers
//! over transition tables: one statement per write statement (an import
//! inserts a thousand partnerships to a statement) appends one delta per
//! statistic and key that changed, so a status step appends two deltas
//! instead of eight, and the fold at commit (a deferred trigger per delta
//! row) has that much less to do. PostgreSQL allows no column list on an
//! UPDATE trigger with transition tables, so the update trigger fires on
//! every update of a partnership and finds nothing to add when none of the
//! counted columns changed.
//!
//! SQLite has no statement triggers: there a row trigger runs one UPSERT
//! over the row's parts, grouped so that an update's -1 and +1 of a kept
//! value cancel out. And there the row triggers of partnerships, cities and
//! links stand still while `stat_pause` has a row: an import that writes
//! about as many records as there are inserts one at the start, counts
//! every statistic anew at the end of its transaction and deletes it (see
//! `store::stats::pause`), instead of a trigger per row (more than 150,000
//! at scale 5,000). SQLite has one writer at a time and a reader never sees
//! the uncommitted row, so no other write passes uncounted. PostgreSQL has
//! no such table: its statement triggers add one delta per statement.

use crate::m20261207_000040_stat_counts::triggers::{Trigger, triggers};
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The triggers this migration replaces on both backends.
pub(crate) const REPLACED: [&str; 3] = [
    "stat_partnership_insert",
    "stat_partnership_delete",
    "stat_partnership_update",
];

/// The triggers this migration gives a pause on SQLite besides.
const PAUSED: [&str; 5] = [
    "stat_city_country",
    "stat_visit_topic_insert",
    "stat_visit_topic_delete",
    "stat_protocol_topic_insert",
    "stat_protocol_topic_delete",
];

/// SQLite: the condition of every paused trigger.
const UNLESS_PAUSED: &str = "NOT EXISTS (SELECT 1 FROM stat_pause)";

/// The `(dim, k, d)` parts of partnership rows in each statistic, `sign` 1
/// or -1: on PostgreSQL of every row of the transition table `rows`, on
/// SQLite of the trigger's row `rows` (`NEW` or `OLD`). A partnership
/// between two cities of one country counts once for it.
fn parts(backend: DbBackend, rows: &str, sign: i32) -> String {
    let (column, from) = match backend {
        DbBackend::Postgres => (String::new(), format!(" FROM {rows}")),
        _ => (format!("{rows}."), String::new()),
    };
    let country = match backend {
        DbBackend::Postgres => format!(
            "SELECT 'partnership_country', k, {sign} FROM (SELECT DISTINCT r.id, c.country_code AS k \
             FROM {rows} r JOIN city c ON c.id IN (r.city_a_id, r.city_b_id)) x"
        ),
        _ => format!(
            "SELECT DISTINCT 'partnership_country', country_code, {sign} FROM city \
             WHERE id IN ({rows}.city_a_id, {rows}.city_b_id)"
        ),
    };
    format!(
        "SELECT 'partnership_kind' AS dim, {column}kind AS k, {sign} AS d{from} \
         UNION ALL SELECT 'partnership_status', {column}status, {sign}{from} \
         UNION ALL SELECT 'partnership_year', SUBSTR({column}established_on, 1, 4), {sign}{from} \
         UNION ALL {country}"
    )
}

/// The one statement that adds the parts: deltas on PostgreSQL (folded at
/// commit), the counts themselves on SQLite.
fn add(backend: DbBackend, parts: &str) -> String {
    let sum = format!(
        "SELECT dim, k, SUM(d) FROM ({parts}) s WHERE k IS NOT NULL \
         GROUP BY dim, k HAVING SUM(d) <> 0"
    );
    match backend {
        DbBackend::Postgres => format!("INSERT INTO stat_delta (dimension, key, delta) {sum}"),
        _ => format!(
            "INSERT INTO stat_count (dimension, key, count) {sum} \
             ON CONFLICT (dimension, key) DO UPDATE SET count = stat_count.count + excluded.count"
        ),
    }
}

/// The partnership triggers of this migration.
pub(crate) fn partnership_triggers(backend: DbBackend) -> Vec<Trigger> {
    let postgres = backend == DbBackend::Postgres;
    let (new, old) = if postgres {
        ("new_rows", "old_rows")
    } else {
        ("NEW", "OLD")
    };
    let changed = format!(
        "{} UNION ALL {}",
        parts(backend, old, -1),
        parts(backend, new, 1)
    );
    vec![
        Trigger::new(
            "stat_partnership_insert",
            "AFTER INSERT",
            "partnership",
            None,
            postgres.then_some("NEW TABLE AS new_rows"),
            vec![add(backend, &parts(backend, new, 1))],
        ),
        Trigger::new(
            "stat_partnership_delete",
            "AFTER DELETE",
            "partnership",
            None,
            postgres.then_some("OLD TABLE AS old_rows"),
            vec![add(backend, &parts(backend, old, -1))],
        ),
        if postgres {
            Trigger::new(
                "stat_partnership_update",
                "AFTER UPDATE",
                "partnership",
                None,
                Some("OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                vec![add(backend, &changed)],
            )
        } else {
            Trigger::new(
                "stat_partnership_update",
                "AFTER UPDATE OF kind, status, established_on, city_a_id, city_b_id",
                "partnership",
                Some(
                    "OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status \
                     OR OLD.established_on IS NOT NEW.established_on \
                     OR OLD.city_a_id IS NOT NEW.city_a_id OR OLD.city_b_id IS NOT NEW.city_b_id",
                ),
                None,
                vec![add(backend, &changed)],
            )
        },
    ]
}

/// The triggers of `m20261207_000040_stat_counts` this one replaces.
fn replaced(backend: DbBackend) -> Vec<Trigger> {
    triggers(backend)
        .into_iter()
        .filter(|trigger| {
            REPLACED.contains(&trigger.name())
                || (backend == DbBackend::Sqlite && PAUSED.contains(&trigger.name()))
        })
        .collect()
}

/// The triggers that take their place.
fn replacements(backend: DbBackend) -> Vec<Trigger> {
    if backend != DbBackend::Sqlite {
        return partnership_triggers(backend);
    }
    let paused = triggers(backend)
        .into_iter()
        .filter(|trigger| PAUSED.contains(&trigger.name()));
    partnership_triggers(backend)
        .into_iter()
        .chain(paused)
        .map(|trigger| trigger.and_when(UNLESS_PAUSED))
        .collect()
}

/// Drops `from` and creates `to`.
async fn swap(manager: &SchemaManager<'_>, from: &[Trigger], to: &[Trigger]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let db = manager.get_connection();
    for trigger in from {
        for statement in trigger.drop(backend) {
            db.execute_unprepared(&statement).await?;
        }
    }
    for trigger in to {
        for statement in trigger.create(backend) {
            db.execute_unprepared(&statement).await?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: without it each statement takes a
    /// pooled connection of its own, and on a fresh database (every
    /// migration in one run) creating the new triggers failed with "already
    /// exists" after dropping the old ones. One transaction also means no
    /// write can fall between the drop and the create.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        if backend == DbBackend::Sqlite {
            manager
                .create_table(
                    Table::create()
                        .table("stat_pause")
                        .col(ColumnDef::new("id").integer().not_null().primary_key())
                        .to_owned(),
                )
                .await?;
        }
        swap(manager, &replaced(backend), &replacements(backend)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        swap(manager, &replacements(backend), &replaced(backend)).await?;
        if backend == DbBackend::Sqlite {
            crate::dsl::drop_tables(manager, &["stat_pause"]).await?;
        }
        Ok(())
    }
}
