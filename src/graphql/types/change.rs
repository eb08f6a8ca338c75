//! The change history in the API: `changes` (admins) and `history` on every
//! record (editors and admins).

use super::filter::{Condition, combinators, cond, condition};
use crate::domain::access::Role;
use crate::domain::changes::Action;
use crate::error::Result;
use crate::graphql::connection::{Connection, OrderKey, PageArgs, key, nested_page, root_page};
use crate::graphql::guards::RoleGuard;
use crate::store::changes::ChangeRow;
use crate::store::relations::{Link, Relation};
use crate::store::{Record, Sql};
use async_graphql::{Context, InputObject, Json, Object};

/// One write's effect on one record.
pub struct Change(pub ChangeRow);

#[Object]
impl Change {
    /// The record's type, such as `City`.
    async fn record_type(&self) -> &str {
        &self.0.record_type
    }
    /// The record's key.
    async fn record_key(&self) -> &str {
        &self.0.record_key
    }
    /// Created, updated or deleted.
    async fn action(&self) -> Option<Action> {
        self.0.action()
    }
    /// The changed fields before (interchange JSON); null when created.
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0
            .before
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .map(Json)
    }
    /// The changed fields after; null when deleted.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0
            .after
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .map(Json)
    }
    /// Who: the API key's name, or `cli`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The mutation or command, such as `importDocument` (an import is one change set).
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// When.
    async fn at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// Newest first.
pub static NEWEST_FIRST: &[OrderKey<ChangeRow>] = &[key!("t.id", Int, true, |m| m.id.into())];

/// Which changes to list.
#[derive(InputObject, Default)]
pub struct ChangeFilter {
    /// Changes to records of this type, such as `City`.
    pub record_type: Option<String>,
    /// Changes to the record with this key.
    pub record_key: Option<String>,
    /// Changes made with this key name (or `cli`).
    pub actor: Option<String>,
    /// Changes made by this operation, such as `importDocument`.
    pub operation: Option<String>,
    /// All of these filters hold.
    pub and: Option<Vec<ChangeFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<ChangeFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<ChangeFilter>>,
}

impl Condition for ChangeFilter {
    fn conditions(&self, out: &mut Vec<Sql>) {
        for (column, value) in [
            ("record_type", &self.record_type),
            ("record_key", &self.record_key),
            ("actor", &self.actor),
            ("operation", &self.operation),
        ] {
            if let Some(value) = value {
                out.push(cond(&format!("t.{column} = ?"), [value.clone()]));
            }
        }
    }
    combinators!();
}

/// The change history of everything.
#[derive(Default)]
pub struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// Every recorded change, newest first (admins only).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only changes matching this filter.")] filter: Option<ChangeFilter>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<Change>> {
        root_page(
            ctx,
            condition(filter.as_ref()),
            NEWEST_FIRST,
            PageArgs {
                after,
                before,
                first,
                last,
            },
            Change,
        )
        .await
    }
}

/// Declares the relation from records of a table to their changes.
macro_rules! history_relation {
    ($name:ident, $table:literal, $type_name:literal) => {
        pub static $name: Relation = Relation {
            name: stringify!($name),
            table: <ChangeRow as Record>::TABLE,
            link: Link::Edge(concat!(
                "SELECT r.id AS parent, c.id AS child FROM ",
                $table,
                " r JOIN change c ON c.record_type = '",
                $type_name,
                "' AND c.record_key = r.key WHERE r.id IN ({parents})"
            )),
        };
    };
}

history_relation!(CITY_HISTORY, "city", "City");
history_relation!(PARTNERSHIP_HISTORY, "partnership", "Partnership");
history_relation!(VISIT_HISTORY, "visit", "Visit");
history_relation!(PROTOCOL_HISTORY, "protocol", "Protocol");
history_relation!(EVENT_HISTORY, "event", "Event");
history_relation!(TOPIC_HISTORY, "topic", "Topic");
history_relation!(ORGANIZATION_HISTORY, "organization", "Organization");
history_relation!(SOURCE_HISTORY, "source", "Source");

/// A record's history, newest first, through the batched nested pages.
pub async fn history(
    ctx: &Context<'_>,
    id: i32,
    relation: &'static Relation,
    args: PageArgs,
) -> Result<Connection<Change>> {
    nested_page(
        ctx,
        id,
        relation,
        Sql::new("1=1"),
        NEWEST_FIRST,
        args,
        Change,
    )
    .await
}
