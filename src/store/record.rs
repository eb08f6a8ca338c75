//! What the generic readers (pages, nested pages, loaders) need to know of
//! each kind of row they read.

use crate::domain::kinds::Kind;
use entity::{
    city, event, organization, partnership, partnership_status_change, protocol, source, topic,
    visit,
};
use sea_orm::FromQueryResult;
use sea_orm::sea_query::{Expr, IntoIden, JoinType, SelectStatement};

/// The alias every filter, ordering and page reads the rows as.
pub(crate) const T: &str = "t";

/// A column of the rows being read: `t.column`.
pub(crate) fn t(column: impl IntoIden) -> Expr {
    Expr::col((T, column))
}

/// A table of records with an integer id and (for most) a unique key.
pub trait Record: FromQueryResult + Clone + Send + Sync + 'static {
    /// The table's name in SQL.
    const TABLE: &'static str;
    /// The GraphQL type name, used in global ids.
    const TYPE_NAME: &'static str;
    /// Adds the rows to `select`'s `FROM`, as the alias `t`.
    fn from_rows(select: &mut SelectStatement) {
        select.from_as(Self::TABLE, T);
    }
    /// Joins the rows to `select`, as the alias `t`, where `on` holds.
    fn join_rows(select: &mut SelectStatement, on: Expr) {
        select.join_as(JoinType::InnerJoin, Self::TABLE, T, on);
    }
    /// The columns that hold a city's id, whose cities a page can read in
    /// its own statement ([`super::joined_cities`]).
    const CITIES: &'static [&'static str] = &[];
    fn id(&self) -> i32;
    fn key(&self) -> &str;
}

macro_rules! record {
    ($model:path, $kind:ident $(, cities: $cities:expr)?) => {
        impl Record for $model {
            const TABLE: &'static str = Kind::$kind.table();
            const TYPE_NAME: &'static str = Kind::$kind.type_name();
            $(const CITIES: &'static [&'static str] = $cities;)?
            fn id(&self) -> i32 {
                self.id
            }
            fn key(&self) -> &str {
                &self.key
            }
        }
    };
}

record!(city::Model, City);
record!(partnership::Model, Partnership, cities: &["city_a_id", "city_b_id"]);
record!(visit::Model, Visit, cities: &["from_city_id", "to_city_id"]);
record!(protocol::Model, Protocol, cities: &["signed_in_id"]);
record!(event::Model, Event, cities: &["host_city_id"]);
record!(topic::Model, Topic);
record!(organization::Model, Organization, cities: &["city_id"]);
record!(source::Model, Source);

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
