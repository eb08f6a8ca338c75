//! Global identity: the `Node` interface, opaque ids built from type and key
//! (so they survive export and import into another database), and the
//! `node`/`nodes` lookups.

use super::types::city::City;
use super::types::event::Event;
use super::types::organization::Organization;
use super::types::partnership::Partnership;
use super::types::protocol::Protocol;
use super::types::source::Source;
use super::types::topic::Topic;
use super::types::visit::Visit;
use super::{by_id, by_key};
use crate::domain::kinds::Kind;
use crate::error::{AppError, Result};
use crate::store::Record;
use crate::store::rows::AnyRow;
use async_graphql::{Context, ID, Interface, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The version prefix of global ids; bump it if their shape ever changes.
const ID_VERSION: &str = "1";

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id, stable across databases (built from type and key)."
))]
pub enum Node {
    City(City),
    Partnership(Partnership),
    Visit(Visit),
    Protocol(Protocol),
    Event(Event),
    Topic(Topic),
    Organization(Organization),
    Source(Source),
}

impl From<AnyRow> for Node {
    fn from(row: AnyRow) -> Self {
        match row {
            AnyRow::City(m) => Node::City(City(m)),
            AnyRow::Partnership(m) => Node::Partnership(Partnership(m)),
            AnyRow::Visit(m) => Node::Visit(Visit(m)),
            AnyRow::Protocol(m) => Node::Protocol(Protocol(m)),
            AnyRow::Event(m) => Node::Event(Event(m)),
            AnyRow::Topic(m) => Node::Topic(Topic(m)),
            AnyRow::Organization(m) => Node::Organization(Organization(m)),
            AnyRow::Source(m) => Node::Source(Source(m)),
        }
    }
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

/// How to find a record of a known kind.
pub(crate) enum Find {
    Id(i32),
    Key(String),
}

/// A record of `M`'s table, through its loader.
async fn find<M: Record>(ctx: &Context<'_>, find: Find) -> Result<Option<M>> {
    match find {
        Find::Id(id) => by_id(ctx, id).await,
        Find::Key(key) => by_key(ctx, key).await,
    }
}

/// The record of a kind with this id or key, if any.
pub(crate) async fn record(ctx: &Context<'_>, kind: Kind, how: Find) -> Result<Option<Node>> {
    Ok(match kind {
        Kind::City => find(ctx, how).await?.map(|m| Node::City(City(m))),
        Kind::Partnership => find(ctx, how)
            .await?
            .map(|m| Node::Partnership(Partnership(m))),
        Kind::Visit => find(ctx, how).await?.map(|m| Node::Visit(Visit(m))),
        Kind::Protocol => find(ctx, how).await?.map(|m| Node::Protocol(Protocol(m))),
        Kind::Event => find(ctx, how).await?.map(|m| Node::Event(Event(m))),
        Kind::Topic => find(ctx, how).await?.map(|m| Node::Topic(Topic(m))),
        Kind::Organization => find(ctx, how)
            .await?
            .map(|m| Node::Organization(Organization(m))),
        Kind::Source => find(ctx, how).await?.map(|m| Node::Source(Source(m))),
    })
}

/// The record a global id names, if any.
pub(crate) async fn load(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let (type_name, key) = decode_global_id(id)?;
    match Kind::from_type_name(&type_name) {
        Some(kind) => record(ctx, kind, Find::Key(key)).await,
        None => Ok(None),
    }
}

/// Lookups by global id.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The record with this global id, or null if there is none.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> Result<Option<Node>> {
        load(ctx, &id).await
    }

    /// The records with these global ids (at most 100 by default), in the same order;
    /// null where an id names no record. Ids of one type load in one batch.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most 100 by default.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        let max = super::connection::PageLimits::of(ctx).max_ids;
        if ids.len() > max {
            return Err(AppError::bad_input(format!(
                "`ids` must list at most {max} ids (got {})",
                ids.len()
            )));
        }
        futures_util::future::try_join_all(ids.iter().map(|id| load(ctx, id))).await
    }
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
