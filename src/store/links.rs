//! The link tables as data: one [`LinkSpec`] per list field of a record, and
//! the few statements that read and write any of them.

use super::CHUNK;
use crate::domain::kinds::Kind;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::HashMap;

/// A list field stored in a link table: `visits[].topics` is `visit_topic`.
#[derive(Debug)]
pub struct LinkSpec {
    pub table: &'static str,
    pub owner_column: &'static str,
    pub target_column: &'static str,
    pub target: Kind,
    /// Whether the list keeps its order (a `position` column), like the
    /// parties of a protocol; other lists are sets, exported sorted.
    pub ordered: bool,
}

macro_rules! link {
    ($name:ident, $table:literal, $owner:literal, $target_column:literal, $target:ident) => {
        link!($name, $table, $owner, $target_column, $target, false);
    };
    ($name:ident, $table:literal, $owner:literal, $target_column:literal, $target:ident, $ordered:literal) => {
        pub static $name: LinkSpec = LinkSpec {
            table: $table,
            owner_column: $owner,
            target_column: $target_column,
            target: Kind::$target,
            ordered: $ordered,
        };
    };
}

link!(CITY_SOURCES, "city_source", "city_id", "source_id", Source);
link!(
    ORGANIZATION_SOURCES,
    "organization_source",
    "organization_id",
    "source_id",
    Source
);
link!(
    PARTNERSHIP_TOPICS,
    "partnership_topic",
    "partnership_id",
    "topic_id",
    Topic
);
link!(
    PARTNERSHIP_SOURCES,
    "partnership_source",
    "partnership_id",
    "source_id",
    Source
);
link!(EVENT_TOPICS, "event_topic", "event_id", "topic_id", Topic);
link!(
    EVENT_SOURCES,
    "event_source",
    "event_id",
    "source_id",
    Source
);
link!(VISIT_TOPICS, "visit_topic", "visit_id", "topic_id", Topic);
link!(VISIT_EVENTS, "visit_event", "visit_id", "event_id", Event);
link!(
    VISIT_ORGANIZATIONS,
    "visit_organization",
    "visit_id",
    "organization_id",
    Organization
);
link!(
    VISIT_SOURCES,
    "visit_source",
    "visit_id",
    "source_id",
    Source
);
link!(
    PROTOCOL_PARTIES,
    "protocol_party",
    "protocol_id",
    "city_id",
    City,
    true
);
link!(
    PROTOCOL_TOPICS,
    "protocol_topic",
    "protocol_id",
    "topic_id",
    Topic
);
link!(
    PROTOCOL_SOURCES,
    "protocol_source",
    "protocol_id",
    "source_id",
    Source
);

link!(
    STATUS_CHANGE_SOURCES,
    "partnership_status_change_source",
    "status_change_id",
    "source_id",
    Source
);

/// Target ids per owner id, in list order.
pub type LinkMap = HashMap<i32, Vec<i32>>;

/// The link maps of a kind of record, by link table name.
pub type LinkMaps = HashMap<&'static str, LinkMap>;

/// Reads the link tables of `specs`, for the given owners or (with `None`)
/// for all.
pub async fn find_link_maps(
    db: &impl ConnectionTrait,
    specs: &[&'static LinkSpec],
    owners: Option<&[i32]>,
) -> Result<LinkMaps, DbErr> {
    let mut maps = LinkMaps::new();
    for spec in specs {
        maps.insert(spec.table, find_links(db, spec, owners).await?);
    }
    Ok(maps)
}

/// Reads a link table, for the given owners or (with `None`) for all.
pub async fn find_links(
    db: &impl ConnectionTrait,
    spec: &LinkSpec,
    owners: Option<&[i32]>,
) -> Result<LinkMap, DbErr> {
    let mut links = LinkMap::new();
    let chunks: Vec<Option<&[i32]>> = match owners {
        Some(ids) => ids.chunks(CHUNK).map(Some).collect(),
        None => vec![None],
    };
    for chunk in chunks {
        let mut select = Query::select();
        select
            .columns([
                Alias::new(spec.owner_column),
                Alias::new(spec.target_column),
            ])
            .from(Alias::new(spec.table));
        if let Some(ids) = chunk {
            select.and_where(Expr::col(Alias::new(spec.owner_column)).is_in(ids.iter().copied()));
        }
        if spec.ordered {
            select.order_by(Alias::new("position"), Order::Asc);
        }
        for row in db.query_all(&select).await? {
            let owner: i32 = row.try_get_by_index(0)?;
            links
                .entry(owner)
                .or_default()
                .push(row.try_get_by_index(1)?);
        }
    }
    Ok(links)
}

/// Removes every link of the given owners.
pub async fn delete_links(
    db: &impl ConnectionTrait,
    spec: &LinkSpec,
    owners: &[i32],
) -> Result<(), DbErr> {
    for chunk in owners.chunks(CHUNK) {
        let delete = Query::delete()
            .from_table(Alias::new(spec.table))
            .and_where(Expr::col(Alias::new(spec.owner_column)).is_in(chunk.iter().copied()))
            .to_owned();
        db.execute(&delete).await?;
    }
    Ok(())
}

/// Inserts links, `(owner, targets in order)` each.
pub async fn insert_links(
    db: &impl ConnectionTrait,
    spec: &LinkSpec,
    links: &[(i32, Vec<i32>)],
) -> Result<(), DbErr> {
    let rows: Vec<(i32, i32, i16)> = links
        .iter()
        .flat_map(|(owner, targets)| {
            targets.iter().enumerate().map(move |(position, target)| {
                (*owner, *target, i16::try_from(position).unwrap_or(i16::MAX))
            })
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(spec.table));
        if spec.ordered {
            insert.columns([
                Alias::new(spec.owner_column),
                Alias::new(spec.target_column),
                Alias::new("position"),
            ]);
            for (owner, target, position) in chunk {
                insert
                    .values([(*owner).into(), (*target).into(), (*position).into()])
                    .map_err(super::built)?;
            }
        } else {
            insert.columns([
                Alias::new(spec.owner_column),
                Alias::new(spec.target_column),
            ]);
            for (owner, target, _) in chunk {
                insert
                    .values([(*owner).into(), (*target).into()])
                    .map_err(super::built)?;
            }
        }
        db.execute(&insert).await?;
    }
    Ok(())
}
