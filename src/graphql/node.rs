//! Global identity: the `Node` interface, opaque ids built from type and key
//! (so they survive export and import into another database), and the
//! `node`/`nodes` lookups.

use super::city::City;
use super::loader::{CityByKey, Loaders};
use crate::error::{AppError, Result};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Interface, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The version prefix of global ids; bump it if their shape ever changes.
const ID_VERSION: &str = "1";

/// The most ids `nodes(ids:)` resolves at once.
pub const MAX_NODES: usize = 100;

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id, stable across databases (built from type and key)."
))]
pub enum Node {
    City(City),
}

/// The global id of a record of GraphQL type `type_name` with `key`.
pub fn global_id(type_name: &str, key: &str) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{ID_VERSION}:{type_name}:{key}")))
}

/// The type name and key a global id stands for.
pub fn decode_global_id(id: &str) -> Result<(String, String)> {
    let invalid = || AppError::bad_input(format!("{id:?} is not an id from this API"));
    let text = URL_SAFE_NO_PAD
        .decode(id)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid)?;
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(ID_VERSION), Some(type_name), Some(key)) => {
            Ok((type_name.to_owned(), key.to_owned()))
        }
        _ => Err(invalid()),
    }
}

/// Lookups by global id.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The record with this global id, or null if there is none.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        Ok(load_nodes(ctx, &[id]).await?.pop().flatten())
    }

    /// The records with these global ids (at most 100), in the same order;
    /// null where an id names no record.
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::bad_input(format!(
                "`ids` must list at most {MAX_NODES} ids (got {})",
                ids.len()
            )));
        }
        load_nodes(ctx, &ids).await
    }
}

async fn load_nodes(ctx: &Context<'_>, ids: &[ID]) -> Result<Vec<Option<Node>>> {
    let loader = ctx.data_unchecked::<DataLoader<Loaders>>();
    let decoded: Vec<(String, String)> = ids
        .iter()
        .map(|id| decode_global_id(id))
        .collect::<Result<_>>()?;
    let city_keys: Vec<CityByKey> = decoded
        .iter()
        .filter(|(type_name, _)| type_name == "City")
        .map(|(_, key)| CityByKey(key.clone()))
        .collect();
    let cities = loader.load_many(city_keys).await?;
    Ok(decoded
        .into_iter()
        .map(|(type_name, key)| match type_name.as_str() {
            "City" => cities
                .get(&CityByKey(key))
                .cloned()
                .map(|model| Node::City(City(model))),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_reject_foreign_text() {
        let id = global_id("City", "murmansk");
        assert_eq!(
            decode_global_id(&id).ok(),
            Some(("City".to_owned(), "murmansk".to_owned()))
        );
        assert!(decode_global_id("bm90LWFuLWlk").is_err());
        assert!(decode_global_id("!!!").is_err());
    }
}
