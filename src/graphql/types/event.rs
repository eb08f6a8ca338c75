//! `Event`: festivals, exhibitions, anniversaries and forums.

use super::city::{City, city};
use super::filter_input::{DateRange, ToFilter, any_of, combinators, matching};
use super::protocol::{Protocol, ProtocolOrderBy};
use super::source::Source;
use super::topic::Topic;
use super::visit::{Visit, VisitOrderBy};
use crate::domain::vocabulary::EventKind;
use crate::error::Result;
use crate::graphql::by_key;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::graphql::scalars::{DateSpan, PartialDate};
use crate::store::filters::{self, Filter, events};
use crate::store::orderings;
use crate::store::pages::Ordering;
use crate::store::relations::*;
use async_graphql::{Context, Enum, InputObject, Object};
use entity::event;

#[derive(Clone)]
pub struct Event(pub event::Model);

/// A festival, exhibition, anniversary or forum hosted by a city.
#[macros::record(
    history = crate::store::relations::EVENT_HISTORY,
    key = "Stable key."
)]
#[Object]
impl Event {
    /// Its title in lists and search results: its name.
    pub async fn title(&self) -> &str {
        &self.0.name
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What kind of event it is.
    async fn kind(&self) -> EventKind {
        self.0.kind.into()
    }
    /// The host city.
    async fn host_city(&self, ctx: &Context<'_>) -> Result<City> {
        city(ctx, self.0.host_city_id).await
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
    /// What it was.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Delegations that attended it.
    async fn visits(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Visit>> {
        nested_page(
            ctx,
            self.0.id,
            &EVENT_VISITS,
            Filter::everything(),
            VisitOrderBy::StartDate.ordering(),
            page,
            Visit,
        )
        .await
    }
    /// Documents signed at it.
    async fn protocols(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Protocol>> {
        nested_page(
            ctx,
            self.0.id,
            &EVENT_PROTOCOLS,
            Filter::everything(),
            ProtocolOrderBy::Signed.ordering(),
            page,
            Protocol,
        )
        .await
    }
    /// Topics it was about.
    async fn topics(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Topic>> {
        nested_page(
            ctx,
            self.0.id,
            &EVENT_TOPICS,
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
            &EVENT_SOURCES,
            Filter::everything(),
            orderings::sources::BY_KEY,
            page,
            Source,
        )
        .await
    }
}

impl Event {
    /// The start date, or its first day should the stored text not parse.
    fn start_value(&self) -> PartialDate {
        PartialDate::stored(Some(&self.0.start_date))
            .unwrap_or(PartialDate::from_day(self.0.start_date_start))
    }
}

/// Which events to list. All given fields must hold.
#[derive(InputObject, Default)]
pub struct EventFilter {
    /// One of these keys.
    pub keys: Option<Vec<String>>,
    /// Hosted by one of the cities with these keys.
    pub host_cities: Option<Vec<String>>,
    /// Hosted by the city with this key.
    #[graphql(
        deprecation = "Use `hostCities`: a filter on a field a record has one of takes a list."
    )]
    pub host_city: Option<String>,
    /// One of these kinds.
    pub kinds: Option<Vec<EventKind>>,
    /// Took place (any day of it) within this span.
    pub during: Option<DateRange>,
    /// About this topic or one of its descendants (by key).
    pub topic: Option<String>,
    /// All of these filters hold.
    pub and: Option<Vec<EventFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<EventFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<EventFilter>>,
}

impl ToFilter for EventFilter {
    type Rows = event::Model;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        if let Some(keys) = &self.keys {
            out.push(filters::keys(keys));
        }
        if let Some(key) = &self.host_city {
            out.push(events::host_city(key));
        }
        if let Some(values) = &self.host_cities {
            out.push(any_of(values, events::host_city));
        }
        if let Some(kinds) = &self.kinds {
            out.push(events::kinds(kinds));
        }
        if let Some(range) = &self.during {
            out.push(events::during(range.span()));
        }
        if let Some(topic) = &self.topic {
            out.push(events::topic(topic));
        }
    }
    combinators!();
}

/// Orders of event lists; each ends with the key.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum EventOrderBy {
    /// Earliest first (the default).
    #[default]
    StartDate,
    /// Latest first.
    StartDateDesc,
}

impl EventOrderBy {
    pub fn ordering(self) -> Ordering<event::Model> {
        match self {
            Self::StartDate => orderings::events::BY_START,
            Self::StartDateDesc => orderings::events::BY_START_DESC,
        }
    }
}

/// Event lookups.
#[derive(Default)]
pub struct EventQuery;

#[macros::paged]
#[Object]
impl EventQuery {
    /// The event with this key, or null.
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<Event>> {
        Ok(by_key::<event::Model>(ctx, key).await?.map(Event))
    }

    /// Events, a page at a time.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<EventFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: EventOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Event>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Event,
        )
        .await
    }
}

/// An event by id, if the reference is set.
pub async fn optional_event(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Event>> {
    match id {
        Some(id) => Ok(crate::graphql::by_id::<event::Model>(ctx, id)
            .await?
            .map(Event)),
        None => Ok(None),
    }
}
