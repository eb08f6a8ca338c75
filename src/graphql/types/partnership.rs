//! `Partnership`: the tie between two cities, its history and timeline.

use super::city::{City, city};
use super::filter_input::{DateRange, ToFilter, combinators, matching};
use super::protocol::{Protocol, ProtocolFilter, ProtocolOrderBy};
use super::source::Source;
use super::topic::Topic;
use super::visit::{Visit, VisitFilter, VisitOrderBy};
use crate::domain::vocabulary::{PartnershipKind, PartnershipStatus};
use crate::error::Result;
use crate::graphql::by_key;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::graphql::scalars::{DateSpan, PartialDate};
use crate::store::filters::{self, Filter, partnerships};
use crate::store::orderings;
use crate::store::pages::Ordering;
use crate::store::relations::*;
use async_graphql::{Context, Enum, InputObject, Object};
use entity::{partnership, partnership_status_change as status_change};

#[derive(Clone)]
pub struct Partnership(pub partnership::Model);

/// The relation between two cities: one per unordered pair and kind.
#[macros::record(
    history = crate::store::relations::PARTNERSHIP_HISTORY,
    key = "Stable key, such as `murmansk-harbin`."
)]
#[Object]
impl Partnership {
    /// Its title in lists and search results: its cities' names, such as
    /// "Murmansk – Harbin".
    pub async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        let (a, b) = futures_util::future::try_join(
            city(ctx, self.0.city_a_id),
            city(ctx, self.0.city_b_id),
        )
        .await?;
        Ok(format!("{} – {}", a.0.name, b.0.name))
    }
    /// The two cities, in the order the sources name them.
    async fn cities(&self, ctx: &Context<'_>) -> Result<Vec<City>> {
        // Both at once, so they join the same batch.
        let (a, b) = futures_util::future::try_join(
            city(ctx, self.0.city_a_id),
            city(ctx, self.0.city_b_id),
        )
        .await?;
        Ok(vec![a, b])
    }
    /// The other city of the pair, seen from the city with key `of`
    /// (within a city's `partnerships`, each edge's `partner` needs no key).
    async fn partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key of the city whose partner is wanted.")] of: String,
    ) -> Result<Option<City>> {
        let (a, b) = futures_util::future::try_join(
            city(ctx, self.0.city_a_id),
            city(ctx, self.0.city_b_id),
        )
        .await?;
        Ok(if a.0.key == of {
            Some(b)
        } else if b.0.key == of {
            Some(a)
        } else {
            None
        })
    }
    /// What kind of tie this is.
    async fn kind(&self) -> PartnershipKind {
        self.0.kind.into()
    }
    /// Where it stands now; `statusHistory` has the dated steps.
    async fn status(&self) -> PartnershipStatus {
        self.0.status.into()
    }
    /// When it was first proposed.
    async fn proposed_on(&self) -> Option<PartialDate> {
        PartialDate::stored(self.0.proposed_on.as_deref())
    }
    /// `proposedOn` with its precision and span.
    async fn proposed(&self) -> Option<DateSpan> {
        DateSpan::stored(self.0.proposed_on.as_deref())
    }
    /// When it was established (the agreement took effect).
    async fn established_on(&self) -> Option<PartialDate> {
        PartialDate::stored(self.0.established_on.as_deref())
    }
    /// `establishedOn` with its precision and span.
    async fn established(&self) -> Option<DateSpan> {
        DateSpan::stored(self.0.established_on.as_deref())
    }
    /// When it ended or was suspended.
    async fn ended_on(&self) -> Option<PartialDate> {
        PartialDate::stored(self.0.ended_on.as_deref())
    }
    /// `endedOn` with its precision and span.
    async fn ended(&self) -> Option<DateSpan> {
        DateSpan::stored(self.0.ended_on.as_deref())
    }
    /// Notes on the sources and their disagreements.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// The steps of its status, oldest first, in the history's own order
    /// (a step of unknown date keeps its place).
    async fn status_history(
        &self,
        ctx: &Context<'_>,
        page: PageArgs,
    ) -> Result<Connection<StatusChange>> {
        nested_page(
            ctx,
            self.0.id,
            &PARTNERSHIP_STATUS_HISTORY,
            Filter::everything(),
            orderings::status_changes::BY_POSITION,
            page,
            StatusChange,
        )
        .await
    }
    /// Visits made within this partnership.
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<VisitFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: VisitOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Visit>> {
        nested_page(
            ctx,
            self.0.id,
            &PARTNERSHIP_VISITS,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Visit,
        )
        .await
    }
    /// Documents signed within this partnership.
    async fn protocols(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<ProtocolFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: ProtocolOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Protocol>> {
        nested_page(
            ctx,
            self.0.id,
            &PARTNERSHIP_PROTOCOLS,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Protocol,
        )
        .await
    }
    /// What the partners cooperate on.
    async fn topics(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Topic>> {
        nested_page(
            ctx,
            self.0.id,
            &PARTNERSHIP_TOPICS,
            Filter::everything(),
            orderings::topics::BY_NAME,
            page,
            Topic,
        )
        .await
    }
    /// Visits, protocols, events and status changes in date order: by the
    /// first day each date covers, as every list ordered by a partial date.
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        page: PageArgs,
    ) -> Result<Connection<super::timeline::TimelineItem>> {
        super::timeline::timeline(ctx, &self.0, page).await
    }
    /// The sources this record cites.
    pub async fn sources(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Source>> {
        nested_page(
            ctx,
            self.0.id,
            &PARTNERSHIP_SOURCES,
            Filter::everything(),
            orderings::sources::BY_KEY,
            page,
            Source,
        )
        .await
    }
}

#[derive(Clone)]
pub struct StatusChange(pub status_change::Model);

/// One dated step in a partnership's status history.
#[macros::paged]
#[Object]
impl StatusChange {
    /// The status the partnership reached.
    async fn status(&self) -> PartnershipStatus {
        self.0.status.into()
    }
    /// When (null if unknown).
    async fn on(&self) -> Option<PartialDate> {
        PartialDate::stored(self.0.occurred_on.as_deref())
    }
    /// `on` with its precision and span.
    async fn date(&self) -> Option<DateSpan> {
        DateSpan::stored(self.0.occurred_on.as_deref())
    }
    /// The side that took the step, when only one did.
    async fn city(&self, ctx: &Context<'_>) -> Result<Option<City>> {
        super::city::optional_city(ctx, self.0.city_id).await
    }
    /// The document that made the step.
    async fn protocol(&self, ctx: &Context<'_>) -> Result<Option<Protocol>> {
        super::protocol::optional_protocol(ctx, self.0.protocol_id).await
    }
    /// A note on the step.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// True when the step was derived from the partnership's own dates and
    /// protocols on import, rather than recorded as it happened (through the
    /// API, or in an imported `statusHistory`).
    async fn derived(&self) -> bool {
        self.0.derived
    }
    /// The sources the step cites.
    async fn sources(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Source>> {
        nested_page(
            ctx,
            self.0.id,
            &STATUS_CHANGE_SOURCES,
            Filter::everything(),
            orderings::sources::BY_KEY,
            page,
            Source,
        )
        .await
    }
}

/// Which partnerships to list. All given fields must hold.
#[derive(InputObject, Default)]
pub struct PartnershipFilter {
    /// One of these keys.
    pub keys: Option<Vec<String>>,
    /// One of the two cities has this key.
    pub city: Option<String>,
    /// Either city is in one of these countries.
    pub country_codes: Option<Vec<String>>,
    /// One of these kinds.
    pub kinds: Option<Vec<PartnershipKind>>,
    /// One of these statuses.
    pub statuses: Option<Vec<PartnershipStatus>>,
    /// Established within this span (a known `establishedOn` whose span
    /// overlaps it).
    pub established_on: Option<DateRange>,
    /// Established within this span (a partial date matches if its span overlaps).
    #[graphql(deprecation = "Use `establishedOn`: a filter is named after the field it filters.")]
    pub established: Option<DateRange>,
    /// Tagged with this topic or one of its descendants (by key).
    pub topic: Option<String>,
    /// All of these filters hold.
    pub and: Option<Vec<PartnershipFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<PartnershipFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<PartnershipFilter>>,
}

impl ToFilter for PartnershipFilter {
    type Rows = partnership::Model;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        if let Some(keys) = &self.keys {
            out.push(filters::keys(keys));
        }
        if let Some(key) = &self.city {
            out.push(partnerships::city(key));
        }
        if let Some(codes) = &self.country_codes {
            out.push(partnerships::country_codes(codes));
        }
        if let Some(kinds) = &self.kinds {
            out.push(partnerships::kinds(kinds));
        }
        if let Some(statuses) = &self.statuses {
            out.push(partnerships::statuses(statuses));
        }
        if let Some(range) = self.established_on.as_ref().or(self.established.as_ref()) {
            out.push(partnerships::established(range.span()));
        }
        if let Some(topic) = &self.topic {
            out.push(partnerships::topic(topic));
        }
    }
    combinators!();
}

/// Orders of partnership lists; each ends with the key.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum PartnershipOrderBy {
    /// By key (the default).
    #[default]
    Key,
    /// Oldest establishment first (unknown dates last).
    Established,
    /// Newest establishment first (unknown dates last).
    EstablishedDesc,
}

impl PartnershipOrderBy {
    pub fn ordering(self) -> Ordering<partnership::Model> {
        match self {
            Self::Key => orderings::partnerships::BY_KEY,
            Self::Established => orderings::partnerships::BY_ESTABLISHED,
            Self::EstablishedDesc => orderings::partnerships::BY_ESTABLISHED_DESC,
        }
    }
}

/// Partnership lookups.
#[derive(Default)]
pub struct PartnershipQuery;

#[macros::paged]
#[Object]
impl PartnershipQuery {
    /// The partnership with this key, or null.
    async fn partnership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<Partnership>> {
        Ok(by_key::<partnership::Model>(ctx, key)
            .await?
            .map(Partnership))
    }

    /// Partnerships, a page at a time.
    async fn partnerships(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<PartnershipFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: PartnershipOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Partnership>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Partnership,
        )
        .await
    }
}

/// A partnership by id, if the reference is set.
pub async fn optional_partnership(
    ctx: &Context<'_>,
    id: Option<i32>,
) -> Result<Option<Partnership>> {
    match id {
        Some(id) => Ok(crate::graphql::by_id::<partnership::Model>(ctx, id)
            .await?
            .map(Partnership)),
        None => Ok(None),
    }
}
