//! The triggers that keep `stat_count`, written for either backend: a
//! SQLite trigger runs its statements itself; on PostgreSQL a trigger
//! runs a function of the same name.

use super::{PARTNERSHIP, TOPICS, add, link_of, link_part, links_part, partnership_part, recount};
use sea_orm_migration::sea_orm::DbBackend;

/// One row trigger: `event` such as `AFTER INSERT`, an optional `WHEN`
/// condition, and the statements it runs.
pub(crate) struct Trigger {
    name: String,
    event: String,
    table: &'static str,
    when: Option<String>,
    /// PostgreSQL only: a statement trigger with these transition tables
    /// (`NEW TABLE AS rows`) instead of a row trigger.
    statement: Option<&'static str>,
    body: Vec<String>,
}

impl Trigger {
    /// A trigger (the later migrations that replace some of these make
    /// theirs with this).
    pub(crate) fn new(
        name: &str,
        event: &str,
        table: &'static str,
        when: Option<&str>,
        statement: Option<&'static str>,
        body: Vec<String>,
    ) -> Self {
        Trigger {
            name: name.into(),
            event: event.into(),
            table,
            when: when.map(Into::into),
            statement,
            body,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The same trigger, firing only when `condition` holds too.
    pub(crate) fn and_when(mut self, condition: &str) -> Self {
        self.when = Some(match self.when {
            Some(when) => format!("({when}) AND {condition}"),
            None => condition.into(),
        });
        self
    }

    pub(crate) fn create(&self, backend: DbBackend) -> Vec<String> {
        let Trigger {
            name, event, table, ..
        } = self;
        let body: String = self.body.iter().map(|s| format!("{s};\n")).collect();
        match backend {
            DbBackend::Postgres => {
                let when = self
                    .when
                    .as_ref()
                    .map(|w| format!("WHEN ({})", w.replace(" IS NOT ", " IS DISTINCT FROM ")))
                    .unwrap_or_default();
                vec![
                    format!(
                        "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                         BEGIN {body} RETURN NULL; END $$"
                    ),
                    match self.statement {
                        Some(rows) => format!(
                            "CREATE TRIGGER {name} {event} ON {table} REFERENCING {rows} \
                             FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                        ),
                        None => format!(
                            "CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW {when} \
                             EXECUTE FUNCTION {name}()"
                        ),
                    },
                ]
            }
            _ => {
                let when = self
                    .when
                    .as_ref()
                    .map(|w| format!("WHEN {w}"))
                    .unwrap_or_default();
                vec![format!(
                    "CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW {when} BEGIN {body} END"
                )]
            }
        }
    }

    /// PostgreSQL: the statement that replaces the trigger's function with
    /// one that runs `guard` first (a later migration's pause).
    pub(crate) fn replace_function(&self, guard: &str) -> String {
        let name = &self.name;
        let body: String = self.body.iter().map(|s| format!("{s};\n")).collect();
        format!(
            "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN {guard}{body} RETURN NULL; END $$"
        )
    }

    pub(crate) fn drop(&self, backend: DbBackend) -> Vec<String> {
        let name = &self.name;
        match backend {
            DbBackend::Postgres => vec![
                format!("DROP TRIGGER IF EXISTS {name} ON {}", self.table),
                format!("DROP FUNCTION IF EXISTS {name}()"),
            ],
            _ => vec![format!("DROP TRIGGER IF EXISTS {name}")],
        }
    }
}

/// Every trigger that keeps the counts.
pub(crate) fn triggers(backend: DbBackend) -> Vec<Trigger> {
    let partnership = |row: &str, sign| -> Vec<String> {
        PARTNERSHIP
            .iter()
            .map(|dim| add(backend, dim, &partnership_part(dim, row, sign)))
            .collect()
    };
    let mut all = vec![
        Trigger {
            name: "stat_partnership_insert".into(),
            event: "AFTER INSERT".into(),
            table: "partnership",
            when: None,
            statement: None,
            body: partnership("NEW", 1),
        },
        Trigger {
            name: "stat_partnership_delete".into(),
            event: "AFTER DELETE".into(),
            table: "partnership",
            when: None,
            statement: None,
            body: partnership("OLD", -1),
        },
        Trigger {
            name: "stat_partnership_update".into(),
            event: "AFTER UPDATE OF kind, status, established_on, city_a_id, city_b_id".into(),
            table: "partnership",
            when: Some(
                "OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status \
                 OR OLD.established_on IS NOT NEW.established_on \
                 OR OLD.city_a_id IS NOT NEW.city_a_id OR OLD.city_b_id IS NOT NEW.city_b_id"
                    .into(),
            ),
            statement: None,
            body: [partnership("OLD", -1), partnership("NEW", 1)].concat(),
        },
        // A city moving country moves its partnerships: the old country
        // loses those whose other city is elsewhere, the new one gains
        // those whose other city is not already there (a partnership of
        // the city with itself moves whole).
        Trigger {
            name: "stat_city_country".into(),
            event: "AFTER UPDATE OF country_code".into(),
            table: "city",
            when: Some("OLD.country_code IS NOT NEW.country_code".into()),
            statement: None,
            body: vec![add(
                backend,
                "partnership_country",
                "SELECT OLD.country_code AS k, -1 AS d FROM partnership p JOIN city o \
                 ON o.id = CASE WHEN p.city_a_id = NEW.id THEN p.city_b_id ELSE p.city_a_id END \
                 WHERE (p.city_a_id = NEW.id OR p.city_b_id = NEW.id) \
                 AND (o.id = NEW.id OR o.country_code <> OLD.country_code) \
                 UNION ALL SELECT NEW.country_code, 1 FROM partnership p JOIN city o \
                 ON o.id = CASE WHEN p.city_a_id = NEW.id THEN p.city_b_id ELSE p.city_a_id END \
                 WHERE (p.city_a_id = NEW.id OR p.city_b_id = NEW.id) \
                 AND (o.id = NEW.id OR o.country_code <> NEW.country_code)",
            )],
        },
    ];
    for dim in TOPICS {
        let (link, _) = link_of(dim);
        let postgres = backend == DbBackend::Postgres;
        for (op, inserted, row, sign, rows) in [
            ("insert", true, "NEW", 1, "NEW TABLE AS rows"),
            ("delete", false, "OLD", -1, "OLD TABLE AS rows"),
        ] {
            all.push(Trigger {
                name: format!("stat_{link}_{op}"),
                event: format!("AFTER {}", op.to_uppercase()),
                table: link,
                when: None,
                statement: postgres.then_some(rows),
                body: vec![add(
                    backend,
                    dim,
                    &if postgres {
                        links_part(dim, inserted)
                    } else {
                        link_part(dim, row, sign)
                    },
                )],
            });
        }
    }
    // Moving, renaming or deleting a topic is rare and can move many
    // records between subtrees: count the topic statistics anew.
    let recount_topics: Vec<String> = TOPICS
        .iter()
        .map(|dim| add(backend, dim, &recount(dim)))
        .collect();
    all.push(Trigger {
        name: "stat_topic_update".into(),
        event: "AFTER UPDATE OF parent_id, key".into(),
        table: "topic",
        when: Some("OLD.parent_id IS NOT NEW.parent_id OR OLD.key IS NOT NEW.key".into()),
        statement: None,
        body: recount_topics.clone(),
    });
    all.push(Trigger {
        name: "stat_topic_delete".into(),
        event: "AFTER DELETE".into(),
        table: "topic",
        when: None,
        statement: None,
        body: recount_topics,
    });
    all
}
