//! Every nested list: how a parent's children are found. Most children hold
//! their parent's id in a column of their own table; the rest are reached
//! through `(parent, child)` id pairs (link tables, the topic tree, the
//! change history). [`super::nested`] pages all parents of a list in one
//! statement.
//!
//! Over 400 lines: one entry per relation of the schema, a few lines each,
//! kept in one table so that they stay alike.

use super::changes::ChangeRow;
use super::record::Record;
use super::topic_tree::subtree_pairs;
use crate::domain::kinds::Kind;
use entity::{city, event, organization, partnership, partnership_status_change, protocol};
use entity::{source, topic, visit};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement, UnionType};

/// A nested list: which rows are a parent's children.
pub struct Relation {
    /// Names the relation in loader keys and messages.
    pub name: &'static str,
    /// Adds the children's rows to a `FROM`, as `t`.
    pub rows: fn(&mut SelectStatement),
    pub link: Link,
}

/// How a parent finds its children.
#[derive(Clone, Copy)]
pub enum Link {
    /// The child table holds the parent's id in one of these columns.
    Columns(&'static [&'static str]),
    /// `(parent, child)` id pairs for given parents: a statement selecting
    /// columns named `parent` and `child`.
    Pairs(fn(&[i32]) -> SelectStatement),
}

/// The pairs of a link table for some parents.
fn link_pairs(
    link: &'static str,
    parent: &'static str,
    child: &'static str,
    parents: &[i32],
) -> SelectStatement {
    Query::select()
        .expr_as(Expr::col(parent), Alias::new("parent"))
        .expr_as(Expr::col(child), Alias::new("child"))
        .from(link)
        .and_where(Expr::col(parent).is_in(parents.iter().copied()))
        .to_owned()
}

/// Records tagged (through `link`) with a topic or one of its descendants,
/// paired with the topic.
fn tagged_pairs(link: &'static str, child: &'static str, parents: &[i32]) -> SelectStatement {
    Query::select()
        .distinct()
        .expr_as(Expr::col(("d", "root")), Alias::new("parent"))
        .expr_as(Expr::col(("l", child)), Alias::new("child"))
        .from_subquery(
            subtree_pairs(
                Condition::all().add(Expr::col(topic::Column::Id).is_in(parents.iter().copied())),
            ),
            "d",
        )
        .inner_join(
            Alias::new(link).into_table_ref_as("l"),
            Expr::col(("l", "topic_id")).equals(("d", "id")),
        )
        .to_owned()
}

/// Table-to-alias helper for joins.
trait AsAlias {
    fn into_table_ref_as(self, alias: &'static str) -> sea_orm::sea_query::TableRef;
}

impl AsAlias for Alias {
    fn into_table_ref_as(self, alias: &'static str) -> sea_orm::sea_query::TableRef {
        use sea_orm::sea_query::IntoTableRef;
        self.into_table_ref().alias(alias)
    }
}

/// A parent's children through a column of the child table.
macro_rules! by_column {
    ($name:ident, $model:ty, $column:literal) => {
        pub static $name: Relation = Relation {
            name: stringify!($name),
            rows: <$model as Record>::from_rows,
            link: Link::Columns(&[$column]),
        };
    };
}

/// A parent's children through a link table.
macro_rules! by_link {
    ($name:ident, $model:ty, $link:literal, $parent:literal, $child:literal) => {
        pub static $name: Relation = Relation {
            name: stringify!($name),
            rows: <$model as Record>::from_rows,
            link: Link::Pairs(|parents| link_pairs($link, $parent, $child, parents)),
        };
    };
}

/// Records tagged with a topic or any of its descendants, through a link
/// table.
macro_rules! by_topic_tree {
    ($name:ident, $model:ty, $link:literal, $child:literal) => {
        pub static $name: Relation = Relation {
            name: stringify!($name),
            rows: <$model as Record>::from_rows,
            link: Link::Pairs(|parents| tagged_pairs($link, $child, parents)),
        };
    };
}

/// A partnership is a child of both its cities.
pub static CITY_PARTNERSHIPS: Relation = Relation {
    name: "CITY_PARTNERSHIPS",
    rows: <partnership::Model as Record>::from_rows,
    link: Link::Columns(&["city_a_id", "city_b_id"]),
};
by_column!(CITY_VISITS_MADE, visit::Model, "from_city_id");
by_column!(CITY_VISITS_RECEIVED, visit::Model, "to_city_id");
by_column!(CITY_HOSTED_EVENTS, event::Model, "host_city_id");
by_column!(CITY_ORGANIZATIONS, organization::Model, "city_id");
by_link!(
    CITY_PROTOCOLS,
    protocol::Model,
    "protocol_party",
    "city_id",
    "protocol_id"
);
by_link!(
    CITY_SOURCES,
    source::Model,
    "city_source",
    "city_id",
    "source_id"
);

by_column!(PARTNERSHIP_VISITS, visit::Model, "partnership_id");
by_column!(PARTNERSHIP_PROTOCOLS, protocol::Model, "partnership_id");
by_column!(
    PARTNERSHIP_STATUS_HISTORY,
    partnership_status_change::Model,
    "partnership_id"
);
by_link!(
    STATUS_CHANGE_SOURCES,
    source::Model,
    "partnership_status_change_source",
    "status_change_id",
    "source_id"
);
by_link!(
    PARTNERSHIP_TOPICS,
    topic::Model,
    "partnership_topic",
    "partnership_id",
    "topic_id"
);
by_link!(
    PARTNERSHIP_SOURCES,
    source::Model,
    "partnership_source",
    "partnership_id",
    "source_id"
);

/// The events a partnership's visits attended or its protocols were signed
/// at, each once.
pub static PARTNERSHIP_EVENTS: Relation = Relation {
    name: "PARTNERSHIP_EVENTS",
    rows: <event::Model as Record>::from_rows,
    link: Link::Pairs(partnership_event_pairs),
};

fn partnership_event_pairs(parents: &[i32]) -> SelectStatement {
    let attended = Query::select()
        .distinct()
        .expr_as(
            Expr::col(("v", visit::Column::PartnershipId)),
            Alias::new("parent"),
        )
        .expr_as(Expr::col(("l", "event_id")), Alias::new("child"))
        .from_as(visit::Entity, "v")
        .inner_join(
            Alias::new("visit_event").into_table_ref_as("l"),
            Expr::col(("l", "visit_id")).equals(("v", visit::Column::Id)),
        )
        .and_where(Expr::col(("v", visit::Column::PartnershipId)).is_in(parents.iter().copied()))
        .to_owned();
    let signed_at = Query::select()
        .expr_as(
            Expr::col(("p", protocol::Column::PartnershipId)),
            Alias::new("parent"),
        )
        .expr_as(
            Expr::col(("p", protocol::Column::EventId)),
            Alias::new("child"),
        )
        .from_as(protocol::Entity, "p")
        .and_where(Expr::col(("p", protocol::Column::EventId)).is_not_null())
        .and_where(Expr::col(("p", protocol::Column::PartnershipId)).is_in(parents.iter().copied()))
        .to_owned();
    let mut pairs = attended;
    pairs.union(UnionType::Distinct, signed_at);
    pairs
}

by_link!(
    VISIT_TOPICS,
    topic::Model,
    "visit_topic",
    "visit_id",
    "topic_id"
);
by_link!(
    VISIT_EVENTS,
    event::Model,
    "visit_event",
    "visit_id",
    "event_id"
);
by_link!(
    VISIT_ORGANIZATIONS,
    organization::Model,
    "visit_organization",
    "visit_id",
    "organization_id"
);
by_column!(VISIT_PROTOCOLS, protocol::Model, "visit_id");
by_link!(
    VISIT_SOURCES,
    source::Model,
    "visit_source",
    "visit_id",
    "source_id"
);

by_link!(
    PROTOCOL_TOPICS,
    topic::Model,
    "protocol_topic",
    "protocol_id",
    "topic_id"
);
by_link!(
    PROTOCOL_SOURCES,
    source::Model,
    "protocol_source",
    "protocol_id",
    "source_id"
);

by_link!(
    EVENT_VISITS,
    visit::Model,
    "visit_event",
    "event_id",
    "visit_id"
);
by_column!(EVENT_PROTOCOLS, protocol::Model, "event_id");
by_link!(
    EVENT_TOPICS,
    topic::Model,
    "event_topic",
    "event_id",
    "topic_id"
);
by_link!(
    EVENT_SOURCES,
    source::Model,
    "event_source",
    "event_id",
    "source_id"
);

by_column!(TOPIC_CHILDREN, topic::Model, "parent_id");
/// Every topic below a topic, at any depth.
pub static TOPIC_DESCENDANTS: Relation = Relation {
    name: "TOPIC_DESCENDANTS",
    rows: <topic::Model as Record>::from_rows,
    link: Link::Pairs(|parents| {
        Query::select()
            .expr_as(Expr::col(("d", "root")), Alias::new("parent"))
            .expr_as(Expr::col(("d", "id")), Alias::new("child"))
            .from_subquery(
                subtree_pairs(
                    Condition::all()
                        .add(Expr::col(topic::Column::Id).is_in(parents.iter().copied())),
                ),
                "d",
            )
            .and_where(Expr::col(("d", "id")).ne(Expr::col(("d", "root"))))
            .to_owned()
    }),
};
by_topic_tree!(TOPIC_VISITS, visit::Model, "visit_topic", "visit_id");
by_topic_tree!(
    TOPIC_PARTNERSHIPS,
    partnership::Model,
    "partnership_topic",
    "partnership_id"
);
by_topic_tree!(
    TOPIC_PROTOCOLS,
    protocol::Model,
    "protocol_topic",
    "protocol_id"
);
by_topic_tree!(TOPIC_EVENTS, event::Model, "event_topic", "event_id");

by_link!(
    ORGANIZATION_VISITS,
    visit::Model,
    "visit_organization",
    "organization_id",
    "visit_id"
);
by_link!(
    ORGANIZATION_SOURCES,
    source::Model,
    "organization_source",
    "organization_id",
    "source_id"
);

by_link!(
    SOURCE_CITIES,
    city::Model,
    "city_source",
    "source_id",
    "city_id"
);
by_link!(
    SOURCE_PARTNERSHIPS,
    partnership::Model,
    "partnership_source",
    "source_id",
    "partnership_id"
);
by_link!(
    SOURCE_VISITS,
    visit::Model,
    "visit_source",
    "source_id",
    "visit_id"
);
by_link!(
    SOURCE_PROTOCOLS,
    protocol::Model,
    "protocol_source",
    "source_id",
    "protocol_id"
);
by_link!(
    SOURCE_EVENTS,
    event::Model,
    "event_source",
    "source_id",
    "event_id"
);
by_link!(
    SOURCE_ORGANIZATIONS,
    organization::Model,
    "organization_source",
    "source_id",
    "organization_id"
);

/// The changes of records of one kind, by their key.
fn history_pairs(kind: Kind, parents: &[i32]) -> SelectStatement {
    Query::select()
        .expr_as(Expr::col(("r", "id")), Alias::new("parent"))
        .expr_as(Expr::col(("c", "id")), Alias::new("child"))
        .from_as(kind.table(), "r")
        .inner_join(
            Alias::new("change").into_table_ref_as("c"),
            Expr::col(("c", "record_type"))
                .eq(kind.type_name())
                .and(Expr::col(("c", "record_key")).equals(("r", "key"))),
        )
        .and_where(Expr::col(("r", "id")).is_in(parents.iter().copied()))
        .to_owned()
}

/// The relation from records of a kind to their changes.
macro_rules! history {
    ($name:ident, $kind:ident) => {
        pub static $name: Relation = Relation {
            name: stringify!($name),
            rows: <ChangeRow as Record>::from_rows,
            link: Link::Pairs(|parents| history_pairs(Kind::$kind, parents)),
        };
    };
}

history!(CITY_HISTORY, City);
history!(PARTNERSHIP_HISTORY, Partnership);
history!(VISIT_HISTORY, Visit);
history!(PROTOCOL_HISTORY, Protocol);
history!(EVENT_HISTORY, Event);
history!(TOPIC_HISTORY, Topic);
history!(ORGANIZATION_HISTORY, Organization);
history!(SOURCE_HISTORY, Source);
