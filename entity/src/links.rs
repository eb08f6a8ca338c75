//! Link tables: pairs of record ids, one table per kind of link. Each module
//! is an entity of its own, with `Column::Owner`-style names spelled out.

/// Declares a link-table entity with two integer columns forming its key.
macro_rules! link_table {
    ($(#[$meta:meta])* $module:ident, $table:literal, $owner:ident, $target:ident) => {
        $(#[$meta])*
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub $owner: i32,
                #[sea_orm(primary_key, auto_increment = false)]
                pub $target: i32,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

link_table!(
    /// Topics a partnership covers.
    partnership_topic, "partnership_topic", partnership_id, topic_id
);
link_table!(
    /// Topics an event is about.
    event_topic, "event_topic", event_id, topic_id
);
link_table!(
    /// Topics a visit discussed.
    visit_topic, "visit_topic", visit_id, topic_id
);
link_table!(
    /// Events a visit attended.
    visit_event, "visit_event", visit_id, event_id
);
link_table!(
    /// Organizations that took part in a visit.
    visit_organization, "visit_organization", visit_id, organization_id
);
link_table!(
    /// Topics a protocol covers.
    protocol_topic, "protocol_topic", protocol_id, topic_id
);
link_table!(
    /// Sources a city cites.
    city_source, "city_source", city_id, source_id
);
link_table!(
    /// Sources an organization cites.
    organization_source, "organization_source", organization_id, source_id
);
link_table!(
    /// Sources a partnership cites.
    partnership_source, "partnership_source", partnership_id, source_id
);
link_table!(
    /// Sources an event cites.
    event_source, "event_source", event_id, source_id
);
link_table!(
    /// Sources a visit cites.
    visit_source, "visit_source", visit_id, source_id
);
link_table!(
    /// Sources a protocol cites.
    protocol_source, "protocol_source", protocol_id, source_id
);
link_table!(
    /// Sources a status step cites.
    partnership_status_change_source, "partnership_status_change_source", status_change_id, source_id
);
