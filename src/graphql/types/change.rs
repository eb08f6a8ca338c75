//! The change history in the API: `changes` (admins) and `history` on every
//! record (editors and admins).

use super::filter_input::{ToFilter, any_of, combinators, matching};
use crate::domain::access::Role;
use crate::domain::changes::Action;
use crate::error::Result;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::graphql::guards::RoleGuard;
use crate::store::changes::ChangeRow;
use crate::store::filters::{Filter, changes};
use crate::store::orderings;
use crate::store::relations::Relation;
use async_graphql::{Context, InputObject, Json, Object};

pub struct Change(pub ChangeRow);

/// One write's effect on one record.
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
    /// The city keys the key (or token) was scoped to when it made the
    /// change; null when it was unscoped.
    async fn scope(&self) -> Option<Vec<&str>> {
        self.0.scope.as_deref().map(|s| s.split(',').collect())
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

/// Which changes to list.
#[derive(InputObject, Default)]
pub struct ChangeFilter {
    /// Changes to records of these types, such as `City`.
    pub record_types: Option<Vec<String>>,
    /// Changes to the records with these keys.
    pub record_keys: Option<Vec<String>>,
    /// Changes made with these key names (or `cli`).
    pub actors: Option<Vec<String>>,
    /// Changes made by these operations, such as `importDocument`.
    pub operations: Option<Vec<String>>,
    /// Changes to records of this type, such as `City`.
    #[graphql(
        deprecation = "Use `recordTypes`: a filter on a field a record has one of takes a list."
    )]
    pub record_type: Option<String>,
    /// Changes to the record with this key.
    #[graphql(
        deprecation = "Use `recordKeys`: a filter on a field a record has one of takes a list."
    )]
    pub record_key: Option<String>,
    /// Changes made with this key name (or `cli`).
    #[graphql(deprecation = "Use `actors`: a filter on a field a record has one of takes a list.")]
    pub actor: Option<String>,
    /// Changes made by this operation, such as `importDocument`.
    #[graphql(
        deprecation = "Use `operations`: a filter on a field a record has one of takes a list."
    )]
    pub operation: Option<String>,
    /// All of these filters hold.
    pub and: Option<Vec<ChangeFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<ChangeFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<ChangeFilter>>,
}

impl ToFilter for ChangeFilter {
    type Rows = ChangeRow;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        for (predicate, value) in [
            (
                changes::record_type as fn(&str) -> Filter<ChangeRow>,
                &self.record_type,
            ),
            (changes::record_key, &self.record_key),
            (changes::actor, &self.actor),
            (changes::operation, &self.operation),
        ] {
            if let Some(value) = value {
                out.push(predicate(value));
            }
        }
        for (predicate, values) in [
            (
                changes::record_type as fn(&str) -> Filter<ChangeRow>,
                &self.record_types,
            ),
            (changes::record_key, &self.record_keys),
            (changes::actor, &self.actors),
            (changes::operation, &self.operations),
        ] {
            if let Some(values) = values {
                out.push(any_of(values, predicate));
            }
        }
    }
    combinators!();
}

/// The change history of everything.
#[derive(Default)]
pub struct ChangeQuery;

#[macros::paged]
#[Object]
impl ChangeQuery {
    /// Every recorded change, newest first (admins only).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only changes matching this filter.")] filter: Option<ChangeFilter>,
        page: PageArgs,
    ) -> Result<Connection<Change>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            orderings::changes::NEWEST_FIRST,
            page,
            Change,
        )
        .await
    }
}

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
        Filter::everything(),
        orderings::changes::NEWEST_FIRST,
        args,
        Change,
    )
    .await
}
