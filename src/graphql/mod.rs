//! The GraphQL API: schema assembly, and one module per type.

mod city;
mod connection;
mod loader;
mod node;
mod query;

use async_graphql::{
    EmptyMutation, EmptySubscription, Schema, SchemaBuilder, dataloader::DataLoader,
};
use sea_orm::DatabaseConnection;

pub use query::Query;

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The schema without data: enough to print the SDL.
fn builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
}

/// The schema over a database, with its loaders registered.
pub fn build_schema(db: DatabaseConnection) -> AppSchema {
    builder()
        .data(DataLoader::new(
            loader::Loaders::new(db.clone()),
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
