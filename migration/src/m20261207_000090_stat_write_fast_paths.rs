//! PostgreSQL: the two kept-count triggers every single write meets do
//! only the work its row needs.
//!
//! - A partnership update counts in a row trigger whose `WHEN` lets only a
//!   change of a counted column through (an edit of its notes calls no
//!   function at all), and its statement adds only the statistics whose
//!   column changed: a status step appends its two status deltas without
//!   reading the two cities for a country that did not move. Migration 41's
//!   statement trigger had to fire on every update (PostgreSQL allows no
//!   column list on a trigger with transition tables) and compute all four
//!   statistics before and after. An import that changes many partnerships
//!   at once runs with the counts paused (migration 70), so a row trigger
//!   costs it nothing.
//! - A link insert whose owners had no links before the statement (a new
//!   visit or protocol and its topics, the common case) counts its topics
//!   and those above straight away instead of comparing each owner's
//!   topics before and after.
//!
//! What PostgreSQL spends in the two functions (`pg_stat_user_functions`,
//! the benchmark's write mix at one connection, two A/B rounds against the
//! triggers before): 20–32 % less for a status step, 8–31 % less for a new
//! visit's two topics. Most of what is left is the function call and the
//! insert of the deltas themselves.

use crate::m20261207_000040_stat_counts::triggers::{Trigger, triggers};
use crate::m20261207_000040_stat_counts::{TOPICS, add, link_of, links_part};
use crate::m20261207_000041_stat_partnership_statements::partnership_triggers;
use crate::m20261207_000070_stat_pause_postgres::GUARD;
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UPDATE: &str = "stat_partnership_update";

/// The counted columns, each with the statistic it feeds and the key it
/// gives (`{}` is the row).
const COUNTED: [(&str, &str, &str); 3] = [
    ("kind", "partnership_kind", "{}.kind"),
    ("status", "partnership_status", "{}.status"),
    (
        "established_on",
        "partnership_year",
        "SUBSTR({}.established_on, 1, 4)",
    ),
];

/// `OLD.column IS DISTINCT FROM NEW.column`.
fn moved(column: &str) -> String {
    format!("OLD.{column} IS DISTINCT FROM NEW.{column}")
}

/// The row trigger: each changed statistic's old key -1 and new key +1,
/// summed so that a key kept (two cities of one country swapped) adds
/// nothing.
fn update_trigger() -> Trigger {
    let mut parts: Vec<String> = COUNTED
        .iter()
        .flat_map(|(column, dimension, key)| {
            [("OLD", -1), ("NEW", 1)].map(|(row, sign)| {
                format!(
                    "SELECT '{dimension}' AS dim, {} AS k, {sign} AS d WHERE {}",
                    key.replace("{}", row),
                    moved(column)
                )
            })
        })
        .collect();
    let cities = format!("({} OR {})", moved("city_a_id"), moved("city_b_id"));
    for (row, sign) in [("OLD", -1), ("NEW", 1)] {
        parts.push(format!(
            "SELECT DISTINCT 'partnership_country', country_code, {sign} FROM city \
             WHERE id IN ({row}.city_a_id, {row}.city_b_id) AND {cities}"
        ));
    }
    let when = COUNTED
        .iter()
        .map(|(column, ..)| moved(column))
        .chain([cities])
        .collect::<Vec<_>>()
        .join(" OR ");
    Trigger::new(
        UPDATE,
        "AFTER UPDATE OF kind, status, established_on, city_a_id, city_b_id",
        "partnership",
        Some(&when),
        None,
        vec![format!(
            "INSERT INTO stat_delta (dimension, key, delta) SELECT dim, k, SUM(d) FROM ({}) s \
             WHERE k IS NOT NULL GROUP BY dim, k HAVING SUM(d) <> 0",
            parts.join(" UNION ALL ")
        )],
    )
}

/// Migration 41's statement trigger, which this one replaces.
fn statement_trigger() -> Trigger {
    partnership_triggers(DbBackend::Postgres)
        .into_iter()
        .find(|trigger| trigger.name() == UPDATE)
        .expect("migration 41 makes the update trigger")
}

/// A link insert trigger's function body: when no owner in `rows` had a
/// link before the statement, every topic of `rows` and those above are
/// new to their owner.
fn link_insert_body(dimension: &str) -> String {
    let (link, owner) = link_of(dimension);
    let fresh = format!(
        "SELECT * FROM (WITH RECURSIVE up(o, id) AS (SELECT {owner}, topic_id FROM rows UNION \
         SELECT up.o, t.parent_id FROM topic t JOIN up ON t.id = up.id \
         WHERE t.parent_id IS NOT NULL) SELECT t.key AS k, 1 AS d FROM up \
         JOIN topic t ON t.id = up.id) f"
    );
    format!(
        "IF (SELECT COUNT(*) FROM {link} WHERE {owner} IN (SELECT {owner} FROM rows)) \
         = (SELECT COUNT(*) FROM rows) THEN {}; ELSE {}; END IF",
        add(DbBackend::Postgres, dimension, &fresh),
        add(DbBackend::Postgres, dimension, &links_part(dimension, true)),
    )
}

/// The link insert triggers as migration 40 made them, or as this one
/// makes them (the same triggers, other functions).
fn link_inserts(fast: bool) -> Vec<Trigger> {
    let mut made = triggers(DbBackend::Postgres);
    TOPICS
        .iter()
        .map(|dimension| {
            let (link, _) = link_of(dimension);
            let name = format!("stat_{link}_insert");
            if fast {
                return Trigger::new(
                    &name,
                    "AFTER INSERT",
                    link,
                    None,
                    Some("NEW TABLE AS rows"),
                    vec![link_insert_body(dimension)],
                );
            }
            let at = made
                .iter()
                .position(|trigger| trigger.name() == name)
                .expect("migration 40 makes the link triggers");
            made.swap_remove(at)
        })
        .collect()
}

/// Up (`fast`) or down: the update trigger swapped for the other, every
/// function given the pause's guard first (migration 70).
async fn apply(manager: &SchemaManager<'_>, fast: bool) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend != DbBackend::Postgres {
        return Ok(());
    }
    let (from, to) = if fast {
        (statement_trigger(), update_trigger())
    } else {
        (update_trigger(), statement_trigger())
    };
    let db = manager.get_connection();
    for statement in from.drop(backend).iter().chain(&to.create(backend)) {
        db.execute_unprepared(statement).await?;
    }
    for trigger in std::iter::once(to).chain(link_inserts(fast)) {
        db.execute_unprepared(&trigger.replace_function(GUARD))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// So that no write falls between the drop and the create.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        apply(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        apply(manager, false).await
    }
}
