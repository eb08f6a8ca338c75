//! The GraphQL API: the schema's types and resolvers, which read and write
//! through [`crate::store`], and the pipeline every request goes through.

pub mod connection;
pub mod guards;
pub mod loader;
mod mutation;
pub mod node;
pub mod pipeline;
mod query;
pub mod scalars;
pub mod schema;
mod subscription;
pub mod types;

use crate::error::Result;
use crate::store::Db;
use crate::store::Record;
use async_graphql::Context;

pub use connection::PageLimits;
pub use mutation::Mutation;
pub use pipeline::{
    Api, ApiOptions, Caller, Client, CostLedger, CostReport, DEFAULT_BATCH_DELAY_MS, Executed,
    QueryLimits, RateLimits, Refusal, Transport, TrustPolicy, TrustedDocuments, did_not_run,
    document_hash,
};
pub use query::Query;
pub use schema::{AppSchema, sdl};
pub use subscription::Subscription;

/// The database of a request.
fn db<'a>(ctx: &Context<'a>) -> &'a Db {
    ctx.data_unchecked::<Db>()
}

/// The primary database, in the schema's data: what reads that must know
/// about writes in flight ask (see [`crate::store::horizon`]), whichever
/// database answers the request.
pub struct PrimaryDb(pub Db);

/// The primary database (the request's own when the schema has none).
fn primary<'a>(ctx: &Context<'a>) -> &'a Db {
    ctx.data_opt::<PrimaryDb>()
        .map_or_else(|| db(ctx), |p| &p.0)
}

/// A record by id, through its loader.
async fn by_id<M: Record>(ctx: &Context<'_>, id: i32) -> Result<Option<M>> {
    pipeline::request_data::loader::<loader::Rows<M>>(ctx)
        .load_one(id)
        .await
}

/// A record that must exist (a foreign key).
async fn referenced<M: Record>(ctx: &Context<'_>, id: i32) -> Result<M> {
    by_id(ctx, id).await?.ok_or_else(|| {
        crate::error::AppError::Database(std::sync::Arc::new(sea_orm::DbErr::RecordNotFound(
            format!("{} {id}", M::TABLE),
        )))
    })
}

/// A record by key, through its loader.
async fn by_key<M: Record>(ctx: &Context<'_>, key: String) -> Result<Option<M>> {
    pipeline::request_data::loader::<loader::Rows<M>>(ctx)
        .load_one(loader::Key(key))
        .await
}
