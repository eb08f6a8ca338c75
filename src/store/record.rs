//! What the API's generic readers need to know of each record table.

use entity::{
    city, event, organization, partnership, partnership_status_change, protocol, source, topic,
    visit,
};
use sea_orm::FromQueryResult;

/// A table of records with an integer id and (for most) a unique key.
pub trait Record: FromQueryResult + Clone + Send + Sync + 'static {
    /// The table's name in SQL.
    const TABLE: &'static str;
    /// The GraphQL type name, used in global ids.
    const TYPE_NAME: &'static str;
    fn id(&self) -> i32;
    fn key(&self) -> &str;
}

macro_rules! table {
    ($model:path, $table:literal, $type_name:literal) => {
        impl Record for $model {
            const TABLE: &'static str = $table;
            const TYPE_NAME: &'static str = $type_name;
            fn id(&self) -> i32 {
                self.id
            }
            fn key(&self) -> &str {
                &self.key
            }
        }
    };
}

table!(city::Model, "city", "City");
table!(partnership::Model, "partnership", "Partnership");
table!(visit::Model, "visit", "Visit");
table!(protocol::Model, "protocol", "Protocol");
table!(event::Model, "event", "Event");
table!(topic::Model, "topic", "Topic");
table!(organization::Model, "organization", "Organization");
table!(source::Model, "source", "Source");

impl Record for partnership_status_change::Model {
    const TABLE: &'static str = "partnership_status_change";
    const TYPE_NAME: &'static str = "StatusChange";
    fn id(&self) -> i32 {
        self.id
    }
    fn key(&self) -> &str {
        ""
    }
}
