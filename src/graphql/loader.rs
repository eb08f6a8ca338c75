//! DataLoaders: every related record is fetched in one statement per batch
//! of parents, never one statement per parent. Each key type names what it
//! loads.

use crate::error::AppError;
use async_graphql::dataloader::Loader;
use entity::{city, city_name};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// The loaders share one database handle.
pub struct Loaders {
    db: DatabaseConnection,
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

type LoadError = AppError;

/// A city by its key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CityByKey(pub String);

impl Loader<CityByKey> for Loaders {
    type Value = city::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[CityByKey]) -> Result<HashMap<CityByKey, city::Model>, LoadError> {
        let rows = city::Entity::find()
            .filter(city::Column::Key.is_in(keys.iter().map(|k| k.0.as_str())))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (CityByKey(row.key.clone()), row))
            .collect())
    }
}

/// The translations of a city, by city id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NamesOfCity(pub i32);

impl Loader<NamesOfCity> for Loaders {
    type Value = Vec<city_name::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        ids: &[NamesOfCity],
    ) -> Result<HashMap<NamesOfCity, Vec<city_name::Model>>, LoadError> {
        let rows = city_name::Entity::find()
            .filter(city_name::Column::CityId.is_in(ids.iter().map(|id| id.0)))
            .order_by_asc(city_name::Column::Lang)
            .all(&self.db)
            .await?;
        let mut names: HashMap<NamesOfCity, Vec<city_name::Model>> = HashMap::new();
        for row in rows {
            names.entry(NamesOfCity(row.city_id)).or_default().push(row);
        }
        Ok(names)
    }
}
