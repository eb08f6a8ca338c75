//! `Visit`: a delegation from one city to another.

use super::city::{City, city};
use super::event::Event;
use super::filter_input::{DateRange, ToFilter, any_of, combinators, matching};
use super::organization::Organization;
use super::partnership::{Partnership, optional_partnership};
use super::protocol::{Protocol, ProtocolOrderBy};
use super::source::Source;
use super::topic::Topic;
use crate::error::Result;
use crate::graphql::by_key;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::graphql::scalars::{DateSpan, PartialDate};
use crate::store::filters::{self, Filter, visits};
use crate::store::orderings;
use crate::store::pages::Ordering;
use crate::store::relations::*;
use async_graphql::{Context, Enum, InputObject, Object};
use entity::visit;

#[derive(Clone)]
pub struct Visit(pub visit::Model);

/// A delegation from one city to another.
#[macros::record(
    history = crate::store::relations::VISIT_HISTORY,
    key = "Stable key."
)]
#[Object]
impl Visit {
    /// Its title in lists and search results: where from and to, and when,
    /// such as "Harbin → Murmansk, 2016-05-23".
    pub async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        let (from, to) = futures_util::future::try_join(
            city(ctx, self.0.from_city_id),
            city(ctx, self.0.to_city_id),
        )
        .await?;
        Ok(format!(
            "{} → {}, {}",
            from.0.name, to.0.name, self.0.start_date
        ))
    }
    /// The city the delegation came from.
    #[allow(clippy::wrong_self_convention)] // a GraphQL field name, not a conversion
    async fn from_city(&self, ctx: &Context<'_>) -> Result<City> {
        city(ctx, self.0.from_city_id).await
    }
    /// The city it visited.
    async fn to_city(&self, ctx: &Context<'_>) -> Result<City> {
        city(ctx, self.0.to_city_id).await
    }
    /// The first day, as precisely as known.
    async fn start_date(&self) -> PartialDate {
        self.start_value()
    }
    /// The last day, as precisely as known.
    async fn end_date(&self) -> Option<PartialDate> {
        PartialDate::stored(self.0.end_date.as_deref())
    }
    /// `startDate` with its precision and span.
    async fn start(&self) -> DateSpan {
        DateSpan::of(self.start_value())
    }
    /// `endDate` with its precision and span.
    async fn end(&self) -> Option<DateSpan> {
        DateSpan::stored(self.0.end_date.as_deref())
    }
    /// The partnership the visit belongs to.
    async fn partnership(&self, ctx: &Context<'_>) -> Result<Option<Partnership>> {
        optional_partnership(ctx, self.0.partnership_id).await
    }
    /// Who led the delegation.
    async fn head_of_delegation(&self) -> Option<&str> {
        self.0.head_of_delegation.as_deref()
    }
    /// Why it came, in a line.
    async fn purpose(&self) -> Option<&str> {
        self.0.purpose.as_deref()
    }
    /// What happened.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// Topics discussed.
    async fn topics(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Topic>> {
        nested_page(
            ctx,
            self.0.id,
            &VISIT_TOPICS,
            Filter::everything(),
            orderings::topics::BY_NAME,
            page,
            Topic,
        )
        .await
    }
    /// Events the delegation attended.
    async fn events(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Event>> {
        nested_page(
            ctx,
            self.0.id,
            &VISIT_EVENTS,
            Filter::everything(),
            orderings::events::BY_START,
            page,
            Event,
        )
        .await
    }
    /// Organizations that took part.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        page: PageArgs,
    ) -> Result<Connection<Organization>> {
        nested_page(
            ctx,
            self.0.id,
            &VISIT_ORGANIZATIONS,
            Filter::everything(),
            orderings::organizations::BY_NAME,
            page,
            Organization,
        )
        .await
    }
    /// Documents signed during the visit.
    async fn protocols(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Protocol>> {
        nested_page(
            ctx,
            self.0.id,
            &VISIT_PROTOCOLS,
            Filter::everything(),
            ProtocolOrderBy::Signed.ordering(),
            page,
            Protocol,
        )
        .await
    }
    /// The sources this record cites.
    pub async fn sources(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Source>> {
        nested_page(
            ctx,
            self.0.id,
            &VISIT_SOURCES,
            Filter::everything(),
            orderings::sources::BY_KEY,
            page,
            Source,
        )
        .await
    }
}

impl Visit {
    /// The start date, or its first day should the stored text not parse.
    fn start_value(&self) -> PartialDate {
        PartialDate::stored(Some(&self.0.start_date))
            .unwrap_or(PartialDate::from_day(self.0.start_date_start))
    }
}

/// Which visits to list. All given fields must hold.
#[derive(InputObject, Default)]
pub struct VisitFilter {
    /// One of these keys.
    pub keys: Option<Vec<String>>,
    /// From one of the cities with these keys.
    pub from_cities: Option<Vec<String>>,
    /// From the city with this key.
    #[graphql(
        deprecation = "Use `fromCities`: a filter on a field a record has one of takes a list."
    )]
    pub from_city: Option<String>,
    /// To one of the cities with these keys.
    pub to_cities: Option<Vec<String>>,
    /// To the city with this key.
    #[graphql(
        deprecation = "Use `toCities`: a filter on a field a record has one of takes a list."
    )]
    pub to_city: Option<String>,
    /// From or to the city with this key.
    pub city: Option<String>,
    /// Started within this span (the start date's own span overlaps it).
    pub start_date: Option<DateRange>,
    /// Took place (any day of it) within this span: a visit dated "2015"
    /// matches 2015-06-01..2015-06-30.
    pub during: Option<DateRange>,
    /// Discussed this topic or one of its descendants (by key).
    pub topic: Option<String>,
    /// Attended the event with this key.
    pub event: Option<String>,
    /// The organization with this key took part.
    pub organization: Option<String>,
    /// Belongs to one of the partnerships with these keys.
    pub partnerships: Option<Vec<String>>,
    /// Belongs to the partnership with this key.
    #[graphql(
        deprecation = "Use `partnerships`: a filter on a field a record has one of takes a list."
    )]
    pub partnership: Option<String>,
    /// All of these filters hold.
    pub and: Option<Vec<VisitFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<VisitFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<VisitFilter>>,
}

impl ToFilter for VisitFilter {
    type Rows = visit::Model;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        if let Some(keys) = &self.keys {
            out.push(filters::keys(keys));
        }
        if let Some(key) = &self.from_city {
            out.push(visits::from_city(key));
        }
        if let Some(values) = &self.from_cities {
            out.push(any_of(values, visits::from_city));
        }
        if let Some(key) = &self.to_city {
            out.push(visits::to_city(key));
        }
        if let Some(values) = &self.to_cities {
            out.push(any_of(values, visits::to_city));
        }
        if let Some(key) = &self.city {
            out.push(visits::city(key));
        }
        if let Some(range) = &self.start_date {
            out.push(visits::started(range.span()));
        }
        if let Some(range) = &self.during {
            out.push(visits::during(range.span()));
        }
        if let Some(topic) = &self.topic {
            out.push(visits::topic(topic));
        }
        if let Some(key) = &self.event {
            out.push(visits::event(key));
        }
        if let Some(key) = &self.organization {
            out.push(visits::organization(key));
        }
        if let Some(key) = &self.partnership {
            out.push(visits::partnership(key));
        }
        if let Some(values) = &self.partnerships {
            out.push(any_of(values, visits::partnership));
        }
    }
    combinators!();
}

/// Orders of visit lists; each ends with the key.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum VisitOrderBy {
    /// Earliest start first (the default); coarser dates before finer ones
    /// that start the same day.
    #[default]
    StartDate,
    /// Latest start first.
    StartDateDesc,
    /// By key.
    Key,
}

impl VisitOrderBy {
    pub fn ordering(self) -> Ordering<visit::Model> {
        match self {
            Self::StartDate => orderings::visits::BY_START,
            Self::StartDateDesc => orderings::visits::BY_START_DESC,
            Self::Key => orderings::visits::BY_KEY,
        }
    }
}

/// Visit lookups.
#[derive(Default)]
pub struct VisitQuery;

#[macros::paged]
#[Object]
impl VisitQuery {
    /// The visit with this key, or null.
    async fn visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<Visit>> {
        Ok(by_key::<visit::Model>(ctx, key).await?.map(Visit))
    }

    /// Visits, a page at a time.
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<VisitFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: VisitOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Visit>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Visit,
        )
        .await
    }
}

/// A visit by id, if the reference is set.
pub async fn optional_visit(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Visit>> {
    match id {
        Some(id) => Ok(crate::graphql::by_id::<visit::Model>(ctx, id)
            .await?
            .map(Visit)),
        None => Ok(None),
    }
}
