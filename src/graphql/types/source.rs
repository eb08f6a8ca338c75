//! `Source`: where a fact comes from, and the records that cite it.

use super::city::City;
use super::event::Event;
use super::filter_input::{ToFilter, any_of, combinators, matching};
use super::organization::Organization;
use super::partnership::{Partnership, PartnershipOrderBy};
use super::protocol::{Protocol, ProtocolOrderBy};
use super::visit::{Visit, VisitOrderBy};
use crate::error::Result;
use crate::graphql::by_key;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::graphql::scalars::{DateSpan, PartialDate};
use crate::store::filters::{self, Filter, sources};
use crate::store::orderings;
use crate::store::relations::*;
use async_graphql::{Context, InputObject, Object};
use entity::source;

#[derive(Clone)]
pub struct Source(pub source::Model);

/// A publication a fact comes from.
#[macros::record(
    history = crate::store::relations::SOURCE_HISTORY,
    key = "Stable key."
)]
#[Object]
impl Source {
    /// A source cites no other sources: always empty (a field of
    /// `SearchResult`).
    pub async fn sources(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Source>> {
        super::search::uncited(ctx, page)
    }
    /// Its title, in its own language.
    pub async fn title(&self) -> &str {
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
    /// `publishedOn` with its precision and span.
    async fn published(&self) -> Option<DateSpan> {
        DateSpan::stored(self.0.published_on.as_deref())
    }
    /// Cities citing this source.
    async fn cities(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<City>> {
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_CITIES,
            Filter::everything(),
            orderings::cities::BY_KEY,
            page,
            City,
        )
        .await
    }
    /// Partnerships citing this source.
    async fn partnerships(
        &self,
        ctx: &Context<'_>,
        page: PageArgs,
    ) -> Result<Connection<Partnership>> {
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_PARTNERSHIPS,
            Filter::everything(),
            PartnershipOrderBy::Key.ordering(),
            page,
            Partnership,
        )
        .await
    }
    /// Visits citing this source.
    async fn visits(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Visit>> {
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_VISITS,
            Filter::everything(),
            VisitOrderBy::StartDate.ordering(),
            page,
            Visit,
        )
        .await
    }
    /// Protocols citing this source.
    async fn protocols(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Protocol>> {
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_PROTOCOLS,
            Filter::everything(),
            ProtocolOrderBy::Signed.ordering(),
            page,
            Protocol,
        )
        .await
    }
    /// Events citing this source.
    async fn events(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Event>> {
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_EVENTS,
            Filter::everything(),
            orderings::events::BY_START,
            page,
            Event,
        )
        .await
    }
    /// Organizations citing this source.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        page: PageArgs,
    ) -> Result<Connection<Organization>> {
        nested_page(
            ctx,
            self.0.id,
            &SOURCE_ORGANIZATIONS,
            Filter::everything(),
            orderings::organizations::BY_NAME,
            page,
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
    /// Published by one of these publishers.
    pub publishers: Option<Vec<String>>,
    /// Published by exactly this publisher.
    #[graphql(
        deprecation = "Use `publishers`: a filter on a field a record has one of takes a list."
    )]
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
        if let Some(values) = &self.publishers {
            out.push(any_of(values, sources::publisher));
        }
    }
    combinators!();
}

/// Source lookups.
#[derive(Default)]
pub struct SourceQuery;

#[macros::paged]
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
        page: PageArgs,
    ) -> Result<Connection<Source>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            orderings::sources::BY_KEY,
            page,
            Source,
        )
        .await
    }
}
