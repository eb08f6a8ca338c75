//! What refers to a record, and what deleting it does to those records: the
//! dependents of each kind of record, finding them, the statements that
//! detach them (unlink, reparent, clear), and deleting the record itself.
//! The delete mutations' docs describe the same in words.

use super::links::{self, LinkSpec};
use crate::domain::kinds::Kind;
use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr};

/// How dependents refer to a record.
#[derive(Clone, Copy)]
enum Via {
    /// A column of the dependent's own table (any of these) holds the
    /// record's id.
    Columns(&'static [&'static str]),
    /// A link table pairs the dependent (its owner) with the record (its
    /// target).
    Link(&'static LinkSpec),
    /// A link table pairs a step of a partnership's status history (its
    /// owner) with the record: the dependent is the step's partnership.
    StepLink(&'static LinkSpec),
}

/// What a cascade does to one kind of dependent.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cascade {
    /// Deletes the dependent too (with its own cascade).
    Delete,
    /// Takes the deleted record off the dependent's list (its link rows).
    Unlink,
    /// Moves subtopics up to the deleted topic's parent.
    Reparent,
    /// Clears the dependent's reference to the deleted record.
    Clear,
    /// Never blocks: the database clears the reference by itself
    /// (`ON DELETE SET NULL`); the dependent's change is recorded.
    Cleared,
}

/// Records of one kind that refer to a record, and what a cascade does to
/// them.
pub struct Dependent {
    /// What they are, for messages ("visits", "protocols as a party").
    pub label: &'static str,
    pub kind: Kind,
    via: Via,
    pub cascade: Cascade,
}

impl Dependent {
    /// Whether such dependents keep a plain delete (without `cascade`)
    /// from happening.
    pub fn blocks(&self) -> bool {
        self.cascade != Cascade::Cleared
    }
}

const fn columns(
    label: &'static str,
    kind: Kind,
    columns: &'static [&'static str],
    cascade: Cascade,
) -> Dependent {
    Dependent {
        label,
        kind,
        via: Via::Columns(columns),
        cascade,
    }
}

const fn linked(label: &'static str, kind: Kind, link: &'static LinkSpec) -> Dependent {
    Dependent {
        label,
        kind,
        via: Via::Link(link),
        cascade: Cascade::Unlink,
    }
}

static CITY: [Dependent; 6] = [
    columns(
        "partnerships",
        Kind::Partnership,
        &["city_a_id", "city_b_id"],
        Cascade::Delete,
    ),
    columns(
        "visits",
        Kind::Visit,
        &["from_city_id", "to_city_id"],
        Cascade::Delete,
    ),
    columns(
        "hosted events",
        Kind::Event,
        &["host_city_id"],
        Cascade::Delete,
    ),
    columns(
        "organizations",
        Kind::Organization,
        &["city_id"],
        Cascade::Delete,
    ),
    Dependent {
        cascade: Cascade::Delete,
        ..linked(
            "protocols as a party",
            Kind::Protocol,
            &links::PROTOCOL_PARTIES,
        )
    },
    columns(
        "protocols signed there",
        Kind::Protocol,
        &["signed_in_id"],
        Cascade::Clear,
    ),
];

static TOPIC: [Dependent; 5] = [
    columns("subtopics", Kind::Topic, &["parent_id"], Cascade::Reparent),
    linked(
        "partnerships",
        Kind::Partnership,
        &links::PARTNERSHIP_TOPICS,
    ),
    linked("events", Kind::Event, &links::EVENT_TOPICS),
    linked("visits", Kind::Visit, &links::VISIT_TOPICS),
    linked("protocols", Kind::Protocol, &links::PROTOCOL_TOPICS),
];

// Not only the sources a record lists: a step of a partnership's status
// history cites sources too, and losing one silently would change the
// partnership without a trace in its history.
static SOURCE: [Dependent; 7] = [
    linked("cities", Kind::City, &links::CITY_SOURCES),
    linked(
        "organizations",
        Kind::Organization,
        &links::ORGANIZATION_SOURCES,
    ),
    linked(
        "partnerships",
        Kind::Partnership,
        &links::PARTNERSHIP_SOURCES,
    ),
    Dependent {
        via: Via::StepLink(&links::STATUS_CHANGE_SOURCES),
        ..linked(
            "partnerships' status steps",
            Kind::Partnership,
            &links::STATUS_CHANGE_SOURCES,
        )
    },
    linked("events", Kind::Event, &links::EVENT_SOURCES),
    linked("visits", Kind::Visit, &links::VISIT_SOURCES),
    linked("protocols", Kind::Protocol, &links::PROTOCOL_SOURCES),
];

static ORGANIZATION: [Dependent; 1] = [linked("visits", Kind::Visit, &links::VISIT_ORGANIZATIONS)];

static EVENT: [Dependent; 2] = [
    linked("visits", Kind::Visit, &links::VISIT_EVENTS),
    columns("protocols", Kind::Protocol, &["event_id"], Cascade::Cleared),
];

static PARTNERSHIP: [Dependent; 2] = [
    columns("visits", Kind::Visit, &["partnership_id"], Cascade::Cleared),
    columns(
        "protocols",
        Kind::Protocol,
        &["partnership_id"],
        Cascade::Cleared,
    ),
];

static VISIT: [Dependent; 1] = [columns(
    "protocols",
    Kind::Protocol,
    &["visit_id"],
    Cascade::Cleared,
)];

/// The dependents of each kind of record.
pub fn dependents(kind: Kind) -> &'static [Dependent] {
    match kind {
        Kind::City => &CITY,
        Kind::Topic => &TOPIC,
        Kind::Source => &SOURCE,
        Kind::Organization => &ORGANIZATION,
        Kind::Event => &EVENT,
        Kind::Partnership => &PARTNERSHIP,
        Kind::Visit => &VISIT,
        Kind::Protocol => &[],
    }
}

/// `(id, key)` of the records of one dependent entry that refer to the
/// record `id`, by key.
pub async fn find_dependents(
    db: &impl ConnectionTrait,
    dependent: &Dependent,
    id: i32,
) -> Result<Vec<(i32, String)>, DbErr> {
    super::lookup::pairs(db, &select_dependents(dependent, id)).await
}

/// `SELECT x.id, x.key FROM <dependent's table> x WHERE <refers to id> ORDER BY x.key`.
fn select_dependents(dependent: &Dependent, id: i32) -> SelectStatement {
    let x = Alias::new("x");
    let column = |name: &str| Expr::col((x.clone(), Alias::new(name)));
    let refers = match dependent.via {
        Via::Columns([single]) => column(single).eq(id),
        Via::Columns(any) => Expr::val(id).is_in(any.iter().map(|name| column(name))),
        Via::Link(link) => column("id").in_subquery(owners(link, id)),
        Via::StepLink(link) => column("id").in_subquery(
            Query::select()
                .column(Alias::new("partnership_id"))
                .from(Alias::new("partnership_status_change"))
                .and_where(Expr::col(Alias::new("id")).in_subquery(owners(link, id)))
                .to_owned(),
        ),
    };
    Query::select()
        .expr(column("id"))
        .expr(column("key"))
        .from_as(Alias::new(dependent.kind.table()), x.clone())
        .and_where(refers)
        .order_by((x, Alias::new("key")), Order::Asc)
        .to_owned()
}

/// `SELECT <owner> FROM <link table> WHERE <target> = id`.
fn owners(link: &LinkSpec, id: i32) -> SelectStatement {
    Query::select()
        .column(Alias::new(link.owner_column))
        .from(Alias::new(link.table))
        .and_where(Expr::col(Alias::new(link.target_column)).eq(id))
        .to_owned()
}

/// Detaches the dependents of one entry from the record `id` as its cascade
/// says, before the record goes: unlinks them, moves subtopics up, or
/// clears the reference. Nothing for dependents deleted or cleared by the
/// database.
pub async fn detach_dependents(
    db: &impl ConnectionTrait,
    dependent: &Dependent,
    id: i32,
) -> Result<(), DbErr> {
    match (dependent.cascade, dependent.via) {
        (Cascade::Unlink, Via::Link(link) | Via::StepLink(link)) => {
            let unlink = Query::delete()
                .from_table(Alias::new(link.table))
                .and_where(Expr::col(Alias::new(link.target_column)).eq(id))
                .to_owned();
            db.execute(&unlink).await?;
        }
        (Cascade::Reparent, Via::Columns(&[parent])) => {
            let grandparent = Query::select()
                .column(Alias::new(parent))
                .from(Alias::new(dependent.kind.table()))
                .and_where(Expr::col(Alias::new("id")).eq(id))
                .to_owned();
            let reparent = Query::update()
                .table(Alias::new(dependent.kind.table()))
                .value(Alias::new(parent), grandparent)
                .and_where(Expr::col(Alias::new(parent)).eq(id))
                .to_owned();
            db.execute(&reparent).await?;
        }
        (Cascade::Clear, Via::Columns(&[reference])) => {
            let clear = Query::update()
                .table(Alias::new(dependent.kind.table()))
                .value(Alias::new(reference), Expr::null())
                .and_where(Expr::col(Alias::new(reference)).eq(id))
                .to_owned();
            db.execute(&clear).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Deletes the record `id` of `kind` and its search entry.
pub async fn delete_record(db: &impl ConnectionTrait, kind: Kind, id: i32) -> Result<(), DbErr> {
    let delete = Query::delete()
        .from_table(Alias::new(kind.table()))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    db.execute(&delete).await?;
    super::search_index::remove(db, kind, id).await
}

/// Marks a record a cascade changed as changed `now`.
pub async fn touch(
    db: &impl ConnectionTrait,
    kind: Kind,
    id: i32,
    now: DateTimeUtc,
) -> Result<(), DbErr> {
    let stamp = Query::update()
        .table(Alias::new(kind.table()))
        .value(Alias::new("updated_at"), now)
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    db.execute(&stamp).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::SqliteQueryBuilder;

    #[test]
    fn dependents_are_found_by_a_column_either_column_or_a_link_table() {
        let sql = |kind: Kind, label: &str| {
            let dependent = dependents(kind).iter().find(|d| d.label == label);
            dependent.map(|d| select_dependents(d, 7).to_string(SqliteQueryBuilder))
        };
        let head = r#"SELECT "x"."id", "x"."key" FROM"#;
        assert_eq!(
            sql(Kind::City, "hosted events").as_deref(),
            Some(
                format!(
                    r#"{head} "event" AS "x" WHERE "x"."host_city_id" = 7 ORDER BY "x"."key" ASC"#
                )
                .as_str()
            )
        );
        assert_eq!(
            sql(Kind::City, "partnerships").as_deref(),
            Some(format!(r#"{head} "partnership" AS "x" WHERE 7 IN ("x"."city_a_id", "x"."city_b_id") ORDER BY "x"."key" ASC"#).as_str())
        );
        assert_eq!(
            sql(Kind::City, "protocols as a party").as_deref(),
            Some(format!(r#"{head} "protocol" AS "x" WHERE "x"."id" IN (SELECT "protocol_id" FROM "protocol_party" WHERE "city_id" = 7) ORDER BY "x"."key" ASC"#).as_str())
        );
    }
}
