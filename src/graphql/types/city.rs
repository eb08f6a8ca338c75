//! `City`: a city with its names and everything that links to it, and the
//! `city`/`cities` queries.

use super::city_filter::CityFilter;
use super::city_partnerships::{CityPartnerships, Partner};
use super::event::{Event, EventFilter, EventOrderBy};
use super::filter_input::matching;
use super::organization::{Organization, OrganizationFilter};
use super::partnership::{Partnership, PartnershipFilter, PartnershipOrderBy};
use super::protocol::{Protocol, ProtocolFilter, ProtocolOrderBy};
use super::source::Source;
use super::visit::{Visit, VisitFilter, VisitOrderBy};
use crate::domain::geo;
use crate::error::Result;
use crate::graphql::connection::{
    Connection, NestedList, PageArgs, nested_page, nested_page_with, root_page,
};
use crate::graphql::loader::{CityNames, NamesOfCity};
use crate::graphql::pipeline::request_data::loader;
use crate::graphql::{by_id, by_key};
use crate::store::filters::Filter;
use crate::store::orderings;
use crate::store::pages::Ordering;
use crate::store::relations::*;
use async_graphql::{Context, Enum, Object, SimpleObject};
use entity::city;

#[derive(Clone)]
pub struct City(pub city::Model);

/// A city's name in one language.
#[derive(SimpleObject)]
pub struct Translation {
    /// BCP 47 language tag, such as `ru` or `zh-Hant`.
    pub lang: String,
    /// The name in that language.
    pub name: String,
}

/// A city, or another municipal body that twins.
#[macros::record(
    history = crate::store::relations::CITY_HISTORY,
    key = "Stable key, such as `murmansk`."
)]
#[Object]
impl City {
    /// Its title in lists and search results: its English name.
    pub async fn title(&self) -> &str {
        &self.0.name
    }
    /// The name in English, or, with `lang` (a BCP 47 tag such as `ru`), in
    /// that language when known, falling back to the English name.
    async fn name(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A BCP 47 language tag, such as `ru` or `zh-Hant`.")] lang: Option<String>,
    ) -> Result<String> {
        let Some(lang) = lang else {
            return Ok(self.0.name.clone());
        };
        let names = translations(ctx, self.0.id).await?;
        Ok(names
            .into_iter()
            .find(|t| t.lang == lang)
            .map_or_else(|| self.0.name.clone(), |t| t.name))
    }
    /// The name in the city's own language and script, such as Мурманск or 哈尔滨.
    async fn native_name(&self) -> Option<&str> {
        self.0.native_name.as_deref()
    }
    /// The name in other languages, sorted by language tag.
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<Translation>> {
        translations(ctx, self.0.id).await
    }
    /// ISO 3166-1 alpha-2 country code, such as `RU`.
    async fn country_code(&self) -> &str {
        &self.0.country_code
    }
    /// The region (oblast, province, state…).
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    /// Number of inhabitants.
    async fn population(&self) -> Option<i64> {
        self.0.population
    }
    /// Latitude in degrees, north positive.
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }
    /// Longitude in degrees, east positive.
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }
    /// IANA time zone, such as `Europe/Moscow`.
    async fn timezone(&self) -> Option<&str> {
        self.0.timezone.as_deref()
    }
    /// Wikidata item id, such as `Q1763`.
    async fn wikidata_id(&self) -> Option<&str> {
        self.0.wikidata_id.as_deref()
    }
    /// Great-circle distance in km to the city with this key; null when
    /// either city's coordinates are unknown or no such city exists.
    async fn distance_to(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<f64>> {
        let Some(other) = by_key::<city::Model>(ctx, key).await? else {
            return Ok(None);
        };
        Ok(distance_km(&self.0, &other))
    }
    /// The city's sister cities (SISTER_CITY partnerships) in order of
    /// establishment, each with its ordinal. Ordinals count ended twinnings
    /// too, as city lists do. Dates order as in every list: by the first
    /// day a date covers, so "1972" comes before "1972-07-10" (and a coarser
    /// date before a finer one beginning the same day); equal dates are
    /// ordered by the partner's key. Twinnings without a date come last,
    /// without ordinal.
    async fn sister_cities(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only twinnings established by this date, and (unless `includeEnded`) not ended by it."
        )]
        as_of: Option<crate::graphql::scalars::PartialDate>,
        #[graphql(desc = "Also list twinnings that have ended.", default = false)]
        include_ended: bool,
    ) -> Result<Vec<super::sister_city::SisterCity>> {
        super::sister_city::sister_cities(ctx, self.0.id, as_of, include_ended).await
    }
    /// Partnerships this city is part of; each edge names the other city
    /// (`edges { partner { name } node { status } }`).
    async fn partnerships(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<PartnershipFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: PartnershipOrderBy,
        page: PageArgs,
    ) -> Result<CityPartnerships> {
        let list = NestedList {
            parent: self.0.id,
            relation: &CITY_PARTNERSHIPS,
            filter: matching(filter.as_ref()),
            ordering: order_by.ordering(),
        };
        let of = self.0.id;
        nested_page_with(ctx, list, page, Partnership, |row| Partner::of(of, row)).await
    }
    /// Delegations this city sent.
    async fn visits_made(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<VisitFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: VisitOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Visit>> {
        nested_page(
            ctx,
            self.0.id,
            &CITY_VISITS_MADE,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Visit,
        )
        .await
    }
    /// Delegations this city received.
    async fn visits_received(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<VisitFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: VisitOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Visit>> {
        nested_page(
            ctx,
            self.0.id,
            &CITY_VISITS_RECEIVED,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Visit,
        )
        .await
    }
    /// Events this city hosted.
    async fn hosted_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<EventFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: EventOrderBy,
        page: PageArgs,
    ) -> Result<Connection<Event>> {
        nested_page(
            ctx,
            self.0.id,
            &CITY_HOSTED_EVENTS,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            Event,
        )
        .await
    }
    /// Organizations in this city.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<OrganizationFilter>,
        page: PageArgs,
    ) -> Result<Connection<Organization>> {
        nested_page(
            ctx,
            self.0.id,
            &CITY_ORGANIZATIONS,
            matching(filter.as_ref()),
            orderings::organizations::BY_NAME,
            page,
            Organization,
        )
        .await
    }
    /// Protocols this city is a party to.
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
            &CITY_PROTOCOLS,
            matching(filter.as_ref()),
            order_by.ordering(),
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
            &CITY_SOURCES,
            Filter::everything(),
            orderings::sources::BY_KEY,
            page,
            Source,
        )
        .await
    }
    /// When the record was created here.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When the record last changed here.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// The great-circle distance between two cities, if both have coordinates.
pub fn distance_km(a: &city::Model, b: &city::Model) -> Option<f64> {
    let point = |c: &city::Model| {
        Some(geo::Point {
            latitude: c.latitude?,
            longitude: c.longitude?,
        })
    };
    Some(geo::distance_km(point(a)?, point(b)?))
}

async fn translations(ctx: &Context<'_>, city_id: i32) -> Result<Vec<Translation>> {
    let rows = loader::<CityNames>(ctx)
        .load_one(NamesOfCity(city_id))
        .await?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(|(lang, name)| Translation { lang, name })
        .collect())
}

/// Orders of city lists; each ends with the key, so the order is total.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum CityOrderBy {
    /// By English name (the default).
    #[default]
    Name,
    /// By key.
    Key,
    /// Largest population first (unknown last).
    PopulationDesc,
    /// By country code, then name.
    Country,
}

impl CityOrderBy {
    fn ordering(self) -> Ordering<city::Model> {
        match self {
            Self::Name => orderings::cities::BY_NAME,
            Self::Key => orderings::cities::BY_KEY,
            Self::PopulationDesc => orderings::cities::BY_POPULATION_DESC,
            Self::Country => orderings::cities::BY_COUNTRY,
        }
    }
}

/// City lookups.
#[derive(Default)]
pub struct CityQuery;

#[macros::paged]
#[Object]
impl CityQuery {
    /// The city with this key, or null.
    async fn city(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<City>> {
        Ok(by_key::<city::Model>(ctx, key).await?.map(City))
    }

    /// Cities, a page at a time.
    async fn cities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<CityFilter>,
        #[graphql(default, desc = "The order of the list.")] order_by: CityOrderBy,
        page: PageArgs,
    ) -> Result<Connection<City>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            order_by.ordering(),
            page,
            City,
        )
        .await
    }
}

/// A city by id, for the types that refer to one.
pub async fn city(ctx: &Context<'_>, id: i32) -> Result<City> {
    if let Some(joined) = joined_city(ctx, id) {
        return Ok(joined);
    }
    crate::graphql::referenced::<city::Model>(ctx, id)
        .await
        .map(City)
}

/// A city by id, if the reference is set.
pub async fn optional_city(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<City>> {
    match id {
        Some(id) => match joined_city(ctx, id) {
            Some(joined) => Ok(Some(joined)),
            None => Ok(by_id::<city::Model>(ctx, id).await?.map(City)),
        },
        None => Ok(None),
    }
}

/// The city with `id`, if the query's page of the record naming it read it
/// too.
fn joined_city(ctx: &Context<'_>, id: i32) -> Option<City> {
    crate::graphql::pipeline::request_data::joined_cities(ctx)?
        .get(id)
        .map(City)
}
