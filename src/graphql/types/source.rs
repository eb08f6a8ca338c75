//! `Source`: where a fact comes from, and the records that cite it.

use super::city::City;
use super::event::Event;
use super::filter::{ToFilter, combinators, matching};
use super::organization::Organization;
use super::partnership::{Partnership, PartnershipOrderBy};
use super::protocol::{Protocol, ProtocolOrderBy};
use super::visit::{Visit, VisitOrderBy};
use crate::error::Result;
use crate::graphql::by_key;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::graphql::node::global_id;
use crate::graphql::scalars::PartialDate;
use crate::store::filters::{self, Filter, sources};
use crate::store::orderings;
use crate::store::relations::*;
use async_graphql::{Context, ID, InputObject, Object};
use entity::source;

/// A publication a fact comes from.
#[derive(Clone)]
pub struct Source(pub source::Model);

#[Object]
impl Source {
    /// Every recorded change to this record, newest first (editors and admins).
    #[graphql(guard = "crate::graphql::guards::RoleGuard(crate::domain::access::Role::Editor)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<super::change::Change>> {
        super::change::history(
            ctx,
            self.0.id,
            &crate::store::relations::SOURCE_HISTORY,
            PageArgs {
                after,
                before,
                first,
                last,
            },
        )
        .await
    }
    /// Opaque global id, stable across databases (built from type and key).
    pub async fn id(&self) -> ID {
        global_id("Source", &self.0.key)
    }
    /// Stable key.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Its title, in its own language.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Where to read it.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }
    /// Who published it.
    async fn publisher(&self) -> Option<&str> {
        self.0.publisher.as_deref()
    }
    /// When it was published, as precisely as known.
    async fn published_on(&self) -> Option<PartialDate> {
        PartialDate::stored(self.0.published_on.as_deref())
    }
    /// Cities citing this source.
    async fn cities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<City>> {
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_CITIES,
            Filter::everything(),
            orderings::cities::BY_KEY,
            args,
            City,
        )
        .await
    }
    /// Partnerships citing this source.
    async fn partnerships(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<Partnership>> {
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_PARTNERSHIPS,
            Filter::everything(),
            PartnershipOrderBy::Key.ordering(),
            args,
            Partnership,
        )
        .await
    }
    /// Visits citing this source.
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<Visit>> {
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_VISITS,
            Filter::everything(),
            VisitOrderBy::StartDate.ordering(),
            args,
            Visit,
        )
        .await
    }
    /// Protocols citing this source.
    async fn protocols(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<Protocol>> {
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_PROTOCOLS,
            Filter::everything(),
            ProtocolOrderBy::Signed.ordering(),
            args,
            Protocol,
        )
        .await
    }
    /// Events citing this source.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<Event>> {
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_EVENTS,
            Filter::everything(),
            orderings::events::BY_START,
            args,
            Event,
        )
        .await
    }
    /// Organizations citing this source.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<Organization>> {
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_ORGANIZATIONS,
            Filter::everything(),
            orderings::organizations::BY_NAME,
            args,
            Organization,
        )
        .await
    }
}

/// Which sources to list.
#[derive(InputObject, Default)]
pub struct SourceFilter {
    /// One of these keys.
    pub keys: Option<Vec<String>>,
    /// Published by exactly this publisher.
    pub publisher: Option<String>,
    /// All of these filters hold.
    pub and: Option<Vec<SourceFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<SourceFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<SourceFilter>>,
}

impl ToFilter for SourceFilter {
    type Rows = source::Model;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        if let Some(keys) = &self.keys {
            out.push(filters::keys(keys));
        }
        if let Some(publisher) = &self.publisher {
            out.push(sources::publisher(publisher));
        }
    }
    combinators!();
}

/// Source lookups.
#[derive(Default)]
pub struct SourceQuery;

#[Object]
impl SourceQuery {
    /// The source with this key, or null.
    async fn source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<Source>> {
        Ok(by_key::<source::Model>(ctx, key).await?.map(Source))
    }

    /// Sources by key, a page at a time.
    async fn sources(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<SourceFilter>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100 by default; default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>,
    ) -> Result<Connection<Source>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            orderings::sources::BY_KEY,
            PageArgs {
                after,
                before,
                first,
                last,
            },
            Source,
        )
        .await
    }
}
