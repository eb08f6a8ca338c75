//! `City`: a city with its names, and the `city`/`cities` queries.

use super::connection::{Connection, PageArgs, page};
use super::loader::{CityByKey, Loaders, NamesOfCity};
use super::node::global_id;
use crate::error::Result;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::city;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// A city, or another municipal body that twins.
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

#[Object]
impl City {
    /// Opaque global id, stable across databases (built from type and key).
    pub async fn id(&self) -> ID {
        global_id("City", &self.0.key)
    }
    /// Stable key, such as `murmansk`.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// The name in English, or, with `lang`, in that language when known
    /// (falling back to the English name).
    async fn name(&self, ctx: &Context<'_>, lang: Option<String>) -> Result<String> {
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
    /// The name in other languages, by language tag.
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
    /// When the record was created here.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When the record last changed here.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

async fn translations(ctx: &Context<'_>, city_id: i32) -> Result<Vec<Translation>> {
    let loader = ctx.data_unchecked::<DataLoader<Loaders>>();
    let rows = loader.load_one(NamesOfCity(city_id)).await?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(|row| Translation {
            lang: row.lang,
            name: row.name,
        })
        .collect())
}

/// Which cities to list.
#[derive(InputObject, Default)]
pub struct CityFilter {
    /// Only cities in this country (ISO 3166-1 alpha-2).
    pub country_code: Option<String>,
    /// Only cities whose English name starts with this text (case-sensitive
    /// for now).
    pub name_starts_with: Option<String>,
}

/// City lookups.
#[derive(Default)]
pub struct CityQuery;

#[Object]
impl CityQuery {
    /// The city with this key, or null.
    async fn city(&self, ctx: &Context<'_>, key: String) -> Result<Option<City>> {
        let loader = ctx.data_unchecked::<DataLoader<Loaders>>();
        let city = loader.load_one(CityByKey(key)).await?;
        Ok(city.map(City))
    }

    /// Cities ordered by name (then key), a page at a time.
    async fn cities(
        &self,
        ctx: &Context<'_>,
        filter: Option<CityFilter>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
    ) -> Result<Connection<City>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let filter = filter.unwrap_or_default();
        let mut select = city::Entity::find();
        if let Some(country) = filter.country_code {
            select = select.filter(city::Column::CountryCode.eq(country));
        }
        if let Some(prefix) = filter.name_starts_with {
            select = select.filter(city::Column::Name.starts_with(prefix));
        }
        page(
            db,
            select,
            &[city::Column::Name, city::Column::Key],
            PageArgs {
                after,
                before,
                first,
                last,
            },
            |row| vec![row.name.clone().into(), row.key.clone().into()],
            City,
        )
        .await
    }
}
