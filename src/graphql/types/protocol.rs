//! `Protocol`: a signed document, the milestones of a partnership.

use super::city::{City, optional_city};
use super::event::{Event, optional_event};
use super::filter_input::{DateRange, ToFilter, any_of, combinators, matching};
use super::partnership::{Partnership, optional_partnership};
use super::source::Source;
use super::topic::Topic;
use super::visit::{Visit, optional_visit};
use crate::domain::vocabulary::ProtocolKind;
use crate::error::Result;
use crate::graphql::by_key;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::graphql::loader::{Parties, PartiesOf};
use crate::graphql::pipeline::request_data::loader;
use crate::graphql::scalars::{DateSpan, PartialDate};
use crate::store::filters::{self, Filter, protocols};
use crate::store::orderings;
use crate::store::pages::Ordering;
use crate::store::relations::*;
use async_graphql::{Context, Enum, InputObject, Object};
use entity::protocol;

#[derive(Clone)]
pub struct Protocol(pub protocol::Model);

/// A signed document: protocol of intentions, twinning agreement, memorandum…
#[macros::record(
    history = crate::store::relations::PROTOCOL_HISTORY,
    key = "Stable key."
)]
#[Object]
impl Protocol {
    /// What kind of document it is.
    async fn kind(&self) -> ProtocolKind {
        self.0.kind.into()
    }
    /// Its title.
    pub async fn title(&self) -> &str {
        &self.0.title
    }
    /// When it was signed, as precisely as known.
    async fn signed_on(&self) -> Option<PartialDate> {
        PartialDate::stored(self.0.signed_on.as_deref())
    }
    /// `signedOn` with its precision and span.
    async fn signed(&self) -> Option<DateSpan> {
        DateSpan::stored(self.0.signed_on.as_deref())
    }
    /// The city where it was signed.
    async fn signed_in(&self, ctx: &Context<'_>) -> Result<Option<City>> {
        optional_city(ctx, self.0.signed_in_id).await
    }
    /// The cities that signed it, in signing order (a short list, not paged).
    async fn parties(&self, ctx: &Context<'_>) -> Result<Vec<City>> {
        let parties = loader::<Parties>(ctx)
            .load_one(PartiesOf(self.0.id))
            .await?;
        Ok(parties.unwrap_or_default().into_iter().map(City).collect())
    }
    /// The partnership it belongs to.
    async fn partnership(&self, ctx: &Context<'_>) -> Result<Option<Partnership>> {
        optional_partnership(ctx, self.0.partnership_id).await
    }
    /// The visit during which it was signed.
    async fn visit(&self, ctx: &Context<'_>) -> Result<Option<Visit>> {
        optional_visit(ctx, self.0.visit_id).await
    }
    /// The event at which it was signed.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        optional_event(ctx, self.0.event_id).await
    }
    /// What it says.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// Topics it covers.
    async fn topics(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Topic>> {
        nested_page(
            ctx,
            self.0.id,
            &PROTOCOL_TOPICS,
            Filter::everything(),
            orderings::topics::BY_NAME,
            page,
            Topic,
        )
        .await
    }
    /// The sources this record cites.
    pub async fn sources(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Source>> {
        nested_page(
            ctx,
            self.0.id,
            &PROTOCOL_SOURCES,
            Filter::everything(),
            orderings::sources::BY_KEY,
            page,
            Source,
        )
        .await
    }
}

/// Which protocols to list. All given fields must hold.
#[derive(InputObject, Default)]
pub struct ProtocolFilter {
    /// One of these keys.
    pub keys: Option<Vec<String>>,
    /// One of these kinds.
    pub kinds: Option<Vec<ProtocolKind>>,
    /// The city with this key is a party.
    pub party: Option<String>,
    /// Signed within this span (a known `signedOn` whose span overlaps it).
    pub signed_on: Option<DateRange>,
    /// Signed within this span.
    #[graphql(deprecation = "Use `signedOn`: a filter is named after the field it filters.")]
    pub signed: Option<DateRange>,
    /// Belongs to one of the partnerships with these keys.
    pub partnerships: Option<Vec<String>>,
    /// Belongs to the partnership with this key.
    #[graphql(
        deprecation = "Use `partnerships`: a filter on a field a record has one of takes a list."
    )]
    pub partnership: Option<String>,
    /// Covers this topic or one of its descendants (by key).
    pub topic: Option<String>,
    /// All of these filters hold.
    pub and: Option<Vec<ProtocolFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<ProtocolFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<ProtocolFilter>>,
}

impl ToFilter for ProtocolFilter {
    type Rows = protocol::Model;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        if let Some(keys) = &self.keys {
            out.push(filters::keys(keys));
        }
        if let Some(kinds) = &self.kinds {
            out.push(protocols::kinds(kinds));
        }
        if let Some(key) = &self.party {
            out.push(protocols::party(key));
        }
        if let Some(range) = self.signed_on.as_ref().or(self.signed.as_ref()) {
            out.push(protocols::signed(range.span()));
        }
        if let Some(key) = &self.partnership {
            out.push(protocols::partnership(key));
        }
        if let Some(values) = &self.partnerships {
            out.push(any_of(values, protocols::partnership));
        }
        if let Some(topic) = &self.topic {
            out.push(protocols::topic(topic));
        }
    }
    combinators!();
}

/// Orders of protocol lists; each ends with the key.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum ProtocolOrderBy {
    /// Earliest signing first (the default; undated last).
    #[default]
    Signed,
    /// Latest signing first (undated last).
    SignedDesc,
    /// By key.
    Key,
}

impl ProtocolOrderBy {
    pub fn ordering(self) -> Ordering<protocol::Model> {
        match self {
            Self::Signed => orderings::protocols::BY_SIGNED,
            Self::SignedDesc => orderings::protocols::BY_SIGNED_DESC,
            Self::Key => orderings::protocols::BY_KEY,
        }
    }
}

/// Protocol lookups.
#[derive(Default)]
pub struct ProtocolQuery;

#[macros::paged]
#[Object]
impl ProtocolQuery {
    /// The protocol with this key, or null.
    async fn protocol(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<Protocol>> {
        Ok(by_key::<protocol::Model>(ctx, key).await?.map(Protocol))
    }

    /// Protocols, a page at a time.
    async fn protocols(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<ProtocolFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: ProtocolOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Protocol>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Protocol,
        )
        .await
    }
}

/// A protocol by id, if the reference is set.
pub async fn optional_protocol(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Protocol>> {
    match id {
        Some(id) => Ok(crate::graphql::by_id::<protocol::Model>(ctx, id)
            .await?
            .map(Protocol)),
        None => Ok(None),
    }
}
