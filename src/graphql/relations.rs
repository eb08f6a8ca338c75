//! Every nested list as an edge subquery: `(parent, child)` id pairs for the
//! parents bound at `{parents}`. The loaders join it to the child table and
//! page all parents in one statement.

use super::page::Relation;

macro_rules! relation {
    ($name:ident, $edge:expr) => {
        pub static $name: Relation = Relation {
            name: stringify!($name),
            edge: $edge,
        };
    };
}

/// A parent's children through a column of the child table.
macro_rules! by_column {
    ($name:ident, $table:literal, $column:literal) => {
        relation!(
            $name,
            concat!(
                "SELECT ",
                $column,
                " AS parent, id AS child FROM ",
                $table,
                " WHERE ",
                $column,
                " IN ({parents})"
            )
        );
    };
}

/// A parent's children through a link table.
macro_rules! by_link {
    ($name:ident, $table:literal, $parent:literal, $child:literal) => {
        relation!(
            $name,
            concat!(
                "SELECT ",
                $parent,
                " AS parent, ",
                $child,
                " AS child FROM ",
                $table,
                " WHERE ",
                $parent,
                " IN ({parents})"
            )
        );
    };
}

/// Records tagged with a topic or any of its descendants, through a link table.
macro_rules! by_topic_tree {
    ($name:ident, $table:literal, $child:literal) => {
        relation!(
            $name,
            concat!(
                "SELECT DISTINCT d.root AS parent, l.",
                $child,
                " AS child FROM (WITH RECURSIVE d(root, id) AS (SELECT id, id FROM topic WHERE id IN ({parents}) \
                 UNION ALL SELECT d.root, c.id FROM topic c JOIN d ON c.parent_id = d.id) SELECT root, id FROM d) d \
                 JOIN ",
                $table,
                " l ON l.topic_id = d.id"
            )
        );
    };
}

relation!(
    CITY_PARTNERSHIPS,
    "SELECT city_a_id AS parent, id AS child FROM partnership WHERE city_a_id IN ({parents}) \
     UNION ALL SELECT city_b_id AS parent, id AS child FROM partnership WHERE city_b_id IN ({parents})"
);
by_column!(CITY_VISITS_MADE, "visit", "from_city_id");
by_column!(CITY_VISITS_RECEIVED, "visit", "to_city_id");
by_column!(CITY_HOSTED_EVENTS, "event", "host_city_id");
by_column!(CITY_ORGANIZATIONS, "organization", "city_id");
by_link!(CITY_PROTOCOLS, "protocol_party", "city_id", "protocol_id");
by_link!(CITY_SOURCES, "city_source", "city_id", "source_id");

by_column!(PARTNERSHIP_VISITS, "visit", "partnership_id");
by_column!(PARTNERSHIP_PROTOCOLS, "protocol", "partnership_id");
by_column!(
    PARTNERSHIP_STATUS_HISTORY,
    "partnership_status_change",
    "partnership_id"
);
by_link!(
    PARTNERSHIP_TOPICS,
    "partnership_topic",
    "partnership_id",
    "topic_id"
);
by_link!(
    PARTNERSHIP_SOURCES,
    "partnership_source",
    "partnership_id",
    "source_id"
);

by_link!(VISIT_TOPICS, "visit_topic", "visit_id", "topic_id");
by_link!(VISIT_EVENTS, "visit_event", "visit_id", "event_id");
by_link!(
    VISIT_ORGANIZATIONS,
    "visit_organization",
    "visit_id",
    "organization_id"
);
by_column!(VISIT_PROTOCOLS, "protocol", "visit_id");
by_link!(VISIT_SOURCES, "visit_source", "visit_id", "source_id");

by_link!(PROTOCOL_TOPICS, "protocol_topic", "protocol_id", "topic_id");
by_link!(
    PROTOCOL_SOURCES,
    "protocol_source",
    "protocol_id",
    "source_id"
);

by_link!(EVENT_VISITS, "visit_event", "event_id", "visit_id");
by_column!(EVENT_PROTOCOLS, "protocol", "event_id");
by_link!(EVENT_TOPICS, "event_topic", "event_id", "topic_id");
by_link!(EVENT_SOURCES, "event_source", "event_id", "source_id");

by_column!(TOPIC_CHILDREN, "topic", "parent_id");
relation!(
    TOPIC_DESCENDANTS,
    "SELECT d.root AS parent, d.id AS child FROM (WITH RECURSIVE d(root, id) AS (SELECT id, id FROM topic WHERE id IN ({parents}) \
     UNION ALL SELECT d.root, c.id FROM topic c JOIN d ON c.parent_id = d.id) SELECT root, id FROM d) d WHERE d.id <> d.root"
);
by_topic_tree!(TOPIC_VISITS, "visit_topic", "visit_id");
by_topic_tree!(TOPIC_PARTNERSHIPS, "partnership_topic", "partnership_id");
by_topic_tree!(TOPIC_PROTOCOLS, "protocol_topic", "protocol_id");
by_topic_tree!(TOPIC_EVENTS, "event_topic", "event_id");

by_link!(
    ORGANIZATION_VISITS,
    "visit_organization",
    "organization_id",
    "visit_id"
);
by_link!(
    ORGANIZATION_SOURCES,
    "organization_source",
    "organization_id",
    "source_id"
);

by_link!(SOURCE_CITIES, "city_source", "source_id", "city_id");
by_link!(
    SOURCE_PARTNERSHIPS,
    "partnership_source",
    "source_id",
    "partnership_id"
);
by_link!(SOURCE_VISITS, "visit_source", "source_id", "visit_id");
by_link!(
    SOURCE_PROTOCOLS,
    "protocol_source",
    "source_id",
    "protocol_id"
);
by_link!(SOURCE_EVENTS, "event_source", "source_id", "event_id");
by_link!(
    SOURCE_ORGANIZATIONS,
    "organization_source",
    "source_id",
    "organization_id"
);
