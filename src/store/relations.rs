//! Every nested list: how a parent's children are found. Most children hold
//! their parent's id in a column of their own table; the rest are reached
//! through `(parent, child)` id pairs (link tables, the topic tree). The
//! loaders page all parents of a list in one statement.

/// A nested list: which rows of the child table `table` belong to a parent.
pub struct Relation {
    pub name: &'static str,
    pub table: &'static str,
    pub link: Link,
}

/// How a parent finds its children.
#[derive(Clone, Copy)]
pub enum Link {
    /// The child table holds the parent's id in one of these columns.
    Columns(&'static [&'static str]),
    /// `(parent, child)` id pairs for given parents: SQL that selects
    /// columns named `parent` and `child`, with `{parents}` where the parent
    /// ids go.
    Edge(&'static str),
}

/// A relation found through `(parent, child)` id pairs: SQL selecting
/// columns named `parent` and `child`, with `{parents}` where the parent ids
/// go.
macro_rules! relation {
    ($name:ident, $table:literal, $edge:expr) => {
        pub static $name: Relation = Relation {
            name: stringify!($name),
            table: $table,
            link: Link::Edge($edge),
        };
    };
}

/// A parent's children through a column of the child table.
macro_rules! by_column {
    ($name:ident, $table:literal, $column:literal) => {
        pub static $name: Relation = Relation {
            name: stringify!($name),
            table: $table,
            link: Link::Columns(&[$column]),
        };
    };
}

/// A parent's children through a link table.
macro_rules! by_link {
    ($name:ident, $table:literal, $link:literal, $parent:literal, $child:literal) => {
        relation!(
            $name,
            $table,
            concat!(
                "SELECT ",
                $parent,
                " AS parent, ",
                $child,
                " AS child FROM ",
                $link,
                " WHERE ",
                $parent,
                " IN ({parents})"
            )
        );
    };
}

/// Records tagged with a topic or any of its descendants, through a link table.
macro_rules! by_topic_tree {
    ($name:ident, $table:literal, $link:literal, $child:literal) => {
        relation!(
            $name,
            $table,
            concat!(
                "SELECT DISTINCT d.root AS parent, l.",
                $child,
                " AS child FROM (WITH RECURSIVE d(root, id) AS (SELECT id, id FROM topic WHERE id IN ({parents}) \
                 UNION ALL SELECT d.root, c.id FROM topic c JOIN d ON c.parent_id = d.id) SELECT root, id FROM d) d \
                 JOIN ",
                $link,
                " l ON l.topic_id = d.id"
            )
        );
    };
}

/// A partnership is a child of both its cities.
pub static CITY_PARTNERSHIPS: Relation = Relation {
    name: "CITY_PARTNERSHIPS",
    table: "partnership",
    link: Link::Columns(&["city_a_id", "city_b_id"]),
};
by_column!(CITY_VISITS_MADE, "visit", "from_city_id");
by_column!(CITY_VISITS_RECEIVED, "visit", "to_city_id");
by_column!(CITY_HOSTED_EVENTS, "event", "host_city_id");
by_column!(CITY_ORGANIZATIONS, "organization", "city_id");
by_link!(
    CITY_PROTOCOLS,
    "protocol",
    "protocol_party",
    "city_id",
    "protocol_id"
);
by_link!(
    CITY_SOURCES,
    "source",
    "city_source",
    "city_id",
    "source_id"
);

by_column!(PARTNERSHIP_VISITS, "visit", "partnership_id");
by_column!(PARTNERSHIP_PROTOCOLS, "protocol", "partnership_id");
by_column!(
    PARTNERSHIP_STATUS_HISTORY,
    "partnership_status_change",
    "partnership_id"
);
by_link!(
    PARTNERSHIP_TOPICS,
    "topic",
    "partnership_topic",
    "partnership_id",
    "topic_id"
);
by_link!(
    PARTNERSHIP_SOURCES,
    "source",
    "partnership_source",
    "partnership_id",
    "source_id"
);

by_link!(VISIT_TOPICS, "topic", "visit_topic", "visit_id", "topic_id");
by_link!(VISIT_EVENTS, "event", "visit_event", "visit_id", "event_id");
by_link!(
    VISIT_ORGANIZATIONS,
    "organization",
    "visit_organization",
    "visit_id",
    "organization_id"
);
by_column!(VISIT_PROTOCOLS, "protocol", "visit_id");
by_link!(
    VISIT_SOURCES,
    "source",
    "visit_source",
    "visit_id",
    "source_id"
);

by_link!(
    PROTOCOL_TOPICS,
    "topic",
    "protocol_topic",
    "protocol_id",
    "topic_id"
);
by_link!(
    PROTOCOL_SOURCES,
    "source",
    "protocol_source",
    "protocol_id",
    "source_id"
);

by_link!(EVENT_VISITS, "visit", "visit_event", "event_id", "visit_id");
by_column!(EVENT_PROTOCOLS, "protocol", "event_id");
by_link!(EVENT_TOPICS, "topic", "event_topic", "event_id", "topic_id");
by_link!(
    EVENT_SOURCES,
    "source",
    "event_source",
    "event_id",
    "source_id"
);

by_column!(TOPIC_CHILDREN, "topic", "parent_id");
relation!(
    TOPIC_DESCENDANTS,
    "topic",
    "SELECT d.root AS parent, d.id AS child FROM (WITH RECURSIVE d(root, id) AS (SELECT id, id FROM topic WHERE id IN ({parents}) \
     UNION ALL SELECT d.root, c.id FROM topic c JOIN d ON c.parent_id = d.id) SELECT root, id FROM d) d WHERE d.id <> d.root"
);
by_topic_tree!(TOPIC_VISITS, "visit", "visit_topic", "visit_id");
by_topic_tree!(
    TOPIC_PARTNERSHIPS,
    "partnership",
    "partnership_topic",
    "partnership_id"
);
by_topic_tree!(TOPIC_PROTOCOLS, "protocol", "protocol_topic", "protocol_id");
by_topic_tree!(TOPIC_EVENTS, "event", "event_topic", "event_id");

by_link!(
    ORGANIZATION_VISITS,
    "visit",
    "visit_organization",
    "organization_id",
    "visit_id"
);
by_link!(
    ORGANIZATION_SOURCES,
    "source",
    "organization_source",
    "organization_id",
    "source_id"
);

by_link!(SOURCE_CITIES, "city", "city_source", "source_id", "city_id");
by_link!(
    SOURCE_PARTNERSHIPS,
    "partnership",
    "partnership_source",
    "source_id",
    "partnership_id"
);
by_link!(
    SOURCE_VISITS,
    "visit",
    "visit_source",
    "source_id",
    "visit_id"
);
by_link!(
    SOURCE_PROTOCOLS,
    "protocol",
    "protocol_source",
    "source_id",
    "protocol_id"
);
by_link!(
    SOURCE_EVENTS,
    "event",
    "event_source",
    "source_id",
    "event_id"
);
by_link!(
    SOURCE_ORGANIZATIONS,
    "organization",
    "organization_source",
    "source_id",
    "organization_id"
);
