//! The GraphQL API: schema assembly, shared helpers, and one module per type.

mod city;
mod event;
mod filter;
mod loader;
mod node;
mod organization;
mod page;
mod partnership;
mod protocol;
mod query;
mod relations;
mod scalars;
mod search;
mod source;
mod stats;
mod timeline;
mod topic;
mod visit;

use crate::error::Result;
use crate::store::Table;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptyMutation, EmptySubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

pub use query::Query;

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The schema without data: enough to print the SDL.
fn builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
}

/// Registers a row loader and a nested-page loader for each record type.
macro_rules! with_loaders {
    ($builder:expr, $db:expr, [$($model:ty),+]) => {
        $builder
            $(
                .data(DataLoader::new(loader::Rows::<$model>::new($db.clone()), tokio::spawn))
                .data(DataLoader::new(loader::Nested::<$model>::new($db.clone()), tokio::spawn))
            )+
    };
}

/// The schema over a database, with its loaders registered.
pub fn build_schema(db: DatabaseConnection) -> AppSchema {
    let builder = with_loaders!(
        builder(),
        db,
        [
            entity::city::Model,
            entity::partnership::Model,
            entity::visit::Model,
            entity::protocol::Model,
            entity::event::Model,
            entity::topic::Model,
            entity::organization::Model,
            entity::source::Model,
            entity::partnership_status_change::Model
        ]
    );
    builder
        .data(DataLoader::new(
            loader::Counts::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            loader::CityNames::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            loader::Parties::new(db.clone()),
            tokio::spawn,
        ))
        .data(db)
        .extension(async_graphql::extensions::Tracing)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_enum_items();
    builder().finish().sdl_with_options(options)
}

/// The database of a request.
fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// A record by id, through its loader.
async fn by_id<M: Table>(ctx: &Context<'_>, id: i32) -> Result<Option<M>> {
    ctx.data_unchecked::<DataLoader<loader::Rows<M>>>()
        .load_one(id)
        .await
}

/// A record that must exist (a foreign key).
async fn referenced<M: Table>(ctx: &Context<'_>, id: i32) -> Result<M> {
    by_id(ctx, id).await?.ok_or_else(|| {
        crate::error::AppError::Database(std::sync::Arc::new(sea_orm::DbErr::RecordNotFound(
            format!("{} {id}", M::TABLE),
        )))
    })
}

/// A record by key, through its loader.
async fn by_key<M: Table>(ctx: &Context<'_>, key: String) -> Result<Option<M>> {
    ctx.data_unchecked::<DataLoader<loader::Rows<M>>>()
        .load_one(loader::Key(key))
        .await
}
