//! `Organization`: a lyceum, university, hospital or administration in a city.

use super::city::{City, city};
use super::filter_input::{ToFilter, any_of, combinators, matching};
use super::source::Source;
use super::visit::{Visit, VisitOrderBy};
use crate::domain::vocabulary::OrganizationKind;
use crate::error::Result;
use crate::graphql::by_key;
use crate::graphql::connection::{Connection, PageArgs, nested_page, root_page};
use crate::store::filters::{self, Filter, organizations};
use crate::store::orderings;
use crate::store::relations::*;
use async_graphql::{Context, InputObject, Object};
use entity::organization;

#[derive(Clone)]
pub struct Organization(pub organization::Model);

/// An organization that takes part in visits and cooperation.
#[macros::record(
    history = crate::store::relations::ORGANIZATION_HISTORY,
    key = "Stable key."
)]
#[Object]
impl Organization {
    /// Its title in lists and search results: its name.
    pub async fn title(&self) -> &str {
        &self.0.name
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What kind of organization it is.
    async fn kind(&self) -> OrganizationKind {
        self.0.kind.into()
    }
    /// The city it is in.
    async fn city(&self, ctx: &Context<'_>) -> Result<City> {
        city(ctx, self.0.city_id).await
    }
    /// Visits it took part in.
    async fn visits(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Visit>> {
        nested_page(
            ctx,
            self.0.id,
            &ORGANIZATION_VISITS,
            Filter::everything(),
            VisitOrderBy::StartDate.ordering(),
            page,
            Visit,
        )
        .await
    }
    /// The sources this record cites.
    pub async fn sources(&self, ctx: &Context<'_>, page: PageArgs) -> Result<Connection<Source>> {
        nested_page(
            ctx,
            self.0.id,
            &ORGANIZATION_SOURCES,
            Filter::everything(),
            orderings::sources::BY_KEY,
            page,
            Source,
        )
        .await
    }
}

/// Which organizations to list.
#[derive(InputObject, Default)]
pub struct OrganizationFilter {
    /// One of these keys.
    pub keys: Option<Vec<String>>,
    /// In one of the cities with these keys.
    pub cities: Option<Vec<String>>,
    /// In the city with this key.
    #[graphql(deprecation = "Use `cities`: a filter on a field a record has one of takes a list.")]
    pub city: Option<String>,
    /// One of these kinds.
    pub kinds: Option<Vec<OrganizationKind>>,
    /// All of these filters hold.
    pub and: Option<Vec<OrganizationFilter>>,
    /// At least one of these filters holds.
    pub or: Option<Vec<OrganizationFilter>>,
    /// This filter does not hold.
    pub not: Option<Box<OrganizationFilter>>,
}

impl ToFilter for OrganizationFilter {
    type Rows = organization::Model;

    fn predicates(&self, out: &mut Vec<Filter<Self::Rows>>) {
        if let Some(keys) = &self.keys {
            out.push(filters::keys(keys));
        }
        if let Some(key) = &self.city {
            out.push(organizations::city(key));
        }
        if let Some(values) = &self.cities {
            out.push(any_of(values, organizations::city));
        }
        if let Some(kinds) = &self.kinds {
            out.push(organizations::kinds(kinds));
        }
    }
    combinators!();
}

/// Organization lookups.
#[derive(Default)]
pub struct OrganizationQuery;

#[macros::paged]
#[Object]
impl OrganizationQuery {
    /// The organization with this key, or null.
    async fn organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stable key of the record.")] key: String,
    ) -> Result<Option<Organization>> {
        Ok(by_key::<organization::Model>(ctx, key)
            .await?
            .map(Organization))
    }

    /// Organizations by name, a page at a time.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only items matching this filter.")] filter: Option<OrganizationFilter>,
        page: PageArgs,
    ) -> Result<Connection<Organization>> {
        root_page(
            ctx,
            matching(filter.as_ref()),
            orderings::organizations::BY_NAME,
            page,
            Organization,
        )
        .await
    }
}
